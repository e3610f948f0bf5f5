/*
 * The SQLite backend: WAL journal, foreign keys on, full fsync on commit,
 * and a per-connection cache of prepared statements keyed by the address of
 * the SQL literal. Layer: store. The only file that includes sqlite3.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_backend.h"
#include "store/store_internal.h"
#include "store/store_search.h"

/*
 * SQLite keeps memory statistics by default, behind one process-wide lock
 * every allocation in every thread takes; nothing here reads them, and
 * turning them off made API reads ~35 % cheaper (bench B9). Must run
 * before SQLite initialises, so before the first open.
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void
sqlite_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#define SQLITE_CACHE_SLOTS 128
/*
 * The most of the file a connection maps (see store_sqlite_open): 2 GiB,
 * the most Debian's SQLite maps (SQLITE_MAX_MMAP_SIZE).
 */
#define SQLITE_MAP_SIZE "2147418112"

struct store_stmt {
	sqlite3_stmt *stmt;
	const char *sql;	/* the literal this was prepared from */
	bool in_use;
	bool cached;
	/*
	 * The first failed bind, reported by the next step: a bind that
	 * fails for want of memory leaves its parameter NULL, and a lookup
	 * would then find nothing ("no such mailbox", a 5xx) or an insert
	 * break a NOT NULL rule, where the truth is "try again".
	 */
	int bind_rc;
	struct sqlite_conn *conn;
	/*
	 * An "INSERT ... VALUES (...) RETURNING id" of one row, prepared
	 * without its RETURNING: SQLite buffers RETURNING rows in a
	 * temporary table made and dropped per execution (some 5 % of a
	 * bulk import's CPU, bench B6), where the new row's id is
	 * sqlite3_last_insert_rowid. rowid_given: that row was stepped.
	 */
	bool rowid_only, rowid_given;
	int64_t rowid;
};

struct sqlite_conn {
	sqlite3 *db;
	struct store_stmt cache[SQLITE_CACHE_SLOTS];
	size_t cache_used;
	uint64_t vm_steps;	/* of the statements finished (store_work) */
	bool journals_in_memory;	/* temp_store=MEMORY for a bulk load */
};

extern const char *const store_sqlite_migrations[];
extern const char store_sqlite_session_tables[];

static int
sqlite_error(struct error *err, sqlite3 *db, int rc, const char *what)
{
	int primary = rc & 0xff;
	if (primary == SQLITE_CONSTRAINT) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return error_set(err, ERROR_EXISTS,
				"that already exists (%s)", sqlite3_errmsg(db));
		return error_set(err, ERROR_INVALID,
			"the change breaks a rule of the store (%s)",
			sqlite3_errmsg(db));
	}
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return error_set(err, ERROR_TEMPORARY,
			"storage error: the database is busy (in %s); try again "
			"later", what);
	/*
	 * A full disk is its own error, so SMTP can answer 452 4.3.1: SQLite
	 * says SQLITE_FULL when a write fails with ENOSPC, but an fsync or
	 * truncate that fails the same way arrives as an SQLITE_IOERR whose
	 * system errno is ENOSPC (or EDQUOT on a file-system quota).
	 */
	int sys = sqlite3_system_errno(db);
	if (primary == SQLITE_FULL ||
	    (primary == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT)))
		return error_set(err, ERROR_NO_SPACE,
			"the server's disk is full: %s (%s)", sqlite3_errmsg(db),
			what);
	/*
	 * SECURITY.md 26: a database that cannot be opened, read or written
	 * — gone, unreadable, damaged, out of memory — is a fault of ours
	 * that an operator fixes, never the client's: every caller must be
	 * able to tell it from "wrong password" or "no such user", and every
	 * front end answers it as "try again later" (IMAP UNAVAILABLE, POP3
	 * SYS/TEMP, SMTP 4xx, HTTP 503), so mail is deferred rather than
	 * bounced and no failure is counted against a person.
	 */
	if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR ||
	    primary == SQLITE_READONLY ||
	    primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ||
	    primary == SQLITE_NOMEM || primary == SQLITE_PERM ||
	    primary == SQLITE_PROTOCOL || primary == SQLITE_NOLFS ||
	    primary == SQLITE_AUTH)
		return error_set(err, ERROR_TEMPORARY,
			"storage error: the database cannot be used just now "
			"(%s in %s, code %d); try again later",
			sqlite3_errmsg(db), what, rc);
	/* What is left (SQL errors, misuse, ranges) is a bug of ours. */
	return error_set(err, ERROR_INTERNAL, "store error: %s (%s)",
		sqlite3_errmsg(db), what);
}

/*
 * caremail_search_keys(first, last, display, job_title): a person's
 * People Finder keys (store_search_keys) space-separated, for the
 * migration that indexes the people already stored.
 */
