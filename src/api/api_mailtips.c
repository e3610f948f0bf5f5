/*
 * /api/v1/mailtips: what a person should know about recipients before
 * sending (SPEC M13), answered by mail_tips from the rules mail is
 * delivered by. Layer: front end. Open to every signed-in person, like
 * People Finder, and counted against the same rate limit, so it is no
 * faster a way to list the directory (SECURITY.md 47).
 */
#include "api/api_internal.h"
#include "core/arena.h"
#include "mail/mail_tips.h"

struct tips_body {
	struct api_strings recipients;
	int64_t size;
};

static const struct api_field tips_fields[] = {
	{ "recipients", API_FIELD_STRINGS, true,
	  offsetof(struct tips_body, recipients), 320 },
	{ "size", API_FIELD_INT, false, offsetof(struct tips_body, size), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_mailtips(struct api_request *req)
{
	struct tips_body in;
	struct error err;
	if (api_json_decode(req->body, tips_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (in.recipients.count == 0) {
		api_reply_error(req, 422, "invalid", "Name at least one "
			"recipient.", "recipients");
		return;
	}
	if (in.size < 0) {
		api_reply_error(req, 422, "invalid", "The size is the "
			"message's size in bytes, 0 or more.", "size");
		return;
	}
	if (!api_rate_ok(req, "search", req->session.person.address,
		    "ratelimit.search_per_person"))
		return;
	struct mail_tip *tips = arena_alloc(req->arena,
		in.recipients.count * sizeof(*tips));
	if (tips == NULL) {
		error_set(&err, ERROR_LIMIT, "out of request memory");
		api_reply_from_error(req, &err);
		return;
	}
	if (mail_tips(&req->ctx, in.recipients.items, in.recipients.count,
		    in.size, tips, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < in.recipients.count; i++)
		json_array_append_new(items, mail_tip_json(&tips[i]));
	api_reply(req, 200, json_pack("{s:o}", "items", items));
}

const struct api_route api_routes_mailtips[] = {
	{ "POST", "/mailtips", api_mailtips, 0 },
	API_ROUTES_END,
};
