/*
 * Passwords: policy, Argon2id hashing and verification (SPEC P1, SECURITY.md
 * items 37-38). Layer: domain. The cost parameters are OWASP's minimum for
 * Argon2id, m=19 MiB, t=2, p=1; libsodium picks a fresh salt per hash.
 */
#include "auth/auth.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dir/dir.h"

#define AUTH_OPSLIMIT 2
#define AUTH_MEMLIMIT (19 * 1024 * 1024)

int
auth_password_check_policy(const char *password, struct error *err)
{
	size_t len = password != NULL ? strlen(password) : 0;
	if (len < AUTH_PASSWORD_MIN)
		return error_set_field(err, ERROR_INVALID, "password",
			"a password needs at least %d characters",
			AUTH_PASSWORD_MIN);
	if (len > AUTH_PASSWORD_MAX)
		return error_set_field(err, ERROR_INVALID, "password",
			"a password can have at most %d characters",
			AUTH_PASSWORD_MAX);
	bool all_same = true;
	for (size_t i = 1; i < len; i++)
		all_same = all_same && password[i] == password[0];
	if (all_same)
		return error_set_field(err, ERROR_INVALID, "password",
			"a password cannot be one character repeated");
	return 0;
}

int
auth_password_hash(const char *password, char *hash, struct error *err)
{
	if (sodium_init() < 0)
		return error_set(err, ERROR_INTERNAL,
			"the cryptography library cannot start");
	if (crypto_pwhash_str_alg(hash, password, strlen(password),
		    AUTH_OPSLIMIT, AUTH_MEMLIMIT,
		    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return error_set(err, ERROR_TEMPORARY,
			"not enough memory to hash the password; try again");
	return 0;
}

static int
password_set_tx(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	if (p.deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND, "%s has been deleted",
			p.address);
	char hash[AUTH_HASH_MAX];
	int rc = auth_password_hash(password, hash, err);
	if (rc == 0)
		rc = store_person_password_set(ctx->store, p.id, hash, ctx->now,
			err);
	sodium_memzero(hash, sizeof(hash));
	if (rc < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p.id, p.org_id,
		json_pack("{s:b}", "password_set", 1), err);
}

int
auth_password_set(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err)
{
	if (auth_password_check_policy(password, err) < 0 ||
	    store_begin(ctx->store, err) < 0)
		return -1;
	if (password_set_tx(ctx, address, password, err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}

/*
 * An unknown person still costs one Argon2id verification, against a hash
 * of a random secret made once per process, so timing does not tell who
 * exists (SECURITY.md item 38).
 */
static char decoy_hash[AUTH_HASH_MAX];
static pthread_once_t decoy_once = PTHREAD_ONCE_INIT;

static void
make_decoy(void)
{
	char secret[33];
	auth_password_generate(secret, sizeof(secret) - 1);
	if (auth_password_hash(secret, decoy_hash, NULL) < 0)
		decoy_hash[0] = '\0';
	sodium_memzero(secret, sizeof(secret));
}

int
auth_password_verify(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err)
{
	pthread_once(&decoy_once, make_decoy);
	struct store_person p;
	const char *hash = "";
	struct error inner;
	/*
	 * Disabled, deleted and leaver accounts cannot sign in (SPEC A4), nor
	 * a locked one, over any protocol.
	 */
	bool known = dir_person_get(ctx, address, &p, &inner) == 0 &&
		strcmp(p.status, "active") == 0 && p.locked_at == 0 &&
		store_person_password_get(ctx->store, p.id, ctx->arena, &hash,
			&inner) == 0 &&
		hash[0] != '\0';
	const char *against = known ? hash : decoy_hash;
	bool match = password != NULL &&
		crypto_pwhash_str_verify(against, password, strlen(password)) == 0;
	if (known && match)
		return 0;
	return error_set(err, ERROR_DENIED,
		"the address or password is not right");
}

void
auth_password_generate(char *buf, size_t length)
{
	/* No 0/O, 1/l/I: the password is read off a screen and typed. */
	static const char alphabet[] =
		"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	if (sodium_init() < 0)
		abort();	/* no CSPRNG: nothing secret can be made safely */
	for (size_t i = 0; i < length; i++)
		buf[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	buf[length] = '\0';
}
