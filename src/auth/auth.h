/*
 * Passwords: the policy, Argon2id hashing (libsodium, m=19 MiB, t=2, p=1 —
 * SECURITY.md item 37) and verification. Layer: domain. Secrets are wiped
 * after use and never logged.
 */
#ifndef AUTH_AUTH_H
#define AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store_types.h"

struct config;
struct dir_ctx;
struct store_person;
struct error;

#define AUTH_PASSWORD_MIN 12
#define AUTH_PASSWORD_MAX 256
#define AUTH_HASH_MAX 128	/* crypto_pwhash_STRBYTES */

/* Whom a password is for: what it must not contain. Any may be NULL. */
struct auth_password_owner {
	const char *address;
	const char *first_name;
	const char *last_name;
	const char *display_name;
};

/* The owner fields of a stored person (pointers into p). */
#define AUTH_PASSWORD_OWNER(p)                                              \
	((struct auth_password_owner){ (p)->address, (p)->first_name,       \
		(p)->last_name, (p)->display_name })

/*
 * The policy (SECURITY.md 37): 12 to 256 characters, not one character
 * repeated, not containing the owner's name (any name part of 3 or more
 * letters, case and accents ignored) or address (whole, or its local
 * part), and not easy to guess by zxcvbn (common and breached
 * passwords, dictionary words with small changes, keyboard runs,
 * sequences, dates). ERROR_INVALID, field "password", with a sentence
 * saying why — never quoting the password. owner may be NULL.
 * Thread-safe.
 */
int auth_password_check_policy(const char *password,
	const struct auth_password_owner *owner, struct error *err);

/* Hashes password into hash[AUTH_HASH_MAX] as "$argon2id$v=19$...". */
int auth_password_hash(const char *password, char *hash, struct error *err);

/*
 * Sets a person's password after checking the policy against them;
 * audits the change (never the password) and revokes their app
 * passwords. The person is named by address. With must_change it is a
 * temporary password (SECURITY.md 43): the portal asks for a new one and
 * IMAP, POP3 and SMTP refuse it until then; without, it stands as if the
 * person had chosen it (for test and demo instances).
 */
int auth_password_set(const struct dir_ctx *ctx, const char *address,
	const char *password, bool must_change, struct error *err);

/*
 * 0 when password is the person's and their account is active and not
 * locked; ERROR_DENIED otherwise, also for an unknown, disabled, leaver,
 * locked or deleted person or one with no password, in the same words and
 * the same time.
 */
int auth_password_verify(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err);

/* Whether a person's password may be used as it is (SPEC P1, L4). */
enum auth_password_state {
	AUTH_PASSWORD_OK,
	AUTH_PASSWORD_TEMPORARY,	/* set by someone else: change it */
	AUTH_PASSWORD_EXPIRED,		/* older than the maximum age */
};

/*
 * The rule, pure: a password whose change time is not the person's own
 * (changed_at 0, or self_set_at different) is temporary; one older than
 * max_age_s at now has expired.
 */
enum auth_password_state auth_password_state(int64_t changed_at,
	int64_t self_set_at, int64_t now, int64_t max_age_s);

/* ---- the sign-in rule: one decision for every protocol and the API ---- */

/* What the person offered. */
enum auth_credential {
	AUTH_CREDENTIAL_PASSWORD,	/* their own password */
	AUTH_CREDENTIAL_APP_PASSWORD,	/* one made for a mail program */
	AUTH_CREDENTIAL_SESSION,	/* a portal session they hold */
};

/* Everything the rule looks at; the caller reads it, the rule reads none. */
struct auth_signin_facts {
	const char *protocol;	/* web, imap, pop3, smtp */
	enum auth_credential credential;
	bool known;		/* a person has the address; nothing else if not */
	bool secret_right;	/* the credential is theirs (checked by caller) */
	enum store_person_status status;
	bool locked;
	bool is_admin;		/* holds any admin role */
	/* The own password: when set, when last set by the person. */
	int64_t password_changed_at, password_self_set_at;
	int64_t password_max_age_s;
	const char *person_protocols_off, *org_protocols_off, *org_name;
	int64_t now;
};

enum auth_signin_answer {
	AUTH_SIGNIN_YES,
	/* The one reply for every wrong case (SECURITY.md 38). */
	AUTH_SIGNIN_WRONG,
	/* The secret is right, but it opens nothing here or now: says why. */
	AUTH_SIGNIN_REFUSED,
};

struct auth_signin_decision {
	enum auth_signin_answer answer;
	enum error_code code;	/* the error a no is reported with */
	const char *field;	/* the field a refusal is about, or "" */
	const char *reason;	/* a wrong case for the audit: locked, ... */
	bool count;		/* a wrong case counts toward the lock */
	char sentence[256];	/* a no: one sentence, never the secret */
};

