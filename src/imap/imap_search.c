/*
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4, §7.2.5). Layer: front end.
 * Flags, sizes, dates and the address and subject keys are matched on the
 * index row (decoded at delivery); HEADER decodes the fields it reads; BODY
 * and TEXT look in the message's decoded text (mail_mime_search_text:
 * transfer encodings and charsets undone, MIME headers of body parts
 * included). Every string is compared folded (mail_search_fold: Unicode
 * case, Latin accents, blank runs), the words asked for and the text alike.
 * SENT* keys take the calendar day the Date field names, disregarding time
 * and zone. BODY and TEXT ask the text index first (PERFORMANCE.md B3,
 * mail_folder_text_search), which holds the same folded texts for every body
 * indexed so far: a word of three characters or more is answered there
 * for those messages, and the rest (shorter words, bodies not indexed
 * yet, an index that fails) are scanned as before, so the answer is the
 * scan's either way.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/net.h"
#include "imap/imap_internal.h"
#include "mail/mail_folder.h"
#include "mail/mail_mime.h"

#define SECONDS_PER_DAY 86400

/* What the text index answered for one BODY or TEXT key. */
struct text_answer {
	const struct imap_search_key *key;
	struct mail_text_answer a;
};

/* The index's answers for a whole search, made before its rows are read. */
struct text_answers {
	struct text_answer *items;
	size_t count, capacity;
};

struct search_ctx {
	const struct text_answers *ta;
	struct imap_session *s;
	const struct store_message *m;
	size_t seq;
	struct span raw; /* the stored message, loaded on first need */
	bool loaded;
	bool failed;
	/* The folded search text (header, body), made on first need. */
	const char *header;
	const char *body;
};

/* Whether folded word occurs in text once folded; false past memory. */
static bool
contains(struct search_ctx *sc, const char *text, const char *word)
{
	if (word[0] == '\0')
		return true;
	const char *folded = mail_search_fold(text, strlen(text), sc->s->msg);
	return folded != NULL && mail_search_contains(folded, word);
}

static bool
load_raw(struct search_ctx *sc)
{
	if (sc->loaded)
		return !sc->failed;
	struct error err;
	sc->loaded = true;
	if (mail_message_read(&sc->s->user, &sc->s->view.folder, sc->m,
		    sc->s->msg, &sc->raw.p, &sc->raw.len, &err) < 0) {
		log_warn("imap.search", "peer=%s uid=%lld reason=\"%s\"",
			net_peer(sc->s->conn), (long long)sc->m->uid, err.msg);
		sc->failed = true;
		return false;
	}
	return true;
}

static struct span
header_of(const struct search_ctx *sc)
{
	size_t h = (size_t)sc->m->meta.header_size;
	return span_make(sc->raw.p, h > 0 && h <= sc->raw.len ? h : sc->raw.len);
}

/*
 * The decoded text of the message, folded (mail_search_texts: a message
 * the MIME parser refuses is searched as the bytes it is).
 */
static bool
load_text(struct search_ctx *sc)
{
	if (sc->body != NULL)
		return true;
	if (!load_raw(sc))
		return false;
	struct error err;
	if (mail_search_texts(sc->raw.p, sc->raw.len, sc->m->meta.header_size,
		    sc->s->msg, &sc->header, &sc->body, &err) < 0) {
		log_warn("imap.search", "peer=%s uid=%lld reason=\"%s\"",
			net_peer(sc->s->conn), (long long)sc->m->uid, err.msg);
		sc->header = sc->body = NULL;
		sc->failed = true;
		return false;
	}
	return true;
}

static bool
uid_in(const int64_t *uids, size_t count, int64_t uid)
{
	return count > 0 &&
		bsearch(&uid, uids, count, sizeof(*uids), ids_compare) != NULL;
}

static const struct text_answer *
answer_of(const struct text_answers *ta, const struct imap_search_key *k)
{
	for (size_t i = 0; ta != NULL && i < ta->count; i++) {
		if (ta->items[i].key == k)
			return &ta->items[i];
	}
	return NULL;
}

/*
 * BODY or TEXT from the index: 1 or 0, or -1 when the index has no answer
 * for this key or this message (then it is scanned).
 */
