/*
 * /api/v1 guests and add-on licences (SPEC L8, L9): an org's guests,
 * inviting, attesting, a new inviter, removal; an org's add-ons, their
 * holders, rule and the licence report (JSON or CSV). Layer: front end.
 * SECURITY: who may invite or attest is the domain's rule (an active
 * person of the guest's org; only the guest's inviter attests), checked
 * against the signed-in person; administrators' actions go through
 * api_allowed like every other.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/spool.h"
#include "dir/dir_guest.h"

/* The guest in the path, or false with a 404 replied. */
static bool
path_guest(struct api_request *req, struct store_guest *g)
{
	int64_t id;
	struct error err;
	if (!api_param_id(req, "id", "There is no such guest.", &id))
		return false;
	if (dir_guest_get(&req->ctx, id, g, &err) == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

/*
 * GET /orgs/{ods}/guests: all of them for those who read the org's
 * people (user.read); a person without that sees the guests they invited
 * themselves, so an inviter can find whom to attest for.
 */
static void
api_guests_list(struct api_request *req)
{
	struct store_org org;
	struct error err;
	if (!api_path_org(req, &org))
		return;
	const char *mine = NULL;
	if (req->by_token || auth_check(&req->ctx, req->session.person.id,
		    AUTH_USER_READ, org.id, &err) == 0) {
		if (!api_allowed(req, AUTH_USER_READ, org.id))
			return;
	} else {
		mine = req->session.person.address;
		req->access_checked = true;
	}
	const char *all = api_query(req, "all");
	struct store_guest *list;
	size_t n;
	if (dir_guest_list(&req->ctx, org.id, all != NULL &&
		    strcmp(all, "true") == 0, &list, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		if (mine == NULL || strcmp(list[i].inviter_address, mine) == 0)
			json_array_append_new(items, dir_guest_json(&req->ctx,
				&list[i]));
	api_reply(req, 200, json_pack("{s:o}", "items", items));
}

struct guest_body {
	const char *address;
	const char *display_name;
	const char *inviter;
	const char *reason;
};

static const struct api_field guest_fields[] = {
	{ "address", API_FIELD_STRING, false,
	  offsetof(struct guest_body, address), 254 },
	{ "display_name", API_FIELD_STRING, false,
	  offsetof(struct guest_body, display_name), 800 },
	{ "inviter", API_FIELD_STRING, false,
	  offsetof(struct guest_body, inviter), 254 },
	{ "reason", API_FIELD_STRING, false,
	  offsetof(struct guest_body, reason), 2000 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static bool
guest_body(struct api_request *req, struct guest_body *in)
{
	struct error err;
	*in = (struct guest_body){ 0 };
	if (req->body.len == 0)
		return true;
	if (api_json_decode(req->body, guest_fields, in, req->arena,
		    &err) == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

static const char *
caller(const struct api_request *req)
{
	return req->by_token ? NULL : req->session.person.address;
}

/*
 * POST /orgs/{ods}/guests: a person invites for themselves; naming
 * someone else as inviter is an administrator's (user.create there).
 */
static void
api_guest_post(struct api_request *req)
{
	struct store_org org;
	struct guest_body in;
	if (!api_path_org(req, &org) || !guest_body(req, &in))
		return;
	const char *me = caller(req);
	const char *inviter = in.inviter != NULL ? in.inviter : me;
	if ((me == NULL || inviter == NULL || strcmp(inviter, me) != 0) &&
	    !api_allowed(req, AUTH_USER_CREATE, org.id))
		return;
	req->access_checked = true;
	struct store_guest g;
	struct error err;
	if (dir_guest_invite(&req->ctx, org.ods, in.address, in.display_name,
		    inviter, &g, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 201, dir_guest_json(&req->ctx, &g));
}

/* POST /guests/{id}/attest: the guest's inviter alone. */
static void
api_guest_attest(struct api_request *req)
{
	struct store_guest g;
	struct error err;
	if (!path_guest(req, &g))
		return;
	req->access_checked = true;
	if (dir_guest_attest(&req->ctx, g.id, caller(req), &g, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, dir_guest_json(&req->ctx, &g));
}

static void
api_guest_inviter_put(struct api_request *req)
{
	struct store_guest g;
	struct guest_body in;
	struct error err;
	if (!path_guest(req, &g) ||
	    !api_allowed(req, AUTH_USER_LIFECYCLE, g.org_id) ||
	    !guest_body(req, &in))
		return;
	if (dir_guest_reassign(&req->ctx, g.id, in.inviter, &g, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, dir_guest_json(&req->ctx, &g));
}

static void
api_guest_delete(struct api_request *req)
{
	struct store_guest g;
	struct error err;
	if (!path_guest(req, &g) ||
	    !api_allowed(req, AUTH_USER_LIFECYCLE, g.org_id))
		return;
	if (dir_guest_remove(&req->ctx, g.id, api_query(req, "reason"), &g,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, dir_guest_json(&req->ctx, &g));
}

/* GET /orgs/{ods}/licences: the report, as JSON or (?format=csv) CSV. */
static void
api_licences_list(struct api_request *req)
{
	struct store_org org;
	bool csv;
	struct error err;
	if (!api_path_org(req, &org) ||
	    !api_allowed(req, AUTH_REPORT_READ, org.id) ||
	    !api_csv_asked(req, &csv))
		return;
	if (csv) {
		const char *text;
		struct spool *sp;
		if (dir_licence_report_csv(&req->ctx, org.id, &text,
			    &err) < 0) {
			api_reply_from_error(req, &err);
			return;
		}
		sp = api_csv_spool(req);
		if (spool_append(sp, text, strlen(text), &err) < 0) {
			spool_free(&sp);
			api_reply_from_error(req, &err);
			return;
		}
		api_reply_csv(req, "licences", sp);
		return;
	}
	struct store_addon *list;
	size_t n;
	if (dir_addon_list(&req->ctx, org.id, &list, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, dir_addon_json(&req->ctx,
			&list[i], true));
	api_reply(req, 200, json_pack("{s:o}", "items", items));
}

struct addon_body {
	int64_t quota;
	const char *expires;
	const char *address;
	const char *rule;
};

static const struct api_field addon_fields[] = {
	{ "quota", API_FIELD_INT, false, offsetof(struct addon_body, quota),
	  0 },
	{ "expires", API_FIELD_STRING, false,
	  offsetof(struct addon_body, expires), 32 },
	{ "address", API_FIELD_STRING, false,
	  offsetof(struct addon_body, address), 254 },
	{ "rule", API_FIELD_STRING, false, offsetof(struct addon_body, rule),
	  256 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static bool
addon_body(struct api_request *req, struct addon_body *in)
{
	struct error err;
	*in = (struct addon_body){ .quota = -1 };
	if (api_json_decode(req->body, addon_fields, in, req->arena,
		    &err) == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

static void
reply_addon(struct api_request *req, const char *ods, const char *name)
{
	struct store_addon a;
	struct error err;
	if (dir_addon_get(&req->ctx, ods, name, &a, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, dir_addon_json(&req->ctx, &a, true));
}

/*
 * PUT /orgs/{ods}/licences/{name}: what was bought (quota, expiry) is
 * the service's to record, as the Global Administrator's.
 */
static void
api_licence_put(struct api_request *req)
{
	struct store_org org;
	struct addon_body in;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_CREATE, 0) ||
	    !addon_body(req, &in))
		return;
	int64_t expires = 0;
	if (in.expires != NULL && !clock_parse(span_from_cstr(in.expires),
		    &expires)) {
		api_reply_error(req, 422, "invalid", "expires is a date "
			"(YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ).",
			"expires");
		return;
	}
	struct store_addon a;
	if (dir_addon_set(&req->ctx, org.ods, api_param(req, "name"),
		    in.quota, expires, &a, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, dir_addon_json(&req->ctx, &a, true));
}

static void
api_licence_holder_post(struct api_request *req)
{
	struct store_org org;
	struct addon_body in;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_USER_EDIT, org.id) ||
	    !addon_body(req, &in))
		return;
	if (dir_addon_allocate(&req->ctx, org.ods, api_param(req, "name"),
		    in.address, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_addon(req, org.ods, api_param(req, "name"));
}

static void
api_licence_holder_delete(struct api_request *req)
{
	struct store_org org;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_USER_EDIT, org.id))
		return;
	if (dir_addon_free(&req->ctx, org.ods, api_param(req, "name"),
		    api_param(req, "address"), &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_addon(req, org.ods, api_param(req, "name"));
}

static void
api_licence_rule_put(struct api_request *req)
{
	struct store_org org;
	struct addon_body in;
	struct error err;
	size_t given, left;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_USER_EDIT, org.id) ||
	    !addon_body(req, &in))
		return;
	if (dir_addon_rule(&req->ctx, org.ods, api_param(req, "name"),
		    in.rule, &given, &left, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:I, s:I}", "allocated",
		(json_int_t)given, "left_without", (json_int_t)left));
}

const struct api_route api_routes_guests[] = {
	{ "GET", "/orgs/{ods}/guests", api_guests_list, 0 },
	{ "POST", "/orgs/{ods}/guests", api_guest_post, 0 },
	{ "POST", "/guests/{id}/attest", api_guest_attest, 0 },
	{ "PUT", "/guests/{id}/inviter", api_guest_inviter_put, 0 },
	{ "DELETE", "/guests/{id}", api_guest_delete, 0 },
	{ "GET", "/orgs/{ods}/licences", api_licences_list, API_WAITS },
	{ "PUT", "/orgs/{ods}/licences/{name}", api_licence_put, 0 },
	{ "POST", "/orgs/{ods}/licences/{name}/holders",
	  api_licence_holder_post, 0 },
	{ "DELETE", "/orgs/{ods}/licences/{name}/holders/{address}",
	  api_licence_holder_delete, 0 },
	{ "PUT", "/orgs/{ods}/licences/{name}/rule", api_licence_rule_put, 0 },
	API_ROUTES_END,
};
