/*
 * /api/v1/shared-mailboxes and /api/v1/resource-mailboxes (SPEC P4, P5):
 * create, list, show, edit, delete and transfer, and for shared mailboxes
 * owners, members and permissions. Changes apply at once: IMAP and SMTP
 * read grants on every command. Layer: front end.
 * SECURITY: every handler asks auth for mailbox.manage over the mailbox's
 * organisation (a transfer: over both) before it changes anything; an
 * owner (signed in, never a token) may also read their shared mailbox.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "dir/dir_view.h"

/* Whether the route is /shared-mailboxes (else /resource-mailboxes). */
static bool
route_shared(const struct api_request *req)
{
	return strncmp(req->path, "/resource-mailboxes", 19) != 0;
}

static const char *
route_kind(const struct api_request *req)
{
	return route_shared(req) ? "shared" : "resource";
}

/*
 * The live mailbox of the route's kind at {address}, after the caller is
 * known to manage mailboxes somewhere (so a stranger learns nothing from a
 * 404) and then over its org; false when a reply has been sent.
 */
static bool
load_mailbox(struct api_request *req, struct store_mailbox *m)
{
	struct error err;
	const char *kind = route_kind(req);
	if (!api_allowed_somewhere(req, AUTH_MAILBOX_MANAGE))
		return false;
	if (dir_mailbox_get_live(&req->ctx, api_param(req, "address"), kind,
		    m, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	return api_allowed(req, AUTH_MAILBOX_MANAGE, m->org_id);
}

static void reply_mailbox(struct api_request *req, unsigned status,
	const struct store_mailbox *m);

struct create_body {
	const char *org, *name, *address;
};

static const struct api_field create_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct create_body, org),
	  32 },
	{ "name", API_FIELD_STRING, true, offsetof(struct create_body, name),
	  200 },
	{ "address", API_FIELD_STRING, false,
	  offsetof(struct create_body, address), 320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_mailbox_create(struct api_request *req)
{
	struct create_body in;
	struct store_org org;
	struct store_mailbox m;
	struct error err;
	if (api_json_decode(req->body, create_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_get(&req->ctx, in.org, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_MAILBOX_MANAGE, org.id))
		return;
	if (dir_mailbox_add(&req->ctx, org.ods, route_kind(req), in.name,
		    in.address, &m, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_mailbox(req, 201, &m);
}

static void
api_mailbox_index(struct api_request *req)
{
	struct api_page page;
	struct dir_org_set orgs;
	struct store_mailbox *m;
	size_t count;
	struct error err;
	if (!api_page_parse(req, &page) ||
	    !api_listing_orgs(req, AUTH_MAILBOX_MANAGE, &orgs))
		return;
	if (dir_mailbox_page(&req->ctx, &orgs, route_kind(req), page.after_id,
		    page.limit, &m, &count, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	/* Every row's org named in one read, not one per row. */
	const char **ods;
	if (dir_mailbox_page_ods(&req->ctx, m, count, &ods, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(items, dir_json_mailbox(&m[i], ods[i]));
	api_reply(req, 200, api_page_json(items, &page, count,
		count > 0 ? m[count - 1].id : 0));
}

/* The mailbox with its owners, members and grants. */
static void
reply_mailbox(struct api_request *req, unsigned status,
	const struct store_mailbox *m)
{
	struct dir_mailbox_record r;
	struct error err;
	if (dir_mailbox_record_get(&req->ctx, m, &r, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, status, dir_json_mailbox_record(&r));
}

static void
api_mailbox_show(struct api_request *req)
{
	struct store_mailbox m;
	struct error err;
	/* An owner sees their shared mailbox, to keep it (SPEC L5). */
	if (route_shared(req) && !req->by_token &&
	    dir_mailbox_get_live(&req->ctx, api_param(req, "address"),
		    "shared", &m, &err) == 0 && api_mailbox_owner(req, &m)) {
		reply_mailbox(req, 200, &m);
		return;
	}
	if (load_mailbox(req, &m))
		reply_mailbox(req, 200, &m);
}

struct edit_body {
	const char *name;
	int64_t quota_mb;
};

static const struct api_field edit_fields[] = {
	{ "name", API_FIELD_STRING, false, offsetof(struct edit_body, name),
	  200 },
	{ "quota_mb", API_FIELD_INT, false,
	  offsetof(struct edit_body, quota_mb), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_mailbox_edit(struct api_request *req)
{
	struct store_mailbox m;
	struct edit_body in;
	struct error err;
	if (!load_mailbox(req, &m))
		return;
	if (api_json_decode(req->body, edit_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_mailbox_edit(&req->ctx, m.address, in.name, in.quota_mb, &m,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_mailbox(req, 200, &m);
}

static void
api_mailbox_delete(struct api_request *req)
{
	struct store_mailbox m;
	struct error err;
	if (!load_mailbox(req, &m))
		return;
	if (dir_mailbox_delete(&req->ctx, m.address, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:s,s:b}", "address", m.address,
		"deleted", 1));
}

struct org_body {
	const char *org;
};

static const struct api_field org_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct org_body, org), 32 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* The caller must manage mailboxes in both organisations. */
static void
api_mailbox_transfer(struct api_request *req)
{
	struct store_mailbox m;
	struct org_body in;
	struct store_org to;
	struct error err;
	if (!load_mailbox(req, &m))
		return;
	if (api_json_decode(req->body, org_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_get(&req->ctx, in.org, &to, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_MAILBOX_MANAGE, to.id))
		return;
	if (dir_mailbox_transfer(&req->ctx, m.address, to.ods, &m, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_mailbox(req, 200, &m);
}

struct person_body {
	const char *person;
	const char *right;
};

static const struct api_field person_fields[] = {
	{ "person", API_FIELD_STRING, true,
	  offsetof(struct person_body, person), 320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static const struct api_field grant_fields[] = {
	{ "person", API_FIELD_STRING, true,
	  offsetof(struct person_body, person), 320 },
	{ "right", API_FIELD_STRING, true,
	  offsetof(struct person_body, right), 32 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

enum link_op {
	LINK_OWNER_ADD,
	LINK_OWNER_REMOVE,
	LINK_MEMBER_ADD,
	LINK_MEMBER_REMOVE,
	LINK_GRANT_ADD,
	LINK_GRANT_REMOVE,
};

static int
link_apply(struct api_request *req, enum link_op op, const char *mailbox,
	const struct person_body *in, struct error *err)
{
	const struct dir_ctx *ctx = &req->ctx;
	switch (op) {
	case LINK_OWNER_ADD:
		return dir_owner_add(ctx, mailbox, in->person, err);
	case LINK_OWNER_REMOVE:
		return dir_owner_remove(ctx, mailbox, in->person, err);
	case LINK_MEMBER_ADD:
		return dir_mailbox_member_add(ctx, mailbox, in->person, err);
	case LINK_MEMBER_REMOVE:
		return dir_mailbox_member_remove(ctx, mailbox, in->person, err);
	case LINK_GRANT_ADD:
		return dir_grant_add(ctx, mailbox, in->person, in->right, err);
	case LINK_GRANT_REMOVE:
		return dir_grant_remove(ctx, mailbox, in->person, in->right,
			err);
	}
	return error_set(err, ERROR_INTERNAL, "unknown change");
}

/* Adds take the person (and right) in the body; removals in the path. */
static void
link_change(struct api_request *req, enum link_op op)
{
	struct store_mailbox m;
	struct person_body in = { NULL, NULL };
	struct error err;
	if (!load_mailbox(req, &m))
		return;
	bool adding = op == LINK_OWNER_ADD || op == LINK_MEMBER_ADD ||
		op == LINK_GRANT_ADD;
	if (adding) {
		if (api_json_decode(req->body, op == LINK_GRANT_ADD ?
				grant_fields : person_fields, &in, req->arena,
			    &err) < 0) {
			api_reply_from_error(req, &err);
			return;
		}
	} else {
		in.person = api_param(req, "person");
		in.right = api_param(req, "right");
	}
	if (link_apply(req, op, m.address, &in, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_mailbox(req, adding ? 201 : 200, &m);
}

static void
api_mb_owner_add(struct api_request *req)
{
	link_change(req, LINK_OWNER_ADD);
}

static void
api_mb_owner_remove(struct api_request *req)
{
	link_change(req, LINK_OWNER_REMOVE);
}

static void
api_mb_member_add(struct api_request *req)
{
	link_change(req, LINK_MEMBER_ADD);
}

static void
api_mb_member_remove(struct api_request *req)
{
	link_change(req, LINK_MEMBER_REMOVE);
}

static void
api_mb_grant_add(struct api_request *req)
{
	link_change(req, LINK_GRANT_ADD);
}

static void
api_mb_grant_remove(struct api_request *req)
{
	link_change(req, LINK_GRANT_REMOVE);
}

const struct api_route api_routes_mailboxes[] = {
	{ "POST", "/shared-mailboxes", api_mailbox_create, 0 },
	{ "GET", "/shared-mailboxes", api_mailbox_index, 0 },
	{ "GET", "/shared-mailboxes/{address}", api_mailbox_show, 0 },
	{ "PATCH", "/shared-mailboxes/{address}", api_mailbox_edit, 0 },
	{ "DELETE", "/shared-mailboxes/{address}", api_mailbox_delete, 0 },
	{ "POST", "/shared-mailboxes/{address}/transfer",
	  api_mailbox_transfer, 0 },
	{ "POST", "/shared-mailboxes/{address}/owners", api_mb_owner_add, 0 },
	{ "DELETE", "/shared-mailboxes/{address}/owners/{person}",
	  api_mb_owner_remove, 0 },
	{ "POST", "/shared-mailboxes/{address}/members", api_mb_member_add, 0 },
	{ "DELETE", "/shared-mailboxes/{address}/members/{person}",
	  api_mb_member_remove, 0 },
	{ "POST", "/shared-mailboxes/{address}/grants", api_mb_grant_add, 0 },
	{ "DELETE", "/shared-mailboxes/{address}/grants/{person}/{right}",
	  api_mb_grant_remove, 0 },
	{ "POST", "/resource-mailboxes", api_mailbox_create, 0 },
	{ "GET", "/resource-mailboxes", api_mailbox_index, 0 },
	{ "GET", "/resource-mailboxes/{address}", api_mailbox_show, 0 },
	{ "PATCH", "/resource-mailboxes/{address}", api_mailbox_edit, 0 },
	{ "DELETE", "/resource-mailboxes/{address}", api_mailbox_delete, 0 },
	{ "POST", "/resource-mailboxes/{address}/transfer",
	  api_mailbox_transfer, 0 },
	API_ROUTES_END,
};
