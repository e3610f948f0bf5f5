/*
 * PostgreSQL's side of change notification across nodes (issue 14, SPEC
 * S2): a connection of its own that LISTENs on the store's channel and
 * hands each NOTIFY's payload to store_change.c, which wakes this node's
 * subscribers (IMAP IDLE, a selected session). The writers' side is one
 * statement in their transaction (store_pg_ops.announce), which
 * PostgreSQL delivers only when that transaction commits, and never for
 * one rolled back: the same promise the in-process hook makes.
 * Notifications are not durable; a listener that lost its connection
 * says so, and store_change.c then wakes every watcher to look for
 * itself (the resync). The same connection hears the directory's channel
 * for this node's remembered sessions (store_session_cache.h), which are
 * used only while it is connected. Layer: store, private to the
 * PostgreSQL backend.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/xmalloc.h"
#include "store/store_backend.h"
#include "store/store_session_cache.h"
#include "store/store_signins.h"

/*
 * How often the listener makes a round trip on its connection, and how
 * long after the last one this node's remembered sessions are trusted
 * (store_session_cache.h): a connection the network dropped without a
 * word stays open and quiet, and would hear nothing more.
 */
#define LISTEN_PING_MS 1000
#define LISTEN_TRUST_MS 3000
/* The listener's connection, as pg_stat_activity names it. */
#define STORE_LISTENER_NAME "caremail-listener"

struct pg_listener {
	PGconn *db;
	int64_t pinged_ms;
};

/*
 * The listener connected on fd (LISTENing already), or lost (-1): both
 * memories it keeps current are told.
 */
static void
listening(int fd)
{
	session_cache_listening(fd);
	signins_listening(fd >= 0);
}

/*
 * A round trip on the listener's connection: everything the database
 * sent before its answer has been read, so the node is caught up as of
 * now. 0, or -1 with err when the connection is lost.
 */
static int
ping(struct pg_listener *l, struct error *err)
{
	PGresult *res = PQexec(l->db, "SELECT 1");
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	if (!ok) {
		listening(-1);
		return error_set(err, ERROR_TEMPORARY, "the change listener "
			"lost its connection: %s", PQerrorMessage(l->db));
	}
	l->pinged_ms = clock_monotonic_ms();
	session_cache_alive_until(l->pinged_ms + LISTEN_TRUST_MS);
	return 0;
}

void *
store_pg_listen_open(const char *url, struct error *err)
{
	/*
	 * TCP keepalives and a user timeout, so a connection the network
	 * dropped fails within seconds instead of hanging the listener; and
	 * a name, so an operator can tell it in pg_stat_activity.
	 */
	const char *const keys[] = { "dbname", "keepalives",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "application_name", NULL };
	const char *const values[] = { url, "1", "5", "2", "3", "10000",
		STORE_LISTENER_NAME, NULL };
	PGconn *db = PQconnectdbParams(keys, values, 1);
	if (db == NULL || PQstatus(db) != CONNECTION_OK) {
		/* The URL may hold a password: not repeated here. */
		error_set(err, ERROR_TEMPORARY, "cannot listen for changes: %s",
			db != NULL ? PQerrorMessage(db) : "out of memory");
		PQfinish(db);
		return NULL;
	}
	/*
	 * The directory's channel as well: what other nodes commit that
	 * this node's remembered sessions must forget (store_session_cache.h);
	 * and sign-in times, for its People Finder copy (store_signins.h).
	 */
	PGresult *res = PQexec(db, "LISTEN " STORE_CHANGE_CHANNEL ";"
		"LISTEN " STORE_DIRECTORY_CHANNEL ";"
		"LISTEN " STORE_SIGNIN_CHANNEL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok) {
		error_set(err, ERROR_TEMPORARY, "cannot listen for changes: %s",
			PQerrorMessage(db));
		PQfinish(db);
		return NULL;
	}
	struct pg_listener *l = xcalloc(1, sizeof(*l));
	l->db = db;
	listening(PQsocket(db));
	/* The LISTEN's own round trip is the first ping. */
	l->pinged_ms = clock_monotonic_ms();
	session_cache_alive_until(l->pinged_ms + LISTEN_TRUST_MS);
	return l;
}

/* Hands every notification already read to fn. */
static void
drain(struct pg_listener *l, store_heard_fn *fn, void *arg)
{
	PGnotify *n;
	while ((n = PQnotifies(l->db)) != NULL) {
		if (strcmp(n->relname, STORE_DIRECTORY_CHANNEL) == 0)
			session_cache_heard(n->extra);
		else if (strcmp(n->relname, STORE_SIGNIN_CHANNEL) == 0)
			signins_heard_text(n->extra);
		else
			fn(arg, n->extra);
		PQfreemem(n);
	}
}

int
store_pg_listen_wait(void *listener, int timeout_ms, store_heard_fn *fn,
	void *arg, struct error *err)
{
	struct pg_listener *l = listener;
	drain(l, fn, arg);
	if (clock_monotonic_ms() - l->pinged_ms >= LISTEN_PING_MS) {
		session_cache_reading(true);
		int rc = ping(l, err);
		drain(l, fn, arg);
		session_cache_reading(false);
		if (rc < 0)
			return -1;
	}
	struct pollfd p = { .fd = PQsocket(l->db), .events = POLLIN };
	if (p.fd < 0)
		return error_set(err, ERROR_TEMPORARY,
			"the change listener's connection is closed");
	int rc = poll(&p, 1, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return error_set(err, ERROR_TEMPORARY, "poll: %s",
			strerror(errno));
	/*
	 * A server gone away makes the socket readable and the read fail:
	 * reported, so the caller connects again and resyncs.
	 */
	if (rc <= 0)
		return 0;
	session_cache_reading(true);
	bool lost = PQconsumeInput(l->db) == 0 ||
		PQstatus(l->db) != CONNECTION_OK;
	drain(l, fn, arg);
	session_cache_reading(false);
	if (lost) {
		/* Before libpq's closed socket number can be another's. */
		listening(-1);
		return error_set(err, ERROR_TEMPORARY,
			"the change listener lost its connection: %s",
			PQerrorMessage(l->db));
	}
	return 0;
}

void
store_pg_listen_close(void *listener)
{
	struct pg_listener *l = listener;
	if (l == NULL)
		return;
	listening(-1);
	PQfinish(l->db);
	free(l);
}
