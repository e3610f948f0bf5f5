/*
 * People Finder on each node: the node's own SQLite copy of what a search
 * reads, kept current from PostgreSQL's People Finder feed (migration 36,
 * store_schema_pg.c), and the searches answered from it (store_finder.h).
 * Layer: store.
 *
 * Why (bench B5 at 1.6 million people, bench/RESULTS.md 2026-12-05): a
 * search costs caremail 0.3 ms of CPU and PostgreSQL 0.7 ms more, its
 * executor reading each person shown, so two cores answered ~1,800 a
 * second. The same search over a SQLite file on the node costs 0.3 ms in
 * all, and the database one statement: the feed's newest note.
 *
 * The copy follows the feed:
 * - Made whole (copy_make): every row the search reads, read in one
 *   snapshot of the database, written to a new file that then takes the
 *   copy's place, with the newest note of that snapshot. Searches go to
 *   the database meanwhile.
 * - Kept current (copy_follow): the notes past the copy's newest, read
 *   with the rows they name in one snapshot; each named row is replaced
 *   by the database's (or removed, if it has gone) in one transaction of
 *   the copy, with the newest note applied. Notes are numbered in commit
 *   order (each trigger holds the writers' lock), so the copy always
 *   equals the database as it was at some commit.
 * - A search first learns the database's newest note (one index probe,
 *   read with the request's session: store_session_find), or, when the
 *   node remembers the session, the newest it has heard of
 *   (store_session_cache.h); a copy behind it follows the feed first, so
 *   no search shows a change undone or misses one committed before it
 *   began through this node, or one this node has heard of (another
 *   node's, milliseconds after its commit). The copy's thread follows the
 *   feed each second as well, so a search seldom waits.
 * - Made again when it cannot follow: notes pruned past it (a node off
 *   longer than FINDER_NOTES_KEPT_S), another database's stamp, or a
 *   database whose newest note is older than the copy's (restored).
 *
 * The copy holds no secret: no password hash, no second factor, no mail.
 */
#include "store/store_finder.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/periodic.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"
#include "store/store_session_cache.h"
#include "store/store_signins.h"
#include "store/store_view.h"

/* Notes kept in the database: a node off longer makes its copy again. */
#define FINDER_NOTES_KEPT_S (7 * 24 * 3600)
/* How often a node prunes the notes older than that. */
#define FINDER_PRUNE_EVERY_S 3600
/* Notes applied in one transaction of the copy. */
#define FINDER_NOTES_BATCH 4096
/* Rows read in one statement while the copy is made. */
#define FINDER_MAKE_BATCH 20000
/* Idle connections to the copy kept for searches. */
#define FINDER_IDLE_MAX 16
/* Copies one instance directory holds for nodes started from it. */
#define FINDER_NUMBERED_MAX 16
/* Seconds before a copy that failed to be made is tried again. */
#define FINDER_RETRY_S 30
/*
 * The copy's format: a copy of another (an older caremail's: 1, without
 * what a person's record shows; 2, without the cards; 3, with a unique
 * index of orgs' ODS codes and none of roles by org) is made again.
 */
#define FINDER_COPY_FORMAT 4
/*
 * How far before a moment the copy's sign-in times are said complete
 * to: a sign-in's time is its node's clock, and its announcement takes a
 * moment to come (store_signins.h).
 */
#define FINDER_SIGNIN_MARGIN_S 300
/* Sign-ins heard are taken into the copy this often, or when this many. */
#define FINDER_SIGNINS_FOLD_S 60
#define FINDER_SIGNINS_HELD 65536

static struct metrics_family searches_total = {
	.name = "caremail_people_finder_searches_total",
	.help = "People Finder searches on a PostgreSQL store, by what "
		"answered them: the node's copy, or the database (no copy, "
		"or not made yet).",
	.type = METRICS_COUNTER,
	.labels = { "answered_by" },
};
METRICS_REGISTER(searches_total)
static struct metrics_family copy_ready = {
	.name = "caremail_people_finder_copy_ready",
	.help = "1 while this node's People Finder copy answers searches.",
	.type = METRICS_GAUGE,
};
METRICS_REGISTER(copy_ready)
static struct metrics_family copy_makes_total = {
	.name = "caremail_people_finder_copy_makes_total",
	.help = "Times this node made its People Finder copy whole.",
	.type = METRICS_COUNTER,
};
METRICS_REGISTER(copy_makes_total)
static struct metrics_family copy_notes_total = {
	.name = "caremail_people_finder_copy_notes_total",
	.help = "Notes of the database's People Finder feed applied to this "
		"node's copy.",
	.type = METRICS_COUNTER,
};
METRICS_REGISTER(copy_notes_total)
static struct metrics_family records_total = {
	.name = "caremail_person_records_total",
	.help = "Whole person records read on a PostgreSQL store, by what "
		"answered them: the node's People Finder copy, or the "
		"database (in a transaction, no copy, or the copy not sure "
		"of every sign-in).",
	.type = METRICS_COUNTER,
	.labels = { "answered_by" },
};
METRICS_REGISTER(records_total)

#define ORG_COLUMNS "id, ods, name, helpdesk_phone, helpdesk_email, parent_id"
#define SITE_COLUMNS "id, org_id, name, site_type"
#define MAILBOX_COLUMNS "id, address, kind, org_id, deleted_at"
#define PERSON_COLUMNS                                                       \
	"id, org_id, site_id, mailbox_id, first_name, last_name,"            \
	" display_name, job_title, department, phone, mobile, mobile_hidden," \
	" notes, status, sync_id, created_at, updated_at, deleted_at,"        \
	" last_signin_at, password_changed_at, protocols_off, locked_at,"     \
	" status_changed_at, purged_at, sort_name"
#define ROLE_COLUMNS "person_id, org_id, role, granted_at"
#define KEY_COLUMNS "key, sort, person_id, org_id, site_id"
#define LIST_COLUMNS "id, org_id, address, deleted_at"
#define ADDRESS_COLUMNS "address, holder_kind, holder_id"
#define OWNER_COLUMNS "object_kind, object_id, person_id"
#define MEMBER_COLUMNS "mailbox_id, person_id"
#define LIST_MEMBER_COLUMNS "list_id, member_kind, member_id"
#define GRANT_COLUMNS "mailbox_id, person_id, \"right\""
/* Of the address registry, the people's; of list members, mailboxes. */
#define PERSON_ADDRESS "holder_kind = 'person'"
#define MAILBOX_MEMBER "member_kind = 'mailbox'"

