/*
 * The access table walked whole: every role × every action × an org in
 * scope, one below a devolved Primary LA, and one elsewhere, against an
 * expectation written out here independently of the table (SPEC P2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_access.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "dir/dir.h"
#include "unit_instance.h"

/* What each role may do, as the spec and seeds say, by action name. */
static const char *const expected[AUTH_ROLE_COUNT] = {
	[AUTH_ROLE_GLOBAL_ADMIN] =
		" org.read org.create org.edit org.devolve "
		"role.grant user.read user.create user.edit user.reset_password "
		"user.unlock user.lifecycle user.delete user.restore "
		"mailbox.manage contact.manage list.manage audit.read "
		"report.read ",
	[AUTH_ROLE_PRIMARY_LOCAL_ADMIN] =
		" org.read org.edit role.grant "
		"user.read user.create user.edit user.reset_password "
		"user.unlock user.lifecycle user.delete mailbox.manage "
		"contact.manage list.manage audit.read report.read ",
	[AUTH_ROLE_LOCAL_ADMIN] =
		" org.read org.edit user.read user.create "
		"user.edit user.reset_password user.unlock user.lifecycle "
		"user.delete mailbox.manage contact.manage list.manage "
		"audit.read report.read ",
	[AUTH_ROLE_HELPDESK_ADMIN] = " user.read user.reset_password "
				     "user.unlock ",
	[AUTH_ROLE_AUDIT_AUTHORISATION] = " org.read user.read audit.read "
					  "report.read ",
	[AUTH_ROLE_EDISCOVERY] = " ediscovery.search ",
};

static bool
expected_allows(enum auth_role role, enum auth_action action)
{
	char needle[64];
	snprintf(needle, sizeof(needle), " %s ", auth_action_name(action));
	return strstr(expected[role], needle) != NULL;
}

struct fixture {
	struct unit_instance u;
	int64_t in_scope, devolved, elsewhere;
	int64_t holder[AUTH_ROLE_COUNT]; /* person holding each role */
	int64_t nobody;			 /* holds no role */
};

static int64_t
org(struct fixture *f, const char *ods, const char *parent)
{
	struct dir_org_fields in = { .ods = ods,
		.name = ods,
		.parent_ods = parent };
	struct store_org o;
	struct error err;
	if (dir_org_add(&f->u.ctx, &in, &o, &err) < 0)
		fail_msg("%s", err.msg);
	return o.id;
}

static int64_t
person(struct fixture *f, const char *ods, const char *last, const char *role,
	const char *role_ods)
{
	struct dir_person_fields in = { .org_ods = ods,
		.first_name = "Pat",
		.last_name = last,
		.mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0 ||
		(role != NULL &&
			dir_role_add(&f->u.ctx, p.address, role_ods, role,
				&err) < 0))
		fail_msg("%s", err.msg);
	return p.id;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "trust.example", "test") < 0)
		return -1;
	org(f, "SERVICE", NULL);
	org(f, "QWE", NULL);
	f->in_scope = org(f, "J81001", "QWE");
	f->devolved = org(f, "J81002", "QWE");
	f->elsewhere = org(f, "OTHER", NULL);
	person(f, "J81002", "Devolved", "primary_local_admin", "J81002");
	for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
		bool global = auth_role_is_global((enum auth_role)r);
		char last[32];
		snprintf(last, sizeof(last), "Holder%c", 'a' + r);
		f->holder[r] = person(f, global ? "SERVICE" : "QWE", last,
			auth_role_name((enum auth_role)r),
			global ? "SERVICE" : "QWE");
	}
	f->nobody = person(f, "QWE", "Nobody", NULL, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	if (unit_instance_close(&f->u) < 0)
		return -1;
	free(f);
	return 0;
}

static bool
allowed(struct fixture *f, int64_t person_id, enum auth_action a,
	int64_t org_id)
{
	struct error err;
	int rc = auth_check(&f->u.ctx, person_id, a, org_id, &err);
	if (rc < 0 && err.code != ERROR_DENIED)
		fail_msg("auth_check failed: %s", err.msg);
	return rc == 0;
}

