/*
 * HTML reduced to the text a reader sees, for the DLP scanner (mail_dlp.h):
 * tags and comments out, character references decoded, blanks collapsed
 * as a browser renders them. Layer: domain, pure. HTML Living Standard
 * §13.2.5 (tokenization, simplified) and §13.5 (named references).
 */
#include "mail/mail_dlp.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/*
 * Named references: those mail writers use, and every one that stands
 * for a digit, a separator or an invisible character. Names are matched
 * exactly (HTML's are case-sensitive). Each value is no longer than "&"
 * and its name, so the text never grows.
 */
static const struct {
	const char *name;
	const char *value;
	/* Also read without its ";", as a browser still does (§13.5). */
	bool legacy;
} entities[] = {
	{ "nbsp", "\xc2\xa0", true }, { "NonBreakingSpace", "\xc2\xa0", false },
	{ "amp", "&", true }, { "AMP", "&", true }, { "lt", "<", true },
	{ "LT", "<", true }, { "gt", ">", true }, { "GT", ">", true },
	{ "quot", "\"", true }, { "QUOT", "\"", true }, { "apos", "'", false },
	{ "period", ".", false }, { "colon", ":", false },
	{ "comma", ",", false }, { "semi", ";", false }, { "num", "#", false },
	{ "sol", "/", false }, { "lpar", "(", false }, { "rpar", ")", false },
	{ "plus", "+", false }, { "hyphen", "\xe2\x80\x90", false },
	{ "dash", "\xe2\x80\x90", false }, { "ndash", "\xe2\x80\x93", false },
	{ "mdash", "\xe2\x80\x94", false }, { "minus", "\xe2\x88\x92", false },
	{ "shy", "\xc2\xad", true }, { "ensp", "\xe2\x80\x82", false },
	{ "emsp", "\xe2\x80\x83", false }, { "thinsp", "\xe2\x80\x89", false },
	{ "hairsp", "\xe2\x80\x8a", false }, { "numsp", "\xe2\x80\x87", false },
	{ "puncsp", "\xe2\x80\x88", false },
	{ "ZeroWidthSpace", "\xe2\x80\x8b", false },
	{ "zwnj", "\xe2\x80\x8c", false }, { "zwj", "\xe2\x80\x8d", false },
	{ "NoBreak", "\xe2\x81\xa0", false }, { "Tab", "\t", false },
	{ "NewLine", "\n", false }, { "copy", "\xc2\xa9", true },
	{ "reg", "\xc2\xae", true }, { "pound", "\xc2\xa3", true },
	{ "euro", "\xe2\x82\xac", false }, { "lsquo", "\xe2\x80\x98", false },
	{ "rsquo", "\xe2\x80\x99", false }, { "ldquo", "\xe2\x80\x9c", false },
	{ "rdquo", "\xe2\x80\x9d", false }, { "bull", "\xe2\x80\xa2", false },
	{ "hellip", "\xe2\x80\xa6", false }, { "middot", "\xc2\xb7", true },
};

/* Tags that end a line (br) or a block: where words cannot run on. */
static const char *const block_tags[] = { "address", "article", "aside",
	"blockquote", "body", "caption", "center", "dd", "div", "dl", "dt",
	"fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
	"h3", "h4", "h5", "h6", "head", "header", "hr", "html", "li", "main",
	"nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot",
	"th", "thead", "title", "tr", "ul" };

enum gap {
	GAP_NONE,
	GAP_SPACE,	/* blanks: one space */
	GAP_LINE,	/* <br>: a line break */
	GAP_BLOCK,	/* a block's edge: a blank line */
};

struct out {
	char *p;
	size_t len;
	enum gap gap;	/* what goes before the next character */
	bool started;	/* a character was written: a gap means something */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (o->started && o->gap != GAP_NONE) {
		const char *g = o->gap == GAP_SPACE ? " " :
			o->gap == GAP_LINE ? "\n" : "\n\n";
		size_t k = strlen(g);
		memcpy(o->p + o->len, g, k);
		o->len += k;
	}
	o->gap = GAP_NONE;
	o->started = true;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
gap(struct out *o, enum gap g)
{
	if (g > o->gap)
		o->gap = g;
}

static bool
is_html_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Text (from a reference too): blanks collapse, the rest is copied. */
static void
put_text(struct out *o, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (is_html_blank(s[i])) {
			gap(o, GAP_SPACE);
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_html_blank(s[j]))
			j++;
		put(o, s + i, j - i);
		i = j;
	}
}

/*
 * A character reference at html[i] == '&': its text into o and the bytes
 * it took; 0 when it is none, and the "&" is text.
 */
static size_t
reference(struct out *o, struct span h, size_t i)
{
	size_t j = i + 1;
	if (j < h.len && h.p[j] == '#') {
		j++;
		bool hex = j < h.len && (h.p[j] == 'x' || h.p[j] == 'X');
		if (hex)
			j++;
		size_t digits = j;
		uint32_t cp = 0;
		while (j < h.len && (hex ? g_ascii_isxdigit(h.p[j]) :
					   g_ascii_isdigit(h.p[j]))) {
			int v = hex ? g_ascii_xdigit_value(h.p[j]) :
				      h.p[j] - '0';
			if (cp <= 0x10FFFF)
				cp = cp * (hex ? 16 : 10) + (uint32_t)v;
			j++;
		}
		if (j == digits)
			return 0;
		if (j < h.len && h.p[j] == ';')
			j++;
		/* §13.2.5.80: NUL, surrogates and past U+10FFFF are U+FFFD. */
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = 0xFFFD;
		char buf[6];
		size_t n = (size_t)g_unichar_to_utf8(cp, buf);
		/* "&#9" is three bytes and U+FFFD three too: never longer. */
		put_text(o, buf, n);
		return j - i;
	}
	size_t name = j;
	while (j < h.len && g_ascii_isalnum(h.p[j]) && j - name < 32)
		j++;
	size_t n = j - name;
	if (n == 0)
		return 0;
	bool semi = j < h.len && h.p[j] == ';';
	/*
	 * The name with its ";", or else the longest legacy name that starts
	 * the word.
	 */
	size_t best = 0;
	const char *value = NULL;
	for (size_t k = 0; k < sizeof(entities) / sizeof(*entities); k++) {
		size_t len = strlen(entities[k].name);
		if (len > n || memcmp(entities[k].name, h.p + name, len) != 0)
			continue;
		if (semi && len == n) {
			put_text(o, entities[k].value,
				strlen(entities[k].value));
			return n + 2;
		}
		if (entities[k].legacy && len > best) {
			best = len;
			value = entities[k].value;
		}
	}
	if (best == 0)
		return 0;
	put_text(o, value, strlen(value));
	return best + 1;
}

static bool
tag_is_block(const char *name, size_t n)
{
	for (size_t k = 0; k < sizeof(block_tags) / sizeof(*block_tags); k++) {
		if (strlen(block_tags[k]) == n &&
			strncasecmp(block_tags[k], name, n) == 0)
			return true;
	}
	return false;
}

/* Where the comment or tag that starts at html[i] == '<' ends, or i. */
static size_t
markup(struct out *o, struct span h, size_t i)
{
	size_t j = i + 1;
	if (j < h.len && h.p[j] == '!' && j + 2 < h.len && h.p[j + 1] == '-' &&
		h.p[j + 2] == '-') {
		/* A comment runs to "-->", or to the end. */
		for (size_t k = j + 3; k + 2 < h.len; k++) {
			if (h.p[k] == '-' && h.p[k + 1] == '-' &&
				h.p[k + 2] == '>')
				return k + 3;
		}
		return h.len;
	}
	bool bogus = j < h.len && (h.p[j] == '!' || h.p[j] == '?');
	if (j < h.len && h.p[j] == '/')
		j++;
	if (!bogus && (j >= h.len || !g_ascii_isalpha(h.p[j])))
		return i;
	size_t name = j;
	while (j < h.len && g_ascii_isalnum(h.p[j]))
		j++;
	size_t name_len = j - name;
	/* To the ">" outside any quoted attribute value. */
	char quote = 0;
	bool after_equals = false;
	for (; j < h.len; j++) {
		char c = h.p[j];
		if (quote != 0) {
			if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '>')
			break;
		if ((c == '"' || c == '\'') && after_equals)
			quote = c;
		if (c == '=')
			after_equals = true;
		else if (!is_html_blank(c))
			after_equals = false;
	}
	if (!bogus) {
		if (name_len == 2 && strncasecmp(h.p + name, "br", 2) == 0)
			gap(o, GAP_LINE);
		else if (tag_is_block(h.p + name, name_len))
			gap(o, GAP_BLOCK);
	}
	return j < h.len ? j + 1 : h.len;
}

size_t
mail_dlp_html_text(struct span h, char *outp)
{
	struct out o = { .p = outp };
	size_t i = 0;
	while (i < h.len) {
		char c = h.p[i];
		if (c == '<') {
			size_t end = markup(&o, h, i);
			if (end > i) {
				i = end;
				continue;
			}
		} else if (c == '&') {
			size_t n = reference(&o, h, i);
			if (n > 0) {
				i += n;
				continue;
			}
		}
		size_t j = i + 1;
		while (j < h.len && h.p[j] != '<' && h.p[j] != '&')
			j++;
		put_text(&o, h.p + i, j - i);
		i = j;
	}
	return o.len;
}
