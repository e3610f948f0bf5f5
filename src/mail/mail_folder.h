/*
 * Folders and messages as a signed-in person sees them, for IMAP and later
 * webmail: their own mailbox's folders, and each shared mailbox they hold
 * Full Access on, under "Shared/<address>/" (SPEC A3), checked against the
 * grants at every call so a removed grant hides the mailbox at once. Also
 * the change notifications IDLE waits on. Layer: domain. RFC 3501 (names,
 * UIDs), RFC 2342 (namespaces), RFC 4315 (UIDPLUS), RFC 6154 (special use),
 * RFC 6851 (MOVE). SECURITY: folder names are validated here (SECURITY.md
 * item 34); a front end never touches another person's mailbox except
 * through a grant this file has just checked (item 33).
 */
#ifndef MAIL_MAIL_FOLDER_H
#define MAIL_MAIL_FOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct dir_ctx;
struct error;
struct store_writer;

/* The hierarchy delimiter of every namespace (RFC 3501 §5.1.1). */
#define MAIL_FOLDER_DELIMITER '/'
/* The shared namespace's root (RFC 2342): "Shared/<address>/<folder>". */
#define MAIL_FOLDER_SHARED_ROOT "Shared"
/* Longest folder name as a client writes it, and longest component. */
#define MAIL_FOLDER_NAME_MAX 512
#define MAIL_FOLDER_COMPONENT_MAX 255

/*
 * A signed-in person. Reads go through ctx->store (the session's own
 * connection) at ctx->now; every change goes through the writer, so it is
 * durable when the call returns and shares a flush with other sessions'.
 */
struct mail_user {
	const struct dir_ctx *ctx; /* ctx->arena receives folder results */
	struct store_writer *writer;
	int64_t person_id;
	int64_t mailbox_id;  /* their own user mailbox */
	const char *address; /* theirs, normalised */
};

/*
 * Finds the active person with this address and fills u (their mailbox's
 * standard folders were made with it). Strings are in ctx->arena.
 * ERROR_NOT_FOUND for no such person, ERROR_DENIED when not active.
 */
int mail_user_open(const struct dir_ctx *ctx, struct store_writer *w,
	const char *address, struct mail_user *u_r, struct error *err);

/*
 * Whether name may be a folder's (SECURITY.md item 34): printable ASCII,
 * valid modified UTF-7 (RFC 3501 §5.1.3) with no control characters
 * encoded, no "..", "~", "*" or "%", no empty, "." or ".." component, no
 * leading or trailing delimiter. ERROR_INVALID with the reason.
 */
int mail_folder_name_check(const char *name, struct error *err);

/* A folder opened by the name a client uses. */
struct mail_folder {
	int64_t id;
	int64_t mailbox_id;
	bool shared;		/* reached through a Full Access grant */
	const char *name;	/* as the client names it: "Shared/x@y/INBOX" */
	const char *store_name; /* within its mailbox: "INBOX" */
	const char *special_use; /* "", inbox, sent, drafts, trash, junk */
	int64_t uidvalidity;
	int64_t uidnext;
	bool subscribed;
};

/*
 * What a session opening a folder's view reads first, read together
 * (one statement): its change counter (mail_folder_changes) and the
 * first UID no session has claimed as \Recent (mail_folder_recent_first).
 */
struct mail_folder_state {
	int64_t changes;
	int64_t recent_first;
};

/*
 * Opens a folder by name ("INBOX" in any case). Strings are in ctx->arena.
 * ERROR_NOT_FOUND when there is no such folder or the person may not see
 * it (a mailbox they hold no grant on is not told apart from none);
 * ERROR_INVALID for a malformed name or a namespace node ("Shared").
 */
int mail_folder_open(const struct mail_user *u, const char *name,
	struct mail_folder *f_r, struct error *err);

/*
 * The same, with the folder's state read in the same statement as its
 * row unless state_r is NULL: SELECT's only statement when its view is
 * kept (a round trip on PostgreSQL, B3).
 */
int mail_folder_open_with_state(const struct mail_user *u, const char *name,
	struct mail_folder *f_r, struct mail_folder_state *state_r,
	struct error *err);

