/*
 * Self-service and tokens, below the API: how security answers are
 * normalised, the rate limiter's counting, windows, bounds and threads,
 * token source-address lists, and a token's scope and action check
 * (SPEC P11, P16; SECURITY.md 39, 47).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_access.h"
#include "auth/auth_recovery.h"
#include "auth/auth_token.h"
#include "core/error.h"
#include "core/ratelimit.h"
#include "dir/dir.h"
#include "unit_instance.h"

/* ---- answer normalisation ---- */

static void
expect_norm(const char *in, const char *want)
{
	char out[256];
	assert_int_equal(auth_answer_normalise(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void
test_normalise_space_and_case(void **state)
{
	expect_norm("Little Snoring", "little snoring");
	expect_norm("  LITTLE   snoring  ", "little snoring");
	expect_norm("\tlittle\n\r snoring\v", "little snoring");
	expect_norm("little\xc2\xa0snoring", "little snoring");	/* NBSP */
	expect_norm("", "");
	expect_norm("   ", "");
	expect_norm("Rex2", "rex2");
}

static void
test_normalise_unicode_fold(void **state)
{
	expect_norm("\xc3\x89MILE", "\xc3\xa9mile");		/* ÉMILE */
	expect_norm("\xc3\x98RSTED", "\xc3\xb8rsted");		/* ØRSTED */
	expect_norm("\xc3\x97", "\xc3\x97");			/* × stays */
	expect_norm("\xc5\x81\xc3\x93" "D\xc5\xb9", "\xc5\x82\xc3\xb3" "d"
		"\xc5\xba");					/* ŁÓDŹ */
	expect_norm("\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91",
		"\xce\xb1\xce\xb8\xce\xb7\xce\xbd\xce\xb1");	/* ΑΘΗΝΑ */
	expect_norm("\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90",
		"\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0");	/* МОСКВА */
	expect_norm("\xc5\xb8", "\xc3\xbf");			/* Ÿ → ÿ */
	/* Folded forms compare equal however they were typed. */
	char a[64], b[64];
	assert_int_equal(auth_answer_normalise(" Z\xc3\x9cRICH ", a,
				 sizeof(a)), 0);
	assert_int_equal(auth_answer_normalise("z\xc3\xbcrich", b, sizeof(b)),
		0);
	assert_string_equal(a, b);
}

static void
test_normalise_refuses(void **state)
{
	char out[8];
	assert_int_equal(auth_answer_normalise("\xff", out, sizeof(out)), -1);
	assert_int_equal(auth_answer_normalise("\xc0\xaf", out, sizeof(out)),
		-1);					/* overlong '/' */
	assert_int_equal(auth_answer_normalise("\xed\xa0\x80", out,
				 sizeof(out)), -1);	/* a surrogate */
	assert_int_equal(auth_answer_normalise("abc\xe2\x82", out,
				 sizeof(out)), -1);	/* cut short */
	assert_int_equal(auth_answer_normalise("abcdefgh", out, sizeof(out)),
		-1);					/* does not fit */
	assert_int_equal(auth_answer_normalise("abcdefg", out, sizeof(out)),
		0);
}

/* ---- the rate limiter ---- */

static void
test_ratelimit_counts_and_windows(void **state)
{
	struct ratelimit *rl = ratelimit_new(64);
	int64_t retry = 0;
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_allow(rl, "ip|1", 100, 3, 60, true,
			&retry));
	assert_false(ratelimit_allow(rl, "ip|1", 110, 3, 60, true, &retry));
	assert_int_equal(retry, 50);
	/* Other keys are counted apart. */
	assert_true(ratelimit_allow(rl, "ip|2", 110, 3, 60, true, &retry));
	/* Peeking counts nothing. */
	for (int i = 0; i < 10; i++)
		assert_true(ratelimit_allow(rl, "ip|3", 110, 1, 60, false,
			&retry));
	assert_true(ratelimit_allow(rl, "ip|3", 110, 1, 60, true, &retry));
	assert_false(ratelimit_allow(rl, "ip|3", 110, 1, 60, false, &retry));
	/* A new window starts afresh. */
	assert_false(ratelimit_allow(rl, "ip|1", 159, 3, 60, true, &retry));
	assert_int_equal(retry, 1);
	assert_true(ratelimit_allow(rl, "ip|1", 160, 3, 60, true, &retry));
	/* A limit of 0 never allows. */
	assert_false(ratelimit_allow(rl, "ip|4", 160, 0, 60, true, &retry));
	ratelimit_free(&rl);
	assert_null(rl);
}

static void
test_ratelimit_bounded(void **state)
{
	/* Far more keys than slots: memory stays put, new keys still work,
	 * and a key that keeps being hit is not starved. */
	struct ratelimit *rl = ratelimit_new(16);
	char key[32];
	int64_t retry;
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_true(ratelimit_allow(rl, key, 1000 + i / 100, 5, 60, true,
			&retry));
	}
	ratelimit_free(&rl);
}

struct hammer {
	struct ratelimit *rl;
	int allowed;
};

static void *
hammer_run(void *arg)
{
	struct hammer *h = arg;
	for (int i = 0; i < 1000; i++) {
		if (ratelimit_allow(h->rl, "shared", 5, 500, 60, true, NULL))
			h->allowed++;
	}
	return NULL;
}

static void
test_ratelimit_threads(void **state)
{
	struct ratelimit *rl = ratelimit_new(64);
	pthread_t t[4];
	struct hammer h[4];
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ rl, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]),
			0);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += h[i].allowed;
	}
	assert_int_equal(total, 500);	/* exactly the limit, never more */
	ratelimit_free(&rl);
}

