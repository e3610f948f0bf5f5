/*
 * The banner at the top of each text a person reads (SPEC M9's tag):
 * found with the MIME part tree, put in with as little change as can
 * be — an insertion into a 7bit, 8bit or quoted-printable part, the part
 * re-encoded only when it is base64 — so everything else in the message
 * stays byte for byte. Layer: domain, pure. RFC 2045 §6.7, §6.8
 * (quoted-printable and base64 lines), RFC 2046 §5.1 (boundaries).
 */
#include "mail/mail_banner.h"

#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_mime.h"

/* Short enough for quoted-printable (76) and for a phone's screen. */
#define BANNER_LINE_MAX 72
/* base64 lines, RFC 2045 §6.8. */
#define BASE64_LINE 76

/* One change to the message: remove bytes at `at`, put text there. */
struct edit {
	size_t at;
	size_t remove;
	const char *text;
	size_t text_len;
};

struct tagger {
	const char *msg;
	size_t len;
	struct arena *a;
	const char *plain;	/* the banner as a plain-text paragraph */
	const char *html;	/* as an HTML paragraph */
	struct edit *edits;
	size_t count, capacity;
};

/* The banner cut into lines at spaces, each ended by CRLF. */
static char *
wrap(const char *banner, const char *before, const char *after,
	struct arena *a)
{
	struct str s;
	str_init(&s, a, strlen(banner) * 2 + 64);
	int rc = str_append_cstr(&s, before);
	size_t col = 0;
	for (const char *p = banner; *p != '\0' && rc == 0;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (col > 0 && col + 1 + n > BANNER_LINE_MAX) {
			rc = str_append(&s, "\r\n", 2);
			col = 0;
		} else if (col > 0) {
			rc = str_append_char(&s, ' ');
			col++;
		}
		if (rc == 0)
			rc = str_append(&s, p, n);
		col += n;
		p += n;
	}
	if (rc == 0)
		rc = str_append_cstr(&s, after);
	return rc == 0 ? s.p : NULL;
}

static const char *
param(const struct mail_mime_part *p, const char *name)
{
	for (size_t i = 0; i < p->param_count; i++)
		if (span_eq_nocase(span_from_cstr(p->params[i].name), name))
			return p->params[i].value;
	return NULL;
}

/*
 * Whether ASCII text put into the part reads as the same text: true for
 * every charset that is a superset of ASCII, false for the UTF-16/32
 * family, UTF-7 and UCS-2/4, whose bytes for ASCII differ. Names are
 * compared as iconv compares them, letters and digits only ("UTF_32le",
 * "utf-32LE" and "utf\xff32le" are one charset to it).
 */
static bool
ascii_compatible(const struct mail_mime_part *p)
{
	static const char *const wide[] = { "utf16", "utf32", "ucs2", "ucs4",
		"utf7", "unicode" };
	const char *cs = param(p, "charset");
	if (cs == NULL)
		return true;
	char name[32];
	size_t n = 0;
	for (; *cs != '\0' && n < sizeof(name) - 1; cs++)
		if (str_is_ascii_alpha(*cs) || str_is_ascii_digit(*cs))
			name[n++] = str_ascii_lower(*cs);
	name[n] = '\0';
	for (size_t i = 0; i < sizeof(wide) / sizeof(*wide); i++)
		if (strncmp(name, wide[i], strlen(wide[i])) == 0)
			return false;
	return true;
}

/* Where HTML text begins: after the <body ...> tag, else the start. */
static size_t
html_start(const char *body, size_t size)
{
	for (size_t i = 0; i + 5 <= size; i++) {
		if (body[i] != '<' ||
		    !span_starts_with_nocase(span_make(body + i + 1, size - i - 1),
			    "body"))
			continue;
		const char *end = memchr(body + i, '>', size - i);
		return end != NULL ? (size_t)(end - body) + 1 : 0;
	}
	return 0;
}

/*
 * What the part's header lacks before at to end with its empty line: ""
 * when it has it, else a line break or two. A header without one (header
 * fields alone, an empty message) must get it, or the banner would be
 * read as more header.
 */
