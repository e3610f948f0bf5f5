/*
 * The text index of message bodies (store_text.h, PERFORMANCE.md B3): the
 * pending list, putting a body's texts, and the two reads a search makes.
 * Layer: store. The index itself is each backend's own (store_ops: an
 * FTS5 table with the trigram tokenizer in SQLite, pg_trgm GIN indexes in
 * PostgreSQL), so the statements that touch it are the driver's; the
 * pending list is a plain table both spell alike.
 */
#include "store/store_text.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

/* Characters, not bytes: the index is of runs of three characters. */
#define TEXT_INDEX_CHARS 3

/*
 * How many bodies holding a word the index may give a search per message
 * of the folder before the folder's messages are checked instead: about
 * what checking one message's texts (4 KB of folded text, B3's average)
 * costs against reading one index row and joining it to its messages, so
 * neither order costs much more than the other at the switch (measured:
 * bench/RESULTS.md, 2026-12-05). The cap keeps the first read of a huge
 * folder's search within memory.
 */
#define TEXT_INDEX_ROWS_PER_MESSAGE 8
#define TEXT_INDEX_BUDGET_MAX 1000000

static void
pending_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_text_pending *p = out;
	p->body_id = store_col_int(st, s, 0);
	p->hash = store_col_text(st, s, 1, a);
	p->size = store_col_int(st, s, 2);
	p->header_size = store_col_int(st, s, 3);
}

int
store_text_pending_page(struct store *st, int64_t after_id, int64_t limit,
	struct arena *a, struct store_text_pending **rows_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT p.body_id, b.hash, b.size, b.header_size"
		" FROM body_text_pending p JOIN bodies b ON b.id = p.body_id"
		" WHERE p.body_id > ? ORDER BY p.body_id LIMIT ?", "ii",
		after_id, limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), pending_read,
		(void **)rows_r, count_r, err);
}

int
store_text_pending_count(struct store *st, int64_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT count(*) FROM body_text_pending", "");
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*count_r = store_col_int(st, s, 0);
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

int
store_text_put(struct store *st, int64_t body_id, const char *hash,
	const char *header, const char *body, bool *put_r, struct error *err)
{
	*put_r = false;
	/*
	 * The pending row is the claim: it goes only while the body is the
	 * one read (a body forgotten takes its pending row with it, and an id
	 * SQLite gives again comes with other bytes).
	 */
	int64_t n = store_exec(st, err, "DELETE FROM body_text_pending"
		" WHERE body_id = ? AND EXISTS (SELECT 1 FROM bodies"
		" WHERE id = ? AND hash = ?)", "iit", body_id, body_id, hash);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	*put_r = true;
	if (header[0] == '\0' && body[0] == '\0')
		return 0;
	return store_exec(st, err, st->ops->text_put, "itt", body_id, header,
		       body) < 0 ? -1 : 0;
}

bool
store_text_indexable(const char *folded_word)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)folded_word;
		*p != '\0'; p++) {
		if ((*p & 0xC0) != 0x80)
			chars++;
	}
	return chars >= TEXT_INDEX_CHARS;
}

static void
uid_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	*(int64_t *)out = store_col_int(st, s, 0);
}

/*
 * The index first (store_text_find): its rows for the word, up to
 * TEXT_INDEX_ROWS_PER_MESSAGE per message of the range, counted and, when
 * no more, joined to the range's messages: their UIDs. More: only
 * cost->folder_first set, for the caller to read the folder first.
 */