/* One table the copy holds: how its rows are read and written. */
struct finder_table {
	const char *name;
	int columns;
	int keys;		/* leading columns that order and page it */
	/* Before every row: '' sorts first, and ids are positive. */
	const char *start[3];
	const char *page;	/* the database: the next rows after the keys */
	const char *named;	/* the database: the rows of a set of ids */
	/* The copy: the rows of a set of ids; NULL for a parent (gone). */
	const char *forget;
	const char *put;	/* the copy: one row */
	char kind;		/* the feed's note naming these rows */
	/*
	 * A parent written over in place (put is an upsert), so that its
	 * children's cards are remade only when what they show of it
	 * changed: deleting an org and putting it back remade every card of
	 * its people twice, whatever changed (an org of 50,000: 250 ms).
	 * Of a set of ids named, those not in a second set (the rows put):
	 * the rows gone from the database.
	 */
	const char *gone;
};

#define PLACES2 "?, ?"
#define PLACES3 "?, ?, ?"
#define PLACES4 "?, ?, ?, ?"
#define PLACES5 "?, ?, ?, ?, ?"
#define PLACES6 PLACES5 ", ?"
#define PLACES25 PLACES5 ", " PLACES5 ", " PLACES5 ", " PLACES5 ", " PLACES5

#define GONE(table)                                                          \
	"DELETE FROM " table " WHERE id IN " STORE_ID_SET " AND id NOT IN "  \
	STORE_ID_SET

/* Parents first: the order a copy is made in. */
static const struct finder_table tables[] = {
	{ "orgs", 6, 1, { "0" },
	  "SELECT " ORG_COLUMNS " FROM orgs WHERE id > ? ORDER BY id LIMIT ?",
	  "SELECT " ORG_COLUMNS " FROM orgs WHERE id IN " STORE_ID_SET,
	  NULL,
	  "INSERT INTO orgs (" ORG_COLUMNS ") VALUES (" PLACES6 ")"
	  " ON CONFLICT (id) DO UPDATE SET ods = excluded.ods,"
	  " name = excluded.name, helpdesk_phone = excluded.helpdesk_phone,"
	  " helpdesk_email = excluded.helpdesk_email,"
	  " parent_id = excluded.parent_id", 'o', GONE("orgs") },
	{ "sites", 4, 1, { "0" },
	  "SELECT " SITE_COLUMNS " FROM sites WHERE id > ? ORDER BY id LIMIT ?",
	  "SELECT " SITE_COLUMNS " FROM sites WHERE id IN " STORE_ID_SET,
	  NULL,
	  "INSERT INTO sites (" SITE_COLUMNS ") VALUES (" PLACES4 ")"
	  " ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id,"
	  " name = excluded.name, site_type = excluded.site_type", 's',
	  GONE("sites") },
	{ "mailboxes", 5, 1, { "0" },
	  "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id > ?"
	  " ORDER BY id LIMIT ?",
	  "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id IN "
	  STORE_ID_SET,
	  NULL,
	  "INSERT INTO mailboxes (" MAILBOX_COLUMNS ") VALUES (" PLACES5 ")"
	  " ON CONFLICT (id) DO UPDATE SET address = excluded.address,"
	  " kind = excluded.kind, org_id = excluded.org_id,"
	  " deleted_at = excluded.deleted_at", 'm', GONE("mailboxes") },
	{ "people", 25, 1, { "0" },
	  "SELECT " PERSON_COLUMNS " FROM people WHERE id > ? ORDER BY id"
	  " LIMIT ?",
	  "SELECT " PERSON_COLUMNS " FROM people WHERE id IN " STORE_ID_SET,
	  "DELETE FROM people WHERE id IN " STORE_ID_SET,
	  "INSERT INTO people (" PERSON_COLUMNS ") VALUES (" PLACES25 ")",
	  'p', NULL },
	{ "roles", 4, 3, { "0", "0", "" },
	  "SELECT " ROLE_COLUMNS " FROM roles WHERE (person_id, org_id, role)"
	  " > (?, ?, ?) ORDER BY person_id, org_id, role LIMIT ?",
	  "SELECT " ROLE_COLUMNS " FROM roles WHERE person_id IN "
	  STORE_ID_SET,
	  "DELETE FROM roles WHERE person_id IN " STORE_ID_SET,
	  "INSERT INTO roles (" ROLE_COLUMNS ") VALUES (" PLACES4 ")",
	  'p', NULL },
	{ "people_search", 5, 3, { "", "", "0" },
	  "SELECT " KEY_COLUMNS " FROM people_search WHERE (key, sort,"
	  " person_id) > (?, ?, ?) ORDER BY key, sort, person_id LIMIT ?",
	  "SELECT " KEY_COLUMNS " FROM people_search WHERE person_id IN "
	  STORE_ID_SET,
	  "DELETE FROM people_search WHERE person_id IN " STORE_ID_SET,
	  "INSERT INTO people_search (" KEY_COLUMNS ") VALUES (" PLACES5 ")",
	  'p', NULL },
	/* What a person's record shows besides (store_view.c). */
	{ "lists", 4, 1, { "0" },
	  "SELECT " LIST_COLUMNS " FROM lists WHERE id > ? ORDER BY id"
	  " LIMIT ?",
	  "SELECT " LIST_COLUMNS " FROM lists WHERE id IN " STORE_ID_SET,
	  "DELETE FROM lists WHERE id IN " STORE_ID_SET,
	  "INSERT INTO lists (" LIST_COLUMNS ") VALUES (" PLACES4 ")",
	  'l', NULL },
	{ "addresses", 3, 1, { "" },
	  "SELECT " ADDRESS_COLUMNS " FROM addresses WHERE address > ? AND "
	  PERSON_ADDRESS " ORDER BY address LIMIT ?",
	  "SELECT " ADDRESS_COLUMNS " FROM addresses WHERE " PERSON_ADDRESS
	  " AND holder_id IN " STORE_ID_SET,
	  "DELETE FROM addresses WHERE holder_id IN " STORE_ID_SET,
	  /* One moved between people replaces its row, in either order. */
	  "INSERT INTO addresses (" ADDRESS_COLUMNS ") VALUES (" PLACES3 ")"
	  " ON CONFLICT (address) DO UPDATE SET holder_kind ="
	  " excluded.holder_kind, holder_id = excluded.holder_id", 'p', NULL },
	{ "owners", 3, 3, { "", "0", "0" },
	  "SELECT " OWNER_COLUMNS " FROM owners WHERE (object_kind,"
	  " object_id, person_id) > (?, ?, ?) ORDER BY object_kind,"
	  " object_id, person_id LIMIT ?",
	  "SELECT " OWNER_COLUMNS " FROM owners WHERE person_id IN "
	  STORE_ID_SET,
	  "DELETE FROM owners WHERE person_id IN " STORE_ID_SET,
	  "INSERT INTO owners (" OWNER_COLUMNS ") VALUES (" PLACES3 ")",
	  'p', NULL },
	{ "mailbox_members", 2, 2, { "0", "0" },
	  "SELECT " MEMBER_COLUMNS " FROM mailbox_members WHERE (mailbox_id,"
	  " person_id) > (?, ?) ORDER BY mailbox_id, person_id LIMIT ?",
	  "SELECT " MEMBER_COLUMNS " FROM mailbox_members WHERE person_id IN "
	  STORE_ID_SET,
	  "DELETE FROM mailbox_members WHERE person_id IN " STORE_ID_SET,
	  "INSERT INTO mailbox_members (" MEMBER_COLUMNS ") VALUES (" PLACES2
	  ")", 'p', NULL },
	{ "list_members", 3, 3, { "0", "", "0" },
	  "SELECT " LIST_MEMBER_COLUMNS " FROM list_members WHERE (list_id,"
	  " member_kind, member_id) > (?, ?, ?) AND " MAILBOX_MEMBER
	  " ORDER BY list_id, member_kind, member_id LIMIT ?",
	  "SELECT " LIST_MEMBER_COLUMNS " FROM list_members WHERE "
	  MAILBOX_MEMBER " AND member_id IN " STORE_ID_SET,
	  "DELETE FROM list_members WHERE member_id IN " STORE_ID_SET,
	  "INSERT INTO list_members (" LIST_MEMBER_COLUMNS ") VALUES ("
	  PLACES3 ")", 'm', NULL },
	{ "grants", 3, 3, { "0", "0", "" },
	  "SELECT " GRANT_COLUMNS " FROM grants WHERE (mailbox_id, person_id,"
	  " \"right\") > (?, ?, ?) ORDER BY mailbox_id, person_id, \"right\""
	  " LIMIT ?",
	  "SELECT " GRANT_COLUMNS " FROM grants WHERE person_id IN "
	  STORE_ID_SET,
	  "DELETE FROM grants WHERE person_id IN " STORE_ID_SET,
	  "INSERT INTO grants (" GRANT_COLUMNS ") VALUES (" PLACES3 ")",
	  'p', NULL },
};
#define TABLE_COUNT (sizeof(tables) / sizeof(tables[0]))

