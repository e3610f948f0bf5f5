/*
 * Recovery with no session (SPEC P11): a forgotten password and
 * self-service unlock, by security answers and a code sent by SMS; and
 * reading answers as people send them (here and in PUT
 * /me/security-questions). Layer: front end.
 * SECURITY: recovery never tells whether an address has an account
 * (SECURITY.md 39) and is rate limited per client and per address
 * (item 47); answers and codes are never logged or echoed.
 */
#include <sodium.h>
#include <string.h>

#include "api/api_internal.h"
#include "auth/auth_recovery.h"
#include "core/arena.h"
#include "core/config.h"

/*
 * [{question, answer}, ...] into answers in the arena; ERROR_INVALID,
 * field "answers", for any other shape. Takes `json`.
 */
int
api_answers_parse(struct api_request *req, json_t *json,
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

/* What completing recovery and unlocking take; unlocking has no password. */
struct proof_body {
	const char *email;
	json_t *answers;
	const char *code;
	const char *new_password;
};

static const struct api_field complete_fields[] = {
	{ "email", API_FIELD_STRING, true,
	  offsetof(struct proof_body, email), 320 },
	{ "answers", API_FIELD_JSON, true,
	  offsetof(struct proof_body, answers), 0 },
	{ "code", API_FIELD_STRING, true,
	  offsetof(struct proof_body, code), 16 },
	{ "new_password", API_FIELD_STRING, true,
	  offsetof(struct proof_body, new_password), AUTH_PASSWORD_MAX },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static const struct api_field unlock_fields[] = {
	{ "email", API_FIELD_STRING, true,
	  offsetof(struct proof_body, email), 320 },
	{ "answers", API_FIELD_JSON, true,
	  offsetof(struct proof_body, answers), 0 },
	{ "code", API_FIELD_STRING, false,
	  offsetof(struct proof_body, code), 16 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/*
 * The body, within the rate limits, with its answers read; false when a
 * reply has been sent instead.
 */
static bool
proof_read(struct api_request *req, const struct api_field *fields,
	struct proof_body *in, struct auth_answer **answers_r, size_t *n_r)
{
	struct error err;
	*in = (struct proof_body){ 0 };
	if (api_json_decode(req->body, fields, in, req->arena, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (!recovery_rate_ok(req, in->email)) {
		json_decref(in->answers);
		return false;
	}
	req->ctx.actor = in->email;
	if (api_answers_parse(req, in->answers, answers_r, n_r, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	return true;
}

static void
api_recovery_complete(struct api_request *req)
{
	struct proof_body in;
	struct auth_answer *answers;
	size_t n;
	struct error err;
	if (!proof_read(req, complete_fields, &in, &answers, &n))
		return;
	if (auth_recovery_complete(&req->ctx, req->api->sms, in.email,
		    answers, n, in.code, in.new_password, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:b}", "password_changed", 1));
}

static void
api_recovery_unlock(struct api_request *req)
{
	struct proof_body in;
	struct auth_answer *answers;
	size_t n;
	struct error err;
	if (!proof_read(req, unlock_fields, &in, &answers, &n))
		return;
	if (auth_recovery_unlock(&req->ctx, in.email, answers, n, in.code,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:b}", "unlocked", 1));
}

const struct api_route api_routes_recovery[] = {
	{ "POST", "/recovery/start", api_recovery_start,
	  API_PUBLIC | API_NO_CSRF },
	{ "POST", "/recovery/complete", api_recovery_complete,
	  API_PUBLIC | API_NO_CSRF },
	{ "POST", "/recovery/unlock", api_recovery_unlock,
	  API_PUBLIC | API_NO_CSRF },
	API_ROUTES_END,
};
