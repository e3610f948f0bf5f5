/*
 * The audit chain (SECURITY.md 49) on a real SQLite file, tampered with the
 * way someone holding only the database would: every field of every row
 * changed, rows removed from the middle, slipped in, reordered, cut from
 * the end, the chain redone with another key. Each time verification must
 * name the first broken row; an untouched chain written at once by many
 * connections and the store writer must verify whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/store.h"
#include "store/store_audit.h"
#include "store/store_writer.h"

extern const char *const store_sqlite_migrations[];

#define ROWS 12

static const unsigned char key[STORE_AUDIT_KEY_BYTES] = { 0x5a, 1, 2, 3 };
static const unsigned char other_key[STORE_AUDIT_KEY_BYTES] = { 0x5a, 1, 2 };

struct fixture {
	char dir[64];
	char pristine[128];	/* the chain as written, never touched */
	char work[128];		/* a copy to tamper with */
};

/* Varied rows: orgs present and absent, empty and non-empty text. */
static void
make_row(int i, char *buf, size_t size, struct store_audit *row)
{
	static const char *const actions[] = { "create", "update", "delete",
		"other" };
	snprintf(buf, size, "{\"field\":\"job_title\",\"n\":%d}", i);
	*row = (struct store_audit){
		.at = 1000 + i,
		.actor = i % 2 == 0 ? "admin@trust.example" : "system",
		.action = actions[i % 4],
		.object_type = i % 3 == 0 ? "organisation" : "user_mailbox",
		.object_id = 7 * i,
		.org_id = i % 3 == 0 ? 0 : i,
		.summary = buf,
		.client = i % 2 == 0 ? "10.0.0.1" : "cli",
		.request_id = i % 5 == 0 ? "" : "req-1234",
		.result = i % 4 == 3 ? "denied" : "done",
	};
}

static void
append_rows(struct store *st, const unsigned char *k, int first, int count)
{
	struct error err;
	for (int i = first; i < first + count; i++) {
		char summary[64];
		struct store_audit row;
		make_row(i, summary, sizeof(summary), &row);
		assert_int_equal(store_audit_append(st, &row, k, &err), 0);
	}
}

static int
raw_exec(const char *path, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -2;
	char *msg = NULL;
	/* Only the copies are written, and nothing here needs them durable. */
	sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Someone with the file: the append-only triggers are no obstacle. */
static void
tamper(const char *path, const char *fmt, ...)
{
	char sql[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_int_equal(raw_exec(path, "DROP TRIGGER audit_no_update;"
				 "DROP TRIGGER audit_no_delete;"
				 "DROP TRIGGER audit_chained; %s", sql), 0);
}

static void
copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* A closed database to a new file, without the old one's WAL files. */
static void
copy_db(const char *from, const char *to)
{
	char side[160];
	copy_file(from, to);
	snprintf(side, sizeof(side), "%s-wal", to);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", to);
	unlink(side);
}

/* A fresh copy of the untouched chain to tamper with. */
static void
fresh_copy(struct fixture *f)
{
	copy_db(f->pristine, f->work);
}

static void
verify_path(const char *path, const struct store_audit_mark *from,
	const struct store_audit_mark *anchor, struct store_audit_check *c)
{
	struct error err;
	struct store *st = store_open("sqlite", path, false, 1000, &err);
	assert_non_null(st);
	assert_int_equal(store_audit_verify(st, key, from, anchor, c, &err),
		0);
	store_close(&st);
}

/* Row id's hash as stored, for an anchor. */
static struct store_audit_mark
mark_of(const char *path, int64_t id)
{
	struct store_audit_mark m = { .id = id };
	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
				 "SELECT hash FROM audit WHERE id = ?", -1, &s,
				 NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), STORE_AUDIT_HASH_BYTES);
	memcpy(m.hash, sqlite3_column_blob(s, 0), STORE_AUDIT_HASH_BYTES);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return m;
}