static void
sqlite_search_keys(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
	const char *text[4] = { "", "", "", "" };
	for (int i = 0; i < argc && i < 4; i++) {
		const unsigned char *t = sqlite3_value_text(argv[i]);
		if (t != NULL)
			text[i] = (const char *)t;
	}
	struct arena *a = arena_new(1024 * 1024);
	char **keys;
	size_t count;
	struct str out;
	str_init(&out, a, 512 * 1024);
	int rc = store_search_keys(text[0], text[1], text[2], text[3], a,
		&keys, &count);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if ((i > 0 && str_append_char(&out, ' ') < 0) ||
		    str_append_cstr(&out, keys[i]) < 0)
			rc = -1;
	}
	if (rc < 0)
		sqlite3_result_error_toobig(sc);
	else
		sqlite3_result_text(sc, str_cstr(&out), -1, SQLITE_TRANSIENT);
	arena_free(&a);
}

/*
 * caremail_search_sort(last, first): a person's sort name
 * (store_search_sort), for the migration that sorts the people already
 * stored.
 */
static void
sqlite_search_sort(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
	const char *text[2] = { "", "" };
	for (int i = 0; i < argc && i < 2; i++) {
		const unsigned char *t = sqlite3_value_text(argv[i]);
		if (t != NULL)
			text[i] = (const char *)t;
	}
	struct arena *a = arena_new(64 * 1024);
	const char *sort = store_search_sort(text[0], text[1], a);
	if (sort == NULL)
		sqlite3_result_error_toobig(sc);
	else
		sqlite3_result_text(sc, sort, -1, SQLITE_TRANSIENT);
	arena_free(&a);
}

/*
 * greatest(a, b, ...): the largest argument, NULLs left out (NULL if all
 * are), as PostgreSQL's GREATEST, which the typed operations use where
 * SQLite alone would take a scalar max(a, b).
 */
static void
sqlite_greatest(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
	sqlite3_value *best = NULL;
	for (int i = 0; i < argc; i++) {
		sqlite3_value *v = argv[i];
		if (sqlite3_value_type(v) == SQLITE_NULL)
			continue;
		bool ints = sqlite3_value_numeric_type(v) == SQLITE_INTEGER &&
			(best == NULL ||
			 sqlite3_value_numeric_type(best) == SQLITE_INTEGER);
		if (best == NULL || (ints ?
			    sqlite3_value_int64(v) > sqlite3_value_int64(best) :
			    sqlite3_value_double(v) > sqlite3_value_double(best)))
			best = v;
	}
	if (best == NULL)
		sqlite3_result_null(sc);
	else
		sqlite3_result_value(sc, best);
}

