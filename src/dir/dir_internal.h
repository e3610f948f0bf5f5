/*
 * Shared within dir/: transactions, audit rows, and resolving an address to
 * the object that holds it. Layer: domain, private.
 */
#ifndef DIR_INTERNAL_H
#define DIR_INTERNAL_H

#include <jansson.h>

#include "dir/dir.h"
#include "dir/dir_address.h"

/* Object types as the audit trail names them (SPEC P10). */
#define DIR_AUDIT_ORG "organisation"
#define DIR_AUDIT_SITE "site"
#define DIR_AUDIT_USER "user_mailbox"
#define DIR_AUDIT_SHARED "shared_mailbox"
#define DIR_AUDIT_RESOURCE "resource_mailbox"
#define DIR_AUDIT_CONTACT "contact"
#define DIR_AUDIT_LIST "distribution_list"
#define DIR_AUDIT_RELAY "relay_host"

/* Appends an audit row; summary (may be NULL) is stolen. */
int dir_audit_json(const struct dir_ctx *ctx, const char *action,
	const char *object_type, int64_t object_id, int64_t org_id,
	json_t *summary, struct error *err);

/* A JSON string, "" for NULL, for audit summaries. */
json_t *dir_json_str(const char *s);

/*
 * What deleting a person closes with them (SPEC L7), in the caller's
 * transaction, whoever deletes them (an administrator, the lifecycle):
 * every admin role (*roles_r: the JSON array of what was removed, for
 * the audit), their sessions, their mailbox (deleted at `at`). The
 * person's own row is the caller's to write.
 */
int dir_person_close(const struct dir_ctx *ctx, const struct store_person *p,
	int64_t at, json_t **roles_r, struct error *err);

/*
 * What holds an address, as a person would tell them apart: one bit each,
 * so a caller names every kind it accepts in one argument.
 */
enum dir_holder {
	DIR_HOLDER_PERSON = 1 << 0,
	DIR_HOLDER_SHARED = 1 << 1,
	DIR_HOLDER_RESOURCE = 1 << 2,
	DIR_HOLDER_CONTACT = 1 << 3,
	DIR_HOLDER_LIST = 1 << 4,
};

/* Shared and resource mailboxes: what has owners, members and grants. */
#define DIR_HOLDER_MAILBOXES (DIR_HOLDER_SHARED | DIR_HOLDER_RESOURCE)
/* Anything a static list may have as a member. */
#define DIR_HOLDER_ANY                                                         \
	(DIR_HOLDER_PERSON | DIR_HOLDER_MAILBOXES | DIR_HOLDER_CONTACT |       \
		DIR_HOLDER_LIST)

/* Whatever holds an address, as far as a person needs to know. */
struct dir_object {
	struct store_ref ref;	/* PERSON, MAILBOX, CONTACT or LIST */
	enum dir_holder kind;
	const char *address;
	const char *display_name;
	int64_t org_id;
	int64_t mailbox_id;	/* people: their user mailbox */
	bool deleted;
};

/*
 * Parses address and finds its holder, deleted or not. ERROR_INVALID for a
 * malformed address, ERROR_NOT_FOUND when nothing ever held it.
 */
int dir_resolve(const struct dir_ctx *ctx, const char *address,
	struct dir_object *obj_r, struct error *err);
/*
 * The registry's row for address, with the same refusals as dir_resolve
 * but without reading its holder: for a caller that reads the holder
 * itself (dir_person_get: one read of the person, not two).
 */
int dir_address_holder(const struct dir_ctx *ctx, const char *address,
	struct store_address *held_r, struct error *err);
/*
 * -1 with what holds an address no person holds: "ADDRESS is a KIND, not
 * a person", or the registry's "nothing in the directory has" it.
 */
int dir_not_a_person(const struct dir_ctx *ctx, const char *address,
	struct error *err);

/*
 * Resolves and insists on a live object of one of `kinds`, a set of
 * enum dir_holder bits.
 */
int dir_resolve_live(const struct dir_ctx *ctx, const char *address,
	unsigned kinds, struct dir_object *obj_r, struct error *err);

/* A status in a sentence: "a leaver", "disabled", ... */
const char *dir_status_words(enum store_person_status status);

