/*
 * `caremail audit list`: the audit trail searched by object type, action,
 * actor, org and date range, newest first (SPEC P10); `caremail audit
 * verify`: the keyed hash chain checked row by row (SECURITY.md 49).
 * Layer: front end. SECURITY: read-only but for the anchor file that
 * verify moves on; the shell user is trusted with the whole trail.
 */
#include <inttypes.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/str.h"
#include "instance/instance.h"

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 100000
#define DAY_SECONDS 86400

/* A date alone as --until means up to the end of that day. */
static int
parse_date(struct cli_args *args, const char *name, bool end_of_day,
	int64_t *t_r, struct error *err)
{
	const char *text = cli_opt(args, name);
	if (text == NULL)
		return 0;
	if (!clock_parse(span_from_cstr(text), t_r))
		return cli_usage(args, err, "--%s must be a date like "
			"2026-11-22 or 2026-11-22T12:00:00Z, not '%s'", name,
			text);
	if (end_of_day && strlen(text) == 10)
		*t_r += DAY_SECONDS - 1;
	return 0;
}

static int
audit_filter(struct cli_args *args, struct store_audit_filter *f,
	struct error *err)
{
	int64_t limit = AUDIT_LIMIT_DEFAULT;
	memset(f, 0, sizeof(*f));
	f->object_type = cli_opt(args, "type");
	f->action = cli_opt(args, "action");
	f->actor = cli_opt(args, "actor");
	/* --from and --to are the API's names for --since and --until. */
	const char *since = cli_opt(args, "from") != NULL ? "from" : "since";
	const char *until = cli_opt(args, "to") != NULL ? "to" : "until";
	if (parse_date(args, since, false, &f->since, err) < 0 ||
	    parse_date(args, until, true, &f->until, err) < 0 ||
	    cli_opt_int(args, "limit", 1, AUDIT_LIMIT_MAX, &limit, err) < 0)
		return -1;
	f->limit = (size_t)limit;
	struct error inner;
	if (dir_audit_filter_check(f, &inner) < 0)
		return cli_usage(args, err, "%s", inner.msg);
	return 0;
}

static int
list_audit(struct cli_args *args, struct cli_session *s,
	struct store_audit_filter *f, struct error *err)
{
	const char *ods = cli_opt(args, "org");
	if (ods != NULL) {
		struct store_org org;
		if (dir_org_get(&s->ctx, ods, &org, err) < 0)
			return -1;
		f->org_id = org.id;
	}
	struct store_audit *rows;
	size_t count;
	if (dir_audit_list(&s->ctx, f, &rows, &count, err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, cli_json_audit(s, &rows[i]));
	cli_print(args, arr, "at,actor,action,object_type,object_id,org");
	return 0;
}

int
cli_audit_list(struct cli_args *args, struct error *err)
{
	struct store_audit_filter f;
	if (audit_filter(args, &f, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = list_audit(args, &s, &f, err);
	cli_session_close(&s);
	return rc;
}

static json_t *
verify_json(const struct instance_audit_report *r)
{
	json_t *broken = json_null();
	if (!r->whole)
		broken = json_pack("{s:I, s:o, s:s}",
			"id", (json_int_t)r->broken_id,
			"at", r->broken_at != 0 ? cli_json_time(r->broken_at) :
						  json_null(),
			"reason", r->reason);
	return json_pack("{s:s, s:I, s:I, s:o, s:o, s:I, s:o, s:I, s:o, s:I}",
		"status", r->whole ? "whole" : "broken",
		"rows", (json_int_t)r->rows,
		"last_id", (json_int_t)r->last_id,
		"last_hash", cli_json_text(r->last_hash),
		"first_broken", broken,
		"broken_rows", (json_int_t)r->broken_count,
		"chained_since", cli_json_time(r->chained_since),
		"legacy_rows", (json_int_t)r->legacy_rows,
		"anchor_seen_at", r->anchor_seen_at != 0 ?
			cli_json_time(r->anchor_seen_at) : json_null(),
		"anchor_id", (json_int_t)r->anchor_id);
}

static int
verify_audit(struct cli_args *args, struct cli_session *s, struct error *err)
{
	struct instance_audit_report r;
	if (instance_audit_verify(s->inst, s->store, true, s->ctx.now, &r,
		    err) < 0)
		return -1;
	json_t *out = verify_json(&r);
	if (r.whole) {
		char sentence[256];
		snprintf(sentence, sizeof(sentence), "The audit chain is "
			"whole: %" PRId64 " rows, the newest is row %" PRId64
			".", r.rows, r.last_id);
		cli_print_done(args, out, sentence);
		return 0;
	}
	/* --json still prints the report; the exit status says broken. */
	if (args->json)
		cli_print(args, out, NULL);
	else
		json_decref(out);
	char at[48] = "";
	if (r.broken_at != 0) {
		char iso[32];
		clock_format_iso(r.broken_at, iso, sizeof(iso));
		snprintf(at, sizeof(at), ", written %s", iso);
	}
	return error_set(err, ERROR_INVALID, "the audit chain is broken at "
		"row %" PRId64 "%s: %s (%" PRId64 " broken row%s in all)",
		r.broken_id, at, r.reason, r.broken_count,
		r.broken_count == 1 ? "" : "s");
}

int
cli_audit_verify(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = verify_audit(args, &s, err);
	cli_session_close(&s);
	return rc;
}
