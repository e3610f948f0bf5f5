/*
 * DKIM's canonicalisation of header fields and of the body, relaxed and
 * simple (RFC 6376 §3.4), and the split of a message into header fields.
 * Layer: domain, pure: bytes in, bytes out, no I/O. Fuzzed by
 * tests/fuzz/fuzz_dkim.c.
 */
#include "mail/mail_dkim.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

bool
mail_dkim_name_is_valid(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > MAIL_DKIM_NAME_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!str_is_ascii_alpha(c) && !str_is_ascii_digit(c) &&
		    c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		label++;
	}
	return true;
}

int
mail_dkim_canon_header(struct span field, struct str *out, struct error *err)
{
	const char *colon = memchr(field.p, ':', field.len);
	if (colon == NULL)
		return error_set(err, ERROR_INVALID,
			"a header field has no colon");
	size_t name_len = (size_t)(colon - field.p);
	while (name_len > 0 && is_wsp(field.p[name_len - 1]))
		name_len--;
	size_t start = out->len;
	for (size_t i = 0; i < name_len; i++) {
		if (str_append_char(out, str_ascii_lower(field.p[i])) < 0)
			goto full;
	}
	if (str_append_char(out, ':') < 0)
		goto full;
	/*
	 * The value: line ends inside it are folds and vanish; a WSP run is
	 * written as one SP only once text follows it, so none leads or
	 * trails.
	 */
	bool wsp = false, text = false;
	for (size_t i = (size_t)(colon - field.p) + 1; i < field.len; i++) {
		char c = field.p[i];
		if (c == '\n' || (c == '\r' && i + 1 < field.len &&
				     field.p[i + 1] == '\n'))
			continue;
		if (c == '\r' && i + 1 == field.len)
			continue;	/* the field's own CRLF, LF cut off */
		if (is_wsp(c)) {
			wsp = true;
			continue;
		}
		if (wsp && text && str_append_char(out, ' ') < 0)
			goto full;
		wsp = false;
		text = true;
		if (str_append_char(out, c) < 0)
			goto full;
	}
	if (str_append(out, "\r\n", 2) < 0)
		goto full;
	return 0;
full:
	out->len = start < out->len ? start : out->len;
	return error_set(err, ERROR_LIMIT,
		"the header is too large to sign");
}

int
mail_dkim_canon_header_simple(struct span field, struct str *out)
{
	for (size_t i = 0; i < field.len; i++) {
		if (field.p[i] == '\n' && (i == 0 || field.p[i - 1] != '\r') &&
		    str_append_char(out, '\r') < 0)
			return -1;
		if (str_append_char(out, field.p[i]) < 0)
			return -1;
	}
	return str_append(out, "\r\n", 2);
}

void
mail_dkim_body_init(struct mail_dkim_body *b, mail_dkim_sink *sink,
	void *arg)
{
	memset(b, 0, sizeof(*b));
	b->sink = sink;
	b->arg = arg;
}

static void
flush(struct mail_dkim_body *b)
{
	if (b->buf_len > 0)
		b->sink(b->arg, b->buf, b->buf_len);
	b->buf_len = 0;
}

static void
emit(struct mail_dkim_body *b, const char *p, size_t len)
{
	if (b->buf_len + len > sizeof(b->buf))
		flush(b);
	memcpy(b->buf + b->buf_len, p, len);
	b->buf_len += len;
	b->wrote = true;
}

/*
 * A byte of text (not WSP, not a line end). Empty lines held back are
 * not at the end of the body after all, so they are written first.
 */
static void
text_byte(struct mail_dkim_body *b, char c)
{
	if (!b->line_open) {
		for (; b->held_lines > 0; b->held_lines--)
			emit(b, "\r\n", 2);
		b->line_open = true;
	}
	if (b->in_wsp)
		emit(b, " ", 1);
	b->in_wsp = false;
	emit(b, &c, 1);
}

