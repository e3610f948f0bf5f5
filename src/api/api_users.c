/*
 * /api/v1/users: people as their admins manage them (SPEC D2, P3): create
 * (active at once, with a temporary password), read, edit and notes,
 * password reset, unlock, disable, enable, leaver, join, transfer, delete,
 * restore, and admin roles. Layer: front end.
 * SECURITY: every handler asks auth first, against the person's org (and
 * for a move, the org they go to); a temporary password is returned once,
 * to the admin who asked, and never logged or audited.
 */
#include <sodium.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "dir/dir_view.h"

#define LONG_TEXT_BYTES (4 * 4000)

/* The person named in the path, deleted or not, or false with a 404. */
static bool
path_person(struct api_request *req, struct store_person *p)
{
	struct error err;
	if (dir_person_get(&req->ctx, api_param(req, "address"), p, &err) == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

static bool
path_person_allowed(struct api_request *req, enum auth_action action,
	struct store_person *p)
{
	return path_person(req, p) && api_allowed(req, action, p->org_id);
}

/* Replies the person's whole record as it is now, read back by id. */
static void
reply_person(struct api_request *req, unsigned status,
	const struct store_person *p)
{
	struct dir_person_record r;
	struct error err;
	if (dir_person_record_get(&req->ctx, p->id, true, &r, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, status, dir_json_person(&r));
}

/* The whole record, with more keys set on it; false once replied. */
static json_t *
person_record_json(struct api_request *req, int64_t person_id)
{
	struct dir_person_record r;
	struct error err;
	if (dir_person_record_get(&req->ctx, person_id, true, &r, &err) < 0) {
		api_reply_from_error(req, &err);
		return NULL;
	}
	return dir_json_person(&r);
}

/* ---- list, create, read, edit ---- */

static void
api_users_list(struct api_request *req)
{
	struct api_page page;
	struct dir_org_set orgs;
	const char *deleted = api_query(req, "include_deleted");
	if (!api_listing_orgs(req, AUTH_USER_READ, &orgs))
		return;
	if (deleted != NULL && strcmp(deleted, "true") != 0 &&
	    strcmp(deleted, "false") != 0) {
		api_reply_error(req, 422, "invalid", "include_deleted must be "
			"true or false.", "include_deleted");
		return;
	}
	if (!api_page_parse(req, &page))
		return;
	struct dir_person_record *people;
	size_t n;
	struct error err;
	if (dir_person_page(&req->ctx, orgs.org_ids, orgs.org_count,
		    deleted != NULL && strcmp(deleted, "true") == 0,
		    page.after_id, page.limit, &people, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, dir_json_person(&people[i]));
	api_reply(req, 200, api_page_json(items, &page, n,
		n > 0 ? people[n - 1].view.person.id : 0));
}

struct user_body {
	const char *org, *first_name, *last_name, *display_name, *address;
	const char *site, *job_title, *department, *phone, *mobile, *notes;
	const char *sync_id, *protocols_off;
	int mobile_hidden;
};

#define USER_FIELD(name, member, required, max)                            \
	{ name, API_FIELD_STRING, required,                                \
	  offsetof(struct user_body, member), max }

/* Shared by create and edit; create marks org and names required. */
#define USER_COMMON_FIELDS                                                 \
	USER_FIELD("display_name", display_name, false, 1600),             \
	USER_FIELD("site", site, false, 800),                              \
	USER_FIELD("job_title", job_title, false, 800),                    \
	USER_FIELD("department", department, false, 800),                  \
	USER_FIELD("phone", phone, false, 64),                             \
	USER_FIELD("mobile", mobile, false, 64),                           \
	USER_FIELD("notes", notes, false, LONG_TEXT_BYTES),                \
	USER_FIELD("sync_id", sync_id, false, 512),                        \
	USER_FIELD("protocols_off", protocols_off, false, 64),             \
	{ "mobile_hidden", API_FIELD_BOOL, false,                          \
	  offsetof(struct user_body, mobile_hidden), 0 }

static const struct api_field user_add_fields[] = {
	USER_FIELD("org", org, true, 16),
	USER_FIELD("first_name", first_name, true, 400),
	USER_FIELD("last_name", last_name, true, 400),
	USER_FIELD("address", address, false, 320),
	USER_COMMON_FIELDS,
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static const struct api_field user_edit_fields[] = {
	/* Taken so the refusal can say how people move (join, transfer). */
	USER_FIELD("org", org, false, 16),
	USER_FIELD("first_name", first_name, false, 400),
	USER_FIELD("last_name", last_name, false, 400),
	USER_COMMON_FIELDS,
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static struct dir_person_fields
person_fields_from(const struct user_body *in)
{
	return (struct dir_person_fields){
		.org_ods = in->org,
		.first_name = in->first_name,
		.last_name = in->last_name,
		.display_name = in->display_name,
		.address = in->address,
		.site = in->site,
		.job_title = in->job_title,
		.department = in->department,
		.phone = in->phone,
		.mobile = in->mobile,
		.mobile_hidden = in->mobile_hidden,
		.notes = in->notes,
		.sync_id = in->sync_id,
		.protocols_off = in->protocols_off,
	};
}

static void
api_user_post(struct api_request *req)
{
	struct user_body in;
	struct store_org org;
	struct store_person p;
	struct error err;
	if (api_json_decode(req->body, user_add_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_get(&req->ctx, in.org, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!api_allowed(req, AUTH_USER_CREATE, org.id))
		return;
	struct dir_person_fields f = person_fields_from(&in);
	char password[AUTH_TEMP_PASSWORD_LEN + 1];
	if (auth_person_create(&req->ctx, &f, &p, password, sizeof(password),
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = person_record_json(req, p.id);
	if (j == NULL) {
		sodium_memzero(password, sizeof(password));
		return;
	}
	json_object_set_new(j, "temporary_password", json_string(password));
	json_object_set_new(j, "must_change_password", json_true());
	sodium_memzero(password, sizeof(password));
	api_reply(req, 201, j);
}

/*
 * A record too large for the request's memory: said so only to a reader
 * who may read it, and refused as denied to any other (how much someone
 * holds is not for them to learn). The person is looked up in memory of
 * its own, as the request's is spent; false when a refusal was sent.
 */
static bool
too_large_allowed(struct api_request *req, const char *address)
{
	struct arena *spent = req->ctx.arena;
	req->ctx.arena = arena_new(64 * 1024);
	struct store_person p;
	struct error err;
	bool allowed = false;
	if (dir_person_get(&req->ctx, address, &p, &err) < 0)
		api_reply_from_error(req, &err);
	else
		allowed = api_allowed(req, AUTH_USER_READ, p.org_id);
	arena_free(&req->ctx.arena);
	req->ctx.arena = spent;
	return allowed;
}

static void
api_user_get(struct api_request *req)
{
	struct dir_person_record r;
	struct error err;
	/*
	 * The whole record in one statement, then the access check on its
	 * org with the roles read with the session: a read through a node
	 * of PostgreSQL makes one round trip, or none for the session
	 * (bench B9). What a refused reader would have seen is read and
	 * dropped; a round trip costs more than the rows.
	 */
	const char *address = api_param(req, "address");
	if (dir_person_record_find(&req->ctx, address, &r, &err) < 0) {
		if (err.code != ERROR_LIMIT || too_large_allowed(req, address))
			api_reply_from_error(req, &err);
	} else if (api_allowed(req, AUTH_USER_READ, r.view.person.org_id)) {
		api_reply(req, 200, dir_json_person(&r));
	}
}

static bool
any_change(const struct user_body *in)
{
	return in->org != NULL || in->first_name != NULL ||
		in->last_name != NULL || in->display_name != NULL ||
		in->site != NULL || in->job_title != NULL ||
		in->department != NULL || in->phone != NULL ||
		in->mobile != NULL || in->notes != NULL || in->sync_id != NULL ||
		in->protocols_off != NULL || in->mobile_hidden >= 0;
}

static void
api_user_patch(struct api_request *req)
{
	struct user_body in;
	struct store_person p;
	struct error err;
	if (!path_person_allowed(req, AUTH_USER_EDIT, &p))
		return;
	if (api_json_decode(req->body, user_edit_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!any_change(&in)) {
		api_reply_error(req, 422, "invalid", "Send at least one field "
			"to change.", NULL);
		return;
	}
	struct dir_person_fields f = person_fields_from(&in);
	f.address = NULL;
	if (auth_person_edit(&req->ctx, req->api->sms, &p, &f, &p,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_person(req, 200, &p);
}

/* ---- sign-in help: password reset and unlock (the helpdesk's two) ---- */

static void
api_user_reset_password(struct api_request *req)
{
	struct store_person p;
	struct error err;
	char password[AUTH_TEMP_PASSWORD_LEN + 1];
	if (!path_person(req, &p) ||
	    !api_allowed_person(req, AUTH_USER_RESET_PASSWORD, &p) ||
	    !api_no_body(req))
		return;
	if (auth_password_reset(&req->ctx, p.address, password,
		    sizeof(password), &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = json_pack("{s:s, s:s, s:b}", "address", p.address,
		"temporary_password", password, "must_change_password", 1);
	sodium_memzero(password, sizeof(password));
	api_reply(req, 200, j);
}

static void
api_user_unlock(struct api_request *req)
{
	struct store_person p;
	struct error err;
	if (!path_person(req, &p) ||
	    !api_allowed_person(req, AUTH_USER_UNLOCK, &p) || !api_no_body(req))
		return;
	if (auth_unlock(&req->ctx, p.address, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_person(req, 200, &p);
}

/* ---- lifecycle ---- */

static void
status_change(struct api_request *req, enum auth_action action,
	int (*change)(const struct dir_ctx *, const char *,
		struct store_person *, struct error *))
{
	struct store_person p;
	struct error err;
	if (!path_person_allowed(req, action, &p) || !api_no_body(req))
		return;
	if (change(&req->ctx, p.address, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_person(req, 200, &p);
}

static void
api_user_disable(struct api_request *req)
{
	status_change(req, AUTH_USER_LIFECYCLE, dir_person_disable);
}

static void
api_user_enable(struct api_request *req)
{
	status_change(req, AUTH_USER_LIFECYCLE, dir_person_enable);
}

static void
api_user_leaver(struct api_request *req)
{
	status_change(req, AUTH_USER_LIFECYCLE, dir_person_mark_leaver);
}

static void
api_user_restore(struct api_request *req)
{
	status_change(req, AUTH_USER_RESTORE, dir_person_restore);
}

static void
api_user_delete(struct api_request *req)
{
	struct store_person p;
	struct error err;
	if (!path_person_allowed(req, AUTH_USER_DELETE, &p))
		return;
	json_t *removed = api_json_roles(req, p.id);
	if (dir_person_delete(&req->ctx, p.address, &err) < 0) {
		json_decref(removed);
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = person_record_json(req, p.id);
	if (j == NULL) {
		json_decref(removed);
		return;
	}
	json_object_set_new(j, "roles_removed", removed);
	api_reply(req, 200, j);
}

struct move_body {
	const char *org, *site, *sync_id;
};

static const struct api_field join_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct move_body, org), 16 },
	{ "site", API_FIELD_STRING, false, offsetof(struct move_body, site),
	  800 },
	{ "sync_id", API_FIELD_STRING, false,
	  offsetof(struct move_body, sync_id), 512 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static const struct api_field transfer_fields[] = {
	{ "org", API_FIELD_STRING, true, offsetof(struct move_body, org), 16 },
	{ "site", API_FIELD_STRING, false, offsetof(struct move_body, site),
	  800 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* Decodes a move and finds the org it goes to; false once replied. */
static bool
move_target(struct api_request *req, const struct api_field *spec,
	struct move_body *in, struct store_org *org)
{
	struct error err;
	if (api_json_decode(req->body, spec, in, req->arena, &err) < 0 ||
	    dir_org_get(&req->ctx, in->org, org, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	return true;
}

/*
 * A leaver is joined by an admin of the org they join: their old org has
 * let them go by marking them a leaver, so only the new org's scope counts.
 */
static void
api_user_join(struct api_request *req)
{
	struct store_person p;
	struct store_org org;
	struct move_body in;
	struct error err;
	struct dir_holding *held;
	size_t held_count;
	if (!path_person(req, &p) || !move_target(req, join_fields, &in, &org) ||
	    !api_allowed(req, AUTH_USER_LIFECYCLE, org.id))
		return;
	struct dir_move move = { p.address, org.ods, in.site, in.sync_id };
	if (dir_person_join(&req->ctx, &move, &p, &held, &held_count,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *j = person_record_json(req, p.id);
	if (j == NULL)
		return;
	json_t *list = json_array();
	for (size_t i = 0; i < held_count; i++)
		json_array_append_new(list, dir_json_holding(&held[i]));
	json_object_set_new(j, "held_elsewhere", list);
	api_reply(req, 200, j);
}

/* A transfer moves someone who has not left: both orgs must be the caller's. */
static void
api_user_transfer(struct api_request *req)
{
	struct store_person p;
	struct store_org org;
	struct move_body in;
	struct error err;
	if (!path_person_allowed(req, AUTH_USER_LIFECYCLE, &p) ||
	    !move_target(req, transfer_fields, &in, &org) ||
	    !api_allowed(req, AUTH_USER_LIFECYCLE, org.id))
		return;
	struct dir_move move = { p.address, org.ods, in.site, NULL };
	if (dir_person_transfer(&req->ctx, &move, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_person(req, 200, &p);
}

/* ---- admin roles ---- */

/* Checks the role, its org and access to both the org and the person. */
static bool
role_allowed(struct api_request *req, const char *role, const char *ods,
	const struct store_person *p, struct store_org *org)
{
	struct error err;
	if (!dir_role_is_valid(role)) {
		api_reply_error(req, 422, "invalid", "role must be one of "
			"global_admin, primary_local_admin, local_admin, "
			"helpdesk_admin, audit_authorisation and ediscovery.",
			"role");
		return false;
	}
	if (ods == NULL || ods[0] == '\0') {
		api_reply_error(req, 422, "invalid", "org (an ODS code) is "
			"required: the organisation the role is held for.",
			"org");
		return false;
	}
	if (dir_org_get(&req->ctx, ods, org, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	enum auth_role parsed;
	enum auth_action action = auth_role_parse(role, &parsed) ?
		auth_role_grant_action(parsed) : AUTH_ROLE_GRANT_GLOBAL;
	return api_allowed(req, action, org->id) &&
		api_allowed(req, action, p->org_id);
}

struct role_body {
	const char *role, *org;
};

static const struct api_field role_fields[] = {
	{ "role", API_FIELD_STRING, true, offsetof(struct role_body, role),
	  64 },
	{ "org", API_FIELD_STRING, true, offsetof(struct role_body, org), 16 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
reply_roles(struct api_request *req, unsigned status,
	const struct store_person *p)
{
	api_reply(req, status, json_pack("{s:s, s:o}", "address", p->address,
		"roles", api_json_roles(req, p->id)));
}

static void
api_user_role_post(struct api_request *req)
{
	struct store_person p;
	struct store_org org;
	struct role_body in;
	struct error err;
	if (!path_person(req, &p))
		return;
	if (api_json_decode(req->body, role_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!role_allowed(req, in.role, in.org, &p, &org))
		return;
	int rc = strcmp(in.role, "primary_local_admin") == 0 ?
		dir_org_devolve(&req->ctx, org.ods, p.address, &err) :
		dir_role_add(&req->ctx, p.address, org.ods, in.role, &err);
	if (rc < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_roles(req, 201, &p);
}

static void
api_user_role_delete(struct api_request *req)
{
	struct store_person p;
	struct store_org org;
	struct error err;
	const char *role = api_param(req, "role");
	if (!path_person(req, &p) ||
	    !role_allowed(req, role, api_query(req, "org"), &p, &org))
		return;
	if (dir_role_remove(&req->ctx, p.address, org.ods, role, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	reply_roles(req, 200, &p);
}

const struct api_route api_routes_users[] = {
	{ "GET", "/users", api_users_list, 0 },
	{ "POST", "/users", api_user_post, 0 },
	{ "GET", "/users/{address}", api_user_get, 0 },
	{ "PATCH", "/users/{address}", api_user_patch, 0 },
	{ "DELETE", "/users/{address}", api_user_delete, 0 },
	{ "POST", "/users/{address}/reset-password", api_user_reset_password,
	  0 },
	{ "POST", "/users/{address}/unlock", api_user_unlock, 0 },
	{ "POST", "/users/{address}/disable", api_user_disable, 0 },
	{ "POST", "/users/{address}/enable", api_user_enable, 0 },
	{ "POST", "/users/{address}/leaver", api_user_leaver, 0 },
	{ "POST", "/users/{address}/join", api_user_join, 0 },
	{ "POST", "/users/{address}/transfer", api_user_transfer, 0 },
	{ "POST", "/users/{address}/restore", api_user_restore, 0 },
	{ "POST", "/users/{address}/roles", api_user_role_post, 0 },
	{ "DELETE", "/users/{address}/roles/{role}", api_user_role_delete, 0 },
	API_ROUTES_END,
};
