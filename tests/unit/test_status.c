/*
 * A person's lifecycle as admins change it (SPEC P3, L7): every change from
 * every status, as a table; join clearing the old site (seed 002 #9689) and
 * listing what is held elsewhere (seed 004); the restore window; roles only
 * for active people, never for a shared mailbox (seed 003).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "store/store_access.h"
#include "store/store_mailbox.h"
#include "unit_instance.h"

#define DAY_S 86400

struct fixture {
	struct unit_instance u;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "trust.example", "la@trust.example") < 0)
		return -1;
	const char *orgs[] = { "AAA", "BBB" };
	for (size_t i = 0; i < 2; i++) {
		struct dir_org_fields in = { .ods = orgs[i], .name = orgs[i] };
		struct store_org o;
		struct store_site s;
		struct error err;
		char site[32];
		snprintf(site, sizeof(site), "%s Site", orgs[i]);
		if (dir_org_add(&f->u.ctx, &in, &o, &err) < 0 ||
		    dir_site_add(&f->u.ctx, orgs[i], site, "other", "", &s,
			    &err) < 0)
			return -1;
	}
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
add_person(struct fixture *f, const char *last, const char *site)
{
	struct dir_person_fields in = { .org_ods = "AAA",
		.first_name = "Pat",
		.last_name = last,
		.site = site,
		.sync_id = last,
		.mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
		fail_msg("%s", err.msg);
	return p.address;
}

static int
join(struct fixture *f, const char *address, const char *org,
	const char *site, struct store_person *p, struct error *err)
{
	struct dir_move move = { address, org, site, NULL };
	struct dir_holding *held;
	size_t n;
	return dir_person_join(&f->u.ctx, &move, p, &held, &n, err);
}

/* Brings a new person to a status by the ordinary changes. */
static const char *
person_in(struct fixture *f, const char *status, int n)
{
	char last[32];
	struct store_person p;
	struct error err;
	snprintf(last, sizeof(last), "P%d", n);
	const char *a = add_person(f, last, NULL);
	int rc = 0;
	if (strcmp(status, "disabled") == 0)
		rc = dir_person_disable(&f->u.ctx, a, &p, &err);
	else if (strcmp(status, "leaver") == 0)
		rc = dir_person_mark_leaver(&f->u.ctx, a, &p, &err);
	else if (strcmp(status, "deleted") == 0)
		rc = dir_person_delete(&f->u.ctx, a, &err);
	if (rc < 0)
		fail_msg("%s: %s", status, err.msg);
	return a;
}

enum change { DISABLE, ENABLE, LEAVER, JOIN, RESTORE, CHANGE_COUNT };

static const char *const change_names[CHANGE_COUNT] = { "disable", "enable",
	"leaver", "join", "restore" };

static int
apply(struct fixture *f, enum change c, const char *a, struct store_person *p,
	struct error *err)
{
	switch (c) {
	case DISABLE:
		return dir_person_disable(&f->u.ctx, a, p, err);
	case ENABLE:
		return dir_person_enable(&f->u.ctx, a, p, err);
	case LEAVER:
		return dir_person_mark_leaver(&f->u.ctx, a, p, err);
	case JOIN:
		return join(f, a, "BBB", NULL, p, err);
	case RESTORE:
	case CHANGE_COUNT:
		break;
	}
	return dir_person_restore(&f->u.ctx, a, p, err);
}

/* From each status, each change: the new status, or the error's code. */
static const struct {
	const char *from;
	const char *to[CHANGE_COUNT];	/* "" where refused */
	enum error_code refusal;
} transitions[] = {
	{ "active", { "disabled", "", "leaver", "", "" }, ERROR_EXISTS },
	{ "disabled", { "", "active", "leaver", "", "" }, ERROR_EXISTS },
	{ "leaver", { "", "", "", "active", "" }, ERROR_EXISTS },
	{ "deleted", { "", "", "", "", "active" }, ERROR_NOT_FOUND },
};

static void
test_every_change_from_every_status(void **state)
{
	struct fixture *f = *state;
	int n = 0;
	for (size_t t = 0; t < sizeof(transitions) / sizeof(*transitions);
	     t++) {
		for (int c = 0; c < CHANGE_COUNT; c++) {
			const char *a = person_in(f, transitions[t].from, n++);
			const char *want = transitions[t].to[c];
			struct store_person p;
			struct error err;
			int rc = apply(f, (enum change)c, a, &p, &err);
			if (want[0] != '\0' && (rc < 0 ||
						       strcmp(dir_person_status_name(p.status),
							       want) != 0))
				fail_msg("%s then %s: %s", transitions[t].from,
					change_names[c], rc < 0 ? err.msg :
					dir_person_status_name(p.status));
			if (want[0] == '\0' && (rc == 0 ||
						       err.code !=
							       transitions[t].refusal))
				fail_msg("%s then %s was not refused as it "
					"should be", transitions[t].from,
					change_names[c]);
			/* Whatever happened, the status is one of the four. */
			assert_int_equal(dir_person_get(&f->u.ctx, a, &p,
						 &err), 0);
			assert_non_null(strstr(" active disabled leaver "
					       "deleted ",
					       dir_person_status_name(p.status)));
		}
	}
}

