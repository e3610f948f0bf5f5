/*
 * What a person holds on objects other than their own mailbox: ownership
 * of mailboxes and lists, membership of shared mailboxes and static lists,
 * and mailbox grants. Read when a person joins another organisation, so
 * the admin sees what they still hold there (seed 004). Layer: store.
 */
#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

static void
holding_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_holding *h = out;
	h->relation = store_col_text(st, s, 0, a);
	h->object_kind = store_col_text(st, s, 1, a);
	h->object_id = store_col_int(st, s, 2);
	h->org_id = store_col_int(st, s, 3);
	h->address = store_col_text(st, s, 4, a);
	h->org_ods = store_col_text(st, s, 5, a);
}

int
store_person_holdings(struct store *st, int64_t person_id, int64_t mailbox_id,
	struct arena *a, struct store_holding **holdings_r, size_t *count_r,
	struct error *err)
{
	/*
	 * The org's ODS code is joined once over the whole union, so a
	 * record with many holdings costs one statement.
	 */
	struct store_stmt *s = store_query(st, err,
		"SELECT h.relation, h.kind, h.id, h.org_id, h.address, o.ods"
		" FROM (" STORE_HOLDINGS("?", "?") ") AS h"
		" JOIN orgs o ON o.id = h.org_id"
		" ORDER BY h.address, h.relation",
		"iiiii", person_id, person_id, person_id, mailbox_id, person_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**holdings_r), holding_read,
		(void **)holdings_r, count_r, err);
}
