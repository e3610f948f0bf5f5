/*
 * The file work that backup and restore share: copying a file while
 * hashing it with SHA-256, hashing one in place, flushing a directory and
 * removing a half-made tree; and where a setting naming a file points. Layer: domain (SPEC S4; docs/backup.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/xmalloc.h"
#include "instance/instance_internal.h"

#define COPY_CHUNK (256 * 1024)

static int
io_fail(struct error *err, const char *what, const char *path, int errnum)
{
	return error_set(err, errnum == ENOSPC || errnum == EDQUOT ?
		ERROR_NO_SPACE : ERROR_TEMPORARY, "cannot %s %s: %s", what,
		path, strerror(errnum));
}

/*
 * Reads fd to its end into the hash, and into out_fd unless it is -1.
 * -1 with errno and *failed_write_r saying which side failed.
 */
static int
pump(int fd, int out_fd, crypto_hash_sha256_state *h, uint64_t *size_r,
	bool *failed_write_r)
{
	/*
	 * On the heap: thread-local storage this size would be carved out
	 * of every thread's stack, sessions' small ones too.
	 */
	unsigned char *buf = xmalloc(COPY_CHUNK);
	int rc = 0;
	*size_r = 0;
	*failed_write_r = false;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		crypto_hash_sha256_update(h, buf, (unsigned long long)n);
		*size_r += (uint64_t)n;
		if (out_fd >= 0 && file_write_fd(out_fd, buf, (size_t)n) < 0) {
			*failed_write_r = true;
			rc = -1;
			break;
		}
	}
	int saved = errno;
	free(buf);
	errno = saved;
	return rc;
}

static void
hash_hex(crypto_hash_sha256_state *h, char hex[INSTANCE_SHA256_HEX])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(h, digest);
	sodium_bin2hex(hex, INSTANCE_SHA256_HEX, digest, sizeof(digest));
}

int
instance_file_hash(const char *path, char hex_r[INSTANCE_SHA256_HEX],
	uint64_t *size_r, struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_set(err, errno == ENOENT ? ERROR_NOT_FOUND :
			ERROR_TEMPORARY, "cannot read %s: %s", path,
			strerror(errno));
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	bool failed_write;
	int rc = pump(fd, -1, &h, size_r, &failed_write);
	int saved = errno;
	close(fd);
	if (rc < 0)
		return io_fail(err, "read", path, saved);
	hash_hex(&h, hex_r);
	return 0;
}

int
instance_file_copy(const char *from, const char *to, mode_t mode,
	char hex_r[INSTANCE_SHA256_HEX], uint64_t *size_r, struct error *err)
{
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return error_set(err, errno == ENOENT ? ERROR_NOT_FOUND :
			ERROR_TEMPORARY, "cannot read %s: %s", from,
			strerror(errno));
	/* The mode from the start: a key is never readable by others. */
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		O_CLOEXEC, mode & 0777);
	if (out < 0) {
		int saved = errno;
		close(in);
		return io_fail(err, "create", to, saved);
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	bool failed_write;
	int rc = pump(in, out, &h, size_r, &failed_write);
	int saved = errno;
	const char *what = failed_write ? "write" : "read";
	const char *where = failed_write ? to : from;
	/* The umask may have narrowed it; the copy keeps the original's. */
	if (rc == 0 && (fchmod(out, mode & 0777) < 0 || fsync(out) < 0)) {
		rc = -1;
		saved = errno;
		what = "write";
		where = to;
	}
	close(in);
	if (close(out) < 0 && rc == 0) {
		rc = -1;
		saved = errno;
		what = "write";
		where = to;
	}
	if (rc < 0) {
		unlink(to);
		return io_fail(err, what, where, saved);
	}
	hash_hex(&h, hex_r);
	return 0;
}

int
instance_dir_sync(const char *path, struct error *err)
{
	if (file_sync_dir(path) < 0)
		return io_fail(err, "flush", path, errno);
	return 0;
}

int
instance_rename_new(const char *from, const char *to, struct error *err)
{
	int rc = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
	/* A file system without RENAME_NOREPLACE: look, then rename. */
	if (rc < 0 && (errno == EINVAL || errno == ENOSYS)) {
		struct stat sb;
		if (lstat(to, &sb) == 0)
			errno = EEXIST;
		else
			rc = rename(from, to);
	}
	if (rc == 0)
		return 0;
	return error_set(err, errno == EEXIST ? ERROR_EXISTS :
		ERROR_TEMPORARY, "cannot rename %s to %s: %s", from, to,
		strerror(errno));
}

static int
remove_one(const char *path, const struct stat *sb, int flag,
	struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void
instance_tree_remove(const char *path)
{
	/* FTW_PHYS: a link inside is removed, never followed. */
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
instance_path_under(char *out, size_t size, const char *base,
	const char *rel, struct error *err)
{
	int n = snprintf(out, size, "%s/%s", base, rel);
	if (n < 0 || (size_t)n >= size)
		return error_set(err, ERROR_LIMIT, "the path %s/%s is too long",
			base, rel);
	return 0;
}

char *
instance_path_join(const char *dir, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	size_t n = strlen(dir) + strlen(path) + 2;
	char *joined = xmalloc(n);
	snprintf(joined, n, "%s/%s", dir, path);
	return joined;
}
