/*
 * /api/v1/status: the exact version this server runs, for the admins who
 * operate it. Layer: front end. SECURITY: SECURITY.md 46 (no version
 * banners): the public /healthcheck names no version; here it needs
 * report.read somewhere (the admins who read reports, and tokens given it).
 */
#include "api/api_internal.h"
#include "caremail_version.h"

static void
api_status_get(struct api_request *req)
{
	if (!api_allowed_somewhere(req, AUTH_REPORT_READ))
		return;
	/* The store answered: the request borrowed a connection to get here. */
	api_reply(req, 200, json_pack("{s:s,s:s,s:s}", "status", "ok",
		"store", "ok", "version", CAREMAIL_VERSION));
}

const struct api_route api_routes_status[] = {
	{ "GET", "/status", api_status_get, 0 },
	API_ROUTES_END,
};