static int
indexed_match(const struct search_ctx *sc, const struct imap_search_key *k)
{
	const struct text_answer *t = answer_of(sc->ta, k);
	if (t == NULL ||
	    uid_in(t->a.pending, t->a.pending_count, sc->m->uid))
		return -1;
	return uid_in(t->a.found, t->a.found_count, sc->m->uid);
}

/* HEADER field string: any field of that name whose decoded value holds it. */
static bool
header_matches(struct search_ctx *sc, const char *field, const char *value)
{
	if (!load_raw(sc))
		return false;
	struct span header = header_of(sc), name, whole, v;
	while (imap_header_next(&header, &name, &whole, &v)) {
		if (!span_eq_nocase(name, field))
			continue;
		const char *text = mail_mime_header_decode(v, sc->s->msg);
		if (text != NULL && contains(sc, text, value))
			return true;
	}
	return false;
}

static bool
has_keyword(const char *keywords, const char *kw)
{
	struct span rest = span_from_cstr(keywords), item;
	while (span_split(&rest, ' ', &item)) {
		if (span_eq_nocase(item, kw))
			return true;
	}
	return false;
}

static int64_t
day_of(int64_t t)
{
	int64_t d = t / SECONDS_PER_DAY;
	if (t < 0 && t % SECONDS_PER_DAY != 0)
		d--;
	return d * SECONDS_PER_DAY;
}

/*
 * The day SENT* keys compare: the Date field's calendar day as written
 * (RFC 3501 §6.4.4 disregards time and timezone); failing that the day of
 * the Date in UTC, and without a Date the internal date's (as Dovecot).
 */
static int64_t
sent_day(struct search_ctx *sc)
{
	const struct store_message *m = sc->m;
	struct span date;
	int64_t day;
	if (mail_mime_envelope_date(m->meta.envelope, sc->s->msg, &date) &&
		mail_mime_date_day(date, &day))
		return day;
	return day_of(
		m->meta.sent_date != 0 ? m->meta.sent_date : m->internal_date);
}

static bool
is_recent(const struct search_ctx *sc)
{
	return (imap_view_flags(&sc->s->view, sc->seq, 0) &
		       IMAP_FLAG_RECENT) != 0;
}

static bool
matches(struct search_ctx *sc, const struct imap_search_key *k)
{
	const struct store_message *m = sc->m;
	int64_t internal = day_of(m->internal_date);
	switch (k->type) {
	case IMAP_SEARCH_ALL:
		return true;
	case IMAP_SEARCH_OLD:
		return !is_recent(sc);
	case IMAP_SEARCH_NEW:
		return is_recent(sc) && (m->flags & IMAP_FLAG_SEEN) == 0;
	case IMAP_SEARCH_RECENT:
		return is_recent(sc);
	case IMAP_SEARCH_AND:
		for (size_t i = 0; i < k->count; i++) {
			if (!matches(sc, &k->children[i]))
				return false;
		}
		return true;
	case IMAP_SEARCH_OR:
		return matches(sc, &k->children[0]) ||
			matches(sc, &k->children[1]);
	case IMAP_SEARCH_NOT:
		return !matches(sc, &k->children[0]);
	case IMAP_SEARCH_SEQSET:
		return imap_seqset_contains(&k->set, sc->seq,
			sc->s->view.count);
	case IMAP_SEARCH_UID: {
		const struct imap_view *v = &sc->s->view;
		return imap_seqset_contains(&k->set, (uint64_t)m->uid,
			v->count > 0 ? v->uids[v->count - 1] : 0);
	}
	case IMAP_SEARCH_FLAG:
		return (m->flags & k->flag) != 0;
	case IMAP_SEARCH_NOFLAG:
		return (m->flags & k->flag) == 0;
	case IMAP_SEARCH_KEYWORD:
		return has_keyword(m->keywords, k->value);
	case IMAP_SEARCH_UNKEYWORD:
		return !has_keyword(m->keywords, k->value);
	case IMAP_SEARCH_LARGER:
		return m->size > k->number;
	case IMAP_SEARCH_SMALLER:
		return m->size < k->number;
	case IMAP_SEARCH_BEFORE:
		return internal < k->number;
	case IMAP_SEARCH_ON:
		return internal == k->number;
	case IMAP_SEARCH_SINCE:
		return internal >= k->number;
	case IMAP_SEARCH_SENTBEFORE:
		return sent_day(sc) < k->number;
	case IMAP_SEARCH_SENTON:
		return sent_day(sc) == k->number;
	case IMAP_SEARCH_SENTSINCE:
		return sent_day(sc) >= k->number;
	case IMAP_SEARCH_HEADER:
		return header_matches(sc, k->field, k->value);
	case IMAP_SEARCH_BCC:
		return contains(sc, m->meta.bcc, k->value);
	case IMAP_SEARCH_CC:
		return contains(sc, m->meta.cc, k->value);
	case IMAP_SEARCH_FROM:
		return contains(sc, m->meta.from, k->value);
	case IMAP_SEARCH_SUBJECT:
		return contains(sc, m->meta.subject, k->value);
	case IMAP_SEARCH_TO:
		return contains(sc, m->meta.to, k->value);
	case IMAP_SEARCH_BODY: {
		int indexed = indexed_match(sc, k);
		if (indexed >= 0)
			return indexed == 1;
		return load_text(sc) &&
			mail_search_contains(sc->body, k->value);
	}
	case IMAP_SEARCH_TEXT: {
		int indexed = indexed_match(sc, k);
		if (indexed >= 0)
			return indexed == 1;
		return load_text(sc) &&
			(mail_search_contains(sc->header, k->value) ||
				mail_search_contains(sc->body, k->value));
	}
	}
	return false;
}

