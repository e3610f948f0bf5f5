/* Mailboxes (user, shared, resource) and external contacts. Layer: store. */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define MAILBOX_COLUMNS                                                  \
	"id, kind, org_id, COALESCE(person_id, 0), address, display_name, \
	quota_mb, status, created_at, updated_at, COALESCE(deleted_at, 0)"

/* The database's text for each status: the store's edge (no migration). */
static const char *const status_text[] = {
	[STORE_MAILBOX_ACTIVE] = "active",
	[STORE_MAILBOX_DELETED] = "deleted",
};

static const char *const kind_text[] = {
	[STORE_MAILBOX_USER] = "user",
	[STORE_MAILBOX_SHARED] = "shared",
	[STORE_MAILBOX_RESOURCE] = "resource",
};

static enum store_mailbox_kind
kind_from_text(const char *text)
{
	for (size_t i = 0; i < sizeof(kind_text) / sizeof(*kind_text); i++) {
		if (strcmp(text, kind_text[i]) == 0)
			return (enum store_mailbox_kind)i;
	}
	/* The schema's CHECK allows no other. */
	return STORE_MAILBOX_SHARED;
}

static enum store_mailbox_status
status_from_text(const char *text)
{
	/* Only the two are ever written; anything else is not in use. */
	return strcmp(text, status_text[STORE_MAILBOX_ACTIVE]) == 0 ?
		STORE_MAILBOX_ACTIVE : STORE_MAILBOX_DELETED;
}

static void
mailbox_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_mailbox *m = out;
	m->id = store_col_int(st, s, 0);
	m->kind = kind_from_text(store_col_text(st, s, 1, a));
	m->org_id = store_col_int(st, s, 2);
	m->person_id = store_col_int(st, s, 3);
	m->address = store_col_text(st, s, 4, a);
	m->display_name = store_col_text(st, s, 5, a);
	m->quota_mb = store_col_int(st, s, 6);
	m->status = status_from_text(store_col_text(st, s, 7, a));
	m->created_at = store_col_int(st, s, 8);
	m->updated_at = store_col_int(st, s, 9);
	m->deleted_at = store_col_int(st, s, 10);
}

int
store_mailbox_insert(struct store *st, struct store_mailbox *m,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO mailboxes (kind, org_id, person_id, address,"
		" display_name, quota_mb, status, created_at, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		"tizttitii", kind_text[m->kind], m->org_id, m->person_id,
		m->address,
		m->display_name, m->quota_mb, status_text[m->status],
		m->created_at,
		m->updated_at);
	if (id < 0)
		return -1;
	m->id = id;
	return 0;
}

int
store_mailbox_update(struct store *st, const struct store_mailbox *m,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE mailboxes SET org_id = ?, person_id = ?, address = ?,"
		" display_name = ?, quota_mb = ?, status = ?, updated_at = ?,"
		" deleted_at = ? WHERE id = ?",
		"izttitizi", m->org_id, m->person_id, m->address,
		m->display_name, m->quota_mb, status_text[m->status],
		m->updated_at,
		m->deleted_at, m->id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such mailbox");
}

int
store_mailbox_set_person(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE mailboxes SET person_id = ? WHERE id = ?", "ii",
		person_id, mailbox_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such mailbox");
}

int
store_mailbox_get(struct store *st, int64_t id, struct arena *a,
	struct store_mailbox *m_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, mailbox_read, m_r, "such mailbox",
		err);
}

int
store_mailbox_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_mailbox *m_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE address = ?"
		" ORDER BY deleted_at IS NOT NULL, id DESC LIMIT 1",
		"t", address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, mailbox_read, m_r,
		"mailbox with that address", err);
}

int
store_mailbox_list(struct store *st, int64_t org_id,
	const enum store_mailbox_kind *kind_filter, struct arena *a,
	struct store_mailbox **m_r, size_t *count_r, struct error *err)
{
	const char *kind = kind_filter != NULL ? kind_text[*kind_filter] : "";
	struct store_stmt *s = store_query(st, err,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes"
		" WHERE (? = 0 OR org_id = ?) AND (? = '' OR kind = ?)"
		" AND deleted_at IS NULL ORDER BY address",
		"iitt", org_id, org_id, kind, kind);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**m_r), mailbox_read,
		(void **)m_r, count_r, err);
}

