/*
 * Fuzz target for the anti-spoofing banner (mail/mail_banner.h). Beyond not
 * crashing: only ERROR_LIMIT may refuse a message, what comes out parses
 * as MIME, and a person reading it (its decoded search text) reads the
 * banner, whatever shape the message had.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_banner.h"
#include "mail/mail_mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BANNER "--- This message was sent from an email address external " \
	"to caremail. Verify the sender. ---"
/* What a reader sees of it, whatever the line breaks became. */
#define READ_AS "sent from an email address external to caremail"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	struct arena *a = arena_new(64 * 1024 * 1024);
	struct str out;
	struct error err;
	str_init(&out, a, 4 * size + 64 * 1024);
	if (mail_banner_add((const char *)data, size, BANNER, a, &out,
		    &err) < 0) {
		if (err.code != ERROR_LIMIT || err.msg[0] == '\0')
			abort();
		arena_free(&a);
		return 0;
	}
	struct mail_mime_part *root;
	struct mail_search_text t;
	if (mail_mime_parse(out.p, out.len, a, &root, &err) < 0 ||
	    mail_mime_search_text(out.p, out.len, a, &t, &err) < 0) {
		/* Only the parser's own bounds may refuse the result. */
		if (err.code != ERROR_LIMIT)
			abort();
	} else if (!t.truncated &&
		   memmem(t.body, t.body_len, READ_AS, strlen(READ_AS)) == NULL) {
		abort();
	}
	arena_free(&a);
	return 0;
}
