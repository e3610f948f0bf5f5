/*
 * The text SEARCH matches: every text part decoded from its transfer
 * encoding and charset to UTF-8, the MIME headers of body parts and the
 * message header with encoded words decoded; the folding both sides of a
 * match go through; the calendar day a Date field names. Layer: mail. RFC
 * 3501 §6.4.4, RFC 2045 §6.7-6.8, RFC 2046 §4.1.2, RFC 2047, RFC 2231,
 * RFC 5322 §3.3. SECURITY: input is whatever a sender wrote: the part tree
 * comes from the bounded parser, every decoder writes no more than it
 * reads, and the text stops at a fixed size.
 */
#include "mail/mail_mime.h"

#include <errno.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/fold.h"
#include "core/str.h"
#include "mail/mail_mime_internal.h"

static const char replacement[] = "\xef\xbf\xbd";

static int
arena_full(struct error *err)
{
	return error_set(err, ERROR_LIMIT,
		"the search text outgrew its memory arena");
}

/* ---- the text being built ---- */

/*
 * One of the two texts: bytes go in as UTF-8, control characters and runs
 * of blanks come out as one space, and nothing is written past cap. A
 * text made with keep set (mail_mime_part_text) takes every byte as it is.
 */
struct text_out {
	char *p;
	size_t len, cap;
	bool space;	/* last written was a space, or nothing is yet */
	bool truncated;
	bool keep;	/* blanks and control characters kept as written */
};

static int
text_init(struct text_out *o, size_t cap, struct arena *a, struct error *err)
{
	*o = (struct text_out){ .cap = cap, .space = true };
	o->p = arena_alloc(a, cap + 1);
	if (o->p == NULL)
		return arena_full(err);
	o->p[0] = '\0';
	return 0;
}

/*
 * A text made with keep set, with room for len bytes read in any charset:
 * no charset iconv reads takes more than four bytes of UTF-8 for a byte it
 * reads, nor does U+FFFD for one it cannot, so the text is never cut.
 */
static int
text_init_kept(struct text_out *o, size_t len, struct arena *a,
	struct error *err)
{
	if (len > (SIZE_MAX - 64) / 4)
		return arena_full(err);
	if (text_init(o, 4 * len + 64, a, err) < 0)
		return -1;
	o->keep = true;
	return 0;
}

