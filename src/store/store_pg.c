/*
 * The PostgreSQL backend (issue 14, SPEC S2): the typed operations' SQL
 * run through libpq, behind the same struct store_ops as SQLite. Layer:
 * store. With store_pg_listen.c (the change listener), the only files
 * that include libpq-fe.h.
 *
 * What it spells its own way (docs/design.md "What a store driver must
 * provide", docs/postgresql.md):
 * - Parameters: SQLite's '?' and '?NNN' become '$n' when a statement is
 *   first prepared (SQLite's numbering: a bare '?' is one more than the
 *   largest number so far), outside quoted text and comments.
 * - Types: values go as text with their type left to the server, which
 *   infers it from where the parameter stands (so a count compared with
 *   an int4 function argument is an int4). Where it cannot ("? IS NULL")
 *   the statement runs again with the types of the bind calls (int8,
 *   text, bytea), and keeps them.
 * - Sets: {ids ?} is (SELECT unnest(?::int8[]) AS value), {texts ?} the
 *   same over text[]; an empty array matches nothing.
 * - Writers: a writing transaction takes one advisory lock for the
 *   cluster (begin_write), so writers follow one another as on SQLite:
 *   the audit chain, UIDNEXT and quota arithmetic read and then write in
 *   the belief that nobody else writes between, on any node. Readers
 *   never wait for it.
 * - A failed statement: PostgreSQL abandons the whole transaction, where
 *   SQLite undoes the statement alone and the caller may go on (an
 *   address claimed by its INSERT, the next one tried when it is taken).
 *   Inside a transaction, each write runs in a savepoint of its own, so
 *   a refused one leaves the transaction as it was before it.
 * - A store moved in (caremail migrate) is loaded by COPY FROM STDIN,
 *   a stream per table in COPY's text format (store_copy_text.c), with
 *   the indexes, keys and foreign keys made again after the rows: no
 *   statement, savepoint or index step per row.
 * - Booleans that an expression yields ('t'/'f') read as 1/0, as
 *   SQLite's do; bytea comes back unescaped.
 */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/xmalloc.h"
#include "store/store_backend.h"
#include "store/store_copy_text.h"
#include "store/store_internal.h"
#include "store/store_session_cache.h"
#include "store/store_signins.h"

/*
 * Statements kept per connection, each prepared on the server once: more
 * than the store's distinct statements, so a long-lived connection never
 * parses one twice.
 */
#define PG_CACHE_SLOTS 512

/* The OIDs of the bind calls' types (pg_type.h, stable since 7.x). */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

/* The cluster-wide lock a writing transaction holds (begin_write). */
#define PG_WRITE_LOCK "7291001"

struct pg_conn;

/* People one transaction's forgetting is kept for; past it, everyone. */
#define PG_TOLD_MAX 64

struct pg_stmt {
	const char *sql;	/* the literal this was prepared from */
	char *text;		/* in PostgreSQL's spelling */
	int nparams;
	bool write;		/* INSERT, UPDATE or DELETE: in a savepoint */
	bool in_use, cached;
	bool typed;	/* the server could not infer a type: send ours */
	/* The connection's epoch it was prepared in (0: not prepared). */
	uint64_t prepared_epoch;
	/* Bound values: text (or binary for bytea), NULL for SQL NULL. */
	char **values;
	char **owned;	/* values this statement must free */
	int *lengths, *formats;
	unsigned int *types;
	bool bind_failed;
	PGresult *res;
	int row, rows;
	/* column_blob's unescaped values of this row, by column. */
	unsigned char **blobs;
	int blob_columns;
	struct pg_conn *conn;
};

struct pg_conn {
	PGconn *db;
	/* Counts the server sessions: a new one has no prepared statements. */
	uint64_t epoch;
	/*
	 * A read transaction begun (begin_snapshot) whose BEGIN is not sent
	 * yet: it goes with the first statement, one round trip for both
	 * (pg_begin_due), and a COMMIT with none ran sends nothing.
	 */
	bool begin_pending;
	int busy_timeout_ms;
	int64_t changes;
	struct pg_stmt cache[PG_CACHE_SLOTS];
	size_t cache_used;
	/*
	 * What the directory's triggers told this connection its open
	 * transaction changed (pg_notice): forgotten by this node's memory
	 * of sessions again once it commits (pg_settle).
	 */
	int64_t told[PG_TOLD_MAX];
	size_t told_count;
	bool told_all;
	int64_t told_newest;
	/*
	 * The sign-ins it wrote (migration 40), heard by this node once it
	 * commits: its own requests do not wait for its listener either.
	 */
	struct signin_heard *signins;
	size_t signin_count, signin_room;
	/* The bulk load under way (load_begin to load_end), and its row. */
	const struct store_table *loading;
	char *line;
	size_t line_room;
};

extern const char *const store_pg_migrations[];
extern const char store_pg_session_tables[];

static struct pg_stmt *
as_pg(struct store_stmt *s)
{
	return (struct pg_stmt *)(void *)s;
}

/* ---- errors ---- */

/* The store's error for a failed result (or a lost connection). */
static int
pg_error(struct error *err, PGconn *db, const PGresult *res,
	const char *what)
{
	const char *state = res != NULL ?
		PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(db);
	char text[400];
	snprintf(text, sizeof(text), "%s", msg != NULL ? msg : "");
	/* One line: libpq's messages end with a newline, some have two. */
	for (char *p = text; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = *(p + 1) == '\0' ? '\0' : ' ';
	if (state == NULL || PQstatus(db) == CONNECTION_BAD)
		return error_set(err, ERROR_TEMPORARY, "storage error: the "
			"database cannot be reached just now (%s in %s); try "
			"again later", text, what);
	if (strcmp(state, "23505") == 0)
		return error_set(err, ERROR_EXISTS, "that already exists (%s)",
			text);
	/* Class 23 (a key, NOT NULL, CHECK) or a trigger's RAISE. */
	if (strncmp(state, "23", 2) == 0 || strcmp(state, "P0001") == 0)
		return error_set(err, ERROR_INVALID, "the change breaks a rule "
			"of the store (%s)", text);
	if (strcmp(state, "53100") == 0)
		return error_set(err, ERROR_NO_SPACE, "the database's disk is "
			"full: %s (%s)", text, what);
	/*
	 * SECURITY.md 26, as for SQLite: a database that is busy, gone,
	 * out of room or shutting down is "try again later", never the
	 * client's fault. Serialization failures, deadlocks, lock and
	 * statement timeouts, resources, connections, operator actions.
	 */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 ||
	    strncmp(state, "53", 2) == 0 || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0 || strncmp(state, "58", 2) == 0)
		return error_set(err, ERROR_TEMPORARY, "storage error: the "
			"database is busy or unavailable (%s in %s); try again "
			"later", text, what);
	return error_set(err, ERROR_INTERNAL, "store error: %s (%s, SQLSTATE "
		"%s)", text, what, state);
}

/* ---- connections ---- */

static int pg_exec(void *c, const char *sql, struct error *err);

/*
 * Notices ("relation already exists, skipping") are not for a log. But
 * the directory's triggers (migration 39) tell the connection that wrote
 * what this node's memory of sessions must forget (store_session_cache.h)
 * with an INFO message, which comes as each row is written, in the
 * statement's own answer: forgotten now, so no read that began before
 * the change is kept, and again once the transaction commits (pg_settle),
 * so none that began before the commit is kept either. NOTIFY says the
 * same to the other nodes, but only at commit, and to a listener: this
 * node's own requests must not race its listener.
 */
/* A sign-in this connection wrote: "id time" (migration 40). */
static void
pg_told_signin(struct pg_conn *conn, const char *payload)
{
	struct signin_heard h;
	if (!signins_parse(payload, &h))
		return;
	if (conn->signin_count == conn->signin_room) {
		conn->signin_room = conn->signin_room ? 2 * conn->signin_room :
			16;
		conn->signins = xrealloc(conn->signins, conn->signin_room *
			sizeof(*conn->signins));
	}
	conn->signins[conn->signin_count++] = h;
}

