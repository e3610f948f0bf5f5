/*
 * Helpers shared by the typed operations: binding parameters from a type
 * string and reading columns into an arena. Layer: store, private.
 */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_access.h"
#include "store/store_address.h"
#include "store/store_app_password.h"
#include "store/store_audit.h"
#include "store/store_change.h"
#include "store/store_expand.h"
#include "store/store_folder.h"
#include "store/store_list.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"
#include "store/store_person.h"
#include "store/store_review.h"
#include "store/store_search.h"
#include "store/store_selfsvc.h"
#include "store/store_session.h"
#include "store/store_view.h"
#include "store/store_writer.h"
#include "store/store_backend.h"

/*
 * A store as an earlier release left it: migrations 1..version only, each
 * applied as store_open applies it. For the test tool that makes the
 * stores the upgrade test starts from (tests/unit/store_at.c); no command
 * calls it, so no production store is ever left half-upgraded on purpose.
 */
struct store *store_open_at(const char *backend, const char *path,
	int version, struct error *err);

/* Deepest nesting of transactions (the writer's batch, a job, a call). */
#define STORE_DEPTH_MAX 16

/* One people_search row waiting to be written by a search batch. */
struct store_key_row {
	const char *key;
	const char *sort;
	int64_t person_id, org_id, site_id;
};

struct store {
	const struct store_ops *ops;
	void *conn;
	int depth;	/* open transactions: 1 real, the rest savepoints */
	int reads;	/* open store_read_begin calls */
	int bulks;	/* open store_bulk(st, true) calls */
	bool bulk_on;	/* the backend's bulk mode is on */
	bool read_open;	/* the outermost of them began a read transaction */
	bool arena_full;	/* a column did not fit the caller's arena */
	/* Changes noted in the open transaction (store_change.c). */
	struct store_change *changes;
	size_t change_count, change_capacity;
	size_t change_marks[STORE_DEPTH_MAX]; /* change_count at each begin */
	/* Statements handed to the driver (store_statement_count). */
	uint64_t statements;
	/*
	 * Rows deleted from the recipient sets since they were last found to
	 * hold little space (store_expand.c, store_ops.sets_reclaim).
	 */
	int64_t sets_deleted;
	/*
	 * The audit chain's newest row as this connection last wrote it,
	 * while its transaction holds the write lock (no one else can append):
	 * a bulk import appends one row per person and read the newest back
	 * each time. Forgotten at every rollback and outermost begin.
	 */
	bool audit_mark_valid;
	struct store_audit_mark audit_mark;
	/*
	 * The People Finder rows of people made in a search batch, waiting
	 * for store_search_batch_flush; their texts are in search_arena.
	 */
	bool search_batch;
	struct store_key_row *search_pending;
	size_t search_pending_count, search_pending_capacity;
	int64_t search_pending_min;	/* the least person_id pending */
	struct arena *search_arena;
	size_t search_marks[STORE_DEPTH_MAX]; /* pending count at each begin */
	/*
	 * The node's People Finder copy searches through this connection
	 * use (store_finder.c), NULL for none; finder_span is true between
	 * store_reads_begin and store_reads_end, and finder_fresh once the
	 * copy was found as current as the database within that span.
	 */
	struct store_finder *finder;
	bool finder_span, finder_fresh;
	/*
	 * The feed's newest note as the request's session was read with it
	 * (store_session_find): the copy need be no newer for a search in
	 * the same request, which then asks the database nothing. Used once;
	 * forgotten when the connection goes back to its pool.
	 */
	int64_t finder_noted;
	bool finder_noted_valid;
	/*
	 * A connection lent for one request (store_pool_get_request) reads
	 * rows without a map of the file (point_reads), and a run of reads
	 * (store_reads_begin) through runs_conn: a second connection to the
	 * same file, mapped, opened for the first run and kept with this
	 * one; runs_on while it stands in for conn. path and busy_timeout_ms
	 * open it, and it keeps runs_cache_kib of pages.
	 */
	bool point_reads, runs_on;
	void *runs_conn;
	size_t runs_cache_kib;
	char *path;
	int busy_timeout_ms;
	/*
	 * The store keeps a card for each live person (SQLite's migration
	 * 41), which People Finder's results are read from
	 * (store_search.c): SQLite, and a PostgreSQL node's copy of its
	 * tables (store_finder.c), not PostgreSQL itself.
	 */
	bool cards;
};

