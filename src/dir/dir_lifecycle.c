/*
 * A person's lifecycle steps as the job applies them (SPEC L1-L3, L7):
 * Inactive, Deleted and Purged at the time the rules said, and Active
 * again at once on a sign-in. The rules themselves are in src/lifecycle/;
 * this file only writes what they decided, with its audit row naming the
 * rule. Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store_access.h"
#include "store/store_lifecycle.h"
#include "store/store_mailbox.h"
#include "store/store_person.h"
#include "store/store_session.h"

static int
audit_step(const struct dir_ctx *ctx, const struct store_person *p,
	const char *action, enum store_person_status before,
	enum store_person_status after, int64_t at, const char *rule,
	const char *reason, json_t *extra, struct error *err)
{
	json_t *summary = json_pack("{s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s}}",
		"address", p->address, "change", "lifecycle", "rule", rule,
		"reason", reason, "due_at", (json_int_t)at, "status", "before",
		dir_person_status_name(before), "after",
		dir_person_status_name(after));
	if (summary != NULL && extra != NULL)
		json_object_update(summary, extra);
	json_decref(extra);
	return dir_audit_json(ctx, action, DIR_AUDIT_USER, p->id, p->org_id,
		summary, err);
}

static int
delete_step(const struct dir_ctx *ctx, const struct store_person *p,
	int64_t at, json_t **extra_r, struct error *err)
{
	/* L7: delete removes every admin role; sessions end with it. */
	json_t *roles;
	if (dir_person_close(ctx, p, at, &roles, err) < 0)
		return -1;
	if (store_lifecycle_set(ctx->store, p->id, STORE_PERSON_DELETED, at,
		    at, 0, ctx->now, err) < 0) {
		json_decref(roles);
		return -1;
	}
	*extra_r = json_pack("{s:o}", "roles_removed", roles);
	return 0;
}

int
dir_person_lifecycle(const struct dir_ctx *ctx, int64_t person_id,
	enum store_person_status to, bool purge, int64_t at, const char *rule,
	const char *reason, struct error *err)
{
	struct store_person p;
	if (store_person_get(ctx->store, person_id, ctx->arena, &p, err) < 0)
		return -1;
	json_t *extra = NULL;
	if (purge) {
		if (p.status != STORE_PERSON_DELETED || p.purged_at != 0)
			return error_set(err, ERROR_EXISTS, "%s is not deleted "
				"and waiting to be purged", p.address);
		int64_t n;
		if (store_mailbox_purge(ctx->store, p.mailbox_id, ctx->now, &n,
			    err) < 0 ||
		    store_lifecycle_set(ctx->store, p.id, p.status,
			    p.status_changed_at, 0, at, ctx->now, err) < 0)
			return -1;
		return audit_step(ctx, &p, "delete", p.status, p.status, at, rule,
			reason, json_pack("{s:I}", "messages_destroyed",
				(json_int_t)n), err);
	}
	if (p.status == to)
		return error_set(err, ERROR_EXISTS, "%s is already %s",
			p.address, dir_person_status_name(to));
	if (p.status == STORE_PERSON_DELETED)
		return error_set(err, ERROR_EXISTS, "%s has been deleted",
			p.address);
	if (to == STORE_PERSON_DELETED) {
		if (delete_step(ctx, &p, at, &extra, err) < 0)
			return -1;
		return audit_step(ctx, &p, "delete", p.status, to, at, rule,
			reason, extra, err);
	}
	if (store_lifecycle_set(ctx->store, p.id, to, at, 0, 0, ctx->now,
		    err) < 0)
		return -1;
	if (!dir_person_can_sign_in(to) &&
	    store_session_delete_person(ctx->store, p.id, err) < 0)
		return -1;
	return audit_step(ctx, &p, "update", p.status, to, at, rule, reason,
		NULL, err);
}

int
dir_person_wake(const struct dir_ctx *ctx, struct store_person *p,
	const char *why, struct error *err)
{
	if (p->status != STORE_PERSON_INACTIVE)
		return 0;
	if (store_lifecycle_set(ctx->store, p->id, STORE_PERSON_ACTIVE,
		    ctx->now, 0, 0, ctx->now, err) < 0 ||
	    audit_step(ctx, p, "update", STORE_PERSON_INACTIVE,
		    STORE_PERSON_ACTIVE, ctx->now, "L7 activity", why, NULL,
		    err) < 0)
		return -1;
	p->status = STORE_PERSON_ACTIVE;
	p->status_changed_at = ctx->now;
	return 0;
}
