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
#include "store/store_internal.h"

/* Tables the stores keep for themselves: each has its own. */
static bool
skipped(const char *table)
{
	return strcmp(table, "schema_migrations") == 0;
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

/* "SELECT a, b FROM t ORDER BY k" or "INSERT INTO t (a, b) VALUES (?, ?)". */
static const char *
copy_sql(const struct store_table *t, bool insert, struct arena *a)
{
	struct str sql;
	str_init(&sql, a, 64 * 1024);
	str_append_cstr(&sql, insert ? "INSERT INTO " : "SELECT ");
	if (insert) {
		put_name(&sql, t->name);
		str_append_cstr(&sql, " (");
	}
	for (size_t i = 0; i < t->column_count; i++) {
		if (i > 0)
			str_append_cstr(&sql, ", ");
		put_name(&sql, t->columns[i]);
	}
	if (insert) {
		str_append_cstr(&sql, ") VALUES (");
		for (size_t i = 0; i < t->column_count; i++)
			str_append_cstr(&sql, i > 0 ? ", ?" : "?");
		str_append_cstr(&sql, ")");
		return str_cstr(&sql);
	}
	str_append_cstr(&sql, " FROM ");
	put_name(&sql, t->name);
	for (size_t i = 0; i < t->key_count; i++) {
		str_append_cstr(&sql, i == 0 ? " ORDER BY " : ", ");
		put_name(&sql, t->keys[i]);
	}
	return str_cstr(&sql);
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
table_sum(struct store *st, const struct store_table *t, const char *select,
	int64_t *rows_r, unsigned char sum[32], struct error *err)
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	struct store_stmt *s = store_prepare(st, select, err);
	if (s == NULL)
		return -1;
	int64_t rows = 0;
	int rc;
	while ((rc = store_step(st, s, err)) == 1) {
		sum_row(st, s, t, &h);
		rows++;
	}
	store_finish(st, s);
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
 * Every row of t from src into dst, values as they are, bytes as bytes:
 * through the driver's bulk load where it has one (PostgreSQL's COPY,
 * one stream for the table), else a prepared INSERT a row.
 */
static int
copy_rows(struct store *src, struct store *dst, const struct store_table *t,
	const char *select, const char *insert, struct arena *a,
	int64_t *rows_r, struct error *err)
{
	size_t n = t->column_count > 0 ? t->column_count : 1;
	const void **values = arena_alloc(a, n * sizeof(*values));
	size_t *sizes = arena_alloc(a, n * sizeof(*sizes));
	bool load = dst->ops->load_begin != NULL;
	*rows_r = 0;
	struct store_stmt *s = store_prepare(src, select, err);
	if (s == NULL)
		return -1;
	if (load && dst->ops->load_begin(dst->conn, t, err) < 0) {
		store_finish(src, s);
		return -1;
	}
	int rc;
	int64_t rows = 0;
	while ((rc = store_step(src, s, err)) == 1) {
		row_values(src, s, t, values, sizes);
		if (load)
			rc = dst->ops->load_row(dst->conn,
				(const void *const *)values, sizes, err);
		else
			rc = insert_row(dst, t, insert,
				(const void *const *)values, sizes, err);
		if (rc < 0)
			break;
		rows++;
	}
	store_finish(src, s);
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
	r->tables = arena_alloc(a, (n_dst > 0 ? n_dst : 1) *
		sizeof(*r->tables));
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
	dst->ops->bulk(dst->conn, true);
	for (size_t i = 0; rc == 0 && i < n_dst; i++) {
		const struct store_table *t = order[i];
		if (skipped(t->name) || find_table(st_src, n_src, t->name) == NULL)
			continue;
		struct store_copy_table *row = &r->tables[r->count++];
		row->name = t->name;
		const char *select = copy_sql(t, false, a);
		rc = copy_rows(src, dst, t, select, copy_sql(t, true, a), a,
			&row->rows, err);
		if (rc == 0 && has_column(t, "id"))
			rc = dst->ops->ids_follow(dst->conn, t->name, err);
		if (rc == 0 && progress != NULL)
			progress(t->name, row->rows, arg);
	}
	if (rc == 0 && dst->ops->load_finish != NULL) {
		if (progress != NULL)
			progress("making the indexes and foreign keys again",
				-1, arg);
		rc = dst->ops->exec(dst->conn, dst->ops->load_finish, err);
	}
	if (rc == 0)
		rc = store_commit(dst, err);
	else
		store_rollback(dst);	/* nothing, if it never began */
	dst->ops->bulk(dst->conn, false);
	if (rc == 0 && dst->ops->refresh_statistics != NULL)
		rc = dst->ops->exec(dst->conn, dst->ops->refresh_statistics,
			err);
	/* Compared from both sides: the source as copied, the destination as kept. */
	if (rc == 0 && progress != NULL)
		progress("counting and checksumming both sides", -1, arg);
	for (size_t i = 0; rc == 0 && i < r->count; i++) {
		struct store_copy_table *row = &r->tables[i];
		const struct store_table *t = find_table(st_dst, n_dst,
			row->name);
		const char *select = copy_sql(t, false, a);
		int64_t src_rows, dst_rows;
		unsigned char src_sum[32], dst_sum[32];
		rc = table_sum(src, t, select, &src_rows, src_sum, err);
		if (rc == 0)
			rc = table_sum(dst, t, select, &dst_rows, dst_sum, err);
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
