/*
 * Organisations and their sites.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_ORG_H
#define STORE_STORE_ORG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

int store_org_insert(struct store *st, struct store_org *org, struct error *err);
int store_org_update(struct store *st, const struct store_org *org,
	struct error *err);
int store_org_get(struct store *st, int64_t id, struct arena *a,
	struct store_org *org_r, struct error *err);
int store_org_get_by_ods(struct store *st, const char *ods, struct arena *a,
	struct store_org *org_r, struct error *err);

/* An org on the way from one to the root (store_org_chain). */
struct store_org_step {
	int64_t org_id;
	bool role_held;		/* someone holds the role asked about for it */
};
#define STORE_ORG_CHAIN_MAX 64
/*
 * The org and each above it to the root (at most STORE_ORG_CHAIN_MAX),
 * nearest first, each marked with whether anyone holds `role` for it:
 * one statement. ERROR_NOT_FOUND if there is no such org.
 */
int store_org_chain(struct store *st, int64_t org_id, const char *role,
	struct arena *a, struct store_org_step **chain_r, size_t *count_r,
	struct error *err);

/* Every org, ordered by ODS code. */
int store_org_list(struct store *st, struct arena *a, struct store_org **orgs_r,
	size_t *count_r, struct error *err);

/* The org and all orgs below it in the tree, as ids. */
int store_org_subtree(struct store *st, int64_t root_id, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err);

int store_site_insert(struct store *st, struct store_site *site,
	struct error *err);
int store_site_get(struct store *st, int64_t id, struct arena *a,
	struct store_site *site_r, struct error *err);
int store_site_find(struct store *st, int64_t org_id, const char *name,
	struct arena *a, struct store_site *site_r, struct error *err);

/* Sites of one org, or of every org when org_id is 0, by name. */
int store_site_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_site **sites_r, size_t *count_r, struct error *err);

#endif
