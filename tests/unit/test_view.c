/*
 * Records and their one renderer (dir_view.c, dir_json.c) on a real
 * SQLite store: a page of people, orgs or org codes costs the same number
 * of statements for 10 rows as for 100, a whole person record the same
 * for no roles and holdings as for many, and each record shows the org
 * and site the row really has. Statements are counted by the store at
 * its driver (store_statement_count).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "dir/dir_view.h"
#include "store/store_person.h"
#include "unit_instance.h"

#define PEOPLE 120

struct fixture {
	struct unit_instance u;
	const char *addresses[PEOPLE];
};

static void
must(int rc, const struct error *err, const char *what)
{
	if (rc < 0)
		fail_msg("%s: %s", what, err->msg);
}

/* Three orgs (one a child), a site in each, people spread over them. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "trust.example", "tester@trust.example")
	    < 0)
		return -1;
	const struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	static const char *const orgs[][2] = {
		{ "AAA01", NULL }, { "AAA02", "AAA01" }, { "BBB01", NULL } };
	for (size_t i = 0; i < 3; i++) {
		struct dir_org_fields in = { .ods = orgs[i][0],
			.name = orgs[i][0], .parent_ods = orgs[i][1] };
		struct store_org o;
		must(dir_org_add(ctx, &in, &o, &err), &err, "org");
		struct store_site s;
		char name[32];
		snprintf(name, sizeof(name), "Site %s", orgs[i][0]);
		must(dir_site_add(ctx, orgs[i][0], name, "gp_practice", "", &s,
			&err), &err, "site");
	}
	for (size_t i = 0; i < PEOPLE; i++) {
		char first[16], site[32];
		const char *ods = orgs[i % 3][0];
		snprintf(first, sizeof(first), "P%03zu", i);
		snprintf(site, sizeof(site), "Site %s", ods);
		struct dir_person_fields in = { .org_ods = ods,
			.first_name = first, .last_name = "Person",
			.site = i % 2 == 0 ? site : NULL, .mobile_hidden = -1 };
		struct store_person p;
		must(dir_person_add(ctx, &in, &p, &err), &err, "person");
		f->addresses[i] = p.address;
	}
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

static uint64_t
page_cost(struct fixture *f, size_t limit, struct dir_person_record **r,
	size_t *n)
{
	struct error err;
	uint64_t before = dir_statement_count(&f->u.ctx);
	must(dir_person_page(&f->u.ctx, NULL, 0, false, 0, limit, r, n, &err),
		&err, "page");
	return dir_statement_count(&f->u.ctx) - before;
}

/* A page of 100 people costs what a page of 10 does: one statement. */
static void
test_person_page_cost_is_flat(void **state)
{
	struct fixture *f = *state;
	struct dir_person_record *r;
	size_t n;
	uint64_t ten = page_cost(f, 10, &r, &n);
	assert_int_equal(n, 10);
	uint64_t hundred = page_cost(f, 100, &r, &n);
	assert_int_equal(n, 100);
	assert_int_equal(ten, hundred);
	assert_true(hundred <= 1);
	/* Rendering reads nothing more. */
	uint64_t before = dir_statement_count(&f->u.ctx);
	for (size_t i = 0; i < n; i++)
		json_decref(dir_json_person(&r[i]));
	assert_int_equal(dir_statement_count(&f->u.ctx), before);
}

/* Each row shows its own org and site, as a read by id finds them. */
static void
test_person_page_shows_each_rows_org_and_site(void **state)
{
	struct fixture *f = *state;
	struct dir_person_record *r;
	size_t n;
	struct error err;
	page_cost(f, 0, &r, &n);
	assert_int_equal(n, PEOPLE);
	for (size_t i = 0; i < n; i++) {
		const struct store_person *p = &r[i].view.person;
		struct store_org o;
		must(dir_org_get_by_id(&f->u.ctx, p->org_id, &o, &err), &err,
			"org");
		json_t *j = dir_json_person(&r[i]);
		assert_int_equal(json_integer_value(json_object_get(j, "id")),
			p->id);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(j, "org"), "ods")), o.ods);
		json_t *site = json_object_get(j, "site");
		if (p->site_id == 0) {
			assert_true(json_is_null(site));
		} else {
			struct store_site s;
			must(dir_site_get_by_id(&f->u.ctx, p->site_id, &s, &err),
				&err, "site");
			assert_string_equal(json_string_value(json_object_get(
				site, "name")), s.name);
		}
		json_decref(j);
	}
}

static uint64_t
record_cost(struct fixture *f, const char *address,
	struct dir_person_record *r)
{
	struct error err;
	uint64_t before = dir_statement_count(&f->u.ctx);
	must(dir_person_record_find(&f->u.ctx, address, r, &err), &err,
		"record");
	return dir_statement_count(&f->u.ctx) - before;
}

