/*
 * FETCH and UID FETCH (RFC 3501 §6.4.5, §7.4.2): FLAGS, INTERNALDATE,
 * RFC822.SIZE and UID from the index row; ENVELOPE, BODY and BODYSTRUCTURE
 * as delivery stored them, never parsed again; BODY[section]<partial>,
 * BODY.PEEK and the RFC822 forms from the stored body. Layer: front end.
 * A folder is walked a page of rows at a time and each body is read into an
 * arena reset per message, so FETCH 1:* costs bounded memory. The ENVELOPEs
 * of most of a large folder come from its summary pack (fetch_packed).
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "imap/imap_internal.h"
#include "mail/mail_folder.h"
#include "mail/mail_mime.h"

/* Bytes of one FETCH response built before a literal is sent. */
#define RESPONSE_MAX (16 * 1024 * 1024)

bool
imap_header_next(struct span *header, struct span *name_r, struct span *field_r,
	struct span *value_r)
{
	const char *p = header->p, *end = header->p + header->len;
	if (p >= end || *p == '\r' || *p == '\n')
		return false;
	/* A field runs to its line end and over folded lines after it. */
	const char *q = p;
	for (;;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		if (nl == NULL) {
			q = end;
			break;
		}
		q = nl + 1;
		if (q >= end || (*q != ' ' && *q != '\t'))
			break;
	}
	const char *colon = memchr(p, ':', (size_t)(q - p));
	const char *name_end = colon != NULL ? colon : p;
	while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
		name_end--;
	*name_r = span_make(p, (size_t)(name_end - p));
	*field_r = span_make(p, (size_t)(q - p));
	*value_r = colon != NULL ?
		span_make(colon + 1, (size_t)(q - colon - 1)) :
		span_make(q, 0);
	header->p = q;
	header->len = (size_t)(end - q);
	return true;
}

/* HEADER.FIELDS and .NOT: the chosen fields and the blank line after. */
static int
filter_fields(const struct imap_fetch_section *sec, struct span header,
	struct arena *a, struct span *out_r)
{
	struct str out;
	str_init(&out, a, header.len + 3);
	if (str_append_cstr(&out, "") < 0)
		return -1;
	struct span name, field, value;
	bool keep_listed = sec->text == IMAP_SECTION_HEADER_FIELDS;
	while (imap_header_next(&header, &name, &field, &value)) {
		bool listed = false;
		for (size_t i = 0; i < sec->field_count && !listed; i++)
			listed = span_eq_nocase(name, sec->fields[i]);
		if (listed == keep_listed &&
			str_append(&out, field.p, field.len) < 0)
			return -1;
	}
	if (str_append_cstr(&out, "\r\n") < 0)
		return -1;
	*out_r = span_make(out.p, out.len);
	return 0;
}

/* The bytes a section names in a message (before any partial). */
static int
section_bytes(struct imap_session *s, const struct imap_fetch_section *sec,
	const struct store_message *m, struct span msg, struct span *out_r)
{
	size_t off = 0, len = msg.len;
	size_t header = m->meta.header_size > 0 &&
			(size_t)m->meta.header_size <= msg.len ?
		(size_t)m->meta.header_size :
		0;
	struct error err;
	if (sec->mime[0] == '\0') {
		/* the whole message */
	} else if (strcmp(sec->mime, "HEADER") == 0 && header > 0) {
		len = header;
	} else if (strcmp(sec->mime, "TEXT") == 0 && header > 0) {
		off = header;
		len = msg.len - header;
	} else if (mail_mime_section(msg.p, msg.len, sec->mime, s->msg, &off,
			   &len, &err) < 0) {
		/* RFC 3501: a part the message lacks is an empty string. */
		if (err.code != ERROR_NOT_FOUND)
			log_debug("imap.fetch", "section=%s reason=\"%s\"",
				sec->mime, err.msg);
		*out_r = span_make("", 0);
		return 0;
	}
	if (off > msg.len || len > msg.len - off)
		len = off > msg.len ? 0 : msg.len - off;
	*out_r = span_make(msg.p + (off > msg.len ? msg.len : off), len);
	if (sec->text == IMAP_SECTION_HEADER_FIELDS ||
		sec->text == IMAP_SECTION_HEADER_FIELDS_NOT)
		return filter_fields(sec, *out_r, s->msg, out_r);
	return 0;
}

