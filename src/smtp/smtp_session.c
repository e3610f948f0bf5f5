/*
 * One SMTP session: greeting, EHLO, STARTTLS, MAIL, RCPT, RSET, NOOP, VRFY,
 * QUIT and the dispatch of AUTH and DATA (RFC 5321 §4.1, RFC 3207, RFC
 * 2920 pipelining, RFC 2034 enhanced status codes). Layer: front end.
 * SECURITY: the relay decision is mail_route's, from whether the client
 * signed in; a submission session must sign in, and only over TLS; a relay
 * session is an application server its org registered, known by its
 * address alone (never by HELO or MAIL FROM, SECURITY.md 9).
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "instance/instance.h"
#include "smtp/smtp_internal.h"

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF. */
#define SMTP_COMMAND_MAX 512
#define SESSION_ARENA_CAP (16 * 1024 * 1024)

static void
refresh_clock(struct smtp_session *s)
{
	s->ctx.now = clock_now();
}

static int
cmd_ehlo(struct smtp_session *s, const struct smtp_command *cmd)
{
	snprintf(s->helo, sizeof(s->helo), "%.*s", (int)cmd->arg.len,
		cmd->arg.p);
	s->greeted = true;
	smtp_reset_transaction(s);
	const struct smtp_server *srv = s->server;
	if (cmd->verb == SMTP_VERB_HELO)
		return smtp_reply(s, 250, NULL, "%s", srv->hostname);
	struct error err;
	/* RFC 3461 §3: DSN on every listener, so every sender may ask. */
	net_printf(s->conn, &err, "250-%s\r\n250-PIPELINING\r\n"
		"250-SIZE %zu\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
		"250-SMTPUTF8\r\n250-DSN\r\n", srv->hostname, srv->max_size);
	if (!net_is_tls(s->conn) && net_can_starttls(s->conn))
		net_printf(s->conn, &err, "250-STARTTLS\r\n");
	/* RFC 8314 §3 and SECURITY.md item 3: AUTH only once encrypted. */
	if (s->port == SMTP_PORT_SUBMISSION && net_is_tls(s->conn) &&
	    !smtp_signed_in(s))
		net_printf(s->conn, &err, "250-AUTH PLAIN LOGIN\r\n");
	return smtp_reply(s, 250, NULL, "HELP");
}

static int
cmd_starttls(struct smtp_session *s)
{
	if (net_is_tls(s->conn))
		return smtp_reply(s, 503, "5.5.1", "TLS is already in use");
	if (!net_can_starttls(s->conn))
		return smtp_reply(s, 454, "4.7.0", "TLS is not available");
	smtp_reply(s, 220, "2.0.0", "Ready to start TLS");
	struct error err;
	/* net_starttls drops anything pipelined before the handshake. */
	if (net_starttls(s->conn, &err) < 0) {
		log_info("smtp.starttls", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err.msg);
		return -1;
	}
	/* RFC 3207 §4.2: forget everything learnt before TLS. */
	s->greeted = false;
	s->helo[0] = '\0';
	smtp_reset_transaction(s);
	return 0;
}

