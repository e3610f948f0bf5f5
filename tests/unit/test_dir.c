/*
 * The directory on a real SQLite store: org tree and ODS uniqueness, address
 * generation and reservation (seed 004), sync IDs (seed 002 #9487), list
 * expansion through nesting and loops, owners capped at 25 (#12407), owners
 * apart from members, delete removing roles (#14044), and the audit trail;
 * dynamic rules counted and expanded in SQL, owners' changes waiting for
 * approval, the change freeze and renames (SPEC P6); an import's journals
 * kept in memory (bench B6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "dir/dir_import.h"
#include "dir/dir_rule.h"
#include "store/store.h"
#include "store/store_access.h"
#include "store/store_internal.h"
#include "store/store_session.h"
#include "store/store_session_cache.h"
#include "unit_instance.h"

struct fixture {
	struct unit_instance u;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "trust.example, alt.example",
		    "tester@trust.example") < 0)
		return -1;
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

/* The new org's id. */
static int64_t
add_org(struct fixture *f, const char *ods, const char *parent)
{
	struct dir_org_fields in = { .ods = ods,
		.name = ods,
		.parent_ods = parent };
	struct store_org got;
	struct error err;
	if (dir_org_add(&f->u.ctx, &in, &got, &err) < 0)
		fail_msg("org %s: %s", ods, err.msg);
	return got.id;
}

static const char *
add_person(struct fixture *f, const char *ods, const char *first,
	const char *last)
{
	struct dir_person_fields in = { .org_ods = ods,
		.first_name = first,
		.last_name = last,
		.mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
		fail_msg("person %s %s: %s", first, last, err.msg);
	return p.address;
}

static size_t
audit_count(struct fixture *f, const char *type, const char *action)
{
	struct store_audit_filter filter = { .object_type = type,
		.action = action };
	struct store_audit *rows;
	size_t n;
	struct error err;
	assert_int_equal(dir_audit_list(&f->u.ctx, &filter, &rows, &n, &err),
		0);
	return n;
}

static void
test_org_tree_and_uniqueness(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	add_org(f, "J81001", "QWE");
	struct dir_org_fields dup = { .ods = "qwe", .name = "Again" };
	struct store_org got;
	assert_int_equal(dir_org_add(&f->u.ctx, &dup, &got, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "QWE"));
	/* A parent that is the org's own child would make a cycle. */
	struct dir_org_fields move = { .parent_ods = "J81001" };
	assert_int_equal(dir_org_edit(&f->u.ctx, "QWE", &move, &got, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	struct dir_org_fields bad = { .ods = "A B", .name = "x" };
	assert_int_equal(dir_org_add(&f->u.ctx, &bad, &got, &err), -1);
	assert_int_equal(audit_count(f, "organisation", "create"), 2);
	assert_int_equal(audit_count(f, "organisation", "update"), 0);
}

static void
test_long_postal_address_round_trips(void **state)
{
	struct fixture *f = *state;
	char address[301];
	for (size_t i = 0; i < 300; i++)
		address[i] = (char)('a' + i % 26);
	address[300] = '\0';
	struct dir_org_fields in = { .ods = "RXV",
		.name = "Trust",
		.postal_address = address };
	struct store_org got;
	struct error err;
	assert_int_equal(dir_org_add(&f->u.ctx, &in, &got, &err), 0);
	assert_int_equal(dir_org_get(&f->u.ctx, "RXV", &got, &err), 0);
	assert_string_equal(got.postal_address, address);
}

static void
test_address_generation_and_reservation(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	const char *first = add_person(f, "QWE", "Jo", "Smith");
	assert_string_equal(first, "jo.smith@trust.example");
	assert_int_equal(dir_person_delete(&f->u.ctx, first, &err), 0);
	/* The deleted person's address is never handed out again. */
	const char *second = add_person(f, "QWE", "Jo", "Smith");
	assert_string_equal(second, "jo.smith1@trust.example");
	const char *third = add_person(f, "QWE", "Jo", "Smith");
	assert_string_equal(third, "jo.smith2@trust.example");
	struct dir_person_fields taken = { .org_ods = "QWE",
		.first_name = "J",
		.last_name = "S",
		.address = "Jo.Smith@trust.example",
		.mobile_hidden = -1 };
	struct store_person p;
	assert_int_equal(dir_person_add(&f->u.ctx, &taken, &p, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "Jo Smith (deleted)"));
	/* Nothing of the refused person was left behind. */
	struct store_person *people;
	size_t n;
	assert_int_equal(dir_person_list(&f->u.ctx, "QWE", true, 0, 0, &people,
				 &n, &err),
		0);
	assert_int_equal(n, 3);
	/* An address outside the hosted domains is refused. */
	taken.address = "j.s@elsewhere.example";
	assert_int_equal(dir_person_add(&f->u.ctx, &taken, &p, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	const char *dotted[] = { ".js@trust.example", "js.@trust.example",
		"j..s@trust.example" };
	for (size_t i = 0; i < 3; i++) {
		taken.address = dotted[i];
		assert_int_equal(dir_person_add(&f->u.ctx, &taken, &p, &err),
			-1);
		assert_int_equal(err.code, ERROR_INVALID);
	}
}

static void
test_address_shared_across_kinds(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	struct store_mailbox m;
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "QWE", "shared",
				 "Reception", NULL, &m, &err),
		0);
	assert_string_equal(m.address, "reception@trust.example");
	struct store_list l;
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "Reception", "static",
				 "reception@trust.example", NULL, &l, &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "shared mailbox Reception"));
	/*
	 * A second object of the same name is a duplicate, not a namesake:
	 * refused, never numbered (seed 000), for mailboxes and lists alike.
	 */
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "Reception", "static",
				 NULL, NULL, &l, &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "reception@trust.example"));
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "QWE", "shared",
				 "reception", NULL, &m, &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "Reception", "static",
				 "reception.list@trust.example", NULL, &l,
				 &err),
		0);
	struct store_contact c;
	assert_int_equal(dir_contact_add(&f->u.ctx, "QWE", "Lab",
				 "lab@hospital.example", &c, &err),
		0);
	assert_int_equal(dir_contact_add(&f->u.ctx, "QWE", "Lab again",
				 "LAB@hospital.example", &c, &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "contact Lab"));
	assert_int_equal(dir_contact_add(&f->u.ctx, "QWE", "Us",
				 "x@alt.example", &c, &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
}

static void
test_sync_id_unique_within_org(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "AAA", NULL);
	add_org(f, "BBB", NULL);
	struct dir_person_fields in = { .org_ods = "AAA",
		.first_name = "Al",
		.last_name = "Ng",
		.sync_id = "HR-1",
		.mobile_hidden = -1 };
	struct store_person p;
	assert_int_equal(dir_person_add(&f->u.ctx, &in, &p, &err), 0);
	/* A retry with the same sync ID makes no second person. */
	assert_int_equal(dir_person_add(&f->u.ctx, &in, &p, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "al.ng@trust.example"));
	in.org_ods = "BBB";
	assert_int_equal(dir_person_add(&f->u.ctx, &in, &p, &err), 0);
	assert_string_equal(p.address, "al.ng1@trust.example");
}

