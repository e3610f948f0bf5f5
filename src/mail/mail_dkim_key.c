/*
 * DKIM keys: one or more per hosted domain, in the instance directory as
 * DIR/DOMAIN/SELECTOR.key (PKCS #8 PEM, mode 0600) with DIR/DOMAIN/active
 * naming the one that signs; made by `caremail dkim keygen` and audited.
 * RSA through OpenSSL's libcrypto, whose signatures take a fifth of the
 * time GnuTLS's do (every message leaving is signed: bench/RESULTS.md,
 * B10); Ed25519 through libsodium (RFC 8463). Layer: domain.
 * SECURITY: the private key is never logged, printed or put in an audit
 * row, and is wiped from memory when freed.
 */
#include "mail/mail_dkim.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/file.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail_dkim_internal.h"

/* A key file is a few kilobytes; anything larger is not one of ours. */
#define KEY_FILE_MAX 65536
#define RSA_BITS 2048
#define PEM_BEGIN "-----BEGIN PRIVATE KEY-----"
#define PEM_END "-----END PRIVATE KEY-----"

/*
 * RFC 8410 §7: an Ed25519 private key in PKCS #8 is this fixed DER prefix
 * and the 32-byte seed, so OpenSSL and GnuTLS read our files too.
 */
static const unsigned char ed25519_pkcs8_prefix[16] = {
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
	0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
};

const char *
mail_dkim_algorithm_name(enum mail_dkim_algorithm alg)
{
	return alg == MAIL_DKIM_ED25519_SHA256 ? "ed25519" : "rsa";
}

bool
mail_dkim_algorithm_parse(const char *name, enum mail_dkim_algorithm *alg_r)
{
	if (strcmp(name, "rsa") == 0)
		*alg_r = MAIL_DKIM_RSA_SHA256;
	else if (strcmp(name, "ed25519") == 0)
		*alg_r = MAIL_DKIM_ED25519_SHA256;
	else
		return false;
	return true;
}

static struct mail_dkim_key *
key_alloc(enum mail_dkim_algorithm alg, const char *domain,
	const char *selector, struct error *err)
{
	if (!mail_dkim_name_is_valid(domain)) {
		error_set_field(err, ERROR_INVALID, "domain",
			"'%.80s' is not a domain name", domain);
		return NULL;
	}
	if (!mail_dkim_name_is_valid(selector) ||
	    strlen(selector) >= sizeof(((struct mail_dkim_key *)0)->selector)) {
		error_set_field(err, ERROR_INVALID, "selector",
			"'%.80s' is not a DKIM selector: use letters, digits "
			"and hyphens, at most 63", selector);
		return NULL;
	}
	struct mail_dkim_key *key = xcalloc(1, sizeof(*key));
	key->algorithm = alg;
	str_copy(key->domain, sizeof(key->domain), domain);
	str_lower_inplace(key->domain);
	str_copy(key->selector, sizeof(key->selector), selector);
	str_lower_inplace(key->selector);
	return key;
}

void
mail_dkim_key_free(struct mail_dkim_key **keyp)
{
	if (keyp == NULL || *keyp == NULL)
		return;
	struct mail_dkim_key *key = *keyp;
	EVP_PKEY_free(key->rsa);	/* wipes the key's numbers */
	sodium_memzero(key, sizeof(*key));
	free(key);
	*keyp = NULL;
}

enum mail_dkim_algorithm
mail_dkim_key_algorithm(const struct mail_dkim_key *key)
{
	return key->algorithm;
}

const char *
mail_dkim_key_domain(const struct mail_dkim_key *key)
{
	return key->domain;
}

const char *
mail_dkim_key_selector(const struct mail_dkim_key *key)
{
	return key->selector;
}

/* The DER inside a "PRIVATE KEY" PEM block, into der[size]. */
static bool
pem_der(struct span pem, unsigned char *der, size_t size, size_t *len_r)
{
	const char *begin = memmem(pem.p, pem.len, PEM_BEGIN,
		strlen(PEM_BEGIN));
	if (begin == NULL)
		return false;
	begin += strlen(PEM_BEGIN);
	size_t rest = pem.len - (size_t)(begin - pem.p);
	const char *end = memmem(begin, rest, PEM_END, strlen(PEM_END));
	if (end == NULL)
		return false;
	return sodium_base642bin(der, size, begin, (size_t)(end - begin),
		       " \t\r\n", len_r, NULL,
		       sodium_base64_VARIANT_ORIGINAL) == 0;
}

