/*
 * Fuzz target for the search text of a message, its folding and the day a
 * Date field names (mail/mail_mime.h, mail_mime_search.c). Beyond not
 * crashing: only ERROR_LIMIT may refuse a message, and both texts are valid
 * UTF-8 within their caps, one line, without control characters or runs
 * of blanks, as SEARCH and an index expect; and mail_search_texts (what
 * the scan compares and the text index holds) never fails on a message in
 * an ample arena, gives valid UTF-8, and is the folded search text when
 * the message parses.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *text, size_t len, size_t cap)
{
	if (text == NULL || len > cap || strlen(text) != len ||
		!g_utf8_validate(text, (gssize)len, NULL))
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f ||
			(c == ' ' && (i == 0 || i + 1 == len ||
					     text[i + 1] == ' ')))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	const char *msg = (const char *)data;
	struct arena *a = arena_new(128 * 1024 * 1024);
	struct mail_search_text t;
	struct error err;
	if (mail_mime_search_text(msg, size, a, &t, &err) < 0) {
		if (err.code != ERROR_LIMIT || err.msg[0] == '\0')
			abort();
	} else {
		check_text(t.header, t.header_len, MAIL_SEARCH_HEADER_MAX);
		check_text(t.body, t.body_len, MAIL_SEARCH_BODY_MAX);
		const char *folded = mail_search_fold(t.body, t.body_len, a);
		if (folded == NULL ||
			!g_utf8_validate(folded, -1, NULL))
			abort();
	}
	/* The split a summary may give: any, even past the end. */
	int64_t header_size = size > 0 ? (int64_t)data[0] * 16 : 0;
	const char *header, *body;
	if (mail_search_texts(msg, size, header_size, a, &header, &body,
		    &err) < 0 ||
		!g_utf8_validate(header, -1, NULL) ||
		!g_utf8_validate(body, -1, NULL))
		abort();
	if (mail_mime_search_text(msg, size, a, &t, &err) == 0) {
		const char *h = mail_search_fold(t.header, t.header_len, a);
		const char *b = mail_search_fold(t.body, t.body_len, a);
		if (h == NULL || b == NULL || strcmp(h, header) != 0 ||
			strcmp(b, body) != 0)
			abort();
	}
	/* The same bytes as a word to fold and as a Date value. */
	const char *word = mail_search_fold(msg, size, a);
	if (word == NULL || !g_utf8_validate(word, -1, NULL))
		abort();
	int64_t day;
	if (mail_mime_date_day(span_make(msg, size > 256 ? 256 : size), &day) &&
		(day % 86400 != 0))
		abort();
	arena_free(&a);
	return 0;
}
