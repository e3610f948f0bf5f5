/*
 * The outbound queue's rows: claiming due recipients under a lease, the
 * outcome of each attempt, and the operator's retry and delete (issue 11;
 * SPEC M5). Layer: store.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"
#include "store/store_queue.h"

#define QUEUE_COLUMNS                                                     \
	"id, body_id, sender, recipient, created_at, next_attempt_at,    \
	attempts, last_error, status, claimed_by, claimed_until,         \
	notices_sent, last_attempt_at, finished_at, dkim_signature, ret, \
	envid, notify, orcpt, remote_mta, tls"

const char *
store_queue_status_name(enum store_queue_status s)
{
	switch (s) {
	case STORE_QUEUE_QUEUED:
		return "queued";
	case STORE_QUEUE_IN_FLIGHT:
		return "in_flight";
	case STORE_QUEUE_DELIVERED:
		return "delivered";
	case STORE_QUEUE_FAILED:
		return "failed";
	}
	return "queued";
}

/* The column's text as the enum; the CHECK admits no other text. */
static enum store_queue_status
status_from_text(const char *text)
{
	for (int s = STORE_QUEUE_QUEUED; s <= STORE_QUEUE_FAILED; s++) {
		if (strcmp(text, store_queue_status_name(s)) == 0)
			return (enum store_queue_status)s;
	}
	return STORE_QUEUE_QUEUED;
}

static void
queued_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_queued *q = out;
	q->id = store_col_int(st, s, 0);
	q->body_id = store_col_int(st, s, 1);
	q->sender = store_col_text(st, s, 2, a);
	q->recipient = store_col_text(st, s, 3, a);
	q->created_at = store_col_int(st, s, 4);
	q->next_attempt_at = store_col_int(st, s, 5);
	q->attempts = store_col_int(st, s, 6);
	q->last_error = store_col_text(st, s, 7, a);
	q->status = status_from_text(store_col_text(st, s, 8, a));
	q->claimed_by = store_col_text(st, s, 9, a);
	q->claimed_until = store_col_int(st, s, 10);
	q->notices_sent = store_col_int(st, s, 11);
	q->last_attempt_at = store_col_int(st, s, 12);
	q->finished_at = store_col_int(st, s, 13);
	q->dkim_signature = store_col_text_or_null(st, s, 14, a);
	q->ret = store_col_text(st, s, 15, a);
	q->envid = store_col_text(st, s, 16, a);
	q->notify = store_col_text(st, s, 17, a);
	q->orcpt = store_col_text(st, s, 18, a);
	q->remote_mta = store_col_text(st, s, 19, a);
	q->tls = store_col_text(st, s, 20, a);
}

/*
 * One statement, so two runners (threads, or processes on one database)
 * never both take a row. SQLite runs it under its single writer lock.
 * PostgreSQL runs it on its own, without the writers' lock, so the inner
 * SELECT locks the rows it picks and skips rows another runner has
 * locked: without that, a second runner blocked on a row would update it
 * again once the first commits (the IN list is not read again), and the
 * message would go twice. The two spellings are literals, as the
 * statement cache wants.
 */
#define QUEUE_CLAIM_SQL(lock)                                             \
	"UPDATE queue SET status = 'in_flight', claimed_by = ?,"         \
	" claimed_until = ? WHERE id IN (SELECT id FROM queue"           \
	" WHERE (status = 'queued' AND next_attempt_at <= ?)"            \
	" OR (status = 'in_flight' AND claimed_until <= ?)"              \
	" ORDER BY next_attempt_at, id LIMIT ?" lock ")"                  \
	" RETURNING " QUEUE_COLUMNS

static const char claim_sql[] = QUEUE_CLAIM_SQL("");
static const char claim_sql_skip_locked[] =
	QUEUE_CLAIM_SQL(" FOR UPDATE SKIP LOCKED");

int
store_queue_claim(struct store *st, const char *by, int64_t now,
	int64_t lease_until, size_t limit, struct arena *a,
	struct store_queued **items_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		st->ops->skip_locked ? claim_sql_skip_locked : claim_sql,
		"tiiii", by, lease_until, now, now, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**items_r), queued_read,
		(void **)items_r, count_r, err);
}

int
store_queue_list(struct store *st, int64_t after_id, size_t limit,
	bool waiting_only, struct arena *a, struct store_queued **items_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " QUEUE_COLUMNS " FROM queue WHERE id > ?"
		" AND (? = 0 OR status IN ('queued', 'in_flight'))"
		" ORDER BY id LIMIT ?",
		"iii", after_id, (int64_t)waiting_only, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**items_r), queued_read,
		(void **)items_r, count_r, err);
}