static void *
sqlite_open(const char *path, bool create, int busy_timeout_ms,
	struct error *err)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (create) {
		/*
		 * The store holds password hashes: make the file owner-only
		 * before SQLite creates it (its -wal and -shm files copy the
		 * database file's mode).
		 */
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			0600);
		if (fd >= 0)
			close(fd);
		flags |= SQLITE_OPEN_CREATE;
	}
	pthread_once(&sqlite_once, sqlite_configure);
	int rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		/* SECURITY.md 26, as sqlite_error words it. */
		error_set(err, ERROR_TEMPORARY, "storage error: the database "
			"cannot be opened just now (%s: %s); try again later",
			path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_timeout_ms);
	/*
	 * synchronous=FULL: a commit is on stable storage when it returns,
	 * which the audit trail and, later, SMTP's 250 rely on.
	 */
	/*
	 * mmap_size: pages of the database file are read from a shared
	 * map of the OS page cache instead of copied by pread into each
	 * connection's own small cache (bench B5: the copies were a fifth
	 * of a People Finder search's CPU). 2 GiB is the most Debian's
	 * SQLite maps (SQLITE_MAX_MMAP_SIZE); the rest of a larger file
	 * is read as before. Writes still go through write(), and pages
	 * in the WAL are read from it, so durability is unchanged.
	 */
	/*
	 * temp_store=FILE: the working sets of a delivery to a large list
	 * (store_expand.c), and the sorts and unions over them, go in a
	 * temporary file behind a page cache of SQLite's usual 2 MB, not in
	 * memory that only grows: a 532,000-member list left 275 MiB in
	 * the process with MEMORY, and 17 MiB with FILE, for the same CPU
	 * (bench/RESULTS.md, B2 and B8, 2026-12-04). The file is unlinked
	 * and in the page cache, so it costs no disk seek.
	 */
	static const char setup[] = "PRAGMA journal_mode=WAL;"
				    "PRAGMA synchronous=FULL;"
				    "PRAGMA foreign_keys=ON;"
				    "PRAGMA temp_store=FILE;"
				    "PRAGMA mmap_size=" SQLITE_MAP_SIZE ";";
	char *msg = NULL;
	if (sqlite3_exec(db, setup, NULL, NULL, &msg) != SQLITE_OK) {
		error_set(err, ERROR_TEMPORARY, "storage error: the database "
			"cannot be opened just now (%s: %s); try again later",
			path, msg != NULL ? msg : "unknown error");
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	if (sqlite3_create_function_v2(db, "caremail_search_keys", 4,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
		    sqlite_search_keys, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "caremail_search_sort", 2,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
		    sqlite_search_sort, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "greatest", -1,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
		    sqlite_greatest, NULL, NULL, NULL) != SQLITE_OK) {
		error_set(err, ERROR_INTERNAL, "cannot set up the store %s: %s",
			path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	struct sqlite_conn *conn = xcalloc(1, sizeof(*conn));
	conn->db = db;
	return conn;
}

static void
sqlite_close(void *c)
{
	struct sqlite_conn *conn = c;
	for (size_t i = 0; i < conn->cache_used; i++)
		sqlite3_finalize(conn->cache[i].stmt);
	sqlite3_close(conn->db);
	free(conn);
}

static int
sqlite_exec(void *c, const char *sql, struct error *err)
{
	struct sqlite_conn *conn = c;
	int rc = sqlite3_exec(conn->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlite_error(err, conn->db, sqlite3_extended_errcode(conn->db),
			"exec");
	return 0;
}

/* SQLite's spelling of STORE_ID_SET and STORE_TEXT_SET: a JSON array. */
#define SQLITE_SET "(SELECT value FROM json_each(?))"
static const char sqlite_set[] = SQLITE_SET;

/*
 * sql with the markers (store_backend.h) in SQLite's spelling, in
 * malloc'd memory into *copy_r; NULL there when sql has none. -1 for
 * want of memory.
 */
static int
sqlite_dialect(const char *sql, char **copy_r)
{
	static const char *const markers[][2] = {
		{ STORE_ID_SET, sqlite_set },
		{ STORE_TEXT_SET, sqlite_set },
		{ STORE_IN_TEXTS, " IN " SQLITE_SET },
		{ STORE_JOINED, "group_concat" },
	};
	*copy_r = NULL;
	if (strchr(sql, '{') == NULL)
		return 0;
	size_t n = strlen(sql);
	/* Each marker is at least 7 bytes and becomes at most sqlite_set + 4. */
	char *out = malloc(n + (n / 7 + 1) * (sizeof(sqlite_set) + 4) + 1);
	if (out == NULL)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t len = 0, m = 0;
		for (; m < sizeof(markers) / sizeof(markers[0]); m++) {
			len = strlen(markers[m][0]);
			if (strncmp(sql + i, markers[m][0], len) == 0)
				break;
		}
		if (m == sizeof(markers) / sizeof(markers[0])) {
			out[o++] = sql[i++];
			continue;
		}
		size_t with = strlen(markers[m][1]);
		memcpy(out + o, markers[m][1], with);
		o += with;
		i += len;
	}
	out[o] = '\0';
	*copy_r = out;
	return 0;
}

static const char returning_id[] = " RETURNING id";

/*
 * Whether sql inserts exactly one row, never updates one, and returns the
 * rowid alias "id": then the id is sqlite3_last_insert_rowid. Anything
 * else (ON CONFLICT, OR REPLACE, INSERT ... SELECT, several VALUES rows)
 * keeps SQLite's own RETURNING.
 */
static bool
sqlite_rowid_only(const char *sql)
{
	size_t n = strlen(sql), tail = sizeof(returning_id) - 1;
	return strncmp(sql, "INSERT INTO ", 12) == 0 && n > tail &&
		strcmp(sql + n - tail, returning_id) == 0 &&
		strstr(sql, "ON CONFLICT") == NULL &&
		strstr(sql, "SELECT") == NULL &&
		strstr(sql, "), (") == NULL && strstr(sql, "),(") == NULL;
}

static struct store_stmt *
sqlite_prepare(void *c, const char *sql, struct error *err)
{
	struct sqlite_conn *conn = c;
	for (size_t i = 0; i < conn->cache_used; i++) {
		struct store_stmt *s = &conn->cache[i];
		if (s->sql == sql && !s->in_use) {
			s->in_use = true;
			s->bind_rc = SQLITE_OK;
			return s;
		}
	}
	char *copy;
	if (sqlite_dialect(sql, &copy) < 0) {
		error_set(err, ERROR_TEMPORARY,
			"storage error: out of memory; try again later");
		return NULL;
	}
	const char *text = copy != NULL ? copy : sql;
	bool rowid_only = sqlite_rowid_only(text);
	int length = rowid_only ?
		(int)(strlen(text) - (sizeof(returning_id) - 1)) : -1;
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v3(conn->db, text, length,
		SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	free(copy);
	if (rc != SQLITE_OK) {
		sqlite_error(err, conn->db, rc, "prepare");
		return NULL;
	}
	struct store_stmt *s;
	if (conn->cache_used < SQLITE_CACHE_SLOTS) {
		s = &conn->cache[conn->cache_used++];
		s->cached = true;
	} else {
		s = xcalloc(1, sizeof(*s));
		s->cached = false;
	}
	s->stmt = stmt;
	s->sql = sql;
	s->in_use = true;
	s->bind_rc = SQLITE_OK;
	s->conn = conn;
	s->rowid_only = rowid_only;
	s->rowid_given = false;
	return s;
}

static void
bind_result(struct store_stmt *s, int rc)
{
	if (rc != SQLITE_OK && s->bind_rc == SQLITE_OK)
		s->bind_rc = rc;
}

static void
sqlite_bind_int(struct store_stmt *s, int index, int64_t value)
{
	bind_result(s, sqlite3_bind_int64(s->stmt, index, value));
}

static void
sqlite_bind_text(struct store_stmt *s, int index, const char *text)
{
	if (text == NULL)
		bind_result(s, sqlite3_bind_null(s->stmt, index));
	else
		bind_result(s, sqlite3_bind_text(s->stmt, index, text, -1,
				       SQLITE_TRANSIENT));
}

static void
sqlite_bind_null(struct store_stmt *s, int index)
{
	bind_result(s, sqlite3_bind_null(s->stmt, index));
}

static void
sqlite_bind_blob(struct store_stmt *s, int index, const void *data,
	size_t size)
{
	bind_result(s, sqlite3_bind_blob64(s->stmt, index, data, size,
			       SQLITE_STATIC));
}

static void
sqlite_bind_zeroblob(struct store_stmt *s, int index, size_t size)
{
	sqlite3_bind_zeroblob64(s->stmt, index, size);
}

/*
 * A set as the JSON array json_each reads: ids as numbers, texts as
 * strings with '"', '\\' and control characters escaped. The text is
 * handed to SQLite, which frees it.
 */
static void
sqlite_bind_set(struct store_stmt *s, int index, const int64_t *ids,
	const char *const *texts, size_t count)
{
	size_t need = 3;
	for (size_t i = 0; i < count; i++) {
		if (ids != NULL) {
			need += 21;	/* "-9223372036854775808," */
			continue;
		}
		need += 3;
		for (const char *p = texts[i]; *p != '\0'; p++)
			need += (unsigned char)*p < 0x20 ? 6 :
				*p == '"' || *p == '\\' ? 2 : 1;
	}
	char *out = malloc(need);
	if (out == NULL) {
		bind_result(s, SQLITE_NOMEM);
		return;
	}
	size_t o = 0;
	out[o++] = '[';
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			out[o++] = ',';
		if (ids != NULL) {
			o += (size_t)snprintf(out + o, need - o, "%lld",
				(long long)ids[i]);
			continue;
		}
		out[o++] = '"';
		for (const char *p = texts[i]; *p != '\0'; p++) {
			unsigned char c = (unsigned char)*p;
			if (c < 0x20) {
				o += (size_t)snprintf(out + o, need - o,
					"\\u%04x", c);
				continue;
			}
			if (c == '"' || c == '\\')
				out[o++] = '\\';
			out[o++] = (char)c;
		}
		out[o++] = '"';
	}
	out[o++] = ']';
	out[o] = '\0';
	bind_result(s, sqlite3_bind_text64(s->stmt, index, out, o, free,
			       SQLITE_UTF8));
}

static void
sqlite_bind_ids(struct store_stmt *s, int index, const int64_t *ids,
	size_t count)
{
	static const int64_t none[1];
	sqlite_bind_set(s, index, ids != NULL ? ids : none, NULL,
		ids != NULL ? count : 0);
}

static void
sqlite_bind_texts(struct store_stmt *s, int index, const char *const *texts,
	size_t count)
{
	static const char *const none[1];
	sqlite_bind_set(s, index, NULL, texts != NULL ? texts : none,
		texts != NULL ? count : 0);
}

/* Pieces small enough that SQLite's page cache, not a buffer, holds them. */
#define SQLITE_BLOB_PIECE (1024 * 1024)

/* Writes src, or reads into dst (whichever is not NULL), a piece at a time. */
static int
sqlite_blob_io(struct sqlite_conn *conn, const char *table, const char *column,
	int64_t rowid, const char *src, char *dst, size_t size,
	struct error *err)
{
	sqlite3_blob *blob;
	int rc = sqlite3_blob_open(conn->db, "main", table, column, rowid,
		src != NULL ? 1 : 0, &blob);
	if (rc != SQLITE_OK)
		return sqlite_error(err, conn->db, rc, "blob open");
	if ((size_t)sqlite3_blob_bytes(blob) < size) {
		sqlite3_blob_close(blob);
		return error_set(err, ERROR_INTERNAL,
			"the stored body is shorter than its record says");
	}
	for (size_t done = 0; rc == SQLITE_OK && done < size;) {
		size_t n = size - done < SQLITE_BLOB_PIECE ? size - done :
							       SQLITE_BLOB_PIECE;
		rc = src != NULL ?
			sqlite3_blob_write(blob, src + done, (int)n, (int)done) :
			sqlite3_blob_read(blob, dst + done, (int)n, (int)done);
		done += n;
	}
	int close_rc = sqlite3_blob_close(blob);
	if (rc == SQLITE_OK)
		rc = close_rc;
	return rc == SQLITE_OK ? 0 :
		sqlite_error(err, conn->db, rc, src != NULL ? "blob write" :
							      "blob read");
}

static int
sqlite_blob_write(void *c, const char *table, const char *column,
	int64_t rowid, const void *data, size_t size, struct error *err)
{
	return sqlite_blob_io(c, table, column, rowid, data, NULL, size, err);
}

static int
sqlite_blob_read(void *c, const char *table, const char *column,
	int64_t rowid, void *buf, size_t size, struct error *err)
{
	return sqlite_blob_io(c, table, column, rowid, NULL, buf, size, err);
}

static const void *
sqlite_column_blob(struct store_stmt *s, int index, size_t *size_r)
{
	const void *data = sqlite3_column_blob(s->stmt, index);
	*size_r = (size_t)sqlite3_column_bytes(s->stmt, index);
	/*
	 * SQLite answers NULL for an empty BLOB too: only SQL NULL is NULL
	 * here, or a copy (caremail migrate) turns empty values into NULL.
	 */
	if (data == NULL && sqlite3_column_type(s->stmt, index) != SQLITE_NULL)
		return "";
	return data;
}

static int
sqlite_step(struct store_stmt *s, struct error *err)
{
	if (s->bind_rc != SQLITE_OK)
		return sqlite_error(err, s->conn->db, s->bind_rc, "bind");
	if (s->rowid_given)
		return 0;	/* the one row of an insert's RETURNING id */
	int rc = sqlite3_step(s->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE && s->rowid_only &&
	    sqlite3_changes64(s->conn->db) == 1) {
		s->rowid = sqlite3_last_insert_rowid(s->conn->db);
		s->rowid_given = true;
		return 1;
	}
	if (rc == SQLITE_DONE)
		return 0;
	return sqlite_error(err, s->conn->db, sqlite3_extended_errcode(s->conn->db),
		"step");
}

static int64_t
sqlite_column_int(struct store_stmt *s, int index)
{
	if (s->rowid_given)
		return index == 0 ? s->rowid : 0;
	return sqlite3_column_int64(s->stmt, index);
}

static const char *
sqlite_column_text(struct store_stmt *s, int index)
{
	return (const char *)sqlite3_column_text(s->stmt, index);
}

static void
sqlite_defer_maintenance(void *c)
{
	struct sqlite_conn *conn = c;
	sqlite3_wal_autocheckpoint(conn->db, 0);
}

static int
sqlite_maintain(void *c, struct error *err)
{
	struct sqlite_conn *conn = c;
	int rc = sqlite3_wal_checkpoint_v2(conn->db, NULL,
		SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		return sqlite_error(err, conn->db, rc, "checkpoint");
	return 0;
}

/*
 * The text in column 0 of each row of sql (with ?1 the table, when given)
 * into *list_r, and column 1's truth into *flags_r when flags_r is set.
 */
static int
sqlite_catalog(struct sqlite_conn *conn, const char *sql, const char *table,
	struct arena *a, const char ***list_r, bool **flags_r, size_t *count_r,
	struct error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return sqlite_error(err, conn->db, rc, "catalog");
	if (table != NULL)
		sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	size_t n = 0, cap = 0, fcap = 0, fn = 0;
	*list_r = NULL;
	if (flags_r != NULL)
		*flags_r = NULL;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char **slot = arena_array_push(a, (void **)list_r, &n,
			&cap, sizeof(*slot));
		const char *text = (const char *)sqlite3_column_text(stmt, 0);
		*slot = arena_strdup(a, text != NULL ? text : "");
		if (flags_r != NULL) {
			bool *flag = arena_array_push(a, (void **)flags_r, &fn,
				&fcap, sizeof(*flag));
			*flag = sqlite3_column_int(stmt, 1) != 0;
		}
	}
	sqlite3_finalize(stmt);
	*count_r = n;
	return rc == SQLITE_DONE ? 0 : sqlite_error(err, conn->db, rc,
		"catalog");
}

static int
sqlite_tables(void *c, struct arena *a, struct store_table **t_r,
	size_t *count_r, struct error *err)
{
	struct sqlite_conn *conn = c;
	const char **names;
	size_t n;
	if (sqlite_catalog(conn, "SELECT name FROM sqlite_master"
		    " WHERE type = 'table' AND name NOT LIKE 'sqlite!_%'"
		    " ESCAPE '!' ORDER BY name", NULL, a, &names, NULL, &n,
		    err) < 0)
		return -1;
	struct store_table *t = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		t[i].name = names[i];
		if (sqlite_catalog(conn, "SELECT name, upper(type) = 'BLOB'"
			    " FROM pragma_table_info(?1) ORDER BY cid",
			    names[i], a, &t[i].columns, &t[i].bytes,
			    &t[i].column_count, err) < 0 ||
		    sqlite_catalog(conn, "SELECT name FROM"
			    " pragma_table_info(?1) WHERE pk > 0 ORDER BY pk",
			    names[i], a, &t[i].keys, NULL, &t[i].key_count,
			    err) < 0 ||
		    sqlite_catalog(conn, "SELECT DISTINCT \"table\" FROM"
			    " pragma_foreign_key_list(?1)", names[i], a,
			    &t[i].parents, NULL, &t[i].parent_count, err) < 0)
			return -1;
	}
	*t_r = t;
	*count_r = n;
	return 0;
}

/* SQLite's next rowid is the largest plus one already. */
static int
sqlite_ids_follow(void *c, const char *table, struct error *err)
{
	(void)c;
	(void)table;
	(void)err;
	return 0;
}

/* The connection's own page cache, in KiB (cache_size < 0 counts KiB). */
static void
sqlite_cache(void *c, size_t kib)
{
	struct sqlite_conn *conn = c;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%zu", kib);
	sqlite3_exec(conn->db, sql, NULL, NULL, NULL);
}

/*
 * A bulk load begun outside a transaction (an import, dir_import.c) keeps
 * its savepoints' and statements' journals in memory, by temp_store=MEMORY
 * while it lasts: SQLite chooses where they go when a write transaction
 * begins. With temp_store=FILE (store_sqlite_open) it keeps such a journal
 * in memory only up to 64 KiB, then moves it to a temporary file, where it
 * stays until the transaction ends. An import's savepoint for a person
 * passes 64 KiB, so from its first person on every page any person's
 * savepoint changed was also written to the file: 53 writes a person, and
 * bench B6's 100,000 people took 15-20 s instead of 10-12 (found by
 * bisecting to temp_store=FILE, 2026-12-07). In memory, a journal lasts
 * one savepoint: SQLite empties it when the last savepoint ends.
 *
 * A larger limit for all (SQLITE_CONFIG_STMTJRNL_SPILL) cannot be had:
 * SQLite 3.40 moves a journal to its file in chunks as large as the
 * limit, each in one write that its unix layer cuts at 128 KiB, and then
 * reports the disk full (an 8 MiB limit made test_limits' delivery to a
 * list of tens of thousands fail).
 *
 * Changing temp_store drops the connection's temporary tables, so its
 * working sets are made again each way (store_sqlite_session_tables).
 * Either failing (a read left open across the bulk end; no memory) leaves
 * the connection marked, and the next bulk end tries again; a delivery
 * on it meanwhile fails, retried by its sender, rather than keep a large
 * list's working sets in memory.
 */
static void
sqlite_journals_in_memory(struct sqlite_conn *conn, bool on)
{
	int rc = sqlite3_exec(conn->db, on ? "PRAGMA temp_store=MEMORY" :
		"PRAGMA temp_store=FILE", NULL, NULL, NULL);
	if (sqlite3_exec(conn->db, store_sqlite_session_tables, NULL, NULL,
		    NULL) != SQLITE_OK) {
		log_warn("store.working_sets_failed", "reason=\"%s\"",
			sqlite3_errmsg(conn->db));
		rc = SQLITE_ERROR;
	}
	conn->journals_in_memory = on || rc != SQLITE_OK;
}

/*
 * A bulk load's page cache: 64 MiB, against SQLite's default 2 MB. The
 * pages a transaction changes must fit until its commit: once they do
 * not, SQLite writes some to the log in the middle of the transaction
 * and reads them back at their next change. An import's transactions
 * fit; a delivery to a large list asks for more (store_bulk_cache). At
 * its end (outside a transaction: store_bulk) the pages SQLite frees are
 * given back to the system: freed one by one, they are scattered through
 * the heap, which the C library would otherwise keep (test_limits: 11 MiB
 * kept after two large lists). Begun outside a transaction, its journals
 * are kept in memory too (above).
 */
static void
sqlite_bulk(void *c, bool on)
{
	struct sqlite_conn *conn = c;
	sqlite_cache(c, on ? 65536 : 2000);
	if (on && sqlite3_get_autocommit(conn->db))
		sqlite_journals_in_memory(conn, true);
	else if (!on && conn->journals_in_memory)
		sqlite_journals_in_memory(conn, false);
	if (!on)
		malloc_trim(0);
}

/*
 * mmap_size 0 unmaps the file while no page of it is held (and is kept
 * until the map is needed again otherwise); the map comes back, lazily,
 * with the size store_sqlite_open gave it.
 */
static void
sqlite_unmapped(void *c, bool on)
{
	struct sqlite_conn *conn = c;
	sqlite3_exec(conn->db, on ? "PRAGMA mmap_size = 0" :
		"PRAGMA mmap_size = " SQLITE_MAP_SIZE, NULL, NULL, NULL);
}

/*
 * The online backup API, stepped once over every page: all of it is read
 * inside the caller's snapshot transaction, so the copy is one moment of
 * the store however busy the writers are (WAL readers do not block them,
 * and they do not restart a backup that reads through the same
 * connection's open transaction). The copy then leaves WAL for a plain
 * rollback journal, so it is one file with no -wal beside it, and
 * PRAGMA quick_check reads every page of it back.
 */
static int
sqlite_backup_copy(sqlite3 *src, sqlite3 *dest, struct error *err)
{
	sqlite3_backup *b = sqlite3_backup_init(dest, "main", src, "main");
	if (b == NULL)
		return sqlite_error(err, dest, sqlite3_extended_errcode(dest),
			"backup");
	int rc = sqlite3_backup_step(b, -1);
	int finish = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return sqlite_error(err, src, rc, "backup");
	if (finish != SQLITE_OK)
		return sqlite_error(err, dest, finish, "backup");
	if (sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", NULL, NULL,
		    NULL) != SQLITE_OK)
		return sqlite_error(err, dest, sqlite3_extended_errcode(dest),
			"backup journal mode");
	sqlite3_stmt *check = NULL;
	if (sqlite3_prepare_v2(dest, "PRAGMA quick_check", -1, &check,
		    NULL) != SQLITE_OK)
		return sqlite_error(err, dest, sqlite3_extended_errcode(dest),
			"backup check");
	rc = sqlite3_step(check);
	const unsigned char *verdict = rc == SQLITE_ROW ?
		sqlite3_column_text(check, 0) : NULL;
	if (verdict == NULL || strcmp((const char *)verdict, "ok") != 0)
		error_set(err, ERROR_INTERNAL, "the copy of the store does not "
			"pass quick_check: %s", verdict != NULL ?
			(const char *)verdict : sqlite3_errmsg(dest));
	sqlite3_finalize(check);
	return verdict != NULL && strcmp((const char *)verdict, "ok") == 0 ?
		0 : -1;
}

