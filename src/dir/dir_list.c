/*
 * Distribution lists: static lists with members (people, shared and
 * resource mailboxes, contacts, other lists — seed 002 #9224) and dynamic
 * lists with a rule (dir_rule.h). Layer: domain.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "dir/dir_rule.h"
#include "store/store_list.h"
#include "store/store_mailbox.h"
#include "store/store_review.h"

int
dir_list_rule_check(const struct dir_ctx *ctx, const char *rule_json,
	const char **canonical_r, struct error *err)
{
	struct dir_rule rule;
	if (dir_rule_parse(span_from_cstr(rule_json), ctx->arena, &rule,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < rule.orgs.count; i++) {
		struct store_org org;
		if (dir_org_by_ods(ctx, rule.orgs.items[i], &org, err) < 0)
			return -1;
		rule.orgs.items[i] = org.ods;
	}
	const struct dir_strings *lists[] = { &rule.include_lists,
		&rule.exclude_lists };
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			struct dir_object obj;
			if (dir_resolve_live(ctx, lists[l]->items[i],
				    DIR_HOLDER_LIST, &obj, err) < 0)
				return -1;
			lists[l]->items[i] = obj.address;
		}
	}
	for (size_t i = 0; i < rule.roles.count; i++) {
		if (!dir_role_is_valid(rule.roles.items[i]))
			return error_set_field(err, ERROR_INVALID, "roles",
				"'%s' is not a role", rule.roles.items[i]);
	}
	*canonical_r = dir_rule_format(&rule, ctx->arena);
	if (*canonical_r == NULL)
		return error_set(err, ERROR_LIMIT, "the rule is too large");
	return 0;
}

/* Makes the person who asked for a list its first owner, Pending. */
static int
request_list(const struct dir_ctx *ctx, const struct store_list *l,
	const char *requested_by, struct error *err)
{
	if (dir_owner_change_tx(ctx, l->address, requested_by, true, err) < 0)
		return -1;
	struct store_list_review r = { .list_id = l->id, .change = "",
		.requested_by = requested_by, .requested_at = ctx->now,
		.decision = "", .reason = "", .decided_by = "" };
	return store_list_review_put(ctx->store, &r, err);
}

static int
list_add_tx(const struct dir_ctx *ctx, const struct dir_list_new *in,
	struct store_list *l, struct error *err)
{
	enum store_list_kind kind = STORE_LIST_STATIC;
	if (in->kind != NULL && !dir_list_kind_parse(in->kind, &kind))
		return error_set_field(err, ERROR_INVALID, "kind",
			"a list is static or dynamic, not '%s'", in->kind);
	bool dynamic = kind == STORE_LIST_DYNAMIC;
	if (dynamic != (in->rule != NULL))
		return error_set_field(err, ERROR_INVALID, "rule",
			dynamic ? "a dynamic list needs a rule" :
				  "only a dynamic list has a rule");
	if (dynamic && dir_change_freeze_check(ctx, err) < 0)
		return -1;
	struct store_org org;
	if (dir_check_text("name", "the list's name", in->name, 200, true,
		    err) < 0 ||
	    dir_check_text("description", "the description", in->description,
		    2000, false, err) < 0 ||
	    dir_org_by_ods(ctx, in->org_ods, &org, err) < 0)
		return -1;
	const char *rule = "";
	if (dynamic && dir_list_rule_check(ctx, in->rule, &rule, err) < 0)
		return -1;
	char local[DIR_ADDRESS_LOCAL_MAX + 1];
	if (in->address == NULL &&
	    dir_address_local_from_name(in->name, local, sizeof(local),
		    err) < 0)
		return -1;
	struct dir_address addr;
	if (dir_new_address(ctx, in->address, local, false, &addr, err) < 0)
		return -1;
	*l = (struct store_list){
		.org_id = org.id,
		.kind = kind,
		.name = in->name,
		.address = arena_strdup(ctx->arena, addr.text),
		.description = in->description != NULL ? in->description : "",
		.status = in->requested_by != NULL ? STORE_LIST_PENDING :
						     STORE_LIST_APPROVED,
		.rule = rule,
		.created_at = ctx->now,
		.updated_at = ctx->now,
	};
	if (store_list_insert(ctx->store, l, err) < 0)
		return -1;
	struct store_ref holder = { STORE_KIND_LIST, l->id };
	if (dir_claim_address(ctx, addr.text, holder, err) < 0)
		return -1;
	if (dir_audit_json(ctx, "create", DIR_AUDIT_LIST, l->id, org.id,
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "address", l->address,
			    "name", in->name, "kind", dir_list_kind_name(l->kind),
			    "rule", rule, "status", dir_list_state_name(l->status)),
		    err) < 0)
		return -1;
	return in->requested_by != NULL ?
		request_list(ctx, l, in->requested_by, err) : 0;
}

