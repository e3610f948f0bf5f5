/*
 * App passwords: mail-protocol credentials (SECURITY.md 43).
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_APP_PASSWORD_H
#define STORE_STORE_APP_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Inserts a and fills its id; ERROR_EXISTS for a label the person has. */
int store_app_password_insert(struct store *st, struct store_app_password *a,
	struct error *err);

/* The person's app password with this hash; ERROR_NOT_FOUND for none. */
int store_app_password_find(struct store *st, int64_t person_id,
	const char *secret_hash, struct arena *a, struct store_app_password *r,
	struct error *err);

/* The person's app passwords, oldest first. */
int store_app_password_list(struct store *st, int64_t person_id,
	struct arena *a, struct store_app_password **list_r, size_t *count_r,
	struct error *err);

/* Deletes one; ERROR_NOT_FOUND when the person has no such id. */
int store_app_password_delete(struct store *st, int64_t person_id, int64_t id,
	struct error *err);

/* Deletes all of a person's; *count_r says how many (may be NULL). */
int store_app_password_delete_person(struct store *st, int64_t person_id,
	int64_t *count_r, struct error *err);

/* Records a use, at most once a minute so sign-ins rarely write. */
int store_app_password_touch(struct store *st, int64_t id, int64_t now,
	const char *protocol, struct error *err);

#endif
