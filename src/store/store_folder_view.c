/*
 * Stored folder views (migration 32): one row per large folder with its
 * UIDs, flags and keyword lists packed by mail_view.c, and the notes the
 * counting triggers leave of every message changed since, so opening a
 * folder of 50,000 messages reads one row and the few changed since
 * rather than 50,000 (B3, docs/design.md). Layer: store. RFC 3501 §2.3.1.
 */
#include "store/store_folder.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

static int
read_view(struct store *st, int64_t folder_id, struct arena *a,
	struct store_folder_view *v_r, struct error *err)
{
	/*
	 * One statement, so one snapshot on either backend: a view replaced
	 * between two reads would drop the notes the older one needs.
	 */
	struct store_stmt *s = store_query(st, err,
		"SELECT 0, v.changes, v.data, 0, 0, ''"
		" FROM folder_views v WHERE v.folder_id = ?"
		" UNION ALL"
		" SELECT 1, d.uid, NULL,"
		" CASE WHEN m.uid IS NULL THEN 0 ELSE 1 END,"
		" COALESCE(m.flags, 0), COALESCE(m.keywords, '')"
		" FROM folder_views v JOIN view_changes d"
		" ON d.folder_id = v.folder_id AND d.changes > v.changes"
		" LEFT JOIN messages m ON m.folder_id = d.folder_id"
		" AND m.uid = d.uid"
		" WHERE v.folder_id = ?"
		" ORDER BY 1, 2",
		"ii", folder_id, folder_id);
	if (s == NULL)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = store_step(st, s, err)) == 1) {
		if (store_col_int(st, s, 0) == 0) {
			v_r->found = true;
			v_r->changes = store_col_int(st, s, 1);
			v_r->data = store_col_blob_copy(st, s, 2, a,
				&v_r->size);
			continue;
		}
		struct store_view_change *c = arena_array_push(a,
			(void **)&v_r->changed, &v_r->changed_count, &cap,
			sizeof(*c));
		if (c == NULL) {
			rc = error_set(err, ERROR_LIMIT,
				"too many changes to read");
			break;
		}
		c->uid = store_col_int(st, s, 1);
		c->present = store_col_int(st, s, 3) != 0;
		c->flags = (unsigned)store_col_int(st, s, 4);
		c->keywords = store_col_text(st, s, 5, a);
	}
	if (rc == 0 && v_r->found && v_r->data == NULL)
		rc = error_set(err, ERROR_LIMIT, "the stored view is too big");
	return store_rows_done(st, s, rc == 0 ? 0 : -1, err);
}

int
store_folder_view_get(struct store *st, int64_t folder_id, struct arena *a,
	struct store_folder_view *v_r, struct error *err)
{
	memset(v_r, 0, sizeof(*v_r));
	/*
	 * A stored view's pages are read together and, after a restart,
	 * cold: through SQLite's map, the first fault would read megabytes
	 * around them (read-ahead), which was most of a cold SELECT of
	 * 50,000 messages (9 ms against 2.5; B3 note in bench/RESULTS.md).
	 */
	store_unmapped(st, true);
	int rc = read_view(st, folder_id, a, v_r, err);
	store_unmapped(st, false);
	return rc;
}

int
store_folder_view_put(struct store *st, int64_t folder_id, int64_t changes,
	const void *data, size_t size, bool *stored_r, struct error *err)
{
	*stored_r = false;
	/*
	 * Updating the counter row to itself locks it (PostgreSQL) until the
	 * commit: a change made meanwhile waits for it, and its note then
	 * sees the view row; a change made before shows as a moved counter.
	 * On SQLite the writer is alone anyway.
	 */
	int64_t held = store_exec(st, err,
		"UPDATE folder_counts SET changes = changes"
		" WHERE folder_id = ? AND changes = ?",
		"ii", folder_id, changes);
	if (held < 0)
		return -1;
	if (held == 0)
		return 0;
	/*
	 * A newer view stored meanwhile by another session stays; one of the
	 * same moment is the same view, written again (in a newer format).
	 */
	if (store_exec(st, err,
		    "INSERT INTO folder_views (folder_id, changes, data)"
		    " VALUES (?, ?, ?) ON CONFLICT (folder_id) DO UPDATE"
		    " SET changes = excluded.changes, data = excluded.data"
		    " WHERE folder_views.changes <= excluded.changes",
		    "iib", folder_id, changes, data, size) < 0 ||
		store_exec(st, err,
			"DELETE FROM view_changes"
			" WHERE folder_id = ? AND changes <= ?",
			"ii", folder_id, changes) < 0)
		return -1;
	*stored_r = true;
	return 0;
}

int
store_folder_view_changes_since(struct store *st, int64_t folder_id,
	int64_t since, struct arena *a, struct store_view_change **changes_r,
	size_t *count_r, bool *covered_r, struct error *err)
{
	*changes_r = NULL;
	*count_r = 0;
	*covered_r = false;
	/*
	 * One statement, as read_view: the stored view's counter and the
	 * notes past `since` are of one moment, so a view stored again
	 * meanwhile (dropping the notes it covers) shows as not covering.
	 */
	struct store_stmt *s = store_query(st, err,
		"SELECT 0, v.changes, 0, 0, ''"
		" FROM folder_views v WHERE v.folder_id = ?"
		" UNION ALL"
		" SELECT 1, d.uid,"
		" CASE WHEN m.uid IS NULL THEN 0 ELSE 1 END,"
		" COALESCE(m.flags, 0), COALESCE(m.keywords, '')"
		" FROM view_changes d LEFT JOIN messages m"
		" ON m.folder_id = d.folder_id AND m.uid = d.uid"
		" WHERE d.folder_id = ? AND d.changes > ?"
		" ORDER BY 1, 2",
		"iii", folder_id, folder_id, since);
	if (s == NULL)
		return -1;
	size_t cap = 0;
	bool found = false;
	int64_t stored = 0;
	int rc;
	while ((rc = store_step(st, s, err)) == 1) {
		if (store_col_int(st, s, 0) == 0) {
			found = true;
			stored = store_col_int(st, s, 1);
			continue;
		}
		struct store_view_change *c = arena_array_push(a,
			(void **)changes_r, count_r, &cap, sizeof(*c));
		if (c == NULL) {
			rc = error_set(err, ERROR_LIMIT,
				"too many changes to read");
			break;
		}
		c->uid = store_col_int(st, s, 1);
		c->present = store_col_int(st, s, 2) != 0;
		c->flags = (unsigned)store_col_int(st, s, 3);
		c->keywords = store_col_text(st, s, 4, a);
	}
	*covered_r = rc == 0 && found && stored <= since;
	return store_rows_done(st, s, rc == 0 ? 0 : -1, err);
}
