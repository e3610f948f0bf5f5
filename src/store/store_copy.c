/*
 * Moving a store from one backend to another (issue 14: `caremail migrate
 * --from sqlite:PATH --to postgresql://...`): every row of every table
 * copied in one transaction of the destination, parents before children,
 * with their ids; then each table's rows counted and checksummed on both
 * sides, in primary-key order, so the report says whether anything was
 * lost or changed. Layer: store (the catalog is each driver's, through
 * store_ops.tables).
 *
 * The destination must be a new store: its migrations have made the
 * tables and it holds no organisation yet. The source is read in one
 * snapshot (store_ops.begin_snapshot), so a server still writing to it
 * cannot tear the copy; stop the servers first all the same, or mail
 * accepted after the snapshot stays behind.
 */
#include "store/store_copy.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"

/*
 * Tables the stores keep for themselves: each has its own. folder_counts
 * is made by the destination's triggers as the messages go in (migration
 * 31); copying it too would count every message twice. Its next UIDs
 * (migration 45) are copied apart (copy_next_uids). Stored folder
 * views and their change notes (migration 32) are a cache the
 * destination makes again at the first SELECT of each large folder. The
 * text index (migration 33: body_text, SQLite's FTS5 tables behind it,
 * the pending list) is each engine's own: the destination's trigger puts
 * every body copied on its pending list, and its indexing step makes the
 * index again. body_summaries (migration 35) is filled by the
 * destination's trigger as each body goes in. The People Finder feed
 * (PostgreSQL's migration 36: finder_log, finder_log_floor) is the
 * destination's own: a node's copy of a new database is made whole.
 * Folder summary packs (migration 37) are a cache the destination's
 * searches make again. People's cards (SQLite's migration 41) are made
 * by a SQLite destination's triggers as the rows go in, and PostgreSQL
 * has none.
 */
static bool
skipped(const char *table)
{
	return strcmp(table, "schema_migrations") == 0 ||
		strcmp(table, "folder_counts") == 0 ||
		strcmp(table, "folder_views") == 0 ||
		strcmp(table, "view_changes") == 0 ||
		strcmp(table, "body_summaries") == 0 ||
		strncmp(table, "finder_log", 10) == 0 ||
		strcmp(table, "folder_summary_packs") == 0 ||
		strcmp(table, "person_cards") == 0 ||
		strncmp(table, "body_text", 9) == 0;
}

static const struct store_table *
find_table(const struct store_table *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static bool
has_column(const struct store_table *t, const char *column)
{
	for (size_t i = 0; i < t->column_count; i++)
		if (strcmp(t->columns[i], column) == 0)
			return true;
	return false;
}

/*
 * The destination's tables, parents first (a table after every table its
 * foreign keys name, itself aside), into order[]. -1 with err for a cycle.
 */
static int
copy_order(const struct store_table *t, size_t n, struct arena *a,
	const struct store_table ***order_r, struct error *err)
{
	const struct store_table **order = arena_alloc(a,
		(n > 0 ? n : 1) * sizeof(*order));
	bool *placed = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*placed));
	size_t done = 0;
	while (done < n) {
		size_t before = done;
		for (size_t i = 0; i < n; i++) {
			if (placed[i])
				continue;
			bool ready = true;
			for (size_t p = 0; p < t[i].parent_count && ready; p++) {
				if (strcmp(t[i].parents[p], t[i].name) == 0)
					continue;
				for (size_t j = 0; j < n && ready; j++)
					ready = placed[j] || strcmp(t[j].name,
						t[i].parents[p]) != 0;
			}
			if (ready) {
				placed[i] = true;
				order[done++] = &t[i];
			}
		}
		if (done == before)
			return error_set(err, ERROR_INTERNAL, "the tables' "
				"foreign keys go round in a circle");
	}
	*order_r = order;
	return 0;
}

/* A catalog's name as an identifier: quoted (grants has "right"). */
static void
put_name(struct str *sql, const char *name)
{
	str_append_char(sql, '"');
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '"')
			str_append_char(sql, '"');
		str_append_char(sql, *p);
	}
	str_append_char(sql, '"');
}

