/*
 * What a storage backend implements: a connection, prepared statements with
 * positional parameters, and rows. The typed operations in store_*.c are
 * written once against these primitives, so a new backend (PostgreSQL via
 * libpq) adds one file and touches no caller. Layer: store, private.
 * docs/design.md "What a store driver must provide" lists the SQL the
 * typed operations use and what each backend spells its own way.
 */
#ifndef STORE_BACKEND_H
#define STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;
struct store;
struct store_stmt;

/*
 * A set of values bound as one parameter, for "x IN " STORE_ID_SET in a
 * typed operation's SQL: prepare turns the marker into the backend's own
 * form (SQLite: a json_each of a JSON array; PostgreSQL: unnest of an
 * array), so a set of any size is one cached statement, and no typed
 * operation spells a backend's set function. The marker holds the
 * parameter's '?', which keeps its place in the parameter order.
 */
#define STORE_ID_SET "{ids ?}"
#define STORE_TEXT_SET "{texts ?}"

/*
 * "x" STORE_IN_TEXTS: x is one of a set of texts, as "x IN "
 * STORE_TEXT_SET, for a filter tested on every row a statement reads
 * rather than a set joined: PostgreSQL tests it as x = ANY(array), in the
 * row's own step, where the IN's subquery was a join against every row
 * (B8: 1.6 million people read, a second of the expansion's 3 s on
 * PostgreSQL). SQLite reads both the same way.
 */
#define STORE_IN_TEXTS "{in texts ?}"

/*
 * An aggregate: the texts of an expression over the rows joined by a
 * separator, NULL when there are none, in no promised order, written
 * STORE_JOINED "(expression, separator)" (SQLite's group_concat,
 * PostgreSQL's string_agg).
 */
#define STORE_JOINED "{joined}"

/*
 * One table as the engine's catalog describes it, for copying a store
 * from one backend to another (store_copy.c): its columns in order, which
 * hold bytes, its primary key, and the tables its foreign keys name.
 */
struct store_table {
	const char *name;
	const char **columns;
	bool *bytes;
	size_t column_count;
	const char **keys;
	size_t key_count;
	const char **parents;
	size_t parent_count;
};

/*
 * The channel a backend shared by several processes carries change notes
 * on (store_change.c), and what its listener hears: one payload at a time.
 */
#define STORE_CHANGE_CHANNEL "caremail_change"
/* The one the directory's triggers announce on (store_session_cache.h). */
#define STORE_DIRECTORY_CHANNEL "caremail_directory"
/* The one sign-in times are announced on (store_signins.h). */
#define STORE_SIGNIN_CHANNEL "caremail_signins"
typedef void store_heard_fn(void *arg, const char *payload);