static void
pg_notice(void *arg, const PGresult *res)
{
	struct pg_conn *conn = arg;
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *prefix = STORE_DIRECTORY_CHANNEL " ";
	const char *signin = STORE_SIGNIN_CHANNEL " ";
	if (m != NULL && strncmp(m, signin, strlen(signin)) == 0) {
		pg_told_signin(conn, m + strlen(signin));
		return;
	}
	if (m == NULL || strncmp(m, prefix, strlen(prefix)) != 0)
		return;
	const char *payload = m + strlen(prefix);
	char *end;
	long long id = strtoll(payload + 1, &end, 10);
	bool number = end != payload + 1 && *end == '\0';
	if (payload[0] == 'n' && number) {
		if (id > conn->told_newest)
			conn->told_newest = id;
		return;
	}
	if (payload[0] == 'p' && number && conn->told_count < PG_TOLD_MAX) {
		conn->told[conn->told_count++] = id;
		session_cache_forget_person(id);
		return;
	}
	conn->told_all = true;
	session_cache_forget_all();
}

/*
 * The connection's transaction ended (committed, or not): what its
 * triggers told it is forgotten again, and the People Finder's newest
 * note made known, only if it committed.
 */
static void
pg_settle(struct pg_conn *conn, bool committed)
{
	if (committed) {
		if (conn->told_all)
			session_cache_forget_all();
		for (size_t i = 0; i < conn->told_count; i++)
			session_cache_forget_person(conn->told[i]);
		if (conn->told_newest > 0)
			session_cache_note_newest(conn->told_newest);
		for (size_t i = 0; i < conn->signin_count; i++)
			signins_heard(conn->signins[i].person_id,
				conn->signins[i].at);
	}
	conn->signin_count = 0;
	conn->told_count = 0;
	conn->told_all = false;
	conn->told_newest = 0;
}

/*
 * The session's settings. Waiting for a lock (the writers' one included)
 * ends as SQLite's busy timeout does; a commit is on the server's disk
 * when it returns; notices are not for a log.
 *
 * No hash joins: the store's SQL is written for SQLite's planner, which
 * joins by index lookups alone, and every join it makes has its index.
 * PostgreSQL, knowing nothing of the connection's working tables (TEMP
 * tables are never analysed), takes a delivery's recipient set to hold
 * thousands of rows and hashes it against a scan of every folder: four
 * times the CPU of a message's delivery on a small store (B1 on
 * PostgreSQL, bench/RESULTS.md), a full scan of millions of rows at
 * national scale.
 *
 * No JIT compilation: PostgreSQL compiles a statement it expects to be
 * costly (estimated cost over 100,000: a delivery to a list, a large
 * folder's rows), which took 160 ms of a 20,000-member list's 0.9 s
 * delivery (B2), for a statement that then ran in 75 ms. Its work is
 * index lookups a row, which compiled code does not make faster.
 *
 * The connection's working tables (a delivery's recipient set) are held
 * in up to 64 MB of its own memory (temp_buffers; 8 MB by default), taken
 * only as they grow: a dynamic list of 532,586 people (B8) is a set of
 * about 40 MB with its key, and at 8 MB every insert into it wrote a
 * page out and read another back (1.1 GB written, a quarter of the
 * list's expansion). It must be set before the session first uses a
 * temporary table; a session that has (one a pooler hands over from
 * another client) refuses it and keeps what it had, as without lz4.
 *
 * Bodies are compressed with lz4 where the server has it (Debian's does):
 * a fifth of a delivery's CPU went to pglz. Without it the default stays.
 */
static int
pg_session(struct pg_conn *conn, struct error *err)
{
	PQsetNoticeReceiver(conn->db, pg_notice, conn);
	/*
	 * caremail.node: the directory's triggers tell this connection, and
	 * no other client (psql), what its writes changed (pg_notice).
	 */
	char setup[512];
	snprintf(setup, sizeof(setup), "SET lock_timeout = %d;"
		"SET caremail.node = 'on';"
		"SET client_min_messages = warning;"
		"SET synchronous_commit = on;"
		"SET enable_hashjoin = off;"
		"SET jit = off;", conn->busy_timeout_ms);
	PGresult *res = PQexec(conn->db, setup);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 :
		pg_error(err, conn->db, res, "set up");
	PQclear(res);
	if (rc == 0) {
		PQclear(PQexec(conn->db, "SET default_toast_compression = lz4"));
		/* Refused where a pooler hands over a session that has used
		 * temporary tables: it then keeps what it had. */
		PQclear(PQexec(conn->db, "SET temp_buffers = '64MB'"));
	}
	return rc;
}

static void *
pg_open(const char *url, bool create, int busy_timeout_ms, struct error *err)
{
	(void)create;	/* the database is the operator's to make */
	PGconn *db = PQconnectdb(url);
	if (db == NULL || PQstatus(db) != CONNECTION_OK) {
		/* The URL may hold a password: not repeated here. */
		error_set(err, ERROR_TEMPORARY, "cannot open the PostgreSQL "
			"store: %s", db != NULL ? PQerrorMessage(db) :
			"out of memory");
		PQfinish(db);
		return NULL;
	}
	struct pg_conn *conn = xcalloc(1, sizeof(*conn));
	conn->db = db;
	conn->epoch = 1;
	conn->busy_timeout_ms = busy_timeout_ms;
	if (pg_session(conn, err) < 0) {
		PQfinish(db);
		free(conn);
		return NULL;
	}
	return conn;
}

/*
 * A connection lost (the server restarted, a failover) is made again
 * the next time it is used outside a transaction, with its settings and
 * working tables, so a pooled connection is not broken for good; inside
 * a transaction the loss is the caller's error, and its retry finds a
 * connection again. 0 when the connection is usable.
 */
static int
pg_revive(struct pg_conn *conn, struct error *err)
{
	if (PQstatus(conn->db) == CONNECTION_OK)
		return 0;
	PQreset(conn->db);
	if (PQstatus(conn->db) != CONNECTION_OK)
		return error_set(err, ERROR_TEMPORARY, "storage error: the "
			"database cannot be reached just now; try again later");
	conn->epoch++;
	/*
	 * A transaction lost with it may have committed: forgotten as if,
	 * but no note of it made known, which it may not have made.
	 */
	conn->told_newest = 0;
	/* Nor a sign-in: a node keeps the newest it hears, true or not. */
	conn->signin_count = 0;
	pg_settle(conn, true);
	/*
	 * The server forgot this session's statements with it. A read
	 * transaction's pending BEGIN stays pending: the working tables are
	 * made outside it (a READ ONLY one could not).
	 */
	bool pending = conn->begin_pending;
	conn->begin_pending = false;
	int rc = pg_session(conn, err) < 0 ||
		pg_exec(conn, store_pg_session_tables, err) < 0 ? -1 : 0;
	conn->begin_pending = pending;
	return rc;
}

/* The row's unescaped bytea values, freed when the row is left. */
static void
stmt_free_blobs(struct pg_stmt *s)
{
	for (int i = 0; i < s->blob_columns; i++) {
		PQfreemem(s->blobs[i]);
		s->blobs[i] = NULL;
	}
}

static void
stmt_free_binds(struct pg_stmt *s)
{
	for (int i = 0; i < s->nparams; i++) {
		free(s->owned[i]);
		s->owned[i] = NULL;
		s->values[i] = NULL;
		s->lengths[i] = 0;
		s->formats[i] = 0;
		s->types[i] = 0;
	}
	s->bind_failed = false;
}

static void
stmt_free(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	stmt_free_blobs(s);
	free(s->blobs);
	if (s->owned != NULL)
		stmt_free_binds(s);
	free(s->text);
	free(s->values);
	free(s->owned);
	free(s->lengths);
	free(s->formats);
	free(s->types);
}

static void
pg_close(void *c)
{
	struct pg_conn *conn = c;
	for (size_t i = 0; i < conn->cache_used; i++)
		stmt_free(&conn->cache[i]);
	PQfinish(conn->db);
	free(conn->line);
	free(conn->signins);
	free(conn);
}

