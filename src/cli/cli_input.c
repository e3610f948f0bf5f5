/*
 * A message from stdin or a file, for the commands that take one
 * (`dkim sign`, `smtp send`, `auth check`, `dlp scan`): read whole into a
 * spool, so a large one costs disk, not memory. Layer: front end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/config.h"
#include "core/error.h"
#include "core/spool.h"

/* In memory up to this; the rest of a large message in a temporary file. */
#define CLI_SPOOL_MEM ((size_t)1024 * 1024)

int
cli_read_message(int fd, const char *name, struct spool *sp,
	struct span *message_r, struct error *err)
{
	char buf[16384];
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return error_set(err, ERROR_INVALID,
				"cannot read %s: %s", name, strerror(errno));
		/* Past the cap the spool keeps refusing: read on to the end. */
		if (spool_append(sp, buf, (size_t)got, err) < 0 &&
		    err->code != ERROR_LIMIT)
			return -1;
	}
	if (spool_view(sp, message_r, err) == 0)
		return 0;
	if (err->code == ERROR_LIMIT)
		error_set(err, ERROR_LIMIT, "%s is larger than "
			"smtp.max_message_size_mb: no message that large is "
			"accepted", name);
	return -1;
}

struct spool *
cli_read_spooled(const struct config *c, int fd, const char *name,
	struct span *message_r, struct error *err)
{
	size_t max = (size_t)config_get_int(c, "smtp.max_message_size_mb") *
		1024 * 1024;
	const char *tmp = getenv("TMPDIR");
	struct spool *sp = spool_new(tmp != NULL && tmp[0] != '\0' ? tmp :
		"/tmp", CLI_SPOOL_MEM, max);
	if (cli_read_message(fd, name, sp, message_r, err) < 0)
		spool_free(&sp);
	return sp;
}
