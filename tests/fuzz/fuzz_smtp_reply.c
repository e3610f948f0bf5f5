/*
 * Fuzz target for what outbound SMTP reads from a remote server: replies
 * (mail_smtp_reply_parse, multiline, enhanced codes) and the reading of a
 * stored reply for a delivery report (mail_dsn_diagnostic_parse). Beyond
 * not crashing: a parsed reply has a code from 200 to 599 and kept text
 * that is printable ASCII, bounded and NUL-terminated; its status is
 * X.Y.Z of the reply's class; a refusal is INVALID or LIMIT with a
 * sentence; the diagnostic's text is printable, bounded and terminated.
 * The same bytes as a report's diagnostic and original (mail_dsn_build):
 * the report is written, global (RFC 6533) exactly when
 * mail_dsn_is_global says, and a report that is not global holds no
 * 8-bit byte before the original it returns.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
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

static bool
holds(struct span s, const char *text)
{
	return memmem(s.p, s.len, text, strlen(text)) != NULL;
}

static void
check_report(struct span text)
{
	char diagnostic[1024];
	size_t n = text.len < sizeof(diagnostic) - 1 ? text.len :
		sizeof(diagnostic) - 1;
	memcpy(diagnostic, text.p, n);
	diagnostic[n] = '\0';
	struct mail_dsn_recipient rc = { .final_recipient = "b@x.test",
		.action = MAIL_DSN_FAILED, .status = "5.1.1",
		.remote_mta = "mx.x.test", .diagnostic = diagnostic,
		.diagnostic_is_reply = true };
	struct mail_dsn_report r = { .reporting_mta = "mx.example.test",
		.postmaster = "postmaster@example.test",
		.original_sender = "ann@example.test", .now = 1800000000,
		.original = text, .return_full = text.len > 0 &&
			(text.p[0] & 1) != 0,
		.return_max = 1 << 20, .recipients = &rc,
		.recipient_count = 1, .unique = "fuzz" };
	struct arena *a = arena_new(8 << 20);
	struct span out;
	struct error err;
	if (mail_dsn_build(&r, a, &out, &err) < 0)
		abort();
	bool global = mail_dsn_is_global(&r);
	/* The report's own header: the original may say anything. */
	const char *end = memmem(out.p, out.len, "\r\n\r\n", 4);
	if (end == NULL)
		abort();
	struct span head = span_make(out.p, (size_t)(end - out.p));
	if (holds(head, "\r\nContent-Type: multipart/report; "
		    "report-type=global-delivery-status;") != global)
		abort();
	if (!global) {
		/* The original is the last part: nothing before it is 8-bit. */
		static const char *const returned[] = {
			"\r\n--=_report_fuzz\r\nContent-Type: text/rfc822",
			"\r\n--=_report_fuzz\r\nContent-Type: message/rfc822",
		};
		/* The first of them: the original may hold either. */
		const char *last = NULL;
		for (size_t i = 0; i < 2; i++) {
			const char *at = memmem(out.p, out.len, returned[i],
				strlen(returned[i]));
			if (at != NULL && (last == NULL || at < last))
				last = at;
		}
		if (last == NULL)
			abort();
		for (const char *p = out.p; p < last; p++) {
			if ((unsigned char)*p >= 0x80)
				abort();
		}
	}
	arena_free(&a);
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
	check_report(text);
	return 0;
}
