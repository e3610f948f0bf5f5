/*
 * `caremail mailtips ADDRESS...`: what a sender would be told about each
 * recipient (SPEC M13), the same answer as POST /api/v1/mailtips, for an
 * operator checking an address a person asks about. Layer: front end.
 */
#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/error.h"
#include "mail/mail_tips.h"

static int
mailtips(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t size = 0;
	if (cli_opt_int(args, "size", 0, INT64_MAX, &size, err) < 0)
		return -1;
	if (args->pos_count > MAIL_TIPS_MAX)
		return cli_usage(args, err, "name at most %d addresses at a "
			"time", MAIL_TIPS_MAX);
	struct mail_tip *tips = arena_alloc(s->ctx.arena,
		args->pos_count * sizeof(*tips));
	if (tips == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (mail_tips(&s->ctx, args->pos, args->pos_count, size, tips,
		    err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; i < args->pos_count; i++)
		json_array_append_new(arr, mail_tip_json(&tips[i]));
	if (args->json) {
		cli_print(args, arr, NULL);
		return 0;
	}
	/* For a person: one line per tip, each under its address. */
	json_t *rows = json_array();
	for (size_t i = 0; i < args->pos_count; i++) {
		const struct mail_tip *t = &tips[i];
		json_t *one = json_object_get(json_array_get(arr, i), "kind");
		for (size_t n = 0; n == 0 || n < t->note_count; n++)
			json_array_append_new(rows, json_pack("{s:s,s:O,s:s}",
				"address", t->address, "kind", one, "tip",
				t->note_count > 0 ? t->notes[n].message :
				"Nothing to know: mail will be delivered."));
	}
	json_decref(arr);
	cli_print(args, rows, "address,kind,tip");
	return 0;
}

int
cli_mailtips(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = mailtips(args, &s, err);
	cli_session_close(&s);
	return rc;
}
