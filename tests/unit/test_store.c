/*
 * The store on a real SQLite file: migrations, nested transactions, unique
 * keys, append-only audit and reserved addresses enforced by the database
 * itself, and arena limits on reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_backup.h"
#include "store/store_copy_text.h"
#include "store/store_expand.h"
#include "store/store_folder.h"
#include "store/store_internal.h"
#include "store/store_org.h"
#include "store/store_queue.h"
#include "store/store_session.h"
#include "store/store_session_cache.h"
#include "store/store_signins.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
	struct arena *arena;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/caremail-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
	struct error err;
	f->st = store_open("sqlite", f->path, true, 1000, &err);
	if (f->st == NULL)
		return -1;
	f->arena = arena_new(1 << 20);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	store_close(&f->st);
	arena_free(&f->arena);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct store_org
org(const char *ods, int64_t parent)
{
	return (struct store_org){ .ods = ods, .name = ods, .type = "",
		.parent_id = parent, .postal_address = "", .description = "",
		.website = "", .helpdesk_phone = "", .helpdesk_email = "",
		.default_quota_mb = 100, .created_at = 1, .updated_at = 1 };
}

/* One integer a statement with no parameters reads (a PRAGMA, a count). */
static int64_t
read_int(struct store *st, const char *sql)
{
	struct error err;
	return store_one_int(st, store_query(st, &err, sql, ""), &err);
}

/*
 * Bulk mode begun outside a transaction keeps its journals in memory
 * (temp_store=MEMORY, store_sqlite.c) until it ends; begun inside one,
 * it only widens the page cache. An end that cannot switch back (a read
 * left open) leaves the connection marked, and the next end switches it.
 * The working sets are there each way.
 */
static void
test_bulk_keeps_journals_in_memory_until_it_ends(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->st;
	struct error err;
	assert_int_equal(read_int(st, "PRAGMA temp_store"), 1);
	store_bulk(st, true);
	assert_int_equal(read_int(st, "PRAGMA temp_store"), 2);
	assert_int_equal(read_int(st, "SELECT count(*) FROM expansion"), 0);
	store_bulk(st, false);
	assert_int_equal(read_int(st, "PRAGMA temp_store"), 1);
	assert_int_equal(read_int(st, "SELECT count(*) FROM expansion"), 0);

	assert_int_equal(store_begin(st, &err), 0);
	store_bulk(st, true);
	assert_int_equal(read_int(st, "PRAGMA temp_store"), 1);
	assert_int_equal(read_int(st, "PRAGMA cache_size"), -65536);
	/* A large transaction's own, until bulk mode ends. */
	store_bulk_cache(st, 256 * 1024);
	assert_int_equal(read_int(st, "PRAGMA cache_size"), -262144);
	store_bulk(st, false);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(read_int(st, "PRAGMA cache_size"), -2000);

	store_bulk(st, true);
	assert_int_equal(store_read_begin(st, &err), 0);
	store_bulk(st, false);
	assert_int_equal(read_int(st, "PRAGMA temp_store"), 2);
	store_read_end(st);
	/* Even when the next bulk mode is a transaction's. */
	assert_int_equal(store_begin(st, &err), 0);
	store_bulk(st, true);
	store_bulk(st, false);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(read_int(st, "PRAGMA temp_store"), 1);
	assert_int_equal(read_int(st, "SELECT count(*) FROM expansion"), 0);
}

/*
 * A connection lent for a request reads without a map of the file, but
 * for a run of reads, which reads mapped and sees every commit made
 * before it (its own included); inside a transaction a run stays on the
 * connection, where the transaction's rows are. The two kinds are kept
 * apart in the pool.
 */
static void
test_request_connections_map_only_runs(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_pool *pool = store_pool_new("sqlite", f->path, 1000, 4);
	store_pool_set_runs_cache(pool, 3 * 1024);
	struct store *r = store_pool_get_request(pool, &err);
	assert_non_null(r);
	assert_int_equal(read_int(r, "PRAGMA mmap_size"), 0);
	/* The request's own connection keeps SQLite's cache; a run's, 3 MB. */
	assert_int_equal(read_int(r, "PRAGMA cache_size"), -2000);
	store_unmapped(r, false);	/* a cold read's end does not map it */
	assert_int_equal(read_int(r, "PRAGMA mmap_size"), 0);
	struct store_org o = org("RUN1", 0);
	assert_int_equal(store_org_insert(r, &o, &err), 0);
	int64_t orgs = read_int(r, "SELECT count(*) FROM orgs");
	assert_true(orgs >= 1);

	assert_int_equal(store_reads_begin(r, &err), 0);
	assert_true(read_int(r, "PRAGMA mmap_size") > 0);
	assert_int_equal(read_int(r, "PRAGMA cache_size"), -3 * 1024);
	assert_int_equal(read_int(r, "SELECT count(*) FROM orgs"), orgs);
	assert_int_equal(store_reads_begin(r, &err), 0);	/* nested */
	store_reads_end(r);
	assert_true(read_int(r, "PRAGMA mmap_size") > 0);
	store_reads_end(r);
	assert_int_equal(read_int(r, "PRAGMA mmap_size"), 0);

	/* A run begun by a transaction's reads sees its rows. */
	assert_int_equal(store_begin(r, &err), 0);
	struct store_org o2 = org("RUN2", 0);
	assert_int_equal(store_org_insert(r, &o2, &err), 0);
	assert_int_equal(store_reads_begin(r, &err), 0);
	assert_int_equal(read_int(r, "PRAGMA mmap_size"), 0);
	assert_int_equal(read_int(r, "SELECT count(*) FROM orgs"), orgs + 1);
	store_reads_end(r);
	assert_int_equal(store_commit(r, &err), 0);
	/* And the next run, on the mapped connection, sees the commit. */
	assert_int_equal(store_reads_begin(r, &err), 0);
	assert_int_equal(read_int(r, "SELECT count(*) FROM orgs"), orgs + 1);
	store_reads_end(r);

	/*
	 * A transaction begun inside a run outlives it on the run's
	 * connection; its commit (or rollback) gives the point one back.
	 */
	for (int commit = 0; commit < 2; commit++) {
		assert_int_equal(store_reads_begin(r, &err), 0);
		assert_int_equal(store_begin(r, &err), 0);
		store_reads_end(r);
		assert_true(read_int(r, "PRAGMA mmap_size") > 0);
		if (commit)
			assert_int_equal(store_commit(r, &err), 0);
		else
			store_rollback(r);
		assert_int_equal(read_int(r, "PRAGMA mmap_size"), 0);
	}
	/* Working sets are there for a run's reads (store_expand.c). */
	assert_int_equal(store_reads_begin(r, &err), 0);
	assert_true(read_int(r, "SELECT count(*) FROM expansion") >= 0);
	store_reads_end(r);

	/* Kept apart: a session's connection is mapped, and not r. */
	struct store *kept = r;
	store_pool_put(pool, &r);
	struct store *s = store_pool_get(pool, &err);
	assert_non_null(s);
	assert_ptr_not_equal(s, kept);
	assert_true(read_int(s, "PRAGMA mmap_size") > 0);
	r = store_pool_get_request(pool, &err);
	assert_ptr_equal(r, kept);
	assert_int_equal(read_int(r, "PRAGMA mmap_size"), 0);
	store_pool_put(pool, &s);
	store_pool_put(pool, &r);
	store_pool_free(&pool);
}


static void
test_migrations(void **state)
{
	struct fixture *f = *state;
	struct error err;
	assert_int_equal(store_schema_version(f->st, &err),
		store_schema_latest());
	assert_true(store_schema_latest() >= 1);
	/* Reopening applies nothing twice. */
	store_close(&f->st);
	f->st = store_open("sqlite", f->path, false, 1000, &err);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st, &err),
		store_schema_latest());
	assert_int_equal(store_ping(f->st, &err), 0);
}

static int64_t
raw_count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t n = -1;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

extern const char *const store_sqlite_migrations[];

/* Migration 10's key maker, for an empty people table: no keys. */
static void
no_search_keys(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_text(sc, "", 0, SQLITE_STATIC);
}

