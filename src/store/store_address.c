/*
 * The address registry. Every address ever given to a person, mailbox,
 * contact or list has a row here, and a trigger forbids deleting rows: an
 * address is never reused (SPEC D3, seed 004). Layer: store.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

int
store_address_reserve(struct store *st, const char *address,
	struct store_ref holder, int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO addresses (address, holder_kind, holder_id,"
		" assigned_at) VALUES (?, ?, ?, ?)",
		"ttii", address,
		store_kind_name(holder.kind), holder.id, now);
	return n < 0 ? -1 : 0;
}

static bool
kind_parse(const char *name, enum store_kind *kind_r)
{
	for (enum store_kind k = STORE_KIND_PERSON; k <= STORE_KIND_ORG; k++) {
		if (strcmp(name, store_kind_name(k)) == 0) {
			*kind_r = k;
			return true;
		}
	}
	return false;
}

static void
address_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_address *r = out;
	r->address = store_col_text(st, s, 0, a);
	if (!kind_parse(store_col_text(st, s, 1, a), &r->holder.kind))
		r->holder.kind = STORE_KIND_MAILBOX;
	r->holder.id = store_col_int(st, s, 2);
	r->assigned_at = store_col_int(st, s, 3);
}

int
store_address_get(struct store *st, const char *address, struct arena *a,
	struct store_address *addr_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT address, holder_kind, holder_id, assigned_at"
		" FROM addresses WHERE address = ?", "t", address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, address_read, addr_r,
		"record of that address", err);
}
