/*
 * Who may do what where (SPEC P2): one table of (role, action) → allowed,
 * and one scope rule — an admin of an org covers it and the orgs below it,
 * except below an org that has been devolved its own Primary Local Admin
 * (seed 000). Handlers call auth_check and never decide access themselves.
 * Layer: domain.
 */
#ifndef AUTH_ACCESS_H
#define AUTH_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dir_ctx;
struct error;

enum auth_role {
	AUTH_ROLE_GLOBAL_ADMIN,
	AUTH_ROLE_PRIMARY_LOCAL_ADMIN,
	AUTH_ROLE_LOCAL_ADMIN,
	AUTH_ROLE_HELPDESK_ADMIN,
	AUTH_ROLE_AUDIT_AUTHORISATION,
	AUTH_ROLE_EDISCOVERY,
	AUTH_ROLE_COUNT,
};

enum auth_action {
	AUTH_ORG_READ,
	AUTH_ORG_CREATE,	/* new organisations anywhere */
	AUTH_ORG_EDIT,		/* an org's fields, helpdesk contacts, sites */
	AUTH_ORG_DEVOLVE,	/* appoint a Primary Local Admin */
	AUTH_ROLE_GRANT,	/* give or take LA, helpdesk, audit roles */
	AUTH_USER_READ,
	AUTH_USER_CREATE,
	AUTH_USER_EDIT,		/* details and admin-only notes */
	AUTH_USER_RESET_PASSWORD,
	AUTH_USER_UNLOCK,
	AUTH_USER_LIFECYCLE,	/* disable, enable, mark leaver, join, transfer */
	AUTH_USER_DELETE,
	AUTH_USER_RESTORE,	/* within the deleted window */
	AUTH_MAILBOX_MANAGE,	/* shared and resource mailboxes, permissions */
	AUTH_CONTACT_MANAGE,
	AUTH_LIST_MANAGE,	/* lists, owners, members, approval */
	AUTH_AUDIT_READ,
	AUTH_REPORT_READ,	/* reports and the devices report */
	AUTH_EDISCOVERY_SEARCH,
	/* give or take global_admin and ediscovery: the service's own roles */
	AUTH_ROLE_GRANT_GLOBAL,
	AUTH_TOKEN_MANAGE,	/* API tokens for application accounts */
	AUTH_RELAY_MANAGE,	/* application servers registered for relay */
	/* a token's: send mail from its org's addresses (SPEC M3) */
	AUTH_MAIL_SEND,
	AUTH_QUEUE_MANAGE,	/* the outbound queue: the service's own */
	/* maintenance mode (SPEC S5): the service's own */
	AUTH_MAINTENANCE_MANAGE,
	AUTH_ACTION_COUNT,
};

/* Names as stored ("local_admin") and as logged ("user.create"). */
const char *auth_role_name(enum auth_role role);
bool auth_role_parse(const char *name, enum auth_role *role_r);
const char *auth_action_name(enum auth_action action);

/* The table itself: whether the role may ever take the action. */
bool auth_role_allows(enum auth_role role, enum auth_action action);

/*
 * The action that lets a person give or take away a role: the service's
 * own roles (global_admin, ediscovery) role.grant_global, a Primary Local
 * Admin org.devolve, the others role.grant.
 */
enum auth_action auth_role_grant_action(enum auth_role role);

/*
 * Whether an API token may ever be given the action: never credentials
 * (token.manage, relay.manage), nor what works on no particular org
 * (org.create, role.grant_global, queue.manage, maintenance.manage), as a
 * token acts only within its org (docs/api.md "API tokens").
 */
bool auth_token_action_givable(enum auth_action action);

/* What a person may do somewhere, for pages to offer (menus, forms). */
struct auth_may {
	/* Some role they hold allows the action. */
	bool actions[AUTH_ACTION_COUNT];
	/* They hold auth_role_grant_action(role): they may give the role. */
	bool roles[AUTH_ROLE_COUNT];
	/*
	 * They may give an API token the action: they hold token.manage and
	 * the action, and a token may ever be given it
	 * (auth_token_action_givable). auth_token_create still checks the
	 * action over the token's org.
	 */
	bool token[AUTH_ACTION_COUNT];
};

/*
 * The person's offer, from the roles they hold. The API still decides
 * each request, org by org; this spares the pages a copy of the table.
 */
int auth_person_may(const struct dir_ctx *ctx, int64_t person_id,
	struct auth_may *may_r, struct error *err);

/* Whether the role's reach is every org (the service provider's roles). */
bool auth_role_is_global(enum auth_role role);

/* One org on the way from a target org up to its root. */
struct auth_org_step {
	int64_t org_id;
	bool devolved;		/* has a Primary Local Admin of its own */
};

/*
 * The scope rule, as a pure function: whether an admin role held for
 * admin_org reaches the org at chain[0], given the chain from that org up
 * to its root. Reach stops at an org devolved to its own Primary LA,
 * unless that org is admin_org itself.
 */
