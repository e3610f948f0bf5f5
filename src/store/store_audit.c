/*
 * The audit trail: appended, searched, never changed. Triggers in the schema
 * refuse UPDATE and DELETE, so not even a bug here can rewrite history.
 * Layer: store.
 */
#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

int
store_audit_append(struct store *st, struct store_audit *row,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO audit (at, actor, action, object_type, object_id,"
		" org_id, summary, client, request_id, result)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		"ittti" "zt" "ttt", row->at, row->actor, row->action,
		row->object_type, row->object_id, row->org_id, row->summary,
		row->client != NULL ? row->client : "",
		row->request_id != NULL ? row->request_id : "",
		row->result != NULL ? row->result : "done");
	if (id < 0)
		return -1;
	row->id = id;
	return 0;
}

static void
audit_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_audit *r = out;
	r->id = store_col_int(st, s, 0);
	r->at = store_col_int(st, s, 1);
	r->actor = store_col_text(st, s, 2, a);
	r->action = store_col_text(st, s, 3, a);
	r->object_type = store_col_text(st, s, 4, a);
	r->object_id = store_col_int(st, s, 5);
	r->org_id = store_col_int(st, s, 6);
	r->summary = store_col_text(st, s, 7, a);
	r->client = store_col_text(st, s, 8, a);
	r->request_id = store_col_text(st, s, 9, a);
	r->result = store_col_text(st, s, 10, a);
}

int
store_audit_list(struct store *st, const struct store_audit_filter *f,
	struct arena *a, struct store_audit **rows_r, size_t *count_r,
	struct error *err)
{
	int64_t limit = f->limit != 0 ? (int64_t)f->limit : -1;
	struct store_stmt *s = store_query(st, err,
		"SELECT id, at, actor, action, object_type, object_id,"
		" COALESCE(org_id, 0), summary, client, request_id, result"
		" FROM audit"
		" WHERE (? IS NULL OR object_type = ?)"
		" AND (? IS NULL OR action = ?)"
		" AND (? IS NULL OR actor = ?)"
		" AND (? = 0 OR org_id = ?)"
		" AND (? = 0 OR at >= ?) AND (? = 0 OR at <= ?)"
		" AND (? = 0 OR id < ?)"
		" ORDER BY id DESC LIMIT ?",
		"ttttttiiiiiiiii", f->object_type, f->object_type, f->action,
		f->action, f->actor, f->actor, f->org_id, f->org_id, f->since,
		f->since, f->until, f->until, f->before_id, f->before_id, limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), audit_read,
		(void **)rows_r, count_r, err);
}

int
store_audit_search(struct store *st, const struct store_audit_filter *f,
	const int64_t *org_ids, size_t org_count, struct arena *a,
	struct store_audit **rows_r, size_t *count_r, struct error *err)
{
	const char *orgs = store_id_set(org_ids, org_count, a);
	if (orgs == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	int64_t limit = f->limit != 0 ? (int64_t)f->limit : -1;
	struct store_stmt *s = store_query(st, err,
		"SELECT id, at, actor, action, object_type, object_id,"
		" COALESCE(org_id, 0), summary, client, request_id, result"
		" FROM audit"
		" WHERE (? IS NULL OR object_type = ?)"
		" AND (? IS NULL OR action = ?)"
		" AND (? IS NULL OR actor = ?)"
		" AND (? = 0 OR org_id = ?)"
		" AND (? = '' OR org_id IN (SELECT value FROM json_each(?)))"
		" AND (? = 0 OR at >= ?) AND (? = 0 OR at <= ?)"
		" AND (? = 0 OR id < ?)"
		" ORDER BY id DESC LIMIT ?",
		"ttttttiittiiiiiii", f->object_type, f->object_type, f->action,
		f->action, f->actor, f->actor, f->org_id, f->org_id, orgs, orgs,
		f->since, f->since, f->until, f->until, f->before_id,
		f->before_id, limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), audit_read,
		(void **)rows_r, count_r, err);
}
