/*
 * Records as every front end shows them: a person, org, mailbox, list or
 * contact read with what it shows (org, site, roles) in a fixed number of
 * statements per page, and the one renderer that turns each into the JSON
 * of docs/api.md, which the API replies and `caremail ... --json` prints.
 * Layer: domain (dir_view.c reads, dir_json.c renders).
 */
#ifndef DIR_DIR_VIEW_H
#define DIR_DIR_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dir/dir.h"
#include "store/store_types.h"

/* ---- reads (dir_view.c) ---- */

/*
 * A person with their org and site; `full` records also carry their
 * admin roles and what they hold (owner, member, grants).
 */
struct dir_person_record {
	struct store_person_view view;
	int64_t restorable_until;	/* 0 unless deleted */
	bool full;
	struct store_role_tag *roles;	/* full only */
	size_t role_count;
	struct dir_holding *holdings;	/* full only */
	size_t holding_count;
};

/*
 * A page of people in the orgs (org_ids NULL: every org), in id order
 * after after_id (limit 0: no limit): one statement whatever the page's
 * size. Records are not full.
 */
int dir_person_page(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, bool include_deleted, int64_t after_id, size_t limit,
	struct dir_person_record **records_r, size_t *count_r,
	struct error *err);
/*
 * The record of the person with this id, and when full their admin roles
 * and holdings too: one statement.
 */
int dir_person_record_get(const struct dir_ctx *ctx, int64_t person_id,
	bool full, struct dir_person_record *r, struct error *err);
/*
 * The full record of the person at this address, deleted or not: one
 * statement (two or three when no person holds it, to say what does).
 */
int dir_person_record_find(const struct dir_ctx *ctx, const char *address,
	struct dir_person_record *r, struct error *err);
/* The admin roles these people hold, by person: one statement. */
int dir_role_tags(const struct dir_ctx *ctx, const int64_t *person_ids,
	size_t count, struct store_role_tag **tags_r, size_t *count_r,
	struct error *err);

/* An org with its parent's ODS code and its Primary Local Admins. */
struct dir_org_record {
	struct store_org org;
	const char *parent_ods;		/* "" for a root */
	const char **primary_admins;	/* addresses */
	size_t primary_admin_count;
};

/* The records of these orgs, in their order: two statements for any n. */
int dir_org_records(const struct dir_ctx *ctx, const struct store_org *orgs,
	size_t n, struct dir_org_record **records_r, struct error *err);

/*
 * The ODS codes of a page's orgs: ods_r[i] is org_ids[i]'s ("" for 0 or
 * an org not found), read in one statement for any n.
 */
int dir_org_ods_each(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t n, const char ***ods_r, struct error *err);

/* The same for a page of mailboxes, lists or contacts: ods_r[i] is row i's. */
int dir_mailbox_page_ods(const struct dir_ctx *ctx,
	const struct store_mailbox *m, size_t n, const char ***ods_r,
	struct error *err);
int dir_list_page_ods(const struct dir_ctx *ctx, const struct store_list *l,
	size_t n, const char ***ods_r, struct error *err);
int dir_contact_page_ods(const struct dir_ctx *ctx,
	const struct store_contact *c, size_t n, const char ***ods_r,
	struct error *err);

/* A shared or resource mailbox with its owners, members and grants. */
struct dir_mailbox_record {
	struct store_mailbox mailbox;
	const char *org_ods;
	struct store_person *owners;
	size_t owner_count;
	struct store_person *members;
	size_t member_count;
	struct dir_grant *grants;
	size_t grant_count;
	/* SPEC L5, shared only (else 0): last use, deletion while noticed. */
	int64_t last_used_at, delete_at;
};

/* The record of a mailbox already read (GET /shared-mailboxes/{a}). */
int dir_mailbox_record_get(const struct dir_ctx *ctx,
	const struct store_mailbox *m, struct dir_mailbox_record *r,
	struct error *err);

/*
 * A list with its owners, its members (static lists only) and its
 * approval record: the change waiting and the last decision.
 */
struct dir_list_record {
	struct store_list list;
	const char *org_ods;
	struct store_person *owners;
	size_t owner_count;
	struct dir_member *members;	/* NULL for a dynamic list */
	size_t member_count;
	struct store_list_review review;
	int64_t owners_max;	/* dir.list_max_owners, for "N of 25 owners" */
};

/* The record of the list at address, read afresh (GET /lists/{a}). */
int dir_list_record_get(const struct dir_ctx *ctx, const char *address,
	struct dir_list_record *r, struct error *err);

/* ---- the renderer (dir_json.c) ---- */

/* Text as JSON; bytes that are not UTF-8 become '?' rather than fail. */
json_t *dir_json_text(const char *s);
/* An ISO 8601 UTC time, or null for 0. */
json_t *dir_json_time(int64_t t);

/*
 * A person as a listing shows them (GET /users items); a full record
 * adds notes, protocols_off, created_at, updated_at, roles, grants and
 * holdings (GET /users/{address}). Never the password or its hash.
 */
json_t *dir_json_person(const struct dir_person_record *r);
/* The part every view of a person shares (also GET /me). */
json_t *dir_json_person_core(const struct store_person_view *v);
/* [{"role","org"}]: the admin roles, from a full record. */
json_t *dir_json_roles(const struct store_role_tag *roles, size_t count);
/* {"relation","kind","address","org"}: something a person holds. */
json_t *dir_json_holding(const struct dir_holding *h);
json_t *dir_json_org(const struct dir_org_record *r);
json_t *dir_json_site(const struct store_site *s);
/* An application server registered for relay (SPEC M3). */
json_t *dir_json_relay(const struct store_relay_host *r, const char *org_ods);
json_t *dir_json_mailbox(const struct store_mailbox *m, const char *org_ods);
json_t *dir_json_list(const struct store_list *l, const char *org_ods);
json_t *dir_json_contact(const struct store_contact *c, const char *org_ods);
/* A mailbox with "owners" and "members" (addresses) and "grants". */
json_t *dir_json_mailbox_record(const struct dir_mailbox_record *r);
/*
 * A list with "owners", "members" (null for a dynamic list),
 * "pending_change", "requested_by", "requested_at", "last_decision" and
 * "waiting_for_approval".
 */
json_t *dir_json_list_record(const struct dir_list_record *r);
/*
 * Adds a list's approval record to its JSON: "pending_change",
 * "requested_by", "requested_at" and "last_decision" (the approval queue
 * shows lists with these alone).
 */
void dir_json_add_review(json_t *list, const struct store_list_review *rv);

#endif
