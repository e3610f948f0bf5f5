/*
 * /api/v1/queue: the outbound queue for the Global Admin: the waiting
 * recipients (or all, ?all=true) page by page, retry one now, delete one
 * (its sender gets a non-delivery report). Layer: front end. The same as
 * `caremail queue list|retry|delete` (docs/outbound.md).
 * SECURITY: queue.manage is the service's own (Global Admins only);
 * every change is audited.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/str.h"
#include "mail/mail.h"
#include "mail/mail_queue.h"

static json_t *
text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
queued_json(const struct store_queued *q)
{
	bool waiting = q->status == STORE_QUEUE_QUEUED ||
		q->status == STORE_QUEUE_IN_FLIGHT;
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:o,"
		" s:o, s:o, s:I}",
		"id", (json_int_t)q->id,
		"status", mail_queue_status_name(q->status),
		"sender", q->sender,
		"recipient", q->recipient,
		"queued_at", api_json_time(q->created_at),
		"next_attempt_at", waiting ? api_json_time(q->next_attempt_at) :
			json_null(),
		"attempts", (json_int_t)q->attempts,
		"last_attempt_at", api_json_time(q->last_attempt_at),
		"last_error", text_or_null(q->last_error),
		"remote_mta", text_or_null(q->remote_mta),
		"tls", text_or_null(q->tls),
		"finished_at", api_json_time(q->finished_at),
		"delay_notices", (json_int_t)q->notices_sent);
}

static void
queue_list(struct api_request *req)
{
	if (!api_allowed(req, AUTH_QUEUE_MANAGE, 0))
		return;
	struct api_page page;
	if (!api_page_parse(req, &page))
		return;
	const char *all = api_query(req, "all");
	if (all != NULL && strcmp(all, "true") != 0 &&
	    strcmp(all, "false") != 0) {
		api_reply_error(req, 422, "invalid", "all must be true or "
			"false.", "all");
		return;
	}
	bool waiting_only = all == NULL || strcmp(all, "true") != 0;
	struct store_queued *items;
	size_t count;
	struct error err;
	if (mail_queue_list(&req->ctx, page.after_id, page.limit,
		    waiting_only, &items, &count, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, queued_json(&items[i]));
	api_reply(req, 200, api_page_json(arr, &page, count,
		count > 0 ? items[count - 1].id : 0));
}

static void
queue_retry(struct api_request *req)
{
	int64_t id, changed = 0;
	struct store_queued q;
	struct error err;
	if (!api_allowed(req, AUTH_QUEUE_MANAGE, 0) || !api_param_id(req, "id", "There is no queued message with that id.", &id))
		return;
	if (mail_queue_retry(&req->ctx, id, &changed, &err) < 0 ||
	    mail_queue_get(&req->ctx, id, &q, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, queued_json(&q));
}

static void
queue_delete(struct api_request *req)
{
	int64_t id;
	struct error err;
	if (!api_allowed(req, AUTH_QUEUE_MANAGE, 0) || !api_param_id(req, "id", "There is no queued message with that id.", &id))
		return;
	if (req->api->writer == NULL) {
		api_reply_error(req, 503, "unavailable", "Mail delivery is "
			"not running here.", NULL);
		return;
	}
	char mta[256];
	mail_hostname(req->ctx.config, mta, sizeof(mta));
	if (mail_queue_delete(&req->ctx, req->api->writer, mta, id,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id,
		"deleted", true));
}

/* GET /queue/destinations: where mail waits, by destination domain. */
static void
queue_destinations(struct api_request *req)
{
	struct mail_queue_destination *d;
	size_t n;
	struct error err;
	if (!api_allowed(req, AUTH_QUEUE_MANAGE, 0))
		return;
	if (mail_queue_destinations(&req->ctx, &d, &n, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:I, s:o, s:o, s:o}", "domain", d[i].domain,
			"waiting", (json_int_t)d[i].waiting,
			"deferred", (json_int_t)d[i].deferred,
			"oldest_queued_at", api_json_time(d[i].oldest_at),
			"last_attempt_at", api_json_time(d[i].last_attempt_at),
			"last_error", text_or_null(d[i].last_error)));
	api_reply(req, 200, json_pack("{s:o}", "items", arr));
}

const struct api_route api_routes_queue[] = {
	{ "GET", "/queue", queue_list, 0 },
	{ "GET", "/queue/destinations", queue_destinations, 0 },
	{ "POST", "/queue/{id}/retry", queue_retry, 0 },
	{ "DELETE", "/queue/{id}", queue_delete, 0 },
	API_ROUTES_END,
};
