/*
 * The directory: organisations, sites, people, mailboxes, contacts,
 * distribution lists, roles and grants, and the audit trail every change
 * writes. Layer: domain. Each change is one transaction with its audit row:
 * it happens whole or not at all, and the next call sees it.
 *
 * Objects are named the way people name them: orgs by ODS code, everything
 * with an address by its address. Returned records are store records whose
 * strings live in ctx->arena.
 */
#ifndef DIR_DIR_H
#define DIR_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct config;
struct error;

/* What every directory call needs: who acts, when, and where to put results. */
struct dir_ctx {
	struct store *store;
	const struct config *config;
	const char *actor;	/* the acting person's address, or "system" */
	int64_t now;
	struct arena *arena;	/* results are allocated here */
	/* Where the request came from, for the audit trail; NULL: "". */
	const char *client;	/* the client's IP address, or "cli" */
	const char *request_id;	/* the API's X-Request-Id */
	/*
	 * The instance's audit key (STORE_AUDIT_KEY_BYTES), which chains each
	 * audit row to the one before; NULL refuses anything audited.
	 */
	const unsigned char *audit_key;
	/*
	 * The instance's message-sealing key (secure.key, 32 bytes), which
	 * wraps each encrypted message's own key (mail_seal.h); NULL refuses
	 * sealing and opening.
	 */
	const unsigned char *seal_key;
	/* The instance directory, for files an operator edits (templates/). */
	const char *instance_dir;
	/*
	 * The signed-in person's roles as read with their session by a
	 * request that changes nothing (auth_web_session.roles), so its
	 * access checks do not read them again; roles_of 0: read them.
	 */
	int64_t roles_of;
	const struct store_role *roles;
	size_t role_count;
};

/* Whether the domain is one this instance hosts (mail.domains). */
bool dir_domain_is_hosted(const struct dir_ctx *ctx, const char *domain);

/*
 * The transaction a directory change runs in. Each dir_ change is all or
 * nothing on its own and joins a caller's transaction (as a savepoint), so
 * a front end that makes many changes in one command (the CLI's
 * multi-address commands) wraps them in dir_begin ... dir_finish.
 */
int dir_begin(const struct dir_ctx *ctx, struct error *err);
/* Commits when rc is 0, else rolls back; returns 0 or -1. */
int dir_finish(const struct dir_ctx *ctx, int rc, struct error *err);
/*
 * A front end's request that reads: its several reads see one moment of
 * the directory and cost one read lock, not one each (bench B9). A change
 * (dir_begin, an audited denial) inside ends the read first and sees the
 * directory as it is then. Every dir_read_begin that returns 0 is matched
 * by one dir_read_end; -1 with err if the store fails.
 */
int dir_read_begin(const struct dir_ctx *ctx, struct error *err);
void dir_read_end(const struct dir_ctx *ctx);
/*
 * The statements ctx's store connection has run so far: the difference
 * across a call is how many queries it cost (the API logs it per request
 * at debug level; tests show a page costs the same for any page size).
 */
uint64_t dir_statement_count(const struct dir_ctx *ctx);

/*
 * The check every directory text field passes, for text the domain keeps
 * elsewhere: at most max characters (not bytes), no control character,
 * and one line when one_line (else line breaks may stand). ERROR_INVALID
 * on field with a sentence that names label; "" or NULL is refused only
 * when required.
 */
int dir_check_text_lines(const char *field, const char *label,
	const char *value, size_t max, bool required, bool one_line,
	struct error *err);

/* ---- organisations and sites ---- */

/* For add, NULL means "not given"; for edit, NULL means "unchanged". */
struct dir_org_fields {
	const char *ods;
	const char *name;
	const char *type;
	const char *parent_ods;	/* "" on edit makes the org a root */
	const char *postal_address;
	const char *description;
	const char *website;
	const char *helpdesk_phone;
	const char *helpdesk_email;
	int64_t default_quota_mb;	/* 0: the configured default / unchanged */
	const char *protocols_off;	/* "imap,pop3,smtp" subset; "" none */
};

int dir_org_add(const struct dir_ctx *ctx, const struct dir_org_fields *in,
	struct store_org *org_r, struct error *err);
int dir_org_edit(const struct dir_ctx *ctx, const char *ods,
	const struct dir_org_fields *changes, struct store_org *org_r,
	struct error *err);
int dir_org_get(const struct dir_ctx *ctx, const char *ods,
	struct store_org *org_r, struct error *err);
/*
 * The ODS code of the org with this id, for showing a record that holds
 * only the id; "" for 0 or an org that cannot be read.
 */
const char *dir_org_ods(const struct dir_ctx *ctx, int64_t org_id);
/* The name of the org with this id, as dir_org_ods: "" when unreadable. */
const char *dir_org_name(const struct dir_ctx *ctx, int64_t org_id);
/* The org with this id, for a record that holds only the id. */
int dir_org_get_by_id(const struct dir_ctx *ctx, int64_t org_id,
	struct store_org *org_r, struct error *err);
int dir_org_list(const struct dir_ctx *ctx, struct store_org **orgs_r,
	size_t *count_r, struct error *err);

