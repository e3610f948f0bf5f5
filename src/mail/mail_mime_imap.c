/*
 * IMAP renderings of a parsed message: strings, ENVELOPE, BODY and
 * BODYSTRUCTURE. Layer: mail. RFC 3501 §4.3 (strings) and §7.4.2 (formats).
 * Types, subtypes, encodings and parameter names are upper case, as most
 * servers send them; values stay as written.
 */
#include "mail/mail_mime.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

/* IMAP strings may hold no NUL, so a NUL becomes U+FFFD. */
static const char replacement[] = "\xef\xbf\xbd";

/*
 * A multipart must hold at least one body (RFC 3501 body-type-mpart); one
 * with none is shown holding an empty text part, as Dovecot does.
 */
static const char empty_body[] =
	"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0";

static int
limit(struct error *err)
{
	return error_set(err, ERROR_LIMIT,
		"the IMAP summary outgrew its memory arena");
}

/* --- Strings (RFC 3501 §4.3) --------------------------------------------- */

/* Quoted strings carry 7-bit text but no CR or LF (RFC 3501 QUOTED-CHAR). */
static bool
needs_literal(unsigned char c)
{
	return c >= 0x80 || c == '\r' || c == '\n' || c == '\0';
}

static int
quoted_append(struct str *out, const char *s, size_t len)
{
	if (str_append_char(out, '"') < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if ((s[i] == '"' || s[i] == '\\') &&
		    str_append_char(out, '\\') < 0)
			return -1;
		if (str_append_char(out, s[i]) < 0)
			return -1;
	}
	return str_append_char(out, '"');
}

static int
literal_append(struct str *out, const char *s, size_t len)
{
	size_t size = len;
	for (size_t i = 0; i < len; i++)
		size += s[i] == '\0' ? 2 : 0;
	if (str_appendf(out, "{%zu}\r\n", size) < 0)
		return -1;
	size_t run = 0;	/* bytes before s[i] not yet appended */
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\0') {
			run++;
			continue;
		}
		if (str_append(out, s + i - run, run) < 0 ||
		    str_append(out, replacement, 3) < 0)
			return -1;
		run = 0;
	}
	return str_append(out, s + len - run, run);
}

int
mail_mime_imap_string(struct str *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (needs_literal((unsigned char)s[i]))
			return literal_append(out, s, len);
	}
	return quoted_append(out, s, len);
}

int
mail_mime_imap_nstring(struct str *out, const char *s)
{
	if (s == NULL)
		return str_append_cstr(out, "NIL");
	return mail_mime_imap_string(out, s, strlen(s));
}

/* s quoted in upper case; anything but a plain token is left as it is. */
static int
upper_append(struct str *out, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			return mail_mime_imap_nstring(out, s);
	}
	if (str_append_char(out, '"') < 0)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		char c = *p;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (str_append_char(out, c) < 0)
			return -1;
	}
	return str_append_char(out, '"');
}

/* --- ENVELOPE ------------------------------------------------------------ */

/* An unfolded header value, or NIL when the field is absent. */
static int
envelope_text(struct str *out, struct span header, const char *name)
{
	struct span raw;
	if (!mail_mime_header_find(header, name, &raw))
		return mail_mime_imap_nstring(out, NULL);
	const char *text = mail_mime_header_unfold(raw, out->arena);
	return text != NULL ? mail_mime_imap_nstring(out, text) : -1;
}

bool
mail_mime_envelope_date(const char *envelope, struct arena *a,
	struct span *date_r)
{
	if (envelope == NULL || envelope[0] != '(')
		return false;
	const char *p = envelope + 1;
	if (*p == '{') {
		/* A literal: {n} CRLF and n bytes. */
		const char *digits = p + 1, *end = digits;
		while (str_is_ascii_digit(*end))
			end++;
		uint64_t n;
		if (!span_to_u64(span_make(digits, (size_t)(end - digits)),
			    &n) ||
			end[0] != '}' || end[1] != '\r' || end[2] != '\n' ||
			strnlen(end + 3, (size_t)n) < n)
			return false;
		*date_r = span_make(end + 3, (size_t)n);
		return true;
	}
	if (*p != '"')
		return false;
	/* A quoted string: only \" and \\ are escaped. */
	size_t len = 0;
	const char *q = p + 1;
	for (; *q != '\0' && *q != '"'; q++, len++) {
		if (*q == '\\' && q[1] != '\0')
			q++;
	}
	char *out = *q == '"' ? arena_alloc(a, len + 1) : NULL;
	if (out == NULL)
		return false;
	size_t o = 0;
	for (q = p + 1; *q != '"'; q++) {
		if (*q == '\\')
			q++;
		out[o++] = *q;
	}
	out[o] = '\0';
	*date_r = span_make(out, o);
	return true;
}

