/*
 * The account lifecycle (SPEC L1-L7, issue 13): the pure rules as tables
 * at the exact boundaries (day 89/90/91, 179/180, 18 months across a leap
 * year, the leaver's 30 days, the purge), a property test over random
 * histories asserting the L7 invariants, and the job step on a real store:
 * idempotent at one time, exact after a long gap, the purge keeping the
 * address, a dry run changing nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/str.h"
#include "dir/dir.h"
#include "jobs/jobs.h"
#include "lifecycle/lifecycle.h"
#include "mail/mail_notice.h"
#include "store/store_lifecycle.h"
#include "store/store_person.h"
#include "store/store_writer.h"
#include "unit_instance.h"

#define DAY LIFECYCLE_DAY_S
#define T0 ((int64_t)1767225600)	/* 2026-01-01T00:00:00Z */

static int64_t
utc(int y, int mo, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };
	return (int64_t)timegm(&tm);
}

/*
 * L3's notice, for every status: only a leaver is told, of the deletion
 * leaver_delete_after_days after they were marked; none when leavers are
 * never deleted (0).
 */
static void
test_leaver_notice_due(void **state)
{
	(void)state;
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);
	for (int st = STORE_PERSON_ACTIVE; st <= STORE_PERSON_INACTIVE; st++) {
		struct lifecycle_account a = { .status =
			(enum store_person_status)st, .created_at = T0,
			.status_changed_at = T0 + 5 * DAY };
		if (st == STORE_PERSON_DELETED)
			a.deleted_at = a.status_changed_at;
		struct lifecycle_transition t;
		bool due = lifecycle_leaver_notice_due(&cfg, &a, &t);
		assert_int_equal(due, st == STORE_PERSON_LEAVER);
		if (due) {
			assert_int_equal(t.step, LIFECYCLE_DELETE);
			assert_int_equal(t.due_at, T0 + 5 * DAY +
				cfg.leaver_delete_after_s);
			cfg.leaver_delete_after_s = 0;
			assert_false(lifecycle_leaver_notice_due(&cfg, &a, &t));
			lifecycle_config_default(&cfg);
		}
	}
}

/* ---- the rules at their boundaries ---- */

struct row {
	const char *name;
	struct lifecycle_account acct;
	int64_t now;
	enum lifecycle_step want;	/* due at now, or NONE */
};

static void
test_boundaries(void **state)
{
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);
	const struct lifecycle_account active = { .status = STORE_PERSON_ACTIVE,
		.created_at = T0, .status_changed_at = T0 };
	struct lifecycle_account signed_in = active;
	signed_in.last_signin_at = T0 + 10 * DAY;
	struct lifecycle_account pw = active;
	pw.password_changed_at = T0 + 20 * DAY;
	struct lifecycle_account inactive = active;
	inactive.status = STORE_PERSON_INACTIVE;
	inactive.status_changed_at = T0 + 90 * DAY;
	struct lifecycle_account woke = inactive;
	woke.last_signin_at = T0 + 100 * DAY;
	struct lifecycle_account deleted = inactive;
	deleted.status = STORE_PERSON_DELETED;
	deleted.deleted_at = deleted.status_changed_at = T0 + 180 * DAY;
	struct lifecycle_account purged = deleted;
	purged.purged_at = T0 + 210 * DAY;
	struct lifecycle_account leaver = active;
	leaver.status = STORE_PERSON_LEAVER;
	leaver.status_changed_at = T0 + 5 * DAY;
	/* Disabled on 29 Aug 2026: 18 months is 29 Feb 2028, a leap day. */
	struct lifecycle_account disabled = active;
	disabled.status = STORE_PERSON_DISABLED;
	disabled.status_changed_at = utc(2026, 8, 29);
	/* Disabled on 31 Aug 2027: 18 months is 29 Feb 2029 -> 28 Feb. */
	struct lifecycle_account disabled31 = disabled;
	disabled31.status_changed_at = utc(2027, 8, 31);
	const struct row rows[] = {
		{ "day 89 quiet", active, T0 + 89 * DAY, LIFECYCLE_NONE },
		{ "day 90 less 1 s", active, T0 + 90 * DAY - 1, LIFECYCLE_NONE },
		{ "day 90 quiet", active, T0 + 90 * DAY, LIFECYCLE_INACTIVE },
		{ "day 91 quiet", active, T0 + 91 * DAY, LIFECYCLE_INACTIVE },
		{ "sign-in day 10, day 99", signed_in, T0 + 99 * DAY,
		  LIFECYCLE_NONE },
		{ "sign-in day 10, day 100", signed_in, T0 + 100 * DAY,
		  LIFECYCLE_INACTIVE },
		{ "password day 20, day 109", pw, T0 + 109 * DAY,
		  LIFECYCLE_NONE },
		{ "password day 20, day 110", pw, T0 + 110 * DAY,
		  LIFECYCLE_INACTIVE },
		{ "inactive day 179", inactive, T0 + 179 * DAY, LIFECYCLE_NONE },
		{ "inactive day 180", inactive, T0 + 180 * DAY,
		  LIFECYCLE_DELETE },
		{ "inactive, signed in day 100", woke, T0 + 100 * DAY,
		  LIFECYCLE_REACTIVATE },
		{ "deleted day 209", deleted, T0 + 209 * DAY, LIFECYCLE_NONE },
		{ "deleted day 210", deleted, T0 + 210 * DAY, LIFECYCLE_PURGE },
		{ "purged, years on", purged, T0 + 3000 * DAY, LIFECYCLE_NONE },
		{ "leaver 29 days", leaver, T0 + 34 * DAY, LIFECYCLE_NONE },
		{ "leaver 30 days", leaver, T0 + 35 * DAY, LIFECYCLE_DELETE },
		{ "disabled 18 months less a day", disabled,
		  utc(2028, 2, 28), LIFECYCLE_NONE },
		{ "disabled 18 months (leap day)", disabled, utc(2028, 2, 29),
		  LIFECYCLE_DELETE },
		{ "disabled 31 Aug, 27 Feb 2029", disabled31, utc(2029, 2, 27),
		  LIFECYCLE_NONE },
		{ "disabled 31 Aug, 28 Feb 2029", disabled31, utc(2029, 2, 28),
		  LIFECYCLE_DELETE },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct lifecycle_transition t;
		bool due = lifecycle_due(&cfg, &rows[i].acct, rows[i].now, &t);
		enum lifecycle_step got = due ? t.step : LIFECYCLE_NONE;
		if (got != rows[i].want)
			fail_msg("%s: want %s, got %s", rows[i].name,
				lifecycle_step_name(rows[i].want),
				lifecycle_step_name(got));
	}
}

