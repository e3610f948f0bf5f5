/*
 * Folders and the messages in them as a mail client works on them: folder
 * rename, delete and subscription, paged message reads by UID, flag
 * updates, copies and expunges (RFC 3501, RFC 4315). Layer: store. Every
 * statement is bound, never concatenated.
 */
#include "store/store_folder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"

int
store_folder_by_id(struct store *st, int64_t folder_id, struct arena *a,
	struct store_folder *f_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " FOLDER_COLUMNS " FROM folders WHERE id = ?",
		"i", folder_id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, store_folder_read, f_r, "folder", err);
}

int64_t
store_folder_take_uids(struct store *st, int64_t folder_id, int64_t count,
	struct error *err)
{
	return store_insert_id(st, err,
		"INSERT INTO folder_counts (folder_id, uidnext) VALUES (?, 1 + ?)"
		" ON CONFLICT (folder_id) DO UPDATE"
		" SET uidnext = folder_counts.uidnext + excluded.uidnext - 1"
		" RETURNING uidnext - ?", "iii", folder_id, count, count);
}

int
store_folder_uidvalidity_next(struct store *st, int64_t mailbox_id, int64_t now,
	int64_t *uidvalidity_r, struct error *err)
{
	return store_folder_uidvalidity_reserve(st, mailbox_id, now, 1,
		uidvalidity_r, err);
}

