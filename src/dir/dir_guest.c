/*
 * Guests (SPEC L8; seed 002 #21234): inviting an external guest into an
 * org, the inviter's attestations, a new inviter when the first one lost
 * the right, removal, and the sweep's due items. Every change audited
 * (object type "guest"). Layer: domain.
 */
#include "dir/dir_guest.h"

#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "store/store_guest.h"
#include "dir/dir_address.h"

#define GUEST_NAME_MAX 200

void
dir_guest_terms_get(const struct dir_ctx *ctx, struct dir_guest_terms *t)
{
	t->first_days = config_get_int(ctx->config,
		"guests.first_attestation_days");
	t->every_days = config_get_int(ctx->config, "guests.attestation_days");
	t->request_days = config_get_int(ctx->config, "guests.request_days");
	t->orphan_days = config_get_int(ctx->config, "guests.orphan_days");
}

/* The person named as inviter, who must have the right for org_id. */
static int
eligible_inviter(const struct dir_ctx *ctx, int64_t org_id,
	const char *address, struct store_person *p_r, struct error *err)
{
	struct error inner;
	if (address == NULL || address[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "inviter", "name the "
			"inviter: a person of the organisation who answers "
			"for the guest");
	if (dir_person_get(ctx, address, p_r, &inner) < 0)
		return inner.code == ERROR_NOT_FOUND ?
			error_set_field(err, ERROR_INVALID, "inviter", "there "
				"is no person %s here", address) :
			error_forward(err, &inner);
	if (!dir_guest_inviter_is_eligible(org_id, p_r->org_id,
		    p_r->status == STORE_PERSON_ACTIVE && p_r->deleted_at == 0))
		return error_set_field(err, ERROR_DENIED, "inviter", "%s may "
			"not invite or attest guests here: only an active "
			"person of the guest's organisation may", address);
	return 0;
}

static json_t *
guest_summary(const struct store_guest *g)
{
	return json_pack("{s:s, s:s, s:s, s:I}", "ods", g->org_ods, "guest",
		g->address, "inviter", g->inviter_address,
		"id", (json_int_t)g->id);
}

static int
invite_tx(const struct dir_ctx *ctx, const char *ods, const char *address,
	const char *display_name, const char *inviter,
	struct store_guest *g_r, struct error *err)
{
	struct store_org org;
	struct store_person p;
	struct dir_address a;
	if (dir_org_get(ctx, ods, &org, err) < 0)
		return -1;
	struct error inner;
	if (address == NULL)
		return error_set_field(err, ERROR_INVALID, "address", "give "
			"the guest's address");
	if (dir_address_parse(span_from_cstr(address), &a, &inner) < 0)
		return error_set_field(err, ERROR_INVALID, "address",
			"the guest's address is not valid: %s", inner.msg);
	if (dir_domain_is_hosted(ctx, dir_address_domain(&a)))
		return error_set_field(err, ERROR_INVALID, "address", "%s is an "
			"address of this service: a guest comes from outside",
			a.text);
	size_t len = display_name != NULL ? strlen(display_name) : 0;
	if (len == 0 || len > GUEST_NAME_MAX ||
	    strpbrk(display_name, "\r\n") != NULL)
		return error_set_field(err, ERROR_INVALID, "display_name",
			"give the guest's name (one line, up to %d characters)",
			GUEST_NAME_MAX);
	if (eligible_inviter(ctx, org.id, inviter, &p, err) < 0)
		return -1;
	struct store_guest *list;
	size_t n;
	if (store_guest_list(ctx->store, org.id, false, ctx->arena, &list, &n,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].address, a.text) == 0)
			return error_set_field(err, ERROR_EXISTS, "address",
				"%s is already a guest of %s", a.text,
				org.ods);
	int64_t id = store_guest_add(ctx->store, org.id, a.text, display_name,
		p.id, ctx->now, err);
	if (id < 0 || store_guest_get(ctx->store, id, ctx->arena, g_r,
		    err) < 0)
		return -1;
	json_t *s = guest_summary(g_r);
	json_object_set_new(s, "display_name", json_string(display_name));
	return dir_audit(ctx, "create", "guest", id, org.id, s, err);
}

int
dir_guest_invite(const struct dir_ctx *ctx, const char *ods,
	const char *address, const char *display_name, const char *inviter,
	struct store_guest *g_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, invite_tx(ctx, ods, address, display_name,
		inviter, g_r, err), err);
}