int dir_site_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *name, const char *site_type, const char *postal_address,
	struct store_site *site_r, struct error *err);
/* Sites of an org, or of all orgs when org_ods is NULL. */
int dir_site_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_site **sites_r, size_t *count_r, struct error *err);
/* The site with this id, for a person's record that holds only the id. */
int dir_site_get_by_id(const struct dir_ctx *ctx, int64_t site_id,
	struct store_site *site_r, struct error *err);

/* ---- people ---- */

/* For add, NULL means "not given"; for edit, NULL means "unchanged". */
struct dir_person_fields {
	const char *org_ods;	/* add only */
	const char *first_name, *last_name, *display_name;
	const char *address;	/* add: a chosen address instead of first.last */
	const char *site;	/* a site name in the person's org; "" clears */
	const char *job_title, *department;
	const char *phone, *mobile;
	int mobile_hidden;	/* -1 not given, 0 shown, 1 hidden */
	const char *notes;
	const char *sync_id;	/* unique within the org; "" clears on edit */
	const char *protocols_off;	/* "imap,pop3,smtp" subset; "" none */
};

/*
 * Creates an active person and their user mailbox. The address is the one
 * given or first.last in the primary mail domain, with the lowest free
 * number appended when first.last was ever held by anyone else. A sync ID
 * already used in the org is refused (ERROR_EXISTS), so a retried or
 * re-submitted request never makes a second person.
 */
int dir_person_add(const struct dir_ctx *ctx,
	const struct dir_person_fields *in, struct store_person *p_r,
	struct error *err);
int dir_person_edit(const struct dir_ctx *ctx, const char *address,
	const struct dir_person_fields *changes, struct store_person *p_r,
	struct error *err);
/* Finds a person by address, deleted ones included. */
int dir_person_get(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err);
/* Finds a person by id, deleted ones included: re-reads one just changed. */
int dir_person_get_by_id(const struct dir_ctx *ctx, int64_t person_id,
	struct store_person *p_r, struct error *err);
/* People of an org (NULL: all), by id, after `after_id`, at most limit. */
int dir_person_list(const struct dir_ctx *ctx, const char *org_ods,
	bool include_deleted, int64_t after_id, size_t limit,
	struct store_person **people_r, size_t *count_r, struct error *err);
/*
 * Marks the person and their mailbox deleted and removes every admin role
 * they hold (SPEC P3, L7). The address stays reserved forever.
 */
int dir_person_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err);

/*
 * A lifecycle step the rules found due (SPEC L1-L3, L7), applied as of
 * `at` (its due time, so a late run catches up exactly), audited with the
 * rule and reason. to DELETED removes every admin role, ends sessions and
 * marks the mailbox deleted (the address stays reserved); purge destroys
 * the deleted person's mail and the bodies nothing else references.
 * Runs in the caller's transaction (dir_begin ... dir_finish).
 */
int dir_person_lifecycle(const struct dir_ctx *ctx, int64_t person_id,
	enum store_person_status to, bool purge, int64_t at, const char *rule,
	const char *reason, struct error *err);

/*
 * L7: a sign-in or password change by an Inactive person makes them
 * Active at once, audited; p is updated. Nothing for any other status.
 */
int dir_person_wake(const struct dir_ctx *ctx, struct store_person *p,
	const char *why, struct error *err);

/* The clients a person has signed in with, most recent first (SPEC A7). */
int dir_person_devices(const struct dir_ctx *ctx, const char *address,
	struct store_device **devices_r, size_t *count_r, struct error *err);

/*
 * The protocols a switch can turn off (SPEC A4): "imap", "pop3" and "smtp"
 * (submission). Normalises a comma-separated list into *canonical_r
 * (sorted, each once, in the arena); ERROR_INVALID naming an unknown one.
 */
int dir_protocols_parse(const struct dir_ctx *ctx, const char *list,
	const char **canonical_r, struct error *err);

/*
 * Whether a person of this status may sign in at all, over any protocol
 * or the portal (SPEC A4): only an active one. The status half of the
 * sign-in rule (auth_signin_decide); also asked where only a person who
 * can sign in may hold a role or open a mailbox.
 */
bool dir_person_can_sign_in(enum store_person_status status);

/*
 * A person's status by its name (active, disabled, leaver, deleted): the
 * one place the names are read. False for any other text.
 */
bool dir_person_status_parse(const char *name,
	enum store_person_status *status_r);

/* The name of a status, as the API, the CLI and the audit show it. */
const char *dir_person_status_name(enum store_person_status status);

/* Whether a protocol is turned off for the person or their organisation. */
bool dir_protocol_is_off(const char *protocols_off, const char *protocol);

/* ---- shared and resource mailboxes, contacts ---- */

/* kind is "shared" or "resource"; address NULL makes one from the name. */
int dir_mailbox_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *kind, const char *display_name, const char *address,
	struct store_mailbox *m_r, struct error *err);
int dir_mailbox_get(const struct dir_ctx *ctx, const char *address,
	struct store_mailbox *m_r, struct error *err);
/*
 * A live mailbox of this kind ("shared", "resource"): ERROR_NOT_FOUND with
 * a sentence for one of another kind or one that has been deleted.
 */