static void
test_whole_table(void **state)
{
	struct fixture *f = *state;
	size_t checked = 0;
	for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
		enum auth_role role = (enum auth_role)r;
		bool global = auth_role_is_global(role);
		for (int a = 0; a < AUTH_ACTION_COUNT; a++) {
			enum auth_action action = (enum auth_action)a;
			bool want = expected_allows(role, action);
			assert_int_equal(auth_role_allows(role, action), want);
			/* In scope: the role decides. */
			if (allowed(f, f->holder[r], action, f->in_scope) !=
				want)
				fail_msg("%s %s in scope", auth_role_name(role),
					auth_action_name(action));
			/* Out of scope, or devolved: only a global role
			 * reaches. */
			bool far = want && global;
			if (allowed(f, f->holder[r], action, f->elsewhere) !=
					far ||
				allowed(f, f->holder[r], action, f->devolved) !=
					far)
				fail_msg("%s %s out of scope",
					auth_role_name(role),
					auth_action_name(action));
			/* An action on no particular org needs a global role.
			 */
			if (allowed(f, f->holder[r], action, 0) != far)
				fail_msg("%s %s on no org",
					auth_role_name(role),
					auth_action_name(action));
			assert_false(
				allowed(f, f->nobody, action, f->in_scope));
			checked += 5;
		}
	}
	print_message("checked %zu decisions\n", checked);
}

static void
test_refusals_say_why(void **state)
{
	struct fixture *f = *state;
	struct error err;
	assert_int_equal(auth_check(&f->u.ctx,
				 f->holder[AUTH_ROLE_HELPDESK_ADMIN],
				 AUTH_USER_DELETE, f->in_scope, &err),
		-1);
	assert_non_null(strstr(err.msg, "your role does not allow"));
	assert_int_equal(auth_check(&f->u.ctx, f->holder[AUTH_ROLE_LOCAL_ADMIN],
				 AUTH_USER_DELETE, f->elsewhere, &err),
		-1);
	assert_non_null(strstr(err.msg, "not one you administer"));
}

static void
test_scope_rule(void **state)
{
	(void)state;
	/* practice 3 -> region 2 -> root 1; the practice has its own PLA. */
	const struct auth_org_step chain[] = { { 3, true }, { 2, false },
		{ 1, false } };
	assert_true(auth_scope_covers(chain, 3, 3));
	assert_false(auth_scope_covers(chain, 3, 2));
	assert_false(auth_scope_covers(chain, 3, 1));
	const struct auth_org_step plain[] = { { 3, false }, { 2, false },
		{ 1, false } };
	assert_true(auth_scope_covers(plain, 3, 2));
	assert_true(auth_scope_covers(plain, 3, 1));
	assert_false(auth_scope_covers(plain, 3, 9));
	/* A devolved org in the middle cuts off everything above it. */
	const struct auth_org_step mid[] = { { 4, false }, { 3, true },
		{ 2, false } };
	assert_true(auth_scope_covers(mid, 3, 3));
	assert_false(auth_scope_covers(mid, 3, 2));
}

static bool
has_id(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

/* The orgs a search or report spans are exactly those auth_check allows. */
static void
test_scope_orgs(void **state)
{
	struct fixture *f = *state;
	struct error err;
	bool all;
	int64_t *ids;
	size_t n;
	assert_int_equal(auth_scope_orgs(&f->u.ctx,
				 f->holder[AUTH_ROLE_LOCAL_ADMIN],
				 AUTH_AUDIT_READ, &all, &ids, &n, &err), 0);
	assert_false(all);
	assert_int_equal(n, 2);	/* QWE and J81001 */
	assert_true(has_id(ids, n, f->in_scope));
	assert_false(has_id(ids, n, f->devolved));
	assert_false(has_id(ids, n, f->elsewhere));
	for (size_t i = 0; i < n; i++)
		assert_true(allowed(f, f->holder[AUTH_ROLE_LOCAL_ADMIN],
			AUTH_AUDIT_READ, ids[i]));
	assert_int_equal(auth_scope_orgs(&f->u.ctx,
				 f->holder[AUTH_ROLE_GLOBAL_ADMIN],
				 AUTH_REPORT_READ, &all, &ids, &n, &err), 0);
	assert_true(all);
	assert_int_equal(n, 0);
	/* A role without the action, and no role at all: nowhere. */
	assert_int_equal(auth_scope_orgs(&f->u.ctx,
				 f->holder[AUTH_ROLE_HELPDESK_ADMIN],
				 AUTH_AUDIT_READ, &all, &ids, &n, &err), 0);
	assert_false(all);
	assert_int_equal(n, 0);
	assert_int_equal(auth_scope_orgs(&f->u.ctx, f->nobody,
				 AUTH_REPORT_READ, &all, &ids, &n, &err), 0);
	assert_false(all);
	assert_int_equal(n, 0);
	/* eDiscovery is global, but not for audit. */
	assert_int_equal(auth_scope_orgs(&f->u.ctx,
				 f->holder[AUTH_ROLE_EDISCOVERY],
				 AUTH_AUDIT_READ, &all, &ids, &n, &err), 0);
	assert_false(all);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_table, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_refusals_say_why, setup,
			teardown),
		cmocka_unit_test(test_scope_rule),
		cmocka_unit_test_setup_teardown(test_scope_orgs, setup,
			teardown),
	};
	return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
