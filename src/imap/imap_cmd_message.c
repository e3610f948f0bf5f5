/*
 * Changing messages of the selected mailbox: STORE (RFC 3501 §6.4.6), COPY
 * with COPYUID (RFC 4315), MOVE (RFC 6851), EXPUNGE and UID EXPUNGE (RFC
 * 3501 §6.4.3, RFC 4315 §2.1). Layer: front end. Each command is one
 * durable change through the writer. A MOVE into the selected mailbox
 * itself is a COPY and EXPUNGE there (RFC 6851 §3.3): the messages come
 * back under new UIDs, announced by EXISTS when the command completes.
 */
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/error.h"
#include "imap/imap_internal.h"

/* ---- STORE ---- */

/* Whether a keyword is in a space-separated list, ignoring case. */
static bool
has_keyword(struct span list, const char *kw)
{
	struct span rest = list, item;
	while (span_split(&rest, ' ', &item)) {
		if (span_eq_nocase(item, kw))
			return true;
	}
	return false;
}

/*
 * The keywords after STORE: NULL past IMAP_KEYWORDS_MAX or the arena's
 * cap. Text in the store is space-separated.
 */
static const char *
store_keywords(const char *current, const struct imap_store *st,
	struct arena *a)
{
	struct str out;
	size_t n = 0;
	str_init(&out, a, 16 * 1024);
	if (str_append_cstr(&out, "") < 0)
		return NULL;
	if (st->mode != IMAP_STORE_REPLACE) {
		struct span rest = span_from_cstr(current), item;
		while (span_split(&rest, ' ', &item)) {
			if (item.len == 0)
				continue;
			bool drop = false;
			for (size_t i = 0; st->mode == IMAP_STORE_REMOVE &&
				i < st->flags.keyword_count;
				i++)
				drop = drop ||
					span_eq_nocase(item,
						st->flags.keywords[i]);
			if (drop)
				continue;
			if ((n++ > 0 && str_append_char(&out, ' ') < 0) ||
				str_append(&out, item.p, item.len) < 0)
				return NULL;
		}
	}
	if (st->mode != IMAP_STORE_REMOVE) {
		for (size_t i = 0; i < st->flags.keyword_count; i++) {
			const char *kw = st->flags.keywords[i];
			if (st->mode == IMAP_STORE_ADD &&
				has_keyword(span_from_cstr(current), kw))
				continue;
			if ((n++ > 0 && str_append_char(&out, ' ') < 0) ||
				str_append_cstr(&out, kw) < 0)
				return NULL;
		}
	}
	return n > IMAP_KEYWORDS_MAX ? NULL : str_cstr(&out);
}

static unsigned
store_flags(unsigned current, const struct imap_store *st)
{
	switch (st->mode) {
	case IMAP_STORE_ADD:
		return current | st->flags.system;
	case IMAP_STORE_REMOVE:
		return current & ~st->flags.system;
	case IMAP_STORE_REPLACE:
		break;
	}
	return st->flags.system;
}

struct stored {
	size_t seq;
	struct mail_flag_change change;
};

