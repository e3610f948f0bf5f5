/*
 * The parts of a request a handler reads: a {name} segment of the path
 * (filled in by the router) and a query argument. Kept apart from the
 * router so the areas it routes to do not call back into it. Layer: front
 * end. RFC 3986 §3.3-3.4.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "http/http.h"

const char *
api_param(const struct api_request *req, const char *name)
{
	for (size_t i = 0; i < req->param_count; i++) {
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	}
	return "";
}

bool
api_path_org(struct api_request *req, struct store_org *org)
{
	struct error err;
	if (dir_org_get(&req->ctx, api_param(req, "ods"), org, &err) == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_param_id(struct api_request *req, const char *name,
	const char *not_found, int64_t *id_r)
{
	const char *text = api_param(req, name);
	char *end;
	errno = 0;
	long long id = strtoll(text, &end, 10);
	if (text[0] < '1' || text[0] > '9' || *end != '\0' || errno != 0) {
		api_reply_error(req, 404, "not_found", not_found, name);
		return false;
	}
	*id_r = id;
	return true;
}

const char *
api_query(const struct api_request *req, const char *name)
{
	return http_call_query(req->call, name);
}
