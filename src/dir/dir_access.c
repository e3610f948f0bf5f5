/*
 * Owners of mailboxes and lists (at most dir.list_max_owners, seed 002
 * #12407), mailbox grants (Full Access, Send As, Send on Behalf) and admin
 * roles (SPEC P2). Layer: domain.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store_access.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"
#include "store/store_person.h"

const char *const dir_roles[] = {
	"global_admin",
	"primary_local_admin",
	"local_admin",
	"helpdesk_admin",
	"audit_authorisation",
	"ediscovery",
	NULL,
};

static bool
in_set(const char *const *set, const char *value)
{
	for (size_t i = 0; value != NULL && set[i] != NULL; i++) {
		if (strcmp(set[i], value) == 0)
			return true;
	}
	return false;
}

bool
dir_role_is_valid(const char *role)
{
	return in_set(dir_roles, role);
}

static const char *
audit_type_of(const struct dir_object *o)
{
	switch (o->kind) {
	case DIR_HOLDER_LIST:
		return DIR_AUDIT_LIST;
	case DIR_HOLDER_RESOURCE:
		return DIR_AUDIT_RESOURCE;
	case DIR_HOLDER_PERSON:
		return DIR_AUDIT_USER;
	case DIR_HOLDER_SHARED:
	case DIR_HOLDER_CONTACT:
		break;
	}
	return DIR_AUDIT_SHARED;
}

/* The owned object's reference in the owners table. */
static struct store_ref
owned_ref(const struct dir_object *o)
{
	if (o->ref.kind == STORE_KIND_LIST)
		return o->ref;
	return (struct store_ref){ STORE_KIND_MAILBOX, o->mailbox_id };
}

/*
 * Owners (of mailboxes and lists) and members (of shared and resource
 * mailboxes) are separate relations: changing one never touches the other
 * (SPEC P4: removing an owner keeps their membership).
 */
enum person_link {
	PERSON_LINK_OWNER,
	PERSON_LINK_MEMBER,
};

static const char *
link_noun(enum person_link link)
{
	return link == PERSON_LINK_OWNER ? "owner" : "member";
}

static unsigned
link_kinds(enum person_link link)
{
	return link == PERSON_LINK_OWNER ?
		DIR_HOLDER_MAILBOXES | DIR_HOLDER_LIST :
		DIR_HOLDER_MAILBOXES;
}

static int
linked_people(const struct dir_ctx *ctx, enum person_link link,
	const struct dir_object *object, int64_t **ids_r, size_t *count_r,
	struct error *err)
{
	if (link == PERSON_LINK_OWNER)
		return store_owners(ctx->store, owned_ref(object), ctx->arena,
			ids_r, count_r, err);
	return store_mailbox_members(ctx->store, object->mailbox_id, ctx->arena,
		ids_r, count_r, err);
}