static void
assert_broken(const struct store_audit_check *c, int64_t id,
	const char *reason_part)
{
	if (c->broken_id != id || strstr(c->reason, reason_part) == NULL)
		fail_msg("expected row %lld broken (%s), got row %lld: %s",
			(long long)id, reason_part, (long long)c->broken_id,
			c->reason);
	assert_true(c->broken_count >= 1);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/caremail-audit-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->pristine, sizeof(f->pristine), "%s/pristine.db", f->dir);
	snprintf(f->work, sizeof(f->work), "%s/work.db", f->dir);
	struct error err;
	struct store *st = store_open("sqlite", f->pristine, true, 1000, &err);
	if (st == NULL)
		return -1;
	append_rows(st, key, 1, ROWS);
	store_close(&st);	/* the last close folds the WAL into the file */
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static void
test_untouched_chain_is_whole(void **state)
{
	struct fixture *f = *state;
	struct store_audit_check c;
	verify_path(f->pristine, NULL, NULL, &c);
	assert_int_equal(c.broken_id, 0);
	assert_int_equal(c.broken_count, 0);
	assert_string_equal(c.reason, "");
	assert_int_equal(c.rows, ROWS);
	assert_int_equal(c.last.id, ROWS);
	struct store_audit_mark last = mark_of(f->pristine, ROWS);
	assert_memory_equal(c.last.hash, last.hash, STORE_AUDIT_HASH_BYTES);
	/* From any earlier check's end, with it as the anchor. */
	for (int64_t m = 1; m <= ROWS; m++) {
		struct store_audit_mark from = mark_of(f->pristine, m);
		verify_path(f->pristine, &from, &from, &c);
		assert_int_equal(c.broken_id, 0);
		assert_int_equal(c.rows, ROWS - m + 1);
	}
	/* Verified with any other key, nothing holds. */
	struct error err;
	struct store *st = store_open("sqlite", f->pristine, false, 1000, &err);
	assert_int_equal(store_audit_verify(st, other_key, NULL, NULL, &c,
				 &err), 0);
	store_close(&st);
	assert_broken(&c, 1, "row 1's hash does not match its contents");
	assert_int_equal(c.broken_count, ROWS);
}

/* Each column, changed to something else the schema accepts. */
static const struct {
	const char *column;
	const char *change;
	const char *reason;
} field_changes[] = {
	{ "at", "at = at + 1", "does not match its contents" },
	{ "actor", "actor = actor || 'x'", "does not match its contents" },
	{ "action", "action = CASE action WHEN 'create' THEN 'delete'"
	  " ELSE 'create' END", "does not match its contents" },
	{ "object_type", "object_type = 'contact'",
	  "does not match its contents" },
	{ "object_id", "object_id = object_id + 1",
	  "does not match its contents" },
	/* NULL and 0 read alike ("no org") but are not the same row. */
	{ "org_id", "org_id = CASE WHEN org_id IS NULL THEN 0 ELSE NULL END",
	  "does not match its contents" },
	{ "org_id", "org_id = COALESCE(org_id, 0) + 1",
	  "does not match its contents" },
	{ "summary", "summary = summary || ' '",
	  "does not match its contents" },
	{ "summary", "summary = substr(summary, 1, length(summary) - 1)",
	  "does not match its contents" },
	{ "client", "client = client || '0'", "does not match its contents" },
	{ "request_id", "request_id = 'forged'",
	  "does not match its contents" },
	{ "result", "result = CASE result WHEN 'done' THEN 'denied'"
	  " ELSE 'done' END", "does not match its contents" },
	/* A character moved across a field boundary. */
	{ "summary+client", "summary = summary || substr(client, 1, 1),"
	  " client = substr(client, 2)", "does not match its contents" },
	{ "prev_hash", "prev_hash = randomblob(32)",
	  "does not match its contents" },
	{ "hash", "hash = randomblob(32)", "does not match its contents" },
	{ "hash", "hash = NULL", "has no hash" },
	{ "hash", "hash = substr(hash, 1, 31)", "has no hash" },
	{ "prev_hash", "prev_hash = NULL", "has no hash" },
};