int dir_mailbox_get_live(const struct dir_ctx *ctx, const char *address,
	const char *kind, struct store_mailbox *m_r, struct error *err);
/*
 * The live shared mailboxes the person owns, by address: theirs to keep
 * (SPEC L5) and to look after, admin role or not.
 */
int dir_mailbox_owned(const struct dir_ctx *ctx, int64_t person_id,
	struct store_mailbox **m_r, size_t *count_r, struct error *err);
/* Mailboxes of a kind in an org (NULL: all orgs), not deleted. */
int dir_mailbox_list(const struct dir_ctx *ctx, const char *org_ods,
	const char *kind, struct store_mailbox **m_r, size_t *count_r,
	struct error *err);
/*
 * A mailbox's standard folder for an RFC 6154 special use ("sent",
 * "junk", ...): the one it has, or one made now under its standard name
 * as the mailbox's own were ("Sent Items"), or, that name being taken by
 * a folder without the use, that folder. ctx's store must be in a
 * transaction that may write (the group-commit writer's).
 */
int dir_mailbox_standard_folder(const struct dir_ctx *ctx, int64_t mailbox_id,
	const char *use, struct store_folder *f_r, struct error *err);
/* Deletes a shared or resource mailbox; user mailboxes go with their person. */
int dir_mailbox_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err);

/*
 * SPEC L5, inactive shared mailboxes (dir_shared_idle.c). The job records
 * a notice (in its own transaction, dir_begin) with the hashes of its
 * confirm links, each valid until delete_at, and deletes a mailbox nobody
 * confirmed, audited with the rule.
 */
int dir_shared_notice_record(const struct dir_ctx *ctx, int64_t mailbox_id,
	int64_t noticed_at, int64_t delete_at, int warned_lead,
	const char *const *link_hashes, size_t link_count, struct error *err);
int dir_shared_idle_delete(const struct dir_ctx *ctx, int64_t mailbox_id,
	int64_t at, const char *rule, const char *reason, struct error *err);
/*
 * An owner or LA keeps the mailbox: a use now, the notice withdrawn,
 * audited with how ("link", "portal"). ERROR_NOT_FOUND once deleted.
 */
int dir_shared_confirm(const struct dir_ctx *ctx, const struct store_mailbox *m,
	const char *how, struct error *err);
/* The live shared mailbox a confirm link (by its hash) names, if valid. */
int dir_shared_link_mailbox(const struct dir_ctx *ctx, const char *link_hash,
	struct store_mailbox *m_r, struct error *err);
/*
 * When the shared mailbox was last used (its creation counts), and the
 * date it will be deleted while a notice is out (0: none).
 */
int dir_shared_status(const struct dir_ctx *ctx, int64_t mailbox_id,
	int64_t *last_used_r, int64_t *delete_at_r, struct error *err);

/* A contact is an external address; one in a hosted domain is refused. */
int dir_contact_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *display_name, const char *address,
	struct store_contact *c_r, struct error *err);
int dir_contact_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_contact **c_r, size_t *count_r, struct error *err);
int dir_contact_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err);

/* ---- application servers registered for relay (SPEC M3) ---- */

/*
 * Registers an org's application server (an IP or a block no wider than a
 * /24, or /120 in IPv6, written with its first address) that may relay
 * from the org's addresses without signing in. ERROR_INVALID naming
 * `cidr` or `label`; ERROR_EXISTS naming the org when it overlaps any
 * registered block. Audited.
 */
int dir_relay_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *cidr, const char *label, struct store_relay_host *r_r,
	struct error *err);
/* One org's registrations (org_ods NULL: every org's), by id. */
int dir_relay_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_relay_host **list_r, size_t *count_r, struct error *err);
/* One registration; ERROR_NOT_FOUND for an unknown id. */
int dir_relay_get(const struct dir_ctx *ctx, int64_t id,
	struct store_relay_host *r_r, struct error *err);
/* Removes one at once; audited. */
int dir_relay_remove(const struct dir_ctx *ctx, int64_t id,
	struct error *err);
/* The registration holding peer_ip; ERROR_NOT_FOUND with a sentence. */
int dir_relay_find(const struct dir_ctx *ctx, const char *peer_ip,
	struct store_relay_host *r_r, struct error *err);

/*
 * The org of the live person or shared or resource mailbox that holds
 * address: whose address an application sends from. ERROR_NOT_FOUND or
 * ERROR_INVALID as dir_resolve_live says.
 */
int dir_sender_org(const struct dir_ctx *ctx, const char *address,
	int64_t *org_id_r, struct error *err);

/* ---- distribution lists ---- */

/*
 * Creates a list. kind is "static" or "dynamic"; a dynamic list needs a rule
 * (JSON, see dir_rule.h). address NULL makes one from the name.
 */
int dir_list_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *name, const char *kind, const char *address,
	const char *rule_json, struct store_list *l_r, struct error *err);
int dir_list_get(const struct dir_ctx *ctx, const char *address,
	struct store_list *l_r, struct error *err);
int dir_list_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_list **l_r, size_t *count_r, struct error *err);
int dir_list_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err);

