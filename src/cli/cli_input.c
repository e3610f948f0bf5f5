/*
 * A message from stdin, for the commands that take one (`dkim sign`,
 * `smtp send`): read whole into a spool, so a large one costs disk, not
 * memory. Layer: front end.
 */
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "core/spool.h"

int
cli_read_message(struct spool *sp, struct span *message_r, struct error *err)
{
	char buf[16384];
	for (;;) {
		ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
		if (got == 0)
			break;
		if (got < 0)
			return error_set(err, ERROR_INVALID,
				"cannot read the message from stdin");
		/* Past the cap the spool keeps refusing: read on to the end. */
		if (spool_append(sp, buf, (size_t)got, err) < 0 &&
		    err->code != ERROR_LIMIT)
			return -1;
	}
	if (spool_view(sp, message_r, err) == 0)
		return 0;
	if (err->code == ERROR_LIMIT)
		error_set(err, ERROR_LIMIT,
			"the message is larger than smtp.max_message_size_mb");
	return -1;
}