static void
exec_or_fail(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/*
 * Migration 12 moves each message's summary to one row per body: a store
 * at schema 11 with copies sharing a body, flags, keywords and a queued
 * copy comes out with every message, UID, flag and summary as it was,
 * one body per distinct message, and the queue pointing at its body.
 */
static void
test_migration_12_keeps_every_message(void **state)
{
	(void)state;
	char dir[] = "/tmp/caremail-mig-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/old.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_create_function(db, "caremail_search_keys", 4, SQLITE_UTF8,
		NULL, no_search_keys, NULL, NULL);
	exec_or_fail(db, "PRAGMA foreign_keys=ON;"
			 "CREATE TABLE schema_migrations (version INTEGER"
			 " PRIMARY KEY, applied_at INTEGER NOT NULL);");
	for (int v = 1; v <= 11; v++) {
		exec_or_fail(db, store_sqlite_migrations[v - 1]);
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations"
			" VALUES (%d, 1)", v);
		exec_or_fail(db, sql);
	}
	exec_or_fail(db,
		"INSERT INTO orgs (id, ods, name, default_quota_mb, created_at,"
		" updated_at) VALUES (1, 'A1', 'A', 100, 1, 1);"
		"INSERT INTO mailboxes (id, kind, org_id, address, display_name,"
		" quota_mb, created_at, updated_at) VALUES"
		" (1, 'shared', 1, 'a@x', 'A', 100, 1, 1),"
		" (2, 'shared', 1, 'b@x', 'B', 100, 1, 1);"
		"INSERT INTO folders (id, mailbox_id, name, special_use,"
		" uidvalidity, uidnext, created_at) VALUES"
		" (1, 1, 'INBOX', 'inbox', 7, 4, 1),"
		" (2, 2, 'INBOX', 'inbox', 8, 9, 1);"
		"INSERT INTO blobs (hash, size, data, created_at) VALUES"
		" ('h1', 5, x'68656c6c6f', 10), ('h2', 3, x'627965', 20);"
		"INSERT INTO messages (id, folder_id, uid, blob_hash, size,"
		" internal_date, flags, keywords, envelope, bodystructure, body,"
		" subject, from_addr, to_addr, message_id, sent_date,"
		" header_size) VALUES"
		" (1, 1, 1, 'h1', 5, 100, 1, 'work', 'E1', 'S1', 'B1', 'Hello',"
		"  'f@x', 't@x', '<1@x>', 99, 2),"
		" (2, 1, 3, 'h2', 3, 200, 4, '', 'E2', 'S2', 'B2', 'Bye', '', '',"
		"  '<2@x>', 0, 1),"
		" (3, 2, 8, 'h1', 5, 300, 0, '', 'E1', 'S1', 'B1', 'Hello',"
		"  'f@x', 't@x', '<1@x>', 99, 2);"
		"INSERT INTO queue (id, blob_hash, sender, recipient, created_at,"
		" next_attempt_at) VALUES (1, 'h2', 's@x', 'far@y', 5, 6);");
	sqlite3_close(db);

	struct error err;
	struct store *st = store_open("sqlite", path, false, 1000, &err);
	if (st == NULL)
		fail_msg("open: %s", err.msg);
	assert_int_equal(store_schema_version(st, &err), store_schema_latest());
	struct arena *a = arena_new(1 << 20);
	struct store_message *m;
	size_t n;
	assert_int_equal(store_folder_messages(st, 1, 1, INT64_MAX, 10,
				 STORE_MESSAGE_COLUMNS_ALL, a, &m, &n, &err),
		0);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].uid, 1);
	assert_int_equal(m[0].flags, 1);
	assert_string_equal(m[0].keywords, "work");
	assert_int_equal(m[0].internal_date, 100);
	assert_string_equal(m[0].meta.subject, "Hello");
	assert_string_equal(m[0].meta.envelope, "E1");
	assert_string_equal(m[0].meta.from, "f@x");
	assert_int_equal(m[0].meta.sent_date, 99);
	assert_int_equal(m[0].meta.header_size, 2);
	assert_int_equal(m[1].uid, 3);
	assert_int_equal(m[1].flags, 4);
	assert_string_equal(m[1].meta.bodystructure, "S2");
	const char *data;
	size_t size;
	assert_int_equal(store_body_get(st, m[0].body_id, a, &data, &size,
				 &err), 0);
	assert_int_equal(size, 5);
	assert_memory_equal(data, "hello", 5);
	int64_t shared_body = m[0].body_id;
	assert_int_equal(store_folder_messages(st, 2, 1, INT64_MAX, 10,
				 STORE_MESSAGE_COLUMNS_FLAGS, a, &m, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, 8);
	assert_int_equal(m[0].body_id, shared_body);
	struct store_queued *q;
	assert_int_equal(store_queue_list(st, 0, 100, true, a, &q, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_body_get(st, q[0].body_id, a, &data, &size,
				 &err), 0);
	assert_memory_equal(data, "bye", 3);
	struct store_folder f;
	assert_int_equal(store_folder_special(st, 2, "inbox", a, &f, &err), 0);
	assert_int_equal(f.uidnext, 9);
	store_close(&st);
	arena_free(&a);
	assert_int_equal(raw_count(path, "SELECT COUNT(*) FROM bodies"), 2);
	assert_int_equal(raw_count(path, "SELECT COUNT(*) FROM sqlite_master"
				 " WHERE name = 'blobs'"), 0);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * The migration that gives every mailbox its standard folders (found by
 * what it does, so renumbering does not break this): a mailbox with none,
 * one with only its Inbox and a plain folder under a standard name, and one
 * with all five come out with exactly one folder of each special use, the
 * plain folder taking its use rather than being doubled, every UIDVALIDITY
 * distinct within its mailbox and above any the mailbox gave before.
 */
static void
test_migration_makes_standard_folders(void **state)
{
	(void)state;
	int target = 0;
	for (int v = 1; store_sqlite_migrations[v - 1] != NULL; v++) {
		if (strstr(store_sqlite_migrations[v - 1], "'Junk E-mail'") !=
			NULL)
			target = v;
	}
	assert_true(target > 15);	/* after uidvalidity_last (15) */
	char dir[] = "/tmp/caremail-mig-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/old.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_create_function(db, "caremail_search_keys", 4, SQLITE_UTF8,
		NULL, no_search_keys, NULL, NULL);
	sqlite3_create_function(db, "caremail_search_sort", 2, SQLITE_UTF8,
		NULL, no_search_keys, NULL, NULL);
	exec_or_fail(db, "PRAGMA foreign_keys=ON;"
			 "CREATE TABLE schema_migrations (version INTEGER"
			 " PRIMARY KEY, applied_at INTEGER NOT NULL);");
	for (int v = 1; v < target; v++) {
		exec_or_fail(db, store_sqlite_migrations[v - 1]);
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations"
			" VALUES (%d, 1)", v);
		exec_or_fail(db, sql);
	}
	/* Far in the future, so the migration must go above, not use now. */
	exec_or_fail(db,
		"INSERT INTO orgs (id, ods, name, default_quota_mb, created_at,"
		" updated_at) VALUES (1, 'A1', 'A', 100, 1, 1);"
		"INSERT INTO mailboxes (id, kind, org_id, address, display_name,"
		" quota_mb, created_at, updated_at, uidvalidity_last) VALUES"
		" (1, 'shared', 1, 'a@x', 'A', 100, 1, 1, 9000000000),"
		" (2, 'user', 1, 'b@x', 'B', 100, 1, 1, 0),"
		" (3, 'user', 1, 'c@x', 'C', 100, 1, 1, 0);"
		"INSERT INTO folders (id, mailbox_id, name, special_use,"
		" uidvalidity, uidnext, created_at) VALUES"
		" (1, 2, 'INBOX', 'inbox', 9100000000, 4, 1),"
		" (2, 2, 'Sent Items', '', 9100000001, 3, 1),"
		" (3, 3, 'INBOX', 'inbox', 10, 1, 1),"
		" (4, 3, 'Sent Items', 'sent', 11, 1, 1),"
		" (5, 3, 'Drafts', 'drafts', 12, 1, 1),"
		" (6, 3, 'Deleted Items', 'trash', 13, 1, 1),"
		" (7, 3, 'Junk E-mail', 'junk', 14, 1, 1);");
	sqlite3_close(db);

	struct error err;
	struct store *st = store_open("sqlite", path, false, 1000, &err);
	if (st == NULL)
		fail_msg("open: %s", err.msg);
	store_close(&st);
	static const char *const uses[] = { "inbox", "sent", "drafts", "trash",
		"junk" };
	for (int mb = 1; mb <= 3; mb++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM folders"
			" WHERE mailbox_id = %d", mb);
		assert_int_equal(raw_count(path, sql), 5);
		for (size_t i = 0; i < 5; i++) {
			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM folders"
				" WHERE mailbox_id = %d AND special_use = '%s'",
				mb, uses[i]);
			assert_int_equal(raw_count(path, sql), 1);
		}
		snprintf(sql, sizeof(sql), "SELECT COUNT(DISTINCT uidvalidity)"
			" FROM folders WHERE mailbox_id = %d", mb);
		assert_int_equal(raw_count(path, sql), 5);
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM mailboxes m"
			" WHERE id = %d AND uidvalidity_last < (SELECT"
			" MAX(uidvalidity) FROM folders WHERE mailbox_id = m.id)",
			mb);
		assert_int_equal(raw_count(path, sql), 0);
	}
	assert_int_equal(raw_count(path, "SELECT COUNT(*) FROM folders"
				 " WHERE mailbox_id = 1 AND uidvalidity <="
				 " 9000000000"), 0);
	assert_int_equal(raw_count(path, "SELECT COUNT(*) FROM folders"
				 " WHERE mailbox_id = 2 AND id > 2 AND"
				 " uidvalidity <= 9100000001"), 0);
	/* The plain folder took the use, with its messages' UIDs. */
	assert_int_equal(raw_count(path, "SELECT c.uidnext FROM folders f"
				 " JOIN folder_counts c ON c.folder_id = f.id"
				 " WHERE f.id = 2 AND f.special_use = 'sent'"),
		3);
	/* The complete mailbox kept its own. */
	assert_int_equal(raw_count(path, "SELECT MAX(id) FROM folders"
				 " WHERE mailbox_id = 3"), 7);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * When the engine undoes a transaction on its own (SQLite does on a full
 * disk or out of memory), a nested begin must fail rather than start a
 * transaction of its own that would commit outside the caller's: the
 * writer would store a job it then reports as failed.
 */
