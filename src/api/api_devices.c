/*
 * Devices (SPEC A7): the clients a person has signed in with and when each
 * was last seen — their own at /me/devices, anyone's in an admin's scope
 * at /users/{address}/devices — and the devices report over an admin's
 * orgs at /reports/devices, which is audited as a download (SPEC P9,
 * seed 002 #9654). Layer: front end.
 * SECURITY: someone else's devices need user.read for their org.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"

static json_t *
device_json(const struct store_device *d)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o}", "protocol", d->protocol,
		"client", d->client, "ip", d->address, "first_seen",
		api_json_time(d->first_seen), "last_seen",
		api_json_time(d->last_seen));
}

static void
reply_devices(struct api_request *req, const char *address)
{
	struct store_device *devices;
	size_t count;
	struct error err;
	if (dir_person_devices(&req->ctx, address, &devices, &count,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++) {
		json_t *j = device_json(&devices[i]);
		json_array_append_new(items, j != NULL ? j : json_null());
	}
	/* A person has a handful of devices: one page holds them all. */
	api_reply(req, 200, json_pack("{s:o,s:n}", "items", items,
		"next_cursor"));
}

void
api_me_devices(struct api_request *req)
{
	reply_devices(req, req->session.person.address);
}

void
api_user_devices(struct api_request *req)
{
	struct store_person p;
	struct error err;
	if (dir_person_get(&req->ctx, api_param(req, "address"), &p,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	if (p.id != req->session.person.id &&
	    !api_allowed(req, AUTH_USER_READ, p.org_id))
		return;
	reply_devices(req, p.address);
}

/* The orgs the report covers: the one named, or the caller's scope. */
static bool
report_orgs(struct api_request *req, bool *all_r, int64_t **ids_r,
	size_t *count_r, const char **ods_r)
{
	struct error err;
	const char *ods = api_query(req, "org");
	*all_r = false;
	*ods_r = "all";
	if (ods != NULL && ods[0] != '\0') {
		struct store_org org;
		if (dir_org_get(&req->ctx, ods, &org, &err) < 0) {
			api_reply_from_error(req, &err);
			return false;
		}
		if (!api_allowed(req, AUTH_REPORT_READ, org.id))
			return false;
		*ids_r = arena_alloc(req->arena, sizeof(**ids_r));
		if (*ids_r == NULL) {
			api_reply_error(req, 422, "limit", "The report is too "
				"large for one request.", NULL);
			return false;
		}
		(*ids_r)[0] = org.id;
		*count_r = 1;
		*ods_r = org.ods;
		return true;
	}
	if (!api_scope(req, AUTH_REPORT_READ, all_r, ids_r, count_r))
		return false;
	/* An empty set must never read as "no filter": fail closed. */
	if (!*all_r && *count_r == 0) {
		api_reply_error(req, 403, "denied", "you administer no "
			"organisation this reaches", NULL);
		return false;
	}
	return true;
}

static json_t *
report_row_json(const struct store_device_row *r)
{
	json_t *j = device_json(&r->device);
	if (j == NULL)
		return json_null();
	json_object_set_new(j, "id", json_integer(r->id));
	json_object_set_new(j, "address", json_string(r->person_address));
	json_object_set_new(j, "display_name", json_string(r->person_name));
	json_object_set_new(j, "org", json_string(r->org_ods));
	return j;
}

/*
 * One audit row per org the download covered, so each org's own audit
 * shows it; a Global Admin's download of everything is one row.
 */
static int
audit_download(struct api_request *req, bool all, const int64_t *ids,
	size_t count, const char *ods, size_t rows, struct error *err)
{
	json_t *detail = json_pack("{s:s,s:I}", "org", ods, "rows",
		(json_int_t)rows);
	return dir_report_audit(&req->ctx, "devices", ids, all ? 0 : count,
		detail, err);
}

void
api_report_devices(struct api_request *req)
{
	bool all;
	int64_t *ids = NULL;
	size_t id_count = 0;
	const char *ods;
	struct api_page page;
	if (!report_orgs(req, &all, &ids, &id_count, &ods) ||
	    !api_page_parse(req, &page))
		return;
	struct store_device_row *rows;
	size_t count;
	struct error err;
	if (dir_device_report(&req->ctx, all ? NULL : ids, id_count,
		    page.after_id, page.limit, &rows, &count, &err) < 0 ||
	    audit_download(req, all, ids, id_count, ods, count, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(items, report_row_json(&rows[i]));
	api_reply(req, 200, api_page_json(items, &page, count,
		count > 0 ? rows[count - 1].id : 0));
}

const struct api_route api_routes_devices[] = {
	{ "GET", "/me/devices", api_me_devices, 0 },
	{ "GET", "/users/{address}/devices", api_user_devices, 0 },
	{ "GET", "/reports/devices", api_report_devices, 0 },
	API_ROUTES_END,
};
