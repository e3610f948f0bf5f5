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
 * 0 when password is the person's and their account is active;
 * ERROR_DENIED otherwise, also for an unknown, disabled, leaver or deleted
 * person or one with no password, in the same words and the same time.
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

#endif
