/*
 * The change freeze (SPEC P6, seed 000): a switch a Global Admin turns on
 * around a change window. While it is on, dynamic distribution lists
 * cannot be created, changed, renamed or deleted; mail to every list keeps
 * flowing, because expansion never asks. Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store_review.h"

#define FREEZE_SETTING "change_freeze"

int
dir_change_freeze_get(const struct dir_ctx *ctx, struct dir_freeze *f_r,
	struct error *err)
{
	const char *value, *by;
	int64_t at;
	struct error inner;
	*f_r = (struct dir_freeze){ false, "", "", 0 };
	if (store_setting_get(ctx->store, FREEZE_SETTING, ctx->arena, &value,
		    &by, &at, &inner) < 0)
		return inner.code == ERROR_NOT_FOUND ? 0 :
			error_forward(err, &inner);
	json_t *j = json_loads(value, 0, NULL);
	if (j == NULL)
		return error_set(err, ERROR_INTERNAL,
			"the change freeze setting cannot be read");
	const char *reason = json_string_value(json_object_get(j, "reason"));
	f_r->on = json_is_true(json_object_get(j, "on"));
	f_r->reason = arena_strdup(ctx->arena, reason != NULL ? reason : "");
	f_r->updated_by = by;
	f_r->updated_at = at;
	json_decref(j);
	return f_r->reason != NULL ? 0 :
		error_set(err, ERROR_LIMIT, "out of memory");
}

static int
freeze_set_tx(const struct dir_ctx *ctx, bool on, const char *reason,
	struct error *err)
{
	if (dir_check_text("reason", "the reason", reason, 500, on, err) < 0)
		return -1;
	json_t *value = json_pack("{s:b, s:s}", "on", on, "reason",
		reason != NULL ? reason : "");
	char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = text == NULL ? error_set(err, ERROR_INTERNAL,
			"cannot write the change freeze setting") :
		store_setting_set(ctx->store, FREEZE_SETTING, text, ctx->actor,
			ctx->now, err);
	free(text);
	if (rc < 0) {
		json_decref(value);
		return -1;
	}
	return dir_audit_json(ctx, "update", DIR_AUDIT_SETTING, 0, 0,
		json_pack("{s:o}", FREEZE_SETTING, value), err);
}

int
dir_change_freeze_set(const struct dir_ctx *ctx, bool on, const char *reason,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, freeze_set_tx(ctx, on, reason, err), err);
}

int
dir_change_freeze_check(const struct dir_ctx *ctx, struct error *err)
{
	struct dir_freeze f;
	if (dir_change_freeze_get(ctx, &f, err) < 0)
		return -1;
	if (!f.on)
		return 0;
	return error_set_field(err, ERROR_EXISTS, "change_freeze",
		"a change freeze is on (%.120s): dynamic distribution lists "
		"cannot be created, changed, renamed or deleted until a Global "
		"Admin lifts it; mail to lists still flows", f.reason);
}
