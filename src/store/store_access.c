/*
 * Who may do what to whom: owners of mailboxes and lists, members of shared
 * mailboxes, mailbox grants and admin roles. Owners and members are separate
 * tables so removing one never touches the other (SPEC P4). Layer: store.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

static int
exec_one(int64_t n, const char *missing, struct error *err)
{
	if (n < 0)
		return -1;
	return n >= 1 ? 0 : error_set(err, ERROR_NOT_FOUND, "%s", missing);
}

static void
id_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	*(int64_t *)out = store_col_int(st, s, 0);
}

int
store_owner_add(struct store *st, struct store_ref object, int64_t person_id,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO owners (object_kind, object_id, person_id)"
		" VALUES (?, ?, ?)",
		"tii", store_kind_name(object.kind), object.id, person_id);
	return n < 0 ? -1 : 0;
}

int
store_owner_remove(struct store *st, struct store_ref object,
	int64_t person_id, struct error *err)
{
	return exec_one(store_exec(st, err,
		"DELETE FROM owners WHERE object_kind = ? AND object_id = ?"
		" AND person_id = ?",
		"tii", store_kind_name(object.kind), object.id, person_id),
		"that person is not an owner", err);
}

int
store_owners(struct store *st, struct store_ref object, struct arena *a,
	int64_t **person_ids_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT person_id FROM owners WHERE object_kind = ?"
		" AND object_id = ? ORDER BY person_id",
		"ti", store_kind_name(object.kind), object.id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**person_ids_r), id_read,
		(void **)person_ids_r, count_r, err);
}

int
store_mailbox_member_add(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO mailbox_members (mailbox_id, person_id)"
		" VALUES (?, ?)", "ii", mailbox_id, person_id);
	return n < 0 ? -1 : 0;
}

int
store_mailbox_member_remove(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err)
{
	return exec_one(store_exec(st, err,
		"DELETE FROM mailbox_members WHERE mailbox_id = ?"
		" AND person_id = ?", "ii", mailbox_id, person_id),
		"that person is not a member of the mailbox", err);
}

int
store_mailbox_members(struct store *st, int64_t mailbox_id, struct arena *a,
	int64_t **person_ids_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT person_id FROM mailbox_members WHERE mailbox_id = ?"
		" ORDER BY person_id", "i", mailbox_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**person_ids_r), id_read,
		(void **)person_ids_r, count_r, err);
}

/* The database's text for each right: the store's edge (no migration). */
static const char *const right_text[] = {
	[STORE_GRANT_FULL_ACCESS] = "full_access",
	[STORE_GRANT_SEND_AS] = "send_as",
	[STORE_GRANT_SEND_ON_BEHALF] = "send_on_behalf",
};

static enum store_grant_right
right_from_text(const char *text)
{
	for (size_t i = 0; i < sizeof(right_text) / sizeof(*right_text); i++) {
		if (strcmp(text, right_text[i]) == 0)
			return (enum store_grant_right)i;
	}
	/* The schema's CHECK allows no other; the least is taken. */
	return STORE_GRANT_SEND_ON_BEHALF;
}

static void
grant_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_grant *g = out;
	g->mailbox_id = store_col_int(st, s, 0);
	g->person_id = store_col_int(st, s, 1);
	g->right = right_from_text(store_col_text(st, s, 2, a));
	g->granted_at = store_col_int(st, s, 3);
}

int
store_grant_add(struct store *st, const struct store_grant *g,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO grants (mailbox_id, person_id, \"right\", granted_at)"
		" VALUES (?, ?, ?, ?)",
		"iiti", g->mailbox_id, g->person_id, right_text[g->right],
		g->granted_at);
	return n < 0 ? -1 : 0;
}

int
store_grant_remove(struct store *st, const struct store_grant *g,
	struct error *err)
{
	return exec_one(store_exec(st, err,
		"DELETE FROM grants WHERE mailbox_id = ? AND person_id = ?"
		" AND \"right\" = ?", "iit", g->mailbox_id, g->person_id,
		right_text[g->right]),
		"that person does not hold that permission on the mailbox",
		err);
}

int
store_grant_list(struct store *st, int64_t mailbox_id, int64_t person_id,
	struct arena *a, struct store_grant **grants_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT mailbox_id, person_id, \"right\", granted_at FROM grants"
		" WHERE (? = 0 OR mailbox_id = ?) AND (? = 0 OR person_id = ?)"
		" ORDER BY mailbox_id, person_id, \"right\"",
		"iiii", mailbox_id, mailbox_id, person_id, person_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**grants_r), grant_read,
		(void **)grants_r, count_r, err);
}

static void
role_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_role *r = out;
	r->person_id = store_col_int(st, s, 0);
	r->org_id = store_col_int(st, s, 1);
	r->role = store_col_text(st, s, 2, a);
	r->granted_at = store_col_int(st, s, 3);
}

int
store_role_add(struct store *st, const struct store_role *r,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO roles (person_id, org_id, role, granted_at)"
		" VALUES (?, ?, ?, ?)",
		"iiti", r->person_id, r->org_id, r->role, r->granted_at);
	return n < 0 ? -1 : 0;
}

int
store_role_remove(struct store *st, const struct store_role *r,
	struct error *err)
{
	return exec_one(store_exec(st, err,
		"DELETE FROM roles WHERE person_id = ? AND org_id = ?"
		" AND role = ?", "iit", r->person_id, r->org_id, r->role),
		"that person does not hold that role for the organisation", err);
}

int
store_role_list(struct store *st, int64_t person_id, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT person_id, org_id, role, granted_at FROM roles"
		" WHERE person_id = ? ORDER BY org_id, role", "i", person_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**roles_r), role_read,
		(void **)roles_r, count_r, err);
}

int
store_role_list_for_org(struct store *st, int64_t org_id, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT person_id, org_id, role, granted_at FROM roles"
		" WHERE ? = 0 OR org_id = ? ORDER BY org_id, role, person_id",
		"ii", org_id, org_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**roles_r), role_read,
		(void **)roles_r, count_r, err);
}

int
store_role_list_by_role(struct store *st, const char *role, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT person_id, org_id, role, granted_at FROM roles"
		" WHERE role = ? ORDER BY person_id, org_id", "t", role);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**roles_r), role_read,
		(void **)roles_r, count_r, err);
}

int
store_role_remove_all(struct store *st, int64_t person_id, struct error *err)
{
	return store_exec(st, err, "DELETE FROM roles WHERE person_id = ?", "i",
		       person_id) < 0 ? -1 : 0;
}
