/* Organisations (a tree by parent) and their sites. Layer: store. */
#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define ORG_COLUMNS                                                      \
	"id, ods, name, type, COALESCE(parent_id, 0), postal_address,    \
	description, website, helpdesk_phone, helpdesk_email,            \
	default_quota_mb, created_at, updated_at, protocols_off"

static void
org_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_org *o = out;
	o->id = store_col_int(st, s, 0);
	o->ods = store_col_text(st, s, 1, a);
	o->name = store_col_text(st, s, 2, a);
	o->type = store_col_text(st, s, 3, a);
	o->parent_id = store_col_int(st, s, 4);
	o->postal_address = store_col_text(st, s, 5, a);
	o->description = store_col_text(st, s, 6, a);
	o->website = store_col_text(st, s, 7, a);
	o->helpdesk_phone = store_col_text(st, s, 8, a);
	o->helpdesk_email = store_col_text(st, s, 9, a);
	o->default_quota_mb = store_col_int(st, s, 10);
	o->created_at = store_col_int(st, s, 11);
	o->updated_at = store_col_int(st, s, 12);
	o->protocols_off = store_col_text(st, s, 13, a);
}

int
store_org_insert(struct store *st, struct store_org *o, struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO orgs (ods, name, type, parent_id, postal_address,"
		" description, website, helpdesk_phone, helpdesk_email,"
		" default_quota_mb, created_at, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		"tttztttttiii", o->ods, o->name, o->type, o->parent_id,
		o->postal_address, o->description, o->website,
		o->helpdesk_phone, o->helpdesk_email, o->default_quota_mb,
		o->created_at, o->updated_at);
	if (id < 0)
		return -1;
	o->id = id;
	return 0;
}

int
store_org_update(struct store *st, const struct store_org *o,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE orgs SET name = ?, type = ?, parent_id = ?,"
		" postal_address = ?, description = ?, website = ?,"
		" helpdesk_phone = ?, helpdesk_email = ?, default_quota_mb = ?,"
		" updated_at = ?, protocols_off = ? WHERE id = ?",
		"ttztttttiiti", o->name, o->type, o->parent_id, o->postal_address,
		o->description, o->website, o->helpdesk_phone, o->helpdesk_email,
		o->default_quota_mb, o->updated_at,
		o->protocols_off != NULL ? o->protocols_off : "", o->id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such organisation");
}

int
store_org_get(struct store *st, int64_t id, struct arena *a,
	struct store_org *o_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " ORG_COLUMNS " FROM orgs WHERE id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, org_read, o_r, "such organisation",
		err);
}

int
store_org_get_by_ods(struct store *st, const char *ods, struct arena *a,
	struct store_org *o_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " ORG_COLUMNS " FROM orgs WHERE ods = ?", "t", ods);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, org_read, o_r,
		"organisation with that ODS code", err);
}

int
store_org_list(struct store *st, struct arena *a, struct store_org **orgs_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " ORG_COLUMNS " FROM orgs ORDER BY ods", "");
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**orgs_r), org_read,
		(void **)orgs_r, count_r, err);
}

static void
id_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	*(int64_t *)out = store_col_int(st, s, 0);
}

int
store_org_subtree(struct store *st, int64_t root_id, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err)
{
	/* UNION (not UNION ALL) stops at a cycle should one ever exist. */
	struct store_stmt *s = store_query(st, err,
		"WITH RECURSIVE tree(id) AS (SELECT id FROM orgs WHERE id = ?"
		" UNION SELECT orgs.id FROM orgs JOIN tree"
		" ON orgs.parent_id = tree.id) SELECT id FROM tree ORDER BY id",
		"i", root_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**ids_r), id_read,
		(void **)ids_r, count_r, err);
}

static void
step_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	struct store_org_step *step = out;
	step->org_id = store_col_int(st, s, 0);
	step->role_held = store_col_int(st, s, 1) != 0;
}

int
store_org_chain(struct store *st, int64_t org_id, const char *role,
	struct arena *a, struct store_org_step **chain_r, size_t *count_r,
	struct error *err)
{
	/*
	 * One statement for the whole chain: an access check by a Local
	 * Administrator made two round trips a level on PostgreSQL. The
	 * depth stops a cycle, should one ever exist.
	 */
	struct store_stmt *s = store_query(st, err,
		"WITH RECURSIVE chain(id, parent_id, depth) AS ("
		" SELECT id, parent_id, 0 FROM orgs WHERE id = ?"
		" UNION ALL SELECT o.id, o.parent_id, c.depth + 1 FROM orgs o"
		" JOIN chain c ON o.id = c.parent_id WHERE c.depth < ?)"
		" SELECT c.id, EXISTS (SELECT 1 FROM roles r WHERE r.org_id = c.id"
		" AND r.role = ?) FROM chain c ORDER BY c.depth", "iit", org_id,
		(int64_t)STORE_ORG_CHAIN_MAX - 1, role);
	if (s == NULL)
		return -1;
	if (store_read_all(st, s, a, sizeof(**chain_r), step_read,
		    (void **)chain_r, count_r, err) < 0)
		return -1;
	if (*count_r == 0)
		return error_set(err, ERROR_NOT_FOUND,
			"there is no such organisation");
	return 0;
}

#define SITE_COLUMNS "id, org_id, name, site_type, postal_address, created_at"

static void
site_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_site *site = out;
	site->id = store_col_int(st, s, 0);
	site->org_id = store_col_int(st, s, 1);
	site->name = store_col_text(st, s, 2, a);
	site->site_type = store_col_text(st, s, 3, a);
	site->postal_address = store_col_text(st, s, 4, a);
	site->created_at = store_col_int(st, s, 5);
}

int
store_site_insert(struct store *st, struct store_site *site,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO sites (org_id, name, site_type, postal_address,"
		" created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		"ittti", site->org_id, site->name,
		site->site_type, site->postal_address, site->created_at);
	if (id < 0)
		return -1;
	site->id = id;
	return 0;
}

int
store_site_get(struct store *st, int64_t id, struct arena *a,
	struct store_site *site_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " SITE_COLUMNS " FROM sites WHERE id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, site_read, site_r, "such site", err);
}

int
store_site_find(struct store *st, int64_t org_id, const char *name,
	struct arena *a, struct store_site *site_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " SITE_COLUMNS " FROM sites WHERE org_id = ? AND name = ?",
		"it", org_id, name);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, site_read, site_r,
		"site of that name in the organisation", err);
}

int
store_site_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_site **sites_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " SITE_COLUMNS " FROM sites"
		" WHERE ? = 0 OR org_id = ? ORDER BY name, id",
		"ii", org_id, org_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**sites_r), site_read,
		(void **)sites_r, count_r, err);
}
