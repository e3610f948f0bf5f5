/*
 * The store itself: connections, the pool sessions borrow them from, the
 * schema's version, and transactions. Layer: store, the only layer that
 * knows SQL. A `struct store` is one connection, used by one thread; open
 * one per thread. The backend (SQLite now, PostgreSQL later) sits behind
 * store_backend.h and is invisible here.
 *
 * The typed operations are declared per area, each header beside the file
 * that defines them (store_org.h, store_person.h, ... store_folder.h), and
 * the records they fill in store_types.h. Only the domain (dir/ auth/ mail/
 * instance/) includes these headers; a front end may include store_types.h
 * alone, and calls no store_ function (scripts/check-layers.sh).
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/*
 * Opens the store at `path` with the named backend ("sqlite"), creating it
 * if `create` is true, and applies any migrations it lacks. busy_timeout_ms
 * bounds how long a writer waits for another.
 */
struct store *store_open(const char *backend, const char *path, bool create,
	int busy_timeout_ms, struct error *err);
void store_close(struct store **st);

/*
 * A pool of connections for sessions: opening a connection (and checking
 * migrations, and preparing statements again) per SMTP or IMAP session
 * would cost more than the session's own work. Thread-safe; a connection
 * is used by one thread at a time.
 */
struct store_pool;

struct store_pool *store_pool_new(const char *backend, const char *path,
	int busy_timeout_ms, size_t max_idle);

/* An idle connection, or a new one; NULL with err when none can be had. */
struct store *store_pool_get(struct store_pool *pool, struct error *err);

/*
 * The same, for one request's reads (a session's own connection reads
 * many rows for longer): on SQLite it reads rows without a map of the
 * file, but for runs of reads (store_reads_begin).
 */
struct store *store_pool_get_request(struct store_pool *pool,
	struct error *err);

/*
 * The page cache, in KiB, of the connection a request's run of reads
 * goes through (a People Finder search; store.search_cache_mb): the
 * store's pages past its map, and the cards among them, are read from
 * it rather than the file. 0: the engine's own. Set before the pool
 * lends a connection.
 */
void store_pool_set_runs_cache(struct store_pool *pool, size_t kib);

/* Gives a connection back (closing it if the pool is full); *st = NULL. */
void store_pool_put(struct store_pool *pool, struct store **st);
void store_pool_free(struct store_pool **pool);

/*
 * Opens up to n connections for sessions, each made ready for a mail
 * client's first commands (store_warm), and keeps them idle, so the
 * first sessions after a start do not pay for a new connection's first
 * statements. The number kept.
 */
size_t store_pool_warm(struct store_pool *pool, size_t n);

/*
 * Runs the reads a mail client's first commands make (sign-in, SELECT,
 * FETCH, SEARCH) once on st, finding nothing, so their statements are
 * prepared and, on PostgreSQL, the server has loaded what it knows of
 * their tables (store_warm.c).
 */
void store_warm(struct store *st);

/*
 * For server connections: leave log maintenance (SQLite's WAL checkpoint)
 * to the writer's checkpointer instead of running it inside a commit,
 * where it would stall every delivery waiting on that commit.
 */
void store_defer_maintenance(struct store *st);

/*
 * The backend's bulk mode (store_backend.h "bulk": SQLite's page cache
 * widened) from the first on to the last off, so that two users of it at
 * once (a bulk load, a delivery to a large list) do not end each other's;
 * and, when the last off comes inside a transaction, until it ends: the
 * pages it changed are held until then, and only let go of after. A load
 * that writes a savepoint per row (an import) turns it on before its
 * transaction begins: SQLite then also keeps the savepoints' journals in
 * memory, which it can choose only outside a transaction.
 */
void store_bulk(struct store *st, bool on);

/*
 * Within bulk mode, a page cache of up to KIB for the pages one large
 * transaction changes (a delivery to a list of 100,000 changes ~90 MiB:
 * store_sqlite.c, sqlite_bulk), taken only as pages change and given
 * back when bulk mode ends. Nothing outside bulk mode, or on a backend
 * without a page cache of its own (PostgreSQL's is the server's).
 */
void store_bulk_cache(struct store *st, size_t kib);

/* Whether the store answers a trivial query; ERROR_TEMPORARY if not. */
int store_ping(struct store *st, struct error *err);

/* The schema version the store is at, and the newest this build knows. */
int store_schema_version(struct store *st, struct error *err);
int store_schema_latest(void);

/*
 * Transactions nest: the outermost begin/commit is a real transaction and
 * inner ones are savepoints, so a domain operation can be all-or-nothing on
 * its own and still join a caller's larger transaction. Every begin is
 * matched by exactly one commit or rollback.
 */
int store_begin(struct store *st, struct error *err);
int store_commit(struct store *st, struct error *err);
void store_rollback(struct store *st);

/*
 * A read-only transaction around a domain operation's several reads: they
 * see one moment of the store, and on SQLite take one read lock of the
 * write-ahead log instead of one per statement (bench B5: a People Finder
 * search runs dozens of statements). Writers are not held back. Inside an
 * open transaction, or another read, it adds nothing: the outer one holds
 * the view. Every store_read_begin that returns 0 is matched by one
 * store_read_end, which never fails. A store_begin in between ends the
 * read first (later reads see the store as it is then, one statement at
 * a time); a statement that writes outside store_begin must not run in
 * between. -1 with err if the store fails.
 */
int store_read_begin(struct store *st, struct error *err);
void store_read_end(struct store *st);

/*
 * Many reads that need not see one moment, each statement's own being
 * enough (a row changed between two of them is seen as it is at the
 * later): on SQLite a store_read_begin, for its one lock of the log; on a
 * remote engine nothing, which saves a transaction's BEGIN and COMMIT
 * (bench B5 on PostgreSQL: a People Finder search is a few statements,
 * and the COMMIT a round trip of its own). Matched by store_reads_end.
 */
int store_reads_begin(struct store *st, struct error *err);
void store_reads_end(struct store *st);

/*
 * How many statements the typed operations have sent through this
 * connection's driver since it opened (transaction control aside). Read
 * twice around an operation, it is the number of queries the operation
 * ran: tests use it to show a listing costs the same for any page size.
 */
uint64_t store_statement_count(const struct store *st);

/*
 * The work the engine did for this connection's statements since it
 * opened, as the engine counts it (SQLite: virtual machine steps, rows
 * visited by every loop, each index row included), or 0 where it counts
 * none (PostgreSQL). Read twice around an operation, it shows what the
 * operation read however fast the machine: tests use it to show a
 * search reads no more than its folder whatever the store holds.
 */
uint64_t store_work(const struct store *st);

/* The name a kind is stored under ("person", "mailbox", ...). */
const char *store_kind_name(enum store_kind kind);

#endif
