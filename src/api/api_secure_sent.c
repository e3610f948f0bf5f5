/*
 * /api/v1/secure/sent...: the sender's side of the secure message portal
 * — a signed-in person's own sealed messages, who read them, the access
 * log, and withdrawing a recipient's access. Layer: front end; the rules
 * are mail_portal.h's. RFC 9110.
 * SECURITY: the staff session only (never the reader cookie, never an
 * API token: these are a person's own messages); another person's
 * message is a 404, never a 403, so its existence is not revealed.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "mail/mail_portal.h"

/* A person signed in, not an application's token; else 403 replied. */
static bool
person(struct api_request *req)
{
	if (req->signed_in && !req->by_token)
		return true;
	api_reply_error(req, 403, "denied", "Only the person who sent a "
		"secure message can see it here; sign in to the portal.",
		NULL);
	return false;
}

static json_t *
sent_json(const struct mail_portal_sent *m)
{
	json_t *rs = json_array();
	for (size_t i = 0; i < m->recipient_count; i++)
		json_array_append_new(rs, json_pack("{s:s,s:o,s:o}",
			"address", m->recipients[i].address,
			"revoked_at", api_json_time(m->recipients[i].revoked_at),
			"first_read_at",
			api_json_time(m->recipients[i].first_read_at)));
	json_t *subject = json_string(m->subject);
	return json_pack("{s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)m->id,
		"subject", subject != NULL ? subject : json_string(""),
		"sent_at", api_json_time(m->sent_at),
		"expires_at", api_json_time(m->expires_at),
		"recipients", rs);
}

static void
secure_sent_list(struct api_request *req)
{
	struct error err;
	if (!person(req))
		return;
	struct mail_portal_sent *list;
	size_t n;
	if (mail_portal_sent_list(&req->ctx, req->session.person.address,
		    &list, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, sent_json(&list[i]));
	api_reply(req, 200, json_pack("{s:o}", "items", items));
}

static void
secure_sent_get(struct api_request *req)
{
	struct error err;
	int64_t id;
	if (!person(req) || !api_param_id(req, "id", "You sent no such secure "
		    "message.", &id))
		return;
	struct mail_portal_sent m;
	struct store_secure_access *access;
	size_t n;
	if (mail_portal_sent_get(&req->ctx, req->session.person.address, id,
		    &m, &access, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *log = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(log, json_pack("{s:o,s:s,s:s,s:s,s:b}",
			"at", api_json_time(access[i].at),
			"address", access[i].address, "peer", access[i].peer,
			"event", access[i].event, "ok", access[i].ok));
	json_t *body = sent_json(&m);
	json_object_set_new(body, "access", log);
	api_reply(req, 200, body);
}

struct revoke_body {
	const char *recipient;
	int all;
};

static const struct api_field revoke_fields[] = {
	{ "recipient", API_FIELD_STRING, false,
	  offsetof(struct revoke_body, recipient), 320 },
	{ "all", API_FIELD_BOOL, false, offsetof(struct revoke_body, all), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
secure_sent_revoke(struct api_request *req)
{
	struct revoke_body in;
	struct error err;
	int64_t id;
	if (!person(req) || !api_param_id(req, "id", "You sent no such secure "
		    "message.", &id))
		return;
	if (api_json_decode(req->body, revoke_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if ((in.recipient == NULL) == (in.all != 1)) {
		api_reply_error(req, 422, "invalid", "Say whose access to "
			"withdraw: {\"recipient\": address} or {\"all\": "
			"true}.", "recipient");
		return;
	}
	struct mail_portal_sent m;
	if (mail_portal_revoke(&req->ctx, req->session.person.address, id,
		    in.recipient, &m, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, sent_json(&m));
}

const struct api_route api_routes_secure_sent[] = {
	{ "GET", "/secure/sent", secure_sent_list, 0 },
	{ "GET", "/secure/sent/{id}", secure_sent_get, 0 },
	{ "POST", "/secure/sent/{id}/revoke", secure_sent_revoke, 0 },
	API_ROUTES_END,
};
