/*
 * The blob store the bodies outside the database go to (store_blob.h):
 * choosing the backend from the configuration, and the checks every call
 * makes whatever the backend: a blob's name is a SHA-256 in hex and
 * nothing else (so a name from the database can never reach outside the
 * blob directory or bucket), and its bytes must hash to its name. Layer:
 * store.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/error.h"
#include "core/xmalloc.h"
#include "store/store_blob.h"

struct store_blobs {
	const struct store_blob_ops *ops;
	void *impl;
};

static const struct store_blob_ops *const backends[] = {
	&store_blob_dir_ops,
	&store_blob_s3_ops,
};

/* Set once when an instance opens, read by every connection's thread. */
static _Atomic(struct store_blobs *) current;

int
store_blobs_open(const struct store_blob_config *c,
	struct store_blobs **blobs_r, struct error *err)
{
	*blobs_r = NULL;
	if (c->backend == NULL || strcmp(c->backend, "database") == 0)
		return 0;
	for (size_t i = 0; i < sizeof(backends) / sizeof(*backends); i++) {
		if (strcmp(c->backend, backends[i]->name) != 0)
			continue;
		void *impl = backends[i]->open(c, err);
		if (impl == NULL)
			return -1;
		struct store_blobs *b = xcalloc(1, sizeof(*b));
		b->ops = backends[i];
		b->impl = impl;
		*blobs_r = b;
		return 0;
	}
	return error_set(err, ERROR_INVALID,
		"blobs.backend is \"%s\"; it may be database, directory or s3",
		c->backend);
}

void
store_blobs_close(struct store_blobs **blobs)
{
	if (*blobs == NULL)
		return;
	(*blobs)->ops->close((*blobs)->impl);
	free(*blobs);
	*blobs = NULL;
}

void
store_blobs_use(struct store_blobs *blobs)
{
	atomic_store(&current, blobs);
}

struct store_blobs *
store_blobs_current(void)
{
	return atomic_load(&current);
}

const char *
store_blobs_name(const struct store_blobs *blobs)
{
	return blobs == NULL ? "database" : blobs->ops->name;
}

bool
store_blob_hash_valid(const char *hash)
{
	if (hash == NULL || strlen(hash) != STORE_BLOB_HASH_LEN)
		return false;
	for (const char *p = hash; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int
check_hash(const char *hash, struct error *err)
{
	if (!store_blob_hash_valid(hash))
		return error_set(err, ERROR_INVALID,
			"a blob is named by a SHA-256 in lower-case hex, not"
			" \"%.80s\"", hash != NULL ? hash : "");
	return 0;
}

/* The bytes must be the ones the name promises. */
static int
check_bytes(const char *hash, const void *data, size_t size,
	const char *what, struct error *err)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[STORE_BLOB_HASH_SIZE];
	crypto_hash_sha256(digest, data, size);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	if (strcmp(hex, hash) != 0)
		return error_set(err, ERROR_INTERNAL,
			"the blob %s %s does not match its hash: it is damaged",
			hash, what);
	return 0;
}

int
store_blobs_put(struct store_blobs *b, const char *hash, const void *data,
	size_t size, struct error *err)
{
	if (check_hash(hash, err) < 0 ||
	    check_bytes(hash, data, size, "to be written", err) < 0)
		return -1;
	return b->ops->put(b->impl, hash, data, size, err);
}

int
store_blobs_get(struct store_blobs *b, const char *hash, void *buf,
	size_t size, struct error *err)
{
	if (check_hash(hash, err) < 0 ||
	    b->ops->get(b->impl, hash, buf, size, err) < 0)
		return -1;
	char where[80];
	snprintf(where, sizeof(where), "read from the %s blob store",
		b->ops->name);
	return check_bytes(hash, buf, size, where, err);
}

int
store_blobs_has(struct store_blobs *b, const char *hash, struct error *err)
{
	if (check_hash(hash, err) < 0)
		return -1;
	return b->ops->exists(b->impl, hash, err);
}

int
store_blobs_remove(struct store_blobs *b, const char *hash,
	struct error *err)
{
	if (check_hash(hash, err) < 0)
		return -1;
	return b->ops->remove(b->impl, hash, err);
}