struct store_ops {
	const char *name;
	/* Opens conn_r from a backend-specific location. */
	void *(*open)(const char *path, bool create, int busy_timeout_ms,
		struct error *err);
	void (*close)(void *conn);
	/* Runs SQL without parameters or rows (DDL, BEGIN, SAVEPOINT). */
	int (*exec)(void *conn, const char *sql, struct error *err);
	/*
	 * A statement for sql, which the typed operations pass as a string
	 * literal, so a backend may cache by the pointer. The backend spells
	 * STORE_ID_SET and STORE_TEXT_SET its own way (and, if it must, '?').
	 */
	struct store_stmt *(*prepare)(void *conn, const char *sql,
		struct error *err);
	void (*bind_int)(struct store_stmt *s, int index, int64_t value);
	void (*bind_text)(struct store_stmt *s, int index, const char *text);
	void (*bind_null)(struct store_stmt *s, int index);
	void (*bind_blob)(struct store_stmt *s, int index, const void *data,
		size_t size);
	/*
	 * A BLOB of `size` zero bytes that takes no memory to bind: the row
	 * is made at its final size and its bytes written after with
	 * blob_write, so a large message is never built whole in memory.
	 */
	void (*bind_zeroblob)(struct store_stmt *s, int index, size_t size);
	/*
	 * The set at a STORE_ID_SET or STORE_TEXT_SET marker: count ids, or
	 * count texts (NUL-terminated, compared as they are). Empty sets
	 * match nothing. A set that cannot be bound (no memory) is reported
	 * by the next step, as any failed bind.
	 */
	void (*bind_ids)(struct store_stmt *s, int index, const int64_t *ids,
		size_t count);
	void (*bind_texts)(struct store_stmt *s, int index,
		const char *const *texts, size_t count);
	/* 1 with a row, 0 when done, -1 with err (EXISTS for a unique key). */
	int (*step)(struct store_stmt *s, struct error *err);
	int64_t (*column_int)(struct store_stmt *s, int index);
	/* NULL for SQL NULL; valid until the next step or finish. */
	const char *(*column_text)(struct store_stmt *s, int index);
	/*
	 * Bytes of a BLOB column; valid until the next step or finish.
	 * NULL for SQL NULL only: an empty value is a pointer and size 0.
	 */
	const void *(*column_blob)(struct store_stmt *s, int index,
		size_t *size_r);
	/*
	 * Writes data[size] over the start of the BLOB in `column` of row
	 * `rowid` of `table`, a piece at a time; reads size bytes of it into
	 * buf. In the connection's current transaction. The names are
	 * literals of the typed operations, never input.
	 */
	int (*blob_write)(void *conn, const char *table, const char *column,
		int64_t rowid, const void *data, size_t size, struct error *err);
	int (*blob_read)(void *conn, const char *table, const char *column,
		int64_t rowid, void *buf, size_t size, struct error *err);
	/*
	 * Whether the connection is inside a transaction: false after the
	 * engine has rolled one back on its own (SQLite does on a full disk
	 * or out of memory), which a nested begin must not paper over.
	 */
	bool (*in_transaction)(void *conn);
	/* Rows changed by the last completed statement. */
	int64_t (*changes)(void *conn);
	/* Ends use of the statement (a cached one is reset, not freed). */
	void (*finish)(struct store_stmt *s);
	/*
	 * The engine's own count of the work its statements did on this
	 * connection (store_work); NULL where the engine keeps none.
	 */
	uint64_t (*work)(void *conn);
	/*
	 * Moves log maintenance off this connection's commits (SQLite: no WAL
	 * auto-checkpoint), for a server whose checkpointer does it instead.
	 */
	void (*defer_maintenance)(void *conn);
	/* Log maintenance that does not block writers (a PASSIVE checkpoint). */
	int (*maintain)(void *conn, struct error *err);
	/*
	 * A bulk load begins (on) or ends (off) on this connection: SQLite
	 * gives it a page cache large enough to hold the pages the load
	 * dirties, so they are written once at commit instead of spilled and
	 * read back (bench B6). Begun outside a transaction, SQLite also
	 * keeps its savepoints' journals in memory. Off comes outside a
	 * transaction (store_bulk).
	 */
	void (*bulk)(void *conn, bool on);
	/*
	 * Reads on this connection bypass (on) or use again (off) a memory
	 * map of the store's file, for a read of a few pages that are cold
	 * and together: a fault on a map reads around it as far as the
	 * disk's read-ahead (megabytes), a read only what it asks (B3's
	 * stored folder views). Nothing for a backend that maps nothing.
	 */
	void (*unmapped)(void *conn, bool on);
	/*
	 * The connection's own cache of the store's pages, in KiB, where the
	 * backend keeps one (SQLite); NULL for a backend that does not.
	 */
	void (*cache)(void *conn, size_t kib);
	/*
	 * The store's own tables (not the engine's, not the connection's
	 * temporary ones), by name, in a (the caller's arena).
	 */
	int (*tables)(void *conn, struct arena *a, struct store_table **t_r,
		size_t *count_r, struct error *err);
	/*
	 * After rows were copied in with their ids: the next id the engine
	 * gives in `table` follows the largest there (PostgreSQL's identity
	 * sequence; SQLite needs nothing).
	 */
	int (*ids_follow)(void *conn, const char *table, struct error *err);
	/*
	 * A whole store loaded in bulk (store_copy.c), in the caller's
	 * transaction: rows sent as one stream per table instead of a
	 * statement each (PostgreSQL: COPY FROM STDIN, no savepoints).
	 * load_begin starts t's rows; load_row sends one (values[i] NULL for
	 * SQL NULL, else sizes[i] bytes: text, or bytes where t->bytes[i]);
	 * load_end ends them (ok false: abandoned, and the transaction with
	 * them). A refused row is reported by load_end. NULL load_begin:
	 * the caller inserts row by row.
	 */
	int (*load_begin)(void *conn, const struct store_table *t,
		struct error *err);
	int (*load_row)(void *conn, const void *const *values,
		const size_t *sizes, struct error *err);
	int (*load_end)(void *conn, bool ok, struct error *err);
	/*
	 * Run in that transaction before the first table and after the
	 * last: the first puts the indexes, keys and foreign keys aside,
	 * the second makes them again, each in one pass over its table
	 * instead of a step per row (what pg_restore does); a key the rows
	 * break fails the second. NULL: nothing to do.
	 */
	const char *load_prepare;
	const char *load_finish;
	/*
	 * Statement that puts off foreign-key checks to the commit of the
	 * transaction it runs in: a whole store copied in (an org whose
	 * parent has a higher id comes first).
	 */
	const char *defer_keys;
	/*
	 * After a store has been filled in bulk (a copy from another
	 * backend): has the engine read its tables' statistics afresh, so
	 * its planner knows the tables are large (PostgreSQL: ANALYZE; left
	 * alone, it plans for empty tables, and delivery scans and hashes
	 * whole tables until autovacuum comes by). NULL: nothing to do.
	 */
	const char *refresh_statistics;
	/*
	 * Starts the outermost transaction of a connection that will write:
	 * SQLite takes the write lock at once (BEGIN IMMEDIATE), so two
	 * writers never both read and then fail to upgrade.
	 */
	const char *begin_write;
	/*
	 * Starts a transaction that only reads and sees one moment of the
	 * store throughout, without holding writers back (SQLite in WAL: a
	 * deferred BEGIN; PostgreSQL would need REPEATABLE READ).
	 */
	const char *begin_snapshot;
	/*
	 * Copies the whole database, as this connection's open snapshot
	 * transaction sees it, into a new file at dest_path (owner-only),
	 * which must not exist; the copy is one self-contained file and is
	 * checked for damage before this returns. ERROR_EXISTS if dest_path
	 * is there; on any failure nothing is left at dest_path. NULL for
	 * a backend whose backups are made by its own tools.
	 */
	int (*backup)(void *conn, const char *dest_path, struct error *err);
	/*
	 * DDL run when a connection opens, outside any transaction: the
	 * connection's own working tables (the recipient sets of
	 * store_expand.c), in this backend's dialect.
	 */
	const char *session_tables;
	/*
	 * Gives back what space those tables keep once many of their rows
	 * were deleted (store_set_begin), inside or outside a transaction;
	 * NULL where the engine reuses it itself. 1 when they keep little
	 * (nothing to give back: not asked again until many more rows are
	 * deleted), 0 when it was given back or had to wait (asked again at
	 * the next begin), -1 with err.
	 */
	int (*sets_reclaim)(void *conn, struct error *err);
	/*
	 * Migrations in this backend's dialect: [0] is number 1; NULL ends.
	 * Each backend has its own list (its triggers, its table options,
	 * the functions its backfills call); a store at version N has the
	 * same tables, columns and rules whichever list made it.
	 */
	const char *const *migrations;
	/*
	 * The text index of message bodies (store_text.c), which each
	 * engine builds its own way: SQLite an FTS5 table with the trigram
	 * tokenizer, asked with a phrase; PostgreSQL pg_trgm GIN indexes,
	 * asked with LIKE. Either way a match is exactly "the folded text
	 * holds the folded word (three characters or more) as a substring".
	 * text_pattern spells the word as text_find_* take it (NULL past a's
	 * cap). text_find_body and text_find_text: ?1 folder id, ?2 and ?3
	 * the first and last UID, ?4 the pattern, ?5 a limit; the index read
	 * first, no more than ?5 of its rows, each read once. Two columns,
	 * ordered: first (0, how many index rows hold it, the whole store's,
	 * at most ?5), then (1, uid) for each message of the range whose
	 * indexed body holds it (BODY: the body's text; TEXT: the header's or
	 * the body's), UIDs ascending. text_scan_body and text_scan_text: ?1
	 * to ?3 the same, ?4 the word itself rather than the pattern; one
	 * column, the same UIDs, the folder's messages read first and each
	 * one's indexed texts searched for the word, so a word common in
	 * other mailboxes costs nothing more. text_put: body id, header
	 * text, body text.
	 */
	char *(*text_pattern)(const char *word, struct arena *a);
	const char *text_find_body;
	const char *text_find_text;
	const char *text_scan_body;
	const char *text_scan_text;
	/*
	 * A range of at most this many messages is read folder first
	 * without asking the index: where the index's cost for a common word
	 * cannot be cut short (PostgreSQL's GIN bitmap is built whole before
	 * a LIMIT applies), a small folder's own messages are the bound.
	 */
	int64_t text_scan_below;
	const char *text_put;
	/*
	 * One row, one column: how many bytes of the store's file are in
	 * free pages (SQLite's freelist), which a large value written next
	 * would be scattered into, one hole at a time (store_folder_pack.c).
	 * NULL where no single file holds the tables (PostgreSQL).
	 */
	const char *free_bytes;
	/*
	 * Whether several processes, on one machine or many, may use the
	 * store at once (PostgreSQL: several serve nodes over one database);
	 * such a backend sets announce and the listen operations below, and
	 * counts rate limits in the database (store_limit.h). SQLite: one.
	 */
	bool shared;
	/*
	 * Whether each statement is a round trip to another process
	 * (PostgreSQL), not a function call (SQLite): a typed operation that
	 * can read more rows a statement, for fewer statements, then does.
	 */
	bool remote;
	/*
	 * Whether a statement may insert from the rows an INSERT ... RETURNING
	 * in its own WITH gave, and the messages' counting trigger leaves a
	 * statement's rows to it while caremail.counted is on (PostgreSQL,
	 * migration 49): a delivery then takes each copy's UID and counts it
	 * in one visit of the folder's counts row (store_expand.c). SQLite
	 * has neither; its triggers count a row at a time.
	 */
	bool counts_in_statement;
	/*
	 * Change notes for the other processes on the same store (issue 14):
	 * a statement with one text parameter, the payload, that reaches
	 * every listener when the transaction it runs in commits, and never
	 * otherwise (PostgreSQL: pg_notify). NULL for a backend one process
	 * owns (SQLite), whose in-process hook is enough.
	 */
	const char *announce;
	/*
	 * Whether SELECT ... FOR UPDATE SKIP LOCKED is spoken: claims made
	 * side by side by several processes outside the writers' lock
	 * (PostgreSQL). SQLite has one writer, and no such clause.
	 */
	bool skip_locked;
	/*
	 * A listener of its own on the store at path: listen_wait waits up
	 * to timeout_ms and hands fn each payload heard, and fails when the
	 * connection is lost (then closed and opened again by the caller,
	 * which must assume it missed some). NULL with announce NULL.
	 */
	void *(*listen_open)(const char *path, struct error *err);
	int (*listen_wait)(void *listener, int timeout_ms, store_heard_fn *fn,
		void *arg, struct error *err);
	void (*listen_close)(void *listener);
};

extern const struct store_ops store_sqlite_ops;
/* PostgreSQL's listener (store_pg_listen.c). */
void *store_pg_listen_open(const char *url, struct error *err);
int store_pg_listen_wait(void *listener, int timeout_ms, store_heard_fn *fn,
	void *arg, struct error *err);
void store_pg_listen_close(void *listener);
extern const struct store_ops store_pg_ops;

#endif
