/*
 * The guest and licence rules (SPEC L8, L9) as tables at their
 * boundaries: who may invite (a leaver, a transferred or disabled
 * inviter may not), when an attestation is due (creation + 30 days, then
 * every 180), when the inviter is asked and when the guest is removed,
 * the orphan grace after an inviter leaves, which expiry notice is due
 * (60/30/7/0 days before, 23 and 83 after: seed 002 #9966), and the
 * notice days' and allocation rules' parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "dir/dir_guest.h"

#define D DIR_DAY
#define T0 ((int64_t)1767225600)	/* 2026-01-01T00:00:00Z */

static const struct dir_guest_terms terms = {
	.first_days = 30, .every_days = 180, .request_days = 14,
	.orphan_days = 14 };

static void
test_inviter_eligible(void **state)
{
	(void)state;
	static const struct {
		int64_t guest_org, inviter_org;
		bool active, eligible;
	} cases[] = {
		{ 7, 7, true, true },	/* an active person of the org */
		{ 7, 8, true, false },	/* transferred to another org */
		{ 7, 7, false, false },	/* a leaver, disabled or deleted */
		{ 7, 8, false, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(dir_guest_inviter_is_eligible(
			cases[i].guest_org, cases[i].inviter_org,
			cases[i].active), cases[i].eligible);
}

/* A guest of org 7 invited at T0 by an active person of org 7. */
static struct store_guest
guest(void)
{
	return (struct store_guest){ .id = 1, .org_id = 7, .inviter_org_id = 7,
		.inviter_active = true, .created_at = T0, .attested_at = T0,
		.attestations = 1 };
}

static void
test_guest_due_table(void **state)
{
	(void)state;
	struct store_guest first = guest();
	struct store_guest asked = guest();
	asked.requested_for = T0 + 30 * D;
	struct store_guest again = guest();	/* attested on day 29 */
	again.attested_at = T0 + 29 * D;
	again.attestations = 2;
	struct store_guest left = guest();	/* the inviter left */
	left.inviter_active = false;
	struct store_guest moved = guest();	/* transferred to org 8 */
	moved.inviter_org_id = 8;
	struct store_guest orphan = left;
	orphan.orphaned_at = T0 + 100 * D;
	struct store_guest handed = guest();	/* new inviter, not attested */
	handed.attested_at = 0;
	handed.orphaned_at = T0 + 100 * D;
	struct store_guest gone = guest();
	gone.removed_at = T0 + 5 * D;
	static const char *const names[] = { "nothing", "request", "orphan",
		"remove" };
	const struct {
		const char *what;
		const struct store_guest *g;
		int64_t now;
		enum dir_guest_step step;
		int64_t due_at;
	} cases[] = {
		{ "just invited", &first, T0, DIR_GUEST_NOTHING, T0 + 30 * D },
		{ "a second before the request", &first, T0 + 16 * D - 1,
		  DIR_GUEST_NOTHING, T0 + 30 * D },
		{ "request 14 days before day 30", &first, T0 + 16 * D,
		  DIR_GUEST_REQUEST, T0 + 30 * D },
		{ "asked already: once per deadline", &asked, T0 + 20 * D,
		  DIR_GUEST_NOTHING, T0 + 30 * D },
		{ "a second before day 30", &asked, T0 + 30 * D - 1,
		  DIR_GUEST_NOTHING, T0 + 30 * D },
		{ "day 30 not attested: removed", &asked, T0 + 30 * D,
		  DIR_GUEST_REMOVE, T0 + 30 * D },
		{ "long after: removed, not asked", &first, T0 + 400 * D,
		  DIR_GUEST_REMOVE, T0 + 30 * D },
		{ "attested day 29: next at +180", &again, T0 + 30 * D,
		  DIR_GUEST_NOTHING, T0 + 209 * D },
		{ "a second before +180", &again, T0 + 209 * D - 1,
		  DIR_GUEST_REQUEST, T0 + 209 * D },
		{ "at +180", &again, T0 + 209 * D, DIR_GUEST_REMOVE,
		  T0 + 209 * D },
		{ "inviter left: orphaned at once", &left, T0 + 100 * D,
		  DIR_GUEST_ORPHAN, T0 + 114 * D },
		{ "inviter moved org: orphaned at once", &moved, T0 + 1,
		  DIR_GUEST_ORPHAN, T0 + 1 + 14 * D },
		{ "orphaned, in the grace: no request", &orphan,
		  T0 + 114 * D - 1, DIR_GUEST_NOTHING, T0 + 114 * D },
		{ "orphaned, grace over: removed", &orphan, T0 + 114 * D,
		  DIR_GUEST_REMOVE, T0 + 114 * D },
		{ "new inviter asked at once", &handed, T0 + 101 * D,
		  DIR_GUEST_REQUEST, T0 + 114 * D },
		{ "new inviter never attested", &handed, T0 + 114 * D,
		  DIR_GUEST_REMOVE, T0 + 114 * D },
		{ "removed guests: nothing", &gone, T0 + 400 * D,
		  DIR_GUEST_NOTHING, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dir_guest_due r;
		dir_guest_due(cases[i].g, &terms, cases[i].now, &r);
		if (r.step != cases[i].step || r.due_at != cases[i].due_at)
			fail_msg("%s: got %s due %lld, want %s due %lld",
				cases[i].what, names[r.step],
				(long long)r.due_at, names[cases[i].step],
				(long long)cases[i].due_at);
	}
}

static void
test_notice_due_table(void **state)
{
	(void)state;
	const int64_t days[] = { 60, 30, 7, 0, -23, -83 };
	const int64_t X = T0 + 365 * D;	/* the expiry */
	const struct {
		int64_t now, sent_for, sent_step;
		int want;
	} cases[] = {
		{ X - 60 * D - 1, 0, -1, -1 },
		{ X - 60 * D, 0, -1, 0 },
		{ X - 60 * D, X, 0, -1 },	/* sent: once */
		{ X - 30 * D - 1, X, 0, -1 },
		{ X - 30 * D, X, 0, 1 },
		{ X - 7 * D, X, 1, 2 },
		{ X - 1, X, 2, -1 },
		{ X, X, 2, 3 },			/* the day it expires */
		{ X + 23 * D - 1, X, 3, -1 },
		{ X + 23 * D, X, 3, 4 },
		{ X + 83 * D, X, 4, 5 },
		{ X + 400 * D, X, 5, -1 },	/* nothing after +83 */
		{ X + 24 * D, 0, -1, 4 },	/* a gap: the latest only */
		{ X - 60 * D, X - 100 * D, 5, 0 },	/* renewed: again */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (dir_licence_notice_due(X, cases[i].sent_for,
			    cases[i].sent_step, days, 6, cases[i].now) !=
		    cases[i].want)
			fail_msg("case %zu: want %d", i, cases[i].want);
}

static void
test_notice_days_parse(void **state)
{
	(void)state;
	int64_t days[DIR_LICENCE_NOTICES_MAX];
	size_t n;
	struct error err;
	assert_int_equal(dir_licence_notice_days_parse(
		"60, 30, 7, 0, -23, -83", days, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(days[5], -83);
	static const char *const bad[] = { "60, 70", "60, x", "7, 7",
		"99999", "1.5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dir_licence_notice_days_parse(bad[i], days, &n, &err) == 0)
			fail_msg("%s was accepted", bad[i]);
}

static void
test_rule_parse(void **state)
{
	(void)state;
	const char *field, *value;
	char buf[256];
	struct error err;
	assert_int_equal(dir_licence_rule_parse("all", &field, &value, buf,
		sizeof(buf), &err), 0);
	assert_string_equal(field, "");
	assert_int_equal(dir_licence_rule_parse("department=Pharmacy", &field,
		&value, buf, sizeof(buf), &err), 0);
	assert_string_equal(field, "department");
	assert_string_equal(value, "Pharmacy");
	assert_int_equal(dir_licence_rule_parse("job_title=GP", &field,
		&value, buf, sizeof(buf), &err), 0);
	assert_string_equal(field, "job_title");
	static const char *const bad[] = { "", "everyone", "department=",
		"site=X", "=X", "departments=X" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dir_licence_rule_parse(bad[i], &field, &value, buf,
			    sizeof(buf), &err) == 0)
			fail_msg("rule '%s' was accepted", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inviter_eligible),
		cmocka_unit_test(test_guest_due_table),
		cmocka_unit_test(test_notice_due_table),
		cmocka_unit_test(test_notice_days_parse),
		cmocka_unit_test(test_rule_parse),
	};
	return cmocka_run_group_tests_name("guest", tests, NULL, NULL);
}
