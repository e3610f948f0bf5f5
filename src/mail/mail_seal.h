/*
 * Sealing a message for the secure message portal (SPEC M10, M11): each
 * message encrypted with a key of its own (XChaCha20-Poly1305, libsodium),
 * that key wrapped by the instance's sealing key, which lives in a file
 * outside the database (secure.key). A random uid is bound into both as
 * associated data, so neither can be moved to another row. Layer:
 * domain, pure but for the random bytes.
 */
#ifndef MAIL_MAIL_SEAL_H
#define MAIL_MAIL_SEAL_H

#include <stddef.h>

struct arena;
struct config;
struct error;
struct store_secure_message;

#define MAIL_SEAL_KEY_BYTES 32
/* The uid as text: 16 random bytes in hex. */
#define MAIL_SEAL_UID_SIZE 33
/* The key's id as text: 8 bytes of its keyed hash in hex. */
#define MAIL_SEAL_KEY_ID_SIZE 17

/*
 * Where people reach the portal, without a trailing slash: http.public_url,
 * or the scheme, host name (mail_hostname) and http.listen's port.
 */
void mail_seal_portal_url(const struct config *c, char *buf, size_t size);

/* A recipient's link token: 32 random bytes, base64url without padding. */
#define MAIL_SEAL_LINK_SIZE 44
/* What the store keeps of a token: hex BLAKE2b-256. */
#define MAIL_SEAL_HASH_SIZE 65

/* A new link token and its hash. */
void mail_seal_link_new(char token[MAIL_SEAL_LINK_SIZE],
	char hash[MAIL_SEAL_HASH_SIZE]);

/*
 * The hash of a token as given (any text; the store is searched by it,
 * so an unknown token simply finds nothing).
 */
void mail_seal_link_hash(const char *token, char hash[MAIL_SEAL_HASH_SIZE]);

struct mail_sealed {
	char uid[MAIL_SEAL_UID_SIZE];
	char key_id[MAIL_SEAL_KEY_ID_SIZE];
	unsigned char *wrapped_key;	/* in the caller's arena */
	size_t wrapped_key_len;
	unsigned char *ciphertext;	/* in the caller's arena */
	size_t ciphertext_len;
};

/*
 * The id of the instance key (never the key): stored with each message,
 * so one sealed under another key is told apart from a damaged one.
 */
void mail_seal_key_id(const unsigned char *instance_key,
	char id[MAIL_SEAL_KEY_ID_SIZE]);

/*
 * Seals data[size] under a new message key wrapped by instance_key
 * (MAIL_SEAL_KEY_BYTES). ERROR_LIMIT when it does not fit in a;
 * ERROR_INTERNAL with no key.
 */
int mail_seal(const unsigned char *instance_key, const void *data,
	size_t size, struct arena *a, struct mail_sealed *out,
	struct error *err);

/*
 * Opens a stored message (its uid, key_id, wrapped_key and ciphertext)
 * into a, NUL-terminated; ERROR_NOT_FOUND when it has been purged,
 * ERROR_INVALID when it was sealed under another key or does not
 * authenticate (damaged or moved).
 */
int mail_unseal(const unsigned char *instance_key,
	const struct store_secure_message *m, struct arena *a, char **data_r,
	size_t *size_r, struct error *err);

#endif