int
dir_list_create(const struct dir_ctx *ctx, const struct dir_list_new *in,
	struct store_list *l_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, list_add_tx(ctx, in, l_r, err), err);
}

int
dir_list_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *name, const char *kind, const char *address,
	const char *rule_json, struct store_list *l_r, struct error *err)
{
	struct dir_list_new in = { .org_ods = org_ods, .name = name,
		.kind = kind, .address = address, .rule = rule_json };
	return dir_list_create(ctx, &in, l_r, err);
}

int
dir_list_get(const struct dir_ctx *ctx, const char *address,
	struct store_list *l_r, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve(ctx, address, &obj, err) < 0)
		return -1;
	if (obj.ref.kind != STORE_KIND_LIST)
		return error_set(err, ERROR_NOT_FOUND,
			"%s is a %s, not a distribution list", obj.address,
			dir_holder_noun(obj.kind));
	return store_list_get(ctx->store, obj.ref.id, ctx->arena, l_r, err);
}

int
dir_list_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_list **l_r, size_t *count_r, struct error *err)
{
	int64_t org_id;
	if (dir_org_id_or_all(ctx, org_ods, &org_id, err) < 0)
		return -1;
	return store_list_list(ctx->store, org_id, ctx->arena, l_r, count_r,
		err);
}

static int
list_delete_tx(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	struct dir_object obj;
	struct store_list l;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_LIST, &obj, err) < 0 ||
		store_list_get(ctx->store, obj.ref.id, ctx->arena, &l, err) < 0)
		return -1;
	if (l.kind == STORE_LIST_DYNAMIC &&
	    dir_change_freeze_check(ctx, err) < 0)
		return -1;
	l.deleted_at = ctx->now;
	l.updated_at = ctx->now;
	if (store_list_update(ctx->store, &l, err) < 0)
		return -1;
	return dir_audit_json(ctx, "delete", DIR_AUDIT_LIST, l.id, l.org_id,
		json_pack("{s:s}", "address", l.address), err);
}

int
dir_list_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, list_delete_tx(ctx, address, err), err);
}

/* The list as a static one that can take members. */
static int
static_list(const struct dir_ctx *ctx, const char *address,
	struct dir_object *list, struct error *err)
{
	if (dir_resolve_live(ctx, address, DIR_HOLDER_LIST, list, err) < 0)
		return -1;
	struct store_list l;
	if (store_list_get(ctx->store, list->ref.id, ctx->arena, &l, err) < 0)
		return -1;
	if (l.kind != STORE_LIST_STATIC)
		return error_set(err, ERROR_INVALID,
			"%s is a dynamic list; its members come from its rule",
			list->address);
	return 0;
}

/* The reference a list stores for a member: people by their mailbox. */
static struct store_ref
member_ref(const struct dir_object *member)
{
	if (member->ref.kind == STORE_KIND_PERSON)
		return (struct store_ref){ STORE_KIND_MAILBOX, member->mailbox_id };
	return member->ref;
}

