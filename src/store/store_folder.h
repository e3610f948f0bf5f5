/*
 * A folder and the messages in it as a mail client works on them: folders
 * by id, renamed, deleted and subscribed; UIDVALIDITY and \Recent; messages
 * listed by UID range a page at a time, re-flagged, copied and expunged.
 * Layer: store. RFC 3501, RFC 4315. Only mail/ includes this; front ends
 * reach it through mail_folder.h. Writes run in the caller's transaction
 * (the group-commit writer's). Folder operations are store_folder_*,
 * operations on one message row store_message_*.
 */
#ifndef STORE_STORE_FOLDER_H
#define STORE_STORE_FOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* One folder by id; ERROR_NOT_FOUND when it has gone. */
int store_folder_by_id(struct store *st, int64_t folder_id, struct arena *a,
	struct store_folder *f_r, struct error *err);

/*
 * A UIDVALIDITY for a new folder of the mailbox, recorded as the mailbox's
 * last: `now`, or one more than the largest the mailbox ever handed out
 * (deleted folders' included) if that is not smaller, so a folder deleted
 * and made again within a second never repeats one (RFC 3501 §2.3.1.1).
 * Runs in the writer's transaction.
 */
int store_folder_uidvalidity_next(struct store *st, int64_t mailbox_id,
	int64_t now, int64_t *uidvalidity_r, struct error *err);

/*
 * Makes `count` folders, as store_folder_create each, in as few
 * statements as it can; their ids are not read back (a new mailbox's
 * standard folders are found by their use).
 */
int store_folder_create_many(struct store *st, const struct store_folder *f,
	size_t count, struct error *err);

/*
 * `count` UIDVALIDITYs at once, first_r .. first_r + count - 1, as many
 * calls of store_folder_uidvalidity_next would give: a new mailbox's
 * standard folders take theirs in one read and one write.
 */
int store_folder_uidvalidity_reserve(struct store *st, int64_t mailbox_id,
	int64_t now, int64_t count, int64_t *first_r, struct error *err);

/*
 * Renames folder `from` of a mailbox and every folder below it ("from/...")
 * to `to` and "to/...". ERROR_NOT_FOUND without `from`, ERROR_EXISTS when a
 * new name is taken.
 */
int store_folder_rename(struct store *st, int64_t mailbox_id, const char *from,
	const char *to, char delimiter, struct error *err);

/* Deletes a folder and its messages, giving their bytes back to the quota. */
int store_folder_delete(struct store *st, int64_t folder_id, struct error *err);

int store_folder_subscribe(struct store *st, int64_t folder_id, bool subscribed,
	struct error *err);

/*
 * What STATUS and SELECT report of a folder, from the counters the
 * database keeps (migration 31): a few index seeks, whatever its size.
 */
int store_folder_counts(struct store *st, int64_t folder_id,
	struct store_folder_status *c_r, struct error *err);

/*
 * The same counts made by reading every message of the folder (changes is
 * 0): what the counters must always equal; for checks and tests.
 */
int store_folder_recount(struct store *st, int64_t folder_id,
	struct store_folder_status *c_r, struct error *err);

/*
 * The folder's change counter: it grows with every message inserted,
 * deleted or changed in it (flags, keywords, UID), by whichever process
 * or node, in the transaction of the change. Equal values mean the
 * folder's messages and flags are as they were.
 */
int store_folder_changes(struct store *st, int64_t folder_id,
	int64_t *changes_r, struct error *err);

/*
 * store_folder_changes and store_folder_recent_first in one statement:
 * what opening a folder's view reads first (one round trip on
 * PostgreSQL). ERROR_NOT_FOUND without the folder.
 */
int store_folder_open_state(struct store *st, int64_t folder_id,
	int64_t *changes_r, int64_t *recent_first_r, struct error *err);

/*
 * \Recent (RFC 3501 §2.3.2): each folder keeps the first UID no session
 * has been told of yet. *first_r gets it; ERROR_NOT_FOUND without the
 * folder.
 */
int store_folder_recent_first(struct store *st, int64_t folder_id,
	int64_t *first_r, struct error *err);

/*
 * Claims for one session every UID below upto that no session has claimed:
 * they are \Recent to it alone. *first_r gets the first UID claimed (upto
 * when there are none). Run in the writer's transaction, so two sessions
 * never claim the same UID.
 */
int store_folder_recent_claim(struct store *st, int64_t folder_id, int64_t upto,
	int64_t *first_r, struct error *err);

/*
 * A folder's stored view with the messages changed since it was written
 * (their flags now, or gone), in arena a; v_r->found false when there is
 * none. One statement: the view and the changes are of one moment.
 */
int store_folder_view_get(struct store *st, int64_t folder_id,
	struct arena *a, struct store_folder_view *v_r, struct error *err);

/*
 * The messages of a folder changed after its counter stood at `since`
 * (their flags now, or gone), by UID, in arena a, from the notes its
 * stored view keeps. *covered_r is false, and the list not to be relied
 * on, unless every change past `since` is noted: the folder has a stored
 * view, written at or before `since` (a newer one dropped the notes it
 * covers). One statement.
 */
