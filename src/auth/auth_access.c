/*
 * The access table and the scope walk (SPEC P2; SECURITY.md item 43: the
 * decision is server-side and fails closed). Layer: domain.
 */
#include "auth/auth_access.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "store/store.h"
#include "store/store_access.h"
#include "store/store_org.h"
#include "store/store_person.h"

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
		LOCAL_ADMIN_ACTIONS | ALLOW(AUTH_ROLE_GRANT) |
			ALLOW(AUTH_TOKEN_MANAGE) | ALLOW(AUTH_RELAY_MANAGE) |
			ALLOW(AUTH_MAIL_SEND), false },
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
	[AUTH_ROLE_GRANT_GLOBAL] = "role.grant_global",
	[AUTH_TOKEN_MANAGE] = "token.manage",
	[AUTH_RELAY_MANAGE] = "relay.manage",
	[AUTH_MAIL_SEND] = "mail.send",
	[AUTH_QUEUE_MANAGE] = "queue.manage",
	[AUTH_MAINTENANCE_MANAGE] = "maintenance.manage",
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

enum auth_action
auth_role_grant_action(enum auth_role role)
{
	switch (role) {
	case AUTH_ROLE_GLOBAL_ADMIN:
	case AUTH_ROLE_EDISCOVERY:
		return AUTH_ROLE_GRANT_GLOBAL;
	case AUTH_ROLE_PRIMARY_LOCAL_ADMIN:
		return AUTH_ORG_DEVOLVE;
	default:
		return AUTH_ROLE_GRANT;
	}
}

bool
auth_token_action_givable(enum auth_action action)
{
	switch (action) {
	case AUTH_TOKEN_MANAGE:
	case AUTH_RELAY_MANAGE:
	case AUTH_ORG_CREATE:
	case AUTH_ROLE_GRANT_GLOBAL:
	case AUTH_QUEUE_MANAGE:
	case AUTH_MAINTENANCE_MANAGE:
	case AUTH_ACTION_COUNT:
		return false;
	default:
		return true;
	}
}

/* The person's roles: as read with their session, or now. */
static int
actor_roles(const struct dir_ctx *ctx, int64_t person_id,
	const struct store_role **roles_r, size_t *count_r, struct error *err)
{
	if (ctx->roles_of != 0 && ctx->roles_of == person_id) {
		*roles_r = ctx->roles;
		*count_r = ctx->role_count;
		return 0;
	}
	struct store_role *roles;
	if (store_role_list(ctx->store, person_id, ctx->arena, &roles, count_r,
		    err) < 0)
		return -1;
	*roles_r = roles;
	return 0;
}

