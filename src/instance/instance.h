/*
 * An instance: the directory holding one caremail's config file, store and
 * TLS key pair, as made by `caremail init`. Layer: domain. This is where
 * the front ends get a store connection and a dir_ctx without knowing which
 * backend is behind them.
 */
#ifndef INSTANCE_INSTANCE_H
#define INSTANCE_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct config;
struct dir_ctx;
struct error;
struct store;
struct store_pool;
struct store_writer;

#define INSTANCE_CONFIG_FILE "caremail.conf"

struct instance {
	char *dir;		/* the instance directory, as given */
	char *config_path;
	char *store_path;	/* resolved against dir */
	/*
	 * Where messages wait while they arrive: beside the store, on the
	 * same file system, so its free space is the store's.
	 */
	char *spool_dir;
	char *cert_path;
	char *key_path;
	char *dkim_dir;		/* DKIM keys (dkim.dir), resolved against dir */
	struct config *config;	/* the file plus --set overrides */
	struct store_pool *pool;	/* connections for sessions; thread-safe */
	char *audit_key_path;	/* the audit chain's key: never in the store */
	char *audit_anchor_path;	/* newest row seen in a whole chain */
	unsigned char audit_key[32];	/* STORE_AUDIT_KEY_BYTES; wiped */
	char *seal_key_path;	/* secure.key: wraps encrypted messages' keys */
	unsigned char seal_key[32];	/* MAIL_SEAL_KEY_BYTES; wiped */
	int lock_fd;	/* INSTANCE_LOCK_FILE held shared; -1 for none */
	/* Where bodies go outside the store ([blobs]); NULL: in the store. */
	struct store_blobs *blobs;
	char *blobs_dir;	/* the directory backend's, resolved; or NULL */
};

struct instance_init {
	const char *dir;
	const char *domain;		/* the primary mail domain */
	const char *admin_address;	/* NULL: admin@domain */
	const char *admin_password;	/* NULL: generate one */
	const char *const *overrides;	/* "section.key=value" */
	size_t override_count;
	int64_t now;
};

/*
 * Makes a new instance: config file with every setting, a store with the
 * service organisation and a first Global Admin, and a self-signed TLS
 * certificate. Refuses a directory that already holds an instance. On any
 * failure nothing is left behind. *password_r receives the admin's password
 * (generated or given) in a heap buffer the caller wipes and frees.
 */
int instance_create(const struct instance_init *init, char **password_r,
	struct error *err);

/*
 * Opens an existing instance: reads its config file and applies the
 * overrides. ERROR_NOT_FOUND, saying how to make one, if dir has none.
 */
struct instance *instance_open(const char *dir, const char *const *overrides,
	size_t override_count, struct error *err);
void instance_close(struct instance **inst);

/*
 * Opens the blob store [blobs] names and makes it the one this process's
 * stores use for bodies (instance_blobs.c); instance_open calls it.
 * instance_blobs_close undoes it; instance_close calls it.
 */
int instance_blobs_open(struct instance *inst, struct error *err);
void instance_blobs_close(struct instance *inst);

/* A new store connection for the calling thread. */
struct store *instance_store(const struct instance *inst, struct error *err);
/* Closes a connection instance_store gave; sets *st to NULL. */
void instance_store_close(struct store **st);
/*
 * Whether the store answers on a fresh connection (opened and closed
 * here); ERROR_TEMPORARY with the reason if not. For serve's start and
 * its health check.
 */
int instance_store_ping(const struct instance *inst, struct error *err);

/*
 * A pooled connection for one session, given back with
 * instance_store_return. For servers, where sessions come and go quickly.
 */
struct store *instance_store_borrow(const struct instance *inst,
	struct error *err);
/* The same for one request's reads (store_pool_get_request). */
struct store *instance_store_borrow_request(const struct instance *inst,
	struct error *err);
void instance_store_return(const struct instance *inst, struct store **st);

/*
 * Opens up to n of the pool's connections before any session comes and
 * makes each ready for a mail client's first commands (store_pool_warm).
 */
void instance_store_warm(const struct instance *inst, size_t n);

/*
 * The group-commit writer the servers share (store_writer.h), on the
 * instance's store; stopped, after its queued jobs, by instance_writer_stop.
 * Front ends hold it as an opaque pointer and pass it to the domain.
 */
