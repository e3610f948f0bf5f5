/*
 * The operator's queue commands behind `caremail queue` and the API:
 * list, show, retry now, bounce (stop trying; the sender gets a report
 * saying an administrator returned the message) and delete (silently,
 * for junk, with a reason). Layer: domain. Each change is audited (object
 * "queue"). RFC 3464 for the report.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"
#include "dir/dir_view.h"
#include "mail/mail_dsn.h"
#include "mail/mail_queue_internal.h"
#include "store/store.h"
#include "store/store_mail.h"
#include "store/store_queue.h"

const char *
mail_queue_status_name(enum store_queue_status s)
{
	return store_queue_status_name(s);
}

/* Text as JSON, or null for none (an error or TLS not yet known). */
static json_t *
text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? dir_json_text(s) : json_null();
}

json_t *
mail_queue_json(const struct store_queued *q)
{
	bool waiting = q->status == STORE_QUEUE_QUEUED ||
		q->status == STORE_QUEUE_IN_FLIGHT;
	return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o,"
		" s:o, s:o, s:I, s:o, s:b}",
		"id", (json_int_t)q->id,
		"status", mail_queue_status_name(q->status),
		"sender", dir_json_text(q->sender),
		"recipient", dir_json_text(q->recipient),
		"queued_at", dir_json_time(q->created_at),
		"next_attempt_at", waiting ? dir_json_time(q->next_attempt_at) :
			json_null(),
		"attempts", (json_int_t)q->attempts,
		"last_attempt_at", dir_json_time(q->last_attempt_at),
		"last_error", text_or_null(q->last_error),
		"remote_mta", text_or_null(q->remote_mta),
		"tls", text_or_null(q->tls),
		"finished_at", dir_json_time(q->finished_at),
		"delay_notices", (json_int_t)q->notices_sent,
		"claimed_by", waiting ? text_or_null(q->claimed_by) :
			json_null(),
		"dkim_signed", q->dkim_signature != NULL &&
			q->dkim_signature[0] != '\0');
}

json_t *
mail_queue_destination_json(const struct mail_queue_destination *d)
{
	return json_pack("{s:o, s:I, s:I, s:o, s:o, s:o}",
		"domain", dir_json_text(d->domain),
		"waiting", (json_int_t)d->waiting,
		"deferred", (json_int_t)d->deferred,
		"oldest_queued_at", dir_json_time(d->oldest_at),
		"last_attempt_at", dir_json_time(d->last_attempt_at),
		"last_error", text_or_null(d->last_error));
}

int
mail_queue_counts(const struct dir_ctx *ctx, struct store_queue_counts *c_r,
	struct error *err)
{
	return store_queue_counts(ctx->store, c_r, err);
}

#define DESTINATION_CHUNK 1000

