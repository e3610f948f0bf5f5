/*
 * GET /healthcheck: whether this process can serve, for load balancers and
 * monitoring. Layer: front end. RFC 9110 §15.6.4 (503 Service Unavailable).
 * SECURITY: unauthenticated, so it reports status only, and the audit
 * chain's state as one word (docs/audit.md), never which row; no version
 * (SECURITY.md 46), which admins read at /api/v1/status.
 */
#include "core/clock.h"
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

/*
 * The outbound queue for monitoring (issue 11): how many recipients wait,
 * how many of them were deferred, and the oldest one's age in seconds.
 * Counts only: no address.
 */
static void
add_queue(const struct http_server *s, json_t *body)
{
	struct store_queue_counts c;
	if (s->opts.queue_counts == NULL || body == NULL ||
	    s->opts.queue_counts(s->opts.ctx, &c) < 0)
		return;
	int64_t age = c.oldest_at != 0 ? clock_now() - c.oldest_at : 0;
	json_object_set_new(body, "queue", json_pack("{s:I,s:I,s:I}",
		"waiting", (json_int_t)c.waiting, "deferred",
		(json_int_t)c.deferred, "oldest_age_s",
		(json_int_t)(age > 0 ? age : 0)));
}

/*
 * Maintenance mode (SPEC S5) as {"on", "until"}: monitoring and a load
 * balancer's dashboard see it, while the status stays 200 because SMTP,
 * IMAP and POP3 still serve. The message is for people signed in.
 */
static void
add_maintenance(const struct http_server *s, json_t *body)
{
	bool on;
	int64_t until;
	if (s->opts.maintenance == NULL || body == NULL ||
	    s->opts.maintenance(s->opts.ctx, &on, &until) < 0)
		return;
	char iso[32];
	clock_format_iso(until, iso, sizeof(iso));
	json_object_set_new(body, "maintenance", json_pack("{s:b,s:o}", "on",
		on, "until", on && until != 0 ? json_string(iso) :
		json_null()));
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
		add_queue(s, body);
		add_maintenance(s, body);
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