static bool
is_blank_byte(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

static void
text_put(struct text_out *o, const char *p, size_t n)
{
	if (o->keep) {
		size_t k = n <= o->cap - o->len ? n : o->cap - o->len;
		memcpy(o->p + o->len, p, k);
		o->len += k;
		o->truncated = o->truncated || k < n;
		return;
	}
	size_t i = 0;
	while (i < n && !o->truncated) {
		/* A run of bytes that stay as they are, copied at once. */
		size_t j = i;
		while (j < n && !is_blank_byte((unsigned char)p[j]))
			j++;
		if (j > i) {
			size_t k = j - i, room = o->cap - o->len;
			if (k > room) {
				k = room;
				o->truncated = true;
			}
			memcpy(o->p + o->len, p + i, k);
			o->len += k;
			o->space = false;
			if (o->truncated)
				break;
			i = j;
		}
		/* Then a run of blanks and control characters: one space. */
		if (i < n) {
			while (i < n && is_blank_byte((unsigned char)p[i]))
				i++;
			if (o->space)
				continue;
			if (o->len == o->cap) {
				o->truncated = true;
				break;
			}
			o->p[o->len++] = ' ';
			o->space = true;
		}
	}
}

static void
text_cstr(struct text_out *o, const char *s)
{
	text_put(o, s, strlen(s));
}

/* Keeps the words of two parts or fields from running together. */
static void
text_break(struct text_out *o)
{
	text_put(o, " ", 1);
}

/* Ends the text: no trailing space, no character cut in half. */
static void
text_finish(struct text_out *o)
{
	size_t end = o->len;
	if (o->truncated) {
		size_t start = end;
		while (start > 0 && ((unsigned char)o->p[start - 1] & 0xC0) ==
				0x80)
			start--;
		if (start > 0) {
			unsigned char lead = (unsigned char)o->p[start - 1];
			size_t want = lead < 0x80 ? 1 :
				(lead & 0xE0) == 0xC0 ? 2 :
				(lead & 0xF0) == 0xE0 ? 3 : 4;
			if (end - (start - 1) < want)
				end = start - 1;
		}
	}
	while (end > 0 && o->p[end - 1] == ' ')
		end--;
	o->len = end;
	o->p[end] = '\0';
}

/* ---- transfer encodings (RFC 2045 §6.7, §6.8) ---- */

/*
 * Quoted-printable into out (at least n bytes): "=XX" is a byte (lower-case
 * hex is taken too), "=" before the line end is a soft line break that
 * joins the lines, blanks before a line end are transport padding and go,
 * and an "=" that is neither stays as written (§6.7 note 2).
 */
static size_t
qp_decode(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;
	while (i < n) {
		char c = in[i];
		if (c == '=') {
			if (i + 2 < n && str_hex_value(in[i + 1]) >= 0 &&
				str_hex_value(in[i + 2]) >= 0) {
				out[o++] = (char)(str_hex_value(in[i + 1]) * 16 +
					str_hex_value(in[i + 2]));
				i += 3;
				continue;
			}
			size_t j = i + 1;
			while (j < n && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if (j == n) {
				i = n;
				continue;
			}
			if (in[j] == '\n') {
				i = j + 1;
				continue;
			}
			if (in[j] == '\r') {
				i = j + 1 < n && in[j + 1] == '\n' ? j + 2 :
								     j + 1;
				continue;
			}
			out[o++] = '=';
			i++;
			continue;
		}
		if (c == ' ' || c == '\t') {
			size_t j = i;
			while (j < n && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if (j < n && in[j] != '\r' && in[j] != '\n') {
				memcpy(out + o, in + i, j - i);
				o += j - i;
			}
			i = j;
			continue;
		}
		out[o++] = c;
		i++;
	}
	return o;
}

static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Base64 into out (at least n bytes): characters outside the alphabet are
 * ignored (§6.8), and "=" ends a quantum, so blocks joined after padding
 * still decode.
 */
static size_t
base64_decode(const char *in, size_t n, char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '=') {
			acc = 0;
			bits = 0;
			continue;
		}
		int v = base64_value(in[i]);
		if (v < 0)
			continue;
		acc = ((acc << 6) | (uint32_t)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xFF);
		}
	}
	return o;
}

/* ---- charsets ---- */