static int
live_guest(const struct dir_ctx *ctx, int64_t id, struct store_guest *g_r,
	struct error *err)
{
	if (store_guest_get(ctx->store, id, ctx->arena, g_r, err) < 0)
		return -1;
	if (g_r->removed_at != 0)
		return error_set(err, ERROR_INVALID, "guest %lld was removed: "
			"invite them again", (long long)id);
	return 0;
}

static int
attest_tx(const struct dir_ctx *ctx, int64_t id, const char *by,
	struct store_guest *g_r, struct error *err)
{
	struct store_person p;
	if (live_guest(ctx, id, g_r, err) < 0)
		return -1;
	if (by == NULL || strcmp(by, g_r->inviter_address) != 0)
		return error_set(err, ERROR_DENIED, "only the guest's inviter "
			"(%s) may attest for them", g_r->inviter_address);
	if (eligible_inviter(ctx, g_r->org_id, by, &p, err) < 0)
		return -1;
	g_r->attested_at = ctx->now;
	g_r->attestations++;
	g_r->orphaned_at = 0;
	g_r->requested_for = 0;
	if (store_guest_update(ctx->store, g_r, err) < 0)
		return -1;
	json_t *s = guest_summary(g_r);
	json_object_set_new(s, "attested", json_true());
	return dir_audit(ctx, "update", "guest", id, g_r->org_id, s, err);
}

int
dir_guest_attest(const struct dir_ctx *ctx, int64_t guest_id, const char *by,
	struct store_guest *g_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, attest_tx(ctx, guest_id, by, g_r, err), err);
}

static int
reassign_tx(const struct dir_ctx *ctx, int64_t id, const char *inviter,
	struct store_guest *g_r, struct error *err)
{
	struct store_person p;
	if (live_guest(ctx, id, g_r, err) < 0 ||
	    eligible_inviter(ctx, g_r->org_id, inviter, &p, err) < 0)
		return -1;
	const char *before = g_r->inviter_address;
	if (p.id == g_r->inviter_id)
		return error_set_field(err, ERROR_INVALID, "inviter", "%s is "
			"already the guest's inviter", inviter);
	/* The new inviter has not attested: the grace runs from the loss. */
	g_r->inviter_id = p.id;
	g_r->attested_at = 0;
	if (g_r->orphaned_at == 0)
		g_r->orphaned_at = ctx->now;
	g_r->requested_for = 0;
	if (store_guest_update(ctx->store, g_r, err) < 0 ||
	    store_guest_get(ctx->store, id, ctx->arena, g_r, err) < 0)
		return -1;
	json_t *s = guest_summary(g_r);
	json_object_set_new(s, "inviter_before", json_string(before));
	return dir_audit(ctx, "update", "guest", id, g_r->org_id, s, err);
}

int
dir_guest_reassign(const struct dir_ctx *ctx, int64_t guest_id,
	const char *inviter, struct store_guest *g_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, reassign_tx(ctx, guest_id, inviter, g_r, err),
		err);
}

static int
remove_row(const struct dir_ctx *ctx, struct store_guest *g, int64_t now,
	const char *reason, struct error *err)
{
	g->removed_at = now;
	g->removed_reason = reason;
	if (store_guest_update(ctx->store, g, err) < 0)
		return -1;
	json_t *s = guest_summary(g);
	json_object_set_new(s, "removed", json_string(reason));
	return dir_audit(ctx, "delete", "guest", g->id, g->org_id, s, err);
}

static int
remove_tx(const struct dir_ctx *ctx, int64_t id, const char *reason,
	struct store_guest *g_r, struct error *err)
{
	if (live_guest(ctx, id, g_r, err) < 0)
		return -1;
	return remove_row(ctx, g_r, ctx->now, reason != NULL &&
		reason[0] != '\0' ? reason : "removed by an administrator",
		err);
}

int
dir_guest_remove(const struct dir_ctx *ctx, int64_t guest_id,
	const char *reason, struct store_guest *g_r, struct error *err)
{
	if (reason != NULL && (strlen(reason) > 500 ||
	    strpbrk(reason, "\r\n") != NULL))
		return error_set_field(err, ERROR_INVALID, "reason", "the "
			"reason must be one line of up to 500 characters");
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, remove_tx(ctx, guest_id, reason, g_r, err),
		err);
}

