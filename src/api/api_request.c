/*
 * The parts of a request a handler reads: a {name} segment of the path
 * (filled in by the router) and a query argument. Kept apart from the
 * router so the areas it routes to do not call back into it. Layer: front
 * end. RFC 3986 §3.3-3.4.
 */
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

const char *
api_query(const struct api_request *req, const char *name)
{
	return http_call_query(req->call, name);
}
