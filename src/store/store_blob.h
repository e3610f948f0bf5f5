/*
 * Message bodies outside the database (issue 14 item 3; SPEC S2, S7): a
 * blob store holds each body's bytes once, named by the SHA-256 of the
 * bytes (lower-case hex, as bodies.hash), in a directory on shared storage
 * or an S3-compatible object store. The database keeps every row; a body
 * row marked `outside` has its bytes here. One blob store serves every
 * store connection of the process (an instance is one per process), set
 * by store_blobs_use; with none set, new bodies go in the database, as on
 * a single node by default.
 *
 * A blob is immutable: putting a hash that is there already changes
 * nothing, and what is read back is checked against its hash, so a
 * damaged or truncated object is an error, never a wrong message.
 *
 * Removal is two-phase (store_bodies_sweep in store_mail.h): a blob is
 * removed only in a transaction that holds the writers' lock and finds no
 * body row with its hash; a writer that inserts a body row checks, inside
 * its transaction, that the blob is there and puts it again if not. Layer:
 * store.
 */
#ifndef STORE_STORE_BLOB_H
#define STORE_STORE_BLOB_H

#include <stdbool.h>
#include <stddef.h>

struct error;

/* Bytes of a hash as text (SHA-256 in hex) and with its NUL. */
#define STORE_BLOB_HASH_LEN 64
#define STORE_BLOB_HASH_SIZE 65

/* Where the instance's bodies go ([blobs] in the configuration). */
struct store_blob_config {
	const char *backend;	/* "database", "directory" or "s3" */
	const char *path;	/* directory: an absolute path, shared by nodes */
	/*
	 * s3: the bucket's URL, path style (https://host[:port]/bucket), an
	 * optional key prefix, the region the signature names, the access
	 * key id and its secret (read from a file by the caller: never in
	 * the configuration file itself), and a CA file for a private
	 * endpoint ("" for the system's CAs).
	 */
	const char *s3_url;
	const char *s3_prefix;
	const char *s3_region;
	const char *s3_access_key;
	const char *s3_secret;
	const char *s3_ca_file;
	int timeout_ms;		/* for one request, connecting included */
};

/*
 * One backend. Each call is given a valid hash (checked before). A call
 * that cannot reach the store fails with ERROR_TEMPORARY and the reason,
 * so mail is deferred, never lost or bounced for it.
 */
struct store_blob_ops {
	const char *name;	/* "directory", "s3": in errors and logs */
	void *(*open)(const struct store_blob_config *c, struct error *err);
	/* Durable when it returns 0 (the directory: written, synced, named). */
	int (*put)(void *impl, const char *hash, const void *data,
		size_t size, struct error *err);
	/*
	 * Reads the blob, which must be exactly size bytes, into buf:
	 * ERROR_NOT_FOUND when there is none, ERROR_INTERNAL when its size
	 * differs.
	 */
	int (*get)(void *impl, const char *hash, void *buf, size_t size,
		struct error *err);
	/* 1 when the blob is there, 0 when not, -1 on error. */
	int (*exists)(void *impl, const char *hash, struct error *err);
	/* 0 when it is gone, whether or not it was there. */
	int (*remove)(void *impl, const char *hash, struct error *err);
	void (*close)(void *impl);
};

extern const struct store_blob_ops store_blob_dir_ops;
extern const struct store_blob_ops store_blob_s3_ops;

struct store_blobs;

/*
 * Opens the configured blob store; *blobs_r is NULL for "database".
 * ERROR_INVALID names the key at fault; the directory is made if missing.
 */
int store_blobs_open(const struct store_blob_config *c,
	struct store_blobs **blobs_r, struct error *err);
void store_blobs_close(struct store_blobs **blobs);

/*
 * The blob store this process's stores use for bodies (NULL: the
 * database). Set once an instance is open, before any store is used, and
 * cleared before the blob store is closed.
 */
void store_blobs_use(struct store_blobs *blobs);
struct store_blobs *store_blobs_current(void);
/* The backend's name, for the status and errors: "database" for NULL. */
const char *store_blobs_name(const struct store_blobs *blobs);

/* True for 64 lower-case hex digits: the only names a blob may have. */
bool store_blob_hash_valid(const char *hash);

/*
 * The calls the store makes, with the hash checked first and the bytes
 * read back checked against it (ERROR_INTERNAL "damaged" when they differ).
 */
int store_blobs_put(struct store_blobs *b, const char *hash, const void *data,
	size_t size, struct error *err);
int store_blobs_get(struct store_blobs *b, const char *hash, void *buf,
	size_t size, struct error *err);
int store_blobs_has(struct store_blobs *b, const char *hash,
	struct error *err);
int store_blobs_remove(struct store_blobs *b, const char *hash,
	struct error *err);

#endif