static void
test_any_field_of_any_row_changed(void **state)
{
	struct fixture *f = *state;
	size_t cases = 0;
	for (int64_t r = 1; r <= ROWS; r++) {
		for (size_t i = 0; i < sizeof(field_changes) /
			     sizeof(*field_changes); i++) {
			fresh_copy(f);
			tamper(f->work, "UPDATE audit SET %s WHERE id = %lld",
				field_changes[i].change, (long long)r);
			struct store_audit_check c;
			verify_path(f->work, NULL, NULL, &c);
			if (c.broken_id != r)
				fail_msg("changing %s of row %lld: %s",
					field_changes[i].column, (long long)r,
					c.broken_id == 0 ? "not found" :
							   c.reason);
			assert_broken(&c, r, field_changes[i].reason);
			assert_int_equal(c.broken_at, 1000 + r +
				(strcmp(field_changes[i].column, "at") == 0));
			cases++;
		}
	}
	print_message("%zu single-field changes, each named\n", cases);
}

static void
test_rows_removed_from_the_middle(void **state)
{
	struct fixture *f = *state;
	for (int64_t r = 1; r < ROWS; r++) {
		for (int64_t len = 1; r + len <= ROWS && len <= 3; len++) {
			fresh_copy(f);
			long long last = (long long)(r + len - 1);
			tamper(f->work, "DELETE FROM audit WHERE id BETWEEN"
				" %lld AND %lld", (long long)r, last);
			struct store_audit_check c;
			verify_path(f->work, NULL, NULL, &c);
			char reason[80];
			if (r == 1)
				snprintf(reason, sizeof(reason), "row %lld "
					"does not follow the start of the "
					"chain", last + 1);
			else
				snprintf(reason, sizeof(reason), "row %lld "
					"does not follow row %lld", last + 1,
					(long long)(r - 1));
			assert_broken(&c, r + len, reason);
			assert_int_equal(c.broken_count, 1);
		}
	}
}

static void
test_rows_slipped_in(void **state)
{
	struct fixture *f = *state;
	/* At every place, rows after it renumbered to make room. */
	for (int64_t r = 1; r <= ROWS + 1; r++) {
		fresh_copy(f);
		tamper(f->work,
			"UPDATE audit SET id = -(id + 1) WHERE id >= %lld;"
			"UPDATE audit SET id = -id WHERE id < 0;"
			"INSERT INTO audit SELECT %lld, at, actor, action,"
			" object_type, object_id, org_id, summary || ' forged',"
			" client, request_id, result, prev_hash, hash"
			" FROM audit WHERE id = %lld",
			(long long)r, (long long)r,
			(long long)(r <= ROWS ? r + 1 : ROWS));
		struct store_audit_check c;
		verify_path(f->work, NULL, NULL, &c);
		assert_broken(&c, r, "does not match its contents");
	}
	/* A whole row copied to the end, hashes and all. */
	fresh_copy(f);
	tamper(f->work, "INSERT INTO audit SELECT %d, at, actor, action,"
		" object_type, object_id, org_id, summary, client, request_id,"
		" result, prev_hash, hash FROM audit WHERE id = %d", ROWS + 1,
		ROWS);
	struct store_audit_check c;
	verify_path(f->work, NULL, NULL, &c);
	assert_broken(&c, ROWS + 1, "does not match its contents");
}

static void
test_rows_reordered(void **state)
{
	struct fixture *f = *state;
	for (int64_t i = 1; i <= ROWS; i++) {
		for (int64_t j = i + 1; j <= ROWS; j++) {
			fresh_copy(f);
			tamper(f->work, "UPDATE audit SET id = -1"
				" WHERE id = %lld;"
				"UPDATE audit SET id = %lld WHERE id = %lld;"
				"UPDATE audit SET id = %lld WHERE id = -1",
				(long long)i, (long long)i, (long long)j,
				(long long)j);
			struct store_audit_check c;
			verify_path(f->work, NULL, NULL, &c);
			assert_broken(&c, i, "does not match its contents");
		}
	}
}

/*
 * A chain cut at the end is whole by itself; the anchor (the newest row an
 * earlier check saw) is what shows rows went, also when new rows have
 * been written in their place since.
 */
