/*
 * /api/v1/audit: the audit trail searched by object type, action, actor,
 * org and date range, newest first, within the caller's scope (SPEC P10),
 * a page as JSON or every match as CSV (?format=csv). Layer: front end.
 * The same filters as `caremail audit list`.
 * SECURITY: an admin sees only rows of orgs they administer (rows with no
 * org only a Global Admin); naming another org is refused, not emptied.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/spool.h"

#define DAY_SECONDS 86400

/* A date alone as `to` means up to the end of that day, as in the CLI. */
static bool
time_arg(struct api_request *req, const char *name, bool end_of_day,
	int64_t *t_r)
{
	const char *text = api_query(req, name);
	*t_r = 0;
	if (text == NULL || text[0] == '\0')
		return true;
	if (!clock_parse(span_from_cstr(text), t_r) || *t_r <= 0) {
		api_reply_error(req, 422, "invalid", arena_printf(req->arena,
			"%s must be a date like 2026-11-22 or a time like "
			"2026-11-22T12:00:00Z.", name), name);
		return false;
	}
	if (end_of_day && strlen(text) == 10)
		*t_r += DAY_SECONDS - 1;
	return true;
}

static const char *
arg_or_null(struct api_request *req, const char *name)
{
	const char *v = api_query(req, name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static json_t *
rows_json(struct api_request *req, const struct store_audit *rows,
	size_t count)
{
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++) {
		const struct store_audit *a = &rows[i];
		json_t *summary = json_loads(a->summary, 0, NULL);
		json_t *j = json_pack("{s:I,s:o,s:s,s:s,s:s,s:I,s:o,s:o,s:s,"
			"s:s,s:s}",
			"id", (json_int_t)a->id, "at", api_json_time(a->at),
			"actor", a->actor, "action", a->action,
			"object_type", a->object_type,
			"object_id", (json_int_t)a->object_id,
			"org", a->org_id != 0 ?
				json_string(dir_org_ods(&req->ctx, a->org_id)) :
				json_null(),
			"summary", summary != NULL ? summary :
			json_string(a->summary),
			"result", a->result, "client", a->client,
			"request_id", a->request_id);
		json_array_append_new(items, j != NULL ? j : json_null());
	}
	return items;
}

/* Every row that matches, not a page: limit and cursor do not apply. */
static void
reply_csv(struct api_request *req, const struct store_audit_filter *f,
	const struct dir_org_set *orgs)
{
	struct spool *sp = api_csv_spool(req);
	size_t rows;
	struct error err;
	if (dir_audit_csv(&req->ctx, f, orgs->org_ids, orgs->org_count,
		    API_CSV_MAX_ROWS, sp, &rows, &err) < 0) {
		spool_free(&sp);
		api_reply_from_error(req, &err);
		return;
	}
	api_reply_csv(req, "audit", sp);
}

void
api_audit_list(struct api_request *req)
{
	struct store_audit_filter f = {
		.object_type = arg_or_null(req, "object_type"),
		.action = arg_or_null(req, "action"),
		.actor = arg_or_null(req, "actor"),
	};
	struct api_page page;
	struct dir_org_set orgs;
	bool csv;
	if (!api_listing_orgs(req, AUTH_AUDIT_READ, &orgs) ||
	    !api_csv_asked(req, &csv) ||
	    !time_arg(req, "from", false, &f.since) ||
	    !time_arg(req, "to", true, &f.until))
		return;
	if (csv) {
		reply_csv(req, &f, &orgs);
		return;
	}
	if (!api_page_parse(req, &page))
		return;
	f.before_id = page.after_id;	/* newest first: on down from there */
	f.limit = page.limit;
	struct store_audit *rows;
	size_t count;
	struct error err;
	if (dir_audit_search(&req->ctx, &f, orgs.org_ids, orgs.org_count,
		    &rows, &count, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, api_page_json(rows_json(req, rows, count), &page,
		count, count > 0 ? rows[count - 1].id : 0));
}

const struct api_route api_routes_audit[] = {
	{ "GET", "/audit", api_audit_list, API_WAITS },
	API_ROUTES_END,
};
