/*
 * Rate limits for 429 replies (SECURITY.md 47; issue 14 item 2): sign-ins
 * and recovery per client address and per account, token and link
 * failures, People Finder searches. Layer: domain. On PostgreSQL the
 * counts are in the database, so a second node behind the same load
 * balancer gives an attacker no second allowance; on SQLite they are the
 * process's own (core/ratelimit.h), as one process serves such a store.
 */
#ifndef AUTH_AUTH_LIMIT_H
#define AUTH_AUTH_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dir_ctx;
struct error;
struct auth_limits;

/*
 * The limiter of one server: the in-memory table (about `slots`
 * counters) used when the store is not shared, and the time of the next
 * purge of ended windows from the database. Thread-safe. Aborts out of
 * memory.
 */
struct auth_limits *auth_limits_new(size_t slots);
void auth_limits_free(struct auth_limits **l);

/*
 * Whether one more event of kind `what` for `key` (a client IP, an
 * address) is within `limit` events per window of window_s seconds at
 * ctx->now, ratelimit_allow's contract: counts it when `count` is set;
 * when not allowed, *retry_after_r is the seconds until the window ends
 * (at least 1). A limit of 0 never allows.
 *
 * On a shared store (PostgreSQL) the count is one statement of
 * ctx->store's, outside any transaction, in windows aligned on the clock
 * (now - now % window_s) so every node counts in the same one; the key
 * is stored as a SHA-256 of what|key. Past the limit every event is
 * counted too, and changes nothing: the window's end is the same. A
 * limit of 128 or more is claimed from the database limit / 64 hits at a
 * time and spent on the node (auth_limit.c, CLAIM_SHARE): the nodes
 * together still never allow more than the limit, a node's unspent claim
 * may refuse up to limit / 64 hits early, and a node that knows the
 * window's limit all claimed refuses without asking the database.
 *
 * Returns 1 when allowed, 0 when not, -1 with err when the database
 * cannot count (ERROR_TEMPORARY: it is unreachable). The caller must
 * then refuse (503): everything a limit guards needs that database
 * anyway, and allowing would be unlimited tries.
 */
int auth_limit_allow(struct auth_limits *l, const struct dir_ctx *ctx,
	const char *what, const char *key, int64_t limit, int64_t window_s,
	bool count, int64_t *retry_after_r, struct error *err);

#endif