/*
 * The People Finder copy's SQLite text (store_schema_sqlite.c): its tables,
 * the indexes made after its rows, and its connections' settings when
 * opened, while it is made, and once made; and the store's cards
 * (migration 41, and 50's triggers), made in the copy after its indexes.
 */
extern const char store_sqlite_finder_tables[];
extern const char store_sqlite_person_cards[];
extern const char store_sqlite_person_cards_by_id[];
extern const char store_sqlite_finder_indexes[];
extern const char store_sqlite_finder_open[];
extern const char store_sqlite_finder_making[];
extern const char store_sqlite_finder_made[];

/*
 * Rows joined into one column by a statement, to bring a record's lists
 * with it (store_joined.c): STORE_JOINED "(a" STORE_THEN "b, '"
 * STORE_ROW_SEP "')". Control characters no address, ODS code, role name
 * or number holds.
 */
#define STORE_FIELD_SEP "\x1f"
#define STORE_ROW_SEP "\x1e"
#define STORE_THEN " || '" STORE_FIELD_SEP "' || "
/*
 * The rows of such a column (NULL or "": none), each an array of `fields`
 * strings in a; a row short of fields is given ""s, and the last field
 * takes the rest of its row. NULL with err when a is full.
 */
char ***store_joined_rows(const char *joined, size_t fields, struct arena *a,
	size_t *count_r, struct error *err);

/*
 * What a person holds (store_person_holdings, store_person_record_get):
 * their ownerships, memberships and grants as rows (relation, kind, id,
 * org_id, address). PERSON and MAILBOX are the person's id and mailbox
 * id as SQL: "?" (in the order person, person, person, mailbox, person)
 * or the outer statement's columns. Deleted objects grant nothing any
 * more, so they are left out.
 */
#define STORE_HOLDINGS(PERSON, MAILBOX)                                       \
	"SELECT 'owner' AS relation, m.kind AS kind, m.id AS id,"            \
	" m.org_id AS org_id, m.address AS address"                          \
	" FROM owners o JOIN mailboxes m ON m.id = o.object_id"              \
	" WHERE o.object_kind = 'mailbox' AND o.person_id = " PERSON         \
	" AND m.deleted_at IS NULL"                                          \
	" UNION ALL SELECT 'owner', 'list', l.id, l.org_id, l.address"       \
	" FROM owners o JOIN lists l ON l.id = o.object_id"                  \
	" WHERE o.object_kind = 'list' AND o.person_id = " PERSON            \
	" AND l.deleted_at IS NULL"                                          \
	" UNION ALL SELECT 'member', m.kind, m.id, m.org_id, m.address"      \
	" FROM mailbox_members mm JOIN mailboxes m ON m.id = mm.mailbox_id"  \
	" WHERE mm.person_id = " PERSON " AND m.deleted_at IS NULL"          \
	" UNION ALL SELECT 'member', 'list', l.id, l.org_id, l.address"      \
	" FROM list_members lm JOIN lists l ON l.id = lm.list_id"            \
	" WHERE lm.member_kind = 'mailbox' AND lm.member_id = " MAILBOX      \
	" AND l.deleted_at IS NULL"                                          \
	" UNION ALL SELECT g.\"right\", m.kind, m.id, m.org_id, m.address"    \
	" FROM grants g JOIN mailboxes m ON m.id = g.mailbox_id"             \
	" WHERE g.person_id = " PERSON " AND m.deleted_at IS NULL"

