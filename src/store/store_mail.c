/*
 * Mail storage: folders with RFC 3501 UIDVALIDITY and UIDNEXT, bodies held
 * once by hash with their summary, one small row per message per folder,
 * per-mailbox usage for quotas, and the outbound queue. Layer: store.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_blob.h"
#include "store/store_internal.h"

void
store_folder_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_folder *f = out;
	f->id = store_col_int(st, s, 0);
	f->mailbox_id = store_col_int(st, s, 1);
	f->name = store_col_text(st, s, 2, a);
	f->special_use = store_col_text(st, s, 3, a);
	f->uidvalidity = store_col_int(st, s, 4);
	f->uidnext = store_col_int(st, s, 5);
	f->subscribed = store_col_int(st, s, 6) != 0;
	f->created_at = store_col_int(st, s, 7);
}

int
store_folder_create(struct store *st, struct store_folder *f,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO folders (mailbox_id, name, special_use, uidvalidity,"
		" subscribed, created_at) VALUES (?, ?, ?, ?, ?, ?)"
		" RETURNING id",
		"ittiii", f->mailbox_id, f->name, f->special_use,
		f->uidvalidity, (int64_t)f->subscribed, f->created_at);
	if (id < 0)
		return -1;
	f->id = id;
	return 0;
}

int
store_folder_get(struct store *st, int64_t mailbox_id, const char *name,
	struct arena *a, struct store_folder *f_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " FOLDER_COLUMNS " FROM folders"
		" WHERE mailbox_id = ? AND name = ?", "it", mailbox_id, name);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, store_folder_read, f_r,
		"folder of that name", err);
}

struct folder_state_row {
	struct store_folder f;
	int64_t changes, recent_first;
};

static void
folder_state_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct folder_state_row *r = out;
	store_folder_read(st, s, a, &r->f);
	r->changes = store_col_int(st, s, 8);
	r->recent_first = store_col_int(st, s, 9);
}

int
store_folder_get_state(struct store *st, int64_t mailbox_id,
	const char *name, struct arena *a, struct store_folder *f_r,
	int64_t *changes_r, int64_t *recent_first_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " FOLDER_COLUMNS ", " STORE_FOLDER_CHANGES("folders.id")
		", recent_uid FROM folders WHERE mailbox_id = ? AND name = ?",
		"it", mailbox_id, name);
	if (s == NULL)
		return -1;
	struct folder_state_row r;
	if (store_read_one(st, s, a, folder_state_read, &r,
		    "folder of that name", err) < 0)
		return -1;
	*f_r = r.f;
	*changes_r = r.changes;
	*recent_first_r = r.recent_first;
	return 0;
}

int
store_folder_special(struct store *st, int64_t mailbox_id,
	const char *special_use, struct arena *a, struct store_folder *f_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " FOLDER_COLUMNS " FROM folders"
		" WHERE mailbox_id = ? AND special_use = ? ORDER BY id LIMIT 1",
		"it", mailbox_id, special_use);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, store_folder_read, f_r,
		"folder for that use", err);
}

int
store_folder_list(struct store *st, int64_t mailbox_id, struct arena *a,
	struct store_folder **folders_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " FOLDER_COLUMNS " FROM folders WHERE mailbox_id = ?"
		" ORDER BY name", "i", mailbox_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**folders_r), store_folder_read,
		(void **)folders_r, count_r, err);
}

int
store_body_stage(struct store *st, const struct store_body *b,
	struct error *err)
{
	(void)st;
	struct store_blobs *blobs = store_blobs_current();
	if (blobs == NULL)
		return 0;
	int has = store_blobs_has(blobs, b->hash, err);
	if (has != 0)
		return has < 0 ? -1 : 0;
	return store_blobs_put(blobs, b->hash, b->data, b->size, err);
}

/*
 * A new outside body's blob, checked in the transaction that names it: a
 * sweep removes a blob only in a transaction of its own that finds no row
 * with its hash (store_blobs_sweep), so once this one holds the writers'
 * lock, a blob staged before it either is still there or was removed
 * before, and is put again here.
 */
static int
blob_present(struct store_blobs *blobs, const struct store_body *b,
	struct error *err)
{
	int has = store_blobs_has(blobs, b->hash, err);
	if (has != 0)
		return has < 0 ? -1 : 0;
	return store_blobs_put(blobs, b->hash, b->data, b->size, err);
}