/* The command's rows changed, from its tag ("INSERT 0 3", "UPDATE 2"). */
static void
note_changes(struct pg_conn *conn, PGresult *res)
{
	const char *n = PQcmdTuples(res);
	conn->changes = n != NULL && n[0] != '\0' ? strtoll(n, NULL, 10) : 0;
}

static const char pg_begin_snapshot[] =
	"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/*
 * Sends a read transaction's pending BEGIN on its own: before anything
 * that is not a statement pg_execute can send with it. 0, or -1 with err.
 */
static int
pg_begin_due(struct pg_conn *conn, struct error *err)
{
	if (!conn->begin_pending)
		return 0;
	conn->begin_pending = false;
	/* A copy, so pg_exec sends it rather than putting it off again. */
	char begin[sizeof(pg_begin_snapshot)];
	memcpy(begin, pg_begin_snapshot, sizeof(begin));
	return pg_exec(conn, begin, err);
}

static int
pg_exec(void *c, const char *sql, struct error *err)
{
	struct pg_conn *conn = c;
	/*
	 * A read transaction (bench B5: every People Finder search) costs a
	 * round trip less when its BEGIN goes with its first statement; one
	 * that ran none ends without a word to the server.
	 */
	if (sql == pg_begin_snapshot && !conn->begin_pending &&
	    PQtransactionStatus(conn->db) == PQTRANS_IDLE) {
		conn->begin_pending = true;
		return 0;
	}
	if (conn->begin_pending && (strcmp(sql, "COMMIT") == 0 ||
		    strcmp(sql, "ROLLBACK") == 0)) {
		conn->begin_pending = false;
		return 0;
	}
	if (pg_begin_due(conn, err) < 0)
		return -1;
	/* A lost connection is made again only to begin afresh. */
	if (strncmp(sql, "BEGIN", 5) == 0 &&
	    PQtransactionStatus(conn->db) == PQTRANS_UNKNOWN &&
	    pg_revive(conn, err) < 0)
		return -1;
	PGresult *res = PQexec(conn->db, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = pg_error(err, conn->db, res, "exec");
		/*
		 * A begin whose lock was not had (begin_write) has begun a
		 * transaction all the same: end it, as the caller has none.
		 */
		if (strncmp(sql, "BEGIN", 5) == 0 &&
		    PQtransactionStatus(conn->db) != PQTRANS_IDLE) {
			PGresult *undo = PQexec(conn->db, "ROLLBACK");
			PQclear(undo);
		}
	}
	/*
	 * COMMIT of a transaction a failed statement abandoned answers
	 * ROLLBACK, not an error: it must not pass for a commit.
	 */
	else if (strncmp(sql, "COMMIT", 6) == 0 &&
		 strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
		rc = error_set(err, ERROR_TEMPORARY, "storage error: the "
			"transaction was undone by the database; try again "
			"later");
	else
		note_changes(conn, res);
	PQclear(res);
	if (PQtransactionStatus(conn->db) == PQTRANS_IDLE)
		pg_settle(conn, rc == 0 && strncmp(sql, "ROLLBACK", 8) != 0);
	return rc;
}

/* ---- statements ---- */

/* Named "value" as SQLite's json_each names it ("SELECT value FROM" a set). */
static const char pg_ids[] = "(SELECT unnest(?::int8[]) AS value)";
static const char pg_texts[] = "(SELECT unnest(?::text[]) AS value)";
static const char pg_in_texts[] = " = ANY(?::text[])";

/* Each set marker (store_backend.h) and its spelling here. */
struct pg_set {
	const char *marker;
	size_t length;
	const char *with;
};

static const struct pg_set pg_sets[] = {
	{ STORE_ID_SET, sizeof(STORE_ID_SET) - 1, pg_ids },
	{ STORE_TEXT_SET, sizeof(STORE_TEXT_SET) - 1, pg_texts },
	{ STORE_IN_TEXTS, sizeof(STORE_IN_TEXTS) - 1, pg_in_texts },
};

/* The set marker s begins with, or NULL. */
static const struct pg_set *
pg_set_at(const char *s)
{
	for (size_t m = 0;
		*s == '{' && m < sizeof(pg_sets) / sizeof(pg_sets[0]); m++)
		if (strncmp(s, pg_sets[m].marker, pg_sets[m].length) == 0)
			return &pg_sets[m];
	return NULL;
}

/*
 * sql in PostgreSQL's spelling, malloc'd: the set markers expanded, then
 * STORE_JOINED as string_agg, then each '?' or '?NNN' as '$n' by
 * SQLite's numbering, outside '...' text, "..." names and comments.
 * *nparams_r: the largest number.
 */
static char *
pg_dialect(const char *sql, int *nparams_r)
{
	size_t n = strlen(sql);
	/* Markers grow by under 30 bytes; "?" becomes at most "$32766". */
	size_t room = n * 6 + 64 + (n / 7 + 1) * sizeof(pg_ids);
	char *out = xmalloc(room);
	size_t o = 0;
	int largest = 0;
	for (size_t i = 0; i < n;) {
		char ch = sql[i];
		const struct pg_set *set = pg_set_at(sql + i);
		if (set != NULL) {
			const char *with = set->with;
			/* The marker's '?' keeps its place in the order. */
			const char *q = strchr(with, '?');
			memcpy(out + o, with, (size_t)(q - with));
			o += (size_t)(q - with);
			o += (size_t)snprintf(out + o, room - o, "$%d",
				++largest);
			memcpy(out + o, q + 1, strlen(q + 1));
			o += strlen(q + 1);
			i += set->length;
			continue;
		}
		if (ch == '\'' || ch == '"') {
			/* Quoted: copied to its close ('' and "" stay inside). */
			out[o++] = sql[i++];
			while (i < n) {
				out[o++] = sql[i];
				if (sql[i++] == ch) {
					if (i < n && sql[i] == ch) {
						out[o++] = sql[i++];
						continue;
					}
					break;
				}
			}
			continue;
		}
		if (ch == '-' && sql[i + 1] == '-') {
			while (i < n && sql[i] != '\n')
				out[o++] = sql[i++];
			continue;
		}
		if (ch == '/' && sql[i + 1] == '*') {
			const char *end = strstr(sql + i + 2, "*/");
			size_t len = end != NULL ? (size_t)(end + 2 - (sql + i)) :
				n - i;
			memcpy(out + o, sql + i, len);
			o += len;
			i += len;
			continue;
		}
		if (strncmp(sql + i, STORE_JOINED,
			    sizeof(STORE_JOINED) - 1) == 0) {
			memcpy(out + o, "string_agg", 10);
			o += 10;
			i += sizeof(STORE_JOINED) - 1;
			continue;
		}
		if (ch == '?') {
			i++;
			int number;
			if (isdigit((unsigned char)sql[i])) {
				number = 0;
				while (isdigit((unsigned char)sql[i]))
					number = number * 10 + (sql[i++] - '0');
			} else {
				number = largest + 1;
			}
			if (number > largest)
				largest = number;
			o += (size_t)snprintf(out + o, room - o, "$%d",
				number);
			continue;
		}
		out[o++] = sql[i++];
	}
	out[o] = '\0';
	*nparams_r = largest;
	return out;
}

/* Whether the statement writes (and so runs in a savepoint of its own). */
static bool
pg_writes(const char *sql)
{
	while (isspace((unsigned char)*sql))
		sql++;
	return strncmp(sql, "INSERT", 6) == 0 || strncmp(sql, "UPDATE", 6) == 0 ||
		strncmp(sql, "DELETE", 6) == 0 || strncmp(sql, "WITH", 4) == 0;
}

static void
stmt_init(struct pg_stmt *s, struct pg_conn *conn, const char *sql)
{
	memset(s, 0, sizeof(*s));
	s->sql = sql;
	s->conn = conn;
	s->text = pg_dialect(sql, &s->nparams);
	s->write = pg_writes(sql);
	size_t n = s->nparams > 0 ? (size_t)s->nparams : 1;
	s->values = xcalloc(n, sizeof(*s->values));
	s->owned = xcalloc(n, sizeof(*s->owned));
	s->lengths = xcalloc(n, sizeof(*s->lengths));
	s->formats = xcalloc(n, sizeof(*s->formats));
	s->types = xcalloc(n, sizeof(*s->types));
	s->row = -1;
}

static struct store_stmt *
pg_prepare(void *c, const char *sql, struct error *err)
{
	(void)err;
	struct pg_conn *conn = c;
	for (size_t i = 0; i < conn->cache_used; i++) {
		struct pg_stmt *s = &conn->cache[i];
		if (s->sql == sql && !s->in_use) {
			s->in_use = true;
			return (struct store_stmt *)(void *)s;
		}
	}
	struct pg_stmt *s;
	if (conn->cache_used < PG_CACHE_SLOTS) {
		s = &conn->cache[conn->cache_used++];
		stmt_init(s, conn, sql);
		s->cached = true;
	} else {
		s = xmalloc(sizeof(*s));
		stmt_init(s, conn, sql);
		s->cached = false;
	}
	s->in_use = true;
	return (struct store_stmt *)(void *)s;
}

/* Takes value (malloc'd, or NULL for want of memory) as parameter index. */
static void
bind_owned(struct pg_stmt *s, int index, char *value, int length, int format,
	unsigned int type)
{
	if (index < 1 || index > s->nparams) {
		free(value);
		s->bind_failed = true;
		return;
	}
	int i = index - 1;
	free(s->owned[i]);
	s->owned[i] = value;
	s->values[i] = value;
	s->lengths[i] = length;
	s->formats[i] = format;
	s->types[i] = type;
	if (value == NULL)
		s->bind_failed = true;
}

static void
pg_bind_int(struct store_stmt *st, int index, int64_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lld", (long long)value);
	bind_owned(as_pg(st), index, strdup(buf), 0, 0, OID_INT8);
}

static void
pg_bind_null(struct store_stmt *st, int index)
{
	struct pg_stmt *s = as_pg(st);
	if (index < 1 || index > s->nparams) {
		s->bind_failed = true;
		return;
	}
	int i = index - 1;
	free(s->owned[i]);
	s->owned[i] = NULL;
	s->values[i] = NULL;
	/* The typed operations bind NULL for a missing id ('z', refs). */
	s->types[i] = OID_INT8;
	s->formats[i] = 0;
}

static void
pg_bind_text(struct store_stmt *st, int index, const char *text)
{
	struct pg_stmt *s = as_pg(st);
	if (text == NULL) {
		pg_bind_null(st, index);
		if (index >= 1 && index <= s->nparams)
			s->types[index - 1] = OID_TEXT;
		return;
	}
	bind_owned(s, index, strdup(text), 0, 0, OID_TEXT);
}

static void
pg_bind_blob(struct store_stmt *st, int index, const void *data, size_t size)
{
	struct pg_stmt *s = as_pg(st);
	if (index < 1 || index > s->nparams || size > (size_t)INT32_MAX) {
		s->bind_failed = true;
		return;
	}
	int i = index - 1;
	/* As SQLite's STATIC: the caller's bytes, valid until the step. */
	free(s->owned[i]);
	s->owned[i] = NULL;
	s->values[i] = (char *)(uintptr_t)(data != NULL ? data : "");
	s->lengths[i] = (int)size;
	s->formats[i] = 1;
	s->types[i] = OID_BYTEA;
}

static void
pg_bind_zeroblob(struct store_stmt *st, int index, size_t size)
{
	/* blob_write replaces the whole value: the zeros are a placeholder. */
	if (size > (size_t)INT32_MAX) {
		as_pg(st)->bind_failed = true;
		return;
	}
	bind_owned(as_pg(st), index, calloc(1, size > 0 ? size : 1), (int)size,
		1, OID_BYTEA);
}

/* An array literal: {1,2} or {"a","b\"c"}. */
static void
pg_bind_set(struct store_stmt *st, int index, const int64_t *ids,
	const char *const *texts, size_t count)
{
	size_t need = 3;
	for (size_t i = 0; i < count; i++) {
		if (ids != NULL) {
			need += 21;
			continue;
		}
		need += 3;
		for (const char *p = texts[i]; *p != '\0'; p++)
			need += *p == '"' || *p == '\\' ? 2 : 1;
	}
	char *out = malloc(need);
	if (out == NULL) {
		bind_owned(as_pg(st), index, NULL, 0, 0, 0);
		return;
	}
	size_t o = 0;
	out[o++] = '{';
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
			if (*p == '"' || *p == '\\')
				out[o++] = '\\';
			out[o++] = *p;
		}
		out[o++] = '"';
	}
	out[o++] = '}';
	out[o] = '\0';
	/* Its type is the marker's cast: text here. */
	bind_owned(as_pg(st), index, out, 0, 0, 0);
}