static int
addresses_get(struct span header, const char *name, struct arena *a,
	struct mail_mime_address **list_r, size_t *count_r, struct error *err)
{
	struct span raw;
	*list_r = NULL;
	*count_r = 0;
	if (!mail_mime_header_find(header, name, &raw))
		return 0;
	const char *text = mail_mime_header_unfold(raw, a);
	if (text == NULL)
		return -1;
	return mail_mime_address_parse(span_from_cstr(text), a, list_r,
		count_r, err);
}

/*
 * (name adl mailbox host). A NIL host marks a group, so an address missing
 * its mailbox or domain gets Dovecot's placeholder instead of NIL.
 */
static int
address_write(struct str *out, const struct mail_mime_address *addr)
{
	const char *mailbox = addr->mailbox;
	const char *host = addr->host;
	if (host != NULL && mailbox[0] == '\0')
		mailbox = "MISSING_MAILBOX";
	if (host != NULL && host[0] == '\0')
		host = "MISSING_DOMAIN";
	if (str_append_char(out, '(') < 0 ||
	    mail_mime_imap_nstring(out, addr->name) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    mail_mime_imap_nstring(out, addr->route) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    mail_mime_imap_nstring(out, mailbox) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    mail_mime_imap_nstring(out, host) < 0)
		return -1;
	return str_append_char(out, ')');
}

static int
addresses_write(struct str *out, const struct mail_mime_address *list,
	size_t count)
{
	if (count == 0)
		return str_append_cstr(out, "NIL");
	if (str_append_char(out, '(') < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (address_write(out, &list[i]) < 0)
			return -1;
	}
	return str_append_char(out, ')');
}

/* From, then Sender and Reply-To, which fall back to From (RFC 3501). */
static int
originators_write(struct str *out, struct span header, struct error *err)
{
	static const char *const names[] = { "From", "Sender", "Reply-To" };
	struct mail_mime_address *from = NULL;
	size_t from_count = 0;
	for (size_t i = 0; i < 3; i++) {
		struct mail_mime_address *list;
		size_t count;
		if (addresses_get(header, names[i], out->arena, &list, &count,
			    err) < 0)
			return -1;
		if (i == 0) {
			from = list;
			from_count = count;
		} else if (count == 0) {
			list = from;
			count = from_count;
		}
		if (addresses_write(out, list, count) < 0 ||
		    str_append_char(out, ' ') < 0)
			return -1;
	}
	return 0;
}

static int
recipients_write(struct str *out, struct span header, struct error *err)
{
	static const char *const names[] = { "To", "Cc", "Bcc" };
	for (size_t i = 0; i < 3; i++) {
		struct mail_mime_address *list;
		size_t count;
		if (addresses_get(header, names[i], out->arena, &list, &count,
			    err) < 0 ||
		    addresses_write(out, list, count) < 0 ||
		    str_append_char(out, ' ') < 0)
			return -1;
	}
	return 0;
}

int
mail_mime_envelope(const char *msg, const struct mail_mime_part *part,
	struct str *out, struct error *err)
{
	struct span header = span_make(msg + part->header_offset,
		part->header_size);
	if (str_append_char(out, '(') < 0 ||
	    envelope_text(out, header, "Date") < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    envelope_text(out, header, "Subject") < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    originators_write(out, header, err) < 0 ||
	    recipients_write(out, header, err) < 0 ||
	    envelope_text(out, header, "In-Reply-To") < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    envelope_text(out, header, "Message-ID") < 0 ||
	    str_append_char(out, ')') < 0)
		return limit(err);
	return 0;
}

/* --- BODY and BODYSTRUCTURE ---------------------------------------------- */

/*
 * ("NAME" "value" ...) or NIL. A text part always names its charset,
 * us-ascii by default (RFC 2045 §5.2), as Dovecot and Cyrus show it.
 */
static int
params_write(struct str *out, const struct mail_mime_param *params,
	size_t count, bool text)
{
	if (count == 0 && !text)
		return str_append_cstr(out, "NIL");
	bool charset = false;
	if (str_append_char(out, '(') < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		charset = charset || strcasecmp(params[i].name, "charset") == 0;
		if ((i > 0 && str_append_char(out, ' ') < 0) ||
		    upper_append(out, params[i].name) < 0 ||
		    str_append_char(out, ' ') < 0 ||
		    mail_mime_imap_nstring(out, params[i].value) < 0)
			return -1;
	}
	if (text && !charset &&
	    str_append_cstr(out, count > 0 ? " \"CHARSET\" \"us-ascii\""
					   : "\"CHARSET\" \"us-ascii\"") < 0)
		return -1;
	return str_append_char(out, ')');
}

static int
disposition_write(struct str *out, const struct mail_mime_part *part)
{
	if (part->disposition == NULL)
		return str_append_cstr(out, "NIL");
	if (str_append_char(out, '(') < 0 ||
	    upper_append(out, part->disposition) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    params_write(out, part->disposition_params,
		    part->disposition_param_count, false) < 0)
		return -1;
	return str_append_char(out, ')');
}

