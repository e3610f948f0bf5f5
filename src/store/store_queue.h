/*
 * The outbound queue's rows: one per recipient of a message for another
 * domain, with its delivery state, claimed by a runner under a lease.
 * Layer: store; only the domain includes this.
 */
#ifndef STORE_STORE_QUEUE_H
#define STORE_STORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/*
 * Claims up to `limit` rows due at `now` for runner `by` until
 * `lease_until`, in one statement: rows queued with next_attempt_at <= now,
 * and rows in flight whose lease ended (their runner died). Each claimed
 * row becomes in_flight. The rows come back in no particular order.
 */
int store_queue_claim(struct store *st, const char *by, int64_t now,
	int64_t lease_until, size_t limit, struct arena *a,
	struct store_queued **items_r, size_t *count_r, struct error *err);

/*
 * Rows by id after `after_id`, at most `limit`; all statuses, or only the
 * waiting ones (queued and in flight) when waiting_only.
 */
int store_queue_list(struct store *st, int64_t after_id, size_t limit,
	bool waiting_only, struct arena *a, struct store_queued **items_r,
	size_t *count_r, struct error *err);

/* One row; ERROR_NOT_FOUND when there is none with that id. */
int store_queue_get(struct store *st, int64_t id, struct arena *a,
	struct store_queued *item_r, struct error *err);

/*
 * Records the message's DKIM-Signature ("" for unsigned) on every row of
 * it (the same body, sender and queueing time) that has none yet.
 */
int store_queue_set_signature(struct store *st, int64_t body_id,
	const char *sender, int64_t created_at, const char *signature,
	struct error *err);

/* What one attempt did to one row, written by store_queue_finish. */
struct store_queue_outcome {
	int64_t id;
	enum store_queue_status status;	/* QUEUED (later), DELIVERED, FAILED */
	int64_t attempts;
	int64_t next_attempt_at;
	int64_t last_attempt_at;
	int64_t finished_at;
	int64_t notices_sent;
	const char *last_error;
	const char *remote_mta;
	const char *tls;
};

/*
 * Writes an attempt's outcome and ends the claim, only while runner `by`
 * still holds the row (a row deleted or taken again after a lease ran out
 * is left as it is): *written_r says whether it was.
 */
int store_queue_finish(struct store *st, const char *by,
	const struct store_queue_outcome *o, bool *written_r,
	struct error *err);

/*
 * Makes a waiting row due at `now` (id 0: every waiting row); *changed_r
 * counts them. Rows delivered or failed are not touched.
 */
int store_queue_retry(struct store *st, int64_t id, int64_t now,
	int64_t *changed_r, struct error *err);

/* Removes a waiting row; ERROR_NOT_FOUND when no waiting row has the id. */
int store_queue_delete(struct store *st, int64_t id, struct error *err);

/*
 * Moves the end of runner `by`'s lease on every row it holds in flight to
 * `lease_until`, never earlier than it was (the runner's heartbeat, so a
 * long delivery keeps its rows); *changed_r counts them.
 */
int store_queue_extend(struct store *st, const char *by, int64_t lease_until,
	int64_t *changed_r, struct error *err);

/*
 * Gives back every row runner `by` holds in flight, due as before: for a
 * runner stopping with rows it claimed but never started, or whose
 * delivery it cut.
 */
int store_queue_release(struct store *st, const char *by,
	struct error *err);

/*
 * What monitoring reads of the queue (/healthcheck): recipients waiting
 * (queued or in flight), those of them deferred at least once, and when
 * the oldest waiting one was queued (0: none waits).
 */
int store_queue_counts(struct store *st, struct store_queue_counts *c_r,
	struct error *err);

/* "queued", "in_flight", "delivered", "failed"; static. */
const char *store_queue_status_name(enum store_queue_status s);

#endif
