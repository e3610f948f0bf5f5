/*
 * /api/v1/orgs: organisations, their sites and application servers (SPEC D1, P2): reading those
 * in the caller's scope, editing one's own org (local IT helpdesk, postal
 * address, ...), and the Global Admin's creating orgs and devolving them to
 * a Primary Local Admin. Layer: front end.
 * SECURITY: every handler asks auth (api_allowed, api_scope) first; fields
 * that reshape the service (name, type, parent) need the Global Admin.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "dir/dir_view.h"
#include "mail/mail_org_policy.h"

/* Long free text is checked in characters by dir/; this only bounds bytes. */
#define LONG_TEXT_BYTES (4 * 4000)

bool
api_scope_has(bool all, const int64_t *ids, size_t count, int64_t org_id)
{
	if (all)
		return true;
	for (size_t i = 0; i < count; i++) {
		if (ids[i] == org_id)
			return true;
	}
	return false;
}

/* The org's record (parent, Primary Local Admins) as JSON, or null. */
static json_t *
org_json(struct api_request *req, const struct store_org *o)
{
	struct dir_org_record *r;
	struct error err;
	if (dir_org_records(&req->ctx, o, 1, &r, &err) < 0)
		return json_null();
	return dir_json_org(&r[0]);
}

static int
org_id_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct store_org *)a)->id;
	int64_t y = ((const struct store_org *)b)->id;
	return (x > y) - (x < y);
}