static bool
name_in(const char *name, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcasecmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

/*
 * The charset to convert from, or NULL when the bytes are UTF-8 already.
 * US-ASCII and UTF-8 text that is not valid UTF-8 was mislabelled, most
 * often by a Windows client: windows-1252 reads it. ISO-8859-1 is read as
 * windows-1252 too, as browsers do, since its C1 controls are never meant.
 */
static const char *
charset_source(const char *charset, const char *p, size_t n)
{
	static const char *const utf8[] = { "utf-8", "utf8", "us-ascii",
		"ascii", "ansi_x3.4-1968", "iso646-us", "us", "unicode-1-1-utf-8",
		NULL };
	static const char *const latin1[] = { "iso-8859-1", "iso8859-1",
		"iso_8859-1", "iso_8859-1:1987", "latin1", "l1", "cp819",
		"ibm819", "iso-ir-100", "csisolatin1", "windows-1252", "cp1252",
		"x-cp1252", NULL };
	if (charset == NULL || charset[0] == '\0' || name_in(charset, utf8))
		return g_utf8_validate(p, (gssize)n, NULL) ? NULL :
							      "windows-1252";
	if (name_in(charset, latin1))
		return "windows-1252";
	return charset;
}

/*
 * What iconv wrote, into o: only valid UTF-8 goes in, each byte of
 * anything else as U+FFFD. glibc's converters for some charsets write
 * sequences past U+10FFFF (lead byte 0xF5..), which no reader takes;
 * iconv writes whole characters, so a chunk never splits a valid one.
 */
static void
text_put_converted(struct text_out *o, const char *p, size_t n)
{
	while (n > 0) {
		const char *end;
		g_utf8_validate(p, (gssize)n, &end);
		size_t good = (size_t)(end - p);
		text_put(o, p, good);
		if (good == n)
			return;
		text_put(o, replacement, 3);
		p += good + 1;
		n -= good + 1;
	}
}

/*
 * n bytes in charset into o as UTF-8; what cannot be read is U+FFFD. False
 * when iconv does not know the charset and the bytes were read as if none
 * were named (charset_source), a guess.
 */
static bool
text_convert(struct text_out *o, const char *charset, const char *p, size_t n)
{
	const char *from = charset_source(charset, p, n);
	if (from == NULL) {
		text_put(o, p, n);
		return true;
	}
	/*
	 * GMime's charset-name cache must exist first: without it every
	 * g_mime_iconv_open leaked the names it meant to cache.
	 */
	mail_mime_gmime_init();
	iconv_t cd = g_mime_iconv_open("UTF-8", from);
	bool known = true;
	if (cd == (iconv_t)-1) {
		/* A charset iconv does not know: read it as the default. */
		from = charset_source(NULL, p, n);
		if (from == NULL) {
			text_put(o, p, n);
			return false;
		}
		cd = g_mime_iconv_open("UTF-8", from);
		if (cd == (iconv_t)-1)
			return false;
		known = false;
	}
	char buf[8192];
	char *in = (char *)(uintptr_t)p;
	size_t left = n;
	while (left > 0 && !o->truncated) {
		char *out = buf;
		size_t room = sizeof(buf);
		size_t rc = g_mime_iconv(cd, &in, &left, &out, &room);
		text_put_converted(o, buf, sizeof(buf) - room);
		if (rc != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL: this byte starts nothing readable. */
		text_put(o, replacement, 3);
		in++;
		left--;
	}
	char *out = buf;
	size_t room = sizeof(buf);
	g_mime_iconv(cd, NULL, NULL, &out, &room);
	text_put_converted(o, buf, sizeof(buf) - room);
	g_mime_iconv_close(cd);
	return known;
}

/* ---- headers ---- */

bool
mail_mime_field_next(struct span *header, struct span *name_r,
	struct span *value_r)
{
	const char *p = header->p, *end = header->p + header->len;
	if (p >= end || *p == '\r' || *p == '\n')
		return false;
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
	*name_r = span_make(p, colon != NULL ? (size_t)(colon - p) : 0);
	*value_r = colon != NULL ?
		span_make(colon + 1, (size_t)(q - colon - 1)) :
		span_make(p, (size_t)(q - p));
	header->p = q;
	header->len = (size_t)(end - q);
	return true;
}

static bool
needs_decoding(const char *s)
{
	if (strstr(s, "=?") != NULL)
		return true;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return true;
	}
	return false;
}

/* One RFC 2047 encoded word at p: its charset, B or Q, and its text. */
struct encoded_word {
	struct span charset;	/* before any "*language" (RFC 2231 §5) */
	char encoding;		/* 'B' or 'Q' */
	struct span text;
	size_t len;		/* of the whole word, "=?" to "?=" */
};

/* Whether an encoded word starts at p (RFC 2047 §2: no blank inside). */
static bool
encoded_word(const char *p, struct encoded_word *w)
{
	if (p[0] != '=' || p[1] != '?')
		return false;
	const char *cs = p + 2, *q1 = strchr(cs, '?');
	if (q1 == NULL || q1 == cs || q1[1] == '\0' || q1[2] != '?')
		return false;
	char e = (char)(q1[1] & ~0x20);
	const char *text = q1 + 3, *end = strstr(text, "?=");
	if ((e != 'B' && e != 'Q') || end == NULL)
		return false;
	for (const char *c = cs; c < end; c++)
		if (is_blank_byte((unsigned char)*c))
			return false;
	const char *star = memchr(cs, '*', (size_t)(q1 - cs));
	w->charset = span_make(cs, (size_t)((star != NULL ? star : q1) - cs));
	w->encoding = e;
	w->text = span_make(text, (size_t)(end - text));
	w->len = (size_t)(end + 2 - p);
	return true;
}

/* A Q-encoded word's bytes (RFC 2047 §4.2: "_" is a space) into out. */
static size_t
q_decode(struct span in, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < in.len; i++) {
		if (in.p[i] == '_') {
			out[o++] = ' ';
		} else if (in.p[i] == '=' && i + 2 < in.len &&
			   str_hex_value(in.p[i + 1]) >= 0 &&
			   str_hex_value(in.p[i + 2]) >= 0) {
			out[o++] = (char)(str_hex_value(in.p[i + 1]) * 16 +
				str_hex_value(in.p[i + 2]));
			i += 2;
		} else {
			out[o++] = in.p[i];
		}
	}
	return o;
}