int
store_folder_uidvalidity_reserve(struct store *st, int64_t mailbox_id,
	int64_t now, int64_t count, int64_t *first_r, struct error *err)
{
	/*
	 * The mailbox's counter never goes back, so a deleted folder's value
	 * is never handed out again; live folders count too, for those made
	 * before the counter was kept.
	 */
	struct store_stmt *s = store_query(st, err,
		"SELECT GREATEST(uidvalidity_last, COALESCE((SELECT"
		" MAX(uidvalidity)"
		" FROM folders WHERE mailbox_id = ?), 0))"
		" FROM mailboxes WHERE id = ?",
		"ii", mailbox_id, mailbox_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	int64_t last = rc == 1 ? store_col_int(st, s, 0) : 0;
	if (store_rows_done(st, s, rc == 1 ? 0 : -1, err) < 0) {
		if (rc == 0)
			error_set(err, ERROR_NOT_FOUND, "the mailbox has gone");
		return -1;
	}
	int64_t next = now > last ? now : last + 1;
	/* As `count` calls of one: the first, then one more each. */
	if (store_exec(st, err,
		    "UPDATE mailboxes SET uidvalidity_last = ? WHERE id = ?",
		    "ii", next + count - 1, mailbox_id) < 0)
		return -1;
	*first_r = next;
	return 0;
}

/* Folders written by one INSERT: a new mailbox's standard five. */
#define FOLDER_ROW "(?, ?, ?, ?, ?, ?)"
#define FOLDER_INSERT                                                   \
	"INSERT INTO folders (mailbox_id, name, special_use, uidvalidity," \
	" subscribed, created_at) VALUES "
static const char *const folder_insert[] = {
	NULL,
	FOLDER_INSERT FOLDER_ROW,
	FOLDER_INSERT FOLDER_ROW "," FOLDER_ROW,
	FOLDER_INSERT FOLDER_ROW "," FOLDER_ROW "," FOLDER_ROW,
	FOLDER_INSERT FOLDER_ROW "," FOLDER_ROW "," FOLDER_ROW "," FOLDER_ROW,
	FOLDER_INSERT FOLDER_ROW "," FOLDER_ROW "," FOLDER_ROW "," FOLDER_ROW
		"," FOLDER_ROW,
};
#define FOLDER_INSERT_MAX (sizeof(folder_insert) / sizeof(*folder_insert) - 1)

int
store_folder_create_many(struct store *st, const struct store_folder *f,
	size_t count, struct error *err)
{
	for (size_t done = 0; done < count;) {
		size_t n = count - done < FOLDER_INSERT_MAX ? count - done :
			FOLDER_INSERT_MAX;
		struct store_stmt *s = store_prepare(st, folder_insert[n], err);
		if (s == NULL)
			return -1;
		for (size_t i = 0; i < n; i++) {
			const struct store_folder *r = &f[done + i];
			int at = (int)(6 * i);
			store_bind_int(st, s, at + 1, r->mailbox_id);
			store_bind_text(st, s, at + 2, r->name);
			store_bind_text(st, s, at + 3, r->special_use);
			store_bind_int(st, s, at + 4, r->uidvalidity);
			store_bind_int(st, s, at + 5, (int64_t)r->subscribed);
			store_bind_int(st, s, at + 6, r->created_at);
		}
		int rc = store_step(st, s, err);
		store_finish(st, s);
		if (rc < 0)
			return -1;
		done += n;
	}
	return 0;
}

int
store_folder_rename(struct store *st, int64_t mailbox_id, const char *from,
	const char *to, char delimiter, struct error *err)
{
	/* Names are ASCII (modified UTF-7), so substr counts bytes. */
	size_t from_len = strlen(from);
	char prefix[1024];
	if (snprintf(prefix, sizeof(prefix), "%s%c", from, delimiter) >=
		(int)sizeof(prefix))
		return error_set(err, ERROR_INVALID, "the name is too long");
	int64_t changed = store_exec(st, err,
		"UPDATE folders SET name = ? || substr(name, ?)"
		" WHERE mailbox_id = ?"
		" AND (name = ? OR substr(name, 1, ?) = ?)",
		"tiitit", to, (int64_t)from_len + 1, mailbox_id, from,
		(int64_t)from_len + 1, prefix);
	if (changed < 0)
		return -1;
	if (changed == 0)
		return error_set(err, ERROR_NOT_FOUND,
			"there is no folder called %s", from);
	return 0;
}

int
store_folder_delete(struct store *st, int64_t folder_id, struct error *err)
{
	/* RFC 3501 §2.3.1.1: its UIDVALIDITY is never used again. */
	if (store_exec(st, err,
		    "UPDATE mailboxes SET uidvalidity_last ="
		    " GREATEST(uidvalidity_last, COALESCE((SELECT uidvalidity"
		    " FROM folders WHERE id = ?), 0))"
		    " WHERE id = (SELECT mailbox_id FROM folders WHERE id = ?)",
		    "ii", folder_id, folder_id) < 0 ||
		store_exec(st, err,
		    STORE_USAGE_RETURN("(SELECT COALESCE(SUM(size), 0)"
			" FROM messages WHERE folder_id = ?)", "?"),
		    "ii", folder_id, folder_id) < 0 ||
		store_exec(st, err, "INSERT INTO body_unref (body_id)"
		    " SELECT DISTINCT body_id FROM messages WHERE folder_id = ?"
		    " ON CONFLICT (body_id) DO NOTHING", "i", folder_id) < 0 ||
		/* First, so its messages' deletes leave no notes (migration 32). */
		store_exec(st, err, "DELETE FROM folder_views WHERE folder_id = ?",
			"i", folder_id) < 0 ||
		store_exec(st, err, "DELETE FROM messages WHERE folder_id = ?",
			"i", folder_id) < 0)
		return -1;
	int64_t deleted = store_exec(st, err,
		"DELETE FROM folders WHERE id = ?", "i", folder_id);
	if (deleted < 0)
		return -1;
	if (deleted == 0)
		return error_set(err, ERROR_NOT_FOUND, "the folder has gone");
	return 0;
}

int
store_folder_subscribe(struct store *st, int64_t folder_id, bool subscribed,
	struct error *err)
{
	int64_t changed = store_exec(st, err,
		"UPDATE folders SET subscribed = ? WHERE id = ?", "ii",
		(int64_t)subscribed, folder_id);
	if (changed < 0)
		return -1;
	if (changed == 0)
		return error_set(err, ERROR_NOT_FOUND, "the folder has gone");
	return 0;
}

/* A status row: messages, unseen, recent, changes. */
static int
read_status(struct store *st, struct store_stmt *s,
	struct store_folder_status *c_r, struct error *err)
{
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1) {
		c_r->messages = store_col_int(st, s, 0);
		c_r->unseen = store_col_int(st, s, 1);
		c_r->recent = store_col_int(st, s, 2);
		c_r->changes = store_col_int(st, s, 3);
	}
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

/*
 * The counts come from the folder's folder_counts row, kept by triggers
 * (migration 31); \Recent is a range of the (folder_id, uid) key past
 * recent_uid: each a seek, however many messages the folder holds.
 */
int
store_folder_counts(struct store *st, int64_t folder_id,
	struct store_folder_status *c_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT COALESCE((SELECT messages FROM folder_counts"
		"  WHERE folder_id = ?), 0),"
		" COALESCE((SELECT unseen FROM folder_counts"
		"  WHERE folder_id = ?), 0),"
		" (SELECT COUNT(*) FROM messages WHERE folder_id = ?"
		"  AND uid >= (SELECT recent_uid FROM folders WHERE id = ?)),"
		" COALESCE((SELECT changes FROM folder_counts"
		"  WHERE folder_id = ?), 0)",
		"iiiii", folder_id, folder_id, folder_id, folder_id, folder_id);
	return read_status(st, s, c_r, err);
}

int
store_folder_recount(struct store *st, int64_t folder_id,
	struct store_folder_status *c_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT COUNT(*),"
		" COALESCE(SUM(CASE WHEN (flags & ?) = 0 THEN 1 ELSE 0 END), 0),"
		" COALESCE(SUM(CASE WHEN uid >= (SELECT recent_uid FROM folders"
		"  WHERE id = ?) THEN 1 ELSE 0 END), 0)"
		", 0 FROM messages WHERE folder_id = ?",
		"iii", (int64_t)STORE_FLAG_SEEN, folder_id, folder_id);
	return read_status(st, s, c_r, err);
}

int
store_folder_changes(struct store *st, int64_t folder_id, int64_t *changes_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " STORE_FOLDER_CHANGES("?"), "i", folder_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*changes_r = store_col_int(st, s, 0);
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

static void
uid_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	*(int64_t *)out = store_col_int(st, s, 0);
}

int
store_folder_uids(struct store *st, int64_t folder_id, struct arena *a,
	int64_t **uids_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid",
		"i", folder_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**uids_r), uid_read,
		(void **)uids_r, count_r, err);
}

