/*
 * Passwords: the policy, Argon2id hashing (libsodium, m=19 MiB, t=2, p=1 —
 * SECURITY.md item 37) and verification. Layer: domain. Secrets are wiped
 * after use and never logged.
 */
#ifndef AUTH_AUTH_H
#define AUTH_AUTH_H

#include <stddef.h>

struct dir_ctx;
struct store_person;
struct error;

#define AUTH_PASSWORD_MIN 12
#define AUTH_PASSWORD_MAX 256
#define AUTH_HASH_MAX 128	/* crypto_pwhash_STRBYTES */

/* ERROR_INVALID, with a sentence saying why, for a password we refuse. */
int auth_password_check_policy(const char *password, struct error *err);

/* Hashes password into hash[AUTH_HASH_MAX] as "$argon2id$v=19$...". */
int auth_password_hash(const char *password, char *hash, struct error *err);

/*
 * Sets a person's password after checking the policy; audits the change
 * (never the password). The person is named by address.
 */
int auth_password_set(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err);

/*
 * 0 when password is the person's and their account is active and not
 * locked; ERROR_DENIED otherwise, also for an unknown, disabled, leaver,
 * locked or deleted person or one with no password, in the same words and
 * the same time.
 */
int auth_password_verify(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err);

/* Who is signing in, over what, from where (recorded as a device, A7). */
struct auth_client {
	const char *protocol;	/* imap, pop3, smtp */
	const char *client;	/* IMAP ID name/version or similar; may be "" */
	const char *address;	/* the client's IP address */
};

/*
 * Signs a person in to a mail protocol: the password must be right, the
 * account active, and the protocol not switched off for the person or
 * their organisation (SPEC A4) — refused with ERROR_DENIED, err->field
 * "protocol" and a sentence saying which (a wrong password has no field). On success records the sign-in time and the device, and
 * fills *p_r.
 */
int auth_signin(const struct dir_ctx *ctx, const char *address,
	const char *password, const struct auth_client *client,
	struct store_person *p_r, struct error *err);

/* A random password of `length` readable characters into buf[length + 1]. */
void auth_password_generate(char *buf, size_t length);

/* ---- portal and API sign-in: sessions (SPEC P1, SECURITY.md 38, 41) ---- */

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define AUTH_TOKEN_HEX 64	/* 256-bit tokens, as lower-case hex */

/* What a person sends to sign in, and where from. */
struct auth_web_signin {
	const char *address;
	const char *password;
	const char *code;	/* TOTP code, NULL when not sent */
	const char *peer;	/* the client's IP address, for the audit */
	const char *user_agent;	/* recorded as the device; may be NULL */
};

/* A portal/API session and what the person may do in it. */
struct auth_web_session {
	int64_t id;
	char token[AUTH_TOKEN_HEX + 1];	/* the cookie: only after sign-in */
	char csrf_token[AUTH_TOKEN_HEX + 1];
	int64_t created_at, last_seen_at;
	struct store_person person;	/* strings in ctx->arena */
	bool is_admin;			/* holds any admin role */
	bool mfa_enrolled;
	bool mfa_required;		/* sign-in only: a code must be sent */
	bool must_change_password;	/* expired or set by someone else */
};

/*
 * Signs a person in to the portal or API: checks the password, the lock,
 * and, once enrolled, the TOTP code; on success makes a session with fresh
 * 256-bit token and CSRF token (only their hash and the CSRF token are
 * stored), resets the failure count and fills *s_r. A wrong password, an
 * unknown or inactive address, and a wrong or reused code all fail with
 * ERROR_DENIED in the same words; each failure on a known person is
 * counted and audited (never the password), and auth.lockout_failures in
 * a row lock the account at once. A locked account is refused in those
 * same words, even with the right password. A right password with
 * no code when one is needed fails with ERROR_DENIED, field "code" and
 * s_r->mfa_required set.
 */
int auth_session_signin(const struct dir_ctx *ctx,
	const struct auth_web_signin *in, struct auth_web_session *s_r,
	struct error *err);