/*
 * May this person sign in over this protocol now? The one rule (SPEC A4,
 * SECURITY.md 38, 43) every protocol and the API ask, pure: unknown,
 * inactive, locked and wrong get one reply; the portal takes a temporary
 * or expired password (and then asks for a new one) and an admin's own
 * password, mail programs take neither; a protocol turned off for the
 * person or their org is refused over it; a session ends with the
 * account's ability to sign in.
 */
void auth_signin_decide(const struct auth_signin_facts *f,
	struct auth_signin_decision *d);

/* A no as the error the caller returns: always -1. */
int auth_signin_refuse(const struct auth_signin_decision *d,
	struct error *err);

/* Who is signing in, over what, from where (recorded as a device, A7). */
struct auth_client {
	const char *protocol;	/* imap, pop3, smtp */
	const char *client;	/* IMAP ID name/version or similar; may be "" */
	const char *address;	/* the client's IP address */
};

/*
 * Signs a person in to a mail protocol (SECURITY.md 26, 38, 43). The
 * secret is one of the person's app passwords, or their own password
 * when it is not temporary or expired and they hold no admin role. The
 * account must be active and unlocked, and the protocol not switched off
 * for the person or their org (SPEC A4).
 *
 * ERROR_DENIED, no field, in one sentence for a wrong secret, an
 * unknown, inactive or locked account; a wrong secret on a known person
 * counts toward the lock. ERROR_DENIED with a field and a sentence saying
 * what to do, only once the password is right: "protocol" (switched
 * off), "password" (temporary or expired: change it in the portal),
 * "app_password" (an admin's own password). ERROR_TEMPORARY when the
 * store fails: nothing is counted. On success records the device and,
 * after earlier failures, clears their count; fills *p_r.
 */
int auth_signin(const struct dir_ctx *ctx, const char *address,
	const char *password, const struct auth_client *client,
	struct store_person *p_r, struct error *err);

/* ---- app passwords: how admins reach mail (SECURITY.md 43) ---- */

#define AUTH_APP_PASSWORD_LEN 24	/* ~140 bits from a 57-letter alphabet */
#define AUTH_APP_LABEL_MAX 64
#define AUTH_APP_PASSWORDS_MAX 20	/* per person */

/*
 * Makes an app password labelled `label` for the signed-in person p, who
 * must have completed MFA (ERROR_DENIED, field "mfa", otherwise). The
 * secret goes into secret[size > AUTH_APP_PASSWORD_LEN], to be shown
 * once; only its SHA-256 is kept. ERROR_INVALID for an empty or too long
 * label, ERROR_EXISTS for a label they have, ERROR_LIMIT past
 * AUTH_APP_PASSWORDS_MAX. Audited without the secret.
 */
struct store_app_password;
int auth_app_password_create(const struct dir_ctx *ctx,
	const struct store_person *p, const char *label,
	struct store_app_password *a_r, char *secret, size_t size,
	struct error *err);

/* The person's app passwords (no secrets), oldest first, in ctx->arena. */
int auth_app_password_list(const struct dir_ctx *ctx, const char *address,
	struct store_app_password **list_r, size_t *count_r,
	struct error *err);

/* Revokes one; ERROR_NOT_FOUND when they have no such id. Audited. */
int auth_app_password_revoke(const struct dir_ctx *ctx, const char *address,
	int64_t id, struct error *err);

/* A random password of `length` readable characters into buf[length + 1]. */
void auth_password_generate(char *buf, size_t length);

/* ---- portal and API sign-in: sessions (SPEC P1, SECURITY.md 38, 41) ---- */

#include <stdbool.h>
#include <stdint.h>

#include "store/store_types.h"

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
	/*
	 * Their roles as read with the session, for a request that changes
	 * nothing (auth_session_find's to_read); NULL for a change, whose
	 * checks read them afresh from the store.
	 */
	const struct store_role *roles;	/* in ctx->arena */
	size_t role_count;
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
 * no longer active. s_r->token stays "". to_read: the request changes
 * nothing, so a session this node remembers will do (store_session_find,
 * docs/postgresql.md); a request that writes has it from the store.
 */
int auth_session_find(const struct dir_ctx *ctx, const char *token,
	bool to_read, struct auth_web_session *s_r, struct error *err);

/*
 * How long a node may remember a session it read (store.session_cache_s,
 * store_session_cache_set), kept short enough that no session in use
 * through another node ever looks idle here: another node's use moves
 * the last-seen time unseen, by up to this age and the part of the idle
 * timeout auth_session_find touches a session within.
 */
int auth_session_memory_s(const struct config *c);

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

struct auth_sms;

/*
 * dir_person_edit of `before` (the person as the caller just read them,
 * so they are not read again here), and when it changes the mobile
 * number (where recovery codes go) the old number is told by sms
 * (SECURITY.md 40), whoever made the change: the person, or an admin
 * (auth_person.c).
 */
int auth_person_edit(const struct dir_ctx *ctx, struct auth_sms *sms,
	const struct store_person *before,
	const struct dir_person_fields *changes, struct store_person *p_r,
	struct error *err);

#endif