int
store_folder_open_state(struct store *st, int64_t folder_id,
	int64_t *changes_r, int64_t *recent_first_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " STORE_FOLDER_CHANGES("f.id") ", f.recent_uid"
		" FROM folders f WHERE f.id = ?", "i", folder_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1) {
		*changes_r = store_col_int(st, s, 0);
		*recent_first_r = store_col_int(st, s, 1);
	}
	if (store_rows_done(st, s, rc == 1 ? 0 : -1, err) < 0) {
		if (rc == 0)
			error_set(err, ERROR_NOT_FOUND, "the folder has gone");
		return -1;
	}
	return 0;
}

int
store_folder_recent_first(struct store *st, int64_t folder_id, int64_t *first_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT recent_uid FROM folders WHERE id = ?", "i", folder_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*first_r = store_col_int(st, s, 0);
	if (store_rows_done(st, s, rc == 1 ? 0 : -1, err) < 0) {
		if (rc == 0)
			error_set(err, ERROR_NOT_FOUND, "the folder has gone");
		return -1;
	}
	return 0;
}

int
store_folder_recent_claim(struct store *st, int64_t folder_id, int64_t upto,
	int64_t *first_r, struct error *err)
{
	int64_t first;
	if (store_folder_recent_first(st, folder_id, &first, err) < 0)
		return -1;
	if (first >= upto) {
		*first_r = upto;
		return 0;
	}
	if (store_exec(st, err, "UPDATE folders SET recent_uid = ? WHERE id = ?",
		    "ii", upto, folder_id) < 0)
		return -1;
	*first_r = first;
	return 0;
}

