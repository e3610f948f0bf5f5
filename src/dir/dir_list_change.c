/*
 * Changing distribution lists, and the approval of changes made by owners
 * who hold no admin role (SPEC P6): an admin's change applies at once; an
 * owner's change to an approved list waits beside it, and mail keeps
 * using the approved list until an admin approves or rejects the change.
 * A list that was never approved takes no mail at all. Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store_list.h"
#include "store/store_review.h"

static int
live_list(const struct dir_ctx *ctx, const char *address,
	struct store_list *l, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_LIST, &obj, err) < 0)
		return -1;
	return store_list_get(ctx->store, obj.ref.id, ctx->arena, l, err);
}

static bool
is_dynamic(const struct store_list *l)
{
	return l->kind == STORE_LIST_DYNAMIC;
}

/* What kind of list can take the change, and whether the freeze allows it. */
static int
check_change(const struct dir_ctx *ctx, const struct store_list *l,
	const struct dir_list_change *c, struct error *err)
{
	if (c->rule != NULL && !is_dynamic(l))
		return error_set_field(err, ERROR_INVALID, "rule",
			"%s is a static list; only a dynamic list has a rule",
			l->address);
	if ((c->member_add != NULL || c->member_remove != NULL) &&
	    is_dynamic(l))
		return error_set(err, ERROR_INVALID,
			"%s is a dynamic list; its members come from its rule",
			l->address);
	if (is_dynamic(l) && (c->description != NULL || c->rule != NULL) &&
	    dir_change_freeze_check(ctx, err) < 0)
		return -1;
	return dir_check_text("description", "the description",
		c->description, 2000, false, err);
}

/* Applies a change to the list now, each part with its audit row. */
static int
apply_change(const struct dir_ctx *ctx, struct store_list *l,
	const struct dir_list_change *c, struct error *err)
{
	json_t *changed = json_object();
	if (c->description != NULL) {
		l->description = c->description;
		json_object_set_new(changed, "description",
			json_string(c->description));
	}
	if (c->rule != NULL) {
		if (dir_list_rule_check(ctx, c->rule, &l->rule, err) < 0) {
			json_decref(changed);
			return -1;
		}
		json_object_set_new(changed, "rule", json_string(l->rule));
	}
	if (json_object_size(changed) == 0) {
		json_decref(changed);
	} else {
		l->updated_at = ctx->now;
		if (store_list_update(ctx->store, l, err) < 0) {
			json_decref(changed);
			return -1;
		}
		if (dir_audit_json(ctx, "update", DIR_AUDIT_LIST, l->id,
			    l->org_id, changed, err) < 0)
			return -1;
	}
	if (c->member_add != NULL && dir_list_member_change_tx(ctx,
		    l->address, c->member_add, true, err) < 0)
		return -1;
	if (c->member_remove != NULL && dir_list_member_change_tx(ctx,
		    l->address, c->member_remove, false, err) < 0)
		return -1;
	if (c->owner_add != NULL && dir_owner_change_tx(ctx, l->address,
		    c->owner_add, true, err) < 0)
		return -1;
	if (c->owner_remove != NULL && dir_owner_change_tx(ctx, l->address,
		    c->owner_remove, false, err) < 0)
		return -1;
	return 0;
}

/* ---- a change waiting for approval, kept as JSON ---- */

/* Puts value in set `key` and takes it out of `opposite`. */
static void
set_add(json_t *change, const char *key, const char *opposite,
	const char *value)
{
	json_t *set = json_object_get(change, key);
	if (set == NULL) {
		set = json_array();
		json_object_set_new(change, key, set);
	}
	bool found = false;
	size_t i;
	json_t *v;
	json_array_foreach (set, i, v) {
		if (strcmp(json_string_value(v), value) == 0)
			found = true;
	}
	if (!found)
		json_array_append_new(set, json_string(value));
	json_t *other = json_object_get(change, opposite);
	for (i = 0; other != NULL && i < json_array_size(other);) {
		if (strcmp(json_string_value(json_array_get(other, i)),
			    value) == 0)
			json_array_remove(other, i);
		else
			i++;
	}
}

