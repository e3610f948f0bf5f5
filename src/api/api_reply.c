/*
 * Replies: the error envelope every refusal uses (its status from
 * http_status_for_error, the one table), a person and their roles as
 * every area shows them, and the audit row a refused action writes
 * (SECURITY.md 48). Layer: front end. RFC 9110 §15.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/log.h"
#include "dir/dir_view.h"
#include "http/http.h"

/* Fields of a reply shown once: never kept for a replay. */
static const char *const shown_once[] = {
	"temporary_password", "token", "password", "secret", "recovery_codes",
};

/*
 * The first reply to a request with an Idempotency-Key, kept for
 * api_idempotency_end to store for a replay, less what is shown once.
 */
static void
keep_for_replay(struct api_request *req, unsigned status, json_t *body)
{
	if (req->idem_status != 0)
		return;
	req->idem_status = status;
	json_t *kept = json_deep_copy(body);
	if (json_is_object(kept)) {
		for (size_t i = 0; i < sizeof(shown_once) / sizeof(*shown_once);
		     i++)
			json_object_del(kept, shown_once[i]);
	}
	char *text = json_dumps(kept, JSON_COMPACT);
	json_decref(kept);
	req->idem_reply = arena_strdup(req->arena, text != NULL ? text : "{}");
	free(text);
}

void
api_reply(struct api_request *req, unsigned status, json_t *body)
{
	if (body == NULL)
		abort();	/* jansson only fails out of memory */
	if (req->idem_key != NULL)
		keep_for_replay(req, status, body);
	http_call_reply(req->call, status, body);
}

void
api_reply_text(struct api_request *req, unsigned status,
	const struct str *json)
{
	/*
	 * A bug: an Idempotency-Key is taken on a POST only (api_idempotency.c),
	 * and a text reply is for reads.
	 */
	if (req->idem_key != NULL)
		abort();
	http_call_reply_json_text(req->call, status, str_cstr(json),
		json->len);
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
	case AUTH_MAIL_SEND:
		return "api_token";
	case AUTH_RELAY_MANAGE:
		return "relay_host";
	case AUTH_QUEUE_MANAGE:
		return "queue";
	case AUTH_MAINTENANCE_MANAGE:
		return "setting";
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
	if (err->code == ERROR_TEMPORARY) {
		api_reply_unavailable(req, err->msg, err->msg);
		return;
	}
	api_reply_error(req, http_status_for_error(err->code),
		error_code_name(err->code), err->msg, err->field);
}

void
api_reply_unavailable(struct api_request *req, const char *logged,
	const char *shown)
{
	/*
	 * SECURITY.md 26: our fault (the store failing, mostly), so "try
	 * again later", logged for the operator, with a hint of when.
	 */
	log_error("api.unavailable", "method=%s path=\"%s\" msg=\"%s\"",
		req->method, req->path, logged);
	http_call_add_header(req->call, "Retry-After", "30");
	api_reply_error(req, 503, "temporary", shown, NULL);
}

json_t *
api_json_time(int64_t t)
{
	return dir_json_time(t);
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
	struct dir_person_record r;
	if (dir_person_record_get(&req->ctx, p->id, false, &r, NULL) < 0) {
		/* Gone meanwhile: the person as given, with no org named. */
		memset(&r, 0, sizeof(r));
		r.view = (struct store_person_view){ *p, "", "", "", "" };
	}
	return dir_json_person_core(&r.view);
}

json_t *
api_json_roles(struct api_request *req, int64_t person_id)
{
	struct store_role_tag *tags;
	size_t n;
	if (dir_role_tags(&req->ctx, &person_id, 1, &tags, &n, NULL) < 0)
		return json_array();
	return dir_json_roles(tags, n);
}