static int
sqlite_backup(void *c, const char *dest_path, struct error *err)
{
	struct sqlite_conn *conn = c;
	/* Owner-only before SQLite writes a byte: it holds password hashes. */
	int fd = open(dest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set(err, errno == EEXIST ? ERROR_EXISTS :
			ERROR_TEMPORARY, "cannot make %s: %s", dest_path,
			strerror(errno));
	close(fd);
	sqlite3 *dest = NULL;
	int rc = sqlite3_open_v2(dest_path, &dest,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error_set(err, ERROR_TEMPORARY, "cannot open %s: %s",
			dest_path, dest != NULL ? sqlite3_errmsg(dest) :
			"out of memory");
	} else {
		sqlite3_extended_result_codes(dest, 1);
		rc = sqlite_backup_copy(conn->db, dest, err) < 0 ?
			SQLITE_ERROR : SQLITE_OK;
	}
	if (sqlite3_close(dest) != SQLITE_OK && rc == SQLITE_OK) {
		error_set(err, ERROR_TEMPORARY, "cannot close %s", dest_path);
		rc = SQLITE_ERROR;
	}
	if (rc == SQLITE_OK)
		return 0;
	unlink(dest_path);
	char side[4096];
	snprintf(side, sizeof(side), "%s-journal", dest_path);
	unlink(side);
	return -1;
}

static bool
sqlite_in_transaction(void *c)
{
	struct sqlite_conn *conn = c;
	return sqlite3_get_autocommit(conn->db) == 0;
}

static int64_t
sqlite_changes(void *c)
{
	struct sqlite_conn *conn = c;
	return sqlite3_changes64(conn->db);
}

static uint64_t
sqlite_work(void *c)
{
	struct sqlite_conn *conn = c;
	return conn->vm_steps;
}

static void
sqlite_finish(struct store_stmt *s)
{
	s->conn->vm_steps += (uint64_t)sqlite3_stmt_status(s->stmt,
		SQLITE_STMTSTATUS_VM_STEP, 1);
	if (!s->cached) {
		sqlite3_finalize(s->stmt);
		free(s);
		return;
	}
	sqlite3_reset(s->stmt);
	sqlite3_clear_bindings(s->stmt);
	s->in_use = false;
	s->rowid_given = false;
}

/*
 * The text index (store_backend.h "text_"): body_text is an FTS5 table
 * with the trigram tokenizer, case-sensitive since its texts and the
 * words are folded already (migration 33). A phrase of three characters
 * or more is an exact substring test: each run of three characters is
 * found at consecutive positions. The word is one quoted phrase, its '"'
 * doubled, so nothing in it is read as query syntax. The index's rows
 * for it, no more than ?5 of them, are read once (MATERIALIZED): counted,
 * and, unless there are ?5 (the caller then reads the folder first, and
 * the join would be wasted: the count is a constant, tested before the
 * loop), each looked up in messages_body (the '+' keeps SQLite off the
 * folder's UID index). IN, not a join: joined, SQLite may build a Bloom
 * filter of messages first, a read of every message of the store (6-10
 * ms for 250,000 messages, seen in the bench).
 */
static char *
sqlite_text_pattern(const char *word, struct arena *a)
{
	return store_quote(word, '"', "\"", '"', a);
}

#define SQLITE_TEXT_FIND(column)                                          \
	"WITH hits AS MATERIALIZED (SELECT rowid AS id FROM body_text"    \
	" WHERE body_text MATCH " column " LIMIT ?5)"                     \
	" SELECT 0, count(*) FROM hits UNION ALL"                         \
	" SELECT 1, m.uid FROM messages m"                                \
	" WHERE m.body_id IN (SELECT id FROM hits)"                       \
	" AND (SELECT count(*) FROM hits) < ?5"                           \
	" AND +m.folder_id = ?1 AND +m.uid BETWEEN ?2 AND ?3"             \
	" ORDER BY 1, 2"

/*
 * The folder first: its messages by (folder_id, uid), each body's texts
 * read by rowid from the index's content and searched for the word itself
 * (?4 is the word here, not the phrase; CROSS JOIN keeps messages
 * outermost). instr is the substring test the trigram phrase answers, and
 * about a hundred times cheaper a message than FTS5 asked for one rowid
 * and the phrase at once, which opens every run's entry in every segment
 * of the index for each message (bench/RESULTS.md, 2026-12-05).
 */
#define SQLITE_TEXT_SCAN(where)                                           \
	"SELECT m.uid FROM messages m CROSS JOIN body_text"               \
	" ON body_text.rowid = m.body_id WHERE m.folder_id = ?1"          \
	" AND m.uid BETWEEN ?2 AND ?3 AND " where " ORDER BY m.uid"

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.exec = sqlite_exec,
	.prepare = sqlite_prepare,
	.bind_int = sqlite_bind_int,
	.bind_text = sqlite_bind_text,
	.bind_null = sqlite_bind_null,
	.bind_blob = sqlite_bind_blob,
	.bind_zeroblob = sqlite_bind_zeroblob,
	.bind_ids = sqlite_bind_ids,
	.bind_texts = sqlite_bind_texts,
	.step = sqlite_step,
	.column_int = sqlite_column_int,
	.column_text = sqlite_column_text,
	.column_blob = sqlite_column_blob,
	.blob_write = sqlite_blob_write,
	.blob_read = sqlite_blob_read,
	.in_transaction = sqlite_in_transaction,
	.changes = sqlite_changes,
	.finish = sqlite_finish,
	.work = sqlite_work,
	.defer_maintenance = sqlite_defer_maintenance,
	.maintain = sqlite_maintain,
	.bulk = sqlite_bulk,
	.unmapped = sqlite_unmapped,
	.cache = sqlite_cache,
	.tables = sqlite_tables,
	.ids_follow = sqlite_ids_follow,
	.defer_keys = "PRAGMA defer_foreign_keys = ON",
	.begin_write = "BEGIN IMMEDIATE",
	.begin_snapshot = "BEGIN",
	.backup = sqlite_backup,
	.session_tables = store_sqlite_session_tables,
	.migrations = store_sqlite_migrations,
	.text_pattern = sqlite_text_pattern,
	.text_find_body = SQLITE_TEXT_FIND("('body : ' || ?4)"),
	.text_find_text = SQLITE_TEXT_FIND("?4"),
	.text_scan_body = SQLITE_TEXT_SCAN("instr(body_text.body, ?4) > 0"),
	.text_scan_text = SQLITE_TEXT_SCAN("(instr(body_text.header, ?4) > 0"
		" OR instr(body_text.body, ?4) > 0)"),
	.text_put = "INSERT INTO body_text (rowid, header, body)"
		" VALUES (?, ?, ?)",
	.free_bytes = "SELECT f.freelist_count * p.page_size"
		" FROM pragma_freelist_count() f, pragma_page_size() p",
};