static void
flag_row_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_message_flag_row *r = out;
	r->uid = store_col_int(st, s, 0);
	r->flags = (unsigned)store_col_int(st, s, 1);
	r->keywords = store_col_text(st, s, 2, a);
}

int
store_message_flag_rows(struct store *st, int64_t folder_id, int64_t after_uid,
	size_t limit, struct arena *a, struct store_message_flag_row **rows_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT uid, flags, keywords FROM messages"
		" WHERE folder_id = ? AND uid > ? ORDER BY uid LIMIT ?",
		"iii", folder_id, after_uid, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), flag_row_read,
		(void **)rows_r, count_r, err);
}

/*
 * The columns of a message's own row, in this order; the sets that need
 * the body's summary join it (one row per body, however many copies).
 * The search set reads it from body_summaries (migration 35), whose short
 * rows hold nothing else, so a cold search reads no page of the
 * messages' bytes; the whole set reads the bodies' row, which it needs
 * for the envelope and structure, and its copy of the same columns.
 */
#define BRIEF_COLUMNS                                                          \
	"m.id, m.folder_id, m.uid, m.body_id, m.size, m.internal_date,"       \
	" m.flags, m.keywords"
#define SUMMARY_COLUMNS(t)                                                     \
	", " t ".sent_date, " t ".header_size, " t ".subject, " t ".from_addr," \
	" " t ".to_addr, " t ".cc_addr, " t ".bcc_addr, " t ".message_id"

static void
brief_read(struct store *st, struct store_stmt *s, struct arena *a,
	struct store_message *m)
{
	m->id = store_col_int(st, s, 0);
	m->folder_id = store_col_int(st, s, 1);
	m->uid = store_col_int(st, s, 2);
	m->body_id = store_col_int(st, s, 3);
	m->size = store_col_int(st, s, 4);
	m->internal_date = store_col_int(st, s, 5);
	m->flags = (unsigned)store_col_int(st, s, 6);
	m->keywords = store_col_text(st, s, 7, a);
	m->meta.sent_date = 0;
	m->meta.header_size = 0;
	m->meta.envelope = m->meta.bodystructure = m->meta.body = "";
	m->meta.subject = m->meta.from = m->meta.to = "";
	m->meta.cc = m->meta.bcc = m->meta.message_id = "";
}

static void
flags_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	brief_read(st, s, a, out);
}

static void
search_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_message *m = out;
	brief_read(st, s, a, m);
	m->meta.sent_date = store_col_int(st, s, 8);
	m->meta.header_size = store_col_int(st, s, 9);
	m->meta.subject = store_col_text(st, s, 10, a);
	m->meta.from = store_col_text(st, s, 11, a);
	m->meta.to = store_col_text(st, s, 12, a);
	m->meta.cc = store_col_text(st, s, 13, a);
	m->meta.bcc = store_col_text(st, s, 14, a);
	m->meta.message_id = store_col_text(st, s, 15, a);
}

static void
envelope_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_message *m = out;
	search_read(st, s, a, m);
	m->meta.envelope = store_col_text(st, s, 16, a);
}

static void
all_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_message *m = out;
	envelope_read(st, s, a, m);
	m->meta.bodystructure = store_col_text(st, s, 17, a);
	m->meta.body = store_col_text(st, s, 18, a);
}

