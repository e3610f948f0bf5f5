/*
 * One IMAP session: the greeting, reading each command with its literals,
 * the state checks and dispatch to the command groups (RFC 3501 §2.2, §3,
 * §7; RFC 7888 LITERAL+). Replies: imap_reply.c and imap_output.c; what a
 * session holds between commands: imap_hold.c. Layer: front end.
 * SECURITY: a literal's size is checked before the "+" and before any
 * memory is set aside for it (SECURITY.md item 31); a command in the wrong
 * state is refused (item 33); each session's memory is in capped arenas;
 * passwords pass through a wiping arena; repeated errors and silence end
 * the session (items 17, 35).
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/spool.h"
#include "core/tally.h"
#include "core/xmalloc.h"
#include "imap/imap_internal.h"
#include "instance/instance.h"
#include "mail/mail_mime.h"

#define SESSION_ARENA_CAP (1024 * 1024)
/* An APPEND's message past this goes from memory to a file. */
#define APPEND_MEMORY_MAX (256 * 1024)
/* Before sign-in a client gets this long per command (SECURITY.md 17). */
#define PREAUTH_TIMEOUT_MS (60 * 1000)

_Static_assert((unsigned)IMAP_FLAG_SEEN == (unsigned)STORE_FLAG_SEEN &&
		(unsigned)IMAP_FLAG_ANSWERED == (unsigned)STORE_FLAG_ANSWERED &&
		(unsigned)IMAP_FLAG_FLAGGED == (unsigned)STORE_FLAG_FLAGGED &&
		(unsigned)IMAP_FLAG_DELETED == (unsigned)STORE_FLAG_DELETED &&
		(unsigned)IMAP_FLAG_DRAFT == (unsigned)STORE_FLAG_DRAFT,
	"IMAP and store flag bits agree");

/* ---- reading a command ---- */

/* The command being read: lines joined by CRLF with literals inline. */
struct command_buffer {
	char *p;
	size_t len, cap;
};

/* Room for n more bytes, in the command arena; false past its cap. */
static bool
buffer_reserve(struct imap_session *s, struct command_buffer *b, size_t n)
{
	if (b->cap - b->len >= n)
		return true;
	size_t cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n;
	if (cap < 4096)
		cap = 4096;
	char *p = arena_alloc(s->cmd, cap);
	if (p == NULL)
		return false;
	if (b->len > 0)
		memcpy(p, b->p, b->len);
	b->p = p;
	b->cap = cap;
	return true;
}

enum read_result {
	READ_OK,      /* a whole command is in the buffer */
	READ_REFUSED, /* answered already; read the next one */
	READ_END,     /* the session is over */
};

/* After a refused non-synchronising literal its bytes are on their way. */
static enum read_result
refuse_literal(struct imap_session *s, enum imap_literal_kind kind,
	const char *code, const char *why)
{
	s->errors++;
	imap_tagged(s, code != NULL ? "NO" : "BAD", code, "%s", why);
	if (kind != IMAP_LITERAL_NONSYNC)
		return READ_REFUSED;
	/* Its bytes look like commands: RFC 7888 §4 lets us close. */
	imap_untagged(s, "BYE a literal that large cannot be taken");
	return READ_END;
}

/*
 * After refusing a command's first line: if it announced a literal the
 * client will not wait to send (or one we cannot even size), its bytes
 * are coming and cannot be told from commands, so the session ends.
 */
static enum read_result
after_refused_line(struct imap_session *s, size_t len)
{
	enum imap_literal_kind kind;
	uint64_t size;
	struct error err;
	if (imap_parse_literal_suffix(span_make(s->line, len), &kind, &size,
		    &err) < 0 ||
		kind == IMAP_LITERAL_NONSYNC) {
		imap_untagged(s, "BYE cannot find where that command ends");
		return READ_END;
	}
	return READ_REFUSED;
}

/* Reads a line; READ_OK with *len_r, else what the session should do. */
static enum read_result
read_line(struct imap_session *s, size_t *len_r, bool first)
{
	unsigned flags;
	struct error err;
	if (net_read_line(s->conn, s->line, IMAP_LINE_MAX, len_r, &flags,
		    &err) < 0) {
		if (err.code == ERROR_LIMIT) {
			s->errors++;
			if (first)
				imap_untagged(s,
					"BAD the line is longer than "
					"%d bytes",
					IMAP_LINE_MAX - 1);
			else
				imap_tagged(s, "BAD", NULL,
					"the line is longer "
					"than %d bytes",
					IMAP_LINE_MAX - 1);
			return READ_REFUSED;
		}
		if (err.code == ERROR_TEMPORARY)
			imap_untagged(s, "BYE nothing was said for too long");
		return READ_END;
	}
	if (flags != 0) {
		/* A NUL or bare CR/LF (CVE-2019-11500): BAD, tagged if we can.
		 */
		struct span name;
		bool uid;
		s->errors++;
		if (first &&
			imap_parse_head(span_make(s->line, *len_r), &s->tag,
				&name, &uid, &err) < 0 &&
			s->tag.len == 0) {
			imap_untagged(s,
				"BAD commands end with CRLF and hold "
				"no NUL");
			return after_refused_line(s, *len_r);
		}
		imap_tagged(s, "BAD", NULL,
			"commands end with CRLF and hold no "
			"NUL");
		return first ? after_refused_line(s, *len_r) : READ_REFUSED;
	}
	return READ_OK;
}

