/*
 * A person's lifecycle as an admin changes it (SPEC P3, L7): disable,
 * enable, mark leaver, join another org, transfer, restore. Each change is
 * one transaction that goes straight from one status to the next — there
 * is no Enabling or Disabling in between (seed 002) — with its audit row,
 * and a person who can no longer sign in loses their sessions in it.
 * Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store_access.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"
#include "store/store_person.h"
#include "store/store_session.h"

#define DAY_S 86400

static int
live_person(const struct dir_ctx *ctx, const char *address,
	struct store_person *p, struct error *err)
{
	if (dir_person_get(ctx, address, p, err) < 0)
		return -1;
	if (p->deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND, "%s has been deleted",
			p->address);
	return 0;
}

static int
audit_status(const struct dir_ctx *ctx, const struct store_person *p,
	const char *change, enum store_person_status before, json_t *extra,
	struct error *err)
{
	json_t *summary = json_pack("{s:s, s:s, s:{s:s, s:s}}", "address",
		p->address, "change", change, "status", "before",
		dir_person_status_name(before), "after",
		dir_person_status_name(p->status));
	if (summary != NULL && extra != NULL)
		json_object_update(summary, extra);
	json_decref(extra);
	return dir_audit_json(ctx, "update", DIR_AUDIT_USER, p->id, p->org_id,
		summary, err);
}

/* Saves p with its new status; ends its sessions when it cannot sign in. */
static int
save_status(const struct dir_ctx *ctx, struct store_person *p,
	enum store_person_status status, struct error *err)
{
	p->status = status;
	p->updated_at = ctx->now;
	if (store_person_update(ctx->store, p, err) < 0)
		return -1;
	if (!dir_person_can_sign_in(status) &&
	    store_session_delete_person(ctx->store, p->id, err) < 0)
		return -1;
	return 0;
}

static int
wrong_status(const struct store_person *p, const char *wanted_words,
	struct error *err)
{
	return error_set(err, ERROR_EXISTS, "%s is %s; %s", p->address,
		dir_status_words(p->status), wanted_words);
}

static int
disable_tx(const struct dir_ctx *ctx, const char *address,
	struct store_person *p, struct error *err)
{
	if (live_person(ctx, address, p, err) < 0)
		return -1;
	if (p->status != STORE_PERSON_ACTIVE)
		return wrong_status(p, "only an active account can be disabled",
			err);
	if (dir_keep_global_admin(ctx, p->id, p->address, "disable them",
		    err) < 0)
		return -1;
	return save_status(ctx, p, STORE_PERSON_DISABLED, err) < 0 ? -1 :
		audit_status(ctx, p, "disable", STORE_PERSON_ACTIVE, NULL, err);
}

static int
enable_tx(const struct dir_ctx *ctx, const char *address,
	struct store_person *p, struct error *err)
{
	if (live_person(ctx, address, p, err) < 0)
		return -1;
	if (p->status == STORE_PERSON_LEAVER)
		return wrong_status(p, "a leaver comes back by joining an "
			"organisation", err);
	/* L1: an LA may re-enable an inactive account too. */
	enum store_person_status before = p->status;
	if (before != STORE_PERSON_DISABLED && before != STORE_PERSON_INACTIVE)
		return wrong_status(p, "only a disabled or inactive account can "
			"be enabled", err);
	return save_status(ctx, p, STORE_PERSON_ACTIVE, err) < 0 ? -1 :
		audit_status(ctx, p, "enable", before, NULL, err);
}

static json_t *
roles_json(const struct dir_ctx *ctx, const struct store_role *roles,
	size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++) {
		struct store_org org;
		const char *ods = "";
		if (store_org_get(ctx->store, roles[i].org_id, ctx->arena, &org,
			    NULL) == 0)
			ods = org.ods;
		json_array_append_new(a, json_pack("{s:s, s:s}", "role",
			roles[i].role, "org", ods));
	}
	return a;
}

/*
 * A leaver is no longer anyone's admin: their roles go with the status
 * (seed 002 #14044/#14944 for deletion; the same reasoning holds here).
 */
static int
leaver_tx(const struct dir_ctx *ctx, const char *address,
	struct store_person *p, struct error *err)
{
	if (live_person(ctx, address, p, err) < 0)
		return -1;
	enum store_person_status before = p->status;
	if (before != STORE_PERSON_ACTIVE && before != STORE_PERSON_DISABLED &&
	    before != STORE_PERSON_INACTIVE)
		return wrong_status(p, "only an active, inactive or disabled "
			"account can be marked as a leaver", err);
	if (dir_keep_global_admin(ctx, p->id, p->address,
		    "mark them as a leaver", err) < 0)
		return -1;
	struct store_role *roles;
	size_t count;
	if (store_role_list(ctx->store, p->id, ctx->arena, &roles, &count,
		    err) < 0 ||
	    store_role_remove_all(ctx->store, p->id, err) < 0 ||
	    save_status(ctx, p, STORE_PERSON_LEAVER, err) < 0)
		return -1;
	return audit_status(ctx, p, "leaver", before,
		json_pack("{s:o}", "roles_removed",
			roles_json(ctx, roles, count)), err);
}

