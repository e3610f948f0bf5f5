/*
 * Spools: memory first, then an unlinked file written through a small
 * buffer, mapped read-only at the end so the message can be read as one
 * span without ever being held on the heap. Layer: core.
 */
#include "core/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/xmalloc.h"

/* Bytes gathered before each write(2) once the spool is in its file. */
#define SPOOL_WRITE_BUFFER (64 * 1024)

struct spool {
	char *dir;
	size_t mem_max;
	size_t max;
	size_t size;		/* bytes appended, refused ones included */
	char *buf;		/* memory part, or the write buffer once in a file */
	size_t buf_len, buf_cap;
	int fd;			/* -1 while the spool fits in memory */
	size_t file_len;	/* bytes written to the file */
	void *map;		/* the file mapped by spool_view */
	size_t map_len;
	bool refused;		/* an append passed max */
};

struct spool *
spool_new(const char *dir, size_t mem_max, size_t max)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));
	sp->dir = xstrdup(dir);
	sp->mem_max = mem_max < max ? mem_max : max;
	sp->max = max;
	sp->fd = -1;
	return sp;
}

static int
io_error(const char *what, int errnum, struct error *err)
{
	if (errnum == ENOSPC || errnum == EDQUOT)
		return error_set(err, ERROR_NO_SPACE,
			"the server's disk is full; try again later");
	return error_set(err, ERROR_TEMPORARY, "the message could not be %s "
		"(%s); try again later", what, strerror(errnum));
}

/* An unlinked file in dir: O_TMPFILE where the file system has it. */
static int
open_file(struct spool *sp, struct error *err)
{
	int fd = open(sp->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR ||
			      errno == EINVAL)) {
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/spool.XXXXXX", sp->dir) >=
			(int)sizeof(path))
			return error_set(err, ERROR_INTERNAL,
				"the spool directory's name is too long");
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	if (fd < 0)
		return io_error("spooled", errno, err);
	sp->fd = fd;
	return 0;
}

static int
write_all(struct spool *sp, const char *p, size_t n, struct error *err)
{
	while (n > 0) {
		ssize_t w = write(sp->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return io_error("spooled", errno, err);
		p += w;
		n -= (size_t)w;
		sp->file_len += (size_t)w;
	}
	return 0;
}

static int
flush_buffer(struct spool *sp, struct error *err)
{
	if (sp->buf_len == 0)
		return 0;
	int rc = write_all(sp, sp->buf, sp->buf_len, err);
	sp->buf_len = 0;
	return rc;
}

/* Moves from memory to the file: what is held so far is its first write. */
static int
spill(struct spool *sp, struct error *err)
{
	if (open_file(sp, err) < 0 || flush_buffer(sp, err) < 0)
		return -1;
	if (sp->buf_cap < SPOOL_WRITE_BUFFER) {
		free(sp->buf);
		sp->buf = xmalloc(SPOOL_WRITE_BUFFER);
		sp->buf_cap = SPOOL_WRITE_BUFFER;
	}
	return 0;
}

/* Room for n more bytes in memory, doubling up to mem_max. */
static void
grow(struct spool *sp, size_t n)
{
	if (sp->buf_cap - sp->buf_len >= n)
		return;
	size_t cap = sp->buf_cap > 0 ? sp->buf_cap : 4096;
	while (cap - sp->buf_len < n)
		cap *= 2;
	if (cap > sp->mem_max)
		cap = sp->mem_max;
	sp->buf = xrealloc(sp->buf, cap);
	sp->buf_cap = cap;
}

int
spool_append(struct spool *sp, const void *data, size_t len,
	struct error *err)
{
	if (sp->map != NULL)
		return error_set(err, ERROR_INTERNAL,
			"the spool was appended to after it was read");
	if (sp->refused || len > sp->max - sp->size) {
		sp->size = sp->size + len < sp->size ? SIZE_MAX : sp->size + len;
		sp->refused = true;
		return error_set(err, ERROR_LIMIT,
			"the message is larger than the %zu bytes allowed",
			sp->max);
	}
	sp->size += len;
	if (sp->fd < 0 && sp->buf_len + len <= sp->mem_max) {
		grow(sp, len);
		memcpy(sp->buf + sp->buf_len, data, len);
		sp->buf_len += len;
		return 0;
	}
	if (sp->fd < 0 && spill(sp, err) < 0)
		return -1;
	if (sp->buf_len + len > sp->buf_cap && flush_buffer(sp, err) < 0)
		return -1;
	if (len >= sp->buf_cap)
		return write_all(sp, data, len, err);
	memcpy(sp->buf + sp->buf_len, data, len);
	sp->buf_len += len;
	return 0;
}

size_t
spool_size(const struct spool *sp)
{
	return sp->size;
}

int
spool_view(struct spool *sp, struct span *view_r, struct error *err)
{
	if (sp->refused)
		return error_set(err, ERROR_LIMIT,
			"the message is larger than the %zu bytes allowed",
			sp->max);
	if (sp->fd < 0) {
		*view_r = span_make(sp->buf != NULL ? sp->buf : "", sp->buf_len);
		return 0;
	}
	if (sp->map == NULL) {
		if (flush_buffer(sp, err) < 0)
			return -1;
		if (sp->file_len == 0) {
			*view_r = span_make("", 0);
			return 0;
		}
		void *map = mmap(NULL, sp->file_len, PROT_READ, MAP_SHARED,
			sp->fd, 0);
		if (map == MAP_FAILED)
			return io_error("read back", errno, err);
		/* Read once, front to back, by the MIME parser and the hash. */
		madvise(map, sp->file_len, MADV_SEQUENTIAL);
		sp->map = map;
		sp->map_len = sp->file_len;
		free(sp->buf);
		sp->buf = NULL;
		sp->buf_len = sp->buf_cap = 0;
	}
	*view_r = span_make(sp->map, sp->map_len);
	return 0;
}

void
spool_free(struct spool **spp)
{
	if (spp == NULL || *spp == NULL)
		return;
	struct spool *sp = *spp;
	if (sp->map != NULL)
		munmap(sp->map, sp->map_len);
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->buf);
	free(sp->dir);
	free(sp);
	*spp = NULL;
}
