/*
 * Expanding a list to the addresses mail to it reaches (SPEC M6, P6):
 * nested lists followed once each, so a loop ends where it closes; dynamic
 * rules applied to the people in their orgs; deleted objects left out; each
 * address once. Layer: domain.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "dir/dir_rule.h"

struct expansion {
	const struct dir_ctx *ctx;
	const char **addresses;
	size_t count, capacity;
	int64_t *visited;	/* list ids already expanded */
	size_t visited_count, visited_capacity;
};

static int
push_address(struct expansion *x, const char *address, struct error *err)
{
	const char **slot = arena_array_push(x->ctx->arena,
		(void **)&x->addresses, &x->count, &x->capacity,
		sizeof(*x->addresses));
	if (slot == NULL)
		return error_set(err, ERROR_LIMIT,
			"the list is too large to expand here");
	*slot = address;
	return 0;
}

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

static int expand_list(struct expansion *x, int64_t list_id,
	struct error *err);

static int
expand_member(struct expansion *x, struct store_ref ref, struct error *err)
{
	const struct dir_ctx *ctx = x->ctx;
	if (ref.kind == STORE_KIND_LIST)
		return expand_list(x, ref.id, err);
	if (ref.kind == STORE_KIND_MAILBOX) {
		struct store_mailbox m;
		if (store_mailbox_get(ctx->store, ref.id, ctx->arena, &m, err) < 0)
			return -1;
		return m.deleted_at != 0 ? 0 : push_address(x, m.address, err);
	}
	if (ref.kind == STORE_KIND_CONTACT) {
		struct store_contact c;
		if (store_contact_get(ctx->store, ref.id, ctx->arena, &c, err) < 0)
			return -1;
		return c.deleted_at != 0 ? 0 : push_address(x, c.address, err);
	}
	return error_set(err, ERROR_INTERNAL, "a list member of unknown kind");
}