/* Moves the person and their user mailbox to org, at site (or none). */
static int
move_to_org(const struct dir_ctx *ctx, struct store_person *p,
	const struct store_org *org, const char *site, struct error *err)
{
	int64_t site_id;
	if (dir_site_id_for(ctx, org->id, site, &site_id, err) < 0)
		return -1;
	/* The old org's site never follows the person (seed 002 #9689). */
	p->org_id = org->id;
	p->site_id = site_id;
	struct store_mailbox m;
	if (store_mailbox_get(ctx->store, p->mailbox_id, ctx->arena, &m,
		    err) < 0)
		return -1;
	m.org_id = org->id;
	m.updated_at = ctx->now;
	return store_mailbox_update(ctx->store, &m, err);
}

static int
check_sync_id_free(const struct dir_ctx *ctx, int64_t org_id,
	const char *sync_id, int64_t self_id, struct error *err)
{
	struct store_person other;
	if (sync_id != NULL && store_person_get_by_sync_id(ctx->store, org_id,
		    sync_id, ctx->arena, &other, NULL) == 0 &&
	    other.id != self_id)
		return error_set_field(err, ERROR_EXISTS, "sync_id",
			"the sync ID %s is already used in that organisation "
			"by %s", sync_id, other.address);
	return 0;
}

static int
holdings_elsewhere(const struct dir_ctx *ctx, const struct store_person *p,
	int64_t except_org, struct dir_holding **items_r, size_t *count_r,
	struct error *err)
{
	struct store_holding *h;
	size_t n;
	if (store_person_holdings(ctx->store, p->id, p->mailbox_id, ctx->arena,
		    &h, &n, err) < 0)
		return -1;
	struct dir_holding *out = arena_alloc(ctx->arena,
		(n + 1) * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "too many holdings to show");
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (h[i].org_id == except_org)
			continue;
		out[count++] = (struct dir_holding){ h[i].relation,
			h[i].object_kind, h[i].address, h[i].org_ods };
	}
	*items_r = out;
	*count_r = count;
	return 0;
}

static json_t *
holdings_json(const struct dir_holding *items, size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
			"relation", items[i].relation, "kind", items[i].kind,
			"address", items[i].address, "org", items[i].org_ods));
	return a;
}

static int
join_tx(const struct dir_ctx *ctx, const struct dir_move *in,
	struct store_person *p, struct dir_holding **items_r, size_t *count_r,
	struct error *err)
{
	struct store_org org, from;
	if (live_person(ctx, in->address, p, err) < 0 ||
	    dir_org_by_ods(ctx, in->org_ods, &org, err) < 0)
		return -1;
	if (p->status != STORE_PERSON_LEAVER)
		return wrong_status(p, "only a leaver can join another "
			"organisation; mark them as a leaver first, or "
			"transfer them", err);
	if (store_org_get(ctx->store, p->org_id, ctx->arena, &from, err) < 0)
		return -1;
	/* A sync ID is the old employer's key for them; it stays behind. */
	const char *sync_id = in->sync_id != NULL && in->sync_id[0] != '\0' ?
		in->sync_id : NULL;
	if (dir_check_text("sync_id", "the sync ID", sync_id, 128, false,
		    err) < 0 ||
	    check_sync_id_free(ctx, org.id, sync_id, p->id, err) < 0 ||
	    move_to_org(ctx, p, &org, in->site, err) < 0)
		return -1;
	p->sync_id = sync_id;
	if (save_status(ctx, p, STORE_PERSON_ACTIVE, err) < 0 ||
	    holdings_elsewhere(ctx, p, org.id, items_r, count_r, err) < 0)
		return -1;
	return audit_status(ctx, p, "join", STORE_PERSON_LEAVER,
		json_pack("{s:s, s:s, s:I, s:o}", "from_org", from.ods,
			"to_org", org.ods, "site_id", (json_int_t)p->site_id,
			"held_elsewhere", holdings_json(*items_r, *count_r)),
		err);
}