/* The bytes of adjacent words of one charset, as UTF-8 into o. */
static void
flush_words(struct text_out *o, const char *charset, const char *bytes,
	size_t *pending)
{
	if (*pending > 0)
		text_convert(o, charset, bytes, *pending);
	*pending = 0;
}

/*
 * An unfolded value as UTF-8 (RFC 2047 §6.2): each encoded word decoded
 * on its own, the blanks between two adjacent ones dropped, adjacent
 * words of one charset converted together, so a character a sender split
 * between two words stays whole; other text as any 8-bit text. GMime
 * 3.2's decoder joined adjacent words' base64 before decoding, so a word
 * ending in "=" padding lost every word after it (a long subject its
 * end, and a split "[secure]" could go unseen).
 */
static int
words_decode(const char *raw, struct arena *a, const char **text_r,
	struct error *err)
{
	size_t len = strlen(raw);
	struct text_out o;
	char *bytes = arena_alloc(a, len + 1);
	char *charset = arena_alloc(a, len + 1);
	if (bytes == NULL || charset == NULL ||
	    text_init_kept(&o, len, a, err) < 0)
		return arena_full(err);
	size_t pending = 0, i = 0;
	bool after_word = false;
	charset[0] = '\0';
	while (i < len) {
		struct encoded_word w;
		size_t blanks = i;
		while (blanks < len && (raw[blanks] == ' ' ||
			raw[blanks] == '\t'))
			blanks++;
		if (blanks < len && encoded_word(raw + blanks, &w)) {
			bool same = w.charset.len == strlen(charset) &&
				strncasecmp(w.charset.p, charset,
					w.charset.len) == 0;
			if (!same || !after_word) {
				flush_words(&o, charset, bytes, &pending);
				if (!after_word)	/* the text's own blanks */
					text_put(&o, raw + i, blanks - i);
				memcpy(charset, w.charset.p, w.charset.len);
				charset[w.charset.len] = '\0';
			}
			pending += w.encoding == 'B' ?
				base64_decode(w.text.p, w.text.len,
					bytes + pending) :
				q_decode(w.text, bytes + pending);
			i = blanks + w.len;
			after_word = true;
			continue;
		}
		/* Plain text up to the next blank: the words' bytes first. */
		flush_words(&o, charset, bytes, &pending);
		size_t end = blanks;	/* words end at a blank (§5), no sooner */
		while (end < len && raw[end] != ' ' && raw[end] != '\t')
			end++;
		text_put(&o, raw + i, blanks - i);
		text_convert(&o, NULL, raw + blanks, end - blanks);
		i = end;
		after_word = false;
	}
	flush_words(&o, charset, bytes, &pending);
	o.p[o.len] = '\0';
	*text_r = o.p;
	return 0;
}

/* An unfolded value with RFC 2047 words and raw 8-bit text as UTF-8. */
static int
value_decode(struct span value, struct arena *a, const char **text_r,
	struct error *err)
{
	char *raw = mail_mime_header_unfold(value, a);
	if (raw == NULL)
		return arena_full(err);
	*text_r = raw;
	if (!needs_decoding(raw))
		return 0;
	return words_decode(raw, a, text_r, err);
}

const char *
mail_mime_header_decode(struct span value, struct arena *a)
{
	const char *text;
	struct error err;
	return value_decode(value, a, &text, &err) == 0 ? text : NULL;
}

/*
 * An RFC 2231 extended value, charset'language'%XX..., as UTF-8 into o:
 * a file name written that way is found by the name a person sees.
 */
static int
param_extended(struct text_out *o, const char *value, struct arena *a,
	struct error *err)
{
	const char *q1 = strchr(value, '\'');
	const char *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
	if (q2 == NULL) {
		/* Not the extended form after all: text as any 8-bit text. */
		text_convert(o, NULL, value, strlen(value));
		return 0;
	}
	char *charset = arena_strndup(a, value, (size_t)(q1 - value));
	const char *pct = q2 + 1;
	size_t n = strlen(pct), len = 0;
	char *bytes = arena_alloc(a, n + 1);
	if (charset == NULL || bytes == NULL)
		return arena_full(err);
	for (size_t i = 0; i < n; i++) {
		if (pct[i] == '%' && i + 2 < n && str_hex_value(pct[i + 1]) >= 0 &&
			str_hex_value(pct[i + 2]) >= 0) {
			bytes[len++] = (char)(str_hex_value(pct[i + 1]) * 16 +
				str_hex_value(pct[i + 2]));
			i += 2;
		} else {
			bytes[len++] = pct[i];
		}
	}
	text_convert(o, charset, bytes, len);
	return 0;
}

