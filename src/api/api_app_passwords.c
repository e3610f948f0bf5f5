/*
 * /api/v1/me/app-passwords: a person's app passwords for mail programs
 * (SECURITY.md 43) — list (no secrets), make one (the secret shown this
 * once), revoke one. Layer: front end.
 * SECURITY: only for people signed in (never a token: /me is person-only)
 * who have completed MFA (auth refuses otherwise); the secret is never
 * logged and is wiped once the reply is built.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

#include "api/api_internal.h"

static json_t *
app_password_json(const struct store_app_password *a)
{
	return json_pack("{s:I,s:s,s:o,s:o,s:o}", "id", (json_int_t)a->id,
		"label", a->label, "created_at", api_json_time(a->created_at),
		"last_used_at", api_json_time(a->last_used_at),
		"last_used_protocol", a->last_used_protocol[0] != '\0' ?
			json_string(a->last_used_protocol) : json_null());
}

static void
api_app_passwords_get(struct api_request *req)
{
	struct store_app_password *list;
	size_t n;
	struct error err;
	if (auth_app_password_list(&req->ctx, req->session.person.address,
		    &list, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, app_password_json(&list[i]));
	api_reply(req, 200, json_pack("{s:o}", "app_passwords", items));
}

struct create_body {
	const char *label;
};

static const struct api_field create_fields[] = {
	{ "label", API_FIELD_STRING, true, offsetof(struct create_body, label),
	  AUTH_APP_LABEL_MAX },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_app_passwords_post(struct api_request *req)
{
	struct create_body in;
	struct store_app_password a;
	char secret[AUTH_APP_PASSWORD_LEN + 1];
	struct error err;
	if (api_json_decode(req->body, create_fields, &in, req->arena,
		    &err) < 0 ||
	    auth_app_password_create(&req->ctx, &req->session.person,
		    in.label, &a, secret, sizeof(secret), &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = app_password_json(&a);
	json_object_set_new(j, "password", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	api_reply(req, 201, j);
}

static void
api_app_passwords_delete(struct api_request *req)
{
	int64_t id;
	struct error err;
	if (!api_param_id(req, "id", "You have no app password with that id.",
		    &id))
		return;
	if (auth_app_password_revoke(&req->ctx, req->session.person.address,
		    id, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id,
		"revoked", 1));
}

const struct api_route api_routes_app_passwords[] = {
	{ "GET", "/me/app-passwords", api_app_passwords_get, 0 },
	{ "POST", "/me/app-passwords", api_app_passwords_post, 0 },
	{ "DELETE", "/me/app-passwords/{id}", api_app_passwords_delete, 0 },
	API_ROUTES_END,
};