static void
test_durations_configurable(void **state)
{
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);
	cfg.inactive_after_s = 30 * DAY;
	const struct lifecycle_account a = { .status = STORE_PERSON_ACTIVE,
		.created_at = T0, .status_changed_at = T0 };
	struct lifecycle_transition t;
	assert_false(lifecycle_due(&cfg, &a, T0 + 29 * DAY, &t));
	assert_true(lifecycle_due(&cfg, &a, T0 + 30 * DAY, &t));
	cfg.inactive_after_s = 0;	/* off */
	assert_false(lifecycle_due(&cfg, &a, T0 + 9000 * DAY, &t));
	/* L4: 90 days; 0 turns it off. */
	assert_false(lifecycle_password_expired(&cfg, T0, T0 + 89 * DAY));
	assert_true(lifecycle_password_expired(&cfg, T0, T0 + 90 * DAY));
	cfg.password_max_age_s = 0;
	assert_false(lifecycle_password_expired(&cfg, T0, T0 + 900 * DAY));
}

static void
test_warnings(void **state)
{
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);	/* 14 and 1 days before */
	const struct lifecycle_account a = { .status = STORE_PERSON_ACTIVE,
		.created_at = T0, .status_changed_at = T0 };
	struct lifecycle_transition t;
	int lead = 0;
	assert_false(lifecycle_warning_due(&cfg, &a, T0 + 75 * DAY, &t,
		&lead));
	assert_true(lifecycle_warning_due(&cfg, &a, T0 + 76 * DAY, &t, &lead));
	assert_int_equal(lead, 14);
	assert_int_equal(t.step, LIFECYCLE_INACTIVE);
	assert_true(lifecycle_warning_due(&cfg, &a, T0 + 89 * DAY, &t, &lead));
	assert_int_equal(lead, 1);
	/* Once due, the step is done, not warned of. */
	assert_false(lifecycle_warning_due(&cfg, &a, T0 + 90 * DAY, &t,
		&lead));
}

/* The timeline the pages show: every step to come, warnings after now. */
static void
test_timeline(void **state)
{
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);	/* warnings 14 and 1 days before */
	const struct lifecycle_account a = { .status = STORE_PERSON_ACTIVE,
		.created_at = T0, .password_changed_at = T0 + 5 * DAY,
		.status_changed_at = T0 };
	struct lifecycle_timeline tl;
	/* Day 82: the 14-day warning of day 95 is past, the 1-day one not. */
	lifecycle_timeline(&cfg, &a, T0 + 82 * DAY, &tl);
	assert_int_equal(tl.step_count, 3);
	assert_int_equal(tl.steps[0].step, LIFECYCLE_INACTIVE);
	assert_int_equal(tl.steps[0].due_at, T0 + 95 * DAY);
	assert_int_equal(tl.steps[1].step, LIFECYCLE_DELETE);
	assert_int_equal(tl.steps[1].due_at, T0 + 185 * DAY);
	assert_int_equal(tl.steps[2].step, LIFECYCLE_PURGE);
	assert_int_equal(tl.steps[2].due_at, T0 + 215 * DAY);
	assert_int_equal(tl.warning_count, 5);
	assert_int_equal(tl.warnings[0].step, LIFECYCLE_INACTIVE);
	assert_int_equal(tl.warnings[0].lead_days, 1);
	assert_int_equal(tl.warnings[0].at, T0 + 94 * DAY);
	assert_int_equal(tl.warnings[4].step, LIFECYCLE_PURGE);
	assert_int_equal(tl.warnings[4].at, T0 + 214 * DAY);
	assert_int_equal(tl.password_expires_at, T0 + 95 * DAY);
	/* Purged: nothing to come; no password, no expiry; 0 turns L4 off. */
	struct lifecycle_account gone = a;
	gone.status = STORE_PERSON_DELETED;
	gone.deleted_at = T0;
	gone.purged_at = T0 + 30 * DAY;
	gone.password_changed_at = 0;
	lifecycle_timeline(&cfg, &gone, T0 + 80 * DAY, &tl);
	assert_int_equal(tl.step_count, 0);
	assert_int_equal(tl.warning_count, 0);
	assert_int_equal(tl.password_expires_at, 0);
	cfg.password_max_age_s = 0;
	lifecycle_timeline(&cfg, &a, T0, &tl);
	assert_int_equal(tl.password_expires_at, 0);
}

/* ---- L7 over random histories ---- */

static uint64_t seed = 0x13;

static uint32_t
rnd(uint32_t n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(seed >> 33) % n;
}

/*
 * L2 over every day of 2023-2032 (three leap years, 29 Feb included) at a
 * random time of day, for 18 months and every period from 1 to 36: the
 * deletion falls on the same day of the month that many calendar months
 * on, or that month's last day when it is shorter, at the same time of
 * day; one second before it nothing is due. The month lengths here come
 * from timegm, not from the rule's own table.
 */
static void
test_property_disabled_months_calendar(void **state)
{
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);
	for (int64_t day = utc(2023, 1, 1); day < utc(2033, 1, 1); day += DAY) {
		int64_t start = day + rnd(DAY);
		time_t tt = (time_t)start;
		struct tm s;
		gmtime_r(&tt, &s);
		for (int months = 1; months <= 36; months++) {
			if (months != 18 && rnd(6) != 0)
				continue;	/* 18 always, the rest sampled */
			int y = s.tm_year + 1900 + (s.tm_mon + months) / 12;
			int m = (s.tm_mon + months) % 12 + 1;
			int last = (int)((utc(y, m + 1, 1) - utc(y, m, 1)) / DAY);
			int d = s.tm_mday < last ? s.tm_mday : last;
			int64_t want = utc(y, m, d) + start - day;
			cfg.disabled_delete_months = months;
			const struct lifecycle_account a = {
				.status = STORE_PERSON_DISABLED,
				.created_at = start, .status_changed_at = start };
			struct lifecycle_transition t;
			if (lifecycle_due(&cfg, &a, want - 1, &t) ||
			    !lifecycle_due(&cfg, &a, want, &t) ||
			    t.step != LIFECYCLE_DELETE || t.due_at != want)
				fail_msg("disabled %04d-%02d-%02d + %d months: "
					"want %04d-%02d-%02d, got due at %lld",
					s.tm_year + 1900, s.tm_mon + 1,
					s.tm_mday, months, y, m, d,
					(long long)t.due_at);
		}
	}
}

/*
 * Even runs have the defaults; odd ones random durations, each sometimes 0
 * (the rule off), the deletion never before the inactivity period.
 */
