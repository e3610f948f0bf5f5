/*
 * Guests and add-on licences (SPEC L8, L9): the rows, read with what the
 * rules need joined in, so a sweep reads each table once. Layer: store.
 */
#include "store/store_guest.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define GUEST_COLUMNS "g.id, g.org_id, o.ods, g.address, g.display_name," \
	" g.inviter_id, m.address, p.org_id," \
	" p.status = 'active' AND p.deleted_at IS NULL, g.created_at," \
	" g.attested_at, g.attestations, g.orphaned_at, g.requested_for," \
	" g.removed_at, g.removed_reason"
#define GUEST_FROM " FROM guests g JOIN orgs o ON o.id = g.org_id" \
	" JOIN people p ON p.id = g.inviter_id" \
	" LEFT JOIN mailboxes m ON m.id = p.mailbox_id"

static void
guest_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_guest *g = out;
	g->id = store_col_int(st, s, 0);
	g->org_id = store_col_int(st, s, 1);
	g->org_ods = store_col_text(st, s, 2, a);
	g->address = store_col_text(st, s, 3, a);
	g->display_name = store_col_text(st, s, 4, a);
	g->inviter_id = store_col_int(st, s, 5);
	g->inviter_address = store_col_text(st, s, 6, a);
	g->inviter_org_id = store_col_int(st, s, 7);
	g->inviter_active = store_col_int(st, s, 8) != 0;
	g->created_at = store_col_int(st, s, 9);
	g->attested_at = store_col_int(st, s, 10);
	g->attestations = store_col_int(st, s, 11);
	g->orphaned_at = store_col_int(st, s, 12);
	g->requested_for = store_col_int(st, s, 13);
	g->removed_at = store_col_int(st, s, 14);
	g->removed_reason = store_col_text(st, s, 15, a);
}

int64_t
store_guest_add(struct store *st, int64_t org_id, const char *address,
	const char *display_name, int64_t inviter_id, int64_t created_at,
	struct error *err)
{
	return store_insert_id(st, err,
		"INSERT INTO guests (org_id, address, display_name, inviter_id,"
		" created_at, attested_at, attestations)"
		" VALUES (?, ?, ?, ?, ?, ?, 1) RETURNING id", "ittiii", org_id,
		address, display_name, inviter_id, created_at, created_at);
}

int
store_guest_get(struct store *st, int64_t id, struct arena *a,
	struct store_guest *g_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " GUEST_COLUMNS GUEST_FROM " WHERE g.id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, guest_read, g_r, "guest", err);
}

int
store_guest_list(struct store *st, int64_t org_id, bool include_removed,
	struct arena *a, struct store_guest **list_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " GUEST_COLUMNS GUEST_FROM
		" WHERE (? = 0 OR g.org_id = ?) AND (? = 1 OR g.removed_at = 0)"
		" ORDER BY g.id", "iii", org_id, org_id,
		(int64_t)include_removed);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), guest_read,
		(void **)list_r, count_r, err);
}

int
store_guest_update(struct store *st, const struct store_guest *g,
	struct error *err)
{
	return store_exec(st, err,
		"UPDATE guests SET inviter_id = ?, attested_at = ?,"
		" attestations = ?, orphaned_at = ?, requested_for = ?,"
		" removed_at = ?, removed_reason = ? WHERE id = ?", "iiiiiiti",
		g->inviter_id, g->attested_at, g->attestations, g->orphaned_at,
		g->requested_for, g->removed_at,
		g->removed_at != 0 ? g->removed_reason : NULL, g->id) < 0 ?
		-1 : 0;
}

#define ADDON_COLUMNS "d.id, d.org_id, o.ods, d.name, d.quota, d.expires_at," \
	" d.rule, d.notice_for, d.notice_step," \
	" (SELECT COUNT(*) FROM licence_allocations l WHERE l.addon_id = d.id)," \
	" d.created_at"
#define ADDON_FROM " FROM licence_addons d JOIN orgs o ON o.id = d.org_id"

static void
addon_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_addon *d = out;
	d->id = store_col_int(st, s, 0);
	d->org_id = store_col_int(st, s, 1);
	d->org_ods = store_col_text(st, s, 2, a);
	d->name = store_col_text(st, s, 3, a);
	d->quota = store_col_int(st, s, 4);
	d->expires_at = store_col_int(st, s, 5);
	d->rule = store_col_text(st, s, 6, a);
	d->notice_for = store_col_int(st, s, 7);
	d->notice_step = store_col_int(st, s, 8);
	d->used = store_col_int(st, s, 9);
	d->created_at = store_col_int(st, s, 10);
}

int64_t
store_addon_set(struct store *st, int64_t org_id, const char *name,
	int64_t quota, int64_t expires_at, int64_t now, struct error *err)
{
	return store_insert_id(st, err,
		"INSERT INTO licence_addons (org_id, name, quota, expires_at,"
		" created_at) VALUES (?, ?, ?, ?, ?)"
		" ON CONFLICT (org_id, name) DO UPDATE SET"
		" quota = excluded.quota, expires_at = excluded.expires_at"
		" RETURNING id", "itiii", org_id, name, quota, expires_at, now);
}

