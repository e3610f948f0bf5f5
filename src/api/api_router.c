/*
 * The API's route tables and the steps every request goes through: route,
 * content type and JSON syntax, a pooled store connection, the session or
 * bearer token, CSRF, the sign-in gates (password to change, admin MFA to
 * set up), then the handler. Layer: front end. RFC 9110.
 * SECURITY: fail closed — a route is public only by its flag; the CSRF
 * token is compared in constant time; the request arena is wiped.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_internal.h"
#include "auth/auth_limit.h"
#include "auth/auth_sms.h"
#include "auth/auth_token.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/xmalloc.h"
#include "http/http.h"
#include "instance/instance.h"

/* Every area's routes; see struct api_route. */
static const struct api_route *const api_route_tables[] = {
	api_routes_session,
	api_routes_app_passwords,
	api_routes_orgs,
	api_routes_users,
	api_routes_me,
	api_routes_recovery,
	api_routes_tokens,
	api_routes_mailboxes,
	api_routes_contacts,
	api_routes_lists,
	api_routes_people,
	api_routes_audit,
	api_routes_devices,
	api_routes_status,
	api_routes_queue,
	api_routes_mailtips,
	api_routes_secure,
	api_routes_secure_sent,
	api_routes_guests,
	api_routes_imports,
	api_routes_lifecycle,
	api_routes_shared_confirm,
	api_routes_maintenance,
};

/* Counters for rate limits: bounded memory however many clients come. */
#define API_RATELIMIT_SLOTS 8192

#define API_TABLE_COUNT (sizeof(api_route_tables) / sizeof(*api_route_tables))