static void
random_config(int run, struct lifecycle_config *cfg)
{
	lifecycle_config_default(cfg);
	if (run % 2 == 0)
		return;
	cfg->inactive_after_s = rnd(8) == 0 ? 0 :
		(int64_t)(1 + rnd(200)) * DAY;
	cfg->delete_after_s = rnd(8) == 0 ? 0 :
		cfg->inactive_after_s + (int64_t)rnd(200) * DAY;
	cfg->purge_after_s = (int64_t)rnd(61) * DAY;
	cfg->disabled_delete_months = (int)rnd(37);
	cfg->leaver_delete_after_s = (int64_t)rnd(61) * DAY;
}

/*
 * Random events (sign-ins, password changes, an LA's disable, enable,
 * leaver, join; the job at random times) on one account, under random
 * durations (any of them 0, off) as well as the defaults. After each:
 * a sign-in or password change leaves no Inactive account; the job never
 * wakes a Disabled or Leaver (unlocking or not, a leaver stays a leaver);
 * a Deleted account never comes back, by the rules or by any event; a
 * purge only follows deletion; each step is due no earlier than its
 * cause; an enable or a join restarts the clock (nothing due at once).
 */
static void
test_property_random_histories(void **state)
{
	struct lifecycle_config cfg;
	for (int run = 0; run < 2000; run++) {
		random_config(run, &cfg);
		struct lifecycle_account a = { .status = STORE_PERSON_ACTIVE,
			.created_at = T0, .status_changed_at = T0 };
		int64_t now = T0;
		for (int ev = 0; ev < 40; ev++) {
			now += (int64_t)rnd(120) * DAY + rnd(DAY);
			enum store_person_status before = a.status;
			switch (rnd(9)) {
			case 0:
			case 1: {
				bool woke = lifecycle_on_activity(&a, now,
					rnd(2) == 0);
				assert_true(woke ==
					(before == STORE_PERSON_INACTIVE));
				assert_int_not_equal(a.status,
					STORE_PERSON_INACTIVE);
				break;
			}
			case 2:
				if (a.status == STORE_PERSON_ACTIVE) {
					a.status = STORE_PERSON_DISABLED;
					a.status_changed_at = now;
				}
				break;
			case 3:
				if (a.status == STORE_PERSON_ACTIVE ||
				    a.status == STORE_PERSON_DISABLED) {
					a.status = STORE_PERSON_LEAVER;
					a.status_changed_at = now;
				}
				break;
			case 7:
			case 8: {
				/*
				 * An LA's enable (of a Disabled or Inactive
				 * account) or a leaver's join to a new org.
				 */
				bool joins = before == STORE_PERSON_LEAVER;
				if (!joins && before != STORE_PERSON_DISABLED &&
				    before != STORE_PERSON_INACTIVE)
					break;
				a.status = STORE_PERSON_ACTIVE;
				a.status_changed_at = now;
				struct lifecycle_transition t;
				if (lifecycle_due(&cfg, &a, now, &t))
					fail_msg("run %d: %s due at once after "
						"an %s", run,
						lifecycle_step_name(t.step),
						joins ? "join" : "enable");
				break;
			}
			default: {
				/* The job, as it runs: each due step in turn. */
				struct lifecycle_transition t;
				int steps = 0;
				while (lifecycle_due(&cfg, &a, now, &t)) {
					enum store_person_status was = a.status;
					int64_t purged = a.purged_at;
					assert_true(t.due_at <= now);
					assert_true(t.due_at >= a.status_changed_at ||
						t.step == LIFECYCLE_PURGE);
					lifecycle_apply(&a, &t);
					if (t.step == LIFECYCLE_REACTIVATE)
						assert_int_equal(was,
							STORE_PERSON_INACTIVE);
					if (was == STORE_PERSON_DELETED)
						assert_int_equal(a.status,
							STORE_PERSON_DELETED);
					if (t.step == LIFECYCLE_PURGE)
						assert_true(was ==
							STORE_PERSON_DELETED &&
							purged == 0);
					if (was == STORE_PERSON_DISABLED ||
					    was == STORE_PERSON_LEAVER)
						assert_int_equal(a.status,
							STORE_PERSON_DELETED);
					assert_true(++steps <= 4);
				}
				/* Idempotent: asked again, nothing is due. */
				assert_false(lifecycle_due(&cfg, &a, now, &t));
			}
			}
			if (before == STORE_PERSON_DELETED)
				assert_int_equal(a.status, STORE_PERSON_DELETED);
		}
	}
}

/* ---- the job on a real store ---- */

struct fixture {
	struct unit_instance u;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "trust.example", "la@trust.example") < 0)
		return -1;
	struct dir_org_fields in = { .ods = "AAA", .name = "AAA" };
	struct store_org o;
	struct error err;
	f->u.ctx.now = T0;
	if (dir_org_add(&f->u.ctx, &in, &o, &err) < 0)
		return -1;
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