/* A set emptied by a later opposite request is no change at all. */
static void
drop_empty_sets(json_t *change)
{
	const char *key;
	json_t *value;
	void *tmp;
	json_object_foreach_safe (change, tmp, key, value) {
		if (json_is_array(value) && json_array_size(value) == 0)
			json_object_del(change, key);
	}
}

/* Checks an owner's request as far as it can be before it is decided. */
static int
check_request(const struct dir_ctx *ctx, const struct store_list *l,
	const struct dir_list_change *c, json_t *change,
	const char **rule_r, struct error *err)
{
	struct dir_object obj;
	*rule_r = NULL;
	if (c->rule != NULL &&
	    dir_list_rule_check(ctx, c->rule, rule_r, err) < 0)
		return -1;
	if (c->member_add != NULL) {
		if (dir_resolve_live(ctx, c->member_add, DIR_HOLDER_ANY, &obj,
			    err) < 0)
			return -1;
		if (obj.ref.kind == STORE_KIND_LIST && obj.ref.id == l->id)
			return error_set(err, ERROR_INVALID,
				"a list cannot be a member of itself");
	}
	if (c->owner_add == NULL)
		return 0;
	if (dir_resolve_live(ctx, c->owner_add, DIR_HOLDER_PERSON, &obj, err) <
		0)
		return -1;
	struct store_person *owners;
	size_t count;
	if (dir_owner_list(ctx, l->address, &owners, &count, err) < 0)
		return -1;
	json_t *adding = json_object_get(change, "owners_add");
	int64_t max = config_get_int(ctx->config, "dir.list_max_owners");
	if ((int64_t)(count + json_array_size(adding)) >= max)
		return error_set(err, ERROR_LIMIT,
			"%s already has %lld owners with those waiting for "
			"approval, the most allowed; remove one before adding "
			"another", l->address, (long long)max);
	return 0;
}

static int
request_change_tx(const struct dir_ctx *ctx, struct store_list *l,
	const struct dir_list_change *c, const char *requested_by,
	bool *opened_r, struct error *err)
{
	struct store_list_review r;
	if (store_list_review_get(ctx->store, l->id, ctx->arena, &r, err) < 0)
		return -1;
	bool none_waited = r.change[0] == '\0';
	json_t *change = r.change[0] != '\0' ? json_loads(r.change, 0, NULL) :
		json_object();
	if (change == NULL)
		return error_set(err, ERROR_INTERNAL,
			"the change waiting on %s cannot be read", l->address);
	const char *rule;
	if (check_request(ctx, l, c, change, &rule, err) < 0) {
		json_decref(change);
		return -1;
	}
	if (c->description != NULL)
		json_object_set_new(change, "description",
			json_string(c->description));
	if (rule != NULL)
		json_object_set_new(change, "rule", json_string(rule));
	if (c->member_add != NULL)
		set_add(change, "members_add", "members_remove", c->member_add);
	if (c->member_remove != NULL)
		set_add(change, "members_remove", "members_add",
			c->member_remove);
	if (c->owner_add != NULL)
		set_add(change, "owners_add", "owners_remove", c->owner_add);
	if (c->owner_remove != NULL)
		set_add(change, "owners_remove", "owners_add", c->owner_remove);
	drop_empty_sets(change);
	char *text = json_object_size(change) == 0 ? strdup("") :
		json_dumps(change, JSON_COMPACT | JSON_SORT_KEYS);
	r.change = text != NULL ? arena_strdup(ctx->arena, text) : NULL;
	free(text);
	if (r.change == NULL) {
		json_decref(change);
		return error_set(err, ERROR_LIMIT, "the change is too large");
	}
	/* A request opens when a change starts to wait; more join it. */
	*opened_r = none_waited && r.change[0] != '\0';
	r.requested_by = requested_by;
	r.requested_at = ctx->now;
	if (store_list_review_put(ctx->store, &r, err) < 0) {
		json_decref(change);
		return -1;
	}
	return dir_audit_json(ctx, "update", DIR_AUDIT_LIST, l->id, l->org_id,
		json_pack("{s:o}", "change_requested", change), err);
}

