/*
 * One POP3 session: greeting, CAPA, STLS, USER/PASS, the TRANSACTION
 * commands and QUIT (RFC 1939, RFC 2449, RFC 2595). Layer: front end.
 * SECURITY: USER and PASS only over TLS (RFC 8314, SECURITY.md item 3);
 * STLS drops pipelined plaintext; the password is wiped after use.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/str.h"
#include "core/tally.h"
#include "instance/instance.h"
#include "pop3/pop3_internal.h"

/* RFC 2449 §4: a command line is at most 255 octets. */
#define POP3_LINE_MAX 512
#define SESSION_ARENA_CAP (64 * 1024 * 1024)
#define POP3_MAX_ERRORS 20

static int
cmd_capa(struct pop3_session *s)
{
	struct error err;
	pop3_ok(s, "capabilities follow");
	net_printf(s->conn, &err, "TOP\r\nUIDL\r\nRESP-CODES\r\n"
		"PIPELINING\r\nIMPLEMENTATION caremail\r\n");
	if (!s->signed_in && !net_is_tls(s->conn) && net_can_starttls(s->conn))
		net_printf(s->conn, &err, "STLS\r\n");
	if (!s->signed_in && net_is_tls(s->conn))
		net_printf(s->conn, &err, "USER\r\n");
	return net_printf(s->conn, &err, ".\r\n");
}

static int
cmd_stls(struct pop3_session *s)
{
	if (s->signed_in || net_is_tls(s->conn) || !net_can_starttls(s->conn))
		return pop3_err(s, "STLS is not available now");
	pop3_ok(s, "begin TLS negotiation");
	struct error err;
	if (net_starttls(s->conn, &err) < 0)
		return -1;
	s->user[0] = '\0';
	return 0;
}

static int
cmd_user(struct pop3_session *s, struct span arg)
{
	if (!net_is_tls(s->conn))
		return pop3_err(s, "[AUTH] sign in over TLS: use STLS first");
	arg = span_trim(arg);
	if (arg.len == 0 || arg.len >= sizeof(s->user))
		return pop3_err(s, "USER needs your email address");
	memcpy(s->user, arg.p, arg.len);
	s->user[arg.len] = '\0';
	return pop3_ok(s, "now the password");
}

static int
open_maildrop(struct pop3_session *s, const char *address)
{
	struct error err;
	/* SECURITY.md 35: a cap per person beside the one per address. */
	if (s->claimed[0] != '\0') {
		tally_give(s->server->sessions, s->claimed, 1);
		s->claimed[0] = '\0';
	}
	if (!tally_take(s->server->sessions, address, 1,
		    s->server->max_per_user)) {
		log_info("pop3.signin", "peer=%s user=%s result=too_many",
			net_peer(s->conn), address);
		return pop3_err(s, "[IN-USE] you have as many POP3 connections "
				   "open as are allowed; close some and try "
				   "again");
	}
	snprintf(s->claimed, sizeof(s->claimed), "%s", address);
	if (mail_user_open(&s->ctx, s->server->writer, address, &s->mail,
		    &err) < 0 ||
	    pop3_maildrop_load(s, &err) < 0) {
		log_warn("pop3.maildrop", "user=%s reason=\"%s\"", address,
			err.msg);
		return pop3_err(s, "[SYS/TEMP] the mailbox cannot be opened now");
	}
	s->signed_in = true;
	log_info("pop3.signin", "peer=%s user=%s messages=%zu",
		net_peer(s->conn), address, s->count);
	return pop3_ok(s, "signed in; %zu messages", s->count);
}

static int
cmd_pass(struct pop3_session *s, struct span arg)
{
	if (!net_is_tls(s->conn))
		return pop3_err(s, "[AUTH] sign in over TLS: use STLS first");
	if (s->user[0] == '\0')
		return pop3_err(s, "give USER first");
	char password[POP3_LINE_MAX];
	snprintf(password, sizeof(password), "%.*s", (int)arg.len, arg.p);
	struct store_person p;
	struct auth_client client = { "pop3", "", net_peer_ip(s->conn) };
	struct error err;
	s->ctx.now = clock_now();
	int rc = auth_signin(&s->ctx, s->user, password, &client, &p, &err);
	sodium_memzero(password, sizeof(password));
	s->user[0] = '\0';
	if (rc == 0)
		return open_maildrop(s, p.address);
	/*
	 * RFC 3206: [AUTH] — the credentials will not do, the user must act
	 * (turned on, changed, an app password) — said plainly only once
	 * the password was right; [SYS/TEMP] — our fault, try later, never
	 * counted against the person (SECURITY.md 26).
	 */
	if (err.code == ERROR_DENIED && err.field[0] != '\0')
		return pop3_err(s, "[AUTH] %s", err.msg);
	if (err.code == ERROR_DENIED)
		return pop3_err(s, "[AUTH] the address or password is not right");
	log_error("pop3.signin", "peer=%s result=unavailable reason=\"%s\"",
		net_peer(s->conn), err.msg);
	return pop3_err(s, "[SYS/TEMP] signing in is not possible just now "
		"because of a fault on our side; try again later");
}

