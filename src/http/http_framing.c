/*
 * Whether a request's body has one length that every reader agrees on.
 * Layer: front end. RFC 9112 §5.1 (field names), §6.1 (Transfer-Encoding),
 * §6.3 (message body length); RFC 9110 §5.6.2 (tokens), §8.6.
 * SECURITY: request smuggling lives in the gap between two parsers'
 * readings of one message (a proxy's and ours), so anything that could be
 * read two ways is refused with 400 and the connection closed, never
 * guessed at: two Content-Lengths, Content-Length with Transfer-Encoding,
 * a coding we do not decode, "Transfer-Encoding : chunked".
 */
#include <string.h>
#include <strings.h>

#include "http_internal.h"

/* RFC 9110 §5.6.2: tchar. */
static bool
http_is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z') ||
		(c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
http_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!http_is_tchar((unsigned char)*s))
			return false;
	}
	return true;
}

static struct span
http_trim_ows(const char *value)
{
	struct span v = span_from_cstr(value);
	while (v.len > 0 && (v.p[0] == ' ' || v.p[0] == '\t'))
		v = span_make(v.p + 1, v.len - 1);
	while (v.len > 0 && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
		v.len--;
	return v;
}

void
http_framing_add(struct http_framing *f, const char *name, const char *value)
{
	/* §5.1: whitespace before the colon makes a name no token; a proxy
	 * might have trimmed it and read the field. */
	if (!http_is_token(name)) {
		f->bad_name = true;
		return;
	}
	struct span v = http_trim_ows(value != NULL ? value : "");
	if (strcasecmp(name, "Content-Length") == 0) {
		f->content_lengths++;
		/* §8.6 allows "5, 5"; one plain number is all we take. */
		bool digits = v.len > 0;
		for (size_t i = 0; i < v.len && digits; i++)
			digits = v.p[i] >= '0' && v.p[i] <= '9';
		if (!digits)
			f->bad_length = true;
	} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
		f->transfer_encodings++;
		/* We decode chunked alone; §6.3 wants chunked last, and
		 * "gzip, chunked" would need a decoder we do not run. */
		if (!span_eq_nocase(v, "chunked"))
			f->bad_coding = true;
	}
}

int
http_framing_check(const struct http_framing *f, bool http10,
	struct error *err)
{
	if (f->bad_name)
		return error_set(err, ERROR_INVALID, "A header field name is "
			"not a token (RFC 9112 section 5.1: no space before "
			"the colon).");
	if (f->content_lengths > 1)
		return error_set(err, ERROR_INVALID, "The request has more "
			"than one Content-Length.");
	if (f->bad_length)
		return error_set(err, ERROR_INVALID, "Content-Length must be "
			"one whole number.");
	if (f->transfer_encodings > 0 && f->content_lengths > 0)
		return error_set(err, ERROR_INVALID, "The request has both "
			"Content-Length and Transfer-Encoding; send one.");
	if (f->transfer_encodings > 0 && http10)
		return error_set(err, ERROR_INVALID, "HTTP/1.0 has no "
			"Transfer-Encoding (RFC 9112 section 6.1).");
	if (f->transfer_encodings > 1 || f->bad_coding)
		return error_set(err, ERROR_INVALID, "Transfer-Encoding must "
			"be chunked, given once.");
	return 0;
}