int
store_mailbox_owned(struct store *st, int64_t person_id,
	enum store_mailbox_kind kind, struct arena *a,
	struct store_mailbox **m_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes"
		" WHERE id IN (SELECT object_id FROM owners"
		"  WHERE object_kind = 'mailbox' AND person_id = ?)"
		" AND kind = ? AND deleted_at IS NULL ORDER BY address",
		"it", person_id, kind_text[kind]);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**m_r), mailbox_read,
		(void **)m_r, count_r, err);
}

#define CONTACT_COLUMNS                                                  \
	"id, org_id, display_name, address, created_at, updated_at,      \
	COALESCE(deleted_at, 0)"

static void
contact_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_contact *c = out;
	c->id = store_col_int(st, s, 0);
	c->org_id = store_col_int(st, s, 1);
	c->display_name = store_col_text(st, s, 2, a);
	c->address = store_col_text(st, s, 3, a);
	c->created_at = store_col_int(st, s, 4);
	c->updated_at = store_col_int(st, s, 5);
	c->deleted_at = store_col_int(st, s, 6);
}

int
store_contact_insert(struct store *st, struct store_contact *c,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO contacts (org_id, display_name, address, created_at,"
		" updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		"ittii", c->org_id, c->display_name, c->address, c->created_at,
		c->updated_at);
	if (id < 0)
		return -1;
	c->id = id;
	return 0;
}

int
store_contact_update(struct store *st, const struct store_contact *c,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE contacts SET org_id = ?, display_name = ?,"
		" updated_at = ?, deleted_at = ? WHERE id = ?",
		"itizi", c->org_id, c->display_name, c->updated_at,
		c->deleted_at, c->id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such contact");
}

int
store_contact_get(struct store *st, int64_t id, struct arena *a,
	struct store_contact *c_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " CONTACT_COLUMNS " FROM contacts WHERE id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, contact_read, c_r, "such contact",
		err);
}

int
store_contact_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_contact *c_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " CONTACT_COLUMNS " FROM contacts WHERE address = ?"
		" ORDER BY deleted_at IS NOT NULL, id DESC LIMIT 1",
		"t", address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, contact_read, c_r,
		"contact with that address", err);
}

int
store_contact_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_contact **c_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " CONTACT_COLUMNS " FROM contacts"
		" WHERE (? = 0 OR org_id = ?) AND deleted_at IS NULL"
		" ORDER BY address", "ii", org_id, org_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**c_r), contact_read,
		(void **)c_r, count_r, err);
}

int
store_mailbox_page(struct store *st, const int64_t *org_ids, size_t org_count,
	const enum store_mailbox_kind *kind_filter, int64_t after_id,
	size_t limit, struct arena *a, struct store_mailbox **m_r,
	size_t *count_r, struct error *err)
{
	const char *kind = kind_filter != NULL ? kind_text[*kind_filter] : "";
	struct store_stmt *s = store_query(st, err,
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes"
		" WHERE (? = 0 OR org_id IN " STORE_ID_SET ")"
		" AND (? = '' OR kind = ?)"
		" AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
		"iIttii", (int64_t)(org_ids != NULL), org_ids, org_count, kind,
		kind, after_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**m_r), mailbox_read,
		(void **)m_r, count_r, err);
}

int
store_contact_page(struct store *st, const int64_t *org_ids, size_t org_count,
	const char *q, int64_t after_id, size_t limit, struct arena *a,
	struct store_contact **c_r, size_t *count_r, struct error *err)
{
	bool search = q != NULL && q[0] != '\0';
	/* A plain substring: the text's own '%' and '_' are escaped. */
	const char *pattern = store_like_contains(search ? q : "", a);
	if (pattern == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	struct store_stmt *s = store_query(st, err,
		"SELECT " CONTACT_COLUMNS " FROM contacts"
		" WHERE (? = 0 OR org_id IN " STORE_ID_SET ")"
		" AND (? = 0 OR lower(display_name) LIKE lower(?) ESCAPE '\\'"
		" OR lower(address) LIKE lower(?) ESCAPE '\\')"
		" AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?",
		"iIittii", (int64_t)(org_ids != NULL), org_ids, org_count,
		(int64_t)search, pattern, pattern, after_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**c_r), contact_read,
		(void **)c_r, count_r, err);
}