int
store_addon_get(struct store *st, int64_t org_id, const char *name,
	struct arena *a, struct store_addon *a_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " ADDON_COLUMNS ADDON_FROM
		" WHERE d.org_id = ? AND d.name = ?", "it", org_id, name);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, addon_read, a_r, "add-on", err);
}

int
store_addon_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_addon **list_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " ADDON_COLUMNS ADDON_FROM
		" WHERE ? = 0 OR d.org_id = ? ORDER BY o.ods, d.name", "ii",
		org_id, org_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), addon_read,
		(void **)list_r, count_r, err);
}

int
store_addon_rule_set(struct store *st, int64_t addon_id, const char *rule,
	struct error *err)
{
	return store_exec(st, err,
		"UPDATE licence_addons SET rule = ? WHERE id = ?", "ti",
		rule != NULL && rule[0] != '\0' ? rule : NULL, addon_id) < 0 ?
		-1 : 0;
}

int
store_addon_notice_set(struct store *st, int64_t addon_id,
	int64_t notice_for, int64_t step, struct error *err)
{
	return store_exec(st, err,
		"UPDATE licence_addons SET notice_for = ?, notice_step = ?"
		" WHERE id = ?", "iii", notice_for, step, addon_id) < 0 ? -1 : 0;
}

int
store_allocation_add(struct store *st, int64_t addon_id, int64_t person_id,
	int64_t now, bool by_rule, struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO licence_allocations (addon_id, person_id,"
		" allocated_at, by_rule) VALUES (?, ?, ?, ?)"
		" ON CONFLICT (addon_id, person_id) DO NOTHING", "iiii",
		addon_id, person_id, now, (int64_t)by_rule);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_EXISTS,
		"that person already holds this add-on");
}

int
store_allocation_remove(struct store *st, int64_t addon_id,
	int64_t person_id, struct error *err)
{
	int64_t n = store_exec(st, err,
		"DELETE FROM licence_allocations WHERE addon_id = ?"
		" AND person_id = ?", "ii", addon_id, person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
		"that person does not hold this add-on");
}

static void
allocation_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_allocation *l = out;
	l->addon_id = store_col_int(st, s, 0);
	l->person_id = store_col_int(st, s, 1);
	l->address = store_col_text(st, s, 2, a);
	l->display_name = store_col_text(st, s, 3, a);
	l->allocated_at = store_col_int(st, s, 4);
	l->by_rule = store_col_int(st, s, 5) != 0;
}

int
store_allocation_list(struct store *st, int64_t addon_id, struct arena *a,
	struct store_allocation **list_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT l.addon_id, l.person_id, COALESCE(m.address, ''),"
		" p.display_name, l.allocated_at, l.by_rule"
		" FROM licence_allocations l JOIN people p ON p.id = l.person_id"
		" LEFT JOIN mailboxes m ON m.id = p.mailbox_id"
		" WHERE l.addon_id = ? ORDER BY m.address", "i", addon_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), allocation_read,
		(void **)list_r, count_r, err);
}

static void
id_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	*(int64_t *)out = store_col_int(st, s, 0);
}

int
store_allocation_candidates(struct store *st, int64_t addon_id,
	int64_t org_id, const char *field, const char *value,
	struct arena *a, int64_t **ids_r, size_t *count_r, struct error *err)
{
	/* Whole statements per field: no SQL is built from the rule. */
	struct store_stmt *s;
	if (strcmp(field, "department") == 0)
		s = store_query(st, err, "SELECT p.id FROM people p WHERE"
			" p.org_id = ? AND p.status = 'active'"
			" AND p.deleted_at IS NULL AND NOT EXISTS (SELECT 1"
			" FROM licence_allocations l WHERE l.addon_id = ?"
			" AND l.person_id = p.id)"
			" AND lower(p.department) = lower(?) ORDER BY p.id",
			"iit", org_id, addon_id, value);
	else if (strcmp(field, "job_title") == 0)
		s = store_query(st, err, "SELECT p.id FROM people p WHERE"
			" p.org_id = ? AND p.status = 'active'"
			" AND p.deleted_at IS NULL AND NOT EXISTS (SELECT 1"
			" FROM licence_allocations l WHERE l.addon_id = ?"
			" AND l.person_id = p.id)"
			" AND lower(p.job_title) = lower(?) ORDER BY p.id",
			"iit", org_id, addon_id, value);
	else
		s = store_query(st, err, "SELECT p.id FROM people p WHERE"
			" p.org_id = ? AND p.status = 'active'"
			" AND p.deleted_at IS NULL AND NOT EXISTS (SELECT 1"
			" FROM licence_allocations l WHERE l.addon_id = ?"
			" AND l.person_id = p.id) ORDER BY p.id",
			"ii", org_id, addon_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**ids_r), id_read,
		(void **)ids_r, count_r, err);
}