int
auth_person_may(const struct dir_ctx *ctx, int64_t person_id,
	struct auth_may *may_r, struct error *err)
{
	memset(may_r, 0, sizeof(*may_r));
	const struct store_role *roles;
	size_t n;
	if (actor_roles(ctx, person_id, &roles, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		enum auth_role role;
		if (!auth_role_parse(roles[i].role, &role))
			continue;
		for (int a = 0; a < AUTH_ACTION_COUNT; a++)
			may_r->actions[a] = may_r->actions[a] ||
				auth_role_allows(role, (enum auth_action)a);
	}
	for (int r = 0; r < AUTH_ROLE_COUNT; r++)
		may_r->roles[r] = may_r->actions[auth_role_grant_action(
			(enum auth_role)r)];
	for (int a = 0; a < AUTH_ACTION_COUNT; a++)
		may_r->token[a] = may_r->actions[AUTH_TOKEN_MANAGE] &&
			may_r->actions[a] &&
			auth_token_action_givable((enum auth_action)a);
	return 0;
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

/*
 * The org and its ancestors up to the root, each marked devolved or not:
 * an org is devolved when it has a Primary Local Administrator of its own.
 */
static int
org_chain(const struct dir_ctx *ctx, int64_t org_id,
	struct auth_org_step **chain_r, size_t *count_r, struct error *err)
{
	struct store_org_step *steps;
	size_t n;
	if (store_org_chain(ctx->store, org_id,
		    auth_role_name(AUTH_ROLE_PRIMARY_LOCAL_ADMIN), ctx->arena,
		    &steps, &n, err) < 0)
		return -1;
	struct auth_org_step *chain = arena_alloc(ctx->arena,
		(n + 1) * sizeof(*chain));
	if (chain == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	for (size_t i = 0; i < n; i++)
		chain[i] = (struct auth_org_step){ steps[i].org_id,
			steps[i].role_held };
	*chain_r = chain;
	*count_r = n;
	return 0;
}

static int
role_denied(enum auth_action action, struct error *err)
{
	return error_set(err, ERROR_DENIED,
		"your role does not allow this (%s)", auth_action_name(action));
}

/*
 * auth_check, also giving the highest rank among the roles by which the
 * person may act (for the takeover rule); every role is looked at.
 */
static int
check_with_rank(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, int64_t target_org, int *rank_r,
	struct error *err)
{
	const struct store_role *roles;
	size_t n;
	if (actor_roles(ctx, person_id, &roles, &n, err) < 0)
		return -1;
	struct auth_org_step *chain = NULL;
	size_t chain_count = 0;
	bool role_allows = false;
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		enum auth_role role;
		if (!auth_role_parse(roles[i].role, &role) ||
		    !auth_role_allows(role, action))
			continue;
		role_allows = true;
		bool reaches = auth_role_is_global(role);
		if (!reaches && target_org != 0) {
			if (chain == NULL && org_chain(ctx, target_org, &chain,
						 &chain_count, err) < 0)
				return -1;
			reaches = auth_scope_covers(chain, chain_count,
				roles[i].org_id);
		}
		/* Org-wide actions (target_org 0) need a global role. */
		if (reaches && auth_role_rank(role) > best)
			best = auth_role_rank(role);
	}
	if (!role_allows)
		return role_denied(action, err);
	if (best < 0)
		return error_set(err, ERROR_DENIED,
			"that organisation is not one you administer");
	*rank_r = best;
	return 0;
}

int
auth_check(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, int64_t target_org, struct error *err)
{
	int rank;
	return check_with_rank(ctx, person_id, action, target_org, &rank, err);
}

int
auth_role_rank(enum auth_role role)
{
	static const int ranks[AUTH_ROLE_COUNT] = {
		[AUTH_ROLE_GLOBAL_ADMIN] = 5,
		[AUTH_ROLE_EDISCOVERY] = 4,
		[AUTH_ROLE_PRIMARY_LOCAL_ADMIN] = 3,
		[AUTH_ROLE_LOCAL_ADMIN] = 2,
		[AUTH_ROLE_HELPDESK_ADMIN] = 1,
		[AUTH_ROLE_AUDIT_AUTHORISATION] = 1,
	};
	return role < AUTH_ROLE_COUNT ? ranks[role] : 0;
}

/* The highest rank among role names; past every rank for an unknown one. */
static int
highest_rank(const char *const *names, size_t n, const char **name_r)
{
	int best = 0;
	*name_r = NULL;
	for (size_t i = 0; i < n; i++) {
		enum auth_role role;
		int rank = auth_role_parse(names[i], &role) ?
			auth_role_rank(role) : AUTH_ROLE_COUNT + 1;
		if (*name_r == NULL || rank > best) {
			best = rank;
			*name_r = names[i];
		}
	}
	return best;
}

bool
auth_rank_reaches(int actor_rank, const char *const *target, size_t n)
{
	const char *name;
	return highest_rank(target, n, &name) < actor_rank;
}

static const char *
person_action_words(enum auth_action action)
{
	return action == AUTH_USER_UNLOCK ? "unlock" :
					    "reset the password of";
}

/* The takeover rule against the target's stored roles. */
static int
check_rank(const struct dir_ctx *ctx, int actor_rank, enum auth_action action,
	int64_t target_id, bool by_token, struct error *err)
{
	struct store_role *roles;
	size_t n;
	if (store_role_list(ctx->store, target_id, ctx->arena, &roles, &n,
		    err) < 0)
		return -1;
	const char **names = arena_alloc(ctx->arena,
		(n + 1) * sizeof(*names));
	if (names == NULL)
		return error_set(err, ERROR_LIMIT, "too many roles");
	for (size_t i = 0; i < n; i++)
		names[i] = roles[i].role;
	if (auth_rank_reaches(actor_rank, names, n))
		return 0;
	const char *top;
	highest_rank(names, n, &top);
	if (by_token)
		return error_set(err, ERROR_DENIED,
			"an API token may not %s anyone who holds an admin "
			"role, and this person holds %s",
			person_action_words(action), top);
	return error_set(err, ERROR_DENIED,
		"you may not %s someone who holds a role equal to or above "
		"yours, and this person holds %s; ask an administrator above "
		"them", person_action_words(action), top);
}

int
auth_check_person(const struct dir_ctx *ctx, int64_t actor_id,
	enum auth_action action, int64_t target_id, int64_t target_org,
	struct error *err)
{
	int rank;
	if (check_with_rank(ctx, actor_id, action, target_org, &rank,
		    err) < 0)
		return -1;
	return check_rank(ctx, rank, action, target_id, false, err);
}

/* One org of the whole tree, as the scope walk needs it. */
struct scope_org {
	int64_t id, parent_id;
	bool devolved;
};

static int
scope_org_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct scope_org *)a)->id;
	int64_t y = ((const struct scope_org *)b)->id;
	return (x > y) - (x < y);
}