/* "INSERT INTO t (a, b) VALUES (?, ?)". */
static const char *
insert_sql(const struct store_table *t, struct arena *a)
{
	struct str sql;
	str_init(&sql, a, 64 * 1024);
	str_append_cstr(&sql, "INSERT INTO ");
	put_name(&sql, t->name);
	str_append_cstr(&sql, " (");
	for (size_t i = 0; i < t->column_count; i++) {
		if (i > 0)
			str_append_cstr(&sql, ", ");
		put_name(&sql, t->columns[i]);
	}
	str_append_cstr(&sql, ") VALUES (");
	for (size_t i = 0; i < t->column_count; i++)
		str_append_cstr(&sql, i > 0 ? ", ?" : "?");
	str_append_cstr(&sql, ")");
	return str_cstr(&sql);
}

/*
 * "SELECT a, b FROM t ORDER BY k", with " WHERE (k) > (?)" before the
 * ORDER BY when after is set (a row value: every key column, in order),
 * and " LIMIT n" when limit is above 0.
 */
static const char *
select_sql(const struct store_table *t, bool after, int64_t limit,
	struct arena *a)
{
	struct str sql;
	str_init(&sql, a, 64 * 1024);
	str_append_cstr(&sql, "SELECT ");
	for (size_t i = 0; i < t->column_count; i++) {
		if (i > 0)
			str_append_cstr(&sql, ", ");
		put_name(&sql, t->columns[i]);
	}
	str_append_cstr(&sql, " FROM ");
	put_name(&sql, t->name);
	if (after) {
		str_append_cstr(&sql, " WHERE (");
		for (size_t i = 0; i < t->key_count; i++) {
			if (i > 0)
				str_append_cstr(&sql, ", ");
			put_name(&sql, t->keys[i]);
		}
		str_append_cstr(&sql, ") > (");
		for (size_t i = 0; i < t->key_count; i++)
			str_append_cstr(&sql, i > 0 ? ", ?" : "?");
		str_append_cstr(&sql, ")");
	}
	for (size_t i = 0; i < t->key_count; i++) {
		str_append_cstr(&sql, i == 0 ? " ORDER BY " : ", ");
		put_name(&sql, t->keys[i]);
	}
	if (limit > 0)
		str_appendf(&sql, " LIMIT %lld", (long long)limit);
	return str_cstr(&sql);
}

/*
 * A table's rows in key order, a page at a time, so that no driver holds
 * more than a page: PostgreSQL's reads a statement's whole result into
 * memory, and a national store's folders (millions of rows) or message
 * bodies would not fit. The first page is "... ORDER BY k LIMIT n", each
 * next "... WHERE (k) > (the page before's last key) ORDER BY k LIMIT n",
 * both along the primary key's index. A table without a primary key (or
 * whose key is not among its columns) is read by one statement.
 */
struct reader {
	struct store *st;
	const struct store_table *t;
	const char *first, *next;
	int64_t page;		/* rows a page; 0: one statement */
	int64_t in_page;	/* rows read of the current page */
	size_t *key_at;		/* each key's place among t's columns */
	char **key;		/* the last row's key values, malloc'd */
	size_t *key_size, *key_room;
	bool *key_null;
	struct store_stmt *s;
	bool begun;
};

/* Rows a page: fewer where a row may hold a message body. */
#define PAGE_ROWS 20000
#define PAGE_ROWS_BYTES 200

static void
reader_init(struct reader *r, struct store *st, const struct store_table *t,
	struct arena *a)
{
	memset(r, 0, sizeof(*r));
	r->st = st;
	r->t = t;
	bool bytes = false;
	for (size_t i = 0; i < t->column_count; i++)
		bytes = bytes || t->bytes[i];
	r->page = t->key_count > 0 ? (bytes ? PAGE_ROWS_BYTES : PAGE_ROWS) : 0;
	size_t n = t->key_count > 0 ? t->key_count : 1;
	r->key_at = arena_alloc(a, n * sizeof(*r->key_at));
	r->key = arena_alloc(a, n * sizeof(*r->key));
	r->key_size = arena_alloc(a, n * sizeof(*r->key_size));
	r->key_room = arena_alloc(a, n * sizeof(*r->key_room));
	r->key_null = arena_alloc(a, n * sizeof(*r->key_null));
	for (size_t k = 0; k < t->key_count && r->page > 0; k++) {
		size_t c = 0;
		while (c < t->column_count && strcmp(t->columns[c],
			    t->keys[k]) != 0)
			c++;
		if (c == t->column_count)
			r->page = 0;
		r->key_at[k] = c;
	}
	r->first = select_sql(t, false, r->page, a);
	r->next = r->page > 0 ? select_sql(t, true, r->page, a) : NULL;
}

