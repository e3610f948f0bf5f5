/*
 * A node's memory of the sessions it read from a store several nodes share
 * (PostgreSQL): store_session_find answers from it without a round trip
 * to the database while nothing it holds can have changed. Layer: store,
 * private to store_session.c, the PostgreSQL driver and its listener.
 *
 * What can change a session's answer (the session ended, its person
 * changed, locked, disabled or given or stripped of a role) is announced
 * by the database's own triggers (migration 39, store_schema_pg.c). This
 * node forgets what they name:
 * - at once for its own writes: the triggers tell the connection that
 *   wrote (an INFO message, in the statement's answer), and it forgets
 *   then and again when its transaction commits, before the caller goes
 *   on (store_pg.c, pg_notice and pg_settle);
 * - for other nodes' commits, as soon as its listener hears them on
 *   STORE_DIRECTORY_CHANNEL (store_backend.h), milliseconds later;
 * - everything, whenever the listener is not connected (nothing is used
 *   then), and anything older than the age set (store_session_cache_set).
 * The People Finder's feed announces its newest note on the same channel,
 * so a search on a remembered session knows how current the node's copy
 * must be without asking the database either.
 */
#ifndef STORE_SESSION_CACHE_H
#define STORE_SESSION_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;

/* Whether this process keeps sessions at all (set, and on PostgreSQL). */
bool session_cache_wanted(void);

/*
 * Whether the node's listener has heard everything committed until a
 * moment ago: connected, answering its round trips, and nothing waiting
 * unread. What it keeps is used only then.
 */
bool session_cache_listener_current(void);

/* What one read of a session brought (store_session_find's outputs). */
struct session_cached {
	struct store_session session;
	struct store_person person;
	struct store_signin signin;
	const char *roles;	/* as store_session.c joins them */
	int64_t noted;	/* the People Finder feed's newest note, 0 unknown */
};

/*
 * The session with this token hash, copied into a, if it is remembered
 * and may still be used: false sends the caller to the database.
 */
bool session_cache_get(const char *token_hash, struct arena *a,
	struct session_cached *c_r);

/*
 * Taken before reading a session from the database, and handed to
 * session_cache_put with what was read: anything forgotten in between
 * means the read may be older than what was forgotten, and it is not kept.
 */
uint64_t session_cache_mark(void);
void session_cache_put(uint64_t mark, const char *token_hash,
	const struct session_cached *c);

/* This node moved a session's last-seen time (store_session_touch). */
void session_cache_touch(int64_t session_id, int64_t last_seen_at);
/* Forget one session, a person's sessions, or every session. */
void session_cache_forget_session(int64_t session_id);
void session_cache_forget_person(int64_t person_id);
void session_cache_forget_all(void);

/* One notification heard on STORE_DIRECTORY_CHANNEL. */
void session_cache_heard(const char *payload);
/* A People Finder note this node committed (store_pg.c's pg_settle). */
void session_cache_note_newest(int64_t note);
/* The newest People Finder note heard (0 none). */
int64_t session_cache_newest_heard(void);

/* The listener is taking bytes off its socket, until it has heard them. */
void session_cache_reading(bool reading);

/*
 * The listener's connection answered a round trip just now: it has read
 * everything the database sent before, so it is caught up until until_ms
 * (monotonic). Nothing remembered is used past that: a connection that
 * went silent (a dropped network) is not trusted for long.
 */
void session_cache_alive_until(int64_t until_ms);

/*
 * The node's listener is connected on socket fd, already LISTENing
 * (every session is forgotten: what was committed before went unheard),
 * or, with -1, is not: nothing remembered is used until it is again.
 */
void session_cache_listening(int fd);

#endif