static const char *
header_end_missing(const char *msg, size_t at)
{
	if (at == 0)
		return "\r\n";
	if (msg[at - 1] != '\n')
		return "\r\n\r\n";
	size_t line = at - 1;	/* the LF ending the line before at */
	if (line > 0 && msg[line - 1] == '\r')
		line--;
	return line == 0 || msg[line - 1] == '\n' ? "" : "\r\n";
}

static int
push_one(struct tagger *t, struct edit e, struct error *err)
{
	struct edit *slot = arena_array_push(t->a, (void **)&t->edits,
		&t->count, &t->capacity, sizeof(*slot));
	if (slot == NULL)
		return error_set(err, ERROR_LIMIT,
			"no memory to put the banner in the message");
	*slot = e;
	return 0;
}

/*
 * An edit at or after the start of a part's body (body: where it starts),
 * with the empty line that ends the part's header put in first when the
 * header lacks it.
 */
static int
push(struct tagger *t, size_t body, struct edit e, struct error *err)
{
	const char *missing = header_end_missing(t->msg, body);
	if (missing[0] != '\0' && push_one(t, (struct edit){ body, 0,
		    missing, strlen(missing) }, err) < 0)
		return -1;
	return push_one(t, e, err);
}

/* A base64 part: decoded, the banner put in, encoded again. */
static int
tag_base64(struct tagger *t, size_t at, size_t size, bool html,
	struct error *err)
{
	unsigned char *bin = arena_alloc(t->a, size + 1);
	size_t bin_len;
	if (bin == NULL)
		return error_set(err, ERROR_LIMIT,
			"no memory to put the banner in the message");
	if (sodium_base642bin(bin, size + 1, t->msg + at, size, " \t\r\n",
		    &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) < 0)
		return 0;	/* not base64 a client could read either */
	size_t cut = html ? html_start((const char *)bin, bin_len) : 0;
	const char *banner = html ? t->html : t->plain;
	size_t banner_len = strlen(banner);
	size_t whole = bin_len + banner_len;
	unsigned char *joined = arena_alloc(t->a, whole);
	size_t b64_len = sodium_base64_ENCODED_LEN(whole,
		sodium_base64_VARIANT_ORIGINAL);
	char *b64 = arena_alloc(t->a, b64_len);
	struct str out;
	str_init(&out, t->a, b64_len + b64_len / BASE64_LINE * 2 + 2);
	if (joined == NULL || b64 == NULL)
		return error_set(err, ERROR_LIMIT,
			"no memory to put the banner in the message");
	memcpy(joined, bin, cut);
	memcpy(joined + cut, banner, banner_len);
	memcpy(joined + cut + banner_len, bin + cut, bin_len - cut);
	sodium_bin2base64(b64, b64_len, joined, whole,
		sodium_base64_VARIANT_ORIGINAL);
	size_t n = strlen(b64);
	for (size_t i = 0; i < n; i += BASE64_LINE) {
		size_t line = n - i < BASE64_LINE ? n - i : BASE64_LINE;
		if ((i > 0 && str_append(&out, "\r\n", 2) < 0) ||
		    str_append(&out, b64 + i, line) < 0)
			return error_set(err, ERROR_LIMIT,
				"no memory to put the banner in the message");
	}
	return push(t, at, (struct edit){ at, size, out.p != NULL ? out.p : "",
		out.len }, err);
}

static int
tag_leaf(struct tagger *t, const struct mail_mime_part *p, struct error *err)
{
	if (p->disposition != NULL && strcmp(p->disposition, "attachment") == 0)
		return 0;
	if (strcmp(p->type, "text") != 0 || !ascii_compatible(p))
		return 0;
	bool html = strcmp(p->subtype, "html") == 0;
	if (!html && strcmp(p->subtype, "plain") != 0)
		return 0;
	size_t at = p->header_offset + p->header_size;
	size_t size = p->body_size;
	if (at > t->len || size > t->len - at)
		return 0;
	const char *enc = p->encoding != NULL ? p->encoding : "7bit";
	if (strcmp(enc, "base64") == 0)
		return tag_base64(t, at, size, html, err);
	if (strcmp(enc, "7bit") != 0 && strcmp(enc, "8bit") != 0 &&
	    strcmp(enc, "binary") != 0 && strcmp(enc, "quoted-printable") != 0)
		return 0;	/* an encoding no client reads either */
	/*
	 * The banner's lines are short ASCII without '=', so they are
	 * quoted-printable as they stand.
	 */
	size_t cut = html ? html_start(t->msg + at, size) : 0;
	const char *banner = html ? t->html : t->plain;
	return push(t, at, (struct edit){ at + cut, 0, banner,
		strlen(banner) }, err);
}