static void
test_join_clears_site_and_lists_holdings(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_person p;
	const char *a = add_person(f, "Mover", "AAA Site");
	struct store_mailbox office, desk;
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "AAA", "shared", "Office",
				 NULL, &office, &err), 0);
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "BBB", "shared", "Desk",
				 NULL, &desk, &err), 0);
	assert_int_equal(dir_grant_add(&f->u.ctx, office.address, a,
				 "full_access", &err), 0);
	assert_int_equal(dir_owner_add(&f->u.ctx, office.address, a, &err), 0);
	assert_int_equal(dir_grant_add(&f->u.ctx, desk.address, a, "send_as",
				 &err), 0);
	assert_int_equal(dir_role_add(&f->u.ctx, a, "AAA", "local_admin",
				 &err), 0);
	assert_int_equal(dir_person_mark_leaver(&f->u.ctx, a, &p, &err), 0);
	struct store_role *roles;
	size_t n;
	assert_int_equal(store_role_list(f->u.st, p.id, f->u.arena, &roles, &n,
				 &err), 0);
	assert_int_equal(n, 0);
	/* A site of the old org does not exist in the new one. */
	assert_int_equal(join(f, a, "BBB", "AAA Site", &p, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	struct dir_move move = { a, "BBB", NULL, NULL };
	struct dir_holding *held;
	assert_int_equal(dir_person_join(&f->u.ctx, &move, &p, &held, &n,
				 &err), 0);
	assert_int_equal(p.site_id, 0);
	assert_null(p.sync_id);
	assert_int_equal(n, 2);	/* the office twice; the desk is in BBB */
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(held[i].address, office.address);
		assert_string_equal(held[i].org_ods, "AAA");
	}
	struct store_mailbox m;
	assert_int_equal(store_mailbox_get(f->u.st, p.mailbox_id, f->u.arena, &m,
				 &err), 0);
	assert_int_equal(m.org_id, p.org_id);
}

static void
test_transfer_keeps_status_and_clears_site(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_person p;
	const char *a = add_person(f, "Moved", "AAA Site");
	assert_int_equal(dir_person_disable(&f->u.ctx, a, &p, &err), 0);
	struct dir_move move = { a, "BBB", NULL, NULL };
	assert_int_equal(dir_person_transfer(&f->u.ctx, &move, &p, &err), 0);
	assert_string_equal(dir_person_status_name(p.status), "disabled");
	assert_int_equal(p.site_id, 0);
	assert_string_equal(p.sync_id, "Moved");
	assert_int_equal(dir_person_transfer(&f->u.ctx, &move, &p, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
}

static void
test_restore_window(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_person p;
	const char *a = add_person(f, "Gone", NULL);
	const char *b = add_person(f, "Long Gone", NULL);
	assert_int_equal(dir_person_delete(&f->u.ctx, a, &err), 0);
	assert_int_equal(dir_person_delete(&f->u.ctx, b, &err), 0);
	int64_t deleted = f->u.ctx.now;
	f->u.ctx.now = deleted + 30 * DAY_S;	/* the last moment */
	assert_int_equal(dir_person_restore(&f->u.ctx, a, &p, &err), 0);
	assert_string_equal(dir_person_status_name(p.status), "active");
	assert_int_equal(p.deleted_at, 0);
	f->u.ctx.now = deleted + 30 * DAY_S + 1;
	assert_int_equal(dir_person_restore(&f->u.ctx, b, &p, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, "can no longer be restored"));
	assert_int_equal(dir_person_get(&f->u.ctx, b, &p, &err), 0);
	assert_string_equal(dir_person_status_name(p.status), "deleted");
}

static void
test_roles_only_for_active_people(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_person p;
	struct store_mailbox m;
	const char *a = add_person(f, "Off", NULL);
	assert_int_equal(dir_person_disable(&f->u.ctx, a, &p, &err), 0);
	assert_int_equal(dir_role_add(&f->u.ctx, a, "AAA", "local_admin",
				 &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "AAA", "shared", "Team",
				 NULL, &m, &err), 0);
	assert_int_equal(dir_role_add(&f->u.ctx, m.address, "AAA",
				 "local_admin", &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_non_null(strstr(err.msg, "belong to one person"));
	/* Devolving: only someone working in the org or below it. */
	const char *b = add_person(f, "Head", NULL);
	assert_int_equal(dir_org_devolve(&f->u.ctx, "BBB", b, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(dir_org_devolve(&f->u.ctx, "AAA", b, &err), 0);
}

static void
test_text_limits_count_characters(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_org o;
	/* 4,000 two-byte characters: 8,000 bytes, within the limit. */
	char *text = arena_alloc(f->u.arena, 8003);
	for (size_t i = 0; i < 4000; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[8000] = '\0';
	struct dir_org_fields c = { .postal_address = text };
	assert_int_equal(dir_org_edit(&f->u.ctx, "AAA", &c, &o, &err), 0);
	assert_int_equal(strlen(o.postal_address), 8000);
	memcpy(text + 8000, "x", 2);
	assert_int_equal(dir_org_edit(&f->u.ctx, "AAA", &c, &o, &err), -1);
	assert_string_equal(err.field, "postal_address");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_change_from_every_status),
		T(test_join_clears_site_and_lists_holdings),
		T(test_transfer_keeps_status_and_clears_site),
		T(test_restore_window),
		T(test_roles_only_for_active_people),
		T(test_text_limits_count_characters),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
