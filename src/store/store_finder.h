/*
 * People Finder on each node (SPEC D4, PERFORMANCE B5; issue 14): a node
 * over PostgreSQL keeps its own copy of what a search reads (people,
 * their keys, mailboxes' addresses, orgs, sites, roles) in a SQLite file,
 * and answers searches from it with the same search as a SQLite store,
 * asking the database only the newest note of its People Finder feed
 * (PostgreSQL migration 36; read with the request's session where there
 * is one), which tells whether the copy has every change committed
 * before the search began.
 * If not, the notes past the copy's are applied first, so a search never
 * shows what the database no longer holds. Layer: store.
 *
 * Until the copy is made (at a node's first start, or again when it is
 * too old to follow the feed) searches go to the database as before.
 */
#ifndef STORE_STORE_FINDER_H
#define STORE_STORE_FINDER_H

#include <stdbool.h>

struct error;
struct store_finder;
struct store_pool;

/*
 * Starts the copy at `path` (a SQLite file this process alone uses) of
 * the PostgreSQL store at `url`: opens or makes it, and keeps it current
 * in a thread of its own. With `numbered`, a path another process holds
 * gives way to the first free of path-2, path-3, ... (nodes started from
 * one instance directory). NULL with err when no file can be had.
 */
struct store_finder *store_finder_start(const char *url, const char *path,
	bool numbered, int busy_timeout_ms, struct error *err);

/* Stops the thread (a copy being made is left, and made again), frees. */
void store_finder_stop(struct store_finder **f);

/*
 * Searches through the pool's connections use f (NULL: none) from now on.
 * Set before the pool's connections are handed out, and back to NULL
 * before f is stopped.
 */
void store_pool_set_finder(struct store_pool *pool, struct store_finder *f);

#endif