static int
cmd_mail(struct smtp_session *s, const struct smtp_command *cmd)
{
	if (!s->greeted)
		return smtp_reply(s, 503, "5.5.1", "say EHLO first");
	if (s->has_mail)
		return smtp_reply(s, 503, "5.5.1", "a sender is already given");
	if (s->port == SMTP_PORT_SUBMISSION && !smtp_signed_in(s))
		return smtp_reply(s, 530, "5.7.0", "sign in first (AUTH)");
	if (s->port == SMTP_PORT_RELAY && s->server->relay_require_tls &&
	    !net_is_tls(s->conn))
		return smtp_reply(s, 530, "5.7.0",
			"issue STARTTLS first: this relay takes mail only "
			"encrypted");
	if (mail_address_is_utf8(cmd->path)) {
		char normal[SMTP_PATH_MAX];
		struct error bad;
		if (!cmd->smtputf8)
			return smtp_reply(s, 553, "5.6.7", "this address is "
				"written in UTF-8: give MAIL the SMTPUTF8 "
				"parameter (RFC 6531)");
		if (mail_address_intl(cmd->path, normal, sizeof(normal),
			    &bad) < 0)
			return smtp_reply(s, 501, "5.1.7", "%s", bad.msg);
	}
	if (cmd->has_size && cmd->size > s->server->max_size)
		return smtp_reply(s, 552, "5.3.4",
			"the message is larger than the %zu MB allowed",
			s->server->max_size / (1024 * 1024));
	/* SECURITY.md 25: refuse for now rather than fail mid-message. */
	uint64_t free_bytes;
	struct error err;
	if (instance_free_space(s->server->inst, &free_bytes, &err) < 0 ||
	    mail_check_free_space(free_bytes, s->server->min_free,
		    s->server->max_size, cmd->has_size ? cmd->size : 0,
		    &err) < 0)
		return smtp_reply_error(s, SMTP_CONTEXT_MAIL, &err);
	refresh_clock(s);
	if (s->app.org_id != 0) {
		s->right = MAIL_SEND_SELF;
		if (mail_check_app_sender(&s->ctx, &s->app, cmd->path,
			    &err) < 0)
			return smtp_reply_error(s, SMTP_CONTEXT_MAIL, &err);
	} else if (s->port == SMTP_PORT_SUBMISSION) {
		if (mail_check_sender(&s->ctx, s->user, cmd->path, &s->right,
			    &err) < 0)
			return smtp_reply_error(s, SMTP_CONTEXT_MAIL, &err);
	}
	s->has_mail = true;
	s->smtputf8 = cmd->smtputf8;
	s->size_hint = cmd->has_size ? cmd->size : 0;
	snprintf(s->from, sizeof(s->from), "%s", cmd->path);
	s->ret = cmd->ret;
	str_copy(s->envid, sizeof(s->envid), cmd->envid);
	return smtp_reply(s, 250, "2.1.0", "sender ok");
}

/*
 * Adds what one RCPT reached, each recipient once (the first RCPT's
 * NOTIFY and ORCPT stay with it), with this command's RFC 3461 NOTIFY and
 * ORCPT.
 */
