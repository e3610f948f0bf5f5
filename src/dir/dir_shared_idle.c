/*
 * Inactive shared mailboxes (SPEC L5) as the job and the pages apply
 * them: the notice recorded with its confirm links, the deletion when
 * nobody confirmed (the ordinary delete of a shared mailbox: its address
 * stays reserved), and an owner's or LA's confirm, which counts as a use
 * and so restarts the clock. The rule is lifecycle_shared_next; this file
 * writes what it decided, each change audited with the rule. Layer:
 * domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "lifecycle/lifecycle.h"
#include "store/store_mailbox.h"
#include "store/store_shared.h"

int
dir_shared_notice_record(const struct dir_ctx *ctx, int64_t mailbox_id,
	int64_t noticed_at, int64_t delete_at, int warned_lead,
	const char *const *link_hashes, size_t link_count, struct error *err)
{
	if (store_shared_notice_set(ctx->store, mailbox_id, noticed_at,
		    delete_at, warned_lead, ctx->now, err) < 0)
		return -1;
	/* Each link is good until the deletion date, no longer. */
	for (size_t i = 0; i < link_count; i++) {
		if (store_shared_token_add(ctx->store, link_hashes[i],
			    mailbox_id, delete_at, ctx->now, err) < 0)
			return -1;
	}
	return 0;
}

int
dir_shared_idle_delete(const struct dir_ctx *ctx, int64_t mailbox_id,
	int64_t at, const char *rule, const char *reason, struct error *err)
{
	struct store_mailbox m;
	if (store_mailbox_get(ctx->store, mailbox_id, ctx->arena, &m, err) < 0)
		return -1;
	if (m.kind != STORE_MAILBOX_SHARED || m.deleted_at != 0)
		return error_set(err, ERROR_EXISTS, "%s is not a live shared "
			"mailbox", m.address);
	m.status = STORE_MAILBOX_DELETED;
	m.deleted_at = at;
	m.updated_at = ctx->now;
	if (store_mailbox_update(ctx->store, &m, err) < 0 ||
	    store_shared_notice_clear(ctx->store, m.id, err) < 0)
		return -1;
	return dir_audit_json(ctx, "delete", DIR_AUDIT_SHARED, m.id, m.org_id,
		json_pack("{s:s, s:s, s:s, s:s, s:I}", "address", m.address,
			"change", "lifecycle", "rule", rule, "reason", reason,
			"due_at", (json_int_t)at), err);
}

static int
confirm_tx(const struct dir_ctx *ctx, const struct store_mailbox *m,
	const char *how, struct error *err)
{
	if (m->kind != STORE_MAILBOX_SHARED || m->deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND, "%s is no longer a live "
			"shared mailbox, so there is nothing to keep",
			m->address);
	/* A confirm is a use: written whatever the day's last one was. */
	if (store_shared_used(ctx->store, m->id, ctx->now, ctx->now + 1,
		    err) < 0 ||
	    store_shared_notice_clear(ctx->store, m->id, err) < 0)
		return -1;
	return dir_audit_json(ctx, "update", DIR_AUDIT_SHARED, m->id,
		m->org_id, json_pack("{s:s, s:s, s:s, s:s, s:s}", "address",
			m->address, "change", "lifecycle", "rule",
			"L5 shared inactivity", "reason", "confirmed as still "
			"needed", "by", how), err);
}

int
dir_shared_confirm(const struct dir_ctx *ctx, const struct store_mailbox *m,
	const char *how, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, confirm_tx(ctx, m, how, err), err);
}

int
dir_shared_link_mailbox(const struct dir_ctx *ctx, const char *link_hash,
	struct store_mailbox *m_r, struct error *err)
{
	int64_t id;
	if (store_shared_token_find(ctx->store, link_hash, ctx->now, &id,
		    err) < 0 ||
	    store_mailbox_get(ctx->store, id, ctx->arena, m_r, err) < 0)
		return -1;
	if (m_r->kind != STORE_MAILBOX_SHARED || m_r->deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND, "This link is not "
			"valid: the mailbox it names has been deleted.");
	return 0;
}

int
dir_shared_status(const struct dir_ctx *ctx, int64_t mailbox_id,
	int64_t *last_used_r, int64_t *delete_at_r, struct error *err)
{
	struct store_shared_row row;
	if (store_shared_row_get(ctx->store, mailbox_id, ctx->arena, &row,
		    err) < 0)
		return -1;
	struct lifecycle_config cfg;
	lifecycle_config_load(ctx->config, &cfg);
	const struct lifecycle_shared mb = { row.created_at, row.last_used_at,
		row.noticed_at };
	struct lifecycle_shared_transition t;
	lifecycle_shared_next(&cfg, &mb, &t);
	*last_used_r = lifecycle_shared_last_use(&mb);
	/* A notice is out only while its quiet spell lasts. */
	*delete_at_r = t.step == LIFECYCLE_SHARED_DELETE ? t.due_at : 0;
	return 0;
}