static int
check_can_link(const struct dir_ctx *ctx, enum person_link link,
	const struct dir_object *object, const struct dir_object *person,
	struct error *err)
{
	int64_t *ids;
	size_t count;
	if (linked_people(ctx, link, object, &ids, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (ids[i] == person->ref.id)
			return error_set(err, ERROR_EXISTS,
				"%s is already %s %s of %s", person->address,
				link == PERSON_LINK_OWNER ? "an" : "a",
				link_noun(link), object->address);
	}
	int64_t max = config_get_int(ctx->config, "dir.list_max_owners");
	if (link == PERSON_LINK_OWNER && (int64_t)count >= max)
		return error_set(err, ERROR_LIMIT,
			"%s already has %lld owners, the most allowed; remove "
			"one before adding another", object->address,
			(long long)max);
	return 0;
}

static int
link_store(const struct dir_ctx *ctx, enum person_link link, bool adding,
	const struct dir_object *object, const struct dir_object *person,
	struct error *err)
{
	struct error inner;
	int rc;
	if (link == PERSON_LINK_OWNER)
		rc = adding ? store_owner_add(ctx->store, owned_ref(object),
				      person->ref.id, &inner) :
			      store_owner_remove(ctx->store, owned_ref(object),
				      person->ref.id, &inner);
	else
		rc = adding ? store_mailbox_member_add(ctx->store,
				      object->mailbox_id, person->ref.id, &inner) :
			      store_mailbox_member_remove(ctx->store,
				      object->mailbox_id, person->ref.id, &inner);
	if (rc == 0)
		return 0;
	if (inner.code == ERROR_NOT_FOUND)
		return error_set(err, ERROR_NOT_FOUND, "%s is not %s %s of %s",
			person->address, link == PERSON_LINK_OWNER ? "an" : "a",
			link_noun(link), object->address);
	return error_forward(err, &inner);
}

static int
link_change_tx(const struct dir_ctx *ctx, enum person_link link,
	const char *object_address, const char *person_address, bool adding,
	struct error *err)
{
	struct dir_object object, person;
	if (dir_resolve_live(ctx, object_address, link_kinds(link), &object,
		    err) < 0 ||
		dir_resolve_live(ctx, person_address, DIR_HOLDER_PERSON,
			&person, err) < 0)
		return -1;
	if (adding && check_can_link(ctx, link, &object, &person, err) < 0)
		return -1;
	if (link_store(ctx, link, adding, &object, &person, err) < 0)
		return -1;
	char key[32];
	snprintf(key, sizeof(key), "%s_%s", link_noun(link),
		adding ? "added" : "removed");
	return dir_audit_json(ctx, "update", audit_type_of(&object),
		object.ref.id, object.org_id,
		json_pack("{s:s}", key, person.address), err);
}

static int
link_change(const struct dir_ctx *ctx, enum person_link link,
	const char *object_address, const char *person_address, bool adding,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, link_change_tx(ctx, link, object_address,
				       person_address, adding, err), err);
}

static int
link_list(const struct dir_ctx *ctx, enum person_link link,
	const char *object_address, struct store_person **people_r,
	size_t *count_r, struct error *err)
{
	struct dir_object object;
	if (dir_resolve_live(ctx, object_address, link_kinds(link), &object,
		    err) < 0)
		return -1;
	int64_t *ids;
	size_t count;
	if (linked_people(ctx, link, &object, &ids, &count, err) < 0)
		return -1;
	struct store_person *people = arena_alloc(ctx->arena,
		(count + 1) * sizeof(*people));
	if (people == NULL)
		return error_set(err, ERROR_LIMIT, "too many people to show");
	for (size_t i = 0; i < count; i++) {
		if (store_person_get(ctx->store, ids[i], ctx->arena, &people[i],
			    err) < 0)
			return -1;
	}
	*people_r = people;
	*count_r = count;
	return 0;
}

int
dir_owner_add(const struct dir_ctx *ctx, const char *object_address,
	const char *person_address, struct error *err)
{
	return link_change(ctx, PERSON_LINK_OWNER, object_address,
		person_address, true, err);
}

int
dir_owner_remove(const struct dir_ctx *ctx, const char *object_address,
	const char *person_address, struct error *err)
{
	return link_change(ctx, PERSON_LINK_OWNER, object_address,
		person_address, false, err);
}

int
dir_owner_list(const struct dir_ctx *ctx, const char *object_address,
	struct store_person **owners_r, size_t *count_r, struct error *err)
{
	return link_list(ctx, PERSON_LINK_OWNER, object_address, owners_r,
		count_r, err);
}

int
dir_mailbox_member_add(const struct dir_ctx *ctx, const char *mailbox_address,
	const char *person_address, struct error *err)
{
	return link_change(ctx, PERSON_LINK_MEMBER, mailbox_address,
		person_address, true, err);
}

int
dir_mailbox_member_remove(const struct dir_ctx *ctx,
	const char *mailbox_address, const char *person_address,
	struct error *err)
{
	return link_change(ctx, PERSON_LINK_MEMBER, mailbox_address,
		person_address, false, err);
}

int
dir_mailbox_member_list(const struct dir_ctx *ctx,
	const char *mailbox_address, struct store_person **members_r,
	size_t *count_r, struct error *err)
{
	return link_list(ctx, PERSON_LINK_MEMBER, mailbox_address, members_r,
		count_r, err);
}

