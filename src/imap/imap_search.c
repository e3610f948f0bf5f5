/*
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4, §7.2.5). Layer: front end.
 * Flags, sizes, dates and the address and subject keys are matched on the
 * index row (decoded at delivery); HEADER, BODY and TEXT read the stored
 * body, substring and case-insensitively (ASCII), without decoding
 * transfer encodings yet. A full-text index (SQLite FTS5) is the planned
 * speed-up for BODY and TEXT (PERFORMANCE.md B3).
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "imap/imap_internal.h"

#define SECONDS_PER_DAY 86400

struct search_ctx {
	struct imap_session *s;
	const struct store_message *m;
	size_t seq;
	struct span body; /* loaded on first need */
	bool loaded;
	bool failed;
};

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether needle occurs in hay, ASCII letters compared without case. */
static bool
contains(struct span hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return true;
	if (n > hay.len)
		return false;
	char first = lower(needle[0]);
	for (size_t i = 0; i + n <= hay.len; i++) {
		if (lower(hay.p[i]) != first)
			continue;
		size_t k = 1;
		while (k < n && lower(hay.p[i + k]) == lower(needle[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

static bool
load_body(struct search_ctx *sc)
{
	if (sc->loaded)
		return !sc->failed;
	struct error err;
	sc->loaded = true;
	arena_reset(sc->s->msg);
	if (mail_message_read(&sc->s->user, &sc->s->view.folder, sc->m,
		    sc->s->msg, &sc->body.p, &sc->body.len, &err) < 0) {
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
	return span_make(sc->body.p,
		h > 0 && h <= sc->body.len ? h : sc->body.len);
}

/* HEADER field string: any field of that name whose value holds it. */
static bool
header_matches(struct search_ctx *sc, const char *field, const char *value)
{
	if (!load_body(sc))
		return false;
	struct span header = header_of(sc), name, whole, v;
	while (imap_header_next(&header, &name, &whole, &v)) {
		if (span_eq_nocase(name, field) && contains(v, value))
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

static bool
matches(struct search_ctx *sc, const struct imap_search_key *k)
{
	const struct store_message *m = sc->m;
	/* RFC 3501: no Date: header means the internal date stands in. */
	int64_t sent = day_of(
		m->meta.sent_date != 0 ? m->meta.sent_date : m->internal_date);
	int64_t internal = day_of(m->internal_date);
	switch (k->type) {
	case IMAP_SEARCH_ALL:
	case IMAP_SEARCH_OLD:
		return true;
	case IMAP_SEARCH_NEW:
	case IMAP_SEARCH_RECENT:
		return false; /* \Recent is never set */
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
		return sent < k->number;
	case IMAP_SEARCH_SENTON:
		return sent == k->number;
	case IMAP_SEARCH_SENTSINCE:
		return sent >= k->number;
	case IMAP_SEARCH_HEADER:
		return header_matches(sc, k->field, k->value);
	case IMAP_SEARCH_BCC:
		return contains(span_from_cstr(m->meta.bcc), k->value);
	case IMAP_SEARCH_CC:
		return contains(span_from_cstr(m->meta.cc), k->value);
	case IMAP_SEARCH_FROM:
		return contains(span_from_cstr(m->meta.from), k->value);
	case IMAP_SEARCH_SUBJECT:
		return contains(span_from_cstr(m->meta.subject), k->value);
	case IMAP_SEARCH_TO:
		return contains(span_from_cstr(m->meta.to), k->value);
	case IMAP_SEARCH_BODY:
		if (!load_body(sc))
			return false;
		{
			struct span h = header_of(sc);
			return contains(span_make(sc->body.p + h.len,
						sc->body.len - h.len),
				k->value);
		}
	case IMAP_SEARCH_TEXT:
		return load_body(sc) && contains(sc->body, k->value);
	}
	return false;
}

/* Whether any key reads the body's summary (decoded fields, dates). */
static bool
needs_fields(const struct imap_search_key *k)
{
	switch (k->type) {
	case IMAP_SEARCH_BCC:
	case IMAP_SEARCH_CC:
	case IMAP_SEARCH_FROM:
	case IMAP_SEARCH_SUBJECT:
	case IMAP_SEARCH_TO:
	/* The sent date and the header's size are the body's too. */
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
	case IMAP_SEARCH_HEADER:
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		return true;
	default:
		break;
	}
	for (size_t i = 0; i < k->count; i++) {
		if (needs_fields(&k->children[i]))
			return true;
	}
	return false;
}

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
	const struct imap_view *v = &s->view;
	enum store_imap_columns columns = needs_fields(&key) ?
		STORE_IMAP_COLUMNS_SEARCH :
		STORE_IMAP_COLUMNS_FLAGS;
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
			struct search_ctx sc = { .s = s,
				.m = &rows[i],
				.seq = imap_view_seq(v, rows[i].uid) };
			if (sc.seq == 0 || !matches(&sc, &key))
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
