/* Distribution lists and the members of static lists. Layer: store. */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define LIST_COLUMNS                                                     \
	"id, org_id, kind, name, address, description, status, rule,     \
	created_at, updated_at, COALESCE(deleted_at, 0)"

/* The database's text for each kind and state: the store's edge. */
static const char *const kind_text[] = {
	[STORE_LIST_STATIC] = "static",
	[STORE_LIST_DYNAMIC] = "dynamic",
};

static const char *const state_text[] = {
	[STORE_LIST_APPROVED] = "approved",
	[STORE_LIST_PENDING] = "pending",
	[STORE_LIST_REJECTED] = "rejected",
};

/* The index of text in names, or fallback: the CHECKs allow no other. */
static size_t
list_text_parse(const char *const *names, size_t count, const char *text,
	size_t fallback)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(text, names[i]) == 0)
			return i;
	}
	return fallback;
}

static void
list_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_list *l = out;
	l->id = store_col_int(st, s, 0);
	l->org_id = store_col_int(st, s, 1);
	l->kind = (enum store_list_kind)list_text_parse(kind_text, 2,
		store_col_text(st, s, 2, a), STORE_LIST_STATIC);
	l->name = store_col_text(st, s, 3, a);
	l->address = store_col_text(st, s, 4, a);
	l->description = store_col_text(st, s, 5, a);
	/* An unknown state delivers nowhere: pending, not approved. */
	l->status = (enum store_list_state)list_text_parse(state_text, 3,
		store_col_text(st, s, 6, a), STORE_LIST_PENDING);
	l->rule = store_col_text(st, s, 7, a);
	l->created_at = store_col_int(st, s, 8);
	l->updated_at = store_col_int(st, s, 9);
	l->deleted_at = store_col_int(st, s, 10);
}

int
store_list_insert(struct store *st, struct store_list *l, struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO lists (org_id, kind, name, address, description,"
		" status, rule, created_at, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		"ittttttii", l->org_id,
		kind_text[l->kind], l->name, l->address, l->description,
		state_text[l->status],
		l->rule, l->created_at, l->updated_at);
	if (id < 0)
		return -1;
	l->id = id;
	return 0;
}

int
store_list_update(struct store *st, const struct store_list *l,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE lists SET org_id = ?, name = ?, address = ?,"
		" description = ?, status = ?, rule = ?, updated_at = ?,"
		" deleted_at = ? WHERE id = ?",
		"itttttizi", l->org_id, l->name, l->address, l->description,
		state_text[l->status], l->rule, l->updated_at, l->deleted_at,
		l->id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such list");
}

int
store_list_get(struct store *st, int64_t id, struct arena *a,
	struct store_list *l_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " LIST_COLUMNS " FROM lists WHERE id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, list_read, l_r, "such list", err);
}

int
store_list_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_list *l_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " LIST_COLUMNS " FROM lists WHERE address = ?"
		" ORDER BY deleted_at IS NOT NULL, id DESC LIMIT 1",
		"t", address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, list_read, l_r,
		"list with that address", err);
}

int
store_list_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_list **l_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " LIST_COLUMNS " FROM lists"
		" WHERE (? = 0 OR org_id = ?) AND deleted_at IS NULL"
		" ORDER BY address", "ii", org_id, org_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**l_r), list_read,
		(void **)l_r, count_r, err);
}

static bool
member_kind_parse(const char *name, enum store_kind *kind_r)
{
	static const enum store_kind kinds[] = { STORE_KIND_MAILBOX,
		STORE_KIND_CONTACT, STORE_KIND_LIST };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		if (strcmp(name, store_kind_name(kinds[i])) == 0) {
			*kind_r = kinds[i];
			return true;
		}
	}
	return false;
}

int
store_list_member_add(struct store *st, int64_t list_id,
	struct store_ref member, struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO list_members (list_id, member_kind, member_id)"
		" VALUES (?, ?, ?)",
		"iti", list_id, store_kind_name(member.kind), member.id);
	return n < 0 ? -1 : 0;
}

int
store_list_member_remove(struct store *st, int64_t list_id,
	struct store_ref member, struct error *err)
{
	int64_t n = store_exec(st, err,
		"DELETE FROM list_members WHERE list_id = ? AND member_kind = ?"
		" AND member_id = ?",
		"iti", list_id, store_kind_name(member.kind), member.id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "that is not a member of the list");
}

static void
member_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_ref *ref = out;
	const char *kind = store_col_text(st, s, 0, a);
	if (!member_kind_parse(kind, &ref->kind))
		ref->kind = STORE_KIND_MAILBOX;	/* the CHECK constraint forbids it */
	ref->id = store_col_int(st, s, 1);
}

int
store_list_members(struct store *st, int64_t list_id, struct arena *a,
	struct store_ref **members_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT member_kind, member_id FROM list_members"
		" WHERE list_id = ? ORDER BY member_kind, member_id",
		"i", list_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**members_r), member_read,
		(void **)members_r, count_r, err);
}

int
store_list_page(struct store *st, const int64_t *org_ids, size_t org_count,
	const enum store_list_state *status, bool awaiting, int64_t owner_id,
	int64_t after_id, size_t limit, struct arena *a,
	struct store_list **l_r, size_t *count_r, struct error *err)
{
	const char *state = status != NULL ? state_text[*status] : "";
	struct store_stmt *s = store_query(st, err,
		"SELECT " LIST_COLUMNS " FROM lists"
		" WHERE (? = 0 OR org_id IN " STORE_ID_SET ")"
		" AND (? = '' OR status = ?)"
		" AND (? = 0 OR status = 'pending' OR EXISTS (SELECT 1 FROM"
		"  list_reviews r WHERE r.list_id = lists.id AND r.change <> ''))"
		" AND (? = 0 OR EXISTS (SELECT 1 FROM owners o"
		"  WHERE o.object_kind = 'list' AND o.object_id = lists.id"
		"  AND o.person_id = ?))"
		" AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
		"iIttiiiii", (int64_t)(org_ids != NULL), org_ids, org_count,
		state, state, (int64_t)awaiting, owner_id, owner_id,
		after_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**l_r), list_read,
		(void **)l_r, count_r, err);
}

int
store_list_rules_naming(struct store *st, const char *text, struct arena *a,
	struct store_list **l_r, size_t *count_r, struct error *err)
{
	const char *pattern = store_like_contains(text, a);
	if (pattern == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	struct store_stmt *s = store_query(st, err,
		"SELECT " LIST_COLUMNS " FROM lists WHERE kind = 'dynamic'"
		" AND deleted_at IS NULL"
		" AND lower(rule) LIKE lower(?) ESCAPE '\\'"
		" ORDER BY id", "t", pattern);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**l_r), list_read,
		(void **)l_r, count_r, err);
}
