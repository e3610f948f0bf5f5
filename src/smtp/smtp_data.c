/*
 * DATA: reading the message into a spool (memory, then a file, so a message
 * of any size allowed costs a session little memory), refusing SMTP
 * smuggling, stamping Return-Path and Received (dropping any Return-Path
 * the client sent), and delivering durably before "250"
 * (RFC 5321 §4.1.1.4, §4.4, §6.1; RFC 1870).
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
#include "core/spool.h"
#include "core/str.h"
#include "instance/instance.h"
#include "mail/mail_accept.h"
#include "smtp/smtp_internal.h"

/*
 * What is kept in memory while a message arrives does not depend on its
 * size: the lines go to a spool, which moves to an unlinked file past
 * this many bytes (RFC 1870 SIZE is honoured up to the limit advertised).
 */
#define DATA_MEMORY_MAX (256 * 1024)
/* Room in the spool for the trace and Sender headers we add. */
#define ADDED_HEADERS_MAX 4096
/* The policy stage's memory beyond twice the message: its part tree. */
#define POLICY_ROOM (8 * 1024 * 1024)

struct data_read {
	struct spool *spool;
	size_t trace_len;	/* our Return-Path and Received, the spool's start */
	struct mail_trace_filter filter;	/* drops the client's Return-Path */
	size_t client_bytes;	/* as sent, dot-stuffing undone, with CRLFs */
	bool too_big;
	bool bare_line_end;	/* a bare CR or LF, or a NUL */
	bool line_too_long;
	bool failed;		/* the spool could not take it: see fault */
	struct error fault;
};

/* Keeps a line unless the message is already refused. */
static void
keep_line(struct smtp_session *s, struct data_read *d, const char *text,
	size_t len)
{
	if (d->too_big || d->failed)
		return;
	d->client_bytes += len + 2;
	if (d->client_bytes > s->server->max_size) {
		d->too_big = true;
		return;
	}
	if (!mail_trace_keep_line(&d->filter, span_make(text, len)))
		return;
	struct error err;
	if (spool_append(d->spool, text, len, &err) == 0 &&
	    spool_append(d->spool, "\r\n", 2, &err) == 0)
		return;
	if (err.code == ERROR_LIMIT) {
		d->too_big = true;
	} else {
		d->failed = true;
		d->fault = err;
	}
}

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
		keep_line(s, d, text, len);
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
		.with = s->port == SMTP_PORT_SUBMISSION ? "ESMTPSA" :
			net_is_tls(s->conn) ? "ESMTPS" : "ESMTP",
		.tls = tls, .id = id, .date = s->ctx.now };
	return mail_received_header(&r, out);
}

/*
 * Who the header says sent it (SECURITY.md 11, 12). Submission: From and
 * Sender pass the envelope's rule, and the From's right decides the
 * Sender header. MX: exactly one From with one address, until the
 * anti-spoofing policy takes over. The header is read after our own
 * trace fields, which are the spool's start. *from_r is the From's
 * address (in s->tx) for mail_accept, NULL for an application's message.
 */
static int
check_header(struct smtp_session *s, const struct data_read *d,
	struct span view, enum mail_send_right *right_r, const char **from_r,
	struct error *err)
{
	struct span header = span_make(view.p + d->trace_len,
		view.len - d->trace_len);
	*right_r = MAIL_SEND_SELF;
	*from_r = NULL;
	if (s->app.org_id != 0)
		return mail_check_app_header_senders(&s->ctx, &s->app, header,
			err);
	if (s->port == SMTP_PORT_SUBMISSION)
		return mail_check_header_senders(&s->ctx, s->user, header,
			right_r, from_r, err);
	struct mail_header_mailbox from;
	if (mail_header_from(header, s->tx, &from, err) < 0)
		return -1;
	*from_r = from.address;
	return 0;
}