static bool
method_matches(const char *route, const char *method)
{
	return strcmp(route, method) == 0 ||
		(strcmp(route, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* Whether path fits the pattern, segment by segment; "{name}" fits any one. */
static bool
path_fits(const char *pattern, const char *path)
{
	for (;;) {
		size_t plen = strcspn(pattern, "/"), len = strcspn(path, "/");
		bool param = plen > 2 && pattern[0] == '{' &&
			pattern[plen - 1] == '}';
		if (param ? len == 0 :
		    plen != len || memcmp(pattern, path, len) != 0)
			return false;
		pattern += plen;
		path += len;
		if (*pattern == '\0' || *path == '\0')
			return *pattern == *path;
		pattern++;
		path++;
	}
}

/* How many "{name}" segments pattern has. */
static size_t
pattern_params(const char *pattern)
{
	size_t n = 0;
	for (const char *p = strchr(pattern, '{'); p != NULL;
	     p = strchr(p + 1, '{'))
		n++;
	return n;
}

/* Fills req->params from a path that fits pattern (path_fits). */
static bool
path_params(struct api_request *req, const char *pattern, const char *path)
{
	req->param_count = 0;
	for (;;) {
		size_t plen = strcspn(pattern, "/"), len = strcspn(path, "/");
		if (plen > 2 && pattern[0] == '{' && pattern[plen - 1] == '}') {
			if (req->param_count == API_MAX_PARAMS)
				return false;
			size_t i = req->param_count++;
			req->params[i].name = arena_strndup(req->arena,
				pattern + 1, plen - 2);
			req->params[i].value = arena_strndup(req->arena, path,
				len);
			if (req->params[i].name == NULL ||
			    req->params[i].value == NULL)
				return false;
		}
		pattern += plen;
		path += len;
		if (*pattern == '\0')
			return true;
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
 * Of the routes path fits, the one for method with fewest {name} segments,
 * so "/lists/approvals" is never taken for "/lists/{address}" whatever the
 * tables' order; or NULL, with the methods the path has in allow (if not
 * NULL) for a 405's Allow.
 */
static const struct api_route *
best_route(const char *method, const char *path, char *allow,
	size_t allow_size)
{
	const struct api_route *best = NULL;
	size_t best_params = 0;
	for (size_t t = 0; t < API_TABLE_COUNT; t++) {
		for (const struct api_route *r = api_route_tables[t];
		     r->path != NULL; r++) {
			if (!path_fits(r->path, path))
				continue;
			if (!method_matches(r->method, method)) {
				if (allow != NULL)
					allow_add(allow, allow_size,
						r->method);
				continue;
			}
			size_t n = pattern_params(r->path);
			if (best == NULL || n < best_params) {
				best = r;
				best_params = n;
			}
		}
	}
	return best;
}

/* The route, or NULL with a 404 or 405 (and Allow) already replied. */
static const struct api_route *
find_route(struct api_request *req)
{
	char allow[64] = "";
	const struct api_route *best = best_route(req->method, req->path,
		allow, sizeof(allow));
	req->param_count = 0;
	if (best != NULL) {
		if (!path_params(req, best->path, req->path)) {
			api_reply_error(req, 500, "internal",
				"Out of request memory.", NULL);
			return NULL;
		}
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

bool
api_waits(void *api, const char *method, const char *path)
{
	(void)api;
	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0)
		return false;
	const struct api_route *r = best_route(method,
		path + strlen(API_PREFIX), NULL, 0);
	return r != NULL && (r->flags & API_WAITS) != 0;
}

static bool
is_state_changing(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
		strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
}

/* SECURITY.md 42: a body must be JSON, which a plain form cannot send. */
static bool
content_type_ok(struct api_request *req, const struct api_route *r,
	bool *csv_r)
{
	const char *type = http_call_header(req->call, "Content-Type");
	*csv_r = false;
	if (type == NULL)
		return req->body.len == 0;
	struct span t = span_trim(span_from_cstr(type)), head;
	span_split(&t, ';', &head);
	/* Bulk import and sync take a spreadsheet's file as it is. */
	if ((r->flags & API_CSV_BODY) &&
	    span_eq_nocase(span_trim(head), "text/csv"))
		return (*csv_r = true);
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
	/* People Finder, Get help and MailTips answer a person about their
	 * peers. */
	static const char *const prefixes[] = { "/me", "/session", "/tokens",
		"/people", "/mailtips" };
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
	int rc = api_failures_within(req, "token", false, &retry, &err);
	if (rc < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (rc == 0)
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
		struct error uncounted;
		api_failures_within(req, "token", true, &retry, &uncounted);
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
	if (auth_session_find(&req->ctx, token,
		    !is_state_changing(req->method), &req->session, &err) < 0) {
		if (err.code != ERROR_NOT_FOUND) {
			api_reply_from_error(req, &err);
			return false;
		}
		api_reply_error(req, 401, "unauthenticated", err.msg, NULL);
		return false;
	}
	req->signed_in = true;
	req->ctx.actor = req->session.person.address;
	if (req->session.roles != NULL) {
		req->ctx.roles_of = req->session.person.id;
		req->ctx.roles = req->session.roles;
		req->ctx.role_count = req->session.role_count;
	}
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

/*
 * API latency by route (docs/operations.md): the route's template, never
 * the path, so no address becomes a label and the series stay as many as
 * the routes. Requests no route takes (404, 405) are not timed.
 */
static struct metrics_family api_seconds = {
	.name = "caremail_api_request_seconds",
	.help = "Seconds to answer an API request, by method and route "
		"template.",
	.type = METRICS_HISTOGRAM,
	.labels = { "method", "route" },
	.bounds = metrics_latency_buckets,
	.bound_count = METRICS_LATENCY_BUCKET_COUNT,
};
METRICS_REGISTER(api_seconds)

static void
observe_latency(const struct api_route *r, int64_t start_us)
{
	char route[256];
	snprintf(route, sizeof(route), "%s%s", API_PREFIX, r->path);
	metrics_observe_since(metrics_series(&api_seconds, r->method, route),
		start_us);
}

/* Serves req; returns the route that took it, or NULL when none did. */
static const struct api_route *
serve(struct api_request *req)
{
	const struct api_route *r = find_route(req);
	if (r == NULL)
		return NULL;
	bool csv = false;
	if (is_state_changing(req->method) && !content_type_ok(req, r, &csv)) {
		api_reply_error(req, 415, "unsupported_media_type",
			"Send the request body as application/json.",
			"Content-Type");
		return r;
	}
	if (!csv && !body_is_json_object(req))
		return r;
	struct error err;
	const struct instance *inst = req->api->inst;
	struct store *st = instance_store_borrow_request(inst, &err);
	if (st == NULL) {
		api_reply_unavailable(req, err.msg, "The service cannot reach "
			"its store just now; try again later");
		return r;
	}
	instance_dir_ctx(inst, st, req->arena, "anonymous", clock_now(),
		&req->ctx);
	req->ctx.client = req->peer;
	req->ctx.request_id = req->request_id;
	uint64_t statements = dir_statement_count(&req->ctx);
	if (admit(req, r) && api_maintenance_allows(req, r) &&
	    api_idempotency_begin(req)) {
		r->handler(req);
		/* Fail closed: a token reaches only what an access check let. */
		if (req->by_token && !req->access_checked)
			api_reply_error(req, 403, "denied", "API tokens cannot "
				"be used for this endpoint.", NULL);
		api_idempotency_end(req);
	}
	/*
	 * The route's pattern, not the path: no address reaches the log.
	 * The count shows a listing's cost does not grow with its page.
	 */
	log_debug("api.request", "method=%s route=\"%s\" queries=%llu",
		req->method, r->path, (unsigned long long)
		(dir_statement_count(&req->ctx) - statements));
	instance_store_return(inst, &st);
	return r;
}

/*
 * Each HTTP thread keeps its request arena, wiped and reset after every
 * request rather than freed: a new arena's first block was each request's
 * first large allocation, and glibc then merged every small chunk the last
 * request had freed (bench B5: some 5 % of a People Finder search). Its
 * memory never leaves the thread (a request or a waiting thread of the HTTP
 * listener); one block is kept between requests, and freed when the thread
 * ends.
 */
static pthread_key_t arena_key;
static pthread_once_t arena_key_once = PTHREAD_ONCE_INIT;

static void
thread_arena_free(void *a)
{
	struct arena *arena = a;
	arena_free(&arena);
}

static void
arena_key_make(void)
{
	if (pthread_key_create(&arena_key, thread_arena_free) != 0)
		abort();
}

static struct arena *
thread_arena(void)
{
	pthread_once(&arena_key_once, arena_key_make);
	struct arena *a = pthread_getspecific(arena_key);
	if (a == NULL) {
		a = arena_new_wiping(API_ARENA_CAP);
		if (pthread_setspecific(arena_key, a) != 0)
			abort();
	}
	return a;
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
	req->arena = thread_arena();
	http_call_peer(call, req->peer, sizeof(req->peer));
	unsigned char id[8];
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(req->request_id, sizeof(req->request_id), id,
		sizeof(id));
	/* Quoted in a support call, it finds the request's audit rows. */
	http_call_add_header(call, "X-Request-Id", req->request_id);
	int64_t start_us = clock_monotonic_us();
	const struct api_route *r = serve(req);
	if (r != NULL)
		observe_latency(r, start_us);
	arena_reset(req->arena);
	req->arena = NULL;
	sodium_memzero(&req->session, sizeof(req->session));
	free(req);
}

/*
 * Whether the credentials of the request are good, with no reply and no
 * audit: the HTTP front end asks before reading a body larger than
 * http.max_body_unauthenticated_kb (SECURITY.md 31: nothing
 * unauthenticated makes the server hold memory). admit decides again when
 * the request is served; a failed token counts toward the same rate limit.
 */
static int
credentials_ok(struct api_request *req, struct error *err)
{
	const char *bearer = bearer_token(req);
	struct error inner;
	int rc;
	if (bearer != NULL) {
		int64_t retry;
		rc = api_failures_within(req, "token", false, &retry, &inner);
		if (rc < 0)
			return error_forward(err, &inner);
		if (rc == 0)
			return 0;
		rc = auth_token_find(&req->ctx, bearer, req->peer, &req->token,
			&inner);
		struct error uncounted;
		if (rc < 0 && inner.code == ERROR_NOT_FOUND)
			api_failures_within(req, "token", true, &retry,
				&uncounted);
	} else if (http_call_cookie(req->call, api_cookie_name(req)) ==
		   NULL) {
		/* A secure-portal reader, on the reader routes only. */
		rc = api_secure_reader_find(req, &inner);
	} else {
		rc = auth_session_find(&req->ctx, http_call_cookie(req->call,
			api_cookie_name(req)), !is_state_changing(req->method),
			&req->session, &inner);
	}
	if (rc == 0)
		return 1;
	if (inner.code == ERROR_NOT_FOUND)
		return 0;
	error_forward(err, &inner);
	return -1;
}

int
api_signed_in(void *api, struct http_call *call, struct error *err)
{
	struct api_request *req = xcalloc(1, sizeof(*req));
	req->api = api;
	req->call = call;
	/* Whether a session this node remembers will do (auth_session_find). */
	req->method = http_call_method(call);
	http_call_peer(call, req->peer, sizeof(req->peer));
	int rc = 0;
	const char *path = http_call_path(call);
	req->path = strncmp(path, API_PREFIX, strlen(API_PREFIX)) == 0 ?
		path + strlen(API_PREFIX) : "";
	if (bearer_token(req) != NULL ||
	    http_call_cookie(call, api_cookie_name(req)) != NULL ||
	    api_secure_reader_cookie(req)) {
		const struct instance *inst = req->api->inst;
		struct store *st = instance_store_borrow_request(inst, err);
		if (st == NULL) {
			log_warn("api.store_unreachable", "reason=\"%s\"",
				err->msg);
			free(req);
			return error_set(err, ERROR_TEMPORARY, "The service "
				"cannot reach its store just now; try again "
				"later");
		}
		req->arena = arena_new_wiping(API_ARENA_CAP);
		instance_dir_ctx(inst, st, req->arena, "anonymous",
			clock_now(), &req->ctx);
		req->ctx.client = req->peer;
		rc = credentials_ok(req, err);
		instance_store_return(inst, &st);
		arena_free(&req->arena);
	}
	sodium_memzero(req, sizeof(*req));
	free(req);
	return rc;
}

struct api *
api_new(const struct instance *inst)
{
	struct api *api = xcalloc(1, sizeof(*api));
	api->inst = inst;
	api->sms = auth_sms_new(inst->config, inst->dir);
	api->limits = auth_limits_new(API_RATELIMIT_SLOTS);
	return api;
}

void
api_set_writer(struct api *api, struct store_writer *writer)
{
	api->writer = writer;
}

void
api_free(struct api **api)
{
	if (*api == NULL)
		return;
	auth_sms_free(&(*api)->sms);
	auth_limits_free(&(*api)->limits);
	free(*api);
	*api = NULL;
}
