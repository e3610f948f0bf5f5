/*
 * Replies: the error envelope every refusal uses (its status from
 * http_status_for_error, the one table), a person and their roles as
 * every area shows them, and the audit row a refused action writes
 * (SECURITY.md 48). Layer: front end. RFC 9110 §15.
 */
#include <stdio.h>
#include <stdlib.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/http.h"

void
api_reply(struct api_request *req, unsigned status, json_t *body)
{
	if (body == NULL)
		abort();	/* jansson only fails out of memory */
	http_call_reply(req->call, status, body);
}

void
api_reply_error(struct api_request *req, unsigned status, const char *code,
	const char *message, const char *field)
{
	json_t *e = json_pack("{s:s,s:s,s:o}", "code", code, "message",
		message, "field", field != NULL && field[0] != '\0' ?
		json_string(field) : json_null());
	/* json_pack refuses text that is not UTF-8: say so, never crash. */
	if (e == NULL)
		e = json_pack("{s:s,s:s,s:n}", "code", code, "message",
			"The request was refused.", "field");
	api_reply(req, status, json_pack("{s:o}", "error", e));
}

/* The audit trail's object type for what an action is done to. */
static const char *
denied_object_type(const struct api_request *req)
{
	if (!req->denied_known)
		return "access";
	switch (req->denied_action) {
	case AUTH_ORG_READ:
	case AUTH_ORG_CREATE:
	case AUTH_ORG_EDIT:
	case AUTH_ORG_DEVOLVE:
		return "organisation";
	case AUTH_MAILBOX_MANAGE:
		return "shared_mailbox";
	case AUTH_CONTACT_MANAGE:
		return "contact";
	case AUTH_LIST_MANAGE:
		return "distribution_list";
	case AUTH_TOKEN_MANAGE:
		return "api_token";
	case AUTH_AUDIT_READ:
	case AUTH_REPORT_READ:
	case AUTH_EDISCOVERY_SEARCH:
		return "report";
	default:
		return "user_mailbox";	/* the user and role actions */
	}
}

/* SECURITY.md 48: a refused action is recorded like a done one. */
static void
audit_denial(struct api_request *req, const char *reason)
{
	char request[160];
	snprintf(request, sizeof(request), "%s /api/v1%s", req->method,
		req->path);
	json_t *summary = json_pack("{s:o,s:s,s:s}", "denied",
		req->denied_known ?
			json_string(auth_action_name(req->denied_action)) :
			json_null(),
		"reason", reason, "request", request);
	struct error err;
	if (summary == NULL)	/* a path that is not UTF-8 */
		summary = json_pack("{s:s}", "reason", reason);
	if (dir_audit_denied(&req->ctx, denied_object_type(req),
		    req->denied_known ? req->denied_org : 0, summary,
		    &err) < 0)
		log_error("api.audit_denial_failed", "reason=\"%s\"", err.msg);
}

void
api_reply_from_error(struct api_request *req, const struct error *err)
{
	if (err->code == ERROR_DENIED && (req->signed_in || req->by_token))
		audit_denial(req, err->msg);
	if (err->code == ERROR_INTERNAL) {
		log_error("api.internal", "method=%s path=\"%s\" msg=\"%s\"",
			req->method, req->path, err->msg);
		api_reply_error(req, 500, "internal",
			"Something went wrong on our side and was logged.",
			NULL);
		return;
	}
	/*
	 * SECURITY.md 26: our fault (the store failing, mostly), so "try
	 * again later", logged for the operator, with a hint of when.
	 */
	if (err->code == ERROR_TEMPORARY) {
		log_error("api.unavailable", "method=%s path=\"%s\" msg=\"%s\"",
			req->method, req->path, err->msg);
		http_call_add_header(req->call, "Retry-After", "30");
	}
	api_reply_error(req, http_status_for_error(err->code),
		error_code_name(err->code), err->msg, err->field);
}

json_t *
api_json_time(int64_t t)
{
	if (t == 0)
		return json_null();
	char buf[32];
	clock_format_iso(t, buf, sizeof(buf));
	return json_string(buf);
}

const char *
api_cookie_name(const struct api_request *req)
{
	/* RFC 6265bis §4.1.3.2: __Host- needs Secure, so TLS only. */
	return http_call_is_tls(req->call) ? "__Host-caremail_session" :
		"caremail_session";
}

json_t *
api_json_person(struct api_request *req, const struct store_person *p)
{
	struct store_org org;
	struct error err;
	json_t *o = json_null();
	if (dir_org_get_by_id(&req->ctx, p->org_id, &org, &err) == 0)
		o = json_pack("{s:s,s:s}", "ods", org.ods, "name", org.name);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s}",
		"address", p->address,
		"display_name", p->display_name,
		"first_name", p->first_name,
		"last_name", p->last_name,
		"org", o != NULL ? o : json_null(),
		"job_title", p->job_title,
		"department", p->department,
		"phone", p->phone,
		"mobile", p->mobile,
		"status", dir_person_status_name(p->status));
	if (j == NULL)
		return json_null();	/* text that is not UTF-8 */
	json_object_set_new(j, "mobile_hidden", json_boolean(p->mobile_hidden));
	json_object_set_new(j, "locked", json_boolean(p->locked_at != 0));
	json_object_set_new(j, "locked_at", api_json_time(p->locked_at));
	json_object_set_new(j, "last_signin_at",
		api_json_time(p->last_signin_at));
	json_object_set_new(j, "password_changed_at",
		api_json_time(p->password_changed_at));
	return j;
}

json_t *
api_json_roles(struct api_request *req, int64_t person_id)
{
	struct store_role *roles;
	size_t n;
	json_t *a = json_array();
	if (dir_role_list_by_person(&req->ctx, person_id, &roles, &n, NULL) < 0)
		return a;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "role",
			roles[i].role, "org",
			dir_org_ods(&req->ctx, roles[i].org_id)));
	return a;
}
