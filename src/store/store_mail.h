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

/* The folder with a special use in a mailbox; ERROR_NOT_FOUND if none. */
int store_folder_special(struct store *st, int64_t mailbox_id,
	const char *special_use, struct arena *a, struct store_folder *f_r,
	struct error *err);

/* A mailbox's folders, by name. */
int store_folder_list(struct store *st, int64_t mailbox_id, struct arena *a,
	struct store_folder **folders_r, size_t *count_r, struct error *err);

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

#endif
