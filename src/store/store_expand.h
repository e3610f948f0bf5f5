/*
 * Recipient sets: distribution lists expanded inside the database, and
 * delivery to every mailbox of a set.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_EXPAND_H
#define STORE_STORE_EXPAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/*
 * Delivers d's body to the Inbox of every mailbox in the scope (to the
 * folder of d->special_use instead where the mailbox has one) and queues
 * it for each outside address (with d's RET and ENVID and the address's
 * NOTIFY and ORCPT), in a fixed number of statements whatever the
 * scope's size; d's folder_ids are not read. *delivered_r gets the number of mailboxes. All or nothing, in the
 * caller's transaction; ERROR_TEMPORARY naming a mailbox that has no Inbox
 * (every mailbox is made with one).
 */
int store_deliver_set(struct store *st, int64_t scope,
	const struct store_delivery *d, int64_t *delivered_r,
	struct error *err);

/*
 * A set is numbered scopes of mailbox ids and outside addresses in
 * temporary tables of this connection, so lists of any size are expanded,
 * counted and delivered without their members in memory. Each member is
 * in a scope once. The tables are made when the connection opens
 * (store_open runs the backend's session_tables); store_set_begin empties them;
 * scope -1 to store_set_drop means every scope.
 */
int store_set_begin(struct store *st, struct error *err);
int store_set_drop(struct store *st, int64_t scope, struct error *err);
int store_set_add_mailbox(struct store *st, int64_t scope, int64_t mailbox_id,
	struct error *err);
/*
 * An outside address, with the RFC 3461 NOTIFY ("" for none) and ORCPT
 * ("" for none) its queue row keeps; an address already in the scope
 * keeps what it had.
 */
int store_set_add_remote(struct store *st, int64_t scope, const char *address,
	const char *notify, const char *orcpt, struct error *err);

/* A static list's live mailboxes and contacts (not its nested lists). */
int store_set_add_static(struct store *st, int64_t scope, int64_t list_id,
	struct error *err);
/* Its live contacts alone. */
int store_set_add_static_contacts(struct store *st, int64_t scope,
	int64_t list_id, struct error *err);

/* The ids of the lists that are members of a static list. */
int store_set_nested_lists(struct store *st, int64_t list_id, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err);

/* Adds to `into` what is in `from` and not in `except` (-1: none). */
int store_set_merge(struct store *st, int64_t into, int64_t from,
	int64_t except, struct error *err);

/* Mailboxes and outside addresses in a scope. */
int store_set_count(struct store *st, int64_t scope, int64_t *count_r,
	struct error *err);

/* Every address in a scope, sorted, into arena a. */
int store_set_addresses(struct store *st, int64_t scope, struct arena *a,
	const char ***addresses_r, size_t *count_r, struct error *err);

/* The outside addresses in a scope, sorted, into arena a. */
int store_set_remote_addresses(struct store *st, int64_t scope,
	struct arena *a, const char ***addresses_r, size_t *count_r,
	struct error *err);

/* Takes one outside address out of a scope (none there: 0). */
int store_set_remove_remote(struct store *st, int64_t scope,
	const char *address, struct error *err);

/* The first STORE_SAMPLE_MAX recipients in a scope, by address. */
int store_set_sample(struct store *st, int64_t scope, struct arena *a,
	struct store_recipient **sample_r, size_t *count_r,
	struct error *err);

/*
 * Takes out of a scope the mailboxes `size` more bytes would put over
 * their quota, except those also in scope `except`; *dropped_r says how
 * many.
 */
int store_set_drop_full(struct store *st, int64_t scope, int64_t except,
	int64_t size, int64_t *dropped_r, struct error *err);

#endif