int
dir_list_member_change_tx(const struct dir_ctx *ctx, const char *list_address,
	const char *member_address, bool adding, struct error *err)
{
	struct dir_object list, member;
	if (static_list(ctx, list_address, &list, err) < 0)
		return -1;
	int rc = adding ? dir_resolve_live(ctx, member_address, DIR_HOLDER_ANY,
				  &member, err) :
			  dir_resolve(ctx, member_address, &member, err);
	if (rc < 0)
		return -1;
	if (adding && member.ref.kind == STORE_KIND_LIST &&
	    member.ref.id == list.ref.id)
		return error_set(err, ERROR_INVALID,
			"a list cannot be a member of itself");
	struct error inner;
	rc = adding ? store_list_member_add(ctx->store, list.ref.id,
			      member_ref(&member), &inner) :
		      store_list_member_remove(ctx->store, list.ref.id,
			      member_ref(&member), &inner);
	if (rc < 0 && inner.code == ERROR_EXISTS)
		return error_set(err, ERROR_EXISTS,
			"%s is already a member of %s", member.address,
			list.address);
	if (rc < 0 && inner.code == ERROR_NOT_FOUND)
		return error_set(err, ERROR_NOT_FOUND,
			"%s is not a member of %s", member.address, list.address);
	if (rc < 0)
		return error_forward(err, &inner);
	return dir_audit_json(ctx, "update", DIR_AUDIT_LIST, list.ref.id,
		list.org_id, json_pack("{s:s}",
				     adding ? "member_added" : "member_removed",
				     member.address), err);
}

int
dir_list_member_add(const struct dir_ctx *ctx, const char *list_address,
	const char *member_address, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, dir_list_member_change_tx(ctx, list_address,
				       member_address, true, err), err);
}

int
dir_list_member_remove(const struct dir_ctx *ctx, const char *list_address,
	const char *member_address, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, dir_list_member_change_tx(ctx, list_address,
				       member_address, false, err), err);
}

static int
describe_member(const struct dir_ctx *ctx, struct store_ref ref,
	struct dir_member *m, struct error *err)
{
	switch (ref.kind) {
	case STORE_KIND_MAILBOX: {
		struct store_mailbox mb;
		if (store_mailbox_get(ctx->store, ref.id, ctx->arena, &mb, err) < 0)
			return -1;
		*m = (struct dir_member){
			mb.kind == STORE_MAILBOX_USER ? "person" :
				dir_mailbox_kind_name(mb.kind),
			mb.address, mb.display_name, mb.deleted_at != 0 };
		return 0;
	}
	case STORE_KIND_CONTACT: {
		struct store_contact c;
		if (store_contact_get(ctx->store, ref.id, ctx->arena, &c, err) < 0)
			return -1;
		*m = (struct dir_member){ "contact", c.address, c.display_name,
			c.deleted_at != 0 };
		return 0;
	}
	case STORE_KIND_LIST: {
		struct store_list l;
		if (store_list_get(ctx->store, ref.id, ctx->arena, &l, err) < 0)
			return -1;
		*m = (struct dir_member){ "list", l.address, l.name,
			l.deleted_at != 0 };
		return 0;
	}
	case STORE_KIND_PERSON:
	case STORE_KIND_ORG:
		break;
	}
	return error_set(err, ERROR_INTERNAL, "a list member of unknown kind");
}

int
dir_list_members(const struct dir_ctx *ctx, const char *list_address,
	struct dir_member **members_r, size_t *count_r, struct error *err)
{
	struct dir_object list;
	if (static_list(ctx, list_address, &list, err) < 0)
		return -1;
	struct store_ref *refs;
	size_t count;
	if (store_list_members(ctx->store, list.ref.id, ctx->arena, &refs,
		    &count, err) < 0)
		return -1;
	struct dir_member *members = arena_alloc(ctx->arena,
		(count + 1) * sizeof(*members));
	if (members == NULL)
		return error_set(err, ERROR_LIMIT, "the list is too large to show");
	for (size_t i = 0; i < count; i++) {
		if (describe_member(ctx, refs[i], &members[i], err) < 0)
			return -1;
	}
	*members_r = members;
	*count_r = count;
	return 0;
}