int
dir_guest_get(const struct dir_ctx *ctx, int64_t guest_id,
	struct store_guest *g_r, struct error *err)
{
	return store_guest_get(ctx->store, guest_id, ctx->arena, g_r, err);
}

int
dir_guest_list(const struct dir_ctx *ctx, int64_t org_id,
	bool include_removed, struct store_guest **list_r, size_t *count_r,
	struct error *err)
{
	return store_guest_list(ctx->store, org_id, include_removed,
		ctx->arena, list_r, count_r, err);
}

static json_t *
time_json(int64_t t)
{
	if (t == 0)
		return json_null();
	char text[32];
	clock_format_iso(t, text, sizeof(text));
	return json_string(text);
}

void *
dir_guest_json(const struct dir_ctx *ctx, const struct store_guest *g)
{
	struct dir_guest_terms t;
	struct dir_guest_due due;
	dir_guest_terms_get(ctx, &t);
	dir_guest_due(g, &t, ctx->now, &due);
	bool eligible = dir_guest_inviter_is_eligible(g->org_id,
		g->inviter_org_id, g->inviter_active);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:I, s:o,"
		" s:o, s:o, s:s*}", "id", (json_int_t)g->id, "org", g->org_ods,
		"address", g->address, "display_name", g->display_name,
		"inviter", g->inviter_address, "inviter_eligible", eligible,
		"created_at", time_json(g->created_at),
		"attested_at", time_json(g->attested_at),
		"attestations", (json_int_t)g->attestations,
		"attestation_due", time_json(due.due_at),
		"orphaned_at", time_json(g->orphaned_at),
		"removed_at", time_json(g->removed_at),
		"removed_reason", g->removed_at != 0 ? g->removed_reason : NULL);
}

int
dir_guest_sweep_due(const struct dir_ctx *ctx, int64_t now,
	struct dir_guest_item **items_r, size_t *count_r, struct error *err)
{
	struct store_guest *list;
	size_t n;
	struct dir_guest_terms t;
	dir_guest_terms_get(ctx, &t);
	*count_r = 0;
	if (store_guest_list(ctx->store, 0, false, ctx->arena, &list, &n,
		    err) < 0)
		return -1;
	*items_r = arena_alloc(ctx->arena, (n + 1) * sizeof(**items_r));
	if (*items_r == NULL)
		return error_set(err, ERROR_LIMIT, "too many guests to sweep");
	for (size_t i = 0; i < n; i++) {
		struct dir_guest_due due;
		dir_guest_due(&list[i], &t, now, &due);
		if (due.step != DIR_GUEST_NOTHING)
			(*items_r)[(*count_r)++] = (struct dir_guest_item){
				.guest = list[i], .due = due };
	}
	return 0;
}

static int
apply_tx(const struct dir_ctx *ctx, const struct dir_guest_item *item,
	int64_t now, struct error *err)
{
	struct store_guest g;
	if (store_guest_get(ctx->store, item->guest.id, ctx->arena, &g,
		    err) < 0)
		return -1;
	char due[32];
	clock_format_iso(item->due.due_at, due, sizeof(due));
	json_t *s = guest_summary(&g);
	json_object_set_new(s, "rule", json_string(
		dir_guest_step_name(item->due.step)));
	json_object_set_new(s, "attestation_due", json_string(due));
	switch (item->due.step) {
	case DIR_GUEST_REQUEST:
		g.requested_for = item->due.due_at;
		break;
	case DIR_GUEST_ORPHAN:
		g.orphaned_at = now;
		break;
	case DIR_GUEST_REMOVE:
		json_decref(s);
		return remove_row(ctx, &g, now, arena_printf(ctx->arena,
			"not attested by %s (SPEC L8)", due), err);
	case DIR_GUEST_NOTHING:
		json_decref(s);
		return 0;
	}
	if (store_guest_update(ctx->store, &g, err) < 0) {
		json_decref(s);
		return -1;
	}
	return dir_audit(ctx, "update", "guest", g.id, g.org_id, s, err);
}

int
dir_guest_sweep_apply(const struct dir_ctx *ctx,
	const struct dir_guest_item *item, int64_t now, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, apply_tx(ctx, item, now, err), err);
}