/*
 * A recipient set's bulk add (store_expand.c): the mailbox ids IDS reads
 * (a SELECT of one column, id, whose parameters follow ?1; each id once)
 * into scope ?1, only those not in it yet, in the order of the set's key.
 * In that order each goes at the end of the key's index, where one in any
 * order was a search from its root; and with no row that can clash, no
 * ON CONFLICT, which PostgreSQL answers with a second search a row (B8
 * on PostgreSQL: 532,586 rows in 1.6 s instead of 2.6).
 */
#define STORE_SET_ADD(IDS)                                                  \
	"INSERT INTO expansion (scope, mailbox_id) SELECT ?1, d.id FROM ("   \
	IDS ") d WHERE NOT EXISTS (SELECT 1 FROM expansion x"                \
	" WHERE x.scope = ?1 AND x.mailbox_id = d.id) ORDER BY d.id"

/*
 * The bytes charged to mailboxes (mailbox_usage, migration 43; a mailbox
 * without a row has used none). STORE_USAGE_CHARGE(SELECT): the rows of
 * SELECT, (mailbox_id, bytes), charged, added to a mailbox's row when it
 * has one. SELECT must have a WHERE: SQLite would read the ON CONFLICT
 * after a bare FROM as a join's ON. STORE_USAGE_RETURN(BYTES, FOLDER):
 * BYTES (SQL) given back to the mailbox of the folder whose id is FOLDER
 * (SQL), never below 0.
 */
#define STORE_USAGE_CHARGE(SELECT)                                          \
	"INSERT INTO mailbox_usage (mailbox_id, used_bytes) " SELECT         \
	" ON CONFLICT (mailbox_id) DO UPDATE"                                \
	" SET used_bytes = mailbox_usage.used_bytes + excluded.used_bytes"
#define STORE_USAGE_RETURN(BYTES, FOLDER)                                   \
	"UPDATE mailbox_usage SET used_bytes = GREATEST(0, used_bytes - "    \
	BYTES ") WHERE mailbox_id ="                                         \
	" (SELECT mailbox_id FROM folders WHERE id = " FOLDER ")"

/*
 * The People Finder feed's newest note (PostgreSQL's migration 36), never
 * below its pruned floor, as an SQL expression.
 */
#define STORE_FINDER_NEWEST                                                  \
	"GREATEST(COALESCE((SELECT max(id) FROM finder_log), 0),"            \
	" (SELECT below FROM finder_log_floor))"

/*
 * A connection without the migrations or working tables of store_open:
 * for a file that is not a store (the People Finder copy's). NULL with
 * err.
 */
struct store *store_open_plain(const char *backend, const char *path,
	bool create, int busy_timeout_ms, struct error *err);

/*
 * A search or org lookup through db answered from db's People Finder
 * copy (store_finder.c): 1 when answered, 0 when the copy cannot answer
 * (the caller asks the database), -1 with err.
 */
int store_finder_person_search(struct store *db,
	const struct store_person_query *q, struct arena *a,
	struct store_person_match **rows_r, size_t *count_r,
	struct error *err);
int store_finder_org_find(struct store *db, const char *text,
	struct arena *a, int64_t **ids_r, size_t *count_r, struct error *err);
/*
 * A person's whole record (store_person_record_get) through db answered
 * from db's People Finder copy: 1, 0 when the copy cannot answer, -1
 * with err (a person the copy does not hold: ERROR_NOT_FOUND).
 */
struct store_person_record;
int store_finder_person_record(struct store *db, int64_t id,
	const char *address, struct arena *a, struct store_person_record *r_r,
	struct error *err);

/*
 * Called by store_commit when the outermost transaction has committed, and
 * by store_rollback with the count at the undone level's begin; frees.
 */
