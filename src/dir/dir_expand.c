/*
 * Expanding a list to what mail to it reaches (SPEC M6, P6): nested lists
 * followed once each, so a loop ends where it closes; dynamic rules
 * applied to the people in their orgs; excluded lists taken out; deleted
 * objects and lists never approved left out; each recipient once. Layer:
 * domain. The members gather in the store's recipient set, inside the
 * database, so a list of any size costs a fixed amount of memory here
 * (seed 002: lists over ~21,000 recipients timed out); only the lists
 * passed through are held.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "dir/dir_rule.h"
#include "store/store_expand.h"
#include "store/store_list.h"
#include "store/store_org.h"
#include "store/store_review.h"

/* The scope a caller reads the whole expansion from. */
#define SCOPE_RESULT 0

struct expansion {
	const struct dir_ctx *ctx;
	int64_t *visited;	/* list ids already expanded */
	size_t visited_count, visited_capacity;
	int64_t *next_scope;	/* shared by the expansions of exclusions */
	/*
	 * Only the outside contacts matter (dir_list_outside): dynamic
	 * rules, which reach only people here, are not applied and static
	 * lists' mailboxes not gathered, so what the policy stage asks of
	 * a list costs its contacts and nested lists, not its members.
	 */
	bool outside_only;
};

/* Marks a list visited; false when it already was (a loop closes here). */
static bool
visit(struct expansion *x, int64_t list_id, int *rc_r, struct error *err)
{
	*rc_r = 0;
	for (size_t i = 0; i < x->visited_count; i++) {
		if (x->visited[i] == list_id)
			return false;
	}
	int64_t *slot = arena_array_push(x->ctx->arena, (void **)&x->visited,
		&x->visited_count, &x->visited_capacity, sizeof(*x->visited));
	if (slot == NULL) {
		*rc_r = error_set(err, ERROR_LIMIT,
			"the list nests too many lists to expand here");
		return false;
	}
	*slot = list_id;
	return true;
}

static int expand_list(struct expansion *x, int64_t list_id, int64_t scope,
	struct error *err);

