/*
 * Writes sample delivery reports (mail_dsn_build) into the directory named
 * by argv[1], one file per case, for check_dsn.py to read with Python's
 * email package: the parser nobody here wrote is the judge of RFC 3464.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dsn.h"

#define NOW 1800000000	/* Fri, 15 Jan 2027 08:00:00 +0000 */

static const char original[] =
	"From: Ann Smith <ann.smith@example.nhs.uk>\r\n"
	"To: bob@partner.test, carol@partner.test\r\n"
	"Subject: Referral for\r\n  patient 1234\r\n"
	"Message-ID: <orig.1@example.nhs.uk>\r\n"
	"\r\n"
	"Dear colleague,\r\n.leading dot\r\nRegards\r\n";

static const char original_utf8[] =
	"From: ann.smith@example.nhs.uk\n"
	"Subject: R\xc3\xa9sum\xc3\xa9 for the clinic \xe2\x80\x94 "
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 end\n"
	"\n"
	"Body with a bare LF\nand more\n";

static int
write_report(const char *dir, const char *name,
	const struct mail_dsn_report *r)
{
	struct arena *a = arena_new(4 << 20);
	struct span out;
	struct error err;
	if (mail_dsn_build(r, a, &out, &err) < 0) {
		fprintf(stderr, "%s: %s\n", name, err.msg);
		arena_free(&a);
		return -1;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.eml", dir, name);
	FILE *f = fopen(path, "wb");
	int rc = f != NULL && fwrite(out.p, 1, out.len, f) == out.len ? 0 : -1;
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	arena_free(&a);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dsn_samples DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	int rc = 0;

	struct mail_dsn_recipient failed = {
		.final_recipient = "bob@partner.test",
		.original_recipient = "rfc822;Bob@Partner.test",
		.action = MAIL_DSN_FAILED, .status = "5.1.1",
		.remote_mta = "mx1.partner.test",
		.diagnostic = "550-5.1.1 The email account that you tried to "
			"reach does not exist. Please try double-checking the "
			"recipient's email address for typos.\r\n"
			"550 5.1.1 https://support.partner.test/answer/6596",
		.diagnostic_is_reply = true,
		.last_attempt = NOW - 60,
	};
	struct mail_dsn_report r = {
		.reporting_mta = "mail.example.nhs.uk",
		.postmaster = "postmaster@example.nhs.uk",
		.original_sender = "ann.smith@example.nhs.uk",
		.envid = "Q1234", .arrival_date = NOW - 600, .now = NOW,
		.original = span_make(original, sizeof(original) - 1),
		.recipients = &failed, .recipient_count = 1,
		.unique = "0123456789abcdef",
	};
	rc |= write_report(dir, "failed", &r);

	struct mail_dsn_recipient delayed[2] = {
		{ .final_recipient = "bob@partner.test",
		  .action = MAIL_DSN_DELAYED, .status = "4.4.1",
		  .diagnostic = "cannot connect to 192.0.2.1:25: Connection "
			"timed out",
		  .last_attempt = NOW - 30, .will_retry_until = NOW + 92 * 3600 },
		{ .final_recipient = "carol@partner.test",
		  .action = MAIL_DSN_DELAYED, .status = "4.2.0",
		  .remote_mta = "mx1.partner.test",
		  .diagnostic = "451 4.2.0 Mailbox busy, try later",
		  .diagnostic_is_reply = true,
		  .last_attempt = NOW - 30, .will_retry_until = NOW + 92 * 3600 },
	};
	r.recipients = delayed;
	r.recipient_count = 2;
	r.envid = NULL;
	rc |= write_report(dir, "delayed", &r);

	/* RET=FULL, an 8-bit subject, bare LFs and a hostile reply. */
	struct mail_dsn_recipient hostile = {
		.final_recipient = "dave@partner.test",
		.action = MAIL_DSN_FAILED, .status = "5.7.1",
		.remote_mta = "mx2.partner.test",
		.diagnostic = "554 5.7.1 refused\r\nBcc: victim@else.test\r\n"
			"\r\n--=_report_x\r\n\x01\x02\xff" "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		.diagnostic_is_reply = true, .last_attempt = NOW,
	};
	r.recipients = &hostile;
	r.recipient_count = 1;
	r.original = span_make(original_utf8, sizeof(original_utf8) - 1);
	r.return_full = true;
	r.return_max = 1 << 20;
	r.unique = "fedcba9876543210";
	rc |= write_report(dir, "full", &r);
	/* RET=FULL past the size a report carries: the header and why. */
	r.return_max = 16;
	rc |= write_report(dir, "cut", &r);

	/* Final delivery here: an ORCPT given as a utf-8 address. */
	struct mail_dsn_recipient delivered = {
		.final_recipient = "bob@example.nhs.uk",
		.original_recipient = "utf-8;j\xc3\xb6rg@example.nhs.uk",
		.action = MAIL_DSN_DELIVERED, .status = "2.0.0",
		.last_attempt = NOW,
	};
	r.recipients = &delivered;
	r.original = span_make(original, sizeof(original) - 1);
	r.return_full = false;
	r.envid = "Q1234";
	rc |= write_report(dir, "delivered", &r);

	struct mail_dsn_recipient relayed = {
		.final_recipient = "bob@partner.test",
		.original_recipient = "rfc822;bob@partner.test",
		.action = MAIL_DSN_RELAYED, .status = "2.0.0",
		.remote_mta = "mx1.partner.test",
		.diagnostic = "250 2.0.0 OK 1700000000 queued",
		.diagnostic_is_reply = true, .last_attempt = NOW,
	};
	r.recipients = &relayed;
	rc |= write_report(dir, "relayed", &r);

	struct mail_dsn_recipient expanded = {
		.final_recipient = "team@example.nhs.uk",
		.action = MAIL_DSN_EXPANDED, .status = "2.0.0",
		.last_attempt = NOW,
	};
	r.recipients = &expanded;
	r.envid = NULL;
	rc |= write_report(dir, "expanded", &r);
	return rc == 0 ? 0 : 1;
}
