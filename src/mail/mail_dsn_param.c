/*
 * The RFC 3461 parameters a sender gives with MAIL and RCPT: NOTIFY, RET,
 * ENVID and ORCPT, read from the client's text, kept, and written again
 * for the next server and for reports. Layer: domain, pure. RFC 3461 §4
 * (xtext, the parameters), RFC 6533 §3 (utf-8 addresses), RFC 3464 §2.3.1.
 * SECURITY: every decoded value is bounded and holds no control character,
 * so nothing a client sends can add a line to a command or a report.
 */
#include "mail/mail_dsn.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/fold.h"
#include "core/str.h"
#include "mail/mail_smtp_client.h"

static const struct {
	const char *word;
	unsigned bit;
} notify_words[] = {
	{ "NEVER", MAIL_DSN_NOTIFY_NEVER },
	{ "SUCCESS", MAIL_DSN_NOTIFY_SUCCESS },
	{ "FAILURE", MAIL_DSN_NOTIFY_FAILURE },
	{ "DELAY", MAIL_DSN_NOTIFY_DELAY },
};

int
mail_dsn_notify_parse(struct span value, unsigned *notify_r,
	struct error *err)
{
	*notify_r = 0;
	if (value.len == 0)
		return error_set(err, ERROR_INVALID, "NOTIFY needs a value: "
			"NEVER, or SUCCESS, FAILURE and DELAY separated by "
			"commas");
	if (value.p[value.len - 1] == ',')
		return error_set(err, ERROR_INVALID,
			"NOTIFY ends with a comma; list the values like "
			"NOTIFY=SUCCESS,FAILURE");
	struct span rest = value, word;
	unsigned notify = 0;
	while (span_split(&rest, ',', &word)) {
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof(notify_words) /
			     sizeof(*notify_words); i++) {
			if (span_eq_nocase(word, notify_words[i].word))
				bit = notify_words[i].bit;
		}
		if (bit == 0)
			return error_set(err, ERROR_INVALID,
				"NOTIFY must be NEVER, or SUCCESS, FAILURE "
				"and DELAY separated by commas");
		if (notify & bit)
			return error_set(err, ERROR_INVALID,
				"NOTIFY names the same value twice");
		notify |= bit;
	}
	/* RFC 3461 §4.1: NEVER "MUST NOT" be combined with the others. */
	if ((notify & MAIL_DSN_NOTIFY_NEVER) && notify != MAIL_DSN_NOTIFY_NEVER)
		return error_set(err, ERROR_INVALID,
			"NOTIFY=NEVER cannot be combined with SUCCESS, FAILURE "
			"or DELAY");
	*notify_r = notify;
	return 0;
}

void
mail_dsn_notify_text(unsigned notify, char buf[MAIL_DSN_NOTIFY_TEXT])
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(notify_words) / sizeof(*notify_words);
	     i++) {
		if (!(notify & notify_words[i].bit))
			continue;
		n += (size_t)snprintf(buf + n, MAIL_DSN_NOTIFY_TEXT - n,
			"%s%s", n > 0 ? "," : "", notify_words[i].word);
	}
}

unsigned
mail_dsn_notify_stored(const char *text)
{
	unsigned notify;
	struct error ignored;
	if (text[0] == '\0' ||
	    mail_dsn_notify_parse(span_from_cstr(text), &notify, &ignored) < 0)
		return 0;
	return notify;
}

bool
mail_dsn_notify_wants(unsigned notify, enum mail_dsn_action action)
{
	if (notify == 0)
		return action == MAIL_DSN_FAILED || action == MAIL_DSN_DELAYED;
	switch (action) {
	case MAIL_DSN_FAILED:
		return (notify & MAIL_DSN_NOTIFY_FAILURE) != 0;
	case MAIL_DSN_DELAYED:
		return (notify & MAIL_DSN_NOTIFY_DELAY) != 0;
	case MAIL_DSN_DELIVERED:
	case MAIL_DSN_RELAYED:
	case MAIL_DSN_EXPANDED:
		return (notify & MAIL_DSN_NOTIFY_SUCCESS) != 0;
	}
	return false;
}

int
mail_dsn_ret_parse(struct span value, const char **ret_r, struct error *err)
{
	if (span_eq_nocase(value, "FULL"))
		*ret_r = "FULL";
	else if (span_eq_nocase(value, "HDRS"))
		*ret_r = "HDRS";
	else
		return error_set(err, ERROR_INVALID,
			"RET must be FULL or HDRS");
	return 0;
}