/* A mailbox's holder kind: a user mailbox's is its person. */
enum dir_holder dir_holder_of_mailbox(enum store_mailbox_kind kind);

/* "person", "shared", "resource", "contact", "list": a holder's name. */
const char *dir_holder_name(enum dir_holder kind);

/* "shared mailbox", "distribution list", ...: a holder as people say it. */
const char *dir_holder_noun(enum dir_holder kind);

/*
 * Reserves an address for holder forever; ERROR_EXISTS naming whoever
 * holds or held it when taken.
 */
int dir_claim_address(const struct dir_ctx *ctx, const char *address,
	struct store_ref holder, struct error *err);


/* The primary mail domain into buf, or ERROR_INVALID when none is set. */
int dir_primary_domain(const struct dir_ctx *ctx, char *buf, size_t size,
	struct error *err);

/*
 * The address for a new object: `address` validated and required to be in
 * a hosted domain, or, when NULL, made from `local` in the primary domain.
 * When that was ever held, a person (a different person with the same
 * name) gets the lowest free number appended; anything else is refused
 * with ERROR_EXISTS naming the holder, since a second shared mailbox or
 * list of the same name is a duplicate, not a namesake (SPEC D3).
 */
int dir_new_address(const struct dir_ctx *ctx, const char *address,
	const char *local, bool number_if_taken, struct dir_address *addr_r,
	struct error *err);

/*
 * Inserts the mailbox m (m->id set) with its standard folders (the Inbox
 * and the special-use ones), in the caller's transaction.
 */
int dir_mailbox_insert(const struct dir_ctx *ctx, struct store_mailbox *m,
	struct error *err);

int dir_org_by_ods(const struct dir_ctx *ctx, const char *ods,
	struct store_org *org_r, struct error *err);

/* For list calls: the id of the org named, or 0 (every org) for NULL. */
int dir_org_id_or_all(const struct dir_ctx *ctx, const char *org_ods,
	int64_t *org_id_r, struct error *err);

/*
 * The id of the site called name in the org: 0 for NULL or "";
 * ERROR_NOT_FOUND (field "site") when the org has no such site.
 */
/*
 * dir_person_add for a bulk import that validated the row in the same
 * transaction (dir_import.c): the org and site it found are used as they
 * are, and the sync ID is left to the table's unique key.
 */
struct dir_person_checked {
	const struct store_org *org;
	int64_t site_id;
};
int dir_person_add_checked(const struct dir_ctx *ctx,
	const struct dir_person_fields *in,
	const struct dir_person_checked *checked, struct store_person *p_r,
	struct error *err);

int dir_site_id_for(const struct dir_ctx *ctx, int64_t org_id,
	const char *name, int64_t *site_id_r, struct error *err);

/*
 * Length and content checks shared by every text field
 * (dir_check_text_lines), one line when max is at most 256.
 */
int dir_check_text(const char *field, const char *label, const char *value,
	size_t max, bool required, struct error *err);

/* A phone number: digits, spaces and + ( ) -, at least 3 digits. */
int dir_check_phone(const char *field, const char *phone, struct error *err);

/* ---- lists area ---- */

#define DIR_AUDIT_SETTING "setting"

/* Adds or removes one owner, inside the caller's transaction. */
int dir_owner_change_tx(const struct dir_ctx *ctx, const char *object_address,
	const char *person_address, bool adding, struct error *err);
/* Adds or removes one static list member, inside the caller's transaction. */
int dir_list_member_change_tx(const struct dir_ctx *ctx,
	const char *list_address, const char *member_address, bool adding,
	struct error *err);
/* ERROR_EXISTS (field change_freeze) while the change freeze is on. */
int dir_change_freeze_check(const struct dir_ctx *ctx, struct error *err);
/* Checks a rule's orgs, lists and roles; its canonical JSON in the arena. */
int dir_list_rule_check(const struct dir_ctx *ctx, const char *rule_json,
	const char **canonical_r, struct error *err);

/*
 * The checks a person's fields pass before an add (adding: names
 * required) or an edit; ERROR_INVALID naming the field. The bulk import
 * runs them over every row before it changes anything.
 */
int dir_person_fields_check(const struct dir_person_fields *f, bool adding,
	struct error *err);

#endif
