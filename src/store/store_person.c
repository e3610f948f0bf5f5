/*
 * People. A person's address is their user mailbox's, read by join so it is
 * stored once. Password hashes are read and written only through their own
 * calls, never as part of a person record. Layer: store.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "store/store_internal.h"

#define PERSON_COLUMNS STORE_PERSON_COLUMNS
#define PERSON_FROM " FROM people p JOIN mailboxes m ON m.id = p.mailbox_id"

/* The database's text for each status: the store's edge (no migration). */
static const char *const status_text[] = {
	[STORE_PERSON_ACTIVE] = "active",
	[STORE_PERSON_DISABLED] = "disabled",
	[STORE_PERSON_LEAVER] = "leaver",
	[STORE_PERSON_DELETED] = "deleted",
	[STORE_PERSON_INACTIVE] = "inactive",
};

enum store_person_status
store_person_status_from_text(const char *text)
{
	for (size_t i = 0; i < sizeof(status_text) / sizeof(*status_text); i++) {
		if (strcmp(text, status_text[i]) == 0)
			return (enum store_person_status)i;
	}
	/* Only these are ever written; anything else may not sign in. */
	return STORE_PERSON_DISABLED;
}

static void
person_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_person *p = out;
	p->id = store_col_int(st, s, 0);
	p->org_id = store_col_int(st, s, 1);
	p->site_id = store_col_int(st, s, 2);
	p->mailbox_id = store_col_int(st, s, 3);
	p->address = store_col_text(st, s, 4, a);
	p->first_name = store_col_text(st, s, 5, a);
	p->last_name = store_col_text(st, s, 6, a);
	p->display_name = store_col_text(st, s, 7, a);
	p->job_title = store_col_text(st, s, 8, a);
	p->department = store_col_text(st, s, 9, a);
	p->phone = store_col_text(st, s, 10, a);
	p->mobile = store_col_text(st, s, 11, a);
	p->mobile_hidden = store_col_int(st, s, 12) != 0;
	p->notes = store_col_text(st, s, 13, a);
	p->status = store_person_status_from_text(store_col_text(st, s, 14, a));
	p->sync_id = store_col_text_or_null(st, s, 15, a);
	p->created_at = store_col_int(st, s, 16);
	p->updated_at = store_col_int(st, s, 17);
	p->deleted_at = store_col_int(st, s, 18);
	p->last_signin_at = store_col_int(st, s, 19);
	p->password_changed_at = store_col_int(st, s, 20);
	p->protocols_off = store_col_text(st, s, 21, a);
	p->locked_at = store_col_int(st, s, 22);
	p->status_changed_at = store_col_int(st, s, 23);
	p->purged_at = store_col_int(st, s, 24);
}

/* Room for a sort name: two names of at most a few hundred bytes. */
#define SORT_ARENA (16 * 1024)

int
store_person_insert(struct store *st, struct store_person *p,
	struct error *err)
{
	/* The name order is written with the row, not by a second write. */
	struct arena *a = arena_new(SORT_ARENA);
	const char *sort = a == NULL ? NULL :
		store_search_sort(p->last_name, p->first_name, a);
	int64_t id = sort == NULL ? error_set(err, ERROR_LIMIT, "a person's "
		"names are too long to index") : store_insert_id(st, err,
		"INSERT INTO people (org_id, site_id, mailbox_id, first_name,"
		" last_name, display_name, job_title, department, phone, mobile,"
		" mobile_hidden, notes, status, sync_id, created_at, updated_at,"
		" sort_name)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id",
		"izitttttttitttiit", p->org_id, p->site_id, p->mailbox_id,
		p->first_name, p->last_name, p->display_name, p->job_title,
		p->department, p->phone, p->mobile, (int64_t)p->mobile_hidden,
		p->notes, status_text[p->status], p->sync_id, p->created_at,
		p->updated_at, sort);
	if (id < 0) {
		arena_free(&a);
		return -1;
	}
	p->id = id;
	/* A bulk load writes the keys of many people at once, in order. */
	int rc = st->search_batch ? store_search_batch_note(st, p, sort, err) :
		store_search_refresh(st, p, err);
	arena_free(&a);
	return rc;
}

int
store_person_update(struct store *st, const struct store_person *p,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET org_id = ?, site_id = ?, first_name = ?,"
		" last_name = ?, display_name = ?, job_title = ?,"
		" department = ?, phone = ?, mobile = ?, mobile_hidden = ?,"
		" notes = ?, status = ?, sync_id = ?, updated_at = ?,"
		" deleted_at = ?, protocols_off = ?,"
		" status_changed_at = CASE WHEN status = ?12"
		"  THEN status_changed_at ELSE ?14 END"
		" WHERE id = ?",
		"iztttttttitttizti", p->org_id, p->site_id, p->first_name,
		p->last_name, p->display_name, p->job_title, p->department,
		p->phone, p->mobile, (int64_t)p->mobile_hidden, p->notes,
		status_text[p->status], p->sync_id, p->updated_at, p->deleted_at,
		p->protocols_off != NULL ? p->protocols_off : "", p->id);
	if (n < 0)
		return -1;
	if (n != 1)
		return error_set(err, ERROR_NOT_FOUND,
			"there is no such person");
	return store_search_refresh(st, p, err);
}

