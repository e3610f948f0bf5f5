/*
 * /api/v1/lists: static and dynamic distribution lists (SPEC P6) with
 * owners, members, the approval queue for changes made by owners who hold
 * no admin role, member-count previews, renames, and the change freeze
 * switch (/api/v1/settings/change-freeze). Layer: front end.
 * SECURITY: who may change a list is decided by auth_list_check (admins of
 * its org, or its owners, whose changes wait); approving, renaming and the
 * freeze need list.manage itself. A request that waits is mailed to the
 * org's Local Administrators, and their decision to whoever asked
 * (mail_list_approval.h).
 */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "dir/dir_view.h"
#include "mail/mail_list_approval.h"

/* A change refused by the freeze gets its own code; the rest by the table. */
static void
reply_error(struct api_request *req, const struct error *err)
{
	if (strcmp(err->field, "change_freeze") == 0) {
		api_reply_error(req, 409, "change_freeze", err->msg, NULL);
		return;
	}
	api_reply_from_error(req, err);
}

static json_t *
list_json(struct api_request *req, const struct store_list *l)
{
	return dir_json_list(l, dir_org_ods(&req->ctx, l->org_id));
}

/*
 * The live list at {address} and how the caller stands to it (admin of
 * its org, or owner); false when a reply has been sent.
 */