struct store_writer *instance_writer_start(const struct instance *inst,
	struct error *err);
void instance_writer_stop(struct store_writer **w);

/*
 * This node's ear for the other nodes on a shared store (PostgreSQL;
 * store_change.h): what they commit wakes this process's IMAP IDLE and
 * selected sessions as its own commits do. *l_r stays NULL on SQLite,
 * which one process owns. Opaque to front ends.
 */
struct store_change_listener;
int instance_listen_start(const struct instance *inst,
	struct store_change_listener **l_r, struct error *err);
void instance_listen_stop(struct store_change_listener **l);

/*
 * This node's People Finder copy (store_finder.h; docs/postgresql.md): on
 * a PostgreSQL store with store.finder_copy not off, started, and lent to
 * the sessions' pooled connections, so their searches read it. *f_r
 * stays NULL otherwise. Stopped after every session has ended.
 */
struct store_finder;
int instance_finder_start(const struct instance *inst,
	struct store_finder **f_r, struct error *err);
void instance_finder_stop(const struct instance *inst,
	struct store_finder **f);

/*
 * Bytes free for the store on the disk that holds it (statvfs of its
 * directory), for the free-space rule of mail_check_free_space.
 * ERROR_TEMPORARY when that cannot be read.
 */
int instance_free_space(const struct instance *inst, uint64_t *bytes_r,
	struct error *err);

/* Fills a dir_ctx for one request or command. */
void instance_dir_ctx(const struct instance *inst, struct store *st,
	struct arena *a, const char *actor, int64_t now, struct dir_ctx *ctx_r);

/* ---- the audit chain (instance_audit.c, SECURITY.md 49) ---- */

/* What one check of the audit chain found. */
struct instance_audit_report {
	bool whole;
	bool full;		/* every row was checked, not just the newest */
	int64_t rows;		/* rows checked */
	int64_t last_id;	/* the newest row checked, 0 for none */
	char last_hash[65];	/* its hash in hex */
	int64_t broken_id;	/* the first broken row; 0 when whole */
	int64_t broken_at;	/* its time, 0 when the row is missing */
	int64_t broken_count;	/* rows that failed a check */
	char reason[240];	/* why broken_id is broken, one sentence */
	int64_t anchor_id;	/* the newest row an earlier check saw */
	int64_t anchor_seen_at;	/* when that check ran */
	int64_t chained_since;	/* when this instance's chain began */
	int64_t legacy_rows;	/* rows from before then, chained as found */
};

/*
 * Checks the audit chain with the instance's key, every row when `full`,
 * else only the rows since the anchor (the newest row an earlier check
 * saw, kept in a file beside the key), which must still be there
 * unchanged. When the chain is whole the anchor moves on to its newest
 * row, never back. Returns 0 with r->whole false for a broken chain; -1
 * only when the store or the anchor cannot be read.
 */
int instance_audit_verify(const struct instance *inst, struct store *st,
	bool full, int64_t now, struct instance_audit_report *r,
	struct error *err);

/*
 * serve's watch over the audit chain: a thread that checks every row at
 * start-up, then the new rows every interval_s seconds (0: never again),
 * logging an error for a broken chain. A chain once found broken stays
 * reported broken until the server restarts and finds it whole.
 */
struct instance_audit_watch;
struct instance_audit_watch *instance_audit_watch_start(
	const struct instance *inst, int interval_s);
/*
 * "checking" until the first check ends, then "ok", "broken" or "unknown"
 * (the store could not be read). Thread-safe.
 */
const char *instance_audit_watch_state(struct instance_audit_watch *w);
void instance_audit_watch_stop(struct instance_audit_watch **w);

/* ---- moving the store to another backend (instance_migrate.c) ---- */

/*
 * Where a store is, as `init --store` and `migrate` take it: a PostgreSQL
 * URL (postgresql:// or postgres://) or "sqlite:PATH", as a backend name
 * and a path (pointing into text). ERROR_INVALID on the field `what`.
 */
int instance_store_where(const char *text, const char *what,
	const char **backend_r, const char **path_r, struct error *err);

