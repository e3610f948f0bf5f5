/*
 * /api/v1/tokens: API tokens for application accounts (SPEC P16, seed
 * 004): made by an admin for an org in their scope, listed, revoked.
 * Layer: front end. SECURITY: the token is in the creation reply only;
 * lists show its label, scope and dates, never the secret or its hash.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth_token.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/str.h"

static json_t *
strings_json(const char *list)
{
	json_t *a = json_array();
	struct span rest = span_from_cstr(list), item;
	while (span_split(&rest, ',', &item)) {
		if (item.len > 0)
			json_array_append_new(a, json_stringn(item.p, item.len));
	}
	return a;
}

static json_t *
token_json(struct api_request *req, const struct store_api_token *t)
{
	const char *ods = dir_org_ods(&req->ctx, t->org_id);
	const char *status = t->revoked_at != 0 ? "revoked" :
		req->ctx.now >= t->expires_at ? "expired" : "active";
	json_t *j = json_pack("{s:I,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:s}",
		"id", (json_int_t)t->id, "label", t->label, "org", ods,
		"actions", strings_json(t->actions),
		"allow_from", strings_json(t->allow_from),
		"created_by", t->created_by,
		"created_at", api_json_time(t->created_at),
		"expires_at", api_json_time(t->expires_at),
		"revoked_at", api_json_time(t->revoked_at),
		"last_used_at", api_json_time(t->last_used_at),
		"status", status);
	return j != NULL ? j : json_null();
}

struct token_body {
	const char *label;
	const char *org;
	struct api_strings actions;
	const char *expires_at;
	int64_t expires_days;
	struct api_strings allow_from;
};

static const struct api_field token_fields[] = {
	{ "label", API_FIELD_STRING, true, offsetof(struct token_body, label),
	  100 },
	{ "org", API_FIELD_STRING, true, offsetof(struct token_body, org), 32 },
	{ "actions", API_FIELD_STRINGS, true,
	  offsetof(struct token_body, actions), 64 },
	{ "expires_at", API_FIELD_STRING, false,
	  offsetof(struct token_body, expires_at), 32 },
	{ "expires_days", API_FIELD_INT, false,
	  offsetof(struct token_body, expires_days), 0 },
	{ "allow_from", API_FIELD_STRINGS, false,
	  offsetof(struct token_body, allow_from), 64 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_tokens_post(struct api_request *req)
{
	struct token_body in;
	struct store_org org;
	struct error err;
	if (api_json_decode(req->body, token_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_get(&req->ctx, in.org, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_TOKEN_MANAGE, org.id))
		return;
	struct auth_token_new t = {
		.label = in.label,
		.org_ods = in.org,
		.actions = in.actions.items,
		.action_count = in.actions.count,
		.expires_days = in.expires_days,
		.allow_from = in.allow_from.items,
		.allow_count = in.allow_from.count,
	};
	if (in.expires_at != NULL &&
	    !clock_parse(span_from_cstr(in.expires_at), &t.expires_at)) {
		api_reply_error(req, 422, "invalid", "expires_at must be a "
			"date (2027-01-31) or time (2027-01-31T12:00:00Z).",
			"expires_at");
		return;
	}
	char token[AUTH_TOKEN_HEX + 1];
	struct store_api_token row;
	if (auth_token_create(&req->ctx, req->session.person.id, &t, token,
		    &row, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = token_json(req, &row);
	json_object_set_new(j, "token", json_string(token));
	sodium_memzero(token, sizeof(token));
	api_reply(req, 201, j);
}

static void
api_tokens_get(struct api_request *req)
{
	struct api_page page;
	struct store_org org = { .id = 0 };
	struct error err;
	const char *ods = api_query(req, "org");
	if (!api_page_parse(req, &page))
		return;
	if (ods != NULL) {
		if (dir_org_get(&req->ctx, ods, &org, &err) < 0) {
			api_reply_from_error(req, &err);
			return;
		}
		if (!api_allowed(req, AUTH_TOKEN_MANAGE, org.id))
			return;
	}
	struct store_api_token *rows;
	size_t n;
	if (auth_token_list(&req->ctx, org.id, page.after_id, page.limit,
		    &rows, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		struct error quiet;
		/* Without ?org=, each token shows only where its org is ours. */
		if (ods != NULL ||
		    auth_check(&req->ctx, req->session.person.id,
			    AUTH_TOKEN_MANAGE, rows[i].org_id, &quiet) == 0)
			json_array_append_new(items, token_json(req, &rows[i]));
	}
	api_reply(req, 200, api_page_json(items, &page, n,
		n > 0 ? rows[n - 1].id : 0));
}

static void
api_tokens_delete(struct api_request *req)
{
	struct store_api_token t;
	struct error err;
	int64_t id;
	if (!api_param_id(req, "id", "There is no API token with that id.",
		    &id))
		return;
	if (auth_token_get(&req->ctx, id, &t, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_TOKEN_MANAGE, t.org_id))
		return;
	if (auth_token_revoke(&req->ctx, t.id, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	t.revoked_at = req->ctx.now;
	api_reply(req, 200, token_json(req, &t));
}

/*
 * GET /token: an application reads its own token's label, scope, actions
 * and expiry, to know when to rotate it. Shows nothing beyond the token
 * presented, so it needs no action of its own.
 */
static void
api_token_self_get(struct api_request *req)
{
	if (!req->by_token) {
		api_reply_error(req, 403, "denied", "This endpoint is for API "
			"tokens; people see their own details at "
			"/api/v1/me.", NULL);
		return;
	}
	req->access_checked = true;
	api_reply(req, 200, token_json(req, &req->token));
}

const struct api_route api_routes_tokens[] = {
	{ "GET", "/token", api_token_self_get, 0 },
	{ "POST", "/tokens", api_tokens_post, 0 },
	{ "GET", "/tokens", api_tokens_get, 0 },
	{ "DELETE", "/tokens/{id}", api_tokens_delete, 0 },
	API_ROUTES_END,
};
