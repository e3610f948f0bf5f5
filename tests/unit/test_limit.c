/*
 * Rate limits shared through the store (issue 14 item 2): the counters'
 * upsert and read (store_limit.h) and the limiter over them
 * (auth_limit.h), run on SQLite and, in the "pg" suite, on PostgreSQL,
 * where two limiters on two connections stand for two nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_limit.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_limit.h"
#include "unit_instance.h"

#define KEY_HEX (crypto_hash_sha256_BYTES * 2 + 1)

/* The key the limiter stores for clear ("what|key"): its SHA-256 in hex. */
static const char *
stored_key(const char *clear, char hex[KEY_HEX])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)clear,
		strlen(clear));
	sodium_bin2hex(hex, KEY_HEX, digest, sizeof(digest));
	return clear;
}

/* The store's counters: one statement counts and says the count. */
static void
test_rate_hit_counts_in_windows(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	int64_t hits = -1, start = -1;
	for (int64_t i = 1; i <= 3; i++) {
		assert_int_equal(store_rate_hit(u.st, "k1", 600, 1, &hits,
			&start, &err), 0);
		assert_int_equal(hits, i);
		assert_int_equal(start, 600);
	}
	/* Another key counts alone. */
	assert_int_equal(store_rate_hit(u.st, "k2", 600, 1, &hits, &start,
		&err), 0);
	assert_int_equal(hits, 1);
	assert_int_equal(store_rate_hits(u.st, "k1", 600, &hits, &err), 0);
	assert_int_equal(hits, 3);
	assert_int_equal(store_rate_hits(u.st, "nobody", 600, &hits, &err), 0);
	assert_int_equal(hits, 0);
	/* The next window starts again at one; the old count reads as 0. */
	assert_int_equal(store_rate_hits(u.st, "k1", 660, &hits, &err), 0);
	assert_int_equal(hits, 0);
	assert_int_equal(store_rate_hit(u.st, "k1", 660, 1, &hits, &start,
		&err), 0);
	assert_int_equal(hits, 1);
	assert_int_equal(start, 660);
	/*
	 * A node whose clock is behind counts in the window already begun
	 * (a skewed clock counts more, never starts the count again).
	 */
	assert_int_equal(store_rate_hit(u.st, "k1", 600, 1, &hits, &start,
		&err), 0);
	assert_int_equal(hits, 2);
	assert_int_equal(start, 660);
	assert_int_equal(store_rate_hits(u.st, "k1", 600, &hits, &err), 0);
	assert_int_equal(hits, 2);
	assert_int_equal(unit_instance_close(&u), 0);
}

/* Ended windows are purged; the current ones stay. */
static void
test_rate_purge(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	int64_t hits, start;
	char key[32];
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "old%d", i);
		assert_int_equal(store_rate_hit(u.st, key, 600, 1, &hits,
			&start, &err), 0);
	}
	assert_int_equal(store_rate_hit(u.st, "new", 660, 1, &hits, &start,
		&err), 0);
	assert_int_equal(store_rate_purge(u.st, 660, &err), 10);
	assert_int_equal(store_rate_purge(u.st, 660, &err), 0);
	assert_int_equal(store_rate_hits(u.st, "new", 660, &hits, &err), 0);
	assert_int_equal(hits, 1);
	/* A purged key counts from one again. */
	assert_int_equal(store_rate_hit(u.st, "old3", 600, 1, &hits, &start,
		&err), 0);
	assert_int_equal(hits, 1);
	assert_int_equal(unit_instance_close(&u), 0);
}

