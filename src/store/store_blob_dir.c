/*
 * The directory blob backend (store_blob.h): one file per body, named by
 * its hash, under a directory every node mounts (NFS or any shared POSIX
 * file system). PATH/ab/abcdef... spreads the files over 256 directories,
 * so none grows to millions of entries. A file is written under a name of
 * its own in PATH/tmp, synced, renamed into place and its directory
 * synced: a crash leaves a whole blob or none, and two writers of the same
 * body (two nodes, two sessions) each rename a whole copy of the same
 * bytes. O_TMPFILE would spare the temporary name but NFS does not have it.
 * Failures are ERROR_TEMPORARY (a full or unmounted disk defers mail).
 * Layer: store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/xmalloc.h"
#include "store/store_blob.h"

struct dir_blobs {
	char *path;
};

/* Temporary names differ between threads and processes on every node. */
static atomic_uint_fast64_t temp_counter;

static void *
dir_open(const struct store_blob_config *c, struct error *err)
{
	if (c->path == NULL || c->path[0] != '/') {
		error_set(err, ERROR_INVALID,
			"blobs.path must be an absolute directory for the"
			" directory backend, not \"%s\"",
			c->path != NULL ? c->path : "");
		return NULL;
	}
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s/tmp", c->path) >= (int)sizeof(tmp)) {
		error_set(err, ERROR_INVALID, "blobs.path is too long");
		return NULL;
	}
	if (file_make_dirs(tmp, 0700, err) < 0)
		return NULL;
	if (access(tmp, W_OK | X_OK) < 0) {
		error_set(err, ERROR_INVALID, "the blob directory %s cannot be"
			" written: %s", c->path, strerror(errno));
		return NULL;
	}
	struct dir_blobs *d = xcalloc(1, sizeof(*d));
	d->path = xstrdup(c->path);
	return d;
}

static void
dir_close(void *impl)
{
	struct dir_blobs *d = impl;
	free(d->path);
	free(d);
}

/* PATH/ab/hash, and PATH/ab alone when dir_only. */
static void
blob_path(const struct dir_blobs *d, const char *hash, bool dir_only,
	char *out, size_t size)
{
	if (dir_only)
		snprintf(out, size, "%s/%.2s", d->path, hash);
	else
		snprintf(out, size, "%s/%.2s/%s", d->path, hash, hash);
}

static int
failed(const char *what, const char *path, struct error *err)
{
	return error_set(err, ERROR_TEMPORARY, "the blob store cannot %s %s:"
		" %s", what, path, strerror(errno));
}

static int
dir_put(void *impl, const char *hash, const void *data, size_t size,
	struct error *err)
{
	struct dir_blobs *d = impl;
	char dir[4200], final[4300], tmp[4300];
	blob_path(d, hash, true, dir, sizeof(dir));
	blob_path(d, hash, false, final, sizeof(final));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return failed("make the directory", dir, err);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s.%ld.%llu", d->path, hash,
		(long)getpid(),
		(unsigned long long)atomic_fetch_add(&temp_counter, 1));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		O_CLOEXEC, 0600);
	if (fd < 0)
		return failed("create", tmp, err);
	if (file_write_fd(fd, data, size) < 0 || fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return failed("write", tmp, err);
	}
	close(fd);
	if (rename(tmp, final) < 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return failed("name", final, err);
	}
	if (file_sync_dir(dir) < 0)
		return failed("sync the directory", dir, err);
	return 0;
}

static int
dir_get(void *impl, const char *hash, void *buf, size_t size,
	struct error *err)
{
	struct dir_blobs *d = impl;
	char path[4300];
	blob_path(d, hash, false, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return error_set(err, ERROR_NOT_FOUND, "the blob store has no"
			" blob %s (%s)", hash, path);
	if (fd < 0)
		return failed("open", path, err);
	size_t got = 0;
	ssize_t n = 0;
	while (got < size) {
		n = read(fd, (char *)buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	int saved = errno;
	char extra;
	ssize_t more = n >= 0 && got == size ? read(fd, &extra, 1) : 0;
	close(fd);
	if (n < 0) {
		errno = saved;
		return failed("read", path, err);
	}
	if (got != size || more > 0)
		return error_set(err, ERROR_INTERNAL, "the blob %s is not the"
			" %zu bytes its body row says: it is damaged", path,
			size);
	return 0;
}

static int
dir_exists(void *impl, const char *hash, struct error *err)
{
	struct dir_blobs *d = impl;
	char path[4300];
	blob_path(d, hash, false, path, sizeof(path));
	struct stat sb;
	if (stat(path, &sb) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return failed("look for", path, err);
}

static int
dir_remove(void *impl, const char *hash, struct error *err)
{
	struct dir_blobs *d = impl;
	char path[4300], dir[4200];
	blob_path(d, hash, false, path, sizeof(path));
	blob_path(d, hash, true, dir, sizeof(dir));
	if (unlink(path) < 0 && errno != ENOENT)
		return failed("remove", path, err);
	if (file_sync_dir(dir) < 0 && errno != ENOENT)
		return failed("sync the directory", dir, err);
	return 0;
}

const struct store_blob_ops store_blob_dir_ops = {
	.name = "directory",
	.open = dir_open,
	.put = dir_put,
	.get = dir_get,
	.exists = dir_exists,
	.remove = dir_remove,
	.close = dir_close,
};