/* A whole record costs the same with no roles or holdings as with many. */
static void
test_person_record_cost_is_flat(void **state)
{
	struct fixture *f = *state;
	const struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	struct dir_person_record r;
	uint64_t bare = record_cost(f, f->addresses[0], &r);
	assert_int_equal(r.role_count, 0);
	assert_int_equal(r.holding_count, 0);
	const char *busy = f->addresses[3];	/* in AAA01 */
	static const char *const roles[] = { "local_admin", "helpdesk_admin",
		"audit_authorisation" };
	for (size_t i = 0; i < 3; i++) {
		must(dir_role_add(ctx, busy, "AAA01", roles[i], &err), &err,
			"role");
		must(dir_role_add(ctx, busy, "AAA02", roles[i], &err), &err,
			"role");
	}
	for (int i = 0; i < 6; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Shared %d", i);
		struct store_mailbox m;
		must(dir_mailbox_add(ctx, i % 2 ? "AAA01" : "BBB01", "shared",
			name, NULL, &m, &err), &err, "mailbox");
		must(dir_owner_add(ctx, m.address, busy, &err), &err, "owner");
		must(dir_grant_add(ctx, m.address, busy, "send_as", &err),
			&err, "grant");
	}
	uint64_t full = record_cost(f, busy, &r);
	assert_int_equal(r.role_count, 6);
	assert_int_equal(r.holding_count, 12);
	assert_int_equal(bare, full);
	json_t *j = dir_json_person(&r);
	assert_int_equal(json_array_size(json_object_get(j, "roles")), 6);
	assert_int_equal(json_array_size(json_object_get(j, "grants")), 6);
	assert_int_equal(json_array_size(json_object_get(j, "holdings")), 12);
	json_decref(j);
}

/*
 * A whole record is one statement (bench B9 on PostgreSQL), and it holds
 * what the record's parts read one by one do, in their order: roles in
 * two orgs, and every kind of holding, a deleted mailbox's left out. An
 * address no person holds says what holds it.
 */