static void
pg_bind_ids(struct store_stmt *s, int index, const int64_t *ids, size_t count)
{
	pg_bind_set(s, index, ids, NULL, count);
}

static void
pg_bind_texts(struct store_stmt *s, int index, const char *const *texts,
	size_t count)
{
	pg_bind_set(s, index, NULL, texts, count);
}

/* Runs a command with no parameters or rows; 0, or -1 with err. */
static int
pg_command(struct pg_conn *conn, const char *sql, struct error *err)
{
	PGresult *res = PQexec(conn->db, sql);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 :
		pg_error(err, conn->db, res, "savepoint");
	PQclear(res);
	return rc;
}

/* The server-side name of a cached statement: its slot. */
static void
stmt_name(const struct pg_stmt *s, char *buf, size_t size)
{
	snprintf(buf, size, "cm%zu", (size_t)(s - s->conn->cache));
}

static bool
stmt_prepared(const struct pg_stmt *s)
{
	return s->cached && s->prepared_epoch == s->conn->epoch;
}

/*
 * Prepares a cached statement on the server, once per session: parsed
 * and planned once instead of at every execution. The server infers the
 * parameters' types; where it cannot (42P18) the bind calls' types are
 * used. A failed Parse inside a transaction would abandon it, so there
 * the preparation runs in a savepoint of its own (once per statement and
 * session, so its round trips do not count).
 */
static int
stmt_prepare_server(struct pg_stmt *s, struct error *err)
{
	struct pg_conn *conn = s->conn;
	if (!s->cached || stmt_prepared(s))
		return 0;
	bool in_tx = PQtransactionStatus(conn->db) == PQTRANS_INTRANS;
	char name[24];
	stmt_name(s, name, sizeof(name));
	for (int attempt = 0; attempt < 2; attempt++) {
		if (in_tx && pg_command(conn, "SAVEPOINT caremail_prep",
			    err) < 0)
			return -1;
		PGresult *res = PQprepare(conn->db, name, s->text, s->nparams,
			s->typed ? s->types : NULL);
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/*
		 * 42P05: the session has it already (a Parse outlives the
		 * transaction it ran in, even one rolled back), under this
		 * slot's name, which only this slot's statement ever takes.
		 */
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
			(state != NULL && strcmp(state, "42P05") == 0);
		bool untyped = !ok && !s->typed && state != NULL &&
			strcmp(state, "42P18") == 0;
		if (!ok && !untyped)
			pg_error(err, conn->db, res, "prepare");
		PQclear(res);
		if (in_tx) {
			struct error ignored;
			if (!ok)
				pg_command(conn,
					"ROLLBACK TO SAVEPOINT caremail_prep",
					&ignored);
			if (pg_command(conn, "RELEASE SAVEPOINT caremail_prep",
				    ok ? err : &ignored) < 0 && ok)
				return -1;
		}
		if (ok) {
			s->prepared_epoch = conn->epoch;
			return 0;
		}
		if (!untyped)
			return -1;
		s->typed = true;
	}
	return error_set(err, ERROR_INTERNAL, "storage error: the database "
		"could not prepare a statement");
}

/* Sends the statement: by name when prepared, as text otherwise. */
static int
stmt_send(struct pg_stmt *s)
{
	if (stmt_prepared(s)) {
		char name[24];
		stmt_name(s, name, sizeof(name));
		return PQsendQueryPrepared(s->conn->db, name, s->nparams,
			(const char *const *)s->values, s->lengths, s->formats,
			0);
	}
	return PQsendQueryParams(s->conn->db, s->text, s->nparams,
		s->typed ? s->types : NULL, (const char *const *)s->values,
		s->lengths, s->formats, 0);
}

