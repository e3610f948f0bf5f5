/*
 * Opening a store, migrations, transactions and the binding helpers the
 * typed operations share. Layer: store. Backend-neutral: everything here
 * goes through struct store_ops.
 */
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"

const struct store_ops *
store_backend_find(const char *name)
{
	if (strcmp(name, store_sqlite_ops.name) == 0)
		return &store_sqlite_ops;
	if (strcmp(name, store_pg_ops.name) == 0)
		return &store_pg_ops;
	return NULL;
}

static int
store_migration_count(const struct store_ops *ops)
{
	int n = 0;
	while (ops->migrations[n] != NULL)
		n++;
	return n;
}

int
store_schema_latest(void)
{
	return store_migration_count(&store_sqlite_ops);
}

int
store_schema_version(struct store *st, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "");
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	int version = rc == 1 ? (int)store_col_int(st, s, 0) : -1;
	store_finish(st, s);
	return version;
}

/* 1 when migration v is recorded as applied, 0 when not, -1 with err. */
static int
store_migration_applied(struct store *st, int v, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT 1 FROM schema_migrations WHERE version = ?", "i",
		(int64_t)v);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	store_finish(st, s);
	return rc;
}

/*
 * Migration v, its version row and nothing else, in one transaction
 * (SPEC S6): a statement that fails undoes every one before it, the row
 * included, so the store stays at the version it was, which the release
 * before still opens. Whether it is applied is asked again once the
 * writers' lock is held (begin_write): two processes upgrading at once
 * (nodes over one PostgreSQL database) apply it once, not twice.
 */
static int
store_migration_apply(struct store *st, int v, struct error *err)
{
	if (store_begin(st, err) < 0)
		return -1;
	struct error inner;
	int applied = store_migration_applied(st, v, &inner);
	if (applied == 1)
		return store_commit(st, err);
	if (applied < 0 ||
	    st->ops->exec(st->conn, st->ops->migrations[v - 1], &inner) < 0 ||
	    store_exec(st, &inner,
		"INSERT INTO schema_migrations (version, applied_at) "
		"VALUES (?, ?)", "ii", (int64_t)v, clock_now()) < 0 ||
	    store_commit(st, &inner) < 0) {
		store_rollback(st);
		/* The number first: the driver's words may be cut short. */
		return error_set(err, inner.code, "schema migration %d failed "
			"and was undone, so the store is still at version %d "
			"(docs/operations.md, Upgrading): %s", v, v - 1,
			inner.msg);
	}
	return 0;
}

/*
 * Applies each migration not yet recorded, in order, each in its own
 * transaction with its record: an interrupted or failed upgrade leaves
 * the schema at the last whole step (SPEC S6). On a store made by this
 * program the recorded ones are always 1..n; a benchmark that takes one
 * back out (to fill a table faster first: bench/b5_finder.py) gets just
 * that one again. `target` is the newest to apply: every one but for the
 * test tool that makes the stores of earlier releases (store_open_at).
 */
