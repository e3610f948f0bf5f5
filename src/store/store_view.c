/*
 * Views: records read with what they show joined in SQL, and the lookups
 * a page needs made once for the whole page with an id set, so a page of
 * 100 costs what a page of 10 does. Layer: store.
 */
#include <stdlib.h>
#include <string.h>

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

/*
 * A record's roles and holdings, joined into two columns of its row
 * (store_joined_rows).
 */
#define RECORD_TAGS                                                          \
	"(SELECT " STORE_JOINED "(r.org_id" STORE_THEN "r.role" STORE_THEN   \
	"o.ods" STORE_THEN "r.granted_at, '" STORE_ROW_SEP "') FROM roles r"  \
	" JOIN orgs o ON o.id = r.org_id WHERE r.person_id = p.id)"
#define RECORD_TAG_FIELDS 4
#define RECORD_HOLDINGS                                                      \
	"(SELECT " STORE_JOINED "(h.relation" STORE_THEN "h.kind" STORE_THEN \
	"h.id" STORE_THEN "h.org_id" STORE_THEN "h.address" STORE_THEN       \
	"o.ods, '" STORE_ROW_SEP "')"                                        \
	" FROM (" STORE_HOLDINGS("p.id", "p.mailbox_id") ") AS h"           \
	" JOIN orgs o ON o.id = h.org_id)"
#define RECORD_HOLDING_FIELDS 6
#define RECORD_SELECT                                                        \
	"SELECT " VIEW_COLUMNS ", " RECORD_TAGS ", " RECORD_HOLDINGS VIEW_FROM

/* Roles by org (the id, joined first), then name: store_role_tags's. */
static int
tag_order(const void *x, const void *y)
{
	char *const *a = *(char **const *)x, *const *b = *(char **const *)y;
	long long ia = strtoll(a[0], NULL, 10), ib = strtoll(b[0], NULL, 10);
	if (ia != ib)
		return ia < ib ? -1 : 1;
	return strcmp(a[1], b[1]);
}

/* Holdings by address, then relation: store_person_holdings's. */
static int
holding_order(const void *x, const void *y)
{
	char *const *a = *(char **const *)x, *const *b = *(char **const *)y;
	int c = strcmp(a[4], b[4]);
	return c != 0 ? c : strcmp(a[0], b[0]);
}

struct record_read {
	struct store_person_record *r;
	const char *tags, *holdings;
};

static void
record_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct record_read *rr = out;
	view_read(st, s, a, &rr->r->view);
	int c = STORE_PERSON_COLUMN_COUNT + 4;
	rr->tags = store_col_text(st, s, c, a);
	rr->holdings = store_col_text(st, s, c + 1, a);
}

int
store_person_record_get(struct store *st, int64_t id, const char *address,
	struct arena *a, struct store_person_record *r_r, struct error *err)
{
	/* A node's own copy answers, when it can (store_finder.c). */
	int copied = st->finder != NULL ? store_finder_person_record(st, id,
		address, a, r_r, err) : 0;
	if (copied != 0)
		return copied < 0 ? -1 : 0;
	memset(r_r, 0, sizeof(*r_r));
	struct store_stmt *s = address != NULL ?
		store_query(st, err, RECORD_SELECT " WHERE p.id = (SELECT"
			" holder_id FROM addresses WHERE address = ? AND"
			" holder_kind = ?)", "tt", address,
			store_kind_name(STORE_KIND_PERSON)) :
		store_query(st, err, RECORD_SELECT " WHERE p.id = ?", "i", id);
	if (s == NULL)
		return -1;
	struct record_read rr = { .r = r_r };
	if (store_read_one(st, s, a, record_read, &rr, "such person", err) < 0)
		return -1;
	size_t nt, nh;
	char ***tags = store_joined_rows(rr.tags, RECORD_TAG_FIELDS, a, &nt, err);
	char ***holdings = tags == NULL ? NULL : store_joined_rows(rr.holdings,
		RECORD_HOLDING_FIELDS, a, &nh, err);
	if (holdings == NULL)
		return -1;
	qsort(tags, nt, sizeof(*tags), tag_order);
	qsort(holdings, nh, sizeof(*holdings), holding_order);
	r_r->tags = arena_alloc(a, (nt + 1) * sizeof(*r_r->tags));
	r_r->holdings = arena_alloc(a, (nh + 1) * sizeof(*r_r->holdings));
	if (r_r->tags == NULL || r_r->holdings == NULL)
		return error_set(err, ERROR_LIMIT, "too large a record to read");
	for (size_t i = 0; i < nt; i++)
		r_r->tags[i] = (struct store_role_tag){
			.person_id = r_r->view.person.id,
			.role = tags[i][1],
			.org_ods = tags[i][2],
			.granted_at = strtoll(tags[i][3], NULL, 10),
		};
	for (size_t i = 0; i < nh; i++)
		r_r->holdings[i] = (struct store_holding){
			.relation = holdings[i][0],
			.object_kind = holdings[i][1],
			.object_id = strtoll(holdings[i][2], NULL, 10),
			.org_id = strtoll(holdings[i][3], NULL, 10),
			.address = holdings[i][4],
			.org_ods = holdings[i][5],
		};
	r_r->tag_count = nt;
	r_r->holding_count = nh;
	return 0;
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
