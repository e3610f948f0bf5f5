/*
 * DATA: reading the message, refusing SMTP smuggling, stamping Received,
 * and delivering durably before "250" (RFC 5321 §4.1.1.4, §4.4, §6.1).
 * Layer: front end.
 * SECURITY: only CRLF.CRLF ends the data; a bare CR or LF anywhere fails
 * the whole message, so one DATA can never become two messages
 * (CVE-2023-51764/5/6; SECURITY.md item 15).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/str.h"
#include "smtp/smtp_internal.h"

struct data_read {
	struct str body;
	bool too_big;
	bool bare_line_end;	/* a bare CR or LF, or a NUL */
	bool line_too_long;
};

/* Reads up to the final dot; -1 only when the connection is lost. */
static int
read_data(struct smtp_session *s, struct data_read *d)
{
	size_t max_line = s->server->max_line;
	char *line = arena_alloc(s->tx, max_line + 1);
	if (line == NULL)
		return -1;
	for (;;) {
		size_t len;
		unsigned flags = 0;
		struct error err;
		if (net_read_line(s->conn, line, max_line + 1, &len, &flags,
			    &err) < 0) {
			if (err.code != ERROR_LIMIT)
				return -1;
			d->line_too_long = true;
			continue;
		}
		if (flags != 0)
			d->bare_line_end = true;
		if (len == 1 && line[0] == '.' && flags == 0)
			return 0;
		/* RFC 5321 §4.5.2: a leading dot was doubled by the client. */
		const char *text = line;
		if (len > 0 && line[0] == '.') {
			text++;
			len--;
		}
		if (d->too_big)
			continue;
		if (str_append(&d->body, text, len) < 0 ||
		    str_append(&d->body, "\r\n", 2) < 0)
			d->too_big = true;
	}
}

/*
 * The Received header of RFC 5321 §4.4, with the TLS in use; the EHLO
 * name goes in only when it is a domain (mail_received_header).
 */
static int
received_header(struct smtp_session *s, const char *id, struct str *out)
{
	char tls[128] = "";
	if (net_is_tls(s->conn))
		snprintf(tls, sizeof(tls), "%s %s", net_tls_version(s->conn),
			net_tls_cipher(s->conn));
	struct mail_received r = { .helo = s->helo,
		.peer_ip = net_peer_ip(s->conn), .by = s->server->hostname,
		.with = s->user[0] != '\0' ? "ESMTPSA" :
			net_is_tls(s->conn) ? "ESMTPS" : "ESMTP",
		.tls = tls, .id = id, .date = s->ctx.now };
	return mail_received_header(&r, out);
}

static int
deliver(struct smtp_session *s, struct data_read *d, const char *id)
{
	struct str msg;
	str_init(&msg, s->tx, d->body.len + 4096);
	/*
	 * --- Issue 8 item 4 (SECURITY.md 11, 12): who the header says sent
	 * it. The message's start is enough: the rule reads to the first
	 * empty line. Submission: From and Sender pass the envelope's rule,
	 * and the From's right decides the Sender header. MX: exactly one
	 * From with one address, until the anti-spoofing policy takes over.
	 */
	struct span header = span_make(str_cstr(&d->body), d->body.len);
	enum mail_send_right right = MAIL_SEND_SELF;
	struct mail_header_mailbox from;
	struct error refusal;
	if ((s->submission ?
		    mail_check_header_senders(&s->ctx, s->user, header, &right,
			    &refusal) :
		    mail_header_from(header, s->tx, &from, &refusal)) < 0) {
		log_info("smtp.refused", "id=%s peer=%s user=%s reason=\"%s\"",
			id, net_peer(s->conn),
			s->user[0] != '\0' ? s->user : "-", refusal.msg);
		return smtp_reply_error(s, SMTP_CONTEXT_DATA, &refusal);
	}
	/* --- end of issue 8 item 4 */
	if (received_header(s, id, &msg) < 0 ||
	    mail_submission_text(right, s->user,
		    span_make(str_cstr(&d->body), d->body.len), &msg) < 0)
		return smtp_reply(s, 552, "5.3.4", "the message is too large");
	struct mail_message m = { str_cstr(&msg), msg.len, s->ctx.now,
		s->from };
	struct error err;
	if (mail_deliver(s->server->writer, &m, s->recipients,
		    s->recipient_count, &err) < 0)
		return smtp_reply_error(s, SMTP_CONTEXT_DATA, &err);
	log_info("smtp.accepted", "id=%s peer=%s from=<%s> recipients=%zu "
		"size=%zu user=%s", id, net_peer(s->conn), s->from,
		s->recipient_count, msg.len, s->user[0] != '\0' ? s->user : "-");
	return smtp_reply(s, 250, "2.0.0", "accepted as %s", id);
}

int
smtp_cmd_data(struct smtp_session *s)
{
	if (!s->has_mail || s->recipient_count == 0)
		return smtp_reply(s, 503, "5.5.1",
			s->has_mail ? "give at least one recipient first" :
				      "give the sender (MAIL) first");
	smtp_reply(s, 354, NULL, "end the message with <CRLF>.<CRLF>");
	struct data_read d = { 0 };
	str_init(&d.body, s->tx, s->server->max_size);
	if (read_data(s, &d) < 0)
		return -1;
	s->ctx.now = clock_now();
	char id[17];
	unsigned char raw[8];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(id, sizeof(id), raw, sizeof(raw));
	int rc;
	if (d.bare_line_end)
		rc = smtp_reply(s, 550, "5.6.0",
			"the message has a bare CR or LF; lines must end with "
			"CRLF (refused as SMTP smuggling protection)");
	else if (d.too_big)
		rc = smtp_reply(s, 552, "5.3.4",
			"the message is larger than the %zu MB allowed",
			s->server->max_size / (1024 * 1024));
	else if (d.line_too_long)
		rc = smtp_reply(s, 554, "5.6.0",
			"a line of the message is longer than %zu bytes",
			s->server->max_line);
	else
		rc = deliver(s, &d, id);
	smtp_reset_transaction(s);
	return rc;
}