static int
transfer_tx(const struct dir_ctx *ctx, const struct dir_move *in,
	struct store_person *p, struct error *err)
{
	struct store_org org, from;
	if (live_person(ctx, in->address, p, err) < 0 ||
	    dir_org_by_ods(ctx, in->org_ods, &org, err) < 0 ||
	    store_org_get(ctx->store, p->org_id, ctx->arena, &from, err) < 0)
		return -1;
	if (org.id == from.id)
		return error_set_field(err, ERROR_INVALID, "org",
			"%s is already in %s", p->address, org.ods);
	if (in->sync_id != NULL)
		return error_set_field(err, ERROR_INVALID, "sync_id",
			"a transfer keeps the sync ID; change it with an edit");
	if (check_sync_id_free(ctx, org.id, p->sync_id, p->id, err) < 0 ||
	    move_to_org(ctx, p, &org, in->site, err) < 0)
		return -1;
	p->updated_at = ctx->now;
	if (store_person_update(ctx->store, p, err) < 0)
		return -1;
	return audit_status(ctx, p, "transfer", p->status,
		json_pack("{s:s, s:s, s:I}", "from_org", from.ods, "to_org",
			org.ods, "site_id", (json_int_t)p->site_id), err);
}

int64_t
dir_person_restorable_until(const struct dir_ctx *ctx,
	const struct store_person *p)
{
	if (p->deleted_at == 0 || p->purged_at != 0)
		return 0;
	return p->deleted_at +
		config_get_int(ctx->config, "dir.deleted_retention_days") *
		DAY_S;
}

static int
restore_tx(const struct dir_ctx *ctx, const char *address,
	struct store_person *p, struct error *err)
{
	if (dir_person_get(ctx, address, p, err) < 0)
		return -1;
	if (p->deleted_at == 0)
		return error_set(err, ERROR_EXISTS,
			"%s is not deleted, so there is nothing to restore",
			p->address);
	/*
	 * Purged (the lifecycle's last step): the mail is gone, and an
	 * account brought back would stay marked purged, which the job
	 * never looks at again. Possible when dir.deleted_retention_days
	 * outlasts lifecycle's purge.
	 */
	if (p->purged_at != 0) {
		char when[32];
		clock_format_iso(p->purged_at, when, sizeof(when));
		return error_set(err, ERROR_EXISTS, "%s was purged on %s: "
			"its mail is gone, so it can no longer be restored; "
			"add the person again as someone new", p->address,
			when);
	}
	int64_t until = dir_person_restorable_until(ctx, p);
	if (ctx->now > until) {
		char when[32];
		clock_format_iso(p->deleted_at, when, sizeof(when));
		return error_set(err, ERROR_EXISTS,
			"%s was deleted on %s, more than %lld days ago, and can "
			"no longer be restored", p->address, when,
			(long long)config_get_int(ctx->config,
				"dir.deleted_retention_days"));
	}
	struct store_mailbox m;
	if (store_mailbox_get(ctx->store, p->mailbox_id, ctx->arena, &m,
		    err) < 0)
		return -1;
	m.status = STORE_MAILBOX_ACTIVE;
	m.deleted_at = 0;
	m.updated_at = ctx->now;
	p->deleted_at = 0;
	if (store_mailbox_update(ctx->store, &m, err) < 0 ||
	    save_status(ctx, p, STORE_PERSON_ACTIVE, err) < 0)
		return -1;
	return audit_status(ctx, p, "restore", STORE_PERSON_DELETED, NULL, err);
}

/* Runs one of the changes above as its own transaction. */
static int
run(const struct dir_ctx *ctx, const char *address,
	int (*tx)(const struct dir_ctx *, const char *, struct store_person *,
		struct error *),
	struct store_person *p_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, tx(ctx, address, p_r, err), err);
}

int
dir_person_disable(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err)
{
	return run(ctx, address, disable_tx, p_r, err);
}

int
dir_person_enable(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err)
{
	return run(ctx, address, enable_tx, p_r, err);
}

int
dir_person_mark_leaver(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err)
{
	return run(ctx, address, leaver_tx, p_r, err);
}

int
dir_person_restore(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err)
{
	return run(ctx, address, restore_tx, p_r, err);
}

int
dir_person_join(const struct dir_ctx *ctx, const struct dir_move *in,
	struct store_person *p_r, struct dir_holding **held_r,
	size_t *held_count_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, join_tx(ctx, in, p_r, held_r, held_count_r,
				       err), err);
}

int
dir_person_transfer(const struct dir_ctx *ctx, const struct dir_move *in,
	struct store_person *p_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, transfer_tx(ctx, in, p_r, err), err);
}

int
dir_person_holdings(const struct dir_ctx *ctx, const char *address,
	struct dir_holding **items_r, size_t *count_r, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	return holdings_elsewhere(ctx, &p, 0, items_r, count_r, err);
}

int
dir_person_list_in(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, bool include_deleted, int64_t after_id, size_t limit,
	struct store_person **people_r, size_t *count_r, struct error *err)
{
	struct store_person_filter f = {
		.org_ids = org_ids,
		.org_count = org_count,
		.include_deleted = include_deleted,
		.after_id = after_id,
		.limit = limit,
	};
	return store_person_list(ctx->store, &f, ctx->arena, people_r, count_r,
		err);
}
