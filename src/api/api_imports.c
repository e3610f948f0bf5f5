/*
 * Bulk imports and directory sync over the API (SPEC P8, P15): POST
 * /imports takes a CSV file for one org, POST /orgs/{ods}/sync an org's
 * whole list (CSV or JSON) from an application's token; each answers with
 * the per-row report, kept for GET /imports/{id} (JSON or CSV). Layer:
 * front end. RFC 4180 (text/csv), RFC 9110.
 * SECURITY: every row lands in the one org the caller may create people
 * in (rows naming another are refused); the body is bounded by
 * http.max_body_kb; the run's memory is its own arena, freed at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/spool.h"
#include "dir/dir_import.h"
#include "http/http.h"

/* A run's own memory: the table and the report, beyond a request's. */
#define IMPORT_RUN_ARENA ((size_t)1024 * 1024 * 1024)
/* Runs a history listing shows. */
#define IMPORT_HISTORY 100

static bool
body_is_csv(struct api_request *req)
{
	const char *type = http_call_header(req->call, "Content-Type");
	if (type == NULL)
		return false;
	struct span t = span_trim(span_from_cstr(type)), head;
	span_split(&t, ';', &head);
	return span_eq_nocase(span_trim(head), "text/csv");
}

struct import_body {
	const char *org;
	const char *csv;
	int dry_run;
};