/*
 * Checks again that the person may use f's mailbox (the grant may have been
 * removed since it was opened) and refreshes its UIDNEXT. ERROR_DENIED when
 * the grant has gone, ERROR_NOT_FOUND when the folder has.
 */
int mail_folder_recheck(const struct mail_user *u, struct mail_folder *f,
	struct error *err);

/*
 * SPEC L5: a person opened f (SELECT, EXAMINE) through a grant; when its
 * mailbox is a shared one, that is a use, recorded at most about once a
 * day through the writer. Nothing for their own mailbox.
 */
int mail_folder_used(const struct mail_user *u, const struct mail_folder *f,
	struct error *err);

enum mail_folder_attr {
	MAIL_FOLDER_NOSELECT = 1 << 0, /* holds others; cannot be opened */
	MAIL_FOLDER_HAS_CHILDREN = 1 << 1,
	MAIL_FOLDER_SUBSCRIBED = 1 << 2,
};

struct mail_folder_entry {
	const char *name;	 /* as the client names it */
	const char *special_use; /* "" or as in struct mail_folder */
	unsigned attrs;		 /* enum mail_folder_attr bits */
};

/*
 * Every folder the person can see now, by name: their own, then the shared
 * namespace with "Shared" and "Shared/<address>" as \Noselect parents.
 * Shared mailboxes are always subscribed (auto-mapping, SPEC A3). In
 * ctx->arena.
 */
int mail_folder_list(const struct mail_user *u,
	struct mail_folder_entry **entries_r, size_t *count_r,
	struct error *err);

/*
 * Creates a folder and any missing parents (RFC 3501 §6.3.3); a trailing
 * delimiter is ignored. ERROR_EXISTS when it exists, ERROR_INVALID for a
 * bad or reserved name ("Shared" at the top of one's own mailbox).
 */
int mail_folder_create(const struct mail_user *u, const char *name,
	struct error *err);

/*
 * Deletes a folder and its messages. INBOX, the special-use folders and
 * folders with children are refused with ERROR_INVALID; ERROR_NOT_FOUND
 * when there is no such folder.
 */
int mail_folder_delete(const struct mail_user *u, const char *name,
	struct error *err);

/*
 * Renames a folder with its children, within one mailbox. Renaming INBOX
 * moves its messages to a new folder and leaves INBOX empty (RFC 3501
 * §6.3.5).
 */
int mail_folder_rename(const struct mail_user *u, const char *from,
	const char *to, struct error *err);

/* SUBSCRIBE and UNSUBSCRIBE; shared folders stay subscribed. */
int mail_folder_subscribe(const struct mail_user *u, const char *name,
	bool subscribed, struct error *err);

struct mail_folder_status {
	int64_t messages;
	int64_t unseen;
	int64_t uidnext;
	int64_t uidvalidity;
	int64_t recent; /* messages no session has been told of yet */
};

/* What STATUS and SELECT report; rechecks access as mail_folder_recheck. */
int mail_folder_status(const struct mail_user *u, struct mail_folder *f,
	struct mail_folder_status *s_r, struct error *err);

/*
 * \Recent (RFC 3501 §2.3.2): a message is recent to the first session
 * told of it, and to no other. mail_folder_recent_first gives the first
 * UID of f no session has claimed (a read-only session shows those as
 * recent without claiming them, RFC 3501 §6.3.2).
 */
int mail_folder_recent_first(const struct mail_user *u,
	const struct mail_folder *f, int64_t *first_r, struct error *err);

/*
 * Claims for the calling session every unclaimed UID of f below upto,
 * durably, so no other session ever sees them as \Recent: *first_r gets
 * the first UID claimed, or upto when another session had them all. A
 * session passes one past the last UID it has read, so it claims nothing
 * it has not seen. first_read: mail_folder_recent_first as the caller
 * read it a moment ago. The UIDs claimed only grow, so when that one is
 * already past upto there is nothing to claim, and nothing is written
 * (most syncs); else the claim is made in the writer's transaction.
 */