/* ---- token source addresses ---- */

static void
test_token_peer_lists(void **state)
{
	assert_true(auth_token_peer_allowed("", "192.0.2.7"));
	assert_true(auth_token_peer_allowed("192.0.2.7", "192.0.2.7"));
	assert_false(auth_token_peer_allowed("192.0.2.7", "192.0.2.8"));
	assert_true(auth_token_peer_allowed("10.0.0.1, 192.0.2.0/24",
		"192.0.2.200"));
	assert_false(auth_token_peer_allowed("192.0.2.0/25", "192.0.2.200"));
	assert_true(auth_token_peer_allowed("192.0.2.0/25", "192.0.2.127"));
	assert_true(auth_token_peer_allowed("0.0.0.0/0", "203.0.113.9"));
	/* A dual-stack socket's IPv4 client. */
	assert_true(auth_token_peer_allowed("127.0.0.0/8",
		"::ffff:127.0.0.1"));
	assert_true(auth_token_peer_allowed("2001:db8::/32",
		"2001:db8:1::5"));
	assert_false(auth_token_peer_allowed("2001:db8::/32",
		"2001:db9::5"));
	/* IPv4 lives in IPv6's mapped range, so ::ffff:0:0/96 is all of it. */
	assert_true(auth_token_peer_allowed("::ffff:0:0/96", "192.0.2.1"));
	assert_false(auth_token_peer_allowed("::ffff:0:0/96", "2001:db8::1"));
	assert_false(auth_token_peer_allowed("192.0.2.7", ""));
	assert_false(auth_token_peer_allowed("192.0.2.7", "not an address"));
	assert_true(auth_cidr_valid("10.0.0.0/8"));
	assert_true(auth_cidr_valid("::1"));
	assert_false(auth_cidr_valid("10.0.0.0/33"));
	assert_false(auth_cidr_valid("10.0.0.0/"));
	assert_false(auth_cidr_valid("10.0.0.0/-1"));
	assert_false(auth_cidr_valid("example.org"));
	assert_false(auth_cidr_valid(""));
}

/* ---- a token's scope and actions ---- */

struct fixture {
	struct unit_instance u;
	int64_t parent, child, devolved, elsewhere;
};

