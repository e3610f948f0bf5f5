/*
 * The inactive shared mailboxes' reads and writes (store_shared.h).
 * Layer: store.
 */
#include "store/store_shared.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define SHARED_COLUMNS \
	"m.id, m.org_id, m.address, m.display_name, m.created_at," \
	" m.last_used_at, COALESCE(n.noticed_at, 0)," \
	" COALESCE(n.delete_at, 0), COALESCE(n.warned_lead, 0)" \
	" FROM mailboxes m LEFT JOIN shared_notices n ON n.mailbox_id = m.id"

static void
row_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_shared_row *r = out;
	r->id = store_col_int(st, s, 0);
	r->org_id = store_col_int(st, s, 1);
	r->address = store_col_text(st, s, 2, a);
	r->display_name = store_col_text(st, s, 3, a);
	r->created_at = store_col_int(st, s, 4);
	r->last_used_at = store_col_int(st, s, 5);
	r->noticed_at = store_col_int(st, s, 6);
	r->delete_at = store_col_int(st, s, 7);
	r->warned_lead = (int)store_col_int(st, s, 8);
}

int
store_shared_rows(struct store *st, int64_t after_id, size_t limit,
	struct arena *a, struct store_shared_row **rows_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " SHARED_COLUMNS
		" WHERE m.kind = 'shared' AND m.deleted_at IS NULL AND m.id > ?"
		" ORDER BY m.id LIMIT ?", "ii", after_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), row_read,
		(void **)rows_r, count_r, err);
}

int
store_shared_row_get(struct store *st, int64_t mailbox_id, struct arena *a,
	struct store_shared_row *row_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " SHARED_COLUMNS " WHERE m.id = ? AND m.kind = 'shared'",
		"i", mailbox_id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, row_read, row_r, "shared mailbox",
		err);
}

int
store_shared_used(struct store *st, int64_t mailbox_id, int64_t at,
	int64_t stale_before, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE mailboxes SET last_used_at = ? WHERE id = ?"
		" AND kind = 'shared' AND last_used_at < ?",
		"iii", at, mailbox_id, stale_before);
	return n < 0 ? -1 : n > 0 ? 1 : 0;
}

int
store_shared_notice_set(struct store *st, int64_t mailbox_id,
	int64_t noticed_at, int64_t delete_at, int warned_lead, int64_t now,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO shared_notices (mailbox_id, noticed_at, delete_at,"
		" warned_lead, sent_at) VALUES (?, ?, ?, ?, ?)"
		" ON CONFLICT (mailbox_id) DO UPDATE SET"
		" noticed_at = excluded.noticed_at,"
		" delete_at = excluded.delete_at,"
		" warned_lead = excluded.warned_lead, sent_at = excluded.sent_at",
		"iiiii", mailbox_id, noticed_at, delete_at, (int64_t)warned_lead,
		now);
	return n < 0 ? -1 : 0;
}

int
store_shared_notice_clear(struct store *st, int64_t mailbox_id,
	struct error *err)
{
	return store_exec(st, err, "DELETE FROM shared_notices WHERE"
		" mailbox_id = ?", "i", mailbox_id) < 0 ? -1 : 0;
}

int
store_shared_tokens_expire(struct store *st, int64_t now, struct error *err)
{
	return store_exec(st, err, "DELETE FROM shared_confirm_tokens WHERE"
		" expires_at <= ?", "i", now) < 0 ? -1 : 0;
}

int
store_shared_token_add(struct store *st, const char *token_hash,
	int64_t mailbox_id, int64_t expires_at, int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO shared_confirm_tokens (token_hash, mailbox_id,"
		" expires_at, created_at) VALUES (?, ?, ?, ?)",
		"tiii", token_hash, mailbox_id, expires_at, now);
	return n < 0 ? -1 : 0;
}

int
store_shared_token_find(struct store *st, const char *token_hash,
	int64_t now, int64_t *mailbox_id_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT mailbox_id FROM shared_confirm_tokens WHERE"
		" token_hash = ? AND expires_at > ?", "ti", token_hash, now);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*mailbox_id_r = store_col_int(st, s, 0);
	store_finish(st, s);
	if (rc < 0)
		return -1;
	return rc == 1 ? 0 : error_set(err, ERROR_NOT_FOUND, "This link is "
		"not valid: it may have expired, or been copied incompletely.");
}
