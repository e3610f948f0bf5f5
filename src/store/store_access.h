/*
 * Who holds what: owners of mailboxes and lists, members of shared
 * mailboxes, grants on mailboxes, and roles.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_ACCESS_H
#define STORE_STORE_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* Owners of a mailbox or list (object.kind is MAILBOX or LIST). */
int store_owner_add(struct store *st, struct store_ref object,
	int64_t person_id, struct error *err);
int store_owner_remove(struct store *st, struct store_ref object,
	int64_t person_id, struct error *err);
int store_owners(struct store *st, struct store_ref object, struct arena *a,
	int64_t **person_ids_r, size_t *count_r, struct error *err);

int store_mailbox_member_add(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err);
int store_mailbox_member_remove(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err);
int store_mailbox_members(struct store *st, int64_t mailbox_id,
	struct arena *a, int64_t **person_ids_r, size_t *count_r,
	struct error *err);

int store_grant_add(struct store *st, const struct store_grant *g,
	struct error *err);
int store_grant_remove(struct store *st, const struct store_grant *g,
	struct error *err);

/* Grants on a mailbox (person_id 0) or held by a person (mailbox_id 0). */
int store_grant_list(struct store *st, int64_t mailbox_id, int64_t person_id,
	struct arena *a, struct store_grant **grants_r, size_t *count_r,
	struct error *err);

int store_role_add(struct store *st, const struct store_role *r,
	struct error *err);
int store_role_remove(struct store *st, const struct store_role *r,
	struct error *err);

/* Every role a person holds; removes them all with remove_all. */
int store_role_list(struct store *st, int64_t person_id, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err);

/* Roles held for an org (every person), or every role when org_id is 0. */
int store_role_list_for_org(struct store *st, int64_t org_id, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err);
/* Every holding of one role ("global_admin"), by person. */
int store_role_list_by_role(struct store *st, const char *role,
	struct arena *a, struct store_role **roles_r, size_t *count_r,
	struct error *err);
int store_role_remove_all(struct store *st, int64_t person_id,
	struct error *err);

#endif