struct store_finder {
	char *url, *path;
	int busy_timeout_ms;
	int lock_fd;
	/*
	 * Following the feed and making the copy: one at a time, under
	 * sync_lock, through the database connection `feed` and the copy's
	 * own writing connection `writer` (NULL until the copy is made).
	 */
	pthread_mutex_t sync_lock;
	struct store *feed;
	struct store *writer;
	char stamp[64];		/* the database's (finder_log_floor) */
	time_t pruned_at, failed_at;
	/*
	 * Searches hold `swap` shared while they read the copy; the copy is
	 * taken out of service (ready false) and its idle connections closed
	 * under it held alone, so no search reads a file being replaced.
	 */
	pthread_rwlock_t swap;
	pthread_mutex_t idle_lock;
	struct store *idle[FINDER_IDLE_MAX];
	size_t idle_count;
	atomic_bool ready;
	atomic_bool remake;	/* take it out of service and make it again */
	atomic_bool stopping;
	_Atomic int64_t synced;	/* the newest note the copy has */
	/* Every sign-in before this (wall seconds) is in the copy. */
	int64_t signins_through;
	int64_t signins_folded_at;	/* when heard ones were last taken */
	struct periodic *thread;
};

/* --- The copy's connections ------------------------------------------- */

static struct store *
copy_open(const char *path, bool create, int busy_timeout_ms,
	struct error *err)
{
	struct store *st = store_open_plain("sqlite", path, create,
		busy_timeout_ms, err);
	if (st != NULL)
		st->ops->exec(st->conn, store_sqlite_finder_open, err);
	/* Only a copy of this format answers (copy_resume, copy_make). */
	if (st != NULL)
		st->cards = true;
	return st;
}

/* Takes the copy out of service: no search reads it until it is made. */
static void
copy_retire(struct store_finder *f)
{
	pthread_rwlock_wrlock(&f->swap);
	atomic_store(&f->ready, false);
	pthread_mutex_lock(&f->idle_lock);
	for (size_t i = 0; i < f->idle_count; i++)
		store_close(&f->idle[i]);
	f->idle_count = 0;
	pthread_mutex_unlock(&f->idle_lock);
	pthread_rwlock_unlock(&f->swap);
	metrics_set(metrics_series(&copy_ready, NULL, NULL), 0);
}

/* --- Reading the feed --------------------------------------------------- */

/*
 * The database's newest note, never below the pruned floor (a feed
 * pruned to nothing still says how far it went). -1 with err.
 */
static int64_t
feed_newest(struct store *db, struct error *err)
{
	struct store_stmt *s = store_query(db, err,
		"SELECT " STORE_FINDER_NEWEST, "");
	if (s == NULL)
		return -1;
	int rc = store_step(db, s, err);
	int64_t newest = rc == 1 ? store_col_int(db, s, 0) : -1;
	store_finish(db, s);
	if (rc == 0)
		error_set(err, ERROR_INTERNAL, "the People Finder feed has no "
			"floor row (PostgreSQL migration 36)");
	return newest;
}

