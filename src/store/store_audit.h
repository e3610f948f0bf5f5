/*
 * The append-only audit log and its hash chain (SECURITY.md 49).
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_AUDIT_H
#define STORE_STORE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/*
 * Appends row, chained to the newest row, in the caller's transaction (or
 * one of its own), and sets row->id. The newest row is read and the new
 * one written under the same write lock, so rows appended at once from
 * many connections still form one chain. key is STORE_AUDIT_KEY_BYTES.
 */
int store_audit_append(struct store *st, struct store_audit *row,
	const unsigned char *key, struct error *err);

/*
 * Checks the chain in id order and names the first row that is broken:
 * without a hash, with a hash that does not match its contents, not
 * following the row before it (a row removed or slipped in), or not
 * starting the chain. from NULL checks every row; otherwise only from->id
 * and the rows after it, and from->id must still be there with
 * from->hash (an earlier check's last row). anchor, if not NULL, names a
 * row that must still be there with that hash: a chain cut short at the
 * end is whole by itself, so only a row remembered outside the database
 * shows rows were removed from the end. One read of the table (one
 * snapshot); -1 only when the store cannot be read.
 */
int store_audit_verify(struct store *st, const unsigned char *key,
	const struct store_audit_mark *from,
	const struct store_audit_mark *anchor, struct store_audit_check *r,
	struct error *err);

/*
 * Chains the rows written before the audit chain existed (they have no
 * hash), as they are now, in one transaction; *sealed_r counts them.
 * Only rows older than the first chained row are touched, so a hash wiped
 * from a chained row is never replaced. For the instance to call once,
 * when it first makes its audit key.
 */
int store_audit_seal(struct store *st, const unsigned char *key,
	int64_t *sealed_r, struct error *err);

/* Rows matching the filter, newest first. */
int store_audit_list(struct store *st, const struct store_audit_filter *f,
	struct arena *a, struct store_audit **rows_r, size_t *count_r,
	struct error *err);

/*
 * Audit rows as store_audit_list, restricted to rows of the orgs given
 * (rows with no org are outside every set); org_ids NULL: no restriction.
 */
int store_audit_search(struct store *st, const struct store_audit_filter *f,
	const int64_t *org_ids, size_t org_count, struct arena *a,
	struct store_audit **rows_r, size_t *count_r, struct error *err);

#endif
