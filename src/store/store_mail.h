/*
 * Mail: folders made and found, message bodies, delivery, and the bytes a
 * mailbox holds (the outbound queue's rows are store_queue.h's).
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_MAIL_H
#define STORE_STORE_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Creates a folder; ERROR_EXISTS when the mailbox has one of that name. */
int store_folder_create(struct store *st, struct store_folder *f,
	struct error *err);
int store_folder_get(struct store *st, int64_t mailbox_id, const char *name,
	struct arena *a, struct store_folder *f_r, struct error *err);
/*
 * The same, with the folder's change counter and first UID not yet
 * \Recent (store_folder_open_state) read in the same statement: what
 * opening it reads (one round trip on PostgreSQL).
 */
int store_folder_get_state(struct store *st, int64_t mailbox_id,
	const char *name, struct arena *a, struct store_folder *f_r,
	int64_t *changes_r, int64_t *recent_first_r, struct error *err);

/* The folder with a special use in a mailbox; ERROR_NOT_FOUND if none. */
int store_folder_special(struct store *st, int64_t mailbox_id,
	const char *special_use, struct arena *a, struct store_folder *f_r,
	struct error *err);

/* A mailbox's folders, by name. */
int store_folder_list(struct store *st, int64_t mailbox_id, struct arena *a,
	struct store_folder **folders_r, size_t *count_r, struct error *err);

/*
 * Puts b's bytes in the instance's blob store, when it has one
 * (store_blob.h), before the transaction that will name them, so the
 * writers' lock is not held while they are written: nothing when the blob
 * is there already or bodies are kept in the database. Any thread, no
 * transaction; ERROR_TEMPORARY when the blob store cannot be reached.
 */
int store_body_stage(struct store *st, const struct store_body *b,
	struct error *err);

/*
 * The id of the stored body with b's hash: the one already held, or a new
 * row whose bytes are written a piece at a time, so a message of any size
 * is never built whole in memory on its way in. In the caller's
 * transaction; -1 with err.
 */
int64_t store_body_put(struct store *st, const struct store_body *b,
	struct error *err);

/*
 * Adds one message row for the body to each folder with the next UID of
 * that folder, charges the size to each folder's mailbox, all or nothing
 * (store_deliver_set queues copies for outside addresses). Runs in the caller's transaction; uids_r[i]
 * receives the UID given in folder_ids[i].
 */
int store_deliver(struct store *st, const struct store_delivery *d,
	int64_t *uids_r, struct error *err);

/*
 * A body's bytes copied into the arena (NUL-terminated after size), read
 * from the store a piece at a time. ERROR_LIMIT past the arena's cap.
 */
int store_body_get(struct store *st, int64_t body_id, struct arena *a,
	const char **data_r, size_t *size_r, struct error *err);

/* Bytes of mail held by a mailbox, for its quota. */
int store_mailbox_used(struct store *st, int64_t mailbox_id,
	int64_t *used_r, struct error *err);

/*
 * Bodies nothing refers to any more are forgotten in two phases, so a
 * blob outside the database is never removed while a row may name it
 * (store_blob.h). Deleting a message or a queued copy names its body in
 * body_unref. store_bodies_forget, in the caller's transaction, deletes
 * the first `limit` of those (all: < 0) that no message or queued copy
 * still refers to, and records the hashes of those kept outside in
 * blob_doomed; *forgotten_r counts the bodies deleted. Returns the
 * number of candidates looked at (fewer than limit: none left), -1 on
 * error.
 */
int64_t store_bodies_forget(struct store *st, int64_t now, int64_t limit,
	int64_t *forgotten_r, struct error *err);

/*
 * The second phase, in a transaction of its own after the first has
 * committed: for up to `limit` hashes recorded at or before `before`, the
 * blob is removed unless a body with that hash has been stored again
 * since, and the record goes. *removed_r counts the blobs removed,
 * *done_r the records. Nothing without a blob store. Hashes are copied
 * into a.
 */
int store_blobs_sweep(struct store *st, int64_t before, int64_t limit,
	struct arena *a, int64_t *removed_r, int64_t *done_r,
	struct error *err);

/* Bodies waiting to be looked at, and blobs waiting to be removed. */
int store_bodies_pending(struct store *st, int64_t *unref_r,
	int64_t *doomed_r, struct error *err);

/* One body as the blob commands see it (store_bodies_page). */
struct store_body_row {
	int64_t id;
	const char *hash;
	int64_t size;
};

/*
 * Up to `limit` bodies of one or more bytes after after_id in id order,
 * those kept outside the database or those in it.
 */
int store_bodies_page(struct store *st, int64_t after_id, bool outside,
	int64_t limit, struct arena *a, struct store_body_row **rows_r,
	size_t *count_r, struct error *err);

/*
 * Moves one body's bytes (b, read from its row) out to the blob store, in
 * the caller's transaction: the blob is checked there (and put again if
 * gone), then the row is marked outside and its bytes dropped. Nothing
 * when the row has moved already.
 */
int store_body_move_out(struct store *st, const struct store_body *b,
	int64_t body_id, struct error *err);

#endif
