/*
 * /api/v1/settings/maintenance: maintenance mode (SPEC S5, P13), and the
 * gate that refuses every change while it is on with 503 and Retry-After
 * (RFC 9110 §15.6.4, §10.2.3). Layer: front end.
 * SECURITY: turning it on or off needs maintenance.manage (Global Admins;
 * never a token) and is audited; reading it needs only a session or a
 * token, since the 503 tells every writer anyway. The gate runs after the
 * credentials, so nobody learns the message without signing in.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "http/http.h"

static json_t *
maintenance_json(const struct dir_maintenance *m)
{
	json_t *j = json_pack("{s:b,s:s}", "on", m->on, "message", m->message);
	if (j == NULL)	/* a message that is not UTF-8: never stored */
		j = json_pack("{s:b,s:s}", "on", m->on, "message", "");
	json_object_set_new(j, "until", api_json_time(m->until));
	json_object_set_new(j, "since", api_json_time(m->since));
	return j;
}

/*
 * True when the request may go on; false with the 503 replied. Sign-in
 * and sign-out (API_IN_MAINTENANCE) and every read pass.
 */
bool
api_maintenance_allows(struct api_request *req, const struct api_route *r)
{
	if (r->flags & API_IN_MAINTENANCE)
		return true;
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		return true;
	struct dir_maintenance m;
	struct error err;
	if (dir_maintenance_get(&req->ctx, &m, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (!m.on)
		return true;
	int64_t retry = dir_maintenance_retry_after(&m, req->ctx.now);
	char msg[2560], until[32] = "", seconds[24];
	if (m.until != 0) {
		clock_format_iso(m.until, until, sizeof(until));
		snprintf(seconds, sizeof(seconds), "%lld", (long long)retry);
		http_call_add_header(req->call, "Retry-After", seconds);
	}
	snprintf(msg, sizeof(msg), "The service is in maintenance%s%s, so "
		"changes are refused until it ends; signing in, reading and "
		"mail carry on.%s%s", until[0] != '\0' ? ", expected to end " :
		"", until, m.message[0] != '\0' ? " " : "", m.message);
	api_reply_error(req, 503, "maintenance", msg, NULL);
	json_t *body = http_call_reply_body(req->call);
	if (body != NULL)
		json_object_set_new(body, "maintenance", maintenance_json(&m));
	return false;
}

static void
reply_maintenance(struct api_request *req)
{
	struct dir_maintenance m;
	struct error err, quiet;
	if (dir_maintenance_get(&req->ctx, &m, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = maintenance_json(&m);
	json_object_set_new(j, "updated_by", m.updated_by[0] != '\0' ?
		json_string(m.updated_by) : json_null());
	json_object_set_new(j, "updated_at", api_json_time(m.updated_at));
	/* Whether this caller may turn it on or off, for the landing page. */
	json_object_set_new(j, "may_set", json_boolean(!req->by_token &&
		auth_check(&req->ctx, req->session.person.id,
			AUTH_MAINTENANCE_MANAGE, 0, &quiet) == 0));
	api_reply(req, 200, j);
}

/*
 * Anyone signed in, and any token: the landing page reads it for everyone,
 * and a writer is told it by the 503 in any case.
 */
static void
api_maintenance_get(struct api_request *req)
{
	req->access_checked = true;
	reply_maintenance(req);
}

struct maintenance_body {
	const char *message;
	const char *until;
};

static const struct api_field maintenance_fields[] = {
	{ "message", API_FIELD_STRING, false,
	  offsetof(struct maintenance_body, message), 2048 },
	{ "until", API_FIELD_STRING, false,
	  offsetof(struct maintenance_body, until), 64 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_maintenance_put(struct api_request *req)
{
	struct maintenance_body in;
	struct error err;
	int64_t until = 0;
	if (!api_allowed(req, AUTH_MAINTENANCE_MANAGE, 0))
		return;
	if (api_json_decode(req->body, maintenance_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (in.until != NULL && in.until[0] != '\0' &&
	    !clock_parse(span_from_cstr(in.until), &until)) {
		api_reply_error(req, 422, "invalid", "until must be a time "
			"(2027-01-31T18:00:00Z) or a date (2027-01-31).",
			"until");
		return;
	}
	if (dir_maintenance_on(&req->ctx, in.message, until, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_maintenance(req);
}

static void
api_maintenance_delete(struct api_request *req)
{
	struct error err;
	if (!api_allowed(req, AUTH_MAINTENANCE_MANAGE, 0) ||
	    !api_no_body(req))
		return;
	if (dir_maintenance_off(&req->ctx, NULL, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_maintenance(req);
}

const struct api_route api_routes_maintenance[] = {
	{ "GET", "/settings/maintenance", api_maintenance_get, 0 },
	{ "PUT", "/settings/maintenance", api_maintenance_put,
	  API_IN_MAINTENANCE },
	{ "DELETE", "/settings/maintenance", api_maintenance_delete,
	  API_IN_MAINTENANCE },
	API_ROUTES_END,
};
