/*
 * The account lifecycle's reads and writes (store_lifecycle.h): a sweep
 * reads only the columns the rules need, by id in pages, so 1.6 M people
 * are read without building person records. Layer: store.
 */
#include "store/store_lifecycle.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

static void
row_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_lifecycle_row *r = out;
	r->id = store_col_int(st, s, 0);
	r->org_id = store_col_int(st, s, 1);
	r->mailbox_id = store_col_int(st, s, 2);
	r->status = store_person_status_from_text(store_col_text(st, s, 3, a));
	r->created_at = store_col_int(st, s, 4);
	r->last_signin_at = store_col_int(st, s, 5);
	r->password_changed_at = store_col_int(st, s, 6);
	r->status_changed_at = store_col_int(st, s, 7);
	r->deleted_at = store_col_int(st, s, 8);
	r->purged_at = store_col_int(st, s, 9);
	r->address = store_col_text(st, s, 10, a);
	r->display_name = store_col_text(st, s, 11, a);
}

int
store_lifecycle_rows(struct store *st, int64_t after_id, size_t limit,
	struct arena *a, struct store_lifecycle_row **rows_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT p.id, p.org_id, p.mailbox_id, p.status, p.created_at,"
		" COALESCE(p.last_signin_at, 0),"
		" COALESCE(p.password_changed_at, 0),"
		" COALESCE(p.status_changed_at, p.created_at),"
		" COALESCE(p.deleted_at, 0), COALESCE(p.purged_at, 0),"
		" m.address, p.display_name"
		" FROM people p JOIN mailboxes m ON m.id = p.mailbox_id"
		" WHERE p.id > ? AND p.purged_at IS NULL ORDER BY p.id LIMIT ?",
		"ii", after_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), row_read,
		(void **)rows_r, count_r, err);
}

int
store_lifecycle_set(struct store *st, int64_t person_id,
	enum store_person_status status, int64_t status_changed_at,
	int64_t deleted_at, int64_t purged_at, int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET status = ?, status_changed_at = ?,"
		" deleted_at = COALESCE(?, deleted_at),"
		" purged_at = COALESCE(?, purged_at), updated_at = ?"
		" WHERE id = ?",
		"tizzii", store_person_status_text(status), status_changed_at, deleted_at,
		purged_at, now, person_id);
	if (n < 0)
		return -1;
	if (n != 1)
		return error_set(err, ERROR_NOT_FOUND, "there is no such person");
	/*
	 * Keys are kept for live people only: a search by keys reads no
	 * person row before it has its page (store_search.c), so a deleted
	 * person's keys would show them.
	 */
	return deleted_at != 0 ? store_search_forget(st, person_id, err) : 0;
}

int
store_mailbox_purge(struct store *st, int64_t mailbox_id, int64_t now,
	int64_t *messages_r, struct error *err)
{
	/* The bodies first named, so the unreferenced can be found after. */
	if (store_exec(st, err, "INSERT INTO body_unref (body_id)"
		    " SELECT DISTINCT m.body_id FROM messages m JOIN folders f"
		    " ON f.id = m.folder_id WHERE f.mailbox_id = ?"
		    " ON CONFLICT (body_id) DO NOTHING", "i", mailbox_id) < 0)
		return -1;
	int64_t n = store_exec(st, err, "DELETE FROM messages WHERE folder_id"
		" IN (SELECT id FROM folders WHERE mailbox_id = ?)",
		"i", mailbox_id);
	int64_t forgotten = 0;
	if (n < 0 || store_bodies_forget(st, now, -1, &forgotten, err) < 0 ||
	    store_exec(st, err, "DELETE FROM mailbox_usage"
		    " WHERE mailbox_id = ?", "i", mailbox_id) < 0)
		return -1;
	*messages_r = n;
	return 0;
}

int
store_notice_mark(struct store *st, int64_t person_id, const char *kind,
	int64_t due_at, int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO lifecycle_notices (person_id, kind, due_at,"
		" sent_at) VALUES (?, ?, ?, ?)"
		" ON CONFLICT (person_id, kind, due_at) DO NOTHING",
		"itii", person_id, kind, due_at, now);
	return n < 0 ? -1 : n > 0 ? 1 : 0;
}

bool
store_notice_sent(struct store *st, int64_t person_id, const char *kind,
	int64_t due_at)
{
	struct error err;
	struct store_stmt *s = store_query(st, &err,
		"SELECT 1 FROM lifecycle_notices WHERE person_id = ? AND"
		" kind = ? AND due_at = ?", "iti", person_id, kind, due_at);
	if (s == NULL)
		return false;
	bool found = store_step(st, s, &err) == 1;
	store_finish(st, s);
	return found;
}

int
store_lease_take(struct store *st, const char *name, const char *holder,
	int64_t now, int64_t until, int64_t not_since, struct error *err)
{
	/*
	 * One statement: two nodes racing cannot both see it free, and the
	 * run record (last_run_at) is read in the same step, so of two
	 * nodes whose timers fire in one period only the first runs.
	 */
	int64_t n = store_exec(st, err,
		"INSERT INTO job_leases (name, holder, until) VALUES (?, ?, ?)"
		" ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
		" until = excluded.until"
		" WHERE (job_leases.until <= ?"
		" OR job_leases.holder = excluded.holder)"
		" AND (? = 0 OR COALESCE(job_leases.last_run_at, 0) < ?)",
		"ttiiii", name, holder, until, now, not_since, not_since);
	return n < 0 ? -1 : n > 0 ? 1 : 0;
}

int
store_lease_release(struct store *st, const char *name, const char *holder,
	int64_t now, bool finished, struct error *err)
{
	/* A failed run leaves the record as it was: the next timer retries. */
	return store_exec(st, err, "UPDATE job_leases SET until = 0,"
		       " last_run_at = CASE WHEN ? = 1 THEN ? ELSE last_run_at END"
		       " WHERE name = ? AND holder = ?",
		       "iitt", (int64_t)finished, now, name, holder) < 0 ? -1 : 0;
}