/* Keeps the current row's key values for the next page's statement. */
static void
reader_keep_key(struct reader *r)
{
	const struct store_ops *ops = r->st->ops;
	for (size_t k = 0; k < r->t->key_count; k++) {
		int col = (int)r->key_at[k];
		size_t size = 0;
		const void *v;
		if (r->t->bytes[col]) {
			v = ops->column_blob(r->s, col, &size);
		} else {
			v = ops->column_text(r->s, col);
			size = v != NULL ? strlen(v) : 0;
		}
		r->key_null[k] = v == NULL;
		if (size + 1 > r->key_room[k]) {
			free(r->key[k]);
			r->key_room[k] = size + 64;
			r->key[k] = xmalloc(r->key_room[k]);
		}
		if (size > 0)
			memcpy(r->key[k], v, size);
		r->key[k][size] = '\0';
		r->key_size[k] = size;
	}
}

/* 1 with a row at r->s (valid until the next call), 0 at the end, -1. */
static int
reader_step(struct reader *r, struct error *err)
{
	struct store *st = r->st;
	for (;;) {
		if (r->s == NULL) {
			if (r->begun && r->page == 0)
				return 0;
			r->s = store_prepare(st, r->begun ? r->next : r->first,
				err);
			if (r->s == NULL)
				return -1;
			for (size_t k = 0; r->begun && k < r->t->key_count;
			     k++) {
				int param = (int)k + 1;
				if (r->key_null[k])
					st->ops->bind_null(r->s, param);
				else if (r->t->bytes[r->key_at[k]])
					st->ops->bind_blob(r->s, param,
						r->key[k], r->key_size[k]);
				else
					st->ops->bind_text(r->s, param,
						r->key[k]);
			}
			r->begun = true;
			r->in_page = 0;
		}
		int rc = store_step(st, r->s, err);
		if (rc == 1) {
			r->in_page++;
			if (r->page > 0)
				reader_keep_key(r);
			return 1;
		}
		store_finish(st, r->s);
		r->s = NULL;
		/* A page short of full was the last. */
		if (rc < 0 || r->page == 0 || r->in_page < r->page)
			return rc;
	}
}

static void
reader_end(struct reader *r)
{
	if (r->s != NULL)
		store_finish(r->st, r->s);
	r->s = NULL;
	for (size_t k = 0; k < r->t->key_count; k++)
		free(r->key[k]);
}

/* Adds the row's values to the checksum: each as its bytes, NULL marked. */
static void
sum_row(struct store *st, struct store_stmt *s, const struct store_table *t,
	crypto_hash_sha256_state *h)
{
	for (size_t i = 0; i < t->column_count; i++) {
		size_t size = 0;
		const unsigned char *v;
		if (t->bytes[i]) {
			v = st->ops->column_blob(s, (int)i, &size);
		} else {
			v = (const unsigned char *)st->ops->column_text(s,
				(int)i);
			size = v != NULL ? strlen((const char *)v) : 0;
		}
		unsigned char head[9] = { v == NULL ? 0 : 1 };
		for (int b = 0; b < 8; b++)
			head[1 + b] = (unsigned char)((uint64_t)size >> (8 * b));
		crypto_hash_sha256_update(h, head, sizeof(head));
		if (size > 0)
			crypto_hash_sha256_update(h, v, size);
	}
}

