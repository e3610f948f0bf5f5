/*
 * What instance.c asks of instance_audit.c when it makes or opens an
 * instance. Layer: domain, private.
 */
#ifndef INSTANCE_INSTANCE_INTERNAL_H
#define INSTANCE_INSTANCE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct error;
struct instance;

/*
 * For `caremail init`: makes the audit key (mode 0600) and an anchor that
 * says the chain starts with the first row. ERROR_EXISTS if a key is there.
 */
int instance_audit_create(struct instance *inst, int64_t now,
	struct error *err);

/*
 * For instance_open: reads the audit key into inst. An instance made
 * before the audit chain gets its key now, and the rows it already has
 * are chained as they are (once: the anchor file records it). A missing
 * key beside an anchor is refused: a new key would break every row.
 */
int instance_audit_load(struct instance *inst, int64_t now,
	struct error *err);

/* Both keys kept in files (instance_key.c) are this long. */
#define INSTANCE_KEY_BYTES 32

/* hex[hex_len] as exactly out_len bytes: 0, or -1 for anything else. */
int instance_hex_to_bytes(const char *hex, size_t hex_len, unsigned char *out,
	size_t out_len);

/*
 * Reads the key file at path (INSTANCE_KEY_BYTES as hex) into key;
 * ERROR_NOT_FOUND when there is none, ERROR_INVALID naming `what` ("audit")
 * for a damaged one.
 */
int instance_key_read(const char *path, const char *what, unsigned char *key,
	struct error *err);

/*
 * Makes a new random key at path (mode 0600) into key; if another process
 * made one first, theirs is read instead.
 */
int instance_key_create(const char *path, const char *what, unsigned char *key,
	struct error *err);

/* ---- files for backup and restore (instance_files.c) ---- */

/* base/rel into out[size]; ERROR_LIMIT when it does not fit. */
/*
 * path as the instance reads a setting naming a file: absolute as it is,
 * else under dir; a new heap string.
 */
char *instance_path_join(const char *dir, const char *path);

int instance_path_under(char *out, size_t size, const char *base,
	const char *rel, struct error *err);

/* A SHA-256 digest in hex, with its NUL. */
#define INSTANCE_SHA256_HEX 65

/*
 * Copies `from` to the new file `to` (never one that exists, never
 * through a link) with the given mode from its creation, flushed to
 * disk, and says what it copied: its SHA-256 and size. A failed copy
 * leaves no `to`.
 */
int instance_file_copy(const char *from, const char *to, mode_t mode,
	char hex_r[INSTANCE_SHA256_HEX], uint64_t *size_r, struct error *err);

/* The SHA-256 and size of the file at path; ERROR_NOT_FOUND if none. */
int instance_file_hash(const char *path, char hex_r[INSTANCE_SHA256_HEX],
	uint64_t *size_r, struct error *err);

/* Flushes a directory, so the names made in it survive a crash. */
int instance_dir_sync(const char *path, struct error *err);

/*
 * Renames from to to, never over something already there (ERROR_EXISTS):
 * a rename over an empty directory would otherwise succeed silently.
 */
int instance_rename_new(const char *from, const char *to, struct error *err);

/* Removes a tree this program made, as far as it can; links not followed. */
void instance_tree_remove(const char *path);

/* Where the instance directory's files sit in a backup directory. */
#define INSTANCE_BACKUP_FILES "instance"
#define INSTANCE_BACKUP_FORMAT "caremail-backup"
#define INSTANCE_BACKUP_FORMAT_VERSION 1

#endif