/* The feed's floor and stamp into below_r and stamp (64 bytes). */
static int
feed_floor(struct store *db, int64_t *below_r, char *stamp,
	struct error *err)
{
	struct store_stmt *s = store_query(db, err,
		"SELECT below, stamp FROM finder_log_floor", "");
	if (s == NULL)
		return -1;
	int rc = store_step(db, s, err);
	if (rc == 1) {
		*below_r = store_col_int(db, s, 0);
		const char *t = db->ops->column_text(s, 1);
		snprintf(stamp, 64, "%s", t != NULL ? t : "");
	} else if (rc == 0) {
		rc = error_set(err, ERROR_INTERNAL, "the People Finder feed "
			"has no floor row (PostgreSQL migration 36)");
	}
	store_finish(db, s);
	return rc == 1 ? 0 : -1;
}

/* --- Moving rows -------------------------------------------------------- */

/* The last row moved: its leading columns, to page from. */
struct page_mark {
	char *values[3];
};

static void
mark_free(struct page_mark *m)
{
	for (int i = 0; i < 3; i++) {
		free(m->values[i]);
		m->values[i] = NULL;
	}
}

/* Ids, in the order met. */
struct id_list {
	int64_t *ids;
	size_t count, capacity;
};

static void
id_list_add(struct id_list *l, int64_t id)
{
	if (l->count == l->capacity) {
		l->capacity = l->capacity ? 2 * l->capacity : 64;
		l->ids = xrealloc(l->ids, l->capacity * sizeof(*l->ids));
	}
	l->ids[l->count++] = id;
}

/*
 * Writes each row `from` yields into the copy with t->put (every value as
 * text: the copy's column types make numbers of them, as SQLite's
 * affinity does), finishes from; with `put`, notes each row's id (its
 * first column). The count moved, or -1 with err.
 */
static int64_t
rows_move(struct store_finder *f, const struct finder_table *t,
	struct store_stmt *from, struct page_mark *mark, struct id_list *put,
	struct error *err)
{
	struct store *db = f->feed, *lite = f->writer;
	int64_t n = 0;
	int rc;
	while ((rc = store_step(db, from, err)) == 1) {
		struct store_stmt *to = store_prepare(lite, t->put, err);
		if (to == NULL) {
			rc = -1;
			break;
		}
		for (int c = 0; c < t->columns; c++)
			store_bind_text(lite, to, c + 1,
				db->ops->column_text(from, c));
		int done;
		while ((done = store_step(lite, to, err)) == 1)
			;
		store_finish(lite, to);
		if (done < 0) {
			rc = -1;
			break;
		}
		if (put != NULL)
			id_list_add(put, store_col_int(db, from, 0));
		if (mark != NULL)
			for (int k = 0; k < t->keys; k++) {
				const char *v = db->ops->column_text(from, k);
				free(mark->values[k]);
				mark->values[k] = xstrdup(v != NULL ? v : "");
			}
		n++;
	}
	store_finish(db, from);
	return rc < 0 ? -1 : n;
}

/* Every row of t, a page at a time, in the feed's open snapshot. */
static int
table_make(struct store_finder *f, const struct finder_table *t,
	int64_t *rows_r, struct error *err)
{
	struct page_mark mark;
	for (int k = 0; k < 3; k++)
		mark.values[k] = xstrdup(k < t->keys ? t->start[k] : "");
	int64_t moved;
	do {
		if (atomic_load(&f->stopping)) {
			mark_free(&mark);
			return error_set(err, ERROR_TEMPORARY,
				"stopped while the copy was being made");
		}
		int64_t batch = FINDER_MAKE_BATCH;
		struct store_stmt *s = t->keys == 1 ?
			store_query(f->feed, err, t->page, "ti",
				mark.values[0], batch) :
			t->keys == 2 ?
			store_query(f->feed, err, t->page, "tti",
				mark.values[0], mark.values[1], batch) :
			store_query(f->feed, err, t->page, "ttti",
				mark.values[0], mark.values[1], mark.values[2],
				batch);
		moved = s != NULL ? rows_move(f, t, s, &mark, NULL, err) : -1;
		if (moved > 0)
			*rows_r += moved;
	} while (moved == FINDER_MAKE_BATCH);
	mark_free(&mark);
	return moved < 0 ? -1 : 0;
}

/* --- Making the copy whole ---------------------------------------------- */

/* The SQLite log files beside path ("-wal", "-shm"), removed. */
static int
log_files_remove(const char *path, struct error *err)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(path) + 8;
		char *p = xmalloc(n);
		snprintf(p, n, "%s%s", path, suffixes[i]);
		int rc = unlink(p) < 0 && errno != ENOENT ? -1 : 0;
		int saved = errno;
		free(p);
		if (rc < 0)
			return error_set(err, ERROR_INTERNAL, "cannot remove "
				"%s%s: %s", path, suffixes[i], strerror(saved));
	}
	return 0;
}

/* The copy's file as it is made; it takes the copy's place when whole. */
static char *
new_path(const struct store_finder *f)
{
	size_t n = strlen(f->path) + sizeof(".new");
	char *p = xmalloc(n);
	snprintf(p, n, "%s.new", f->path);
	return p;
}

/*
 * Every row a search reads, from one snapshot of the database, into a
 * new file, with that snapshot's newest note; then the file takes the
 * copy's place and answers searches. The copy is out of service
 * meanwhile, so nothing else uses the feed or the writer: sync_lock is
 * not held (a search would wait for it minutes), but to put it back.
 */
