/*
 * Maintenance mode (SPEC S5, P13; seed 000): a switch a Global Admin turns
 * on around work on the service. While it is on, the admin tools show a
 * landing page and the API refuses changes; sign-in, reading and mail
 * (SMTP, IMAP, POP3, delivery) go on, because none of them asks. Kept in
 * the store's settings, so every process and node sees it at its next
 * request, without a restart. Layer: domain.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store_review.h"

#define MAINTENANCE_SETTING "maintenance"

int
dir_maintenance_get(const struct dir_ctx *ctx, struct dir_maintenance *m_r,
	struct error *err)
{
	const char *value, *by;
	int64_t at;
	struct error inner;
	*m_r = (struct dir_maintenance){ false, "", 0, 0, "", 0 };
	if (store_setting_get(ctx->store, MAINTENANCE_SETTING, ctx->arena,
		    &value, &by, &at, &inner) < 0)
		return inner.code == ERROR_NOT_FOUND ? 0 :
			error_forward(err, &inner);
	json_t *j = json_loads(value, 0, NULL);
	if (j == NULL)
		return error_set(err, ERROR_INTERNAL,
			"the maintenance setting cannot be read");
	const char *message = json_string_value(json_object_get(j,
		"message"));
	m_r->on = json_is_true(json_object_get(j, "on"));
	m_r->message = arena_strdup(ctx->arena, message != NULL ? message :
		"");
	m_r->until = json_integer_value(json_object_get(j, "until"));
	m_r->since = json_integer_value(json_object_get(j, "since"));
	m_r->updated_by = by;
	m_r->updated_at = at;
	json_decref(j);
	return m_r->message != NULL ? 0 :
		error_set(err, ERROR_LIMIT, "out of memory");
}

/* Writes the setting and its audit row, in the caller's transaction. */
static int
maintenance_write(const struct dir_ctx *ctx, bool on, const char *message,
	int64_t until, int64_t since, struct error *err)
{
	json_t *value = json_pack("{s:b, s:s, s:I, s:I}", "on", on, "message",
		message, "until", (json_int_t)until, "since",
		(json_int_t)since);
	char *text = value != NULL ?
		json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = text == NULL ? error_set(err, ERROR_INTERNAL,
			"cannot write the maintenance setting") :
		store_setting_set(ctx->store, MAINTENANCE_SETTING, text,
			ctx->actor, ctx->now, err);
	free(text);
	if (rc < 0) {
		json_decref(value);
		return -1;
	}
	/* The trail's actions are few (create, update, delete): the summary
	 * says which way it went. */
	return dir_audit_json(ctx, "update", DIR_AUDIT_SETTING, 0, 0,
		json_pack("{s:o}", MAINTENANCE_SETTING, value), err);
}

static int
maintenance_on_tx(const struct dir_ctx *ctx, const char *message,
	int64_t until, struct error *err)
{
	if (message == NULL)
		message = "";
	if (dir_check_text_lines("message", "the message", message,
		    DIR_MAINTENANCE_MESSAGE_MAX, false, true, err) < 0)
		return -1;
	/* A time already gone is a typing mistake, not an end. */
	if (until != 0 && until <= ctx->now)
		return error_set_field(err, ERROR_INVALID, "until",
			"the expected end of maintenance must be in the "
			"future");
	struct dir_maintenance m;
	if (dir_maintenance_get(ctx, &m, err) < 0)
		return -1;
	/* Changing the message or end keeps when it began. */
	return maintenance_write(ctx, true, message, until,
		m.on ? m.since : ctx->now, err);
}

int
dir_maintenance_on(const struct dir_ctx *ctx, const char *message,
	int64_t until, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, maintenance_on_tx(ctx, message, until, err),
		err);
}

static int
maintenance_off_tx(const struct dir_ctx *ctx, bool *was_on_r,
	struct error *err)
{
	struct dir_maintenance m;
	if (dir_maintenance_get(ctx, &m, err) < 0)
		return -1;
	*was_on_r = m.on;
	/* Off twice is one change: the trail says when it really ended. */
	if (!m.on)
		return 0;
	return maintenance_write(ctx, false, "", 0, 0, err);
}

int
dir_maintenance_off(const struct dir_ctx *ctx, bool *was_on_r,
	struct error *err)
{
	bool was_on = false;
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = dir_finish(ctx, maintenance_off_tx(ctx, &was_on, err), err);
	if (rc == 0 && was_on_r != NULL)
		*was_on_r = was_on;
	return rc;
}

int64_t
dir_maintenance_retry_after(const struct dir_maintenance *m, int64_t now)
{
	if (!m->on || m->until == 0)
		return 0;
	/* Past its expected end the work overran: ask again in a minute. */
	return m->until - now > DIR_MAINTENANCE_RETRY_MIN_S ?
		m->until - now : DIR_MAINTENANCE_RETRY_MIN_S;
}
