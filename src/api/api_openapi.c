/*
 * GET /api/v1/openapi.json: the OpenAPI 3.0 document of the API, compiled
 * in from docs/openapi.json so the server and the docs cannot drift apart
 * unnoticed (a test compares both with the route table). Layer: front end.
 */
#include "api/api_internal.h"
#include "api_openapi_json.h"

void
api_openapi_get(struct api_request *req)
{
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)api_openapi_json,
		sizeof(api_openapi_json), 0, &jerr);
	if (doc == NULL) {
		struct error err;
		error_set(&err, ERROR_INTERNAL, "docs/openapi.json is not "
			"JSON: %s", jerr.text);
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, doc);
}