/* Never inside a writer's transaction, whose lock it would wait on. */
static void
test_rate_outside_transactions(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	int64_t hits, start;
	assert_int_equal(store_begin(u.st, &err), 0);
	assert_int_equal(store_rate_hit(u.st, "k", 600, 1, &hits, &start, &err),
		-1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_int_equal(store_rate_purge(u.st, 600, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	store_rollback(u.st);
	assert_int_equal(store_rate_hit(u.st, "k", 600, 1, &hits, &start, &err),
		0);
	assert_int_equal(hits, 1);
	assert_int_equal(unit_instance_close(&u), 0);
}

/*
 * Two limiters, each with a connection of its own, are two nodes: on a
 * shared store (PostgreSQL) they count together, so the limit is the
 * same whichever node is asked; on SQLite (one process) each counts
 * alone, in memory, and the database holds no counter.
 */
static void
test_limiter_two_nodes(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	struct store *st2 = store_open(u.backend, u.path, false, 5000, &err);
	assert_non_null(st2);
	struct auth_limits *a = auth_limits_new(64), *b = auth_limits_new(64);
	struct dir_ctx ca = u.ctx, cb = u.ctx;
	cb.store = st2;
	ca.now = cb.now = 1000000 * 60 + 5;	/* 5 s into a 60 s window */
	/* The test knows its backend; the limiter must tell the same. */
	bool shared = strcmp(u.backend, "postgresql") == 0;
	assert_int_equal(store_is_shared(u.st), shared);
	assert_int_equal(store_is_shared(st2), shared);
	const int64_t limit = 5;
	int allowed = 0;
	int64_t retry = 0;
	for (int i = 0; i < 2 * (int)limit; i++) {
		struct auth_limits *l = i % 2 == 0 ? a : b;
		struct dir_ctx *c = i % 2 == 0 ? &ca : &cb;
		int rc = auth_limit_allow(l, c, "signin", "192.0.2.7", limit,
			60, true, &retry, &err);
		assert_true(rc >= 0);
		allowed += rc;
	}
	/* Shared: 5 of the 10 tries, whichever node; alone: 5 on each. */
	assert_int_equal(allowed, shared ? limit : 2 * limit);
	if (shared)
		assert_int_equal(retry, 55);
	/* A check that does not count agrees on both nodes. */
	int rc_a = auth_limit_allow(a, &ca, "signin", "192.0.2.7", limit, 60,
		false, &retry, &err);
	int rc_b = auth_limit_allow(b, &cb, "signin", "192.0.2.7", limit, 60,
		false, &retry, &err);
	assert_int_equal(rc_a, 0);
	assert_int_equal(rc_b, 0);
	/* Another kind or another IP is not limited by it. */
	assert_int_equal(auth_limit_allow(a, &ca, "recovery_ip", "192.0.2.7",
		limit, 60, true, &retry, &err), 1);
	assert_int_equal(auth_limit_allow(b, &cb, "signin", "192.0.2.8",
		limit, 60, true, &retry, &err), 1);
	/* The stored key is a hash of what|key; the IP is nowhere in clear. */
	char hex[KEY_HEX];
	const char *clear = stored_key("signin|192.0.2.7", hex);
	int64_t hits;
	assert_int_equal(store_rate_hits(u.st, hex, 60000000, &hits, &err), 0);
	/* Every try is counted, past the limit too. */
	assert_int_equal(hits, shared ? 2 * limit : 0);
	assert_int_equal(store_rate_hits(u.st, clear, 60000000, &hits, &err),
		0);
	assert_int_equal(hits, 0);
	assert_int_equal(store_rate_hits(u.st, "192.0.2.7", 60000000, &hits,
		&err), 0);
	assert_int_equal(hits, 0);
	/* The next window allows again, on either node. */
	ca.now += 60;
	cb.now += 60;
	assert_int_equal(auth_limit_allow(b, &cb, "signin", "192.0.2.7",
		limit, 60, true, &retry, &err), 1);
	assert_int_equal(auth_limit_allow(a, &ca, "signin", "192.0.2.7",
		limit, 60, true, &retry, &err), 1);
	if (shared) {
		/* The first call of the window purged the ended one's rows. */
		assert_int_equal(store_rate_hits(u.st, hex, 0, &hits, &err),
			0);
		assert_int_equal(hits, 2);
		assert_int_equal(store_rate_purge(u.st, 60000060, &err), 0);
	}
	auth_limits_free(&a);
	auth_limits_free(&b);
	assert_null(a);
	store_close(&st2);
	assert_int_equal(unit_instance_close(&u), 0);
}

/* Counted tries of one key, alternating between nodes by a seeded rule. */
static int
tries(struct auth_limits *a, struct dir_ctx *ca, struct auth_limits *b,
	struct dir_ctx *cb, int64_t limit, int n, unsigned seed)
{
	struct error err;
	int64_t retry;
	int allowed = 0;
	for (int i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		bool on_b = b != NULL && (seed >> 16) % 3 == 0;
		int rc = auth_limit_allow(on_b ? b : a, on_b ? cb : ca,
			"search", "who@example.org", limit, 60, true, &retry,
			&err);
		assert_true(rc >= 0);
		allowed += rc;
	}
	return allowed;
}

/*
 * A large limit is claimed from the database a share at a time
 * (auth_limit.c, CLAIM_SHARE 64): on a shared store two nodes together
 * never allow more than the limit, and refuse early by at most one
 * share less a hit each; a node that knows the limit all claimed asks
 * the database no more in that window.
 */
static void
test_limiter_claims(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	struct store *st2 = store_open(u.backend, u.path, false, 5000, &err);
	assert_non_null(st2);
	bool shared = store_is_shared(u.st);
	const int64_t limit = 640, share = limit / 64;
	struct dir_ctx ca = u.ctx, cb = u.ctx;
	cb.store = st2;
	for (unsigned seed = 1; seed <= 4; seed++) {
		struct auth_limits *a = auth_limits_new(64);
		struct auth_limits *b = auth_limits_new(64);
		/* Each seed in a window of its own. */
		ca.now = cb.now = (int64_t)(1000000 + seed) * 60 + 5;
		int allowed = tries(a, &ca, b, &cb, limit, 3 * (int)limit,
			seed);
		if (shared) {
			assert_true(allowed <= limit);
			assert_true(allowed >= limit - 2 * (share - 1));
		} else {
			/* Alone, each node counts its own tries to the limit. */
			assert_true(allowed > limit);
		}
		auth_limits_free(&a);
		auth_limits_free(&b);
	}
	/* One node alone is exact: the limit, and not one more. */
	struct auth_limits *a = auth_limits_new(64);
	ca.now = 1000100 * 60 + 5;
	assert_int_equal(tries(a, &ca, NULL, NULL, limit, 2 * (int)limit, 7),
		limit);
	if (shared) {
		/*
		 * The database counted claims, and none after the node knew
		 * the limit all claimed: fewer than one hit a try.
		 */
		char hex[KEY_HEX];
		stored_key("search|who@example.org", hex);
		int64_t hits;
		assert_int_equal(store_rate_hits(u.st, hex, 1000100 * 60,
			&hits, &err), 0);
		assert_int_equal(hits, limit);
		/* A check that does not count: the window is used up. */
		int64_t retry;
		assert_int_equal(auth_limit_allow(a, &ca, "search",
			"who@example.org", limit, 60, false, &retry, &err), 0);
		assert_int_equal(retry, 55);
	}
	/*
	 * All but five hits spent, the whole limit claimed: a check that
	 * does not count allows on the node that holds the five unspent, and
	 * on a shared store not on another, which could claim none.
	 */
	ca.now += 60;
	assert_int_equal(tries(a, &ca, NULL, NULL, limit, (int)limit - 5, 7),
		limit - 5);
	struct auth_limits *b = auth_limits_new(64);
	cb.now = ca.now;
	int64_t retry;
	assert_int_equal(auth_limit_allow(a, &ca, "search", "who@example.org",
		limit, 60, false, &retry, &err), 1);
	assert_int_equal(auth_limit_allow(b, &cb, "search", "who@example.org",
		limit, 60, false, &retry, &err), shared ? 0 : 1);
	auth_limits_free(&a);
	auth_limits_free(&b);
	store_close(&st2);
	assert_int_equal(unit_instance_close(&u), 0);
}

/* A limit of 0 never allows, counted or not, shared or not. */
static void
test_limiter_zero(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	struct auth_limits *a = auth_limits_new(64);
	int64_t retry = 0;
	assert_int_equal(auth_limit_allow(a, &u.ctx, "search", "x@example.org",
		0, 60, false, &retry, &err), 0);
	assert_int_equal(auth_limit_allow(a, &u.ctx, "search", "x@example.org",
		0, 60, true, &retry, &err), 0);
	assert_true(retry >= 1 && retry <= 60);
	auth_limits_free(&a);
	assert_int_equal(unit_instance_close(&u), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_hit_counts_in_windows),
		cmocka_unit_test(test_rate_purge),
		cmocka_unit_test(test_rate_outside_transactions),
		cmocka_unit_test(test_limiter_two_nodes),
		cmocka_unit_test(test_limiter_claims),
		cmocka_unit_test(test_limiter_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
