/*
 * The API's route table and the steps every request goes through: route,
 * content type, a pooled store connection, the session, CSRF, the sign-in
 * gates (password to change, admin MFA to set up), the handler, and the one
 * table from error codes to statuses. Layer: front end. RFC 9110 §15.
 * SECURITY: fail closed — a route is public only by its flag; the CSRF
 * token is compared in constant time; the request arena is wiped.
 */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_internal.h"
#include "core/arena.h"
#include "auth/auth_self.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/ratelimit.h"
#include "core/xmalloc.h"
#include "http/http.h"
#include "instance/instance.h"

/* Every area's routes; see struct api_route. */
static const struct api_route *const api_route_tables[] = {
	api_routes_session,
	api_routes_orgs,
	api_routes_users,
	api_routes_self,
	api_routes_tokens,
	api_routes_mailboxes,
	api_routes_contacts,
	api_routes_lists,
	api_routes_people,
	api_routes_audit,
	api_routes_devices,
};

/* Counters for rate limits: bounded memory however many clients come. */
#define API_RATELIMIT_SLOTS 8192

#define API_TABLE_COUNT (sizeof(api_route_tables) / sizeof(*api_route_tables))

static const struct {
	enum error_code code;
	unsigned status;
} api_error_statuses[] = {
	{ ERROR_NOT_FOUND, 404 },
	{ ERROR_EXISTS, 409 },
	{ ERROR_DENIED, 403 },
	{ ERROR_INVALID, 422 },
	{ ERROR_LIMIT, 422 },	/* too large; rate limits are api_rate_ok's 429 */
	{ ERROR_TEMPORARY, 503 },
	{ ERROR_INTERNAL, 500 },
};

