/*
 * Counting events per key in fixed time windows, for 429 replies
 * (SECURITY.md 47): sign-ins per client address, recovery requests per
 * address and per account, token failures. Layer: core. Thread-safe; the
 * memory is fixed when made, so a flood of distinct keys evicts the
 * stalest counters instead of growing (a bounded, best-effort limit).
 */
#ifndef CORE_RATELIMIT_H
#define CORE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* A table of about `slots` counters (at least 8). Aborts out of memory. */
struct ratelimit *ratelimit_new(size_t slots);
void ratelimit_free(struct ratelimit **rl);

/*
 * Whether one more event for key is within `limit` events per window_s
 * seconds at time now (seconds, any monotonic origin); counts it when
 * `count` is set and it is allowed. When not allowed, *retry_after_r is
 * the seconds until the window ends (at least 1). A limit of 0 never
 * allows; keys are compared by a keyed 64-bit hash.
 */
bool ratelimit_allow(struct ratelimit *rl, const char *key, int64_t now,
	int64_t limit, int64_t window_s, bool count, int64_t *retry_after_r);

#endif