/* WSP at a line's end goes; a line of nothing else is an empty line. */
static void
line_end(struct mail_dkim_body *b)
{
	if (b->line_open)
		emit(b, "\r\n", 2);
	else
		b->held_lines++;
	b->line_open = false;
	b->in_wsp = false;
}

void
mail_dkim_body_update(struct mail_dkim_body *b, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				line_end(b);
				continue;
			}
			text_byte(b, '\r');
		}
		if (c == '\r')
			b->cr = true;
		else if (c == '\n')
			line_end(b);
		else if (!b->simple && is_wsp(c))
			b->in_wsp = true;
		else
			text_byte(b, c);
	}
}

void
mail_dkim_body_final(struct mail_dkim_body *b)
{
	if (b->cr)
		text_byte(b, '\r');
	b->cr = false;
	/*
	 * RFC 6376 §3.4.4: a non-empty body gets a CRLF it lacks; §3.4.3: a
	 * simple empty body is one CRLF.
	 */
	if (b->line_open || (b->simple && !b->wrote))
		emit(b, "\r\n", 2);
	b->line_open = false;
	b->held_lines = 0;
	b->in_wsp = false;
	flush(b);
}

/* The end of the line starting at i: the index of its LF, or len. */
static size_t
line_end_at(struct span s, size_t i)
{
	const char *lf = memchr(s.p + i, '\n', s.len - i);
	return lf != NULL ? (size_t)(lf - s.p) : s.len;
}

/* A field name is printable ASCII but the colon (RFC 5322 §2.2 ftext). */
static bool
field_name(struct span line, struct span *name_r)
{
	size_t n = 0;
	while (n < line.len && line.p[n] > ' ' && line.p[n] < 127 &&
	       line.p[n] != ':')
		n++;
	size_t name_len = n;
	while (n < line.len && is_wsp(line.p[n]))
		n++;
	if (name_len == 0 || n >= line.len || line.p[n] != ':')
		return false;
	*name_r = span_make(line.p, name_len);
	return true;
}

int
mail_dkim_header_fields(struct span msg, struct arena *a,
	struct mail_dkim_field **fields_r, size_t *count_r, size_t *body_r,
	struct error *err)
{
	struct mail_dkim_field *items = NULL;
	size_t count = 0, capacity = 0, i = 0, lineno = 0;
	while (i < msg.len) {
		size_t end = line_end_at(msg, i);
		size_t next = end < msg.len ? end + 1 : msg.len;
		size_t text_end = end;
		if (text_end > i && msg.p[text_end - 1] == '\r')
			text_end--;
		struct span line = span_make(msg.p + i, text_end - i);
		lineno++;
		if (line.len == 0) {
			i = next;	/* the empty line: the body follows */
			break;
		}
		if (line.len > 0 && is_wsp(line.p[0])) {
			if (count == 0)
				return error_set(err, ERROR_INVALID,
					"the message starts with a folded "
					"line, not a header field");
			struct mail_dkim_field *f = &items[count - 1];
			f->field.len = (size_t)(line.p + line.len - f->field.p);
			i = next;
			continue;
		}
		struct span name;
		if (!field_name(line, &name))
			return error_set(err, ERROR_INVALID,
				"line %zu of the header is not a header field "
				"(a name and a colon)", lineno);
		if (count == MAIL_DKIM_FIELDS_MAX)
			return error_set(err, ERROR_LIMIT,
				"the message has more than %d header fields",
				MAIL_DKIM_FIELDS_MAX);
		struct mail_dkim_field *f = arena_array_push(a,
			(void **)&items, &count, &capacity, sizeof(*items));
		if (f == NULL)
			return error_set(err, ERROR_LIMIT,
				"the header is too large to sign");
		f->name = name;
		f->field = line;
		i = next;
	}
	*fields_r = items;
	*count_r = count;
	*body_r = i;
	return 0;
}