/*
 * Counts n bytes of a literal against the signed-in person's budget over
 * all their sessions (imap.user_literal_budget_mb); false when it would
 * pass it. Nothing is counted before sign-in: the limits are smaller.
 */
static bool
literal_take(struct imap_session *s, uint64_t n)
{
	if (s->state == IMAP_STATE_NOT_AUTHENTICATED)
		return true;
	if (!tally_take(s->server->literals, s->user.address, (int64_t)n,
		    s->server->literal_budget))
		return false;
	s->literal_held += (int64_t)n;
	return true;
}

/*
 * Reads an APPEND's message literal into the session's spool, a line
 * buffer at a time, so it never sits whole in memory. A spool that fails
 * (a full disk) is read to the end all the same, to stay in step with
 * the client, and APPEND answers NO.
 */
static enum read_result
read_spooled_literal(struct imap_session *s, uint64_t size)
{
	struct error err;
	if (s->append_spool == NULL)
		s->append_spool = spool_new(s->server->inst->spool_dir,
			APPEND_MEMORY_MAX, s->server->max_message);
	while (size > 0) {
		size_t n = size < IMAP_LINE_MAX ? (size_t)size : IMAP_LINE_MAX;
		if (net_read_exact(s->conn, s->line, n, &err) < 0)
			return READ_END;
		if (!s->append_failed &&
		    spool_append(s->append_spool, s->line, n,
			    &s->append_fault) < 0)
			s->append_failed = true;
		size -= n;
	}
	return READ_OK;
}

/* Puts "{0}" where the line's literal was announced: the spool has it. */
static void
buffer_mark_spooled(struct command_buffer *b, size_t line_len)
{
	for (size_t i = b->len; i > b->len - line_len; i--) {
		if (b->p[i - 1] == '{') {
			b->len = i - 1;
			break;
		}
	}
	memcpy(b->p + b->len, "{0}", 3);
	b->len += 3;
}

static enum read_result
read_command(struct imap_session *s, struct command_buffer *b)
{
	size_t len;
	enum read_result r = read_line(s, &len, true);
	if (r != READ_OK)
		return r;
	if (len == 0)
		return READ_REFUSED; /* an empty line: say nothing */
	struct span name;
	bool uid;
	struct error err;
	if (imap_parse_head(span_make(s->line, len), &s->tag, &name, &uid,
		    &err) < 0) {
		s->errors++;
		if (s->tag.len == 0)
			imap_untagged(s, "BAD %s", err.msg);
		else
			imap_tagged(s, "BAD", NULL, "%s", err.msg);
		return after_refused_line(s, len);
	}
	/* The tag must outlive the line buffer, which literals reuse. */
	char *tag = arena_strndup(s->cmd, s->tag.p, s->tag.len);
	if (tag == NULL)
		return READ_END;
	s->tag = span_make(tag, s->tag.len);
	bool signed_in = s->state != IMAP_STATE_NOT_AUTHENTICATED;
	bool append = signed_in && span_eq_nocase(name, "APPEND");
	size_t literal_max = !signed_in ? IMAP_PREAUTH_LITERAL_MAX :
		append			? s->server->max_message :
					  IMAP_LITERAL_MAX;
	size_t command_max = signed_in ? IMAP_COMMAND_MAX :
					 IMAP_PREAUTH_COMMAND_MAX;
	for (;;) {
		if (b->len + len + 2 > command_max ||
			!buffer_reserve(s, b, len + 2))
			return refuse_literal(s, IMAP_LITERAL_NONE, NULL,
				"the command is too long");
		memcpy(b->p + b->len, s->line, len);
		b->len += len;
		enum imap_literal_kind kind;
		uint64_t size;
		if (imap_parse_literal_suffix(span_make(s->line, len), &kind,
			    &size, &err) < 0)
			return refuse_literal(s,
				len >= 2 && s->line[len - 2] == '+' ?
					IMAP_LITERAL_NONSYNC :
					IMAP_LITERAL_SYNC,
				append ? "TOOBIG" : NULL, err.msg);
		if (kind == IMAP_LITERAL_NONE)
			return READ_OK;
		/*
		 * SECURITY.md item 31: sized up before "+" or any memory;
		 * only APPEND's message may be large, and it is spooled.
		 */
		bool spooled = append && size > IMAP_LITERAL_MAX;
		if (size > literal_max ||
			(!spooled && b->len + 2 + size > command_max))
			return refuse_literal(s, kind, append ? "TOOBIG" : NULL,
				!signed_in ? "a literal that large is not taken "
					     "before signing in" :
				append ? "the message is larger than allowed" :
					 "the literal is larger than allowed");
		if (spooled && s->append_spool != NULL)
			return refuse_literal(s, kind, NULL,
				"APPEND takes one message at a time");
		if (!literal_take(s, size))
			return refuse_literal(s, kind, "LIMIT",
				"your sessions are taking in as much as they "
				"may at once; try again when they finish");
		if (!spooled &&
			!buffer_reserve(s, b, 2 + (size_t)size + IMAP_LINE_MAX))
			return refuse_literal(s, kind, "LIMIT",
				"the command is too big for this session");
		if (kind == IMAP_LITERAL_SYNC &&
			net_printf(s->conn, &err, "+ go ahead\r\n") < 0)
			return READ_END;
		if (spooled) {
			buffer_mark_spooled(b, len);
			if (read_spooled_literal(s, size) != READ_OK)
				return READ_END;
			size = 0;
		}
		memcpy(b->p + b->len, "\r\n", 2);
		b->len += 2;
		if (net_read_exact(s->conn, b->p + b->len, (size_t)size, &err) <
			0)
			return READ_END;
		b->len += (size_t)size;
		r = read_line(s, &len, false);
		if (r != READ_OK)
			return r;
	}
}

