/*
 * Shared within auth/ only: password checking with the person's record,
 * and the failed sign-in record that counts toward the lock. Layer:
 * domain.
 */
#ifndef AUTH_AUTH_INTERNAL_H
#define AUTH_AUTH_INTERNAL_H

#include <stdbool.h>

#include "store/store.h"

struct dir_ctx;
struct error;

/* Whether e is a fault of ours (the store failing), not an answer. */
bool auth_is_fault(const struct error *e);

/*
 * One Argon2id verification of password against the person at address
 * (against a decoy when there is none, so timing tells nothing). *found_r:
 * the person exists, in *p_r, whatever their status (their failures are
 * still counted); *right_r: they are active, have a password, and this is
 * it. The lock is not looked at. -1 only when the store fails
 * (ERROR_TEMPORARY): then nothing may be counted against anyone.
 */
int auth_password_check(const struct dir_ctx *ctx, const char *address,
	const char *password, struct store_person *p_r, bool *found_r,
	bool *right_r, struct error *err);

/*
 * Audits a failed sign-in on a known person (never the secret) and, when
 * count, adds one to their consecutive failures, locking the account at
 * auth.lockout_failures. A failure to record it is logged.
 */
void auth_signin_failed(const struct dir_ctx *ctx, const struct store_person *p,
	const char *reason, const char *peer, const char *protocol, bool count);

/*
 * The hex SHA-256 a session token, API token or app password is kept and
 * found by, into out[65]: they are random, so no salt or stretching.
 */
void auth_secret_digest(const char *secret, char out[65]);
/*
 * The hex SHA-256 of "FIRST<sep>SECOND" into out[65]: a recovery code
 * with its salt, a rate limit's key with what it counts.
 */
void auth_pair_digest(const char *first, char sep, const char *second,
	char out[65]);

/*
 * An Argon2id hash of a random secret, made once per process: what an
 * unknown person's password or a missing answer is checked against, so
 * timing does not tell who exists (SECURITY.md item 38).
 */
const char *auth_password_decoy(void);

#endif