/* A member of a static list, as a person would see it. */
struct dir_member {
	const char *kind;	/* person, shared, resource, contact, list */
	const char *address;
	const char *display_name;
	bool deleted;
};

/*
 * Adds people, shared or resource mailboxes, contacts or other lists, named
 * by address, to a static list. A list cannot be added to itself; deeper
 * loops are allowed and cut when the list is expanded.
 */
int dir_list_member_add(const struct dir_ctx *ctx, const char *list_address,
	const char *member_address, struct error *err);
int dir_list_member_remove(const struct dir_ctx *ctx,
	const char *list_address, const char *member_address,
	struct error *err);
int dir_list_members(const struct dir_ctx *ctx, const char *list_address,
	struct dir_member **members_r, size_t *count_r, struct error *err);

/*
 * Every address mail to the list reaches: nested lists resolved, dynamic
 * rules applied, loops cut, deleted objects left out, each address once, in
 * sorted order.
 */
int dir_list_expand(const struct dir_ctx *ctx, const char *list_address,
	const char ***addresses_r, size_t *count_r, struct error *err);

/*
 * Adds what mail to the list reaches to `scope` of the store's recipient
 * set (store_set_begin first), as dir_list_expand finds it, without its
 * members passing through memory: for delivering to lists of any size.
 * Scopes above `scope` are used as scratch and dropped again.
 */
int dir_list_expand_set(const struct dir_ctx *ctx, int64_t list_id,
	int64_t scope, struct error *err);

/*
 * The outside addresses (contacts) a list reaches, through its nested
 * lists too, as delivery would expand it, sorted, in ctx->arena: what
 * the policy stage judges for mail to a list (SPEC M10, M12). Uses the
 * connection's recipient sets, so not inside a delivery.
 */
int dir_list_outside(const struct dir_ctx *ctx, int64_t list_id,
	const char ***addresses_r, size_t *count_r, struct error *err);

/* ---- owners, grants, roles ---- */

/*
 * Owners of a shared or resource mailbox or a list, named by address. At
 * most dir.list_max_owners; the next is refused with ERROR_LIMIT. Owners
 * are kept apart from members: removing an owner leaves membership alone.
 */
int dir_owner_add(const struct dir_ctx *ctx, const char *object_address,
	const char *person_address, struct error *err);
int dir_owner_remove(const struct dir_ctx *ctx, const char *object_address,
	const char *person_address, struct error *err);
int dir_owner_list(const struct dir_ctx *ctx, const char *object_address,
	struct store_person **owners_r, size_t *count_r, struct error *err);

/*
 * Members of a shared or resource mailbox: the people who work from it.
 * Separate from owners, who decide who the members are.
 */
int dir_mailbox_member_add(const struct dir_ctx *ctx,
	const char *mailbox_address, const char *person_address,
	struct error *err);
int dir_mailbox_member_remove(const struct dir_ctx *ctx,
	const char *mailbox_address, const char *person_address,
	struct error *err);
int dir_mailbox_member_list(const struct dir_ctx *ctx,
	const char *mailbox_address, struct store_person **members_r,
	size_t *count_r, struct error *err);

/* right is full_access, send_as or send_on_behalf. */
int dir_grant_add(const struct dir_ctx *ctx, const char *mailbox_address,
	const char *person_address, const char *right, struct error *err);
int dir_grant_remove(const struct dir_ctx *ctx, const char *mailbox_address,
	const char *person_address, const char *right, struct error *err);

/*
 * A right by its name (full_access, send_as, send_on_behalf): the one
 * place the names are read. False for any other text.
 */
bool dir_grant_right_parse(const char *name, enum store_grant_right *right_r);

/* The name of a right, as the API, the CLI and the audit show it. */
const char *dir_grant_right_name(enum store_grant_right right);

/*
 * A list's kind (static, dynamic) and state (approved, pending, rejected)
 * by name: the one place each is read. False for any other text.
 */
bool dir_list_kind_parse(const char *name, enum store_list_kind *kind_r);
bool dir_list_state_parse(const char *name, enum store_list_state *state_r);

/* The names, as the API, the CLI and the audit show them. */
const char *dir_list_kind_name(enum store_list_kind kind);
const char *dir_list_state_name(enum store_list_state state);

/*
 * A mailbox's kind (user, shared, resource) by name: the one place it is
 * read. False for any other text.
 */
bool dir_mailbox_kind_parse(const char *name, enum store_mailbox_kind *kind_r);

/* The name of a mailbox's kind, as the API and the CLI show it. */
const char *dir_mailbox_kind_name(enum store_mailbox_kind kind);

/*
 * A mailbox's status (active, deleted) by name: the one place it is read.
 * False for any other text.
 */
bool dir_mailbox_status_parse(const char *name,
	enum store_mailbox_status *status_r);

/* The name of a mailbox's status, as the API and the CLI show it. */
const char *dir_mailbox_status_name(enum store_mailbox_status status);

struct dir_grant {
	const char *mailbox;	/* address */
	const char *person;	/* address */
	enum store_grant_right right;
	int64_t granted_at;
};

/* Grants on a mailbox, or held by a person: whichever address is given. */
int dir_grant_list(const struct dir_ctx *ctx, const char *address,
	struct dir_grant **grants_r, size_t *count_r, struct error *err);