/* ---- dispatch ---- */

#define STATE_BIT(st) (1u << (st))
#define ANY_STATE                                                              \
	(STATE_BIT(IMAP_STATE_NOT_AUTHENTICATED) |                             \
		STATE_BIT(IMAP_STATE_AUTHENTICATED) |                          \
		STATE_BIT(IMAP_STATE_SELECTED))
#define NOT_AUTHENTICATED STATE_BIT(IMAP_STATE_NOT_AUTHENTICATED)
#define AUTHENTICATED                                                          \
	(STATE_BIT(IMAP_STATE_AUTHENTICATED) | STATE_BIT(IMAP_STATE_SELECTED))
#define SELECTED STATE_BIT(IMAP_STATE_SELECTED)

struct imap_command_spec {
	const char *name;
	unsigned states; /* STATE_BIT()s it may run in */
	bool uid;	 /* "UID name" exists */
	/*
	 * EXPUNGE responses may not be sent during FETCH, STORE or SEARCH
	 * by sequence number (RFC 3501 §7.4.1): the numbers would shift
	 * under the client.
	 */
	bool numbered;
	int (*run)(struct imap_session *s, const struct imap_command *c);
};

static const struct imap_command_spec imap_commands[] = {
	{ "CAPABILITY", ANY_STATE, false, false, imap_cmd_capability },
	{ "NOOP", ANY_STATE, false, false, imap_cmd_noop },
	{ "LOGOUT", ANY_STATE, false, false, imap_cmd_logout },
	{ "ID", ANY_STATE, false, false, imap_cmd_id },
	{ "STARTTLS", NOT_AUTHENTICATED, false, false, imap_cmd_starttls },
	{ "LOGIN", NOT_AUTHENTICATED, false, false, imap_cmd_login },
	{ "AUTHENTICATE", NOT_AUTHENTICATED, false, false,
		imap_cmd_authenticate },
	{ "ENABLE", AUTHENTICATED, false, false, imap_cmd_enable },
	{ "SELECT", AUTHENTICATED, false, false, imap_cmd_select },
	{ "EXAMINE", AUTHENTICATED, false, false, imap_cmd_select },
	{ "CREATE", AUTHENTICATED, false, false, imap_cmd_create },
	{ "DELETE", AUTHENTICATED, false, false, imap_cmd_delete },
	{ "RENAME", AUTHENTICATED, false, false, imap_cmd_rename },
	{ "SUBSCRIBE", AUTHENTICATED, false, false, imap_cmd_subscribe },
	{ "UNSUBSCRIBE", AUTHENTICATED, false, false, imap_cmd_subscribe },
	{ "LIST", AUTHENTICATED, false, false, imap_cmd_list },
	{ "LSUB", AUTHENTICATED, false, false, imap_cmd_list },
	{ "NAMESPACE", AUTHENTICATED, false, false, imap_cmd_namespace },
	{ "STATUS", AUTHENTICATED, false, false, imap_cmd_status },
	{ "APPEND", AUTHENTICATED, false, false, imap_cmd_append },
	{ "IDLE", AUTHENTICATED, false, false, imap_cmd_idle },
	{ "CHECK", SELECTED, false, false, imap_cmd_check },
	{ "CLOSE", SELECTED, false, false, imap_cmd_close },
	{ "UNSELECT", SELECTED, false, false, imap_cmd_unselect },
	{ "EXPUNGE", SELECTED, true, false, imap_cmd_expunge },
	{ "SEARCH", SELECTED, true, true, imap_cmd_search },
	{ "FETCH", SELECTED, true, true, imap_cmd_fetch },
	{ "STORE", SELECTED, true, true, imap_cmd_store },
	{ "COPY", SELECTED, true, false, imap_cmd_copy },
	{ "MOVE", SELECTED, true, false, imap_cmd_copy },
};

