/*
 * The address registry: an address once held is held forever.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_ADDRESS_H
#define STORE_STORE_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Records address as held by holder; ERROR_EXISTS if ever held before. */
int store_address_reserve(struct store *st, const char *address,
	struct store_ref holder, int64_t now, struct error *err);

/* Who holds or held address; ERROR_NOT_FOUND if never assigned. */
int store_address_get(struct store *st, const char *address, struct arena *a,
	struct store_address *addr_r, struct error *err);

#endif