/*
 * The statement on its own, waited for: its result (the last, as PQexec's
 * is), or NULL with err when it could not be sent or no result came.
 */
static PGresult *
pg_run(struct pg_stmt *s, struct error *err)
{
	PGresult *last = NULL, *r;
	if (stmt_send(s)) {
		while ((r = PQgetResult(s->conn->db)) != NULL) {
			PQclear(last);
			last = r;
		}
	}
	if (last == NULL)
		pg_error(err, s->conn->db, NULL, "step");
	return last;
}

/* One query's result in a pipeline: the first, the rest cleared. */
static PGresult *
pipeline_result(PGconn *db)
{
	PGresult *keep = NULL, *r;
	while ((r = PQgetResult(db)) != NULL) {
		if (keep == NULL)
			keep = r;
		else
			PQclear(r);
	}
	return keep;
}

static const char guard_begin[] = "SAVEPOINT caremail_stmt";
static const char guard_end[] = "RELEASE SAVEPOINT caremail_stmt";

/* A guarded write failed: its savepoint undoes it alone, then ends. */
static void
guard_undo(struct pg_conn *conn)
{
	struct error ignored;
	pg_command(conn, "ROLLBACK TO SAVEPOINT caremail_stmt", &ignored);
	pg_command(conn, guard_end, &ignored);
}

/*
 * A write inside a transaction, in a savepoint of its own so a refusal
 * undoes it alone (the file's header): SAVEPOINT, the statement and
 * RELEASE go as one pipeline, one round trip instead of three. Returns
 * the statement's result, whose status says how it went; when the
 * statement failed, the transaction is back as it was before it. NULL
 * with err when the pipeline itself failed (a lost connection).
 */
static PGresult *
pg_run_guarded(struct pg_stmt *s, struct error *err)
{
	struct pg_conn *conn = s->conn;
	PGconn *db = conn->db;
	if (!PQenterPipelineMode(db)) {
		pg_error(err, db, NULL, "pipeline");
		return NULL;
	}
	bool sent = PQsendQueryParams(db, guard_begin, 0, NULL, NULL, NULL,
			    NULL, 0) &&
		stmt_send(s) &&
		PQsendQueryParams(db, guard_end, 0, NULL, NULL, NULL, NULL, 0) &&
		PQpipelineSync(db);
	PGresult *begin = NULL, *res = NULL, *end = NULL;
	if (sent) {
		begin = pipeline_result(db);
		res = pipeline_result(db);
		end = pipeline_result(db);
		PQclear(PQgetResult(db));	/* the sync's own result */
	}
	bool out = PQexitPipelineMode(db) == 1;
	bool begun = begin != NULL && PQresultStatus(begin) == PGRES_COMMAND_OK;
	ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool done = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
	bool released = end != NULL && PQresultStatus(end) == PGRES_COMMAND_OK;
	if (!sent || !out || !begun || (done && !released)) {
		pg_error(err, db, !begun ? begin : !done ? res : end,
			"pipeline");
		PQclear(begin);
		PQclear(res);
		PQclear(end);
		return NULL;
	}
	PQclear(begin);
	PQclear(end);
	if (!done)
		guard_undo(conn);
	return res;
}

/*
 * A read transaction's BEGIN and its first statement as one pipeline:
 * one round trip for both. The statement's result, whose status says how
 * it went; NULL with err when the BEGIN or the pipeline failed.
 */
static PGresult *
pg_run_begun(struct pg_stmt *s, struct error *err)
{
	PGconn *db = s->conn->db;
	if (!PQenterPipelineMode(db)) {
		pg_error(err, db, NULL, "pipeline");
		return NULL;
	}
	bool sent = PQsendQueryParams(db, pg_begin_snapshot, 0, NULL, NULL,
			    NULL, NULL, 0) &&
		stmt_send(s) && PQpipelineSync(db);
	PGresult *begin = NULL, *res = NULL;
	if (sent) {
		begin = pipeline_result(db);
		res = pipeline_result(db);
		PQclear(PQgetResult(db));	/* the sync's own result */
	}
	bool out = PQexitPipelineMode(db) == 1;
	bool begun = begin != NULL && PQresultStatus(begin) == PGRES_COMMAND_OK;
	if (!sent || !out || !begun || res == NULL) {
		pg_error(err, db, !begun ? begin : res, "pipeline");
		PQclear(begin);
		PQclear(res);
		return NULL;
	}
	PQclear(begin);
	return res;
}

/* Runs the statement: its rows in s->res, 0; -1 with err. */
static int
pg_execute(struct pg_stmt *s, struct error *err)
{
	struct pg_conn *conn = s->conn;
	if (PQtransactionStatus(conn->db) == PQTRANS_UNKNOWN &&
	    pg_revive(conn, err) < 0)
		return -1;
	if (stmt_prepare_server(s, err) < 0)
		return -1;
	/* A pending BEGIN goes with a read prepared on the server. */
	bool with_begin = conn->begin_pending && !s->write &&
		stmt_prepared(s);
	if (!with_begin && pg_begin_due(conn, err) < 0)
		return -1;
	conn->begin_pending = false;
	bool guarded = s->write &&
		PQtransactionStatus(conn->db) == PQTRANS_INTRANS;
	PGresult *res = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		res = with_begin ? pg_run_begun(s, err) : guarded ?
			pg_run_guarded(s, err) : pg_run(s, err);
		if (res == NULL)
			return -1;
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/*
		 * 42P18: a parameter whose type the server cannot tell
		 * alone (a statement not prepared: the cache was full). A
		 * guarded one was undone by its savepoint; outside a
		 * transaction nothing was begun: run it again, typed.
		 */
		if (s->typed || stmt_prepared(s) || state == NULL ||
		    strcmp(state, "42P18") != 0 ||
		    (!guarded && PQtransactionStatus(conn->db) !=
				    PQTRANS_IDLE))
			break;
		PQclear(res);
		res = NULL;
		s->typed = true;
	}
	ExecStatusType st = PQresultStatus(res);
	/* A statement outside a transaction has committed, or not. */
	if (PQtransactionStatus(conn->db) == PQTRANS_IDLE)
		pg_settle(conn, st == PGRES_TUPLES_OK ||
			st == PGRES_COMMAND_OK);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		pg_error(err, conn->db, res, "step");
		PQclear(res);
		return -1;
	}
	note_changes(conn, res);
	s->res = res;
	s->rows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	s->row = -1;
	return 0;
}

static int
pg_step(struct store_stmt *st, struct error *err)
{
	struct pg_stmt *s = as_pg(st);
	if (s->bind_failed)
		return error_set(err, ERROR_TEMPORARY, "storage error: out of "
			"memory binding a value; try again later");
	if (s->res == NULL && pg_execute(s, err) < 0)
		return -1;
	stmt_free_blobs(s);
	if (s->row + 1 >= s->rows) {
		s->row = s->rows;
		return 0;
	}
	s->row++;
	return 1;
}

static int64_t
pg_column_int(struct store_stmt *st, int index)
{
	struct pg_stmt *s = as_pg(st);
	if (s->res == NULL || s->row < 0 || s->row >= s->rows ||
	    PQgetisnull(s->res, s->row, index))
		return 0;
	const char *v = PQgetvalue(s->res, s->row, index);
	/* An expression's boolean (EXISTS, x IS NULL) reads as 1 or 0. */
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	if (v[0] == 'f' && v[1] == '\0')
		return 0;
	return strtoll(v, NULL, 10);
}

static const char *
pg_column_text(struct store_stmt *st, int index)
{
	struct pg_stmt *s = as_pg(st);
	if (s->res == NULL || s->row < 0 || s->row >= s->rows ||
	    PQgetisnull(s->res, s->row, index))
		return NULL;
	return PQgetvalue(s->res, s->row, index);
}