static void
api_orgs_list(struct api_request *req)
{
	bool all;
	int64_t *ids;
	size_t id_count;
	struct api_page page;
	struct store_org *orgs;
	size_t n;
	struct error err;
	if (!api_scope(req, AUTH_ORG_READ, &all, &ids, &id_count) ||
	    !api_page_parse(req, &page))
		return;
	if (dir_org_list(&req->ctx, &orgs, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	/* The cursor is an id, so the pages go by id. */
	qsort(orgs, n, sizeof(*orgs), org_id_cmp);
	/* The page is picked first, then its records read in one go. */
	size_t count = 0;
	int64_t last = 0;
	for (size_t i = 0; i < n && count < page.limit; i++) {
		if (orgs[i].id <= page.after_id ||
		    !api_scope_has(all, ids, id_count, orgs[i].id))
			continue;
		orgs[count++] = orgs[i];
		last = orgs[i].id;
	}
	struct dir_org_record *records;
	if (dir_org_records(&req->ctx, orgs, count, &records, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(items, dir_json_org(&records[i]));
	api_reply(req, 200, api_page_json(items, &page, count, last));
}

/* The org's mail policy as JSON (mail_org_policy_json), or NULL replied. */
static json_t *
mail_policy_json(struct api_request *req, int64_t org_id)
{
	struct mail_org_policy p;
	struct error err;
	if (mail_org_policy_get(&req->ctx, org_id, &p, &err) < 0) {
		api_reply_from_error(req, &err);
		return NULL;
	}
	return mail_org_policy_json(&p);
}

static void
api_org_get(struct api_request *req)
{
	struct store_org org;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_READ, org.id))
		return;
	json_t *policy = mail_policy_json(req, org.id);
	if (policy == NULL)
		return;
	json_t *reply = org_json(req, &org);
	if (json_is_object(reply))
		json_object_set_new(reply, "mail_policy", policy);
	else
		json_decref(policy);
	api_reply(req, 200, reply);
}

/*
 * PUT /orgs/{ods}/mail-policy: each setting given is set (a number, an
 * action word) or cleared (null or "default": the service's setting);
 * those left out are kept. The Global Administrator's alone: an org's
 * own admins must not weaken DLP for it (issue 12 item 5).
 */
static void
api_org_mail_policy_put(struct api_request *req)
{
	struct store_org org;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_CREATE, 0))
		return;
	json_t *body = json_loadb(req->body.p, req->body.len,
		JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(body) || json_object_size(body) == 0 ||
	    json_object_size(body) > MAIL_ORG_POLICY_KEYS) {
		json_decref(body);
		api_reply_error(req, 422, "invalid", "Send a JSON object with "
			"the settings to change: send_limit_message, "
			"send_limit_day, dlp_high, dlp_medium, dlp_low (null or "
			"\"default\" for the service's setting).", NULL);
		return;
	}
	struct mail_org_policy_change changes[MAIL_ORG_POLICY_KEYS];
	size_t n = 0;
	const char *key;
	json_t *value;
	json_object_foreach(body, key, value) {
		const char *text = NULL;
		if (json_is_integer(value))
			text = arena_printf(req->arena, "%lld",
				(long long)json_integer_value(value));
		else if (json_is_string(value))
			text = arena_strdup(req->arena, json_string_value(value));
		else if (!json_is_null(value))
			text = "";	/* neither: refused with the key's sentence */
		changes[n++] = (struct mail_org_policy_change){
			.key = arena_strdup(req->arena, key), .value = text };
	}
	json_decref(body);
	struct mail_org_policy p;
	if (mail_org_policy_change(&req->ctx, org.ods, changes, n, &p,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, mail_org_policy_json(&p));
}

struct org_body {
	const char *ods, *name, *type, *parent;
	const char *postal_address, *description, *website;
	const char *helpdesk_phone, *helpdesk_email, *protocols_off;
	int64_t default_quota_mb;
};

#define ORG_FIELD(name, member, required, max)                             \
	{ name, API_FIELD_STRING, required,                                \
	  offsetof(struct org_body, member), max }

static const struct api_field org_add_fields[] = {
	ORG_FIELD("ods", ods, true, 16),
	ORG_FIELD("name", name, true, 800),
	ORG_FIELD("type", type, false, 400),
	ORG_FIELD("parent", parent, false, 16),
	ORG_FIELD("postal_address", postal_address, false, LONG_TEXT_BYTES),
	ORG_FIELD("description", description, false, LONG_TEXT_BYTES),
	ORG_FIELD("website", website, false, 2048),
	ORG_FIELD("helpdesk_phone", helpdesk_phone, false, 64),
	ORG_FIELD("helpdesk_email", helpdesk_email, false, 320),
	ORG_FIELD("protocols_off", protocols_off, false, 64),
	{ "default_quota_mb", API_FIELD_INT, false,
	  offsetof(struct org_body, default_quota_mb), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* As for adding, less the ODS code, which names the org for good. */
static const struct api_field org_edit_fields[] = {
	ORG_FIELD("name", name, false, 800),
	ORG_FIELD("type", type, false, 400),
	ORG_FIELD("parent", parent, false, 16),
	ORG_FIELD("postal_address", postal_address, false, LONG_TEXT_BYTES),
	ORG_FIELD("description", description, false, LONG_TEXT_BYTES),
	ORG_FIELD("website", website, false, 2048),
	ORG_FIELD("helpdesk_phone", helpdesk_phone, false, 64),
	ORG_FIELD("helpdesk_email", helpdesk_email, false, 320),
	ORG_FIELD("protocols_off", protocols_off, false, 64),
	{ "default_quota_mb", API_FIELD_INT, false,
	  offsetof(struct org_body, default_quota_mb), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static struct dir_org_fields
org_fields_from(const struct org_body *in)
{
	return (struct dir_org_fields){
		.ods = in->ods,
		.name = in->name,
		.type = in->type,
		.parent_ods = in->parent,
		.postal_address = in->postal_address,
		.description = in->description,
		.website = in->website,
		.helpdesk_phone = in->helpdesk_phone,
		.helpdesk_email = in->helpdesk_email,
		.default_quota_mb = in->default_quota_mb,
		.protocols_off = in->protocols_off,
	};
}

static void
api_org_post(struct api_request *req)
{
	struct org_body in;
	struct store_org org;
	struct error err;
	if (!api_allowed(req, AUTH_ORG_CREATE, 0))
		return;
	if (api_json_decode(req->body, org_add_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	struct dir_org_fields f = org_fields_from(&in);
	if (dir_org_add(&req->ctx, &f, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 201, org_json(req, &org));
}

static bool
any_field(const struct org_body *in)
{
	return in->name != NULL || in->type != NULL || in->parent != NULL ||
		in->postal_address != NULL || in->description != NULL ||
		in->website != NULL || in->helpdesk_phone != NULL ||
		in->helpdesk_email != NULL || in->protocols_off != NULL ||
		in->default_quota_mb != 0;
}

static void
api_org_patch(struct api_request *req)
{
	struct org_body in;
	struct store_org org;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_EDIT, org.id))
		return;
	if (api_json_decode(req->body, org_edit_fields, &in, req->arena,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (!any_field(&in)) {
		api_reply_error(req, 422, "invalid", "Send at least one field "
			"to change.", NULL);
		return;
	}
	/*
	 * An org's name and type come from the national ODS register, and its
	 * parent decides whose scope it is in: the service's to change, as
	 * creating an org is.
	 */
	if ((in.name != NULL || in.type != NULL || in.parent != NULL) &&
	    !api_allowed(req, AUTH_ORG_CREATE, 0))
		return;
	struct dir_org_fields f = org_fields_from(&in);
	if (dir_org_edit(&req->ctx, org.ods, &f, &org, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, org_json(req, &org));
}

struct devolve_body {
	const char *address;
};

static const struct api_field devolve_fields[] = {
	{ "address", API_FIELD_STRING, true,
	  offsetof(struct devolve_body, address), 320 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_org_primary_admin_post(struct api_request *req)
{
	struct devolve_body in;
	struct store_org org;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_DEVOLVE, org.id))
		return;
	if (api_json_decode(req->body, devolve_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_org_devolve(&req->ctx, org.ods, in.address, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 201, org_json(req, &org));
}

static int
site_id_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct store_site *)a)->id;
	int64_t y = ((const struct store_site *)b)->id;
	return (x > y) - (x < y);
}

static void
api_org_sites_list(struct api_request *req)
{
	struct store_org org;
	struct api_page page;
	struct store_site *sites;
	size_t n;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_READ, org.id) ||
	    !api_page_parse(req, &page))
		return;
	if (dir_site_list(&req->ctx, org.ods, &sites, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (n > 1)
		qsort(sites, n, sizeof(*sites), site_id_cmp);
	json_t *items = json_array();
	size_t count = 0;
	int64_t last = 0;
	for (size_t i = 0; i < n && count < page.limit; i++) {
		if (sites[i].id <= page.after_id)
			continue;
		json_array_append_new(items, dir_json_site(&sites[i]));
		last = sites[i].id;
		count++;
	}
	api_reply(req, 200, api_page_json(items, &page, count, last));
}

struct site_body {
	const char *name, *site_type, *postal_address;
};

static const struct api_field site_fields[] = {
	{ "name", API_FIELD_STRING, true, offsetof(struct site_body, name),
	  800 },
	{ "site_type", API_FIELD_STRING, true,
	  offsetof(struct site_body, site_type), 64 },
	{ "postal_address", API_FIELD_STRING, false,
	  offsetof(struct site_body, postal_address), LONG_TEXT_BYTES },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_org_site_post(struct api_request *req)
{
	struct site_body in;
	struct store_org org;
	struct store_site site;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_EDIT, org.id))
		return;
	if (api_json_decode(req->body, site_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_site_add(&req->ctx, org.ods, in.name, in.site_type,
		    in.postal_address, &site, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 201, dir_json_site(&site));
}

/*
 * An org's application servers registered for relay (SPEC M3): reading
 * them is org.read, registering and removing them relay.manage.
 */
static void
api_org_relays_list(struct api_request *req)
{
	struct store_org org;
	struct api_page page;
	struct store_relay_host *hosts;
	size_t n;
	struct error err;
	if (!api_path_org(req, &org) || !api_allowed(req, AUTH_ORG_READ, org.id) ||
	    !api_page_parse(req, &page))
		return;
	if (dir_relay_list(&req->ctx, org.ods, &hosts, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	size_t count = 0;
	int64_t last = 0;
	for (size_t i = 0; i < n && count < page.limit; i++) {
		if (hosts[i].id <= page.after_id)
			continue;
		json_array_append_new(items, dir_json_relay(&hosts[i], org.ods));
		last = hosts[i].id;
		count++;
	}
	api_reply(req, 200, api_page_json(items, &page, count, last));
}

struct relay_body {
	const char *cidr, *label;
};

static const struct api_field relay_fields[] = {
	{ "cidr", API_FIELD_STRING, true, offsetof(struct relay_body, cidr),
	  64 },
	{ "label", API_FIELD_STRING, true, offsetof(struct relay_body, label),
	  400 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
api_org_relay_post(struct api_request *req)
{
	struct relay_body in;
	struct store_org org;
	struct store_relay_host r;
	struct error err;
	if (!api_path_org(req, &org) ||
	    !api_allowed(req, AUTH_RELAY_MANAGE, org.id))
		return;
	if (api_json_decode(req->body, relay_fields, &in, req->arena,
		    &err) < 0 ||
	    dir_relay_add(&req->ctx, org.ods, in.cidr, in.label, &r,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 201, dir_json_relay(&r, org.ods));
}

static void
api_org_relay_delete(struct api_request *req)
{
	struct store_org org;
	struct store_relay_host r;
	int64_t id;
	struct error err;
	if (!api_path_org(req, &org) ||
	    !api_param_id(req, "id", "That organisation has no application "
		    "server registered with that id.", &id))
		return;
	/* Another org's id is as unknown here as one never made. */
	if (dir_relay_get(&req->ctx, id, &r, &err) < 0 || r.org_id != org.id) {
		api_reply_error(req, 404, "not_found", "That organisation has "
			"no application server registered with that id.", "id");
		return;
	}
	if (!api_allowed(req, AUTH_RELAY_MANAGE, org.id))
		return;
	if (dir_relay_remove(&req->ctx, id, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, dir_json_relay(&r, org.ods));
}

const struct api_route api_routes_orgs[] = {
	{ "GET", "/orgs", api_orgs_list, 0 },
	{ "POST", "/orgs", api_org_post, 0 },
	{ "GET", "/orgs/{ods}", api_org_get, 0 },
	{ "PATCH", "/orgs/{ods}", api_org_patch, 0 },
	{ "PUT", "/orgs/{ods}/mail-policy", api_org_mail_policy_put, 0 },
	{ "POST", "/orgs/{ods}/primary-admins", api_org_primary_admin_post, 0 },
	{ "GET", "/orgs/{ods}/sites", api_org_sites_list, 0 },
	{ "POST", "/orgs/{ods}/sites", api_org_site_post, 0 },
	{ "GET", "/orgs/{ods}/relays", api_org_relays_list, 0 },
	{ "POST", "/orgs/{ods}/relays", api_org_relay_post, 0 },
	{ "DELETE", "/orgs/{ods}/relays/{id}", api_org_relay_delete, 0 },
	API_ROUTES_END,
};