static int
expand_static(struct expansion *x, const struct store_list *l,
	struct error *err)
{
	struct store_ref *refs;
	size_t count;
	if (store_list_members(x->ctx->store, l->id, x->ctx->arena, &refs,
		    &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (expand_member(x, refs[i], err) < 0)
			return -1;
	}
	return 0;
}

static int
compare_ids(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
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
	qsort(ids, count, sizeof(*ids), compare_ids);
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
	const struct store_list *l, struct error *err)
{
	const struct dir_ctx *ctx = x->ctx;
	struct store_rule_query q;
	const char **addresses;
	size_t count;
	if (rule_query(ctx, rule, l, &q, err) < 0 ||
	    store_rule_addresses(ctx->store, &q, ctx->arena, &addresses,
		    &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (push_address(x, addresses[i], err) < 0)
			return -1;
	}
	return 0;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts and removes duplicates in place. */
static void
sort_unique(struct expansion *x)
{
	if (x->count == 0)
		return;
	qsort(x->addresses, x->count, sizeof(*x->addresses), compare_strings);
	size_t out = 1;
	for (size_t i = 1; i < x->count; i++) {
		if (strcmp(x->addresses[i], x->addresses[out - 1]) != 0)
			x->addresses[out++] = x->addresses[i];
	}
	x->count = out;
}

static bool
contains(const struct expansion *sorted, const char *address)
{
	return sorted->count != 0 &&
		bsearch(&address, sorted->addresses, sorted->count,
			sizeof(*sorted->addresses), compare_strings) != NULL;
}

/*
 * Each excluded list is expanded on its own, with its own visited set, so a
 * list this expansion already passed through is still excluded whole.
 */
static int
apply_exclusions(struct expansion *x, const struct dir_rule *rule,
	size_t from, struct error *err)
{
	for (size_t i = 0; i < rule->exclude_lists.count; i++) {
		struct dir_object obj;
		if (dir_resolve(x->ctx, rule->exclude_lists.items[i], &obj,
			    err) < 0)
			return -1;
		struct expansion excluded = { .ctx = x->ctx };
		if (expand_list(&excluded, obj.ref.id, err) < 0)
			return -1;
		sort_unique(&excluded);
		size_t out = from;
		for (size_t j = from; j < x->count; j++) {
			if (!contains(&excluded, x->addresses[j]))
				x->addresses[out++] = x->addresses[j];
		}
		x->count = out;
	}
	return 0;
}

static int
expand_dynamic(struct expansion *x, const struct store_list *l,
	struct error *err)
{
	struct dir_rule rule;
	size_t from = x->count;
	if (dir_rule_parse(span_from_cstr(l->rule), x->ctx->arena, &rule,
		    err) < 0 ||
	    expand_rule_people(x, &rule, l, err) < 0)
		return -1;
	for (size_t i = 0; i < rule.include_lists.count; i++) {
		struct dir_object obj;
		if (dir_resolve(x->ctx, rule.include_lists.items[i], &obj,
			    err) < 0 ||
		    expand_list(x, obj.ref.id, err) < 0)
			return -1;
	}
	return apply_exclusions(x, &rule, from, err);
}

static int
expand_list(struct expansion *x, int64_t list_id, struct error *err)
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
	if (x->visited_count > 1 && strcmp(l.status, "approved") != 0)
		return 0;
	if (strcmp(l.kind, "dynamic") == 0)
		return expand_dynamic(x, &l, err);
	return expand_static(x, &l, err);
}

int
dir_list_expand(const struct dir_ctx *ctx, const char *list_address,
	const char ***addresses_r, size_t *count_r, struct error *err)
{
	struct dir_object list;
	if (dir_resolve_live(ctx, list_address, "list", &list, err) < 0)
		return -1;
	struct expansion x = { .ctx = ctx };
	if (expand_list(&x, list.ref.id, err) < 0)
		return -1;
	sort_unique(&x);
	*addresses_r = x.addresses;
	*count_r = x.count;
	return 0;
}

/* Counts a rule in the database when no nested lists are involved. */
static int
count_rule(const struct dir_ctx *ctx, const struct store_list *l,
	int64_t *count_r, struct error *err)
{
	struct dir_rule rule;
	if (dir_rule_parse(span_from_cstr(l->rule), ctx->arena, &rule,
		    err) < 0)
		return -1;
	if (rule.include_lists.count == 0 && rule.exclude_lists.count == 0) {
		struct store_rule_query q;
		if (rule_query(ctx, &rule, l, &q, err) < 0)
			return -1;
		return store_rule_count(ctx->store, &q, ctx->arena, count_r,
			err);
	}
	struct expansion x = { .ctx = ctx };
	if (expand_list(&x, l->id, err) < 0)
		return -1;
	sort_unique(&x);
	*count_r = (int64_t)x.count;
	return 0;
}

int
dir_rule_preview(const struct dir_ctx *ctx, const char *org_ods,
	const char *rule_json, int64_t *count_r, struct error *err)
{
	struct store_org org;
	const char *canonical;
	if (dir_org_by_ods(ctx, org_ods, &org, err) < 0 ||
	    dir_list_rule_check(ctx, rule_json, &canonical, err) < 0)
		return -1;
	/* A list that does not exist yet: id 0 is never a real list. */
	struct store_list l = { .id = 0, .org_id = org.id, .kind = "dynamic",
		.status = "approved", .rule = canonical };
	struct dir_rule rule;
	if (dir_rule_parse(span_from_cstr(canonical), ctx->arena, &rule,
		    err) < 0)
		return -1;
	if (rule.include_lists.count == 0 && rule.exclude_lists.count == 0)
		return count_rule(ctx, &l, count_r, err);
	struct expansion x = { .ctx = ctx };
	int rc;
	if (!visit(&x, 0, &rc, err) || expand_dynamic(&x, &l, err) < 0)
		return -1;
	sort_unique(&x);
	*count_r = (int64_t)x.count;
	return 0;
}

int
dir_list_preview(const struct dir_ctx *ctx, const char *address,
	int64_t *count_r, struct error *err)
{
	struct dir_object obj;
	struct store_list l;
	if (dir_resolve_live(ctx, address, "list", &obj, err) < 0 ||
	    store_list_get(ctx->store, obj.ref.id, ctx->arena, &l, err) < 0)
		return -1;
	if (strcmp(l.kind, "dynamic") == 0)
		return count_rule(ctx, &l, count_r, err);
	struct expansion x = { .ctx = ctx };
	if (expand_list(&x, l.id, err) < 0)
		return -1;
	sort_unique(&x);
	*count_r = (int64_t)x.count;
	return 0;
}