static int64_t
org(struct fixture *f, const char *ods, const char *parent)
{
	struct dir_org_fields in = { .ods = ods, .name = ods,
		.parent_ods = parent };
	struct store_org o;
	struct error err;
	if (dir_org_add(&f->u.ctx, &in, &o, &err) < 0)
		fail_msg("%s", err.msg);
	return o.id;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "trust.example", "test") < 0)
		return -1;
	f->parent = org(f, "QWE", NULL);
	f->child = org(f, "J81001", "QWE");
	f->devolved = org(f, "J81002", "QWE");
	f->elsewhere = org(f, "OTHER", NULL);
	struct dir_person_fields p = { .org_ods = "J81002", .first_name = "Pat",
		.last_name = "Primary", .mobile_hidden = -1 };
	struct store_person out;
	struct error err;
	if (dir_person_add(&f->u.ctx, &p, &out, &err) < 0 ||
	    dir_role_add(&f->u.ctx, out.address, "J81002",
		    "primary_local_admin", &err) < 0)
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc = unit_instance_close(&f->u);
	free(f);
	return rc;
}

static bool
token_may(struct fixture *f, const struct store_api_token *t,
	enum auth_action a, int64_t org_id)
{
	struct error err;
	int rc = auth_token_check(&f->u.ctx, t, a, org_id, &err);
	if (rc < 0 && err.code != ERROR_DENIED)
		fail_msg("auth_token_check failed: %s", err.msg);
	return rc == 0;
}

static void
test_token_scope_and_actions(void **state)
{
	struct fixture *f = *state;
	struct store_api_token t = { .org_id = f->parent,
		.actions = "org.read,user.read" };
	assert_true(token_may(f, &t, AUTH_USER_READ, f->parent));
	assert_true(token_may(f, &t, AUTH_ORG_READ, f->child));
	/* Below a devolved org, and elsewhere, are out of reach. */
	assert_false(token_may(f, &t, AUTH_USER_READ, f->devolved));
	assert_false(token_may(f, &t, AUTH_USER_READ, f->elsewhere));
	/* Only the actions given, never a prefix or org-wide ones. */
	assert_false(token_may(f, &t, AUTH_USER_EDIT, f->parent));
	assert_false(token_may(f, &t, AUTH_USER_READ, 0));
	struct store_api_token shorter = { .org_id = f->parent,
		.actions = "user.rea" };
	assert_false(token_may(f, &shorter, AUTH_USER_READ, f->parent));
	/* A token for the devolved org itself reaches it. */
	struct store_api_token own = { .org_id = f->devolved,
		.actions = "user.read" };
	assert_true(token_may(f, &own, AUTH_USER_READ, f->devolved));
	assert_false(token_may(f, &own, AUTH_USER_READ, f->parent));
	struct error err;
	assert_int_equal(auth_token_check(&f->u.ctx, &t, AUTH_USER_EDIT,
				 f->parent, &err), -1);
	assert_non_null(strstr(err.msg, "user.edit"));
}

static void
test_action_parse(void **state)
{
	enum auth_action a;
	for (int i = 0; i < AUTH_ACTION_COUNT; i++) {
		assert_true(auth_action_parse(
			auth_action_name((enum auth_action)i), &a));
		assert_int_equal(a, i);
	}
	assert_false(auth_action_parse("user", &a));
	assert_false(auth_action_parse(NULL, &a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise_space_and_case),
		cmocka_unit_test(test_normalise_unicode_fold),
		cmocka_unit_test(test_normalise_refuses),
		cmocka_unit_test(test_ratelimit_counts_and_windows),
		cmocka_unit_test(test_ratelimit_bounded),
		cmocka_unit_test(test_ratelimit_threads),
		cmocka_unit_test(test_token_peer_lists),
		cmocka_unit_test_setup_teardown(test_token_scope_and_actions,
			setup, teardown),
		cmocka_unit_test(test_action_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