static int
ed25519_from_seed(struct mail_dkim_key *key, const unsigned char *seed)
{
	return crypto_sign_seed_keypair(key->ed_pk, key->ed_sk, seed);
}

static int
rsa_import(struct mail_dkim_key *key, struct span pem, struct error *err)
{
	BIO *in = BIO_new_mem_buf(pem.p, (int)pem.len);
	key->rsa = in != NULL ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) :
		NULL;
	BIO_free(in);
	if (key->rsa == NULL)
		return error_set(err, ERROR_INVALID,
			"the key file holds no RSA or Ed25519 private key");
	if (EVP_PKEY_get_base_id(key->rsa) != EVP_PKEY_RSA)
		return error_set(err, ERROR_INVALID,
			"the key file holds a key DKIM here does not use; "
			"make one with caremail dkim keygen");
	int bits = EVP_PKEY_get_bits(key->rsa);
	if (bits < RSA_BITS)
		return error_set(err, ERROR_INVALID,
			"the RSA key has %d bits; DKIM keys here have at "
			"least %d", bits, RSA_BITS);
	return 0;
}

struct mail_dkim_key *
mail_dkim_key_from_pem(struct span pem, const char *domain,
	const char *selector, struct error *err)
{
	unsigned char der[4096];
	size_t der_len = 0;
	bool is_ed25519 = pem_der(pem, der, sizeof(der), &der_len) &&
		der_len == sizeof(ed25519_pkcs8_prefix) + 32 &&
		memcmp(der, ed25519_pkcs8_prefix,
			sizeof(ed25519_pkcs8_prefix)) == 0;
	struct mail_dkim_key *key = key_alloc(is_ed25519 ?
			MAIL_DKIM_ED25519_SHA256 : MAIL_DKIM_RSA_SHA256,
		domain, selector, err);
	int rc = key == NULL ? -1 : 0;
	if (rc == 0 && is_ed25519 &&
	    ed25519_from_seed(key, der + sizeof(ed25519_pkcs8_prefix)) < 0)
		rc = error_set(err, ERROR_INVALID,
			"the Ed25519 key cannot be read");
	else if (rc == 0 && !is_ed25519)
		rc = rsa_import(key, pem, err);
	sodium_memzero(der, sizeof(der));
	if (rc < 0)
		mail_dkim_key_free(&key);
	return key;
}