int64_t
store_body_put(struct store *st, const struct store_body *b,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT id FROM bodies WHERE hash = ?", "t", b->hash);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	int64_t id = rc == 1 ? store_col_int(st, s, 0) : 0;
	store_finish(st, s);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return id;
	struct store_blobs *blobs = store_blobs_current();
	bool outside = blobs != NULL && b->size > 0;
	if (outside && blob_present(blobs, b, err) < 0)
		return -1;
	const struct store_message_meta *m = b->meta;
	id = store_insert_id(st, err,
		"INSERT INTO bodies (hash, size, sent_date, header_size,"
		" created_at, subject, from_addr, to_addr, cc_addr, bcc_addr,"
		" message_id, envelope, bodystructure, body, outside, data)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id",
		"tiiiitttttttttiZ", b->hash, (int64_t)b->size, m->sent_date,
		m->header_size, b->created_at, m->subject, m->from, m->to,
		m->cc, m->bcc, m->message_id, m->envelope, m->bodystructure,
		m->body, (int64_t)outside, outside ? (size_t)0 : b->size);
	if (id < 0)
		return -1;
	if (!outside && b->size > 0 && store_blob_write(st, "bodies", "data",
						id, b->data, b->size, err) < 0)
		return -1;
	return id;
}

static int
add_message_row(struct store *st, const struct store_delivery *d,
	int64_t folder_id, int64_t uid, struct error *err)
{
	if (store_exec(st, err,
		    "INSERT INTO messages (folder_id, uid, body_id, size,"
		    " internal_date, flags) VALUES (?, ?, ?, ?, ?, ?)",
		    "iiiiii", folder_id, uid, d->body_id, d->size,
		    d->internal_date, (int64_t)d->flags) < 0)
		return -1;
	return store_exec(st, err,
		STORE_USAGE_CHARGE("SELECT mailbox_id, ? FROM folders"
			" WHERE id = ?"), "ii", d->size, folder_id) < 0 ? -1 : 0;
}

