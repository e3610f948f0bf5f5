/*
 * Application servers registered for relay (SPEC M3). Layer: store; only
 * the domain includes this.
 */
#ifndef STORE_STORE_RELAY_H
#define STORE_STORE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Inserts r and fills its id; ERROR_EXISTS for a block registered already. */
int store_relay_insert(struct store *st, struct store_relay_host *r,
	struct error *err);

/* One registration; ERROR_NOT_FOUND for an unknown id. */
int store_relay_get(struct store *st, int64_t id, struct arena *a,
	struct store_relay_host *r, struct error *err);

/* The registrations of one org (org_id 0: of every org), by id. */
int store_relay_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_relay_host **list_r, size_t *count_r, struct error *err);

/* Deletes one; ERROR_NOT_FOUND when there is no such id. */
int store_relay_delete(struct store *st, int64_t id, struct error *err);

#endif