/* The table's rows counted and checksummed in key order. */
static int
table_sum(struct store *st, const struct store_table *t, struct arena *a,
	int64_t *rows_r, unsigned char sum[32], struct error *err)
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	struct reader r;
	reader_init(&r, st, t, a);
	int64_t rows = 0;
	int rc;
	while ((rc = reader_step(&r, err)) == 1) {
		sum_row(st, r.s, t, &h);
		rows++;
	}
	reader_end(&r);
	crypto_hash_sha256_final(&h, sum);
	*rows_r = rows;
	return rc < 0 ? -1 : 0;
}

/*
 * The row's values at s, bytes as bytes, into values[] and sizes[]
 * (NULL for SQL NULL): valid until src's next step.
 */
static void
row_values(struct store *src, struct store_stmt *s,
	const struct store_table *t, const void **values, size_t *sizes)
{
	for (size_t i = 0; i < t->column_count; i++) {
		int col = (int)i;
		if (t->bytes[i]) {
			values[i] = src->ops->column_blob(s, col, &sizes[i]);
		} else {
			const char *v = src->ops->column_text(s, col);
			values[i] = v;
			sizes[i] = v != NULL ? strlen(v) : 0;
		}
	}
}

/* One row inserted by a statement of its own (a driver with no load). */
static int
insert_row(struct store *dst, const struct store_table *t,
	const char *insert, const void *const *values, const size_t *sizes,
	struct error *err)
{
	struct store_stmt *in = store_prepare(dst, insert, err);
	if (in == NULL)
		return -1;
	for (size_t i = 0; i < t->column_count; i++) {
		int param = (int)i + 1;
		if (values[i] == NULL)
			dst->ops->bind_null(in, param);
		else if (t->bytes[i])
			dst->ops->bind_blob(in, param, values[i], sizes[i]);
		else
			dst->ops->bind_text(in, param, values[i]);
	}
	int rc = store_step(dst, in, err);
	store_finish(dst, in);
	return rc < 0 ? -1 : 0;
}

/*
 * Every row of t from src into dst (into the table named by `into`, with
 * t's columns), values as they are, bytes as bytes: through the driver's
 * bulk load where it has one (PostgreSQL's COPY, one stream for the
 * table), else a prepared INSERT a row.
 */
static int
copy_rows(struct store *src, struct store *dst, const struct store_table *t,
	const char *into, struct arena *a, int64_t *rows_r,
	struct error *err)
{
	struct store_table to = *t;
	to.name = into;
	const char *insert = insert_sql(&to, a);
	size_t n = t->column_count > 0 ? t->column_count : 1;
	const void **values = arena_alloc(a, n * sizeof(*values));
	size_t *sizes = arena_alloc(a, n * sizeof(*sizes));
	bool load = dst->ops->load_begin != NULL;
	*rows_r = 0;
	if (load && dst->ops->load_begin(dst->conn, &to, err) < 0)
		return -1;
	struct reader r;
	reader_init(&r, src, t, a);
	int rc;
	int64_t rows = 0;
	while ((rc = reader_step(&r, err)) == 1) {
		row_values(src, r.s, t, values, sizes);
		if (load)
			rc = dst->ops->load_row(dst->conn,
				(const void *const *)values, sizes, err);
		else
			rc = insert_row(dst, &to, insert,
				(const void *const *)values, sizes, err);
		if (rc < 0)
			break;
		rows++;
	}
	reader_end(&r);
	if (load) {
		/* A failure before: the stream is abandoned, err kept. */
		struct error ended;
		if (dst->ops->load_end(dst->conn, rc >= 0, rc >= 0 ? err :
			    &ended) < 0)
			rc = -1;
	}
	*rows_r = rows;
	return rc < 0 ? -1 : 0;
}

/*
 * The folders' next UIDs, as a table of their own: folder_counts' key and
 * uidnext (migration 45), read and checksummed as any table.
 */
static const char *next_uid_columns[] = { "folder_id", "uidnext" };
static bool next_uid_bytes[] = { false, false };
static const struct store_table next_uids = {
	.name = "folder_counts",
	.columns = next_uid_columns,
	.bytes = next_uid_bytes,
	.column_count = 2,
	.keys = next_uid_columns,
	.key_count = 1,
};
/* How the report names them. */
#define NEXT_UIDS_REPORTED "folder_counts (next UIDs)"