static void
test_nested_begin_after_engine_rollback(void **state)
{
	struct fixture *f = *state;
	struct error err;
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_exec(f->st, &err,
				 "INSERT INTO settings (name, value, updated_by,"
				 " updated_at) VALUES ('a', '1', 't', 1)", ""),
		1);
	/* As the engine would: the whole transaction is gone. */
	assert_true(store_exec(f->st, &err, "ROLLBACK", "") >= 0);
	assert_int_equal(store_begin(f->st, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	/* The outer commit fails: nothing is reported stored. */
	assert_int_equal(store_commit(f->st, &err), -1);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM settings"),
		0);
	/* And the store is usable again. */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);
}

static void
test_open_missing_and_unknown_backend(void **state)
{
	struct fixture *f = *state;
	struct error err;
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/nope.db", f->dir);
	assert_null(store_open("sqlite", missing, false, 100, &err));
	assert_int_equal(err.code, ERROR_TEMPORARY);
	assert_int_equal(access(missing, F_OK), -1);
	assert_null(store_open("oracle", missing, true, 100, &err));
	assert_int_equal(err.code, ERROR_INVALID);
}

static void
test_unique_ods(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_org a = org("AAA", 0), b = org("AAA", 0);
	assert_int_equal(store_org_insert(f->st, &a, &err), 0);
	assert_int_equal(store_org_insert(f->st, &b, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
}

/* The connection's page cache, in KiB (SQLite gives it as -KiB). */
static int64_t
cache_kib(struct store *st)
{
	struct error err;
	struct store_stmt *s = store_query(st, &err, "PRAGMA cache_size", "");
	assert_non_null(s);
	assert_int_equal(store_step(st, s, &err), 1);
	int64_t v = store_col_int(st, s, 0);
	store_finish(st, s);
	return -v;
}

/*
 * Bulk mode from the first on to the last off: a delivery to a large
 * list inside a bulk load (both on the writer) must not end the load's;
 * and it lasts until the transaction its pages were changed in ends.
 */
static void
test_bulk_nests(void **state)
{
	struct fixture *f = *state;
	int64_t plain = cache_kib(f->st);
	store_bulk(f->st, true);
	int64_t wide = cache_kib(f->st);
	assert_true(wide > plain);
	store_bulk(f->st, true);
	store_bulk(f->st, false);
	assert_int_equal(cache_kib(f->st), wide);
	store_bulk(f->st, false);
	assert_int_equal(cache_kib(f->st), plain);
	store_bulk(f->st, false);	/* one off too many changes nothing */
	store_bulk(f->st, true);
	assert_int_equal(cache_kib(f->st), wide);
	store_bulk(f->st, false);
	/* Ended inside a transaction: wide until the outermost ends. */
	struct error err;
	for (int commit = 0; commit < 2; commit++) {
		assert_int_equal(store_begin(f->st, &err), 0);
		assert_int_equal(store_begin(f->st, &err), 0);
		store_bulk(f->st, true);
		assert_int_equal(store_commit(f->st, &err), 0);
		store_bulk(f->st, false);
		assert_int_equal(cache_kib(f->st), wide);
		if (commit)
			assert_int_equal(store_commit(f->st, &err), 0);
		else
			store_rollback(f->st);
		assert_int_equal(cache_kib(f->st), plain);
	}
}

static void
test_nested_transactions(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_org outer = org("OUT", 0), inner = org("INN", 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_org_insert(f->st, &outer, &err), 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_org_insert(f->st, &inner, &err), 0);
	store_rollback(f->st);	/* the savepoint only */
	assert_int_equal(store_commit(f->st, &err), 0);
	struct store_org got;
	assert_int_equal(store_org_get_by_ods(f->st, "OUT", f->arena, &got,
				 &err), 0);
	assert_int_equal(store_org_get_by_ods(f->st, "INN", f->arena, &got,
				 &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	/* A rolled-back outer transaction leaves nothing. */
	struct store_org gone = org("GONE", 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_org_insert(f->st, &gone, &err), 0);
	store_rollback(f->st);
	assert_int_equal(store_org_get_by_ods(f->st, "GONE", f->arena, &got,
				 &err), -1);
}

static void
test_subtree(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_org root = org("ROOT", 0);
	assert_int_equal(store_org_insert(f->st, &root, &err), 0);
	struct store_org c1 = org("C1", root.id);
	assert_int_equal(store_org_insert(f->st, &c1, &err), 0);
	struct store_org g1 = org("G1", c1.id);
	assert_int_equal(store_org_insert(f->st, &g1, &err), 0);
	struct store_org other = org("OTHER", 0);
	assert_int_equal(store_org_insert(f->st, &other, &err), 0);
	int64_t *ids;
	size_t n;
	assert_int_equal(store_org_subtree(f->st, root.id, f->arena, &ids, &n,
				 &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_org_subtree(f->st, c1.id, f->arena, &ids, &n,
				 &err), 0);
	assert_int_equal(n, 2);
}

static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -2;
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static const unsigned char test_audit_key[STORE_AUDIT_KEY_BYTES] = { 7 };

static void
test_audit_append_only(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_audit row = { .at = 10, .actor = "system",
		.action = "create", .object_type = "organisation",
		.object_id = 1, .org_id = 0, .summary = "{}" };
	assert_int_equal(store_audit_append(f->st, &row, test_audit_key, &err), 0);
	/* Even a direct connection cannot rewrite or remove history. */
	assert_int_equal(raw_exec(f->path, "UPDATE audit SET actor = 'x'"), -1);
	assert_int_equal(raw_exec(f->path, "DELETE FROM audit"), -1);
	struct store_audit *rows;
	size_t n;
	struct store_audit_filter filter = { .limit = 10 };
	assert_int_equal(store_audit_list(f->st, &filter, f->arena, &rows, &n,
				 &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].actor, "system");
	/* An invalid action is refused by the schema. */
	row.action = "erase";
	assert_int_equal(store_audit_append(f->st, &row, test_audit_key, &err), -1);
}

static void
test_addresses_reserved_forever(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_ref holder = { STORE_KIND_CONTACT, 7 };
	assert_int_equal(store_address_reserve(f->st, "a@x.org", holder, 5,
				 &err), 0);
	assert_int_equal(store_address_reserve(f->st, "a@x.org", holder, 6,
				 &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_int_equal(raw_exec(f->path, "DELETE FROM addresses"), -1);
	struct store_address got;
	assert_int_equal(store_address_get(f->st, "a@x.org", f->arena, &got,
				 &err), 0);
	assert_int_equal(got.holder.kind, STORE_KIND_CONTACT);
	assert_int_equal(got.holder.id, 7);
}

static void
test_read_respects_arena_cap(void **state)
{
	struct fixture *f = *state;
	struct error err;
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct store_org o = org("BIG", 0);
	o.postal_address = big;
	assert_int_equal(store_org_insert(f->st, &o, &err), 0);
	struct arena *tiny = arena_new(1024);
	struct store_org got;
	assert_int_equal(store_org_get(f->st, o.id, tiny, &got, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	arena_free(&tiny);
	/* The flag does not leak into the next read. */
	assert_int_equal(store_org_get(f->st, o.id, f->arena, &got, &err), 0);
	assert_string_equal(got.postal_address, big);
}


static int64_t
make_mailbox(struct fixture *f)
{
	struct error err;
	struct store_org o = org("MAIL", 0);
	assert_int_equal(store_org_insert(f->st, &o, &err), 0);
	struct store_mailbox m = { .kind = STORE_MAILBOX_SHARED, .org_id = o.id,
		.address = "box@x.example", .display_name = "Box",
		.quota_mb = 10, .status = STORE_MAILBOX_ACTIVE, .created_at = 1,
		.updated_at = 1 };
	assert_int_equal(store_mailbox_insert(f->st, &m, &err), 0);
	return m.id;
}

static int64_t
make_folder(struct fixture *f, int64_t mailbox_id, const char *name,
	const char *use)
{
	struct error err;
	struct store_folder folder = { .mailbox_id = mailbox_id, .name = name,
		.special_use = use, .uidvalidity = 1795000000,
		.subscribed = true, .created_at = 1 };
	assert_int_equal(store_folder_create(f->st, &folder, &err), 0);
	return folder.id;
}

static const struct store_message_meta test_meta = { "(NIL)", "(\"TEXT\")",
	"(\"TEXT\")", "Hello", "a@x", "b@x", "", "", "<1@x>", 0, 20 };

/* Stores a body (or finds the one with that hash) and returns its id. */
static int64_t
put_body(struct store *st, const char *hash, const char *body, size_t size)
{
	struct error err;
	struct store_body b = { hash, body, size, 100, &test_meta };
	int64_t id = store_body_put(st, &b, &err);
	if (id < 0)
		fail_msg("body: %s", err.msg);
	return id;
}

static struct store_delivery
delivery(int64_t body_id, size_t size, const int64_t *folders, size_t count)
{
	return (struct store_delivery){ .body_id = body_id,
		.size = (int64_t)size, .internal_date = 100,
		.folder_ids = folders, .folder_count = count,
		.sender = "a@x.example" };
}


static void
test_deliver_stores_body_once(void **state)
{
	struct fixture *f = *state;
	struct error err;
	int64_t box = make_mailbox(f);
	int64_t folders[] = { make_folder(f, box, "INBOX", "inbox"),
		make_folder(f, box, "Junk E-mail", "junk"),
		make_folder(f, box, "Archive", "") };
	/* Binary-safe: the body holds a NUL and 8-bit bytes. */
	static const char body[] = "Subject: x\r\n\r\nhi\0\xff there\r\n";
	int64_t body_id = put_body(f->st, "aa11", body, sizeof(body) - 1);
	assert_int_equal(put_body(f->st, "aa11", body, sizeof(body) - 1),
		body_id);
	struct store_delivery d = delivery(body_id, sizeof(body) - 1, folders,
		3);
	int64_t uids[3];
	assert_int_equal(store_deliver(f->st, &d, uids, &err), 0);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[1], 1);
	d.folder_count = 1;
	assert_int_equal(store_deliver(f->st, &d, uids, &err), 0);
	assert_int_equal(uids[0], 2);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM bodies"), 1);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM messages"), 4);
	int64_t used;
	assert_int_equal(store_mailbox_used(f->st, box, &used, &err), 0);
	assert_int_equal(used, 4 * (int64_t)(sizeof(body) - 1));
	const char *data;
	size_t size;
	assert_int_equal(store_body_get(f->st, body_id, f->arena, &data, &size,
				 &err), 0);
	assert_int_equal(size, sizeof(body) - 1);
	assert_memory_equal(data, body, size);
	struct store_message *msgs;
	size_t n;
	assert_int_equal(store_folder_messages(f->st, folders[0], 1, INT64_MAX,
				 100, STORE_MESSAGE_COLUMNS_ALL, f->arena,
				 &msgs, &n, &err),
		0);
	assert_int_equal(n, 2);
	assert_string_equal(msgs[1].meta.subject, "Hello");
	assert_int_equal(msgs[1].uid, 2);
	struct store_folder got;
	assert_int_equal(store_folder_special(f->st, box, "junk", f->arena, &got,
				 &err), 0);
	assert_int_equal(got.uidnext, 2);
}

static void
test_failed_delivery_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct error err;
	int64_t box = make_mailbox(f);
	int64_t folders[] = { make_folder(f, box, "INBOX", "inbox"), 9999 };
	/* The body and the rows in one transaction, as the writer runs them. */
	assert_int_equal(store_begin(f->st, &err), 0);
	struct store_delivery d = delivery(put_body(f->st, "bb22", "x", 1), 1,
		folders, 2);
	assert_int_equal(store_deliver(f->st, &d, NULL, &err), -1);
	store_rollback(f->st);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM bodies"), 0);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM messages"), 0);
	/* No UID taken: the Inbox's next is still 1. */
	assert_int_equal(raw_count(f->path,
				 "SELECT COUNT(*) FROM folder_counts"), 0);
}

struct writer_arg {
	struct store_writer *w;
	int64_t folder;
	int thread;
	int failures;
};

struct body_delivery {
	const char *hash;
	struct store_delivery d;
};

static int
deliver_job(struct store *st, void *arg, struct error *err)
{
	struct body_delivery *bd = arg;
	struct store_body b = { bd->hash, bd->hash, strlen(bd->hash), 100,
		&test_meta };
	bd->d.body_id = store_body_put(st, &b, err);
	if (bd->d.body_id < 0)
		return -1;
	return store_deliver(st, &bd->d, NULL, err);
}

static void *
writer_client(void *p)
{
	struct writer_arg *wa = p;
	for (int i = 0; i < 50; i++) {
		char hash[32];
		snprintf(hash, sizeof(hash), "h%d-%d", wa->thread, i);
		int64_t folders[] = { wa->folder };
		/* Every fifth job of thread 0 names a folder that does not exist. */
		if (wa->thread == 0 && i % 5 == 0)
			folders[0] = 999999;
		struct body_delivery bd = { hash,
			delivery(0, strlen(hash), folders, 1) };
		struct error err;
		if (store_writer_run(wa->w, deliver_job, &bd, &err) < 0)
			wa->failures++;
	}
	return NULL;
}

static void
test_writer_group_commit(void **state)
{
	struct fixture *f = *state;
	struct error err;
	int64_t box = make_mailbox(f);
	int64_t inbox = make_folder(f, box, "INBOX", "inbox");
	struct store_writer *w = store_writer_start("sqlite", f->path, 5000,
		&err);
	assert_non_null(w);
	enum { THREADS = 8 };
	pthread_t threads[THREADS];
	struct writer_arg args[THREADS];
	for (int t = 0; t < THREADS; t++) {
		args[t] = (struct writer_arg){ w, inbox, t, 0 };
		pthread_create(&threads[t], NULL, writer_client, &args[t]);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	uint64_t commits = store_writer_commits(w);
	store_writer_stop(&w);
	assert_null(w);
	assert_int_equal(args[0].failures, 10);
	for (int t = 1; t < THREADS; t++)
		assert_int_equal(args[t].failures, 0);
	/* The failed jobs left nothing; every other job is durable. */
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM messages"),
		THREADS * 50 - 10);
	assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM bodies"),
		THREADS * 50 - 10);
	assert_int_equal(raw_count(f->path,
				 "SELECT COUNT(DISTINCT uid) FROM messages"),
		THREADS * 50 - 10);
	print_message("group commit: %d jobs in %llu commits\n", THREADS * 50,
		(unsigned long long)commits);
	assert_true(commits >= 1 && commits <= THREADS * 50);
}

/* Whether s is valid UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != 0) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 :
			(*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0)
			return false;
		uint32_t cp = n == 1 ? *p : n == 2 ? *p & 0x1Fu :
			n == 3 ? *p & 0x0Fu : *p & 0x07u;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3Fu);
		}
		static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < least[n] || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n;
	}
	return true;
}

/*
 * COPY's text format (store_copy_text.c, caremail migrate onto
 * PostgreSQL): text as it is but for the four bytes that end a field or
 * start an escape; bytea as \\x and hex; NULL as \N, never confused with
 * an empty value or the text "\N".
 */
static void
test_copy_text(void **state)
{
	static const struct {
		const char *in;
		size_t size;
		bool bytes;
		const char *out;
	} cases[] = {
		{ "", 0, false, "" },
		{ "plain", 5, false, "plain" },
		{ "a\tb\nc\rd", 7, false, "a\\tb\\nc\\rd" },
		{ "\\N", 2, false, "\\\\N" },
		{ "\\.", 2, false, "\\\\." },
		{ "end\\", 4, false, "end\\\\" },
		{ "Zo\xc3\xab", 4, false, "Zo\xc3\xab" },
		{ "", 0, true, "\\\\x" },
		{ "\x00\xff\t\\", 4, true, "\\\\x00ff095c" },
	};
	char out[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = store_copy_text(out, cases[i].in, cases[i].size,
			cases[i].bytes);
		assert_true(n <= STORE_COPY_TEXT_ROOM(cases[i].size));
		out[n] = '\0';
		assert_string_equal(out, cases[i].out);
	}
	size_t n = store_copy_text(out, NULL, 0, true);
	out[n] = '\0';
	assert_string_equal(out, "\\N");
}

static void
test_next_prefix(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 20);
	static const struct {
		const char *prefix, *want;	/* want NULL: no bound */
	} cases[] = {
		{ "n:smi", "n:smj" }, { "a", "b" }, { "az", "a{" },
		{ "a~", "a\x7f" },
		{ "\x7f", "\xc2\x80" },				/* U+007F */
		{ "n:\xc3\xa9", "n:\xc3\xaa" },			/* é -> ê */
		{ "\xc3\xbf", "\xc4\x80" },			/* U+00FF */
		{ "\xdf\xbf", "\xe0\xa0\x80" },			/* U+07FF */
		{ "\xed\x9f\xbf", "\xee\x80\x80" },	/* U+D7FF: no surrogates */
		{ "\xef\xbf\xbf", "\xf0\x90\x80\x80" },		/* U+FFFF */
		{ "a\xf4\x8f\xbf\xbf", "b" },			/* U+10FFFF dropped */
		{ "a\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf", "b" },
		{ "\xf4\x8f\xbf\xbf", NULL }, { "", NULL },
		/* Cut inside a code point, or not UTF-8: by bytes. */
		{ "a\xc3", "a\xc4" }, { "a\xe2\x82", "a\xe2\x83" },
		{ "a\xff", "b" }, { "\xff\xff", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *bound = (char *)"unset";
		int rc = store_next_prefix(cases[i].prefix, a, &bound);
		if (cases[i].want == NULL) {
			assert_int_equal(rc, 0);
			assert_null(bound);
			continue;
		}
		assert_int_equal(rc, 1);
		assert_string_equal(bound, cases[i].want);
		if (utf8_valid(cases[i].prefix))
			assert_true(utf8_valid(bound));
	}
	/*
	 * The property the search relies on: over many texts, t starts
	 * with p exactly when p <= t < bound, compared bytewise.
	 */
	static const char *const texts[] = { "", "a", "b", "az", "a{", "a\x7f",
		"n:smi", "n:smith", "n:smj", "n:sm", "n:smi\xf4\x8f\xbf\xbf",
		"n:\xc3\xa9", "n:\xc3\xa9t\xc3\xa9", "n:\xc3\xaa", "n:\xc3\xa8z",
		"\xed\x9f\xbf", "\xed\x9f\xbfx", "\xee\x80\x80",
		"\xef\xbf\xbf", "\xef\xbf\xbf\xef\xbf\xbf", "\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf\x61", "a\xc3\xa9", "a\xc4",
		"a\xe2\x82\xac", "a\xe2\x83\x80", "\x7f", "\xc2\x80" };
	size_t n = sizeof(texts) / sizeof(texts[0]);
	for (size_t i = 0; i < n; i++) {
		char *bound;
		int rc = store_next_prefix(texts[i], a, &bound);
		assert_true(rc >= 0);
		size_t plen = strlen(texts[i]);
		for (size_t j = 0; j < n; j++) {
			bool has = strncmp(texts[j], texts[i], plen) == 0;
			bool in = strcmp(texts[j], texts[i]) >= 0 &&
				(rc == 0 || strcmp(texts[j], bound) < 0);
			if (has != in)
				fail_msg("prefix '%s', text '%s'", texts[i],
					texts[j]);
		}
	}
	arena_free(&a);
}

static void
test_like_contains(void **state)
{
	struct fixture *f = *state;
	struct error err;
	assert_string_equal(store_like_contains("abc", f->arena), "%abc%");
	assert_string_equal(store_like_contains("", f->arena), "%%");
	assert_string_equal(store_like_contains("50%_x\\", f->arena),
		"%50\\%\\_x\\\\%");
	/*
	 * The pattern matches just what a plain substring test does (the
	 * instr() it replaced), whatever wildcards or case the text has.
	 */
	static const char *const names[] = { "Leeds General", "50% Care",
		"Under_score", "back\\slash", "NHS Trust", "caf\xc3\xa9",
		"CAF\xc3\x89", "a%b", "" };
	static const char *const texts[] = { "leeds", "LEEDS", "%", "_",
		"\\", "50%", "r_s", "e_s", "", "caf\xc3\xa9", "\xc3\x89",
		"a%b", "a_b", "%%", "nhs trust" };
	assert_true(store_exec(f->st, &err, "CREATE TEMP TABLE names (n TEXT)",
			    "") >= 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(store_exec(f->st, &err,
				    "INSERT INTO names (n) VALUES (?)", "t",
				    names[i]) == 1);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *pattern = store_like_contains(texts[i], f->arena);
		struct store_stmt *s = store_query(f->st, &err,
			"SELECT (SELECT COUNT(*) FROM names"
			"  WHERE lower(n) LIKE lower(?) ESCAPE '\\'),"
			" (SELECT COUNT(*) FROM names"
			"  WHERE instr(lower(n), lower(?)) > 0)", "tt", pattern,
			texts[i]);
		assert_non_null(s);
		assert_int_equal(store_step(f->st, s, &err), 1);
		if (store_col_int(f->st, s, 0) != store_col_int(f->st, s, 1))
			fail_msg("'%s': LIKE %lld, instr %lld", texts[i],
				(long long)store_col_int(f->st, s, 0),
				(long long)store_col_int(f->st, s, 1));
		store_finish(f->st, s);
	}
}

/* How many of t's rows are in the id set (the statement's ? and marker). */
static int64_t
ids_in(struct store *st, const int64_t *ids, size_t count)
{
	struct error err;
	struct store_stmt *s = store_query(st, &err,
		"SELECT ?, (SELECT COUNT(*) FROM ids WHERE id IN " STORE_ID_SET
		"), ?", "iIi", (int64_t)7, ids, count, (int64_t)9);
	assert_non_null(s);
	assert_int_equal(store_step(st, s, &err), 1);
	/* The parameters either side keep their places. */
	assert_int_equal(store_col_int(st, s, 0), 7);
	assert_int_equal(store_col_int(st, s, 2), 9);
	int64_t n = store_col_int(st, s, 1);
	store_finish(st, s);
	return n;
}

static void
test_set_hook(void **state)
{
	struct fixture *f = *state;
	struct error err;
	assert_true(store_exec(f->st, &err,
			    "CREATE TEMP TABLE ids (id INTEGER PRIMARY KEY)",
			    "") >= 0);
	assert_true(store_exec(f->st, &err,
			    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
			    " SELECT i + 1 FROM n WHERE i < 100000)"
			    " INSERT INTO ids SELECT i FROM n", "") == 100000);
	assert_true(store_exec(f->st, &err, "INSERT INTO ids VALUES (?), (?)",
			    "ii", INT64_MIN, INT64_MAX) == 2);
	/* Empty sets, NULL or not, match nothing. */
	assert_int_equal(ids_in(f->st, NULL, 0), 0);
	int64_t one = 5;
	assert_int_equal(ids_in(f->st, &one, 0), 0);
	assert_int_equal(ids_in(f->st, &one, 1), 1);
	static const int64_t odd[] = { 3, 3, -1, 0, 100001, INT64_MIN,
		INT64_MAX, 99999 };
	assert_int_equal(ids_in(f->st, odd, sizeof(odd) / sizeof(odd[0])), 4);
	/* Any size binds as one parameter. */
	size_t big = 200000;
	int64_t *many = malloc(big * sizeof(*many));
	assert_non_null(many);
	for (size_t i = 0; i < big; i++)
		many[i] = (int64_t)(big - i);	/* 200000 .. 1 */
	assert_int_equal(ids_in(f->st, many, big), 100000);
	free(many);

	/* Text sets: each value matches itself and nothing else. */
	static const char *const texts[] = { "plain", "quote\"d", "back\\",
		"tab\there", "nl\nx", "\x1fsep", "caf\xc3\xa9", "", " ",
		"\\u0041", "[1,2]" };
	size_t n = sizeof(texts) / sizeof(texts[0]);
	assert_true(store_exec(f->st, &err, "CREATE TEMP TABLE words (w TEXT)",
			    "") >= 0);
	for (size_t i = 0; i < n; i++)
		assert_true(store_exec(f->st, &err,
				    "INSERT INTO words VALUES (?)", "t",
				    texts[i]) == 1);
	assert_true(store_exec(f->st, &err,
			    "INSERT INTO words VALUES ('A'), ('Plain'),"
			    " ('quote'), ('back'), ('CAF\xc3\xa9')", "") == 5);
	for (size_t i = 0; i <= n; i++) {
		/* Every prefix of the list: 0 .. n values. */
		struct store_stmt *s = store_query(f->st, &err,
			"SELECT COUNT(*), COUNT(DISTINCT w) FROM words"
			" WHERE w IN " STORE_TEXT_SET, "T", texts, i);
		assert_non_null(s);
		assert_int_equal(store_step(f->st, s, &err), 1);
		assert_int_equal(store_col_int(f->st, s, 0), (int64_t)i);
		store_finish(f->st, s);
	}
}

/* GREATEST, which the SQLite driver provides, with PostgreSQL's rule. */
static void
test_greatest(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_stmt *s = store_query(f->st, &err,
		"SELECT GREATEST(1, 5, 3), GREATEST(NULL, 2, NULL),"
		" GREATEST(NULL, NULL) IS NULL, GREATEST(?, ?), GREATEST(?, ?),"
		" GREATEST(0, 7 - 9), GREATEST(2, 2.5) > 2",
		"iiii", INT64_MIN, INT64_MAX, INT64_MAX - 1, INT64_MAX);
	assert_non_null(s);
	assert_int_equal(store_step(f->st, s, &err), 1);
	assert_int_equal(store_col_int(f->st, s, 0), 5);
	assert_int_equal(store_col_int(f->st, s, 1), 2);
	assert_int_equal(store_col_int(f->st, s, 2), 1);
	assert_true(store_col_int(f->st, s, 3) == INT64_MAX);
	/* Compared as integers, not doubles, which cannot tell these apart. */
	assert_true(store_col_int(f->st, s, 4) == INT64_MAX);
	assert_int_equal(store_col_int(f->st, s, 5), 0);
	assert_int_equal(store_col_int(f->st, s, 6), 1);
	store_finish(f->st, s);
}

/*
 * The queue's lease (issue 11): a claim takes due rows once; a second
 * runner gets nothing until the lease ends (the holder's heartbeat moves
 * that end on, never back), then takes them; only the holder's outcome is
 * written; a released row is due again; retry makes a waiting row due,
 * never a finished one.
 */
static void
test_queue_claim_lease(void **state)
{
	struct fixture *f = *state;
	struct error err;
	int64_t box = make_mailbox(f);
	int64_t folders[] = { make_folder(f, box, "INBOX", "inbox") };
	const char *remote[] = { "a@far.example", "b@far.example",
		"c@later.example" };
	int64_t body_id = put_body(f->st, "qq11", "x", 1);
	struct store_delivery d = delivery(body_id, 1, folders, 1);
	assert_int_equal(store_deliver(f->st, &d, NULL, &err), 0);
	/* Outside addresses are queued as delivery queues them: by the set. */
	int64_t delivered;
	assert_int_equal(store_set_begin(f->st, &err), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(store_set_add_remote(f->st, 1, remote[i], "",
					 "", &err), 0);
	assert_int_equal(store_deliver_set(f->st, 1, &d, &delivered, &err), 0);
	assert_int_equal(delivered, 0);
	assert_int_equal(store_set_drop(f->st, -1, &err), 0);
	assert_int_equal(store_exec(f->st, &err, "UPDATE queue SET"
		" next_attempt_at = 500 WHERE recipient = 'c@later.example'",
		""), 1);
	struct arena *a = arena_new(1 << 20);
	struct store_queued *q;
	size_t n;
	assert_int_equal(store_queue_claim(f->st, "r1", 200, 300, 10, a, &q,
				 &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(q[0].status, STORE_QUEUE_IN_FLIGHT);
	assert_string_equal(q[0].claimed_by, "r1");
	assert_null(q[0].dkim_signature);
	int64_t first = q[0].id;
	/* Held: nobody else gets them while the lease runs. */
	assert_int_equal(store_queue_claim(f->st, "r2", 299, 400, 10, a, &q,
				 &n, &err), 0);
	assert_int_equal(n, 0);
	/* r1's heartbeat: its lease moves on, never back, only its rows. */
	int64_t extended = 0;
	assert_int_equal(store_queue_extend(f->st, "r1", 350, &extended,
				 &err), 0);
	assert_int_equal(extended, 2);
	assert_int_equal(store_queue_claim(f->st, "r2", 340, 400, 10, a, &q,
				 &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_queue_extend(f->st, "r1", 250, &extended,
				 &err), 0);
	assert_int_equal(store_queue_claim(f->st, "r2", 340, 400, 10, a, &q,
				 &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_queue_extend(f->st, "r9", 999, &extended,
				 &err), 0);
	assert_int_equal(extended, 0);
	/* The lease ran out (r1 died): r2 takes both. */
	assert_int_equal(store_queue_claim(f->st, "r2", 350, 400, 10, a, &q,
				 &n, &err), 0);
	assert_int_equal(n, 2);
	/* r1's late outcome is not written over r2's claim. */
	struct store_queue_outcome o = { .id = first,
		.status = STORE_QUEUE_DELIVERED, .attempts = 1,
		.finished_at = 301 };
	bool written = true;
	assert_int_equal(store_queue_finish(f->st, "r1", &o, &written, &err),
		0);
	assert_false(written);
	assert_int_equal(store_queue_finish(f->st, "r2", &o, &written, &err),
		0);
	assert_true(written);
	/* r2 stops: its other row is due again at once. */
	assert_int_equal(store_queue_release(f->st, "r2", &err), 0);
	assert_int_equal(store_queue_claim(f->st, "r3", 301, 400, 10, a, &q,
				 &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(q[0].id != first);
	/* Retry all: the delivered row is left; the later one is due now. */
	int64_t changed = 0;
	assert_int_equal(store_queue_retry(f->st, 0, 302, &changed, &err), 0);
	assert_int_equal(changed, 2);
	assert_int_equal(store_queue_get(f->st, first, a, q, &err), 0);
	assert_int_equal(q[0].status, STORE_QUEUE_DELIVERED);
	assert_int_equal(store_queue_delete(f->st, first, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	/* The signature is set once for every row of the message. */
	assert_int_equal(store_queue_set_signature(f->st, body_id,
				 "a@x.example", 100, "DKIM-Signature: a\r\n", &err),
		0);
	assert_int_equal(store_queue_set_signature(f->st, body_id,
				 "a@x.example", 100, "", &err), 0);
	assert_int_equal(store_queue_list(f->st, 0, 10, false, a, &q, &n,
				 &err), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(q[i].dkim_signature,
			"DKIM-Signature: a\r\n");
	struct store_queue_counts counts;
	assert_int_equal(store_queue_counts(f->st, &counts, &err), 0);
	assert_int_equal(counts.waiting, 2);
	assert_true(counts.deferred <= counts.waiting);
	assert_true(counts.oldest_at > 0);
	arena_free(&a);
}

static int64_t
rows_of(const struct store_backup_info *info, const char *table)
{
	for (size_t i = 0; i < STORE_BACKUP_TABLES; i++) {
		if (strcmp(info->counts[i].table, table) == 0)
			return info->counts[i].rows;
	}
	fail_msg("no count for %s", table);
	return -1;
}

/*
 * An online backup is one moment of the store: a writer with a
 * transaction open on another connection neither blocks it nor shows in
 * it, and the copy holds exactly what its counts say. A target that
 * exists is refused and left alone.
 */
static void
test_backup_is_one_moment(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_org a = org("BAK1", 0), b = org("BAK2", 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_org_insert(f->st, &a, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);

	struct store *writer = store_open("sqlite", f->path, false, 1000, &err);
	assert_non_null(writer);
	assert_int_equal(store_begin(writer, &err), 0);
	assert_int_equal(store_org_insert(writer, &b, &err), 0);

	char copy[160];
	snprintf(copy, sizeof(copy), "%s/copy.db", f->dir);
	struct store_backup_info info;
	assert_int_equal(store_backup(f->st, copy, &info, &err), 0);
	assert_int_equal(store_commit(writer, &err), 0);
	store_close(&writer);
	assert_int_equal(info.schema_version, store_schema_latest());
	assert_int_equal(rows_of(&info, "orgs"), 1);

	/* One file: no -wal beside it, and it opens as a store. */
	char side[180];
	snprintf(side, sizeof(side), "%s-wal", copy);
	assert_int_equal(access(side, F_OK), -1);
	struct store *restored = store_open("sqlite", copy, false, 1000, &err);
	assert_non_null(restored);
	struct store_backup_info again;
	assert_int_equal(store_backup_count_rows(restored, &again, &err), 0);
	assert_int_equal(rows_of(&again, "orgs"), 1);
	store_close(&restored);
	assert_int_equal(store_backup_count_rows(f->st, &again, &err), 0);
	assert_int_equal(rows_of(&again, "orgs"), 2);

	assert_int_equal(store_backup(f->st, copy, &info, &err), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	restored = store_open("sqlite", copy, false, 1000, &err);
	assert_non_null(restored);
	assert_int_equal(store_backup_count_rows(restored, &again, &err), 0);
	assert_int_equal(rows_of(&again, "orgs"), 1);
	store_close(&restored);
}

/*
 * store_read_begin: the reads until store_read_end see one moment, a
 * writer's commit on another connection notwithstanding; nested, the
 * outer one holds it; a store_begin inside ends it, and what follows sees
 * the store as it is (bench B5, B9).
 */
static void
test_read_is_one_moment(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_org a = org("RD1", 0), b = org("RD2", 0), c = org("RD3", 0);
	struct store_backup_info info;
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_org_insert(f->st, &a, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);

	assert_int_equal(store_read_begin(f->st, &err), 0);
	assert_int_equal(store_backup_count_rows(f->st, &info, &err), 0);
	assert_int_equal(rows_of(&info, "orgs"), 1);
	struct store *writer = store_open("sqlite", f->path, false, 1000, &err);
	assert_non_null(writer);
	assert_int_equal(store_begin(writer, &err), 0);
	assert_int_equal(store_org_insert(writer, &b, &err), 0);
	assert_int_equal(store_commit(writer, &err), 0);
	store_close(&writer);
	assert_int_equal(store_backup_count_rows(f->st, &info, &err), 0);
	assert_int_equal(rows_of(&info, "orgs"), 1);
	/* Nested: the inner end leaves the outer read as it was. */
	assert_int_equal(store_read_begin(f->st, &err), 0);
	store_read_end(f->st);
	assert_int_equal(store_backup_count_rows(f->st, &info, &err), 0);
	assert_int_equal(rows_of(&info, "orgs"), 1);
	/* A write inside ends the read: it and what follows see both. */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_org_insert(f->st, &c, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	assert_int_equal(store_backup_count_rows(f->st, &info, &err), 0);
	assert_int_equal(rows_of(&info, "orgs"), 3);
	store_read_end(f->st);
	store_read_end(f->st);	/* one too many: nothing to end */
	assert_int_equal(store_read_begin(f->st, &err), 0);
	assert_int_equal(store_backup_count_rows(f->st, &info, &err), 0);
	assert_int_equal(rows_of(&info, "orgs"), 3);
	store_read_end(f->st);
	/* A transaction's own reads are already one moment: nothing added. */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_read_begin(f->st, &err), 0);
	store_read_end(f->st);
	assert_int_equal(store_commit(f->st, &err), 0);
}

/* A session as store_session_find reads it, for the memory's tests. */
static struct session_cached
remembered(int64_t session_id, int64_t person_id, int64_t noted)
{
	struct session_cached c = { .roles = "7 100 local_admin",
		.noted = noted };
	c.session = (struct store_session){ .id = session_id,
		.token_hash = "ab", .csrf_token = "csrf",
		.person_id = person_id, .created_at = 100,
		.last_seen_at = 200 };
	c.person = (struct store_person){ .id = person_id,
		.address = "ann@x.nhs.uk", .first_name = "Ann",
		.last_name = "Ay", .display_name = "Ann Ay", .job_title = "",
		.department = "", .phone = "", .mobile = "", .notes = "",
		.sync_id = NULL, .protocols_off = "" };
	c.signin = (struct store_signin){ .mfa_secret = "" };
	return c;
}

/*
 * The memory's race (test_session_cache_race): the database's version of
 * person 42, and the newest version whose forgetting has returned.
 */
struct session_race {
	const char *tok;
	_Atomic int64_t version;
	_Atomic int64_t forgotten;
	atomic_bool stop;
};

/* Requests reading the session from the database and keeping it. */
static void *
race_fill(void *arg)
{
	struct session_race *r = arg;
	while (!atomic_load(&r->stop)) {
		uint64_t mark = session_cache_mark();
		struct session_cached c = remembered(1, 42,
			atomic_load(&r->version));
		session_cache_put(mark, r->tok, &c);
	}
	return NULL;
}

/* Another node's changes, each then heard (or this node's own). */
static void *
race_change(void *arg)
{
	struct session_race *r = arg;
	for (int64_t k = 1; k <= 20000; k++) {
		atomic_store(&r->version, k);
		if (k % 2 == 0)
			session_cache_heard("p42");
		else
			session_cache_forget_person(42);
		atomic_store(&r->forgotten, k);
		/* Quiet a moment, so fills are kept and reads find them. */
		for (int64_t until = clock_monotonic_us() + 20;
		     clock_monotonic_us() < until;)
			;
	}
	atomic_store(&r->stop, true);
	return NULL;
}

/*
 * Forgetting against filling, at once on several threads: a read that
 * begins after a change's forgetting has returned never gets what was
 * read before the change (the review's race of 2026-12-06: an epoch
 * moved outside the lock let such a fill stay good). The version rides
 * in the remembered row's noted field.
 */
static void
test_session_cache_race(void **state)
{
	(void)state;
	struct session_race r = { .tok = "0123456789abcdef0123456789abcdef"
					 "0123456789abcdef0123456789abcdef" };
	int pair[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	store_session_cache_set(60);
	session_cache_listening(pair[0]);
	session_cache_alive_until(clock_monotonic_ms() + 600000);
	pthread_t fill[2], change;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&fill[i], NULL, race_fill, &r),
			0);
	assert_int_equal(pthread_create(&change, NULL, race_change, &r), 0);
	struct arena *a = arena_new(1 << 20);
	long hits = 0, stale = 0;
	while (!atomic_load(&r.stop)) {
		int64_t floor = atomic_load(&r.forgotten);
		struct session_cached got;
		if (session_cache_get(r.tok, a, &got)) {
			hits++;
			stale += got.noted < floor;
		}
		arena_reset(a);
	}
	pthread_join(change, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(fill[i], NULL);
	arena_free(&a);
	store_session_cache_set(0);
	session_cache_listening(-1);
	close(pair[0]);
	close(pair[1]);
	if (stale > 0)
		fail_msg("%ld of %ld reads got a session read before a change "
			"already forgotten", stale, hits);
	assert_true(hits > 0);
}

/*
 * The memory of sessions (store_session_cache.c): what it keeps is given
 * back whole, and every way of forgetting, by notification or by this
 * node, sends the next read to the database.
 */
static void
test_session_cache(void **state)
{
	(void)state;
	const char *tok = "0123456789abcdef0123456789abcdef"
			  "0123456789abcdef0123456789abcdef";
	const char *other = "f123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef";
	struct arena *a = arena_new(1 << 20);
	struct session_cached got, c = remembered(7, 42, 5);
	int pair[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	store_session_cache_set(60);
	/* No listener: nothing kept, nothing given. */
	session_cache_put(session_cache_mark(), tok, &c);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_listening(pair[0]);
	/* A listener not known to be caught up: nothing used. */
	session_cache_put(session_cache_mark(), tok, &c);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_alive_until(clock_monotonic_ms() + 600000);
	assert_true(session_cache_get(tok, a, &got));
	assert_int_equal(got.session.id, 7);
	assert_int_equal(got.person.id, 42);
	assert_string_equal(got.person.display_name, "Ann Ay");
	assert_string_equal(got.session.csrf_token, "csrf");
	assert_null(got.person.sync_id);
	assert_string_equal(got.roles, "7 100 local_admin");
	assert_int_equal(got.noted, 5);
	assert_false(session_cache_get(other, a, &got));
	/* An arena at its cap: asked of the database, which says why. */
	struct arena *tiny = arena_new(16);
	assert_false(session_cache_get(tok, tiny, &got));
	arena_free(&tiny);
	assert_true(session_cache_get(tok, a, &got));
	/* A moved last-seen time is kept. */
	session_cache_touch(7, 300);
	assert_true(session_cache_get(tok, a, &got));
	assert_int_equal(got.session.last_seen_at, 300);
	/* A notification naming the person, and no other, forgets it. */
	session_cache_heard("p43");
	assert_true(session_cache_get(tok, a, &got));
	session_cache_heard("p42");
	assert_false(session_cache_get(tok, a, &got));
	/* A read begun before a forgetting is not kept. */
	uint64_t mark = session_cache_mark();
	session_cache_heard("p99");
	session_cache_put(mark, tok, &c);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_put(session_cache_mark(), tok, &c);
	assert_true(session_cache_get(tok, a, &got));
	/* "*", or anything not understood, forgets everything. */
	session_cache_heard("*");
	assert_false(session_cache_get(tok, a, &got));
	session_cache_put(session_cache_mark(), tok, &c);
	session_cache_heard("p12x");
	assert_false(session_cache_get(tok, a, &got));
	/* This node's own ending of the session, or of the person's. */
	session_cache_put(session_cache_mark(), tok, &c);
	session_cache_forget_session(8);
	assert_true(session_cache_get(tok, a, &got));
	session_cache_forget_session(7);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_put(session_cache_mark(), tok, &c);
	session_cache_forget_person(42);
	assert_false(session_cache_get(tok, a, &got));
	/* Bytes the listener has not read yet: asked afresh until it has. */
	session_cache_put(session_cache_mark(), tok, &c);
	assert_int_equal(write(pair[1], "x", 1), 1);
	assert_false(session_cache_get(tok, a, &got));
	char byte;
	assert_int_equal(read(pair[0], &byte, 1), 1);
	assert_true(session_cache_get(tok, a, &got));
	/* Taken off the socket but not yet heard: asked afresh too. */
	session_cache_reading(true);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_reading(false);
	assert_true(session_cache_get(tok, a, &got));
	/* The listener silent past its last round trip: nothing used. */
	session_cache_alive_until(clock_monotonic_ms() - 1);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_alive_until(clock_monotonic_ms() + 600000);
	assert_true(session_cache_get(tok, a, &got));
	/* The listener lost: nothing used, and nothing after it is back. */
	session_cache_listening(-1);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_listening(pair[0]);
	session_cache_alive_until(clock_monotonic_ms() + 600000);
	assert_false(session_cache_get(tok, a, &got));
	/*
	 * The feed's newest note heard only ever grows, and starts again
	 * with each connection of the listener (another database's, maybe).
	 */
	session_cache_heard("n100000");
	session_cache_heard("n99999");
	assert_int_equal(session_cache_newest_heard(), 100000);
	session_cache_note_newest(100001);
	assert_int_equal(session_cache_newest_heard(), 100001);
	session_cache_listening(pair[0]);
	assert_int_equal(session_cache_newest_heard(), 0);
	/* Kept no longer than the age set. */
	store_session_cache_set(1);
	session_cache_alive_until(clock_monotonic_ms() + 600000);
	session_cache_put(session_cache_mark(), tok, &c);
	assert_true(session_cache_get(tok, a, &got));
	usleep(1100 * 1000);
	assert_false(session_cache_get(tok, a, &got));
	/* Off: nothing kept. */
	store_session_cache_set(0);
	session_cache_put(session_cache_mark(), tok, &c);
	assert_false(session_cache_get(tok, a, &got));
	session_cache_listening(-1);
	close(pair[0]);
	close(pair[1]);
	arena_free(&a);
}


/*
 * What a node hears of sign-ins (store_signins.h): the newest time a
 * person's, kept until taken into the copy and not after, unless heard
 * anew meanwhile; the epoch moves before anything is forgotten; and the
 * copy is complete only under the listener's connection it caught up
 * under.
 */
static void
test_signins_heard(void **state)
{
	(void)state;
	/* Nothing is kept until a copy wants it. */
	signins_keep(false);
	signins_heard(42, 1700000100);
	assert_int_equal(signins_count(), 0);
	signins_keep(true);
	assert_true(signins_heard_text("42 1700000100"));
	/* An announced time far ahead of the clock is refused. */
	char ahead[64];
	snprintf(ahead, sizeof(ahead), "43 %lld", (long long)time(NULL) + 3600);
	assert_false(signins_heard_text(ahead));
	assert_int_equal(signins_of(43), 0);
	signins_heard(42, 1700000050);	/* an older one crossed it */
	signins_heard(7, 1700000000);
	assert_int_equal(signins_of(42), 1700000100);
	assert_int_equal(signins_of(7), 1700000000);
	assert_int_equal(signins_of(8), 0);
	static const char *const bad[] = { "", "42", "42 ", " 1", "x 1",
		"42 1x", "0 5", "5 0", "-1 5", "42  1", "1234567890123456789 1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(signins_heard_text(bad[i]));
	/* Many, past the table's first size. */
	for (int64_t id = 1000; id < 5000; id++)
		signins_heard(id, id);
	struct signin_heard *taken;
	size_t n = signins_take(&taken);
	assert_int_equal(n, 4002);
	for (size_t i = 1; i < n; i++)
		assert_true(taken[i - 1].person_id < taken[i].person_id);
	/* Heard anew between taking and taken: kept. */
	signins_heard(42, 1700000200);
	uint64_t epoch = signins_epoch();
	signins_taken(taken, n);
	free(taken);
	assert_true(signins_epoch() != epoch);
	assert_int_equal(signins_of(42), 1700000200);
	assert_int_equal(signins_of(7), 0);
	assert_int_equal(signins_of(4999), 0);
	n = signins_take(&taken);
	assert_int_equal(n, 1);
	free(taken);
	/* Complete only under the connection caught up under. */
	signins_listening(false);
	assert_false(signins_complete());
	assert_int_equal(signins_behind(), 0);
	signins_listening(true);
	uint64_t first = signins_behind();
	assert_true(first != 0);
	assert_false(signins_complete());
	signins_caught_up(first);
	assert_true(signins_complete());
	assert_int_equal(signins_behind(), 0);
	signins_listening(false);	/* lost, and back */
	signins_listening(true);
	assert_false(signins_complete());
	assert_true(signins_behind() != first);
	signins_caught_up(first);	/* a catch-up begun before the loss */
	assert_false(signins_complete());
	signins_caught_up(signins_behind());
	assert_true(signins_complete());
	signins_uncaught();	/* the copy made again */
	assert_false(signins_complete());
	signins_keep(false);
	assert_int_equal(signins_count(), 0);
	signins_listening(false);
}

/*
 * The copy's race (test_signins_race): sign-ins of person 42 heard in
 * order, the newest heard before a read began, and the copy's own time
 * (what the copy's thread wrote into it before taking what it heard).
 */
struct signins_race {
	_Atomic int64_t published, copied;
	atomic_bool stop;
	bool ignore_epoch;	/* the reader without the epoch: must fail */
};

/* Sign-ins announced, each heard before it is published. */
static void *
race_hear(void *arg)
{
	struct signins_race *r = arg;
	for (int64_t k = 1; k <= 200000; k++) {
		signins_heard(42, k);
		atomic_store(&r->published, k);
	}
	atomic_store(&r->stop, true);
	return NULL;
}

/* The copy's thread: what is heard written into the copy, then taken. */
static void *
race_take(void *arg)
{
	struct signins_race *r = arg;
	while (!atomic_load(&r->stop)) {
		struct signin_heard *items;
		size_t n = signins_take(&items);
		for (size_t i = 0; i < n; i++)
			if (items[i].person_id == 42 &&
			    items[i].at > atomic_load(&r->copied))
				atomic_store(&r->copied, items[i].at);
		signins_taken(items, n);
		free(items);
	}
	return NULL;
}

/* Reads as store_finder_person_record does: stale ones counted. */
static long
signins_race_run(bool ignore_epoch, long *reads_r)
{
	struct signins_race r = { .ignore_epoch = ignore_epoch };
	signins_keep(true);
	pthread_t hear, take;
	assert_int_equal(pthread_create(&hear, NULL, race_hear, &r), 0);
	assert_int_equal(pthread_create(&take, NULL, race_take, &r), 0);
	long reads = 0, stale = 0;
	while (!atomic_load(&r.stop)) {
		int64_t floor = atomic_load(&r.published);
		uint64_t epoch = signins_epoch();
		int64_t copied = atomic_load(&r.copied);
		/* The copy's statement takes a while: the window widened. */
		for (volatile int spin = 0; spin < 500; spin++)
			;
		int64_t heard = signins_of(42);
		if (!r.ignore_epoch && signins_epoch() != epoch)
			continue;	/* read again */
		reads++;
		stale += (heard > copied ? heard : copied) < floor;
	}
	pthread_join(hear, NULL);
	pthread_join(take, NULL);
	signins_keep(false);
	*reads_r = reads;
	return stale;
}

/*
 * A record read from the copy adds the newest sign-in heard; the copy's
 * thread writes what is heard into the copy and then forgets it. A read
 * that checks the epoch around both never shows a sign-in older than one
 * heard before it began; one that does not is caught showing them (so
 * the test can fail), on threads as the node runs them.
 */
static void
test_signins_race(void **state)
{
	(void)state;
	long reads, stale = signins_race_run(false, &reads);
	if (stale > 0)
		fail_msg("%ld of %ld reads showed a sign-in older than one "
			"heard before they began", stale, reads);
	assert_true(reads > 0);
	long unguarded = 0;
	for (int i = 0; i < 20 && unguarded == 0; i++)
		unguarded = signins_race_run(true, &reads);
	assert_true(unguarded > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_request_connections_map_only_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bulk_keeps_journals_in_memory_until_it_ends, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_bulk_nests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_is_one_moment,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_is_one_moment,
			setup, teardown),
		cmocka_unit_test(test_migration_12_keeps_every_message),
		cmocka_unit_test(test_migration_makes_standard_folders),
		cmocka_unit_test_setup_teardown(
			test_nested_begin_after_engine_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_and_unknown_backend,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_ods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_subtree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_only, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_addresses_reserved_forever,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_respects_arena_cap, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_deliver_stores_body_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_queue_claim_lease, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_failed_delivery_leaves_nothing,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_group_commit, setup,
			teardown),
		cmocka_unit_test(test_next_prefix),
		cmocka_unit_test(test_copy_text),
		cmocka_unit_test_setup_teardown(test_like_contains, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_set_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_greatest, setup, teardown),
		cmocka_unit_test(test_session_cache),
		cmocka_unit_test(test_session_cache_race),
		cmocka_unit_test(test_signins_heard),
		cmocka_unit_test(test_signins_race),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
