/*
 * Reading a password from standard input for init and user passwd.
 * Layer: front end.
 * SECURITY: passwords never come from argv (visible in ps); the buffer is
 * the caller's and is wiped by it; nothing here logs or echoes the text.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"

int
cli_read_password(char *buf, size_t size, struct error *err)
{
	if (fgets(buf, (int)size, stdin) == NULL) {
		buf[0] = '\0';
		return error_set(err, ERROR_INVALID,
			"no password was given on standard input");
	}
	size_t len = strlen(buf);
	bool whole_line = len > 0 && buf[len - 1] == '\n';
	/* A line that filled the buffer without its end is too long. */
	if (!whole_line && len + 1 >= size)
		return error_set(err, ERROR_LIMIT,
			"the password is longer than %zu characters", size - 2);
	if (whole_line)
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0)
		return error_set(err, ERROR_INVALID,
			"the password on standard input is empty");
	return 0;
}
