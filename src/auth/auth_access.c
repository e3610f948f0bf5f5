/*
 * The access table and the scope walk (SPEC P2; SECURITY.md item 43: the
 * decision is server-side and fails closed). Layer: domain.
 */
#include "auth/auth_access.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"

#define ALLOW(action) (1u << (action))

/* Everything a Local Administrator does for the orgs they run. */
#define LOCAL_ADMIN_ACTIONS                                                  \
	(ALLOW(AUTH_ORG_READ) | ALLOW(AUTH_ORG_EDIT) | ALLOW(AUTH_USER_READ) |  \
	ALLOW(AUTH_USER_CREATE) | ALLOW(AUTH_USER_EDIT) |                      \
	ALLOW(AUTH_USER_RESET_PASSWORD) | ALLOW(AUTH_USER_UNLOCK) |            \
	ALLOW(AUTH_USER_LIFECYCLE) | ALLOW(AUTH_USER_DELETE) |                 \
	ALLOW(AUTH_MAILBOX_MANAGE) | ALLOW(AUTH_CONTACT_MANAGE) |              \
	ALLOW(AUTH_LIST_MANAGE) | ALLOW(AUTH_AUDIT_READ) |                     \
	ALLOW(AUTH_REPORT_READ))

static const struct {
	const char *name;
	unsigned allowed;	/* ALLOW(action) bits */
	bool global;		/* reaches every org */
} auth_roles[AUTH_ROLE_COUNT] = {
	/* The service provider: everything, everywhere, but not eDiscovery. */
	[AUTH_ROLE_GLOBAL_ADMIN] = { "global_admin",
		((1u << AUTH_ACTION_COUNT) - 1) & ~ALLOW(AUTH_EDISCOVERY_SEARCH),
		true },
	/* Runs their org; also appoints its LAs and helpdesk. */
	[AUTH_ROLE_PRIMARY_LOCAL_ADMIN] = { "primary_local_admin",
		LOCAL_ADMIN_ACTIONS | ALLOW(AUTH_ROLE_GRANT), false },
	[AUTH_ROLE_LOCAL_ADMIN] = { "local_admin", LOCAL_ADMIN_ACTIONS, false },
	/* Password resets and unlocks only (seed 002). */
	[AUTH_ROLE_HELPDESK_ADMIN] = { "helpdesk_admin",
		ALLOW(AUTH_USER_READ) | ALLOW(AUTH_USER_RESET_PASSWORD) |
			ALLOW(AUTH_USER_UNLOCK),
		false },
	/* Reads audit and reports and changes nothing (seed 002 #13684). */
	[AUTH_ROLE_AUDIT_AUTHORISATION] = { "audit_authorisation",
		ALLOW(AUTH_ORG_READ) | ALLOW(AUTH_USER_READ) |
			ALLOW(AUTH_AUDIT_READ) | ALLOW(AUTH_REPORT_READ),
		false },
	/* The service provider's content search, and nothing else. */
	[AUTH_ROLE_EDISCOVERY] = { "ediscovery",
		ALLOW(AUTH_EDISCOVERY_SEARCH), true },
};

static const char *const auth_action_names[AUTH_ACTION_COUNT] = {
	[AUTH_ORG_READ] = "org.read",
	[AUTH_ORG_CREATE] = "org.create",
	[AUTH_ORG_EDIT] = "org.edit",
	[AUTH_ORG_DEVOLVE] = "org.devolve",
	[AUTH_ROLE_GRANT] = "role.grant",
	[AUTH_USER_READ] = "user.read",
	[AUTH_USER_CREATE] = "user.create",
	[AUTH_USER_EDIT] = "user.edit",
	[AUTH_USER_RESET_PASSWORD] = "user.reset_password",
	[AUTH_USER_UNLOCK] = "user.unlock",
	[AUTH_USER_LIFECYCLE] = "user.lifecycle",
	[AUTH_USER_DELETE] = "user.delete",
	[AUTH_USER_RESTORE] = "user.restore",
	[AUTH_MAILBOX_MANAGE] = "mailbox.manage",
	[AUTH_CONTACT_MANAGE] = "contact.manage",
	[AUTH_LIST_MANAGE] = "list.manage",
	[AUTH_AUDIT_READ] = "audit.read",
	[AUTH_REPORT_READ] = "report.read",
	[AUTH_EDISCOVERY_SEARCH] = "ediscovery.search",
};

const char *
auth_role_name(enum auth_role role)
{
	return role < AUTH_ROLE_COUNT ? auth_roles[role].name : "unknown";
}

bool
auth_role_parse(const char *name, enum auth_role *role_r)
{
	for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
		if (name != NULL && strcmp(name, auth_roles[r].name) == 0) {
			*role_r = (enum auth_role)r;
			return true;
		}
	}
	return false;
}

const char *
auth_action_name(enum auth_action action)
{
	return action < AUTH_ACTION_COUNT ? auth_action_names[action] :
					    "unknown";
}