/* PEM text of a DER block, in a heap buffer; lines of 64 (RFC 7468). */
static char *
pem_encode(const unsigned char *der, size_t der_len, size_t *len_r)
{
	size_t b64_size = sodium_base64_ENCODED_LEN(der_len,
		sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(b64_size);
	sodium_bin2base64(b64, b64_size, der, der_len,
		sodium_base64_VARIANT_ORIGINAL);
	size_t b64_len = strlen(b64);
	size_t size = strlen(PEM_BEGIN) + strlen(PEM_END) + b64_len +
		b64_len / 64 + 8;
	char *pem = xmalloc(size);
	size_t n = 0;
	n += (size_t)snprintf(pem + n, size - n, "%s\n", PEM_BEGIN);
	for (size_t i = 0; i < b64_len; i += 64)
		n += (size_t)snprintf(pem + n, size - n, "%.64s\n", b64 + i);
	n += (size_t)snprintf(pem + n, size - n, "%s\n", PEM_END);
	sodium_memzero(b64, b64_size);
	free(b64);
	*len_r = n;
	return pem;
}

/* A new RSA key as PKCS #8 PEM, unencrypted (the file is mode 0600). */
static char *
rsa_generate(struct error *err, size_t *len_r)
{
	EVP_PKEY *k = EVP_RSA_gen(RSA_BITS);
	BIO *out = BIO_new(BIO_s_secmem());
	char *pem = NULL, *data;
	long len;
	if (k != NULL && out != NULL &&
	    PEM_write_bio_PrivateKey(out, k, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (len = BIO_get_mem_data(out, &data)) > 0) {
		pem = xmalloc((size_t)len + 1);
		memcpy(pem, data, (size_t)len);
		pem[len] = '\0';
		*len_r = (size_t)len;
	} else {
		error_set(err, ERROR_INTERNAL, "cannot make an RSA key");
	}
	BIO_free(out);	/* secure memory: wiped as it is freed */
	EVP_PKEY_free(k);
	return pem;
}

static char *
ed25519_generate(size_t *len_r)
{
	unsigned char der[sizeof(ed25519_pkcs8_prefix) + 32];
	memcpy(der, ed25519_pkcs8_prefix, sizeof(ed25519_pkcs8_prefix));
	randombytes_buf(der + sizeof(ed25519_pkcs8_prefix), 32);
	char *pem = pem_encode(der, sizeof(der), len_r);
	sodium_memzero(der, sizeof(der));
	return pem;
}

struct mail_dkim_key *
mail_dkim_key_new(enum mail_dkim_algorithm alg, const char *domain,
	const char *selector, char **pem_r, size_t *len_r, struct error *err)
{
	size_t len = 0;
	char *pem = alg == MAIL_DKIM_ED25519_SHA256 ? ed25519_generate(&len) :
		rsa_generate(err, &len);
	if (pem == NULL)
		return NULL;
	struct mail_dkim_key *key = mail_dkim_key_from_pem(
		span_make(pem, len), domain, selector, err);
	if (key == NULL) {
		sodium_memzero(pem, len);
		free(pem);
		return NULL;
	}
	*pem_r = pem;
	*len_r = len;
	return key;
}

char *
mail_dkim_key_record(const struct mail_dkim_key *key, struct arena *a)
{
	const unsigned char *pub = NULL;
	unsigned char *der = NULL;
	size_t pub_len = 0;
	if (key->algorithm == MAIL_DKIM_ED25519_SHA256) {
		pub = key->ed_pk;
		pub_len = sizeof(key->ed_pk);
	} else {
		/* RFC 6376 §3.6.1: p= holds the SubjectPublicKeyInfo. */
		int len = i2d_PUBKEY(key->rsa, &der);
		if (len > 0) {
			pub = der;
			pub_len = (size_t)len;
		}
	}
	char *record = NULL;
	if (pub != NULL) {
		size_t b64_size = sodium_base64_ENCODED_LEN(pub_len,
			sodium_base64_VARIANT_ORIGINAL);
		char *b64 = arena_alloc(a, b64_size);
		if (b64 != NULL) {
			sodium_bin2base64(b64, b64_size, pub, pub_len,
				sodium_base64_VARIANT_ORIGINAL);
			record = arena_printf(a, "v=DKIM1; k=%s; p=%s",
				mail_dkim_algorithm_name(key->algorithm), b64);
		}
	}
	OPENSSL_free(der);
	return record;
}

/* ---- files ---- */

static int
key_path(char *buf, size_t size, const char *dkim_dir, const char *domain,
	const char *selector, struct error *err)
{
	int n = selector != NULL ?
		snprintf(buf, size, "%s/%s/%s.key", dkim_dir, domain, selector) :
		snprintf(buf, size, "%s/%s", dkim_dir, domain);
	if (n < 0 || (size_t)n >= size)
		return error_set(err, ERROR_INVALID,
			"the DKIM key directory's path is too long");
	return 0;
}

int
mail_dkim_domain_check(const struct dir_ctx *ctx, const char *domain,
	struct error *err)
{
	if (domain == NULL || !dir_domain_is_hosted(ctx, domain))
		return error_set_field(err, ERROR_INVALID, "domain",
			"%s is not a domain this instance hosts (mail.domains); "
			"DKIM keys are kept only for hosted domains",
			domain != NULL ? domain : "(none)");
	return 0;
}

static int
check_domain(const char *domain, char *lower, size_t size, struct error *err)
{
	if (!mail_dkim_name_is_valid(domain) ||
	    str_copy(lower, size, domain) < 0)
		return error_set_field(err, ERROR_INVALID, "domain",
			"'%.80s' is not a domain name", domain);
	str_lower_inplace(lower);
	return 0;
}

int
mail_dkim_active_selector(const char *dkim_dir, const char *domain,
	char *buf, size_t size, struct error *err)
{
	char d[MAIL_DKIM_NAME_MAX + 1], path[4096];
	if (check_domain(domain, d, sizeof(d), err) < 0 ||
	    key_path(path, sizeof(path) - 8, dkim_dir, d, NULL, err) < 0)
		return -1;
	size_t n = strlen(path);
	snprintf(path + n, sizeof(path) - n, "/active");
	size_t len;
	struct error inner;
	char *text = file_read_all(path, 512, &len, &inner);
	if (text == NULL && inner.code == ERROR_NOT_FOUND)
		return error_set_field(err, ERROR_NOT_FOUND, "domain",
			"%s has no DKIM key yet; make one with caremail dkim "
			"keygen --domain %s", d, d);
	if (text == NULL)
		return error_forward(err, &inner);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	int rc = 0;
	if (!mail_dkim_name_is_valid(text) || str_copy(buf, size, text) < 0)
		rc = error_set(err, ERROR_INVALID,
			"%s names no valid DKIM selector", path);
	free(text);
	return rc;
}

int
mail_dkim_key_load(const char *dkim_dir, const char *domain,
	const char *selector, struct mail_dkim_key **key_r, struct error *err)
{
	char d[MAIL_DKIM_NAME_MAX + 1], s[64], path[4096];
	if (check_domain(domain, d, sizeof(d), err) < 0)
		return -1;
	if (selector == NULL) {
		if (mail_dkim_active_selector(dkim_dir, d, s, sizeof(s),
			    err) < 0)
			return -1;
	} else if (!mail_dkim_name_is_valid(selector) ||
		   str_copy(s, sizeof(s), selector) < 0) {
		return error_set_field(err, ERROR_INVALID, "selector",
			"'%.80s' is not a DKIM selector", selector);
	}
	str_lower_inplace(s);
	if (key_path(path, sizeof(path), dkim_dir, d, s, err) < 0)
		return -1;
	size_t len;
	struct error inner;
	char *pem = file_read_all(path, KEY_FILE_MAX, &len, &inner);
	if (pem == NULL && inner.code == ERROR_NOT_FOUND)
		return error_set_field(err, ERROR_NOT_FOUND, "selector",
			"%s has no DKIM key with selector %s; make one with "
			"caremail dkim keygen --domain %s", d, s, d);
	if (pem == NULL)
		return error_forward(err, &inner);
	*key_r = mail_dkim_key_from_pem(span_make(pem, len), d, s, err);
	sodium_memzero(pem, len);
	free(pem);
	return *key_r != NULL ? 0 : -1;
}

static int
write_active(const char *dkim_dir, const char *domain, const char *selector,
	struct error *err)
{
	char path[4096], text[80];
	if (key_path(path, sizeof(path) - 8, dkim_dir, domain, NULL, err) < 0)
		return -1;
	size_t n = strlen(path);
	snprintf(path + n, sizeof(path) - n, "/active");
	int len = snprintf(text, sizeof(text), "%s\n", selector);
	return file_write_atomic(path, text, (size_t)len, 0600, err);
}

/* The default selector: "cm" and the year, e.g. cm2026. */
static void
default_selector(int64_t now, char *buf, size_t size)
{
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, size, "cm%04d", tm.tm_year + 1900);
}

static int
keygen_audit(const struct dir_ctx *ctx, const char *action,
	const char *domain, const char *selector, const char *algorithm,
	bool active, struct error *err)
{
	json_t *summary = json_pack("{s:s, s:s, s:b}", "domain", domain,
		"selector", selector, "active", active);
	if (algorithm != NULL)
		json_object_set_new(summary, "algorithm",
			json_string(algorithm));
	return dir_audit(ctx, action, MAIL_DKIM_AUDIT_OBJECT, 0, 0, summary,
		err);
}

/*
 * Writes the key and the audit row together: the row in a transaction
 * that commits only once the file is written, and the file removed again
 * if the commit fails, so neither is left without the other.
 */
static int
keygen_write(const struct dir_ctx *ctx, const char *dkim_dir,
	const char *domain, const struct mail_dkim_keygen_result *r,
	const char *pem, size_t pem_len, struct error *err)
{
	char dir[4096], path[4096];
	if (key_path(dir, sizeof(dir), dkim_dir, domain, NULL, err) < 0 ||
	    key_path(path, sizeof(path), dkim_dir, domain, r->selector,
		    err) < 0)
		return -1;
	if (file_make_dirs(dir, 0700, err) < 0 || dir_begin(ctx, err) < 0)
		return -1;
	int rc = keygen_audit(ctx, "create", domain, r->selector,
		mail_dkim_algorithm_name(r->algorithm), r->active, err);
	if (rc == 0)
		rc = file_write_new(path, pem, pem_len, 0600, err);
	bool written = rc == 0;
	if (rc == 0 && r->active)
		rc = write_active(dkim_dir, domain, r->selector, err);
	if (dir_finish(ctx, rc, err) == 0)
		return 0;
	if (written)
		unlink(path);
	if (r->active && rc == 0) {
		char active[4200];
		snprintf(active, sizeof(active), "%s/active", dir);
		unlink(active);
	}
	return -1;
}

int
mail_dkim_keygen(const struct dir_ctx *ctx, const char *dkim_dir,
	const char *domain, const char *selector, enum mail_dkim_algorithm alg,
	struct mail_dkim_keygen_result *r, struct error *err)
{
	char d[MAIL_DKIM_NAME_MAX + 1], path[4096];
	if (check_domain(domain, d, sizeof(d), err) < 0 ||
	    mail_dkim_domain_check(ctx, d, err) < 0)
		return -1;
	memset(r, 0, sizeof(*r));
	r->algorithm = alg;
	if (selector == NULL || selector[0] == '\0')
		default_selector(ctx->now, r->selector, sizeof(r->selector));
	else if (!mail_dkim_name_is_valid(selector) ||
		 str_copy(r->selector, sizeof(r->selector), selector) < 0)
		return error_set_field(err, ERROR_INVALID, "selector",
			"'%.80s' is not a DKIM selector: use letters, digits "
			"and hyphens, at most 63", selector);
	str_lower_inplace(r->selector);
	if (key_path(path, sizeof(path), dkim_dir, d, r->selector, err) < 0)
		return -1;
	if (file_exists(path))
		return error_set_field(err, ERROR_EXISTS, "selector",
			"%s already has a DKIM key with selector %s; choose "
			"another with --selector", d, r->selector);
	char active[64];
	struct error inner;
	r->active = mail_dkim_active_selector(dkim_dir, d, active,
		sizeof(active), &inner) < 0 && inner.code == ERROR_NOT_FOUND;
	char *pem = NULL;
	size_t pem_len = 0;
	struct mail_dkim_key *key = mail_dkim_key_new(alg, d, r->selector,
		&pem, &pem_len, err);
	if (key == NULL)
		return -1;
	mail_dkim_key_free(&key);
	int rc = keygen_write(ctx, dkim_dir, d, r, pem, pem_len, err);
	sodium_memzero(pem, pem_len);
	free(pem);
	return rc;
}

int
mail_dkim_activate(const struct dir_ctx *ctx, const char *dkim_dir,
	const char *domain, const char *selector, struct error *err)
{
	char d[MAIL_DKIM_NAME_MAX + 1];
	if (check_domain(domain, d, sizeof(d), err) < 0 ||
	    mail_dkim_domain_check(ctx, d, err) < 0)
		return -1;
	struct mail_dkim_key *key;
	if (mail_dkim_key_load(dkim_dir, d, selector, &key, err) < 0)
		return -1;
	char s[64], before[64];
	str_copy(s, sizeof(s), mail_dkim_key_selector(key));
	mail_dkim_key_free(&key);
	struct error inner;
	bool had = mail_dkim_active_selector(dkim_dir, d, before,
		sizeof(before), &inner) == 0;
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = keygen_audit(ctx, "update", d, s, NULL, true, err);
	bool written = rc == 0 && write_active(dkim_dir, d, s, err) == 0;
	if (dir_finish(ctx, written ? 0 : -1, err) == 0)
		return 0;
	/* The row was not kept: put back the key that signed before. */
	if (written && had)
		write_active(dkim_dir, d, before, &inner);
	return -1;
}