int store_folder_view_changes_since(struct store *st, int64_t folder_id,
	int64_t since, struct arena *a, struct store_view_change **changes_r,
	size_t *count_r, bool *covered_r, struct error *err);

/*
 * Stores a folder's view as of its change counter `changes`, only if the
 * counter still stands there (*stored_r says whether it did), and drops
 * the change notes it makes needless. Holds the folder's counter row for
 * the rest of the transaction, so no change can slip between the check
 * and the row that makes changes be noted. In a write transaction.
 */
int store_folder_view_put(struct store *st, int64_t folder_id,
	int64_t changes, const void *data, size_t size, bool *stored_r,
	struct error *err);

/*
 * The parts of a folder's summary packs (migration 37) of this
 * UIDVALIDITY whose bit is set in `parts` (bit n: part n), by first UID
 * and part, in arena a; none when the folder has none. One statement, so
 * the parts of a run are of one moment. Read past the backend's map, as
 * a stored view.
 */
int store_folder_packs_get(struct store *st, int64_t folder_id,
	int64_t uidvalidity, unsigned parts, struct arena *a,
	struct store_summary_pack **packs_r, size_t *count_r,
	struct error *err);

/*
 * Stores one run of a folder's summary pack (`count` parts, all of one
 * run): replacing every run the folder has (`replace`), or beside them
 * only when each has the same UIDVALIDITY and ends below the new run's
 * first UID (*stored_r says whether it was). Holds the folder's counter
 * row for the rest of the transaction (PostgreSQL), so two sessions'
 * runs are checked one after the other. In a write transaction.
 */
int store_folder_packs_put(struct store *st, int64_t folder_id,
	int64_t uidvalidity, bool replace,
	const struct store_summary_pack *parts, size_t count, bool *stored_r,
	struct error *err);

/*
 * Stores one part of a run the folder's pack holds (the one whose part 0
 * is `run`, byte for byte, of this UIDVALIDITY), in place of the one it
 * had, if any: a FETCH giving a run its ENVELOPEs. Not stored (*stored_r
 * false) when the run is gone or not the same. In a write transaction.
 */
int store_folder_pack_part_put(struct store *st, int64_t folder_id,
	int64_t uidvalidity, const struct store_summary_pack *run,
	const struct store_summary_pack *part, bool *stored_r,
	struct error *err);

/*
 * The next `limit` messages of a folder with UID > after_uid, by UID, with
 * only their flags: what a session compares with what it told its client.
 */
int store_message_flag_rows(struct store *st, int64_t folder_id,
	int64_t after_uid, size_t limit, struct arena *a,
	struct store_message_flag_row **rows_r, size_t *count_r,
	struct error *err);

/* Every UID of a folder in ascending order, as an array in arena a. */
int store_folder_uids(struct store *st, int64_t folder_id, struct arena *a,
	int64_t **uids_r, size_t *count_r, struct error *err);

/*
 * Messages of a folder with first_uid <= UID <= last_uid, by UID, at most
 * `limit` of them, so callers can page through a large folder with bounded
 * memory. Fields a column set leaves out are "" or 0.
 */
int store_folder_messages(struct store *st, int64_t folder_id,
	int64_t first_uid, int64_t last_uid, size_t limit,
	enum store_message_columns columns, struct arena *a,
	struct store_message **messages_r, size_t *count_r, struct error *err);

/*
 * Sets the flags and keywords of the messages of folder_id whose UIDs are
 * among uids (count of them), in one statement; those already expunged
 * are skipped. 0, or -1 with err.
 */
int store_messages_flags_set(struct store *st, int64_t folder_id,
	const int64_t *uids, size_t count, unsigned flags,
	const char *keywords, struct error *err);

/*
 * Copies the message rows of folder_id whose UIDs are among uids (count
 * of them, in any order) into another folder (or the same), with the same
 * bodies, flags and keywords, under that folder's next UIDs in the order
 * of their own (RFC 4315's COPYUID sets correspond so), and charges their
 * sizes to its mailbox: a fixed number of statements however many they
 * are. new_uids_r[i] is then uids[i]'s UID in the target folder, or 0
 * when it had no row (expunged meanwhile), unless new_uids_r is NULL; a
 * UID given twice is copied once. 0, or -1 with err.
 */
int store_messages_copy(struct store *st, int64_t folder_id,
	const int64_t *uids, size_t count, int64_t to_folder_id,
	int64_t *new_uids_r, struct error *err);

/*
 * Removes the message rows of these UIDs, giving their bytes back to the
 * quota, in three statements however many they are (PostgreSQL counts
 * them once a statement: migration 42). The bodies stay: other rows may
 * share them (a later purge drops unused blobs). A row already gone is
 * not an error.
 */
int store_message_expunge(struct store *st, int64_t folder_id,
	const int64_t *uids, size_t count, struct error *err);

#endif