int
store_deliver(struct store *st, const struct store_delivery *d,
	int64_t *uids_r, struct error *err)
{
	if (store_begin(st, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < d->folder_count; i++) {
		int64_t uid = store_folder_take_uids(st, d->folder_ids[i], 1,
			err);
		if (uid < 0)
			rc = -1;
		else
			rc = add_message_row(st, d, d->folder_ids[i], uid, err);
		if (rc == 0 && uids_r != NULL)
			uids_r[i] = uid;
	}
	if (rc < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

int
store_body_get(struct store *st, int64_t body_id, struct arena *a,
	const char **data_r, size_t *size_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT size, outside, hash FROM bodies WHERE id = ?", "i",
		body_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	int64_t size = rc == 1 ? store_col_int(st, s, 0) : 0;
	bool outside = rc == 1 && store_col_int(st, s, 1) != 0;
	char hash[STORE_BLOB_HASH_SIZE] = "";
	if (rc == 1) {
		const char *h = st->ops->column_text(s, 2);
		snprintf(hash, sizeof(hash), "%s", h != NULL ? h : "");
	}
	store_finish(st, s);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return error_set(err, ERROR_NOT_FOUND,
			"there is no message body %lld", (long long)body_id);
	char *copy = arena_alloc(a, (size_t)size + 1);
	if (copy == NULL)
		return error_set(err, ERROR_LIMIT,
			"the message is larger than this request may use");
	struct store_blobs *blobs = store_blobs_current();
	if (outside && blobs == NULL)
		return error_set(err, ERROR_INTERNAL, "message body %lld is in"
			" the blob store, and this instance has none ([blobs]"
			" backend is database)", (long long)body_id);
	if (outside && store_blobs_get(blobs, hash, copy, (size_t)size,
			       err) < 0)
		return -1;
	if (!outside && size > 0 && store_blob_read(st, "bodies", "data",
					 body_id, copy, (size_t)size, err) < 0)
		return -1;
	copy[size] = '\0';
	*data_r = copy;
	*size_r = (size_t)size;
	return 0;
}

int
store_mailbox_used(struct store *st, int64_t mailbox_id, int64_t *used_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT COALESCE(u.used_bytes, 0) FROM mailboxes m"
		" LEFT JOIN mailbox_usage u ON u.mailbox_id = m.id"
		" WHERE m.id = ?", "i", mailbox_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*used_r = store_col_int(st, s, 0);
	else if (rc == 0)
		error_set(err, ERROR_NOT_FOUND, "there is no such mailbox");
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

/*
 * The first `limit` candidates (all when limit < 0), as a subquery the
 * three statements of a forget share; the writers' lock held by the
 * transaction keeps them the same rows.
 */
#define UNREF_BATCH "(SELECT body_id FROM body_unref ORDER BY body_id LIMIT ?)"
#define UNREFERENCED							\
	" NOT EXISTS (SELECT 1 FROM messages WHERE body_id = bodies.id)"	\
	" AND NOT EXISTS (SELECT 1 FROM queue WHERE body_id = bodies.id)"

int64_t
store_bodies_forget(struct store *st, int64_t now, int64_t limit,
	int64_t *forgotten_r, struct error *err)
{
	*forgotten_r = 0;
	if (limit < 0)
		limit = INT64_MAX;
	if (store_exec(st, err, "INSERT INTO blob_doomed (hash, doomed_at)"
		    " SELECT hash, ? FROM bodies WHERE outside = 1 AND id IN "
		    UNREF_BATCH " AND" UNREFERENCED
		    " ON CONFLICT (hash) DO NOTHING", "ii", now, limit) < 0)
		return -1;
	int64_t n = store_exec(st, err, "DELETE FROM bodies WHERE id IN "
		UNREF_BATCH " AND" UNREFERENCED, "i", limit);
	int64_t looked = n < 0 ? -1 : store_exec(st, err, "DELETE FROM"
		" body_unref WHERE body_id IN " UNREF_BATCH, "i", limit);
	if (looked < 0)
		return -1;
	*forgotten_r = n;
	return looked;
}

int
store_bodies_pending(struct store *st, int64_t *unref_r, int64_t *doomed_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT (SELECT count(*) FROM body_unref),"
		" (SELECT count(*) FROM blob_doomed)", "");
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1) {
		*unref_r = store_col_int(st, s, 0);
		*doomed_r = store_col_int(st, s, 1);
	}
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

int
store_blobs_sweep(struct store *st, int64_t before, int64_t limit,
	struct arena *a, int64_t *removed_r, int64_t *done_r,
	struct error *err)
{
	*removed_r = *done_r = 0;
	struct store_blobs *blobs = store_blobs_current();
	if (blobs == NULL)
		return 0;	/* kept until a blob store is configured again */
	struct store_stmt *s = store_query(st, err,
		"SELECT d.hash, EXISTS (SELECT 1 FROM bodies b"
		" WHERE b.hash = d.hash) FROM blob_doomed d"
		" WHERE d.doomed_at <= ? ORDER BY d.hash LIMIT ?", "ii",
		before, limit);
	if (s == NULL)
		return -1;
	size_t count = 0, cap = limit > 0 && limit < 100000 ?
		(size_t)limit : 100000;
	const char **hashes = arena_alloc(a, cap * sizeof(*hashes));
	bool *back = arena_alloc(a, cap * sizeof(*back));
	if (hashes == NULL || back == NULL)
		return store_rows_done(st, s, error_set(err, ERROR_LIMIT,
			"no memory for the blobs to remove"), err);
	int rc = 0;
	while (count < cap && (rc = store_step(st, s, err)) == 1) {
		hashes[count] = store_col_text(st, s, 0, a);
		back[count++] = store_col_int(st, s, 1) != 0;
	}
	if (store_rows_done(st, s, rc < 0 ? -1 : 0, err) < 0)
		return -1;
	/*
	 * A body that has come back with the hash keeps its blob; any other
	 * blob goes before its record does, so a failure leaves the record
	 * for the next sweep.
	 */
	for (size_t i = 0; i < count; i++) {
		if (!back[i]) {
			if (store_blobs_remove(blobs, hashes[i], err) < 0)
				return -1;
			(*removed_r)++;
		}
		if (store_exec(st, err, "DELETE FROM blob_doomed WHERE hash = ?",
			    "t", hashes[i]) < 0)
			return -1;
		(*done_r)++;
	}
	return 0;
}

static void
body_row_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_body_row *r = out;
	r->id = store_col_int(st, s, 0);
	r->hash = store_col_text(st, s, 1, a);
	r->size = store_col_int(st, s, 2);
}

int
store_bodies_page(struct store *st, int64_t after_id, bool outside,
	int64_t limit, struct arena *a, struct store_body_row **rows_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT id, hash, size FROM bodies WHERE id > ? AND outside = ?"
		" AND size > 0 ORDER BY id LIMIT ?", "iii", after_id,
		(int64_t)outside, limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), body_row_read,
		(void **)rows_r, count_r, err);
}

int
store_body_move_out(struct store *st, const struct store_body *b,
	int64_t body_id, struct error *err)
{
	struct store_blobs *blobs = store_blobs_current();
	if (blobs == NULL)
		return error_set(err, ERROR_INVALID, "this instance keeps"
			" bodies in the database ([blobs] backend)");
	/* Checked under the writers' lock, as for a new body. */
	if (blob_present(blobs, b, err) < 0)
		return -1;
	int64_t n = store_exec(st, err, "UPDATE bodies SET outside = 1,"
		" data = ? WHERE id = ? AND hash = ? AND outside = 0",
		"Zit", (size_t)0, body_id, b->hash);
	return n < 0 ? -1 : 0;
}
