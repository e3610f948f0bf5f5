/*
 * /api/v1/secure/...: the secure message portal's reader side — a link
 * looked at, a one-time code asked for, sign-in (code or password), the
 * session, the reader's password, their messages, one message, an
 * attachment, a reply (docs/secure-portal.md). Layer: front end; the
 * rules are mail_portal.h's. RFC 6265 (cookies), RFC 6266 and 5987
 * (download names), RFC 9110.
 * SECURITY: readers are not people of the directory. These routes are
 * public in the router and take only the reader cookie caremail_secure
 * (HttpOnly, SameSite=Strict, Secure under TLS), never the staff one;
 * the staff routes never take it. State changes after sign-in need the
 * session's X-CSRF-Token (constant-time compare). No token, code or
 * content is logged. Unknown links count against the IP's failure limit.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/spool.h"
#include "http/http.h"
#include "instance/instance.h"
#include "mail/mail_portal.h"

#define READER_COOKIE "caremail_secure"
#define BROWSER_COOKIE "caremail_secure_browser"

/* ---- cookies, the reader's session, errors ---- */

static void
set_cookie(struct api_request *req, const char *name, const char *value)
{
	char cookie[256];
	bool tls = http_call_is_tls(req->call);
	int n = snprintf(cookie, sizeof(cookie),
		"%s=%s; Path=/; HttpOnly;%s SameSite=Strict%s", name, value,
		tls ? " Secure;" : "", value[0] == '\0' ? "; Max-Age=0" : "");
	if (n < 0 || (size_t)n >= sizeof(cookie))
		abort();	/* tokens have a fixed length */
	http_call_add_header(req->call, "Set-Cookie", cookie);
	sodium_memzero(cookie, sizeof(cookie));
}

/* 204 No Content: an empty body, whatever the status's JSON would be. */
static void
no_content(struct api_request *req)
{
	struct error err;
	struct spool *sp = spool_new(req->api->inst->spool_dir, 16, 16);
	if (http_call_reply_spool(req->call, 204, "text/plain", sp,
		    &err) < 0)
		api_reply_from_error(req, &err);
}

/*
 * A portal refusal as the contract has it: 410 for a withdrawn or expired
 * message, 429 past the code limit, the table's status otherwise.
 */
static void
reply_portal_error(struct api_request *req, const struct error *err)
{
	if (err->code == ERROR_DENIED &&
	    (strcmp(err->field, MAIL_PORTAL_REVOKED) == 0 ||
		strcmp(err->field, MAIL_PORTAL_EXPIRED) == 0)) {
		api_reply_error(req, 410, err->field, err->msg, NULL);
		return;
	}
	if (err->code == ERROR_LIMIT && err->field[0] == '\0') {
		char seconds[24];
		snprintf(seconds, sizeof(seconds), "%d",
			MAIL_PORTAL_CODE_WINDOW_S);
		http_call_add_header(req->call, "Retry-After", seconds);
		api_reply_error(req, 429, "rate_limited", err->msg, NULL);
		return;
	}
	api_reply_from_error(req, err);
}

static bool
csrf_ok(struct api_request *req, const struct mail_portal_session *s)
{
	const char *sent = http_call_header(req->call, "X-CSRF-Token");
	size_t n = strlen(s->csrf_token);
	return sent != NULL && n > 0 && strlen(sent) == n &&
		sodium_memcmp(sent, s->csrf_token, n) == 0;
}

/*
 * The reader's session from the reader cookie alone; else 401 (or 403
 * without the CSRF token on a state change) replied and false.
 */
static bool
reader(struct api_request *req, struct mail_portal_session *s)
{
	struct error err;
	const char *token = http_call_cookie(req->call, READER_COOKIE);
	if (mail_portal_session_find(&req->ctx, token, s, &err) < 0) {
		if (err.code != ERROR_NOT_FOUND)
			api_reply_from_error(req, &err);
		else
			api_reply_error(req, 401, "unauthenticated", err.msg,
				NULL);
		return false;
	}
	req->ctx.actor = s->address;
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0 && !csrf_ok(req, s)) {
		api_reply_error(req, 403, "csrf", "This request needs the "
			"X-CSRF-Token header with the csrf_token your sign-in "
			"returned.", "X-CSRF-Token");
		return false;
	}
	return true;
}