/* Sends what is built so far and starts again, before a literal. */
static int
flush_built(struct imap_session *s, struct str *out)
{
	if (out->len > 0 && imap_write(s, out->p, out->len) < 0)
		return -1;
	out->len = 0;
	if (out->p != NULL)
		out->p[0] = '\0';
	return 0;
}

/* One body section: label SP literal, the bytes straight from the body. */
static int
send_section(struct imap_session *s, struct str *out, const char *sep,
	const struct imap_fetch_section *sec, const struct store_message *m,
	struct span msg)
{
	struct span bytes;
	if (section_bytes(s, sec, m, msg, &bytes) < 0)
		return -1;
	if (sec->partial) {
		size_t off = sec->offset < bytes.len ? sec->offset : bytes.len;
		size_t len = bytes.len - off;
		if (len > sec->length)
			len = sec->length;
		bytes = span_make(bytes.p + off, len);
	}
	if (str_appendf(out, "%s%s {%zu}\r\n", sep, sec->label, bytes.len) <
			0 ||
		flush_built(s, out) < 0)
		return -1;
	return imap_write(s, bytes.p, bytes.len);
}

/* ENVELOPE, BODY or BODYSTRUCTURE worked out again from the body, for a
 * row stored without them. */
static int
append_computed(struct imap_session *s, struct str *out, struct span msg,
	unsigned item)
{
	struct mail_mime_part *root;
	struct error err;
	if (mail_mime_parse(msg.p, msg.len, s->msg, &root, &err) < 0)
		return str_append_cstr(out, "NIL");
	if (item == IMAP_FETCH_ENVELOPE)
		return mail_mime_envelope(msg.p, root, out, &err);
	return mail_mime_bodystructure(msg.p, root,
		item == IMAP_FETCH_BODYSTRUCTURE, out, &err);
}

struct fetch_state {
	const struct imap_fetch *f;
	bool uid;
	bool set_seen;
};

/* The fixed items: everything but body sections. */
static int
append_items(struct imap_session *s, struct str *out,
	const struct fetch_state *fs, const struct store_message *m, size_t seq,
	bool seen_changed, struct span *msg, bool *loaded, bool *wrote_r)
{
	static const struct {
		unsigned item;
		const char *name;
	} stored[] = {
		{ IMAP_FETCH_ENVELOPE, "ENVELOPE" },
		{ IMAP_FETCH_BODY, "BODY" },
		{ IMAP_FETCH_BODYSTRUCTURE, "BODYSTRUCTURE" },
	};
	unsigned items = fs->f->items;
	char date[32];
	const char *sep = "";
	if ((items & IMAP_FETCH_UID) != 0) {
		if (str_appendf(out, "UID %lld", (long long)m->uid) < 0)
			return -1;
		sep = " ";
	}
	if ((items & IMAP_FETCH_FLAGS) != 0 || seen_changed) {
		/* A keyword not in the FLAGS list yet is announced first. */
		if (imap_view_learn_keywords(s, m->keywords) < 0 ||
			str_appendf(out, "%sFLAGS ", sep) < 0 ||
			imap_append_flags(out,
				imap_view_flags(&s->view, seq, m->flags),
				m->keywords) < 0)
			return -1;
		imap_view_flags_told(&s->view, seq, m->flags, m->keywords);
		sep = " ";
	}
	if ((items & IMAP_FETCH_INTERNALDATE) != 0) {
		imap_format_datetime(m->internal_date, date, sizeof(date));
		if (str_appendf(out, "%sINTERNALDATE \"%s\"", sep, date) < 0)
			return -1;
		sep = " ";
	}
	if ((items & IMAP_FETCH_RFC822_SIZE) != 0) {
		if (str_appendf(out, "%sRFC822.SIZE %lld", sep,
			    (long long)m->size) < 0)
			return -1;
		sep = " ";
	}
	for (size_t i = 0; i < sizeof(stored) / sizeof(*stored); i++) {
		if ((items & stored[i].item) == 0)
			continue;
		const char *text = stored[i].item == IMAP_FETCH_ENVELOPE ?
			m->meta.envelope :
			stored[i].item == IMAP_FETCH_BODY ?
			m->meta.body :
			m->meta.bodystructure;
		if (str_appendf(out, "%s%s ", sep, stored[i].name) < 0)
			return -1;
		sep = " ";
		if (text[0] != '\0') {
			if (str_append_cstr(out, text) < 0)
				return -1;
			continue;
		}
		if (!*loaded) {
			struct error err;
			if (mail_message_read(&s->user, &s->view.folder, m,
				    s->msg, &msg->p, &msg->len, &err) < 0)
				return -1;
			*loaded = true;
		}
		if (append_computed(s, out, *msg, stored[i].item) < 0)
			return -1;
	}
	*wrote_r = sep[0] != '\0';
	return 0;
}