static const struct api_field import_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct import_body, org),
	  16 },
	{ "csv", API_FIELD_STRING, true, offsetof(struct import_body, csv),
	  (size_t)1 << 30 },
	{ "dry_run", API_FIELD_BOOL, false,
	  offsetof(struct import_body, dry_run), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static bool
query_true(struct api_request *req, const char *name)
{
	const char *v = api_query(req, name);
	return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/*
 * Runs the engine over text (CSV, or a sync's JSON) for org and replies
 * with the report: 200 applied or dry run, 422 refused.
 */
static void
run_and_reply(struct api_request *req, const struct store_org *org,
	struct span text, bool json, struct dir_import_options *o)
{
	struct dir_ctx ctx = req->ctx;
	ctx.arena = arena_new(IMPORT_RUN_ARENA);
	struct dir_import_table t;
	struct dir_import_report r;
	struct error err;
	o->org_ods = org->ods;
	o->org_only = true;
	int rc = json ? dir_import_read_json(text, ctx.arena, &t, &err) :
			dir_import_read_csv(text, ctx.arena, &t, &err);
	if (rc == 0)
		rc = dir_import_run(&ctx, &t, o, &r, &err);
	if (rc < 0)
		api_reply_from_error(req, &err);
	else
		api_reply(req, r.summary[0] == '\0' ? 200 : 422,
			dir_import_report_json(&r));
	arena_free(&ctx.arena);
}

static void
api_import_post(struct api_request *req)
{
	struct import_body in = { .dry_run = -1 };
	struct store_org org;
	struct error err;
	struct span text;
	if (body_is_csv(req)) {
		in.org = api_query(req, "org");
		in.dry_run = query_true(req, "dry_run");
		text = req->body;
		if (in.org == NULL) {
			api_reply_error(req, 422, "invalid", "Give the "
				"organisation the file is for: ?org=ODS.",
				"org");
			return;
		}
	} else {
		if (api_json_decode(req->body, import_fields, &in, req->arena,
			    &err) < 0) {
			api_reply_from_error(req, &err);
			return;
		}
		text = span_from_cstr(in.csv);
	}
	if (dir_org_get(&req->ctx, in.org, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_USER_CREATE, org.id))
		return;
	struct dir_import_options o = { .dry_run = in.dry_run == 1 };
	run_and_reply(req, &org, text, false, &o);
}

static void
api_sync_post(struct api_request *req)
{
	struct store_org org;
	if (!api_path_org(req, &org))
		return;
	if (!api_allowed(req, AUTH_USER_CREATE, org.id) ||
	    !api_allowed(req, AUTH_USER_LIFECYCLE, org.id))
		return;
	struct dir_import_options o = {
		.dry_run = query_true(req, "dry_run"),
		.sync = true,
	};
	run_and_reply(req, &org, req->body, !body_is_csv(req), &o);
}

static void
api_import_template(struct api_request *req)
{
	/* Anyone who may create people somewhere may want the template. */
	if (!api_allowed_somewhere(req, AUTH_USER_CREATE))
		return;
	struct spool *sp = api_csv_spool(req);
	struct error err;
	const char *t = dir_import_template();
	if (sp == NULL || spool_append(sp, t, strlen(t), &err) < 0) {
		spool_free(&sp);
		api_reply_error(req, 503, "temporary", "The template could not "
			"be made just now; try again.", NULL);
		return;
	}
	api_reply_csv(req, "people-template", sp);
}

static void
api_import_get(struct api_request *req)
{
	int64_t id, org_id;
	bool csv;
	if (!api_param_id(req, "id", "There is no such import.", &id) ||
	    !api_csv_asked(req, &csv))
		return;
	struct error err;
	if (csv) {
		struct str out;
		struct arena *a = arena_new(IMPORT_RUN_ARENA);
		str_init(&out, a, API_CSV_MAX_BYTES);
		struct dir_ctx ctx = req->ctx;
		ctx.arena = a;
		struct spool *sp = NULL;
		if (dir_import_get_csv(&ctx, id, &out, &org_id, &err) < 0)
			api_reply_from_error(req, &err);
		else if (api_allowed(req, AUTH_USER_READ, org_id) &&
			 ((sp = api_csv_spool(req)) == NULL ||
				 spool_append(sp, out.p, out.len, &err) < 0))
			api_reply_error(req, 503, "temporary", "The report "
				"could not be written just now; try again.",
				NULL);
		else if (sp != NULL)
			api_reply_csv(req, "import-report", sp), sp = NULL;
		spool_free(&sp);
		arena_free(&a);
		return;
	}
	struct dir_ctx ctx = req->ctx;
	ctx.arena = arena_new(IMPORT_RUN_ARENA);
	json_t *j = dir_import_get_json(&ctx, id, true, &org_id, &err);
	if (j == NULL)
		api_reply_from_error(req, &err);
	else if (api_allowed(req, AUTH_USER_READ, org_id))
		api_reply(req, 200, j), j = NULL;
	json_decref(j);
	arena_free(&ctx.arena);
}

/* The history of one kind for ?org= (else every org the caller reads). */
static void
list_runs(struct api_request *req, const char *kind, const char *ods)
{
	struct error err;
	json_t *items;
	int rc;
	if (ods != NULL) {
		struct store_org org;
		if (dir_org_get(&req->ctx, ods, &org, &err) < 0) {
			api_reply_from_error(req, &err);
			return;
		}
		if (!api_allowed(req, AUTH_USER_READ, org.id))
			return;
		rc = dir_import_list_json(&req->ctx, kind, &org.id, 1,
			IMPORT_HISTORY, &items, &err);
	} else {
		bool all;
		int64_t *ids;
		size_t count;
		if (!api_scope(req, AUTH_USER_READ, &all, &ids, &count))
			return;
		rc = dir_import_list_json(&req->ctx, kind, all ? NULL : ids,
			count, IMPORT_HISTORY, &items, &err);
	}
	if (rc < 0)
		api_reply_from_error(req, &err);
	else
		api_reply(req, 200, json_pack("{s:o}", "items", items));
}

static void
api_imports_list(struct api_request *req)
{
	list_runs(req, "import", api_query(req, "org"));
}

static void
api_syncs_list(struct api_request *req)
{
	list_runs(req, "sync", api_param(req, "ods"));
}

const struct api_route api_routes_imports[] = {
	{ "GET", "/imports", api_imports_list, 0 },
	{ "POST", "/imports", api_import_post, API_CSV_BODY },
	{ "GET", "/imports/template", api_import_template, 0 },
	/* ?format=csv is the whole report of a file of up to 100,000 rows */
	{ "GET", "/imports/{id}", api_import_get, API_WAITS },
	{ "POST", "/orgs/{ods}/sync", api_sync_post, API_CSV_BODY },
	{ "GET", "/orgs/{ods}/syncs", api_syncs_list, 0 },
	API_ROUTES_END,
};