/*
 * The row columns a key reads: the decoded fields and the header's size
 * (HEADER, BODY and TEXT split the message there) are the summary's; the
 * SENT* keys need the ENVELOPE for the Date as written. BODY and TEXT
 * read none when the index answers them for every message.
 */
static enum store_message_columns
columns_needed(const struct imap_search_key *k, const struct text_answers *ta)
{
	enum store_message_columns need = STORE_MESSAGE_COLUMNS_FLAGS;
	switch (k->type) {
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT: {
		const struct text_answer *t = answer_of(ta, k);
		if (t == NULL || t->a.pending_count > 0)
			need = STORE_MESSAGE_COLUMNS_SEARCH;
		break;
	}
	case IMAP_SEARCH_BCC:
	case IMAP_SEARCH_CC:
	case IMAP_SEARCH_FROM:
	case IMAP_SEARCH_SUBJECT:
	case IMAP_SEARCH_TO:
	case IMAP_SEARCH_HEADER:
		need = STORE_MESSAGE_COLUMNS_SEARCH;
		break;
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		return STORE_MESSAGE_COLUMNS_ALL;
	default:
		break;
	}
	for (size_t i = 0; i < k->count; i++) {
		enum store_message_columns c =
			columns_needed(&k->children[i], ta);
		if (c == STORE_MESSAGE_COLUMNS_ALL)
			return c;
		if (c == STORE_MESSAGE_COLUMNS_SEARCH)
			need = c;
	}
	return need;
}

/* Folds the strings the keys look for, once, as texts will be folded. */
static int
fold_keys(struct imap_search_key *k, struct arena *a)
{
	switch (k->type) {
	case IMAP_SEARCH_HEADER:
	case IMAP_SEARCH_BCC:
	case IMAP_SEARCH_CC:
	case IMAP_SEARCH_FROM:
	case IMAP_SEARCH_SUBJECT:
	case IMAP_SEARCH_TO:
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		k->value = mail_search_fold(k->value, strlen(k->value), a);
		if (k->value == NULL)
			return -1;
		break;
	default:
		break;
	}
	for (size_t i = 0; i < k->count; i++) {
		if (fold_keys(&k->children[i], a) < 0)
			return -1;
	}
	return 0;
}

/*
 * Asks the text index for each BODY and TEXT key of k over first..last
 * (mail_folder_text_search); a key it cannot answer is not kept, and is
 * scanned. -1 with err: the index could not be read, and the search scans
 * as without it.
 */