static const char *
add_person(struct fixture *f, const char *last)
{
	struct dir_person_fields in = { .org_ods = "AAA", .first_name = "Pat",
		.last_name = last, .mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
		fail_msg("%s", err.msg);
	return p.address;
}

static size_t
run(struct fixture *f, int64_t at, bool dry)
{
	struct dir_ctx c = f->u.ctx;
	c.now = at;
	struct jobs_report r;
	bool ran;
	struct error err;
	if (jobs_run(&c, NULL, at, dry, "unit", 0, &r, &ran, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(ran);
	size_t n = json_array_size(r.items);
	json_decref(r.items);
	return n;
}

static struct store_person
person(struct fixture *f, const char *address)
{
	struct store_person p;
	struct error err;
	if (dir_person_get(&f->u.ctx, address, &p, &err) < 0)
		fail_msg("%s", err.msg);
	return p;
}

static void
test_job_idempotent_and_catch_up(void **state)
{
	struct fixture *f = *state;
	const char *quiet = add_person(f, "Quiet");
	const char *late = add_person(f, "Late");
	/* A dry run changes nothing and foretells the change. */
	assert_true(run(f, T0 + 91 * DAY, true) >= 2);
	assert_int_equal(person(f, quiet).status, STORE_PERSON_ACTIVE);
	run(f, T0 + 91 * DAY, false);
	struct store_person p = person(f, quiet);
	assert_int_equal(p.status, STORE_PERSON_INACTIVE);
	assert_int_equal(p.status_changed_at, T0 + 90 * DAY);
	/* The second run at the same time changes nothing. */
	assert_int_equal(run(f, T0 + 91 * DAY, false), 0);
	/* A long gap: straight to Deleted, dated day 180; purge at 210. */
	run(f, T0 + 200 * DAY, false);
	p = person(f, late);
	assert_int_equal(p.status, STORE_PERSON_DELETED);
	assert_int_equal(p.deleted_at, T0 + 180 * DAY);
	assert_int_equal(p.purged_at, 0);
	run(f, T0 + 210 * DAY, false);
	p = person(f, late);
	assert_int_equal(p.purged_at, T0 + 210 * DAY);
	/* The address stays reserved: a new person cannot take it. */
	assert_string_equal(p.address, late);
	assert_int_equal(run(f, T0 + 400 * DAY, false), 0);
}

/* Jobs the store's writers have been given (their commit histogram). */
static uint64_t
writer_jobs(void)
{
	struct str out;
	struct arena *a = arena_new(1 << 20);
	str_init(&out, a, 1 << 20);
	assert_int_equal(metrics_render(&out), 0);
	const char *name = "caremail_store_commit_seconds_count ";
	const char *at = strstr(str_cstr(&out), name);
	uint64_t n = at != NULL ? strtoull(at + strlen(name), NULL, 10) : 0;
	arena_free(&a);
	return n;
}

/* The lifecycle step on the writer, as serve runs it: its jobs. */
static uint64_t
lifecycle_jobs(struct fixture *f, struct store_writer *w, int64_t at,
	size_t *items_r)
{
	struct dir_ctx c = f->u.ctx;
	c.now = at;
	struct jobs_report r = { .items = json_array() };
	struct error err;
	uint64_t before = writer_jobs();
	if (jobs_lifecycle_run(&c, w, at, false, &r, &err) < 0)
		fail_msg("%s", err.msg);
	*items_r = json_array_size(r.items);
	json_decref(r.items);
	return writer_jobs() - before;
}

/*
 * A run writes only what is due: no transaction at all for people whose
 * rules say nothing now (an hourly run over 1.6 million people was 160
 * empty transactions on the writer), one for a page with someone due,
 * and one for the Local Administrators' digests. A warning or a leaver's
 * notice already sent is nothing due: the runs after it, until the step,
 * took a transaction each for the page before.
 */
static void
test_job_writes_only_what_is_due(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 5; i++)
		add_person(f, "Busy");
	struct error err;
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path,
		5000, &err);
	assert_non_null(w);
	size_t items;
	/* The day after: nothing due for anyone. */
	assert_int_equal(lifecycle_jobs(f, w, T0 + DAY, &items), 0);
	assert_int_equal(items, 0);
	/* Day 80: the 14 days' warning of day 90, then nothing till day 89. */
	assert_int_equal(lifecycle_jobs(f, w, T0 + 80 * DAY, &items), 1);
	assert_int_equal(items, 5);
	assert_int_equal(lifecycle_jobs(f, w, T0 + 80 * DAY + 3600, &items),
		0);
	assert_int_equal(items, 0);
	/* A leaver is told once. */
	struct dir_ctx c = f->u.ctx;
	c.now = T0 + 81 * DAY;
	struct store_person p;
	assert_int_equal(dir_person_mark_leaver(&c, add_person(f, "Going"), &p,
				 &err), 0);
	assert_int_equal(lifecycle_jobs(f, w, T0 + 81 * DAY, &items), 1);
	assert_int_equal(items, 1);
	assert_int_equal(lifecycle_jobs(f, w, T0 + 81 * DAY + 3600, &items),
		0);
	assert_int_equal(items, 0);
	/* Day 91: everyone goes Inactive, in one page; then the digest. */
	assert_int_equal(lifecycle_jobs(f, w, T0 + 91 * DAY, &items), 2);
	assert_true(items >= 5);
	/* Again: nothing more is due. */
	assert_int_equal(lifecycle_jobs(f, w, T0 + 91 * DAY, &items), 0);
	assert_int_equal(items, 0);
	store_writer_stop(&w);
}

/*
 * The same as a property, over an account's whole life: hourly runs from
 * day 1 to day 240 (every warning, step and notice of people who never
 * sign in, and of a leaver) write only when they report something, and a
 * run an hour after any of them writes and reports nothing.
 */
static void
test_job_writes_only_when_something_is_due_all_life(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 3; i++)
		add_person(f, "Whole");
	struct error err;
	struct dir_ctx c = f->u.ctx;
	c.now = T0 + 40 * DAY;
	struct store_person p;
	assert_int_equal(dir_person_mark_leaver(&c, add_person(f, "Leaves"),
				 &p, &err), 0);
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path,
		5000, &err);
	assert_non_null(w);
	size_t items, wrote = 0;
	for (int day = 41; day <= 240; day++) {
		int64_t at = T0 + day * DAY;
		uint64_t jobs = lifecycle_jobs(f, w, at, &items);
		if ((jobs > 0) != (items > 0))
			fail_msg("day %d: %llu jobs, %zu items", day,
				(unsigned long long)jobs, items);
		wrote += jobs > 0;
		if (lifecycle_jobs(f, w, at + 3600, &items) != 0 || items != 0)
			fail_msg("day %d: the run an hour later did something",
				day);
	}
	/* Warnings, steps and notices came on some days, not every day. */
	assert_true(wrote >= 5 && wrote < 40);
	store_writer_stop(&w);
}

/*
 * Deleted by the lifecycle as by an administrator (SPEC L7, the issue's
 * "delete removes every admin role"): the roles go, the mailbox is
 * closed at the step's date, and the audit row lists what was removed.
 */
/* The shared step alone, as of at: its items (the caller frees). */
static json_t *
run_shared(struct fixture *f, int64_t at, bool dry)
{
	struct dir_ctx c = f->u.ctx;
	c.now = at;
	struct jobs_report r = { .items = json_array() };
	struct error err;
	if (jobs_shared_run(&c, NULL, at, dry, &r, &err) < 0)
		fail_msg("%s", err.msg);
	return r.items;
}

static void
expect_items(json_t *items, const char *const *actions, const int64_t *ats,
	size_t n)
{
	if (json_array_size(items) != n)
		fail_msg("%zu items, want %zu: %s", json_array_size(items), n,
			json_dumps(items, 0));
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(items, i);
		assert_string_equal(json_string_value(json_object_get(it,
			"action")), actions[i]);
		assert_int_equal(json_integer_value(json_object_get(it, "at")),
			ats[i]);
	}
	json_decref(items);
}

/*
 * SPEC L5 on a real store: each notice and reminder once at one time,
 * and a long gap lands where daily runs would have: noticed as of day
 * 180, deleted as of day 210, the address kept.
 */
