/*
 * The recipient set of one delivery or list preview: mailboxes by id and
 * outside addresses, gathered in temporary tables of the connection, in
 * numbered scopes, so a list of any size is expanded and delivered inside
 * the database without its members being held in memory (SPEC P6, M6;
 * seed 002: lists over ~21,000 recipients timed out). Layer: store.
 * The tables are the connection's own (TEMP): nothing another connection
 * sees, nothing written to the database file. Their DDL is the backend's
 * (store_ops.session_tables); the statements here are plain SQL.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "store/store_internal.h"

#define MIB 1048576

/*
 * Rows deleted from the sets before the backend is asked whether they
 * keep space to give back (store_ops.sets_reclaim): about 7 MB of rows
 * and keys, so a delivery to a few people asks nothing (a round trip on
 * every delivery otherwise), and a list of 100,000 asks at the next one.
 */
#define SETS_RECLAIM_ROWS 100000

/* A delivery to a large list: its page cache, in KiB (store_deliver_set). */
#define DELIVERY_CACHE_KIB (256 * 1024)

int
store_set_begin(struct store *st, struct error *err)
{
	if (store_set_drop(st, -1, err) < 0)
		return -1;
	if (st->ops->sets_reclaim == NULL ||
	    st->sets_deleted < SETS_RECLAIM_ROWS)
		return 0;
	int rc = st->ops->sets_reclaim(st->conn, err);
	if (rc == 1)
		st->sets_deleted = 0;
	return rc < 0 ? -1 : 0;
}

int
store_set_drop(struct store *st, int64_t scope, struct error *err)
{
	int64_t ids = store_exec(st, err,
		"DELETE FROM expansion WHERE ? < 0 OR scope = ?", "ii",
		scope, scope);
	int64_t addresses = ids < 0 ? -1 : store_exec(st, err,
		"DELETE FROM expansion_remote WHERE ? < 0 OR scope = ?",
		"ii", scope, scope);
	if (addresses < 0)
		return -1;
	st->sets_deleted += ids + addresses;
	return 0;
}

int
store_set_add_mailbox(struct store *st, int64_t scope, int64_t mailbox_id,
	struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO expansion (scope, mailbox_id)"
		" VALUES (?, ?) ON CONFLICT DO NOTHING", "ii", scope,
		mailbox_id) < 0 ? -1 : 0;
}

int
store_set_add_remote(struct store *st, int64_t scope, const char *address,
	const char *notify, const char *orcpt, struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO expansion_remote (scope, address, notify, orcpt)"
		" VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", "ittt", scope,
		address, notify, orcpt) < 0 ? -1 : 0;
}

int
store_set_add_static(struct store *st, int64_t scope, int64_t list_id,
	struct error *err)
{
	if (store_exec(st, err, STORE_SET_ADD(
		    "SELECT m.id FROM list_members lm"
		    " JOIN mailboxes m ON m.id = lm.member_id"
		    " WHERE lm.list_id = ? AND lm.member_kind = 'mailbox'"
		    " AND m.deleted_at IS NULL"), "ii", scope, list_id) < 0)
		return -1;
	return store_set_add_static_contacts(st, scope, list_id, err);
}

int
store_set_add_static_contacts(struct store *st, int64_t scope,
	int64_t list_id, struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO expansion_remote (scope, address)"
		" SELECT ?, c.address FROM list_members lm"
		" JOIN contacts c ON c.id = lm.member_id"
		" WHERE lm.list_id = ? AND lm.member_kind = 'contact'"
		" AND c.deleted_at IS NULL"
		" ON CONFLICT DO NOTHING", "ii", scope, list_id) < 0 ? -1 : 0;
}

static void
id_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	*(int64_t *)out = store_col_int(st, s, 0);
}

int
store_set_nested_lists(struct store *st, int64_t list_id, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT member_id FROM list_members WHERE list_id = ?"
		" AND member_kind = 'list' ORDER BY member_id", "i", list_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**ids_r), id_read,
		(void **)ids_r, count_r, err);
}