static int
grant_change_tx(const struct dir_ctx *ctx, const char *mailbox_address,
	const char *person_address, const char *right, bool adding,
	struct error *err)
{
	enum store_grant_right parsed;
	if (!dir_grant_right_parse(right, &parsed))
		return error_set_field(err, ERROR_INVALID, "right",
			"the permission must be full_access, send_as or "
			"send_on_behalf");
	struct dir_object mailbox, person;
	if (dir_resolve_live(ctx, mailbox_address,
		    DIR_HOLDER_PERSON | DIR_HOLDER_MAILBOXES, &mailbox,
		    err) < 0 ||
		dir_resolve_live(ctx, person_address, DIR_HOLDER_PERSON,
			&person, err) < 0)
		return -1;
	if (mailbox.ref.kind == STORE_KIND_PERSON &&
	    mailbox.ref.id == person.ref.id)
		return error_set(err, ERROR_INVALID,
			"a person already has every permission on their own "
			"mailbox");
	struct store_grant g = { mailbox.mailbox_id, person.ref.id, parsed,
		ctx->now };
	struct error inner;
	int rc = adding ? store_grant_add(ctx->store, &g, &inner) :
			  store_grant_remove(ctx->store, &g, &inner);
	if (rc < 0 && inner.code == ERROR_EXISTS)
		return error_set(err, ERROR_EXISTS, "%s already has %s on %s",
			person.address, right, mailbox.address);
	if (rc < 0 && inner.code == ERROR_NOT_FOUND)
		return error_set(err, ERROR_NOT_FOUND,
			"%s does not have %s on %s", person.address, right,
			mailbox.address);
	if (rc < 0)
		return error_forward(err, &inner);
	return dir_audit_json(ctx, "update", audit_type_of(&mailbox),
		mailbox.ref.id, mailbox.org_id,
		json_pack("{s:{s:s, s:s}}",
			adding ? "grant_added" : "grant_removed", "person",
			person.address, "right", right), err);
}

int
dir_grant_add(const struct dir_ctx *ctx, const char *mailbox_address,
	const char *person_address, const char *right, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, grant_change_tx(ctx, mailbox_address,
				       person_address, right, true, err), err);
}

int
dir_grant_remove(const struct dir_ctx *ctx, const char *mailbox_address,
	const char *person_address, const char *right, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, grant_change_tx(ctx, mailbox_address,
				       person_address, right, false, err), err);
}

int
dir_grant_list(const struct dir_ctx *ctx, const char *address,
	struct dir_grant **grants_r, size_t *count_r, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve(ctx, address, &obj, err) < 0)
		return -1;
	if (obj.mailbox_id == 0)
		return error_set(err, ERROR_INVALID,
			"%s is a %s; grants are held on mailboxes", obj.address,
			dir_holder_noun(obj.kind));
	/* A person's address asks what they hold; a mailbox's, who holds it. */
	bool by_person = obj.ref.kind == STORE_KIND_PERSON;
	struct store_grant *grants;
	size_t count;
	if (store_grant_list(ctx->store, by_person ? 0 : obj.mailbox_id,
		    by_person ? obj.ref.id : 0, ctx->arena, &grants, &count,
		    err) < 0)
		return -1;
	struct dir_grant *out = arena_alloc(ctx->arena,
		(count + 1) * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "too many grants to show");
	for (size_t i = 0; i < count; i++) {
		struct store_mailbox m;
		struct store_person p;
		if (store_mailbox_get(ctx->store, grants[i].mailbox_id,
			    ctx->arena, &m, err) < 0 ||
		    store_person_get(ctx->store, grants[i].person_id, ctx->arena,
			    &p, err) < 0)
			return -1;
		out[i] = (struct dir_grant){ m.address, p.address,
			grants[i].right, grants[i].granted_at };
	}
	*grants_r = out;
	*count_r = count;
	return 0;
}

/*
 * Admin accounts belong to one person (seed 003): never a shared or
 * resource mailbox, and only someone who can sign in gains a role.
 */
