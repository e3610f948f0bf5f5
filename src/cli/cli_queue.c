/*
 * `caremail queue list`: mail waiting for delivery to other domains, oldest
 * first (SPEC M5; sending it on is a later step). Layer: front end.
 */
#include "cli/cli_internal.h"
#include "core/error.h"
#include "mail/mail.h"

static int
list_queue(struct cli_args *args, struct cli_session *s, struct error *err)
{
	struct store_queued *items;
	size_t count;
	if (mail_queue_list(&s->ctx, &items, &count, err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, json_pack(
			"{s:I, s:o, s:o, s:o, s:o, s:I, s:o}",
			"id", (json_int_t)items[i].id,
			"sender", cli_json_text(items[i].sender),
			"recipient", cli_json_text(items[i].recipient),
			"queued_at", cli_json_time(items[i].created_at),
			"next_attempt_at", cli_json_time(items[i].next_attempt_at),
			"attempts", (json_int_t)items[i].attempts,
			"last_error", cli_json_text(items[i].last_error)));
	cli_print(args, arr, "id,queued_at,sender,recipient,attempts");
	return 0;
}

int
cli_queue_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = list_queue(args, &s, err);
	cli_session_close(&s);
	return rc;
}
