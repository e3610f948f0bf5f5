/*
 * Who a message says it is from: its From and Sender fields, read the way a
 * mail client shows them. Layer: domain (pure: no I/O). RFC 5322 §3.6.2 (one
 * From, at most one Sender), §4.4 (obsolete syntax), RFC 2047 (encoded words
 * in display names), RFC 7489 §6.6.1. SECURITY: SECURITY.md items 11 and 12;
 * fuzzed (tests/fuzz/fuzz_sender.c).
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail.h"
#include "mail/mail_mime.h"

/*
 * A From or Sender longer than this is refused: a real one is a name and an
 * address, and the bound keeps what reaches GMime (and GLib, which aborts
 * when an allocation fails) small whatever the sender wrote.
 */
#define SENDER_FIELD_MAX 4096

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
line_after(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl != NULL ? nl + 1 : end;
}

/* Whether the line [p, end) is empty: CRLF or LF alone ends the header. */
static bool
is_empty_line(const char *p, const char *end)
{
	return (end - p >= 1 && p[0] == '\n') ||
		(end - p >= 2 && p[0] == '\r' && p[1] == '\n');
}

/*
 * Blanks between the name and the colon are allowed (RFC 5322 §4.5.3
 * obs-optional "From :"), since a client reading the obsolete syntax
 * would show the field.
 */
const char *
mail_mime_field_value(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(end - p) <= n || !span_eq_nocase(span_make(p, n), name))
		return NULL;
	p += n;
	while (p < end && is_blank(*p))
		p++;
	return p < end && *p == ':' ? p + 1 : NULL;
}

/*
 * Finds every field called name in the header (up to the first empty line
 * or the end): how many there are, and the value of the first with its
 * folded lines.
 */
static size_t
field_find(struct span header, const char *name, struct span *value_r)
{
	const char *end = header.p + header.len;
	size_t count = 0;
	for (const char *p = header.p; p < end && !is_empty_line(p, end);
	     p = line_after(p, end)) {
		const char *value = mail_mime_field_value(p, end, name);
		if (value == NULL)
			continue;
		const char *stop = line_after(value, end);
		while (stop < end && is_blank(*stop))
			stop = line_after(stop, end);
		if (count++ == 0)
			*value_r = span_make(value, (size_t)(stop - value));
	}
	return count;
}

/* The full-width and small commercial at (U+FF20, U+FE6B) read as '@'. */
static size_t
at_sign_length(const char *p, const char *end)
{
	if (*p == '@')
		return 1;
	if (end - p >= 3 && ((p[0] == '\xef' && p[1] == '\xbc' &&
				     p[2] == '\xa0') ||
			    (p[0] == '\xef' && p[1] == '\xb9' && p[2] == '\xab')))
		return 3;
	return 0;
}

static bool
ends_word(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\r' ||
		c == '\n' || strchr("<>()[]\",;:", c) != NULL;
}

/*
 * The first text in a display name that reads as an address ("x@y") other
 * than the mailbox's own, compared without case; NULL when there is none.
 * A person reads the display name, so "bob@x <alice@y>" is Bob's mail to
 * them whatever the address says.
 */
static const char *
other_address_in(const char *name, const char *address, struct arena *a)
{
	const char *end = name + strlen(name);
	for (const char *p = name; p < end; p++) {
		size_t at = at_sign_length(p, end);
		if (at == 0)
			continue;
		const char *start = p, *stop = p + at;
		while (start > name && !ends_word(start[-1]))
			start--;
		while (stop < end && !ends_word(*stop))
			stop++;
		/*
		 * Quotes and a full stop around it are punctuation, as in
		 * Outlook's "'jo@x.example'"; one inside is part of the
		 * address (o'brien@x.example).
		 */
		while (start < p && *start == '\'')
			start++;
		while (stop > p + at && (stop[-1] == '\'' || stop[-1] == '.'))
			stop--;
		if (start == p || stop == p + at)
			continue;	/* "@" alone or at an end: no address */
		struct span seen = span_make(start, (size_t)(stop - start));
		if (!span_eq_nocase(seen, address))
			return span_dup(seen, a);
		p = stop - 1;
	}
	return NULL;
}

/* Reads the one mailbox of field `what` (From or Sender) from its value. */
static int
mailbox_read(struct span value, const char *what, struct arena *a,
	struct mail_header_mailbox *mb_r, struct error *err)
{
	if (value.len > SENDER_FIELD_MAX)
		return error_set(err, ERROR_INVALID,
			"the %s header is longer than %d characters", what,
			SENDER_FIELD_MAX);
	const char *text = mail_mime_header_unfold(value, a);
	struct mail_mime_address *list;
	size_t count;
	if (text == NULL ||
	    mail_mime_address_parse(span_from_cstr(text), a, &list, &count,
		    err) < 0)
		return error_set(err, ERROR_LIMIT,
			"the %s header outgrew its memory", what);
	if (count == 0)
		return error_set(err, ERROR_INVALID,
			"the %s header holds no address", what);
	for (size_t i = 0; i < count; i++) {
		if (list[i].host == NULL)
			return error_set(err, ERROR_INVALID,
				"the %s header holds a group; it must name "
				"exactly one address", what);
	}
	if (count > 1)
		return error_set(err, ERROR_INVALID,
			"the %s header holds %zu addresses; it must name "
			"exactly one", what, count);
	const struct mail_mime_address *m = &list[0];
	if (m->mailbox[0] == '\0' || m->host[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"the %s header has no complete address (name@domain)",
			what);
	char *address = arena_printf(a, "%s@%s", m->mailbox, m->host);
	if (address == NULL)
		return error_set(err, ERROR_LIMIT,
			"the %s header outgrew its memory", what);
	const char *other = NULL;
	const char *decoded = NULL;
	if (m->name != NULL) {
		/*
		 * The name as written and as decoded: RFC 2047 forbids
		 * encoded words in quotes, but many clients decode them.
		 */
		decoded = mail_mime_decode_text(span_from_cstr(m->name), a);
		other = other_address_in(m->name, address, a);
		if (other == NULL && decoded != NULL)
			other = other_address_in(decoded, address, a);
	}
	*mb_r = (struct mail_header_mailbox){ decoded != NULL ? decoded :
						 m->name,
		address, other };
	return 0;
}

int
mail_header_from(struct span header, struct arena *a,
	struct mail_header_mailbox *from_r, struct error *err)
{
	struct span value;
	size_t count = field_find(header, "From", &value);
	if (count == 0)
		return error_set(err, ERROR_INVALID,
			"the message has no From header; it must say who it "
			"is from");
	if (count > 1)
		return error_set(err, ERROR_INVALID,
			"the message has %zu From headers; it must have exactly "
			"one", count);
	return mailbox_read(value, "From", a, from_r, err);
}

int
mail_header_sender(struct span header, struct arena *a,
	struct mail_header_mailbox *sender_r, bool *present_r,
	struct error *err)
{
	struct span value;
	size_t count = field_find(header, "Sender", &value);
	*present_r = false;
	if (count == 0)
		return 0;
	if (count > 1)
		return error_set(err, ERROR_INVALID,
			"the message has %zu Sender headers; it may have at "
			"most one", count);
	if (mailbox_read(value, "Sender", a, sender_r, err) < 0)
		return -1;
	*present_r = true;
	return 0;
}
