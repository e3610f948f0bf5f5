/*
 * Keeping a shared mailbox its owners were told is unused (SPEC L5):
 * POST /api/v1/shared-confirm/mailbox and /shared-confirm take the link
 * from the notice (no sign-in: the link is the proof) to show the mailbox
 * and to keep it; POST /api/v1/shared-mailboxes/{address}/confirm keeps it
 * for a signed-in owner or an administrator of its org. Only POSTs: mail
 * scanners fetch a mail's links, and a fetch must never confirm.
 * Layer: front end.
 * SECURITY: a link is looked up by its hash; unknown links count against
 * the IP as bearer tokens do, and past the limit every look-up is refused.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "dir/dir_view.h"
#include "http/http.h"
#include "mail/mail_seal.h"

struct token_body {
	const char *token;
};

static const struct api_field token_fields[] = {
	{ "token", API_FIELD_STRING, true, offsetof(struct token_body, token),
	  128 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* The mailbox the body's link names; false when a reply has been sent. */
static bool
link_mailbox(struct api_request *req, struct store_mailbox *m)
{
	struct token_body in;
	struct error err;
	if (api_json_decode(req->body, token_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (!api_link_allowed(req, "shared_link", false))
		return false;
	char hash[MAIL_SEAL_HASH_SIZE];
	mail_seal_link_hash(in.token, hash);
	if (dir_shared_link_mailbox(&req->ctx, hash, m, &err) < 0) {
		if (err.code == ERROR_NOT_FOUND)
			api_link_allowed(req, "shared_link", true);
		api_reply_from_error(req, &err);
		return false;
	}
	return true;
}

static json_t *
shared_json(struct api_request *req, const struct store_mailbox *m,
	bool kept)
{
	int64_t last_used = 0, delete_at = 0;
	struct error err;
	if (dir_shared_status(&req->ctx, m->id, &last_used, &delete_at,
		    &err) < 0)
		last_used = delete_at = 0;
	return json_pack("{s:s, s:s, s:o, s:o, s:b}", "address", m->address,
		"display_name", m->display_name, "last_used_at",
		dir_json_time(last_used), "delete_at", dir_json_time(delete_at),
		"kept", kept);
}

static void
shared_confirm_look(struct api_request *req)
{
	struct store_mailbox m;
	if (link_mailbox(req, &m))
		api_reply(req, 200, shared_json(req, &m, false));
}

static void
shared_confirm(struct api_request *req)
{
	struct store_mailbox m;
	struct error err;
	if (!link_mailbox(req, &m))
		return;
	if (dir_shared_confirm(&req->ctx, &m, "link", &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, shared_json(req, &m, true));
}

bool
api_mailbox_owner(struct api_request *req, const struct store_mailbox *m)
{
	if (req->by_token || req->session.person.id == 0)
		return false;
	struct store_person *owners;
	size_t n;
	struct error err;
	if (dir_owner_list(&req->ctx, m->address, &owners, &n, &err) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (owners[i].id == req->session.person.id)
			return true;
	}
	return false;
}

static void
shared_mailbox_confirm(struct api_request *req)
{
	struct store_mailbox m;
	struct error err;
	if (dir_mailbox_get_live(&req->ctx, api_param(req, "address"),
		    "shared", &m, &err) < 0) {
		/* A stranger learns nothing a manager would not. */
		if (api_allowed_somewhere(req, AUTH_MAILBOX_MANAGE))
			api_reply_from_error(req, &err);
		return;
	}
	if (api_mailbox_owner(req, &m))
		req->access_checked = true;
	else if (!api_allowed(req, AUTH_MAILBOX_MANAGE, m.org_id))
		return;
	if (dir_shared_confirm(&req->ctx, &m, "portal", &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	struct dir_mailbox_record r;
	if (dir_mailbox_record_get(&req->ctx, &m, &r, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, dir_json_mailbox_record(&r));
}

const struct api_route api_routes_shared_confirm[] = {
	{ "POST", "/shared-confirm/mailbox", shared_confirm_look,
	  API_PUBLIC | API_NO_CSRF },
	{ "POST", "/shared-confirm", shared_confirm,
	  API_PUBLIC | API_NO_CSRF },
	{ "POST", "/shared-mailboxes/{address}/confirm",
	  shared_mailbox_confirm, 0 },
	API_ROUTES_END,
};