int
store_queue_get(struct store *st, int64_t id, struct arena *a,
	struct store_queued *item_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " QUEUE_COLUMNS " FROM queue WHERE id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, queued_read, item_r,
		"queued message with that id", err);
}

int
store_queue_set_signature(struct store *st, int64_t body_id,
	const char *sender, int64_t created_at, const char *signature,
	struct error *err)
{
	return store_exec(st, err,
		"UPDATE queue SET dkim_signature = ? WHERE body_id = ?"
		" AND sender = ? AND created_at = ? AND dkim_signature IS NULL",
		"titi", signature, body_id, sender, created_at) < 0 ? -1 : 0;
}

int
store_queue_finish(struct store *st, const char *by,
	const struct store_queue_outcome *o, bool *written_r,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE queue SET status = ?, attempts = ?, next_attempt_at = ?,"
		" last_attempt_at = ?, finished_at = ?, notices_sent = ?,"
		" last_error = ?, remote_mta = ?, tls = ?, claimed_by = '',"
		" claimed_until = 0"
		" WHERE id = ? AND status = 'in_flight' AND claimed_by = ?",
		"tiiiiitttit", store_queue_status_name(o->status), o->attempts,
		o->next_attempt_at, o->last_attempt_at, o->finished_at,
		o->notices_sent, o->last_error != NULL ? o->last_error : "",
		o->remote_mta != NULL ? o->remote_mta : "",
		o->tls != NULL ? o->tls : "", o->id, by);
	if (n < 0)
		return -1;
	*written_r = n > 0;
	return 0;
}

/*
 * A row in flight is made due too: its runner, if alive, still finishes
 * it (its claim stays), and if dead the row is taken at `now`.
 */
int
store_queue_retry(struct store *st, int64_t id, int64_t now,
	int64_t *changed_r, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE queue SET next_attempt_at = ?,"
		" claimed_until = CASE WHEN status = 'in_flight'"
		" THEN claimed_until ELSE 0 END"
		" WHERE (? = 0 OR id = ?) AND status IN ('queued', 'in_flight')",
		"iii", now, id, id);
	if (n < 0)
		return -1;
	*changed_r = n;
	return 0;
}

int
store_queue_delete(struct store *st, int64_t id, struct error *err)
{
	if (store_exec(st, err, "INSERT INTO body_unref (body_id)"
		    " SELECT body_id FROM queue WHERE id = ?"
		    " ON CONFLICT (body_id) DO NOTHING", "i", id) < 0)
		return -1;
	int64_t n = store_exec(st, err,
		"DELETE FROM queue WHERE id = ?"
		" AND status IN ('queued', 'in_flight')", "i", id);
	if (n < 0)
		return -1;
	if (n == 0)
		return error_set(err, ERROR_NOT_FOUND,
			"no message waiting in the queue has the id %lld",
			(long long)id);
	return 0;
}

/* CASE rather than MAX(): SQLite's two-argument max() is not portable. */
int
store_queue_extend(struct store *st, const char *by, int64_t lease_until,
	int64_t *changed_r, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE queue SET claimed_until = CASE WHEN claimed_until < ?"
		" THEN ? ELSE claimed_until END"
		" WHERE status = 'in_flight' AND claimed_by = ?",
		"iit", lease_until, lease_until, by);
	if (n < 0)
		return -1;
	*changed_r = n;
	return 0;
}

int
store_queue_release(struct store *st, const char *by, struct error *err)
{
	return store_exec(st, err,
		"UPDATE queue SET status = 'queued', claimed_by = '',"
		" claimed_until = 0 WHERE status = 'in_flight'"
		" AND claimed_by = ?", "t", by) < 0 ? -1 : 0;
}

int
store_queue_counts(struct store *st, struct store_queue_counts *c_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT COUNT(*), COALESCE(SUM(CASE WHEN attempts > 0 THEN 1"
		" ELSE 0 END), 0), COALESCE(MIN(created_at), 0) FROM queue"
		" WHERE status IN ('queued', 'in_flight')", "");
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1) {
		c_r->waiting = store_col_int(st, s, 0);
		c_r->deferred = store_col_int(st, s, 1);
		c_r->oldest_at = store_col_int(st, s, 2);
	}
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}