static void
test_job_shared_idempotent_and_catch_up(void **state)
{
	struct fixture *f = *state;
	struct store_mailbox daily, late, m;
	struct error err;
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "AAA", "shared",
		"Daily Desk", NULL, &daily, &err), 0);
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "AAA", "shared",
		"Late Desk", NULL, &late, &err), 0);
	const char *notice[] = { "notice", "notice" };
	const int64_t at180[] = { T0 + 180 * DAY, T0 + 180 * DAY };
	expect_items(run_shared(f, T0 + 180 * DAY - 1, false), NULL, NULL, 0);
	/* Daily runs for the first: the notice, then each reminder, once. */
	expect_items(run_shared(f, T0 + 181 * DAY, true), notice, at180, 2);
	expect_items(run_shared(f, T0 + 181 * DAY, false), notice, at180, 2);
	expect_items(run_shared(f, T0 + 181 * DAY, false), NULL, NULL, 0);
	/* Told on day 181, a day late: deletion day 211, a reminder 197. */
	const char *warn14[] = { "warn-14", "warn-14" };
	const int64_t at197[] = { T0 + 197 * DAY, T0 + 197 * DAY };
	expect_items(run_shared(f, T0 + 197 * DAY - 1, false), NULL, NULL, 0);
	expect_items(run_shared(f, T0 + 197 * DAY, false), warn14, at197, 2);
	expect_items(run_shared(f, T0 + 197 * DAY, false), NULL, NULL, 0);
	/* The first is kept; the second is left to its fate. */
	assert_int_equal(dir_mailbox_get(&f->u.ctx, daily.address, &m, &err),
		0);
	struct dir_ctx c = f->u.ctx;
	c.now = T0 + 198 * DAY;
	assert_int_equal(dir_shared_confirm(&c, &m, "unit", &err), 0);
	const char *del[] = { "delete" };
	const int64_t at211[] = { T0 + 211 * DAY };
	const char *warn1[] = { "warn-1" };
	const int64_t at210[] = { T0 + 210 * DAY };
	expect_items(run_shared(f, T0 + 211 * DAY - 1, false), warn1, at210,
		1);
	expect_items(run_shared(f, T0 + 211 * DAY, false), del, at211, 1);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, late.address, &m, &err),
		0);
	assert_int_equal(m.deleted_at, T0 + 211 * DAY);
	assert_string_equal(m.address, late.address);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, daily.address, &m, &err),
		0);
	assert_int_equal(m.deleted_at, 0);
	/* The kept one's clock restarted at the confirm: day 198 + 180. */
	const char *again[] = { "notice" };
	const int64_t at378[] = { T0 + 378 * DAY };
	expect_items(run_shared(f, T0 + 378 * DAY, false), again, at378, 1);

	/*
	 * A long gap: a third, never run for, is noticed (dated day 180) but
	 * never deleted in the same run: its owners get the whole confirm
	 * period from the day they were told (day 220), so day 250.
	 */
	struct store_mailbox gap;
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "AAA", "shared",
		"Gap Desk", NULL, &gap, &err), 0);
	const char *one[] = { "notice" };
	const int64_t gap_at[] = { T0 + 180 * DAY };
	expect_items(run_shared(f, T0 + 220 * DAY, true), one, gap_at, 1);
	expect_items(run_shared(f, T0 + 220 * DAY, false), one, gap_at, 1);
	expect_items(run_shared(f, T0 + 220 * DAY, false), NULL, NULL, 0);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, gap.address, &m, &err), 0);
	assert_int_equal(m.deleted_at, 0);
	const int64_t at250[] = { T0 + 250 * DAY };
	expect_items(run_shared(f, T0 + 250 * DAY, false), del, at250, 1);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, gap.address, &m, &err), 0);
	assert_int_equal(m.deleted_at, T0 + 250 * DAY);
}

static void
test_job_delete_removes_roles(void **state)
{
	struct fixture *f = *state;
	struct error err;
	const char *admin = add_person(f, "Admin");
	assert_int_equal(dir_role_add(&f->u.ctx, admin, "AAA", "local_admin",
				 &err),
		0);
	run(f, T0 + 181 * DAY, false);
	assert_int_equal(person(f, admin).status, STORE_PERSON_DELETED);
	struct store_role *roles;
	size_t n;
	assert_int_equal(dir_role_list(&f->u.ctx, admin, &roles, &n, &err), 0);
	assert_int_equal(n, 0);
	struct store_mailbox m;
	assert_int_equal(dir_mailbox_get(&f->u.ctx, admin, &m, &err), 0);
	assert_int_equal(m.status, STORE_MAILBOX_DELETED);
	assert_int_equal(m.deleted_at, T0 + 180 * DAY);
	struct store_audit_filter filter = { .action = "delete" };
	struct store_audit *rows;
	assert_int_equal(dir_audit_list(&f->u.ctx, &filter, &rows, &n, &err),
		0);
	assert_true(n >= 1);
	assert_non_null(strstr(rows[0].summary, "\"roles_removed\""));
	assert_non_null(strstr(rows[0].summary, "local_admin"));
}

/*
 * The service keeps one Global Administrator who can act: the rules let
 * the last one go Inactive, never Deleted; of two quiet ones the job
 * deletes one and keeps the other; an admin cannot delete, disable, mark
 * as a leaver or take the role from the last one either.
 */
