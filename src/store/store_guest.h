/*
 * Guests and add-on licences (SPEC L8, L9): an org's external guests with
 * their inviter and attestation times, an org's named add-ons with their
 * quota and expiry, and who holds each. Layer: store; only the domain
 * includes this.
 */
#ifndef STORE_STORE_GUEST_H
#define STORE_STORE_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Adds a guest attested by their inviter at created_at; its id or -1. */
int64_t store_guest_add(struct store *st, int64_t org_id, const char *address,
	const char *display_name, int64_t inviter_id, int64_t created_at,
	struct error *err);

/* One guest; ERROR_NOT_FOUND when there is none with that id. */
int store_guest_get(struct store *st, int64_t id, struct arena *a,
	struct store_guest *g_r, struct error *err);

/*
 * Guests of the org (0: every org), removed ones when include_removed,
 * in id order.
 */
int store_guest_list(struct store *st, int64_t org_id, bool include_removed,
	struct arena *a, struct store_guest **list_r, size_t *count_r,
	struct error *err);

/* Writes the guest's times and inviter back (the rules' fields). */
int store_guest_update(struct store *st, const struct store_guest *g,
	struct error *err);

/* Adds or replaces (quota, expiry) the org's add-on; its id or -1. */
int64_t store_addon_set(struct store *st, int64_t org_id, const char *name,
	int64_t quota, int64_t expires_at, int64_t now, struct error *err);
int store_addon_get(struct store *st, int64_t org_id, const char *name,
	struct arena *a, struct store_addon *a_r, struct error *err);
/* The org's add-ons (0: every org's), by org and name. */
int store_addon_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_addon **list_r, size_t *count_r, struct error *err);
int store_addon_rule_set(struct store *st, int64_t addon_id,
	const char *rule, struct error *err);
int store_addon_notice_set(struct store *st, int64_t addon_id,
	int64_t notice_for, int64_t step, struct error *err);

/* ERROR_EXISTS when the person holds it already. */
int store_allocation_add(struct store *st, int64_t addon_id,
	int64_t person_id, int64_t now, bool by_rule, struct error *err);
/* ERROR_NOT_FOUND when the person does not hold it. */
int store_allocation_remove(struct store *st, int64_t addon_id,
	int64_t person_id, struct error *err);
int store_allocation_list(struct store *st, int64_t addon_id,
	struct arena *a, struct store_allocation **list_r, size_t *count_r,
	struct error *err);

/*
 * The live people of the org who match a rule and do not yet hold the
 * add-on, in id order: field "" for everyone, else "department" or
 * "job_title" equal to value (case-insensitive).
 */
int store_allocation_candidates(struct store *st, int64_t addon_id,
	int64_t org_id, const char *field, const char *value,
	struct arena *a, int64_t **ids_r, size_t *count_r, struct error *err);

#endif