static void
test_expand_nested_loop(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	const char *a1 = add_person(f, "QWE", "Ann", "One");
	const char *b1 = add_person(f, "QWE", "Bob", "Two");
	const char *gone = add_person(f, "QWE", "Cat", "Three");
	struct store_list la, lb, lc;
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "List A", NULL, NULL,
				 NULL, &la, &err),
		0);
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "List B", NULL, NULL,
				 NULL, &lb, &err),
		0);
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "List C", NULL, NULL,
				 NULL, &lc, &err),
		0);
	struct store_contact c;
	assert_int_equal(dir_contact_add(&f->u.ctx, "QWE", "Ext",
				 "ext@x.example", &c, &err),
		0);
	const char *adds[][2] = { { la.address, a1 },
		{ la.address, lb.address }, { lb.address, lc.address },
		{ lc.address, la.address }, { lb.address, a1 },
		{ lc.address, b1 }, { lc.address, gone },
		{ lb.address, "ext@x.example" } };
	for (size_t i = 0; i < sizeof(adds) / sizeof(*adds); i++) {
		if (dir_list_member_add(&f->u.ctx, adds[i][0], adds[i][1],
			    &err) < 0)
			fail_msg("%s += %s: %s", adds[i][0], adds[i][1],
				err.msg);
	}
	assert_int_equal(dir_list_member_add(&f->u.ctx, la.address, la.address,
				 &err),
		-1);
	assert_int_equal(dir_list_member_add(&f->u.ctx, la.address, a1, &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(dir_person_delete(&f->u.ctx, gone, &err), 0);
	const char **out;
	size_t n;
	assert_int_equal(dir_list_expand(&f->u.ctx, la.address, &out, &n, &err),
		0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0], "ann.one@trust.example");
	assert_string_equal(out[1], "bob.two@trust.example");
	assert_string_equal(out[2], "ext@x.example");
	/* Expanding from inside the loop reaches the same people. */
	assert_int_equal(dir_list_expand(&f->u.ctx, lc.address, &out, &n, &err),
		0);
	assert_int_equal(n, 3);
}

static void
test_dynamic_list(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	add_org(f, "J81001", "QWE");
	add_org(f, "OTHER", NULL);
	struct dir_person_fields in = { .org_ods = "J81001",
		.first_name = "Pat",
		.last_name = "Pharm",
		.job_title = "Pharmacist",
		.mobile_hidden = -1 };
	struct store_person p;
	assert_int_equal(dir_person_add(&f->u.ctx, &in, &p, &err), 0);
	in.org_ods = "OTHER";
	in.first_name = "Out";
	assert_int_equal(dir_person_add(&f->u.ctx, &in, &p, &err), 0);
	in.org_ods = "QWE";
	in.first_name = "Gp";
	in.job_title = "GP";
	assert_int_equal(dir_person_add(&f->u.ctx, &in, &p, &err), 0);
	const char *extra = add_person(f, "QWE", "Extra", "Person");
	struct store_list extras, dyn;
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "Extras", NULL, NULL,
				 NULL, &extras, &err),
		0);
	assert_int_equal(dir_list_member_add(&f->u.ctx, extras.address, extra,
				 &err),
		0);
	char rule[256];
	snprintf(rule, sizeof(rule),
		"{\"orgs\":[\"qwe\"],\"include_children\""
		":true,\"job_titles\":[\"pharmacist\"],\"include_lists\":[\"%s\"]}",
		extras.address);
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "All Pharmacists",
				 "dynamic", NULL, rule, &dyn, &err),
		0);
	const char **out;
	size_t n;
	assert_int_equal(dir_list_expand(&f->u.ctx, dyn.address, &out, &n,
				 &err),
		0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "extra.person@trust.example");
	assert_string_equal(out[1], "pat.pharm@trust.example");
	/* A dynamic list takes no hand-added members; a bad rule is refused. */
	assert_int_equal(dir_list_member_add(&f->u.ctx, dyn.address, extra,
				 &err),
		-1);
	struct store_list bad;
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "Bad", "dynamic", NULL,
				 "{\"orgs\":[\"NOPE\"]}", &bad, &err),
		-1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
}

