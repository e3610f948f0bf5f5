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
#include "store/store_person.h"
#include "store/store_org.h"
#include "unit_instance.h"

/* What each role may do, as the spec and seeds say, by action name. */
static const char *const expected[AUTH_ROLE_COUNT] = {
	[AUTH_ROLE_GLOBAL_ADMIN] =
		" org.read org.create org.edit org.devolve "
		"role.grant user.read user.create user.edit user.reset_password "
		"user.unlock user.lifecycle user.delete user.restore "
		"mailbox.manage contact.manage list.manage audit.read "
		"report.read role.grant_global token.manage relay.manage "
		"mail.send queue.manage maintenance.manage ",
	[AUTH_ROLE_PRIMARY_LOCAL_ADMIN] =
		" org.read org.edit role.grant "
		"user.read user.create user.edit user.reset_password "
		"user.unlock user.lifecycle user.delete mailbox.manage "
		"contact.manage list.manage audit.read report.read "
		"token.manage relay.manage mail.send ",
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
	int64_t devolved_pla;		 /* the devolved org's PLA */
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
	f->devolved_pla = person(f, "J81002", "Devolved",
		"primary_local_admin", "J81002");
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

/* The roles each role may give, as the spec says: " " for none. */
static const char *const expected_grants[AUTH_ROLE_COUNT] = {
	[AUTH_ROLE_GLOBAL_ADMIN] = " global_admin primary_local_admin "
				   "local_admin helpdesk_admin "
				   "audit_authorisation ediscovery ",
	[AUTH_ROLE_PRIMARY_LOCAL_ADMIN] =
		" local_admin helpdesk_admin audit_authorisation ",
	[AUTH_ROLE_LOCAL_ADMIN] = " ",
	[AUTH_ROLE_HELPDESK_ADMIN] = " ",
	[AUTH_ROLE_AUDIT_AUTHORISATION] = " ",
	[AUTH_ROLE_EDISCOVERY] = " ",
};

/* What no API token is ever given (docs/api.md "API tokens"). */
static const char never_a_token[] = " token.manage relay.manage org.create "
				    "role.grant_global queue.manage "
				    "maintenance.manage ";

static bool
listed(const char *list, const char *name)
{
	char needle[64];
	snprintf(needle, sizeof(needle), " %s ", name);
	return strstr(list, needle) != NULL;
}

/*
 * The pages' offer for every role's holder and for someone with none:
 * the role's actions, the roles it may give, and for a token maker its
 * actions less those no token is given.
 */
static void
test_person_may(void **state)
{
	struct fixture *f = *state;
	for (int r = 0; r <= AUTH_ROLE_COUNT; r++) {
		bool none = r == AUTH_ROLE_COUNT;
		const char *role = none ? "no role" :
			auth_role_name((enum auth_role)r);
		struct auth_may may;
		struct error err;
		assert_int_equal(auth_person_may(&f->u.ctx, none ? f->nobody :
			f->holder[r], &may, &err), 0);
		bool maker = !none && expected_allows((enum auth_role)r,
			AUTH_TOKEN_MANAGE);
		for (int a = 0; a < AUTH_ACTION_COUNT; a++) {
			enum auth_action action = (enum auth_action)a;
			const char *name = auth_action_name(action);
			bool want = !none &&
				expected_allows((enum auth_role)r, action);
			if (may.actions[a] != want)
				fail_msg("%s: action %s", role, name);
			if (may.token[a] != (maker && want &&
				!listed(never_a_token, name)))
				fail_msg("%s: token action %s", role, name);
		}
		for (int g = 0; g < AUTH_ROLE_COUNT; g++) {
			const char *name = auth_role_name((enum auth_role)g);
			if (may.roles[g] != (!none &&
				listed(expected_grants[r], name)))
				fail_msg("%s: grants %s", role, name);
		}
	}
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

/*
 * SECURITY.md 43: password reset and unlock only on a person holding no
 * role equal to or above the actor's. Every actor role x every target
 * role (and none, and two at once) x both actions, the targets in an org
 * every actor's role reaches, against a matrix written out here.
 */
enum { TARGET_NONE = AUTH_ROLE_COUNT, TARGET_TWO, TARGET_COUNT };

/* [actor][target]: 1 when reset and unlock are both allowed. */
static const int may_act[AUTH_ROLE_COUNT][TARGET_COUNT] = {
	/* target:	    GA PLA LA HD AA ED none HD+LA */
	[AUTH_ROLE_GLOBAL_ADMIN] =	  { 0, 1, 1, 1, 1, 1, 1, 1 },
	[AUTH_ROLE_PRIMARY_LOCAL_ADMIN] = { 0, 0, 1, 1, 1, 0, 1, 1 },
	[AUTH_ROLE_LOCAL_ADMIN] =	  { 0, 0, 0, 1, 1, 0, 1, 0 },
	[AUTH_ROLE_HELPDESK_ADMIN] =	  { 0, 0, 0, 0, 0, 0, 1, 0 },
	/* Neither role may reset or unlock anyone at all. */
	[AUTH_ROLE_AUDIT_AUTHORISATION] = { 0, 0, 0, 0, 0, 0, 0, 0 },
	[AUTH_ROLE_EDISCOVERY] =	  { 0, 0, 0, 0, 0, 0, 0, 0 },
};

static void
test_takeover_rule(void **state)
{
	struct fixture *f = *state;
	int64_t target[TARGET_COUNT], actor[AUTH_ROLE_COUNT];
	for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
		enum auth_role role = (enum auth_role)r;
		bool global = auth_role_is_global(role);
		char last[32];
		snprintf(last, sizeof(last), "Target%c", 'a' + r);
		/*
		 * Everyone lives in J81001, in every actor's reach; targets
		 * hold their roles elsewhere, so a target's Primary LA role
		 * does not devolve J81001 out of the actors' scope.
		 */
		target[r] = person(f, "J81001", last, auth_role_name(role),
			global ? "SERVICE" : "OTHER");
		snprintf(last, sizeof(last), "Actor%c", 'a' + r);
		actor[r] = person(f, "J81001", last, auth_role_name(role),
			global ? "SERVICE" : "QWE");
	}
	target[TARGET_NONE] = person(f, "J81001", "Plain", NULL, NULL);
	target[TARGET_TWO] = person(f, "J81001", "Twice", "helpdesk_admin",
		"OTHER");
	struct store_person two;
	struct error err;
	assert_int_equal(store_person_get(f->u.ctx.store, target[TARGET_TWO],
				 f->u.ctx.arena, &two, &err), 0);
	assert_int_equal(dir_role_add(&f->u.ctx, two.address, "OTHER",
				 "local_admin", &err), 0);
	const enum auth_action actions[] = { AUTH_USER_RESET_PASSWORD,
		AUTH_USER_UNLOCK };
	size_t checked = 0;
	for (int a = 0; a < AUTH_ROLE_COUNT; a++) {
		for (int t = 0; t < TARGET_COUNT; t++) {
			for (size_t i = 0; i < 2; i++) {
				int rc = auth_check_person(&f->u.ctx, actor[a],
					actions[i], target[t], f->in_scope,
					&err);
				if ((rc == 0) != may_act[a][t])
					fail_msg("%s %s target %d: %s",
						auth_role_name((enum auth_role)a),
						auth_action_name(actions[i]), t,
						rc == 0 ? "allowed" : err.msg);
				if (rc < 0)
					assert_int_equal(err.code,
						ERROR_DENIED);
				/* A refusal by rank says so. */
				if (rc < 0 && auth_role_allows(
						      (enum auth_role)a,
						      actions[i]))
					assert_non_null(strstr(err.msg,
						"equal to or above"));
				checked++;
			}
		}
	}
	/* A token ranks as a Helpdesk Admin: no admins, whoever made it. */
	struct store_api_token token = { .org_id = f->in_scope,
		.actions = "user.reset_password,user.unlock" };
	for (int t = 0; t < TARGET_COUNT; t++) {
		int rc = auth_token_check_person(&f->u.ctx, &token,
			AUTH_USER_RESET_PASSWORD, target[t], f->in_scope, &err);
		if ((rc == 0) != (t == TARGET_NONE))
			fail_msg("token on target %d: %s", t,
				rc == 0 ? "allowed" : err.msg);
		checked++;
	}
	/* The pure rule: an unknown role outranks everyone (fail closed). */
	const char *unknown[] = { "local_admin", "root" };
	assert_false(auth_rank_reaches(5, unknown, 2));
	assert_true(auth_rank_reaches(1, NULL, 0));
	assert_false(auth_rank_reaches(0, NULL, 0));
	print_message("checked %zu decisions\n", checked);
}

static bool
has_org(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

/* The orgs a list endpoint shows: the scope rule applied to every org. */
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
				 AUTH_USER_READ, &all, &ids, &n, &err),
		0);
	/* QWE and J81001, not the devolved J81002, OTHER or SERVICE. */
	assert_false(all);
	assert_int_equal(n, 2);
	assert_true(has_org(ids, n, f->in_scope));
	assert_false(has_org(ids, n, f->devolved));
	assert_false(has_org(ids, n, f->elsewhere));
	assert_int_equal(auth_scope_orgs(&f->u.ctx, f->devolved_pla,
				 AUTH_USER_READ, &all, &ids, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], f->devolved);
	assert_int_equal(auth_scope_orgs(&f->u.ctx,
				 f->holder[AUTH_ROLE_GLOBAL_ADMIN],
				 AUTH_ORG_READ, &all, &ids, &n, &err),
		0);
	assert_true(all);
	assert_int_equal(auth_scope_orgs(&f->u.ctx,
				 f->holder[AUTH_ROLE_HELPDESK_ADMIN],
				 AUTH_ORG_READ, &all, &ids, &n, &err),
		-1);
	assert_int_equal(err.code, ERROR_DENIED);
	assert_int_equal(auth_scope_orgs(&f->u.ctx, f->nobody, AUTH_USER_READ,
				 &all, &ids, &n, &err),
		-1);
}

