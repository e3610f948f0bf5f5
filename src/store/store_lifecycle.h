/*
 * What the account lifecycle job reads and writes (SPEC L1-L7): a compact
 * sweep of every person, the status change at its due time, the purge of
 * a mailbox's mail, the notices already sent, and the lease that lets one
 * node run a job. Layer: store; only the domain includes this.
 */
#ifndef STORE_STORE_LIFECYCLE_H
#define STORE_STORE_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* One person as the lifecycle rules read them. */
struct store_lifecycle_row {
	int64_t id, org_id, mailbox_id;
	enum store_person_status status;
	int64_t created_at, last_signin_at, password_changed_at;
	int64_t status_changed_at, deleted_at, purged_at;
	const char *address, *display_name;
};

/* People by id after after_id, at most limit (purged ones left out). */
int store_lifecycle_rows(struct store *st, int64_t after_id, size_t limit,
	struct arena *a, struct store_lifecycle_row **rows_r, size_t *count_r,
	struct error *err);

/* Sets status and its time (and deleted_at, purged_at when not 0). */
int store_lifecycle_set(struct store *st, int64_t person_id,
	enum store_person_status status, int64_t status_changed_at,
	int64_t deleted_at, int64_t purged_at, int64_t now, struct error *err);

/*
 * Destroys every message in the mailbox and every body no message or
 * queued copy still references (store_bodies_forget: blobs outside the
 * database go at the next store_blobs_sweep); the mailbox row and its
 * address stay.
 * *messages_r counts the messages destroyed.
 */
int store_mailbox_purge(struct store *st, int64_t mailbox_id, int64_t now,
	int64_t *messages_r, struct error *err);

/* Records a notice; 1 when new, 0 when it was already sent. */
int store_notice_mark(struct store *st, int64_t person_id, const char *kind,
	int64_t due_at, int64_t now, struct error *err);
bool store_notice_sent(struct store *st, int64_t person_id, const char *kind,
	int64_t due_at);

/*
 * Takes the job's lease for holder until `until` if it is free (expired
 * or already the holder's) and, when not_since is not 0, no run has
 * finished at or after not_since (the run record: a scheduled period
 * runs once across nodes): 1 taken, 0 held by another node or already
 * run.
 */
int store_lease_take(struct store *st, const char *name, const char *holder,
	int64_t now, int64_t until, int64_t not_since, struct error *err);
/*
 * Frees the lease; a finished run records `now` as the job's last run, a
 * failed one leaves the record for the next attempt.
 */
int store_lease_release(struct store *st, const char *name,
	const char *holder, int64_t now, bool finished, struct error *err);

#endif