static void
test_owner_limit_and_membership(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	struct store_list l;
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "Team", NULL, NULL,
				 NULL, &l, &err),
		0);
	const char *people[26];
	for (int i = 0; i < 26; i++) {
		char last[16];
		snprintf(last, sizeof(last), "Owner%c", 'a' + i);
		people[i] = add_person(f, "QWE", "Lee", last);
	}
	for (int i = 0; i < 25; i++) {
		if (dir_owner_add(&f->u.ctx, l.address, people[i], &err) < 0)
			fail_msg("owner %d: %s", i, err.msg);
	}
	assert_int_equal(dir_owner_add(&f->u.ctx, l.address, people[25], &err),
		-1);
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_non_null(strstr(err.msg, "25 owners"));
	struct store_person *owners;
	size_t n;
	assert_int_equal(dir_owner_list(&f->u.ctx, l.address, &owners, &n,
				 &err),
		0);
	assert_int_equal(n, 25);
	/* An owner who is also a member stays a member when unowned. */
	assert_int_equal(dir_list_member_add(&f->u.ctx, l.address, people[0],
				 &err),
		0);
	assert_int_equal(dir_owner_remove(&f->u.ctx, l.address, people[0],
				 &err),
		0);
	struct dir_member *members;
	assert_int_equal(dir_list_members(&f->u.ctx, l.address, &members, &n,
				 &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(members[0].address, people[0]);
}

static void
test_shared_mailbox_owners_apart_from_members(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	const char *lead = add_person(f, "QWE", "Lou", "Lead");
	const char *clerk = add_person(f, "QWE", "Cal", "Clerk");
	struct store_mailbox m;
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "QWE", "shared",
				 "Front Desk", NULL, &m, &err),
		0);
	assert_int_equal(dir_owner_add(&f->u.ctx, m.address, lead, &err), 0);
	assert_int_equal(dir_mailbox_member_add(&f->u.ctx, m.address, lead,
				 &err),
		0);
	assert_int_equal(dir_mailbox_member_add(&f->u.ctx, m.address, clerk,
				 &err),
		0);
	assert_int_equal(dir_mailbox_member_add(&f->u.ctx, m.address, clerk,
				 &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(dir_owner_remove(&f->u.ctx, m.address, lead, &err), 0);
	assert_int_equal(dir_owner_remove(&f->u.ctx, m.address, lead, &err),
		-1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "is not an owner"));
	struct store_person *people;
	size_t n;
	assert_int_equal(dir_owner_list(&f->u.ctx, m.address, &people, &n,
				 &err),
		0);
	assert_int_equal(n, 0);
	assert_int_equal(dir_mailbox_member_list(&f->u.ctx, m.address, &people,
				 &n, &err),
		0);
	assert_int_equal(n, 2);
	/* People are members of mailboxes; a list's members are its own. */
	struct store_list l;
	assert_int_equal(dir_list_add(&f->u.ctx, "QWE", "Desk List", NULL, NULL,
				 NULL, &l, &err),
		0);
	assert_int_equal(dir_mailbox_member_add(&f->u.ctx, l.address, clerk,
				 &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
	/* Four changes were made; the refusals wrote nothing. */
	assert_int_equal(audit_count(f, "shared_mailbox", "update"), 4);
}

static void
test_delete_removes_roles(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	const char *admin = add_person(f, "QWE", "Ada", "Admin");
	assert_int_equal(dir_role_add(&f->u.ctx, admin, "QWE", "local_admin",
				 &err),
		0);
	assert_int_equal(dir_role_add(&f->u.ctx, admin, "QWE", "local_admin",
				 &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(dir_role_add(&f->u.ctx, admin, "QWE", "superuser",
				 &err),
		-1);
	struct store_mailbox m;
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "QWE", "shared", "Team Box",
				 NULL, &m, &err),
		0);
	assert_int_equal(dir_grant_add(&f->u.ctx, m.address, admin, "send_as",
				 &err),
		0);
	assert_int_equal(dir_grant_add(&f->u.ctx, m.address, admin, "read_all",
				 &err),
		-1);
	struct dir_grant *grants;
	size_t n;
	assert_int_equal(dir_grant_list(&f->u.ctx, admin, &grants, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(grants[0].mailbox, "team.box@trust.example");
	assert_int_equal(dir_person_delete(&f->u.ctx, admin, &err), 0);
	struct store_person p;
	assert_int_equal(dir_person_get(&f->u.ctx, admin, &p, &err), 0);
	assert_string_equal(dir_person_status_name(p.status), "deleted");
	struct store_role *roles;
	assert_int_equal(store_role_list(f->u.st, p.id, f->u.arena, &roles, &n,
				 &err),
		0);
	assert_int_equal(n, 0);
	/* Deleting twice is refused; the audit row says which roles went. */
	assert_int_equal(dir_person_delete(&f->u.ctx, admin, &err), -1);
	struct store_audit_filter filter = { .object_type = "user_mailbox",
		.action = "delete" };
	struct store_audit *rows;
	assert_int_equal(dir_audit_list(&f->u.ctx, &filter, &rows, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(rows[0].summary, "local_admin"));
	assert_string_equal(rows[0].actor, "tester@trust.example");
}

static void
test_site_types_from_config(void **state)
{
	struct fixture *f = *state;
	struct error err;
	add_org(f, "QWE", NULL);
	struct store_site s;
	assert_int_equal(dir_site_add(&f->u.ctx, "QWE", "Main", "gp_practice",
				 "", &s, &err),
		0);
	assert_int_equal(dir_site_add(&f->u.ctx, "QWE", "Main", "gp_practice",
				 "", &s, &err),
		-1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(dir_site_add(&f->u.ctx, "QWE", "Lab", "laboratory", "",
				 &s, &err),
		-1);
	assert_non_null(strstr(err.msg, "pharmacy"));
	assert_int_equal(config_set(f->u.config,
				 "dir.site_types=laboratory, other", &err),
		0);
	assert_int_equal(dir_site_add(&f->u.ctx, "QWE", "Lab", "laboratory", "",
				 &s, &err),
		0);
}

/* A person with a site, job, department and (optionally) a role. */
static void
add_fact_person(struct fixture *f, const char *ods, const char *first,
	const char *site, const char *job, const char *dept, const char *role)
{
	struct dir_person_fields in = { .org_ods = ods, .first_name = first,
		.last_name = "Fact", .site = site, .job_title = job,
		.department = dept, .mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
		fail_msg("person %s: %s", first, err.msg);
	if (role != NULL &&
	    dir_role_add(&f->u.ctx, p.address, ods, role, &err) < 0)
		fail_msg("role %s: %s", role, err.msg);
}

/*
 * The preview counts in SQL and mail expands in SQL; both must reach
 * exactly the people dir_rule_matches describes (case-insensitive text,
 * child orgs only when asked, sites and site types, roles).
 */
static void
test_rule_count_in_sql(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_site site;
	add_org(f, "ROOT1", NULL);
	add_org(f, "KID01", "ROOT1");
	assert_int_equal(dir_site_add(&f->u.ctx, "ROOT1", "Main", "gp_practice",
				 NULL, &site, &err), 0);
	assert_int_equal(dir_site_add(&f->u.ctx, "KID01", "Branch",
				 "pharmacy", NULL, &site, &err), 0);
	add_fact_person(f, "ROOT1", "Ann", "Main", "GP", "Clinical", NULL);
	add_fact_person(f, "ROOT1", "Ben", NULL, "gp", "Admin",
		"local_admin");
	add_fact_person(f, "KID01", "Cat", "Branch", "Pharmacist", "Clinical",
		NULL);
	add_fact_person(f, "KID01", "Dan", NULL, "Nurse", "", "helpdesk_admin");
	static const struct {
		const char *rule;
		int64_t count;
	} cases[] = {
		{ "{}", 2 },
		{ "{\"include_children\":true}", 4 },
		{ "{\"orgs\":[\"kid01\"]}", 2 },
		{ "{\"job_titles\":[\"GP\"]}", 2 },
		{ "{\"include_children\":true,\"departments\":[\"clinical\"]}",
		  2 },
		{ "{\"include_children\":true,\"sites\":[\"main\",\"BRANCH\"]}",
		  2 },
		{ "{\"include_children\":true,\"site_types\":[\"pharmacy\"]}",
		  1 },
		{ "{\"include_children\":true,\"roles\":[\"local_admin\","
		  "\"helpdesk_admin\"]}", 2 },
		{ "{\"include_children\":true,\"roles\":[\"local_admin\"],"
		  "\"job_titles\":[\"nurse\"]}", 0 },
		{ "{\"job_titles\":[\"G\"]}", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct dir_preview p = { .count = -1 };
		if (dir_rule_preview(&f->u.ctx, "ROOT1", cases[i].rule, &p,
			    &err) < 0)
			fail_msg("%s: %s", cases[i].rule, err.msg);
		if (p.count != cases[i].count)
			fail_msg("%s: counted %lld, want %lld", cases[i].rule,
				(long long)p.count, (long long)cases[i].count);
		/* Mail reaches exactly as many as the preview counted. */
		char name[32];
		snprintf(name, sizeof(name), "Rule %zu", i);
		struct store_list l;
		const char **out;
		size_t n;
		assert_int_equal(dir_list_add(&f->u.ctx, "ROOT1", name,
					 "dynamic", NULL, cases[i].rule, &l,
					 &err), 0);
		assert_int_equal(dir_list_expand(&f->u.ctx, l.address, &out,
					 &n, &err), 0);
		assert_int_equal((int64_t)n, cases[i].count);
		/* The preview names the first few of exactly those. */
		size_t want = n < STORE_SAMPLE_MAX ? n : STORE_SAMPLE_MAX;
		assert_int_equal(p.sample_count, want);
		for (size_t j = 0; j < want; j++)
			assert_string_equal(p.sample[j].address, out[j]);
	}
}

/*
 * A random directory for test_rule_expansion_matches_reference: orgs in a
 * tree, sites named alike across orgs, people with job titles and
 * departments in mixed case (one not ASCII, which neither side folds),
 * some with a role, some deleted.
 */
#define REF_ORGS 14
#define REF_SITES_PER_ORG 2
#define REF_PEOPLE 180
#define REF_RULES 60

struct ref_org {
	char ods[8];
	int parent;	/* index, -1 for a root */
	int64_t id;
	int site_count;
	const char *site_names[REF_SITES_PER_ORG];
	const char *site_types[REF_SITES_PER_ORG];
};

struct ref_person {
	int org;
	int site;	/* index in its org's sites, -1 for none */
	const char *job, *dept, *role;
	bool deleted;
	char first[16];
	const char *address;
};

struct ref_dir {
	struct ref_org orgs[REF_ORGS];
	struct ref_person people[REF_PEOPLE];
};

static const char *const ref_site_names[] = { "Main", "Annexe", "High St" };
static const char *const ref_site_types[] = { "gp_practice", "pharmacy",
	"care_home" };
static const char *const ref_jobs[] = { "GP", "gp", "Staff Nurse",
	"STAFF NURSE", "Pharmacist", "Porter", "", "\xc3\x84rztin" };
static const char *const ref_depts[] = { "Clinical", "clinical", "Admin",
	"" };
static const char *const ref_roles[] = { "local_admin", "helpdesk_admin",
	"audit_authorisation" };
/* What rules ask for: some values in another case, some nobody has. */
static const char *const ref_rule_sites[] = { "main", "ANNEXE", "High St",
	"Nowhere" };
static const char *const ref_rule_types[] = { "gp_practice", "PHARMACY",
	"care_home", "other" };
static const char *const ref_rule_jobs[] = { "gp", "Staff nurse",
	"PHARMACIST", "porter", "Nurse", "\xc3\xa4rztin", "\xc3\x84rztin" };
static const char *const ref_rule_depts[] = { "clinical", "ADMIN", "Estates" };
static const char *const ref_rule_roles[] = { "local_admin",
	"helpdesk_admin", "audit_authorisation", "primary_local_admin" };

#define REF_COUNT(a) (sizeof(a) / sizeof(*(a)))

static uint32_t
ref_next(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*seed >> 33);
}

static const char *
ref_pick(uint64_t *seed, const char *const *from, size_t count)
{
	return from[ref_next(seed) % count];
}

static void
ref_build(struct fixture *f, struct ref_dir *d, uint64_t *seed)
{
	struct error err;
	for (int i = 0; i < REF_ORGS; i++) {
		struct ref_org *o = &d->orgs[i];
		snprintf(o->ods, sizeof(o->ods), "RF%03d", i);
		/* Two roots; every other org under an earlier one. */
		o->parent = i < 2 ? -1 : (int)(ref_next(seed) % (uint32_t)i);
		struct dir_org_fields in = { .ods = o->ods, .name = o->ods,
			.parent_ods = o->parent < 0 ? NULL :
				d->orgs[o->parent].ods };
		struct store_org got;
		if (dir_org_add(&f->u.ctx, &in, &got, &err) < 0)
			fail_msg("org %s: %s", o->ods, err.msg);
		o->id = got.id;
		o->site_count = (int)(ref_next(seed) % (REF_SITES_PER_ORG + 1));
		for (int j = 0; j < o->site_count; j++) {
			/* Names differ within an org, repeat across orgs. */
			o->site_names[j] = ref_site_names[(i + j) %
				REF_COUNT(ref_site_names)];
			o->site_types[j] = ref_pick(seed, ref_site_types,
				REF_COUNT(ref_site_types));
			struct store_site site;
			if (dir_site_add(&f->u.ctx, o->ods, o->site_names[j],
				    o->site_types[j], NULL, &site, &err) < 0)
				fail_msg("site: %s", err.msg);
		}
	}
	for (int i = 0; i < REF_PEOPLE; i++) {
		struct ref_person *p = &d->people[i];
		p->org = (int)(ref_next(seed) % REF_ORGS);
		const struct ref_org *o = &d->orgs[p->org];
		p->site = o->site_count == 0 ? -1 :
			(int)(ref_next(seed) % (uint32_t)(o->site_count + 1)) - 1;
		p->job = ref_pick(seed, ref_jobs, REF_COUNT(ref_jobs));
		p->dept = ref_pick(seed, ref_depts, REF_COUNT(ref_depts));
		p->role = ref_next(seed) % 4 == 0 ?
			ref_pick(seed, ref_roles, REF_COUNT(ref_roles)) : NULL;
		snprintf(p->first, sizeof(p->first), "Ref%03d", i);
		struct dir_person_fields in = { .org_ods = o->ods,
			.first_name = p->first, .last_name = "Person",
			.site = p->site >= 0 ? o->site_names[p->site] : NULL,
			.job_title = p->job, .department = p->dept,
			.mobile_hidden = -1 };
		struct store_person got;
		if (dir_person_add(&f->u.ctx, &in, &got, &err) < 0)
			fail_msg("person %s: %s", p->first, err.msg);
		p->address = got.address;
		if (p->role != NULL && dir_role_add(&f->u.ctx, p->address,
					       o->ods, p->role, &err) < 0)
			fail_msg("role %s: %s", p->role, err.msg);
		/* Deleting takes the person's roles away too (SPEC P3). */
		p->deleted = ref_next(seed) % 8 == 0;
		if (p->deleted &&
		    dir_person_delete(&f->u.ctx, p->address, &err) < 0)
			fail_msg("delete %s: %s", p->address, err.msg);
	}
}

/* One criterion of a random rule, as "key":[...] after a comma if asked. */
static void
ref_rule_key(uint64_t *seed, struct str *rule, const char *key,
	const char *const *from, size_t count)
{
	if (ref_next(seed) % 3 != 0)
		return;
	str_appendf(rule, "%s\"%s\":[", rule->len > 1 ? "," : "", key);
	size_t n = 1 + ref_next(seed) % 2;
	for (size_t i = 0; i < n; i++)
		str_appendf(rule, "%s\"%s\"", i > 0 ? "," : "",
			ref_pick(seed, from, count));
	str_append_cstr(rule, "]");
}

static const char *
ref_rule(uint64_t *seed, const struct ref_dir *d, struct arena *a)
{
	struct str rule;
	str_init(&rule, a, 4096);
	str_append_cstr(&rule, "{");
	if (ref_next(seed) % 4 != 0) {
		str_append_cstr(&rule, "\"orgs\":[");
		size_t n = 1 + ref_next(seed) % 2;
		for (size_t i = 0; i < n; i++) {
			const char *ods = d->orgs[ref_next(seed) % REF_ORGS].ods;
			/* ODS codes are found whatever their case. */
			str_appendf(&rule, "%s\"%s%s\"", i > 0 ? "," : "",
				ref_next(seed) % 2 ? "rf" : "RF", ods + 2);
		}
		str_append_cstr(&rule, "]");
	}
	if (ref_next(seed) % 2)
		str_appendf(&rule, "%s\"include_children\":true",
			rule.len > 1 ? "," : "");
	ref_rule_key(seed, &rule, "sites", ref_rule_sites,
		REF_COUNT(ref_rule_sites));
	ref_rule_key(seed, &rule, "site_types", ref_rule_types,
		REF_COUNT(ref_rule_types));
	ref_rule_key(seed, &rule, "job_titles", ref_rule_jobs,
		REF_COUNT(ref_rule_jobs));
	ref_rule_key(seed, &rule, "departments", ref_rule_depts,
		REF_COUNT(ref_rule_depts));
	ref_rule_key(seed, &rule, "roles", ref_rule_roles,
		REF_COUNT(ref_rule_roles));
	str_append_cstr(&rule, "}");
	return str_cstr(&rule);
}

static bool
ref_under(const struct ref_dir *d, int org, int top)
{
	for (; org >= 0; org = d->orgs[org].parent) {
		if (org == top)
			return true;
	}
	return false;
}

static int
ref_compare_ids(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int
ref_compare_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The reference: the rule's org set worked out from the tree the test
 * built (not from the store), and each person tested in C by
 * dir_rule_matches, one by one. The addresses it reaches, sorted.
 */
static size_t
ref_expect(const struct ref_dir *d, const char *rule_json, int list_org,
	struct arena *a, const char **out)
{
	struct dir_rule rule;
	struct error err;
	if (dir_rule_parse(span_from_cstr(rule_json), a, &rule, &err) < 0)
		fail_msg("%s: %s", rule_json, err.msg);
	int64_t ids[REF_ORGS];
	size_t id_count = 0;
	for (int i = 0; i < REF_ORGS; i++) {
		bool in = false;
		for (size_t j = 0; j < rule.orgs.count && !in; j++) {
			int top = (int)strtol(rule.orgs.items[j] + 2, NULL, 10);
			in = rule.include_children ? ref_under(d, i, top) :
						     i == top;
		}
		if (rule.orgs.count == 0)
			in = rule.include_children ? ref_under(d, i, list_org) :
						     i == list_org;
		if (in)
			ids[id_count++] = d->orgs[i].id;
	}
	qsort(ids, id_count, sizeof(*ids), ref_compare_ids);
	size_t n = 0;
	for (int i = 0; i < REF_PEOPLE; i++) {
		const struct ref_person *p = &d->people[i];
		const struct ref_org *o = &d->orgs[p->org];
		struct dir_rule_facts facts = { .org_id = o->id,
			.site = p->site >= 0 ? o->site_names[p->site] : "",
			.site_type = p->site >= 0 ? o->site_types[p->site] : "",
			.job_title = p->job, .department = p->dept,
			.roles = &p->role, .role_count = p->role != NULL };
		if (!p->deleted &&
		    dir_rule_matches(&rule, ids, id_count, &facts))
			out[n++] = p->address;
	}
	qsort(out, n, sizeof(*out), ref_compare_text);
	return n;
}

static void
ref_check(struct fixture *f, const char *what, const char *address,
	const char *const *want, size_t want_count)
{
	const char **got;
	size_t n;
	struct error err;
	if (dir_list_expand(&f->u.ctx, address, &got, &n, &err) < 0)
		fail_msg("%s: %s", what, err.msg);
	for (size_t i = 0; i < n || i < want_count; i++) {
		if (i >= n || i >= want_count || strcmp(got[i], want[i]) != 0)
			fail_msg("%s: reached %zu, the reference %zu; first "
				"difference at %zu: %s against %s", what, n,
				want_count, i, i < n ? got[i] : "(none)",
				i < want_count ? want[i] : "(none)");
	}
}

/*
 * Every way the database finds a rule's people (the expansion mail takes,
 * the preview's count and sample) reaches exactly the people the rule
 * describes, tested one by one in C, over a random directory and random
 * rules; and a rule that includes or excludes another list reaches the
 * union or the difference of the two.
 */
static void
test_rule_expansion_matches_reference(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct ref_dir *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	uint64_t seed = 20261204;
	ref_build(f, d, &seed);
	struct arena *a = f->u.ctx.arena;
	const char **want[REF_RULES];
	size_t want_count[REF_RULES];
	const char *rules[REF_RULES];
	struct store_list lists[REF_RULES];
	int list_orgs[REF_RULES];
	size_t nonempty = 0;
	for (int i = 0; i < REF_RULES; i++) {
		rules[i] = ref_rule(&seed, d, a);
		int org = (int)(ref_next(&seed) % REF_ORGS);
		list_orgs[i] = org;
		want[i] = arena_alloc(a, REF_PEOPLE * sizeof(*want[i]));
		want_count[i] = ref_expect(d, rules[i], org, a, want[i]);
		nonempty += want_count[i] > 0;
		char name[32];
		snprintf(name, sizeof(name), "Ref %d", i);
		if (dir_list_add(&f->u.ctx, d->orgs[org].ods, name, "dynamic",
			    NULL, rules[i], &lists[i], &err) < 0)
			fail_msg("%s: %s", rules[i], err.msg);
		ref_check(f, rules[i], lists[i].address, want[i],
			want_count[i]);
		struct dir_preview p;
		if (dir_rule_preview(&f->u.ctx, d->orgs[org].ods, rules[i], &p,
			    &err) < 0)
			fail_msg("%s: %s", rules[i], err.msg);
		if (p.count != (int64_t)want_count[i])
			fail_msg("%s: the preview counts %lld, the reference "
				"%zu", rules[i], (long long)p.count,
				want_count[i]);
		size_t sample = want_count[i] < STORE_SAMPLE_MAX ?
			want_count[i] : STORE_SAMPLE_MAX;
		assert_int_equal(p.sample_count, sample);
		for (size_t j = 0; j < sample; j++)
			assert_string_equal(p.sample[j].address, want[i][j]);
	}
	/* The random rules are not all empty, nor all everyone. */
	assert_true(nonempty > REF_RULES / 3 && nonempty < REF_RULES);
	for (int k = 0; k < 12; k++) {
		int i = (int)(ref_next(&seed) % REF_RULES);
		int j = (int)(ref_next(&seed) % REF_RULES);
		bool exclude = k % 2 == 1;
		struct str rule;
		str_init(&rule, a, 4096);
		str_append(&rule, rules[i], strlen(rules[i]) - 1);
		str_appendf(&rule, "%s\"%s\":[\"%s\"]}",
			strlen(rules[i]) > 2 ? "," : "",
			exclude ? "exclude_lists" : "include_lists",
			lists[j].address);
		const char **both = arena_alloc(a,
			2 * REF_PEOPLE * sizeof(*both));
		size_t n = 0;
		for (size_t x = 0; x < want_count[i]; x++) {
			bool in_j = bsearch(&want[i][x], want[j], want_count[j],
				sizeof(*want[j]), ref_compare_text) != NULL;
			if (!exclude || !in_j)
				both[n++] = want[i][x];
		}
		for (size_t x = 0; !exclude && x < want_count[j]; x++) {
			if (bsearch(&want[j][x], want[i], want_count[i],
				    sizeof(*want[i]), ref_compare_text) == NULL)
				both[n++] = want[j][x];
		}
		qsort(both, n, sizeof(*both), ref_compare_text);
		char name[32];
		snprintf(name, sizeof(name), "Ref both %d", k);
		struct store_list l;
		/* In list i's org, which its rule may name by default. */
		if (dir_list_add(&f->u.ctx, d->orgs[list_orgs[i]].ods, name,
			    "dynamic", NULL,
			    str_cstr(&rule), &l, &err) < 0)
			fail_msg("%s: %s", str_cstr(&rule), err.msg);
		ref_check(f, str_cstr(&rule), l.address, both, n);
	}
	free(d);
}

static bool
is_member(struct fixture *f, const char *list, const char *address)
{
	const char **out;
	size_t n;
	struct error err;
	assert_int_equal(dir_list_expand(&f->u.ctx, list, &out, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(out[i], address) == 0)
			return true;
	}
	return false;
}

/* SPEC P6: owners' lists start Pending; owners' changes wait. */
static void
test_owner_changes_wait_for_approval(void **state)
{
	struct fixture *f = *state;
	struct error err;
	bool waiting;
	add_org(f, "ORG01", NULL);
	const char *owner = add_person(f, "ORG01", "Olive", "Owner");
	const char *jo = add_person(f, "ORG01", "Jo", "One");
	const char *kim = add_person(f, "ORG01", "Kim", "Two");
	struct dir_list_new in = { .org_ods = "ORG01", .name = "Club",
		.requested_by = owner };
	struct store_list l;
	assert_int_equal(dir_list_create(&f->u.ctx, &in, &l, &err), 0);
	assert_string_equal(dir_list_state_name(l.status), "pending");
	struct dir_list_change add_jo = { .member_add = jo };
	bool opened;
	assert_int_equal(dir_list_change(&f->u.ctx, l.address, &add_jo, owner,
				 &waiting, &opened, &err), 0);
	assert_false(waiting);	/* never approved: it applies, still Pending */
	assert_false(opened);	/* the request for the new list stands */
	assert_true(is_member(f, l.address, jo));
	assert_int_equal(dir_list_approve(&f->u.ctx, l.address, &err), 0);
	struct dir_list_change add_kim = { .member_add = kim,
		.description = "Monthly" };
	assert_int_equal(dir_list_change(&f->u.ctx, l.address, &add_kim, owner,
				 &waiting, &opened, &err), 0);
	assert_true(waiting);
	assert_true(opened);	/* the first change to wait opens a request */
	assert_false(is_member(f, l.address, kim));
	struct store_list_review r;
	assert_int_equal(dir_list_review(&f->u.ctx, l.address, &r, &err), 0);
	assert_string_equal(r.change,
		"{\"description\":\"Monthly\",\"members_add\":[\""
		"kim.two@trust.example\"]}");
	/* A removal asked for cancels the addition asked for. */
	struct dir_list_change drop_kim = { .member_remove = kim };
	assert_int_equal(dir_list_change(&f->u.ctx, l.address, &drop_kim,
				 owner, &waiting, &opened, &err), 0);
	assert_false(opened);	/* it joins the request already waiting */
	assert_int_equal(dir_list_review(&f->u.ctx, l.address, &r, &err), 0);
	assert_string_equal(r.change,
		"{\"description\":\"Monthly\",\"members_remove\":[\""
		"kim.two@trust.example\"]}");
	assert_int_equal(dir_list_reject(&f->u.ctx, l.address, "", &err), -1);
	assert_string_equal(err.field, "reason");
	assert_int_equal(dir_list_change(&f->u.ctx, l.address, &add_kim, owner,
				 &waiting, NULL, &err), 0);
	assert_int_equal(dir_list_approve(&f->u.ctx, l.address, &err), 0);
	assert_true(is_member(f, l.address, kim));
	assert_int_equal(dir_list_get(&f->u.ctx, l.address, &l, &err), 0);
	assert_string_equal(l.description, "Monthly");
	assert_int_equal(dir_list_approve(&f->u.ctx, l.address, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	/* Owners asked for count toward the limit before they are approved. */
	assert_int_equal(config_set(f->u.config, "dir.list_max_owners=2",
				 &err), 0);
	struct dir_list_change add_owner = { .owner_add = jo };
	assert_int_equal(dir_list_change(&f->u.ctx, l.address, &add_owner,
				 owner, &waiting, NULL, &err), 0);
	add_owner.owner_add = kim;
	assert_int_equal(dir_list_change(&f->u.ctx, l.address, &add_owner,
				 owner, &waiting, NULL, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_non_null(strstr(err.msg, "2 owners"));
}

static void
test_change_freeze_blocks_dynamic_lists(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_list dyn, stat, l;
	add_org(f, "ORG01", NULL);
	assert_int_equal(dir_list_add(&f->u.ctx, "ORG01", "Dyn", "dynamic",
				 NULL, "{}", &dyn, &err), 0);
	assert_int_equal(dir_list_add(&f->u.ctx, "ORG01", "Stat", NULL, NULL,
				 NULL, &stat, &err), 0);
	assert_int_equal(dir_change_freeze_set(&f->u.ctx, true, "", &err), -1);
	assert_int_equal(dir_change_freeze_set(&f->u.ctx, true, "Window",
				 &err), 0);
	struct dir_freeze fr;
	assert_int_equal(dir_change_freeze_get(&f->u.ctx, &fr, &err), 0);
	assert_true(fr.on);
	assert_string_equal(fr.reason, "Window");
	bool waiting;
	struct dir_list_change c = { .description = "x" };
	assert_int_equal(dir_list_change(&f->u.ctx, dyn.address, &c, NULL,
				 &waiting, NULL, &err), -1);
	assert_string_equal(err.field, "change_freeze");
	assert_int_equal(dir_list_rename(&f->u.ctx, dyn.address, "Dyn 2", NULL,
				 &l, &err), -1);
	assert_int_equal(dir_list_delete(&f->u.ctx, dyn.address, &err), -1);
	assert_int_equal(dir_list_add(&f->u.ctx, "ORG01", "Dyn3", "dynamic",
				 NULL, "{}", &l, &err), -1);
	assert_string_equal(err.field, "change_freeze");
	/* Static lists, and expansion, carry on. */
	assert_int_equal(dir_list_change(&f->u.ctx, stat.address, &c, NULL,
				 &waiting, NULL, &err), 0);
	const char **out;
	size_t n;
	assert_int_equal(dir_list_expand(&f->u.ctx, dyn.address, &out, &n,
				 &err), 0);
	assert_int_equal(dir_change_freeze_set(&f->u.ctx, false, NULL, &err),
		0);
	assert_int_equal(dir_list_delete(&f->u.ctx, dyn.address, &err), 0);
	assert_int_equal(audit_count(f, "setting", "update"), 2);
}

/* Maintenance mode (SPEC S5): stored, audited once per real flip. */
static void
test_maintenance_switch(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct dir_maintenance m;
	const int64_t now = f->u.ctx.now;
	assert_int_equal(dir_maintenance_get(&f->u.ctx, &m, &err), 0);
	assert_false(m.on);
	assert_int_equal(dir_maintenance_on(&f->u.ctx, "Upgrade", now, &err),
		-1);
	assert_string_equal(err.field, "until");
	assert_int_equal(dir_maintenance_on(&f->u.ctx, "a\nb", 0, &err), -1);
	assert_string_equal(err.field, "message");
	assert_int_equal(dir_maintenance_get(&f->u.ctx, &m, &err), 0);
	assert_false(m.on);
	assert_int_equal(dir_maintenance_on(&f->u.ctx, "Upgrade", now + 3600,
				 &err), 0);
	assert_int_equal(dir_maintenance_get(&f->u.ctx, &m, &err), 0);
	assert_true(m.on);
	assert_string_equal(m.message, "Upgrade");
	assert_int_equal(m.until, now + 3600);
	assert_int_equal(m.since, now);
	/* A new message later keeps when it began. */
	f->u.ctx.now = now + 60;
	assert_int_equal(dir_maintenance_on(&f->u.ctx, NULL, 0, &err), 0);
	assert_int_equal(dir_maintenance_get(&f->u.ctx, &m, &err), 0);
	assert_int_equal(m.since, now);
	assert_string_equal(m.message, "");
	assert_int_equal(m.until, 0);
	bool was_on = false;
	assert_int_equal(dir_maintenance_off(&f->u.ctx, &was_on, &err), 0);
	assert_true(was_on);
	assert_int_equal(dir_maintenance_off(&f->u.ctx, &was_on, &err), 0);
	assert_false(was_on);
	assert_int_equal(dir_maintenance_get(&f->u.ctx, &m, &err), 0);
	assert_false(m.on);
	assert_int_equal(m.since, 0);
	assert_int_equal(audit_count(f, "setting", "update"), 3);
	f->u.ctx.now = now;
}

/* Retry-After: to the expected end, at least the minimum, none without. */
static void
test_maintenance_retry_after(void **state)
{
	(void)state;
	static const struct {
		bool on;
		int64_t until, now, want;
	} cases[] = {
		{ false, 5000, 1000, 0 },
		{ true, 0, 1000, 0 },
		{ true, 5000, 1000, 4000 },
		{ true, 1000 + DIR_MAINTENANCE_RETRY_MIN_S + 1, 1000,
		  DIR_MAINTENANCE_RETRY_MIN_S + 1 },
		{ true, 1030, 1000, DIR_MAINTENANCE_RETRY_MIN_S },
		{ true, 900, 1000, DIR_MAINTENANCE_RETRY_MIN_S },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct dir_maintenance m = { cases[i].on, "", cases[i].until,
			0, "", 0 };
		assert_int_equal(dir_maintenance_retry_after(&m, cases[i].now),
			cases[i].want);
	}
}

static void
test_rename_moves_address_and_rules(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_list a, outer, l;
	add_org(f, "ORG01", NULL);
	assert_int_equal(dir_list_add(&f->u.ctx, "ORG01", "Team A", NULL, NULL,
				 NULL, &a, &err), 0);
	char rule[256];
	snprintf(rule, sizeof(rule), "{\"exclude_lists\":[\"%s\"]}",
		a.address);
	assert_int_equal(dir_list_add(&f->u.ctx, "ORG01", "Outer", "dynamic",
				 NULL, rule, &outer, &err), 0);
	assert_int_equal(dir_list_rename(&f->u.ctx, a.address, "Team B", NULL,
				 &l, &err), 0);
	assert_string_equal(l.name, "Team B");
	assert_string_equal(l.address, "team.b@trust.example");
	assert_int_equal(dir_list_get(&f->u.ctx, outer.address, &outer, &err),
		0);
	assert_string_equal(outer.rule,
		"{\"exclude_lists\":[\"team.b@trust.example\"]}");
	/* The old address still names the list and is never given out. */
	assert_int_equal(dir_list_get(&f->u.ctx, "team.a@trust.example", &l,
				 &err), 0);
	assert_string_equal(l.address, "team.b@trust.example");
	struct store_list again;
	assert_int_equal(dir_list_add(&f->u.ctx, "ORG01", "Team A", NULL, NULL,
				 NULL, &again, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	/* A name giving the same address keeps it. */
	assert_int_equal(dir_list_rename(&f->u.ctx, l.address, "Team  B!",
				 NULL, &l, &err), 0);
	assert_string_equal(l.address, "team.b@trust.example");
}

/*
 * Each state has one parse and one name: every value's name parses back to
 * it, and nothing else parses (case, spaces, another state's names).
 */
static void
test_state_names_round_trip(void **state)
{
	(void)state;
	for (int v = STORE_PERSON_ACTIVE; v <= STORE_PERSON_DELETED; v++) {
		enum store_person_status got;
		assert_true(dir_person_status_parse(dir_person_status_name(
						    (enum store_person_status)v),
			&got));
		assert_int_equal(got, v);
	}
	for (int v = STORE_GRANT_FULL_ACCESS; v <= STORE_GRANT_SEND_ON_BEHALF;
	     v++) {
		enum store_grant_right got;
		assert_true(dir_grant_right_parse(dir_grant_right_name(
						  (enum store_grant_right)v),
			&got));
		assert_int_equal(got, v);
	}
	for (int v = STORE_LIST_STATIC; v <= STORE_LIST_DYNAMIC; v++) {
		enum store_list_kind got;
		assert_true(dir_list_kind_parse(dir_list_kind_name(
						(enum store_list_kind)v),
			&got));
		assert_int_equal(got, v);
	}
	for (int v = STORE_LIST_APPROVED; v <= STORE_LIST_REJECTED; v++) {
		enum store_list_state got;
		assert_true(dir_list_state_parse(dir_list_state_name(
						 (enum store_list_state)v),
			&got));
		assert_int_equal(got, v);
	}
	for (int v = STORE_MAILBOX_USER; v <= STORE_MAILBOX_RESOURCE; v++) {
		enum store_mailbox_kind got;
		assert_true(dir_mailbox_kind_parse(dir_mailbox_kind_name(
						   (enum store_mailbox_kind)v),
			&got));
		assert_int_equal(got, v);
	}
	for (int v = STORE_MAILBOX_ACTIVE; v <= STORE_MAILBOX_DELETED; v++) {
		enum store_mailbox_status got;
		assert_true(dir_mailbox_status_parse(dir_mailbox_status_name(
						     (enum store_mailbox_status)v),
			&got));
		assert_int_equal(got, v);
	}
	static const char *const not_names[] = { "", "Active", " active",
		"active ", "user", "pending", "send-as", "approve", "Static" };
	for (size_t i = 0; i < sizeof(not_names) / sizeof(*not_names); i++) {
		enum store_person_status ps;
		enum store_grant_right gr;
		enum store_list_kind lk;
		enum store_list_state ls;
		enum store_mailbox_status ms;
		enum store_mailbox_kind mk;
		const char *n = not_names[i];
		if (strcmp(n, "user") != 0)
			assert_false(dir_mailbox_kind_parse(n, &mk));
		assert_false(dir_mailbox_status_parse(n, &ms));
		if (strcmp(n, "pending") != 0)
			assert_false(dir_list_state_parse(n, &ls));
		assert_false(dir_person_status_parse(n, &ps));
		assert_false(dir_grant_right_parse(n, &gr));
		assert_false(dir_list_kind_parse(n, &lk));
	}
	enum store_person_status ps;
	assert_false(dir_person_status_parse(NULL, &ps));
	assert_string_equal(dir_person_status_name((enum store_person_status)99),
		"unknown");
}

/* The token hash of the tests' one session: "5e55aaaa...". */
static void
session_hash(char hash[65])
{
	memset(hash, 'a', 64);
	hash[64] = '\0';
	memcpy(hash, "5e55", 4);
}

/* A new person in org (made too), with the session "5e55...". */
static struct store_person
person_with_session(struct fixture *f, const char *ods, const char *first,
	int64_t *org_r)
{
	*org_r = add_org(f, ods, NULL);
	struct dir_person_fields in = { .org_ods = ods, .first_name = first,
		.last_name = "Session", .mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	assert_int_equal(dir_person_add(&f->u.ctx, &in, &p, &err), 0);
	char hash[65];
	session_hash(hash);
	struct store_session s = { .token_hash = hash, .csrf_token = "c",
		.person_id = p.id, .created_at = 1000, .last_seen_at = 1000 };
	assert_int_equal(store_session_insert(f->u.st, &s, &err), 0);
	return p;
}

/* store_session_find's answer for the token hash "5e55...": -1 gone. */
static int
session_status(struct fixture *f, bool may_remember, const char **first_r,
	int64_t *locked_r)
{
	struct store_session row;
	struct store_person person;
	struct store_signin si;
	struct store_role *roles;
	size_t role_count;
	struct error err;
	char hash[65];
	session_hash(hash);
	if (store_session_find(f->u.st, hash, may_remember, f->u.arena, &row,
		    &person, &si, &roles, &role_count, &err) < 0) {
		assert_int_equal(err.code, ERROR_NOT_FOUND);
		return -1;
	}
	*first_r = person.first_name;
	*locked_r = si.locked_at;
	return person.status == STORE_PERSON_ACTIVE ? 1 : 0;
}

/* The roles store_session_find reads with the session "5e55...". */
static size_t
session_roles(struct fixture *f, bool may_remember, struct store_role **r)
{
	struct store_session row;
	struct store_person person;
	struct store_signin si;
	size_t n;
	struct error err;
	char hash[65];
	session_hash(hash);
	assert_int_equal(store_session_find(f->u.st, hash, may_remember,
				 f->u.arena, &row, &person, &si, r, &n, &err),
		0);
	return n;
}

/*
 * A session is read with its person's roles (bench B9: a read's access
 * check needs no statement of its own), the same as store_role_list
 * gives them, in its order; and none for a person who holds none.
 */
static void
test_session_reads_roles(void **state)
{
	struct fixture *f = *state;
	int64_t a;
	struct store_person p = person_with_session(f, "SR001", "Rae", &a);
	int64_t b = add_org(f, "SR002", NULL);
	struct error err;
	struct store_role *got;
	assert_int_equal(session_roles(f, false, &got), 0);

	const struct store_role granted[] = {
		{ p.id, b, "local_admin", 300 },
		{ p.id, a, "local_admin", 100 },
		{ p.id, a, "helpdesk_admin", 200 },
	};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(store_role_add(f->u.st, &granted[i], &err), 0);
	struct store_role *listed;
	size_t n;
	assert_int_equal(store_role_list(f->u.st, p.id, f->u.arena, &listed,
				 &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(session_roles(f, false, &got), 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i].person_id, p.id);
		assert_int_equal(got[i].org_id, listed[i].org_id);
		assert_string_equal(got[i].role, listed[i].role);
		assert_int_equal(got[i].granted_at, listed[i].granted_at);
	}
	assert_string_equal(got[0].role, "helpdesk_admin");
	assert_int_equal(got[2].org_id, b);
}

/*
 * A node's memory of sessions on PostgreSQL (docs/postgresql.md,
 * "Sessions remembered by each node") forgets what the node's own
 * commits changed before the writer goes on, with a listener here that
 * hears nothing: the database's word to the connection that wrote is all
 * it has. A change no trigger announces shows that the memory answers.
 */
static void
test_session_memory_forgets_own_commits(void **state)
{
	struct fixture *f = *state;
	if (strcmp(f->u.backend, "postgresql") != 0)
		skip();
	int64_t org;
	struct store_person p = person_with_session(f, "SM001", "Sam", &org);
	struct error err;
	int pair[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	store_session_cache_set(60);
	session_cache_listening(pair[0]);
	session_cache_alive_until(clock_monotonic_ms() + 600000);
	const char *first;
	int64_t locked;
	assert_int_equal(session_status(f, true, &first, &locked), 1);
	assert_string_equal(first, "Sam");

	/* Renamed with the triggers off: remembered, unless asked afresh. */
	struct store *other = store_open(f->u.backend, f->u.path, false, 5000,
		&err);
	assert_non_null(other);
	assert_true(store_exec(other, &err, "SET session_replication_role ="
			    " replica", "") >= 0);
	assert_int_equal(store_exec(other, &err, "UPDATE people SET"
			     " first_name = 'Zed' WHERE id = ?", "i", p.id), 1);
	assert_true(store_exec(other, &err, "SET session_replication_role ="
			    " origin", "") >= 0);
	assert_int_equal(session_status(f, true, &first, &locked), 1);
	assert_string_equal(first, "Sam");
	assert_int_equal(session_status(f, false, &first, &locked), 1);
	assert_string_equal(first, "Zed");

	/* Given a role through another connection: read anew with it. */
	struct store_role *roles;
	assert_int_equal(session_roles(f, true, &roles), 0);
	assert_int_equal(store_exec(other, &err, "INSERT INTO roles (person_id,"
			     " org_id, role, granted_at) VALUES (?, ?,"
			     " 'local_admin', 9)", "ii", p.id, org), 1);
	assert_int_equal(session_roles(f, true, &roles), 1);
	assert_string_equal(roles[0].role, "local_admin");
	assert_int_equal(roles[0].granted_at, 9);

	/* Disabled by a statement of its own, through another connection. */
	assert_int_equal(store_exec(other, &err, "UPDATE people SET status ="
			     " 'disabled' WHERE id = ?", "i", p.id), 1);
	assert_int_equal(session_status(f, true, &first, &locked), 0);
	/* Locked in a transaction: forgotten when it commits. */
	assert_int_equal(store_begin(other, &err), 0);
	assert_int_equal(store_exec(other, &err, "UPDATE people SET locked_at"
			     " = 5, status = 'active' WHERE id = ?", "i", p.id),
		1);
	assert_int_equal(store_commit(other, &err), 0);
	assert_int_equal(session_status(f, true, &first, &locked), 1);
	assert_int_equal(locked, 5);
	/*
	 * Read by another request between the change and its commit: what
	 * it read then is the change's before, and forgotten at the commit.
	 */
	assert_int_equal(store_begin(other, &err), 0);
	assert_int_equal(store_exec(other, &err, "UPDATE people SET status ="
			     " 'disabled' WHERE id = ?", "i", p.id), 1);
	assert_int_equal(session_status(f, true, &first, &locked), 1);
	assert_int_equal(store_commit(other, &err), 0);
	assert_int_equal(session_status(f, true, &first, &locked), 0);
	/* The session deleted. */
	assert_int_equal(store_exec(other, &err, "DELETE FROM sessions WHERE"
			     " person_id = ?", "i", p.id), 1);
	assert_int_equal(session_status(f, true, &first, &locked), -1);

	store_close(&other);
	store_session_cache_set(0);
	session_cache_listening(-1);
	close(pair[0]);
	close(pair[1]);
}

/*
 * A wrapper of SQLite's default file system that counts the temporary
 * files it opens for savepoint and statement journals (each nested
 * transaction's, and each statement's that may need undoing alone).
 */
static sqlite3_vfs *plain_vfs;
static sqlite3_vfs counting_vfs;
static int subjournal_files;

static int
counting_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
	int flags, int *out)
{
	(void)vfs;
	if (flags & SQLITE_OPEN_SUBJOURNAL)
		subjournal_files++;
	return plain_vfs->xOpen(plain_vfs, name, file, flags, out);
}

/*
 * An import's people are each added in a savepoint of the import's one
 * transaction, and a person's changes journal more than the 64 KiB that
 * SQLite, with temp_store=FILE, keeps in memory: from the first person
 * on, the journal was a temporary file that every later person's pages
 * were written to too (bench B6: 17-20 s for 100,000 people, 54 writes
 * a person). The import begins bulk mode outside its transaction, and
 * the journals stay in memory; after it the connection's temporary store
 * is a file again, with its working sets. The same savepoint outside
 * bulk mode still goes to a file, which shows the count can see one.
 */
static void
test_an_import_journals_in_memory(void **state)
{
	struct fixture *f = *state;
	if (strcmp(f->u.backend, "sqlite") != 0)
		skip();
	plain_vfs = sqlite3_vfs_find(NULL);
	counting_vfs = *plain_vfs;
	counting_vfs.zName = "counting";
	counting_vfs.xOpen = counting_open;
	assert_int_equal(sqlite3_vfs_register(&counting_vfs, 1), SQLITE_OK);
	struct error err;
	struct store *st = store_open("sqlite", f->u.path, false, 1000, &err);
	assert_non_null(st);
	struct dir_ctx ctx = f->u.ctx;
	ctx.store = st;
	add_org(f, "IMP1", NULL);

	char *csv = arena_printf(f->u.arena, "external_id,first_name,"
		"last_name,job_title\r\n");
	for (int i = 0; i < 300; i++)
		csv = arena_printf(f->u.arena, "%sHR-%d,Ann,Lee%d,Nurse\r\n",
			csv, i, i);
	struct dir_import_table t;
	assert_int_equal(dir_import_read_csv(span_make(csv, strlen(csv)),
				 f->u.arena, &t, &err), 0);
	struct dir_import_options o = { .org_ods = "IMP1" };
	struct dir_import_report r;
	subjournal_files = 0;
	assert_int_equal(dir_import_run(&ctx, &t, &o, &r, &err), 0);
	assert_true(r.applied);
	assert_int_equal(r.counts[DIR_IMPORT_CREATED], 300);
	assert_int_equal(subjournal_files, 0);

	/* Afterwards: a file again, with the working sets. */
	struct store_stmt *q = store_query(st, &err, "PRAGMA temp_store", "");
	assert_non_null(q);
	assert_int_equal(store_step(st, q, &err), 1);
	assert_int_equal(store_col_int(st, q, 0), 1);
	store_finish(st, q);
	assert_true(store_exec(st, &err, "DELETE FROM expansion", "") >= 0);

	/* Every person's card changed in a savepoint, outside bulk mode. */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_exec(st, &err,
				 "UPDATE people SET job_title = 'Matron'", ""), 300);
	store_rollback(st);
	store_rollback(st);
	assert_true(subjournal_files > 0);

	store_close(&st);
	sqlite3_vfs_register(plain_vfs, 1);
	sqlite3_vfs_unregister(&counting_vfs);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_org_tree_and_uniqueness),
		T(test_long_postal_address_round_trips),
		T(test_address_generation_and_reservation),
		T(test_address_shared_across_kinds),
		T(test_sync_id_unique_within_org),
		T(test_expand_nested_loop),
		T(test_dynamic_list),
		T(test_owner_limit_and_membership),
		T(test_shared_mailbox_owners_apart_from_members),
		T(test_delete_removes_roles),
		T(test_session_reads_roles),
		T(test_site_types_from_config),
		T(test_rule_count_in_sql),
		T(test_rule_expansion_matches_reference),
		T(test_owner_changes_wait_for_approval),
		T(test_change_freeze_blocks_dynamic_lists),
		T(test_rename_moves_address_and_rules),
		T(test_maintenance_switch),
		T(test_an_import_journals_in_memory),
		cmocka_unit_test(test_maintenance_retry_after),
		cmocka_unit_test(test_state_names_round_trip),
		cmocka_unit_test_setup_teardown(
			test_session_memory_forgets_own_commits, setup, teardown),
	};
	return cmocka_run_group_tests_name("dir", tests, NULL, NULL);
}