static void
test_tail_cut_off(void **state)
{
	struct fixture *f = *state;
	struct store_audit_mark anchor = mark_of(f->pristine, ROWS);
	for (int cut = 1; cut <= 4; cut++) {
		fresh_copy(f);
		tamper(f->work, "DELETE FROM audit WHERE id > %d", ROWS - cut);
		struct store_audit_check c;
		verify_path(f->work, NULL, NULL, &c);
		assert_int_equal(c.broken_id, 0);	/* undetectable alone */
		verify_path(f->work, NULL, &anchor, &c);
		assert_broken(&c, ROWS, "rows have been removed from the end");
		verify_path(f->work, &anchor, &anchor, &c);
		assert_broken(&c, ROWS, "is missing");
		/* The server goes on appending after the cut. */
		struct error err;
		struct store *st = store_open("sqlite", f->work, false, 1000,
			&err);
		append_rows(st, key, 100, cut + 2);
		store_close(&st);
		verify_path(f->work, NULL, NULL, &c);
		assert_int_equal(c.broken_id, 0);
		verify_path(f->work, NULL, &anchor, &c);
		assert_broken(&c, ROWS, "is not the row an earlier check saw");
	}
	/* An anchor beyond an untouched chain's end is the same alarm. */
	struct store_audit_mark ahead = anchor;
	ahead.id = ROWS + 5;
	struct store_audit_check c;
	verify_path(f->pristine, NULL, &ahead, &c);
	assert_broken(&c, ROWS + 5, "removed from the end");
}

/* Checking from an earlier check's end still sees that row changed. */
static void
test_check_from_last_end(void **state)
{
	struct fixture *f = *state;
	for (int64_t m = 1; m <= ROWS; m++) {
		struct store_audit_mark from = mark_of(f->pristine, m);
		for (int64_t r = 1; r <= ROWS; r++) {
			fresh_copy(f);
			tamper(f->work, "UPDATE audit SET summary = 'x'"
				" WHERE id = %lld", (long long)r);
			struct store_audit_check c;
			verify_path(f->work, &from, &from, &c);
			/* Rows before the last check's end: checked then. */
			if (r < m)
				assert_int_equal(c.broken_id, 0);
			else
				assert_broken(&c, r, "does not match");
		}
	}
}

/* Someone without the key re-chains the rows after their change. */
static void
test_rechained_without_the_key(void **state)
{
	struct fixture *f = *state;
	for (int64_t r = 1; r <= ROWS; r++) {
		fresh_copy(f);
		tamper(f->work, "DELETE FROM audit WHERE id >= %lld",
			(long long)r);
		struct error err;
		struct store *st = store_open("sqlite", f->work, false, 1000,
			&err);
		append_rows(st, other_key, (int)r, ROWS - (int)r + 1);
		store_close(&st);
		struct store_audit_check c;
		verify_path(f->work, NULL, NULL, &c);
		assert_broken(&c, r, "does not match its contents");
		assert_int_equal(c.broken_count, ROWS - r + 1);
	}
}

/* The database itself still refuses what it refused before. */
static void
test_triggers_still_refuse(void **state)
{
	struct fixture *f = *state;
	fresh_copy(f);
	assert_int_equal(raw_exec(f->work, "UPDATE audit SET actor = 'x'"), -1);
	assert_int_equal(raw_exec(f->work, "UPDATE audit SET hash = NULL"), -1);
	assert_int_equal(raw_exec(f->work, "UPDATE audit SET hash ="
				 " randomblob(32)"), -1);
	assert_int_equal(raw_exec(f->work, "DELETE FROM audit WHERE id = 3"),
		-1);
	assert_int_equal(raw_exec(f->work, "INSERT INTO audit (at, actor,"
				 " action, object_type, object_id, summary)"
				 " VALUES (1, 'x', 'other', 'x', 0, '{}')"),
		-1);
	struct store_audit_check c;
	verify_path(f->work, NULL, NULL, &c);
	assert_int_equal(c.broken_id, 0);
}

