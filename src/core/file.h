/*
 * Files the program writes itself (config, keys, certificates): written to a
 * temporary name, fsynced, renamed into place and the directory fsynced, so a
 * crash leaves the old file or the new one, never half of one. Layer: core.
 */
#ifndef CORE_FILE_H
#define CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct error;

/* Writes data to path atomically with the given mode (e.g. 0600 for keys). */
int file_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, struct error *err);

/*
 * As file_write_atomic, but only if path does not exist yet: ERROR_EXISTS
 * if it does (another process made it first), and it is left as it was.
 */
int file_write_new(const char *path, const void *data, size_t len,
	mode_t mode, struct error *err);

/*
 * Reads a whole file of at most max bytes into a new NUL-terminated heap
 * buffer the caller frees. ERROR_NOT_FOUND if it does not exist, ERROR_LIMIT
 * if it is larger than max.
 */
char *file_read_all(const char *path, size_t max, size_t *len_r,
	struct error *err);

/* Creates a directory and its missing parents; an existing one is fine. */
int file_make_dirs(const char *path, mode_t mode, struct error *err);

bool file_exists(const char *path);

/* Writes all of data to fd, again after EINTR; -1 with errno. */
int file_write_fd(int fd, const void *data, size_t len);

/* Syncs a directory, so names made or removed in it last; -1 with errno. */
int file_sync_dir(const char *dir);

#endif