int
store_folder_messages(struct store *st, int64_t folder_id, int64_t first_uid,
	int64_t last_uid, size_t limit, enum store_message_columns columns,
	struct arena *a, struct store_message **messages_r, size_t *count_r,
	struct error *err)
{
	static const char flags_sql[] =
		"SELECT " BRIEF_COLUMNS
		" FROM messages m WHERE m.folder_id = ? AND m.uid BETWEEN ? AND ?"
		" ORDER BY m.uid LIMIT ?";
	static const char search_sql[] =
		"SELECT " BRIEF_COLUMNS SUMMARY_COLUMNS("s")
		" FROM messages m JOIN body_summaries s ON s.body_id = m.body_id"
		" WHERE m.folder_id = ? AND m.uid BETWEEN ? AND ?"
		" ORDER BY m.uid LIMIT ?";
	static const char envelope_sql[] =
		"SELECT " BRIEF_COLUMNS SUMMARY_COLUMNS("b") ", b.envelope"
		" FROM messages m JOIN bodies b ON b.id = m.body_id"
		" WHERE m.folder_id = ? AND m.uid BETWEEN ? AND ?"
		" ORDER BY m.uid LIMIT ?";
	static const char all_sql[] =
		"SELECT " BRIEF_COLUMNS SUMMARY_COLUMNS("b")
		", b.envelope, b.bodystructure, b.body"
		" FROM messages m JOIN bodies b ON b.id = m.body_id"
		" WHERE m.folder_id = ? AND m.uid BETWEEN ? AND ?"
		" ORDER BY m.uid LIMIT ?";
	static const struct {
		const char *sql;
		void (*read_row)(struct store *, struct store_stmt *,
			struct arena *, void *);
	} sets[] = {
		[STORE_MESSAGE_COLUMNS_FLAGS] = { flags_sql, flags_read },
		[STORE_MESSAGE_COLUMNS_SEARCH] = { search_sql, search_read },
		[STORE_MESSAGE_COLUMNS_ENVELOPE] = { envelope_sql,
			envelope_read },
		[STORE_MESSAGE_COLUMNS_ALL] = { all_sql, all_read },
	};
	const char *sql = sets[columns].sql;
	void (*read_row)(struct store *, struct store_stmt *, struct arena *,
		void *) = sets[columns].read_row;
	/*
	 * The search set's pages (the folder's message rows and their
	 * summaries) are a few in every hundred of the file, among the
	 * bodies' pages: through SQLite's map, each first touch of one read
	 * the disk's read-ahead around it (8 MiB on the benchmark machine),
	 * 309 MB for a cold search of 50,000 messages; read through the
	 * file, 18 MB (B3, docs/design.md). Warm, it costs ~1 ms in 30.
	 */
	bool unmapped = columns == STORE_MESSAGE_COLUMNS_SEARCH;
	if (unmapped)
		store_unmapped(st, true);
	struct store_stmt *s = store_query(st, err, sql, "iiii", folder_id,
		first_uid, last_uid, (int64_t)limit);
	int rc = s == NULL ? -1 :
			     store_read_all(st, s, a, sizeof(**messages_r),
				     read_row, (void **)messages_r, count_r, err);
	if (unmapped)
		store_unmapped(st, false);
	return rc;
}

int
store_messages_flags_set(struct store *st, int64_t folder_id,
	const int64_t *uids, size_t count, unsigned flags,
	const char *keywords, struct error *err)
{
	return store_exec(st, err,
		"UPDATE messages SET flags = ?, keywords = ?"
		" WHERE folder_id = ? AND uid IN " STORE_ID_SET,
		"itiI", (int64_t)flags, keywords, folder_id, uids, count) < 0 ?
		-1 : 0;
}

