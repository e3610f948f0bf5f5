/*
 * Passwords: policy, Argon2id hashing and verification (SPEC P1, SECURITY.md
 * items 37-38). Layer: domain. The cost parameters are OWASP's minimum for
 * Argon2id, m=19 MiB, t=2, p=1; libsodium picks a fresh salt per hash.
 */
#include "auth/auth.h"
#include "auth/auth_internal.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dir/dir.h"
#include "store/store_app_password.h"
#include "store/store_person.h"
#include "store/store_session.h"

#define AUTH_OPSLIMIT 2
#define AUTH_MEMLIMIT (19 * 1024 * 1024)

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
	const char *password, bool must_change, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	if (p.deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND, "%s has been deleted",
			p.address);
	struct auth_password_owner owner = AUTH_PASSWORD_OWNER(&p);
	if (auth_password_check_policy(password, &owner, err) < 0)
		return -1;
	char hash[AUTH_HASH_MAX];
	int rc = auth_password_hash(password, hash, err);
	/*
	 * Someone else chose it, so the app passwords the person made
	 * under the old one go too: this is how a taken-over account is
	 * taken back (SECURITY.md 43).
	 */
	if (rc == 0)
		rc = must_change ?
			store_person_password_set(ctx->store, p.id, hash,
				ctx->now, err) :
			store_password_self_set(ctx->store, p.id, hash,
				ctx->now, err);
	sodium_memzero(hash, sizeof(hash));
	if (rc < 0 || store_app_password_delete_person(ctx->store, p.id,
			      NULL, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p.id, p.org_id,
		json_pack("{s:b,s:b}", "password_set", 1,
			"must_change_password", must_change), err);
}

int
auth_password_set(const struct dir_ctx *ctx, const char *address,
	const char *password, bool must_change, struct error *err)
{
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (password_set_tx(ctx, address, password, must_change, err) < 0) {
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

const char *
auth_password_decoy(void)
{
	pthread_once(&decoy_once, make_decoy);
	return decoy_hash;
}

/* The hex SHA-256 a token or app password is kept and found by. */
void
auth_secret_digest(const char *secret, char out[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)secret,
		strlen(secret));
	sodium_bin2hex(out, 65, digest, sizeof(digest));
	sodium_memzero(digest, sizeof(digest));
}

void
auth_pair_digest(const char *first, char sep, const char *second,
	char out[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)first,
		strlen(first));
	crypto_hash_sha256_update(&st, (const unsigned char *)&sep, 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)second,
		strlen(second));
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(out, 65, digest, sizeof(digest));
	sodium_memzero(digest, sizeof(digest));
}

/* A fault of ours (the store failing), as opposed to an answer. */
bool
auth_is_fault(const struct error *e)
{
	return e->code != ERROR_NOT_FOUND && e->code != ERROR_INVALID &&
		e->code != ERROR_DENIED;
}

int
auth_password_check(const struct dir_ctx *ctx, const char *address,
	const char *password, struct store_person *p_r, bool *found_r,
	bool *right_r, struct error *err)
{
	const char *hash = "";
	struct error inner;
	bool known = false;
	*found_r = *right_r = false;
	/*
	 * SECURITY.md 26: a store that cannot be read is not a wrong
	 * password; it is reported before any verification.
	 */
	if (dir_person_get(ctx, address, p_r, &inner) < 0) {
		if (auth_is_fault(&inner))
			return error_forward(err, &inner);
	} else {
		*found_r = true;
		/*
		 * Disabled, deleted and leavers cannot sign in (SPEC A4); an
		 * Inactive person can, and is Active again at once (L7).
		 */
		if (dir_person_can_sign_in(p_r->status) ||
		    p_r->status == STORE_PERSON_INACTIVE) {
			if (store_person_password_get(ctx->store, p_r->id,
				    ctx->arena, &hash, &inner) < 0)
				return error_forward(err, &inner);
			known = hash[0] != '\0';
		}
	}
	const char *against = known ? hash : auth_password_decoy();
	/* Always one Argon2id verification, so timing tells nothing. */
	bool match = password != NULL && crypto_pwhash_str_verify(against,
		password, strlen(password)) == 0;
	*right_r = known && match;
	return 0;
}

int
auth_password_verify(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err)
{
	struct store_person p = { 0 };
	bool found, right;
	if (auth_password_check(ctx, address, password, &p, &found, &right,
		    err) < 0)
		return -1;
	/* Only a password that would sign them in to the portal now. */
	struct auth_signin_facts f = { .protocol = "web",
		.credential = AUTH_CREDENTIAL_PASSWORD,
		.known = found,
		.secret_right = right,
		.status = p.status,
		.locked = p.locked_at != 0,
		.now = ctx->now };
	struct auth_signin_decision d;
	auth_signin_decide(&f, &d);
	if (d.answer == AUTH_SIGNIN_YES)
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