static enum auth_list_standing
list_standing(struct fixture *f, int64_t person_id, int64_t org_id,
	const char *list, int want_rc)
{
	enum auth_list_standing standing = AUTH_LIST_ADMIN;
	struct error err;
	int rc = auth_list_check(&f->u.ctx, person_id, org_id, list, &standing,
		&err);
	if (rc != want_rc)
		fail_msg("auth_list_check gave %d: %s", rc, err.msg);
	if (rc < 0)
		assert_int_equal(err.code, ERROR_DENIED);
	return standing;
}

/* The owners' rule for lists (SPEC P6, seed 002 #9706), in one place. */
/*
 * An access check on an org at any depth costs what one on a shallow
 * org does (one statement for the whole chain: two a level were round
 * trips on PostgreSQL), and the chain's devolved org still cuts off the
 * admins above it.
 */
static void
test_scope_chain_is_one_read(void **state)
{
	struct fixture *f = *state;
	int64_t la = f->holder[AUTH_ROLE_LOCAL_ADMIN];	/* of QWE */
	uint64_t before = dir_statement_count(&f->u.ctx);
	assert_true(allowed(f, la, AUTH_USER_READ, f->in_scope));
	uint64_t shallow = dir_statement_count(&f->u.ctx) - before;
	assert_true(shallow <= 2);
	/* Every depth down to ten levels below QWE costs the same. */
	char parent[16] = "J81001", ods[16];
	int64_t deep = 0;
	for (int i = 0; i < 8; i++) {
		snprintf(ods, sizeof(ods), "DEEP%d", i);
		deep = org(f, ods, parent);
		memcpy(parent, ods, sizeof(ods));
		before = dir_statement_count(&f->u.ctx);
		assert_true(allowed(f, la, AUTH_USER_READ, deep));
		assert_int_equal(dir_statement_count(&f->u.ctx) - before,
			shallow);
	}
	/* DEEP2 gets its own Primary Local Admin: QWE's admins stop there. */
	person(f, "DEEP2", "Own", "primary_local_admin", "DEEP2");
	assert_false(allowed(f, la, AUTH_USER_READ, deep));
	assert_true(allowed(f, la, AUTH_USER_READ, f->in_scope));
	/* An org that is not there: refused as not found, not allowed. */
	struct error err;
	assert_int_equal(auth_check(&f->u.ctx, la, AUTH_USER_READ, 999999,
				 &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
}

/*
 * A read's checks use the roles read with the signer's session
 * (dir_ctx.roles_of, set by the API for a request that changes nothing):
 * every check of that person, and no one else's. Here they say Local
 * Administrator of QWE for a person the store says holds nothing.
 */
static void
test_session_roles_decide_every_check(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx saved = f->u.ctx;
	int64_t qwe = 0;
	struct store_org o;
	struct error err;
	assert_int_equal(store_org_get_by_ods(f->u.ctx.store, "QWE",
				 f->u.ctx.arena, &o, &err), 0);
	qwe = o.id;
	const struct store_role known[] = {
		{ f->nobody, qwe, "local_admin", 1 } };
	assert_false(allowed(f, f->nobody, AUTH_USER_READ, f->in_scope));
	f->u.ctx.roles_of = f->nobody;
	f->u.ctx.roles = known;
	f->u.ctx.role_count = 1;
	assert_true(allowed(f, f->nobody, AUTH_USER_READ, f->in_scope));
	assert_false(allowed(f, f->nobody, AUTH_USER_READ, f->elsewhere));
	struct auth_may may;
	assert_int_equal(auth_person_may(&f->u.ctx, f->nobody, &may, &err),
		0);
	assert_true(may.actions[AUTH_USER_READ]);
	bool all;
	int64_t *ids;
	size_t n;
	assert_int_equal(auth_scope_orgs(&f->u.ctx, f->nobody, AUTH_USER_READ,
				 &all, &ids, &n, &err), 0);
	assert_false(all);
	assert_true(n >= 2);
	assert_int_equal(auth_check_anywhere(&f->u.ctx, f->nobody,
				 AUTH_USER_READ, &err), 0);
	/* Another person's checks read their own roles. */
	int64_t la = f->holder[AUTH_ROLE_LOCAL_ADMIN];
	assert_true(allowed(f, la, AUTH_USER_READ, f->in_scope));
	assert_false(allowed(f, f->devolved_pla, AUTH_USER_READ,
		f->in_scope));
	f->u.ctx = saved;
	assert_false(allowed(f, f->nobody, AUTH_USER_READ, f->in_scope));
}

static void
test_list_owners_rule(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_list l;
	struct store_person owner;
	assert_int_equal(dir_list_add(&f->u.ctx, "J81001", "Club", NULL, NULL,
				 NULL, &l, &err), 0);
	int64_t owner_id = person(f, "J81001", "Owner", NULL, NULL);
	assert_int_equal(store_person_get(f->u.ctx.store, owner_id,
				 f->u.ctx.arena, &owner, &err), 0);
	assert_int_equal(dir_owner_add(&f->u.ctx, l.address, owner.address,
				 &err), 0);
	/* An admin of the org is an admin, owner or not. */
	assert_int_equal(list_standing(f, f->holder[AUTH_ROLE_LOCAL_ADMIN],
				 f->in_scope, l.address, 0), AUTH_LIST_ADMIN);
	/* The owner acts as an owner; others are refused. */
	assert_int_equal(list_standing(f, owner_id, f->in_scope, l.address, 0),
		AUTH_LIST_OWNER);
	list_standing(f, f->nobody, f->in_scope, l.address, -1);
	list_standing(f, f->holder[AUTH_ROLE_HELPDESK_ADMIN], f->in_scope,
		l.address, -1);
	/* Anyone may ask for a list in their own org, and only there. */
	assert_int_equal(list_standing(f, owner_id, f->in_scope, NULL, 0),
		AUTH_LIST_OWNER);
	list_standing(f, owner_id, f->elsewhere, NULL, -1);
	list_standing(f, f->holder[AUTH_ROLE_LOCAL_ADMIN], f->elsewhere, NULL,
		-1);
	assert_int_equal(auth_check_anywhere(&f->u.ctx,
				 f->holder[AUTH_ROLE_AUDIT_AUTHORISATION],
				 AUTH_LIST_MANAGE, &err), -1);
	assert_int_equal(auth_check_anywhere(&f->u.ctx,
				 f->holder[AUTH_ROLE_LOCAL_ADMIN],
				 AUTH_LIST_MANAGE, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_table, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_person_may, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_refusals_say_why, setup,
			teardown),
		cmocka_unit_test(test_scope_rule),
		cmocka_unit_test_setup_teardown(test_session_roles_decide_every_check,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_chain_is_one_read,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_orgs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_list_owners_rule, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_takeover_rule, setup,
			teardown),
	};
	return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
