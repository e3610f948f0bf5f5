/*
 * Self-service (SPEC P11): a person's own profile (mobile number and
 * whether the directory shows it), security questions, accepting the
 * Acceptable Use Policy; and, with no session, recovery of a forgotten
 * password and self-service unlock. Layer: front end.
 * SECURITY: recovery never tells whether an address has an account
 * (SECURITY.md 39) and is rate limited per client and per address
 * (item 47); answers and codes are never logged or echoed.
 */
#include <sodium.h>
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth_self.h"
#include "core/arena.h"
#include "core/config.h"

#define MOBILE_MAX 40

/* ---- GET /me additions ---- */

void
api_self_me_extra(struct api_request *req, json_t *me)
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
	if (auth_person_edit(&req->ctx, req->api->sms,
		    req->session.person.address, &changes, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, api_json_person(req, &p));
}

/* ---- security questions ---- */

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

/*
 * [{question, answer}, ...] into answers in the arena; ERROR_INVALID,
 * field "answers", for any other shape. Takes `json`.
 */
static int
answers_parse(struct api_request *req, json_t *json,
	struct auth_answer **answers_r, size_t *count_r, struct error *err)
{
	size_t n = json_array_size(json);
	int rc = 0;
	struct auth_answer *out = arena_alloc(req->arena,
		(n + 1) * sizeof(*out));
	if (!json_is_array(json) || n > STORE_SECURITY_ANSWERS * 2 ||
	    out == NULL)
		rc = error_set_field(err, ERROR_INVALID, "answers", "answers "
			"must be an array of three {question, answer} objects");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *o = json_array_get(json, i);
		json_t *q = json_object_get(o, "question");
		json_t *a = json_object_get(o, "answer");
		if (!json_is_object(o) || json_object_size(o) != 2 ||
		    !json_is_string(q) || !json_is_string(a) ||
		    json_string_length(a) > AUTH_ANSWER_MAX ||
		    json_string_length(q) > 256) {
			rc = error_set_field(err, ERROR_INVALID, "answers",
				"each answer must be {\"question\": text, "
				"\"answer\": text of at most %d characters}",
				AUTH_ANSWER_MAX);
			break;
		}
		out[i].question = arena_strdup(req->arena, json_string_value(q));
		out[i].answer = arena_strdup(req->arena, json_string_value(a));
		if (out[i].question == NULL || out[i].answer == NULL)
			rc = error_set(err, ERROR_LIMIT,
				"the request is too large to handle");
	}
	json_decref(json);
	*answers_r = out;
	*count_r = n;
	return rc;
}

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
	    answers_parse(req, in.answers, &answers, &n, &err) < 0 ||
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
	api_self_me_extra(req, me);
	api_reply(req, 200, json_incref(json_object_get(me, "aup")));
	json_decref(me);
}

/* ---- recovery, with no session ---- */

/* Per client and per account address (SECURITY.md 47). */
static bool
recovery_rate_ok(struct api_request *req, const char *email)
{
	char lower[330];
	size_t i = 0;
	for (; email[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (email[i] >= 'A' && email[i] <= 'Z') ?
			(char)(email[i] + 32) : email[i];
	lower[i] = '\0';
	return api_rate_ok(req, "recovery_ip", req->peer,
		       "ratelimit.recovery_per_ip") &&
		api_rate_ok(req, "recovery_address", lower,
			"ratelimit.recovery_per_address");
}

struct start_body {
	const char *email;
};

static const struct api_field start_fields[] = {
	{ "email", API_FIELD_STRING, true, offsetof(struct start_body, email),
	  320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_recovery_start(struct api_request *req)
{
	struct start_body in;
	struct error err;
	const char **questions;
	if (api_json_decode(req->body, start_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!recovery_rate_ok(req, in.email))
		return;
	req->ctx.actor = in.email;
	if (auth_recovery_start(&req->ctx, req->api->sms, in.email,
		    &questions, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < STORE_SECURITY_ANSWERS; i++)
		json_array_append_new(list, json_string(questions[i]));
	api_reply(req, 202, json_pack("{s:s,s:o}", "message",
		"If this address has an account with a registered mobile, a "
		"code has been sent to it by SMS. Answer these questions and "
		"send the code to /api/v1/recovery/complete (new password) or "
		"/api/v1/recovery/unlock.", "questions", list));
}

struct complete_body {
	const char *email;
	json_t *answers;
	const char *code;
	const char *new_password;
};

static const struct api_field complete_fields[] = {
	{ "email", API_FIELD_STRING, true,
	  offsetof(struct complete_body, email), 320 },
	{ "answers", API_FIELD_JSON, true,
	  offsetof(struct complete_body, answers), 0 },
	{ "code", API_FIELD_STRING, true,
	  offsetof(struct complete_body, code), 16 },
	{ "new_password", API_FIELD_STRING, true,
	  offsetof(struct complete_body, new_password), AUTH_PASSWORD_MAX },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_recovery_complete(struct api_request *req)
{
	struct complete_body in;
	struct auth_answer *answers;
	size_t n;
	struct error err;
	if (api_json_decode(req->body, complete_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!recovery_rate_ok(req, in.email)) {
		json_decref(in.answers);
		return;
	}
	req->ctx.actor = in.email;
	if (answers_parse(req, in.answers, &answers, &n, &err) < 0 ||
	    auth_recovery_complete(&req->ctx, req->api->sms, in.email,
		    answers, n, in.code, in.new_password, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:b}", "password_changed", 1));
}

struct unlock_body {
	const char *email;
	json_t *answers;
	const char *code;
};

static const struct api_field unlock_fields[] = {
	{ "email", API_FIELD_STRING, true,
	  offsetof(struct unlock_body, email), 320 },
	{ "answers", API_FIELD_JSON, true,
	  offsetof(struct unlock_body, answers), 0 },
	{ "code", API_FIELD_STRING, false,
	  offsetof(struct unlock_body, code), 16 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_recovery_unlock(struct api_request *req)
{
	struct unlock_body in;
	struct auth_answer *answers;
	size_t n;
	struct error err;
	if (api_json_decode(req->body, unlock_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!recovery_rate_ok(req, in.email)) {
		json_decref(in.answers);
		return;
	}
	req->ctx.actor = in.email;
	if (answers_parse(req, in.answers, &answers, &n, &err) < 0 ||
	    auth_recovery_unlock(&req->ctx, in.email, answers, n, in.code,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:b}", "unlocked", 1));
}

const struct api_route api_routes_self[] = {
	{ "PATCH", "/me", api_me_patch, 0 },
	{ "GET", "/me/security-questions/choices", api_me_questions_choices,
	  API_ANY_PASSWORD | API_BEFORE_MFA },
	{ "PUT", "/me/security-questions", api_me_questions_put, 0 },
	{ "POST", "/me/aup", api_me_aup_post,
	  API_ANY_PASSWORD | API_BEFORE_MFA },
	{ "POST", "/recovery/start", api_recovery_start,
	  API_PUBLIC | API_NO_CSRF },
	{ "POST", "/recovery/complete", api_recovery_complete,
	  API_PUBLIC | API_NO_CSRF },
	{ "POST", "/recovery/unlock", api_recovery_unlock,
	  API_PUBLIC | API_NO_CSRF },
	API_ROUTES_END,
};
