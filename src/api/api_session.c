/*
 * /api/v1/session: sign in (POST), the current session (GET), sign out
 * (DELETE). Layer: front end. RFC 6265 §4.1 (Set-Cookie), SPEC P1.
 * SECURITY: the cookie is HttpOnly and SameSite=Strict, and Secure with the
 * __Host- prefix over TLS (SECURITY.md 41); the token is never logged or
 * put in a body; signing out deletes the session on the server.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api_internal.h"
#include "core/config.h"
#include "http/http.h"

struct signin_body {
	const char *email;
	const char *password;
	const char *code;
};

static const struct api_field signin_fields[] = {
	{ "email", API_FIELD_STRING, true,
	  offsetof(struct signin_body, email), 320 },
	{ "password", API_FIELD_STRING, true,
	  offsetof(struct signin_body, password), AUTH_PASSWORD_MAX },
	{ "code", API_FIELD_STRING, false,
	  offsetof(struct signin_body, code), 16 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
set_cookie(struct api_request *req, const char *token)
{
	char cookie[256];
	bool tls = http_call_is_tls(req->call);
	int n = snprintf(cookie, sizeof(cookie),
		"%s=%s; Path=/; HttpOnly;%s SameSite=Strict%s",
		api_cookie_name(req), token, tls ? " Secure;" : "",
		token[0] == '\0' ? "; Max-Age=0" : "");
	if (n < 0 || (size_t)n >= sizeof(cookie))
		abort();	/* the token has a fixed length */
	http_call_add_header(req->call, "Set-Cookie", cookie);
	sodium_memzero(cookie, sizeof(cookie));
}

static json_t *
session_json(struct api_request *req, const struct auth_web_session *s)
{
	int64_t idle = config_get_int(req->ctx.config,
		"session.idle_timeout_s");
	int64_t absolute = config_get_int(req->ctx.config,
		"session.absolute_timeout_s");
	int64_t idle_end = s->last_seen_at + idle;
	int64_t hard_end = s->created_at + absolute;
	return json_pack("{s:s,s:o,s:b,s:b,s:b,s:o,s:o,s:o}",
		"csrf_token", s->csrf_token,
		"person", api_json_person(req, &s->person),
		"mfa_required", s->mfa_enrolled || s->is_admin,
		"mfa_setup_required", s->is_admin && !s->mfa_enrolled,
		"must_change_password", s->must_change_password,
		"created_at", api_json_time(s->created_at),
		"last_seen_at", api_json_time(s->last_seen_at),
		"expires_at", api_json_time(idle_end < hard_end ? idle_end :
			hard_end));
}

void
api_session_post(struct api_request *req)
{
	struct signin_body in;
	struct error err;
	if (!api_rate_ok(req, "signin", req->peer, "ratelimit.signin_per_ip"))
		return;
	if (api_json_decode(req->body, signin_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	const char *agent = http_call_header(req->call, "User-Agent");
	struct auth_web_signin signin = {
		.address = in.email,
		.password = in.password,
		.code = in.code,
		.peer = req->peer,
		.user_agent = agent != NULL ? agent : "",
	};
	req->ctx.actor = in.email;
	struct auth_web_session s;
	if (auth_session_signin(&req->ctx, &signin, &s, &err) < 0) {
		if (err.code != ERROR_DENIED) {
			api_reply_from_error(req, &err);
			return;
		}
		/* A failed sign-in is "not authenticated", not "forbidden". */
		api_reply_error(req, 401, "signin_failed", err.msg,
			err.field);
		json_object_set_new(http_call_reply_body(req->call),
			"mfa_required", json_boolean(s.mfa_required));
		sodium_memzero(&s, sizeof(s));
		return;
	}
	set_cookie(req, s.token);
	api_reply(req, 201, session_json(req, &s));
	sodium_memzero(&s, sizeof(s));
}

void
api_session_get(struct api_request *req)
{
	api_reply(req, 200, session_json(req, &req->session));
}

void
api_session_delete(struct api_request *req)
{
	struct error err;
	if (auth_session_end(&req->ctx, req->session.id, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	set_cookie(req, "");
	api_reply(req, 200, json_pack("{s:b}", "signed_out", 1));
}

const struct api_route api_routes_session[] = {
	{ "GET", "/openapi.json", api_openapi_get, API_PUBLIC },
	{ "POST", "/session", api_session_post,
	  API_PUBLIC | API_NO_CSRF | API_ANY_PASSWORD | API_BEFORE_MFA |
	  API_IN_MAINTENANCE },
	{ "GET", "/session", api_session_get,
	  API_ANY_PASSWORD | API_BEFORE_MFA },
	{ "DELETE", "/session", api_session_delete,
	  API_ANY_PASSWORD | API_BEFORE_MFA | API_IN_MAINTENANCE },
	API_ROUTES_END,
};
