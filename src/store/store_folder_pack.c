/*
 * Folder summary packs (migration 37): a large folder's header summaries
 * (subject, From, To, Cc, Bcc, with UIDs, sizes and internal dates) kept
 * in a few rows, one part a row, so a cold SEARCH SUBJECT of 50,000
 * messages reads the pages of one part lying together rather than
 * ~2,300 pages scattered over the file (B3, docs/design.md "A folder's
 * summaries, packed"). The bytes are mail_summary.c's; this file only
 * reads and writes the rows. Layer: store. RFC 3501 §6.4.4.
 */
#include "store/store_folder.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"

static int
pack_compare(const void *x, const void *y)
{
	const struct store_summary_pack *a = x, *b = y;
	if (a->first_uid != b->first_uid)
		return a->first_uid < b->first_uid ? -1 : 1;
	return (a->part > b->part) - (a->part < b->part);
}

/*
 * By first UID and part, sorted here rather than by ORDER BY: SQLite's
 * sorter would copy every part's bytes twice more (B3: megabytes a
 * search, most of its time in fresh pages).
 */
static int
read_packs(struct store *st, int64_t folder_id, int64_t uidvalidity,
	unsigned parts, struct arena *a, struct store_summary_pack **packs_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT part, first_uid, last_uid, data"
		" FROM folder_summary_packs"
		" WHERE folder_id = ? AND uidvalidity = ?"
		" AND ((CAST(? AS BIGINT) >> CAST(part AS INTEGER)) & 1) = 1",
		"iii", folder_id, uidvalidity, (int64_t)parts);
	if (s == NULL)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = store_step(st, s, err)) == 1) {
		struct store_summary_pack *p = arena_array_push(a,
			(void **)packs_r, count_r, &cap, sizeof(*p));
		if (p == NULL) {
			rc = error_set(err, ERROR_LIMIT,
				"too many summary packs to read");
			break;
		}
		p->part = store_col_int(st, s, 0);
		p->first_uid = store_col_int(st, s, 1);
		p->last_uid = store_col_int(st, s, 2);
		p->data = store_col_blob_copy(st, s, 3, a, &p->size);
	}
	rc = store_rows_done(st, s, rc == 0 ? 0 : -1, err);
	if (rc == 0 && *count_r > 1)
		qsort(*packs_r, *count_r, sizeof(**packs_r), pack_compare);
	return rc;
}

int
store_folder_packs_get(struct store *st, int64_t folder_id,
	int64_t uidvalidity, unsigned parts, struct arena *a,
	struct store_summary_pack **packs_r, size_t *count_r,
	struct error *err)
{
	*packs_r = NULL;
	*count_r = 0;
	/*
	 * A pack's pages are read together and cold: through SQLite's map
	 * each first touch would read megabytes around it (read-ahead), as
	 * for a stored view (store_folder_view_get).
	 */
	store_unmapped(st, true);
	int rc = read_packs(st, folder_id, uidvalidity, parts, a, packs_r,
		count_r, err);
	store_unmapped(st, false);
	return rc;
}

/* A run smaller than this is written where it falls. */
#define FILL_MIN_BYTES (64u << 10)
/* Free pages past this many bytes (and four times the run) are left. */
#define FILL_MAX_BYTES (32u << 20)
/* The filler's part: read by no search, deleted in the same transaction. */
#define FILLER_PART (-1)

/*
 * On SQLite a large value takes the file's free pages first, each the
 * one nearest the last: a pack written into the holes other writes left
 * lay in ~45 runs over 30 MB in B3 (a cold read of its subjects 60-200
 * ms), against 14-55 ms for the same bytes written at the end of the
 * file. So before a large run, a filler row as large as the free pages
 * takes them, the run's parts go to the end of the file, in order, and
 * the filler is deleted after them (its pages free again, for the next
 * writes). Not when the free pages are many: the filler's bytes are
 * written too.
 */
static int
fill_free_pages(struct store *st, int64_t folder_id,
	const struct store_summary_pack *parts, size_t count,
	struct error *err)
{
	size_t total = 0;
	for (size_t i = 0; i < count; i++)
		total += parts[i].size;
	if (st->ops->free_bytes == NULL || total < FILL_MIN_BYTES)
		return 0;
	struct store_stmt *s = store_query(st, err, st->ops->free_bytes, "");
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	int64_t free_bytes = rc == 1 ? store_col_int(st, s, 0) : 0;
	if (store_rows_done(st, s, rc == 1 ? 0 : -1, err) < 0)
		return -1;
	if (free_bytes <= 0 || (uint64_t)free_bytes > FILL_MAX_BYTES ||
		(uint64_t)free_bytes > 4 * (uint64_t)total)
		return 0;
	/* A little more than the free pages: none is left between parts. */
	size_t size = (size_t)free_bytes + 8192;
	void *zeros = xcalloc(1, size);
	int64_t put = store_exec(st, err,
		"INSERT INTO folder_summary_packs (folder_id, part,"
		" first_uid, last_uid, uidvalidity, data)"
		" VALUES (?, ?, 0, 0, 0, ?)",
		"iib", folder_id, (int64_t)FILLER_PART, zeros, size);
	free(zeros);
	return put < 0 ? -1 : 0;
}