/* The next language tag of a Content-Language list (RFC 3282), or none. */
static struct span
language_next(const char **pp)
{
	const char *p = *pp;
	size_t depth = 0;
	for (; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && strchr(" \t,)", *p) == NULL)
			break;
	}
	const char *start = p;
	while (*p != '\0' && strchr(" \t,(", *p) == NULL)
		p++;
	*pp = p;
	return span_make(start, (size_t)(p - start));
}

/* Always a list, as Dovecot sends it: ("en" "fi"), or NIL. */
static int
language_write(struct str *out, const char *language)
{
	const char *p = language != NULL ? language : "";
	struct span tag = language_next(&p);
	if (tag.len == 0)
		return str_append_cstr(out, "NIL");
	if (str_append_char(out, '(') < 0)
		return -1;
	for (bool first = true; tag.len > 0; tag = language_next(&p)) {
		if ((!first && str_append_char(out, ' ') < 0) ||
		    mail_mime_imap_string(out, tag.p, tag.len) < 0)
			return -1;
		first = false;
	}
	return str_append_char(out, ')');
}

/* " disposition language location": what both body kinds end with. */
static int
extension_write(struct str *out, const struct mail_mime_part *part)
{
	if (str_append_char(out, ' ') < 0 || disposition_write(out, part) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    language_write(out, part->language) < 0 ||
	    str_append_char(out, ' ') < 0)
		return -1;
	return mail_mime_imap_nstring(out, part->location);
}

static int part_write(const char *msg, const struct mail_mime_part *part,
	bool extended, struct str *out, struct error *err);

static int
multipart_write(const char *msg, const struct mail_mime_part *part,
	bool extended, struct str *out, struct error *err)
{
	if (str_append_char(out, '(') < 0)
		return -1;
	for (const struct mail_mime_part *c = part->children; c != NULL;
	     c = c->next) {
		if (part_write(msg, c, extended, out, err) < 0)
			return -1;
	}
	if (part->children == NULL &&
	    (str_append_cstr(out, empty_body) < 0 ||
		str_append_cstr(out, extended ? " NIL NIL NIL NIL)" : ")") < 0))
		return -1;
	if (str_append_char(out, ' ') < 0 ||
	    upper_append(out, part->subtype) < 0)
		return -1;
	if (extended && (str_append_char(out, ' ') < 0 ||
			    params_write(out, part->params, part->param_count,
				    false) < 0 ||
			    extension_write(out, part) < 0))
		return -1;
	return str_append_char(out, ')');
}

/* body-type-msg: envelope, body and lines of the message inside. */
static int
message_write(const char *msg, const struct mail_mime_part *part,
	bool extended, struct str *out, struct error *err)
{
	if (str_append_char(out, ' ') < 0 ||
	    mail_mime_envelope(msg, part->children, out, err) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    part_write(msg, part->children, extended, out, err) < 0)
		return -1;
	return str_appendf(out, " %zu", part->body_lines);
}

/* body-type-basic, -text or -msg, then the extension data if asked. */
static int
single_write(const char *msg, const struct mail_mime_part *part,
	bool extended, struct str *out, struct error *err)
{
	bool text = strcmp(part->type, "text") == 0;
	if (str_append_char(out, '(') < 0 ||
	    upper_append(out, part->type) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    upper_append(out, part->subtype) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    params_write(out, part->params, part->param_count, text) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    mail_mime_imap_nstring(out, part->id) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    mail_mime_imap_nstring(out, part->description) < 0 ||
	    str_append_char(out, ' ') < 0 ||
	    upper_append(out, part->encoding != NULL ? part->encoding
						     : "7bit") < 0 ||
	    str_appendf(out, " %zu", part->body_size) < 0)
		return -1;
	if (part->kind == MAIL_MIME_MESSAGE) {
		if (message_write(msg, part, extended, out, err) < 0)
			return -1;
	} else if (text && str_appendf(out, " %zu", part->body_lines) < 0) {
		return -1;
	}
	if (extended && (str_append_char(out, ' ') < 0 ||
			    mail_mime_imap_nstring(out, part->md5) < 0 ||
			    extension_write(out, part) < 0))
		return -1;
	return str_append_char(out, ')');
}

static int
part_write(const char *msg, const struct mail_mime_part *part,
	bool extended, struct str *out, struct error *err)
{
	if (part->kind == MAIL_MIME_MULTIPART)
		return multipart_write(msg, part, extended, out, err);
	return single_write(msg, part, extended, out, err);
}

int
mail_mime_bodystructure(const char *msg, const struct mail_mime_part *part,
	bool extended, struct str *out, struct error *err)
{
	if (part_write(msg, part, extended, out, err) < 0)
		return limit(err);
	return 0;
}
