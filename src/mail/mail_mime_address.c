/*
 * Address lists of From, To, Cc and the like, split the way an IMAP ENVELOPE
 * shows them: name, source route, mailbox, host, with group marks. Layer:
 * mail. RFC 5322 §3.4 with the obsolete forms of §4.4, read leniently;
 * RFC 3501 §7.4.2 (address structure).
 */
#include "mail/mail_mime.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

enum tok_kind {
	TOK_END,
	TOK_ATOM,	/* atext and dots: obs-phrase allows "Jo Q. Public" */
	TOK_QUOTED,	/* "quoted string", quotes included */
	TOK_LITERAL,	/* [domain literal], brackets included */
	TOK_SPECIAL,	/* one of < > @ , ; : */
};

struct tok {
	enum tok_kind kind;
	struct span text;
	bool space_before;	/* blanks or a comment came before it */
};

struct alex {
	const char *p;
	const char *end;
	struct tok cur;		/* the token being looked at */
	struct span comment;	/* the last comment's text, without parens */
	/*
	 * Scratch text for the address being read, reused so that a list of
	 * many addresses costs only the exact copies emit() keeps.
	 */
	struct str name;
	struct str local;
	struct str domain;
	struct str route;
	struct arena *a;
	struct mail_mime_address *list;
	size_t count;
	size_t capacity;
	struct error *err;
};