static int
add_recipients(struct smtp_session *s, const struct smtp_command *cmd,
	struct mail_recipient *found, size_t count, struct error *err)
{
	const char *orcpt = NULL;
	if (cmd->orcpt[0] != '\0' &&
	    (orcpt = arena_strdup(s->tx, cmd->orcpt)) == NULL)
		return error_set(err, ERROR_LIMIT,
			"too many recipients for one message");
	for (size_t i = 0; i < count; i++) {
		if (mail_check_quota(s->store, &found[i], s->size_hint, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < count; i++) {
		/* One copy per recipient, however it was written. */
		bool listed;
		if (mail_recipient_index_has(&s->recipient_index, s->tx,
			    s->recipients, s->recipient_count, &found[i],
			    &listed, err) < 0)
			return -1;
		if (listed)
			continue;
		struct mail_recipient *slot = arena_array_push(s->tx,
			(void **)&s->recipients, &s->recipient_count,
			&s->recipient_capacity, sizeof(*slot));
		if (slot == NULL)
			return error_set(err, ERROR_LIMIT,
				"too many recipients for one message");
		*slot = found[i];
		slot->notify = cmd->notify;
		slot->orcpt = orcpt;
	}
	return 0;
}

static int
cmd_rcpt(struct smtp_session *s, const struct smtp_command *cmd)
{
	if (!s->has_mail)
		return smtp_reply(s, 503, "5.5.1", "give the sender (MAIL) first");
	if (s->rcpt_commands >= s->server->max_recipients)
		return smtp_reply(s, 452, "4.5.3",
			"too many recipients; send the rest in another message");
	if (!s->smtputf8 && mail_address_is_utf8(cmd->path))
		return smtp_reply(s, 553, "5.6.7", "this address is written "
			"in UTF-8, and the message's MAIL did not give the "
			"SMTPUTF8 parameter (RFC 6531)");
	struct mail_recipient *found;
	size_t count;
	struct error err;
	refresh_clock(s);
	if (mail_route(&s->ctx, cmd->path, smtp_signed_in(s), &found, &count,
		    &err) < 0 ||
	    add_recipients(s, cmd, found, count, &err) < 0)
		return smtp_reply_error(s, SMTP_CONTEXT_RCPT, &err);
	s->rcpt_commands++;
	return smtp_reply(s, 250, "2.1.5", "recipient ok");
}

static int
dispatch(struct smtp_session *s, const struct smtp_command *cmd)
{
	switch (cmd->verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
		return cmd_ehlo(s, cmd);
	case SMTP_VERB_STARTTLS:
		return cmd_starttls(s);
	case SMTP_VERB_AUTH:
		return smtp_cmd_auth(s, cmd);
	case SMTP_VERB_MAIL:
		return cmd_mail(s, cmd);
	case SMTP_VERB_RCPT:
		return cmd_rcpt(s, cmd);
	case SMTP_VERB_DATA:
		return smtp_cmd_data(s);
	case SMTP_VERB_RSET:
		smtp_reset_transaction(s);
		return smtp_reply(s, 250, "2.0.0", "reset");
	case SMTP_VERB_NOOP:
		return smtp_reply(s, 250, "2.0.0", "ok");
	case SMTP_VERB_VRFY:
		/* RFC 5321 §3.5.3: no directory harvesting over SMTP. */
		return smtp_reply(s, 252, "2.5.0",
			"send some mail and it will be delivered if it can be");
	case SMTP_VERB_HELP:
		return smtp_reply(s, 214, "2.0.0",
			"see RFC 5321; this server speaks ESMTP");
	case SMTP_VERB_QUIT:
	case SMTP_VERB_UNKNOWN:
		break;
	}
	s->errors++;
	return smtp_reply(s, 500, "5.5.1", "that command is not recognised");
}

/* Returns false when the session should end. */
static bool
handle_line(struct smtp_session *s, char *line, size_t len)
{
	struct smtp_command cmd;
	struct error err;
	if (smtp_parse_command(span_make(line, len), &cmd, &err) < 0) {
		s->errors++;
		smtp_reply(s, 501, err.field, "%s", err.msg);
		return true;
	}
	if (cmd.verb == SMTP_VERB_QUIT) {
		smtp_reply(s, 221, "2.0.0", "goodbye");
		return false;
	}
	return dispatch(s, &cmd) == 0 || net_is_tls(s->conn) ||
		cmd.verb != SMTP_VERB_STARTTLS;
}

/*
 * Reads and drops what a refused client has sent, for at most half a
 * second, so the socket is closed empty: unread input would make the
 * close a reset, and the client would never read why it was refused.
 */
static void
drain_input(struct smtp_session *s)
{
	char line[SMTP_COMMAND_MAX];
	int64_t until = clock_monotonic_ms() + 500;
	net_set_timeout(s->conn, 100);
	while (clock_monotonic_ms() < until && net_has_buffered(s->conn)) {
		size_t len;
		unsigned flags;
		struct error err;
		if (net_read_line(s->conn, line, sizeof(line), &len, &flags,
			    &err) < 0 &&
		    err.code != ERROR_LIMIT)
			break;
	}
}

static const char *
port_name(enum smtp_port port)
{
	return port == SMTP_PORT_MX ? "mx" :
	       port == SMTP_PORT_SUBMISSION ? "submission" : "relay";
}

/*
 * A relay session is its client's org's application (SPEC M3), known by
 * the address it connects from; any other client is turned away at once,
 * with what to do about it. False when the session should end.
 */
static bool
know_relay_host(struct smtp_session *s)
{
	struct store_relay_host host;
	struct error err;
	refresh_clock(s);
	if (dir_relay_find(&s->ctx, net_peer_ip(s->conn), &host, &err) < 0) {
		if (err.code != ERROR_NOT_FOUND) {
			log_error("smtp.relay", "peer=%s reason=\"%s\"",
				net_peer(s->conn), err.msg);
			smtp_reply(s, 421, "4.3.0",
				"mail cannot be taken just now");
			return false;
		}
		log_info("smtp.relay_refused", "peer=%s", net_peer(s->conn));
		smtp_reply(s, 554, "5.7.1", "%s; an organisation's Local "
			"Administrator registers its application servers "
			"(caremail relay add)", err.msg);
		return false;
	}
	snprintf(s->app_name, sizeof(s->app_name), "relay:%s", host.label);
	s->app = (struct mail_app){ host.org_id, s->app_name };
	log_info("smtp.relay_host", "peer=%s org=%s app=\"%s\"",
		net_peer(s->conn), dir_org_ods(&s->ctx, host.org_id),
		s->app_name);
	return true;
}

/*
 * SECURITY.md 18: RFC 5321 §4.3.1 has the client wait for the greeting, so
 * one that talks first is a bot firing its whole transaction blind (as
 * Postfix's postscreen pregreet test finds). Returns false when the
 * session should end: the client talked first, or left.
 */
static bool
greet(struct smtp_session *s)
{
	int pause = s->port == SMTP_PORT_MX ? s->server->greet_pause_ms :
				    s->server->submission_greet_pause_ms;
	bool early = pause > 0 ?
		net_wait_input(s->conn, -1, pause) == NET_WAIT_INPUT :
		net_has_buffered(s->conn);
	if (early) {
		/* Input or a close: only input is worth a word. */
		if (!net_has_buffered(s->conn))
			return false;
		log_info("smtp.early_talker", "peer=%s listener=%s",
			net_peer(s->conn), port_name(s->port));
		drain_input(s);
		smtp_reply(s, 554, "5.5.0",
			"%s does not take mail from clients that talk before "
			"its greeting (RFC 5321 4.3.1)", s->server->hostname);
		return false;
	}
	if (s->port == SMTP_PORT_RELAY && !know_relay_host(s))
		return false;
	smtp_reply(s, 220, NULL, "%s ESMTP ready", s->server->hostname);
	return true;
}

static void
session_loop(struct smtp_session *s)
{
	char line[SMTP_COMMAND_MAX];
	if (!greet(s))
		return;
	for (;;) {
		size_t len;
		unsigned flags;
		struct error err;
		if (net_read_line(s->conn, line, sizeof(line), &len, &flags,
			    &err) < 0) {
			/* RFC 5321 §4.5.3.2: say why before closing. */
			if (err.code == ERROR_TEMPORARY)
				smtp_reply(s, 421, "4.4.2",
					"idle for too long; goodbye");
			if (err.code != ERROR_LIMIT)
				break;
			s->errors++;
			smtp_reply(s, 500, "5.5.2", "the line is too long");
		} else if (flags != 0) {
			s->errors++;
			smtp_reply(s, 500, "5.5.2",
				"commands end with CRLF and hold no NUL");
		} else if (!handle_line(s, line, len)) {
			break;
		}
		if (s->errors >= s->server->max_errors) {
			smtp_reply(s, 421, "4.7.0", "too many errors; goodbye");
			break;
		}
	}
}

void
smtp_session_run(struct net_conn *c, void *listener_ctx)
{
	const struct smtp_listener_ctx *lctx = listener_ctx;
	struct smtp_session s = { .server = lctx->server, .port = lctx->port,
		.conn = c };
	struct error err;
	s.store = instance_store_borrow(s.server->inst, &err);
	if (s.store == NULL) {
		log_error("smtp.store", "reason=\"%s\"", err.msg);
		smtp_reply(&s, 421, "4.3.0", "mail cannot be taken just now");
		return;
	}
	s.arena = arena_new(SESSION_ARENA_CAP);
	s.tx = arena_new(SESSION_ARENA_CAP);
	instance_dir_ctx(s.server->inst, s.store, s.tx, "smtp", clock_now(),
		&s.ctx);
	session_loop(&s);
	arena_free(&s.tx);
	arena_free(&s.arena);
	instance_store_return(s.server->inst, &s.store);
}