static int
index_first(struct store *st, int64_t folder_id, int64_t first_uid,
	int64_t last_uid, const char *pattern, bool body_only,
	int64_t messages, struct arena *a, int64_t **uids_r, size_t *count_r,
	struct store_text_cost *cost, struct error *err)
{
	int64_t budget = messages > TEXT_INDEX_BUDGET_MAX /
			TEXT_INDEX_ROWS_PER_MESSAGE ?
		TEXT_INDEX_BUDGET_MAX : messages * TEXT_INDEX_ROWS_PER_MESSAGE;
	struct store_stmt *s = store_query(st, err, body_only ?
		st->ops->text_find_body : st->ops->text_find_text, "iiiti",
		folder_id, first_uid, last_uid, pattern, budget + 1);
	if (s == NULL)
		return -1;
	/* First the count, then the UIDs (the statement's order). */
	size_t capacity = 0;
	int rc;
	while ((rc = store_step(st, s, err)) == 1) {
		if (store_col_int(st, s, 0) == 0) {
			cost->index_rows = store_col_int(st, s, 1);
			if (cost->index_rows > budget)
				break;
			continue;
		}
		int64_t *uid = arena_array_push(a, (void **)uids_r, count_r,
			&capacity, sizeof(*uid));
		if (uid == NULL) {
			rc = error_set(err, ERROR_LIMIT, "the search's answer"
				" outgrew its memory arena");
			break;
		}
		*uid = store_col_int(st, s, 1);
	}
	cost->folder_first = cost->index_rows > budget;
	return store_rows_done(st, s, rc < 0 ? -1 : 0, err);
}

int
store_text_find(struct store *st, int64_t folder_id, int64_t first_uid,
	int64_t last_uid, const char *folded_word, bool body_only,
	struct arena *a, int64_t **uids_r, size_t *count_r,
	struct store_text_cost *cost_r, struct error *err)
{
	*uids_r = NULL;
	*count_r = 0;
	struct store_text_cost cost = { 0 };
	if (cost_r != NULL)
		*cost_r = cost;
	if (!store_text_indexable(folded_word))
		return error_set(err, ERROR_INTERNAL, "a word too short for"
			" the text index was looked up in it");
	char *pattern = st->ops->text_pattern(folded_word, a);
	if (pattern == NULL)
		return error_set(err, ERROR_LIMIT, "the search word outgrew"
			" its memory arena");
	/*
	 * The index is the whole store's: a common word is in millions of
	 * bodies, nearly all of them other mailboxes'. So the index is read
	 * first only up to a few of its rows per message of the range; past
	 * them that answer is dropped and the range's own messages are
	 * checked one by one instead. Either way the work is bounded by the
	 * folder's size, and the answer is the same (the same substring test
	 * on the same texts, joined in the other order).
	 */
	int64_t messages = 0;
	struct store_stmt *s = store_query(st, err, "SELECT count(*)"
		" FROM messages WHERE folder_id = ? AND uid >= ? AND uid <= ?",
		"iii", folder_id, first_uid, last_uid);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		messages = store_col_int(st, s, 0);
	if (store_rows_done(st, s, rc == 1 ? 0 : -1, err) < 0)
		return -1;
	if (messages == 0)
		return 0;
	if (messages > st->ops->text_scan_below) {
		if (index_first(st, folder_id, first_uid, last_uid, pattern,
			    body_only, messages, a, uids_r, count_r, &cost,
			    err) < 0)
			return -1;
		if (cost_r != NULL)
			*cost_r = cost;
		if (!cost.folder_first)
			return 0;
		*uids_r = NULL;
		*count_r = 0;
	}
	cost.folder_first = true;
	cost.folder_rows = messages;
	if (cost_r != NULL)
		*cost_r = cost;
	s = store_query(st, err, body_only ? st->ops->text_scan_body :
		st->ops->text_scan_text, "iiit", folder_id, first_uid,
		last_uid, folded_word);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**uids_r), uid_read,
		(void **)uids_r, count_r, err);
}

int
store_text_unindexed(struct store *st, int64_t folder_id, int64_t first_uid,
	int64_t last_uid, struct arena *a, int64_t **uids_r, size_t *count_r,
	struct error *err)
{
	/*
	 * From the pending list, which is short once the index has caught up:
	 * each pending body's copies by messages_body, not each message of a
	 * large folder looked up (the '+' keeps SQLite off the folder's UID
	 * index for the inner lookup).
	 */
	struct store_stmt *s = store_query(st, err,
		"SELECT m.uid FROM body_text_pending p CROSS JOIN messages m"
		" WHERE m.body_id = p.body_id AND +m.folder_id = ?"
		" AND +m.uid >= ? AND +m.uid <= ? ORDER BY m.uid", "iii",
		folder_id, first_uid, last_uid);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**uids_r), uid_read,
		(void **)uids_r, count_r, err);
}