/* Of uids, those folder_id has a row for, ascending, in *present_r. */
static int
present_uids(struct store *st, int64_t folder_id, const int64_t *uids,
	size_t count, int64_t **present_r, size_t *n_r, struct error *err)
{
	*present_r = NULL;
	*n_r = 0;
	struct store_stmt *s = store_query(st, err,
		"SELECT uid FROM messages WHERE folder_id = ? AND uid IN "
		STORE_ID_SET " ORDER BY uid", "iI", folder_id, uids, count);
	if (s == NULL)
		return -1;
	int rc;
	size_t capacity = 0;
	while ((rc = store_step(st, s, err)) == 1) {
		if (*n_r == capacity) {
			capacity = capacity == 0 ? 64 : capacity * 2;
			*present_r = xrealloc(*present_r,
				capacity * sizeof(**present_r));
		}
		(*present_r)[(*n_r)++] = store_col_int(st, s, 0);
	}
	if (store_rows_done(st, s, rc, err) < 0) {
		free(*present_r);
		*present_r = NULL;
		return -1;
	}
	return 0;
}

int
store_messages_copy(struct store *st, int64_t folder_id, const int64_t *uids,
	size_t count, int64_t to_folder_id, int64_t *new_uids_r,
	struct error *err)
{
	/*
	 * The UIDs that have a row, in order: the k-th gets first + k. Held
	 * apart from the caller's arena, which an IMAP command caps at a few
	 * MB (a folder's whole UID list is already in it).
	 */
	int64_t *present;
	size_t n;
	if (present_uids(st, folder_id, uids, count, &present, &n, err) < 0)
		return -1;
	int64_t first = n == 0 ? 0 : store_folder_take_uids(st, to_folder_id,
		(int64_t)n, err);
	for (size_t i = 0; new_uids_r != NULL && first >= 0 && i < count; i++) {
		const int64_t *at = n == 0 ? NULL : bsearch(&uids[i], present,
			n, sizeof(*present), ids_compare);
		new_uids_r[i] = at == NULL ? 0 : first + (at - present);
	}
	free(present);
	if (first <= 0)
		return first < 0 ? -1 : 0;
	int64_t copied = store_exec(st, err,
		"INSERT INTO messages (folder_id, uid, body_id, size,"
		" internal_date, flags, keywords)"
		" SELECT ?, ? + ROW_NUMBER() OVER (ORDER BY uid) - 1, body_id,"
		" size, internal_date, flags, keywords FROM messages"
		" WHERE folder_id = ? AND uid IN " STORE_ID_SET,
		"iiiI", to_folder_id, first, folder_id, uids, count);
	if (copied < 0)
		return -1;
	/* Writers take turns: the rows read above are all still there. */
	if (copied != (int64_t)n)
		return error_set(err, ERROR_INTERNAL, "%lld of %zu messages "
			"copied", (long long)copied, n);
	return store_exec(st, err,
		STORE_USAGE_CHARGE("SELECT f.mailbox_id, SUM(m.size)"
			" FROM messages m JOIN folders f ON f.id = m.folder_id"
			" WHERE m.folder_id = ? AND m.uid >= ?"
			" GROUP BY f.mailbox_id"),
		"ii", to_folder_id, first) < 0 ? -1 : 0;
}

int
store_message_expunge(struct store *st, int64_t folder_id,
	const int64_t *uids, size_t count, struct error *err)
{
	if (count == 0)
		return 0;
	if (store_exec(st, err,
		    STORE_USAGE_RETURN("COALESCE((SELECT SUM(size)"
			" FROM messages WHERE folder_id = ? AND uid IN "
			STORE_ID_SET "), 0)", "?"),
		    "iIi", folder_id, uids, count, folder_id) < 0 ||
	    store_exec(st, err, "INSERT INTO body_unref (body_id)"
		    " SELECT body_id FROM messages WHERE folder_id = ? AND"
		    " uid IN " STORE_ID_SET " ON CONFLICT (body_id) DO NOTHING",
		    "iI", folder_id, uids, count) < 0)
		return -1;
	return store_exec(st, err,
		       "DELETE FROM messages WHERE folder_id = ? AND uid IN "
		       STORE_ID_SET, "iI", folder_id, uids, count) < 0 ?
		-1 :
		0;
}