int
store_set_merge(struct store *st, int64_t into, int64_t from, int64_t except,
	struct error *err)
{
	if (store_exec(st, err,
		    "INSERT INTO expansion (scope, mailbox_id)"
		    " SELECT ?, mailbox_id FROM expansion e WHERE scope = ?"
		    " AND NOT EXISTS (SELECT 1 FROM expansion x"
		    "  WHERE x.scope = ? AND x.mailbox_id = e.mailbox_id)"
		    " ON CONFLICT DO NOTHING",
		    "iii", into, from, except) < 0)
		return -1;
	return store_exec(st, err,
		"INSERT INTO expansion_remote (scope, address)"
		" SELECT ?, address FROM expansion_remote e WHERE scope = ?"
		" AND NOT EXISTS (SELECT 1 FROM expansion_remote x"
		"  WHERE x.scope = ? AND x.address = e.address)"
		" ON CONFLICT DO NOTHING",
		"iii", into, from, except) < 0 ? -1 : 0;
}

int
store_set_count(struct store *st, int64_t scope, int64_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT (SELECT COUNT(*) FROM expansion WHERE scope = ?) +"
		" (SELECT COUNT(*) FROM expansion_remote WHERE scope = ?)",
		"ii", scope, scope);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*count_r = store_col_int(st, s, 0);
	else if (rc == 0)
		rc = error_set(err, ERROR_INTERNAL, "COUNT returned no row");
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

static void
text_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	*(const char **)out = store_col_text(st, s, 0, a);
}

int
store_set_addresses(struct store *st, int64_t scope, struct arena *a,
	const char ***addresses_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT m.address FROM expansion e"
		" JOIN mailboxes m ON m.id = e.mailbox_id WHERE e.scope = ?"
		" UNION SELECT address FROM expansion_remote"
		" WHERE scope = ? ORDER BY 1", "ii", scope, scope);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**addresses_r), text_read,
		(void **)addresses_r, count_r, err);
}

int
store_set_remote_addresses(struct store *st, int64_t scope, struct arena *a,
	const char ***addresses_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT address FROM expansion_remote WHERE scope = ?"
		" ORDER BY 1", "i", scope);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**addresses_r), text_read,
		(void **)addresses_r, count_r, err);
}

int
store_set_remove_remote(struct store *st, int64_t scope, const char *address,
	struct error *err)
{
	return store_exec(st, err,
		"DELETE FROM expansion_remote WHERE scope = ? AND address = ?",
		"it", scope, address) < 0 ? -1 : 0;
}

int
store_set_sample(struct store *st, int64_t scope, struct arena *a,
	struct store_recipient **sample_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT m.address, m.display_name FROM expansion e"
		" JOIN mailboxes m ON m.id = e.mailbox_id WHERE e.scope = ?"
		" UNION SELECT address, '' FROM expansion_remote"
		" WHERE scope = ? ORDER BY 1 LIMIT " STORE_SAMPLE_MAX_TEXT,
		"ii", scope, scope);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**sample_r),
		store_recipient_read, (void **)sample_r, count_r, err);
}

int
store_set_drop_full(struct store *st, int64_t scope, int64_t except,
	int64_t size, int64_t *dropped_r, struct error *err)
{
	int64_t n = store_exec(st, err,
		"DELETE FROM expansion WHERE scope = ? AND mailbox_id IN"
		" (SELECT e.mailbox_id FROM expansion e"
		"  JOIN mailboxes m ON m.id = e.mailbox_id"
		"  LEFT JOIN mailbox_usage u ON u.mailbox_id = m.id"
		"  WHERE e.scope = ?"
		"  AND COALESCE(u.used_bytes, 0) + ? > m.quota_mb * ?"
		"  AND NOT EXISTS (SELECT 1 FROM expansion x"
		"   WHERE x.scope = ? AND x.mailbox_id = e.mailbox_id))",
		"iiiii", scope, scope, size, (int64_t)MIB, except);
	if (n < 0)
		return -1;
	*dropped_r = n;
	return 0;
}

/*
 * A mailbox of the set that has no Inbox, for the error: every mailbox is
 * made with one (and migration 17 gave the older ones theirs), so this
 * reads only when the delivery is already failing.
 */
static int
missing_inbox(struct store *st, int64_t scope, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT m.address FROM expansion e"
		" JOIN mailboxes m ON m.id = e.mailbox_id WHERE e.scope = ?"
		" AND NOT EXISTS (SELECT 1 FROM folders f"
		"  WHERE f.mailbox_id = e.mailbox_id AND f.special_use = 'inbox')"
		" LIMIT 1", "i", scope);
	if (s == NULL)
		return -1;
	struct arena *a = arena_new(4096);
	int rc = store_step(st, s, err);
	const char *address = rc == 1 ? store_col_text(st, s, 0, a) : "?";
	store_finish(st, s);
	if (rc >= 0)
		error_set(err, ERROR_TEMPORARY,
			"the mailbox %s has no Inbox; the message was not "
			"delivered to anyone and can be sent again once it is "
			"repaired", address);
	arena_free(&a);
	return -1;
}

