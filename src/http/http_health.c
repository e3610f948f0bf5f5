/*
 * GET /healthcheck: whether this process can serve, for load balancers and
 * monitoring. Layer: front end. RFC 9110 §15.6.4 (503 Service Unavailable).
 * SECURITY: unauthenticated, so it reports status only, and the audit
 * chain's state as one word (docs/audit.md), never which row; no version
 * (SECURITY.md 46), which admins read at /api/v1/status.
 */
#include "http_internal.h"

/*
 * A broken audit chain does not make the server unavailable: mail must
 * keep flowing, so the status stays 200 and monitoring reads "audit".
 */
static void
add_audit_state(const struct http_server *s, json_t *body)
{
	if (s->opts.audit_state != NULL && body != NULL)
		json_object_set_new(body, "audit", json_string(
			s->opts.audit_state(s->opts.audit_ctx)));
}

void
http_health_get(const struct http_request *req, struct http_reply *reply)
{
	const struct http_server *s = req->server;
	struct error err;
	error_clear(&err);
	json_t *body;
	if (s->opts.store_ping(s->opts.ctx, &err) == 0) {
		body = json_pack("{s:s,s:s}", "status", "ok", "store", "ok");
		add_audit_state(s, body);
		http_reply_json(reply, 200, body);
		return;
	}
	char reason[sizeof(err.msg)];
	http_clean_text(reason, sizeof(reason), err.msg);
	body = json_pack("{s:s,s:s,s:s}", "status", "unavailable",
		"store", "unreachable", "reason", reason);
	add_audit_state(s, body);
	http_reply_json(reply, 503, body);
}
