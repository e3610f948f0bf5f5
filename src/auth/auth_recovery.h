/*
 * What a person sets up for themselves and uses to get back in (SPEC P11):
 * security questions, the Acceptable Use Policy, forgotten passwords and
 * self-service unlock by security answers plus a one-time code sent by SMS
 * (auth_sms.h). Layer: domain.
 * SECURITY: answers and codes are stored only as hashes and never logged;
 * security answers never stand alone (SECURITY.md "Where the seeds and
 * ASVS differ", item 39).
 */
#ifndef AUTH_AUTH_RECOVERY_H
#define AUTH_AUTH_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct auth_sms;
struct dir_ctx;
struct error;

/* ---- security answers ---- */

#define AUTH_ANSWER_MAX 200	/* bytes of an answer as typed */

/* One question and its answer, as a person gives them. */
struct auth_answer {
	const char *question;
	const char *answer;
};

/*
 * An answer as it is hashed and compared: surrounding space trimmed,
 * inner runs of space made one, letters folded to lower case (ASCII,
 * Latin-1, Latin Extended-A, Greek and Cyrillic). Writes out[size]; -1
 * when the text is not UTF-8 or does not fit. Pure.
 */
int auth_answer_normalise(const char *in, char *out, size_t size);

/* The configured questions (auth.security_questions), in ctx->arena. */
int auth_questions_choices(const struct dir_ctx *ctx, const char ***list_r,
	size_t *count_r, struct error *err);

/*
 * Sets a person's three security questions and answers: the current
 * password must be right (field "current"), the questions three distinct
 * ones from the configured list, each answer non-empty once normalised.
 * The answers are hashed with Argon2id; audited without them.
 */
int auth_security_answers_set(const struct dir_ctx *ctx,
	const struct store_person *p, const char *current,
	const struct auth_answer *answers, size_t count, struct error *err);

/* The questions a person has chosen (none: *count_r 0), in ctx->arena. */
int auth_security_questions_get(const struct dir_ctx *ctx, int64_t person_id,
	const char ***questions_r, size_t *count_r, struct error *err);

/*
 * Answers nobody knows, for a directory loaded in bulk (caremail demo):
 * three Argon2id hashes of random text that is wiped at once, made once
 * for every person seeded. Wipe with sodium_memzero after use.
 */
struct auth_unknown_answers {
	char hashes[STORE_SECURITY_ANSWERS][128];	/* AUTH_HASH_MAX */
};
int auth_unknown_answers_make(struct auth_unknown_answers *u_r,
	struct error *err);

/*
 * Marks a seeded person as having done what My account asks before
 * anyone may send mail (SPEC M7): the current auth.aup_version accepted
 * and the first three configured security questions set, answered by u,
 * so recovery by answers stays closed to them. In the caller's
 * transaction; audited as the portal's own steps are.
 */
int auth_seed_ready_to_send(const struct dir_ctx *ctx,
	const struct store_person *p, const struct auth_unknown_answers *u,
	struct error *err);

/* Records that the person accepts auth.aup_version now; audited. */
int auth_aup_accept(const struct dir_ctx *ctx, const struct store_person *p,
	struct error *err);
/* When (0: never) and which version (in ctx->arena) the person accepted. */
int auth_aup_get(const struct dir_ctx *ctx, int64_t person_id, int64_t *at_r,
	const char **version_r, struct error *err);

/* ---- recovery: forgotten password and self-service unlock ---- */

/*
 * Starts recovery for an address. Whether or not it is an account, the
 * reply is the same: three questions to answer (the account's own, or a
 * stable decoy set for an address with no usable account). An active
 * account with questions and a mobile is sent a new one-time code by SMS
 * (auth.recovery_code_ttl_s), replacing any earlier one. Fails only when
 * the store cannot be reached.
 */
int auth_recovery_start(const struct dir_ctx *ctx, struct auth_sms *sms,
	const char *address, const char ***questions_r, struct error *err);

/*
 * Sets a new password with the three answers and the code: ERROR_DENIED in
 * one sentence for a wrong answer or code, an expired, used or
 * overtried code, and an unknown address. Refused while the account is
 * locked (seed 001), saying so, once answers and code were right (the code
 * is then not spent, so it can unlock). new_password must pass the policy
 * (field "new_password"). Ends the person's sessions; audited.
 */
int auth_recovery_complete(const struct dir_ctx *ctx, struct auth_sms *sms,
	const char *address, const struct auth_answer *answers, size_t count,
	const char *code, const char *new_password, struct error *err);

/*
 * Lifts a lock with the three answers and, when the account has a mobile,
 * the code (seed 003, SPEC P11). Lifecycle status is unchanged; audited
 * like an admin's unlock. ERROR_INVALID when the account is not locked.
 */
int auth_recovery_unlock(const struct dir_ctx *ctx, const char *address,
	const struct auth_answer *answers, size_t count, const char *code,
	struct error *err);

#endif