bool
auth_role_allows(enum auth_role role, enum auth_action action)
{
	if (role >= AUTH_ROLE_COUNT || action >= AUTH_ACTION_COUNT)
		return false;
	return (auth_roles[role].allowed & ALLOW(action)) != 0;
}

bool
auth_role_is_global(enum auth_role role)
{
	return role < AUTH_ROLE_COUNT && auth_roles[role].global;
}

bool
auth_scope_covers(const struct auth_org_step *chain, size_t count,
	int64_t admin_org)
{
	for (size_t i = 0; i < count; i++) {
		if (chain[i].org_id == admin_org)
			return true;
		/* Below here the org answers to its own Primary LA. */
		if (chain[i].devolved)
			return false;
	}
	return false;
}

static bool
has_primary_admin(const struct dir_ctx *ctx, int64_t org_id, int *rc_r,
	struct error *err)
{
	struct store_role *roles;
	size_t n;
	*rc_r = store_role_list_for_org(ctx->store, org_id, ctx->arena, &roles,
		&n, err);
	for (size_t i = 0; *rc_r == 0 && i < n; i++) {
		if (strcmp(roles[i].role, "primary_local_admin") == 0)
			return true;
	}
	return false;
}

/* The org and its ancestors up to the root, each marked devolved or not. */
static int
org_chain(const struct dir_ctx *ctx, int64_t org_id,
	struct auth_org_step **chain_r, size_t *count_r, struct error *err)
{
	struct auth_org_step *chain = NULL;
	size_t count = 0, capacity = 0;
	for (int64_t id = org_id; id != 0 && count < 64;) {
		struct store_org org;
		int rc;
		if (store_org_get(ctx->store, id, ctx->arena, &org, err) < 0)
			return -1;
		struct auth_org_step *step = arena_array_push(ctx->arena,
			(void **)&chain, &count, &capacity, sizeof(*step));
		if (step == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		step->org_id = id;
		step->devolved = has_primary_admin(ctx, id, &rc, err);
		if (rc < 0)
			return -1;
		id = org.parent_id;
	}
	*chain_r = chain;
	*count_r = count;
	return 0;
}

int
auth_check(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, int64_t target_org, struct error *err)
{
	struct store_role *roles;
	size_t n;
	if (store_role_list(ctx->store, person_id, ctx->arena, &roles, &n,
		    err) < 0)
		return -1;
	struct auth_org_step *chain = NULL;
	size_t chain_count = 0;
	bool role_allows = false;
	for (size_t i = 0; i < n; i++) {
		enum auth_role role;
		if (!auth_role_parse(roles[i].role, &role) ||
		    !auth_role_allows(role, action))
			continue;
		role_allows = true;
		if (auth_role_is_global(role))
			return 0;
		if (target_org == 0)
			continue;	/* org-wide actions need a global role */
		if (chain == NULL &&
		    org_chain(ctx, target_org, &chain, &chain_count, err) < 0)
			return -1;
		if (auth_scope_covers(chain, chain_count, roles[i].org_id))
			return 0;
	}
	if (!role_allows)
		return error_set(err, ERROR_DENIED,
			"your role does not allow this (%s)",
			auth_action_name(action));
	return error_set(err, ERROR_DENIED,
		"that organisation is not one you administer");
}

/* Adds id to the set unless it is there already. */
static int
id_set_add(const struct dir_ctx *ctx, int64_t id, int64_t **ids_r,
	size_t *count_r, size_t *capacity, struct error *err)
{
	for (size_t i = 0; i < *count_r; i++) {
		if ((*ids_r)[i] == id)
			return 0;
	}
	int64_t *slot = arena_array_push(ctx->arena, (void **)ids_r, count_r,
		capacity, sizeof(*slot));
	if (slot == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	*slot = id;
	return 0;
}

int
auth_scope_orgs(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, bool *all_r, int64_t **ids_r,
	size_t *count_r, struct error *err)
{
	struct store_role *roles;
	size_t n, capacity = 0;
	*all_r = false;
	*ids_r = NULL;
	*count_r = 0;
	if (store_role_list(ctx->store, person_id, ctx->arena, &roles, &n,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		enum auth_role role;
		if (!auth_role_parse(roles[i].role, &role) ||
		    !auth_role_allows(role, action))
			continue;
		if (auth_role_is_global(role)) {
			*all_r = true;
			*ids_r = NULL;
			*count_r = 0;
			return 0;
		}
		int64_t *below;
		size_t below_count;
		if (store_org_subtree(ctx->store, roles[i].org_id, ctx->arena,
			    &below, &below_count, err) < 0)
			return -1;
		/* The subtree, less what a devolved org below has taken. */
		for (size_t j = 0; j < below_count; j++) {
			struct error denied;
			if (auth_check(ctx, person_id, action, below[j],
				    &denied) < 0) {
				if (denied.code == ERROR_DENIED)
					continue;
				return error_forward(err, &denied);
			}
			if (id_set_add(ctx, below[j], ids_r, count_r, &capacity,
				    err) < 0)
				return -1;
		}
	}
	return 0;
}