static int
expand_static(struct expansion *x, const struct store_list *l, int64_t scope,
	struct error *err)
{
	int64_t *nested;
	size_t count;
	/* Only the outside contacts wanted: no member's row is written. */
	int rc = x->outside_only ?
		store_set_add_static_contacts(x->ctx->store, scope, l->id, err) :
		store_set_add_static(x->ctx->store, scope, l->id, err);
	if (rc < 0 ||
	    store_set_nested_lists(x->ctx->store, l->id, x->ctx->arena, &nested,
		    &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (expand_list(x, nested[i], scope, err) < 0)
			return -1;
	}
	return 0;
}

/* The rule's org set: named orgs (or the list's own), children if asked. */
static int
rule_orgs(const struct dir_ctx *ctx, const struct dir_rule *rule,
	const struct store_list *l, int64_t **ids_r, size_t *count_r,
	struct error *err)
{
	int64_t *ids = NULL;
	size_t count = 0, capacity = 0;
	size_t named = rule->orgs.count != 0 ? rule->orgs.count : 1;
	for (size_t i = 0; i < named; i++) {
		struct store_org org;
		if (rule->orgs.count == 0)
			org.id = l->org_id;
		else if (dir_org_by_ods(ctx, rule->orgs.items[i], &org, err) < 0)
			return -1;
		int64_t *sub = &org.id;
		size_t sub_count = 1;
		if (rule->include_children &&
		    store_org_subtree(ctx->store, org.id, ctx->arena, &sub,
			    &sub_count, err) < 0)
			return -1;
		for (size_t j = 0; j < sub_count; j++) {
			int64_t *slot = arena_array_push(ctx->arena,
				(void **)&ids, &count, &capacity, sizeof(*ids));
			if (slot == NULL)
				return error_set(err, ERROR_LIMIT,
					"the rule covers too many organisations");
			*slot = sub[j];
		}
	}
	qsort(ids, count, sizeof(*ids), ids_compare);
	*ids_r = ids;
	*count_r = count;
	return 0;
}

/*
 * The rule as the database can apply it: the org set resolved here, the
 * text criteria passed through. The database finds the people, so a list
 * of tens of thousands costs one query, not one test per person (seed 002:
 * ~21,000 recipients timed out).
 */
static int
rule_query(const struct dir_ctx *ctx, const struct dir_rule *rule,
	const struct store_list *l, struct store_rule_query *q,
	struct error *err)
{
	int64_t *org_ids = NULL;
	size_t org_count = 0;
	if (rule_orgs(ctx, rule, l, &org_ids, &org_count, err) < 0)
		return -1;
	*q = (struct store_rule_query){
		.org_ids = org_ids,
		.org_count = org_count,
		.sites = { rule->sites.items, rule->sites.count },
		.site_types = { rule->site_types.items, rule->site_types.count },
		.job_titles = { rule->job_titles.items, rule->job_titles.count },
		.departments = { rule->departments.items,
			rule->departments.count },
		.roles = { rule->roles.items, rule->roles.count },
	};
	return 0;
}

static int
expand_rule_people(struct expansion *x, const struct dir_rule *rule,
	const struct store_list *l, int64_t scope, struct error *err)
{
	const struct dir_ctx *ctx = x->ctx;
	struct store_rule_query q;
	if (rule_query(ctx, rule, l, &q, err) < 0)
		return -1;
	return store_set_add_rule(ctx->store, scope, &q, ctx->arena, err);
}

/*
 * A dynamic list's own members go to a scope of their own when it excludes
 * lists, so the exclusion takes out of its contribution only, as before:
 * what other lists of the expansion reach stays. Each excluded list is
 * expanded on its own, with its own visited set, so a list this expansion
 * already passed through is still excluded whole.
 */
static int
expand_dynamic(struct expansion *x, const struct store_list *l, int64_t scope,
	struct error *err)
{
	struct dir_rule rule;
	if (dir_rule_parse(span_from_cstr(l->rule), x->ctx->arena, &rule,
		    err) < 0)
		return -1;
	bool excludes = rule.exclude_lists.count > 0;
	int64_t own = excludes ? (*x->next_scope)++ : scope;
	if (!x->outside_only && expand_rule_people(x, &rule, l, own, err) < 0)
		return -1;
	for (size_t i = 0; i < rule.include_lists.count; i++) {
		struct dir_object obj;
		if (dir_resolve(x->ctx, rule.include_lists.items[i], &obj,
			    err) < 0 ||
		    expand_list(x, obj.ref.id, own, err) < 0)
			return -1;
	}
	if (!excludes)
		return 0;
	int64_t out = (*x->next_scope)++;
	for (size_t i = 0; i < rule.exclude_lists.count; i++) {
		struct dir_object obj;
		struct expansion excluded = { .ctx = x->ctx,
			.next_scope = x->next_scope,
			.outside_only = x->outside_only };
		if (dir_resolve(x->ctx, rule.exclude_lists.items[i], &obj,
			    err) < 0 ||
		    expand_list(&excluded, obj.ref.id, out, err) < 0)
			return -1;
	}
	struct store *st = x->ctx->store;
	if (store_set_merge(st, scope, own, out, err) < 0 ||
	    store_set_drop(st, own, err) < 0 || store_set_drop(st, out, err) < 0)
		return -1;
	return 0;
}

static int
expand_list(struct expansion *x, int64_t list_id, int64_t scope,
	struct error *err)
{
	int rc;
	if (!visit(x, list_id, &rc, err))
		return rc;
	struct store_list l;
	if (store_list_get(x->ctx->store, list_id, x->ctx->arena, &l, err) < 0)
		return -1;
	if (l.deleted_at != 0)
		return 0;
	/*
	 * A nested list that was never approved reaches nobody yet; the
	 * list asked for (the first visited) is expanded whatever its
	 * status, for previews, and mail_route refuses one not approved.
	 */
	if (x->visited_count > 1 && l.status != STORE_LIST_APPROVED)
		return 0;
	if (l.kind == STORE_LIST_DYNAMIC)
		return expand_dynamic(x, &l, scope, err);
	return expand_static(x, &l, scope, err);
}

int
dir_list_expand_set(const struct dir_ctx *ctx, int64_t list_id,
	int64_t scope, struct error *err)
{
	int64_t next_scope = scope + 1;
	struct expansion x = { .ctx = ctx, .next_scope = &next_scope };
	return expand_list(&x, list_id, scope, err);
}

/* The whole expansion of a list, or of an unsaved rule, in SCOPE_RESULT. */
static int
expand_fresh(const struct dir_ctx *ctx, const struct store_list *l,
	struct error *err)
{
	if (store_set_begin(ctx->store, err) < 0)
		return -1;
	int64_t next_scope = SCOPE_RESULT + 1;
	struct expansion x = { .ctx = ctx, .next_scope = &next_scope };
	int rc;
	if (!visit(&x, l->id, &rc, err))
		return rc;
	return l->kind == STORE_LIST_DYNAMIC ?
		expand_dynamic(&x, l, SCOPE_RESULT, err) :
		expand_static(&x, l, SCOPE_RESULT, err);
}

int
dir_list_expand(const struct dir_ctx *ctx, const char *list_address,
	const char ***addresses_r, size_t *count_r, struct error *err)
{
	struct dir_object obj;
	struct store_list l;
	if (dir_resolve_live(ctx, list_address, DIR_HOLDER_LIST, &obj, err) <
			0 ||
		store_list_get(ctx->store, obj.ref.id, ctx->arena, &l, err) <
			0 ||
		expand_fresh(ctx, &l, err) < 0 ||
		store_set_addresses(ctx->store, SCOPE_RESULT, ctx->arena,
			addresses_r, count_r, err) < 0)
		return -1;
	return store_set_drop(ctx->store, -1, err);
}

int
dir_list_outside(const struct dir_ctx *ctx, int64_t list_id,
	const char ***addresses_r, size_t *count_r, struct error *err)
{
	int64_t next_scope = SCOPE_RESULT + 1;
	struct expansion x = { .ctx = ctx, .next_scope = &next_scope,
		.outside_only = true };
	if (store_set_begin(ctx->store, err) < 0 ||
	    expand_list(&x, list_id, SCOPE_RESULT, err) < 0 ||
	    store_set_remote_addresses(ctx->store, SCOPE_RESULT, ctx->arena,
		    addresses_r, count_r, err) < 0)
		return -1;
	return store_set_drop(ctx->store, -1, err);
}

/*
 * How many a list reaches and the first few: a plain rule is counted and
 * sampled in two queries, anything else expanded into a recipient set.
 */
static int
preview_list(const struct dir_ctx *ctx, const struct store_list *l,
	struct dir_preview *p, struct error *err)
{
	*p = (struct dir_preview){ 0 };
	if (l->kind == STORE_LIST_DYNAMIC) {
		struct dir_rule rule;
		if (dir_rule_parse(span_from_cstr(l->rule), ctx->arena, &rule,
			    err) < 0)
			return -1;
		if (rule.include_lists.count == 0 &&
		    rule.exclude_lists.count == 0) {
			struct store_rule_query q;
			if (rule_query(ctx, &rule, l, &q, err) < 0 ||
			    store_rule_count(ctx->store, &q, ctx->arena,
				    &p->count, err) < 0)
				return -1;
			return store_rule_sample(ctx->store, &q, ctx->arena,
				&p->sample, &p->sample_count, err);
		}
	}
	if (expand_fresh(ctx, l, err) < 0 ||
	    store_set_count(ctx->store, SCOPE_RESULT, &p->count, err) < 0 ||
	    store_set_sample(ctx->store, SCOPE_RESULT, ctx->arena, &p->sample,
		    &p->sample_count, err) < 0)
		return -1;
	return store_set_drop(ctx->store, -1, err);
}

int
dir_rule_preview(const struct dir_ctx *ctx, const char *org_ods,
	const char *rule_json, struct dir_preview *preview_r,
	struct error *err)
{
	struct store_org org;
	const char *canonical;
	if (dir_org_by_ods(ctx, org_ods, &org, err) < 0 ||
	    dir_list_rule_check(ctx, rule_json, &canonical, err) < 0)
		return -1;
	/* A list that does not exist yet: id 0 is never a real list. */
	struct store_list l = { .id = 0, .org_id = org.id, .kind = STORE_LIST_DYNAMIC,
		.status = STORE_LIST_APPROVED, .rule = canonical };
	return preview_list(ctx, &l, preview_r, err);
}

int
dir_list_preview(const struct dir_ctx *ctx, const char *address,
	struct dir_preview *preview_r, struct error *err)
{
	struct dir_object obj;
	struct store_list l;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_LIST, &obj, err) < 0 ||
		store_list_get(ctx->store, obj.ref.id, ctx->arena, &l, err) < 0)
		return -1;
	return preview_list(ctx, &l, preview_r, err);
}