static int
check_role_holder(const struct dir_ctx *ctx, const char *address, bool adding,
	struct dir_object *person, struct error *err)
{
	if (dir_resolve(ctx, address, person, err) < 0)
		return -1;
	if (person->ref.kind != STORE_KIND_PERSON)
		return error_set_field(err, ERROR_INVALID, "address",
			"admin roles belong to one person, and %s is a %s, "
			"not a person",
			person->address, dir_holder_noun(person->kind));
	if (person->deleted)
		return error_set(err, ERROR_NOT_FOUND, "%s has been deleted",
			person->address);
	struct store_person p;
	if (adding) {
		if (store_person_get(ctx->store, person->ref.id, ctx->arena, &p,
			    err) < 0)
			return -1;
		if (!dir_person_can_sign_in(p.status))
			return error_set(err, ERROR_EXISTS,
				"%s is %s; only an active person can be given "
				"an admin role", p.address,
				dir_status_words(p.status));
	}
	return 0;
}

static int
role_change_tx(const struct dir_ctx *ctx, const char *person_address,
	const char *org_ods, const char *role, bool adding, struct error *err)
{
	if (!dir_role_is_valid(role))
		return error_set_field(err, ERROR_INVALID, "role",
			"'%s' is not a role; the roles are global_admin, "
			"primary_local_admin, local_admin, helpdesk_admin, "
			"audit_authorisation and ediscovery",
			role != NULL ? role : "");
	struct dir_object person;
	struct store_org org;
	if (check_role_holder(ctx, person_address, adding, &person, err) < 0 ||
	    dir_org_by_ods(ctx, org_ods, &org, err) < 0)
		return -1;
	if (!adding && strcmp(role, "global_admin") == 0 &&
	    dir_keep_global_admin(ctx, person.ref.id, person.address,
		    "take the role from them", err) < 0)
		return -1;
	struct store_role r = { person.ref.id, org.id, role, ctx->now };
	struct error inner;
	int rc = adding ? store_role_add(ctx->store, &r, &inner) :
			  store_role_remove(ctx->store, &r, &inner);
	if (rc < 0 && inner.code == ERROR_EXISTS)
		return error_set(err, ERROR_EXISTS, "%s is already %s for %s",
			person.address, role, org.ods);
	if (rc < 0 && inner.code == ERROR_NOT_FOUND)
		return error_set(err, ERROR_NOT_FOUND, "%s is not %s for %s",
			person.address, role, org.ods);
	if (rc < 0)
		return error_forward(err, &inner);
	return dir_audit_json(ctx, "other", DIR_AUDIT_USER, person.ref.id,
		org.id, json_pack("{s:{s:s, s:s}}",
				adding ? "role_added" : "role_removed", "role",
				role, "org", org.ods), err);
}

int
dir_role_add(const struct dir_ctx *ctx, const char *person_address,
	const char *org_ods, const char *role, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, role_change_tx(ctx, person_address, org_ods,
				       role, true, err), err);
}

int
dir_role_remove(const struct dir_ctx *ctx, const char *person_address,
	const char *org_ods, const char *role, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, role_change_tx(ctx, person_address, org_ods,
				       role, false, err), err);
}

int
dir_role_list(const struct dir_ctx *ctx, const char *person_address,
	struct store_role **roles_r, size_t *count_r, struct error *err)
{
	struct dir_object person;
	if (dir_resolve(ctx, person_address, &person, err) < 0)
		return -1;
	if (person.ref.kind != STORE_KIND_PERSON)
		return error_set(err, ERROR_INVALID,
			"%s is not a person; only people hold roles",
			person.address);
	return store_role_list(ctx->store, person.ref.id, ctx->arena, roles_r,
		count_r, err);
}

int
dir_role_list_by_person(const struct dir_ctx *ctx, int64_t person_id,
	struct store_role **roles_r, size_t *count_r, struct error *err)
{
	return store_role_list(ctx->store, person_id, ctx->arena, roles_r,
		count_r, err);
}

int
dir_global_admins(const struct dir_ctx *ctx, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err)
{
	struct store_role *roles;
	size_t n;
	*ids_r = NULL;
	*count_r = 0;
	if (store_role_list_by_role(ctx->store, "global_admin", a, &roles, &n,
		    err) < 0)
		return -1;
	int64_t *ids = arena_alloc(a, (n + 1) * sizeof(*ids));
	if (ids == NULL)
		return error_set(err, ERROR_LIMIT, "no memory");
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		/* By person: a second org's holding is the same person. */
		if (count > 0 && ids[count - 1] == roles[i].person_id)
			continue;
		struct store_person p;
		if (store_person_get(ctx->store, roles[i].person_id, a, &p,
			    err) < 0)
			return -1;
		/* An inactive one signs in and is active again (L7). */
		if (p.status == STORE_PERSON_ACTIVE ||
		    p.status == STORE_PERSON_INACTIVE)
			ids[count++] = p.id;
	}
	*ids_r = ids;
	*count_r = count;
	return 0;
}

