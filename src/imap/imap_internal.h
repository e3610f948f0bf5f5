/*
 * Shared within imap/: the server's settings, one session's state, the view
 * of the selected mailbox, reply helpers and the command handlers, one file
 * per group. Layer: front end, private.
 */
#ifndef IMAP_INTERNAL_H
#define IMAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "imap/imap.h"
#include "imap/imap_parse.h"
#include "mail/mail_folder.h"

struct net_conn;
struct net_listener;
struct spool;
struct tally;

/* The longest command line, without CRLF (RFC 7162 §4 suggests 8192+). */
#define IMAP_LINE_MAX (64 * 1024)
/*
 * A literal outside APPEND, and a whole command, held in memory; an
 * APPEND literal larger than IMAP_LITERAL_MAX goes to a spool instead.
 */
#define IMAP_LITERAL_MAX (64 * 1024)
#define IMAP_COMMAND_MAX (1024 * 1024)
/*
 * Before sign-in only the sign-in commands can run, and their literals
 * are names and passwords: nothing larger is taken, so an unauthenticated
 * client cannot make the server hold memory (SECURITY.md 31).
 */
#define IMAP_PREAUTH_LITERAL_MAX 4096
#define IMAP_PREAUTH_COMMAND_MAX (16 * 1024)
/* Rows read from the store at a time when walking a large folder. */
#define IMAP_PAGE_ROWS 256

struct imap_server {
	const struct instance *inst;
	struct store_writer *writer;
	struct net_tls *tls;
	size_t max_message; /* APPEND's literal cap, bytes */
	int timeout_ms;	    /* once signed in; shorter before */
	int max_errors;	    /* BAD replies before the session is closed */
	struct net_listener *listeners[2];
	/* Per person, over every session and listener (SECURITY.md 35). */
	struct tally *sessions;	/* signed-in sessions */
	int64_t max_per_user;	/* 0: no cap */
	struct tally *literals;	/* literal bytes being read */
	int64_t literal_budget;	/* bytes */
};

enum imap_state {
	IMAP_STATE_NOT_AUTHENTICATED,
	IMAP_STATE_AUTHENTICATED,
	IMAP_STATE_SELECTED,
};

/*
 * The selected mailbox as this session has announced it: the UID of each
 * message by sequence number (RFC 3501 §2.3.1.2), and its flags as the
 * client was last told them, so a change another session makes is told
 * at the next sync. Messages others add appear at the next sync (EXISTS);
 * ones others expunge stay until an EXPUNGE response may be sent, and are
 * skipped meanwhile.
 */
struct imap_view_kwset {
	uint64_t hash;
	const char *keywords;
};

struct imap_view {
	struct mail_folder folder; /* strings in the view's arena */
	bool read_only;		   /* EXAMINE */
	uint32_t *uids;		   /* heap; by sequence number - 1 */
	uint8_t *flags;		   /* heap; enum imap_flag bits, as told */
	uint64_t *keywords;	   /* heap; imap_keywords_hash; NULL: all 0 */
	size_t count, capacity;
	/*
	 * Set while the three arrays above are a kept view's, shared with
	 * other sessions and read only (imap_view.c copies them before the
	 * first change: \Recent, flags told, expunges, new messages).
	 */
	struct imap_shared_view *shared;
	const char **keyword_names; /* in the FLAGS list; view's arena */
	size_t keyword_count, keyword_capacity;
	uint64_t change_seq; /* mail_change_seq when last synced */
	int64_t db_changes;  /* mail_folder_changes then; -1: unknown */
	/*
	 * The keyword lists behind the hashes in keywords[], so FLAGS can be
	 * answered from the view (imap_view_fetch_flags); kwsets_off when
	 * there are too many or two lists share a hash.
	 */
	struct imap_view_kwset *kwsets; /* view's arena */
	size_t kwset_count, kwset_capacity;
	bool kwsets_off;
	bool stale;	     /* expunges wait to be reported */
	struct arena *arena; /* reset when the mailbox is closed */
};

