/*
 * The MIME part tree of a message in memory: one pass, exact byte offsets,
 * limits checked as each part is met. Layer: mail. RFC 2045 (headers and
 * defaults), RFC 2046 §5.1 (boundaries), RFC 2183, RFC 2231 (parameter
 * continuations), RFC 5322 §2.2 (fields), RFC 3501 §6.4.5 (section numbers).
 */
#include "mail/mail_mime.h"

#include <assert.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

/*
 * Parameters past this many in one header are ignored: no real header has
 * so many, and the cap keeps joining RFC 2231 continuations cheap.
 */
#define PARAMS_MAX 64

/* A NUL in header text is shown as U+FFFD: IMAP strings may not hold NUL. */
static const char replacement[] = "\xef\xbf\xbd";

struct scan {
	const char *msg;
	size_t len;
	struct arena *a;
	struct span bounds[MAIL_MIME_MAX_DEPTH + 1];	/* outermost first */
	unsigned bound_count;
	unsigned part_count;
	struct error *err;
};

/* Where a part's content stopped: a boundary line, or the end (level -1). */
struct stop {
	size_t at;	/* start of the boundary line, or the message length */
	int level;	/* index in scan.bounds of the boundary found */
	bool close;	/* the line was a close delimiter, "--b--" */
};

