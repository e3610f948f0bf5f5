/*
 * GET /healthcheck: whether this process can serve, for load balancers and
 * monitoring. Layer: front end. RFC 9110 §15.6.4 (503 Service Unavailable).
 * SECURITY: unauthenticated, so it reports status only: no version
 * (SECURITY.md 46), which admins read at /api/v1/status.
 */
#include "http_internal.h"

void
http_health_get(const struct http_request *req, struct http_reply *reply)
{
	const struct http_server *s = req->server;
	struct error err;
	error_clear(&err);
	if (s->opts.store_ping(s->opts.ctx, &err) == 0) {
		http_reply_json(reply, 200, json_pack("{s:s,s:s}",
			"status", "ok", "store", "ok"));
		return;
	}
	char reason[sizeof(err.msg)];
	http_clean_text(reason, sizeof(reason), err.msg);
	http_reply_json(reply, 503, json_pack("{s:s,s:s,s:s}",
		"status", "unavailable", "store", "unreachable",
		"reason", reason));
}
