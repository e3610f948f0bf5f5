/*
 * Bulk imports and directory syncs as run, and Idempotency-Key replies
 * (SPEC P8, P15, D3). Layer: store.
 */
#include "store/store_import.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define IMPORT_COLUMNS "id, kind, org_id, actor, created_at, dry_run," \
	" applied, rows, created, updated, unchanged, leavers, joined," \
	" errors, summary"

static void
import_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_import *r = out;
	r->id = store_col_int(st, s, 0);
	r->kind = store_col_text(st, s, 1, a);
	r->org_id = store_col_int(st, s, 2);
	r->actor = store_col_text(st, s, 3, a);
	r->created_at = store_col_int(st, s, 4);
	r->dry_run = store_col_int(st, s, 5) != 0;
	r->applied = store_col_int(st, s, 6) != 0;
	r->rows = store_col_int(st, s, 7);
	r->created = store_col_int(st, s, 8);
	r->updated = store_col_int(st, s, 9);
	r->unchanged = store_col_int(st, s, 10);
	r->leavers = store_col_int(st, s, 11);
	r->joined = store_col_int(st, s, 12);
	r->errors = store_col_int(st, s, 13);
	r->summary = store_col_text(st, s, 14, a);
	r->report = NULL;
}

static void
import_read_report(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	import_read(st, s, a, out);
	((struct store_import *)out)->report = store_col_text(st, s, 15, a);
}

int
store_import_insert(struct store *st, struct store_import *r,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO imports (kind, org_id, actor, created_at, dry_run,"
		" applied, rows, created, updated, unchanged, leavers, joined,"
		" errors, summary, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?) RETURNING id", "titiii" "iiiiiii" "tt",
		r->kind, r->org_id, r->actor, r->created_at,
		(int64_t)r->dry_run, (int64_t)r->applied, r->rows, r->created,
		r->updated, r->unchanged, r->leavers, r->joined, r->errors,
		r->summary, r->report);
	if (id < 0)
		return -1;
	r->id = id;
	return 0;
}

int
store_import_get(struct store *st, int64_t id, struct arena *a,
	struct store_import *r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " IMPORT_COLUMNS ", report FROM imports WHERE id = ?",
		"i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, import_read_report, r,
		"such import", err);
}

int
store_import_list(struct store *st, const char *kind,
	const int64_t *org_ids, size_t org_count, int64_t before_id,
	size_t limit, struct arena *a, struct store_import **list_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " IMPORT_COLUMNS " FROM imports WHERE kind = ?"
		" AND (? = 0 OR org_id IN " STORE_ID_SET ")"
		" AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?", "tiIiii",
		kind, (int64_t)(org_ids != NULL), org_ids, org_count, before_id,
		before_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), import_read,
		(void **)list_r, count_r, err);
}

static void
idempotency_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_idempotency *r = out;
	r->actor = store_col_text(st, s, 0, a);
	r->key = store_col_text(st, s, 1, a);
	r->request = store_col_text(st, s, 2, a);
	r->body_hash = store_col_text(st, s, 3, a);
	r->status = store_col_int(st, s, 4);
	r->reply = store_col_text(st, s, 5, a);
	r->created_at = store_col_int(st, s, 6);
}

int
store_idempotency_get(struct store *st, const char *actor, const char *key,
	int64_t since, struct arena *a, struct store_idempotency *r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT actor, key, request, body_hash, status, reply,"
		" created_at FROM idempotency_keys WHERE actor = ? AND key = ?"
		" AND created_at >= ?", "tti", actor, key, since);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, idempotency_read, r,
		"reply for that Idempotency-Key", err);
}

int
store_idempotency_claim(struct store *st, const struct store_idempotency *r,
	int64_t since, struct error *err)
{
	/* A key past its 24 hours is free again: the old reply goes. */
	if (store_exec(st, err, "DELETE FROM idempotency_keys WHERE actor = ?"
		    " AND key = ? AND created_at < ?", "tti", r->actor, r->key,
		    since) < 0)
		return -1;
	return store_exec(st, err,
		"INSERT INTO idempotency_keys (actor, key, request, body_hash,"
		" status, reply, created_at) VALUES (?, ?, ?, ?, 0, '', ?)",
		"tttti", r->actor, r->key, r->request, r->body_hash,
		r->created_at) < 0 ? -1 : 0;
}

int
store_idempotency_finish(struct store *st, const char *actor,
	const char *key, int64_t status, const char *reply, struct error *err)
{
	return store_exec(st, err, "UPDATE idempotency_keys SET status = ?,"
		" reply = ? WHERE actor = ? AND key = ?", "ittt", status, reply,
		actor, key) < 0 ? -1 : 0;
}

int
store_idempotency_release(struct store *st, const char *actor,
	const char *key, struct error *err)
{
	return store_exec(st, err, "DELETE FROM idempotency_keys"
		" WHERE actor = ? AND key = ? AND status = 0", "tt", actor,
		key) < 0 ? -1 : 0;
}