bool
api_secure_reader_cookie(const struct api_request *req)
{
	static const char prefix[] = "/secure/";
	return req->path != NULL &&
		strncmp(req->path, prefix, sizeof(prefix) - 1) == 0 &&
		strncmp(req->path, "/secure/sent", 12) != 0 &&
		http_call_cookie(req->call, READER_COOKIE) != NULL;
}

int
api_secure_reader_find(struct api_request *req, struct error *err)
{
	struct mail_portal_session s;
	if (!api_secure_reader_cookie(req))
		return error_set(err, ERROR_NOT_FOUND, "not signed in");
	int rc = mail_portal_session_find(&req->ctx,
		http_call_cookie(req->call, READER_COOKIE), &s, err);
	sodium_memzero(&s, sizeof(s));
	return rc;
}

/* Notes a failed link look-up and replies its error. */
static void
reply_link_error(struct api_request *req, const struct error *err)
{
	if (err->code == ERROR_NOT_FOUND)
		api_link_allowed(req, "secure_link", true);
	reply_portal_error(req, err);
}

static bool
writer_ready(struct api_request *req)
{
	if (req->api->writer != NULL)
		return true;
	api_reply_error(req, 503, "temporary", "Mail cannot be sent from "
		"here just now; try again shortly.", NULL);
	return false;
}

/* ---- 1. a link ---- */

struct link_body {
	const char *link;
};

