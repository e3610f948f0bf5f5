/*
 * Shared within pop3/: the server and one session's state. Layer: front
 * end, private.
 */
#ifndef POP3_INTERNAL_H
#define POP3_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail_folder.h"
#include "pop3/pop3.h"

struct net_conn;
struct net_listener;

struct tally;

struct pop3_server {
	const struct instance *inst;
	struct store_writer *writer;
	struct net_listener *listeners[2];
	/* Signed-in sessions per person, over both listeners. */
	struct tally *sessions;
	int64_t max_per_user;	/* 0: no cap */
};

/* One message of the maildrop as it stood at sign-in (RFC 1939 §8). */
struct pop3_message {
	struct store_message row;
	bool deleted;
};

struct pop3_session {
	const struct pop3_server *server;
	struct net_conn *conn;
	struct store *store;
	struct arena *arena;	/* the session's: the maildrop lives here */
	struct arena *scratch;	/* one command's */
	struct dir_ctx ctx;
	char user[256];		/* after USER, before PASS */
	bool signed_in;
	char claimed[256];	/* whose session slot this holds, or "" */
	struct mail_user mail;
	struct mail_folder inbox;
	struct pop3_message *messages;
	size_t count;
};

int pop3_ok(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pop3_err(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* TRANSACTION state commands; argument text as the client sent it. */
int pop3_cmd_stat(struct pop3_session *s);
int pop3_cmd_list(struct pop3_session *s, struct span arg, bool uidl);
int pop3_cmd_retr(struct pop3_session *s, struct span arg, bool top);
int pop3_cmd_dele(struct pop3_session *s, struct span arg);
int pop3_cmd_rset(struct pop3_session *s);
/* The UPDATE state: expunges what was deleted (RFC 1939 §6). */
int pop3_update(struct pop3_session *s);
/* Loads the INBOX snapshot after sign-in. */
int pop3_maildrop_load(struct pop3_session *s, struct error *err);

void pop3_session_run(struct net_conn *c, void *server);

#endif
