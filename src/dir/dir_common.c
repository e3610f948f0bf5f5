/*
 * Transactions, audit rows, text checks and the address registry as the
 * directory uses them. Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store.h"
#include "store/store_audit.h"
#include "store/store_org.h"

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

json_t *
dir_json_str(const char *s)
{
	return json_string(s != NULL ? s : "");
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
	int rc = store_audit_append(ctx->store, &row, ctx->audit_key, err);
	free(text);
	return rc;
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

int
dir_check_text(const char *field, const char *label, const char *value,
	size_t max, bool required, struct error *err)
{
	if (value == NULL || value[0] == '\0') {
		if (required)
			return error_set_field(err, ERROR_INVALID, field,
				"%s is required", label);
		return 0;
	}
	size_t len = strlen(value), chars = 0;
	/* Characters, not bytes: "Lééds" is five (UTF-8 continuation bytes
	 * are 10xxxxxx and start no character). */
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)value[i] & 0xc0) != 0x80;
	if (chars > max)
		return error_set_field(err, ERROR_INVALID, field,
			"%s is longer than %zu characters", label, max);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		/* Line breaks are allowed only in long free text, never tabs' kin. */
		if ((c < 0x20 && c != '\n' && c != '\r') || c == 0x7f)
			return error_set_field(err, ERROR_INVALID, field,
				"%s contains a control character", label);
		if ((c == '\n' || c == '\r') && max <= 256)
			return error_set_field(err, ERROR_INVALID, field,
				"%s must be on one line", label);
	}
	return 0;
}

bool
dir_domain_is_hosted(const struct dir_ctx *ctx, const char *domain)
{
	char item[DIR_ADDRESS_DOMAIN_MAX + 1];
	for (size_t i = 0;
	     config_list_item(ctx->config, "mail.domains", i, item, sizeof(item));
	     i++) {
		if (strcasecmp(item, domain) == 0)
			return true;
	}
	return false;
}

int
dir_primary_domain(const struct dir_ctx *ctx, char *buf, size_t size,
	struct error *err)
{
	if (!config_list_item(ctx->config, "mail.domains", 0, buf, size))
		return error_set(err, ERROR_INVALID,
			"no mail domain is configured: set mail.domains");
	str_lower_inplace(buf);
	return 0;
}

int
dir_org_by_ods(const struct dir_ctx *ctx, const char *ods,
	struct store_org *org_r, struct error *err)
{
	if (ods == NULL || ods[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "org",
			"an organisation (ODS code) is required");
	char upper[32];
	if (str_copy(upper, sizeof(upper), ods) < 0)
		return error_set_field(err, ERROR_NOT_FOUND, "org",
			"there is no organisation with the ODS code %.40s", ods);
	for (char *p = upper; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	struct error inner;
	if (store_org_get_by_ods(ctx->store, upper, ctx->arena, org_r,
		    &inner) < 0) {
		if (inner.code == ERROR_NOT_FOUND)
			return error_set_field(err, ERROR_NOT_FOUND, "org",
				"there is no organisation with the ODS code %s",
				upper);
		return error_forward(err, &inner);
	}
	return 0;
}

int
dir_check_phone(const char *field, const char *phone, struct error *err)
{
	if (phone == NULL || phone[0] == '\0')
		return 0;
	size_t digits = 0;
	for (const char *p = phone; *p != '\0'; p++) {
		if (str_is_ascii_digit(*p))
			digits++;
		else if (strchr(" +()-", *p) == NULL)
			return error_set_field(err, ERROR_INVALID, field,
				"a phone number has only digits, spaces and "
				"+ ( ) -, not '%.40s'", phone);
	}
	if (digits < 3 || strlen(phone) > 32)
		return error_set_field(err, ERROR_INVALID, field,
			"'%.40s' is not a phone number", phone);
	return 0;
}

int
dir_org_id_or_all(const struct dir_ctx *ctx, const char *org_ods,
	int64_t *org_id_r, struct error *err)
{
	*org_id_r = 0;
	if (org_ods == NULL)
		return 0;
	struct store_org org;
	if (dir_org_by_ods(ctx, org_ods, &org, err) < 0)
		return -1;
	*org_id_r = org.id;
	return 0;
}
