/*
 * /api/v1/queue: the outbound queue for the Global Admin: the waiting
 * recipients (or all, ?all=true) page by page, retry one now, bounce one
 * (its sender gets a non-delivery report) or delete one silently (the
 * reason audited). Layer: front end. The same as `caremail queue
 * list|retry|bounce|delete` (docs/outbound.md).
 * SECURITY: queue.manage is the service's own (Global Admins only);
 * every change is audited.
 */
#include <stddef.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/str.h"
#include "mail/mail_queue.h"

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
		json_array_append_new(arr, mail_queue_json(&items[i]));
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
	api_reply(req, 200, mail_queue_json(&q));
}

/* POST /queue/{id}/bounce: stop trying; the sender gets a report. */
static void
queue_bounce(struct api_request *req)
{
	int64_t id;
	struct error err;
	if (!api_allowed(req, AUTH_QUEUE_MANAGE, 0) || !api_param_id(req, "id",
		    "There is no queued message with that id.", &id) ||
	    !api_no_body(req))
		return;
	if (req->api->writer == NULL) {
		api_reply_error(req, 503, "unavailable", "Mail delivery is "
			"not running here.", NULL);
		return;
	}
	bool reported = false;
	if (mail_queue_bounce(&req->ctx, req->api->writer, id, &reported,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	api_reply(req, 200, json_pack("{s:I, s:b, s:b}", "id",
		(json_int_t)id, "bounced", true, "reported", reported));
}

struct delete_body {
	const char *reason;
};

static const struct api_field delete_fields[] = {
	{ "reason", API_FIELD_STRING, true,
	  offsetof(struct delete_body, reason), 500 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* DELETE /queue/{id}: removed silently, the reason audited. */
static void
queue_delete(struct api_request *req)
{
	int64_t id;
	struct delete_body in;
	struct error err;
	if (!api_allowed(req, AUTH_QUEUE_MANAGE, 0) || !api_param_id(req, "id", "There is no queued message with that id.", &id))
		return;
	if (api_json_decode(req->body, delete_fields, &in, req->arena,
		    &err) < 0 ||
	    mail_queue_delete(&req->ctx, id, in.reason, &err) < 0) {
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
		json_array_append_new(arr, mail_queue_destination_json(&d[i]));
	api_reply(req, 200, json_pack("{s:o}", "items", arr));
}

const struct api_route api_routes_queue[] = {
	{ "GET", "/queue", queue_list, 0 },
	{ "GET", "/queue/destinations", queue_destinations, 0 },
	{ "POST", "/queue/{id}/retry", queue_retry, 0 },
	{ "POST", "/queue/{id}/bounce", queue_bounce, 0 },
	{ "DELETE", "/queue/{id}", queue_delete, 0 },
	API_ROUTES_END,
};