static void
test_person_record_is_its_parts(void **state)
{
	struct fixture *f = *state;
	const struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	const char *who = f->addresses[5];
	must(dir_role_add(ctx, who, "BBB01", "local_admin", &err), &err,
		"role");
	must(dir_role_add(ctx, who, "AAA01", "local_admin", &err), &err,
		"role");
	must(dir_role_add(ctx, who, "AAA01", "helpdesk_admin", &err), &err,
		"role");
	struct store_mailbox owned, member, granted, gone;
	must(dir_mailbox_add(ctx, "AAA01", "shared", "Owned", NULL, &owned,
		&err), &err, "mailbox");
	must(dir_mailbox_add(ctx, "BBB01", "shared", "Member", NULL, &member,
		&err), &err, "mailbox");
	must(dir_mailbox_add(ctx, "AAA02", "shared", "Granted", NULL,
		&granted, &err), &err, "mailbox");
	must(dir_mailbox_add(ctx, "AAA01", "shared", "Gone", NULL, &gone,
		&err), &err, "mailbox");
	must(dir_owner_add(ctx, owned.address, who, &err), &err, "owner");
	must(dir_owner_add(ctx, gone.address, who, &err), &err, "owner");
	must(dir_mailbox_delete(ctx, gone.address, &err), &err, "delete");
	must(dir_mailbox_member_add(ctx, member.address, who, &err), &err,
		"member");
	must(dir_grant_add(ctx, granted.address, who, "full_access", &err),
		&err, "grant");
	struct store_list ol, ml;
	must(dir_list_add(ctx, "AAA01", "Owned list", "static", NULL, NULL,
		&ol, &err), &err, "list");
	must(dir_list_add(ctx, "BBB01", "Member list", "static", NULL, NULL,
		&ml, &err), &err, "list");
	must(dir_owner_add(ctx, ol.address, who, &err), &err, "list owner");
	must(dir_list_member_add(ctx, ml.address, who, &err), &err,
		"list member");

	struct dir_person_record r;
	assert_int_equal(record_cost(f, who, &r), 1);
	int64_t id = r.view.person.id;
	struct store_role_tag *tags;
	size_t nt;
	must(dir_role_tags(ctx, &id, 1, &tags, &nt, &err), &err, "tags");
	assert_int_equal(nt, 3);
	assert_int_equal(r.role_count, nt);
	for (size_t i = 0; i < nt; i++) {
		assert_int_equal(r.roles[i].person_id, id);
		assert_string_equal(r.roles[i].role, tags[i].role);
		assert_string_equal(r.roles[i].org_ods, tags[i].org_ods);
		assert_int_equal(r.roles[i].granted_at, tags[i].granted_at);
	}
	assert_string_equal(r.roles[2].org_ods, "BBB01");
	struct store_holding *h;
	size_t nh;
	must(store_person_holdings(ctx->store, id, r.view.person.mailbox_id,
		ctx->arena, &h, &nh, &err), &err, "holdings");
	assert_int_equal(nh, 5);
	assert_int_equal(r.holding_count, nh);
	for (size_t i = 0; i < nh; i++) {
		assert_string_equal(r.holdings[i].relation, h[i].relation);
		assert_string_equal(r.holdings[i].kind, h[i].object_kind);
		assert_string_equal(r.holdings[i].address, h[i].address);
		assert_string_equal(r.holdings[i].org_ods, h[i].org_ods);
		assert_string_not_equal(h[i].address, gone.address);
	}

	/* The refusals: the record's statement, then the registry's word. */
	struct dir_person_record none;
	uint64_t before = dir_statement_count(ctx);
	assert_int_equal(dir_person_record_find(ctx, owned.address, &none,
				 &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "not a person"));
	assert_true(dir_statement_count(ctx) - before <= 3);
	before = dir_statement_count(ctx);
	assert_int_equal(dir_person_record_find(ctx, "nobody@trust.example",
				 &none, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "nothing in the directory"));
	assert_int_equal(dir_statement_count(ctx) - before, 2);
	assert_int_equal(dir_person_record_find(ctx, "not an address", &none,
				 &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
}

/*
 * An admin's edit of a person (PATCH /users/{address}): read the person,
 * edit, read the record back. Its cost does not depend on how much the
 * person holds.
 */
static uint64_t
edit_cost(struct fixture *f, const char *address)
{
	const struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	struct store_person p;
	struct dir_person_fields c = { .job_title = "Nurse",
		.mobile_hidden = -1 };
	uint64_t before = dir_statement_count(ctx);
	must(dir_person_get(ctx, address, &p, &err), &err, "get");
	must(auth_person_edit(ctx, NULL, &p, &c, &p, &err), &err, "edit");
	struct dir_person_record r;
	must(dir_person_record_get(ctx, p.id, true, &r, &err), &err, "read");
	return dir_statement_count(ctx) - before;
}

static void
test_person_edit_cost_is_bounded(void **state)
{
	struct fixture *f = *state;
	const struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	uint64_t bare = edit_cost(f, f->addresses[1]);
	const char *busy = f->addresses[4];
	for (int i = 0; i < 8; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Box %d", i);
		struct store_mailbox m;
		must(dir_mailbox_add(ctx, "BBB01", "shared", name, NULL, &m,
			&err), &err, "mailbox");
		must(dir_mailbox_member_add(ctx, m.address, busy, &err), &err,
			"member");
	}
	must(dir_role_add(ctx, busy, "AAA02", "local_admin", &err), &err,
		"role");
	assert_int_equal(edit_cost(f, busy), bare);
	assert_true(bare <= 24);
}

/* Org records and org codes: one page's worth costs what ten rows do. */
static void
test_org_reads_cost_is_flat(void **state)
{
	struct fixture *f = *state;
	const struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	struct store_org *orgs;
	size_t n;
	must(dir_org_list(ctx, &orgs, &n, &err), &err, "orgs");
	assert_int_equal(n, 3);
	must(dir_org_devolve(ctx, "AAA02", f->addresses[1], &err), &err,
		"devolve");
	struct dir_org_record *r;
	uint64_t before = dir_statement_count(ctx);
	must(dir_org_records(ctx, orgs, 1, &r, &err), &err, "one");
	uint64_t one = dir_statement_count(ctx) - before;
	before = dir_statement_count(ctx);
	must(dir_org_records(ctx, orgs, n, &r, &err), &err, "all");
	assert_int_equal(dir_statement_count(ctx) - before, one);
	for (size_t i = 0; i < n; i++) {
		bool child = strcmp(r[i].org.ods, "AAA02") == 0;
		assert_string_equal(r[i].parent_ods, child ? "AAA01" : "");
		assert_int_equal(r[i].primary_admin_count, child ? 1 : 0);
	}
	int64_t ids[100];
	for (size_t i = 0; i < 100; i++)
		ids[i] = orgs[i % n].id;
	const char **ods;
	before = dir_statement_count(ctx);
	must(dir_org_ods_each(ctx, ids, 10, &ods, &err), &err, "ten");
	uint64_t ten = dir_statement_count(ctx) - before;
	before = dir_statement_count(ctx);
	must(dir_org_ods_each(ctx, ids, 100, &ods, &err), &err, "hundred");
	assert_int_equal(dir_statement_count(ctx) - before, ten);
	for (size_t i = 0; i < 100; i++)
		assert_string_equal(ods[i], orgs[i % n].ods);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_person_page_cost_is_flat,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_person_page_shows_each_rows_org_and_site, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_person_record_cost_is_flat, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_person_record_is_its_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_person_edit_cost_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_org_reads_cost_is_flat,
			setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