static struct scope_org *
scope_org_find(struct scope_org *orgs, size_t n, int64_t id)
{
	struct scope_org key = { .id = id };
	return bsearch(&key, orgs, n, sizeof(*orgs), scope_org_cmp);
}

/* The whole org tree by id, each org marked devolved or not. */
static int
scope_tree(const struct dir_ctx *ctx, struct scope_org **orgs_r, size_t *n_r,
	struct error *err)
{
	struct store_org *orgs;
	struct store_role *roles;
	size_t n, role_count;
	if (store_org_list(ctx->store, ctx->arena, &orgs, &n, err) < 0 ||
	    store_role_list_for_org(ctx->store, 0, ctx->arena, &roles,
		    &role_count, err) < 0)
		return -1;
	struct scope_org *tree = arena_alloc(ctx->arena, (n + 1) * sizeof(*tree));
	if (tree == NULL)
		return error_set(err, ERROR_LIMIT, "too many organisations");
	for (size_t i = 0; i < n; i++)
		tree[i] = (struct scope_org){ orgs[i].id, orgs[i].parent_id,
			false };
	qsort(tree, n, sizeof(*tree), scope_org_cmp);
	for (size_t i = 0; i < role_count; i++) {
		struct scope_org *o = scope_org_find(tree, n, roles[i].org_id);
		if (o != NULL &&
		    strcmp(roles[i].role, "primary_local_admin") == 0)
			o->devolved = true;
	}
	*orgs_r = tree;
	*n_r = n;
	return 0;
}

/* Whether an admin of admin_org reaches org, by the tree in memory. */
static bool
scope_reaches(struct scope_org *tree, size_t n, int64_t org,
	int64_t admin_org)
{
	struct auth_org_step chain[64];
	size_t count = 0;
	for (const struct scope_org *o = scope_org_find(tree, n, org);
	     o != NULL && count < 64;
	     o = o->parent_id != 0 ? scope_org_find(tree, n, o->parent_id) :
				     NULL)
		chain[count++] = (struct auth_org_step){ o->id, o->devolved };
	return auth_scope_covers(chain, count, admin_org);
}

/* Every org one of admin_orgs reaches by the scope rule, sorted. */
static int
orgs_reached(const struct dir_ctx *ctx, const int64_t *admin_orgs,
	size_t admin_count, int64_t **ids_r, size_t *count_r,
	struct error *err)
{
	struct scope_org *tree = NULL;
	size_t org_count = 0;
	if (scope_tree(ctx, &tree, &org_count, err) < 0)
		return -1;
	int64_t *ids = arena_alloc(ctx->arena, (org_count + 1) * sizeof(*ids));
	if (ids == NULL)
		return error_set(err, ERROR_LIMIT, "too many organisations");
	size_t count = 0;
	for (size_t i = 0; i < org_count; i++) {
		for (size_t r = 0; r < admin_count; r++) {
			if (scope_reaches(tree, org_count, tree[i].id,
				    admin_orgs[r])) {
				ids[count++] = tree[i].id;
				break;
			}
		}
	}
	*ids_r = ids;
	*count_r = count;
	return 0;
}

int
auth_scope_orgs(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, bool *all_r, int64_t **ids_r, size_t *count_r,
	struct error *err)
{
	const struct store_role *roles;
	size_t n;
	*all_r = false;
	*ids_r = NULL;
	*count_r = 0;
	if (actor_roles(ctx, person_id, &roles, &n, err) < 0)
		return -1;
	int64_t *admin_orgs = arena_alloc(ctx->arena, (n + 1) * sizeof(int64_t));
	size_t admin_count = 0;
	if (admin_orgs == NULL)
		return error_set(err, ERROR_LIMIT, "too many roles");
	for (size_t i = 0; i < n; i++) {
		enum auth_role role;
		if (!auth_role_parse(roles[i].role, &role) ||
		    !auth_role_allows(role, action))
			continue;
		if (auth_role_is_global(role)) {
			*all_r = true;
			return 0;
		}
		admin_orgs[admin_count++] = roles[i].org_id;
	}
	if (admin_count == 0)
		return role_denied(action, err);
	return orgs_reached(ctx, admin_orgs, admin_count, ids_r, count_r, err);
}