int mail_folder_recent_claim(const struct mail_user *u,
	const struct mail_folder *f, int64_t upto, int64_t first_read,
	int64_t *first_r, struct error *err);

/*
 * The folder's change counter (store_folder_changes): equal readings mean
 * no message of f was added, removed or had its flags changed between
 * them, by any process or node.
 */
int mail_folder_changes(const struct mail_user *u, const struct mail_folder *f,
	int64_t *changes_r, struct error *err);

/* f's state (struct mail_folder_state); ERROR_NOT_FOUND when f has gone. */
int mail_folder_open_state(const struct mail_user *u,
	const struct mail_folder *f, struct mail_folder_state *state_r,
	struct error *err);

/*
 * The next `limit` messages of f after after_uid, by UID, with their flags
 * only, in arena a: how a session pages through a folder to see what
 * others changed.
 */
int mail_folder_flag_rows(const struct mail_user *u,
	const struct mail_folder *f, int64_t after_uid, size_t limit,
	struct arena *a, struct store_message_flag_row **rows_r,
	size_t *count_r, struct error *err);

/*
 * The messages of f changed since its change counter stood at `since`,
 * by UID with their flags now (or gone), in arena a, from the notes a
 * large folder's stored view keeps: what a session that saw f at `since`
 * must compare, instead of every message. *covered_r false: the notes
 * do not cover every change since (no stored view, or one newer than
 * `since`); page through mail_folder_flag_rows instead.
 */
int mail_folder_changes_since(const struct mail_user *u,
	const struct mail_folder *f, int64_t since, struct arena *a,
	struct store_view_change **changes_r, size_t *count_r,
	bool *covered_r, struct error *err);

/* ---- a folder's view as a session opens it (mail_view.c) ---- */

/* Where mail_folder_view_read found the view. */
enum mail_folder_view_source {
	MAIL_FOLDER_VIEW_ROWS,	 /* every message of the folder read */
	MAIL_FOLDER_VIEW_STORED, /* the stored view and the changes since */
};

/*
 * A folder's messages as a session's view starts from: ascending UIDs,
 * their stored flags (enum store_flag bits) and keyword lists, each
 * message's list given as an index into `lists` plus one (0: none). The
 * arrays are heap memory the caller owns: mail_folder_view_free, or take
 * them and set the pointers to NULL first.
 */
struct mail_folder_view {
	int64_t changes; /* the folder's counter, read before the messages */
	bool settled;	 /* it still stood there after: exactly of `changes` */
	size_t count;
	uint32_t *uids;
	uint8_t *flags;
	uint32_t *list_of;
	char **lists; /* distinct keyword lists, in order first met */
	size_t list_count;
	enum mail_folder_view_source source;
	size_t changed;	  /* STORED: the changed messages applied */
	bool stored;	  /* the view was stored for the next open */
};

/*
 * The index of the first of count ascending UIDs that is >= uid (count
 * when none is): where a UID stands, or would, in a view.
 */
size_t mail_uid_lower_bound(const uint32_t *uids, size_t count, int64_t uid);

/*
 * Reads f's view: its stored view brought up to date by the messages
 * changed since (one statement) when it has one, else every message, a
 * page at a time in scratch (reset here). A folder of store_min messages
 * or more (0: none) whose view was read from every message, or whose
 * changes since its stored view have grown many, gets its view stored
 * again through the writer when nothing changed during the read, so the
 * next open in any process or node reads one row. ERROR_LIMIT past
 * 64 Mi messages; a stored view that does not decode is read again
 * from the messages.
 */
int mail_folder_view_read(const struct mail_user *u,
	const struct mail_folder *f, size_t store_min, struct arena *scratch,
	struct mail_folder_view *v_r, struct error *err);

/*
 * The same, given the folder's change counter the caller read just
 * before (SELECT reads it to look for a kept view first): one read of it
 * fewer, a round trip on PostgreSQL.
 */
int mail_folder_view_read_at(const struct mail_user *u,
	const struct mail_folder *f, int64_t changes, size_t store_min,
	struct arena *scratch, struct mail_folder_view *v_r,
	struct error *err);

/* Frees what a view still owns; leaves it empty. */
void mail_folder_view_free(struct mail_folder_view *v);

