/*
 * Self-service and API tokens (SPEC P11, P16): security answers, the
 * Acceptable Use Policy, recovery codes, instance secrets, API tokens.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_SELFSVC_H
#define STORE_STORE_SELFSVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Replaces a person's answers with these STORE_SECURITY_ANSWERS. */
int store_security_answers_set(struct store *st, int64_t person_id,
	const struct store_security_answer *answers, struct error *err);

/* A person's answers in order; *count_r is 0 when none are set. */
int store_security_answers_get(struct store *st, int64_t person_id,
	struct arena *a, struct store_security_answer **answers_r,
	size_t *count_r, struct error *err);

/* Records the Acceptable Use Policy version accepted at `now`. */
int store_aup_accept(struct store *st, int64_t person_id,
	const char *version, int64_t now, struct error *err);

/* When (0: never) and which version the person accepted. */
int store_aup_get(struct store *st, int64_t person_id, struct arena *a,
	int64_t *at_r, const char **version_r, struct error *err);

/* Replaces any earlier code of the person: only the latest one works. */
int store_recovery_code_set(struct store *st,
	const struct store_recovery_code *c, struct error *err);

/* ERROR_NOT_FOUND when the person has none. */
int store_recovery_code_get(struct store *st, int64_t person_id,
	struct arena *a, struct store_recovery_code *c_r, struct error *err);

/* Counts one wrong try. */
int store_recovery_code_failed(struct store *st, int64_t person_id,
	struct error *err);

/* Spends the code; ERROR_DENIED when it was spent already (a race). */
int store_recovery_code_use(struct store *st, int64_t person_id,
	int64_t now, struct error *err);

/*
 * The instance secret called name, made from `fresh` (kept) the first
 * time it is asked for.
 */
int store_secret_get(struct store *st, const char *name, const char *fresh,
	struct arena *a, const char **value_r, struct error *err);

/* Inserts t and fills its id; ERROR_EXISTS on a label used in the org. */
int store_api_token_insert(struct store *st, struct store_api_token *t,
	struct error *err);

/* ERROR_NOT_FOUND for an unknown hash. */
int store_api_token_by_hash(struct store *st, const char *token_hash,
	struct arena *a, struct store_api_token *t_r, struct error *err);
int store_api_token_get(struct store *st, int64_t id, struct arena *a,
	struct store_api_token *t_r, struct error *err);

/* Tokens of one org (org_count 1) or all (0) with id > after_id, by id. */
int store_api_token_list(struct store *st, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit, struct arena *a,
	struct store_api_token **tokens_r, size_t *count_r,
	struct error *err);

/* ERROR_INVALID when it was revoked already. */
int store_api_token_revoke(struct store *st, int64_t id, int64_t now,
	struct error *err);
int store_api_token_touch(struct store *st, int64_t id, int64_t now,
	struct error *err);

#endif