/* Rows appended and then rolled back leave no gap in the chain. */
static void
test_rolled_back_rows_leave_no_trace(void **state)
{
	struct fixture *f = *state;
	fresh_copy(f);
	struct error err;
	struct store *st = store_open("sqlite", f->work, false, 1000, &err);
	assert_int_equal(store_begin(st, &err), 0);
	append_rows(st, key, 200, 3);
	store_rollback(st);
	assert_int_equal(store_begin(st, &err), 0);
	append_rows(st, key, 300, 1);
	assert_int_equal(store_begin(st, &err), 0);	/* a savepoint */
	append_rows(st, key, 400, 2);
	store_rollback(st);
	append_rows(st, key, 500, 1);
	assert_int_equal(store_commit(st, &err), 0);
	/* Without a key nothing audited can be written. */
	struct store_audit row;
	char summary[64];
	make_row(1, summary, sizeof(summary), &row);
	assert_int_equal(store_audit_append(st, &row, NULL, &err), -1);
	store_close(&st);
	struct store_audit_check c;
	verify_path(f->work, NULL, NULL, &c);
	assert_int_equal(c.broken_id, 0);
	assert_int_equal(c.rows, ROWS + 2);
}

/* ---- many writers at once ---- */

enum { WRITER_THREADS = 6, WRITER_ROWS = 40 };

struct writer_arg {
	const char *path;
	struct store_writer *writer;
	int thread;
	int committed;
};

static void *
direct_writer(void *p)
{
	struct writer_arg *a = p;
	struct error err;
	struct store *st = store_open("sqlite", a->path, false, 10000, &err);
	if (st == NULL)
		return NULL;
	for (int i = 0; i < WRITER_ROWS; i++) {
		char summary[64];
		struct store_audit row;
		make_row(a->thread * 1000 + i, summary, sizeof(summary), &row);
		/* Some in a transaction of their own, some two at a time. */
		if (i % 3 == 0) {
			if (store_begin(st, &err) == 0 &&
			    store_audit_append(st, &row, key, &err) == 0 &&
			    store_audit_append(st, &row, key, &err) == 0 &&
			    store_commit(st, &err) == 0)
				a->committed += 2;
			else
				store_rollback(st);
		} else if (store_audit_append(st, &row, key, &err) == 0) {
			a->committed++;
		}
	}
	store_close(&st);
	return NULL;
}

/* A job that writes a row and, every fourth time, fails after it. */
static int
audit_job(struct store *st, void *arg, struct error *err)
{
	int *n = arg;
	char summary[64];
	struct store_audit row;
	make_row(9000 + *n, summary, sizeof(summary), &row);
	if (store_audit_append(st, &row, key, err) < 0)
		return -1;
	if (*n % 4 == 3)
		return error_set(err, ERROR_INVALID, "refused after writing");
	return 0;
}

static void *
job_writer(void *p)
{
	struct writer_arg *a = p;
	for (int i = 0; i < WRITER_ROWS; i++) {
		struct error err;
		int n = a->thread * 1000 + i;
		if (store_writer_run(a->writer, audit_job, &n, &err) == 0)
			a->committed++;
	}
	return NULL;
}

static void
test_concurrent_writers_form_one_chain(void **state)
{
	struct fixture *f = *state;
	fresh_copy(f);
	struct error err;
	struct store_writer *w = store_writer_start("sqlite", f->work, 10000,
		&err);
	assert_non_null(w);
	pthread_t threads[WRITER_THREADS];
	struct writer_arg args[WRITER_THREADS];
	for (int t = 0; t < WRITER_THREADS; t++) {
		args[t] = (struct writer_arg){ .path = f->work, .writer = w,
			.thread = t };
		pthread_create(&threads[t], NULL,
			t % 2 == 0 ? direct_writer : job_writer, &args[t]);
	}
	int committed = 0;
	for (int t = 0; t < WRITER_THREADS; t++) {
		pthread_join(threads[t], NULL);
		committed += args[t].committed;
	}
	store_writer_stop(&w);
	print_message("%d rows from %d threads\n", committed, WRITER_THREADS);
	assert_true(committed > WRITER_THREADS * WRITER_ROWS / 2);
	struct store_audit_check c;
	verify_path(f->work, NULL, NULL, &c);
	if (c.broken_id != 0)
		fail_msg("%s", c.reason);
	assert_int_equal(c.rows, ROWS + committed);
	assert_int_equal(c.last.id, ROWS + committed);
}