int
store_person_get(struct store *st, int64_t id, struct arena *a,
	struct store_person *p_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " PERSON_COLUMNS PERSON_FROM " WHERE p.id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, person_read, p_r, "such person", err);
}

int
store_person_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_person *p_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " PERSON_COLUMNS PERSON_FROM " WHERE m.address = ?"
		" ORDER BY p.deleted_at IS NOT NULL, p.id DESC LIMIT 1",
		"t", address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, person_read, p_r,
		"person with that address", err);
}

int
store_person_get_by_sync_id(struct store *st, int64_t org_id,
	const char *sync_id, struct arena *a, struct store_person *p_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " PERSON_COLUMNS PERSON_FROM
		" WHERE p.org_id = ? AND p.sync_id = ?", "it", org_id, sync_id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, person_read, p_r,
		"person with that sync ID in the organisation", err);
}

int
store_person_list(struct store *st, const struct store_person_filter *f,
	struct arena *a, struct store_person **people_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " PERSON_COLUMNS PERSON_FROM STORE_PERSON_FILTER_SQL,
		STORE_PERSON_FILTER_TYPES, STORE_PERSON_FILTER_ARGS(f));
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**people_r), person_read,
		(void **)people_r, count_r, err);
}

int
store_person_password_get(struct store *st, int64_t person_id,
	struct arena *a, const char **hash_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT password_hash FROM people WHERE id = ?", "i", person_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*hash_r = store_col_text(st, s, 0, a);
	else if (rc == 0)
		error_set(err, ERROR_NOT_FOUND, "there is no such person");
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

int
store_person_password_set(struct store *st, int64_t person_id,
	const char *hash, int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET password_hash = ?, password_changed_at = ?,"
		" password_self_set_at = NULL, updated_at = ? WHERE id = ?",
		"tiii", hash, now, now, person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such person");
}

static void
device_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_device *d = out;
	d->person_id = store_col_int(st, s, 0);
	d->protocol = store_col_text(st, s, 1, a);
	d->client = store_col_text(st, s, 2, a);
	d->address = store_col_text(st, s, 3, a);
	d->first_seen = store_col_int(st, s, 4);
	d->last_seen = store_col_int(st, s, 5);
}

int
store_device_seen(struct store *st, const struct store_device *d,
	struct error *err)
{
	if (store_begin(st, err) < 0)
		return -1;
	if (store_exec(st, err,
		    "INSERT INTO devices (person_id, protocol, client, address,"
		    " first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)"
		    " ON CONFLICT (person_id, protocol, client, address)"
		    " DO UPDATE SET last_seen = excluded.last_seen",
		    "itttii", d->person_id, d->protocol, d->client, d->address,
		    d->last_seen, d->last_seen) < 0 ||
	    store_exec(st, err,
		    "UPDATE people SET last_signin_at = ? WHERE id = ?", "ii",
		    d->last_seen, d->person_id) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

int
store_device_list(struct store *st, int64_t person_id, struct arena *a,
	struct store_device **devices_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT person_id, protocol, client, address, first_seen,"
		" last_seen FROM devices WHERE person_id = ?"
		" ORDER BY last_seen DESC, id", "i", person_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**devices_r), device_read,
		(void **)devices_r, count_r, err);
}

void
store_person_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	person_read(st, s, a, out);
}

static void
device_row_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_device_row *r = out;
	r->id = store_col_int(st, s, 0);
	r->device.person_id = store_col_int(st, s, 1);
	r->device.protocol = store_col_text(st, s, 2, a);
	r->device.client = store_col_text(st, s, 3, a);
	r->device.address = store_col_text(st, s, 4, a);
	r->device.first_seen = store_col_int(st, s, 5);
	r->device.last_seen = store_col_int(st, s, 6);
	r->person_address = store_col_text(st, s, 7, a);
	r->person_name = store_col_text(st, s, 8, a);
	r->org_ods = store_col_text(st, s, 9, a);
}

int
store_device_report(struct store *st, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit, struct arena *a,
	struct store_device_row **rows_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT d.id, d.person_id, d.protocol, d.client, d.address,"
		" d.first_seen, d.last_seen, m.address, p.display_name, o.ods"
		" FROM devices d JOIN people p ON p.id = d.person_id"
		" JOIN mailboxes m ON m.id = p.mailbox_id"
		" JOIN orgs o ON o.id = p.org_id"
		" WHERE (? = 0 OR p.org_id IN " STORE_ID_SET ")"
		" AND p.deleted_at IS NULL AND d.id > ? ORDER BY d.id LIMIT ?",
		"iIii", (int64_t)(org_ids != NULL), org_ids, org_count,
		after_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), device_row_read,
		(void **)rows_r, count_r, err);
}

const char *
store_person_status_text(enum store_person_status status)
{
	return status_text[status];
}