static const void *
pg_column_blob(struct store_stmt *st, int index, size_t *size_r)
{
	struct pg_stmt *s = as_pg(st);
	*size_r = 0;
	if (s->res == NULL || s->row < 0 || s->row >= s->rows ||
	    PQgetisnull(s->res, s->row, index))
		return NULL;
	/* A text column's bytes are its text (SQLite hands both alike). */
	if (PQftype(s->res, index) != OID_BYTEA) {
		*size_r = (size_t)PQgetlength(s->res, s->row, index);
		return PQgetvalue(s->res, s->row, index);
	}
	int columns = PQnfields(s->res);
	if (index < 0 || index >= columns)
		return NULL;
	if (s->blob_columns < columns) {
		stmt_free_blobs(s);
		free(s->blobs);
		s->blobs = xcalloc((size_t)columns, sizeof(*s->blobs));
		s->blob_columns = columns;
	}
	PQfreemem(s->blobs[index]);
	s->blobs[index] = PQunescapeBytea((const unsigned char *)PQgetvalue(
		s->res, s->row, index), size_r);
	return s->blobs[index];
}

static void
pg_finish(struct store_stmt *st)
{
	struct pg_stmt *s = as_pg(st);
	if (!s->cached) {
		stmt_free(s);
		free(s);
		return;
	}
	PQclear(s->res);
	s->res = NULL;
	stmt_free_blobs(s);
	s->row = -1;
	s->rows = 0;
	stmt_free_binds(s);
	s->in_use = false;
}

/* ---- message bodies ---- */

/* The names are literals of the typed operations, never input. */
static int
pg_blob_write(void *c, const char *table, const char *column, int64_t rowid,
	const void *data, size_t size, struct error *err)
{
	struct pg_conn *conn = c;
	if (pg_begin_due(conn, err) < 0)
		return -1;
	char sql[200], id[24];
	snprintf(sql, sizeof(sql), "UPDATE %s SET %s = $1 WHERE id = $2",
		table, column);
	snprintf(id, sizeof(id), "%lld", (long long)rowid);
	const char *values[2] = { data, id };
	int lengths[2] = { (int)size, 0 }, formats[2] = { 1, 0 };
	unsigned int types[2] = { OID_BYTEA, OID_INT8 };
	if (size > (size_t)INT32_MAX)
		return error_set(err, ERROR_LIMIT, "a body over 2 GB");
	PGresult *res = PQexecParams(conn->db, sql, 2, types, values, lengths,
		formats, 0);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 :
		pg_error(err, conn->db, res, "blob write");
	PQclear(res);
	return rc;
}

static int
pg_blob_read(void *c, const char *table, const char *column, int64_t rowid,
	void *buf, size_t size, struct error *err)
{
	struct pg_conn *conn = c;
	if (pg_begin_due(conn, err) < 0)
		return -1;
	char sql[200], id[24];
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = $1", column,
		table);
	snprintf(id, sizeof(id), "%lld", (long long)rowid);
	const char *values[1] = { id };
	unsigned int types[1] = { OID_INT8 };
	/* Binary: the bytes as they are, not hex. */
	PGresult *res = PQexecParams(conn->db, sql, 1, types, values, NULL,
		NULL, 1);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_error(err, conn->db, res, "blob read");
	else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) ||
		 (size_t)PQgetlength(res, 0, 0) < size)
		rc = error_set(err, ERROR_INTERNAL, "store error: a body is "
			"shorter than its size");
	else
		memcpy(buf, PQgetvalue(res, 0, 0), size);
	PQclear(res);
	return rc;
}

/* ---- the catalog (store_copy) ---- */

/*
 * Column 0 of each row of sql ($1 the table, when given) into *list_r,
 * and column 1's truth into *flags_r when flags_r is set.
 */
static int
pg_catalog(struct pg_conn *conn, const char *sql, const char *table,
	struct arena *a, const char ***list_r, bool **flags_r, size_t *count_r,
	struct error *err)
{
	if (pg_begin_due(conn, err) < 0)
		return -1;
	const char *values[1] = { table };
	PGresult *res = PQexecParams(conn->db, sql, table != NULL ? 1 : 0,
		NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error(err, conn->db, res, "catalog");
		PQclear(res);
		return -1;
	}
	size_t n = (size_t)PQntuples(res);
	*list_r = arena_alloc(a, (n > 0 ? n : 1) * sizeof(**list_r));
	if (flags_r != NULL)
		*flags_r = arena_alloc(a, (n > 0 ? n : 1) * sizeof(**flags_r));
	for (size_t i = 0; i < n; i++) {
		(*list_r)[i] = arena_strdup(a, PQgetvalue(res, (int)i, 0));
		if (flags_r != NULL)
			(*flags_r)[i] = PQgetvalue(res, (int)i, 1)[0] == 't';
	}
	*count_r = n;
	PQclear(res);
	return 0;
}

static int
pg_tables(void *c, struct arena *a, struct store_table **t_r,
	size_t *count_r, struct error *err)
{
	struct pg_conn *conn = c;
	const char **names;
	size_t n;
	if (pg_catalog(conn, "SELECT c.relname FROM pg_class c"
		    " JOIN pg_namespace n ON n.oid = c.relnamespace"
		    " WHERE n.nspname = current_schema()"
		    " AND c.relkind IN ('r', 'p') ORDER BY 1", NULL, a, &names,
		    NULL, &n, err) < 0)
		return -1;
	struct store_table *t = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		t[i].name = names[i];
		if (pg_catalog(conn, "SELECT a.attname, a.atttypid = 17"
			    " FROM pg_attribute a WHERE a.attrelid = $1::regclass"
			    " AND a.attnum > 0 AND NOT a.attisdropped"
			    " ORDER BY a.attnum", names[i], a, &t[i].columns,
			    &t[i].bytes, &t[i].column_count, err) < 0 ||
		    pg_catalog(conn, "SELECT a.attname FROM pg_index i"
			    " JOIN pg_attribute a ON a.attrelid = i.indrelid"
			    " AND a.attnum = ANY (i.indkey)"
			    " WHERE i.indrelid = $1::regclass AND i.indisprimary"
			    " ORDER BY array_position(i.indkey::int2[], a.attnum)",
			    names[i], a, &t[i].keys, NULL, &t[i].key_count,
			    err) < 0 ||
		    pg_catalog(conn, "SELECT DISTINCT p.relname"
			    " FROM pg_constraint k JOIN pg_class p"
			    " ON p.oid = k.confrelid WHERE k.contype = 'f'"
			    " AND k.conrelid = $1::regclass", names[i], a,
			    &t[i].parents, NULL, &t[i].parent_count, err) < 0)
			return -1;
	}
	*t_r = t;
	*count_r = n;
	return 0;
}

/* The identity sequence of table's "id" (if it has one) past the rows. */
static int
pg_ids_follow(void *c, const char *table, struct error *err)
{
	struct pg_conn *conn = c;
	if (pg_begin_due(conn, err) < 0)
		return -1;
	char sql[300];
	snprintf(sql, sizeof(sql), "SELECT setval(s, COALESCE((SELECT MAX(id)"
		" FROM %s), 0) + 1, false) FROM (SELECT"
		" pg_get_serial_sequence($1, 'id') AS s) AS q WHERE s IS NOT NULL",
		table);
	const char *values[1] = { table };
	PGresult *res = PQexecParams(conn->db, sql, 1, NULL, values, NULL,
		NULL, 0);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 :
		pg_error(err, conn->db, res, "ids");
	PQclear(res);
	return rc;
}

/* ---- bulk load (store_copy) ---- */

/*
 * A COPY that failed: its stream ended, the server's own error (a key,
 * a value it could not read) reported rather than libpq's "no COPY in
 * progress". -1.
 */
static int
load_failed(struct pg_conn *conn, struct error *err)
{
	PGresult *r, *bad = NULL;
	conn->loading = NULL;
	if (PQstatus(conn->db) == CONNECTION_OK) {
		PQputCopyEnd(conn->db, "the load failed");
		while ((r = PQgetResult(conn->db)) != NULL) {
			ExecStatusType st = PQresultStatus(r);
			if (bad == NULL && st != PGRES_COMMAND_OK &&
			    st != PGRES_COPY_IN) {
				bad = r;
				continue;
			}
			PQclear(r);
			/* A result still in COPY_IN: the end was not taken. */
			if (st == PGRES_COPY_IN)
				break;
		}
	}
	pg_error(err, conn->db, bad, "bulk load");
	PQclear(bad);
	return -1;
}