static int
arena_full(struct error *err)
{
	return error_set(err, ERROR_LIMIT,
		"the address list outgrew its memory arena");
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_atom_char(char c)
{
	return c == '\0' || (!is_blank(c) && strchr("()<>@,;:\"[", c) == NULL);
}

static void
comment_skip(struct alex *l)
{
	const char *start = ++l->p;
	size_t depth = 1;
	for (; l->p < l->end; l->p++) {
		if (*l->p == '\\' && l->p + 1 < l->end) {
			l->p++;
		} else if (*l->p == '(') {
			depth++;
		} else if (*l->p == ')' && --depth == 0) {
			l->comment = span_make(start, (size_t)(l->p - start));
			l->p++;
			return;
		}
	}
	l->comment = span_make(start, (size_t)(l->end - start));
}

/* Skips to the closing quote or bracket, honouring quoted pairs. */
static void
enclosed_skip(struct alex *l, char close)
{
	for (l->p++; l->p < l->end && *l->p != close; l->p++) {
		if (*l->p == '\\' && l->p + 1 < l->end)
			l->p++;
	}
	if (l->p < l->end)
		l->p++;
}

/* Reads the next token into l->cur, skipping blanks and comments. */
static void
lex_next(struct alex *l)
{
	bool space = false;
	while (l->p < l->end && (is_blank(*l->p) || *l->p == '(' ||
		   *l->p == ')')) {
		if (*l->p == '(')
			comment_skip(l);
		else
			l->p++;	/* a stray ')' is as good as a blank */
		space = true;
	}
	const char *start = l->p;
	l->cur.space_before = space;
	if (l->p >= l->end) {
		l->cur.kind = TOK_END;
	} else if (*l->p == '"') {
		l->cur.kind = TOK_QUOTED;
		enclosed_skip(l, '"');
	} else if (*l->p == '[') {
		l->cur.kind = TOK_LITERAL;
		enclosed_skip(l, ']');
	} else if (!is_atom_char(*l->p)) {
		l->cur.kind = TOK_SPECIAL;
		l->p++;
	} else {
		l->cur.kind = TOK_ATOM;
		while (l->p < l->end && is_atom_char(*l->p))
			l->p++;
	}
	l->cur.text = span_make(start, (size_t)(l->p - start));
}

static bool
is_special(const struct alex *l, char c)
{
	return l->cur.kind == TOK_SPECIAL && l->cur.text.p[0] == c;
}

static bool
is_word(const struct alex *l)
{
	return l->cur.kind == TOK_ATOM || l->cur.kind == TOK_QUOTED ||
		l->cur.kind == TOK_LITERAL;
}

/* Appends a quoted string's content, without quotes and quoted pairs. */
static int
unquote_append(struct str *out, struct span q)
{
	size_t end = q.len > 1 && q.p[q.len - 1] == '"' ? q.len - 1 : q.len;
	for (size_t i = 1; i < end; i++) {
		if (q.p[i] == '\\' && i + 1 < end)
			i++;
		if (str_append_char(out, q.p[i]) < 0)
			return -1;
	}
	return 0;
}

/*
 * Words up to a special: *name (unless NULL) gets them as a display name
 * (quotes off, one space where blanks were), *local as written.
 */
static int
phrase_read(struct alex *l, struct str *name, struct str *local)
{
	for (; is_word(l); lex_next(l)) {
		struct span w = l->cur.text;
		if (str_append(local, w.p, w.len) < 0)
			return -1;
		if (name == NULL)
			continue;
		if (name->len > 0 && l->cur.space_before &&
		    str_append_char(name, ' ') < 0)
			return -1;
		if ((l->cur.kind == TOK_QUOTED ? unquote_append(name, w)
					       : str_append(name, w.p, w.len)) < 0)
			return -1;
	}
	return 0;
}

/*
 * A domain after '@': atoms and literals, joined while no blank parts them
 * or a dot links them, so "a@b c" leaves "c" for what follows.
 */
static int
domain_read(struct alex *l, struct str *domain)
{
	while (l->cur.kind == TOK_ATOM || l->cur.kind == TOK_LITERAL) {
		bool linked = domain->len == 0 || !l->cur.space_before ||
			domain->p[domain->len - 1] == '.' ||
			l->cur.text.p[0] == '.';
		if (!linked)
			break;
		if (str_append(domain, l->cur.text.p, l->cur.text.len) < 0)
			return -1;
		lex_next(l);
	}
	return 0;
}

static void
scratch_reset(struct str *s)
{
	s->len = 0;
	if (s->p != NULL)
		s->p[0] = '\0';
}

static const char *
text_or_null(const struct str *s)
{
	return s->len > 0 ? str_cstr(s) : NULL;
}

/* The display name, or the last comment standing in for a missing one. */
static const char *
name_pick(struct alex *l)
{
	if (l->name.len > 0)
		return str_cstr(&l->name);
	struct span c = span_trim(l->comment);
	return c.len > 0 ? span_dup(c, l->a) : NULL;
}

/* Keeps exact copies, as the strings given may be scratch text. */
static int
emit(struct alex *l, const char *name, const char *route,
	const char *mailbox, const char *host)
{
	const char *text[4] = { name, route, mailbox, host };
	for (size_t i = 0; i < 4; i++) {
		if (text[i] != NULL &&
		    (text[i] = arena_strdup(l->a, text[i])) == NULL)
			return arena_full(l->err);
	}
	struct mail_mime_address *addr = arena_array_push(l->a,
		(void **)&l->list, &l->count, &l->capacity, sizeof(*addr));
	if (addr == NULL)
		return arena_full(l->err);
	*addr = (struct mail_mime_address){ text[0], text[1], text[2],
		text[3] };
	return 0;
}

/* "@a,@b:" before an addr-spec (RFC 5322 §4.4 obs-route). */
static int
route_read(struct alex *l)
{
	struct str *route = &l->route;
	while (is_special(l, '@') || is_special(l, ',')) {
		bool at = is_special(l, '@');
		lex_next(l);
		if (at && (str_append_char(route, '@') < 0 ||
			      domain_read(l, route) < 0))
			return -1;
		if (!at && route->len > 0 && str_append_char(route, ',') < 0)
			return -1;
	}
	if (route->len > 0 && is_special(l, ':'))
		lex_next(l);
	return 0;
}

/*
 * "<[route] local@domain>", the '<' already read and the display name in
 * l->name. The local part is read afresh: l->local held the name's words.
 */
static int
angle_read(struct alex *l)
{
	scratch_reset(&l->local);
	if (route_read(l) < 0 || phrase_read(l, NULL, &l->local) < 0)
		return arena_full(l->err);
	if (is_special(l, '@')) {
		lex_next(l);
		if (domain_read(l, &l->domain) < 0)
			return arena_full(l->err);
	}
	while (l->cur.kind != TOK_END && !is_special(l, '>') &&
	       !is_special(l, ','))
		lex_next(l);	/* junk inside the brackets */
	if (is_special(l, '>'))
		lex_next(l);
	return emit(l, name_pick(l), text_or_null(&l->route),
		str_cstr(&l->local), str_cstr(&l->domain));
}

static int address_read(struct alex *l, bool in_group);

/* "name: member, member;" the ':' already read (RFC 5322 §3.4). */
static int
group_read(struct alex *l)
{
	if (emit(l, NULL, NULL, str_cstr(&l->name), NULL) < 0)
		return -1;
	while (l->cur.kind != TOK_END && !is_special(l, ';')) {
		if (is_special(l, ','))
			lex_next(l);
		else if (address_read(l, true) < 0)
			return -1;
	}
	if (is_special(l, ';'))
		lex_next(l);
	return emit(l, NULL, NULL, NULL, NULL);
}

/* One address or group; always moves past at least one token. */
static int
address_read(struct alex *l, bool in_group)
{
	scratch_reset(&l->name);
	scratch_reset(&l->local);
	scratch_reset(&l->domain);
	scratch_reset(&l->route);
	l->comment = span_make(NULL, 0);
	if (phrase_read(l, &l->name, &l->local) < 0)
		return arena_full(l->err);
	/* A group needs a name; a lone ':' is junk. */
	if (is_special(l, ':') && !in_group && l->name.len > 0) {
		lex_next(l);
		return group_read(l);
	}
	if (is_special(l, '<')) {
		lex_next(l);
		return angle_read(l);
	}
	if (is_special(l, '@')) {
		lex_next(l);
		if (domain_read(l, &l->domain) < 0)
			return arena_full(l->err);
		scratch_reset(&l->name);	/* words before '@' are the local part */
		return emit(l, name_pick(l), NULL, str_cstr(&l->local),
			str_cstr(&l->domain));
	}
	if (l->local.len > 0) {
		/* A bare word such as "To: jo": a mailbox without a domain. */
		scratch_reset(&l->name);
		return emit(l, name_pick(l), NULL, str_cstr(&l->local), "");
	}
	if (!is_special(l, ',') && l->cur.kind != TOK_END)
		lex_next(l);	/* a stray special */
	return 0;
}

int
mail_mime_address_parse(struct span value, struct arena *a,
	struct mail_mime_address **list_r, size_t *count_r, struct error *err)
{
	struct alex l = { .p = value.p, .end = value.p + value.len, .a = a,
		.err = err };
	str_init(&l.name, a, SIZE_MAX);
	str_init(&l.local, a, SIZE_MAX);
	str_init(&l.domain, a, SIZE_MAX);
	str_init(&l.route, a, SIZE_MAX);
	lex_next(&l);
	while (l.cur.kind != TOK_END) {
		if (is_special(&l, ','))
			lex_next(&l);
		else if (address_read(&l, false) < 0)
			return -1;
	}
	*list_r = l.list;
	*count_r = l.count;
	return 0;
}