static int
copy_make(struct store_finder *f, struct error *err)
{
	int64_t began = clock_monotonic_ms();
	store_close(&f->writer);
	char *path = new_path(f);
	unlink(path);
	f->writer = copy_open(path, true, f->busy_timeout_ms, err);
	int64_t rows[TABLE_COUNT] = { 0 };
	int64_t newest = -1, below;
	/* Sign-ins after the snapshot are read when it catches up. */
	int64_t signins_through = (int64_t)time(NULL) - FINDER_SIGNIN_MARGIN_S;
	/*
	 * Written once, read back only when whole: nothing to undo if the
	 * node stops halfway (the file is made again), so no journal.
	 */
	int rc = f->writer == NULL ||
		f->writer->ops->exec(f->writer->conn,
			store_sqlite_finder_making, err) < 0 ||
		f->writer->ops->exec(f->writer->conn,
			store_sqlite_finder_tables, err) < 0 ?
		-1 : 0;
	if (rc == 0 && store_read_begin(f->feed, err) == 0) {
		newest = feed_newest(f->feed, err);
		rc = newest < 0 || feed_floor(f->feed, &below, f->stamp, err) < 0 ||
			store_begin(f->writer, err) < 0 ? -1 : 0;
		for (size_t i = 0; rc == 0 && i < TABLE_COUNT; i++)
			rc = table_make(f, &tables[i], &rows[i], err);
		if (rc == 0 && (store_exec(f->writer, err,
				"INSERT INTO copy_state (one, stamp, synced,"
				" format, signins_through) VALUES (1, ?, ?, ?, ?)",
				"tiii", f->stamp, newest,
				(int64_t)FINDER_COPY_FORMAT, signins_through) < 0 ||
			store_commit(f->writer, err) < 0))
			rc = -1;
		if (rc < 0 && f->writer->depth > 0)
			store_rollback(f->writer);
		store_read_end(f->feed);
	} else {
		rc = -1;
	}
	/*
	 * The cards as the store's (store_search.c reads a result's people
	 * from them), made from the rows at once, then kept by their
	 * triggers as the feed's rows are put in.
	 */
	if (rc == 0 && (f->writer->ops->exec(f->writer->conn,
				store_sqlite_finder_indexes, err) < 0 ||
			f->writer->ops->exec(f->writer->conn,
				store_sqlite_person_cards, err) < 0 ||
			f->writer->ops->exec(f->writer->conn,
				store_sqlite_person_cards_by_id, err) < 0 ||
			f->writer->ops->exec(f->writer->conn,
				store_sqlite_finder_made, err) < 0))
		rc = -1;
	store_close(&f->writer);
	/*
	 * The old copy's log, were one left by a crash, would be read into
	 * the new file as its own: gone first (no connection has it open).
	 */
	if (rc == 0)
		rc = log_files_remove(f->path, err);
	if (rc == 0 && rename(path, f->path) < 0)
		rc = error_set(err, ERROR_INTERNAL, "cannot put %s in place: %s",
			f->path, strerror(errno));
	if (rc < 0)
		unlink(path);
	free(path);
	if (rc == 0)
		f->writer = copy_open(f->path, false, f->busy_timeout_ms, err);
	if (rc < 0 || f->writer == NULL)
		return -1;
	pthread_mutex_lock(&f->sync_lock);
	atomic_store(&f->synced, newest);
	f->signins_through = signins_through;
	signins_uncaught();
	atomic_store(&f->remake, false);
	atomic_store(&f->ready, true);
	pthread_mutex_unlock(&f->sync_lock);
	metrics_set(metrics_series(&copy_ready, NULL, NULL), 1);
	metrics_add(metrics_series(&copy_makes_total, NULL, NULL), 1);
	log_info("finder.copy_made", "path=%s people=%lld keys=%lld "
		"orgs=%lld note=%lld seconds=%.1f", f->path,
		(long long)rows[3], (long long)rows[5], (long long)rows[0],
		(long long)newest, (clock_monotonic_ms() - began) / 1000.0);
	return 0;
}

/* --- Following the feed ------------------------------------------------- */

/* The ids one batch of notes names, by the table they name rows of. */
#define KINDS 5
struct named {
	struct id_list of[KINDS];	/* 'o', 's', 'm', 'p', 'l' */
};

static int
kind_index(char kind)
{
	switch (kind) {
	case 'o': return 0;
	case 's': return 1;
	case 'm': return 2;
	case 'p': return 3;
	case 'l': return 4;
	default: return -1;
	}
}

/*
 * Replaces the rows the notes name with the database's as the feed's
 * snapshot holds them (a row gone from it goes from the copy), children
 * before parents removed and parents before children written; a parent
 * written over in place (finder_table's gone), then removed if gone.
 */