/* The admin roles of SPEC P2. */
bool dir_role_is_valid(const char *role);
extern const char *const dir_roles[];

int dir_role_add(const struct dir_ctx *ctx, const char *person_address,
	const char *org_ods, const char *role, struct error *err);
int dir_role_remove(const struct dir_ctx *ctx, const char *person_address,
	const char *org_ods, const char *role, struct error *err);
/* The roles a person holds, by org then role. */
int dir_role_list(const struct dir_ctx *ctx, const char *person_address,
	struct store_role **roles_r, size_t *count_r, struct error *err);
/* The same, for a person known by id (the signed-in one, a row read). */
int dir_role_list_by_person(const struct dir_ctx *ctx, int64_t person_id,
	struct store_role **roles_r, size_t *count_r, struct error *err);
/*
 * The people holding global_admin who can act (active, or inactive and
 * able to sign in again, L7), each once, in a.
 */
int dir_global_admins(const struct dir_ctx *ctx, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err);
/*
 * Whether the person is the only one of dir_global_admins: the one the
 * service cannot lose (SPEC P2, L7).
 */
int dir_is_last_global_admin(const struct dir_ctx *ctx, int64_t person_id,
	bool *last_r, struct error *err);
/*
 * ERROR_EXISTS when the person is the last Global Administrator: the
 * sentence says to appoint another first, then `doing` ("delete them").
 */
int dir_keep_global_admin(const struct dir_ctx *ctx, int64_t person_id,
	const char *address, const char *doing, struct error *err);
/* One of an org's Local Administrators and the role that makes them so. */
struct dir_org_admin {
	struct store_person person;
	const char *role;	/* local_admin or primary_local_admin */
};

/*
 * The org's Local and Primary Local Administrators who are not deleted,
 * one entry per role held (a person holding both is there twice), in
 * ctx->arena: who helps its people and who is told about it.
 */
int dir_org_local_admins(const struct dir_ctx *ctx, int64_t org_id,
	struct dir_org_admin **admins_r, size_t *count_r, struct error *err);

/* ---- audit ---- */

/*
 * Appends one audit row in the caller's transaction. summary is a JSON
 * object (jansson json_t *, stolen). For changes made outside dir/ (auth).
 */
int dir_audit(const struct dir_ctx *ctx, const char *action,
	const char *object_type, int64_t object_id, int64_t org_id,
	void *summary, struct error *err);

/*
 * Records a refused action (SECURITY.md 48): one row with result
 * "denied", in a transaction of its own. summary is stolen, as above.
 */
int dir_audit_denied(const struct dir_ctx *ctx, const char *object_type,
	int64_t org_id, void *summary, struct error *err);

/*
 * One row of action "other" whose summary is JSON text already written
 * (summary: a compact object, as dir_audit writes it); result "denied"
 * or "done". In the caller's transaction if there is one, else in its
 * own. For a record made before the transaction it belongs to (the mail
 * policy stage's, written in the delivery's commit).
 */
int dir_audit_text(const struct dir_ctx *ctx, const char *object_type,
	int64_t org_id, const char *summary, bool denied, struct error *err);

int dir_audit_list(const struct dir_ctx *ctx,
	const struct store_audit_filter *filter, struct store_audit **rows_r,
	size_t *count_r, struct error *err);

/* ---- users area: lifecycle, holdings, devolving (SPEC P2, P3) ---- */

/*
 * Status changes an admin makes, each one transaction with its audit row,
 * straight from one status to the next. ERROR_EXISTS with a sentence when
 * the person's status does not allow the change (disabling a leaver, say);
 * ERROR_NOT_FOUND for a deleted person. Statuses other than active end the
 * person's sessions at once.
 */
int dir_person_disable(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err);
int dir_person_enable(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err);
/* Active or disabled → leaver; removes every admin role they hold. */
int dir_person_mark_leaver(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err);

/* Where a person goes: join or transfer. */
struct dir_move {
	const char *address;	/* the person */
	const char *org_ods;	/* the org they go to */
	const char *site;	/* a site there, or NULL/"" for none */
	const char *sync_id;	/* join: their new org's sync ID, or NULL */
};

/* Something a person holds on a mailbox or list, with its org's ODS. */
struct dir_holding {
	const char *relation;	/* owner, member, full_access, send_as,
				   send_on_behalf */
	const char *kind;	/* user, shared, resource, list */
	const char *address;
	const char *org_ods;
};

/*
 * A leaver joins another org (or their old one again): active at once, in
 * the new org at the given site — the old site never follows (seed 002
 * #9689) — and their old sync ID left behind. *held_r lists what they
 * still hold on mailboxes and lists outside the new org (seed 004).
 * ERROR_EXISTS when the person is not a leaver.
 */
int dir_person_join(const struct dir_ctx *ctx, const struct dir_move *in,
	struct store_person *p_r, struct dir_holding **held_r,
	size_t *held_count_r, struct error *err);
/*
 * Moves a person of any status but deleted to another org, keeping their
 * status, sync ID (ERROR_EXISTS if the new org has it already) and
 * mailbox; the old site is cleared or replaced by in->site.
 */