/*
 * The stored view's format (for the fuzz target and tests). encode writes
 * version 2, "CMV2" (mail_view.c: the UIDs as runs, the flags two bits a
 * message); decode also reads version 1, "CMV1", which views stored by an
 * older caremail hold until written again: the message and list counts,
 * each list (length, bytes), then per message its UID's step from the
 * one before, a flags byte (top bit: a list follows) and the list's
 * number, all counts and steps as LEB128. decode fills v's count, uids,
 * flags, list_of, lists and list_count (heap), or returns -1 with v empty
 * when the bytes are not a whole, well-formed view. encode returns heap
 * bytes.
 */
int mail_view_decode(const unsigned char *data, size_t size,
	struct mail_folder_view *v_r);
unsigned char *mail_view_encode(const struct mail_folder_view *v,
	size_t *size_r);

/* ---- a large folder's header summaries, packed (mail_summary.c) ---- */

/* The parts of a summary pack; bit n of a parts mask asks for part n. */
enum mail_summary_part {
	MAIL_SUMMARY_UIDS = 0, /* UIDs, sizes, internal dates: always read */
	MAIL_SUMMARY_SUBJECT,
	MAIL_SUMMARY_FROM,
	MAIL_SUMMARY_TO,
	MAIL_SUMMARY_CC,
	MAIL_SUMMARY_BCC,
	/*
	 * The ENVELOPE as stored (FETCH, not SEARCH): a run may lack it, and
	 * "" in it is a message whose ENVELOPE the pack does not hold.
	 */
	MAIL_SUMMARY_ENVELOPE,
	MAIL_SUMMARY_PARTS
};

/*
 * Part 6's entry for a message stored without its ENVELOPE (a body from
 * before the column): worked out from the body when asked, as a row
 * without one is. An ENVELOPE itself always begins "(".
 */
#define MAIL_SUMMARY_NO_ENVELOPE "-"

/* What a search on header fields, or a FETCH of ENVELOPE, reads of one
 * message. */
struct mail_packed {
	bool present; /* false: the message has gone from the folder */
	int64_t size, internal_date;
	/* Decoded as body_summaries holds them; "" for parts not asked. */
	const char *text[MAIL_SUMMARY_PARTS];
};

/* The summaries of a view's messages, one per UID asked, in that order. */
struct mail_packed_set {
	struct mail_packed *items;
	size_t packed;	/* found in the folder's packs */
	size_t read;	/* read by row: not in any pack, or its ENVELOPE not */
	bool stored;	/* a pack was written for the next search */
};

/*
 * The summaries of f's messages with these `count` ascending UIDs (a
 * session's view), with the parts `parts` asks for, in arena a: taken
 * from f's summary packs (migration 37) where they hold the UID, read by
 * row for the rest, and the packs written again or added to (through
 * the writer) when many were read by row. A pack holds of a message only
 * what never changes while it is in the folder, so a stale pack costs
 * reads, never a wrong answer; one that does not decode is passed over.
 * Asked for the ENVELOPE, the messages whose ENVELOPE no pack holds are
 * read by row with their ENVELOPE (the bodies' rows), and the runs that
 * held them given it. 0, set empty, for a folder under store_min
 * messages (read its rows as before); 1 with the set; -1 with err.
 */
int mail_folder_summaries(const struct mail_user *u,
	const struct mail_folder *f, const uint32_t *uids, size_t count,
	unsigned parts, size_t store_min, struct arena *a,
	struct mail_packed_set *set_r, struct error *err);

/* One part of one run of a pack, as stored. */
struct mail_summary_bytes {
	const unsigned char *data; /* NULL: the part was not read */
	size_t size;
};

/*
 * A pack's format (for the fuzz target and tests): every part starts
 * "CMP1" and the message count (LEB128); part 0 then gives each
 * message's UID step from the one before (the first from 0, never 0),
 * size and internal date (zigzag), all LEB128; parts 1-6 one
 * NUL-terminated string a message (part 6, the ENVELOPE: "" for one the
 * run does not hold, which decode leaves as the item had it). encode
 * writes the present items (with their `uids`) as part `part`, in heap
 * bytes. decode checks a
 * run's parts whole (parts[0] and those not NULL), then fills the items
 * (count long, by ascending uids) whose UID the run holds, texts
 * pointing into the parts' bytes; *matched_r of *entries_r matched.
 * -1, items untouched, when a part does not decode or the parts differ
 * in count.
 */
