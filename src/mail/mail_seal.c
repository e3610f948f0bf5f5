/*
 * Sealing and opening messages for the secure message portal (SPEC M10,
 * M11): XChaCha20-Poly1305 (libsodium's IETF AEAD, 192-bit random
 * nonces, so no nonce is ever reused under a key) for the message under
 * its own key, and for that key under the instance's. Layer: domain.
 * SECURITY: message keys are wiped after use; nothing here logs.
 */
#include "mail/mail_seal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_types.h"

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define MESSAGE_KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES

_Static_assert(MAIL_SEAL_KEY_BYTES ==
	crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	"the instance key is an AEAD key");

/* The associated data: what the bytes are, and of which message. */
static size_t
context(char *buf, size_t size, const char *what, const char *uid)
{
	int n = snprintf(buf, size, "caremail sealed %s v1 %s", what, uid);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* nonce || AEAD(plain) into a; NULL past a's cap. */
static unsigned char *
encrypt(const unsigned char *key, const char *what, const char *uid,
	const void *plain, size_t plain_len, struct arena *a, size_t *len_r)
{
	char ad[96];
	size_t ad_len = context(ad, sizeof(ad), what, uid);
	size_t len = NONCE_BYTES + plain_len + TAG_BYTES;
	unsigned char *out = arena_alloc(a, len);
	if (out == NULL)
		return NULL;
	randombytes_buf(out, NONCE_BYTES);
	unsigned long long clen;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_BYTES, &clen,
		plain, plain_len, (const unsigned char *)ad, ad_len, NULL, out,
		key);
	*len_r = NONCE_BYTES + (size_t)clen;
	return out;
}

/* The plain bytes of nonce || AEAD into a, NUL after; -1: not authentic. */
static int
decrypt(const unsigned char *key, const char *what, const char *uid,
	const unsigned char *sealed, size_t sealed_len, struct arena *a,
	unsigned char **plain_r, size_t *len_r)
{
	char ad[96];
	size_t ad_len = context(ad, sizeof(ad), what, uid);
	if (sealed_len < NONCE_BYTES + TAG_BYTES)
		return -1;
	size_t max = sealed_len - NONCE_BYTES - TAG_BYTES;
	unsigned char *plain = arena_alloc(a, max + 1);
	if (plain == NULL)
		return -2;
	unsigned long long plen;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL,
		    sealed + NONCE_BYTES, sealed_len - NONCE_BYTES,
		    (const unsigned char *)ad, ad_len, sealed, key) != 0)
		return -1;
	plain[plen] = '\0';
	*plain_r = plain;
	*len_r = (size_t)plen;
	return 0;
}

void
mail_seal_link_hash(const char *token, char hash[MAIL_SEAL_HASH_SIZE])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)token,
		strlen(token), NULL, 0);
	sodium_bin2hex(hash, MAIL_SEAL_HASH_SIZE, h, sizeof(h));
}

void
mail_seal_link_new(char token[MAIL_SEAL_LINK_SIZE],
	char hash[MAIL_SEAL_HASH_SIZE])
{
	unsigned char random[32];
	randombytes_buf(random, sizeof(random));
	sodium_bin2base64(token, MAIL_SEAL_LINK_SIZE, random, sizeof(random),
		sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(random, sizeof(random));
	mail_seal_link_hash(token, hash);
}

void
mail_seal_key_id(const unsigned char *instance_key,
	char id[MAIL_SEAL_KEY_ID_SIZE])
{
	static const unsigned char label[] = "caremail seal key id";
	unsigned char h[8];
	crypto_generichash(h, sizeof(h), label, sizeof(label) - 1,
		instance_key, MAIL_SEAL_KEY_BYTES);
	sodium_bin2hex(id, MAIL_SEAL_KEY_ID_SIZE, h, sizeof(h));
}

int
mail_seal(const unsigned char *instance_key, const void *data, size_t size,
	struct arena *a, struct mail_sealed *out, struct error *err)
{
	if (instance_key == NULL)
		return error_set(err, ERROR_INTERNAL, "this service has no "
			"sealing key, so it cannot encrypt a message");
	unsigned char uid[16];
	randombytes_buf(uid, sizeof(uid));
	sodium_bin2hex(out->uid, sizeof(out->uid), uid, sizeof(uid));
	mail_seal_key_id(instance_key, out->key_id);
	unsigned char key[MESSAGE_KEY_BYTES];
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	out->ciphertext = encrypt(key, "message", out->uid, data, size, a,
		&out->ciphertext_len);
	out->wrapped_key = out->ciphertext == NULL ? NULL :
		encrypt(instance_key, "key", out->uid, key, sizeof(key), a,
			&out->wrapped_key_len);
	sodium_memzero(key, sizeof(key));
	if (out->wrapped_key == NULL)
		return error_set(err, ERROR_LIMIT, "the message is too large "
			"to encrypt here");
	return 0;
}

int
mail_unseal(const unsigned char *instance_key,
	const struct store_secure_message *m, struct arena *a, char **data_r,
	size_t *size_r, struct error *err)
{
	if (m->purged_at != 0 || m->wrapped_key == NULL ||
	    m->ciphertext == NULL)
		return error_set(err, ERROR_NOT_FOUND, "this message has "
			"expired and has been destroyed");
	if (instance_key == NULL)
		return error_set(err, ERROR_INTERNAL, "this service has no "
			"sealing key, so it cannot open a message");
	char id[MAIL_SEAL_KEY_ID_SIZE];
	mail_seal_key_id(instance_key, id);
	if (strcmp(id, m->key_id) != 0)
		return error_set(err, ERROR_INVALID, "this message was "
			"encrypted under another sealing key (%s, this service "
			"has %s); restore that key to read it", m->key_id, id);
	unsigned char *key;
	size_t key_len;
	int rc = decrypt(instance_key, "key", m->uid, m->wrapped_key,
		m->wrapped_key_len, a, &key, &key_len);
	if (rc == 0 && key_len != MESSAGE_KEY_BYTES)
		rc = -1;
	unsigned char *plain = NULL;
	size_t plain_len = 0;
	if (rc == 0) {
		rc = decrypt(key, "message", m->uid, m->ciphertext,
			m->ciphertext_len, a, &plain, &plain_len);
		sodium_memzero(key, key_len);
	}
	if (rc == -2)
		return error_set(err, ERROR_LIMIT, "the message is too large "
			"to open here");
	if (rc < 0)
		return error_set(err, ERROR_INVALID, "this message cannot be "
			"decrypted: it is damaged, or not the one it claims");
	*data_r = (char *)plain;
	*size_r = plain_len;
	return 0;
}
