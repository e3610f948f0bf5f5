/*
 * `caremail blobs check` and `caremail blobs move` (docs/blobs.md): the
 * blob store from the shell. check exits 1 when a body cannot be read
 * back whole, naming the first hashes; move is audited as the shell
 * account. Layer: front end.
 */
#include <stdio.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "mail/mail_bodies.h"

static json_t *
hashes_json(const char names[][65], int64_t count)
{
	json_t *list = json_array();
	for (int64_t i = 0; i < count && i < MAIL_BODIES_NAMED; i++)
		json_array_append_new(list, json_string(names[i]));
	return list;
}

static json_t *
report_json(const struct mail_bodies_report *r,
	const char *count_name)
{
	json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I}", "backend",
		r->backend, count_name,
		(json_int_t)r->checked, "bytes", (json_int_t)r->bytes,
		"missing", (json_int_t)r->missing, "damaged",
		(json_int_t)r->damaged);
	json_object_set_new(j, "missing_hashes",
		hashes_json(r->missing_hashes, r->missing));
	json_object_set_new(j, "damaged_hashes",
		hashes_json(r->damaged_hashes, r->damaged));
	return j;
}

static int
check(struct cli_args *args, struct cli_session *s, struct error *err)
{
	struct mail_bodies_report r;
	if (mail_bodies_check(&s->ctx, &r, err) < 0)
		return -1;
	json_t *j = report_json(&r, "checked");
	char sentence[200];
	if (r.missing + r.damaged == 0) {
		snprintf(sentence, sizeof(sentence), "Every body kept outside"
			" the database (%lld) was read back whole from the %s"
			" blob store.", (long long)r.checked,
			r.backend);
		cli_print_done(args, j, sentence);
		return 0;
	}
	cli_print(args, j, NULL);
	return error_set(err, ERROR_INTERNAL, "%lld bodies are missing from"
		" the blob store and %lld are damaged (their hashes are listed"
		" above); restore those blobs from a backup",
		(long long)r.missing, (long long)r.damaged);
}

int
cli_blobs_check(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, check, err);
}

static int
move(struct cli_args *args, struct cli_session *s, struct error *err)
{
	struct mail_bodies_report r;
	int rc = mail_bodies_move(&s->ctx, &r, err);
	if (rc < 0 && r.checked == 0)
		return -1;
	char sentence[200];
	snprintf(sentence, sizeof(sentence), "%lld bodies (%lld bytes) moved"
		" out of the database to the %s blob store.",
		(long long)r.checked, (long long)r.bytes,
		r.backend);
	cli_print_done(args, report_json(&r, "moved"), sentence);
	return rc;
}

int
cli_blobs_move(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, move, err);
}
