/*
 * People: their records, passwords set by an admin, the devices they sign
 * in with, and what they hold on mailboxes and lists not their own.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_PERSON_H
#define STORE_STORE_PERSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Inserts the person; mailbox_id must already name their user mailbox. */
int store_person_insert(struct store *st, struct store_person *p,
	struct error *err);
/*
 * Writes the person's row as p has it, all but the last sign-in: that is
 * the sign-in's own (store_device_seen), and an edit begun before a
 * sign-in committed would put the older time back.
 */
int store_person_update(struct store *st, const struct store_person *p,
	struct error *err);
int store_person_get(struct store *st, int64_t id, struct arena *a,
	struct store_person *p_r, struct error *err);
int store_person_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_person *p_r, struct error *err);
int store_person_get_by_sync_id(struct store *st, int64_t org_id,
	const char *sync_id, struct arena *a, struct store_person *p_r,
	struct error *err);

/* People matching the filter, by id. */
int store_person_list(struct store *st, const struct store_person_filter *f,
	struct arena *a, struct store_person **people_r, size_t *count_r,
	struct error *err);

/* The Argon2id hash, or "" when none is set. */
int store_person_password_get(struct store *st, int64_t person_id,
	struct arena *a, const char **hash_r, struct error *err);

/*
 * A password set by someone else (an admin, init, a reset): it clears the
 * self-set mark, so the person must change it at their next sign-in.
 */
int store_person_password_set(struct store *st, int64_t person_id,
	const char *hash, int64_t now, struct error *err);

/* Inserts or refreshes the device's last_seen, and the person's sign-in. */
int store_device_seen(struct store *st, const struct store_device *d,
	struct error *err);

/* A person's devices, most recently seen first. */
int store_device_list(struct store *st, int64_t person_id, struct arena *a,
	struct store_device **devices_r, size_t *count_r, struct error *err);

/* Devices of live people in the orgs, by id after after_id, at most limit. */
int store_device_report(struct store *st, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit, struct arena *a,
	struct store_device_row **rows_r, size_t *count_r, struct error *err);

/*
 * Ownerships, memberships (of shared mailboxes, and of static lists
 * through mailbox_id) and grants the person holds on live objects, by
 * address then relation.
 */
int store_person_holdings(struct store *st, int64_t person_id,
	int64_t mailbox_id, struct arena *a, struct store_holding **holdings_r,
	size_t *count_r, struct error *err);

#endif
