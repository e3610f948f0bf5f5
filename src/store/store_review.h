/*
 * List approvals (SPEC P6), the people a dynamic list rule reaches
 * (counted, or added to a recipient set), and run-time settings.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_REVIEW_H
#define STORE_STORE_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* The list's review row; an empty one (list_id set) when there is none. */
int store_list_review_get(struct store *st, int64_t list_id, struct arena *a,
	struct store_list_review *r_r, struct error *err);

/* Inserts or replaces the list's review row. */
int store_list_review_put(struct store *st, const struct store_list_review *r,
	struct error *err);

/* How many live people match, counted in the database (no size limit). */
int store_rule_count(struct store *st, const struct store_rule_query *q,
	struct arena *a, int64_t *count_r, struct error *err);

/*
 * The first STORE_SAMPLE_MAX of those people by address (a preview shows
 * a few names beside the count).
 */
int store_rule_sample(struct store *st, const struct store_rule_query *q,
	struct arena *a, struct store_recipient **sample_r, size_t *count_r,
	struct error *err);

/* The mailboxes of the live people a dynamic list's rule reaches. */
int store_set_add_rule(struct store *st, int64_t scope,
	const struct store_rule_query *q, struct arena *a, struct error *err);

/* A run-time setting's value; ERROR_NOT_FOUND when never set. */
int store_setting_get(struct store *st, const char *name, struct arena *a,
	const char **value_r, const char **updated_by_r, int64_t *updated_at_r,
	struct error *err);
int store_setting_set(struct store *st, const char *name, const char *value,
	const char *updated_by, int64_t now, struct error *err);

#endif
