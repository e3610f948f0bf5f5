/*
 * Self-service (SPEC P11): security questions, the Acceptable Use Policy,
 * forgotten passwords and self-service unlock by security answers plus a
 * one-time code sent by SMS; the SMS gateway; and API tokens for
 * application accounts (SPEC P16, seed 004). Layer: domain.
 * SECURITY: answers, codes and tokens are stored only as hashes and never
 * logged; security answers never stand alone (SECURITY.md "Where the seeds
 * and ASVS differ", item 39).
 */
#ifndef AUTH_AUTH_SELF_H
#define AUTH_AUTH_SELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct config;
struct dir_ctx;
struct error;

/* ---- the SMS gateway ---- */

struct auth_sms;

/* One way of sending SMS: the file outbox, or an HTTPS JSON post. */
struct auth_sms_ops {
	const char *name;
	int (*send)(struct auth_sms *sms, const char *to, const char *text,
		struct error *err);
};

/*
 * The gateway sms.gateway names, with paths (sms.outbox, sms.ca_file)
 * resolved against instance_dir. Never fails: a gateway that cannot work
 * says why when it is used.
 */
struct auth_sms *auth_sms_new(const struct config *config,
	const char *instance_dir);
void auth_sms_free(struct auth_sms **sms);
/* Sends text to the number `to`; ERROR_TEMPORARY when it cannot. */
int auth_sms_send(struct auth_sms *sms, const char *to, const char *text,
	struct error *err);

/*
 * Tells a person something about their account by SMS, when they have a
 * mobile (SECURITY.md 40: credential changes are notified). Best effort: a
 * failure is logged, never returned.
 */
void auth_sms_notify(struct auth_sms *sms, const char *mobile,
	const char *address, const char *text);

struct dir_person_fields;
struct store_person;

/*
 * dir_person_edit, and when it changes the mobile number (where recovery
 * codes go) the old number is told (SECURITY.md 40), whoever made the
 * change: the person, or an admin.
 */
int auth_person_edit(const struct dir_ctx *ctx, struct auth_sms *sms,
	const char *address, const struct dir_person_fields *changes,
	struct store_person *p_r, struct error *err);

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

/* ---- API tokens for application accounts ---- */

/* What an admin asks for; the org is named by ODS code. */
struct auth_token_new {
	const char *label;
	const char *org_ods;
	const char *const *actions;	/* action names, as auth_action_name */
	size_t action_count;
	int64_t expires_at;		/* 0: use expires_days */
	int64_t expires_days;
	const char *const *allow_from;	/* IPs and CIDRs; may be none */
	size_t allow_count;
};

/*
 * Makes a token: the creator (person_id) must themselves be allowed every
 * action asked for in that org, so a token never exceeds its maker. The
 * token (AUTH_TOKEN_HEX hex digits) is written to token_r and never
 * stored: only its SHA-256. ERROR_INVALID naming the field for a bad
 * label, action, expiry or address; ERROR_EXISTS for a label the org has
 * used. Audited without the token.
 */
int auth_token_create(const struct dir_ctx *ctx, int64_t person_id,
	const struct auth_token_new *in, char *token_r,
	struct store_api_token *t_r, struct error *err);

/* Revokes a token at once; audited. */
int auth_token_revoke(const struct dir_ctx *ctx, int64_t id,
	struct error *err);
/* A token by id, never its secret; ERROR_NOT_FOUND for an unknown id. */
int auth_token_get(const struct dir_ctx *ctx, int64_t id,
	struct store_api_token *t_r, struct error *err);
/*
 * Tokens of one org (org_id 0: of every org) with id > after_id, by id, at
 * most limit. The caller checks who may see each one.
 */
int auth_token_list(const struct dir_ctx *ctx, int64_t org_id,
	int64_t after_id, size_t limit, struct store_api_token **tokens_r,
	size_t *count_r, struct error *err);

/*
 * The token a request presents, checked: ERROR_NOT_FOUND with a sentence
 * for an unknown, revoked or expired token and for a peer address outside
 * its allow-list. Records its last use.
 */
int auth_token_find(const struct dir_ctx *ctx, const char *token,
	const char *peer, struct store_api_token *t_r, struct error *err);

/* Whether peer (an IP address as text) is in the comma-separated list. */
bool auth_token_peer_allowed(const char *allow_from, const char *peer);

/* Checks one IP or CIDR entry; false when it is neither. */
bool auth_cidr_valid(const char *entry);

#endif