static int
deliver(struct smtp_session *s, struct data_read *d, const char *id)
{
	struct span view;
	struct error err;
	enum mail_send_right right;
	const char *from;
	if (spool_view(d->spool, &view, &err) < 0)
		return smtp_reply_error(s, SMTP_CONTEXT_DATA, &err);
	if (check_header(s, d, view, &right, &from, &err) < 0) {
		log_info("smtp.refused", "id=%s peer=%s user=%s reason=\"%s\"",
			id, net_peer(s->conn), smtp_who(s), err.msg);
		return smtp_reply_error(s, SMTP_CONTEXT_DATA, &err);
	}
	/* The policy stage: sender checks, forgeries, [secure] and DLP. */
	struct arena *policy_arena = arena_new(2 * view.len + POLICY_ROOM);
	struct mail_arrival arrival = { .peer_ip = net_peer_ip(s->conn),
		.helo = s->helo,
		.authenticated = smtp_signed_in(s) || s->app.org_id != 0,
		.person = s->user[0] != '\0' ? s->user : NULL,
		.org_id = s->app.org_id,
		.envelope_from = s->from, .id = id,
		.recipients = s->recipients,
		.recipient_count = s->recipient_count };
	struct mail_arrival_plan plan;
	int policy = mail_policy_arrival(&s->ctx, &s->server->policy,
		&arrival, view.p, view.len, view.p + d->trace_len,
		view.len - d->trace_len, policy_arena, &plan, &err);
	if (policy < 0 || plan.decision.action == MAIL_POLICY_BLOCK) {
		int rc = policy < 0 ?
			smtp_reply_error(s, SMTP_CONTEXT_DATA, &err) :
			smtp_reply(s, 550, "5.7.1", "%s", plan.decision.why);
		arena_free(&policy_arena);
		return rc;
	}
	view = span_make(plan.data, plan.size);
	/* Sent on behalf: a copy with our Sender, spooled like the first. */
	struct spool *on_behalf = NULL;
	if (right == MAIL_SEND_ON_BEHALF) {
		on_behalf = spool_new(s->server->inst->spool_dir,
			DATA_MEMORY_MAX, view.len + ADDED_HEADERS_MAX);
		if (mail_submission_on_behalf(s->user, view, d->trace_len,
			    on_behalf, &err) < 0 ||
		    spool_view(on_behalf, &view, &err) < 0) {
			spool_free(&on_behalf);
			arena_free(&policy_arena);
			return smtp_reply_error(s, SMTP_CONTEXT_DATA, &err);
		}
	}
	struct mail_message m = { .data = view.p, .size = view.len,
		.received_at = s->ctx.now, .sender = s->from, .ret = s->ret,
		.envid = s->envid[0] != '\0' ? s->envid : NULL,
		.junk = plan.decision.action == MAIL_POLICY_JUNK, .right = right,
		.from = from, .notes = plan.notes, .note_count = plan.note_count,
		.dlp_alert = plan.dlp_alert, .withheld = plan.withheld,
		.withheld_count = plan.withheld_count, .sent_by = plan.sent_by };
	struct mail_delivery_report report;
	int rc = mail_accept(s->server->writer, &s->ctx, &m, s->recipients,
		s->recipient_count, plan.stopped, plan.sealed, &report, &err);
	size_t stopped, sealed;
	mail_arrival_plan_count(&plan, s->recipient_count, &stopped, &sealed);
	spool_free(&on_behalf);
	arena_free(&policy_arena);
	if (rc < 0)
		return smtp_reply_error(s, SMTP_CONTEXT_DATA, &err);
	log_info("smtp.accepted", "id=%s peer=%s from=<%s> recipients=%zu "
		"stopped=%zu sealed=%zu mailboxes=%lld over_quota=%lld "
		"sent_copy=%s size=%zu user=%s", id, net_peer(s->conn), s->from,
		s->recipient_count, stopped, sealed, (long long)report.mailboxes,
		(long long)report.over_quota, report.sent_copy ? "yes" : "no",
		m.size, smtp_who(s));
	if (stopped > 0)
		return smtp_reply(s, 250, "2.0.0", "accepted as %s, but not "
			"sent to %zu recipient%s %s; a report saying why follows",
			id, stopped, stopped == 1 ? "" : "s", plan.limited ?
			"(too many recipients)" : "outside the secure domains");
	if (sealed > 0)
		return smtp_reply(s, 250, "2.0.0", "accepted as %s; encrypted "
			"for %zu recipient%s outside the secure domains, who "
			"will read it in the secure message portal", id, sealed,
			sealed == 1 ? "" : "s");
	return smtp_reply(s, 250, "2.0.0", "accepted as %s", id);
}

