/*
 * Views: records read with what they show joined in SQL, and the lookups
 * a page needs made once for the whole page with an id set, so a page of
 * 100 costs what a page of 10 does. Layer: store.
 */
#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"
#include "store/store_view.h"

#define VIEW_COLUMNS STORE_PERSON_COLUMNS ", COALESCE(o.ods, ''),"        \
	" COALESCE(o.name, ''), COALESCE(s.name, ''),"                    \
	" COALESCE(s.site_type, '')"
#define VIEW_FROM " FROM people p JOIN mailboxes m ON m.id = p.mailbox_id" \
	" LEFT JOIN orgs o ON o.id = p.org_id"                            \
	" LEFT JOIN sites s ON s.id = p.site_id"

static void
view_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_person_view *v = out;
	store_person_read(st, s, a, &v->person);
	int c = STORE_PERSON_COLUMN_COUNT;
	v->org_ods = store_col_text(st, s, c, a);
	v->org_name = store_col_text(st, s, c + 1, a);
	v->site_name = store_col_text(st, s, c + 2, a);
	v->site_type = store_col_text(st, s, c + 3, a);
}

int
store_person_view_get(struct store *st, int64_t id, struct arena *a,
	struct store_person_view *v_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " VIEW_COLUMNS VIEW_FROM " WHERE p.id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, view_read, v_r, "such person", err);
}

int
store_person_view_list(struct store *st, const struct store_person_filter *f,
	struct arena *a, struct store_person_view **views_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " VIEW_COLUMNS VIEW_FROM STORE_PERSON_FILTER_SQL,
		STORE_PERSON_FILTER_TYPES, STORE_PERSON_FILTER_ARGS(f));
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**views_r), view_read,
		(void **)views_r, count_r, err);
}

static void
tag_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_role_tag *t = out;
	t->person_id = store_col_int(st, s, 0);
	t->role = store_col_text(st, s, 1, a);
	t->org_ods = store_col_text(st, s, 2, a);
	t->granted_at = store_col_int(st, s, 3);
}

int
store_role_tags(struct store *st, const int64_t *person_ids, size_t count,
	struct arena *a, struct store_role_tag **tags_r, size_t *count_r,
	struct error *err)
{
	*tags_r = NULL;
	*count_r = 0;
	if (count == 0)
		return 0;
	struct store_stmt *s = store_query(st, err,
		"SELECT r.person_id, r.role, o.ods, r.granted_at FROM roles r"
		" JOIN orgs o ON o.id = r.org_id"
		" WHERE r.person_id IN " STORE_ID_SET
		" ORDER BY r.person_id, r.org_id, r.role",
		"I", person_ids, count);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**tags_r), tag_read,
		(void **)tags_r, count_r, err);
}

static void
ref_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_org_ref *r = out;
	r->id = store_col_int(st, s, 0);
	r->ods = store_col_text(st, s, 1, a);
}

int
store_org_refs(struct store *st, const int64_t *org_ids, size_t count,
	struct arena *a, struct store_org_ref **refs_r, size_t *count_r,
	struct error *err)
{
	*refs_r = NULL;
	*count_r = 0;
	if (count == 0)
		return 0;
	struct store_stmt *s = store_query(st, err,
		"SELECT id, ods FROM orgs WHERE id IN " STORE_ID_SET
		" ORDER BY id", "I", org_ids, count);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**refs_r), ref_read,
		(void **)refs_r, count_r, err);
}

static void
holder_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_role_holder *h = out;
	h->org_id = store_col_int(st, s, 0);
	h->address = store_col_text(st, s, 1, a);
}

int
store_role_holders(struct store *st, const int64_t *org_ids, size_t count,
	const char *role, struct arena *a, struct store_role_holder **holders_r,
	size_t *count_r, struct error *err)
{
	*holders_r = NULL;
	*count_r = 0;
	if (count == 0)
		return 0;
	struct store_stmt *s = store_query(st, err,
		"SELECT r.org_id, m.address FROM roles r"
		" JOIN people p ON p.id = r.person_id"
		" JOIN mailboxes m ON m.id = p.mailbox_id"
		" WHERE r.org_id IN " STORE_ID_SET " AND r.role = ?"
		" ORDER BY r.org_id, r.person_id",
		"It", org_ids, count, role);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**holders_r), holder_read,
		(void **)holders_r, count_r, err);
}
