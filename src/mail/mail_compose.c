/*
 * Writing a message from fields (mail_compose.h): the header, then text
 * alone, or text and HTML as multipart/alternative, then an attachment
 * in multipart/mixed. Every body part is base64 (RFC 2045 §6.8), so any
 * text goes through any relay unchanged and no line is ever too long.
 * Layer: domain. RFC 5322, RFC 2045-2047, RFC 2183, RFC 2231.
 */
#include "mail/mail_compose.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fold.h"
#include "dir/dir_address.h"
#include "mail/mail.h"

/* base64 characters per line (RFC 2045 §6.8: at most 76). */
#define B64_LINE 76
/* Bytes of text in one encoded word: 39 → 52 base64 characters, so
 * "=?UTF-8?B?" + 52 + "?=" is 64 columns (RFC 2047 §2: at most 75) and
 * fits after "Subject: " on the field's first line. */
#define WORD_BYTES 39
/* Where a header line is folded (RFC 5322 §2.1.1: 78 at most). */
#define HEADER_COLUMNS 78

static bool
has_line_break(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

static bool
is_ascii_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* What a phrase (a display name) may not hold unquoted (RFC 5322 §3.2.3). */
static bool
has_specials(const char *s)
{
	return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

/*
 * blanks then atom at column *col: the blanks kept, the line folded
 * before them (CRLF, which unfolding takes away) when the atom would
 * pass HEADER_COLUMNS.
 */
static int
put_atom(struct str *o, const char *blanks, size_t blank_len,
	const char *atom, size_t len, size_t *col)
{
	bool fold = *col + blank_len + len > HEADER_COLUMNS;
	if ((fold && str_append(o, "\r\n", 2) < 0) ||
	    str_append(o, blanks, blank_len) < 0 ||
	    str_append(o, atom, len) < 0)
		return -1;
	*col = (fold ? 0 : *col) + blank_len + len;
	return 0;
}

/*
 * " text" from column *col: printable ASCII as it is, folded at its
 * blanks; anything else (or a phrase with specials) as RFC 2047 B
 * encoded words split between characters, folded between words.
 */
static int
put_text(struct str *o, const char *text, bool phrase, size_t *col)
{
	if (is_ascii_printable(text) && !(phrase && has_specials(text))) {
		const char *p = text;
		bool first = true;
		while (*p != '\0') {
			size_t blanks = strspn(p, " ");
			size_t len = strcspn(p + blanks, " ");
			/* The first atom after the field's name: one blank. */
			if (put_atom(o, first ? " " : p, first ? 1 : blanks,
				    p + blanks, len, col) < 0)
				return -1;
			first = false;
			p += blanks + len;
		}
		return 0;
	}
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text);
	while (n > 0) {
		size_t take = 0;
		while (take < n) {
			uint32_t cp;
			size_t len = fold_utf8_decode(p + take, n - take, &cp);
			if (len == 0)
				return -2;
			if (take + len > WORD_BYTES)
				break;
			take += len;
		}
		char b64[sodium_base64_ENCODED_LEN(WORD_BYTES,
			sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof(b64), p, take,
			sodium_base64_VARIANT_ORIGINAL);
		char word[sizeof(b64) + 16];
		int len = snprintf(word, sizeof(word), "=?UTF-8?B?%s?=", b64);
		if (put_atom(o, " ", 1, word, (size_t)len, col) < 0)
			return -1;
		p += take;
		n -= take;
	}
	return 0;
}

/* bytes as base64 lines, each ended with CRLF. */
static int
put_base64(struct str *o, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	size_t per_line = B64_LINE / 4 * 3;
	do {
		size_t take = len < per_line ? len : per_line;
		char line[B64_LINE + 1];
		sodium_bin2base64(line, sizeof(line), p, take,
			sodium_base64_VARIANT_ORIGINAL);
		if (str_append_cstr(o, line) < 0 ||
		    str_append(o, "\r\n", 2) < 0)
			return -1;
		p += take;
		len -= take;
	} while (len > 0);
	return 0;
}

/* text with every line end made CRLF, into a. */
static const char *
crlf(const char *text, struct arena *a, size_t *len_r)
{
	size_t n = strlen(text);
	struct str s;
	str_init(&s, a, n * 2 + 1);
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r')
			continue;
		if ((text[i] == '\n' ? str_append(&s, "\r\n", 2) :
			    str_append_char(&s, text[i])) < 0)
			return NULL;
	}
	*len_r = s.len;
	return str_cstr(&s);
}

static int
put_text_part(struct str *o, const char *type, const char *text,
	struct arena *a)
{
	size_t len;
	const char *body = crlf(text, a, &len);
	if (body == NULL || str_appendf(o, "Content-Type: %s; "
		    "charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		    type) < 0)
		return -1;
	return put_base64(o, body, len);
}

/* The text and HTML as one part: text/plain, or multipart/alternative. */
static int
put_body(struct str *o, const struct mail_compose *c, const char *boundary,
	struct arena *a)
{
	if (c->html == NULL)
		return put_text_part(o, "text/plain", c->text, a);
	if (str_appendf(o, "Content-Type: multipart/alternative; "
		    "boundary=\"%s-alt\"\r\n\r\n--%s-alt\r\n", boundary,
		    boundary) < 0 ||
	    put_text_part(o, "text/plain", c->text, a) < 0 ||
	    str_appendf(o, "--%s-alt\r\n", boundary) < 0 ||
	    put_text_part(o, "text/html", c->html, a) < 0)
		return -1;
	return str_appendf(o, "--%s-alt--\r\n", boundary);
}

/* RFC 2231 filename*: UTF-8 percent-encoded, and a plain one beside it. */
static int
put_attachment(struct str *o, const struct mail_compose *c,
	const char *boundary)
{
	if (str_appendf(o, "--%s\r\nContent-Type: %s\r\n"
		    "Content-Disposition: attachment; filename*=UTF-8''",
		    boundary, c->attachment_type) < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)
		     c->attachment_name; *p != '\0'; p++) {
		int rc = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || strchr("._-", *p) != NULL ?
			str_append_char(o, (char)*p) :
			str_appendf(o, "%%%02X", *p);
		if (rc < 0)
			return -1;
	}
	if (str_append_cstr(o, "\r\nContent-Transfer-Encoding: base64\r\n"
		    "\r\n") < 0 ||
	    put_base64(o, c->attachment, c->attachment_len) < 0)
		return -1;
	return 0;
}

static const char *
unsafe_field(const struct mail_compose *c)
{
	const struct { const char *name, *value; } fields[] = {
		{ "from", c->from }, { "from_name", c->from_name },
		{ "to", c->to }, { "cc", c->cc }, { "subject", c->subject },
		{ "in_reply_to", c->in_reply_to },
		{ "references", c->references },
		{ "attachment_name", c->attachment_name },
		{ "attachment_type", c->attachment_type },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (has_line_break(fields[i].value))
			return fields[i].name;
	return NULL;
}

static int
put_header(struct str *o, const struct mail_compose *c,
	const struct config *cfg)
{
	char date[64], host[256];
	time_t t = (time_t)c->date;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	mail_hostname(cfg, host, sizeof(host));
	unsigned char random[16];
	char id[33];
	randombytes_buf(random, sizeof(random));
	sodium_bin2hex(id, sizeof(id), random, sizeof(random));
	int rc = str_appendf(o, "Date: %s\r\nMessage-ID: <%s@%s>\r\nFrom:",
		date, id, host);
	size_t col = strlen("From:");
	if (rc == 0 && c->from_name != NULL && c->from_name[0] != '\0')
		rc = put_text(o, c->from_name, true, &col);
	char addr[DIR_ADDRESS_MAX + 3];
	int addr_len = snprintf(addr, sizeof(addr), "<%s>", c->from);
	if (rc == 0)
		rc = addr_len < 0 || (size_t)addr_len >= sizeof(addr) ? -1 :
			put_atom(o, " ", 1, addr, (size_t)addr_len, &col);
	if (rc == 0)
		rc = str_append(o, "\r\n", 2);
	if (rc == 0 && c->to != NULL)
		rc = str_appendf(o, "To: <%s>\r\n", c->to);
	if (rc == 0 && c->cc != NULL && c->cc[0] != '\0')
		rc = str_appendf(o, "Cc: %s\r\n", c->cc);
	if (rc == 0)
		rc = str_append_cstr(o, "Subject:");
	col = strlen("Subject:");
	if (rc == 0)
		rc = put_text(o, c->subject, false, &col);
	if (rc == 0 && c->in_reply_to != NULL)
		rc = str_appendf(o, "\r\nIn-Reply-To: %s", c->in_reply_to);
	if (rc == 0 && c->references != NULL)
		rc = str_appendf(o, "\r\nReferences: %s", c->references);
	if (rc == 0)
		rc = str_append_cstr(o, "\r\nMIME-Version: 1.0\r\n");
	return rc;
}

int
mail_compose(const struct mail_compose *c, const struct config *cfg,
	struct arena *a, struct span *out_r, struct error *err)
{
	const char *bad = unsafe_field(c);
	if (bad != NULL)
		return error_set_field(err, ERROR_INVALID, bad, "the %s of a "
			"message may not hold a line break", bad);
	size_t size = 4096 + strlen(c->subject) * 2 + strlen(c->text) * 3 +
		(c->html != NULL ? strlen(c->html) * 3 : 0) +
		c->attachment_len * 2;
	struct str o;
	str_init(&o, a, size);
	unsigned char random[12];
	char boundary[25];
	randombytes_buf(random, sizeof(random));
	sodium_bin2hex(boundary, sizeof(boundary), random, sizeof(random));
	int rc = put_header(&o, c, cfg);
	if (rc == 0 && c->attachment_name == NULL)
		rc = put_body(&o, c, boundary, a);
	else if (rc == 0)
		rc = str_appendf(&o, "Content-Type: multipart/mixed; "
			"boundary=\"%s\"\r\n\r\n--%s\r\n", boundary,
			boundary) < 0 || put_body(&o, c, boundary, a) < 0 ||
			put_attachment(&o, c, boundary) < 0 ||
			str_appendf(&o, "--%s--\r\n", boundary) < 0 ? -1 : 0;
	if (rc == -2)
		return error_set_field(err, ERROR_INVALID, "subject",
			"a name or subject is not UTF-8");
	if (rc < 0)
		return error_set(err, ERROR_LIMIT, "the message does not fit "
			"in memory");
	*out_r = span_make(str_cstr(&o), o.len);
	return 0;
}