static int
ask_index(struct imap_session *s, const struct imap_search_key *k,
	int64_t first, int64_t last, struct arena *a, struct text_answers *ta,
	struct error *err)
{
	if (k->type == IMAP_SEARCH_BODY || k->type == IMAP_SEARCH_TEXT) {
		struct mail_text_answer r;
		int rc = mail_folder_text_search(&s->user, &s->view.folder,
			first, last, k->value, k->type == IMAP_SEARCH_BODY, a,
			&r, err);
		if (rc < 0)
			return -1;
		struct text_answer *t = rc == 0 ? NULL :
			arena_array_push(a, (void **)&ta->items, &ta->count,
				&ta->capacity, sizeof(*t));
		if (rc == 1 && t == NULL)
			return error_set(err, ERROR_LIMIT, "too many words");
		if (t != NULL)
			*t = (struct text_answer){ k, r };
	}
	for (size_t i = 0; i < k->count; i++) {
		if (ask_index(s, &k->children[i], first, last, a, ta, err) < 0)
			return -1;
	}
	return 0;
}

/* The index's answers are kept in an arena of their own, this large. */
#define TEXT_ANSWERS_ARENA_CAP (256u << 20)

static int
search_run(struct imap_session *s, const struct imap_search_key *key,
	struct arena *answers);

int
imap_cmd_search(struct imap_session *s, const struct imap_command *c)
{
	struct imap_search_key key;
	struct error err;
	if (imap_parse_search(c->args, c->count, s->cmd, &key, &err) < 0) {
		if (err.code == ERROR_NOT_FOUND)
			return imap_tagged(s, "NO",
				"BADCHARSET (US-ASCII UTF-8)", "%s", err.msg);
		return imap_bad(s, "%s", err.msg);
	}
	if (fold_keys(&key, s->cmd) < 0)
		return imap_tagged(s, "NO", "LIMIT",
			"the search is too big; narrow it");
	struct arena *answers = arena_new(TEXT_ANSWERS_ARENA_CAP);
	int rc = search_run(s, &key, answers);
	arena_free(&answers);
	return rc;
}

/*
 * The header summary parts (bit n: enum mail_summary_part n) a key asks
 * for, when a folder's summary pack answers it wholly: header fields,
 * sizes, internal dates and what the view itself holds, no flag or
 * keyword (the pack keeps only what never changes), no raw message.
 * -1 when it does not.
 */
static int
packed_parts(const struct imap_search_key *k)
{
	int parts = 0;
	switch (k->type) {
	case IMAP_SEARCH_SUBJECT:
		parts = 1 << MAIL_SUMMARY_SUBJECT;
		break;
	case IMAP_SEARCH_FROM:
		parts = 1 << MAIL_SUMMARY_FROM;
		break;
	case IMAP_SEARCH_TO:
		parts = 1 << MAIL_SUMMARY_TO;
		break;
	case IMAP_SEARCH_CC:
		parts = 1 << MAIL_SUMMARY_CC;
		break;
	case IMAP_SEARCH_BCC:
		parts = 1 << MAIL_SUMMARY_BCC;
		break;
	case IMAP_SEARCH_ALL:
	case IMAP_SEARCH_AND:
	case IMAP_SEARCH_OR:
	case IMAP_SEARCH_NOT:
	case IMAP_SEARCH_SEQSET:
	case IMAP_SEARCH_UID:
	case IMAP_SEARCH_LARGER:
	case IMAP_SEARCH_SMALLER:
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
	case IMAP_SEARCH_OLD:
	case IMAP_SEARCH_RECENT:
		break;
	default:
		return -1;
	}
	for (size_t i = 0; i < k->count; i++) {
		int c = packed_parts(&k->children[i]);
		if (c < 0)
			return -1;
		parts |= c;
	}
	return parts;
}

/*
 * The search over the view's messages from the folder's summary pack
 * (mail_folder_summaries): each message the view holds, answered from
 * the pack or its row, in the view's order. 0 when the folder has no use
 * for one (a small folder: the rows are read as ever), 1 when answered.
 */
