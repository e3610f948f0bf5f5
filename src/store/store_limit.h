/*
 * Rate-limit counters kept in the database (issue 14 item 2): events per
 * key in fixed windows, so every node over one PostgreSQL store counts
 * together. Layer: store; only the domain includes this (auth_limit.c).
 */
#ifndef STORE_STORE_LIMIT_H
#define STORE_STORE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct error;
struct store;

/*
 * Whether other processes, on this machine or others, may count in the
 * same store at once: true for PostgreSQL (several `caremail serve` nodes
 * over one database), false for SQLite.
 */
bool store_is_shared(const struct store *st);

/*
 * Counts n events (at least 1) for key (a hash: the caller never stores
 * an address or an IP in clear) in the window that began at
 * window_start, in one statement: a row of an older window is reset to
 * this one with n hits. *hits_r: the events in the key's window, these
 * included;
 * *window_start_r: that window's start, which is window_start, or a
 * later one that a node whose clock is ahead has begun already (its
 * count goes on, so skewed clocks count more, never less).
 *
 * Runs on its own, outside any transaction (autocommit): a writing
 * transaction waits on the cluster's write lock (store_begin), which a
 * sign-in must not queue behind. ERROR_INTERNAL when st is inside one;
 * ERROR_TEMPORARY when the database cannot be reached.
 */
int store_rate_hit(struct store *st, const char *key, int64_t window_start,
	int64_t n, int64_t *hits_r, int64_t *window_start_r,
	struct error *err);

/*
 * The events counted for key in the window that began at window_start
 * (or a later one), without counting: 0 when there are none.
 */
int store_rate_hits(struct store *st, const char *key, int64_t window_start,
	int64_t *hits_r, struct error *err);

/*
 * Deletes the counters of windows that began before `before` (ended ones,
 * when before is now less the window), so the table holds no more keys
 * than the last window or two saw, whatever keys are invented. Outside
 * any transaction, as store_rate_hit. Returns the rows deleted, or -1.
 */
int64_t store_rate_purge(struct store *st, int64_t before, struct error *err);

#endif