/* An owner's change to a list never approved: it applies, still Pending. */
static int
resubmit_tx(const struct dir_ctx *ctx, struct store_list *l,
	const struct dir_list_change *c, const char *requested_by,
	bool *opened_r, struct error *err)
{
	if (apply_change(ctx, l, c, err) < 0 ||
	    store_list_get(ctx->store, l->id, ctx->arena, l, err) < 0)
		return -1;
	struct store_list_review r = { .list_id = l->id, .change = "",
		.requested_by = requested_by, .requested_at = ctx->now,
		.decision = "", .reason = "", .decided_by = "" };
	if (l->status != STORE_LIST_PENDING) {
		/* A rejected list asked for again: a request opens. */
		*opened_r = true;
		l->status = STORE_LIST_PENDING;
		l->updated_at = ctx->now;
		if (store_list_update(ctx->store, l, err) < 0 ||
		    dir_audit_json(ctx, "update", DIR_AUDIT_LIST, l->id,
			    l->org_id, json_pack("{s:s}", "status", "pending"),
			    err) < 0)
			return -1;
	}
	return store_list_review_put(ctx->store, &r, err);
}

static int
change_tx(const struct dir_ctx *ctx, const char *address,
	const struct dir_list_change *c, const char *requested_by,
	bool *waiting_r, bool *opened_r, struct error *err)
{
	struct store_list l;
	*waiting_r = false;
	*opened_r = false;
	if (c->description == NULL && c->rule == NULL && c->member_add == NULL &&
	    c->member_remove == NULL && c->owner_add == NULL &&
	    c->owner_remove == NULL)
		return error_set(err, ERROR_INVALID,
			"the request changes nothing; give a description or "
			"a rule");
	if (live_list(ctx, address, &l, err) < 0 ||
	    check_change(ctx, &l, c, err) < 0)
		return -1;
	if (requested_by == NULL)
		return apply_change(ctx, &l, c, err);
	if (l.status != STORE_LIST_APPROVED)
		return resubmit_tx(ctx, &l, c, requested_by, opened_r, err);
	*waiting_r = true;
	return request_change_tx(ctx, &l, c, requested_by, opened_r, err);
}

int
dir_list_change(const struct dir_ctx *ctx, const char *address,
	const struct dir_list_change *c, const char *requested_by,
	bool *waiting_r, bool *opened_r, struct error *err)
{
	bool opened = false;
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = dir_finish(ctx, change_tx(ctx, address, c, requested_by,
					 waiting_r, &opened, err), err);
	if (opened_r != NULL)
		*opened_r = rc == 0 && opened;
	return rc;
}

/* ---- decisions ---- */

int
dir_list_review(const struct dir_ctx *ctx, const char *address,
	struct store_list_review *r_r, struct error *err)
{
	struct store_list l;
	if (live_list(ctx, address, &l, err) < 0)
		return -1;
	return store_list_review_get(ctx->store, l.id, ctx->arena, r_r, err);
}

/* Applies the waiting change's items of one set, one at a time. */
static int
apply_set(const struct dir_ctx *ctx, struct store_list *l, json_t *change,
	const char *key, struct error *err)
{
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(change, key), i, v) {
		struct dir_list_change one = { 0 };
		const char *value = json_string_value(v);
		if (strcmp(key, "members_add") == 0)
			one.member_add = value;
		else if (strcmp(key, "members_remove") == 0)
			one.member_remove = value;
		else if (strcmp(key, "owners_add") == 0)
			one.owner_add = value;
		else
			one.owner_remove = value;
		struct error inner;
		if (apply_change(ctx, l, &one, &inner) == 0)
			continue;
		/* Already done by someone else meanwhile: nothing to do. */
		bool adding = one.member_add != NULL || one.owner_add != NULL;
		if ((adding && inner.code == ERROR_EXISTS) ||
		    (!adding && inner.code == ERROR_NOT_FOUND))
			continue;
		return error_forward(err, &inner);
	}
	return 0;
}

