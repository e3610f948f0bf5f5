/*
 * `user app-passwords` and `user app-password-revoke`: an operator sees a
 * person's app passwords (labels and use, never a secret) and revokes a
 * lost device's. Making one is the person's own act, in a portal session
 * that passed MFA (SECURITY.md 43), so there is no command for it.
 * Layer: front end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "auth/auth.h"
#include "cli/cli_internal.h"
#include "core/error.h"

static int
list(struct cli_args *args, struct cli_session *s, struct error *err)
{
	struct store_app_password *list;
	size_t n;
	if (auth_app_password_list(&s->ctx, args->pos[0], &list, &n, err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I,s:s,s:o,s:o,s:s}",
			"id", (json_int_t)list[i].id, "label", list[i].label,
			"created_at", cli_json_time(list[i].created_at),
			"last_used_at", cli_json_time(list[i].last_used_at),
			"last_used_protocol", list[i].last_used_protocol));
	cli_print(args, arr, "id,label,created_at,last_used_at");
	return 0;
}

int
cli_user_app_passwords(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = list(args, &s, err);
	cli_session_close(&s);
	return rc;
}

int
cli_user_app_password_revoke(struct cli_args *args, struct error *err)
{
	char *end;
	errno = 0;
	long long id = strtoll(args->pos[1], &end, 10);
	if (errno != 0 || *end != '\0' || id <= 0)
		return cli_usage(args, err, "ID is the number `caremail user "
			"app-passwords` shows");
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = auth_app_password_revoke(&s.ctx, args->pos[0], id, err);
	if (rc == 0) {
		char sentence[400];
		snprintf(sentence, sizeof(sentence), "Revoked app password %lld "
			"of %s; mail programs using it are refused from now.",
			id, args->pos[0]);
		cli_print_done(args, json_pack("{s:s,s:I,s:b}", "address",
			args->pos[0], "id", (json_int_t)id, "revoked", 1),
			sentence);
	}
	cli_session_close(&s);
	return rc;
}
