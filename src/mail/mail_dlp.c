/*
 * The NHS numbers in a whole message (mail_dlp.h): which texts are read,
 * how each is decoded (by the MIME parser's own decoders), and the result
 * with distinct numbers counted by tier and only masked samples kept.
 * Layer: domain, pure. RFC 5322 §2.2.3 (unfolding), RFC 2045-2047, RFC
 * 2046 §5.2 (message/rfc822, message/partial), RFC 2231.
 */
#include "mail/mail_dlp.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_mime.h"

/*
 * The memory the finds may take, at most: a million or so numbers. A
 * message with more is held as unscannable rather than counted.
 */
#define WORK_MAX ((size_t)64 * 1024 * 1024)

/* The reason when even the reason cannot be stored. */
static const char no_memory[] =
	"the message is too large to scan in the memory it was given";

/* One time a number was found. */
struct found {
	uint64_t value;	/* the ten digits as a number */
	enum mail_nhsnum_tier tier;
	size_t seq;	/* order found, so the first find is the sample */
	const char *where;
};

struct dlp {
	struct arena *a;	/* the result's strings and the part tree */
	struct arena *work;	/* the finds: numbers in clear, wiped */
	struct mail_dlp_result *r;
	struct found *found;
	size_t found_count, found_cap;
	struct mail_dlp_skipped *skipped;
	size_t skipped_cap;
	const char *where;	/* of the text being scanned */
};