static int
authorization(struct pop3_session *s, struct span verb, struct span arg)
{
	if (span_eq_nocase(verb, "CAPA"))
		return cmd_capa(s);
	if (span_eq_nocase(verb, "STLS"))
		return cmd_stls(s);
	if (span_eq_nocase(verb, "USER"))
		return cmd_user(s, arg);
	if (span_eq_nocase(verb, "PASS"))
		return cmd_pass(s, arg);
	return pop3_err(s, "sign in first");
}

static int
transaction(struct pop3_session *s, struct span verb, struct span arg)
{
	if (span_eq_nocase(verb, "STAT"))
		return pop3_cmd_stat(s);
	if (span_eq_nocase(verb, "LIST"))
		return pop3_cmd_list(s, arg, false);
	if (span_eq_nocase(verb, "UIDL"))
		return pop3_cmd_list(s, arg, true);
	if (span_eq_nocase(verb, "RETR"))
		return pop3_cmd_retr(s, arg, false);
	if (span_eq_nocase(verb, "TOP"))
		return pop3_cmd_retr(s, arg, true);
	if (span_eq_nocase(verb, "DELE"))
		return pop3_cmd_dele(s, arg);
	if (span_eq_nocase(verb, "RSET"))
		return pop3_cmd_rset(s);
	if (span_eq_nocase(verb, "NOOP"))
		return pop3_ok(s, "ok");
	if (span_eq_nocase(verb, "CAPA"))
		return cmd_capa(s);
	return pop3_err(s, "that command is not recognised");
}

/* Returns false when the session should end. */
static bool
handle_line(struct pop3_session *s, char *line, size_t len)
{
	struct span rest = span_make(line, len), verb;
	span_split(&rest, ' ', &verb);
	if (span_eq_nocase(verb, "QUIT")) {
		if (s->signed_in)
			pop3_update(s);
		else
			pop3_ok(s, "goodbye");
		return false;
	}
	int rc = s->signed_in ? transaction(s, verb, rest) :
				authorization(s, verb, rest);
	/* A failed TLS handshake leaves nothing to talk to. */
	return !(rc < 0 && span_eq_nocase(verb, "STLS"));
}

static void
session_loop(struct pop3_session *s)
{
	char line[POP3_LINE_MAX];
	int errors = 0;
	pop3_ok(s, "caremail POP3 ready");
	for (;;) {
		size_t len;
		unsigned flags;
		struct error err;
		arena_reset(s->scratch);
		if (net_read_line(s->conn, line, sizeof(line), &len, &flags,
			    &err) < 0) {
			if (err.code != ERROR_LIMIT)
				break;
			pop3_err(s, "the line is too long");
			errors++;
		} else if (flags != 0) {
			pop3_err(s, "commands end with CRLF and hold no NUL");
			errors++;
		} else if (!handle_line(s, line, len)) {
			break;
		}
		if (errors >= POP3_MAX_ERRORS) {
			pop3_err(s, "too many errors; goodbye");
			break;
		}
	}
	/* A dropped connection deletes nothing (RFC 1939 §6). */
}

void
pop3_session_run(struct net_conn *c, void *server)
{
	struct pop3_session s = { .server = server, .conn = c };
	struct error err;
	s.store = instance_store_borrow(s.server->inst, &err);
	if (s.store == NULL) {
		log_error("pop3.store", "reason=\"%s\"", err.msg);
		pop3_err(&s, "[SYS/TEMP] mail cannot be read just now");
		return;
	}
	s.arena = arena_new(SESSION_ARENA_CAP);
	s.scratch = arena_new(SESSION_ARENA_CAP);
	instance_dir_ctx(s.server->inst, s.store, s.arena, "pop3", clock_now(),
		&s.ctx);
	session_loop(&s);
	if (s.claimed[0] != '\0')
		tally_give(s.server->sessions, s.claimed, 1);
	arena_free(&s.scratch);
	arena_free(&s.arena);
	instance_store_return(s.server->inst, &s.store);
}