/* Folds one waiting row into the destinations found so far. */
static int
fold_destination(const struct dir_ctx *ctx, const struct store_queued *q,
	struct mail_queue_destination **dests, size_t *count, size_t *capacity,
	struct error *err)
{
	const char *at = strrchr(q->recipient, '@');
	const char *domain = at != NULL ? at + 1 : q->recipient;
	struct mail_queue_destination *d = NULL;
	for (size_t i = 0; i < *count && d == NULL; i++) {
		if (strcasecmp((*dests)[i].domain, domain) == 0)
			d = &(*dests)[i];
	}
	if (d == NULL) {
		d = arena_array_push(ctx->arena, (void **)dests, count,
			capacity, sizeof(*d));
		if (d == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		*d = (struct mail_queue_destination){
			.domain = arena_strdup(ctx->arena, domain),
			.oldest_at = q->created_at, .last_error = "" };
	}
	d->waiting++;
	d->deferred += q->attempts > 0;
	if (q->created_at < d->oldest_at)
		d->oldest_at = q->created_at;
	if (q->last_attempt_at > d->last_attempt_at) {
		d->last_attempt_at = q->last_attempt_at;
		d->last_error = arena_strdup(ctx->arena,
			q->last_error != NULL ? q->last_error : "");
	}
	return 0;
}

static int
by_oldest(const void *a, const void *b)
{
	const struct mail_queue_destination *x = a, *y = b;
	if (x->oldest_at != y->oldest_at)
		return x->oldest_at < y->oldest_at ? -1 : 1;
	return strcmp(x->domain, y->domain);
}

int
mail_queue_destinations(const struct dir_ctx *ctx,
	struct mail_queue_destination **dests_r, size_t *count_r,
	struct error *err)
{
	struct mail_queue_destination *dests = NULL;
	size_t count = 0, capacity = 0;
	int64_t after = 0;
	for (;;) {
		struct arena *chunk = arena_new(16 * 1024 * 1024);
		struct store_queued *rows;
		size_t n;
		int rc = store_queue_list(ctx->store, after, DESTINATION_CHUNK,
			true, chunk, &rows, &n, err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fold_destination(ctx, &rows[i], &dests, &count,
				&capacity, err);
		if (rc == 0 && n > 0)
			after = rows[n - 1].id;
		arena_free(&chunk);
		if (rc < 0)
			return -1;
		if (n < DESTINATION_CHUNK)
			break;
	}
	if (count > 1)
		qsort(dests, count, sizeof(*dests), by_oldest);
	*dests_r = dests;
	*count_r = count;
	return 0;
}

int
mail_queue_list(const struct dir_ctx *ctx, int64_t after_id, size_t limit,
	bool waiting_only, struct store_queued **items_r, size_t *count_r,
	struct error *err)
{
	return store_queue_list(ctx->store, after_id, limit, waiting_only,
		ctx->arena, items_r, count_r, err);
}

int
mail_queue_get(const struct dir_ctx *ctx, int64_t id,
	struct store_queued *item_r, struct error *err)
{
	return store_queue_get(ctx->store, id, ctx->arena, item_r, err);
}

int
mail_queue_retry(const struct dir_ctx *ctx, int64_t id, int64_t *changed_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = store_queue_retry(ctx->store, id, ctx->now, changed_r, err);
	if (rc == 0 && id > 0 && *changed_r == 0)
		rc = error_set(err, ERROR_NOT_FOUND, "no message waiting in "
			"the queue has the id %lld", (long long)id);
	if (rc == 0)
		rc = dir_audit(ctx, "update", "queue", id, 0,
			json_pack("{s:s, s:I}", "event", "retry", "rows",
				(json_int_t)*changed_r),
			err);
	return dir_finish(ctx, rc, err);
}

/* The longest reason a silent delete keeps on the audit trail. */
#define DELETE_REASON_MAX 500

/* One line of text, 1 to DELETE_REASON_MAX characters, not all blank. */
static int
check_reason(const char *reason, struct error *err)
{
	if (reason == NULL || reason[strspn(reason, " ")] == '\0')
		return error_set_field(err, ERROR_INVALID, "reason",
			"say why the message is deleted without a report: "
			"the reason goes on the audit trail");
	return dir_check_text_lines("reason", "the reason", reason,
		DELETE_REASON_MAX, true, true, err);
}

/* A row a runner still holds or will try: the only ones an operator ends. */
static bool
is_waiting(const struct store_queued *q)
{
	return q->status == STORE_QUEUE_QUEUED ||
		q->status == STORE_QUEUE_IN_FLIGHT;
}

/* Removes the row and writes its audit row (summary stolen) at once. */
static int
remove_row(const struct dir_ctx *ctx, int64_t id, json_t *summary,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0) {
		json_decref(summary);
		return -1;
	}
	int rc = store_queue_delete(ctx->store, id, err);
	if (rc == 0)
		rc = dir_audit(ctx, "delete", "queue", id, 0, summary, err);
	else
		json_decref(summary);
	return dir_finish(ctx, rc, err);
}

static int
get_waiting(const struct dir_ctx *ctx, int64_t id, struct store_queued *q_r,
	struct error *err)
{
	int rc = store_queue_get(ctx->store, id, ctx->arena, q_r, err);
	if (rc < 0 && err->code != ERROR_NOT_FOUND)
		return -1;
	if (rc < 0 || !is_waiting(q_r))
		return error_set(err, ERROR_NOT_FOUND, "no message waiting in "
			"the queue has the id %lld", (long long)id);
	return 0;
}

/* Delivers the report that an administrator returned q to its sender. */
static int
report_returned(const struct dir_ctx *ctx, struct store_writer *writer,
	const struct store_queued *q, struct error *err)
{
	const char *data = NULL;
	size_t size = 0;
	if (store_body_get(ctx->store, q->body_id, ctx->arena, &data, &size,
		    err) < 0)
		return -1;
	/*
	 * The builder's usual words are about what a receiving server did;
	 * nobody refused this one, so the advice says who stopped it.
	 */
	struct mail_dsn_recipient line = {
		.final_recipient = q->recipient,
		.original_recipient = q->orcpt[0] != '\0' ? q->orcpt : NULL,
		.action = MAIL_DSN_FAILED,
		.status = "5.0.0",
		.remote_mta = q->remote_mta[0] != '\0' ? q->remote_mta : NULL,
		.diagnostic = "returned to the sender by an administrator of "
			"this mail service before it could be delivered",
		.diagnostic_is_reply = false,
		.advice = "An administrator of this mail service returned "
			"the message to you before it could be delivered, "
			"and it will not be tried again. If it still needs "
			"to reach the recipient, check the address and send "
			"it again, or contact them another way.",
		.last_attempt = q->last_attempt_at,
	};
	return mail_queue_report_deliver(writer, ctx, q, span_make(data, size),
		&line, 1, err);
}

/*
 * The report goes first, as the runner's do: if it cannot be delivered
 * nothing changes and the operator is told, so a returned message never
 * vanishes without its sender hearing of it. A sender who can never be
 * told (no mailbox any more) does not keep the message in the queue.
 */
int
mail_queue_bounce(const struct dir_ctx *ctx, struct store_writer *writer,
	int64_t id, bool *reported_r, struct error *err)
{
	struct store_queued q;
	*reported_r = false;
	if (get_waiting(ctx, id, &q, err) < 0)
		return -1;
	/*
	 * RFC 3461 §6.2: never a report about a report; §4.1: none unless
	 * the sender's NOTIFY asks for failures (by default it does).
	 */
	if (q.sender[0] != '\0' && mail_dsn_notify_wants(
		    mail_dsn_notify_stored(q.notify), MAIL_DSN_FAILED)) {
		struct error rerr;
		if (report_returned(ctx, writer, &q, &rerr) == 0)
			*reported_r = true;
		else if (!mail_dsn_error_is_final(&rerr))
			return error_set(err, rerr.code, "the report to the "
				"sender could not be delivered, so the message "
				"stays in the queue: %s", rerr.msg);
		else
			log_warn("outbound.report_dropped", "queue_id=%lld "
				"action=failed sender=%s reason=\"%s\"",
				(long long)id, q.sender, rerr.msg);
	}
	return remove_row(ctx, id, json_pack("{s:s, s:s, s:s, s:I, s:b}",
		"event", "bounce", "sender", q.sender, "recipient",
		q.recipient, "attempts", (json_int_t)q.attempts, "reported",
		*reported_r), err);
}

int
mail_queue_delete(const struct dir_ctx *ctx, int64_t id, const char *reason,
	struct error *err)
{
	struct store_queued q;
	if (check_reason(reason, err) < 0 || get_waiting(ctx, id, &q, err) < 0)
		return -1;
	return remove_row(ctx, id, json_pack("{s:s, s:s, s:s, s:I, s:s}",
		"event", "delete", "sender", q.sender, "recipient",
		q.recipient, "attempts", (json_int_t)q.attempts, "reason",
		reason), err);
}