static int
named_apply(struct store_finder *f, const struct named *n,
	struct error *err)
{
	for (size_t i = TABLE_COUNT; i-- > 0;) {
		const struct id_list *ids = &n->of[kind_index(tables[i].kind)];
		if (ids->count > 0 && tables[i].forget != NULL &&
		    store_exec(f->writer, err, tables[i].forget, "I",
			    ids->ids, ids->count) < 0)
			return -1;
	}
	for (size_t i = 0; i < TABLE_COUNT; i++) {
		const struct id_list *ids = &n->of[kind_index(tables[i].kind)];
		if (ids->count == 0)
			continue;
		struct id_list put = { 0 };
		struct store_stmt *s = store_query(f->feed, err,
			tables[i].named, "I", ids->ids, ids->count);
		int rc = s == NULL || rows_move(f, &tables[i], s, NULL,
			tables[i].gone != NULL ? &put : NULL, err) < 0 ? -1 : 0;
		if (rc == 0 && tables[i].gone != NULL &&
		    store_exec(f->writer, err, tables[i].gone, "II", ids->ids,
			    ids->count, put.ids, put.count) < 0)
			rc = -1;
		free(put.ids);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * One batch of notes past the copy's newest, applied in one transaction
 * of the copy: 1 when there may be more, 0 when it was the last, -1.
 */
static int
follow_batch(struct store_finder *f, struct error *err)
{
	int64_t after = atomic_load(&f->synced), last = after;
	struct named n = { 0 };
	struct store_stmt *s = store_query(f->feed, err,
		"SELECT id, kind, row_id FROM finder_log WHERE id > ?"
		" ORDER BY id LIMIT ?", "ii", after,
		(int64_t)FINDER_NOTES_BATCH);
	if (s == NULL)
		return -1;
	int rc, notes = 0;
	while ((rc = store_step(f->feed, s, err)) == 1) {
		last = store_col_int(f->feed, s, 0);
		const char *kind = f->feed->ops->column_text(s, 1);
		int k = kind != NULL ? kind_index(kind[0]) : -1;
		if (k >= 0)
			id_list_add(&n.of[k], store_col_int(f->feed, s, 2));
		notes++;
	}
	store_finish(f->feed, s);
	if (rc == 0 && notes > 0) {
		rc = store_begin(f->writer, err);
		if (rc == 0 && (named_apply(f, &n, err) < 0 ||
			store_exec(f->writer, err,
				"UPDATE copy_state SET synced = ?", "i",
				last) < 0 ||
			store_commit(f->writer, err) < 0))
			rc = -1;
		if (rc < 0 && f->writer->depth > 0)
			store_rollback(f->writer);
	}
	for (int k = 0; k < KINDS; k++)
		free(n.of[k].ids);
	if (rc < 0)
		return -1;
	atomic_store(&f->synced, last);
	if (notes > 0)
		metrics_add(metrics_series(&copy_notes_total, NULL, NULL),
			notes);
	return notes == FINDER_NOTES_BATCH ? 1 : 0;
}

/*
 * Every note past the copy's, in one snapshot of the database (the rows
 * as they are at its newest note); or the copy marked to be made again
 * when it cannot follow. Under sync_lock. 0, or -1 with err.
 */
static int
copy_follow(struct store_finder *f, struct error *err)
{
	if (!atomic_load(&f->ready) || atomic_load(&f->remake))
		return 0;
	if (store_read_begin(f->feed, err) < 0)
		return -1;
	int64_t below, synced = atomic_load(&f->synced);
	char stamp[64];
	int rc = feed_floor(f->feed, &below, stamp, err);
	int64_t newest = rc == 0 ? feed_newest(f->feed, err) : -1;
	const char *why = strcmp(stamp, f->stamp) != 0 ? "another_database" :
		below > synced ? "notes_pruned" :
		newest < synced ? "database_older" : NULL;
	if (newest < 0) {
		rc = -1;
	} else if (why != NULL) {
		/* A restored database numbers its notes again from older. */
		log_warn("finder.copy_stale", "path=%s reason=%s", f->path,
			why);
		atomic_store(&f->remake, true);
	} else {
		while (rc == 0 && (rc = follow_batch(f, err)) == 1)
			rc = 0;
	}
	store_read_end(f->feed);
	return rc < 0 ? -1 : 0;
}

/* --- Sign-in times (store_signins.h) ----------------------------------- */

/* Each sign-in time that is newer than the copy's, written into it. */
static int
signins_write(struct store *lite, const struct signin_heard *items,
	size_t count, struct error *err)
{
	for (size_t i = 0; i < count; i++)
		if (store_exec(lite, err, "UPDATE people SET last_signin_at = ?"
			    " WHERE id = ? AND COALESCE(last_signin_at, 0) < ?",
			    "iii", items[i].at, items[i].person_id,
			    items[i].at) < 0)
			return -1;
	return 0;
}

/*
 * Every sign-in since the copy's signins_through, read from the database
 * under the listener's connection `number` (what came after it began is
 * heard) and kept as heard: the fold that follows writes them all into
 * the copy. 0, or -1 with err.
 */
static int
signins_catch_up(struct store_finder *f, uint64_t number, struct error *err)
{
	struct store_stmt *s = store_query(f->feed, err, "SELECT id,"
		" last_signin_at FROM people WHERE last_signin_at >= ?", "i",
		f->signins_through);
	if (s == NULL)
		return -1;
	size_t n = 0;
	int rc;
	for (; (rc = store_step(f->feed, s, err)) == 1; n++)
		signins_heard(store_col_int(f->feed, s, 0),
			store_col_int(f->feed, s, 1));
	store_finish(f->feed, s);
	if (rc < 0)
		return -1;
	signins_caught_up(number);
	log_info("finder.signins_caught_up", "path=%s people=%zu", f->path, n);
	return 0;
}

/* Whether the copy with what is heard holds every sign-in until now. */
static bool
signins_sure(void)
{
	/*
	 * Only while the listener has heard everything until a moment ago:
	 * one gone quiet may have lost what it was sent.
	 */
	return signins_complete() && session_cache_listener_current();
}

/*
 * The sign-ins heard, taken into the copy; while it is complete, the
 * time it is complete to moved on. Under sync_lock. 0, or -1 with err.
 */
static int
signins_fold(struct store_finder *f, struct error *err)
{
	bool complete = signins_sure();
	int64_t now = (int64_t)time(NULL);
	int64_t through = now - FINDER_SIGNIN_MARGIN_S;
	struct signin_heard *items;
	size_t n = signins_take(&items);
	bool move = complete && through > f->signins_through;
	int rc = 0;
	if ((n > 0 || move) && (store_begin(f->writer, err) < 0 ||
		signins_write(f->writer, items, n, err) < 0 ||
		(move && store_exec(f->writer, err, "UPDATE copy_state SET"
			" signins_through = ?", "i", through) < 0) ||
		store_commit(f->writer, err) < 0))
		rc = -1;
	if (rc < 0 && f->writer->depth > 0)
		store_rollback(f->writer);
	if (rc == 0) {
		signins_taken(items, n);
		if (move)
			f->signins_through = through;
		f->signins_folded_at = now;
	}
	free(items);
	return rc;
}

/*
 * The copy's sign-in times: caught up when behind; what is heard taken
 * in when the copy was just written anyway (`wrote`), else once every
 * FINDER_SIGNINS_FOLD_S or when much is held. Each write to the copy
 * costs every connection reading it its map of the file (SQLite unmaps
 * it when the database changed: B5 and B9 ran at 40 % of their rate
 * with a write a second), and records read what is heard meanwhile.
 */
static int
signins_follow(struct store_finder *f, bool wrote, struct error *err)
{
	uint64_t behind = signins_behind();
	if (behind != 0 && signins_catch_up(f, behind, err) < 0)
		return -1;
	if (wrote || behind != 0 || signins_count() >= FINDER_SIGNINS_HELD ||
	    (int64_t)time(NULL) - f->signins_folded_at >= FINDER_SIGNINS_FOLD_S)
		return signins_fold(f, err);
	return 0;
}

/* Notes older than FINDER_NOTES_KEPT_S, gone, and the floor raised. */
static void
feed_prune(struct store_finder *f)
{
	struct error err;
	time_t now = time(NULL);
	if (now - f->pruned_at < FINDER_PRUNE_EVERY_S)
		return;
	f->pruned_at = now;
	if (store_begin(f->feed, &err) < 0 ||
	    store_exec(f->feed, &err,
		    "WITH gone AS (DELETE FROM finder_log WHERE at < ?"
		    " RETURNING id) UPDATE finder_log_floor SET below ="
		    " GREATEST(below, COALESCE((SELECT max(id) FROM gone), 0))",
		    "i", (int64_t)(now - FINDER_NOTES_KEPT_S)) < 0 ||
	    store_commit(f->feed, &err) < 0) {
		if (f->feed->depth > 0)
			store_rollback(f->feed);
		log_warn("finder.prune_failed", "reason=\"%s\"", err.msg);
	}
}

/* The copy's thread: made when it must be, else the feed followed. */
static void
finder_tick(void *arg)
{
	struct store_finder *f = arg;
	struct error err;
	if (atomic_load(&f->stopping))
		return;
	pthread_mutex_lock(&f->sync_lock);
	if (atomic_load(&f->remake) && atomic_load(&f->ready))
		copy_retire(f);
	bool make = !atomic_load(&f->ready);
	int64_t synced = atomic_load(&f->synced);
	if (!make && copy_follow(f, &err) < 0)
		log_warn("finder.follow_failed", "reason=\"%s\"", err.msg);
	else if (!make)
		feed_prune(f);
	if (!make && atomic_load(&f->ready) &&
	    signins_follow(f, atomic_load(&f->synced) != synced, &err) < 0)
		log_warn("finder.signins_failed", "reason=\"%s\"", err.msg);
	pthread_mutex_unlock(&f->sync_lock);
	time_t now = time(NULL);
	if (make && now - f->failed_at >= FINDER_RETRY_S &&
	    copy_make(f, &err) < 0) {
		f->failed_at = now;
		if (!atomic_load(&f->stopping))
			log_warn("finder.copy_failed", "path=%s reason=\"%s\" "
				"retry_s=%d", f->path, err.msg,
				FINDER_RETRY_S);
	}
}

/* --- Searches ----------------------------------------------------------- */

/*
 * A connection to the copy for a search through db, with the copy as
 * current as the database was when asked, and `swap` held shared; NULL
 * when the copy cannot answer (not made, or the database not reached:
 * the search goes to the database, which says why if it fails too).
 */
static struct store *
copy_enter(struct store *db)
{
	struct store_finder *f = db->finder;
	struct error err;
	if (!atomic_load(&f->ready))
		return NULL;
	if (!db->finder_fresh) {
		/*
		 * Read with the request's session, or asked now; or newer, a
		 * note this node has committed since (its own writes) or
		 * heard of.
		 */
		int64_t newest = db->finder_noted_valid ? db->finder_noted :
			feed_newest(db, &err);
		db->finder_noted_valid = false;
		if (newest < 0)
			return NULL;
		int64_t heard = session_cache_newest_heard();
		if (heard > newest)
			newest = heard;
		if (newest > atomic_load(&f->synced)) {
			pthread_mutex_lock(&f->sync_lock);
			int rc = newest > atomic_load(&f->synced) ?
				copy_follow(f, &err) : 0;
			pthread_mutex_unlock(&f->sync_lock);
			if (rc < 0)
				log_warn("finder.follow_failed", "reason=\"%s\"",
					err.msg);
		}
		/* Followed past it (another search's) is as good. */
		if (atomic_load(&f->synced) < newest ||
		    atomic_load(&f->remake))
			return NULL;
		db->finder_fresh = db->finder_span;
	}
	pthread_rwlock_rdlock(&f->swap);
	struct store *lite = NULL;
	if (atomic_load(&f->ready)) {
		pthread_mutex_lock(&f->idle_lock);
		if (f->idle_count > 0)
			lite = f->idle[--f->idle_count];
		pthread_mutex_unlock(&f->idle_lock);
		if (lite == NULL)
			lite = copy_open(f->path, false, f->busy_timeout_ms,
				&err);
	}
	if (lite == NULL)
		pthread_rwlock_unlock(&f->swap);
	return lite;
}

static void
copy_leave(struct store_finder *f, struct store *lite)
{
	if (lite->depth == 0 && lite->reads == 0) {
		pthread_mutex_lock(&f->idle_lock);
		if (f->idle_count < FINDER_IDLE_MAX) {
			f->idle[f->idle_count++] = lite;
			lite = NULL;
		}
		pthread_mutex_unlock(&f->idle_lock);
	}
	store_close(&lite);
	pthread_rwlock_unlock(&f->swap);
}

static void
counted(bool copy)
{
	metrics_add(metrics_series(&searches_total,
		copy ? "copy" : "database", NULL), 1);
}

int
store_finder_person_search(struct store *db,
	const struct store_person_query *q, struct arena *a,
	struct store_person_match **rows_r, size_t *count_r, struct error *err)
{
	struct store *lite = copy_enter(db);
	counted(lite != NULL);
	if (lite == NULL)
		return 0;
	int rc = store_reads_begin(lite, err);
	if (rc == 0) {
		rc = store_person_search(lite, q, a, rows_r, count_r, err);
		store_reads_end(lite);
	}
	copy_leave(db->finder, lite);
	return rc < 0 ? -1 : 1;
}

int
store_finder_org_find(struct store *db, const char *text, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err)
{
	struct store *lite = copy_enter(db);
	if (lite == NULL)
		return 0;
	int rc = store_org_find(lite, text, a, ids_r, count_r, err);
	copy_leave(db->finder, lite);
	return rc < 0 ? -1 : 1;
}

/*
 * A person's whole record from the copy, with the newest sign-in heard:
 * only outside a transaction (a write's own rows are the database's),
 * and while the copy holds every sign-in (store_signins.h).
 */
int
store_finder_person_record(struct store *db, int64_t id,
	const char *address, struct arena *a, struct store_person_record *r_r,
	struct error *err)
{
	struct store *lite = db->depth > 0 || !signins_sure() ? NULL :
		copy_enter(db);
	int rc = 0;
	for (int tries = 0; lite != NULL && rc == 0 && tries < 2; tries++) {
		/* Heard times taken into the copy meanwhile: read again. */
		uint64_t epoch = signins_epoch();
		struct error inner;
		if (store_person_record_get(lite, id, address, a, r_r,
			    &inner) < 0) {
			/*
			 * Not held: the database says, the person may be one
			 * this node has not heard of yet.
			 */
			if (inner.code != ERROR_NOT_FOUND)
				rc = error_forward(err, &inner);
			break;
		}
		struct store_person *p = &r_r->view.person;
		int64_t heard = signins_of(p->id);
		if (signins_epoch() == epoch) {
			if (heard > p->last_signin_at)
				p->last_signin_at = heard;
			rc = 1;
		}
	}
	if (lite != NULL)
		copy_leave(db->finder, lite);
	metrics_add(metrics_series(&records_total,
		rc == 1 ? "copy" : "database", NULL), 1);
	return rc;
}

/* --- Start and stop ----------------------------------------------------- */

/* The copy as a node left it: in service at once if it is whole. */
static void
copy_resume(struct store_finder *f)
{
	struct error err = { 0 };
	if (access(f->path, F_OK) != 0)
		return;
	f->writer = copy_open(f->path, false, f->busy_timeout_ms, &err);
	/* A copy of the first format has no format column: made again. */
	struct store_stmt *s = f->writer == NULL ? NULL :
		store_query(f->writer, &err, "SELECT stamp, synced,"
			" signins_through, format FROM copy_state", "");
	int64_t synced = -1, below = 0, newest = -1, format = -1;
	char stamp[64] = "";
	if (s != NULL && store_step(f->writer, s, &err) == 1) {
		const char *t = f->writer->ops->column_text(s, 0);
		snprintf(f->stamp, sizeof(f->stamp), "%s", t != NULL ? t : "");
		synced = store_col_int(f->writer, s, 1);
		f->signins_through = store_col_int(f->writer, s, 2);
		format = store_col_int(f->writer, s, 3);
	}
	if (s != NULL)
		store_finish(f->writer, s);
	if (format != FINDER_COPY_FORMAT && f->writer != NULL &&
	    (format >= 0 || strstr(err.msg, "no such column") != NULL))
		log_info("finder.copy_old_format", "path=%s format=%d", f->path,
			FINDER_COPY_FORMAT);
	if (format != FINDER_COPY_FORMAT)
		synced = -1;
	/*
	 * Only a copy this database can bring up to date answers: before
	 * the first search, not at the thread's first look.
	 */
	if (synced >= 0 && feed_floor(f->feed, &below, stamp, &err) == 0 &&
	    (newest = feed_newest(f->feed, &err)) >= 0 &&
	    strcmp(stamp, f->stamp) == 0 && below <= synced &&
	    newest >= synced) {
		atomic_store(&f->synced, synced);
		atomic_store(&f->ready, true);
	} else if (synced >= 0) {
		log_warn("finder.copy_stale", "path=%s reason=%s", f->path,
			newest < 0 ? "database_unread" :
			strcmp(stamp, f->stamp) != 0 ? "another_database" :
			below > synced ? "notes_pruned" : "database_older");
	}
	if (!atomic_load(&f->ready))
		store_close(&f->writer);
	else
		metrics_set(metrics_series(&copy_ready, NULL, NULL), 1);
}

/*
 * The copy at path, held by this process alone (its lock file's flock):
 * 1, 0 when another process holds it, -1 with err.
 */
static int
copy_claim(struct store_finder *f, const char *path, struct error *err)
{
	size_t n = strlen(path) + sizeof(".lock");
	char *lock_path = xmalloc(n);
	snprintf(lock_path, n, "%s.lock", path);
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock_path);
	if (fd < 0)
		return error_set(err, ERROR_INVALID, "cannot keep the People "
			"Finder copy at %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 0;
	}
	f->lock_fd = fd;
	f->path = xstrdup(path);
	return 1;
}

/*
 * A copy for this process: at path, or, when numbered and another
 * process holds that (nodes started from one instance directory), the
 * first of path-2, path-3, ... that none holds.
 */
static int
copy_claim_any(struct store_finder *f, const char *path, bool numbered,
	struct error *err)
{
	int rc = copy_claim(f, path, err);
	const char *dot = strrchr(path, '.');
	size_t stem = dot != NULL && strchr(dot, '/') == NULL ?
		(size_t)(dot - path) : strlen(path);
	for (int i = 2; numbered && rc == 0 && i <= FINDER_NUMBERED_MAX; i++) {
		size_t room = strlen(path) + 16;
		char *next = xmalloc(room);
		snprintf(next, room, "%.*s-%d%s", (int)stem, path, i,
			path + stem);
		rc = copy_claim(f, next, err);
		free(next);
	}
	if (rc == 0)
		return error_set(err, ERROR_INVALID, "cannot keep the People "
			"Finder copy at %s: another caremail process keeps "
			"it; give each node its own (store.finder_copy)", path);
	return rc < 0 ? -1 : 0;
}

struct store_finder *
store_finder_start(const char *url, const char *path, bool numbered,
	int busy_timeout_ms, struct error *err)
{
	struct store_finder *f = xcalloc(1, sizeof(*f));
	f->lock_fd = -1;
	f->url = xstrdup(url);
	f->busy_timeout_ms = busy_timeout_ms;
	signins_keep(true);
	pthread_mutex_init(&f->sync_lock, NULL);
	pthread_mutex_init(&f->idle_lock, NULL);
	pthread_rwlock_init(&f->swap, NULL);
	/* One process per copy: two writing one file would undo each other. */
	if (copy_claim_any(f, path, numbered, err) < 0) {
		store_finder_stop(&f);
		return NULL;
	}
	f->feed = store_open("postgresql", url, false, busy_timeout_ms, err);
	if (f->feed == NULL) {
		store_finder_stop(&f);
		return NULL;
	}
	copy_resume(f);
	f->thread = periodic_start(1, finder_tick, f);
	return f;
}

void
store_finder_stop(struct store_finder **fp)
{
	if (fp == NULL || *fp == NULL)
		return;
	struct store_finder *f = *fp;
	atomic_store(&f->stopping, true);
	periodic_stop(&f->thread);
	signins_keep(false);
	for (size_t i = 0; i < f->idle_count; i++)
		store_close(&f->idle[i]);
	store_close(&f->writer);
	store_close(&f->feed);
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	pthread_rwlock_destroy(&f->swap);
	pthread_mutex_destroy(&f->idle_lock);
	pthread_mutex_destroy(&f->sync_lock);
	free(f->url);
	free(f->path);
	free(f);
	*fp = NULL;
}
