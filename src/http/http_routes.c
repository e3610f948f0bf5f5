/*
 * The route table: every path the HTTP front end answers, in one place.
 * Layer: front end. RFC 9110 §15.5.6 (405 and Allow), §9.3.2 (HEAD).
 * SECURITY: paths match exactly, or below a prefix whose handler routes
 * them itself; nothing is served that is not listed here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

static const struct http_route http_routes[] = {
	{ "GET", "/healthcheck", http_health_get, false },
	{ "GET", "/metrics", http_metrics_get, false },
	/* The JSON API routes its own paths and methods (api/). */
	{ "*", "/api/v1/", http_api_dispatch, true },
	/* Last: every other path is a web page or asset (http_static.c). */
	{ "GET", "/", http_static_get, true },
};

#define HTTP_ROUTE_COUNT (sizeof(http_routes) / sizeof(*http_routes))

static bool
http_method_matches(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0 || strcmp(route_method, "*") == 0)
		return true;
	/* HEAD is GET without the body; libmicrohttpd drops the body. */
	return strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

static void
http_allow_add(char *allow, size_t size, const char *method)
{
	size_t used = strlen(allow);
	int n = snprintf(allow + used, size - used, "%s%s",
		used > 0 ? ", " : "", method);
	if (n < 0 || (size_t)n >= size - used)
		abort();	/* a bug: the table outgrew struct http_reply */
}

const struct http_route *
http_route_find(const char *method, const char *path, bool *path_known_r,
	char *allow, size_t allow_size)
{
	*path_known_r = false;
	allow[0] = '\0';
	for (size_t i = 0; i < HTTP_ROUTE_COUNT; i++) {
		const struct http_route *r = &http_routes[i];
		if (r->prefix ? strncmp(r->path, path, strlen(r->path)) != 0 :
				strcmp(r->path, path) != 0)
			continue;
		if (http_method_matches(r->method, method))
			return r;
		/*
		 * The first route for a path names its methods: the web
		 * pages' catch-all "/" must not add its own to /healthcheck's.
		 */
		if (*path_known_r)
			continue;
		*path_known_r = true;
		http_allow_add(allow, allow_size, r->method);
		if (strcmp(r->method, "GET") == 0)
			http_allow_add(allow, allow_size, "HEAD");
	}
	return NULL;
}
