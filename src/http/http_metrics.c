/*
 * GET /metrics: the process's metrics for Prometheus (SPEC S3,
 * docs/operations.md), in the text exposition format 0.0.4. Layer: front
 * end. RFC 9110 §15.5.4 (403).
 * SECURITY: served only to the addresses in http.metrics_allow (loopback by
 * default; empty: nobody), refused with 403 to every other before anything
 * is read. The text holds counts, never an address, a name or a secret:
 * labels are listener names, route templates and outcomes (core/metrics.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/cidr.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "http_internal.h"

/* What a scrape may take: far above the few hundred lines there are. */
#define HTTP_METRICS_MAX (4 * 1024 * 1024)

/*
 * Read at scrape time, through the same callbacks as /healthcheck: the
 * queue's SQL stays in store/, the counting in mail/.
 */
static struct metrics_family queue_recipients = {
	.name = "caremail_queue_recipients",
	.help = "Recipients waiting in the outbound queue (queued or in "
		"flight), read at scrape time.",
	.type = METRICS_GAUGE,
};
METRICS_REGISTER(queue_recipients)
static struct metrics_family queue_deferred = {
	.name = "caremail_queue_deferred_recipients",
	.help = "Of the recipients waiting, those tried at least once and "
		"deferred, read at scrape time.",
	.type = METRICS_GAUGE,
};
METRICS_REGISTER(queue_deferred)
static struct metrics_family queue_oldest = {
	.name = "caremail_queue_oldest_age_seconds",
	.help = "Seconds since the oldest waiting recipient was queued; 0 "
		"when none waits. Read at scrape time.",
	.type = METRICS_GAUGE,
};
METRICS_REGISTER(queue_oldest)
static struct metrics_family store_up = {
	.name = "caremail_store_up",
	.help = "1 when the store answered at scrape time, else 0 (as "
		"/healthcheck).",
	.type = METRICS_GAUGE,
};
METRICS_REGISTER(store_up)

int
http_metrics_check_allow(const char *list, struct error *err)
{
	struct span rest = span_from_cstr(list != NULL ? list : ""), item;
	while (span_split(&rest, ',', &item)) {
		char entry[80];
		struct cidr block;
		item = span_trim(item);
		if (item.len == 0)
			continue;
		if (item.len >= sizeof(entry))
			return error_set(err, ERROR_INVALID,
				"http.metrics_allow: an entry is too long");
		memcpy(entry, item.p, item.len);
		entry[item.len] = '\0';
		if (!cidr_parse(entry, &block))
			return error_set(err, ERROR_INVALID,
				"http.metrics_allow: '%s' is not an IP "
				"address or CIDR block", entry);
	}
	return 0;
}

/* Sets the gauges read from the store now, before the render. */
static void
read_gauges(const struct http_server *s)
{
	struct error err;
	error_clear(&err);
	bool up = s->opts.store_ping(s->opts.ctx, &err) == 0;
	metrics_set(metrics_series(&store_up, NULL, NULL), up ? 1 : 0);
	struct store_queue_counts c;
	if (!up || s->opts.queue_counts == NULL ||
	    s->opts.queue_counts(s->opts.ctx, &c) < 0)
		return;
	int64_t age = c.oldest_at != 0 ? clock_now() - c.oldest_at : 0;
	metrics_set(metrics_series(&queue_recipients, NULL, NULL), c.waiting);
	metrics_set(metrics_series(&queue_deferred, NULL, NULL), c.deferred);
	metrics_set(metrics_series(&queue_oldest, NULL, NULL),
		age > 0 ? age : 0);
}

void
http_metrics_get(const struct http_request *req, struct http_reply *reply)
{
	const struct http_server *s = req->server;
	char peer[HTTP_PEER_MAX];
	http_peer_text(req->connection, peer, sizeof(peer));
	if (!cidr_list_contains(s->opts.metrics_allow, peer)) {
		http_reply_error(reply, 403, "denied", "Metrics are not served "
			"to this address (http.metrics_allow).");
		return;
	}
	read_gauges(s);
	struct arena *a = arena_new(HTTP_METRICS_MAX + 64 * 1024);
	struct str out;
	str_init(&out, a, HTTP_METRICS_MAX);
	if (metrics_render(&out) < 0) {
		arena_free(&a);
		http_reply_error(reply, 500, "internal", "The metrics did not "
			"fit in a reply; this is a fault of ours.");
		return;
	}
	http_reply_text(reply, 200, METRICS_CONTENT_TYPE, str_cstr(&out),
		out.len);
	arena_free(&a);
}
