/*
 * The account lifecycle for administrators (SPEC L1-L7, issue 13):
 * GET /users/{address}/lifecycle, a person's timeline (what happens next
 * and when, if nothing changes), and GET /jobs/preview, the dry run of the
 * scheduled jobs as of now (or ?at=) limited to the caller's orgs (or
 * ?org=): what would change and who would be told. Both only read.
 * Layer: front end. docs/lifecycle.md, docs/api.md.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "core/str.h"
#include "jobs/jobs.h"
#include "lifecycle/lifecycle.h"

static json_t *
step_json(const struct lifecycle_transition *t)
{
	return json_pack("{s:s, s:o, s:s, s:s}", "step",
		lifecycle_step_name(t->step), "due_at", api_json_time(t->due_at),
		"rule", t->rule, "reason", t->reason);
}

static void
user_lifecycle(struct api_request *req)
{
	struct store_person p;
	struct error err;
	if (dir_person_get(&req->ctx, api_param(req, "address"), &p,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_USER_READ, p.org_id))
		return;
	struct lifecycle_config cfg;
	lifecycle_config_load(req->ctx.config, &cfg);
	struct lifecycle_account a;
	if (jobs_lifecycle_account(&req->ctx, &p, &a, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	struct lifecycle_timeline tl;
	lifecycle_timeline(&cfg, &a, req->ctx.now, &tl);
	json_t *steps = json_array(), *warnings = json_array();
	for (size_t i = 0; i < tl.step_count; i++)
		json_array_append_new(steps, step_json(&tl.steps[i]));
	for (size_t i = 0; i < tl.warning_count; i++)
		json_array_append_new(warnings, json_pack("{s:s, s:i, s:o}",
			"step", lifecycle_step_name(tl.warnings[i].step),
			"lead_days", tl.warnings[i].lead_days, "at",
			api_json_time(tl.warnings[i].at)));
	json_t *expires = tl.password_expires_at != 0 ?
		api_json_time(tl.password_expires_at) : json_null();
	api_reply(req, 200, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}",
		"address", p.address, "status", dir_person_status_name(p.status),
		"now", api_json_time(req->ctx.now), "steps", steps, "warnings",
		warnings, "password_expires_at", expires));
}

static bool
in_orgs(const struct dir_org_set *orgs, int64_t org_id)
{
	if (orgs->org_ids == NULL)
		return true;
	for (size_t i = 0; i < orgs->org_count; i++) {
		if (orgs->org_ids[i] == org_id)
			return true;
	}
	return false;
}

static void
jobs_preview(struct api_request *req)
{
	struct dir_org_set orgs;
	if (!api_listing_orgs(req, AUTH_USER_READ, &orgs))
		return;
	int64_t at = req->ctx.now;
	const char *when = api_query(req, "at");
	if (when != NULL && !clock_parse(span_from_cstr(when), &at)) {
		api_reply_error(req, 422, "invalid", "at takes a time as "
			"YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or epoch seconds.",
			"at");
		return;
	}
	struct jobs_report r;
	bool ran;
	struct error err;
	if (jobs_run(&req->ctx, NULL, at, true, "preview", 0, &r, &ran, &err) < 0) {
		json_decref(r.items);
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	size_t i;
	json_t *item;
	json_array_foreach(r.items, i, item) {
		if (!in_orgs(&orgs, (int64_t)json_integer_value(
			    json_object_get(item, "org_id"))))
			continue;
		json_int_t t = json_integer_value(json_object_get(item, "at"));
		json_object_set_new(item, "at", api_json_time((int64_t)t));
		json_array_append(items, item);
	}
	json_decref(r.items);
	api_reply(req, 200, json_pack("{s:o, s:o}", "at", api_json_time(at),
		"items", items));
}

const struct api_route api_routes_lifecycle[] = {
	{ "GET", "/users/{address}/lifecycle", user_lifecycle, 0 },
	{ "GET", "/jobs/preview", jobs_preview, 0 },
	API_ROUTES_END,
};
