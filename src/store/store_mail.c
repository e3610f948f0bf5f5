/*
 * Mail storage: folders with RFC 3501 UIDVALIDITY and UIDNEXT, bodies held
 * once by hash with their summary, one small row per message per folder,
 * per-mailbox usage for quotas, and the outbound queue. Layer: store.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
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
		" uidnext, subscribed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id",
		"ittiiii", f->mailbox_id, f->name, f->special_use,
		f->uidvalidity, f->uidnext, (int64_t)f->subscribed,
		f->created_at);
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

/* Takes the folder's next UID and advances it, in the caller's transaction. */
static int64_t
next_uid(struct store *st, int64_t folder_id, struct error *err)
{
	return store_insert_id(st, err,
		"UPDATE folders SET uidnext = uidnext + 1 WHERE id = ?"
		" RETURNING uidnext - 1", "i", folder_id);
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
	const struct store_message_meta *m = b->meta;
	id = store_insert_id(st, err,
		"INSERT INTO bodies (hash, size, sent_date, header_size,"
		" created_at, subject, from_addr, to_addr, cc_addr, bcc_addr,"
		" message_id, envelope, bodystructure, body, data)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id",
		"tiiiitttttttttZ", b->hash, (int64_t)b->size, m->sent_date,
		m->header_size, b->created_at, m->subject, m->from, m->to,
		m->cc, m->bcc, m->message_id, m->envelope, m->bodystructure,
		m->body, b->size);
	if (id < 0)
		return -1;
	if (b->size > 0 && store_blob_write(st, "bodies", "data", id, b->data,
				   b->size, err) < 0)
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
		"UPDATE mailboxes SET used_bytes = used_bytes + ?"
		" WHERE id = (SELECT mailbox_id FROM folders WHERE id = ?)",
		"ii", d->size, folder_id) < 0 ? -1 : 0;
}

int
store_deliver(struct store *st, const struct store_delivery *d,
	int64_t *uids_r, struct error *err)
{
	if (store_begin(st, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < d->folder_count; i++) {
		int64_t uid = next_uid(st, d->folder_ids[i], err);
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
		"SELECT size FROM bodies WHERE id = ?", "i", body_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	int64_t size = rc == 1 ? store_col_int(st, s, 0) : 0;
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
	if (size > 0 && store_blob_read(st, "bodies", "data", body_id, copy,
			    (size_t)size, err) < 0)
		return -1;
	*data_r = copy;
	*size_r = (size_t)size;
	return 0;
}

int
store_mailbox_used(struct store *st, int64_t mailbox_id, int64_t *used_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT used_bytes FROM mailboxes WHERE id = ?", "i", mailbox_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*used_r = store_col_int(st, s, 0);
	else if (rc == 0)
		error_set(err, ERROR_NOT_FOUND, "there is no such mailbox");
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}