/*
 * The folder of mailbox e.mailbox_id that a delivery goes to: the one
 * with the special use bound first and second (Junk E-mail for mail the
 * policy junks), else the Inbox, for a mailbox made before it had that
 * folder. The Inbox is looked for by its name first: that is one probe of
 * the (mailbox_id, name) key, where looking by special use reads every
 * folder of the mailbox (B2: a quarter of the time a 100,000-member list
 * took at 1.6 M people); by special use only if it is not found so.
 * The name alone decides: the folder called INBOX is the one IMAP and
 * POP3 open as the Inbox (mail_folder.c, pop3_maildrop.c); it cannot be
 * deleted, and no other folder can be made or renamed to its name. So
 * the key answers without the folder's row (B2: 0.22-0.56 s of lookups
 * became 0.07 s, by hand, bench/RESULTS.md 2026-12-07 21:55). The first
 * lookup is skipped outright when the use is the Inbox.
 */
#define DELIVERY_FOLDER \
	"COALESCE((SELECT MIN(j.id) FROM folders j" \
	"  WHERE CAST(? AS TEXT) <> 'inbox' AND j.mailbox_id = e.mailbox_id" \
	"  AND j.special_use = ?)," \
	" (SELECT x.id FROM folders x WHERE x.mailbox_id = e.mailbox_id" \
	"  AND x.name = 'INBOX')," \
	" (SELECT MIN(i.id) FROM folders i" \
	"  WHERE i.mailbox_id = e.mailbox_id AND i.special_use = 'inbox'))"

/* The folders of the set's mailboxes that a delivery goes to, once each. */
#define DELIVERY_TARGET                                                      \
	"WITH target AS MATERIALIZED (SELECT " DELIVERY_FOLDER              \
	" AS folder_id FROM expansion e WHERE e.scope = ?)"
#define DELIVERY_INSERT                                                      \
	" INSERT INTO messages (folder_id, uid, body_id, size, internal_date)"
/* Each copy with its folder's next UID; the trigger counts them. */
#define DELIVERY_PLAIN                                                       \
	DELIVERY_TARGET DELIVERY_INSERT " SELECT folder_id, "                \
	STORE_FOLDER_UIDNEXT("target.folder_id")                             \
	", ?, ?, ? FROM target WHERE folder_id IS NOT NULL"
/* Each counts row moved on by one, its copy given the UID it held. */
#define DELIVERY_COUNTED                                                     \
	DELIVERY_TARGET ", counted AS (INSERT INTO folder_counts AS c"       \
	" (folder_id, messages, unseen, changes, uidnext)"                   \
	" SELECT folder_id, 1, 1, 1, 2 FROM target"                          \
	" WHERE folder_id IS NOT NULL ORDER BY folder_id"                    \
	" ON CONFLICT (folder_id) DO UPDATE"                                 \
	" SET messages = c.messages + 1, unseen = c.unseen + 1,"             \
	" changes = c.changes + 1, uidnext = c.uidnext + 1"                  \
	" RETURNING c.folder_id, c.uidnext - 1 AS uid)"                      \
	DELIVERY_INSERT " SELECT folder_id, uid, ?, ?, ? FROM counted"

/*
 * The copies of one delivery: a message row in the folder of each
 * mailbox of the set that has one, with that folder's next UID; how many,
 * -1 with err. The folders are found first, once each (MATERIALIZED:
 * neither engine may copy the lookup into each place its result is
 * named), and not looked up again by id (B2 on PostgreSQL: 0.4 s of
 * 100,000 copies).
 *
 * Each copy takes its folder's next UID from the folder's counts row,
 * and the counting trigger moves it on and counts the copy as the row
 * goes in (migration 45): no folder row is written (B2: 100,000 of them,
 * on as many pages). To a list on PostgreSQL (store_ops
 * .counts_in_statement), the statement counts its copies itself: each
 * counts row is moved on by one and gives the UID it held, and the
 * trigger, told so (caremail.counted), leaves them (migration 49). Each
 * row is visited once, where the trigger found it again after the UID
 * was read; and the copies go in by folder, so the counts rows and the
 * messages' (folder, UID) key are each walked in key order (B2's insert
 * by hand: 3.0-3.8 s, now 2.2-2.6 s; bench/RESULTS.md 2026-12-08 01:15).
 * A new message is unseen (its flags are 0). A delivery with no list
 * among its recipients (a few copies) keeps the plain statement: the two
 * round trips that turn the setting on and off would cost it more than
 * the visits they save. Should the statement fail, the rollback that
 * follows undoes the setting with it.
 */
