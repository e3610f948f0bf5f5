/*
 * `caremail audit list`: the audit trail searched by object type, action,
 * actor, org and date range, newest first (SPEC P10). Layer: front end.
 * SECURITY: read-only; the shell user is trusted with the whole trail.
 */
#include <string.h>

#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/str.h"

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
