/*
 * Distribution lists, the members of static lists, list pages and the
 * dynamic lists whose rule names a value.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_LIST_H
#define STORE_STORE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

int store_list_insert(struct store *st, struct store_list *l,
	struct error *err);
int store_list_update(struct store *st, const struct store_list *l,
	struct error *err);
int store_list_get(struct store *st, int64_t id, struct arena *a,
	struct store_list *l_r, struct error *err);
int store_list_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_list *l_r, struct error *err);
int store_list_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_list **l_r, size_t *count_r, struct error *err);

/* Adding an existing member is ERROR_EXISTS; removing an absent one NOT_FOUND. */
int store_list_member_add(struct store *st, int64_t list_id,
	struct store_ref member, struct error *err);
int store_list_member_remove(struct store *st, int64_t list_id,
	struct store_ref member, struct error *err);
int store_list_members(struct store *st, int64_t list_id, struct arena *a,
	struct store_ref **members_r, size_t *count_r, struct error *err);

/*
 * Live lists of an org (0 any) with a status (NULL any), by id. With
 * awaiting set, only lists waiting for a decision: pending ones and
 * approved ones with a change asked for. With owner_id (0: anyone's),
 * only the lists that person owns.
 */
int store_list_page(struct store *st, const int64_t *org_ids,
	size_t org_count, const enum store_list_state *status, bool awaiting,
	int64_t owner_id, int64_t after_id, size_t limit, struct arena *a,
	struct store_list **l_r, size_t *count_r, struct error *err);

/* Live dynamic lists whose rule mentions text (ASCII case ignored). */
int store_list_rules_naming(struct store *st, const char *text,
	struct arena *a, struct store_list **l_r, size_t *count_r,
	struct error *err);

#endif