int dir_person_transfer(const struct dir_ctx *ctx, const struct dir_move *in,
	struct store_person *p_r, struct error *err);
/*
 * Undeletes a person and their mailbox, as active, within
 * dir.deleted_retention_days of the deletion; ERROR_EXISTS past that or
 * when not deleted. Admin roles removed by the deletion stay removed.
 */
int dir_person_restore(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err);
/* When a deleted person stops being restorable; 0 when not deleted. */
int64_t dir_person_restorable_until(const struct dir_ctx *ctx,
	const struct store_person *p);

/* Every ownership, membership and grant the person holds. */
int dir_person_holdings(const struct dir_ctx *ctx, const char *address,
	struct dir_holding **items_r, size_t *count_r, struct error *err);

/* As dir_person_list over a set of orgs (org_ids NULL: every org). */
int dir_person_list_in(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, bool include_deleted, int64_t after_id, size_t limit,
	struct store_person **people_r, size_t *count_r, struct error *err);

/*
 * Devolves an org (seed 000): the person, who must be active and work in
 * the org or one below it, becomes its Primary Local Admin, so the admins
 * of the orgs above no longer reach it.
 */
int dir_org_devolve(const struct dir_ctx *ctx, const char *ods,
	const char *person_address, struct error *err);

/* ---- lists area: mailbox and contact edits, list approval, freeze ---- */

/*
 * Which orgs a listing covers: org_ids[org_count], or every org when
 * org_ids is NULL (a caller's scope, as auth decides it).
 */
struct dir_org_set {
	const int64_t *org_ids;
	size_t org_count;
};

/* Live shared or resource mailboxes (kind) of the orgs, by id, for paging. */
int dir_mailbox_page(const struct dir_ctx *ctx, const struct dir_org_set *orgs,
	const char *kind, int64_t after_id, size_t limit,
	struct store_mailbox **m_r, size_t *count_r, struct error *err);
/* Changes a shared or resource mailbox: NULL / 0 leave a field alone. */
int dir_mailbox_edit(const struct dir_ctx *ctx, const char *address,
	const char *display_name, int64_t quota_mb, struct store_mailbox *m_r,
	struct error *err);
/*
 * Moves a shared or resource mailbox to another org (SPEC P4, P5); its
 * owners, members and grants go with it.
 */
int dir_mailbox_transfer(const struct dir_ctx *ctx, const char *address,
	const char *org_ods, struct store_mailbox *m_r, struct error *err);

int dir_contact_get(const struct dir_ctx *ctx, const char *address,
	struct store_contact *c_r, struct error *err);
/* A page of the orgs' contacts whose name or address holds q (NULL: all). */
int dir_contact_page(const struct dir_ctx *ctx, const struct dir_org_set *orgs,
	const char *q, int64_t after_id, size_t limit,
	struct store_contact **c_r, size_t *count_r, struct error *err);
/* Changes a contact's display name (its address is what it is). */
int dir_contact_edit(const struct dir_ctx *ctx, const char *address,
	const char *display_name, struct store_contact *c_r, struct error *err);

/*
 * A new list as the API makes it. With requested_by (an owner without an
 * admin role) the list starts Pending, that person becomes its first
 * owner, and mail to it is refused until an admin approves it (SPEC P6).
 */
struct dir_list_new {
	const char *org_ods;
	const char *name;
	const char *kind;	/* static (default) or dynamic */
	const char *address;	/* NULL: made from the name */
	const char *description;	/* NULL: none */
	const char *rule;	/* JSON; dynamic lists only */
	const char *requested_by;	/* NULL: an admin, approved at once */
};

int dir_list_create(const struct dir_ctx *ctx, const struct dir_list_new *in,
	struct store_list *l_r, struct error *err);

/*
 * Lists of the orgs with a status (NULL any), by id; with owner_id (0:
 * anyone's), only the lists that person owns.
 */
int dir_list_page(const struct dir_ctx *ctx, const struct dir_org_set *orgs,
	const char *status, int64_t owner_id, int64_t after_id, size_t limit,
	struct store_list **l_r, size_t *count_r, struct error *err);
/* Lists waiting for a decision (Pending, or a change asked for), by id. */
int dir_list_awaiting(const struct dir_ctx *ctx, int64_t after_id,
	size_t limit, struct store_list **l_r, size_t *count_r,
	struct error *err);

/*
 * One change to a list; NULL fields are left alone. Owners and members
 * are changed one at a time, by name: nothing here can replace a whole
 * set, so an edit never drops owners it did not name (the "Add myself as
 * owner" defect).
 */
struct dir_list_change {
	const char *description;
	const char *rule;	/* dynamic lists: the new rule, JSON */
	const char *member_add, *member_remove;
	const char *owner_add, *owner_remove;
};

/*
 * Makes a change. requested_by NULL (an admin) applies it at once. An
 * owner's change (requested_by their address) to an approved list waits
 * beside the live list, which mail keeps using as approved until an admin
 * decides (*waiting_r true); on a list never approved it applies to the
 * list, which stays or goes back to Pending. *opened_r (may be NULL) says
 * whether this change opened a request for approval: a change began to
 * wait where none waited, or a rejected list went back to Pending; one
 * that joins a request already waiting opens none.
 */