void store_changes_committed(struct store *st);
/*
 * Called by store_commit just before the outermost COMMIT: sends the
 * transaction's notes to the other nodes on a shared store, in the same
 * transaction (nothing for a backend without store_ops.announce).
 */
int store_changes_announce(struct store *st, struct error *err);
/* The backend named `name` ("sqlite", "postgresql"), or NULL. */
const struct store_ops *store_backend_find(const char *name);
void store_changes_undone(struct store *st, size_t mark);
void store_changes_free(struct store *st);

/*
 * Prepares sql and binds the variadic arguments by the letters of `types`:
 * 'i' int64_t, 't' const char * (NULL binds NULL), 'z' int64_t that binds
 * NULL when 0 (optional references), 'b' a blob given as two arguments,
 * const void * and size_t; the bytes must outlive the statement's use;
 * 'Z' a zero-filled blob of a size_t length, written after with
 * store_blob_write; 'I' the id set at a STORE_ID_SET marker, given as
 * const int64_t * and size_t; 'T' the text set at a STORE_TEXT_SET
 * marker, given as const char *const * and size_t.
 * Returns NULL with err.
 */
struct store_stmt *store_query(struct store *st, struct error *err,
	const char *sql, const char *types, ...);

/*
 * A statement whose parameters are bound one by one, for a multi-row
 * INSERT of several records at once (a literal per row count, so the
 * cache keeps each): store_bind_int, store_bind_text (NULL binds NULL)
 * and store_bind_ref (0 binds NULL), indexes from 1. NULL with err.
 */
struct store_stmt *store_prepare(struct store *st, const char *sql,
	struct error *err);
void store_bind_int(struct store *st, struct store_stmt *s, int index,
	int64_t value);
void store_bind_text(struct store *st, struct store_stmt *s, int index,
	const char *text);
void store_bind_ref(struct store *st, struct store_stmt *s, int index,
	int64_t id);

/* Prepares, binds and runs to completion; returns rows changed or -1. */
int64_t store_exec(struct store *st, struct error *err, const char *sql,
	const char *types, ...);

/* Runs a statement that RETURNING one id; -1 with err. */
int64_t store_insert_id(struct store *st, struct error *err, const char *sql,
	const char *types, ...);

int store_step(struct store *st, struct store_stmt *s, struct error *err);
void store_finish(struct store *st, struct store_stmt *s);

int64_t store_col_int(struct store *st, struct store_stmt *s, int index);
/*
 * The column copied into the arena, "" for NULL. Past the arena's cap it
 * returns "" and marks the store, so store_rows_done reports ERROR_LIMIT
 * once for the whole read instead of every field being checked.
 */
const char *store_col_text(struct store *st, struct store_stmt *s, int index,
	struct arena *a);
/* As store_col_text, but NULL stays NULL. */
const char *store_col_text_or_null(struct store *st, struct store_stmt *s,
	int index, struct arena *a);

/*
 * Writes a body's bytes into the zero-filled BLOB column of a row, or reads
 * them back, a piece at a time (the backend's blob_write and blob_read).
 */
int store_blob_write(struct store *st, const char *table, const char *column,
	int64_t rowid, const void *data, size_t size, struct error *err);
int store_blob_read(struct store *st, const char *table, const char *column,
	int64_t rowid, void *buf, size_t size, struct error *err);

/*
 * Reads bypass the backend's map of the store's file while on (see
 * store_ops.unmapped); nothing on a backend without one.
 */
void store_unmapped(struct store *st, bool on);

/*
 * The connection reads rows without a map of the file from now on, but
 * for runs of reads (struct store's point_reads), whose connection keeps
 * runs_cache_kib of pages (0: the engine's own); nothing on a backend
 * without a map. For store_pool_get_request.
 */
void store_point_reads(struct store *st, size_t runs_cache_kib);

/* A BLOB column's bytes, valid until the next step or finish. */
const void *store_col_blob(struct store *st, struct store_stmt *s, int index,
	size_t *size_r);