int
imap_cmd_store(struct imap_session *s, const struct imap_command *c)
{
	struct imap_store st;
	struct error err;
	if (imap_parse_store(c->args, c->count, s->cmd, &st, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	if (s->view.read_only)
		return imap_tagged(s, "NO", "CANNOT",
			"the mailbox was opened with EXAMINE: read-only");
	struct imap_uid_range *ranges;
	size_t range_count;
	if (imap_view_ranges(&s->view, &st.set, s->uid_command, s->cmd, &ranges,
		    &range_count, &err) < 0)
		return imap_reply_error(s, &err);
	struct stored *all = NULL;
	struct mail_flag_change *changes = NULL;
	size_t all_count = 0, all_cap = 0, change_count = 0, change_cap = 0;
	for (size_t r = 0; r < range_count; r++) {
		int64_t next = ranges[r].lo;
		for (;;) {
			struct store_message *rows;
			size_t count;
			arena_reset(s->page);
			if (mail_folder_messages(&s->user, &s->view.folder,
				    next, ranges[r].hi, IMAP_PAGE_ROWS,
				    STORE_MESSAGE_COLUMNS_FLAGS, s->page, &rows,
				    &count, &err) < 0)
				return imap_reply_error(s, &err);
			if (count == 0)
				break;
			for (size_t i = 0; i < count; i++) {
				size_t seq = imap_view_seq(&s->view,
					rows[i].uid);
				if (seq == 0)
					continue;
				const char *kw =
					store_keywords(rows[i].keywords, &st,
						s->cmd);
				if (kw == NULL)
					return imap_tagged(s, "NO", "LIMIT",
						"a message may have at most %d "
						"keywords",
						IMAP_KEYWORDS_MAX);
				struct stored *one = arena_array_push(s->cmd,
					(void **)&all, &all_count, &all_cap,
					sizeof(*one));
				if (one == NULL)
					return imap_tagged(s, "NO", "LIMIT",
						"too many messages at once");
				*one = (struct stored){ seq,
					{ rows[i].uid,
						store_flags(rows[i].flags, &st),
						kw } };
				if (one->change.flags == rows[i].flags &&
					strcmp(kw, rows[i].keywords) == 0)
					continue;
				struct mail_flag_change *ch =
					arena_array_push(s->cmd,
						(void **)&changes,
						&change_count, &change_cap,
						sizeof(*ch));
				if (ch == NULL)
					return imap_tagged(s, "NO", "LIMIT",
						"too many messages at once");
				*ch = one->change;
			}
			next = rows[count - 1].uid + 1;
		}
	}
	if (mail_message_flags_set(&s->user, &s->view.folder, changes,
		    change_count, &err) < 0)
		return imap_reply_error(s, &err);
	bool issued = imap_view_expunge_issued(s, ranges, range_count,
		all_count);
	/*
	 * Told now (or, with .SILENT, known): no sync tells it again. A new
	 * keyword goes into the FLAGS list first (RFC 3501 §7.2.6).
	 */
	for (size_t i = 0; i < all_count; i++) {
		if (imap_view_learn_keywords(s, all[i].change.keywords) < 0)
			return -1;
		imap_view_flags_told(&s->view, all[i].seq, all[i].change.flags,
			all[i].change.keywords);
	}
	for (size_t i = 0; i < all_count && !st.silent; i++) {
		struct str out;
		str_init(&out, s->page, 64 * 1024);
		if (str_appendf(&out, "* %zu FETCH (FLAGS ", all[i].seq) < 0 ||
			imap_append_flags(&out,
				imap_view_flags(&s->view, all[i].seq,
					all[i].change.flags),
				all[i].change.keywords) < 0 ||
			(s->uid_command &&
				str_appendf(&out, " UID %lld",
					(long long)all[i].change.uid) < 0) ||
			str_append_cstr(&out, ")\r\n") < 0 ||
			imap_write(s, out.p, out.len) < 0)
			return -1;
		if (i % IMAP_PAGE_ROWS == 0)
			arena_reset(s->page);
	}
	if (issued)
		return imap_tagged(s, "NO", "EXPUNGEISSUED",
			"some of those messages have been expunged");
	return imap_tagged(s, "OK", NULL, "STORE completed");
}

/* ---- COPY and MOVE ---- */

/* The view's UIDs within the ranges, ascending, into *uids_r. */
static int
view_uids_in(const struct imap_view *v, const struct imap_uid_range *ranges,
	size_t range_count, struct arena *a, int64_t **uids_r, size_t *count_r)
{
	int64_t *uids = arena_alloc(a, (v->count + 1) * sizeof(*uids));
	if (uids == NULL)
		return -1;
	size_t n = 0;
	for (size_t r = 0; r < range_count; r++) {
		size_t i, end;
		for (imap_view_span(v, &ranges[r], &i, &end); i < end; i++)
			uids[n++] = v->uids[i];
	}
	*uids_r = uids;
	*count_r = n;
	return 0;
}

/* "1:3,7" for the non-zero UIDs of list (ascending) where keep[i] != 0. */
static int
append_uid_set(struct str *out, const int64_t *list, const int64_t *keep,
	size_t count)
{
	bool first = true;
	for (size_t i = 0; i < count;) {
		if (keep[i] == 0) {
			i++;
			continue;
		}
		size_t j = i;
		while (j + 1 < count && keep[j + 1] != 0 &&
			list[j + 1] == list[j] + 1)
			j++;
		if ((!first && str_append_char(out, ',') < 0) ||
			(j == i ? str_appendf(out, "%lld", (long long)list[i]) :
				  str_appendf(out, "%lld:%lld",
					  (long long)list[i],
					  (long long)list[j])) < 0)
			return -1;
		first = false;
		i = j + 1;
	}
	return 0;
}

int
imap_cmd_copy(struct imap_session *s, const struct imap_command *c)
{
	bool move = span_eq_nocase(c->name, "MOVE");
	const char *verb = move ? "MOVE" : "COPY";
	struct imap_seqset set;
	const char *name;
	struct error err;
	if (c->count != 2 || c->args[0].type != IMAP_ARG_ATOM)
		return imap_bad(s, "%s takes a set and a mailbox", verb);
	if (imap_parse_seqset(c->args[0].text, s->cmd, &set, &err) < 0 ||
		imap_arg_string(&c->args[1], s->cmd, &name, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	if (move && s->view.read_only)
		return imap_tagged(s, "NO", "CANNOT",
			"the mailbox was opened with EXAMINE: read-only");
	struct mail_folder to;
	if (mail_folder_open(&s->user, name, &to, &err) < 0) {
		if (err.code == ERROR_NOT_FOUND)
			return imap_tagged(s, "NO", "TRYCREATE", "%s", err.msg);
		return imap_reply_error(s, &err);
	}
	struct imap_uid_range *ranges;
	size_t range_count, count;
	int64_t *uids;
	if (imap_view_ranges(&s->view, &set, s->uid_command, s->cmd, &ranges,
		    &range_count, &err) < 0 ||
		view_uids_in(&s->view, ranges, range_count, s->cmd, &uids,
			&count) < 0)
		return imap_tagged(s, "NO", "LIMIT",
			"too many messages at once");
	int64_t *new_uids = arena_alloc(s->cmd,
		(count + 1) * sizeof(*new_uids));
	if (new_uids == NULL)
		return imap_tagged(s, "NO", "LIMIT",
			"too many messages at once");
	if (mail_message_copy(&s->user, &s->view.folder, uids, count, &to, move,
		    new_uids, &err) < 0)
		return imap_reply_error(s, &err);
	size_t copied = 0;
	for (size_t i = 0; i < count; i++)
		copied += new_uids[i] != 0;
	struct str code;
	str_init(&code, s->cmd, 1024 * 1024);
	if (str_appendf(&code, "COPYUID %lld ", (long long)to.uidvalidity) <
			0 ||
		append_uid_set(&code, uids, new_uids, count) < 0 ||
		str_append_char(&code, ' ') < 0 ||
		append_uid_set(&code, new_uids, new_uids, count) < 0)
		return imap_tagged(s, "OK", NULL, "%s completed", verb);
	if (!move)
		return copied == 0 ?
			imap_tagged(s, "OK", NULL, "COPY completed") :
			imap_tagged(s, "OK", str_cstr(&code), "COPY completed");
	/* RFC 6851 §4.3: COPYUID comes untagged, before the EXPUNGEs. */
	if (copied > 0 &&
		imap_untagged(s, "OK [%s] moved", str_cstr(&code)) < 0)
		return -1;
	int64_t *moved = arena_alloc(s->cmd, (count + 1) * sizeof(*moved));
	size_t n = 0;
	for (size_t i = 0; moved != NULL && i < count; i++) {
		if (new_uids[i] != 0)
			moved[n++] = uids[i];
	}
	if (moved == NULL || imap_view_expunged(s, moved, n) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "MOVE completed");
}

/* ---- EXPUNGE ---- */

int
imap_cmd_expunge(struct imap_session *s, const struct imap_command *c)
{
	struct imap_view *v = &s->view;
	struct imap_seqset set;
	struct error err;
	if (c->count != (s->uid_command ? 1u : 0u) ||
		(s->uid_command && c->args[0].type != IMAP_ARG_ATOM))
		return imap_bad(s,
			s->uid_command ? "UID EXPUNGE takes a set" :
					 "EXPUNGE takes no arguments");
	if (s->uid_command &&
		imap_parse_seqset(c->args[0].text, s->cmd, &set, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	if (v->read_only)
		return imap_tagged(s, "NO", "CANNOT",
			"the mailbox was opened with EXAMINE: read-only");
	struct imap_uid_range whole = { v->count > 0 ? v->uids[0] : 1,
		v->count > 0 ? v->uids[v->count - 1] : 0 };
	struct imap_uid_range *ranges = &whole;
	size_t range_count = v->count > 0 ? 1 : 0;
	if (s->uid_command &&
		imap_view_ranges(v, &set, true, s->cmd, &ranges, &range_count,
			&err) < 0)
		return imap_reply_error(s, &err);
	int64_t *gone = arena_alloc(s->cmd, (v->count + 1) * sizeof(*gone));
	if (gone == NULL)
		return imap_tagged(s, "NO", "LIMIT",
			"too many messages at once");
	size_t n = 0;
	for (size_t r = 0; r < range_count; r++) {
		int64_t next = ranges[r].lo;
		for (;;) {
			struct store_message *rows;
			size_t count;
			arena_reset(s->page);
			if (mail_folder_messages(&s->user, &v->folder, next,
				    ranges[r].hi, IMAP_PAGE_ROWS,
				    STORE_MESSAGE_COLUMNS_FLAGS, s->page, &rows,
				    &count, &err) < 0)
				return imap_reply_error(s, &err);
			if (count == 0)
				break;
			for (size_t i = 0; i < count && n < v->count; i++) {
				if ((rows[i].flags & IMAP_FLAG_DELETED) != 0 &&
					imap_view_seq(v, rows[i].uid) != 0)
					gone[n++] = rows[i].uid;
			}
			next = rows[count - 1].uid + 1;
		}
	}
	if (mail_message_expunge(&s->user, &v->folder, gone, n, &err) < 0)
		return imap_reply_error(s, &err);
	if (imap_view_expunged(s, gone, n) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "EXPUNGE completed");
}
