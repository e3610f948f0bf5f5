/*
 * /api/v1/contacts: external contacts per organisation (SPEC P7), with
 * duplicates refused naming the holder (seed 002 #9218). Layer: front end.
 * SECURITY: contact.manage over the contact's organisation, from auth.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "dir/dir_view.h"

static json_t *
contact_json(struct api_request *req, const struct store_contact *c)
{
	return dir_json_contact(c, dir_org_ods(&req->ctx, c->org_id));
}

/* The live contact at {address}, checked as load_mailbox does. */
static bool
load_contact(struct api_request *req, struct store_contact *c)
{
	struct error err;
	if (!api_allowed_somewhere(req, AUTH_CONTACT_MANAGE))
		return false;
	if (dir_contact_get(&req->ctx, api_param(req, "address"), c,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (c->deleted_at != 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "the contact %s has been deleted",
			c->address);
		api_reply_error(req, 404, "not_found", msg, NULL);
		return false;
	}
	return api_allowed(req, AUTH_CONTACT_MANAGE, c->org_id);
}

struct contact_body {
	const char *org, *name, *address;
};

static const struct api_field create_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct contact_body, org),
	  32 },
	{ "name", API_FIELD_STRING, true,
	  offsetof(struct contact_body, name), 200 },
	{ "address", API_FIELD_STRING, true,
	  offsetof(struct contact_body, address), 320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_contact_create(struct api_request *req)
{
	struct contact_body in;
	struct store_org org;
	struct store_contact c;
	struct error err;
	if (api_json_decode(req->body, create_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_get(&req->ctx, in.org, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_CONTACT_MANAGE, org.id))
		return;
	if (dir_contact_add(&req->ctx, org.ods, in.name, in.address, &c,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 201, contact_json(req, &c));
}

static void
api_contact_index(struct api_request *req)
{
	struct api_page page;
	struct dir_org_set orgs;
	struct store_contact *c;
	size_t count;
	struct error err;
	if (!api_page_parse(req, &page) ||
	    !api_listing_orgs(req, AUTH_CONTACT_MANAGE, &orgs))
		return;
	if (dir_contact_page(&req->ctx, &orgs, api_query(req, "q"),
		    page.after_id, page.limit, &c, &count, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	/* Every row's org named in one read, not one per row. */
	const char **ods;
	if (dir_contact_page_ods(&req->ctx, c, count, &ods, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(items, dir_json_contact(&c[i], ods[i]));
	api_reply(req, 200, api_page_json(items, &page, count,
		count > 0 ? c[count - 1].id : 0));
}

static void
api_contact_show(struct api_request *req)
{
	struct store_contact c;
	if (load_contact(req, &c))
		api_reply(req, 200, contact_json(req, &c));
}

struct edit_body {
	const char *name;
};

static const struct api_field edit_fields[] = {
	{ "name", API_FIELD_STRING, true, offsetof(struct edit_body, name),
	  200 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_contact_edit(struct api_request *req)
{
	struct store_contact c;
	struct edit_body in;
	struct error err;
	if (!load_contact(req, &c))
		return;
	if (api_json_decode(req->body, edit_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_contact_edit(&req->ctx, c.address, in.name, &c, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, contact_json(req, &c));
}

static void
api_contact_delete(struct api_request *req)
{
	struct store_contact c;
	struct error err;
	if (!load_contact(req, &c))
		return;
	if (dir_contact_delete(&req->ctx, c.address, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:s,s:b}", "address", c.address,
		"deleted", 1));
}

const struct api_route api_routes_contacts[] = {
	{ "POST", "/contacts", api_contact_create, 0 },
	{ "GET", "/contacts", api_contact_index, 0 },
	{ "GET", "/contacts/{address}", api_contact_show, 0 },
	{ "PATCH", "/contacts/{address}", api_contact_edit, 0 },
	{ "DELETE", "/contacts/{address}", api_contact_delete, 0 },
	API_ROUTES_END,
};