int dir_list_change(const struct dir_ctx *ctx, const char *address,
	const struct dir_list_change *c, const char *requested_by,
	bool *waiting_r, bool *opened_r, struct error *err);

/* The approval record: the change waiting, the last decision and reason. */
int dir_list_review(const struct dir_ctx *ctx, const char *address,
	struct store_list_review *r_r, struct error *err);
/* Approves a Pending list or the change waiting on one. */
int dir_list_approve(const struct dir_ctx *ctx, const char *address,
	struct error *err);
/* Rejects it; a reason is required and kept for the owner to read. */
int dir_list_reject(const struct dir_ctx *ctx, const char *address,
	const char *reason, struct error *err);

/*
 * Renames a list: its display name and its address together (seed 002
 * #8182), and every dynamic rule that names the old address. The old
 * address stays reserved to the list, so mail sent to it still arrives
 * and nothing else can take it. new_address NULL: made from the name.
 */
int dir_list_rename(const struct dir_ctx *ctx, const char *address,
	const char *name, const char *new_address, struct store_list *l_r,
	struct error *err);

/* A preview: how many a list reaches, and the first few by address. */
struct dir_preview {
	int64_t count;
	struct store_recipient *sample;	/* at most STORE_SAMPLE_MAX */
	size_t sample_count;
};

/*
 * How many addresses a dynamic rule reaches (org_ods: the org the list
 * belongs to, for a rule that names none), counted in the database with
 * no size limit (seed 002: ~21,000 timed out).
 */
int dir_rule_preview(const struct dir_ctx *ctx, const char *org_ods,
	const char *rule_json, struct dir_preview *preview_r,
	struct error *err);
/* How many addresses mail to the list reaches now. */
int dir_list_preview(const struct dir_ctx *ctx, const char *address,
	struct dir_preview *preview_r, struct error *err);

/*
 * The change freeze (seed 000): while on, dynamic lists cannot be created,
 * changed, renamed or deleted (ERROR_EXISTS, field "change_freeze"); mail
 * to every list still flows.
 */
struct dir_freeze {
	bool on;
	const char *reason;
	const char *updated_by;	/* "" never set */
	int64_t updated_at;
};

int dir_change_freeze_get(const struct dir_ctx *ctx, struct dir_freeze *f_r,
	struct error *err);
int dir_change_freeze_set(const struct dir_ctx *ctx, bool on,
	const char *reason, struct error *err);

/* ---- maintenance mode (SPEC S5, P13; dir_maintenance.c) ---- */

/*
 * While on, the API refuses changes (503) and the admin pages show a
 * landing page; sign-in, reading and mail go on. Kept in the store, so a
 * running server sees a change at its next request.
 */
struct dir_maintenance {
	bool on;
	const char *message;	/* for the people it stops; "" none */
	int64_t until;		/* when it is expected to end; 0 not said */
	int64_t since;		/* when it was turned on; 0 when off */
	const char *updated_by;	/* who last turned it on or off; "" never */
	int64_t updated_at;
};

#define DIR_MAINTENANCE_MESSAGE_MAX 500	/* characters, one line */
/* The least Retry-After once the expected end has passed (seconds). */
#define DIR_MAINTENANCE_RETRY_MIN_S 60

/* The switch as stored now (off when never set); in ctx's arena. */
int dir_maintenance_get(const struct dir_ctx *ctx, struct dir_maintenance *m_r,
	struct error *err);
/*
 * Turns it on, or changes the message and expected end while it is on
 * (keeping `since`); audited (object type setting, action update, the
 * summary {"maintenance": {"on": true, ...}}).
 * ERROR_INVALID on "message" (over DIR_MAINTENANCE_MESSAGE_MAX
 * characters, a line break or control character) or on "until" (not in
 * the future); until 0 says no end. Who may is the caller's to check
 * (auth action maintenance.manage).
 */
int dir_maintenance_on(const struct dir_ctx *ctx, const char *message,
	int64_t until, struct error *err);
/*
 * Turns it off, audited as on is ("on": false); already off changes and
 * audits nothing. *was_on_r (may be NULL) says whether it was on.
 */
int dir_maintenance_off(const struct dir_ctx *ctx, bool *was_on_r,
	struct error *err);
/*
 * Seconds a refused client should wait (Retry-After): to the expected
 * end, at least DIR_MAINTENANCE_RETRY_MIN_S once it has passed; 0 when
 * off or no end was given (no header then). Pure.
 */
int64_t dir_maintenance_retry_after(const struct dir_maintenance *m,
	int64_t now);

/* ---- People Finder, Get help, reports, audit search (finder) ---- */

/* What a People Finder search asks; NULL or "" parts are not asked. */
struct dir_people_query {
	const char *q;		/* name words in any order; a word with @ is
				   the beginning of an address */
	const char *email;	/* an address, or its beginning */
	const char *org;	/* an ODS code, or part of an org's name */
	const char *site_type;	/* one of dir.site_types */
	const char *job_title;	/* words of a job title, any order */
	size_t limit;		/* the page; 0: dir.people_search_page */
	/*
	 * The page starts after this person in name order: an earlier
	 * page's last match.sort and person.id (the API's cursor); NULL
	 * sort: at the first.
	 */
	const char *after_sort;
	int64_t after_id;
};