/*
 * One message's FETCH response, built whole before any of it is sent: 0
 * sent, -1 the connection failed, and 1 when its body could not be read
 * (a blob missing, damaged or out of reach: err says which), so nothing
 * of it went out and the command goes on with the others.
 */
static int
send_one(struct imap_session *s, const struct fetch_state *fs,
	const struct store_message *m, size_t seq, bool seen_changed,
	struct error *err)
{
	struct span msg = { "", 0 };
	bool loaded = false, wrote = false;
	struct str out;
	arena_reset(s->msg);
	str_init(&out, s->msg, RESPONSE_MAX);
	if (str_appendf(&out, "* %zu FETCH (", seq) < 0 ||
		append_items(s, &out, fs, m, seq, seen_changed, &msg, &loaded,
			&wrote) < 0)
		return -1;
	for (size_t i = 0; i < fs->f->section_count; i++) {
		if (!loaded) {
			if (mail_message_read(&s->user, &s->view.folder, m,
				    s->msg, &msg.p, &msg.len, err) < 0) {
				log_warn("imap.fetch",
					"peer=%s uid=%lld "
					"reason=\"%s\"",
					net_peer(s->conn), (long long)m->uid,
					err->msg);
				return 1;
			}
			loaded = true;
		}
		if (send_section(s, &out, wrote || i > 0 ? " " : "",
			    &fs->f->sections[i], m, msg) < 0)
			return -1;
	}
	if (str_append_cstr(&out, ")\r\n") < 0)
		return -1;
	return flush_built(s, &out);
}

/* What a FETCH sent, and the first message it could not read. */
struct fetch_tally {
	size_t sent, unread;
	int64_t unread_uid;
	struct error unread_err;
};

/* One message's response, counted in t; -1 when the connection failed. */
static int
send_counted(struct imap_session *s, const struct fetch_state *fs,
	const struct store_message *m, size_t seq, bool seen_changed,
	struct fetch_tally *t)
{
	int rc = send_one(s, fs, m, seq, seen_changed, &t->unread_err);
	if (rc < 0)
		return -1;
	if (rc > 0 && t->unread++ == 0)
		t->unread_uid = m->uid;
	t->sent += rc == 0;
	return 0;
}

/* What a FETCH answered from the folder's summary pack may ask for. */
#define PACKED_ITEMS                                                      \
	(IMAP_FETCH_UID | IMAP_FETCH_FLAGS | IMAP_FETCH_ENVELOPE |         \
		IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_INTERNALDATE)

/*
 * One message of a packed FETCH: its ENVELOPE, size and internal date
 * from the pack, its flags from the view; read by row when the pack gave
 * no ENVELOPE (MAIL_SUMMARY_NO_ENVELOPE: a body stored without one,
 * worked out again from the body).
 */
