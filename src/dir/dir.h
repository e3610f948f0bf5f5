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

#include "store/store.h"

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
};

/* Whether the domain is one this instance hosts (mail.domains). */
bool dir_domain_is_hosted(const struct dir_ctx *ctx, const char *domain);

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
int dir_org_list(const struct dir_ctx *ctx, struct store_org **orgs_r,
	size_t *count_r, struct error *err);

int dir_site_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *name, const char *site_type, const char *postal_address,
	struct store_site *site_r, struct error *err);
/* Sites of an org, or of all orgs when org_ods is NULL. */
int dir_site_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_site **sites_r, size_t *count_r, struct error *err);

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

/* Whether a protocol is turned off for the person or their organisation. */
bool dir_protocol_is_off(const char *protocols_off, const char *protocol);

/* ---- shared and resource mailboxes, contacts ---- */

/* kind is "shared" or "resource"; address NULL makes one from the name. */
int dir_mailbox_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *kind, const char *display_name, const char *address,
	struct store_mailbox *m_r, struct error *err);
int dir_mailbox_get(const struct dir_ctx *ctx, const char *address,
	struct store_mailbox *m_r, struct error *err);
/* Mailboxes of a kind in an org (NULL: all orgs), not deleted. */
int dir_mailbox_list(const struct dir_ctx *ctx, const char *org_ods,
	const char *kind, struct store_mailbox **m_r, size_t *count_r,
	struct error *err);
/* Deletes a shared or resource mailbox; user mailboxes go with their person. */
int dir_mailbox_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err);

/* A contact is an external address; one in a hosted domain is refused. */
int dir_contact_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *display_name, const char *address,
	struct store_contact *c_r, struct error *err);
int dir_contact_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_contact **c_r, size_t *count_r, struct error *err);
int dir_contact_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err);

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

struct dir_grant {
	const char *mailbox;	/* address */
	const char *person;	/* address */
	const char *right;
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

/* ---- audit ---- */

/*
 * Appends one audit row in the caller's transaction. summary is a JSON
 * object (jansson json_t *, stolen). For changes made outside dir/ (auth).
 */
int dir_audit(const struct dir_ctx *ctx, const char *action,
	const char *object_type, int64_t object_id, int64_t org_id,
	void *summary, struct error *err);

int dir_audit_list(const struct dir_ctx *ctx,
	const struct store_audit_filter *filter, struct store_audit **rows_r,
	size_t *count_r, struct error *err);

/* ---- People Finder, Get help, reports, audit search (finder) ---- */

/* What a People Finder search asks; NULL or "" parts are not asked. */
struct dir_people_query {
	const char *q;		/* name words in any order; a word with @ is
				   the beginning of an address */
	const char *email;	/* an address, or its beginning */
	const char *org;	/* an ODS code, or part of an org's name */
	const char *site_type;	/* one of dir.site_types */
	const char *job_title;	/* words of a job title, any order */
};

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

struct dir_people_result {
	struct dir_person_found *people;	/* by last then first name */
	size_t count;
	size_t limit;		/* dir.people_search_limit */
	bool refine;		/* more than limit matched: only limit shown */
};

/*
 * People Finder (SPEC D4): live people matching every part of q, names
 * and job titles compared as word prefixes, case- and accent-insensitive,
 * in any order ("smi jo" finds Jo Smith). Deleted people never match.
 * At most dir.people_search_limit are returned; past it r->refine is set
 * (seed 002 #6962). ERROR_INVALID naming the field for a query that asks
 * nothing, an unknown site type or too many words; ERROR_NOT_FOUND
 * (field "org") when no organisation fits q->org.
 */
int dir_people_search(const struct dir_ctx *ctx,
	const struct dir_people_query *q, struct dir_people_result *r,
	struct error *err);

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
 * Records that a report was downloaded (seed 002 #9654), as an "other"
 * row on the organisation it covers (org_id 0: every org). detail is a
 * JSON object (jansson json_t *, stolen) or NULL.
 */
int dir_report_audit(const struct dir_ctx *ctx, const char *report,
	int64_t org_id, void *detail, struct error *err);

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

#endif
