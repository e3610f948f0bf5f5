/*
 * Devices (SPEC A7): the clients a person has signed in with and when each
 * was last seen — their own at /me/devices, anyone's in an admin's scope
 * at /users/{address}/devices — and the devices report over an admin's
 * orgs at /reports/devices (a page as JSON, or all as CSV), which is
 * audited as a download (SPEC P9, seed 002 #9654). Layer: front end.
 * SECURITY: someone else's devices need user.read for their org.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/spool.h"

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
audit_download(struct api_request *req, const struct dir_org_set *orgs,
	size_t rows, bool csv, struct error *err)
{
	const char *named = api_query(req, "org");
	const char *ods = named != NULL && named[0] != '\0' ?
		dir_org_ods(&req->ctx, orgs->org_ids[0]) : "all";
	json_t *detail = json_pack("{s:s,s:I}", "org", ods, "rows",
		(json_int_t)rows);
	/* A whole report leaving as a file: the trail says which. */
	if (csv && detail != NULL)
		json_object_set_new(detail, "format", json_string("csv"));
	return dir_report_audit(&req->ctx, "devices", orgs->org_ids,
		orgs->org_count, detail, err);
}

/*
 * Every device in the orgs, not a page (limit and cursor do not apply),
 * audited as the JSON report is once it is written.
 */
static void
reply_csv(struct api_request *req, const struct dir_org_set *orgs)
{
	struct spool *sp = api_csv_spool(req);
	size_t rows;
	struct error err;
	if (dir_device_report_csv(&req->ctx, orgs->org_ids, orgs->org_count,
		    API_CSV_MAX_ROWS, sp, &rows, &err) < 0 ||
	    audit_download(req, orgs, rows, true, &err) < 0) {
		spool_free(&sp);
		api_reply_from_error(req, &err);
		return;
	}
	api_reply_csv(req, "devices", sp);
}

void
api_report_devices(struct api_request *req)
{
	struct dir_org_set orgs;
	struct api_page page;
	bool csv;
	if (!api_listing_orgs(req, AUTH_REPORT_READ, &orgs) ||
	    !api_csv_asked(req, &csv))
		return;
	if (csv) {
		reply_csv(req, &orgs);
		return;
	}
	if (!api_page_parse(req, &page))
		return;
	struct store_device_row *rows;
	size_t count;
	struct error err;
	if (dir_device_report(&req->ctx, orgs.org_ids, orgs.org_count,
		    page.after_id, page.limit, &rows, &count, &err) < 0 ||
	    audit_download(req, &orgs, count, false, &err) < 0) {
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
	{ "GET", "/reports/devices", api_report_devices, API_WAITS },
	API_ROUTES_END,
};
