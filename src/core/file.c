/* Atomic file writes and whole-file reads. Layer: core. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "str.h"
#include "xmalloc.h"

int
file_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int
fsync_parent_dir(const char *path)
{
	char copy[4096];
	if (str_copy(copy, sizeof(copy), path) < 0)
		return -1;
	return file_sync_dir(dirname(copy));
}

int
file_write_fd(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Writes data to a fresh temporary file beside path and moves it into
 * place: rename() replaces what is there, link() never does (ERROR_EXISTS).
 */
static int
write_into_place(const char *path, const void *data, size_t len, mode_t mode,
	bool replace, struct error *err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return error_set(err, ERROR_INVALID, "the path %s is too long",
			path);
	/* O_EXCL and O_NOFOLLOW: never write through a planted file or link. */
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		mode);
	if (fd < 0)
		return error_set(err, ERROR_INTERNAL, "cannot create %s: %s",
			tmp, strerror(errno));
	if (file_write_fd(fd, data, len) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		return error_set(err, ERROR_INTERNAL, "cannot write %s: %s",
			path, strerror(saved));
	}
	close(fd);
	int rc = replace ? rename(tmp, path) : link(tmp, path);
	int saved = errno;
	if (rc < 0 || !replace)
		unlink(tmp);	/* a renamed tmp is gone already */
	if (rc < 0 && !replace && saved == EEXIST)
		return error_set(err, ERROR_EXISTS, "%s already exists", path);
	if (rc < 0)
		return error_set(err, ERROR_INTERNAL, "cannot %s %s: %s",
			replace ? "replace" : "create", path, strerror(saved));
	if (fsync_parent_dir(path) < 0)
		return error_set(err, ERROR_INTERNAL,
			"cannot flush the directory of %s: %s", path,
			strerror(errno));
	return 0;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, struct error *err)
{
	return write_into_place(path, data, len, mode, true, err);
}

int
file_write_new(const char *path, const void *data, size_t len, mode_t mode,
	struct error *err)
{
	return write_into_place(path, data, len, mode, false, err);
}

char *
file_read_all(const char *path, size_t max, size_t *len_r, struct error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		error_set(err, errno == ENOENT ? ERROR_NOT_FOUND : ERROR_INVALID,
			"cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = xmalloc(max + 1);
	size_t n = fread(buf, 1, max + 1, f);
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed || n > max) {
		free(buf);
		error_set(err, failed ? ERROR_INVALID : ERROR_LIMIT,
			failed ? "cannot read %s" : "%s is too large", path);
		return NULL;
	}
	buf[n] = '\0';
	if (len_r != NULL)
		*len_r = n;
	return buf;
}

int
file_make_dirs(const char *path, mode_t mode, struct error *err)
{
	char copy[4096];
	if (str_copy(copy, sizeof(copy), path) < 0)
		return error_set(err, ERROR_INVALID, "the path %s is too long",
			path);
	for (char *p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return error_set(err, ERROR_INVALID,
				"cannot create the directory %s: %s", copy,
				strerror(errno));
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return error_set(err, ERROR_INVALID,
			"cannot create the directory %s: %s", copy,
			strerror(errno));
	/* EEXIST also means a file of that name, which is no directory. */
	struct stat st;
	if (stat(copy, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(err, ERROR_INVALID,
			"%s exists and is not a directory", copy);
	return 0;
}

bool
file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}
