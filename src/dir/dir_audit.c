/*
 * The transaction a directory change runs in and the audit row it writes
 * there, so a change and its record commit or fail together (SPEC P10).
 * Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store.h"
#include "store/store_audit.h"

int
dir_begin(const struct dir_ctx *ctx, struct error *err)
{
	return store_begin(ctx->store, err);
}

int
dir_finish(const struct dir_ctx *ctx, int rc, struct error *err)
{
	if (rc < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}

int
dir_read_begin(const struct dir_ctx *ctx, struct error *err)
{
	return store_read_begin(ctx->store, err);
}

void
dir_read_end(const struct dir_ctx *ctx)
{
	store_read_end(ctx->store);
}

uint64_t
dir_statement_count(const struct dir_ctx *ctx)
{
	return store_statement_count(ctx->store);
}

json_t *
dir_json_str(const char *s)
{
	return json_string(s != NULL ? s : "");
}

static int
audit_text_row(const struct dir_ctx *ctx, const char *action,
	const char *object_type, int64_t object_id, int64_t org_id,
	const char *text, const char *result, struct error *err)
{
	struct store_audit row = {
		.at = ctx->now,
		.actor = ctx->actor,
		.action = action,
		.object_type = object_type,
		.object_id = object_id,
		.org_id = org_id,
		.summary = text,
		.client = ctx->client,
		.request_id = ctx->request_id,
		.result = result,
	};
	return store_audit_append(ctx->store, &row, ctx->audit_key, err);
}

static int
audit_row(const struct dir_ctx *ctx, const char *action,
	const char *object_type, int64_t object_id, int64_t org_id,
	json_t *summary, const char *result, struct error *err)
{
	if (summary == NULL)
		summary = json_object();
	char *text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(summary);
	if (text == NULL)
		return error_set(err, ERROR_INTERNAL,
			"cannot write the audit summary");
	int rc = audit_text_row(ctx, action, object_type, object_id, org_id,
		text, result, err);
	free(text);
	return rc;
}

int
dir_audit_text(const struct dir_ctx *ctx, const char *object_type,
	int64_t org_id, const char *summary, bool denied, struct error *err)
{
	return audit_text_row(ctx, "other", object_type, 0, org_id, summary,
		denied ? "denied" : "done", err);
}

int
dir_audit_json(const struct dir_ctx *ctx, const char *action,
	const char *object_type, int64_t object_id, int64_t org_id,
	json_t *summary, struct error *err)
{
	return audit_row(ctx, action, object_type, object_id, org_id, summary,
		"done", err);
}

int
dir_audit_denied(const struct dir_ctx *ctx, const char *object_type,
	int64_t org_id, void *summary, struct error *err)
{
	if (dir_begin(ctx, err) < 0) {
		json_decref(summary);
		return -1;
	}
	return dir_finish(ctx, audit_row(ctx, "other", object_type, 0, org_id,
		summary, "denied", err), err);
}

int
dir_audit(const struct dir_ctx *ctx, const char *action,
	const char *object_type, int64_t object_id, int64_t org_id,
	void *summary, struct error *err)
{
	return dir_audit_json(ctx, action, object_type, object_id, org_id,
		summary, err);
}

int
dir_audit_list(const struct dir_ctx *ctx,
	const struct store_audit_filter *filter, struct store_audit **rows_r,
	size_t *count_r, struct error *err)
{
	return store_audit_list(ctx->store, filter, ctx->arena, rows_r, count_r,
		err);
}
