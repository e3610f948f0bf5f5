/*
 * Rate-limit counters in the database (table rate_counts, migration 29):
 * one row per key, its window's start and the events in it. Layer: store.
 * The upsert's SQL is the same on SQLite (3.35 on: RETURNING) and
 * PostgreSQL; its SET expressions read the row as it was, on both.
 */
#include "store/store_limit.h"

#include "core/error.h"
#include "store/store_internal.h"

bool
store_is_shared(const struct store *st)
{
	return st->ops->shared;
}

/* The counters must not wait on (nor join) a writer's transaction. */
static int
outside_transaction(const struct store *st, struct error *err)
{
	if (st->depth > 0)
		return error_set(err, ERROR_INTERNAL, "a rate limit was "
			"counted inside a transaction");
	return 0;
}

int
store_rate_hit(struct store *st, const char *key, int64_t window_start,
	int64_t n, int64_t *hits_r, int64_t *window_start_r, struct error *err)
{
	if (outside_transaction(st, err) < 0)
		return -1;
	if (n < 1)
		return error_set(err, ERROR_INTERNAL, "a rate limit was "
			"counted with no hits");
	/*
	 * A row of this window (or a later one, begun by a node whose clock
	 * is ahead) counts on; an older one starts again at n.
	 */
	struct store_stmt *s = store_query(st, err,
		"INSERT INTO rate_counts (key, window_start, hits)"
		" VALUES (?, ?, ?)"
		" ON CONFLICT (key) DO UPDATE SET"
		" hits = CASE WHEN rate_counts.window_start >="
		" excluded.window_start THEN rate_counts.hits + excluded.hits"
		" ELSE excluded.hits END,"
		" window_start = CASE WHEN rate_counts.window_start >"
		" excluded.window_start THEN rate_counts.window_start"
		" ELSE excluded.window_start END"
		" RETURNING hits, window_start", "tii", key, window_start, n);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1) {
		*hits_r = store_col_int(st, s, 0);
		*window_start_r = store_col_int(st, s, 1);
		/* SQLite writes the row when the statement is done. */
		rc = store_step(st, s, err);
	} else if (rc == 0) {
		rc = error_set(err, ERROR_INTERNAL, "the rate counter "
			"returned no row");
	}
	return store_rows_done(st, s, rc < 0 ? -1 : 0, err);
}

int
store_rate_hits(struct store *st, const char *key, int64_t window_start,
	int64_t *hits_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT hits FROM rate_counts WHERE key = ?"
		" AND window_start >= ?", "ti", key, window_start);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	*hits_r = rc == 1 ? store_col_int(st, s, 0) : 0;
	return store_rows_done(st, s, rc < 0 ? -1 : 0, err);
}

int64_t
store_rate_purge(struct store *st, int64_t before, struct error *err)
{
	if (outside_transaction(st, err) < 0)
		return -1;
	return store_exec(st, err,
		"DELETE FROM rate_counts WHERE window_start < ?", "i", before);
}