static int
search_packed(struct imap_session *s, const struct imap_search_key *key,
	int parts, struct str *out)
{
	const struct imap_view *v = &s->view;
	struct arena *a = arena_new(IMAP_PACK_ARENA_CAP);
	struct mail_packed_set set;
	struct error err;
	int rc = mail_folder_summaries(&s->user, &v->folder, v->uids, v->count,
		(unsigned)parts, IMAP_PACK_MIN_MESSAGES, a, &set, &err);
	if (rc < 0) {
		log_warn("imap.search_pack", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err.msg);
		rc = 0;
	}
	for (size_t i = 0; rc == 1 && i < v->count; i++) {
		const struct mail_packed *m = &set.items[i];
		if (!m->present)
			continue;
		struct store_message row = { .folder_id = v->folder.id,
			.uid = v->uids[i],
			.size = m->size,
			.internal_date = m->internal_date,
			.keywords = "" };
		row.meta.subject = m->text[MAIL_SUMMARY_SUBJECT];
		row.meta.from = m->text[MAIL_SUMMARY_FROM];
		row.meta.to = m->text[MAIL_SUMMARY_TO];
		row.meta.cc = m->text[MAIL_SUMMARY_CC];
		row.meta.bcc = m->text[MAIL_SUMMARY_BCC];
		row.meta.envelope = row.meta.bodystructure = row.meta.body = "";
		row.meta.message_id = "";
		struct search_ctx sc = { .s = s, .m = &row, .seq = i + 1 };
		arena_reset(s->msg);
		if (!matches(&sc, key))
			continue;
		if (str_appendf(out, " %lld",
			    s->uid_command ? (long long)row.uid :
					     (long long)sc.seq) < 0)
			rc = -1;
	}
	arena_free(&a);
	return rc;
}

static int
search_run(struct imap_session *s, const struct imap_search_key *key,
	struct arena *answers)
{
	struct error err;
	const struct imap_view *v = &s->view;
	struct text_answers ta = { 0 };
	int parts = packed_parts(key);
	if (parts > 0) {
		struct str out;
		str_init(&out, s->cmd, 64 * 1024 * 1024);
		if (str_append_cstr(&out, "* SEARCH") < 0)
			return -1;
		int rc = search_packed(s, key, parts, &out);
		if (rc < 0)
			return imap_tagged(s, "NO", "LIMIT",
				"too many results; narrow the search");
		if (rc == 1) {
			if (str_append_cstr(&out, "\r\n") < 0 ||
				imap_write(s, out.p, out.len) < 0)
				return -1;
			return imap_tagged(s, "OK", NULL, "SEARCH completed");
		}
	}
	if (v->count > 0 && ask_index(s, key, v->uids[0],
		v->uids[v->count - 1], answers, &ta, &err) < 0) {
		log_warn("imap.search_unindexed", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err.msg);
		ta = (struct text_answers){ 0 };
	}
	enum store_message_columns columns = columns_needed(key, &ta);
	struct str out;
	str_init(&out, s->cmd, 64 * 1024 * 1024);
	if (str_append_cstr(&out, "* SEARCH") < 0)
		return -1;
	int64_t next = v->count > 0 ? v->uids[0] : 1;
	int64_t last = v->count > 0 ? v->uids[v->count - 1] : 0;
	while (next <= last) {
		struct store_message *rows;
		size_t count;
		arena_reset(s->page);
		if (mail_folder_messages(&s->user, &v->folder, next, last,
			    IMAP_PAGE_ROWS, columns, s->page, &rows, &count,
			    &err) < 0)
			return imap_reply_error(s, &err);
		if (count == 0)
			break;
		for (size_t i = 0; i < count; i++) {
			struct search_ctx sc = { .ta = &ta,
				.s = s,
				.m = &rows[i],
				.seq = imap_view_seq(v, rows[i].uid) };
			arena_reset(s->msg);
			if (sc.seq == 0 || !matches(&sc, key))
				continue;
			if (str_appendf(&out, " %lld",
				    s->uid_command ? (long long)rows[i].uid :
						     (long long)sc.seq) < 0)
				return imap_tagged(s, "NO", "LIMIT",
					"too many results; narrow the search");
		}
		next = rows[count - 1].uid + 1;
	}
	if (str_append_cstr(&out, "\r\n") < 0 ||
		imap_write(s, out.p, out.len) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "SEARCH completed");
}
