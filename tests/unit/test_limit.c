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

/* The store's counters: one statement counts and says the count. */
static void
test_rate_hit_counts_in_windows(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	int64_t hits = -1, start = -1;
	for (int64_t i = 1; i <= 3; i++) {
		assert_int_equal(store_rate_hit(u.st, "k1", 600, &hits, &start,
			&err), 0);
		assert_int_equal(hits, i);
		assert_int_equal(start, 600);
	}
	/* Another key counts alone. */
	assert_int_equal(store_rate_hit(u.st, "k2", 600, &hits, &start, &err),
		0);
	assert_int_equal(hits, 1);
	assert_int_equal(store_rate_hits(u.st, "k1", 600, &hits, &err), 0);
	assert_int_equal(hits, 3);
	assert_int_equal(store_rate_hits(u.st, "nobody", 600, &hits, &err), 0);
	assert_int_equal(hits, 0);
	/* The next window starts again at one; the old count reads as 0. */
	assert_int_equal(store_rate_hits(u.st, "k1", 660, &hits, &err), 0);
	assert_int_equal(hits, 0);
	assert_int_equal(store_rate_hit(u.st, "k1", 660, &hits, &start, &err),
		0);
	assert_int_equal(hits, 1);
	assert_int_equal(start, 660);
	/*
	 * A node whose clock is behind counts in the window already begun
	 * (a skewed clock counts more, never starts the count again).
	 */
	assert_int_equal(store_rate_hit(u.st, "k1", 600, &hits, &start, &err),
		0);
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
		assert_int_equal(store_rate_hit(u.st, key, 600, &hits, &start,
			&err), 0);
	}
	assert_int_equal(store_rate_hit(u.st, "new", 660, &hits, &start,
		&err), 0);
	assert_int_equal(store_rate_purge(u.st, 660, &err), 10);
	assert_int_equal(store_rate_purge(u.st, 660, &err), 0);
	assert_int_equal(store_rate_hits(u.st, "new", 660, &hits, &err), 0);
	assert_int_equal(hits, 1);
	/* A purged key counts from one again. */
	assert_int_equal(store_rate_hit(u.st, "old3", 600, &hits, &start,
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
	assert_int_equal(store_rate_hit(u.st, "k", 600, &hits, &start, &err),
		-1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_int_equal(store_rate_purge(u.st, 600, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	store_rollback(u.st);
	assert_int_equal(store_rate_hit(u.st, "k", 600, &hits, &start, &err),
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
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	const char *clear = "signin|192.0.2.7";
	crypto_hash_sha256(digest, (const unsigned char *)clear,
		strlen(clear));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
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
		cmocka_unit_test(test_limiter_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