/* Appends name to buf at *o as a quoted identifier ("" doubled). */
static void
put_quoted(char **buf, size_t *room, size_t *o, const char *name)
{
	size_t need = *o + 2 * strlen(name) + 8;
	if (need > *room) {
		*room = need * 2;
		*buf = xrealloc(*buf, *room);
	}
	(*buf)[(*o)++] = '"';
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '"')
			(*buf)[(*o)++] = '"';
		(*buf)[(*o)++] = *p;
	}
	(*buf)[(*o)++] = '"';
}

/*
 * COPY "t" ("a", "b") FROM STDIN: the names are the catalog's
 * (pg_tables), quoted, never input.
 */
static int
pg_load_begin(void *c, const struct store_table *t, struct error *err)
{
	struct pg_conn *conn = c;
	/*
	 * Rows loaded whole note nothing for the nodes' People Finder copies
	 * (migration 36): each makes itself whole from a new database.
	 */
	if (pg_begin_due(conn, err) < 0 ||
	    pg_exec(conn, "SET LOCAL caremail.loading = 'on'", err) < 0)
		return -1;
	size_t room = 256, o = 0;
	char *sql = xmalloc(room);
	memcpy(sql, "COPY ", 5);
	o = 5;
	put_quoted(&sql, &room, &o, t->name);
	for (size_t i = 0; i < t->column_count; i++) {
		if (o + 4 > room) {
			room *= 2;
			sql = xrealloc(sql, room);
		}
		sql[o++] = i == 0 ? '(' : ',';
		put_quoted(&sql, &room, &o, t->columns[i]);
	}
	static const char tail[] = ") FROM STDIN";
	if (o + sizeof(tail) > room)
		sql = xrealloc(sql, room = o + sizeof(tail));
	memcpy(sql + o, tail, sizeof(tail));
	PGresult *res = PQexec(conn->db, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		pg_error(err, conn->db, res, "bulk load");
		PQclear(res);
		/* A COPY that began after all (a result in between) ends. */
		while ((res = PQgetResult(conn->db)) != NULL)
			PQclear(res);
		return -1;
	}
	PQclear(res);
	conn->loading = t;
	return 0;
}

/*
 * One row as one line: fields in COPY's text format, tabs between, a
 * newline after; sent in pieces (a large bytea's hex can pass what one
 * CopyData message may carry), which COPY joins again.
 */
static int
pg_load_row(void *c, const void *const *values, const size_t *sizes,
	struct error *err)
{
	struct pg_conn *conn = c;
	const struct store_table *t = conn->loading;
	if (t == NULL)
		return error_set(err, ERROR_INTERNAL, "store error: a row sent "
			"with no load begun");
	size_t need = t->column_count + 1;
	for (size_t i = 0; i < t->column_count; i++)
		need += STORE_COPY_TEXT_ROOM(values[i] != NULL ? sizes[i] : 0);
	if (need > conn->line_room) {
		free(conn->line);
		conn->line_room = need > 64 * 1024 ? need : 64 * 1024;
		conn->line = xmalloc(conn->line_room);
	}
	size_t o = 0;
	for (size_t i = 0; i < t->column_count; i++) {
		if (i > 0)
			conn->line[o++] = '\t';
		o += store_copy_text(conn->line + o, values[i],
			values[i] != NULL ? sizes[i] : 0, t->bytes[i]);
	}
	conn->line[o++] = '\n';
	for (size_t sent = 0; sent < o;) {
		size_t piece = o - sent < (1u << 24) ? o - sent : (1u << 24);
		if (PQputCopyData(conn->db, conn->line + sent, (int)piece) != 1)
			return load_failed(conn, err);
		sent += piece;
	}
	/* A big row's room is not kept for the rows after it. */
	if (conn->line_room > (16u << 20)) {
		free(conn->line);
		conn->line = NULL;
		conn->line_room = 0;
	}
	return 0;
}

static int
pg_load_end(void *c, bool ok, struct error *err)
{
	struct pg_conn *conn = c;
	if (conn->loading == NULL)
		return ok ? error_set(err, ERROR_INTERNAL, "store error: no "
			"load to end") : 0;
	conn->loading = NULL;
	if (PQputCopyEnd(conn->db, ok ? NULL : "abandoned") != 1)
		return load_failed(conn, err);
	PGresult *r, *bad = NULL;
	while ((r = PQgetResult(conn->db)) != NULL) {
		if (bad == NULL && PQresultStatus(r) != PGRES_COMMAND_OK) {
			bad = r;
			continue;
		}
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			note_changes(conn, r);
		PQclear(r);
	}
	if (bad == NULL)
		return 0;
	int rc = ok ? pg_error(err, conn->db, bad, "bulk load") : 0;
	PQclear(bad);
	return rc;
}

/*
 * Before a bulk load (store_ops.load_prepare): every index of the store's
 * schema and every foreign key is noted in a table of the transaction,
 * with the statement that makes it again (the catalog's own definition,
 * under its own name), and dropped, as pg_restore loads rows before it
 * makes indexes and keys: a row then costs no index step, and an index
 * of millions of rows no longer outgrows shared_buffers half way through
 * the load (B5's 1.6 M people: folders' keys were most of the load's
 * time). Pass 1: plain indexes; 2: PRIMARY KEY, UNIQUE and exclusion
 * constraints (and their indexes); 3: foreign keys, which lean on those,
 * so they are dropped first and made last. folder_counts and
 * view_changes keep their keys: the counting triggers (migrations 31, 32)
 * upsert into them for every message the load inserts, and an upsert
 * needs its key to exist even when it inserts nothing.
 */
static const char pg_load_prepare[] =
	"CREATE TEMP TABLE caremail_put_aside ON COMMIT DROP AS"
	" SELECT 1 AS pass, format('DROP INDEX %s', i.indexrelid::regclass)"
	" AS put, pg_get_indexdef(i.indexrelid) AS remake"
	" FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
	" WHERE x.relnamespace = current_schema()::regnamespace"
	" AND i.indrelid NOT IN (COALESCE(to_regclass('folder_counts')::oid, 0),"
	" COALESCE(to_regclass('view_changes')::oid, 0))"
	" AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
	" WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid"
	" AND k.contype IN ('p', 'u', 'x'))"
	" UNION ALL"
	" SELECT CASE k.contype WHEN 'f' THEN 3 ELSE 2 END,"
	" format('ALTER TABLE %s DROP CONSTRAINT %I',"
	" k.conrelid::regclass, k.conname),"
	" format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass,"
	" k.conname, pg_get_constraintdef(k.oid))"
	" FROM pg_constraint k"
	" WHERE k.connamespace = current_schema()::regnamespace"
	" AND k.conrelid NOT IN (COALESCE(to_regclass('folder_counts')::oid, 0),"
	" COALESCE(to_regclass('view_changes')::oid, 0))"
	" AND k.contype IN ('p', 'u', 'x', 'f');"
	"DO $$DECLARE r record; BEGIN FOR r IN SELECT put FROM"
	" caremail_put_aside ORDER BY pass DESC LOOP EXECUTE r.put; END LOOP;"
	" END$$";

/*
 * After it (load_finish): the indexes and keys made again, each index
 * sorted in one pass (memory to sort in), each foreign key checked over
 * its whole table by one join (hash joins allowed for it, which the
 * session's settings refuse the typed operations). A duplicate or a
 * dangling reference fails here, and the transaction with it. SET
 * LOCAL: until the commit.
 */
