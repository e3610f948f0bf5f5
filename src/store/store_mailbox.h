/*
 * Mailboxes (user, shared, resource) and outside contacts, one at a time
 * and a page at a time.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_MAILBOX_H
#define STORE_STORE_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

int store_mailbox_insert(struct store *st, struct store_mailbox *m,
	struct error *err);
int store_mailbox_update(struct store *st, const struct store_mailbox *m,
	struct error *err);
/*
 * Links a user mailbox to the person made after it (the person row
 * references the mailbox): only that column, so the mailbox's indexes
 * are not rewritten (bench B6).
 */
int store_mailbox_set_person(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err);
int store_mailbox_get(struct store *st, int64_t id, struct arena *a,
	struct store_mailbox *m_r, struct error *err);
int store_mailbox_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_mailbox *m_r, struct error *err);

/* Mailboxes of a kind (NULL for any) in an org (0 for any), not deleted. */
int store_mailbox_list(struct store *st, int64_t org_id,
	const enum store_mailbox_kind *kind, struct arena *a,
	struct store_mailbox **m_r, size_t *count_r, struct error *err);

/* The live mailboxes of a kind that the person owns, by address. */
int store_mailbox_owned(struct store *st, int64_t person_id,
	enum store_mailbox_kind kind, struct arena *a,
	struct store_mailbox **m_r, size_t *count_r, struct error *err);

int store_contact_insert(struct store *st, struct store_contact *c,
	struct error *err);
int store_contact_update(struct store *st, const struct store_contact *c,
	struct error *err);
int store_contact_get(struct store *st, int64_t id, struct arena *a,
	struct store_contact *c_r, struct error *err);
int store_contact_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_contact *c_r, struct error *err);
int store_contact_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_contact **c_r, size_t *count_r, struct error *err);

/* Live mailboxes of a kind (NULL any) in an org (0 any), by id, after after_id. */
int store_mailbox_page(struct store *st, const int64_t *org_ids,
	size_t org_count, const enum store_mailbox_kind *kind,
	int64_t after_id, size_t limit,
	struct arena *a, struct store_mailbox **m_r, size_t *count_r,
	struct error *err);

/*
 * Live contacts of the orgs (org_ids NULL: any) whose name or address
 * holds q, whatever its case (q NULL or "": every one), by id, after
 * after_id.
 */
int store_contact_page(struct store *st, const int64_t *org_ids,
	size_t org_count, const char *q, int64_t after_id, size_t limit,
	struct arena *a, struct store_contact **c_r, size_t *count_r,
	struct error *err);

#endif
