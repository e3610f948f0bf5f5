/*
 * App passwords (SECURITY.md 43): the per-person credentials IMAP, POP3
 * and SMTP accept for people who may not use their portal password there.
 * Layer: store. Only the SHA-256 of each secret is kept.
 */
#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define APP_PASSWORD_COLUMNS                                                \
	"id, person_id, label, secret_hash, created_at,"                    \
	" COALESCE(last_used_at, 0), last_used_protocol"

static void
app_password_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_app_password *r = out;
	r->id = store_col_int(st, s, 0);
	r->person_id = store_col_int(st, s, 1);
	r->label = store_col_text(st, s, 2, a);
	r->secret_hash = store_col_text(st, s, 3, a);
	r->created_at = store_col_int(st, s, 4);
	r->last_used_at = store_col_int(st, s, 5);
	r->last_used_protocol = store_col_text(st, s, 6, a);
}

int
store_app_password_insert(struct store *st, struct store_app_password *a,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO app_passwords (person_id, label, secret_hash,"
		" created_at) VALUES (?, ?, ?, ?) RETURNING id", "itti",
		a->person_id, a->label, a->secret_hash, a->created_at);
	if (id < 0)
		return -1;
	a->id = id;
	return 0;
}

int
store_app_password_find(struct store *st, int64_t person_id,
	const char *secret_hash, struct arena *a, struct store_app_password *r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " APP_PASSWORD_COLUMNS " FROM app_passwords"
		" WHERE secret_hash = ? AND person_id = ?", "ti", secret_hash,
		person_id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, app_password_read, r,
		"such app password", err);
}

int
store_app_password_list(struct store *st, int64_t person_id,
	struct arena *a, struct store_app_password **list_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " APP_PASSWORD_COLUMNS " FROM app_passwords"
		" WHERE person_id = ? ORDER BY id", "i", person_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), app_password_read,
		(void **)list_r, count_r, err);
}

int
store_app_password_delete(struct store *st, int64_t person_id, int64_t id,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"DELETE FROM app_passwords WHERE id = ? AND person_id = ?", "ii",
		id, person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such app password");
}

int
store_app_password_delete_person(struct store *st, int64_t person_id,
	int64_t *count_r, struct error *err)
{
	int64_t n = store_exec(st, err,
		"DELETE FROM app_passwords WHERE person_id = ?", "i",
		person_id);
	if (n < 0)
		return -1;
	if (count_r != NULL)
		*count_r = n;
	return 0;
}

int
store_app_password_touch(struct store *st, int64_t id, int64_t now,
	const char *protocol, struct error *err)
{
	return store_exec(st, err,
		"UPDATE app_passwords SET last_used_at = ?,"
		" last_used_protocol = ? WHERE id = ?"
		" AND (last_used_at IS NULL OR last_used_at < ? - 60"
		" OR last_used_protocol <> ?)", "itiit", now, protocol, id, now,
		protocol) < 0 ? -1 : 0;
}
