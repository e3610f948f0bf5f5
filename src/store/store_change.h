/*
 * Change notification: what a writer changed, reported to subscribers
 * once its transaction commits (store_change.c). Layer: store; only the
 * domain includes this (a front end may include store_types.h alone, for
 * the records).
 */
#ifndef STORE_STORE_CHANGE_H
#define STORE_STORE_CHANGE_H

#include <stddef.h>
#include <stdint.h>

struct error;
struct store;

/*
 * "Folder F of mailbox M changed": what IMAP IDLE and a selected session
 * wait on. A writer notes changes with store_changed inside its
 * transaction; the store reports them to every subscriber once that
 * transaction has committed, never for work rolled back. mailbox_id
 * STORE_CHANGE_ANY means any mailbox may have changed (a list's delivery,
 * whose members are not read back); folder_id 0 means some folder of the
 * mailbox. In-process now; a PostgreSQL backend reports the same notes
 * through NOTIFY and LISTEN (docs/design.md "Change notification").
 */
#define STORE_CHANGE_ANY 0

struct store_change {
	int64_t mailbox_id; /* STORE_CHANGE_ANY: every mailbox */
	int64_t folder_id;  /* 0: some folder of it */
};

/*
 * Called on the committing thread (the writer's, for writer jobs) after
 * the commit, with the transaction's changes; it must not block or call
 * the store.
 */
typedef void store_change_fn(void *arg, const struct store_change *changes,
	size_t count);

/* Adds a subscriber for the life of the process; ERROR_INTERNAL past 4. */
int store_change_subscribe(store_change_fn *fn, void *arg, struct error *err);

/*
 * Notes that folder_id of mailbox_id changed, for the subscribers once the
 * open transaction commits (at once outside one). Never fails: past a
 * bound the transaction reports STORE_CHANGE_ANY instead.
 */
void store_changed(struct store *st, int64_t mailbox_id, int64_t folder_id);

/*
 * Reads one change payload another node announced ("NODE MAILBOX:FOLDER
 * ..."): the node's token into node[node_size] and up to max changes; a
 * payload with more, or one naming mailbox 0, reads as STORE_CHANGE_ANY
 * alone. -1 for a payload not in that form. Exposed for its fuzz target.
 */
int store_change_parse(const char *payload, char *node, size_t node_size,
	struct store_change *changes, size_t max, size_t *count_r);

/*
 * This node's ear for the others on a shared store (PostgreSQL): a thread
 * that hands what they commit to this process's subscribers, and after a
 * lost connection tells them all "any mailbox" so each resyncs. *l_r is
 * NULL for a backend one process owns (SQLite), which needs none.
 */
struct store_change_listener;
int store_change_listen_start(const char *backend, const char *path,
	struct store_change_listener **l_r, struct error *err);
void store_change_listen_stop(struct store_change_listener **l);

#endif