static void
test_last_global_admin_kept(void **state)
{
	struct fixture *f = *state;
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);
	struct lifecycle_account acct = { .status = STORE_PERSON_INACTIVE,
		.created_at = T0, .status_changed_at = T0 + 90 * DAY };
	struct lifecycle_transition t;
	lifecycle_next(&cfg, &acct, &t);
	assert_int_equal(t.step, LIFECYCLE_DELETE);
	assert_int_equal(t.due_at, T0 + 180 * DAY);
	acct.last_global_admin = true;
	lifecycle_next(&cfg, &acct, &t);
	assert_int_equal(t.step, LIFECYCLE_NONE);

	struct error err;
	const char *one = add_person(f, "One"), *two = add_person(f, "Two");
	assert_int_equal(dir_role_add(&f->u.ctx, one, "AAA", "global_admin",
				 &err), 0);
	assert_int_equal(dir_role_add(&f->u.ctx, two, "AAA", "global_admin",
				 &err), 0);
	/* The dry run foretells what the run does: one of the two goes. */
	run(f, T0 + 181 * DAY, true);
	run(f, T0 + 181 * DAY, false);
	assert_int_equal(person(f, one).status, STORE_PERSON_DELETED);
	assert_int_equal(person(f, two).status, STORE_PERSON_INACTIVE);
	/* Later runs keep the last one, whatever the gap. */
	run(f, T0 + 900 * DAY, false);	/* the first one purged */
	assert_int_equal(run(f, T0 + 900 * DAY, false), 0);
	assert_int_equal(person(f, two).status, STORE_PERSON_INACTIVE);

	struct dir_ctx c = f->u.ctx;
	struct store_person p;
	c.now = T0 + 901 * DAY;
	assert_int_equal(dir_person_delete(&c, two, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "only Global Administrator"));
	assert_int_equal(dir_person_mark_leaver(&c, two, &p, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(dir_role_remove(&c, two, "AAA", "global_admin",
				 &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(person(f, two).status, STORE_PERSON_INACTIVE);
	/* With a second one appointed, the first may go. */
	const char *three = add_person(f, "Three");
	assert_int_equal(dir_role_add(&c, three, "AAA", "global_admin", &err),
		0);
	assert_int_equal(dir_person_delete(&c, two, &err), 0);
	assert_int_equal(dir_person_disable(&c, three, &p, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
}

/*
 * Whatever the number of quiet Global Administrators, a run leaves
 * exactly one of them who can act, and later ones, however many join
 * and go quiet, never leave none.
 */
static void
test_last_global_admin_any_number(void **state)
{
	struct fixture *f = *state;
	struct error err;
	static const char *const last[] = { "Ga", "Gb", "Gc", "Gd", "Ge",
		"Gf", "Gg", "Gh", "Gi", "Gj" };
	size_t made = 0;
	int64_t at = T0;
	for (size_t batch = 1; batch <= 4; batch++) {
		for (size_t i = 0; i < batch; i++) {
			struct dir_ctx c = f->u.ctx;
			c.now = at;
			const char *a = add_person(f, last[made++]);
			assert_int_equal(dir_role_add(&c, a, "AAA",
						 "global_admin", &err), 0);
		}
		at += 400 * DAY;	/* all of them quiet long enough */
		run(f, at, false);
		int64_t *ids;
		size_t n;
		assert_int_equal(dir_global_admins(&f->u.ctx, f->u.ctx.arena,
					 &ids, &n, &err), 0);
		assert_int_equal(n, 1);
		struct store_person p;
		assert_int_equal(store_person_get(f->u.st, ids[0],
					 f->u.ctx.arena, &p, &err), 0);
		assert_int_equal(p.status, STORE_PERSON_INACTIVE);
	}
}

static void
test_signin_wakes(void **state)
{
	struct fixture *f = *state;
	const char *a = add_person(f, "Sleepy");
	run(f, T0 + 95 * DAY, false);
	struct store_person p = person(f, a);
	assert_int_equal(p.status, STORE_PERSON_INACTIVE);
	struct dir_ctx c = f->u.ctx;
	c.now = T0 + 96 * DAY;
	struct error err;
	assert_int_equal(dir_begin(&c, &err), 0);
	assert_int_equal(dir_finish(&c, dir_person_wake(&c, &p, "signed in",
		&err), &err), 0);
	p = person(f, a);
	assert_int_equal(p.status, STORE_PERSON_ACTIVE);
	/* The clock restarts at the wake: nothing due, not even a warning. */
	assert_int_equal(run(f, T0 + 171 * DAY, false), 0);
	/* The warning 14 days before, once, and the status unchanged. */
	assert_int_equal(run(f, T0 + 172 * DAY, false), 1);
	assert_int_equal(run(f, T0 + 172 * DAY, false), 0);
	assert_int_equal(person(f, a).status, STORE_PERSON_ACTIVE);
	run(f, T0 + 186 * DAY, false);
	assert_int_equal(person(f, a).status, STORE_PERSON_INACTIVE);
}

/* ---- notice templates (P12) ---- */

static void
test_notice_defaults_and_escaping(void **state)
{
	struct fixture *f = *state;
	const struct mail_notice_field fields[] = {
		{ "name", "<b>Eve</b> & co\r\nBcc: all@example.org" },
		{ "org", "Smith & Jones <Surgery>" },
		{ "address", "eve@trust.example" }, { "date", "01 April 2027" },
	};
	const char *subject, *text, *html;
	struct error err;
	/* No file: the built-in default, text and HTML. */
	assert_int_equal(mail_notice_render(&f->u.ctx, "leaver", fields, 4,
		&subject, &text, &html, &err), 0);
	assert_string_equal(subject, "You have been marked as leaving Smith "
		"& Jones <Surgery>");
	assert_non_null(strstr(text, "Smith & Jones <Surgery> has marked"));
	assert_non_null(html);
	assert_non_null(strstr(html, "Smith &amp; Jones &lt;Surgery&gt;"));
	assert_null(strstr(html, "<Surgery>"));
	/* An operator's file, with a value trying to add a header line. */
	char dir[256], path[300];
	snprintf(dir, sizeof(dir), "%s/templates", f->u.dir);
	assert_int_equal(mail_notice_write_defaults(dir, &err), 0);
	snprintf(path, sizeof(path), "%s/warning.txt", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("Subject: Hello {{name}}\n\nBody for {{name}} {{nothing}}.\n", fp);
	fclose(fp);
	struct dir_ctx c = f->u.ctx;
	c.instance_dir = f->u.dir;
	assert_int_equal(mail_notice_render(&c, "warning", fields, 4,
		&subject, &text, &html, &err), 0);
	assert_null(strchr(subject, '\n'));
	assert_null(strchr(subject, '\r'));
	assert_string_equal(text, "Body for <b>Eve</b> & co\r\nBcc: "
		"all@example.org .\n");
	assert_null(html);
	/* A file without its Subject line is refused with a sentence. */
	fp = fopen(path, "w");
	fputs("Hello\n", fp);
	fclose(fp);
	assert_int_equal(mail_notice_render(&c, "warning", fields, 4,
		&subject, &text, &html, &err), -1);
	assert_non_null(strstr(err.msg, "Subject:"));
}

/* ---- L5: inactive shared mailboxes at their day boundaries ---- */

struct shared_row {
	const char *name;
	struct lifecycle_shared mb;
	int64_t now;
	enum lifecycle_shared_step want;	/* due at now, or NONE */
	int64_t due_at;				/* the next step's, due or not */
};

static void
test_shared_boundaries(void **state)
{
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);
	const struct lifecycle_shared fresh = { .created_at = T0,
		.last_used_at = T0 };
	struct lifecycle_shared used = fresh;
	used.last_used_at = T0 + 10 * DAY;
	struct lifecycle_shared noticed = fresh;
	noticed.noticed_at = T0 + 180 * DAY;
	/* Used (or confirmed) after the notice: that notice no longer holds. */
	struct lifecycle_shared confirmed = noticed;
	confirmed.last_used_at = T0 + 200 * DAY;
	/* Never recorded a use: its creation counts as one. */
	const struct lifecycle_shared unused = { .created_at = T0 };
	const struct shared_row rows[] = {
		{ "day 179", fresh, T0 + 179 * DAY, LIFECYCLE_SHARED_NONE,
		  T0 + 180 * DAY },
		{ "a second before day 180", fresh, T0 + 180 * DAY - 1,
		  LIFECYCLE_SHARED_NONE, T0 + 180 * DAY },
		{ "day 180", fresh, T0 + 180 * DAY, LIFECYCLE_SHARED_NOTICE,
		  T0 + 180 * DAY },
		{ "day 181", fresh, T0 + 181 * DAY, LIFECYCLE_SHARED_NOTICE,
		  T0 + 180 * DAY },
		{ "created, never used, day 180", unused, T0 + 180 * DAY,
		  LIFECYCLE_SHARED_NOTICE, T0 + 180 * DAY },
		{ "a use restarts the clock: day 189", used, T0 + 189 * DAY,
		  LIFECYCLE_SHARED_NONE, T0 + 190 * DAY },
		{ "a use restarts the clock: day 190", used, T0 + 190 * DAY,
		  LIFECYCLE_SHARED_NOTICE, T0 + 190 * DAY },
		{ "noticed, day 209", noticed, T0 + 209 * DAY,
		  LIFECYCLE_SHARED_NONE, T0 + 210 * DAY },
		{ "noticed, a second before day 210", noticed,
		  T0 + 210 * DAY - 1, LIFECYCLE_SHARED_NONE, T0 + 210 * DAY },
		{ "noticed, day 210", noticed, T0 + 210 * DAY,
		  LIFECYCLE_SHARED_DELETE, T0 + 210 * DAY },
		{ "confirmed, day 210", confirmed, T0 + 210 * DAY,
		  LIFECYCLE_SHARED_NONE, T0 + 380 * DAY },
		{ "confirmed, day 380", confirmed, T0 + 380 * DAY,
		  LIFECYCLE_SHARED_NOTICE, T0 + 380 * DAY },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct lifecycle_shared_transition t;
		bool due = lifecycle_shared_due(&cfg, &rows[i].mb, rows[i].now,
			&t);
		if ((due ? t.step : LIFECYCLE_SHARED_NONE) != rows[i].want ||
		    t.due_at != rows[i].due_at)
			fail_msg("%s: step %d due %lld, want %d due %lld",
				rows[i].name, due ? (int)t.step : 0,
				(long long)t.due_at, (int)rows[i].want,
				(long long)rows[i].due_at);
		if (due)
			assert_string_equal(t.rule, "L5 shared inactivity");
	}

	/* 0 turns the rule off; the confirm period is configurable. */
	struct lifecycle_config off = cfg;
	off.shared_inactive_s = 0;
	struct lifecycle_shared_transition t;
	assert_false(lifecycle_shared_due(&off, &fresh, T0 + 3000 * DAY, &t));
	struct lifecycle_config quick = cfg;
	quick.shared_confirm_s = 7 * DAY;
	assert_false(lifecycle_shared_due(&quick, &noticed,
		T0 + 187 * DAY - 1, &t));
	assert_true(lifecycle_shared_due(&quick, &noticed, T0 + 187 * DAY,
		&t));
	assert_int_equal(t.step, LIFECYCLE_SHARED_DELETE);

	/*
	 * After a long gap the notice is due (dated day 180) but the owners
	 * still get the whole confirm period from when they are told.
	 */
	struct lifecycle_shared mb = fresh;
	assert_true(lifecycle_shared_due(&cfg, &mb, T0 + 400 * DAY, &t));
	assert_int_equal(t.step, LIFECYCLE_SHARED_NOTICE);
	assert_int_equal(t.due_at, T0 + 180 * DAY);
	lifecycle_shared_apply(&mb, &t, T0 + 400 * DAY);
	assert_int_equal(mb.noticed_at, T0 + 400 * DAY);
	assert_false(lifecycle_shared_due(&cfg, &mb, T0 + 430 * DAY - 1, &t));
	assert_true(lifecycle_shared_due(&cfg, &mb, T0 + 430 * DAY, &t));
	assert_int_equal(t.step, LIFECYCLE_SHARED_DELETE);
	/* A run on time dates it at its due time. */
	mb = fresh;
	assert_true(lifecycle_shared_due(&cfg, &mb, T0 + 180 * DAY, &t));
	lifecycle_shared_apply(&mb, &t, T0 + 180 * DAY);
	assert_int_equal(mb.noticed_at, T0 + 180 * DAY);
}

/*
 * L5 over random histories: runs of the job at random times (gaps from an
 * hour to 300 days: a server down for months included) and uses of the
 * mailbox in between, with random periods. Whatever happens: a mailbox is
 * deleted only after a notice of the same quiet spell, never sooner than
 * the confirm period after the run that sent it, never when it was used
 * since; and one left alone is deleted by the first run the period allows.
 */
static void
test_property_shared_random_histories(void **state)
{
	(void)state;
	for (int run = 0; run < 2000; run++) {
		struct lifecycle_config cfg;
		lifecycle_config_default(&cfg);
		if (run % 2 == 1) {
			cfg.shared_inactive_s = (int64_t)(1 + rnd(400)) * DAY;
			cfg.shared_confirm_s = (int64_t)(1 + rnd(60)) * DAY;
		}
		struct lifecycle_shared mb = { .created_at = T0 };
		int64_t now = T0, told_at = 0;
		bool used_since_told = false;
		for (int ev = 0; ev < 60; ev++) {
			now += rnd(4) == 0 ? (int64_t)rnd(300) * DAY :
				3600 + (int64_t)rnd(20) * DAY;
			if (rnd(5) == 0) {	/* a use before this run */
				mb.last_used_at = now - rnd(3600);
				used_since_told = told_at != 0;
			}
			/* The job: at most a notice then its deletion. */
			struct lifecycle_shared_transition t;
			for (int g = 0; g < 2 &&
			     lifecycle_shared_due(&cfg, &mb, now, &t); g++) {
				if (t.step == LIFECYCLE_SHARED_NOTICE) {
					assert_true(t.due_at >= mb.created_at +
						cfg.shared_inactive_s);
					lifecycle_shared_apply(&mb, &t, now);
					assert_int_equal(mb.noticed_at, now);
					told_at = now;
					used_since_told = false;
					continue;
				}
				assert_int_equal(t.step, LIFECYCLE_SHARED_DELETE);
				assert_true(told_at != 0 && !used_since_told);
				assert_true(now >= told_at + cfg.shared_confirm_s);
				assert_true(lifecycle_shared_last_use(&mb) <
					told_at);
				break;
			}
			if (t.step == LIFECYCLE_SHARED_DELETE && t.due_at <= now)
				break;	/* deleted: its history ends */
			/* Left alone past the period, it is deleted now. */
			if (told_at != 0 && !used_since_told &&
			    now >= told_at + cfg.shared_confirm_s)
				fail_msg("run %d: kept past its period", run);
		}
	}
}

static void
test_shared_warnings(void **state)
{
	struct lifecycle_config cfg;
	lifecycle_config_default(&cfg);	/* warn 14 and 1 days before */
	const struct lifecycle_shared noticed = { .created_at = T0,
		.last_used_at = T0, .noticed_at = T0 + 180 * DAY };
	struct lifecycle_shared_transition t;
	int lead = 0;
	(void)state;
	/* Deletion on day 210: reminders on days 196 and 209. */
	assert_false(lifecycle_shared_warning_due(&cfg, &noticed,
		T0 + 196 * DAY - 1, 0, &t, &lead));
	assert_true(lifecycle_shared_warning_due(&cfg, &noticed,
		T0 + 196 * DAY, 0, &t, &lead));
	assert_int_equal(lead, 14);
	/* Sent once: with 14 sent, nothing until the 1-day one. */
	assert_false(lifecycle_shared_warning_due(&cfg, &noticed,
		T0 + 208 * DAY, 14, &t, &lead));
	assert_true(lifecycle_shared_warning_due(&cfg, &noticed,
		T0 + 209 * DAY, 14, &t, &lead));
	assert_int_equal(lead, 1);
	assert_false(lifecycle_shared_warning_due(&cfg, &noticed,
		T0 + 209 * DAY, 1, &t, &lead));
	/* None once due, none without a notice. */
	assert_false(lifecycle_shared_warning_due(&cfg, &noticed,
		T0 + 210 * DAY, 0, &t, &lead));
	const struct lifecycle_shared quiet = { .created_at = T0 };
	assert_false(lifecycle_shared_warning_due(&cfg, &quiet,
		T0 + 179 * DAY, 0, &t, &lead));
	/* A lead as long as the confirm period is the notice's own. */
	struct lifecycle_config short_confirm = cfg;
	short_confirm.shared_confirm_s = 14 * DAY;
	assert_false(lifecycle_shared_warning_due(&short_confirm, &noticed,
		T0 + 181 * DAY, 0, &t, &lead));
}

/*
 * Two nodes' timers in one period: the run record lets the first run and
 * the second skip, whoever holds the lease; the next period runs again.
 */
static bool
node_run(struct fixture *f, const char *holder, int64_t now,
	int64_t period_s)
{
	struct dir_ctx c = f->u.ctx;
	c.now = now;
	struct jobs_report r;
	bool ran;
	struct error err;
	if (jobs_run(&c, NULL, now, false, holder, period_s, &r, &ran,
		    &err) < 0)
		fail_msg("%s", err.msg);
	json_decref(r.items);
	return ran;
}

static void
test_job_period_runs_once(void **state)
{
	struct fixture *f = *state;
	const int64_t hour = 3600, p0 = T0 - T0 % hour;
	assert_true(node_run(f, "node-a:1", p0 + 5, hour));
	assert_false(node_run(f, "node-b:2", p0 + 1800, hour));
	/* Not even the same node twice in its period. */
	assert_false(node_run(f, "node-a:1", p0 + 1900, hour));
	assert_true(node_run(f, "node-b:2", p0 + hour + 3, hour));
	assert_false(node_run(f, "node-a:1", p0 + hour + 5, hour));
	/* A run by hand (no period) always runs. */
	assert_true(node_run(f, "cli:3", p0 + hour + 6, 0));
	/* A lease held (a run under way elsewhere) is not taken. */
	struct error err;
	assert_int_equal(store_lease_take(f->u.ctx.store, "jobs", "node-c:4",
		p0 + 2 * hour, p0 + 3 * hour, 0, &err), 1);
	assert_false(node_run(f, "node-a:1", p0 + 2 * hour + 1, hour));
	/* Its holder fails: the period is not recorded, so another runs it. */
	assert_int_equal(store_lease_release(f->u.ctx.store, "jobs",
		"node-c:4", p0 + 2 * hour + 2, false, &err), 0);
	assert_true(node_run(f, "node-a:1", p0 + 2 * hour + 3, hour));
}

/*
 * The property behind it: whatever the nodes, however their timers fall
 * (several in a period, none in some, periods of any length), each
 * period in which a timer fired is run exactly once, by the first timer.
 */
static void
test_property_job_period_once(void **state)
{
	struct fixture *f = *state;
	static const char *const nodes[] = { "n1:1", "n2:2", "n3:3" };
	srand(1414);
	int64_t t = T0 + 1000 * 86400;	/* after every earlier test's runs */
	for (int trial = 0; trial < 20; trial++) {
		const int64_t period = 60 + rand() % 7200;
		/* A fresh start: the next period of this length. */
		t += 2 * period - t % period;
		int64_t last_ran_period = -1;
		for (int firing = 0; firing < 40; firing++) {
			t += rand() % (period * 3 / 2 + 1);
			const char *holder = nodes[rand() % 3];
			bool ran = node_run(f, holder, t, period);
			int64_t this_period = t / period;
			bool first = this_period != last_ran_period;
			if (ran != first)
				fail_msg("trial %d firing %d: period %lld of %lld "
					"s: ran %d, first timer in it %d", trial,
					firing, (long long)this_period,
					(long long)period, ran, first);
			if (ran)
				last_ran_period = this_period;
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaver_notice_due),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_shared_boundaries),
		cmocka_unit_test(test_shared_warnings),
		cmocka_unit_test(test_property_shared_random_histories),
		cmocka_unit_test(test_durations_configurable),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_property_random_histories),
		cmocka_unit_test(test_property_disabled_months_calendar),
		cmocka_unit_test_setup_teardown(test_job_delete_removes_roles,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_writes_only_what_is_due,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_job_writes_only_when_something_is_due_all_life,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_idempotent_and_catch_up,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_signin_wakes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_last_global_admin_kept,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_last_global_admin_any_number, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_job_shared_idempotent_and_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_notice_defaults_and_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_period_runs_once,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_property_job_period_once,
			setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