/*
 * The live session with this cookie token, its last-seen time moved to
 * ctx->now. ERROR_NOT_FOUND for an unknown token and for one past the idle
 * (session.idle_timeout_s) or absolute (session.absolute_timeout_s)
 * timeout, which is deleted; ERROR_DENIED once the account is locked or
 * no longer active. s_r->token stays "".
 */
int auth_session_find(const struct dir_ctx *ctx, const char *token,
	struct auth_web_session *s_r, struct error *err);

/* Ends a session on the server: its cookie is worthless afterwards. */
int auth_session_end(const struct dir_ctx *ctx, int64_t session_id,
	struct error *err);

/*
 * A person changes their own password: current must be right, new must
 * pass auth_password_check_policy (err->field "new") and differ from
 * current. Audited without either password.
 */
int auth_password_change_own(const struct dir_ctx *ctx,
	const struct store_person *p, const char *current, const char *new_password,
	struct error *err);

/* ---- TOTP second factor (RFC 6238, RFC 4226; SECURITY.md 36) ---- */

#define AUTH_TOTP_STEP_S 30
#define AUTH_TOTP_DIGITS 6
#define AUTH_TOTP_KEY_BYTES 20	/* 160 bits, as RFC 4226 §4 recommends */

/*
 * The HOTP value (RFC 4226 §5.3, HMAC-SHA-1) of key at counter, as a
 * number of `digits` (1-9) digits. Pure; aborts if HMAC is unavailable.
 */
uint32_t auth_totp_code(const unsigned char *key, size_t key_len,
	uint64_t counter, unsigned digits);

/*
 * Whether code (AUTH_TOTP_DIGITS digits) is key's code at time now, one
 * step either side (RFC 6238 §5.2); the matching step in *step_r. Pure.
 */
bool auth_totp_check(const unsigned char *key, size_t key_len,
	const char *code, int64_t now, int64_t *step_r);

/*
 * RFC 4648 §6 base32 without padding. Encode writes a NUL-terminated text
 * into out[size] (-1 if it does not fit); decode ignores case and returns
 * the byte count, or -1 for a character outside the alphabet or no room.
 */
int auth_base32_encode(const unsigned char *in, size_t len, char *out,
	size_t size);
int auth_base32_decode(const char *in, unsigned char *out, size_t size);

/*
 * Starts TOTP enrolment: a new random secret for the person, replacing any
 * unconfirmed one, returned as base32 and as an otpauth:// URI (both in
 * ctx->arena). ERROR_EXISTS once enrolment is complete: it cannot be
 * switched off or replaced here.
 */
int auth_mfa_begin(const struct dir_ctx *ctx, const struct store_person *p,
	const char **secret_r, const char **uri_r, struct error *err);

/*
 * Completes enrolment with a first code (which is then spent). ERROR_INVALID
 * (field "code") for a wrong code, ERROR_NOT_FOUND when no enrolment was
 * started. Audited.
 */
int auth_mfa_confirm(const struct dir_ctx *ctx, const struct store_person *p,
	const char *code, struct error *err);

/*
 * Unlocks a person's sign-in after lockout, audited. Never changes their
 * lifecycle status: a leaver stays a leaver (SPEC L7, seed 002 #11809).
 */
int auth_unlock(const struct dir_ctx *ctx, const char *address,
	struct error *err);

/* ---- users area: passwords an admin gives (SPEC P3) ---- */

#define AUTH_TEMP_PASSWORD_LEN 16	/* ~93 bits from a 57-letter alphabet */

struct dir_person_fields;

/*
 * Gives a person a new random temporary password, written into
 * password[size >= AUTH_TEMP_PASSWORD_LEN + 1] for the admin to pass on;
 * they must change it at their next sign-in. Ends their sessions; audited
 * without the password. ERROR_NOT_FOUND for a deleted person.
 */
int auth_password_reset(const struct dir_ctx *ctx, const char *address,
	char *password, size_t size, struct error *err);

/*
 * dir_person_add and a temporary password as above, in one transaction:
 * a new person is active and able to sign in at once (seed 002).
 */
int auth_person_create(const struct dir_ctx *ctx,
	const struct dir_person_fields *in, struct store_person *p_r,
	char *password, size_t size, struct error *err);

#endif
