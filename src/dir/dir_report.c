/*
 * Reports and audit search (SPEC A7, P9, P10): the devices report, the
 * audit row every report download writes (seed 002 #9654: aligned to the
 * organisation it covers), and the audit trail searched within a set of
 * orgs. Layer: domain. Which orgs a caller may see is auth's decision.
 */
#include <string.h>

#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store_audit.h"
#include "store/store_person.h"

/* What the trail's rows are about, as SPEC P10 names them. */
static const char *const audit_object_types[] = {
	DIR_AUDIT_USER, DIR_AUDIT_SHARED, DIR_AUDIT_RESOURCE, DIR_AUDIT_LIST,
	DIR_AUDIT_CONTACT, DIR_AUDIT_ORG, DIR_AUDIT_SITE, DIR_AUDIT_SETTING,
	"api_token",	/* auth's: application tokens (SPEC P16) */
	"report",	/* a refused audit search or report download */
	"access",	/* a refusal of no one kind of object */
	"dkim_key",	/* mail's: DKIM keys made and activated */
	"queue",	/* mail's: outbound retries, deletions, TLS alerts */
	"message",	/* mail's policy: spoofing, DLP and limit hits */
	"guest",	/* external guests and their attestations (SPEC L8) */
	"licence",	/* add-on licences, holders, expiry notices (L9) */
	NULL,
};

static const char *const audit_actions[] = {
	"create", "update", "delete", "other", NULL,
};

static bool
is_one_of(const char *value, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcmp(value, names[i]) == 0)
			return true;
	}
	return false;
}

int
dir_audit_filter_check(const struct store_audit_filter *f, struct error *err)
{
	if (f->object_type != NULL &&
	    !is_one_of(f->object_type, audit_object_types))
		return error_set_field(err, ERROR_INVALID, "object_type",
			"'%.40s' is not an object type; use user_mailbox, "
			"shared_mailbox, resource_mailbox, distribution_list, "
			"contact, organisation, site, setting, api_token, report, "
			"access, dkim_key, queue, message, guest or licence",
			f->object_type);
	if (f->action != NULL && !is_one_of(f->action, audit_actions))
		return error_set_field(err, ERROR_INVALID, "action",
			"'%.40s' is not an action; use create, update, delete "
			"or other", f->action);
	if (f->since != 0 && f->until != 0 && f->since > f->until)
		return error_set_field(err, ERROR_INVALID, "from",
			"the start of the date range is after its end");
	return 0;
}

int
dir_audit_search(const struct dir_ctx *ctx,
	const struct store_audit_filter *f, const int64_t *org_ids,
	size_t org_count, struct store_audit **rows_r, size_t *count_r,
	struct error *err)
{
	if (dir_audit_filter_check(f, err) < 0)
		return -1;
	return store_audit_search(ctx->store, f, org_ids, org_count,
		ctx->arena, rows_r, count_r, err);
}

int
dir_device_report(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit,
	struct store_device_row **rows_r, size_t *count_r, struct error *err)
{
	return store_device_report(ctx->store, org_ids, org_count, after_id,
		limit, ctx->arena, rows_r, count_r, err);
}

static int
report_audit_tx(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, json_t *summary, struct error *err)
{
	for (size_t i = 0; i < (org_count > 0 ? org_count : 1); i++) {
		int64_t org = org_count > 0 ? org_ids[i] : 0;
		if (dir_audit_json(ctx, "other", DIR_AUDIT_ORG, org, org,
			    json_deep_copy(summary), err) < 0)
			return -1;
	}
	return 0;
}

int
dir_report_audit(const struct dir_ctx *ctx, const char *report,
	const int64_t *org_ids, size_t org_count, void *detail,
	struct error *err)
{
	json_t *summary = detail != NULL ? detail : json_object();
	json_object_set_new(summary, "report", json_string(report));
	json_object_set_new(summary, "downloaded", json_true());
	int rc = dir_begin(ctx, err);
	if (rc == 0)
		rc = dir_finish(ctx, report_audit_tx(ctx, org_ids, org_count,
			summary, err), err);
	json_decref(summary);
	return rc;
}