/* The longest sort text a cursor may carry (a name sorts in far less). */
#define DIR_PEOPLE_CURSOR_MAX 1024


/* An admin role held now, as a tag in the directory. */
struct dir_admin_tag {
	const char *role;
	const char *org_ods;
};

struct dir_person_found {
	struct store_person_match match;
	struct dir_admin_tag *tags;	/* roles held now; never a past one */
	size_t tag_count;
};

/*
 * The mobile number People Finder and Get help show of p: NULL when they
 * hid it (whoever asks: the person chose that) or have none.
 */
const char *dir_person_mobile_shown(const struct store_person *p);

struct dir_people_result {
	struct dir_person_found *people;	/* by last then first name */
	size_t count;
	size_t limit;		/* the page's size */
	/*
	 * More than limit matched: only limit shown; the next page starts
	 * after the last one shown.
	 */
	bool refine;
};

/*
 * People Finder (SPEC D4): live people matching every part of q, names
 * and job titles compared as word prefixes, case- and accent-insensitive,
 * in any order ("smi jo" finds Jo Smith). Deleted people never match.
 * One page is returned, in name order: q->limit people (at most
 * dir.people_search_limit) or by default dir.people_search_page, after
 * q->after_sort/after_id when given; past it r->refine is set (seed 002
 * #6962). ERROR_INVALID naming the field for a query that asks nothing, an
 * unknown site type, too many words, a limit past the cap or a cursor
 * that is not one; ERROR_NOT_FOUND (field "org") when no organisation
 * fits q->org. The whole search reads one moment of the store.
 */
int dir_people_search(const struct dir_ctx *ctx,
	const struct dir_people_query *q, struct dir_people_result *r,
	struct error *err);

/*
 * A People Finder page's cursor: text that names the place just after a
 * person in name order (base64url of "id:sort", so it travels in a query
 * unescaped; it names no one the page did not show), and back. The cursor
 * is in the arena; NULL past its cap. parse: the sort text in the arena
 * and the id; ERROR_INVALID (field "cursor") for text no page gave.
 */
char *dir_people_cursor(const struct dir_person_found *last,
	struct arena *a);
int dir_people_cursor_parse(const char *text, struct arena *a,
	const char **sort_r, int64_t *id_r, struct error *err);

/* One Local Admin or Primary Local Admin, for Get help. */
struct dir_helper {
	struct store_person person;
	const char *role;
	const char *org_ods;	/* the org they administer */
};

struct dir_help {
	struct store_org org;		/* the person's own */
	struct dir_helper *admins;	/* may be empty */
	size_t admin_count;
	const char *helpdesk_phone, *helpdesk_email;	/* "" when none */
	const char *helpdesk_org_ods;	/* whose helpdesk that is */
};

/*
 * Get help (SPEC D6, seed 002 #6420): the (Primary) Local Admins of the
 * person's org — or, when it has none, of the nearest org above it — and
 * the nearest local IT helpdesk, the org's own first.
 */
int dir_people_help(const struct dir_ctx *ctx, const char *address,
	struct dir_help *h, struct error *err);

/* Devices of live people in the orgs (NULL: all), paged by row id. */
int dir_device_report(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit,
	struct store_device_row **rows_r, size_t *count_r, struct error *err);

/*
 * Records that a report was downloaded (seed 002 #9654): one "other" row
 * on each organisation it covers, so each org's admins see it, all in one
 * transaction; org_count 0 writes one row on no org (a report of every
 * org). detail is a JSON object (jansson json_t *, stolen) or NULL.
 */
int dir_report_audit(const struct dir_ctx *ctx, const char *report,
	const int64_t *org_ids, size_t org_count, void *detail,
	struct error *err);

/*
 * Whether an audit filter names object types and actions the trail
 * has; ERROR_INVALID naming "object_type" or "action" if not.
 */
int dir_audit_filter_check(const struct store_audit_filter *f,
	struct error *err);

/* Audit rows matching f within the orgs (NULL: every row), newest first. */
int dir_audit_search(const struct dir_ctx *ctx,
	const struct store_audit_filter *f, const int64_t *org_ids,
	size_t org_count, struct store_audit **rows_r, size_t *count_r,
	struct error *err);

/*
 * CSV downloads (dir_csv.c): a header row, then every row the JSON
 * listing would give page after page, as RFC 4180 records defended
 * against formula injection (core/csv.h), appended to out (the caller's)
 * a store page at a time, so memory stays flat. *rows_r gets the count
 * of rows under the header. ERROR_LIMIT past max_rows rows or past out's
 * maximum (out's content is then to be discarded); the errors of
 * dir_audit_filter_check, of the store and of spool_append.
 */
struct spool;
int dir_audit_csv(const struct dir_ctx *ctx, const struct store_audit_filter *f,
	const int64_t *org_ids, size_t org_count, size_t max_rows,
	struct spool *out, size_t *rows_r, struct error *err);
int dir_device_report_csv(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, size_t max_rows, struct spool *out, size_t *rows_r,
	struct error *err);

#endif
