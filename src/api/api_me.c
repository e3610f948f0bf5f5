/*
 * /api/v1/me: the signed-in person with their roles, changing their own
 * password, and setting up TOTP (SPEC P1, P11). Layer: front end.
 * SECURITY: MFA can be set up but never switched off here; secrets are
 * returned once, to the person, and never logged.
 */
#include "api/api_internal.h"
#include "core/arena.h"

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
		"status", p->status);
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

void
api_me_get(struct api_request *req)
{
	struct store_person p;
	struct error err;
	const struct auth_web_session *s = &req->session;
	if (dir_person_get(&req->ctx, s->person.address, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = api_json_person(req, &p);
	json_object_set_new(j, "roles", api_json_roles(req, p.id));
	json_object_set_new(j, "mfa_enrolled", json_boolean(s->mfa_enrolled));
	json_object_set_new(j, "must_change_password",
		json_boolean(s->must_change_password));
	api_self_me_extra(req, j);
	api_reply(req, 200, j);
}

struct password_body {
	const char *current;
	const char *new_password;
};

static const struct api_field password_fields[] = {
	{ "current", API_FIELD_STRING, true,
	  offsetof(struct password_body, current), AUTH_PASSWORD_MAX },
	{ "new", API_FIELD_STRING, true,
	  offsetof(struct password_body, new_password), AUTH_PASSWORD_MAX },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

void
api_me_password_post(struct api_request *req)
{
	struct password_body in;
	struct error err;
	if (api_json_decode(req->body, password_fields, &in, req->arena,
		    &err) < 0 ||
	    auth_password_change_own(&req->ctx, &req->session.person,
		    in.current, in.new_password, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:b}", "password_changed", 1));
}

static const struct api_field no_fields[] = {
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

void
api_me_mfa_post(struct api_request *req)
{
	char unused;
	const char *secret, *uri;
	struct error err;
	if (api_json_decode(req->body, no_fields, &unused, req->arena,
		    &err) < 0 ||
	    auth_mfa_begin(&req->ctx, &req->session.person, &secret, &uri,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 201, json_pack("{s:s,s:s}", "secret", secret, "uri",
		uri));
}

struct verify_body {
	const char *code;
};

static const struct api_field verify_fields[] = {
	{ "code", API_FIELD_STRING, true, offsetof(struct verify_body, code),
	  16 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

void
api_me_mfa_verify_post(struct api_request *req)
{
	struct verify_body in;
	struct error err;
	if (api_json_decode(req->body, verify_fields, &in, req->arena,
		    &err) < 0 ||
	    auth_mfa_confirm(&req->ctx, &req->session.person, in.code,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:b}", "mfa_enrolled", 1));
}