static int
params_text(struct text_out *o, const struct mail_mime_param *params,
	size_t count, struct arena *a, struct error *err)
{
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(params[i].name);
		if (n == 0 || params[i].name[n - 1] != '*')
			continue;
		text_break(o);
		if (param_extended(o, params[i].value, a, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * A header block as "Name: value" fields, values decoded; the RFC 2231
 * parameters of the part it heads follow, decoded.
 */
static int
header_text(struct text_out *o, const char *msg,
	const struct mail_mime_part *part, struct arena *a, struct error *err)
{
	struct span header = span_make(msg + part->header_offset,
		part->header_size), name, value;
	while (mail_mime_field_next(&header, &name, &value) && !o->truncated) {
		const char *text;
		if (value_decode(value, a, &text, err) < 0)
			return -1;
		text_break(o);
		/* A name is printable ASCII (RFC 5322 §2.2); other bytes go. */
		for (size_t i = 0; i < name.len; i++) {
			if ((unsigned char)name.p[i] < 0x80)
				text_put(o, name.p + i, 1);
		}
		if (name.len > 0)
			text_cstr(o, ": ");
		text_cstr(o, text);
	}
	if (params_text(o, part->params, part->param_count, a, err) < 0 ||
		params_text(o, part->disposition_params,
			part->disposition_param_count, a, err) < 0)
		return -1;
	text_break(o);
	return 0;
}

/* ---- bodies ---- */

static const char *
param_value(const struct mail_mime_part *part, const char *name)
{
	for (size_t i = 0; i < part->param_count; i++) {
		if (strcasecmp(part->params[i].name, name) == 0)
			return part->params[i].value;
	}
	return NULL;
}

/*
 * The first n bytes of part's body decoded from base64 or quoted-printable
 * into arena a, or as they are for any other transfer encoding.
 */
static int
body_decode(const char *msg, const struct mail_mime_part *part, size_t n,
	struct arena *a, const char **text_r, size_t *len_r, struct error *err)
{
	const char *body = msg + part->header_offset + part->header_size;
	const char *encoding = part->encoding != NULL ? part->encoding : "";
	bool b64 = strcmp(encoding, "base64") == 0;
	*text_r = body;
	*len_r = n;
	if (!b64 && strcmp(encoding, "quoted-printable") != 0)
		return 0;
	char *out = arena_alloc(a, n + 1);
	if (out == NULL)
		return arena_full(err);
	*len_r = b64 ? base64_decode(body, n, out) : qp_decode(body, n, out);
	*text_r = out;
	return 0;
}

int
mail_mime_part_bytes(const char *msg, const struct mail_mime_part *part,
	struct arena *a, const char **data_r, size_t *size_r,
	struct error *err)
{
	return body_decode(msg, part, part->body_size, a, data_r, size_r,
		err);
}

/* A text part's body, decoded, into o. */
static int
leaf_text(struct text_out *o, const char *msg,
	const struct mail_mime_part *part, struct arena *a, struct error *err)
{
	/*
	 * Every six bytes read give at least one byte of text (UTF-32 in
	 * base64 gives the least), so past eight times the room left the
	 * text would be cut anyway: the rest is not decoded at all.
	 */
	size_t n = part->body_size;
	size_t room = o->cap - o->len, most = room * 8 + 4096;
	bool cut = n > most;
	if (cut)
		n = most;
	const char *text;
	size_t len;
	if (body_decode(msg, part, n, a, &text, &len, err) < 0)
		return -1;
	text_break(o);
	text_convert(o, param_value(part, "charset"), text, len);
	text_break(o);
	o->truncated = o->truncated || cut;
	return 0;
}

int
mail_mime_part_text(const char *msg, const struct mail_mime_part *part,
	struct arena *a, struct span *text_r, struct error *err)
{
	const char *encoding = part->encoding != NULL ? part->encoding : "7bit";
	if (strcmp(encoding, "base64") != 0 &&
		strcmp(encoding, "quoted-printable") != 0 &&
		strcmp(encoding, "7bit") != 0 && strcmp(encoding, "8bit") != 0 &&
		strcmp(encoding, "binary") != 0)
		return error_set(err, ERROR_INVALID,
			"the transfer encoding %.64s is not one RFC 2045 defines",
			encoding);
	const char *text, *charset = param_value(part, "charset");
	size_t len;
	struct text_out o;
	if (body_decode(msg, part, part->body_size, a, &text, &len, err) < 0 ||
		text_init_kept(&o, len, a, err) < 0)
		return -1;
	if (!text_convert(&o, charset, text, len))
		return error_set(err, ERROR_INVALID,
			"the charset %.64s is not one this server can read",
			charset);
	if (o.truncated)
		return arena_full(err);
	o.p[o.len] = '\0';
	*text_r = span_make(o.p, o.len);
	return 0;
}

const char *
mail_mime_param_text(const struct mail_mime_param *param, struct arena *a)
{
	size_t n = strlen(param->name), len = strlen(param->value);
	bool extended = n > 0 && param->name[n - 1] == '*';
	if (!extended)
		return mail_mime_header_decode(span_from_cstr(param->value), a);
	struct text_out o;
	struct error err;
	if (text_init_kept(&o, len, a, &err) < 0 ||
		param_extended(&o, param->value, a, &err) < 0 || o.truncated)
		return NULL;
	o.p[o.len] = '\0';
	return o.p;
}

struct walk {
	const char *msg;
	struct text_out *header; /* the message's own header */
	struct text_out *body;	 /* everything after it */
	struct arena *a;
	struct error *err;
};

static int
walk_part(struct walk *w, const struct mail_mime_part *part, bool root)
{
	if (w->body->truncated)
		return 0;
	if (!root &&
		header_text(w->body, w->msg, part, w->a, w->err) < 0)
		return -1;
	switch (part->kind) {
	case MAIL_MIME_LEAF:
		if (strcmp(part->type, "text") != 0)
			return 0;
		return leaf_text(w->body, w->msg, part, w->a, w->err);
	case MAIL_MIME_MULTIPART:
	case MAIL_MIME_MESSAGE:
		for (const struct mail_mime_part *c = part->children; c != NULL;
			c = c->next) {
			if (walk_part(w, c, false) < 0)
				return -1;
		}
		return 0;
	}
	return 0;
}

int
mail_mime_search_text(const char *msg, size_t len, struct arena *a,
	struct mail_search_text *t_r, struct error *err)
{
	struct mail_mime_part *root;
	if (msg == NULL)
		msg = "";
	if (mail_mime_parse(msg, len, a, &root, err) < 0)
		return -1;
	struct text_out header, body;
	/* A small message takes memory for what it can hold, not the caps. */
	size_t body_cap = len < MAIL_SEARCH_BODY_MAX / 3 ? 3 * len + 64 :
							   MAIL_SEARCH_BODY_MAX;
	size_t header_cap = root->header_size < MAIL_SEARCH_HEADER_MAX / 3 ?
		3 * root->header_size + 64 :
		MAIL_SEARCH_HEADER_MAX;
	if (body_cap > MAIL_SEARCH_BODY_MAX)
		body_cap = MAIL_SEARCH_BODY_MAX;
	if (header_cap > MAIL_SEARCH_HEADER_MAX)
		header_cap = MAIL_SEARCH_HEADER_MAX;
	if (text_init(&header, header_cap, a, err) < 0 ||
		text_init(&body, body_cap, a, err) < 0)
		return -1;
	struct walk w = { msg, &header, &body, a, err };
	if (header_text(&header, msg, root, a, err) < 0 ||
		walk_part(&w, root, true) < 0)
		return -1;
	text_finish(&header);
	text_finish(&body);
	*t_r = (struct mail_search_text){
		.header = header.p,
		.header_len = header.len,
		.body = body.p,
		.body_len = body.len,
		.truncated = header.truncated || body.truncated,
	};
	return 0;
}

/* ---- matching ---- */

char *
mail_search_fold(const char *text, size_t len, struct arena *a)
{
	/* No character folds to more than three bytes per byte it takes. */
	char *out = len < SIZE_MAX / 3 ? arena_alloc(a, 3 * len + 1) : NULL;
	if (out == NULL)
		return NULL;
	const unsigned char *p = (const unsigned char *)text;
	size_t o = 0;
	bool space = true; /* blanks at the start go */
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		if (c < 0x80) {
			/* ASCII, nearly every byte of most mail: one step. */
			i++;
			if (c <= 0x20 || c == 0x7f) {
				if (!space)
					out[o++] = ' ';
				space = true;
				continue;
			}
			out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			space = false;
			continue;
		}
		gunichar cp = g_utf8_get_char_validated((const char *)p + i,
			(gssize)(len - i));
		size_t n = 1;
		if (cp == (gunichar)-1 || cp == (gunichar)-2)
			cp = 0xFFFD; /* one byte that starts nothing */
		else
			n = (size_t)g_utf8_skip[c];
		i += n;
		/* Lower case; a final sigma is a sigma (as case folding). */
		cp = cp == 0x3C2 ? 0x3C3 : g_unichar_tolower(cp);
		const char *ascii = fold_code_point(cp);
		if (ascii != NULL) {
			size_t k = strlen(ascii);
			memcpy(out + o, ascii, k);
			o += k;
		} else {
			o += (size_t)g_unichar_to_utf8(cp, out + o);
		}
		space = false;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

bool
mail_search_contains(const char *folded_text, const char *folded_word)
{
	return strstr(folded_text, folded_word) != NULL;
}

int
mail_search_texts(const char *msg, size_t len, int64_t header_size,
	struct arena *a, const char **header_r, const char **body_r,
	struct error *err)
{
	struct mail_search_text t;
	if (msg == NULL)
		msg = "";
	if (mail_mime_search_text(msg, len, a, &t, err) < 0) {
		size_t h = header_size > 0 && (uint64_t)header_size <= len ?
			(size_t)header_size : len;
		t = (struct mail_search_text){ msg, h, msg + h, len - h,
			false };
	}
	*header_r = mail_search_fold(t.header, t.header_len, a);
	*body_r = mail_search_fold(t.body, t.body_len, a);
	if (*header_r == NULL || *body_r == NULL)
		return error_set(err, ERROR_LIMIT,
			"the message's text is too big to search");
	return 0;
}

/* ---- dates (RFC 5322 §3.3, with its obsolete forms) ---- */

/* Skips blanks, line breaks and (nested) comments. */
static void
skip_cfws(struct span *s)
{
	int depth = 0;
	while (s->len > 0) {
		char c = s->p[0];
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
			c != '\n')
			break;
		s->p++;
		s->len--;
	}
}

static size_t
take_digits(struct span *s, int *value_r)
{
	size_t n = 0;
	int v = 0;
	while (n < s->len && n < 9 && str_is_ascii_digit(s->p[n]))
		v = v * 10 + (s->p[n++] - '0');
	s->p += n;
	s->len -= n;
	*value_r = v;
	return n;
}

static size_t
take_letters(struct span *s, struct span *word_r)
{
	size_t n = 0;
	while (n < s->len && str_is_ascii_alpha(s->p[n]))
		n++;
	*word_r = span_make(s->p, n);
	s->p += n;
	s->len -= n;
	return n;
}

bool
mail_mime_date_day(struct span value, int64_t *day_r)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr",
		"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	struct span s = value, word;
	int day, year, month = 0;
	skip_cfws(&s);
	if (take_letters(&s, &word) > 0) {
		/* A day name: "Tue," (the comma may be missing). */
		skip_cfws(&s);
		if (s.len > 0 && s.p[0] == ',') {
			s.p++;
			s.len--;
		}
		skip_cfws(&s);
	}
	size_t day_digits = take_digits(&s, &day);
	if (day_digits == 0 || day_digits > 2)
		return false;
	skip_cfws(&s);
	if (s.len > 0 && s.p[0] == '-') {
		s.p++;
		s.len--;
	}
	if (take_letters(&s, &word) < 3)
		return false;
	for (int m = 0; m < 12; m++) {
		if (span_starts_with_nocase(word, months[m]))
			month = m + 1;
	}
	skip_cfws(&s);
	if (s.len > 0 && s.p[0] == '-') {
		s.p++;
		s.len--;
	}
	size_t year_digits = take_digits(&s, &year);
	if (month == 0 || year_digits < 2 || year_digits > 4)
		return false;
	/* §4.3: two digits are 1950-2049, three are 1900 plus. */
	if (year_digits == 2)
		year += year < 50 ? 2000 : 1900;
	else if (year_digits == 3)
		year += 1900;
	/* The day, its month's length checked, as the UTC start of it. */
	char iso[48];
	snprintf(iso, sizeof(iso), "%04d-%02d-%02d", year, month, day);
	return clock_parse(span_make(iso, 10), day_r);
}