/*
 * The source's next UIDs over the destination's. The destination's
 * triggers set each folder's past its messages' UIDs as they went in,
 * but a folder's may be higher still in the source (its newest messages
 * expunged, or a folder emptied): a UID handed out once is never handed
 * out again (RFC 3501 2.3.1.1), so the source's is kept, loaded into a
 * working table and taken where it is the greater, in one statement.
 */
static int
copy_next_uids(struct store *src, struct store *dst, struct arena *a,
	int64_t *rows_r, struct error *err)
{
	if (dst->ops->exec(dst->conn, "CREATE TEMP TABLE next_uids_copied"
		    " (folder_id BIGINT PRIMARY KEY, uidnext BIGINT NOT NULL)",
		    err) < 0 ||
	    copy_rows(src, dst, &next_uids, "next_uids_copied", a, rows_r,
		    err) < 0 ||
	    store_exec(dst, err, "INSERT INTO folder_counts (folder_id,"
		    " uidnext) SELECT folder_id, uidnext FROM next_uids_copied"
		    " WHERE uidnext > 1 ON CONFLICT (folder_id) DO UPDATE"
		    " SET uidnext = GREATEST(folder_counts.uidnext,"
		    " excluded.uidnext)", "") < 0)
		return -1;
	return dst->ops->exec(dst->conn, "DROP TABLE next_uids_copied", err);
}

/* The table a line of the report stands for. */
static const struct store_table *
reported(const struct store_table *t, size_t n, const char *name)
{
	return strcmp(name, NEXT_UIDS_REPORTED) == 0 ? &next_uids :
		find_table(t, n, name);
}

/* Whether dst holds an instance already (any organisation). */
static int
dst_in_use(struct store *dst, struct error *err)
{
	struct store_stmt *s = store_query(dst, err,
		"SELECT 1 FROM orgs LIMIT 1", "");
	if (s == NULL)
		return -1;
	int rc = store_step(dst, s, err);
	store_finish(dst, s);
	return rc;
}