/* Every part a client shows inline, in order; not into attached messages. */
static int
walk(struct tagger *t, const struct mail_mime_part *p, struct error *err)
{
	if (p->kind == MAIL_MIME_LEAF)
		return tag_leaf(t, p, err);
	if (p->kind == MAIL_MIME_MESSAGE)
		return 0;
	for (const struct mail_mime_part *c = p->children; c != NULL;
	     c = c->next)
		if (walk(t, c, err) < 0)
			return -1;
	return 0;
}

static int
apply(const struct tagger *t, struct str *out, struct error *err)
{
	size_t from = 0;
	for (size_t i = 0; i < t->count; i++) {
		const struct edit *e = &t->edits[i];
		if (str_append(out, t->msg + from, e->at - from) < 0 ||
		    str_append(out, e->text, e->text_len) < 0)
			return error_set(err, ERROR_LIMIT,
				"no memory to put the banner in the message");
		from = e->at + e->remove;
	}
	if (str_append(out, t->msg + from, t->len - from) < 0)
		return error_set(err, ERROR_LIMIT,
			"no memory to put the banner in the message");
	return 0;
}

/*
 * No part to put the banner in: the message becomes a multipart/mixed of
 * the banner and its body as it was, whose Content- fields move into the
 * body's own part header (RFC 2046 §5.1.3).
 */
static int
wrap_message(const struct tagger *t, const struct mail_mime_part *root,
	struct str *out, struct error *err)
{
	struct span header = span_make(t->msg, root->header_size);
	struct span name, value;
	struct str outer, inner;
	str_init(&outer, t->a, root->header_size + 256);
	str_init(&inner, t->a, root->header_size + 64);
	unsigned char hash[16];
	char boundary[2 * sizeof(hash) + 1];
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)t->msg,
		t->len, NULL, 0);
	sodium_bin2hex(boundary, sizeof(boundary), hash, sizeof(hash));
	int rc = 0;
	for (const char *field = header.p; rc == 0 &&
	     mail_mime_field_next(&header, &name, &value); field = header.p) {
		size_t len = (size_t)(header.p - field);
		name = span_trim(name);
		if (span_starts_with_nocase(name, "content-"))
			rc = str_append(&inner, field, len);
		else if (!span_eq_nocase(name, "mime-version"))
			rc = str_append(&outer, field, len);
	}
	size_t body = root->header_offset + root->header_size;
	if (rc == 0)
		rc = str_appendf(out, "%sMIME-Version: 1.0\r\nContent-Type: "
			"multipart/mixed; boundary=\"=_banner_%s\"\r\n\r\n"
			"--=_banner_%s\r\nContent-Type: text/plain; "
			"charset=us-ascii\r\n\r\n%s\r\n--=_banner_%s\r\n%s\r\n",
			str_cstr(&outer), boundary, boundary, t->plain, boundary,
			str_cstr(&inner));
	if (rc == 0)
		rc = str_append(out, t->msg + body, t->len - body);
	if (rc == 0)
		rc = str_appendf(out, "%s--=_banner_%s--\r\n",
			t->len > 0 && t->msg[t->len - 1] == '\n' ? "" : "\r\n",
			boundary);
	return rc == 0 ? 0 : error_set(err, ERROR_LIMIT,
		"no memory to put the banner in the message");
}

int
mail_banner_add(const char *msg, size_t len, const char *banner,
	struct arena *a, struct str *out, struct error *err)
{
	struct mail_mime_part *root;
	if (mail_mime_parse(msg, len, a, &root, err) < 0)
		return -1;
	struct tagger t = { .msg = msg, .len = len, .a = a,
		.plain = wrap(banner, "", "\r\n\r\n", a),
		.html = wrap(banner, "\r\n<p>", "</p>\r\n", a) };
	if (t.plain == NULL || t.html == NULL)
		return error_set(err, ERROR_LIMIT,
			"no memory to put the banner in the message");
	if (walk(&t, root, err) < 0)
		return -1;
	return t.count > 0 ? apply(&t, out, err) :
		wrap_message(&t, root, out, err);
}
