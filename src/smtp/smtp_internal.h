/*
 * Shared within smtp/: the server's settings and one session's state.
 * Layer: front end, private.
 */
#ifndef SMTP_INTERNAL_H
#define SMTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_policy_stage.h"
#include "smtp/smtp.h"
#include "smtp/smtp_parse.h"

struct net_conn;
struct net_listener;
struct net_tls;

/* What a listener's sessions are for. */
enum smtp_port {
	SMTP_PORT_MX,		/* mail for our domains; never relays */
	SMTP_PORT_SUBMISSION,	/* sign-in required, then relaying allowed */
	SMTP_PORT_RELAY,	/* registered application servers (SPEC M3) */
};

struct smtp_listener_ctx {
	struct smtp_server *server;
	enum smtp_port port;
};

struct smtp_server {
	const struct instance *inst;
	struct store_writer *writer;
	struct net_tls *tls;
	char hostname[256];
	size_t max_size;	/* bytes */
	size_t max_recipients;
	size_t max_line;	/* bytes of text per DATA line, without CRLF */
	int max_errors;
	int timeout_ms;
	int greet_pause_ms;	/* MX: wait before 220 for early talkers */
	int submission_greet_pause_ms;	/* the same on submission and relay */
	bool relay_require_tls;
	uint64_t min_free;	/* bytes to keep free on the store's disk */
	struct mail_policy_settings policy;	/* the policy stage's */
	struct net_listener *listeners[4];
	struct smtp_listener_ctx mx_ctx, submission_ctx, relay_ctx;
};

struct smtp_session {
	const struct smtp_server *server;
	enum smtp_port port;
	struct net_conn *conn;
	struct store *store;
	struct arena *arena;	/* the session's */
	struct arena *tx;	/* one mail transaction's; reset by RSET */
	struct dir_ctx ctx;
	char helo[256];
	bool greeted;
	char user[256];		/* the signed-in person's address, or "" */
	/* An application: signed in with a token, or a relay host (SPEC M3). */
	struct mail_app app;	/* org_id 0: none */
	char app_name[128];
	int errors;
	/* The mail transaction. */
	bool has_mail;
	bool smtputf8;		/* MAIL gave SMTPUTF8 (RFC 6531) */
	char from[SMTP_PATH_MAX + 1];
	enum mail_send_right right;
	struct mail_recipient *recipients;
	size_t recipient_count, recipient_capacity;
	struct mail_recipient_index recipient_index;	/* each one once */
	size_t rcpt_commands;	/* accepted RCPT commands, for the limit */
	uint64_t size_hint;	/* MAIL SIZE=, 0 when not given */
	/* RFC 3461 MAIL parameters, kept with the message's queue rows. */
	const char *ret;	/* "FULL", "HDRS"; NULL: not given */
	char envid[MAIL_DSN_ENVID_MAX + 1];	/* decoded; "": not given */
};

/* Whether the client is someone: a person or an application. */
static inline bool
smtp_signed_in(const struct smtp_session *s)
{
	return s->user[0] != '\0' || s->app.org_id != 0;
}

/* Who the client is, for log lines: an address, "token:x" or "-". */
static inline const char *
smtp_who(const struct smtp_session *s)
{
	return s->user[0] != '\0' ? s->user :
	       s->app.org_id != 0 ? s->app_name : "-";
}

/* Sends "code status text" with CR, LF and other controls removed. */
int smtp_reply(struct smtp_session *s, int code, const char *status,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Replies to a domain error with the code its context gives it (one table
 * per context, STYLE.md §4) and counts it against max_errors.
 */
enum smtp_context {
	SMTP_CONTEXT_MAIL,
	SMTP_CONTEXT_RCPT,
	SMTP_CONTEXT_DATA,
};
int smtp_reply_error(struct smtp_session *s, enum smtp_context context,
	const struct error *err);

/* Ends the mail transaction (after DATA, RSET, EHLO, STARTTLS). */
void smtp_reset_transaction(struct smtp_session *s);

int smtp_cmd_auth(struct smtp_session *s, const struct smtp_command *cmd);
int smtp_cmd_data(struct smtp_session *s);

void smtp_session_run(struct net_conn *c, void *listener_ctx);

#endif