/* ---- rows from before the chain ---- */

static void
search_keys_stub(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_text(sc, "", 0, SQLITE_STATIC);
}

/*
 * A store as the last release left it: every migration before the one that
 * brings the chain (found by what it creates, whatever its number), and
 * rows with no hash.
 */
static void
make_old_store(const char *path, int rows)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_create_function(db, "caremail_search_keys", 4, SQLITE_UTF8,
		NULL, search_keys_stub, NULL, NULL);
	assert_int_equal(sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL,
				 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE schema_migrations ("
				 " version INTEGER PRIMARY KEY,"
				 " applied_at INTEGER NOT NULL)", NULL, NULL,
				 NULL), SQLITE_OK);
	for (int v = 1; strstr(store_sqlite_migrations[v - 1],
			     "TRIGGER audit_chained") == NULL; v++) {
		char sql[100];
		const char *migration = store_sqlite_migrations[v - 1];
		assert_int_equal(sqlite3_exec(db, migration, NULL, NULL, NULL),
			SQLITE_OK);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations"
			" VALUES (%d, 0)", v);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
			SQLITE_OK);
	}
	for (int i = 1; i <= rows; i++) {
		char sql[300];
		snprintf(sql, sizeof(sql), "INSERT INTO audit (at, actor,"
			" action, object_type, object_id, org_id, summary,"
			" client) VALUES (%d, 'system', 'create',"
			" 'organisation', %d, %s, '{\"n\":%d}', 'cli')",
			500 + i, i, i % 2 ? "NULL" : "1", i);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
			SQLITE_OK);
	}
	sqlite3_close(db);
}

static void
test_rows_from_before_are_sealed_once(void **state)
{
	struct fixture *f = *state;
	char old[160];
	snprintf(old, sizeof(old), "%s/old.db", f->dir);
	make_old_store(old, 700);	/* more than one batch */
	struct error err;
	struct store *st = store_open("sqlite", old, false, 1000, &err);
	assert_non_null(st);	/* migration 13 ran */
	struct store_audit_check c;
	assert_int_equal(store_audit_verify(st, key, NULL, NULL, &c, &err), 0);
	assert_broken(&c, 1, "row 1 has no hash");
	int64_t sealed;
	assert_int_equal(store_audit_seal(st, key, &sealed, &err), 0);
	assert_int_equal(sealed, 700);
	append_rows(st, key, 1, 5);
	assert_int_equal(store_audit_verify(st, key, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.broken_id, 0);
	assert_int_equal(c.rows, 705);
	/* Sealing again finds nothing to do. */
	assert_int_equal(store_audit_seal(st, key, &sealed, &err), 0);
	assert_int_equal(sealed, 0);
	store_close(&st);
	/*
	 * A chained row stripped of its hash is never sealed afresh; only
	 * rows before the first chained one are, and the row after shows
	 * that one was changed.
	 */
	for (int64_t r = 1; r <= 705; r += 101) {
		copy_db(old, f->work);
		tamper(f->work, "UPDATE audit SET summary = 'forged',"
			" hash = NULL, prev_hash = NULL WHERE id = %lld",
			(long long)r);
		st = store_open("sqlite", f->work, false, 1000, &err);
		assert_int_equal(store_audit_seal(st, key, &sealed, &err), 0);
		assert_int_equal(sealed, r == 1 ? 1 : 0);
		assert_int_equal(store_audit_verify(st, key, NULL, NULL, &c,
					 &err), 0);
		store_close(&st);
		if (r == 1)
			assert_broken(&c, 2, "row 2 does not follow row 1");
		else
			assert_broken(&c, r, "has no hash");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_untouched_chain_is_whole,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_any_field_of_any_row_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rows_removed_from_the_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_slipped_in, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_rows_reordered, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_tail_cut_off, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_check_from_last_end, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_rechained_without_the_key,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_triggers_still_refuse,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rolled_back_rows_leave_no_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_concurrent_writers_form_one_chain, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_rows_from_before_are_sealed_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