/*
 * A BLOB column's bytes copied into a; NULL for NULL (*size_r 0), or when
 * they do not fit (then store_rows_done fails with ERROR_LIMIT).
 */
const unsigned char *store_col_blob_copy(struct store *st,
	struct store_stmt *s, int index, struct arena *a, size_t *size_r);

/*
 * Ends a read: finishes s and returns `rc` (0 or -1), or -1 with
 * ERROR_LIMIT when a column or array did not fit in the caller's arena.
 */
int store_rows_done(struct store *st, struct store_stmt *s, int rc,
	struct error *err);

/*
 * The integer in the first column of s's one row (a COUNT, a MAX), or -1
 * (with err when the statement failed) when it fails or has no row;
 * finishes s, which may be NULL (store_query failed: -1).
 */
int64_t store_one_int(struct store *st, struct store_stmt *s,
	struct error *err);

/*
 * Reads every row of s with read_row into an arena array of item_size
 * elements; finishes s. For the typed list operations.
 */
int store_read_all(struct store *st, struct store_stmt *s, struct arena *a,
	size_t item_size, void (*read_row)(struct store *, struct store_stmt *,
		struct arena *, void *),
	void **items_r, size_t *count_r, struct error *err);

/* A row of (address, display_name) as a struct store_recipient. */
void store_recipient_read(struct store *st, struct store_stmt *s,
	struct arena *a, void *out);

/* Reads exactly one row with read_row; ERROR_NOT_FOUND naming `what`. */
int store_read_one(struct store *st, struct store_stmt *s, struct arena *a,
	void (*read_row)(struct store *, struct store_stmt *, struct arena *,
		void *),
	void *item_r, const char *what, struct error *err);

/*
 * A folder's next UID (folder_counts, migration 45), 1 before its first
 * message or UID taken: FOLDER is the SQL naming its id.
 */
#define STORE_FOLDER_UIDNEXT(FOLDER)                                      \
	"COALESCE((SELECT c.uidnext FROM folder_counts c"                 \
	" WHERE c.folder_id = " FOLDER "), 1)"

/*
 * Folder rows are read the same way everywhere: these columns, from
 * folders (not aliased), this reader.
 */
#define FOLDER_COLUMNS                                                   \
	"id, mailbox_id, name, special_use, uidvalidity, "               \
	STORE_FOLDER_UIDNEXT("folders.id") ", subscribed, created_at"
void store_folder_read(struct store *st, struct store_stmt *s,
	struct arena *a, void *out);
/*
 * Takes count UIDs of the folder, in the caller's transaction, before
 * messages are inserted with them: the first, -1 with err. The counting
 * triggers move the next UID past each message inserted anyway; taking
 * them first is for a writer that must know them before it inserts.
 */
int64_t store_folder_take_uids(struct store *st, int64_t folder_id,
	int64_t count, struct error *err);
/*
 * A folder's change counter (folder_counts, migration 31), 0 before its
 * first message: FOLDER is the SQL naming its id ("?", "f.id").
 */
#define STORE_FOLDER_CHANGES(FOLDER)                                      \
	"COALESCE((SELECT c.changes FROM folder_counts c"                 \
	" WHERE c.folder_id = " FOLDER "), 0)"

/*
 * A person's columns, read by store_person_read; "p" is people and "m"
 * their user mailbox. Other reads put their own columns after these,
 * from STORE_PERSON_COLUMN_COUNT on.
 */
#define STORE_PERSON_COLUMNS                                                    \
	"p.id, p.org_id, COALESCE(p.site_id, 0), p.mailbox_id, m.address, \
	p.first_name, p.last_name, p.display_name, p.job_title,           \
	p.department, p.phone, p.mobile, p.mobile_hidden, p.notes,        \
	p.status, p.sync_id, p.created_at, p.updated_at,                  \
	COALESCE(p.deleted_at, 0), COALESCE(p.last_signin_at, 0),         \
	COALESCE(p.password_changed_at, 0), p.protocols_off,             \
	COALESCE(p.locked_at, 0), COALESCE(p.status_changed_at, p.created_at), \
	COALESCE(p.purged_at, 0)"