unsigned char *mail_summary_encode(const struct mail_packed *items,
	const uint32_t *uids, size_t count, int part, size_t *size_r);
int mail_summary_decode(const struct mail_summary_bytes *parts,
	const uint32_t *uids, struct mail_packed *items, size_t count,
	size_t *matched_r, size_t *entries_r);

/*
 * Messages of f with first_uid <= UID <= last_uid, at most limit, with the
 * columns asked for (see store_folder.h), in arena a.
 */
int mail_folder_messages(const struct mail_user *u, const struct mail_folder *f,
	int64_t first_uid, int64_t last_uid, size_t limit,
	enum store_message_columns columns, struct arena *a,
	struct store_message **messages_r, size_t *count_r, struct error *err);

/*
 * The text index's answer for SEARCH BODY or TEXT (PERFORMANCE.md B3,
 * store_text.h) over f's UIDs first_uid..last_uid: `found`, the UIDs
 * whose indexed text holds folded_word (from mail_search_fold): the
 * body's alone (BODY, body_only) or the header's or the body's (TEXT),
 * exactly as the scan would find it; and `pending`, the UIDs whose body
 * is not indexed yet, which the caller scans. Pending is read first, so
 * a body indexed between the two reads is scanned rather than missed:
 * the answer is complete at every moment. Both ascending, in arena a.
 * 1 with the answer; 0 when the index cannot answer for the word (under
 * three characters: scan every message); -1 with err (ERROR_LIMIT past
 * the arena's cap).
 */
struct mail_text_answer {
	int64_t *found, *pending;
	size_t found_count, pending_count;
};
int mail_folder_text_search(const struct mail_user *u,
	const struct mail_folder *f, int64_t first_uid, int64_t last_uid,
	const char *folded_word, bool body_only, struct arena *a,
	struct mail_text_answer *r, struct error *err);

/* The whole message m (a row of f), copied into arena a. */
int mail_message_read(const struct mail_user *u, const struct mail_folder *f,
	const struct store_message *m, struct arena *a, const char **data_r,
	size_t *size_r, struct error *err);

struct mail_flag_change {
	int64_t uid;
	unsigned flags;	      /* enum store_flag bits */
	const char *keywords; /* space-separated */
};

/* Sets flags on messages of f; rows already expunged are skipped. */
int mail_message_flags_set(const struct mail_user *u,
	const struct mail_folder *f, const struct mail_flag_change *changes,
	size_t count, struct error *err);

/*
 * Copies (or, when move, moves) the messages of `from` with these UIDs to
 * `to`, charging the target mailbox's quota (ERROR_LIMIT, by the one quota
 * rule, when they do not fit). new_uids_r[i] gets the new UID of uids[i], or 0 for a message that
 * had already been expunged. All or nothing.
 */
int mail_message_copy(const struct mail_user *u, const struct mail_folder *from,
	const int64_t *uids, size_t count, const struct mail_folder *to,
	bool move, int64_t *new_uids_r, struct error *err);

/* Removes these messages of f for good. */
int mail_message_expunge(const struct mail_user *u, const struct mail_folder *f,
	const int64_t *uids, size_t count, struct error *err);

struct mail_append {
	const char *data; /* the whole message, CRLF line ends */
	size_t size;
	unsigned flags;	      /* enum store_flag bits */
	const char *keywords; /* space-separated */
	int64_t internal_date;
};

/*
 * Stores a message in f (APPEND) like a delivery: summarized once, the body
 * stored once, durable on return. ERROR_LIMIT when over quota or MIME
 * limits. *uid_r gets its UID.
 */
int mail_message_append(const struct mail_user *u, const struct mail_folder *f,
	const struct mail_append *m, int64_t *uid_r, struct error *err);

#endif