static int
arena_full(struct error *err)
{
	return error_set(err, ERROR_LIMIT,
		"the message structure outgrew its memory arena");
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* --- Header fields (RFC 5322 §2.2) ------------------------------------- */

/* Where the value starts if the line at p is field name (n bytes), or NULL. */
static const char *
field_value_start(const char *p, const char *end, const char *name, size_t n)
{
	if ((size_t)(end - p) <= n || !span_eq_nocase(span_make(p, n), name))
		return NULL;
	p += n;
	while (p < end && is_blank(*p))
		p++;
	return p < end && *p == ':' ? p + 1 : NULL;
}

static const char *
line_after(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl != NULL ? nl + 1 : end;
}

bool
mail_mime_header_find(struct span header, const char *name,
	struct span *value_r)
{
	size_t n = strlen(name);
	const char *end = header.p + header.len;
	for (const char *p = header.p; p < end; p = line_after(p, end)) {
		const char *value = field_value_start(p, end, name, n);
		if (value == NULL)
			continue;
		/* Lines starting with a blank continue the field (folding). */
		const char *next = line_after(value, end);
		while (next < end && is_blank(*next))
			next = line_after(next, end);
		const char *stop = next;
		if (stop > value && stop[-1] == '\n')
			stop--;
		if (stop > value && stop[-1] == '\r')
			stop--;
		*value_r = span_make(value, (size_t)(stop - value));
		return true;
	}
	return false;
}

char *
mail_mime_header_unfold(struct span value, struct arena *a)
{
	size_t nuls = 0;
	for (size_t i = 0; i < value.len; i++)
		nuls += value.p[i] == '\0';
	char *out = arena_alloc(a, value.len + 2 * nuls + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < value.len; i++) {
		char c = value.p[i];
		/* Unfolding drops a CRLF before a blank; strays go too. */
		if (c == '\r' || c == '\n' || (o == 0 && is_blank(c)))
			continue;
		if (c == '\0') {
			memcpy(out + o, replacement, 3);
			o += 3;
		} else {
			out[o++] = c;
		}
	}
	while (o > 0 && is_blank(out[o - 1]))
		o--;
	out[o] = '\0';
	return out;
}

/* An unfolded field, or NULL in *text_r when absent. -1 past the arena cap. */
static int
field_text(struct scan *s, struct span header, const char *name,
	const char **text_r)
{
	struct span raw;
	*text_r = NULL;
	if (!mail_mime_header_find(header, name, &raw))
		return 0;
	*text_r = mail_mime_header_unfold(raw, s->a);
	return *text_r != NULL ? 0 : arena_full(s->err);
}

/* --- Structured values: tokens, comments, parameters (RFC 2045 §5.1) ---- */

struct lex {
	const char *p;
	const char *end;
};

static bool
is_token_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 32 && u < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

const char *
mail_mime_skip_cfws(const char *p, const char *end)
{
	size_t depth = 0;
	for (; p < end; p++) {
		char c = *p;
		if (depth > 0) {
			if (c == '\\' && p + 1 < end)
				p++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (!is_blank(c) && c != '\r' && c != '\n') {
			return p;
		}
	}
	return p;
}

/*
 * Skips blanks and comments. The values lexed here are unfolded, with no
 * CR or LF left to skip.
 */
static void
lex_skip_cfws(struct lex *l)
{
	l->p = mail_mime_skip_cfws(l->p, l->end);
}

static struct span
lex_token(struct lex *l)
{
	const char *start = l->p;
	while (l->p < l->end && is_token_char(*l->p))
		l->p++;
	return span_make(start, (size_t)(l->p - start));
}

static bool
lex_peek(const struct lex *l, char c)
{
	return l->p < l->end && *l->p == c;
}

static void
lex_skip_to(struct lex *l, char c)
{
	while (l->p < l->end && *l->p != c)
		l->p++;
}

/*
 * A quoted string without its quotes and quoted pairs; lenient at the end.
 * It is measured first, so many small values in a long header each cost
 * their own size, not the rest of the header.
 */
static char *
lex_quoted(struct lex *l, struct arena *a)
{
	const char *p = l->p + 1;
	size_t len = 0;
	for (; p < l->end && *p != '"'; p++, len++) {
		if (*p == '\\' && p + 1 < l->end)
			p++;
	}
	char *out = arena_alloc(a, len + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (l->p++; l->p < p; l->p++) {
		if (*l->p == '\\' && l->p + 1 < p)
			l->p++;
		out[o++] = *l->p;
	}
	if (l->p < l->end)
		l->p++;	/* the closing quote */
	out[o] = '\0';
	return out;
}

/*
 * An unquoted value. Senders often leave tspecials such as '=' or '/'
 * unquoted, so everything up to a blank, ';', '"' or comment is taken.
 */
static struct span
lex_loose_value(struct lex *l)
{
	const char *start = l->p;
	while (l->p < l->end && !is_blank(*l->p) &&
	       strchr(";\"(", *l->p) == NULL)
		l->p++;
	return span_make(start, (size_t)(l->p - start));
}

struct raw_param {
	struct span name;
	const char *value;
	bool used;
};

/*
 * The parts of an RFC 2231 continuation name "base*N" or "base*N*". A bare
 * "base*" is an encoded value without continuations and is left alone.
 */
static bool
continuation_of(struct span name, struct span *base_r, unsigned *index_r,
	bool *encoded_r)
{
	const char *star = memchr(name.p, '*', name.len);
	if (star == NULL || star == name.p)
		return false;
	struct span rest = span_make(star + 1,
		name.len - (size_t)(star - name.p) - 1);
	*encoded_r = rest.len > 0 && rest.p[rest.len - 1] == '*';
	if (*encoded_r)
		rest.len--;
	uint64_t index;
	/* At most three digits, and no leading zero (RFC 2231 §3). */
	if (rest.len == 0 || rest.len > 3 || !span_to_u64(rest, &index) ||
	    (rest.len > 1 && rest.p[0] == '0'))
		return false;
	*base_r = span_make(name.p, (size_t)(star - name.p));
	*index_r = (unsigned)index;
	return true;
}

/* The unused segment `index` of continuation `base`, or NULL. */
static struct raw_param *
segment_find(struct raw_param *raw, size_t n, struct span base,
	unsigned index, bool *encoded_r)
{
	for (size_t i = 0; i < n; i++) {
		struct span b;
		unsigned k;
		if (!raw[i].used &&
		    continuation_of(raw[i].name, &b, &k, encoded_r) &&
		    k == index && b.len == base.len &&
		    strncasecmp(b.p, base.p, b.len) == 0)
			return &raw[i];
	}
	return NULL;
}

static bool
is_attribute_char(char c)
{
	return is_token_char(c) && c != '*' && c != '\'' && c != '%';
}

/* Appends value, %-encoding it when it joins an encoded (name*) value. */
static int
segment_append(struct str *out, const char *value, bool encode)
{
	for (const char *p = value; *p != '\0'; p++) {
		int rc = encode && !is_attribute_char(*p)
			? str_appendf(out, "%%%02X", (unsigned char)*p)
			: str_append_char(out, *p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Joins the continuations of base (RFC 2231 §3-4) into one parameter. */
static int
continuation_join(struct scan *s, struct raw_param *raw, size_t n,
	struct span base, struct mail_mime_param *param_r)
{
	struct str value;
	str_init(&value, s->a, SIZE_MAX);
	bool first_encoded = false;
	for (unsigned index = 0;; index++) {
		bool encoded;
		struct raw_param *seg = segment_find(raw, n, base, index,
			&encoded);
		if (seg == NULL)
			break;
		seg->used = true;
		if (index == 0)
			first_encoded = encoded;
		bool encode = first_encoded && !encoded;
		if (segment_append(&value, seg->value, encode) < 0)
			return arena_full(s->err);
	}
	struct str name;
	str_init(&name, s->a, SIZE_MAX);
	if (str_append(&name, base.p, base.len) < 0 ||
	    (first_encoded && str_append_char(&name, '*') < 0) ||
	    str_append(&value, "", 0) < 0)
		return arena_full(s->err);
	param_r->name = str_cstr(&name);
	param_r->value = str_cstr(&value);
	return 0;
}

/* Turns the raw parameters into the part's, joining continuations. */
static int
params_finish(struct scan *s, struct raw_param *raw, size_t n,
	const struct mail_mime_param **params_r, size_t *count_r)
{
	struct mail_mime_param *params = NULL;
	size_t count = 0, capacity = 0;
	for (size_t i = 0; i < n; i++) {
		if (raw[i].used)
			continue;
		struct mail_mime_param *param = arena_array_push(s->a,
			(void **)&params, &count, &capacity, sizeof(*params));
		if (param == NULL)
			return arena_full(s->err);
		struct span base;
		unsigned index;
		bool encoded;
		if (continuation_of(raw[i].name, &base, &index, &encoded) &&
		    segment_find(raw, n, base, 0, &encoded) != NULL) {
			if (continuation_join(s, raw, n, base, param) < 0)
				return -1;
			continue;
		}
		raw[i].used = true;
		param->name = span_dup(raw[i].name, s->a);
		param->value = raw[i].value;
		if (param->name == NULL)
			return arena_full(s->err);
	}
	*params_r = params;
	*count_r = count;
	return 0;
}

/* Parses "; name=value" pairs to the end of l; junk is skipped. */
static int
params_parse(struct scan *s, struct lex *l,
	const struct mail_mime_param **params_r, size_t *count_r)
{
	struct raw_param raw[PARAMS_MAX];
	size_t n = 0;
	while (n < PARAMS_MAX) {
		lex_skip_cfws(l);
		if (l->p >= l->end)
			break;
		if (*l->p != ';') {
			lex_skip_to(l, ';');
			continue;
		}
		l->p++;
		lex_skip_cfws(l);
		struct span name = lex_token(l);
		lex_skip_cfws(l);
		if (name.len == 0 || !lex_peek(l, '='))
			continue;
		l->p++;
		lex_skip_cfws(l);
		const char *value = lex_peek(l, '"')
			? lex_quoted(l, s->a)
			: span_dup(lex_loose_value(l), s->a);
		if (value == NULL)
			return arena_full(s->err);
		raw[n++] = (struct raw_param){ name, value, false };
	}
	return params_finish(s, raw, n, params_r, count_r);
}

/* --- The content fields of one part (RFC 2045 §5-8, RFC 2183) ---------- */

static const char *
param_get(const struct mail_mime_param *params, size_t count,
	const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (strcasecmp(params[i].name, name) == 0)
			return params[i].value;
	}
	return NULL;
}

/*
 * Content-Type "type/subtype; params". *valid_r is false when the value is
 * not of that form, and the part then takes the RFC 2045 §5.2 default.
 */
static int
media_type_parse(struct scan *s, const char *value, struct mail_mime_part *part,
	bool *valid_r)
{
	struct lex l = { value, value + strlen(value) };
	lex_skip_cfws(&l);
	struct span type = lex_token(&l);
	lex_skip_cfws(&l);
	*valid_r = false;
	if (type.len == 0 || !lex_peek(&l, '/'))
		return 0;
	l.p++;
	lex_skip_cfws(&l);
	struct span subtype = lex_token(&l);
	if (subtype.len == 0)
		return 0;
	part->type = span_dup_lower(type, s->a);
	part->subtype = span_dup_lower(subtype, s->a);
	if (part->type == NULL || part->subtype == NULL)
		return arena_full(s->err);
	*valid_r = true;
	return params_parse(s, &l, &part->params, &part->param_count);
}

static int
disposition_parse(struct scan *s, const char *value,
	struct mail_mime_part *part)
{
	struct lex l = { value, value + strlen(value) };
	lex_skip_cfws(&l);
	struct span type = lex_token(&l);
	if (type.len == 0)
		return 0;
	part->disposition = span_dup_lower(type, s->a);
	if (part->disposition == NULL)
		return arena_full(s->err);
	return params_parse(s, &l, &part->disposition_params,
		&part->disposition_param_count);
}

/* The Content-Transfer-Encoding token, or NULL when it is not one. */
static int
encoding_parse(struct scan *s, const char *value, const char **encoding_r)
{
	struct lex l = { value, value + strlen(value) };
	lex_skip_cfws(&l);
	struct span token = lex_token(&l);
	lex_skip_cfws(&l);
	*encoding_r = NULL;
	if (token.len == 0 || l.p != l.end)
		return 0;
	*encoding_r = span_dup_lower(token, s->a);
	return *encoding_r != NULL ? 0 : arena_full(s->err);
}

/* Only these encodings may wrap a message or multipart (RFC 2045 §6.4). */
static bool
is_identity_encoding(const char *encoding)
{
	return encoding == NULL || strcmp(encoding, "7bit") == 0 ||
		strcmp(encoding, "8bit") == 0 ||
		strcmp(encoding, "binary") == 0;
}

/*
 * Settles the part's kind. A multipart without a boundary cannot be split
 * and counts as invalid. An encoded message/rfc822 cannot be parsed in
 * place, so it is shown as the opaque data it is, as GMime does.
 */
static void
kind_settle(struct mail_mime_part *part, bool in_digest)
{
	part->kind = MAIL_MIME_LEAF;
	if (part->type != NULL && strcmp(part->type, "multipart") == 0) {
		const char *boundary = param_get(part->params,
			part->param_count, "boundary");
		if (boundary != NULL && boundary[0] != '\0') {
			part->kind = MAIL_MIME_MULTIPART;
			return;
		}
		part->type = NULL;
	}
	if (part->type == NULL) {
		/* RFC 2045 §5.2; in a digest, RFC 2046 §5.1.5. */
		part->type = in_digest ? "message" : "text";
		part->subtype = in_digest ? "rfc822" : "plain";
		part->params = NULL;
		part->param_count = 0;
	}
	if (strcmp(part->type, "message") == 0 &&
	    strcmp(part->subtype, "rfc822") == 0) {
		if (is_identity_encoding(part->encoding)) {
			part->kind = MAIL_MIME_MESSAGE;
		} else {
			part->type = "application";
			part->subtype = "octet-stream";
			part->encoded_message = true;
		}
	}
}

static int
part_fields(struct scan *s, struct mail_mime_part *part, bool in_digest)
{
	struct span header = span_make(s->msg + part->header_offset,
		part->header_size);
	const char *type, *encoding, *disposition, *language;
	if (field_text(s, header, "Content-Type", &type) < 0 ||
	    field_text(s, header, "Content-Transfer-Encoding", &encoding) < 0 ||
	    field_text(s, header, "Content-Disposition", &disposition) < 0 ||
	    field_text(s, header, "Content-Language", &language) < 0 ||
	    field_text(s, header, "Content-ID", &part->id) < 0 ||
	    field_text(s, header, "Content-Description",
		    &part->description) < 0 ||
	    field_text(s, header, "Content-MD5", &part->md5) < 0 ||
	    field_text(s, header, "Content-Location", &part->location) < 0)
		return -1;
	bool valid = false;
	if ((encoding != NULL &&
		    encoding_parse(s, encoding, &part->encoding) < 0) ||
	    (type != NULL && media_type_parse(s, type, part, &valid) < 0) ||
	    (disposition != NULL &&
		    disposition_parse(s, disposition, part) < 0))
		return -1;
	if (!valid)
		part->type = NULL;
	part->language = language;
	kind_settle(part, in_digest);
	return 0;
}

/* --- Boundaries and bodies (RFC 2046 §5.1.1) ---------------------------- */

static size_t
line_next(const struct scan *s, size_t p)
{
	return (size_t)(line_after(s->msg + p, s->msg + s->len) - s->msg);
}

/*
 * The boundary level whose delimiter starts the line at p, innermost first,
 * or -1. As in Dovecot, "--boundary" need only begin the line: RFC 2046
 * forbids any line of the content to start so.
 */
static int
boundary_at(const struct scan *s, size_t p, bool *close_r)
{
	size_t left = s->len - p;
	if (left < 2 || s->msg[p] != '-' || s->msg[p + 1] != '-')
		return -1;
	for (int i = (int)s->bound_count - 1; i >= 0; i--) {
		struct span b = s->bounds[i];
		if (left - 2 < b.len || memcmp(s->msg + p + 2, b.p, b.len) != 0)
			continue;
		size_t after = p + 2 + b.len;
		*close_r = s->len - after >= 2 && s->msg[after] == '-' &&
			s->msg[after + 1] == '-';
		return i;
	}
	return -1;
}

/* Scans content from the line at p to the next boundary line or the end. */
static struct stop
content_scan(const struct scan *s, size_t p)
{
	if (s->bound_count > 0) {
		for (; p < s->len; p = line_next(s, p)) {
			bool close;
			int level = boundary_at(s, p, &close);
			if (level >= 0)
				return (struct stop){ p, level, close };
		}
	}
	return (struct stop){ s->len, -1, false };
}

/*
 * The end of content from start to stop. The line break before a boundary
 * belongs to the boundary (RFC 2046 §5.1.1), not to the content.
 */
static size_t
content_end(const struct scan *s, size_t start, const struct stop *stop)
{
	size_t end = stop->at;
	if (stop->level < 0 || end == start)
		return end;
	/* Boundaries are only ever found at the start of a line. */
	assert(end > start && s->msg[end - 1] == '\n');
	end--;
	if (end > start && s->msg[end - 1] == '\r')
		end--;
	return end;
}

static size_t
lines_count(const char *p, size_t len)
{
	size_t lines = 0;
	const char *end = p + len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	return lines;
}

/*
 * The header block from p: through its blank line, or up to a boundary
 * line or the end when it has none. Returns where the body starts.
 */
static size_t
header_end(const struct scan *s, size_t p)
{
	while (p < s->len) {
		bool close;
		if (boundary_at(s, p, &close) >= 0)
			return p;
		if (s->msg[p] == '\n')
			return p + 1;
		if (s->msg[p] == '\r' && p + 1 < s->len &&
		    s->msg[p + 1] == '\n')
			return p + 2;
		p = line_next(s, p);
	}
	return s->len;
}

size_t
mail_mime_header_size(const char *msg, size_t len)
{
	/* No boundaries: only the empty line or the end stops it. */
	struct scan s = { .msg = msg, .len = len };
	return header_end(&s, 0);
}

/* --- The tree ------------------------------------------------------------ */

static struct mail_mime_part *part_parse(struct scan *s, size_t start,
	unsigned depth, bool in_digest, struct stop *stop_r);

/*
 * The body parts between the delimiters of this multipart's boundary. A part
 * whose close delimiter is missing ends at a parent's boundary, so one
 * broken part cannot swallow the rest of the message.
 */
static int
multipart_parse(struct scan *s, struct mail_mime_part *part, size_t body,
	unsigned depth, struct stop *stop_r)
{
	unsigned mine = s->bound_count;
	/* Only multipart ancestors push, so at most one per level above. */
	assert(mine <= depth && mine < MAIL_MIME_MAX_DEPTH + 1);
	s->bounds[s->bound_count++] = span_from_cstr(
		param_get(part->params, part->param_count, "boundary"));
	bool digest = strcmp(part->subtype, "digest") == 0;
	struct mail_mime_part **tail = &part->children;
	struct stop stop = content_scan(s, body);
	while (stop.level == (int)mine && !stop.close) {
		struct mail_mime_part *child = part_parse(s,
			line_next(s, stop.at), depth + 1, digest, &stop);
		if (child == NULL)
			return -1;
		*tail = child;
		tail = &child->next;
	}
	s->bound_count = mine;
	/* The epilogue after the close delimiter ends at a parent's. */
	if (stop.level == (int)mine)
		stop = content_scan(s, line_next(s, stop.at));
	*stop_r = stop;
	return 0;
}

/* One part from start, with all it holds; NULL and s->err set on failure. */
static struct mail_mime_part *
part_parse(struct scan *s, size_t start, unsigned depth, bool in_digest,
	struct stop *stop_r)
{
	if (depth > MAIL_MIME_MAX_DEPTH) {
		error_set(s->err, ERROR_LIMIT,
			"MIME parts nest more than %d deep",
			MAIL_MIME_MAX_DEPTH);
		return NULL;
	}
	if (++s->part_count > MAIL_MIME_MAX_PARTS) {
		error_set(s->err, ERROR_LIMIT,
			"the message has more than %d MIME parts",
			MAIL_MIME_MAX_PARTS);
		return NULL;
	}
	struct mail_mime_part *part = arena_alloc(s->a, sizeof(*part));
	if (part == NULL) {
		arena_full(s->err);
		return NULL;
	}
	part->header_offset = start;
	size_t body = header_end(s, start);
	part->header_size = body - start;
	if (part_fields(s, part, in_digest) < 0)
		return NULL;
	struct stop stop = { s->len, -1, false };
	if (part->kind == MAIL_MIME_MULTIPART) {
		if (multipart_parse(s, part, body, depth, &stop) < 0)
			return NULL;
	} else if (part->kind == MAIL_MIME_MESSAGE) {
		part->children = part_parse(s, body, depth + 1, false, &stop);
		if (part->children == NULL)
			return NULL;
	} else {
		stop = content_scan(s, body);
	}
	part->body_size = content_end(s, body, &stop) - body;
	part->body_lines = lines_count(s->msg + body, part->body_size);
	*stop_r = stop;
	return part;
}

int
mail_mime_parse(const char *msg, size_t len, struct arena *a,
	struct mail_mime_part **root_r, struct error *err)
{
	/* memchr may not be given NULL, even for no bytes. */
	struct scan s = { .msg = msg != NULL ? msg : "", .len = len, .a = a,
		.err = err };
	struct stop stop;
	*root_r = part_parse(&s, 0, 0, false, &stop);
	return *root_r != NULL ? 0 : -1;
}

/* --- Sections (RFC 3501 §6.4.5) ----------------------------------------- */

static int
section_invalid(struct error *err, const char *section)
{
	return error_set(err, ERROR_INVALID, "'%.64s' is not a body section",
		section);
}

/* A part number: no leading zero; large ones saturate (no such part). */
static bool
section_number(const char **pp, unsigned long *n_r)
{
	const char *p = *pp;
	if (*p < '1' || *p > '9')
		return false;
	unsigned long n = 0;
	for (; str_is_ascii_digit(*p); p++) {
		if (n < 100000000UL)
			n = n * 10 + (unsigned long)(*p - '0');
	}
	*pp = p;
	*n_r = n;
	return true;
}

static const struct mail_mime_part *
child_nth(const struct mail_mime_part *part, unsigned long n)
{
	const struct mail_mime_part *child = part->children;
	while (child != NULL && --n > 0)
		child = child->next;
	return child;
}

/*
 * Follows the part numbers at *pp. In a message that is not multipart, part
 * 1 is its body; a number after a message/rfc822 part counts in the
 * message it holds. *numbered_r tells whether any number was read.
 */
static int
section_walk(const struct mail_mime_part **part_io, const char **pp,
	bool *numbered_r, const char *section, struct error *err)
{
	const struct mail_mime_part *part = *part_io;
	bool top = true;	/* part is a message's top, not yet numbered */
	*numbered_r = false;
	while (str_is_ascii_digit(**pp)) {
		unsigned long n;
		if (!section_number(pp, &n))
			return section_invalid(err, section);
		if (!top && part->kind == MAIL_MIME_MESSAGE) {
			part = part->children;
			top = true;
		}
		if (part->kind == MAIL_MIME_MULTIPART)
			part = child_nth(part, n);
		else if (!top || n != 1)
			part = NULL;
		if (part == NULL)
			return error_set(err, ERROR_NOT_FOUND,
				"the message has no part %.64s", section);
		top = false;
		*numbered_r = true;
		if (**pp == '\0')
			break;
		if (**pp != '.' || (*pp)[1] == '\0')
			return section_invalid(err, section);
		(*pp)++;
	}
	*part_io = part;
	return 0;
}

static void
range_header(const struct mail_mime_part *part, size_t *offset_r,
	size_t *length_r)
{
	*offset_r = part->header_offset;
	*length_r = part->header_size;
}

static void
range_body(const struct mail_mime_part *part, size_t *offset_r,
	size_t *length_r)
{
	*offset_r = part->header_offset + part->header_size;
	*length_r = part->body_size;
}

int
mail_mime_part_section(const struct mail_mime_part *root,
	const char *section, size_t *offset_r, size_t *length_r,
	struct error *err)
{
	const struct mail_mime_part *part = root;
	const char *p = section;
	bool numbered;
	if (section_walk(&part, &p, &numbered, section, err) < 0)
		return -1;
	if (*p == '\0' && !numbered) {
		*offset_r = 0;
		*length_r = root->header_size + root->body_size;
	} else if (*p == '\0') {
		range_body(part, offset_r, length_r);
	} else if (strcasecmp(p, "MIME") == 0 && numbered) {
		range_header(part, offset_r, length_r);
	} else if (strcasecmp(p, "HEADER") == 0 || strcasecmp(p, "TEXT") == 0) {
		/* Only a message/rfc822 part has its own header and text. */
		if (numbered && part->kind != MAIL_MIME_MESSAGE)
			return error_set(err, ERROR_NOT_FOUND,
				"part %.64s is not a message", section);
		if (numbered)
			part = part->children;
		if (strcasecmp(p, "HEADER") == 0)
			range_header(part, offset_r, length_r);
		else
			range_body(part, offset_r, length_r);
	} else {
		return section_invalid(err, section);
	}
	return 0;
}

int
mail_mime_section(const char *msg, size_t len, const char *section,
	struct arena *a, size_t *offset_r, size_t *length_r, struct error *err)
{
	struct mail_mime_part *root = NULL;
	if (mail_mime_parse(msg, len, a, &root, err) < 0)
		return -1;
	return mail_mime_part_section(root, section, offset_r, length_r, err);
}