bool auth_scope_covers(const struct auth_org_step *chain, size_t count,
	int64_t admin_org);

/*
 * The decision for a signed-in person: allowed when some role they hold
 * allows the action and reaches target_org (0 for an action on no
 * particular org, such as creating one). ERROR_DENIED with a sentence
 * naming what is missing: the role or the organisation.
 */
int auth_check(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, int64_t target_org, struct error *err);

/*
 * Every org where the person may take action, for list endpoints: *all_r
 * when a global role allows it (then no ids), else the org ids (sorted)
 * their roles reach by the scope rule. ERROR_DENIED, as auth_check says
 * it, when no role they hold allows the action at all.
 */
int auth_scope_orgs(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, bool *all_r, int64_t **ids_r, size_t *count_r,
	struct error *err);
/* ---- acting on another person's sign-in (SECURITY.md 43) ---- */

/*
 * A role's rank for the takeover rule: one role ranks above another when
 * it can already do everything the other can, over at least the same
 * reach, so taking over a lower-ranked person gains nothing. Global
 * Admin 5 (grants any role, eDiscovery included); eDiscovery 4 (reads
 * every mailbox); Primary Local Admin 3; Local Admin 2; Helpdesk Admin
 * and Audit & Authorisation 1 each (neither can do all the other can);
 * a person with no role 0. Pure.
 */
int auth_role_rank(enum auth_role role);

/*
 * The rule as a pure function: whether an actor whose best role for the
 * action has rank actor_rank may reset the password of, or unlock, a
 * person holding the n roles `target` (n 0: no role) — only when every
 * one of them ranks strictly below. An unknown role name ranks above
 * everything (fail closed).
 */
bool auth_rank_reaches(int actor_rank, const char *const *target, size_t n);

/*
 * auth_check for an action on a person's sign-in (user.reset_password,
 * user.unlock): the action must be allowed over the person's org, and
 * they may hold no role equal to or above the best role by which the
 * actor may act there. ERROR_DENIED with a sentence naming what stops it.
 */
int auth_check_person(const struct dir_ctx *ctx, int64_t actor_id,
	enum auth_action action, int64_t target_id, int64_t target_org,
	struct error *err);

/* ---- API tokens (SPEC P16, seed 004) ---- */

struct store_api_token;

/* The action of that name ("user.read"); false for none. */
bool auth_action_parse(const char *name, enum auth_action *action_r);

/*
 * auth_check's counterpart for an application token: allowed when the
 * token was granted the action and its org reaches target_org by the same
 * scope rule as an admin's. Actions on no particular org (target_org 0)
 * are never a token's. ERROR_DENIED with a sentence.
 */
int auth_token_check(const struct dir_ctx *ctx,
	const struct store_api_token *token, enum auth_action action,
	int64_t target_org, struct error *err);

/*
 * auth_check_person for a token: it ranks as a Helpdesk Admin, so it may
 * reset or unlock only people who hold no admin role at all.
 */
int auth_token_check_person(const struct dir_ctx *ctx,
	const struct store_api_token *token, enum auth_action action,
	int64_t target_id, int64_t target_org, struct error *err);

/*
 * Whether an application of org_id (a token's org, a registered relay's)
 * reaches target_org by the admin scope rule: the org itself and those
 * below it, up to one with its own Primary Local Admin.
 */
int auth_org_reaches(const struct dir_ctx *ctx, int64_t org_id,
	int64_t target_org, bool *reaches_r, struct error *err);

/* auth_scope_orgs for a token: the orgs its org reaches, when granted. */
int auth_token_scope_orgs(const struct dir_ctx *ctx,
	const struct store_api_token *token, enum auth_action action,
	int64_t **ids_r, size_t *count_r, struct error *err);

/* Whether some role the person holds allows the action in some org. */
int auth_check_anywhere(const struct dir_ctx *ctx, int64_t person_id,
	enum auth_action action, struct error *err);

/* How a person may change a distribution list (SPEC P2, P6). */
enum auth_list_standing {
	AUTH_LIST_ADMIN,	/* list.manage over its org: changes apply */
	AUTH_LIST_OWNER,	/* an owner: changes wait for approval */
};

/*
 * The owners' rule for distribution lists, in one place: an admin whose
 * role allows list.manage over org_id acts as an admin; otherwise one of
 * the list's owners may edit it (the change waits for approval) and
 * delete it (seed 002 #9706), and a person may ask for a new list in
 * their own org (list_address NULL), which starts Pending with them as
 * its owner. Anyone else gets auth_check's ERROR_DENIED.
 */
int auth_list_check(const struct dir_ctx *ctx, int64_t person_id,
	int64_t org_id, const char *list_address,
	enum auth_list_standing *standing_r, struct error *err);

#endif
