/*
 * Fuzz target for what outbound SMTP reads from a remote server: replies
 * (mail_smtp_reply_parse, multiline, enhanced codes) and the reading of a
 * stored reply for a delivery report (mail_dsn_diagnostic_parse). Beyond
 * not crashing: a parsed reply has a code from 200 to 599 and kept text
 * that is printable ASCII, bounded and NUL-terminated; its status is
 * X.Y.Z of the reply's class; a refusal is INVALID or LIMIT with a
 * sentence; the diagnostic's text is printable, bounded and terminated.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dsn.h"
#include "mail/mail_smtp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_printable(const char *text, size_t size)
{
	size_t len = strnlen(text, size);
	if (len == size)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch < 0x20 || ch >= 0x7f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span text = span_make((const char *)data, size);
	struct mail_smtp_reply r;
	struct error err;
	size_t used = 0;
	if (mail_smtp_reply_parse(text, &r, &used, &err) == 0) {
		if (r.code < 200 || r.code > 599 || used > size || !r.complete)
			abort();
		check_printable(r.text, sizeof(r.text));
		if (strlen(r.text) != r.text_len)
			abort();
		char status[16];
		mail_smtp_reply_status(&r, status, sizeof(status));
		char klass = r.code / 100 == 3 ? '2' : (char)('0' + r.code / 100);
		if (status[0] != klass || status[1] != '.')
			abort();
	} else if ((err.code != ERROR_INVALID && err.code != ERROR_LIMIT) ||
		   err.msg[0] == '\0') {
		abort();
	}
	struct mail_dsn_diagnostic d;
	mail_dsn_diagnostic_parse(text, &d);
	check_printable(d.text, sizeof(d.text));
	check_printable(d.status, sizeof(d.status));
	if (d.code != 0 && (d.code < 200 || d.code > 599))
		abort();
	return 0;
}