/*
 * Without a Global Administrator nobody could create an organisation,
 * appoint a Primary Local Admin or grant global_admin again (SPEC P2)
 * short of editing the database, so the last one is kept.
 */
int
dir_is_last_global_admin(const struct dir_ctx *ctx, int64_t person_id,
	bool *last_r, struct error *err)
{
	*last_r = false;
	/* Their own roles first (by the key): most people hold none. */
	struct store_role *roles;
	size_t n;
	bool holds = false;
	if (store_role_list(ctx->store, person_id, ctx->arena, &roles, &n,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < n && !holds; i++)
		holds = strcmp(roles[i].role, "global_admin") == 0;
	if (!holds)
		return 0;
	int64_t *ids;
	if (dir_global_admins(ctx, ctx->arena, &ids, &n, err) < 0)
		return -1;
	*last_r = n == 1 && ids[0] == person_id;
	return 0;
}

int
dir_keep_global_admin(const struct dir_ctx *ctx, int64_t person_id,
	const char *address, const char *doing, struct error *err)
{
	bool last;
	if (dir_is_last_global_admin(ctx, person_id, &last, err) < 0)
		return -1;
	if (last)
		return error_set(err, ERROR_EXISTS, "%s is the only Global "
			"Administrator; make someone else a Global "
			"Administrator first, then %s", address, doing);
	return 0;
}

static bool
is_local_admin_role(const char *role)
{
	return strcmp(role, "local_admin") == 0 ||
		strcmp(role, "primary_local_admin") == 0;
}

int
dir_org_local_admins(const struct dir_ctx *ctx, int64_t org_id,
	struct dir_org_admin **admins_r, size_t *count_r, struct error *err)
{
	struct store_role *roles;
	size_t n, capacity = 0;
	*admins_r = NULL;
	*count_r = 0;
	if (store_role_list_for_org(ctx->store, org_id, ctx->arena, &roles, &n,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct store_person p;
		if (!is_local_admin_role(roles[i].role))
			continue;
		if (store_person_get(ctx->store, roles[i].person_id, ctx->arena,
			    &p, err) < 0)
			return -1;
		if (p.deleted_at != 0)
			continue;
		struct dir_org_admin *slot = arena_array_push(ctx->arena,
			(void **)admins_r, count_r, &capacity, sizeof(*slot));
		if (slot == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		*slot = (struct dir_org_admin){ p, roles[i].role };
	}
	return 0;
}

static int
devolve_tx(const struct dir_ctx *ctx, const char *ods,
	const char *person_address, struct error *err)
{
	struct store_org org;
	struct dir_object person;
	int64_t *ids;
	size_t count;
	if (dir_org_by_ods(ctx, ods, &org, err) < 0 ||
	    check_role_holder(ctx, person_address, true, &person, err) < 0 ||
	    store_org_subtree(ctx->store, org.id, ctx->arena, &ids, &count,
		    err) < 0)
		return -1;
	bool works_there = false;
	for (size_t i = 0; i < count; i++)
		works_there = works_there || ids[i] == person.org_id;
	if (!works_there)
		return error_set_field(err, ERROR_INVALID, "address",
			"%s does not work in %s or an organisation below it, so "
			"cannot be its Primary Local Admin", person.address,
			org.ods);
	return role_change_tx(ctx, person.address, org.ods,
		"primary_local_admin", true, err);
}

int
dir_org_devolve(const struct dir_ctx *ctx, const char *ods,
	const char *person_address, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, devolve_tx(ctx, ods, person_address, err), err);
}

int
dir_owner_change_tx(const struct dir_ctx *ctx, const char *object_address,
	const char *person_address, bool adding, struct error *err)
{
	return link_change_tx(ctx, PERSON_LINK_OWNER, object_address,
		person_address, adding, err);
}