#define STORE_PERSON_COLUMN_COUNT 25

/* The schema version that made SQLite's person_cards (store_schema_sqlite.c). */
#define STORE_CARDS_VERSION 41

/* A person's status as the database holds it, and back (store_person.c). */
enum store_person_status store_person_status_from_text(const char *text);
const char *store_person_status_text(enum store_person_status status);
void store_person_read(struct store *st, struct store_stmt *s,
	struct arena *a, void *out);

/*
 * What a struct store_person_filter selects, after a FROM that names the
 * people "p", bound with STORE_PERSON_FILTER_TYPES and _ARGS(f). The org
 * set binds as one parameter, so the statement stays one cached literal
 * whatever the number of orgs; no limit is the largest, as LIMIT -1 is
 * SQLite's alone.
 */
#define STORE_PERSON_FILTER_SQL                                          \
	" WHERE (? = 0 OR p.org_id IN " STORE_ID_SET ")"                   \
	" AND (? = 1 OR p.deleted_at IS NULL) AND p.id > ?"                \
	" ORDER BY p.id LIMIT ?"
#define STORE_PERSON_FILTER_TYPES "iIiii"
#define STORE_PERSON_FILTER_ARGS(f)                                      \
	(int64_t)((f)->org_ids != NULL), (f)->org_ids, (f)->org_count,     \
		(int64_t)(f)->include_deleted, (f)->after_id,              \
		(f)->limit != 0 ? (int64_t)(f)->limit : INT64_MAX

/* ---- People Finder keys and id sets (finder) ---- */

/*
 * Rewrites a person's search keys after an insert or update (the
 * person's own write paths call it, so the keys never lag the row): none
 * for a deleted person.
 */
int store_search_refresh(struct store *st, const struct store_person *p,
	struct error *err);
/*
 * Drops person_id's keys (and any a search batch holds): a person deleted
 * by a path that writes no other of their fields (store_lifecycle_set).
 */
int store_search_forget(struct store *st, int64_t person_id,
	struct error *err);

/*
 * For store_person_insert in a search batch: notes the new person's keys
 * (names, title and address, as store_search_refresh writes them, sorted
 * by sort) for the next flush. -1 (ERROR_LIMIT) for names too long to
 * index or want of memory.
 */
int store_search_batch_note(struct store *st, const struct store_person *p,
	const char *sort, struct error *err);

/*
 * The smallest text greater than every text that starts with prefix, for
 * a prefix search as a range (key >= prefix AND key < bound) that an
 * index answers: the last code point incremented, dropping trailing
 * U+10FFFF (and skipping the surrogates), so the bound is valid UTF-8
 * when the prefix is, and orders right wherever text compares bytewise
 * (UTF-8's byte order is its code point order). A prefix that ends
 * inside a code point has its last byte incremented instead (0xFF bytes
 * dropped). 1 with *bound_r, 0 when no text is greater (an empty prefix,
 * or only maximal code points), -1 past the arena's cap.
 */
int store_next_prefix(const char *prefix, struct arena *a, char **bound_r);

/*
 * A LIKE pattern that matches text containing `text` anywhere, with '\'
 * as the escape character (use with ESCAPE '\'), so '%' and '_' typed by
 * a user match only themselves. NULL past the arena's cap.
 */
char *store_like_contains(const char *text, struct arena *a);
/*
 * text between two `edge` characters, each character of specials in it
 * preceded by `escape`: the one shape of LIKE's '%...%' with '\\' and of
 * an FTS5 phrase '"..."' with its '"' doubled. In a; NULL past its cap.
 */
char *store_quote(const char *text, char edge, const char *specials,
	char escape, struct arena *a);

#endif