static int
dispatch(struct imap_session *s, struct span buf)
{
	struct imap_command cmd;
	struct error err;
	if (imap_parse_command(buf, s->cmd, &cmd, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	const struct imap_command_spec *spec = NULL;
	for (size_t i = 0; i < sizeof(imap_commands) / sizeof(*imap_commands);
		i++) {
		if (span_eq_nocase(cmd.name, imap_commands[i].name))
			spec = &imap_commands[i];
	}
	if (spec == NULL || (cmd.uid && !spec->uid))
		return imap_bad(s, "that command is not recognised");
	if ((spec->states & STATE_BIT(s->state)) == 0) {
		/* SECURITY.md item 33: nothing runs in the wrong state. */
		if (s->state == IMAP_STATE_NOT_AUTHENTICATED)
			return imap_bad(s, "%s needs you to sign in first",
				spec->name);
		if (spec->states == SELECTED)
			return imap_bad(s, "%s needs a mailbox selected",
				spec->name);
		return imap_bad(s, "%s is not allowed now", spec->name);
	}
	if (imap_view_check_access(s) < 0)
		return -1;
	s->uid_command = cmd.uid;
	s->may_expunge = cmd.uid || !spec->numbered;
	return spec->run(s, &cmd);
}

/* Gives back what the last command held of the person's budget. */
static void
literals_done(struct imap_session *s)
{
	spool_free(&s->append_spool);
	s->append_failed = false;
	if (s->literal_held > 0)
		tally_give(s->server->literals, s->user.address,
			s->literal_held);
	s->literal_held = 0;
}

/* A new command: the last one's memory goes, its secrets wiped. */
static void
command_done(struct imap_session *s)
{
	literals_done(s);
	arena_reset(s->cmd);
	arena_reset(s->page);
	arena_reset(s->msg);
	s->ctx.arena = s->cmd;
	s->tag = span_make("*", 1);
}

static void
session_loop(struct imap_session *s)
{
	struct error err;
	net_printf(s->conn, &err,
		"* OK [CAPABILITY %s] caremail IMAP ready\r\n",
		imap_capabilities(s));
	for (;;) {
		struct command_buffer b = { 0 };
		enum read_result r = read_command(s, &b);
		if (r == READ_END)
			break;
		if (r == READ_OK) {
			s->ctx.now = clock_now();
			if (dispatch(s, span_make(b.p, b.len)) < 0)
				break;
		}
		command_done(s);
		if (s->errors >= s->server->max_errors) {
			imap_untagged(s, "BYE too many errors; goodbye");
			break;
		}
	}
}

void
imap_session_run(struct net_conn *c, void *server)
{
	struct imap_session s = { .server = server, .conn = c };
	s.arena = arena_new(SESSION_ARENA_CAP);
	s.cmd = arena_new_wiping(IMAP_CMD_ARENA_CAP(s.server));
	s.page = arena_new(IMAP_PAGE_ARENA_CAP);
	s.msg = arena_new(IMAP_MSG_ARENA_CAP(s.server));
	s.view.arena = arena_new(SESSION_ARENA_CAP);
	s.line = xmalloc(IMAP_LINE_MAX);
	s.tag = span_make("*", 1);
	instance_dir_ctx(s.server->inst, s.store, s.cmd, "imap", clock_now(),
		&s.ctx);
	net_set_timeout(c,
		s.server->timeout_ms < PREAUTH_TIMEOUT_MS ?
			s.server->timeout_ms :
			PREAUTH_TIMEOUT_MS);
	session_loop(&s);
	if (s.user.address != NULL)
		log_info("imap.logout", "peer=%s user=%s", net_peer(c),
			s.user.address);
	imap_view_close(&s);
	literals_done(&s);
	if (s.claimed)
		tally_give(s.server->sessions, s.user.address, 1);
	sodium_memzero(s.line, IMAP_LINE_MAX);
	free(s.line);
	arena_free(&s.view.arena);
	arena_free(&s.msg);
	arena_free(&s.page);
	arena_free(&s.cmd);
	arena_free(&s.arena);
	instance_store_return(s.server->inst, &s.store);
}