static int
apply_waiting(const struct dir_ctx *ctx, struct store_list *l,
	const char *text, struct error *err)
{
	json_t *change = json_loads(text, 0, NULL);
	if (change == NULL)
		return error_set(err, ERROR_INTERNAL,
			"the change waiting on %s cannot be read", l->address);
	struct dir_list_change row = {
		.description = json_string_value(
			json_object_get(change, "description")),
		.rule = json_string_value(json_object_get(change, "rule")),
	};
	static const char *const sets[] = { "members_remove", "members_add",
		"owners_add", "owners_remove" };
	int rc = check_change(ctx, l, &row, err);
	if (rc == 0)
		rc = apply_change(ctx, l, &row, err);
	for (size_t i = 0; rc == 0 && i < sizeof(sets) / sizeof(*sets); i++)
		rc = apply_set(ctx, l, change, sets[i], err);
	json_decref(change);
	return rc;
}

static int
decide_tx(const struct dir_ctx *ctx, const char *address, bool approve,
	const char *reason, struct error *err)
{
	struct store_list l;
	struct store_list_review r;
	if (!approve && dir_check_text("reason", "the reason", reason, 1000,
			    true, err) < 0)
		return -1;
	if (live_list(ctx, address, &l, err) < 0 ||
	    store_list_review_get(ctx->store, l.id, ctx->arena, &r, err) < 0)
		return -1;
	bool pending = l.status == STORE_LIST_PENDING;
	if (!pending && r.change[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"nothing on %s is waiting for approval", l.address);
	json_t *summary = json_pack("{s:s}", "decision",
		approve ? "approved" : "rejected");
	if (!approve)
		json_object_set_new(summary, "reason", json_string(reason));
	if (r.change[0] != '\0')
		json_object_set_new(summary, "change", json_string(r.change));
	if (approve && r.change[0] != '\0' &&
	    apply_waiting(ctx, &l, r.change, err) < 0) {
		json_decref(summary);
		return -1;
	}
	if (pending) {
		if (store_list_get(ctx->store, l.id, ctx->arena, &l, err) < 0) {
			json_decref(summary);
			return -1;
		}
		l.status = approve ? STORE_LIST_APPROVED : STORE_LIST_REJECTED;
		l.updated_at = ctx->now;
		if (store_list_update(ctx->store, &l, err) < 0) {
			json_decref(summary);
			return -1;
		}
	}
	r.change = "";
	r.decision = approve ? "approved" : "rejected";
	r.reason = approve ? "" : reason;
	r.decided_by = ctx->actor;
	r.decided_at = ctx->now;
	if (store_list_review_put(ctx->store, &r, err) < 0) {
		json_decref(summary);
		return -1;
	}
	return dir_audit_json(ctx, "update", DIR_AUDIT_LIST, l.id, l.org_id,
		summary, err);
}

int
dir_list_approve(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, decide_tx(ctx, address, true, NULL, err), err);
}

int
dir_list_reject(const struct dir_ctx *ctx, const char *address,
	const char *reason, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, decide_tx(ctx, address, false, reason, err),
		err);
}

/* ---- listing ---- */

int
dir_list_page(const struct dir_ctx *ctx, const struct dir_org_set *orgs,
	const char *status, int64_t owner_id, int64_t after_id, size_t limit,
	struct store_list **l_r, size_t *count_r, struct error *err)
{
	enum store_list_state state;
	if (status != NULL && !dir_list_state_parse(status, &state))
		return error_set_field(err, ERROR_INVALID, "status",
			"status is approved, pending or rejected, not '%.40s'",
			status);
	return store_list_page(ctx->store, orgs->org_ids, orgs->org_count,
		status != NULL ? &state : NULL, false, owner_id, after_id, limit,
		ctx->arena, l_r, count_r, err);
}

int
dir_list_awaiting(const struct dir_ctx *ctx, int64_t after_id, size_t limit,
	struct store_list **l_r, size_t *count_r, struct error *err)
{
	return store_list_page(ctx->store, NULL, 0, NULL, true, 0, after_id,
		limit, ctx->arena, l_r, count_r, err);
}