bool
auth_action_parse(const char *name, enum auth_action *action_r)
{
	for (int a = 0; a < AUTH_ACTION_COUNT; a++) {
		if (name != NULL && strcmp(name, auth_action_names[a]) == 0) {
			*action_r = (enum auth_action)a;
			return true;
		}
	}
	return false;
}

static bool
token_grants(const struct store_api_token *token, enum auth_action action)
{
	const char *want = auth_action_name(action);
	size_t n = strlen(want);
	for (const char *p = token->actions; *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (len == n && memcmp(p, want, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

int
auth_token_check(const struct dir_ctx *ctx,
	const struct store_api_token *token, enum auth_action action,
	int64_t target_org, struct error *err)
{
	if (!token_grants(token, action))
		return error_set(err, ERROR_DENIED,
			"this API token was not granted %s",
			auth_action_name(action));
	if (target_org == 0)
		return error_set(err, ERROR_DENIED, "an API token acts only "
			"within its organisation, so it cannot do %s",
			auth_action_name(action));
	struct auth_org_step *chain;
	size_t count;
	if (org_chain(ctx, target_org, &chain, &count, err) < 0)
		return -1;
	if (!auth_scope_covers(chain, count, token->org_id))
		return error_set(err, ERROR_DENIED, "that organisation is "
			"outside this API token's scope");
	return 0;
}

int
auth_org_reaches(const struct dir_ctx *ctx, int64_t org_id,
	int64_t target_org, bool *reaches_r, struct error *err)
{
	struct auth_org_step *chain;
	size_t count;
	if (org_chain(ctx, target_org, &chain, &count, err) < 0)
		return -1;
	*reaches_r = auth_scope_covers(chain, count, org_id);
	return 0;
}

int
auth_token_check_person(const struct dir_ctx *ctx,
	const struct store_api_token *token, enum auth_action action,
	int64_t target_id, int64_t target_org, struct error *err)
{
	if (auth_token_check(ctx, token, action, target_org, err) < 0)
		return -1;
	return check_rank(ctx, auth_role_rank(AUTH_ROLE_HELPDESK_ADMIN),
		action, target_id, true, err);
}

int
auth_token_scope_orgs(const struct dir_ctx *ctx,
	const struct store_api_token *token, enum auth_action action,
	int64_t **ids_r, size_t *count_r, struct error *err)
{
	*ids_r = NULL;
	*count_r = 0;
	if (!token_grants(token, action))
		return error_set(err, ERROR_DENIED,
			"this API token was not granted %s",
			auth_action_name(action));
	return orgs_reached(ctx, &token->org_id, 1, ids_r, count_r, err);
}

int
auth_check_anywhere(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, struct error *err)
{
	const struct store_role *roles;
	size_t n;
	if (actor_roles(ctx, person_id, &roles, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		enum auth_role role;
		if (auth_role_parse(roles[i].role, &role) &&
		    auth_role_allows(role, action))
			return 0;
	}
	return error_set(err, ERROR_DENIED, "your role does not allow this (%s)",
		auth_action_name(action));
}

static bool
is_list_owner(const struct dir_ctx *ctx, int64_t person_id,
	const char *list_address)
{
	struct store_person *owners;
	size_t n;
	struct error ignored;
	if (dir_owner_list(ctx, list_address, &owners, &n, &ignored) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (owners[i].id == person_id)
			return true;
	}
	return false;
}

int
auth_list_check(const struct dir_ctx *ctx, int64_t person_id,
	int64_t org_id, const char *list_address,
	enum auth_list_standing *standing_r, struct error *err)
{
	struct error denied;
	*standing_r = AUTH_LIST_ADMIN;
	if (auth_check(ctx, person_id, AUTH_LIST_MANAGE, org_id, &denied) == 0)
		return 0;
	if (denied.code != ERROR_DENIED)
		return error_forward(err, &denied);
	*standing_r = AUTH_LIST_OWNER;
	if (list_address != NULL) {
		if (is_list_owner(ctx, person_id, list_address))
			return 0;
		return error_set(err, ERROR_DENIED,
			"only the list's owners and the administrators of its "
			"organisation may do this");
	}
	struct store_person p;
	if (store_person_get(ctx->store, person_id, ctx->arena, &p, err) < 0)
		return -1;
	if (p.org_id == org_id)
		return 0;
	return error_set(err, ERROR_DENIED,
		"you can ask for a list only in your own organisation");
}