/*
 * RFC 3461 §4: xtext into buf with a NUL; *len_r its length. false for
 * text that is not xtext: a byte outside "!" to "~", a bare "=", or a "+"
 * without two hex digits (in either case: the meaning is the same).
 * pass_8bit keeps bytes from 0x80 as they are (RFC 6533 §3's raw UTF-8).
 */
static bool
xtext_decode(struct span in, bool pass_8bit, char *buf, size_t size,
	size_t *len_r)
{
	size_t n = 0;
	for (size_t i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if ((c < '!' || c > '~' || c == '=') && !(pass_8bit && c >= 0x80))
			return false;
		if (c == '+') {
			int hi = i + 2 < in.len ? str_hex_value(in.p[i + 1]) : -1;
			int lo = hi >= 0 ? str_hex_value(in.p[i + 2]) : -1;
			if (lo < 0)
				return false;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (n + 1 >= size)
			return false;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	*len_r = n;
	return true;
}

/* RFC 3461 §4.2 and §4.4: printable (graphic and white space) US-ASCII. */
static bool
is_printable_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	}
	return true;
}

int
mail_dsn_envid_parse(struct span value, char *buf, size_t size,
	struct error *err)
{
	size_t len;
	if (value.len == 0)
		return error_set(err, ERROR_INVALID, "ENVID is empty");
	if (value.len > MAIL_DSN_ENVID_MAX)
		return error_set(err, ERROR_INVALID,
			"ENVID is longer than %d characters",
			MAIL_DSN_ENVID_MAX);
	if (!xtext_decode(value, false, buf, size, &len))
		return error_set(err, ERROR_INVALID,
			"ENVID must be xtext: characters from ! to ~, with + "
			"and two hex digits for any other (RFC 3461 section 4)");
	if (!is_printable_ascii(buf, len))
		return error_set(err, ERROR_INVALID,
			"ENVID must decode to printable ASCII characters");
	return 0;
}

/* Whether a code point may stand in an address we keep and report. */
static bool
is_printable_code_point(uint32_t cp)
{
	return cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0);
}

/*
 * RFC 6533 §3: a utf-8 address, once xtext is undone, is UTF-8 in which
 * "\x{HEX}" stands for one code point. Decodes in into buf as UTF-8.
 */
static bool
utf8_address_decode(const char *in, size_t in_len, char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < in_len;) {
		uint32_t cp;
		size_t used;
		if (in[i] == '\\') {
			if (i + 3 >= in_len || in[i + 1] != 'x' ||
			    in[i + 2] != '{')
				return false;
			size_t j = i + 3;
			cp = 0;
			while (j < in_len && in[j] != '}' && j - i - 3 < 6) {
				int d = str_hex_value(in[j]);
				if (d < 0)
					return false;
				cp = cp * 16 + (uint32_t)d;
				j++;
			}
			if (j >= in_len || in[j] != '}' || j == i + 3 ||
			    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				return false;
			used = j + 1 - i;
		} else {
			used = fold_utf8_decode((const unsigned char *)in + i,
				in_len - i, &cp);
			if (used == 0)
				return false;
		}
		if (!is_printable_code_point(cp))
			return false;
		char out[4];
		size_t w = fold_utf8_encode(cp, out);
		if (n + w >= size)
			return false;
		memcpy(buf + n, out, w);
		n += w;
		i += used;
	}
	buf[n] = '\0';
	return n > 0;
}

int
mail_dsn_orcpt_parse(struct span value, char *buf, size_t size,
	struct error *err)
{
	if (value.len > MAIL_DSN_ORCPT_MAX)
		return error_set(err, ERROR_INVALID,
			"ORCPT is longer than %d characters",
			MAIL_DSN_ORCPT_MAX);
	const char *semi = memchr(value.p, ';', value.len);
	if (semi == NULL || semi == value.p || semi + 1 == value.p + value.len)
		return error_set(err, ERROR_INVALID,
			"ORCPT must be an address type, a semicolon and the "
			"address, like ORCPT=rfc822;name@example.org");
	struct span type = span_make(value.p, (size_t)(semi - value.p));
	struct span xtext = span_make(semi + 1,
		value.len - type.len - 1);
	bool utf8 = span_eq_nocase(type, "utf-8");
	if (!utf8 && !span_eq_nocase(type, "rfc822"))
		return error_set(err, ERROR_INVALID,
			"ORCPT's address type must be rfc822 or utf-8");
	char raw[MAIL_DSN_ORCPT_MAX + 1];
	size_t len;
	/*
	 * In an SMTPUTF8 transaction a utf-8 ORCPT may carry raw UTF-8
	 * (RFC 6533 §3, utf-8-addr-unitext), which is not xtext: only its
	 * ASCII is read as xtext.
	 */
	if (!xtext_decode(xtext, utf8, raw, sizeof(raw), &len))
		return error_set(err, ERROR_INVALID,
			"ORCPT's address must be xtext: characters from ! to "
			"~, with + and two hex digits for any other (RFC 3461 "
			"section 4)");
	int w;
	if (utf8) {
		char address[MAIL_DSN_ORCPT_MAX + 1];
		if (!utf8_address_decode(raw, len, address, sizeof(address)))
			return error_set(err, ERROR_INVALID,
				"ORCPT's utf-8 address must be UTF-8 text, "
				"with \\x{HEX} for a character, and no control "
				"character (RFC 6533)");
		w = snprintf(buf, size, "utf-8;%s", address);
	} else {
		if (!is_printable_ascii(raw, len))
			return error_set(err, ERROR_INVALID,
				"ORCPT's rfc822 address must decode to "
				"printable ASCII characters");
		w = snprintf(buf, size, "rfc822;%s", raw);
	}
	if (w < 0 || (size_t)w >= size)
		return error_set(err, ERROR_INVALID,
			"ORCPT is longer than %d characters",
			MAIL_DSN_ORCPT_MAX);
	return 0;
}