/*
 * Updating the counter row to itself locks it (PostgreSQL) until the
 * commit, so a second session's run waits and then sees this one; on
 * SQLite the writer is alone anyway. 0 when there is no row: no messages.
 */
static int64_t
hold_folder(struct store *st, int64_t folder_id, struct error *err)
{
	return store_exec(st, err,
		"UPDATE folder_counts SET changes = changes WHERE folder_id = ?",
		"i", folder_id);
}

/* The parts, after the free pages (fill_free_pages), in order. */
static int
insert_parts(struct store *st, int64_t folder_id, int64_t uidvalidity,
	const struct store_summary_pack *parts, size_t count,
	struct error *err)
{
	if (fill_free_pages(st, folder_id, parts, count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const struct store_summary_pack *p = &parts[i];
		if (store_exec(st, err,
			    "INSERT INTO folder_summary_packs (folder_id, part,"
			    " first_uid, last_uid, uidvalidity, data)"
			    " VALUES (?, ?, ?, ?, ?, ?)",
			    "iiiiib", folder_id, p->part, p->first_uid,
			    p->last_uid, uidvalidity, p->data, p->size) < 0)
			return -1;
	}
	return store_exec(st, err,
		       "DELETE FROM folder_summary_packs"
		       " WHERE folder_id = ? AND part = ?",
		       "ii", folder_id, (int64_t)FILLER_PART) < 0 ? -1 : 0;
}

int
store_folder_packs_put(struct store *st, int64_t folder_id,
	int64_t uidvalidity, bool replace,
	const struct store_summary_pack *parts, size_t count, bool *stored_r,
	struct error *err)
{
	*stored_r = false;
	if (count == 0)
		return 0;
	int64_t held = hold_folder(st, folder_id, err);
	if (held <= 0)
		return held < 0 ? -1 : 0;
	if (replace) {
		if (store_exec(st, err,
			    "DELETE FROM folder_summary_packs"
			    " WHERE folder_id = ?", "i", folder_id) < 0)
			return -1;
	} else {
		int64_t in_the_way = store_one_int(st, store_query(st, err,
			"SELECT COUNT(*) FROM folder_summary_packs"
			" WHERE folder_id = ? AND (uidvalidity <> ?"
			" OR last_uid >= ?)",
			"iii", folder_id, uidvalidity, parts[0].first_uid), err);
		if (in_the_way != 0)
			return in_the_way < 0 ? -1 : 0;
	}
	if (insert_parts(st, folder_id, uidvalidity, parts, count, err) < 0)
		return -1;
	*stored_r = true;
	return 0;
}

int
store_folder_pack_part_put(struct store *st, int64_t folder_id,
	int64_t uidvalidity, const struct store_summary_pack *run,
	const struct store_summary_pack *part, bool *stored_r,
	struct error *err)
{
	*stored_r = false;
	int64_t held = hold_folder(st, folder_id, err);
	if (held <= 0)
		return held < 0 ? -1 : 0;
	/*
	 * The run as the caller read it, its UIDs byte for byte: the part's
	 * entries are in their order. Another session may have replaced it.
	 */
	int64_t runs = store_one_int(st, store_query(st, err,
		"SELECT COUNT(*) FROM folder_summary_packs"
		" WHERE folder_id = ? AND part = 0 AND first_uid = ?"
		" AND last_uid = ? AND uidvalidity = ? AND data = ?",
		"iiiib", folder_id, run->first_uid, run->last_uid,
		uidvalidity, run->data, run->size), err);
	if (runs != 1)
		return runs < 0 ? -1 : 0;
	/* The old part's pages are free before the new one is placed. */
	if (store_exec(st, err,
		    "DELETE FROM folder_summary_packs"
		    " WHERE folder_id = ? AND part = ? AND first_uid = ?",
		    "iii", folder_id, part->part, part->first_uid) < 0 ||
	    insert_parts(st, folder_id, uidvalidity, part, 1, err) < 0)
		return -1;
	*stored_r = true;
	return 0;
}
