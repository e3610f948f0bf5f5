/*
 * Bulk imports and directory syncs as run (SPEC P8, P15): their counts and
 * per-row reports; and the first reply to each Idempotency-Key (SPEC D3).
 * Layer: store; only the domain includes this.
 */
#ifndef STORE_STORE_IMPORT_H
#define STORE_STORE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;
struct store;

struct store_import {
	int64_t id;
	const char *kind;	/* "import" or "sync" */
	int64_t org_id;		/* 0: rows named their own orgs */
	const char *actor;
	int64_t created_at;
	bool dry_run;
	bool applied;		/* false: refused, nothing changed */
	int64_t rows, created, updated, unchanged, leavers, joined, errors;
	const char *summary;	/* why it was refused, or "" */
	const char *report;	/* the rows as a JSON array; NULL in lists */
};

/* Inserts r and fills its id. */
int store_import_insert(struct store *st, struct store_import *r,
	struct error *err);
/* One run with its report; ERROR_NOT_FOUND for an unknown id. */
int store_import_get(struct store *st, int64_t id, struct arena *a,
	struct store_import *r, struct error *err);
/*
 * Runs of one kind, newest first, without reports: of the orgs given
 * (org_ids NULL: every org), at most limit, older than before_id (0: any).
 */
int store_import_list(struct store *st, const char *kind,
	const int64_t *org_ids, size_t org_count, int64_t before_id,
	size_t limit, struct arena *a, struct store_import **list_r,
	size_t *count_r, struct error *err);

/* The first reply given to an Idempotency-Key. */
struct store_idempotency {
	const char *actor;	/* whose key: a person's address, or token#ID */
	const char *key;
	const char *request;	/* "POST /api/v1/users" */
	const char *body_hash;	/* hex SHA-256 of the request body */
	int64_t status;
	const char *reply;	/* the reply body */
	int64_t created_at;
};

/* The reply kept for (actor, key) since `since`; ERROR_NOT_FOUND if none. */
int store_idempotency_get(struct store *st, const char *actor,
	const char *key, int64_t since, struct arena *a,
	struct store_idempotency *r, struct error *err);
/*
 * Claims (actor, key) for a request being served (status 0), replacing an
 * entry older than `since`; ERROR_EXISTS when a live one is there.
 */
int store_idempotency_claim(struct store *st,
	const struct store_idempotency *r, int64_t since, struct error *err);
/* Keeps the reply a claimed key's request got. */
int store_idempotency_finish(struct store *st, const char *actor,
	const char *key, int64_t status, const char *reply, struct error *err);
/* Lets a claimed key go (its request failed: a retry may run it). */
int store_idempotency_release(struct store *st, const char *actor,
	const char *key, struct error *err);

#endif