static int
send_packed(struct imap_session *s, const struct fetch_state *fs,
	const struct mail_packed *m, size_t index, struct fetch_tally *t)
{
	const struct imap_view *v = &s->view;
	struct store_message row = { .folder_id = v->folder.id,
		.uid = v->uids[index],
		.size = m->size,
		.internal_date = m->internal_date,
		.flags = v->flags[index],
		.keywords = imap_view_keywords_at(v, index) };
	row.meta.envelope = m->text[MAIL_SUMMARY_ENVELOPE];
	row.meta.bodystructure = row.meta.body = "";
	if (row.meta.envelope[0] == '(')
		return send_counted(s, fs, &row, index + 1, false, t);
	struct store_message *rows;
	size_t n;
	struct error err;
	arena_reset(s->page);
	if (mail_folder_messages(&s->user, &v->folder, row.uid, row.uid, 1,
		    STORE_MESSAGE_COLUMNS_ALL, s->page, &rows, &n, &err) < 0) {
		if (t->unread++ == 0) {
			t->unread_uid = row.uid;
			t->unread_err = err;
		}
		return 0;
	}
	return n == 0 ? 0 : send_counted(s, fs, &rows[0], index + 1, false, t);
}

/*
 * FETCH of ENVELOPEs over most of a large folder (B3: FETCH 1:*
 * (ENVELOPE) of 50,000 messages), answered from the folder's summary
 * pack (mail_folder_summaries): the ENVELOPEs of every message in one
 * part read in order, instead of a body row a message scattered over the
 * file (a cold read of ~50,000 pages). The first such FETCH reads the
 * rows and writes the pack. FLAGS come from the view, and only when it
 * is current. 1 when the pack is of no use here (the caller reads the
 * rows), 0 when the responses were sent, -1 when the connection failed.
 */
static int
fetch_packed(struct imap_session *s, const struct fetch_state *fs,
	const struct imap_uid_range *ranges, size_t range_count,
	struct fetch_tally *t)
{
	unsigned items = fs->f->items;
	if ((items & IMAP_FETCH_ENVELOPE) == 0 || (items & ~PACKED_ITEMS) != 0 ||
		fs->f->section_count > 0 || fs->set_seen)
		return 1;
	/* A few messages, or a small part of the folder: fewer reads by row. */
	size_t asked = imap_view_count_in(&s->view, ranges, range_count);
	if (asked < IMAP_PACK_MIN_MESSAGES || asked < s->view.count / 2)
		return 1;
	/*
	 * The view must hold what the store does: a message another session
	 * expunged, not yet told, is still in the view and in the pack, but
	 * the rows answer without it (and NO EXPUNGEISSUED).
	 */
	if ((items & IMAP_FETCH_FLAGS) != 0 ?
			!imap_view_flags_current(s, ranges, range_count) :
			!imap_view_current(s))
		return 1;
	struct arena *a = arena_new(IMAP_PACK_ARENA_CAP);
	struct mail_packed_set set;
	struct error err;
	int rc = a == NULL ? 0 :
		mail_folder_summaries(&s->user, &s->view.folder,
			s->view.uids, s->view.count,
			1u << MAIL_SUMMARY_ENVELOPE, IMAP_PACK_MIN_MESSAGES, a,
			&set, &err);
	if (rc < 0)
		log_warn("imap.fetch_pack", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err.msg);
	if (rc != 1) {
		arena_free(&a);
		return 1;
	}
	int result = 0;
	for (size_t r = 0; r < range_count && result == 0; r++) {
		size_t i, end;
		for (imap_view_span(&s->view, &ranges[r], &i, &end);
			i < end && result == 0; i++) {
			if (set.items[i].present)
				result = send_packed(s, fs, &set.items[i], i,
					t);
		}
	}
	arena_free(&a);
	return result < 0 ? -1 : 0;
}

/* Marks unseen messages of a page \Seen before they are sent (§6.4.5). */
static int
mark_seen(struct imap_session *s, struct store_message *rows, size_t count,
	bool *changed, struct error *err)
{
	struct mail_flag_change *changes = arena_alloc(s->page,
		(count + 1) * sizeof(*changes));
	if (changes == NULL)
		return error_set(err, ERROR_LIMIT, "too many messages at once");
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		changed[i] = false;
		if ((rows[i].flags & IMAP_FLAG_SEEN) != 0 ||
			imap_view_seq(&s->view, rows[i].uid) == 0)
			continue;
		rows[i].flags |= IMAP_FLAG_SEEN;
		changed[i] = true;
		changes[n++] = (struct mail_flag_change){ rows[i].uid,
			rows[i].flags, rows[i].keywords };
	}
	return mail_message_flags_set(&s->user, &s->view.folder, changes, n,
		err);
}