/*
 * Copies the store at `from` into the new store at `to` (each "sqlite:PATH"
 * or "postgresql://..."), then counts and checksums every table on both
 * sides into *r (in a). progress (may be NULL) hears each table copied.
 * ERROR_INVALID for a place that is neither, ERROR_EXISTS for a
 * destination that holds an instance already, ERROR_INTERNAL when a
 * table differs after the copy (r says which).
 */
int instance_migrate(const char *from, const char *to, struct arena *a,
	struct store_copy_report *r, void (*progress)(const char *table,
	int64_t rows, void *arg), void *arg, struct error *err);

/* ---- backup and restore (instance_backup.c, instance_restore.c) ---- */

/*
 * Everyone who opens an instance holds this file's lock shared (serve for
 * its whole run); restore takes it alone, so it never writes over an
 * instance in use, and nothing opens one while it is being restored.
 */
#define INSTANCE_LOCK_FILE "caremail.lock"
/* The backup directory's list of contents (docs/backup.md). */
#define INSTANCE_BACKUP_MANIFEST "manifest.json"
/* Tables whose rows a backup counts (STORE_BACKUP_TABLES). */
#define INSTANCE_BACKUP_TABLES 12
/* Files left out of a backup that are named in its report. */
#define INSTANCE_BACKUP_WARNINGS 8

struct instance_backup_table {
	char name[32];
	int64_t rows;
};

/* What a backup holds: made now, or read from its manifest. */
struct instance_backup_report {
	int64_t created;
	int schema_version;
	uint64_t files;		/* files, the database among them */
	uint64_t bytes;		/* their total size */
	struct instance_backup_table tables[INSTANCE_BACKUP_TABLES];
	size_t warning_count;	/* files left out: outside the directory */
	char warnings[INSTANCE_BACKUP_WARNINGS][320];
};

struct instance_backup_options {
	const char *target;	/* the new directory */
	const char *version;	/* the program's, for the manifest */
	int64_t now;
	/*
	 * Leaves audit.key out, so whoever holds the backup cannot re-chain
	 * audit rows (docs/audit.md): restore then takes it from the copy
	 * kept with the other secrets.
	 */
	bool without_audit_key;
};

/*
 * `caremail backup`: copies the instance, while its servers run, into
 * the new directory o->target (which must not exist, nor lie inside the
 * instance directory): the store as one consistent copy (the store's
 * online backup), every other file of the instance directory (config,
 * TLS and DKIM keys, the audit key and anchor, secure.key, templates)
 * with its mode, and manifest.json listing each file's size and SHA-256
 * and the row counts of the key tables. Built under a temporary name and
 * renamed into place, so the target is whole or absent.
 */
int instance_backup(const struct instance *inst,
	const struct instance_backup_options *o,
	struct instance_backup_report *r, struct error *err);

/* What a restore did. */
struct instance_restore_report {
	struct instance_backup_report backup;	/* as its manifest says */
	int schema_version;	/* the restored store's, after migrations */
	struct instance_backup_table restored[INSTANCE_BACKUP_TABLES];
	char set_aside[4096];	/* where --force moved DIR; "" */
	struct instance_audit_report audit;	/* checked from row 1 */
};

struct instance_restore_options {
	const char *source;	/* the backup directory */
	const char *dir;	/* the instance directory to make */
	bool force;		/* move a non-empty dir aside */
	/* The audit key, for a backup made without it; NULL otherwise. */
	const char *audit_key;
	int64_t now;
};

/*
 * `caremail restore`: checks every file of the backup at o->source
 * against its manifest first (ERROR_INVALID naming the first damaged,
 * missing or unlisted file, before anything is written), then makes the
 * instance directory o->dir from it under a temporary name and renames
 * it into place. Refuses (ERROR_DENIED) an instance in use, always, and
 * (ERROR_EXISTS) a directory that holds anything unless o->force, which
 * moves what is there aside to "DIR.before-restore-TIME" (never deleted
 * here). Then opens the restored instance, checks its audit chain from
 * the first row and counts its rows: a chain found broken, or counts that
 * differ from the manifest's, fail with the files left in place to study.
 */
int instance_restore(const struct instance_restore_options *o,
	struct instance_restore_report *r, struct error *err);

/* The ODS code of the service organisation that init creates. */
#define INSTANCE_SERVICE_ODS "SERVICE"

#endif