struct imap_session {
	const struct imap_server *server;
	struct net_conn *conn;
	enum imap_state state;
	struct store *store;
	struct arena *arena; /* the session's: who signed in */
	struct arena *cmd;   /* one command's (wiping: passwords); reset */
	struct arena *page;  /* a page of rows, a sync; reset often */
	struct arena *msg;   /* one message's body and parts; reset often */
	struct dir_ctx ctx;  /* ctx.arena is cmd */
	struct mail_user user;
	struct imap_view view;
	int errors;
	char *line;	    /* IMAP_LINE_MAX bytes, heap */
	struct span tag;    /* of the command being run */
	char tag_kept[128]; /* a short tag, while IDLE frees the arena */
	bool uid_command;   /* the command is a UID one */
	bool may_expunge;   /* EXPUNGE responses allowed (RFC 3501 §7.4.1) */
	char client[128];   /* "name version" from ID, for the devices list */
	bool claimed;	    /* holds one of the person's session slots */
	int64_t literal_held; /* this command's bytes of the person's budget */
	/* An APPEND's message, read to a spool (memory, then a file). */
	struct spool *append_spool;
	bool append_failed; /* the spool refused it: append_fault says why */
	struct error append_fault;
};

/* ---- the session's resources (imap_hold.c) ---- */

/* The scratch arenas: a page of rows, a message, a command's arguments. */
#define IMAP_PAGE_ARENA_CAP (64 * 1024 * 1024)
/* APPEND's large messages go to a spool, not the command's arena. */
#define IMAP_CMD_ARENA_CAP(srv) (3 * IMAP_COMMAND_MAX + IMAP_LINE_MAX)
#define IMAP_MSG_ARENA_CAP(srv) \
	(2 * (srv)->max_message + IMAP_PAGE_ARENA_CAP)

/*
 * Borrows a pooled store connection if the session has none. Sessions take
 * one at sign-in, not at connect, and IDLE gives it back while it waits.
 */
int imap_store_open(struct imap_session *s, struct error *err);

/*
 * Gives back what a waiting session does not need: the store connection
 * and the scratch arenas (PERFORMANCE.md B4: memory per idle connection).
 * The command's tag is kept; its arguments are not.
 */
void imap_session_release(struct imap_session *s);

/*
 * Takes one of the signed-in person's session slots (imap.max_per_user);
 * false when they have them all. Given back when the session ends.
 */
bool imap_session_claim(struct imap_session *s);

/* ---- replies (imap_reply.c: completing a command; imap_output.c) ---- */

/*
 * Completes the command: "tag OK|NO|BAD [code] text". Before an OK the
 * selected mailbox is synced, so untagged EXISTS/EXPUNGE come first. The
 * text has control characters replaced; code may be NULL. Returns 0, or -1
 * when the connection has failed.
 */