unsigned
api_status_for_error(enum error_code code)
{
	size_t n = sizeof(api_error_statuses) / sizeof(*api_error_statuses);
	for (size_t i = 0; i < n; i++) {
		if (api_error_statuses[i].code == code)
			return api_error_statuses[i].status;
	}
	return 500;
}

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
	api_reply_error(req, api_status_for_error(err->code),
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

static bool
method_matches(const char *route, const char *method)
{
	return strcmp(route, method) == 0 ||
		(strcmp(route, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* Whether path fits the pattern; fills req->params when it does. */
static bool
path_matches(struct api_request *req, const char *pattern, const char *path)
{
	req->param_count = 0;
	for (;;) {
		size_t plen = strcspn(pattern, "/"), len = strcspn(path, "/");
		if (plen > 2 && pattern[0] == '{' && pattern[plen - 1] == '}') {
			if (len == 0 || req->param_count == API_MAX_PARAMS)
				return false;
			size_t i = req->param_count++;
			req->params[i].name = arena_strndup(req->arena,
				pattern + 1, plen - 2);
			req->params[i].value = arena_strndup(req->arena, path,
				len);
			if (req->params[i].name == NULL ||
			    req->params[i].value == NULL)
				return false;
		} else if (plen != len || memcmp(pattern, path, len) != 0) {
			return false;
		}
		pattern += plen;
		path += len;
		if (*pattern == '\0' || *path == '\0')
			return *pattern == *path;
		pattern++;
		path++;
	}
}

static void
allow_add(char *allow, size_t size, const char *method)
{
	size_t used = strlen(allow);
	if (strstr(allow, method) != NULL)
		return;
	snprintf(allow + used, size - used, "%s%s%s", used > 0 ? ", " : "",
		method, strcmp(method, "GET") == 0 ? ", HEAD" : "");
}

/*
 * The route, or NULL with a 404 or 405 (and Allow) already replied. Of the
 * routes that fit, the one with fewest {name} segments wins, so
 * "/lists/approvals" is never taken for "/lists/{address}" whatever the
 * tables' order.
 */
static const struct api_route *
find_route(struct api_request *req)
{
	char allow[64] = "";
	const struct api_route *best = NULL;
	size_t best_params = 0;
	for (size_t t = 0; t < API_TABLE_COUNT; t++) {
		for (const struct api_route *r = api_route_tables[t];
		     r->path != NULL; r++) {
			if (!path_matches(req, r->path, req->path))
				continue;
			if (!method_matches(r->method, req->method)) {
				allow_add(allow, sizeof(allow), r->method);
				continue;
			}
			if (best == NULL || req->param_count < best_params) {
				best = r;
				best_params = req->param_count;
			}
		}
	}
	req->param_count = 0;
	if (best != NULL) {
		path_matches(req, best->path, req->path);
		return best;
	}
	if (allow[0] == '\0') {
		api_reply_error(req, 404, "unknown_endpoint",
			"There is no such API endpoint; see "
			"/api/v1/openapi.json.", NULL);
		return NULL;
	}
	http_call_add_header(req->call, "Allow", allow);
	api_reply_error(req, 405, "method_not_allowed",
		"This endpoint does not accept that method.", NULL);
	return NULL;
}

const char *
api_param(const struct api_request *req, const char *name)
{
	for (size_t i = 0; i < req->param_count; i++) {
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	}
	return "";
}

const char *
api_query(const struct api_request *req, const char *name)
{
	return http_call_query(req->call, name);
}

bool
api_allowed(struct api_request *req, enum auth_action action, int64_t org_id)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = action;
	req->denied_org = org_id;
	int rc = req->by_token ?
		auth_token_check(&req->ctx, &req->token, action, org_id, &err) :
		auth_check(&req->ctx, req->session.person.id, action, org_id,
			&err);
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_list_allowed(struct api_request *req, int64_t org_id,
	const char *list_address, enum auth_list_standing *standing_r)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = AUTH_LIST_MANAGE;
	req->denied_org = org_id;
	*standing_r = AUTH_LIST_ADMIN;
	int rc = req->by_token ?
		auth_token_check(&req->ctx, &req->token, AUTH_LIST_MANAGE,
			org_id, &err) :
		auth_list_check(&req->ctx, req->session.person.id, org_id,
			list_address, standing_r, &err);
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_scope(struct api_request *req, enum auth_action action, bool *all_r,
	int64_t **ids_r, size_t *count_r)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = action;
	req->denied_org = 0;
	*all_r = false;
	int rc = req->by_token ?
		auth_token_scope_orgs(&req->ctx, &req->token, action, ids_r,
			count_r, &err) :
		auth_scope_orgs(&req->ctx, req->session.person.id, action,
			all_r, ids_r, count_r, &err);
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_rate_ok(struct api_request *req, const char *what, const char *key,
	const char *limit_setting)
{
	const struct config *c = req->ctx.config;
	int64_t retry;
	char k[400];
	snprintf(k, sizeof(k), "%s|%s", what, key);
	if (ratelimit_allow(req->api->limits, k,
		    clock_monotonic_ms() / 1000, config_get_int(c, limit_setting),
		    config_get_int(c, "ratelimit.window_s"), true, &retry))
		return true;
	char seconds[24];
	snprintf(seconds, sizeof(seconds), "%lld", (long long)retry);
	http_call_add_header(req->call, "Retry-After", seconds);
	log_warn("api.rate_limited", "what=%s peer=%s", what, req->peer);
	char msg[160];
	snprintf(msg, sizeof(msg), "Too many requests of this kind; wait %lld "
		"seconds and try again.", (long long)retry);
	api_reply_error(req, 429, "rate_limited", msg, NULL);
	return false;
}

static bool
parse_count(const char *text, int64_t min, int64_t max, int64_t *n_r)
{
	char *end;
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	long long n = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return false;
	*n_r = n;
	return true;
}

bool
api_page_parse(struct api_request *req, struct api_page *page)
{
	const char *limit = api_query(req, "limit");
	const char *cursor = api_query(req, "cursor");
	int64_t n = API_PAGE_DEFAULT, after = 0;
	if (limit != NULL && !parse_count(limit, 1, API_PAGE_MAX, &n)) {
		api_reply_error(req, 422, "invalid", "limit must be a whole "
			"number from 1 to 500.", "limit");
		return false;
	}
	if (cursor != NULL && !parse_count(cursor, 0, INT64_MAX, &after)) {
		api_reply_error(req, 422, "invalid", "cursor must be the "
			"next_cursor of an earlier page.", "cursor");
		return false;
	}
	page->limit = (size_t)n;
	page->after_id = after;
	return true;
}

json_t *
api_page_json(json_t *items, const struct api_page *page, size_t count,
	int64_t last_id)
{
	json_t *next = json_null();
	if (count >= page->limit && last_id > 0) {
		char buf[24];
		snprintf(buf, sizeof(buf), "%lld", (long long)last_id);
		next = json_string(buf);
	}
	return json_pack("{s:o,s:o}", "items", items, "next_cursor", next);
}

static bool
is_state_changing(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
		strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
}

/* SECURITY.md 42: a body must be JSON, which a plain form cannot send. */
static bool
content_type_ok(struct api_request *req)
{
	const char *type = http_call_header(req->call, "Content-Type");
	if (type == NULL)
		return req->body.len == 0;
	struct span t = span_trim(span_from_cstr(type)), head;
	span_split(&t, ';', &head);
	return span_eq_nocase(span_trim(head), "application/json");
}

/*
 * A body that is not one JSON object is a 400 here, for every route, so
 * handlers' 422s are only ever about what the fields say.
 */
static bool
body_is_json_object(struct api_request *req)
{
	if (span_trim(req->body).len == 0)
		return true;
	json_error_t jerr;
	json_t *root = json_loadb(req->body.p, req->body.len,
		JSON_REJECT_DUPLICATES, &jerr);
	bool object = json_is_object(root);
	json_decref(root);
	if (object)
		return true;
	char msg[256];
	if (root == NULL)
		snprintf(msg, sizeof(msg), "The request body is not valid JSON: "
			"%s at line %d column %d.", jerr.text, jerr.line,
			jerr.column);
	else
		snprintf(msg, sizeof(msg), "The request body must be a JSON "
			"object.");
	api_reply_error(req, 400, "bad_request", msg, NULL);
	return false;
}

static bool
csrf_ok(struct api_request *req)
{
	const char *sent = http_call_header(req->call, "X-CSRF-Token");
	const char *want = req->session.csrf_token;
	size_t n = strlen(want);
	return sent != NULL && n > 0 && strlen(sent) == n &&
		sodium_memcmp(sent, want, n) == 0;
}

/* The token of an "Authorization: Bearer" header, or NULL. */
static const char *
bearer_token(const struct api_request *req)
{
	const char *h = http_call_header(req->call, "Authorization");
	if (h == NULL)
		return NULL;
	struct span v = span_trim(span_from_cstr(h));
	if (!span_starts_with_nocase(v, "Bearer "))
		return "";	/* another scheme: never a session either */
	/* v.p lies in h, so the rest is a C string (trailing space and
	 * all, which no token has: it is then refused). */
	return v.p + strlen("Bearer ");
}

/* Routes about a person themselves are never an application's. */
static bool
person_only(const char *path)
{
	static const char *const prefixes[] = { "/me", "/session", "/tokens" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(path, prefixes[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/*
 * An application's bearer token (SPEC P16): no cookie, so no CSRF (it is
 * not sent by a browser on its own); failures are rate limited per IP.
 */
static bool
admit_token(struct api_request *req, const char *token)
{
	struct error err;
	int64_t retry;
	char key[96];
	snprintf(key, sizeof(key), "token_fail|%s", req->peer);
	const struct config *c = req->ctx.config;
	int64_t limit = config_get_int(c, "ratelimit.token_failures_per_ip");
	int64_t window = config_get_int(c, "ratelimit.window_s");
	int64_t now = clock_monotonic_ms() / 1000;
	if (!ratelimit_allow(req->api->limits, key, now, limit, window, false,
		    &retry))
		return api_rate_ok(req, "token_fail", req->peer,
			"ratelimit.token_failures_per_ip");
	if (person_only(req->path)) {
		api_reply_error(req, 403, "denied", "API tokens cannot be "
			"used for this endpoint; it is for people signed in.",
			NULL);
		return false;
	}
	if (auth_token_find(&req->ctx, token, req->peer, &req->token,
		    &err) < 0) {
		if (err.code != ERROR_NOT_FOUND) {
			api_reply_from_error(req, &err);
			return false;
		}
		ratelimit_allow(req->api->limits, key, now, limit, window, true,
			&retry);
		log_warn("api.token_refused", "peer=%s reason=\"%s\"",
			req->peer, err.msg);
		api_reply_error(req, 401, "unauthenticated", err.msg, NULL);
		return false;
	}
	req->by_token = true;
	req->ctx.actor = arena_printf(req->arena, "token:%s",
		req->token.label);
	if (req->ctx.actor == NULL)
		req->ctx.actor = "token";
	log_info("api.token_use", "token_id=%lld label=\"%s\" method=%s "
		"path=\"%s\" peer=%s", (long long)req->token.id,
		req->token.label, req->method, req->path, req->peer);
	return true;
}

/* Session, CSRF and gates; false when a refusal has been replied. */
static bool
admit(struct api_request *req, const struct api_route *r)
{
	if (r->flags & API_PUBLIC)
		return true;
	const char *bearer = bearer_token(req);
	if (bearer != NULL)
		return admit_token(req, bearer);
	struct error err;
	const char *token = http_call_cookie(req->call, api_cookie_name(req));
	if (auth_session_find(&req->ctx, token, &req->session, &err) < 0) {
		if (err.code != ERROR_NOT_FOUND) {
			api_reply_from_error(req, &err);
			return false;
		}
		api_reply_error(req, 401, "unauthenticated", err.msg, NULL);
		return false;
	}
	req->signed_in = true;
	req->ctx.actor = req->session.person.address;
	if (is_state_changing(req->method) && !(r->flags & API_NO_CSRF) &&
	    !csrf_ok(req)) {
		api_reply_error(req, 403, "csrf", "This request needs the "
			"X-CSRF-Token header with the csrf_token your sign-in "
			"returned.", "X-CSRF-Token");
		return false;
	}
	if (req->session.must_change_password &&
	    !(r->flags & API_ANY_PASSWORD)) {
		api_reply_error(req, 403, "password_change_required",
			"Change your password first: POST "
			"/api/v1/me/password.", NULL);
		return false;
	}
	if (req->session.is_admin && !req->session.mfa_enrolled &&
	    !(r->flags & API_BEFORE_MFA)) {
		api_reply_error(req, 403, "mfa_setup_required",
			"Admins must set up two-factor sign-in first: POST "
			"/api/v1/me/mfa.", NULL);
		return false;
	}
	return true;
}

static void
serve(struct api_request *req)
{
	const struct api_route *r = find_route(req);
	if (r == NULL)
		return;
	if (is_state_changing(req->method) && !content_type_ok(req)) {
		api_reply_error(req, 415, "unsupported_media_type",
			"Send the request body as application/json.",
			"Content-Type");
		return;
	}
	if (!body_is_json_object(req))
		return;
	struct error err;
	const struct instance *inst = req->api->inst;
	struct store *st = instance_store_borrow(inst, &err);
	if (st == NULL) {
		log_warn("api.store_unreachable", "reason=\"%s\"", err.msg);
		api_reply_error(req, 503, "temporary", "The service cannot "
			"reach its store just now; try again shortly.", NULL);
		return;
	}
	instance_dir_ctx(inst, st, req->arena, "anonymous", clock_now(),
		&req->ctx);
	req->ctx.client = req->peer;
	req->ctx.request_id = req->request_id;
	if (admit(req, r)) {
		r->handler(req);
		/* Fail closed: a token reaches only what an access check let. */
		if (req->by_token && !req->access_checked)
			api_reply_error(req, 403, "denied", "API tokens cannot "
				"be used for this endpoint.", NULL);
	}
	instance_store_return(inst, &st);
}

void
api_handle(void *api, struct http_call *call)
{
	struct api_request *req = xcalloc(1, sizeof(*req));
	size_t len;
	const char *body = http_call_body(call, &len);
	const char *path = http_call_path(call);
	req->api = api;
	req->call = call;
	req->method = http_call_method(call);
	req->path = path + strlen(API_PREFIX);
	req->body = span_make(body, len);
	req->arena = arena_new_wiping(API_ARENA_CAP);
	http_call_peer(call, req->peer, sizeof(req->peer));
	unsigned char id[8];
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(req->request_id, sizeof(req->request_id), id,
		sizeof(id));
	/* Quoted in a support call, it finds the request's audit rows. */
	http_call_add_header(call, "X-Request-Id", req->request_id);
	serve(req);
	arena_free(&req->arena);
	sodium_memzero(&req->session, sizeof(req->session));
	free(req);
}

struct api *
api_new(const struct instance *inst)
{
	struct api *api = xcalloc(1, sizeof(*api));
	api->inst = inst;
	api->sms = auth_sms_new(inst->config, inst->dir);
	api->limits = ratelimit_new(API_RATELIMIT_SLOTS);
	return api;
}

void
api_free(struct api **api)
{
	if (*api == NULL)
		return;
	auth_sms_free(&(*api)->sms);
	ratelimit_free(&(*api)->limits);
	free(*api);
	*api = NULL;
}