static bool
load_list(struct api_request *req, struct store_list *l,
	enum auth_list_standing *standing_r)
{
	struct error err;
	if (dir_list_get(&req->ctx, api_param(req, "address"), l, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (!api_list_allowed(req, l->org_id, l->address, standing_r))
		return false;
	if (l->deleted_at != 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "the list %s has been deleted",
			l->address);
		api_reply_error(req, 404, "not_found", msg, NULL);
		return false;
	}
	return true;
}

/* As load_list, for what only an admin of the list's org may do. */
static bool
load_list_admin(struct api_request *req, struct store_list *l)
{
	struct error err;
	if (!api_allowed_somewhere(req, AUTH_LIST_MANAGE))
		return false;
	if (dir_list_get(&req->ctx, api_param(req, "address"), l, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (l->deleted_at != 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "the list %s has been deleted",
			l->address);
		api_reply_error(req, 404, "not_found", msg, NULL);
		return false;
	}
	return api_allowed(req, AUTH_LIST_MANAGE, l->org_id);
}

/* The list in full: owners, members, the change waiting and decisions. */
static void
reply_list(struct api_request *req, unsigned status,
	const struct store_list *given)
{
	struct dir_list_record r;
	struct error err;
	/* Read again: a change may have renamed or re-statused it. */
	if (dir_list_record_get(&req->ctx, given->address, &r, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, status, dir_json_list_record(&r));
}

struct create_body {
	const char *org, *name, *kind, *address, *description, *rule;
};

static const struct api_field create_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct create_body, org),
	  32 },
	{ "name", API_FIELD_STRING, true, offsetof(struct create_body, name),
	  200 },
	{ "kind", API_FIELD_STRING, false, offsetof(struct create_body, kind),
	  16 },
	{ "address", API_FIELD_STRING, false,
	  offsetof(struct create_body, address), 320 },
	{ "description", API_FIELD_STRING, false,
	  offsetof(struct create_body, description), 2000 },
	{ "rule", API_FIELD_OBJECT, false, offsetof(struct create_body, rule),
	  0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_list_create(struct api_request *req)
{
	struct create_body in;
	struct store_org org;
	struct store_list l;
	enum auth_list_standing standing;
	struct error err;
	if (api_json_decode(req->body, create_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_get(&req->ctx, in.org, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_list_allowed(req, org.id, NULL, &standing))
		return;
	struct dir_list_new n = { .org_ods = org.ods, .name = in.name,
		.kind = in.kind, .address = in.address,
		.description = in.description, .rule = in.rule,
		.requested_by = standing == AUTH_LIST_OWNER ?
			req->session.person.address : NULL };
	if (mail_list_approval_create(req->api->writer, &req->ctx, &n, &l,
		    &err) < 0) {
		reply_error(req, &err);
		return;
	}
	reply_list(req, 201, &l);
}

static void
api_list_index(struct api_request *req)
{
	struct api_page page;
	struct dir_org_set orgs = { NULL, 0 };
	struct store_list *l;
	size_t count;
	struct error err;
	if (!api_page_parse(req, &page))
		return;
	/*
	 * ?owned=true: the lists the caller owns, wherever they are; anyone
	 * signed in may ask, as owning a list is what lets them see it.
	 */
	const char *owned = api_query(req, "owned");
	int64_t owner_id = 0;
	if (owned != NULL && strcmp(owned, "true") == 0 && !req->by_token) {
		req->access_checked = true;
		owner_id = req->session.person.id;
	} else if (owned != NULL && strcmp(owned, "false") != 0) {
		/* Refused before anything is read: the token's answer is this. */
		req->access_checked = true;
		api_reply_error(req, 422, "invalid", req->by_token ?
			"owned=true is for a signed-in person; an API token "
			"owns no lists" : "owned is true or false", "owned");
		return;
	}
	if (owner_id == 0 && !api_listing_orgs(req, AUTH_LIST_MANAGE, &orgs))
		return;
	if (dir_list_page(&req->ctx, &orgs, api_query(req, "status"),
		    owner_id, page.after_id, page.limit, &l, &count, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	/* Every row's org named in one read, not one per row. */
	const char **ods;
	if (dir_list_page_ods(&req->ctx, l, count, &ods, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(items, dir_json_list(&l[i], ods[i]));
	api_reply(req, 200, api_page_json(items, &page, count,
		count > 0 ? l[count - 1].id : 0));
}

/*
 * Lists waiting for a decision in the orgs the caller administers: the
 * queue is read in batches and each row kept only when auth says the
 * caller manages lists in its org.
 */
static void
api_list_approvals(struct api_request *req)
{
	struct api_page page;
	struct error err;
	if (!api_page_parse(req, &page) ||
	    !api_allowed_somewhere(req, AUTH_LIST_MANAGE))
		return;
	json_t *items = json_array();
	size_t kept = 0;
	int64_t after = page.after_id, last = 0;
	for (;;) {
		struct store_list *l;
		size_t count;
		if (dir_list_awaiting(&req->ctx, after, API_PAGE_MAX, &l,
			    &count, &err) < 0) {
			json_decref(items);
			api_reply_from_error(req, &err);
			return;
		}
		for (size_t i = 0; i < count && kept < page.limit; i++) {
			after = l[i].id;
			struct error denied;
			if (auth_check(&req->ctx, req->session.person.id,
				    AUTH_LIST_MANAGE, l[i].org_id,
				    &denied) < 0)
				continue;
			struct store_list_review r;
			json_t *j = list_json(req, &l[i]);
			if (dir_list_review(&req->ctx, l[i].address, &r,
				    &denied) == 0)
				dir_json_add_review(j, &r);
			json_array_append_new(items, j);
			kept++;
			last = l[i].id;
		}
		if (count < API_PAGE_MAX || kept >= page.limit)
			break;
	}
	api_reply(req, 200, api_page_json(items, &page, kept, last));
}

static void
api_list_show(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	if (load_list(req, &l, &standing))
		reply_list(req, 200, &l);
}

/* Makes one change; an owner's waits for approval (202). */
static void
change(struct api_request *req, const struct store_list *l,
	enum auth_list_standing standing, const struct dir_list_change *c)
{
	bool waiting;
	struct error err;
	if (mail_list_approval_change(req->api->writer, &req->ctx, l->address,
		    c, standing == AUTH_LIST_OWNER ?
			    req->session.person.address : NULL,
		    &waiting, &err) < 0) {
		reply_error(req, &err);
		return;
	}
	reply_list(req, waiting ? 202 : 200, l);
}

struct edit_body {
	const char *description, *rule;
};

static const struct api_field edit_fields[] = {
	{ "description", API_FIELD_STRING, false,
	  offsetof(struct edit_body, description), 2000 },
	{ "rule", API_FIELD_OBJECT, false, offsetof(struct edit_body, rule),
	  0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/*
 * Owners and members are not fields here: they change one at a time
 * through their own endpoints, so an edit can never drop an owner it did
 * not name (the "Add myself as owner" defect).
 */
static void
api_list_edit(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	struct edit_body in;
	struct error err;
	if (!load_list(req, &l, &standing))
		return;
	if (api_json_decode(req->body, edit_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	struct dir_list_change c = { .description = in.description,
		.rule = in.rule };
	change(req, &l, standing, &c);
}

/* Admins and the list's own owners delete at once (seed 002 #9706). */
static void
api_list_delete(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	struct error err;
	if (!load_list(req, &l, &standing))
		return;
	if (dir_list_delete(&req->ctx, l.address, &err) < 0) {
		reply_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:s,s:b}", "address", l.address,
		"deleted", 1));
}

/* A body naming one address: owners as "person", members as "member". */
struct address_body {
	const char *address;
};

static const struct api_field person_fields[] = {
	{ "person", API_FIELD_STRING, true,
	  offsetof(struct address_body, address), 320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static const struct api_field member_fields[] = {
	{ "member", API_FIELD_STRING, true,
	  offsetof(struct address_body, address), 320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* The list in the path and the address its body names; false: replied. */
static bool
load_list_and_address(struct api_request *req, const struct api_field *spec,
	struct store_list *l, enum auth_list_standing *standing,
	const char **address_r)
{
	struct address_body in;
	struct error err;
	if (!load_list(req, l, standing))
		return false;
	if (api_json_decode(req->body, spec, &in, req->arena, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	*address_r = in.address;
	return true;
}

static void
api_list_owner_add(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	const char *person;
	if (load_list_and_address(req, person_fields, &l, &standing, &person))
		change(req, &l, standing, &(struct dir_list_change){
			.owner_add = person });
}

static void
api_list_owner_remove(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	if (load_list(req, &l, &standing))
		change(req, &l, standing, &(struct dir_list_change){
			.owner_remove = api_param(req, "person") });
}

static void
api_list_member_add(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	const char *member;
	if (load_list_and_address(req, member_fields, &l, &standing, &member))
		change(req, &l, standing, &(struct dir_list_change){
			.member_add = member });
}

static void
api_list_member_remove(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	if (load_list(req, &l, &standing))
		change(req, &l, standing, &(struct dir_list_change){
			.member_remove = api_param(req, "member") });
}

static void
api_list_approve(struct api_request *req)
{
	struct store_list l;
	struct error err;
	if (!load_list_admin(req, &l) || !api_no_body(req))
		return;
	if (mail_list_approval_decide(req->api->writer, &req->ctx, l.address,
		    true, NULL, &err) < 0) {
		reply_error(req, &err);
		return;
	}
	reply_list(req, 200, &l);
}

struct reject_body {
	const char *reason;
};

static const struct api_field reject_fields[] = {
	{ "reason", API_FIELD_STRING, true,
	  offsetof(struct reject_body, reason), 1000 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_list_reject(struct api_request *req)
{
	struct store_list l;
	struct reject_body in;
	struct error err;
	if (!load_list_admin(req, &l))
		return;
	if (api_json_decode(req->body, reject_fields, &in, req->arena,
		    &err) < 0 ||
	    mail_list_approval_decide(req->api->writer, &req->ctx, l.address,
		    false, in.reason, &err) < 0) {
		reply_error(req, &err);
		return;
	}
	reply_list(req, 200, &l);
}

struct rename_body {
	const char *name, *address;
};

static const struct api_field rename_fields[] = {
	{ "name", API_FIELD_STRING, true, offsetof(struct rename_body, name),
	  200 },
	{ "address", API_FIELD_STRING, false,
	  offsetof(struct rename_body, address), 320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_list_rename(struct api_request *req)
{
	struct store_list l;
	struct rename_body in;
	struct error err;
	if (!load_list_admin(req, &l))
		return;
	if (api_json_decode(req->body, rename_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_list_rename(&req->ctx, l.address, in.name, in.address, &l,
		    &err) < 0) {
		reply_error(req, &err);
		return;
	}
	reply_list(req, 200, &l);
}

struct preview_body {
	const char *org, *rule;
};

static const struct api_field preview_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct preview_body, org),
	  32 },
	{ "rule", API_FIELD_OBJECT, true, offsetof(struct preview_body, rule),
	  0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* {"count", "sample": [{"address","display_name"}]}: a few it reaches. */
static json_t *
preview_json(const struct dir_preview *p)
{
	json_t *sample = json_array();
	for (size_t i = 0; i < p->sample_count; i++)
		json_array_append_new(sample, json_pack("{s:o,s:o}",
			"address", dir_json_text(p->sample[i].address),
			"display_name",
			dir_json_text(p->sample[i].display_name)));
	return json_pack("{s:I,s:o}", "count", (json_int_t)p->count,
		"sample", sample);
}

/* Anyone who may ask for a list in the org may preview a rule there. */
static void
api_list_rule_preview(struct api_request *req)
{
	struct preview_body in;
	struct store_org org;
	enum auth_list_standing standing;
	struct dir_preview p;
	struct error err;
	if (api_json_decode(req->body, preview_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_get(&req->ctx, in.org, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_list_allowed(req, org.id, NULL, &standing))
		return;
	if (dir_rule_preview(&req->ctx, org.ods, in.rule, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, preview_json(&p));
}

static void
api_list_preview(struct api_request *req)
{
	struct store_list l;
	enum auth_list_standing standing;
	struct dir_preview p;
	struct error err;
	if (!load_list(req, &l, &standing))
		return;
	if (dir_list_preview(&req->ctx, l.address, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = preview_json(&p);
	json_object_set_new(j, "address", json_string(l.address));
	api_reply(req, 200, j);
}

static void
reply_freeze(struct api_request *req)
{
	struct dir_freeze f;
	struct error err;
	if (dir_change_freeze_get(&req->ctx, &f, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = json_pack("{s:b,s:s}", "on", f.on, "reason", f.reason);
	json_object_set_new(j, "updated_by", f.updated_by[0] != '\0' ?
		json_string(f.updated_by) : json_null());
	json_object_set_new(j, "updated_at", api_json_time(f.updated_at));
	/* Whether this caller may flip it: list.manage over every org. */
	struct error quiet;
	json_object_set_new(j, "may_set", json_boolean(!req->by_token &&
		auth_check(&req->ctx, req->session.person.id, AUTH_LIST_MANAGE,
			0, &quiet) == 0));
	api_reply(req, 200, j);
}

/* Any list admin may see the switch; list.manage over every org (Global
 * Admin) flips it. */
static void
api_list_freeze_get(struct api_request *req)
{
	if (api_allowed_somewhere(req, AUTH_LIST_MANAGE))
		reply_freeze(req);
}

struct freeze_body {
	int on;
	const char *reason;
};

static const struct api_field freeze_fields[] = {
	{ "on", API_FIELD_BOOL, true, offsetof(struct freeze_body, on), 0 },
	{ "reason", API_FIELD_STRING, false,
	  offsetof(struct freeze_body, reason), 500 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_list_freeze_put(struct api_request *req)
{
	struct freeze_body in;
	struct error err;
	if (!api_allowed(req, AUTH_LIST_MANAGE, 0))
		return;
	if (api_json_decode(req->body, freeze_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_change_freeze_set(&req->ctx, in.on == 1, in.reason, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_freeze(req);
}

/* Fixed paths come before /lists/{address}, which would match them too. */
const struct api_route api_routes_lists[] = {
	{ "POST", "/lists", api_list_create, 0 },
	{ "GET", "/lists", api_list_index, 0 },
	{ "GET", "/lists/approvals", api_list_approvals, 0 },
	{ "POST", "/lists/preview", api_list_rule_preview, 0 },
	{ "GET", "/lists/{address}", api_list_show, 0 },
	{ "PATCH", "/lists/{address}", api_list_edit, 0 },
	{ "DELETE", "/lists/{address}", api_list_delete, 0 },
	{ "POST", "/lists/{address}/owners", api_list_owner_add, 0 },
	{ "DELETE", "/lists/{address}/owners/{person}",
	  api_list_owner_remove, 0 },
	{ "POST", "/lists/{address}/members", api_list_member_add, 0 },
	{ "DELETE", "/lists/{address}/members/{member}",
	  api_list_member_remove, 0 },
	{ "POST", "/lists/{address}/approve", api_list_approve, 0 },
	{ "POST", "/lists/{address}/reject", api_list_reject, 0 },
	{ "POST", "/lists/{address}/rename", api_list_rename, 0 },
	{ "GET", "/lists/{address}/preview", api_list_preview, 0 },
	{ "GET", "/settings/change-freeze", api_list_freeze_get, 0 },
	{ "PUT", "/settings/change-freeze", api_list_freeze_put, 0 },
	API_ROUTES_END,
};