int imap_tagged(struct imap_session *s, const char *status, const char *code,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "* " fmt CRLF; fmt and arguments must already be protocol-safe. */
int imap_untagged(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sends bytes as they are (built responses, literal bodies). */
int imap_write(struct imap_session *s, const void *data, size_t len);

/* BAD for a command the client got wrong; counts toward max_errors. */
int imap_bad(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * NO (or BAD for ERROR_INVALID from the parser side) for a domain error,
 * with the RFC 5530 response code the one table gives it (STYLE.md §4);
 * internal faults are logged and not shown.
 */
int imap_reply_error(struct imap_session *s, const struct error *err);

/* The CAPABILITY list for this session's state and TLS. */
const char *imap_capabilities(const struct imap_session *s);

/* A mailbox name as an IMAP string (quoted, or a literal) into out. */
int imap_append_mailbox(struct str *out, const char *name);

/* "(\Seen \Flagged $Work)" for flags and space-separated keywords. */
int imap_append_flags(struct str *out, unsigned flags, const char *keywords);

/* ---- the selected mailbox (imap_view.c) ---- */

/*
 * What SELECT read as it opened the folder, in this order: the changes
 * this process had heard of in the folder's mailbox (mail_change_seq),
 * then the folder's state (mail_folder_open_with_state).
 */
struct imap_view_opened {
	uint64_t change_seq;
	struct mail_folder_state state;
};

/*
 * Loads a freshly opened folder's UIDs and flags into the view, and claims
 * its new messages as \Recent for this session unless read_only (RFC
 * 3501 §6.3.2: EXAMINE shows them recent without claiming them). With
 * `opened`, what was read then is taken, not read again.
 */
int imap_view_open(struct imap_session *s, const struct mail_folder *f,
	bool read_only, const struct imap_view_opened *opened,
	struct error *err);

/*
 * "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" for the view: the
 * system flags and every keyword a message of the mailbox carries (RFC
 * 3501 §7.2.6), at SELECT and again whenever a new keyword appears.
 */
int imap_view_announce_flags(struct imap_session *s);

/*
 * Before a response shows keywords: adds those the FLAGS list lacks and
 * sends the list again (imap_view_announce_flags). 0, or -1 when the
 * connection failed.
 */
int imap_view_learn_keywords(struct imap_session *s, const char *keywords);

/* A message's flags as a session shows them: with \Recent when so. */
unsigned imap_view_flags(const struct imap_view *v, size_t seq,
	unsigned stored_flags);

/*
 * Records that the client has just been told these flags of message seq
 * (a FETCH or STORE response), so a sync does not tell it again.
 */
void imap_view_flags_told(struct imap_view *v, size_t seq, unsigned flags,
	const char *keywords);

/* The sequence number of the view's first message without \Seen, or 0. */
size_t imap_view_first_unseen(const struct imap_view *v);

/* How many messages of the view are \Recent to this session. */
size_t imap_view_recent_count(const struct imap_view *v);

/* A stand-in for a keyword list in the view: 0 for none. */
uint64_t imap_keywords_hash(const char *keywords);

/* Forgets the selected mailbox; back to the authenticated state. */
void imap_view_close(struct imap_session *s);

/*
 * Brings the view up to date when its mailbox changed (or always, when
 * force): "* n FETCH (UID u FLAGS (...))" for each message whose flags
 * another session changed (with "* FLAGS" first for a new keyword), "* n
 * EXPUNGE" for messages gone, when s->may_expunge, then "* n EXISTS" and
 * "* n RECENT" for new ones. A mailbox whose grant was removed or which
 * was deleted ends the session with BYE: returns -1 then.
 */
int imap_view_sync(struct imap_session *s, bool force);

/*
 * For a shared mailbox: whether the grant still holds, before each command
 * (SPEC A3), as imap_view_sync's check. 0, or -1 after BYE.
 */
int imap_view_check_access(struct imap_session *s);

/* The sequence number of a UID in the view, or 0. */
size_t imap_view_seq(const struct imap_view *v, int64_t uid);

/* Removes UIDs from the view, sending "* n EXPUNGE" for each. */
int imap_view_expunged(struct imap_session *s, const int64_t *uids,
	size_t count);

struct imap_uid_range {
	int64_t lo, hi; /* lo <= hi */
};

/*
 * The UIDs a sequence set names (UID set when uid), as sorted, merged
 * ranges in arena a. Numbers outside the view are ignored; rows within a
 * range may be ones the view no longer holds, so callers check each with
 * imap_view_seq.
 */
int imap_view_ranges(const struct imap_view *v, const struct imap_seqset *set,
	bool uid, struct arena *a, struct imap_uid_range **ranges_r,
	size_t *count_r, struct error *err);

/* How many messages of the view have UIDs within the ranges. */
size_t imap_view_count_in(const struct imap_view *v,
	const struct imap_uid_range *ranges, size_t count);

/* The view's indexes [*first_r, *end_r) of the UIDs within range r. */
void imap_view_span(const struct imap_view *v, const struct imap_uid_range *r,
	size_t *first_r, size_t *end_r);

/*
 * Whether a FETCH or STORE by sequence number answered fewer messages than
 * the client named because others expunged some that cannot be told yet
 * (RFC 3501 §7.4.1): it then ends NO [EXPUNGEISSUED] (RFC 2180 §4.1.2,
 * RFC 5530) so the client knows. UID commands get the EXPUNGEs instead.
 */
bool imap_view_expunge_issued(const struct imap_session *s,
	const struct imap_uid_range *ranges, size_t count, size_t answered);

/* ---- header fields (imap_fetch.c), for FETCH and SEARCH ---- */

/*
 * The next field of a header block: *name_r its name, *field_r the whole
 * field with its folds and CRLF, *value_r what follows the colon. False at
 * the blank line or the end.
 */
bool imap_header_next(struct span *header, struct span *name_r,
	struct span *field_r, struct span *value_r);

/* ---- command handlers: 0, or -1 to end the session ---- */

/* imap_cmd_any.c */
int imap_cmd_capability(struct imap_session *s, const struct imap_command *c);
int imap_cmd_noop(struct imap_session *s, const struct imap_command *c);
int imap_cmd_logout(struct imap_session *s, const struct imap_command *c);
int imap_cmd_id(struct imap_session *s, const struct imap_command *c);
int imap_cmd_enable(struct imap_session *s, const struct imap_command *c);
/* imap_cmd_auth.c */
int imap_cmd_starttls(struct imap_session *s, const struct imap_command *c);
int imap_cmd_login(struct imap_session *s, const struct imap_command *c);
int imap_cmd_authenticate(struct imap_session *s, const struct imap_command *c);
/* imap_cmd_select.c */
int imap_cmd_select(struct imap_session *s, const struct imap_command *c);
int imap_cmd_close(struct imap_session *s, const struct imap_command *c);
int imap_cmd_unselect(struct imap_session *s, const struct imap_command *c);
int imap_cmd_check(struct imap_session *s, const struct imap_command *c);
/* imap_cmd_mailbox.c */
int imap_cmd_create(struct imap_session *s, const struct imap_command *c);
int imap_cmd_delete(struct imap_session *s, const struct imap_command *c);
int imap_cmd_rename(struct imap_session *s, const struct imap_command *c);
int imap_cmd_subscribe(struct imap_session *s, const struct imap_command *c);
int imap_cmd_status(struct imap_session *s, const struct imap_command *c);
/* imap_cmd_list.c */
int imap_cmd_list(struct imap_session *s, const struct imap_command *c);
int imap_cmd_namespace(struct imap_session *s, const struct imap_command *c);
/* imap_cmd_append.c */
int imap_cmd_append(struct imap_session *s, const struct imap_command *c);
/* imap_cmd_message.c */
int imap_cmd_store(struct imap_session *s, const struct imap_command *c);
int imap_cmd_copy(struct imap_session *s, const struct imap_command *c);
int imap_cmd_expunge(struct imap_session *s, const struct imap_command *c);
/* imap_cmd_idle.c */
int imap_cmd_idle(struct imap_session *s, const struct imap_command *c);
/* imap_fetch.c */
int imap_cmd_fetch(struct imap_session *s, const struct imap_command *c);
/* imap_search.c */
int imap_cmd_search(struct imap_session *s, const struct imap_command *c);

/* imap_session.c: the session thread's entry point. */
void imap_session_run(struct net_conn *c, void *server);

/*
 * FETCH of FLAGS and UID alone over these UID ranges, answered from the
 * view without reading the store, when the view is known to hold what
 * the store does (the folder's change counter has not moved since the
 * view last read it, and no expunge waits to be told). 1 when it was not
 * (the caller reads the store), 0 when the responses were sent, -1 when
 * the connection failed.
 */
int imap_view_fetch_flags(struct imap_session *s, unsigned items,
	const struct imap_uid_range *ranges, size_t count, size_t *sent_r);

/*
 * Whether the view holds the store's messages (the folder's change
 * counter has not moved since the view last read it, and no expunge
 * waits to be told); whether, too, its flags and keywords of the
 * messages in these UID ranges are the store's (as imap_view_fetch_flags
 * asks); and the keywords of the view's message at index i ("" when
 * unknown).
 */
bool imap_view_current(struct imap_session *s);
bool imap_view_flags_current(struct imap_session *s,
	const struct imap_uid_range *ranges, size_t count);
const char *imap_view_keywords_at(const struct imap_view *v, size_t i);

/*
 * A session's view of this many messages or more is answered from the
 * folder's summary pack (mail_folder_summaries), read into an arena of
 * at most IMAP_PACK_ARENA_CAP: SEARCH on header fields, FETCH of
 * ENVELOPEs.
 */
#define IMAP_PACK_MIN_MESSAGES 1024
#define IMAP_PACK_ARENA_CAP (512u << 20)

#endif