/* A kept ORCPT's type and address; no type means rfc822. */
static void
orcpt_split(const char *orcpt, bool *utf8_r, const char **address_r)
{
	const char *semi = strchr(orcpt, ';');
	*utf8_r = semi != NULL && semi - orcpt == 5 &&
		strncmp(orcpt, "utf-8", 5) == 0;
	*address_r = semi != NULL &&
		(*utf8_r || (semi - orcpt == 6 &&
			strncmp(orcpt, "rfc822", 6) == 0)) ? semi + 1 : orcpt;
}

/*
 * RFC 6533 §3 utf-8-addr-xtext: ASCII from "!" to "~" but "+", "=" and
 * "\" as itself, every other code point as "\x{HEX}". It is also valid
 * xtext, so it serves both the parameter and the report's field.
 */
static bool
utf8_address_encode(const char *address, char *buf, size_t size)
{
	size_t n = 0, len = strlen(address);
	if (size == 0)
		return false;
	buf[0] = '\0';
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t used = fold_utf8_decode(
			(const unsigned char *)address + i, len - i, &cp);
		if (used == 0) {
			cp = (unsigned char)address[i];
			used = 1;
		}
		int w;
		if (cp >= '!' && cp <= '~' && cp != '+' && cp != '=' &&
		    cp != '\\')
			w = snprintf(buf + n, size - n, "%c", (char)cp);
		else
			w = snprintf(buf + n, size - n, "\\x{%X}",
				(unsigned)cp);
		if (w < 0 || (size_t)w >= size - n)
			return false;
		n += (size_t)w;
		i += used;
	}
	return true;
}

bool
mail_dsn_orcpt_encode(const char *orcpt, char *buf, size_t size)
{
	bool utf8;
	const char *address;
	orcpt_split(orcpt, &utf8, &address);
	int w = snprintf(buf, size, "%s;", utf8 ? "utf-8" : "rfc822");
	if (w < 0 || (size_t)w >= size)
		return false;
	bool ok = utf8 ?
		utf8_address_encode(address, buf + w, size - (size_t)w) :
		mail_smtp_xtext(address, buf + w, size - (size_t)w);
	/*
	 * RFC 3461 §4.2 has servers take 500 characters, no more: "\x{3D}"
	 * for a "+3D" the sender wrote makes a utf-8 value longer, and one
	 * past 500 could cost the recipient its RCPT.
	 */
	return ok && strlen(buf) <= MAIL_DSN_ORCPT_MAX;
}

bool
mail_dsn_orcpt_field(const char *orcpt, bool global, char *buf, size_t size)
{
	bool utf8;
	const char *address;
	orcpt_split(orcpt, &utf8, &address);
	/*
	 * RFC 6533 §3: message/global-delivery-status takes the utf-8-address
	 * form, the address itself in UTF-8. The row keeps it decoded (the
	 * sender's "\x{HEX}" and xtext undone, raw UTF-8 as it came), so it
	 * goes out as the sender gave it, with no encoding.
	 */
	if (utf8 && global) {
		int w = snprintf(buf, size, "utf-8; %s", address);
		return w > 0 && (size_t)w < size;
	}
	if (utf8) {
		int w = snprintf(buf, size, "utf-8; ");
		return w > 0 && (size_t)w < size &&
			utf8_address_encode(address, buf + w,
				size - (size_t)w);
	}
	int w = snprintf(buf, size, "rfc822; %s", address);
	return w >= 0 && (size_t)w < size;
}