static int64_t
put_copies(struct store *st, int64_t scope, const struct store_delivery *d,
	struct error *err)
{
	const char *use = d->special_use != NULL ? d->special_use : "inbox";
	bool counted = d->many && st->ops->counts_in_statement;
	if (counted && store_exec(st, err, "SELECT set_config("
			       "'caremail.counted', 'on', true)", "") < 0)
		return -1;
	int64_t n = store_exec(st, err,
		counted ? DELIVERY_COUNTED : DELIVERY_PLAIN, "ttiiii", use, use,
		scope, d->body_id, d->size, d->internal_date);
	if (n < 0 || (counted && store_exec(st, err, "SELECT set_config("
				      "'caremail.counted', 'off', true)",
				      "") < 0))
		return -1;
	return n;
}

/*
 * One message row in the Inbox of each mailbox in the set (made with the
 * mailbox) with that Inbox's next UID, the size charged to each mailbox,
 * and a queue row for each outside address: a fixed number of statements
 * whatever the size of the set. The rows given messages and the mailboxes
 * charged are counted apart, so a mailbox without an Inbox fails the
 * delivery instead of being charged for nothing.
 */
int
store_deliver_set(struct store *st, int64_t scope,
	const struct store_delivery *d, int64_t *delivered_r,
	struct error *err)
{
	if (store_begin(st, err) < 0)
		return -1;
	/*
	 * A list's members: each copy changes a message index page, its
	 * Inbox's counts row and its mailbox's usage row, all at random: a
	 * list of 100,000 changes ~23,000 pages (90 MiB), nearly every page
	 * of each. SQLite's page cache (2 MB) would write most of them to the
	 * log before the commit and read them back from it at the next
	 * change; the cache holds them until the commit. B2's insert took
	 * 3.8 s with 2 MB, 2.2 s with the bulk cache's 64 MiB, 1.6 s with 128
	 * or 256 (bench/RESULTS.md, 2026-12-07 19:12); 256 leaves room for a
	 * list of several hundred thousand.
	 */
	if (d->many) {
		store_bulk(st, true);
		store_bulk_cache(st, DELIVERY_CACHE_KIB);
	}
	int64_t charged = -1;
	int64_t delivered = put_copies(st, scope, d, err);
	if (delivered >= 0)
		charged = store_exec(st, err,
			STORE_USAGE_CHARGE("SELECT mailbox_id, ? FROM expansion"
				" WHERE scope = ?"),
			"ii", d->size, scope);
	if (charged >= 0 && charged != delivered) {
		missing_inbox(st, scope, err);
		charged = -1;
	}
	int64_t queued = charged < 0 ? -1 : store_exec(st, err,
		"INSERT INTO queue (body_id, sender, recipient,"
		" created_at, next_attempt_at, ret, envid, notify, orcpt)"
		" SELECT ?, ?, address, ?, ?, ?, ?, notify, orcpt FROM"
		" expansion_remote WHERE scope = ?",
		"itiitti", d->body_id, d->sender, d->internal_date,
		d->internal_date, d->ret != NULL ? d->ret : "",
		d->envid != NULL ? d->envid : "", scope);
	/*
	 * A body given to nobody (every recipient gone from the set) is
	 * looked at by the next bodies sweep, so it is not kept for ever.
	 */
	if (queued < 0 || (delivered == 0 && queued == 0 &&
			      store_exec(st, err, "INSERT INTO body_unref"
				      " (body_id) VALUES (?) ON CONFLICT"
				      " (body_id) DO NOTHING", "i",
				      d->body_id) < 0)) {
		store_rollback(st);
		if (d->many)
			store_bulk(st, false);
		return -1;
	}
	*delivered_r = delivered;
	int rc = store_commit(st, err);
	if (d->many)
		store_bulk(st, false);
	return rc;
}