/*
 * The spool and the trace headers, before any line. Return-Path goes in
 * here, once for every recipient: this server is the final delivery for
 * every mailbox it stores into, and the envelope sender is the same for
 * all of them (RFC 5321 §4.4).
 */
static int
start_message(struct smtp_session *s, struct data_read *d, const char *id,
	struct error *err)
{
	d->spool = spool_new(s->server->inst->spool_dir, DATA_MEMORY_MAX,
		s->server->max_size + ADDED_HEADERS_MAX);
	struct str trace;
	str_init(&trace, s->tx, ADDED_HEADERS_MAX / 2);
	if (mail_return_path_header(s->from, &trace) < 0 ||
	    received_header(s, id, &trace) < 0)
		return error_set(err, ERROR_LIMIT, "the trace header is too long");
	d->trace_len = trace.len;
	return spool_append(d->spool, str_cstr(&trace), trace.len, err);
}

/* The reply to a message read to its end but not to be delivered. */
static int
refuse(struct smtp_session *s, const struct data_read *d)
{
	if (d->bare_line_end)
		return smtp_reply(s, 550, "5.6.0",
			"the message has a bare CR or LF; lines must end with "
			"CRLF (refused as SMTP smuggling protection)");
	if (d->too_big)
		return smtp_reply(s, 552, "5.3.4",
			"the message is larger than the %zu bytes (%zu MB) "
			"allowed", s->server->max_size,
			s->server->max_size / (1024 * 1024));
	if (d->line_too_long)
		return smtp_reply(s, 554, "5.6.0",
			"a line of the message is longer than %zu bytes",
			s->server->max_line);
	return smtp_reply_error(s, SMTP_CONTEXT_DATA, &d->fault);
}

int
smtp_cmd_data(struct smtp_session *s)
{
	if (!s->has_mail || s->recipient_count == 0)
		return smtp_reply(s, 503, "5.5.1",
			s->has_mail ? "give at least one recipient first" :
				      "give the sender (MAIL) first");
	char id[17];
	unsigned char raw[8];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(id, sizeof(id), raw, sizeof(raw));
	s->ctx.now = clock_now();
	struct data_read d = { 0 };
	if (start_message(s, &d, id, &d.fault) < 0)
		d.failed = true;
	smtp_reply(s, 354, NULL, "end the message with <CRLF>.<CRLF>");
	int rc = read_data(s, &d);
	if (rc == 0) {
		s->ctx.now = clock_now();
		bool refused = d.bare_line_end || d.too_big ||
			d.line_too_long || d.failed;
		rc = refused ? refuse(s, &d) : deliver(s, &d, id);
	}
	spool_free(&d.spool);
	smtp_reset_transaction(s);
	return rc;
}

/*
 * Ends the mail transaction: after DATA, and whenever the session starts
 * over (EHLO, RSET, STARTTLS).
 */
void
smtp_reset_transaction(struct smtp_session *s)
{
	s->has_mail = false;
	s->smtputf8 = false;
	s->from[0] = '\0';
	s->recipients = NULL;
	s->recipient_count = 0;
	s->recipient_capacity = 0;
	s->recipient_index = (struct mail_recipient_index){ 0 };
	s->rcpt_commands = 0;
	s->size_hint = 0;
	s->ret = NULL;
	s->envid[0] = '\0';
	arena_reset(s->tx);
	s->ctx.arena = s->tx;
}