static int
store_migrate(struct store *st, int target, struct error *err)
{
	if (st->ops->exec(st->conn,
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version INTEGER PRIMARY KEY,"
		    " applied_at INTEGER NOT NULL)", err) < 0)
		return -1;
	int current = store_schema_version(st, err);
	if (current < 0)
		return -1;
	int latest = store_migration_count(st->ops);
	if (current > latest)
		return error_set(err, ERROR_INVALID,
			"the store is at schema version %d, newer than this "
			"program knows (%d); run a newer caremail", current,
			latest);
	for (int v = 1; v <= target && v <= latest; v++) {
		int applied = store_migration_applied(st, v, err);
		if (applied < 0)
			return -1;
		if (applied == 0 && store_migration_apply(st, v, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * The connection's working sets (store_expand.c), made when it opens,
 * never inside a transaction: a CREATE TEMP TABLE that runs out of memory
 * halfway leaves the connection's temporary schema unusable, so every
 * later delivery failed with it (found by the allocation-failure test).
 */
static int
store_session_tables(struct store *st, struct error *err)
{
	return st->ops->exec(st->conn, st->ops->session_tables, err) < 0 ?
		-1 : 0;
}

struct store *
store_open_plain(const char *backend, const char *path, bool create,
	int busy_timeout_ms, struct error *err)
{
	const struct store_ops *ops = store_backend_find(backend);
	if (ops == NULL) {
		error_set(err, ERROR_INVALID, "there is no store backend '%s'",
			backend);
		return NULL;
	}
	void *conn = ops->open(path, create, busy_timeout_ms, err);
	if (conn == NULL)
		return NULL;
	struct store *st = xcalloc(1, sizeof(*st));
	st->ops = ops;
	st->conn = conn;
	/* For a run's mapped connection (runs_enter); a URL may hold a password. */
	st->path = ops->remote ? NULL : xstrdup(path);
	st->busy_timeout_ms = busy_timeout_ms;
	return st;
}

static struct store *
store_open_to(const char *backend, const char *path, bool create,
	int busy_timeout_ms, int target, struct error *err)
{
	struct store *st = store_open_plain(backend, path, create,
		busy_timeout_ms, err);
	if (st != NULL && (store_migrate(st, target, err) < 0 ||
			   store_session_tables(st, err) < 0))
		store_close(&st);
	if (st != NULL)
		st->cards = !st->ops->remote && target >= STORE_CARDS_VERSION;
	return st;
}

struct store *
store_open(const char *backend, const char *path, bool create,
	int busy_timeout_ms, struct error *err)
{
	return store_open_to(backend, path, create, busy_timeout_ms, INT_MAX,
		err);
}

struct store *
store_open_at(const char *backend, const char *path, int version,
	struct error *err)
{
	return store_open_to(backend, path, true, 5000, version, err);
}

void
store_close(struct store **stp)
{
	if (stp == NULL || *stp == NULL)
		return;
	struct store *st = *stp;
	while (st->depth > 0)
		store_rollback(st);
	st->ops->close(st->conn);
	if (st->runs_conn != NULL)
		st->ops->close(st->runs_conn);
	free(st->path);
	store_changes_free(st);
	free(st->search_pending);
	arena_free(&st->search_arena);
	free(st);
	*stp = NULL;
}

void
store_defer_maintenance(struct store *st)
{
	st->ops->defer_maintenance(st->conn);
}

int
store_ping(struct store *st, struct error *err)
{
	struct error inner;
	if (store_schema_version(st, &inner) < 0)
		return error_set(err, ERROR_TEMPORARY, "%s", inner.msg);
	return 0;
}

/*
 * Runs a savepoint statement through the backend's statement cache: a bulk
 * import takes one (or two) per row, and parsing the text each time was a
 * tenth of its time (bench B6). Not counted in store_statement_count, as
 * exec's never were.
 */
static int
store_control(struct store *st, const char *sql, struct error *err)
{
	struct store_stmt *s = st->ops->prepare(st->conn, sql, err);
	if (s == NULL)
		return -1;
	int rc;
	while ((rc = st->ops->step(s, err)) == 1)
		;
	st->ops->finish(s);
	return rc;
}

static const char savepoint_begin[] = "SAVEPOINT nested";
static const char savepoint_release[] = "RELEASE SAVEPOINT nested";
static const char savepoint_undo[] = "ROLLBACK TO SAVEPOINT nested";

int
store_begin(struct store *st, struct error *err)
{
	/*
	 * The engine undid the outer transaction (a full disk, no memory):
	 * a savepoint now would start a transaction of its own and commit
	 * on its own, outside the caller's (the writer would store a job
	 * it then reports failed, and the client would send it again).
	 */
	if (st->depth > 0 && !st->ops->in_transaction(st->conn))
		return error_set(err, ERROR_TEMPORARY,
			"storage error: the transaction was undone by the "
			"database; try again later");
	if (st->depth == STORE_DEPTH_MAX)
		return error_set(err, ERROR_INTERNAL,
			"transactions nested too deep");
	/*
	 * A read transaction would become a write only if no one had
	 * written since it began (SQLite: SQLITE_BUSY_SNAPSHOT otherwise):
	 * it ends here, and the write sees the store as it is now.
	 */
	if (st->read_open) {
		struct error ignored;
		st->ops->exec(st->conn, "COMMIT", &ignored);
		st->read_open = false;
	}
	if ((st->depth == 0 ? st->ops->exec(st->conn, st->ops->begin_write,
			  err) :
			  store_control(st, savepoint_begin, err)) < 0)
		return -1;
	st->change_marks[st->depth] = st->change_count;
	st->search_marks[st->depth] = st->search_pending_count;
	if (st->depth == 0)
		st->audit_mark_valid = false;
	st->depth++;
	return 0;
}

int
store_read_begin(struct store *st, struct error *err)
{
	if (st->reads == 0 && st->depth == 0) {
		if (st->ops->exec(st->conn, st->ops->begin_snapshot, err) < 0)
			return -1;
		st->read_open = true;
	}
	st->reads++;
	return 0;
}

void
store_read_end(struct store *st)
{
	if (st->reads == 0 || --st->reads > 0 || !st->read_open)
		return;
	/*
	 * Nothing was written, so ending it cannot lose anything; a
	 * failure (the engine already ended it after an error) is moot.
	 */
	struct error ignored;
	st->ops->exec(st->conn, "COMMIT", &ignored);
	st->read_open = false;
}

/* Bulk mode ends once no one wants it and no transaction is open. */
static void
bulk_end(struct store *st)
{
	if (st->bulk_on && st->bulks == 0 && st->depth == 0) {
		st->ops->bulk(st->conn, false);
		st->bulk_on = false;
	}
}

void
store_bulk(struct store *st, bool on)
{
	if (!on) {
		if (st->bulks > 0)
			st->bulks--;
		bulk_end(st);
		return;
	}
	if (st->bulks++ == 0 && !st->bulk_on) {
		st->ops->bulk(st->conn, true);
		st->bulk_on = true;
	}
}

void
store_bulk_cache(struct store *st, size_t kib)
{
	if (st->bulk_on && st->ops->cache != NULL)
		st->ops->cache(st->conn, kib);
}

/*
 * A run of reads on a connection of point reads goes through its mapped
 * twin (struct store's runs_conn): a search's keys are neighbours, and a
 * page read through a map is not copied out of the OS cache, where one
 * read at random gains nothing from it (bench B5 and B9 on SQLite). The
 * twin stands in for conn until the run ends; a twin that cannot be
 * opened leaves the run to conn, unmapped and slower but answered.
 */
static void
runs_enter(struct store *st)
{
	/* Not within a transaction or bulk mode: both are conn's own. */
	if (!st->point_reads || st->runs_on || st->depth > 0 ||
	    st->reads > 0 || st->bulks > 0)
		return;
	if (st->runs_conn == NULL) {
		struct error ignored;
		st->runs_conn = st->ops->open(st->path, false,
			st->busy_timeout_ms, &ignored);
		if (st->runs_conn == NULL)
			return;
		st->ops->defer_maintenance(st->runs_conn);
		/*
		 * Its own pages cached: a search's pages past the map (2 GiB
		 * of a larger file: the cards, much of the keys) are read
		 * from the file otherwise, a system call a page.
		 */
		if (st->runs_cache_kib > 0 && st->ops->cache != NULL)
			st->ops->cache(st->runs_conn, st->runs_cache_kib);
		/* The working sets a run's reads may use (store_expand.c). */
		if (st->ops->exec(st->runs_conn, st->ops->session_tables,
			    &ignored) < 0) {
			st->ops->close(st->runs_conn);
			st->runs_conn = NULL;
			return;
		}
	}
	void *point = st->conn;
	st->conn = st->runs_conn;
	st->runs_conn = point;
	st->runs_on = true;
}

/*
 * The point connection back, once the run and any transaction begun in
 * it have ended (store_reads_end, or the commit or rollback after it).
 */
static void
runs_leave(struct store *st)
{
	if (!st->runs_on || st->reads > 0 || st->depth > 0)
		return;
	void *runs = st->conn;
	st->conn = st->runs_conn;
	st->runs_conn = runs;
	st->runs_on = false;
}

int
store_reads_begin(struct store *st, struct error *err)
{
	/* The People Finder copy is found current once for the span. */
	st->finder_span = true;
	st->finder_fresh = false;
	if (st->ops->remote)
		return 0;
	runs_enter(st);
	if (store_read_begin(st, err) < 0) {
		runs_leave(st);
		return -1;
	}
	return 0;
}

void
store_reads_end(struct store *st)
{
	st->finder_span = st->finder_fresh = false;
	if (st->ops->remote)
		return;
	store_read_end(st);
	runs_leave(st);
}

int
store_commit(struct store *st, struct error *err)
{
	/* No person is committed without their People Finder keys. */
	if (st->depth == 1 && st->search_pending_count > 0 &&
	    store_search_batch_flush(st, err) < 0) {
		store_rollback(st);
		return -1;
	}
	/* The other nodes hear of it at the same commit, or not at all. */
	if (st->depth == 1 && store_changes_announce(st, err) < 0) {
		store_rollback(st);
		return -1;
	}
	if ((st->depth == 1 ? st->ops->exec(st->conn, "COMMIT", err) :
			      store_control(st, savepoint_release, err)) < 0) {
		store_rollback(st);
		return -1;
	}
	st->depth--;
	if (st->depth == 0) {
		store_changes_committed(st);
		bulk_end(st);
		runs_leave(st);
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	if (st->depth == 0)
		return;
	st->audit_mark_valid = false;
	if (st->depth == 1) {
		st->ops->exec(st->conn, "ROLLBACK", NULL);
	} else {
		/* Undo the savepoint's work, then drop it, keeping the outer one. */
		store_control(st, savepoint_undo, NULL);
		store_control(st, savepoint_release, NULL);
	}
	st->depth--;
	store_changes_undone(st, st->change_marks[st->depth]);
	/* The people the undone level made are gone, and so their keys. */
	if (st->search_pending_count > st->search_marks[st->depth])
		st->search_pending_count = st->search_marks[st->depth];
	bulk_end(st);
	runs_leave(st);
}

static void
store_bind_args(struct store *st, struct store_stmt *s, const char *types,
	va_list ap)
{
	for (int i = 0; types[i] != '\0'; i++) {
		int index = i + 1;
		switch (types[i]) {
		case 'i':
			st->ops->bind_int(s, index, va_arg(ap, int64_t));
			break;
		case 'z': {
			int64_t v = va_arg(ap, int64_t);
			if (v == 0)
				st->ops->bind_null(s, index);
			else
				st->ops->bind_int(s, index, v);
			break;
		}
		case 't':
			st->ops->bind_text(s, index, va_arg(ap, const char *));
			break;
		case 'b': {
			/* A blob takes two arguments: the bytes and their count. */
			const void *data = va_arg(ap, const void *);
			size_t size = va_arg(ap, size_t);
			st->ops->bind_blob(s, index, data, size);
			break;
		}
		case 'Z':
			/* A zero-filled blob of a size_t length (blob_write). */
			st->ops->bind_zeroblob(s, index, va_arg(ap, size_t));
			break;
		case 'I': {
			/* An id set takes two arguments: the ids and their count. */
			const int64_t *ids = va_arg(ap, const int64_t *);
			size_t count = va_arg(ap, size_t);
			st->ops->bind_ids(s, index, ids, count);
			break;
		}
		case 'T': {
			const char *const *texts = va_arg(ap, const char *const *);
			size_t count = va_arg(ap, size_t);
			st->ops->bind_texts(s, index, texts, count);
			break;
		}
		default:
			abort();	/* a typo in a type string is a bug */
		}
	}
}

uint64_t
store_statement_count(const struct store *st)
{
	return st->statements;
}

uint64_t
store_work(const struct store *st)
{
	return st->ops->work != NULL ? st->ops->work(st->conn) : 0;
}

static struct store_stmt *
store_vquery(struct store *st, struct error *err, const char *sql,
	const char *types, va_list ap)
{
	st->statements++;
	struct store_stmt *s = st->ops->prepare(st->conn, sql, err);
	if (s != NULL)
		store_bind_args(st, s, types, ap);
	return s;
}

struct store_stmt *
store_prepare(struct store *st, const char *sql, struct error *err)
{
	st->statements++;
	return st->ops->prepare(st->conn, sql, err);
}

void
store_bind_int(struct store *st, struct store_stmt *s, int index,
	int64_t value)
{
	st->ops->bind_int(s, index, value);
}

void
store_bind_text(struct store *st, struct store_stmt *s, int index,
	const char *text)
{
	if (text == NULL)
		st->ops->bind_null(s, index);
	else
		st->ops->bind_text(s, index, text);
}

void
store_bind_ref(struct store *st, struct store_stmt *s, int index,
	int64_t id)
{
	if (id == 0)
		st->ops->bind_null(s, index);
	else
		st->ops->bind_int(s, index, id);
}

struct store_stmt *
store_query(struct store *st, struct error *err, const char *sql,
	const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	struct store_stmt *s = store_vquery(st, err, sql, types, ap);
	va_end(ap);
	return s;
}

int64_t
store_exec(struct store *st, struct error *err, const char *sql,
	const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	struct store_stmt *s = store_vquery(st, err, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	int rc;
	while ((rc = st->ops->step(s, err)) == 1)
		;
	int64_t changes = rc == 0 ? st->ops->changes(st->conn) : -1;
	st->ops->finish(s);
	return changes;
}

int64_t
store_insert_id(struct store *st, struct error *err, const char *sql,
	const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	struct store_stmt *s = store_vquery(st, err, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	int rc = st->ops->step(s, err);
	int64_t id = rc == 1 ? st->ops->column_int(s, 0) : -1;
	if (rc == 1 && st->ops->step(s, err) < 0)
		id = -1;
	if (rc == 0)
		error_set(err, ERROR_INTERNAL, "an insert returned no id");
	st->ops->finish(s);
	return id;
}

int
store_step(struct store *st, struct store_stmt *s, struct error *err)
{
	return st->ops->step(s, err);
}

void
store_finish(struct store *st, struct store_stmt *s)
{
	st->ops->finish(s);
}

int64_t
store_col_int(struct store *st, struct store_stmt *s, int index)
{
	return st->ops->column_int(s, index);
}

const void *
store_col_blob(struct store *st, struct store_stmt *s, int index,
	size_t *size_r)
{
	return st->ops->column_blob(s, index, size_r);
}

int
store_blob_write(struct store *st, const char *table, const char *column,
	int64_t rowid, const void *data, size_t size, struct error *err)
{
	return st->ops->blob_write(st->conn, table, column, rowid, data, size,
		err);
}

int
store_blob_read(struct store *st, const char *table, const char *column,
	int64_t rowid, void *buf, size_t size, struct error *err)
{
	return st->ops->blob_read(st->conn, table, column, rowid, buf, size,
		err);
}

static const char *
store_col_copy(struct store *st, const char *text, struct arena *a)
{
	char *copy = arena_strdup(a, text);
	if (copy == NULL) {
		st->arena_full = true;
		return "";
	}
	return copy;
}

const char *
store_col_text_or_null(struct store *st, struct store_stmt *s, int index,
	struct arena *a)
{
	const char *text = st->ops->column_text(s, index);
	return text != NULL ? store_col_copy(st, text, a) : NULL;
}

const char *
store_col_text(struct store *st, struct store_stmt *s, int index,
	struct arena *a)
{
	const char *text = st->ops->column_text(s, index);
	return store_col_copy(st, text != NULL ? text : "", a);
}

void
store_unmapped(struct store *st, bool on)
{
	/* A connection of point reads is never mapped (but for its runs). */
	if (st->ops->unmapped != NULL && (!st->point_reads || st->runs_on))
		st->ops->unmapped(st->conn, on);
}

void
store_point_reads(struct store *st, size_t runs_cache_kib)
{
	if (st->ops->unmapped == NULL)
		return;
	st->ops->unmapped(st->conn, true);
	st->point_reads = true;
	st->runs_cache_kib = runs_cache_kib;
}

const unsigned char *
store_col_blob_copy(struct store *st, struct store_stmt *s, int index,
	struct arena *a, size_t *size_r)
{
	size_t size = 0;
	const void *bytes = store_col_blob(st, s, index, &size);
	*size_r = 0;
	if (bytes == NULL)
		return NULL;
	unsigned char *copy = arena_alloc(a, size > 0 ? size : 1);
	if (copy == NULL) {
		st->arena_full = true;
		return NULL;
	}
	memcpy(copy, bytes, size);
	*size_r = size;
	return copy;
}

int64_t
store_one_int(struct store *st, struct store_stmt *s, struct error *err)
{
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	int64_t n = rc == 1 ? store_col_int(st, s, 0) : -1;
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err) < 0 ? -1 : n;
}

int
store_rows_done(struct store *st, struct store_stmt *s, int rc,
	struct error *err)
{
	st->ops->finish(s);
	if (st->arena_full) {
		st->arena_full = false;
		return error_set(err, ERROR_LIMIT,
			"the result is larger than this request may use");
	}
	return rc;
}

int
store_read_all(struct store *st, struct store_stmt *s, struct arena *a,
	size_t item_size, void (*read_row)(struct store *, struct store_stmt *,
		struct arena *, void *),
	void **items_r, size_t *count_r, struct error *err)
{
	void *items = NULL;
	size_t count = 0, capacity = 0;
	int rc;
	while ((rc = st->ops->step(s, err)) == 1) {
		void *slot = arena_array_push(a, &items, &count, &capacity,
			item_size);
		if (slot == NULL) {
			st->arena_full = true;
			break;
		}
		read_row(st, s, a, slot);
	}
	*items_r = items;
	*count_r = count;
	return store_rows_done(st, s, rc < 0 ? -1 : 0, err);
}

int
store_read_one(struct store *st, struct store_stmt *s, struct arena *a,
	void (*read_row)(struct store *, struct store_stmt *, struct arena *,
		void *),
	void *item_r, const char *what, struct error *err)
{
	int rc = st->ops->step(s, err);
	if (rc == 1)
		read_row(st, s, a, item_r);
	else if (rc == 0)
		error_set(err, ERROR_NOT_FOUND, "there is no %s", what);
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

char *
store_quote(const char *text, char edge, const char *specials, char escape,
	struct arena *a)
{
	size_t n = strlen(text);
	/* Each byte escaped at worst, and the edge either side. */
	char *out = n < SIZE_MAX / 2 - 3 ? arena_alloc(a, 2 * n + 3) : NULL;
	if (out == NULL)
		return NULL;
	size_t o = 0;
	out[o++] = edge;
	for (size_t i = 0; i < n; i++) {
		if (strchr(specials, text[i]) != NULL)
			out[o++] = escape;
		out[o++] = text[i];
	}
	out[o++] = edge;
	out[o] = '\0';
	return out;
}

char *
store_like_contains(const char *text, struct arena *a)
{
	return store_quote(text, '%', "%_\\", '\\', a);
}

const char *
store_kind_name(enum store_kind kind)
{
	switch (kind) {
	case STORE_KIND_PERSON: return "person";
	case STORE_KIND_MAILBOX: return "mailbox";
	case STORE_KIND_CONTACT: return "contact";
	case STORE_KIND_LIST: return "list";
	case STORE_KIND_ORG: return "org";
	}
	return "unknown";
}