static const char pg_load_finish[] =
	"SET LOCAL enable_hashjoin = on;"
	"SET LOCAL maintenance_work_mem = '256MB';"
	"DO $$DECLARE r record; BEGIN FOR r IN SELECT remake FROM"
	" caremail_put_aside ORDER BY pass LOOP EXECUTE r.remake; END LOOP;"
	/*
	 * A message's folder and body are held by triggers, not keys
	 * (migration 46), which a load passes by: checked here, whole.
	 */
	" IF EXISTS (SELECT 1 FROM messages m WHERE NOT EXISTS"
	"  (SELECT 1 FROM folders f WHERE f.id = m.folder_id))"
	" OR EXISTS (SELECT 1 FROM messages m WHERE NOT EXISTS"
	"  (SELECT 1 FROM bodies b WHERE b.id = m.body_id)) THEN"
	" RAISE foreign_key_violation USING MESSAGE = 'a message copied names"
	" a folder or body that was not copied'; END IF;"
	" END$$;"
	"DROP TABLE caremail_put_aside";

/* ---- the rest of the interface ---- */

static bool
pg_in_transaction(void *c)
{
	struct pg_conn *conn = c;
	PGTransactionStatusType t = PQtransactionStatus(conn->db);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
		t == PQTRANS_ACTIVE;
}

static int64_t
pg_changes(void *c)
{
	struct pg_conn *conn = c;
	return conn->changes;
}

/*
 * The recipient sets' space given back once they are empty again
 * (store_set_begin, after their rows were deleted). PostgreSQL reuses a
 * table's freed space only once VACUUM has found it, and VACUUM never
 * comes to a temporary table, so a session's sets grew by every row a
 * delivery had put in them (21 MB more after each list of 500,000, with
 * the next insert into them slower), and every statement that reads them
 * whole read it all. Past PG_SETS_MAX_BYTES they are made anew: TRUNCATE
 * gives each table a new, empty file, which costs 1.3 ms (files and
 * catalog rows), so not for a small set; nor in a read-only transaction,
 * which may not (the next writable one does it). Inside a transaction
 * the TRUNCATE has a savepoint of its own, as every write does here. The
 * store asks only once many rows were deleted (store_expand.c), and
 * again after a TRUNCATE, which the transaction may yet undo, until the
 * sets are found small.
 */
#define PG_SETS_MAX_BYTES (8 * 1024 * 1024)

static int
pg_sets_reclaim(void *c, struct error *err)
{
	struct pg_conn *conn = c;
	if (pg_begin_due(conn, err) < 0)
		return -1;
	PGresult *res = PQexec(conn->db,
		"SELECT pg_total_relation_size('pg_temp.expansion') +"
		" pg_total_relation_size('pg_temp.expansion_remote'),"
		" current_setting('transaction_read_only') = 'on'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		int rc = pg_error(err, conn->db, res, "the sets' size");
		PQclear(res);
		return rc;
	}
	long long bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	bool read_only = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (bytes <= PG_SETS_MAX_BYTES)
		return 1;
	if (read_only)
		return 0;
	bool guarded = PQtransactionStatus(conn->db) == PQTRANS_INTRANS;
	if (guarded && pg_command(conn, guard_begin, err) < 0)
		return -1;
	int rc = pg_command(conn, "TRUNCATE expansion, expansion_remote",
		err);
	if (guarded && rc < 0)
		guard_undo(conn);
	else if (guarded && pg_command(conn, guard_end, err) < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

/* PostgreSQL's autovacuum and checkpointer do this on their own. */
static void
pg_defer_maintenance(void *c)
{
	(void)c;
}

static int
pg_maintain(void *c, struct error *err)
{
	(void)c;
	(void)err;
	return 0;
}

static void
pg_bulk(void *c, bool on)
{
	(void)c;
	(void)on;
}

/*
 * The text index (store_backend.h "text_"): body_text holds the texts,
 * each column with a pg_trgm GIN index (migration 33); LIKE '%word%' with
 * the word's '%', '_' and backslash escaped. The index finds the rows holding
 * every run of three characters of the word, and PostgreSQL checks each
 * found row's LIKE itself (a recheck), so the answer is exact. The rows
 * for the word are a CTE of their own, planned for all its rows and read
 * only as far as the LIMIT: a LIMIT in the same query would let the
 * planner read body_text whole in search of a rare word's few rows,
 * expecting to stop early; they are joined only when fewer than ?5 (a
 * one-time filter), as SQLite's. The GIN bitmap is still built whole:
 * it costs every body holding the word's runs of three characters (about
 * 0.26 us each, bench/RESULTS.md 2026-12-05); the heap rows read and the
 * join stop at the LIMIT.
 */
static char *
pg_text_pattern(const char *word, struct arena *a)
{
	return store_like_contains(word, a);
}

#define PG_TEXT_FIND(where)                                              \
	"WITH found AS MATERIALIZED (SELECT t.body_id AS id"             \
	" FROM body_text t WHERE " where "),"                            \
	" hits AS MATERIALIZED (SELECT id FROM found LIMIT ?5)"          \
	" SELECT 0, count(*) FROM hits UNION ALL"                        \
	" SELECT 1, m.uid FROM hits JOIN messages m"                     \
	" ON m.body_id = hits.id WHERE (SELECT count(*) FROM hits) < ?5" \
	" AND m.folder_id = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY 1, 2"

/*
 * The folder first: its messages by (folder_id, uid), each body's texts
 * by their key and searched for the word itself (?4 is the word here, not
 * the LIKE pattern): strpos is the substring test, in "C" bytes. OFFSET 0
 * keeps the lateral subquery apart, so the planner cannot turn it back
 * into a scan of the trigram index for the whole store joined afterwards.
 */
#define PG_TEXT_SCAN(where)                                              \
	"SELECT m.uid FROM messages m CROSS JOIN LATERAL (SELECT 1"      \
	" FROM body_text t WHERE t.body_id = m.body_id AND " where       \
	" OFFSET 0) hit WHERE m.folder_id = ?1"                          \
	" AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid"

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.bind_blob = pg_bind_blob,
	.bind_zeroblob = pg_bind_zeroblob,
	.bind_ids = pg_bind_ids,
	.bind_texts = pg_bind_texts,
	.step = pg_step,
	.column_int = pg_column_int,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.blob_write = pg_blob_write,
	.blob_read = pg_blob_read,
	.in_transaction = pg_in_transaction,
	.changes = pg_changes,
	.finish = pg_finish,
	.defer_maintenance = pg_defer_maintenance,
	.maintain = pg_maintain,
	.bulk = pg_bulk,
	.tables = pg_tables,
	.ids_follow = pg_ids_follow,
	.load_begin = pg_load_begin,
	.load_row = pg_load_row,
	.load_end = pg_load_end,
	.load_prepare = pg_load_prepare,
	.load_finish = pg_load_finish,
	.defer_keys = "SET CONSTRAINTS ALL DEFERRED",
	.refresh_statistics = "ANALYZE",
	.begin_write = "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")",
	.begin_snapshot = pg_begin_snapshot,
	/* pg_dump and PITR are PostgreSQL's own (docs/backup.md). */
	.backup = NULL,
	.session_tables = store_pg_session_tables,
	.sets_reclaim = pg_sets_reclaim,
	.migrations = store_pg_migrations,
	.text_pattern = pg_text_pattern,
	.text_find_body = PG_TEXT_FIND("t.body LIKE ?4 ESCAPE '\\'"),
	.text_find_text = PG_TEXT_FIND("(t.header LIKE ?4 ESCAPE '\\'"
		" OR t.body LIKE ?4 ESCAPE '\\')"),
	.text_scan_body = PG_TEXT_SCAN("strpos(t.body, ?4) > 0"),
	.text_scan_text = PG_TEXT_SCAN("(strpos(t.header, ?4) > 0"
		" OR strpos(t.body, ?4) > 0)"),
	/* ~12 ms at most (~10 us a message), against ~0.26 us per body of
	 * the whole store holding the word in the GIN bitmap. */
	.text_scan_below = 1000,
	.text_put = "INSERT INTO body_text (body_id, header, body)"
		" VALUES (?, ?, ?)",
	.shared = true,
	.remote = true,
	.counts_in_statement = true,
	.skip_locked = true,
	.announce = "SELECT pg_notify('" STORE_CHANGE_CHANNEL "', ?)",
	.listen_open = store_pg_listen_open,
	.listen_wait = store_pg_listen_wait,
	.listen_close = store_pg_listen_close,
};
