/*
 * /api/v1/me: the signed-in person's own account (SPEC P1, P11): who they
 * are with their roles, their profile (mobile number and whether the
 * directory shows it), their password, TOTP, security questions and
 * accepting the Acceptable Use Policy. Layer: front end.
 * SECURITY: MFA can be set up but never switched off here; secrets are
 * returned once, to the person, and never logged; answers never echoed.
 */
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth_recovery.h"
#include "auth/auth_sms.h"
#include "core/arena.h"
#include "core/config.h"

#define MOBILE_MAX 40

/* What self-service keeps (AUP, chosen questions), for GET /me. */
static void
me_extra(struct api_request *req, json_t *me)
{
	struct error err;
	int64_t at = 0;
	const char *version = "";
	const char **questions = NULL;
	size_t n = 0;
	json_t *list = json_array();
	if (auth_aup_get(&req->ctx, req->session.person.id, &at, &version,
		    &err) == 0 &&
	    auth_security_questions_get(&req->ctx, req->session.person.id,
		    &questions, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, json_string(questions[i]));
	}
	const char *current = config_get_str(req->ctx.config,
		"auth.aup_version");
	json_object_set_new(me, "aup", json_pack("{s:o,s:s,s:s,s:b}",
		"accepted_at", api_json_time(at), "accepted_version", version,
		"current_version", current, "current_accepted",
		at != 0 && strcmp(version, current) == 0));
	json_object_set_new(me, "security_questions", list);
	/* The shared mailboxes theirs to keep (SPEC L5), admin or not. */
	struct store_mailbox *owned = NULL;
	size_t count = 0;
	json_t *boxes = json_array();
	if (dir_mailbox_owned(&req->ctx, req->session.person.id, &owned,
		    &count, &err) == 0) {
		for (size_t i = 0; i < count; i++)
			json_array_append_new(boxes, json_pack("{s:s, s:s}",
				"address", owned[i].address, "display_name",
				owned[i].display_name));
	}
	json_object_set_new(me, "shared_mailboxes_owned", boxes);
}

/*
 * What the person may do somewhere, for the pages to offer
 * (auth_person_may): the actions their roles allow, the roles they may
 * give, the actions they may give an API token.
 */
static void
me_may(struct api_request *req, json_t *me)
{
	struct auth_may may;
	struct error err;
	json_t *actions = json_array(), *roles = json_array(),
	       *token = json_array();
	if (auth_person_may(&req->ctx, req->session.person.id, &may,
		    &err) == 0) {
		for (int a = 0; a < AUTH_ACTION_COUNT; a++) {
			const char *name = auth_action_name((enum auth_action)a);
			if (may.actions[a])
				json_array_append_new(actions,
					json_string(name));
			if (may.token[a])
				json_array_append_new(token, json_string(name));
		}
		for (int r = 0; r < AUTH_ROLE_COUNT; r++)
			if (may.roles[r])
				json_array_append_new(roles, json_string(
					auth_role_name((enum auth_role)r)));
	}
	json_object_set_new(me, "actions", actions);
	json_object_set_new(me, "grantable_roles", roles);
	json_object_set_new(me, "token_actions", token);
}

/* ---- PATCH /me ---- */

struct profile_body {
	const char *mobile;
	int mobile_hidden;
};

static const struct api_field profile_fields[] = {
	{ "mobile", API_FIELD_STRING, false,
	  offsetof(struct profile_body, mobile), MOBILE_MAX },
	{ "mobile_hidden", API_FIELD_BOOL, false,
	  offsetof(struct profile_body, mobile_hidden), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_me_patch(struct api_request *req)
{
	struct profile_body in;
	struct error err;
	struct store_person p;
	if (api_json_decode(req->body, profile_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	struct dir_person_fields changes = {
		.mobile = in.mobile,
		.mobile_hidden = in.mobile_hidden,
	};
	if (auth_person_edit(&req->ctx, req->api->sms, &req->session.person,
		    &changes, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, api_json_person(req, &p));
}

/* ---- the security questions to choose from ---- */

static void
api_me_questions_choices(struct api_request *req)
{
	const char **list;
	size_t n;
	struct error err;
	if (auth_questions_choices(&req->ctx, &list, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, json_string(list[i]));
	api_reply(req, 200, json_pack("{s:o,s:i}", "questions", items,
		"choose", STORE_SECURITY_ANSWERS));
}

/* ---- GET /me, password and MFA ---- */

static void
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
	me_extra(req, j);
	me_may(req, j);
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

static void
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

static void
api_me_mfa_post(struct api_request *req)
{
	const char *secret, *uri;
	struct error err;
	if (!api_no_body(req))
		return;
	if (auth_mfa_begin(&req->ctx, &req->session.person, &secret, &uri,
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

static void
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

/* ---- PUT /me/security-questions ---- */

struct questions_body {
	const char *current;
	json_t *answers;
};

static const struct api_field questions_fields[] = {
	{ "current", API_FIELD_STRING, true,
	  offsetof(struct questions_body, current), AUTH_PASSWORD_MAX },
	{ "answers", API_FIELD_JSON, true,
	  offsetof(struct questions_body, answers), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_me_questions_put(struct api_request *req)
{
	struct questions_body in;
	struct auth_answer *answers;
	size_t n;
	struct error err;
	if (api_json_decode(req->body, questions_fields, &in, req->arena,
		    &err) < 0 ||
	    api_answers_parse(req, in.answers, &answers, &n, &err) < 0 ||
	    auth_security_answers_set(&req->ctx, &req->session.person,
		    in.current, answers, n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	auth_sms_notify(req->api->sms, req->session.person.mobile,
		req->session.person.address, "The security questions on your "
		"caremail account were just changed. If this was not you, "
		"call your local IT helpdesk now.");
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(answers[i].question));
	api_reply(req, 200, json_pack("{s:o}", "security_questions", list));
}

/* ---- POST /me/aup ---- */

struct aup_body {
	int accepted;
};

static const struct api_field aup_fields[] = {
	{ "accepted", API_FIELD_BOOL, true,
	  offsetof(struct aup_body, accepted), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_me_aup_post(struct api_request *req)
{
	struct aup_body in;
	struct error err;
	if (api_json_decode(req->body, aup_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (in.accepted != 1) {
		api_reply_error(req, 422, "invalid", "To accept the Acceptable "
			"Use Policy send {\"accepted\": true}; it cannot be "
			"declined here.", "accepted");
		return;
	}
	if (auth_aup_accept(&req->ctx, &req->session.person, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *me = json_object();
	me_extra(req, me);
	api_reply(req, 200, json_incref(json_object_get(me, "aup")));
	json_decref(me);
}

const struct api_route api_routes_me[] = {
	{ "GET", "/me", api_me_get, 0 },
	{ "PATCH", "/me", api_me_patch, 0 },
	{ "POST", "/me/password", api_me_password_post,
	  API_ANY_PASSWORD | API_BEFORE_MFA },
	{ "POST", "/me/mfa", api_me_mfa_post, API_BEFORE_MFA },
	{ "POST", "/me/mfa/verify", api_me_mfa_verify_post, API_BEFORE_MFA },
	{ "GET", "/me/security-questions/choices", api_me_questions_choices,
	  API_ANY_PASSWORD | API_BEFORE_MFA },
	{ "PUT", "/me/security-questions", api_me_questions_put, 0 },
	{ "POST", "/me/aup", api_me_aup_post,
	  API_ANY_PASSWORD | API_BEFORE_MFA },
	API_ROUTES_END,
};