/* Points every dynamic rule that names `from` at `to` instead. */
static int
rename_in_rules(const struct dir_ctx *ctx, const char *from, const char *to,
	struct error *err)
{
	struct store_list *lists;
	size_t count;
	if (store_list_rules_naming(ctx->store, from, ctx->arena, &lists,
		    &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct store_list *l = &lists[i];
		struct dir_rule rule;
		if (dir_rule_parse(span_from_cstr(l->rule), ctx->arena, &rule,
			    err) < 0)
			continue;
		struct dir_strings *sets[] = { &rule.include_lists,
			&rule.exclude_lists };
		for (size_t s = 0; s < 2; s++) {
			for (size_t j = 0; j < sets[s]->count; j++) {
				if (strcasecmp(sets[s]->items[j], from) == 0)
					sets[s]->items[j] = to;
			}
		}
		const char *before = l->rule;
		l->rule = dir_rule_format(&rule, ctx->arena);
		if (l->rule == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		if (strcmp(before, l->rule) == 0)
			continue;
		l->updated_at = ctx->now;
		if (store_list_update(ctx->store, l, err) < 0 ||
		    dir_audit_json(ctx, "update", DIR_AUDIT_LIST, l->id,
			    l->org_id, json_pack("{s:s, s:s}", "rule", l->rule,
				    "because_renamed", from), err) < 0)
			return -1;
	}
	return 0;
}

/* Whether the name makes the address the list already has. */
static bool
is_own_address(const struct dir_ctx *ctx, const char *local,
	const char *current, struct dir_address *addr_r)
{
	char domain[DIR_ADDRESS_DOMAIN_MAX + 1];
	char text[DIR_ADDRESS_LOCAL_MAX + DIR_ADDRESS_DOMAIN_MAX + 2];
	struct error ignored;
	if (dir_primary_domain(ctx, domain, sizeof(domain), &ignored) < 0)
		return false;
	snprintf(text, sizeof(text), "%s@%s", local, domain);
	return dir_address_parse(span_from_cstr(text), addr_r, &ignored) == 0 &&
		strcmp(addr_r->text, current) == 0;
}

static int
rename_tx(const struct dir_ctx *ctx, const char *address, const char *name,
	const char *new_address, struct store_list *l, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_LIST, &obj, err) < 0 ||
		store_list_get(ctx->store, obj.ref.id, ctx->arena, l, err) < 0)
		return -1;
	if (l->kind == STORE_LIST_DYNAMIC &&
	    dir_change_freeze_check(ctx, err) < 0)
		return -1;
	if (dir_check_text("name", "the list's name", name, 200, true,
		    err) < 0)
		return -1;
	char local[DIR_ADDRESS_LOCAL_MAX + 1];
	if (new_address == NULL &&
	    dir_address_local_from_name(name, local, sizeof(local), err) < 0)
		return -1;
	struct dir_address addr;
	struct error inner;
	if (dir_new_address(ctx, new_address, local, false, &addr,
		    &inner) < 0 &&
	    (new_address != NULL || inner.code != ERROR_EXISTS ||
		    !is_own_address(ctx, local, l->address, &addr)))
		return error_forward(err, &inner);
	const char *old_name = l->name, *old_address = l->address;
	bool moved = strcmp(addr.text, old_address) != 0;
	l->name = name;
	l->address = arena_strdup(ctx->arena, addr.text);
	l->updated_at = ctx->now;
	struct store_ref holder = { STORE_KIND_LIST, l->id };
	if (l->address == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if ((moved && dir_claim_address(ctx, l->address, holder, err) < 0) ||
	    store_list_update(ctx->store, l, err) < 0 ||
	    (moved && rename_in_rules(ctx, old_address, l->address, err) < 0))
		return -1;
	return dir_audit_json(ctx, "update", DIR_AUDIT_LIST, l->id, l->org_id,
		json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "renamed_from",
			"name", old_name, "address", old_address, "renamed_to",
			"name", l->name, "address", l->address), err);
}

int
dir_list_rename(const struct dir_ctx *ctx, const char *address,
	const char *name, const char *new_address, struct store_list *l_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, rename_tx(ctx, address, name, new_address, l_r,
				       err), err);
}