static int
copy_all(struct store *src, struct store *dst, struct arena *a,
	struct store_copy_report *r, void (*progress)(const char *, int64_t,
	void *), void *arg, struct error *err)
{
	struct store_table *st_src, *st_dst;
	size_t n_src, n_dst;
	const struct store_table **order = NULL;
	if (src->ops->tables(src->conn, a, &st_src, &n_src, err) < 0 ||
	    dst->ops->tables(dst->conn, a, &st_dst, &n_dst, err) < 0 ||
	    copy_order(st_dst, n_dst, a, &order, err) < 0)
		return -1;
	/* Every table and column of the source has its place. */
	for (size_t i = 0; i < n_src; i++) {
		if (skipped(st_src[i].name))
			continue;
		const struct store_table *d = find_table(st_dst, n_dst,
			st_src[i].name);
		if (d == NULL)
			return error_set(err, ERROR_INVALID, "the destination "
				"has no table %s: are both at the same schema "
				"version?", st_src[i].name);
		for (size_t c = 0; c < d->column_count; c++)
			if (!has_column(&st_src[i], d->columns[c]))
				return error_set(err, ERROR_INVALID, "the source's "
					"table %s has no column %s", d->name,
					d->columns[c]);
	}
	/* Every table, and the next UIDs. */
	r->tables = arena_alloc(a, (n_dst + 1) * sizeof(*r->tables));
	r->count = 0;
	int in_use = dst_in_use(dst, err);
	if (in_use != 0)
		return in_use < 0 ? -1 : error_set(err, ERROR_EXISTS, "the "
			"destination already holds an instance (it has "
			"organisations); copy into a new, empty database");
	if (src->ops->exec(src->conn, src->ops->begin_snapshot, err) < 0)
		return -1;
	int rc = store_begin(dst, err);
	if (rc == 0)
		rc = dst->ops->exec(dst->conn, dst->ops->defer_keys, err);
	if (rc == 0 && dst->ops->load_prepare != NULL)
		rc = dst->ops->exec(dst->conn, dst->ops->load_prepare, err);
	store_bulk(dst, true);
	for (size_t i = 0; rc == 0 && i < n_dst; i++) {
		const struct store_table *t = order[i];
		if (skipped(t->name) || find_table(st_src, n_src, t->name) == NULL)
			continue;
		struct store_copy_table *row = &r->tables[r->count++];
		row->name = t->name;
		rc = copy_rows(src, dst, t, t->name, a, &row->rows, err);
		if (rc == 0 && progress != NULL)
			progress(t->name, row->rows, arg);
	}
	if (rc == 0 && dst->ops->load_finish != NULL) {
		if (progress != NULL)
			progress("making the indexes and keys again",
				-1, arg);
		rc = dst->ops->exec(dst->conn, dst->ops->load_finish, err);
	}
	if (rc == 0) {
		struct store_copy_table *row = &r->tables[r->count++];
		row->name = NEXT_UIDS_REPORTED;
		rc = copy_next_uids(src, dst, a, &row->rows, err);
		if (rc == 0 && progress != NULL)
			progress(row->name, row->rows, arg);
	}
	/* After the keys are back: each MAX(id) is one index lookup. */
	for (size_t i = 0; rc == 0 && i < r->count; i++) {
		const struct store_table *t = reported(st_dst, n_dst,
			r->tables[i].name);
		if (has_column(t, "id"))
			rc = dst->ops->ids_follow(dst->conn, t->name, err);
	}
	if (rc == 0)
		rc = store_commit(dst, err);
	else
		store_rollback(dst);	/* nothing, if it never began */
	store_bulk(dst, false);
	if (rc == 0 && dst->ops->refresh_statistics != NULL)
		rc = dst->ops->exec(dst->conn, dst->ops->refresh_statistics,
			err);
	/* Compared from both sides: the source as copied, the destination as kept. */
	if (rc == 0 && progress != NULL)
		progress("counting and checksumming both sides", -1, arg);
	for (size_t i = 0; rc == 0 && i < r->count; i++) {
		struct store_copy_table *row = &r->tables[i];
		const struct store_table *t = reported(st_dst, n_dst,
			row->name);
		int64_t src_rows, dst_rows;
		unsigned char src_sum[32], dst_sum[32];
		rc = table_sum(src, t, a, &src_rows, src_sum, err);
		if (rc == 0)
			rc = table_sum(dst, t, a, &dst_rows, dst_sum, err);
		if (rc < 0)
			break;
		row->same = src_rows == dst_rows &&
			memcmp(src_sum, dst_sum, sizeof(src_sum)) == 0;
		sodium_bin2hex(row->checksum, sizeof(row->checksum), dst_sum,
			sizeof(dst_sum));
		r->rows += dst_rows;
		if (!row->same)
			r->different++;
	}
	struct error ignored;
	src->ops->exec(src->conn, "ROLLBACK", &ignored);
	return rc;
}

int
store_copy(const char *src_backend, const char *src_path,
	const char *dst_backend, const char *dst_path, struct arena *a,
	struct store_copy_report *r, void (*progress)(const char *table,
	int64_t rows, void *arg), void *arg, struct error *err)
{
	memset(r, 0, sizeof(*r));
	struct store *src = store_open(src_backend, src_path, false, 60000,
		err);
	if (src == NULL)
		return -1;
	struct store *dst = store_open(dst_backend, dst_path, true, 60000,
		err);
	if (dst == NULL) {
		store_close(&src);
		return -1;
	}
	if (store_schema_version(src, err) != store_schema_version(dst, err)) {
		store_close(&src);
		store_close(&dst);
		return error_set(err, ERROR_INVALID, "the two stores are at "
			"different schema versions");
	}
	/*
	 * The statements' texts are in a, which outlives both connections:
	 * a driver that caches statements by their text's address never
	 * meets a reused one.
	 */
	int rc = copy_all(src, dst, a, r, progress, arg, err);
	store_close(&src);
	store_close(&dst);
	if (rc == 0 && r->different > 0)
		return error_set(err, ERROR_INTERNAL, "%zu table(s) differ "
			"after the copy", r->different);
	return rc;
}
