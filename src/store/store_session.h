/*
 * Sign-in (SPEC P1): web sessions, failed sign-ins and lockout, passwords
 * a person sets themselves, and TOTP.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_SESSION_H
#define STORE_STORE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Inserts s (its id is filled); ERROR_EXISTS on a token hash held. */
int store_session_insert(struct store *st, struct store_session *s,
	struct error *err);

/* The session whose token hashes to token_hash; ERROR_NOT_FOUND if none. */
int store_session_get(struct store *st, const char *token_hash,
	struct arena *a, struct store_session *s_r, struct error *err);
/*
 * The session whose token hashes to token_hash, with its person (as
 * store_person_get), their sign-in state (as store_signin_get) and
 * their roles (as store_role_list), in one statement: what every
 * signed-in request reads first. The TOTP key is not read (mfa_secret is ""): a
 * session needs to know only whether one is enrolled. ERROR_NOT_FOUND if
 * there is no such session.
 */
int store_session_find(struct store *st, const char *token_hash,
	bool may_remember, struct arena *a, struct store_session *s_r,
	struct store_person *p_r, struct store_signin *si_r,
	struct store_role **roles_r, size_t *role_count_r, struct error *err);
/*
 * On a store several nodes share (PostgreSQL), store_session_find with
 * may_remember may answer from this node's memory of what it read, for at most max_age_s
 * seconds and only while the node's listener is connected; whatever the
 * database announces has changed a session, its person or their roles is
 * forgotten as soon as it is heard (store_session_cache.h). 0 (the start)
 * reads every session from the database.
 */
void store_session_cache_set(int max_age_s);
int store_session_touch(struct store *st, int64_t id, int64_t now,
	struct error *err);

/* Deletes one session; deleting one already gone is not an error. */
int store_session_delete(struct store *st, int64_t id, struct error *err);

/* Deletes every session a person has, when they are locked or reset. */
int store_session_delete_person(struct store *st, int64_t person_id,
	struct error *err);

int store_signin_get(struct store *st, int64_t person_id, struct arena *a,
	struct store_signin *s_r, struct error *err);

/*
 * Counts one more failure; at lock_after failures sets locked_at to now.
 * *failures_r and *locked_r tell the outcome.
 */
int store_signin_failed(struct store *st, int64_t person_id,
	int64_t lock_after, int64_t now, int64_t *failures_r, bool *locked_r,
	struct error *err);

/* Clears the failure count after a good sign-in. */
int store_signin_succeeded(struct store *st, int64_t person_id,
	struct error *err);

/*
 * Lifts a lock and clears the failure count; ERROR_INVALID when the
 * account is not locked. Lifecycle status is never touched (SPEC L7).
 */
int store_signin_unlock(struct store *st, int64_t person_id,
	struct error *err);

/* Sets the person's own new password: its hash and self-set time. */
int store_password_self_set(struct store *st, int64_t person_id,
	const char *hash, int64_t now, struct error *err);

/* Stores a new TOTP secret; enrolment is not complete until mfa_enrol. */
int store_mfa_secret_set(struct store *st, int64_t person_id,
	const char *secret, struct error *err);
int store_mfa_enrol(struct store *st, int64_t person_id, int64_t now,
	struct error *err);

/*
 * Records time step `step` as used, only if it is later than the last one:
 * 0 when it was, ERROR_DENIED when step was used already (a replay).
 */
int store_mfa_step_use(struct store *st, int64_t person_id, int64_t step,
	struct error *err);

#endif
