/*
 * SMTP replies as a client reads them: multiline replies, enhanced status
 * codes, and how each counts. Layer: domain, pure (no I/O), fuzzed by
 * tests/fuzz/fuzz_smtp_reply.c. RFC 5321 §4.2, RFC 3463, RFC 2034.
 * SECURITY: the remote's text is bounded and made printable ASCII.
 */
#include <string.h>

#include "core/error.h"
#include "mail/mail_smtp_client.h"

void
mail_smtp_reply_init(struct mail_smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * RFC 3463 §2: class "." subject "." detail, class 2, 4 or 5, subject up to
 * 3 digits, detail up to 3 digits, then a space or the end. Returns the
 * bytes it took, 0 when text does not start with one.
 */
static size_t
enhanced_length(struct span text)
{
	size_t i = 0;
	if (text.len < 5 || (text.p[0] != '2' && text.p[0] != '4' &&
				    text.p[0] != '5') || text.p[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t digits = 0;
		while (i < text.len && is_digit(text.p[i]) && digits < 4) {
			i++;
			digits++;
		}
		if (digits == 0 || digits > 3)
			return 0;
		if (part == 0) {
			if (i >= text.len || text.p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < text.len && text.p[i] != ' ')
		return 0;
	return i;
}

/* Appends text to r->text, printable ASCII only, within its size. */
static void
append_text(struct mail_smtp_reply *r, struct span text)
{
	size_t room = sizeof(r->text) - 1;
	if (r->text_len > 0 && text.len > 0 && r->text_len < room)
		r->text[r->text_len++] = ' ';
	for (size_t i = 0; i < text.len && r->text_len < room; i++) {
		unsigned char ch = (unsigned char)text.p[i];
		r->text[r->text_len++] = ch >= 0x20 && ch < 0x7f ? (char)ch :
			'?';
	}
	r->text[r->text_len] = '\0';
}

int
mail_smtp_reply_add_line(struct mail_smtp_reply *r, struct span line,
	struct error *err)
{
	if (r->complete)
		return error_set(err, ERROR_INVALID,
			"the reply had already ended");
	if (r->lines >= MAIL_SMTP_REPLY_MAX_LINES)
		return error_set(err, ERROR_LIMIT,
			"the reply has more than %d lines",
			MAIL_SMTP_REPLY_MAX_LINES);
	if (line.len < 3 || !is_digit(line.p[0]) || !is_digit(line.p[1]) ||
	    !is_digit(line.p[2]) || line.p[0] < '2' || line.p[0] > '5' ||
	    (line.len > 3 && line.p[3] != ' ' && line.p[3] != '-'))
		return error_set(err, ERROR_INVALID,
			"the server's reply is not a three-digit code");
	int code = (line.p[0] - '0') * 100 + (line.p[1] - '0') * 10 +
		(line.p[2] - '0');
	if (r->lines > 0 && code != r->code)
		return error_set(err, ERROR_INVALID,
			"a reply's lines have different codes (%d, %d)",
			r->code, code);
	r->code = code;
	r->lines++;
	bool more = line.len > 3 && line.p[3] == '-';
	struct span text = line.len > 4 ? span_make(line.p + 4, line.len - 4) :
		span_make(line.p + line.len, 0);
	/* RFC 2034 §4: every line carries the code; the first one counts. */
	size_t enhanced = enhanced_length(text);
	if (enhanced > 0) {
		if (r->lines == 1) {
			memcpy(r->enhanced, text.p, enhanced);
			r->enhanced[enhanced] = '\0';
		}
		text.p += enhanced;
		text.len -= enhanced;
		while (text.len > 0 && text.p[0] == ' ') {
			text.p++;
			text.len--;
		}
	}
	append_text(r, text);
	r->complete = !more;
	return 0;
}

int
mail_smtp_reply_parse(struct span text, struct mail_smtp_reply *r,
	size_t *used_r, struct error *err)
{
	mail_smtp_reply_init(r);
	size_t pos = 0;
	while (!r->complete) {
		size_t end = pos;
		while (end + 1 < text.len &&
		       !(text.p[end] == '\r' && text.p[end + 1] == '\n'))
			end++;
		if (end + 1 >= text.len)
			return error_set(err, ERROR_INVALID,
				"the reply ends before its last line");
		if (end - pos >= MAIL_SMTP_REPLY_LINE_MAX)
			return error_set(err, ERROR_LIMIT,
				"a reply line is longer than %d bytes",
				MAIL_SMTP_REPLY_LINE_MAX);
		if (mail_smtp_reply_add_line(r, span_make(text.p + pos,
			    end - pos), err) < 0)
			return -1;
		pos = end + 2;
	}
	*used_r = pos;
	return 0;
}

enum mail_smtp_result
mail_smtp_reply_result(const struct mail_smtp_reply *r)
{
	if (r->code >= 200 && r->code < 400)
		return MAIL_SMTP_RESULT_OK;
	if (r->code >= 400 && r->code < 500)
		return MAIL_SMTP_RESULT_TEMPORARY;
	return MAIL_SMTP_RESULT_PERMANENT;
}

void
mail_smtp_reply_status(const struct mail_smtp_reply *r, char *buf,
	size_t size)
{
	char klass = r->code >= 200 && r->code < 600 ?
		(char)('0' + r->code / 100) : '5';
	if (klass == '3')
		klass = '2';
	/* A 5xx with "4.x.x" is a broken server: the reply code wins. */
	if (r->enhanced[0] == klass)
		snprintf(buf, size, "%s", r->enhanced);
	else
		snprintf(buf, size, "%c.0.0", klass);
}