static const struct api_field link_fields[] = {
	{ "link", API_FIELD_STRING, true, offsetof(struct link_body, link),
	  128 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/*
 * Routes 1 and 2 read the same body, a link, and only from a peer that
 * has not tried too many unknown links; false once replied.
 */
static bool
link_body_read(struct api_request *req, struct link_body *in)
{
	struct error err;
	if (!api_link_allowed(req, "secure_link", false))
		return false;
	if (api_json_decode(req->body, link_fields, in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	return true;
}

static void
secure_link(struct api_request *req)
{
	struct link_body in;
	struct error err;
	if (!link_body_read(req, &in))
		return;
	struct mail_portal_link l;
	if (mail_portal_link_look(&req->ctx, in.link, &l, &err) < 0) {
		reply_link_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:s,s:s,s:o,s:o,s:b}",
		"recipient", l.recipient, "sender", l.sender,
		"sent_at", api_json_time(l.sent_at),
		"expires_at", api_json_time(l.expires_at),
		"has_password", l.has_password));
}

/* ---- 2. a code ---- */

static void
secure_codes(struct api_request *req)
{
	struct link_body in;
	struct error err;
	if (!link_body_read(req, &in))
		return;
	if (!writer_ready(req))
		return;
	/* The code is bound to this browser: its own cookie, kept if good. */
	char browser[MAIL_PORTAL_TOKEN_SIZE];
	const char *had = http_call_cookie(req->call, BROWSER_COOKIE);
	if (mail_portal_token_is_valid(had))
		str_copy(browser, sizeof(browser), had);
	else
		mail_portal_token_new(browser);
	const char *sent_to;
	if (mail_portal_code_send(req->api->writer, &req->ctx, in.link,
		    browser, &sent_to, &err) < 0) {
		sodium_memzero(browser, sizeof(browser));
		reply_link_error(req, &err);
		return;
	}
	set_cookie(req, BROWSER_COOKIE, browser);
	sodium_memzero(browser, sizeof(browser));
	api_reply(req, 202, json_pack("{s:s,s:i}", "sent_to", sent_to,
		"expires_in_s", MAIL_PORTAL_CODE_TTL_S));
}

/* ---- 3, 4. sessions ---- */

struct signin_body {
	const char *link;
	const char *code;
	const char *email;
	const char *password;
};

static const struct api_field signin_fields[] = {
	{ "link", API_FIELD_STRING, false,
	  offsetof(struct signin_body, link), 128 },
	{ "code", API_FIELD_STRING, false,
	  offsetof(struct signin_body, code), 16 },
	{ "email", API_FIELD_STRING, false,
	  offsetof(struct signin_body, email), 320 },
	{ "password", API_FIELD_STRING, false,
	  offsetof(struct signin_body, password), AUTH_PASSWORD_MAX },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static json_t *
session_json(const struct mail_portal_session *s)
{
	return json_pack("{s:s,s:s,s:o,s:b}", "address", s->address,
		"csrf_token", s->csrf_token, "expires_at",
		api_json_time(s->expires_at), "has_password", s->has_password);
}

static void
secure_session_post(struct api_request *req)
{
	struct signin_body in;
	struct error err;
	if (api_json_decode(req->body, signin_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	struct mail_portal_session s;
	int rc;
	if (in.link != NULL && in.email == NULL && in.password == NULL) {
		if (in.code == NULL) {
			api_reply_error(req, 422, "invalid", "Type the code "
				"from the email we sent you.", "code");
			return;
		}
		if (!api_link_allowed(req, "secure_link", false))
			return;
		rc = mail_portal_signin_code(&req->ctx, in.link, in.code,
			http_call_cookie(req->call, BROWSER_COOKIE), &s, &err);
		if (rc < 0) {
			reply_link_error(req, &err);
			return;
		}
	} else if (in.email != NULL && in.password != NULL &&
		   in.link == NULL && in.code == NULL) {
		if (!api_rate_ok(req, "secure_signin", req->peer,
			    "ratelimit.signin_per_ip"))
			return;
		rc = mail_portal_signin_password(&req->ctx, in.email,
			in.password, &s, &err);
		if (rc < 0) {
			if (err.code == ERROR_DENIED)
				api_reply_error(req, 401, "signin_failed",
					err.msg, NULL);
			else
				api_reply_from_error(req, &err);
			return;
		}
	} else {
		api_reply_error(req, 422, "invalid", "Send either the link "
			"and the code from your email, or your email address "
			"and password.", "");
		return;
	}
	set_cookie(req, READER_COOKIE, s.token);
	api_reply(req, 201, session_json(&s));
	sodium_memzero(&s, sizeof(s));
}

static void
secure_session_get(struct api_request *req)
{
	struct mail_portal_session s;
	if (!reader(req, &s))
		return;
	api_reply(req, 200, session_json(&s));
}

static void
secure_session_delete(struct api_request *req)
{
	struct mail_portal_session s;
	struct error err;
	if (!reader(req, &s))
		return;
	if (mail_portal_session_delete(&req->ctx, http_call_cookie(req->call,
		    READER_COOKIE), &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	set_cookie(req, READER_COOKIE, "");
	no_content(req);
}

/* ---- 5. the reader's password ---- */

struct password_body {
	const char *password;
};

static const struct api_field password_fields[] = {
	{ "password", API_FIELD_STRING, true,
	  offsetof(struct password_body, password), AUTH_PASSWORD_MAX },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
secure_password_put(struct api_request *req)
{
	struct mail_portal_session s;
	struct password_body in;
	struct error err;
	if (!reader(req, &s))
		return;
	if (api_json_decode(req->body, password_fields, &in, req->arena,
		    &err) < 0 ||
	    mail_portal_password_set(&req->ctx, s.address, in.password,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	no_content(req);
}

/* ---- 6, 7, 8. reading ---- */

/*
 * Opening a message takes room for the message several times over, more
 * than a request's arena: the handler works in one of its own, freed by
 * work_end after the reply (which copies what it sends).
 */
static struct arena *
work_begin(struct api_request *req)
{
	struct arena *request = req->ctx.arena;
	int64_t mb = config_get_int(req->ctx.config,
		"smtp.max_message_size_mb");
	req->ctx.arena = arena_new_wiping((size_t)(mb > 0 ? mb : 35) * 4 *
		1024 * 1024 + API_ARENA_CAP);
	return request;
}

static void
work_end(struct api_request *req, struct arena *request)
{
	arena_free(&req->ctx.arena);
	req->ctx.arena = request;
}

static void
secure_messages(struct api_request *req)
{
	struct mail_portal_session s;
	struct error err;
	if (!reader(req, &s))
		return;
	struct mail_portal_item *items;
	size_t n;
	if (mail_portal_messages(&req->ctx, s.address, &items, &n,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack(
			"{s:I,s:s,s:s,s:o,s:o,s:b,s:b,s:b}",
			"id", (json_int_t)items[i].id,
			"from", items[i].from, "subject", items[i].subject,
			"sent_at", api_json_time(items[i].sent_at),
			"expires_at", api_json_time(items[i].expires_at),
			"revoked", items[i].revoked, "expired",
			items[i].expired, "read", items[i].read));
	api_reply(req, 200, json_pack("{s:o}", "items", list));
}

static json_t *
strings_json(const char *const *list, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

/* A string that may not be UTF-8 (a sender wrote it): never NULL JSON. */
static json_t *
text_json(const char *s)
{
	json_t *j = json_string(s != NULL ? s : "");
	return j != NULL ? j : json_string("");
}

static void
secure_message_get(struct api_request *req)
{
	struct mail_portal_session s;
	struct error err;
	int64_t id;
	if (!reader(req, &s) || !api_param_id(req, "id", "There is no such "
		    "secure message for you.", &id))
		return;
	struct mail_portal_message m;
	struct arena *request = work_begin(req);
	if (mail_portal_message_open(&req->ctx, s.address, id, &m,
		    &err) < 0) {
		reply_portal_error(req, &err);
		work_end(req, request);
		return;
	}
	json_t *atts = json_array();
	for (size_t i = 0; i < m.attachment_count; i++)
		json_array_append_new(atts, json_pack("{s:I,s:o,s:s,s:I}",
			"index", (json_int_t)m.attachments[i].index,
			"filename", text_json(m.attachments[i].filename),
			"content_type", m.attachments[i].content_type,
			"size", (json_int_t)m.attachments[i].size));
	json_t *replies = json_array();
	for (size_t i = 0; i < m.reply_count; i++)
		json_array_append_new(replies, json_pack("{s:I,s:o,s:o}",
			"id", (json_int_t)m.replies[i].id,
			"sent_at", api_json_time(m.replies[i].sent_at),
			"text", text_json(m.replies[i].text)));
	api_reply(req, 200, json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
		"s:o}", "id", (json_int_t)m.id, "from", text_json(m.from),
		"to", strings_json(m.to, m.to_count),
		"cc", strings_json(m.cc, m.cc_count),
		"subject", text_json(m.subject),
		"sent_at", api_json_time(m.sent_at),
		"expires_at", api_json_time(m.expires_at),
		"text", text_json(m.text), "attachments", atts,
		"replies", replies));
	work_end(req, request);
}

/*
 * Content-Disposition for name (RFC 6266 §4.3): an ASCII fallback and
 * the UTF-8 name %-encoded (RFC 5987), cut to fit the header budget.
 */
static void
disposition(const char *name, char *buf, size_t size)
{
	char ascii[64], enc[256];
	size_t a = 0, e = 0;
	for (const unsigned char *p = (const unsigned char *)name;
	     *p != '\0'; p++) {
		bool attr = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' &&
			*p <= 'z') || (*p >= '0' && *p <= '9') ||
			strchr("!#$&+-.^_`|~", *p) != NULL;
		if (a + 1 < sizeof(ascii))
			ascii[a++] = *p >= 0x20 && *p < 0x7f && *p != '"' &&
				*p != '\\' ? (char)*p : '_';
		/* Stop before a character whose bytes would not all fit. */
		size_t need = attr ? 1 : 3;
		bool lead = (*p & 0xc0) != 0x80;
		if (lead && e + 12 > sizeof(enc) - 1)
			break;
		if (e + need < sizeof(enc)) {
			if (attr)
				enc[e++] = (char)*p;
			else
				e += (size_t)snprintf(enc + e,
					sizeof(enc) - e, "%%%02X", *p);
		}
	}
	ascii[a] = '\0';
	enc[e] = '\0';
	snprintf(buf, size, "attachment; filename=\"%s\"; "
		"filename*=UTF-8''%s", ascii, enc);
}

static void
secure_attachment_get(struct api_request *req)
{
	struct mail_portal_session s;
	struct error err;
	int64_t id, index;
	if (!reader(req, &s) || !api_param_id(req, "id", "There is no such "
		    "secure message for you.", &id))
		return;
	const char *ix = api_param(req, "index");
	char *end;
	long long v = strtoll(ix, &end, 10);
	if (*ix < '0' || *ix > '9' || *end != '\0' || v < 0 || v > 100000) {
		api_reply_error(req, 404, "not_found", "This message has no "
			"such attachment.", NULL);
		return;
	}
	index = v;
	struct mail_portal_attachment a;
	struct arena *request = work_begin(req);
	if (mail_portal_attachment_get(&req->ctx, s.address, id,
		    (size_t)index, &a, &err) < 0) {
		reply_portal_error(req, &err);
		work_end(req, request);
		return;
	}
	struct spool *sp = spool_new(req->api->inst->spool_dir, a.size + 16,
		a.size + 16);
	int rc = spool_append(sp, a.data, a.size, &err);
	char *name = arena_strdup(request, a.filename);
	work_end(req, request);
	if (rc < 0 || name == NULL) {
		spool_free(&sp);
		if (rc == 0)
			error_set(&err, ERROR_LIMIT, "out of request memory");
		api_reply_from_error(req, &err);
		return;
	}
	a.filename = name;
	char cd[400];
	disposition(a.filename, cd, sizeof(cd));
	http_call_add_header(req->call, "Content-Disposition", cd);
	if (http_call_reply_spool(req->call, 200, "application/octet-stream",
		    sp, &err) < 0)
		api_reply_from_error(req, &err);
}

/* ---- 9. a reply ---- */

struct reply_body {
	const char *text;
	int all;
};

static const struct api_field reply_fields[] = {
	{ "text", API_FIELD_STRING, true, offsetof(struct reply_body, text),
	  64 * 1024 },
	{ "all", API_FIELD_BOOL, false, offsetof(struct reply_body, all), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
secure_reply(struct api_request *req)
{
	struct mail_portal_session s;
	struct reply_body in;
	struct error err;
	int64_t id, reply_id;
	if (!reader(req, &s) || !api_param_id(req, "id", "There is no such "
		    "secure message for you.", &id))
		return;
	if (api_json_decode(req->body, reply_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!writer_ready(req))
		return;
	struct arena *request = work_begin(req);
	int rc = mail_portal_reply(req->api->writer, &req->ctx, s.address, id,
		in.text, in.all == 1, &reply_id, &err);
	work_end(req, request);
	if (rc < 0) {
		reply_portal_error(req, &err);
		return;
	}
	api_reply(req, 201, json_pack("{s:I}", "id", (json_int_t)reply_id));
}

const struct api_route api_routes_secure[] = {
	/* A reader's sign-in and sign-out go on in maintenance, as staff's. */
	{ "POST", "/secure/link", secure_link,
	  API_PUBLIC | API_NO_CSRF | API_IN_MAINTENANCE },
	{ "POST", "/secure/codes", secure_codes,
	  API_PUBLIC | API_NO_CSRF | API_IN_MAINTENANCE },
	{ "POST", "/secure/session", secure_session_post,
	  API_PUBLIC | API_NO_CSRF | API_IN_MAINTENANCE },
	{ "GET", "/secure/session", secure_session_get, API_PUBLIC },
	{ "DELETE", "/secure/session", secure_session_delete,
	  API_PUBLIC | API_NO_CSRF | API_IN_MAINTENANCE },
	{ "PUT", "/secure/password", secure_password_put,
	  API_PUBLIC | API_NO_CSRF },
	{ "GET", "/secure/messages", secure_messages, API_PUBLIC },
	{ "GET", "/secure/messages/{id}", secure_message_get,
	  API_PUBLIC | API_WAITS },
	{ "GET", "/secure/messages/{id}/attachments/{index}",
	  secure_attachment_get, API_PUBLIC | API_WAITS },
	{ "POST", "/secure/messages/{id}/reply", secure_reply,
	  API_PUBLIC | API_NO_CSRF },
	API_ROUTES_END,
};