int
imap_cmd_fetch(struct imap_session *s, const struct imap_command *c)
{
	struct imap_seqset set;
	struct imap_fetch f;
	struct error err;
	if (c->count < 2 || c->args[0].type != IMAP_ARG_ATOM)
		return imap_bad(s, "FETCH takes a set and the items to fetch");
	if (imap_parse_seqset(c->args[0].text, s->cmd, &set, &err) < 0 ||
		imap_parse_fetch(c->args + 1, c->count - 1, s->cmd, &f, &err) <
			0)
		return imap_bad(s, "%s", err.msg);
	if (s->uid_command)
		f.items |= IMAP_FETCH_UID; /* RFC 3501 §6.4.8 */
	struct fetch_state fs = { &f, s->uid_command,
		imap_fetch_sets_seen(&f) && !s->view.read_only };
	/* Sections use the header's size from the summary. */
	enum store_message_columns columns =
		(f.items &
			(IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY |
				IMAP_FETCH_BODYSTRUCTURE)) ?
		STORE_MESSAGE_COLUMNS_ALL :
		f.section_count > 0 ? STORE_MESSAGE_COLUMNS_SEARCH :
				      STORE_MESSAGE_COLUMNS_FLAGS;
	struct imap_uid_range *ranges;
	size_t range_count;
	struct fetch_tally t = { 0 };
	if (imap_view_ranges(&s->view, &set, s->uid_command, s->cmd, &ranges,
		    &range_count, &err) < 0)
		return imap_reply_error(s, &err);
	/*
	 * FLAGS and UID are what the view holds: when it is current, they
	 * come from memory, with no read of the store (B3: UID FETCH 1:*
	 * (FLAGS) over 50,000 messages, cold).
	 */
	if ((f.items & ~(unsigned)(IMAP_FETCH_UID | IMAP_FETCH_FLAGS)) == 0 &&
		f.section_count == 0 && !fs.set_seen) {
		int rc = imap_view_fetch_flags(s, f.items, ranges, range_count,
			&t.sent);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return imap_tagged(s, "OK", NULL, "FETCH completed");
	}
	int packed = fetch_packed(s, &fs, ranges, range_count, &t);
	if (packed < 0)
		return -1;
	/* Read by row, a page at a time, unless the pack answered. */
	for (size_t r = 0; packed == 1 && r < range_count; r++) {
		int64_t next = ranges[r].lo;
		for (;;) {
			struct store_message *rows;
			size_t count;
			bool changed[IMAP_PAGE_ROWS] = { false };
			arena_reset(s->page);
			if (mail_folder_messages(&s->user, &s->view.folder,
				    next, ranges[r].hi, IMAP_PAGE_ROWS, columns,
				    s->page, &rows, &count, &err) < 0)
				return imap_reply_error(s, &err);
			if (count == 0)
				break;
			if (fs.set_seen &&
				mark_seen(s, rows, count, changed, &err) < 0)
				return imap_reply_error(s, &err);
			for (size_t i = 0; i < count; i++) {
				size_t seq = imap_view_seq(&s->view,
					rows[i].uid);
				if (seq == 0)
					continue;
				if (send_counted(s, &fs, &rows[i], seq,
					    changed[i], &t) < 0)
					return -1;
			}
			next = rows[count - 1].uid + 1;
		}
	}
	/*
	 * RFC 5530: UNAVAILABLE when the blob store could not be reached
	 * (try again), SERVERBUG when a body is missing or damaged; the
	 * administrator's log names the message (imap.fetch).
	 */
	if (t.unread > 0)
		return imap_tagged(s, "NO",
			t.unread_err.code == ERROR_TEMPORARY ? "UNAVAILABLE" :
							       "SERVERBUG",
			"%zu of those messages (the first UID %lld) could not"
			" be read: the others were sent", t.unread,
			(long long)t.unread_uid);
	if (imap_view_expunge_issued(s, ranges, range_count, t.sent))
		return imap_tagged(s, "NO", "EXPUNGEISSUED",
			"some of those messages have been expunged");
	return imap_tagged(s, "OK", NULL, "FETCH completed");
}