static void
unscannable(struct dlp *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Text from the message (a media type, a charset named in a reason) as the
 * result may hold it: as a reader sees it, each NHS number in it masked,
 * so nothing in the result shows a number in clear. NULL past the cap.
 */
static const char *
masked_text(struct arena *a, const char *s)
{
	size_t len = strlen(s);
	char *seen = arena_alloc(a, len + 1);
	/* A mask is at most two bytes longer than the ten digits it hides. */
	char *out = arena_alloc(a, 2 * len + 1);
	if (seen == NULL || out == NULL)
		return NULL;
	struct span t = span_make(seen, mail_nhsnum_normalise(span_make(s,
						     len), seen));
	size_t pos = 0, copied = 0, o = 0;
	struct mail_nhsnum_match m;
	while (mail_nhsnum_find(t, &pos, &m)) {
		memcpy(out + o, t.p + copied, m.start - copied);
		o += m.start - copied;
		mail_nhsnum_mask(m.digits, out + o);
		o += MAIL_NHSNUM_MASK_SIZE - 1;
		copied = m.end;
		sodium_memzero(&m, sizeof(m));
	}
	memcpy(out + o, t.p + copied, t.len - copied);
	out[o + t.len - copied] = '\0';
	return out;
}

static void
unscannable(struct dlp *d, const char *fmt, ...)
{
	if (d->r->unscannable)
		return;	/* the first reason is the one given */
	d->r->unscannable = true;
	va_list ap;
	va_start(ap, fmt);
	const char *reason = arena_vprintf(d->a, fmt, ap);
	va_end(ap);
	d->r->reason = reason != NULL ? masked_text(d->a, reason) : NULL;
	if (d->r->reason == NULL)
		d->r->reason = no_memory;
}

/*
 * An arena for one text's decoding: the decoders and the reduction each
 * take at most five times the bytes they read, and a few of them run.
 */
static struct arena *
scratch_new(size_t len)
{
	size_t cap = len < (SIZE_MAX - ((size_t)1 << 20)) / 16 ?
		16 * len + ((size_t)1 << 20) :
		SIZE_MAX;
	return arena_new(cap);
}

/* ---- one text ---- */

static void
found_one(void *ctx, const struct mail_nhsnum_match *m,
	enum mail_nhsnum_tier tier)
{
	struct dlp *d = ctx;
	struct found *f = arena_array_push(d->work, (void **)&d->found,
		&d->found_count, &d->found_cap, sizeof(*f));
	if (f == NULL) {
		unscannable(d, "the message holds more numbers than can be "
			"counted in the memory they were given");
		return;
	}
	f->value = strtoull(m->digits, NULL, 10);
	f->tier = tier;
	f->seq = d->found_count;
	f->where = d->where;
}

/* Scans one decoded text as a reader sees it (mail_nhsnum_normalise). */
static void
scan_text(struct dlp *d, struct span text, struct arena *scratch,
	const char *where)
{
	char *seen = arena_alloc(scratch, text.len + 1);
	if (seen == NULL || where == NULL) {
		unscannable(d, "%s", no_memory);
		return;
	}
	size_t n = mail_nhsnum_normalise(text, seen);
	d->where = where;
	d->r->texts++;
	mail_nhsnum_scan(span_make(seen, n), found_one, d);
}

/* ---- the header ---- */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A field's value with each fold, and the blanks on both sides of it, one
 * space (RFC 5322 §2.2.3 keeps the blank after the line break; a writer
 * may fold with a tab or leave a blank before it, and a reader sees one
 * space either way). Into out, at least value.len bytes.
 */
static size_t
unfold(struct span value, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < value.len;) {
		size_t j = i;
		while (j < value.len && is_blank(value.p[j]))
			j++;
		if (j < value.len && (value.p[j] == '\r' || value.p[j] == '\n')) {
			while (j < value.len && (value.p[j] == '\r' ||
						      value.p[j] == '\n' ||
						      is_blank(value.p[j])))
				j++;
			out[o++] = ' ';
			i = j;
			continue;
		}
		if (j > i) {
			memcpy(out + o, value.p + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		out[o++] = value.p[i++];
	}
	return o;
}

/*
 * Whether name (what stands before a colon, mail_mime_field_next) names a
 * field: printable ASCII but the colon (RFC 5322 §2.2), blanks allowed
 * before the colon (§4.5.3).
 */
static bool
is_field_name(struct span name)
{
	while (name.len > 0 && is_blank(name.p[name.len - 1]))
		name.len--;
	if (name.len == 0)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		unsigned char c = (unsigned char)name.p[i];
		if (c < 33 || c > 126)
			return false;
	}
	return true;
}

/* A Subject field's value as a reader sees it: unfolded and decoded. */
static void
scan_subject(struct dlp *d, struct span value, const char *where)
{
	struct arena *s = scratch_new(value.len);
	char *one_line = arena_alloc(s, value.len + 1);
	const char *text = NULL;
	if (one_line != NULL)
		text = mail_mime_header_decode(span_make(one_line,
			unfold(value, one_line)), s);
	if (text == NULL)
		unscannable(d, "%s", no_memory);
	else
		scan_text(d, span_from_cstr(text), s, where);
	arena_free(&s);
}

/*
 * The header of a message whose top part is top: every Subject field, and
 * the lines that are not fields at all (is_field_name) with their
 * continuation lines: text where a header should be, as when a part
 * labelled message/rfc822 is not a message at all. A reader is shown those
 * as text, so they are scanned as text, once, joined by their line breaks.
 */
static void
scan_header(struct dlp *d, const char *msg, const struct mail_mime_part *top,
	const char *prefix)
{
	bool own = prefix[0] == '\0';
	const char *subject_where = own ? "subject" :
		arena_printf(d->a, "subject of part %s", prefix);
	const char *header_where = own ? "header" :
		arena_printf(d->a, "header of part %s", prefix);
	struct span header = span_make(msg + top->header_offset,
		top->header_size), name, value;
	struct arena *s = NULL;
	char *stray = NULL;
	size_t len = 0;
	while (mail_mime_field_next(&header, &name, &value)) {
		if (is_field_name(name)) {
			if (span_eq_nocase(span_trim(name), "Subject"))
				scan_subject(d, value, subject_where);
			continue;
		}
		if (s == NULL) {
			s = scratch_new(top->header_size);
			stray = arena_alloc(s, top->header_size + 1);
			if (stray == NULL) {
				unscannable(d, "%s", no_memory);
				break;
			}
		}
		/* The whole line, name and value: name starts it. */
		size_t n = (size_t)(value.p + value.len - name.p);
		memcpy(stray + len, name.p, n);
		len += n;
	}
	if (stray != NULL && len > 0)
		scan_text(d, span_make(stray, len), s, header_where);
	arena_free(&s);
}

/* ---- parts ---- */

static bool
name_in(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

static bool
ends_with_nocase(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* The extension of a file name, after its last dot, or "". */
static const char *
extension(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot != NULL ? dot + 1 : "";
}

/* Whether a part holds text a person or a program reads as text. */
static bool
is_text_like(const struct mail_mime_part *part, const char *ext)
{
	static const char *const app[] = { "csv", "x-csv",
		"tab-separated-values", "json", "xml", "rtf", "x-rtf",
		"javascript", "x-javascript", "ecmascript", "x-sh",
		"x-shellscript", "sql", "x-sql", "yaml", "x-yaml", "toml",
		"x-www-form-urlencoded", "x-tex", "x-latex", "mbox",
		"x-vcard", "ics" };
	static const char *const exts[] = { "csv", "tsv", "tab", "txt",
		"text", "json", "xml", "htm", "html", "xhtml", "rtf", "md",
		"log", "ics", "vcf", "yaml", "yml", "sql", "ini", "cfg", "conf",
		"tex", "eml", "mbox" };
	if (strcmp(part->type, "text") == 0)
		return true;
	if (strcmp(part->type, "message") == 0)
		return strcmp(part->subtype, "external-body") != 0;
	if (strcmp(part->type, "application") == 0 &&
		(name_in(part->subtype, app, sizeof(app) / sizeof(*app)) ||
			ends_with_nocase(part->subtype, "+xml") ||
			ends_with_nocase(part->subtype, "+json")))
		return true;
	return name_in(ext, exts, sizeof(exts) / sizeof(*exts));
}

static bool
is_html(const struct mail_mime_part *part, const char *ext)
{
	return (strcmp(part->type, "text") == 0 &&
		       strcmp(part->subtype, "html") == 0) ||
		(strcmp(part->type, "application") == 0 &&
			strcmp(part->subtype, "xhtml+xml") == 0) ||
		strcasecmp(ext, "htm") == 0 || strcasecmp(ext, "html") == 0 ||
		strcasecmp(ext, "xhtml") == 0;
}

/*
 * A message/rfc822 part sent in base64 or quoted-printable (which the
 * parser shows as application/octet-stream), a message/global, or a .eml
 * file: a message to decode and scan on its own.
 */
static bool
is_encoded_message(const struct mail_mime_part *part, const char *ext)
{
	return part->encoded_message || (strcmp(part->type, "message") == 0 &&
		strcmp(part->subtype, "global") == 0) ||
		strcasecmp(ext, "eml") == 0;
}

static void scan_message(struct dlp *d, const char *msg, size_t len,
	const char *prefix, unsigned nested);

/*
 * The file names a part gives: name and filename, plain or RFC 2231.
 * Returns the extension of the first ("" if none), which says how the
 * part is read.
 */
static const char *
scan_file_names(struct dlp *d, const struct mail_mime_part *part,
	const char *num)
{
	static const char *const names[] = { "filename", "filename*", "name",
		"name*" };
	const char *ext = NULL;
	for (int list = 0; list < 2; list++) {
		const struct mail_mime_param *params = list == 0 ?
			part->disposition_params : part->params;
		size_t count = list == 0 ? part->disposition_param_count :
					   part->param_count;
		for (size_t i = 0; i < count; i++) {
			if (!name_in(params[i].name, names, 4))
				continue;
			struct arena *s = scratch_new(strlen(params[i].value));
			const char *text = mail_mime_param_text(&params[i], s);
			if (text == NULL) {
				unscannable(d, "%s", no_memory);
			} else {
				scan_text(d, span_from_cstr(text), s,
					arena_printf(d->a,
						"file name of part %s", num));
				if (ext == NULL)
					ext = arena_strdup(d->a,
						extension(text));
			}
			arena_free(&s);
		}
	}
	return ext != NULL ? ext : "";
}

static void
skip(struct dlp *d, const struct mail_mime_part *part, const char *num)
{
	struct mail_dlp_skipped *s = arena_array_push(d->a,
		(void **)&d->skipped, &d->r->skipped_count, &d->skipped_cap,
		sizeof(*s));
	if (s == NULL) {
		unscannable(d, "%s", no_memory);
		return;
	}
	s->where = arena_printf(d->a, "part %s", num);
	const char *type = arena_printf(d->a, "%s/%s", part->type,
		part->subtype);
	s->type = type != NULL ? masked_text(d->a, type) : NULL;
	d->r->skipped = d->skipped;
	if (s->where == NULL || s->type == NULL)
		unscannable(d, "%s", no_memory);
}

static void
scan_leaf(struct dlp *d, const char *msg, const struct mail_mime_part *part,
	const char *num, unsigned nested)
{
	const char *ext = scan_file_names(d, part, num);
	if (strcmp(part->type, "message") == 0 &&
		strcmp(part->subtype, "partial") == 0) {
		unscannable(d, "part %s is a fragment of a larger message "
			"(message/partial), which cannot be scanned", num);
		return;
	}
	bool message = is_encoded_message(part, ext);
	if (!message && !is_text_like(part, ext)) {
		skip(d, part, num);
		return;
	}
	if (message && nested >= MAIL_DLP_NESTED_MAX) {
		unscannable(d, "part %s holds attached messages nested more "
			"than %d deep", num, MAIL_DLP_NESTED_MAX);
		return;
	}
	struct arena *s = scratch_new(part->body_size);
	struct span text;
	struct error err;
	error_clear(&err);
	if (mail_mime_part_text(msg, part, s, &text, &err) < 0) {
		if (err.code == ERROR_LIMIT)
			unscannable(d, "part %s is too large to scan in the "
				"memory it was given", num);
		else
			unscannable(d, "part %s (%s/%s) cannot be decoded: %s",
				num, part->type, part->subtype, err.msg);
	} else if (message) {
		scan_message(d, text.p, text.len, num, nested + 1);
	} else if (is_html(part, ext)) {
		char *reduced = arena_alloc(s, text.len + 1);
		if (reduced == NULL) {
			unscannable(d, "%s", no_memory);
		} else {
			size_t n = mail_dlp_html_text(text, reduced);
			scan_text(d, span_make(reduced, n), s,
				arena_printf(d->a, "part %s", num));
		}
		/* The source too: attributes, comments, hidden text. */
		scan_text(d, text, s,
			arena_printf(d->a, "part %s (HTML source)", num));
	} else {
		scan_text(d, text, s, arena_printf(d->a, "part %s", num));
	}
	arena_free(&s);
}

static const char *
part_number(struct dlp *d, const char *prefix, size_t n)
{
	return prefix[0] == '\0' ? arena_printf(d->a, "%zu", n) :
				   arena_printf(d->a, "%s.%zu", prefix, n);
}

static void scan_part(struct dlp *d, const char *msg,
	const struct mail_mime_part *part, const char *num, unsigned nested);

/* The children of a multipart: prefix.1, prefix.2, ... */
static void
scan_children(struct dlp *d, const char *msg,
	const struct mail_mime_part *part, const char *prefix, unsigned nested)
{
	size_t i = 1;
	for (const struct mail_mime_part *c = part->children; c != NULL;
		c = c->next)
		scan_part(d, msg, c, part_number(d, prefix, i++), nested);
}

/*
 * A message whose top part is top: its header, then its body, whose parts
 * are prefix.N (the top message's, with prefix "", are N).
 */
static void
scan_header_and_body(struct dlp *d, const char *msg,
	const struct mail_mime_part *top, const char *prefix, unsigned nested)
{
	scan_header(d, msg, top, prefix);
	if (top->kind == MAIL_MIME_MULTIPART)
		scan_children(d, msg, top, prefix, nested);
	else
		scan_part(d, msg, top, part_number(d, prefix, 1), nested);
}

/* A body part numbered num (RFC 3501 §6.4.5 numbering). */
static void
scan_part(struct dlp *d, const char *msg, const struct mail_mime_part *part,
	const char *num, unsigned nested)
{
	if (num == NULL) {
		unscannable(d, "%s", no_memory);
		return;
	}
	switch (part->kind) {
	case MAIL_MIME_LEAF:
		scan_leaf(d, msg, part, num, nested);
		return;
	case MAIL_MIME_MULTIPART:
		scan_children(d, msg, part, num, nested);
		return;
	case MAIL_MIME_MESSAGE:
		scan_file_names(d, part, num);
		if (part->children != NULL)
			scan_header_and_body(d, msg, part->children, num,
				nested);
		return;
	}
}

/*
 * A whole message: the top one (prefix "", its tree in the caller's
 * arena) or one decoded from part prefix (its tree in an arena of its
 * own, freed when it is done).
 */
static void
scan_message(struct dlp *d, const char *msg, size_t len, const char *prefix,
	unsigned nested)
{
	struct arena *tree = nested == 0 ? d->a : scratch_new(len);
	struct mail_mime_part *root;
	struct error err;
	error_clear(&err);
	if (mail_mime_parse(msg, len, tree, &root, &err) < 0) {
		if (nested == 0)
			unscannable(d, "the message cannot be scanned: %s",
				err.msg);
		else
			unscannable(d, "the message attached as part %s "
				"cannot be scanned: %s", prefix, err.msg);
	} else {
		scan_header_and_body(d, msg, root, prefix, nested);
	}
	if (nested > 0)
		arena_free(&tree);
}

/* ---- the result ---- */

/* Surest first, then first found. */
static int
by_tier(const void *x, const void *y)
{
	const struct found *a = x, *b = y;
	if (a->tier != b->tier)
		return a->tier > b->tier ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* By number, then as by_tier. */
static int
by_value(const void *x, const void *y)
{
	const struct found *a = x, *b = y;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return by_tier(x, y);
}

static void
summarize(struct dlp *d)
{
	struct mail_dlp_result *r = d->r;
	if (d->found_count == 0)
		return;
	qsort(d->found, d->found_count, sizeof(*d->found), by_value);
	/* Each number once, at its surest find. */
	size_t distinct = 0;
	for (size_t i = 0; i < d->found_count; i++) {
		if (distinct > 0 && d->found[distinct - 1].value ==
			d->found[i].value)
			continue;
		d->found[distinct++] = d->found[i];
	}
	qsort(d->found, distinct, sizeof(*d->found), by_tier);
	for (size_t i = 0; i < distinct; i++) {
		const struct found *f = &d->found[i];
		r->counts[f->tier]++;
		if (f->tier > r->tier)
			r->tier = f->tier;
		if (r->sample_count == MAIL_DLP_SAMPLES_MAX)
			continue;
		struct mail_dlp_sample *s = &r->samples[r->sample_count++];
		char digits[MAIL_NHSNUM_SIZE];
		snprintf(digits, sizeof(digits), "%010llu",
			(unsigned long long)f->value);
		s->tier = f->tier;
		mail_nhsnum_mask(digits, s->masked);
		s->where = f->where;
		sodium_memzero(digits, sizeof(digits));
	}
}

void
mail_dlp_scan(const char *msg, size_t len, struct arena *a,
	struct mail_dlp_result *r_r)
{
	*r_r = (struct mail_dlp_result){ .tier = MAIL_NHSNUM_TIER_NONE };
	/*
	 * A find takes eleven bytes of text or more; the array doubles as
	 * it grows, and HTML is read twice: four finds' room per eleven
	 * bytes covers any message, up to WORK_MAX.
	 */
	size_t work = (len / 11 + 64) * 4 * sizeof(struct found);
	struct dlp d = {
		.a = a,
		.r = r_r,
		.work = arena_new_wiping(work < WORK_MAX ? work : WORK_MAX),
	};
	scan_message(&d, msg != NULL ? msg : "", msg != NULL ? len : 0, "", 0);
	summarize(&d);
	arena_free(&d.work);
}
