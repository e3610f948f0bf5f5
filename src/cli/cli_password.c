/*
 * Reading a password from standard input for init and user passwd.
 * Layer: front end.
 * SECURITY: passwords never come from argv (visible in ps); the buffer is
 * the caller's and is wiped by it; nothing here logs or echoes the text.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
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

static int
unlock(struct cli_args *args, struct cli_session *s, struct error *err)
{
	if (auth_unlock(&s->ctx, args->pos[0], err) < 0)
		return -1;
	struct store_person p;
	if (dir_person_get(&s->ctx, args->pos[0], &p, err) < 0)
		return -1;
	char sentence[400];
	snprintf(sentence, sizeof(sentence), "Unlocked %s; their status is "
		"still %s.", p.address, dir_person_status_name(p.status));
	cli_print_done(args, cli_json_person(s, &p), sentence);
	return 0;
}

int
cli_user_unlock(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = unlock(args, &s, err);
	cli_session_close(&s);
	return rc;
}
