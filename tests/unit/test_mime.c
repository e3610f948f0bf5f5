/*
 * The MIME summary (mail/mail_mime.h) as tables of messages and the exact
 * ENVELOPE, BODY and BODYSTRUCTURE strings RFC 3501 §7.4.2 asks for, sized
 * and counted as Dovecot counts them; decoded SEARCH fields; BODY[section]
 * ranges (RFC 3501 §6.4.5); the nesting and part-count limits; and the
 * decoded text SEARCH BODY and TEXT look in, its folding, and the day a
 * Date field names (RFC 3501 §6.4.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_mime.h"

#define ARENA_CAP (16 * 1024 * 1024)
#define TEXT_PLAIN \
	"\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\""
#define EXT_NONE " NIL NIL NIL NIL"

struct summary_case {
	const char *name;
	const char *msg;
	const char *envelope;
	const char *bodystructure;
	const char *body;	/* NULL: not checked */
};

static const char msg_simple[] =
	"From: Jo Bloggs <jo@example.org>\r\n"
	"To: sam@example.net\r\n"
	"Subject: Hello\r\n"
	"Date: Mon, 02 Jan 2023 10:00:00 +0000\r\n"
	"Message-ID: <1@example.org>\r\n"
	"\r\n"
	"Hi Sam.\r\n"
	"See you.\r\n";

static const char msg_alternative[] =
	"From: a@example.org\r\n"
	"Subject: alt\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"plain\r\n"
	"--b1\r\n"
	"Content-Type: text/html; charset=utf-8\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"<p>html</p>\r\n"
	"--b1--\r\n";

static const char msg_attachment[] =
	"From: a@example.org\r\n"
	"To: b@example.org\r\n"
	"Subject: report\r\n"
	"Content-Type: multipart/mixed; boundary=XYZ\r\n"
	"\r\n"
	"This is a MIME message.\r\n"
	"--XYZ\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"See attached.\r\n"
	"\r\n"
	"--XYZ\r\n"
	"Content-Type: application/pdf; name=\"report.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
	"\r\n"
	"JVBERi0xLjQK\r\n"
	"--XYZ--\r\n";

static const char msg_forward[] =
	"From: fwd@example.org\r\n"
	"Subject: Fwd: hi\r\n"
	"Content-Type: multipart/mixed; boundary=out\r\n"
	"\r\n"
	"--out\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"Forwarded below.\r\n"
	"--out\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"From: orig@example.com\r\n"
	"Subject: hi\r\n"
	"Date: Tue, 03 Jan 2023 09:30:00 +0100\r\n"
	"\r\n"
	"Original body.\r\n"
	"--out--\r\n";

static const char msg_rfc2231[] =
	"Content-Type: multipart/mixed; boundary=k\r\n"
	"\r\n"
	"--k\r\n"
	"Content-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment;\r\n"
	" filename*0=\"a long \";\r\n"
	" filename*1=\"name.txt\"\r\n"
	"\r\n"
	"x\r\n"
	"--k\r\n"
	"Content-Type: text/plain; format=flowed\r\n"
	"Content-Disposition: inline; filename*=utf-8''%C3%A9t%C3%A9.txt\r\n"
	"Content-Language: en-GB (British), cy\r\n"
	"\r\n"
	"y\r\n"
	"--k\r\n"
	"Content-Type: image/png; name*0*=utf-8''%C3%A9; name*1=\" x.png\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"iVBO\r\n"
	"--k--\r\n";

static const char msg_digest[] =
	"Content-Type: multipart/digest; boundary=d\r\n"
	"\r\n"
	"--d\r\n"
	"\r\n"
	"From: one@example.org\r\n"
	"Subject: one\r\n"
	"\r\n"
	"First.\r\n"
	"--d--\r\n";

static const struct summary_case summary_cases[] = {
	{ "simple text/plain", msg_simple,
	  "(\"Mon, 02 Jan 2023 10:00:00 +0000\" \"Hello\" "
	  "((\"Jo Bloggs\" NIL \"jo\" \"example.org\")) "
	  "((\"Jo Bloggs\" NIL \"jo\" \"example.org\")) "
	  "((\"Jo Bloggs\" NIL \"jo\" \"example.org\")) "
	  "((NIL NIL \"sam\" \"example.net\")) NIL NIL NIL "
	  "\"<1@example.org>\")",
	  "(" TEXT_PLAIN " 19 2" EXT_NONE ")",
	  "(" TEXT_PLAIN " 19 2)" },
	{ "multipart/alternative", msg_alternative,
	  "(NIL \"alt\" ((NIL NIL \"a\" \"example.org\")) "
	  "((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	  "NIL NIL NIL NIL NIL)",
	  "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 0"
	  EXT_NONE ")"
	  "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL "
	  "\"QUOTED-PRINTABLE\" 11 0" EXT_NONE ") "
	  "\"ALTERNATIVE\" (\"BOUNDARY\" \"b1\") NIL NIL NIL)",
	  "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 0)"
	  "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL "
	  "\"QUOTED-PRINTABLE\" 11 0) \"ALTERNATIVE\")" },
	{ "multipart/mixed with a base64 attachment", msg_attachment,
	  "(NIL \"report\" ((NIL NIL \"a\" \"example.org\")) "
	  "((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	  "((NIL NIL \"b\" \"example.org\")) NIL NIL NIL NIL)",
	  "((" TEXT_PLAIN " 15 1" EXT_NONE ")"
	  "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL "
	  "\"BASE64\" 12 NIL (\"ATTACHMENT\" (\"FILENAME\" \"report.pdf\")) "
	  "NIL NIL) \"MIXED\" (\"BOUNDARY\" \"XYZ\") NIL NIL NIL)",
	  "((" TEXT_PLAIN " 15 1)"
	  "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL "
	  "\"BASE64\" 12) \"MIXED\")" },
	{ "nested message/rfc822", msg_forward,
	  "(NIL \"Fwd: hi\" ((NIL NIL \"fwd\" \"example.org\")) "
	  "((NIL NIL \"fwd\" \"example.org\")) "
	  "((NIL NIL \"fwd\" \"example.org\")) NIL NIL NIL NIL NIL)",
	  "((" TEXT_PLAIN " 16 0" EXT_NONE ")"
	  "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 92 "
	  "(\"Tue, 03 Jan 2023 09:30:00 +0100\" \"hi\" "
	  "((NIL NIL \"orig\" \"example.com\")) "
	  "((NIL NIL \"orig\" \"example.com\")) "
	  "((NIL NIL \"orig\" \"example.com\")) NIL NIL NIL NIL NIL) "
	  "(" TEXT_PLAIN " 14 0" EXT_NONE ") 4" EXT_NONE ") "
	  "\"MIXED\" (\"BOUNDARY\" \"out\") NIL NIL NIL)",
	  "((" TEXT_PLAIN " 16 0)"
	  "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 92 "
	  "(\"Tue, 03 Jan 2023 09:30:00 +0100\" \"hi\" "
	  "((NIL NIL \"orig\" \"example.com\")) "
	  "((NIL NIL \"orig\" \"example.com\")) "
	  "((NIL NIL \"orig\" \"example.com\")) NIL NIL NIL NIL NIL) "
	  "(" TEXT_PLAIN " 14 0) 4) \"MIXED\")" },
	{ "RFC 2231 parameters, language list", msg_rfc2231,
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "((\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"7BIT\" 1 NIL "
	  "(\"ATTACHMENT\" (\"FILENAME\" \"a long name.txt\")) NIL NIL)"
	  "(\"TEXT\" \"PLAIN\" "
	  "(\"FORMAT\" \"flowed\" \"CHARSET\" \"us-ascii\") "
	  "NIL NIL \"7BIT\" 1 0 NIL "
	  "(\"INLINE\" (\"FILENAME*\" \"utf-8''%C3%A9t%C3%A9.txt\")) "
	  "(\"en-GB\" \"cy\") NIL)"
	  "(\"IMAGE\" \"PNG\" (\"NAME*\" \"utf-8''%C3%A9%20x.png\") NIL NIL "
	  "\"BASE64\" 4" EXT_NONE ") "
	  "\"MIXED\" (\"BOUNDARY\" \"k\") NIL NIL NIL)",
	  NULL },
	{ "multipart/digest defaults to message/rfc822", msg_digest,
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 45 "
	  "(NIL \"one\" ((NIL NIL \"one\" \"example.org\")) "
	  "((NIL NIL \"one\" \"example.org\")) "
	  "((NIL NIL \"one\" \"example.org\")) NIL NIL NIL NIL NIL) "
	  "(" TEXT_PLAIN " 6 0" EXT_NONE ") 3" EXT_NONE ") "
	  "\"DIGEST\" (\"BOUNDARY\" \"d\") NIL NIL NIL)",
	  NULL },
	{ "missing Date and From", "To: x@example.org\r\n"
	  "Subject: no sender\r\n\r\nbody\r\n",
	  "(NIL \"no sender\" NIL NIL NIL ((NIL NIL \"x\" \"example.org\")) "
	  "NIL NIL NIL NIL)",
	  "(" TEXT_PLAIN " 6 1" EXT_NONE ")", NULL },
	{ "folded headers",
	  "Subject: This is a long\r\n subject line\r\n"
	  "To: a@example.org,\r\n\tb@example.org\r\n"
	  "Content-Type: text/plain;\r\n charset=\"iso-8859-1\"\r\n\r\nx",
	  "(NIL \"This is a long subject line\" NIL NIL NIL "
	  "((NIL NIL \"a\" \"example.org\")(NIL NIL \"b\" \"example.org\")) "
	  "NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"iso-8859-1\") NIL NIL \"7BIT\" "
	  "1 0" EXT_NONE ")", NULL },
	{ "group addresses",
	  "From: a@example.org\r\nTo: undisclosed-recipients:;\r\n"
	  "Cc: Team: b@x.org, \"C, D\" <c@x.org>;, e@y.org\r\n\r\n",
	  "(NIL NIL ((NIL NIL \"a\" \"example.org\")) "
	  "((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	  "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
	  "((NIL NIL \"Team\" NIL)(NIL NIL \"b\" \"x.org\")"
	  "(\"C, D\" NIL \"c\" \"x.org\")(NIL NIL NIL NIL)"
	  "(NIL NIL \"e\" \"y.org\")) NIL NIL NIL)",
	  "(" TEXT_PLAIN " 0 0" EXT_NONE ")", NULL },
	{ "no blank line after the header",
	  "From: a@example.org\r\nSubject: x\r\n",
	  "(NIL \"x\" ((NIL NIL \"a\" \"example.org\")) "
	  "((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	  "NIL NIL NIL NIL NIL)",
	  "(" TEXT_PLAIN " 0 0" EXT_NONE ")", "(" TEXT_PLAIN " 0 0)" },
	{ "8-bit header text goes in literals",
	  "Subject: Gr\xc3\xbc\xc3\x9f\xc3\xa9\r\n"
	  "From: J\xc3\xb6rg <j@example.de>\r\n\r\nx",
	  "(NIL {8}\r\nGr\xc3\xbc\xc3\x9f\xc3\xa9 "
	  "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"example.de\")) "
	  "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"example.de\")) "
	  "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"example.de\")) "
	  "NIL NIL NIL NIL NIL)",
	  "(" TEXT_PLAIN " 1 0" EXT_NONE ")", NULL },
	{ "multipart without a boundary is text/plain",
	  "Content-Type: multipart/mixed\r\n\r\nbody\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "(" TEXT_PLAIN " 6 1" EXT_NONE ")", NULL },
	{ "invalid Content-Type and encoding take the defaults",
	  "Content-Type: text\r\nContent-Transfer-Encoding: ?x\r\n\r\nab",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "(" TEXT_PLAIN " 2 0" EXT_NONE ")", NULL },
	{ "a multipart with no parts holds an empty text part",
	  "Content-Type: multipart/mixed; boundary=e\r\n\r\n"
	  "preamble\r\n--e--\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "((" TEXT_PLAIN " 0 0" EXT_NONE ") \"MIXED\" (\"BOUNDARY\" \"e\") "
	  "NIL NIL NIL)",
	  "((" TEXT_PLAIN " 0 0) \"MIXED\")" },
	{ "a missing close delimiter ends at the parent's boundary",
	  "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	  "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
	  "--i\r\n\r\none\r\n--o\r\n\r\ntwo\r\n--o--\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "(((" TEXT_PLAIN " 3 0" EXT_NONE ") \"ALTERNATIVE\" "
	  "(\"BOUNDARY\" \"i\") NIL NIL NIL)(" TEXT_PLAIN " 3 0" EXT_NONE
	  ") \"MIXED\" (\"BOUNDARY\" \"o\") NIL NIL NIL)",
	  NULL },
	{ "an encoded message/rfc822 is opaque data",
	  "Content-Type: message/rfc822\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nRnJvbTo=\r\n",
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "(\"APPLICATION\" \"OCTET-STREAM\" NIL NIL NIL \"BASE64\" 10"
	  EXT_NONE ")", NULL },
	{ "quotes and backslashes are escaped",
	  "Subject: say \"hi\" \\o/\r\n"
	  "Content-Type: text/plain; name=\"a\\\"b\"\r\n"
	  "Content-ID: <x@y>\r\nContent-Description: the \"x\"\r\n\r\n",
	  "(NIL \"say \\\"hi\\\" \\\\o/\" NIL NIL NIL NIL NIL NIL NIL NIL)",
	  "(\"TEXT\" \"PLAIN\" (\"NAME\" \"a\\\"b\" \"CHARSET\" \"us-ascii\") "
	  "\"<x@y>\" \"the \\\"x\\\"\" \"7BIT\" 0 0" EXT_NONE ")", NULL },
};

static struct mail_summary
summarize(struct arena *a, const char *msg, size_t len)
{
	struct mail_summary s;
	struct error err;
	error_clear(&err);
	if (mail_mime_summarize(msg, len, a, &s, &err) < 0)
		fail_msg("summarize failed: %s", err.msg);
	return s;
}

static void
test_summary_table(void **state)
{
	struct arena *a = arena_new(ARENA_CAP);
	for (size_t i = 0; i < sizeof(summary_cases) / sizeof(*summary_cases);
	     i++) {
		const struct summary_case *c = &summary_cases[i];
		struct mail_summary s = summarize(a, c->msg, strlen(c->msg));
		if (strcmp(s.envelope, c->envelope) != 0)
			fail_msg("%s: ENVELOPE\n got %s\nwant %s", c->name,
				s.envelope, c->envelope);
		if (strcmp(s.bodystructure, c->bodystructure) != 0)
			fail_msg("%s: BODYSTRUCTURE\n got %s\nwant %s", c->name,
				s.bodystructure, c->bodystructure);
		if (c->body != NULL && strcmp(s.body, c->body) != 0)
			fail_msg("%s: BODY\n got %s\nwant %s", c->name, s.body,
				c->body);
		arena_reset(a);
	}
	arena_free(&a);
}

static void
test_header_size_and_parts(void **state)
{
	struct arena *a = arena_new(ARENA_CAP);
	struct mail_summary s = summarize(a, msg_simple, strlen(msg_simple));
	assert_int_equal(s.header_size,
		strstr(msg_simple, "\r\n\r\n") + 4 - msg_simple);
	assert_int_equal(s.part_count, 1);
	assert_int_equal(s.date, 1672653600);	/* 2023-01-02T10:00:00Z */
	s = summarize(a, msg_forward, strlen(msg_forward));
	assert_int_equal(s.part_count, 4);	/* mixed, text, message, text */
	const char *no_blank = "From: a@example.org\r\nSubject: x\r\n";
	s = summarize(a, no_blank, strlen(no_blank));
	assert_int_equal(s.header_size, strlen(no_blank));
	s = summarize(a, "", 0);
	assert_int_equal(s.header_size, 0);
	assert_string_equal(s.envelope,
		"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	assert_string_equal(s.bodystructure,
		"(" TEXT_PLAIN " 0 0" EXT_NONE ")");
	arena_free(&a);
}

/* mail_mime_header_size: where the body starts, as the parser sees it. */
static void
test_header_size_alone(void **state)
{
	(void)state;
	static const struct {
		const char *msg;
		size_t want;
	} cases[] = {
		{ "From: a@b\r\nSubject: x\r\n\r\nbody\r\n\r\nmore\r\n", 25 },
		{ "From: a@b\r\n\r\n", 13 },
		{ "From: a@b\nSubject: x\n\nbody\n", 22 },
		{ "Subject: folded\r\n \r\n\r\nbody", 22 },
		{ "From: a@b\r\nSubject: x\r\n", 23 },	/* no body */
		{ "From: a@b", 9 },
		{ "\r\nbody\r\n", 2 },	/* an empty header */
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t got = mail_mime_header_size(cases[i].msg,
			strlen(cases[i].msg));
		if (got != cases[i].want)
			fail_msg("case %zu: %zu, not %zu", i, got,
				cases[i].want);
	}
	struct arena *a = arena_new(ARENA_CAP);
	struct mail_summary s = summarize(a, msg_forward,
		strlen(msg_forward));
	assert_int_equal(mail_mime_header_size(msg_forward,
		strlen(msg_forward)), s.header_size);
	arena_free(&a);
}

static void
test_search_fields(void **state)
{
	static const char msg[] =
		"From: =?utf-8?q?J=C3=B6rg?= <j@example.de>\r\n"
		"To: \"Smith, Jo\" <jo@example.org>, sam@example.net\r\n"
		"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus\r\n"
		" =?iso-8859-1?q?K=F6ln?=\r\n"
		"Message-ID: <abc@example.de>\r\n"
		"Date: Tue, 03 Jan 2023 09:30:00 +0100\r\n"
		"\r\nx";
	struct arena *a = arena_new(ARENA_CAP);
	struct mail_summary s = summarize(a, msg, strlen(msg));
	assert_string_equal(s.subject,
		"Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
	assert_string_equal(s.from, "J\xc3\xb6rg <j@example.de>");
	assert_string_equal(s.to,
		"\"Smith, Jo\" <jo@example.org>, sam@example.net");
	assert_null(s.cc);
	assert_null(s.bcc);
	assert_string_equal(s.message_id, "<abc@example.de>");
	assert_int_equal(s.date, 1672734600);	/* 2023-01-03T08:30:00Z */
	/* ENVELOPE keeps the words as written (RFC 3501 §7.4.2). */
	assert_non_null(strstr(s.envelope,
		"\"=?utf-8?q?Gr=C3=BC=C3=9Fe?= aus =?iso-8859-1?q?K=F6ln?=\""));
	assert_non_null(strstr(s.envelope,
		"((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"example.de\"))"));
	arena_free(&a);
}

static void
test_search_fields_absent_or_odd(void **state)
{
	static const char msg[] =
		"Subject: Gr\xc3\xbc\xc3\x9f\r\n"
		"Date: not a date\r\n"
		"Cc: undisclosed-recipients:;\r\n"
		"\r\n";
	struct arena *a = arena_new(ARENA_CAP);
	struct mail_summary s = summarize(a, msg, strlen(msg));
	assert_string_equal(s.subject, "Gr\xc3\xbc\xc3\x9f");
	assert_null(s.from);
	assert_null(s.to);
	assert_null(s.message_id);
	assert_non_null(strstr(s.cc, "undisclosed-recipients"));
	assert_int_equal(s.date, 0);
	arena_free(&a);
}

static void
test_nul_in_header(void **state)
{
	static const char msg[] = "Subject: a\0b\r\n\r\nx";
	struct arena *a = arena_new(ARENA_CAP);
	struct mail_summary s = summarize(a, msg, sizeof(msg) - 1);
	assert_string_equal(s.envelope,
		"(NIL {5}\r\na\xef\xbf\xbd"
		"b NIL NIL NIL NIL NIL NIL NIL NIL)");
	assert_string_equal(s.subject, "a\xef\xbf\xbd" "b");
	arena_free(&a);
}

struct address_case {
	const char *input;
	const char *list;	/* as the To member of an ENVELOPE */
};

static const struct address_case address_cases[] = {
	{ "jo@example.org", "((NIL NIL \"jo\" \"example.org\"))" },
	{ "Jo Bloggs <jo@example.org>",
	  "((\"Jo Bloggs\" NIL \"jo\" \"example.org\"))" },
	{ "\"Bloggs, Jo\" <jo@example.org>",
	  "((\"Bloggs, Jo\" NIL \"jo\" \"example.org\"))" },
	{ "jo@example.org (Jo Bloggs)",
	  "((\"Jo Bloggs\" NIL \"jo\" \"example.org\"))" },
	{ "Jo \"Q\" Public <jo@example.org>",
	  "((\"Jo Q Public\" NIL \"jo\" \"example.org\"))" },
	{ "<@relay.example,@b.example:jo@example.org>",
	  "((NIL \"@relay.example,@b.example\" \"jo\" \"example.org\"))" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@example.de>",
	  "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"example.de\"))" },
	{ "a@example.org, b@example.org",
	  "((NIL NIL \"a\" \"example.org\")(NIL NIL \"b\" \"example.org\"))" },
	{ "\"jo smith\"@example.org",
	  "((NIL NIL \"\\\"jo smith\\\"\" \"example.org\"))" },
	{ "a@[192.0.2.1]", "((NIL NIL \"a\" \"[192.0.2.1]\"))" },
	{ "jo", "((NIL NIL \"jo\" \"MISSING_DOMAIN\"))" },
	{ "<>", "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))" },
	{ "Jo <jo@example.org", "((\"Jo\" NIL \"jo\" \"example.org\"))" },
	{ "undisclosed-recipients:;",
	  "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))" },
	{ "Team: a@x.org, b@x.org;",
	  "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.org\")"
	  "(NIL NIL \"b\" \"x.org\")(NIL NIL NIL NIL))" },
	{ "Team: a@x.org", "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.org\")"
	  "(NIL NIL NIL NIL))" },
	{ "", "NIL" },
	{ " , ,", "NIL" },
	{ "a@b.example c@d.example",
	  "((NIL NIL \"a\" \"b.example\")(NIL NIL \"c\" \"d.example\"))" },
	{ ";>:<", "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))" },
};

static void
test_address_table(void **state)
{
	struct arena *a = arena_new(ARENA_CAP);
	for (size_t i = 0; i < sizeof(address_cases) / sizeof(*address_cases);
	     i++) {
		const struct address_case *c = &address_cases[i];
		char *msg = arena_printf(a, "To: %s\r\n\r\n", c->input);
		char *want = arena_printf(a, "(NIL NIL NIL NIL NIL %s NIL NIL "
			"NIL NIL)", c->list);
		struct mail_summary s = summarize(a, msg, strlen(msg));
		if (strcmp(s.envelope, want) != 0)
			fail_msg("'%s':\n got %s\nwant %s", c->input,
				s.envelope, want);
		arena_reset(a);
	}
	arena_free(&a);
}

/*
 * ENVELOPE and SEARCH FROM/TO read addresses with one parser (issue 9 item
 * 6): what SEARCH matches on is the ENVELOPE's addresses, names decoded.
 */
static const struct {
	const char *input;
	const char *search;	/* the To text SEARCH TO looks in */
} search_address_cases[] = {
	{ "jo@example.org", "jo@example.org" },
	{ "Jo Bloggs <jo@example.org>", "Jo Bloggs <jo@example.org>" },
	{ "\"Bloggs, Jo\" <jo@example.org>",
	  "\"Bloggs, Jo\" <jo@example.org>" },
	{ "jo@example.org (Jo Bloggs)", "Jo Bloggs <jo@example.org>" },
	{ "Jo (the boss) <jo@example.org>", "Jo <jo@example.org>" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@example.de>",
	  "J\xc3\xb6rg <j@example.de>" },
	{ "\"=?utf-8?q?J=C3=B6rg?=\" <j@example.de>",
	  "J\xc3\xb6rg <j@example.de>" },
	{ "\"jo smith\"@example.org", "\"jo smith\"@example.org" },
	{ "<@relay.example:jo@example.org>", "jo@example.org" },
	{ "Team: a@x.org, B <b@x.org>;", "Team: a@x.org, B <b@x.org>;" },
	{ "undisclosed-recipients:;", "undisclosed-recipients:;" },
	{ "Team: a@x.org;, c@y.org", "Team: a@x.org;, c@y.org" },
	{ "a@b.example c@d.example", "a@b.example, c@d.example" },
	{ "jo", "jo" },
	{ " , ,", ", ," },	/* no address: the text */
};

static void
test_search_addresses_agree(void **state)
{
	struct arena *a = arena_new(ARENA_CAP);
	for (size_t i = 0; i < sizeof(search_address_cases) /
	     sizeof(*search_address_cases); i++) {
		const char *in = search_address_cases[i].input;
		char *msg = arena_printf(a, "To: %s\r\n\r\n", in);
		struct mail_summary s = summarize(a, msg, strlen(msg));
		if (strcmp(s.to, search_address_cases[i].search) != 0)
			fail_msg("'%s': got '%s', want '%s'", in, s.to,
				search_address_cases[i].search);
		arena_reset(a);
	}
	/* Every address the ENVELOPE shows, SEARCH finds, in every case. */
	for (size_t i = 0; i < sizeof(address_cases) / sizeof(*address_cases);
	     i++) {
		const char *in = address_cases[i].input;
		char *msg = arena_printf(a, "To: %s\r\n\r\n", in);
		struct mail_summary s = summarize(a, msg, strlen(msg));
		struct mail_mime_address *list;
		size_t count;
		struct error err;
		assert_int_equal(mail_mime_address_parse(span_from_cstr(in), a,
			&list, &count, &err), 0);
		for (size_t j = 0; j < count; j++) {
			const char *want = list[j].host == NULL ?
				list[j].mailbox : list[j].host[0] == '\0' ?
				list[j].mailbox : arena_printf(a, "%s@%s",
					list[j].mailbox, list[j].host);
			if (want != NULL && want[0] != '\0' &&
			    (s.to == NULL || strstr(s.to, want) == NULL))
				fail_msg("'%s': '%s' is not in '%s'", in, want,
					s.to != NULL ? s.to : "(null)");
		}
		arena_reset(a);
	}
	arena_free(&a);
}

static void
test_imap_strings(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "abc", 3, "\"abc\"" },
		{ "", 0, "\"\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "a\r\nb", 4, "{4}\r\na\r\nb" },
		{ "\xc3\xa9", 2, "{2}\r\n\xc3\xa9" },
		{ "a\0b", 3, "{5}\r\na\xef\xbf\xbd" "b" },
	};
	struct arena *a = arena_new(ARENA_CAP);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct str out;
		str_init(&out, a, 1024);
		assert_int_equal(mail_mime_imap_string(&out, cases[i].in,
					 cases[i].len), 0);
		assert_string_equal(str_cstr(&out), cases[i].out);
	}
	struct str out;
	str_init(&out, a, 1024);
	assert_int_equal(mail_mime_imap_nstring(&out, NULL), 0);
	assert_string_equal(str_cstr(&out), "NIL");
	arena_free(&a);
}

struct section_case {
	const char *section;
	const char *text;	/* the expected bytes; NULL: refused */
	enum error_code code;	/* when refused */
};

static const struct section_case forward_sections[] = {
	{ "", msg_forward, ERROR_NONE },
	{ "HEADER",
	  "From: fwd@example.org\r\nSubject: Fwd: hi\r\n"
	  "Content-Type: multipart/mixed; boundary=out\r\n\r\n", ERROR_NONE },
	{ "header",
	  "From: fwd@example.org\r\nSubject: Fwd: hi\r\n"
	  "Content-Type: multipart/mixed; boundary=out\r\n\r\n", ERROR_NONE },
	{ "TEXT", msg_forward + 88, ERROR_NONE },
	{ "1", "Forwarded below.", ERROR_NONE },
	{ "1.MIME", "Content-Type: text/plain\r\n\r\n", ERROR_NONE },
	{ "2",
	  "From: orig@example.com\r\nSubject: hi\r\n"
	  "Date: Tue, 03 Jan 2023 09:30:00 +0100\r\n\r\nOriginal body.",
	  ERROR_NONE },
	{ "2.MIME", "Content-Type: message/rfc822\r\n\r\n", ERROR_NONE },
	{ "2.HEADER",
	  "From: orig@example.com\r\nSubject: hi\r\n"
	  "Date: Tue, 03 Jan 2023 09:30:00 +0100\r\n\r\n", ERROR_NONE },
	{ "2.TEXT", "Original body.", ERROR_NONE },
	{ "2.1", "Original body.", ERROR_NONE },
	{ "3", NULL, ERROR_NOT_FOUND },
	{ "2.2", NULL, ERROR_NOT_FOUND },
	{ "1.1", NULL, ERROR_NOT_FOUND },
	{ "1.HEADER", NULL, ERROR_NOT_FOUND },
	{ "99999999999999999999", NULL, ERROR_NOT_FOUND },
	{ "0", NULL, ERROR_INVALID },
	{ "01", NULL, ERROR_INVALID },
	{ "1.", NULL, ERROR_INVALID },
	{ "1..2", NULL, ERROR_INVALID },
	{ "1x", NULL, ERROR_INVALID },
	{ "MIME", NULL, ERROR_INVALID },
	{ "HEADER.FIELDS (From)", NULL, ERROR_INVALID },
};

static const struct section_case simple_sections[] = {
	{ "1", "Hi Sam.\r\nSee you.\r\n", ERROR_NONE },
	{ "TEXT", "Hi Sam.\r\nSee you.\r\n", ERROR_NONE },
	{ "2", NULL, ERROR_NOT_FOUND },
	{ "1.1", NULL, ERROR_NOT_FOUND },
};

static void
sections_check(const char *msg, const struct section_case *cases,
	size_t count)
{
	struct arena *a = arena_new(ARENA_CAP);
	for (size_t i = 0; i < count; i++) {
		const struct section_case *c = &cases[i];
		size_t off = 0, len = 0;
		struct error err;
		error_clear(&err);
		int rc = mail_mime_section(msg, strlen(msg), c->section, a,
			&off, &len, &err);
		if (c->text == NULL) {
			if (rc == 0 || err.code != c->code)
				fail_msg("[%s]: want error %d, got %d code %d",
					c->section, c->code, rc, err.code);
			continue;
		}
		if (rc < 0)
			fail_msg("[%s]: %s", c->section, err.msg);
		if (len != strlen(c->text) ||
		    memcmp(msg + off, c->text, len) != 0)
			fail_msg("[%s]: got '%.*s'", c->section, (int)len,
				msg + off);
	}
	arena_free(&a);
}

static void
test_sections(void **state)
{
	sections_check(msg_forward, forward_sections,
		sizeof(forward_sections) / sizeof(*forward_sections));
	sections_check(msg_simple, simple_sections,
		sizeof(simple_sections) / sizeof(*simple_sections));
}

static void
test_sections_nested_multipart(void **state)
{
	static const struct section_case cases[] = {
		{ "1", "intro", ERROR_NONE },
		{ "2", "--in\r\n\r\nA\r\n--in\r\n\r\nB\r\n--in--", ERROR_NONE },
		{ "2.1", "A", ERROR_NONE },
		{ "2.2", "B", ERROR_NONE },
		{ "2.2.MIME", "\r\n", ERROR_NONE },
		{ "2.3", NULL, ERROR_NOT_FOUND },
		{ "2.TEXT", NULL, ERROR_NOT_FOUND },
	};
	static const char msg[] =
		"Content-Type: multipart/mixed; boundary=out\r\n\r\n"
		"--out\r\n\r\nintro\r\n"
		"--out\r\n"
		"Content-Type: multipart/alternative; boundary=in\r\n\r\n"
		"--in\r\n\r\nA\r\n--in\r\n\r\nB\r\n--in--\r\n"
		"--out--\r\n";
	sections_check(msg, cases, sizeof(cases) / sizeof(*cases));
}

/* levels multiparts, each the only part of the one above, then a leaf. */
static const char *
nested_message(struct arena *a, unsigned levels)
{
	struct str s;
	str_init(&s, a, SIZE_MAX);
	for (unsigned i = 0; i < levels; i++)
		assert_int_equal(str_appendf(&s,
			"Content-Type: multipart/mixed; "
			"boundary=b%u\r\n\r\n--b%u\r\n", i, i), 0);
	assert_int_equal(str_append_cstr(&s, "\r\nleaf\r\n"), 0);
	for (unsigned i = levels; i-- > 0;)
		assert_int_equal(str_appendf(&s, "--b%u--\r\n", i), 0);
	return str_cstr(&s);
}

static const char *
wide_message(struct arena *a, unsigned parts)
{
	struct str s;
	str_init(&s, a, SIZE_MAX);
	assert_int_equal(str_append_cstr(&s,
		"Content-Type: multipart/mixed; boundary=w\r\n\r\n"), 0);
	for (unsigned i = 0; i < parts; i++)
		assert_int_equal(str_append_cstr(&s, "--w\r\n\r\nx\r\n"), 0);
	assert_int_equal(str_append_cstr(&s, "--w--\r\n"), 0);
	return str_cstr(&s);
}

static int
summarize_code(struct arena *a, const char *msg)
{
	struct mail_summary s;
	struct error err;
	error_clear(&err);
	if (mail_mime_summarize(msg, strlen(msg), a, &s, &err) == 0)
		return ERROR_NONE;
	return (int)err.code;
}

static void
test_limits(void **state)
{
	struct arena *a = arena_new(ARENA_CAP);
	assert_int_equal(summarize_code(a, nested_message(a, 32)), ERROR_NONE);
	assert_int_equal(summarize_code(a, nested_message(a, 33)), ERROR_LIMIT);
	assert_int_equal(summarize_code(a, nested_message(a, 40)), ERROR_LIMIT);
	assert_int_equal(summarize_code(a, wide_message(a, 999)), ERROR_NONE);
	assert_int_equal(summarize_code(a, wide_message(a, 1000)), ERROR_LIMIT);
	assert_int_equal(summarize_code(a, wide_message(a, 2000)), ERROR_LIMIT);
	/* Nested messages count as levels too. */
	struct str s;
	str_init(&s, a, SIZE_MAX);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(str_append_cstr(&s,
			"Content-Type: message/rfc822\r\n\r\n"), 0);
	assert_int_equal(summarize_code(a, str_cstr(&s)), ERROR_LIMIT);
	/* A section of a bomb fails the same way. */
	size_t off, len;
	struct error err;
	assert_int_equal(mail_mime_section(str_cstr(&s), s.len, "1", a, &off,
				 &len, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	arena_free(&a);
}

/*
 * Memory follows what is kept, not how long the header is: regressions of
 * a quoted value sized to the rest of its header, and of scratch buffers
 * kept for every address of a long list.
 */
static void
test_memory_is_proportional(void **state)
{
	struct arena *scratch = arena_new(ARENA_CAP);
	struct str m;
	str_init(&m, scratch, SIZE_MAX);
	assert_int_equal(str_append_cstr(&m, "Content-Type: text/plain"), 0);
	for (unsigned i = 0; i < 60; i++)
		assert_int_equal(str_appendf(&m, "; p%u=\"v\"", i), 0);
	assert_int_equal(str_append_cstr(&m, "; junk="), 0);
	for (unsigned i = 0; i < 100000; i++)
		assert_int_equal(str_append_char(&m, 'j'), 0);
	assert_int_equal(str_append_cstr(&m, "\r\n\r\nx"), 0);
	struct arena *a = arena_new(2 * 1024 * 1024);
	assert_int_equal(summarize_code(a, str_cstr(&m)), ERROR_NONE);
	arena_free(&a);

	str_init(&m, scratch, SIZE_MAX);
	assert_int_equal(str_append_cstr(&m, "To: "), 0);
	for (unsigned i = 0; i < 20000; i++)
		assert_int_equal(str_appendf(&m,
			"%s\"Name %u\" <user%u@example.org>",
			i > 0 ? ", " : "", i, i), 0);
	assert_int_equal(str_append_cstr(&m, "\r\n\r\nx"), 0);
	a = arena_new(10 * 1024 * 1024);
	assert_int_equal(summarize_code(a, str_cstr(&m)), ERROR_NONE);
	arena_free(&a);
	arena_free(&scratch);
}

static void
test_arena_exhausted(void **state)
{
	struct arena *a = arena_new(512);
	assert_int_equal(summarize_code(a, msg_forward), ERROR_LIMIT);
	arena_free(&a);
}

/* ---- search text (mail_mime_search.c) ---- */

/* text converted from UTF-8 to charset into out; false if it cannot be. */
static bool
to_charset(const char *text, const char *charset, char *out, size_t *len_r)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	char *in = (char *)(uintptr_t)text, *o = out;
	size_t left = strlen(text), room = 256;
	size_t rc = iconv(cd, &in, &left, &o, &room);
	iconv_close(cd);
	*len_r = (size_t)(o - out);
	return rc != (size_t)-1 && left == 0;
}

/*
 * Quoted-printable with a soft line break every few characters, so every
 * word of more than a few letters is split by one (RFC 2045 §6.7 rule 5).
 */
static void
qp_encode(struct str *out, const char *p, size_t n)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (col >= 3) {
			assert_int_equal(str_append_cstr(out, "=\r\n"), 0);
			col = 0;
		}
		if (c >= 0x80 || c == '=' || c < 0x20)
			assert_int_equal(str_appendf(out, "=%02X", c), 0);
		else
			assert_int_equal(str_append_char(out, (char)c), 0);
		col++;
	}
	assert_int_equal(str_append_cstr(out, "\r\n"), 0);
}

/* Base64 in lines of 8 characters: words are split across lines. */
static void
base64_encode(struct str *out, const char *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)p[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)p[i + 2];
		char q[5] = { abc[v >> 18], abc[(v >> 12) & 63],
			i + 1 < n ? abc[(v >> 6) & 63] : '=',
			i + 2 < n ? abc[v & 63] : '=', 0 };
		assert_int_equal(str_append_cstr(out, q), 0);
		if ((col += 4) >= 8) {
			assert_int_equal(str_append_cstr(out, "\r\n"), 0);
			col = 0;
		}
	}
	assert_int_equal(str_append_cstr(out, "\r\n"), 0);
}

/* An RFC 2047 encoded word: Q for quoted-printable, B for base64. */
static void
encoded_word(struct str *out, const char *charset, bool b64, const char *p,
	size_t n)
{
	assert_int_equal(str_appendf(out, "=?%s?%c?", charset, b64 ? 'B' : 'Q'),
		0);
	if (b64) {
		struct str tmp;
		str_init(&tmp, out->arena, 4096);
		base64_encode(&tmp, p, n);
		for (const char *c = str_cstr(&tmp); *c != '\0'; c++) {
			if (*c != '\r' && *c != '\n')
				assert_int_equal(str_append_char(out, *c), 0);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];
			if (c >= 0x80 || c == '=' || c == '?' || c == '_' ||
				c == ' ')
				assert_int_equal(str_appendf(out, "=%02X", c),
					0);
			else
				assert_int_equal(str_append_char(out, (char)c),
					0);
		}
	}
	assert_int_equal(str_append_cstr(out, "?="), 0);
}

/* A body in a transfer encoding, with the header line that names it. */
static void
encoded_body(struct str *out, const char *cte, const char *p, size_t n)
{
	assert_int_equal(str_appendf(out,
				 "Content-Transfer-Encoding: %s\r\n\r\n", cte),
		0);
	if (strcmp(cte, "quoted-printable") == 0)
		qp_encode(out, p, n);
	else if (strcmp(cte, "base64") == 0)
		base64_encode(out, p, n);
	else {
		assert_int_equal(str_append(out, p, n), 0);
		assert_int_equal(str_append_cstr(out, "\r\n"), 0);
	}
}

enum place {
	PLACE_SINGLE,	   /* the body of a one-part message */
	PLACE_PART,	   /* a text/plain part of a multipart */
	PLACE_HTML,	   /* a text/html part */
	PLACE_DESCRIPTION, /* a part's Content-Description, RFC 2047 */
	PLACE_FILENAME,	   /* a part's file name, RFC 2231 */
	PLACE_ATTACHED,	   /* the body of an attached message/rfc822 */
	PLACE_SUBJECT,	   /* the message's Subject, RFC 2047 */
	PLACE_BINARY,	   /* the bytes of an application/octet-stream */
	PLACE_COUNT,
};

/* A message carrying `word` (charset bytes p[n]) at one place. */
static const char *
search_message(struct arena *a, enum place place, const char *charset,
	const char *cte, const char *p, size_t n)
{
	struct str m;
	str_init(&m, a, 64 * 1024);
	assert_int_equal(str_append_cstr(&m,
				 "From: a@example.org\r\nMIME-Version: 1.0\r\n"),
		0);
	bool b64 = strcmp(cte, "base64") == 0;
	if (place == PLACE_SUBJECT) {
		assert_int_equal(str_append_cstr(&m, "Subject: about "), 0);
		encoded_word(&m, charset, b64, p, n);
		assert_int_equal(str_append_cstr(&m,
					 "\r\n\r\nnothing here\r\n"),
			0);
		return str_cstr(&m);
	}
	assert_int_equal(str_append_cstr(&m, "Subject: plain\r\n"), 0);
	if (place == PLACE_SINGLE) {
		assert_int_equal(str_appendf(&m,
					 "Content-Type: text/plain; "
					 "charset=%s\r\n",
					 charset),
			0);
		encoded_body(&m, cte, p, n);
		return str_cstr(&m);
	}
	assert_int_equal(str_append_cstr(&m,
				 "Content-Type: multipart/mixed; "
				 "boundary=\"=_b\"\r\n\r\npreamble\r\n"
				 "--=_b\r\nContent-Type: text/plain\r\n\r\n"
				 "first part\r\n--=_b\r\n"),
		0);
	switch (place) {
	case PLACE_PART:
	case PLACE_HTML:
		assert_int_equal(str_appendf(&m,
					 "Content-Type: text/%s; "
					 "charset=\"%s\"\r\n",
					 place == PLACE_HTML ? "html" : "plain",
					 charset),
			0);
		if (place == PLACE_HTML) {
			char html[512];
			int len = snprintf(html, sizeof(html),
				"<p>x <b>%.*s</b></p>", (int)n, p);
			encoded_body(&m, cte, html, (size_t)len);
		} else {
			encoded_body(&m, cte, p, n);
		}
		break;
	case PLACE_DESCRIPTION:
		assert_int_equal(str_append_cstr(&m,
					 "Content-Type: image/png\r\n"
					 "Content-Description: see "),
			0);
		encoded_word(&m, charset, b64, p, n);
		assert_int_equal(str_append_cstr(&m, "\r\n"), 0);
		encoded_body(&m, "base64", "\x89PNG", 4);
		break;
	case PLACE_FILENAME:
		assert_int_equal(str_appendf(&m,
					 "Content-Type: application/pdf\r\n"
					 "Content-Disposition: attachment; "
					 "filename*=%s''",
					 charset),
			0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(str_appendf(&m, "%%%02X",
						 (unsigned char)p[i]),
				0);
		assert_int_equal(str_append_cstr(&m, ".pdf\r\n"), 0);
		encoded_body(&m, "base64", "%PDF", 4);
		break;
	case PLACE_ATTACHED:
		assert_int_equal(str_appendf(&m,
					 "Content-Type: message/rfc822\r\n\r\n"
					 "From: b@example.org\r\n"
					 "Subject: inner\r\n"
					 "Content-Type: text/plain; "
					 "charset=%s\r\n",
					 charset),
			0);
		encoded_body(&m, cte, p, n);
		break;
	case PLACE_BINARY:
		assert_int_equal(str_append_cstr(&m,
					 "Content-Type: "
					 "application/octet-stream\r\n"),
			0);
		encoded_body(&m, cte, p, n);
		break;
	default:
		fail();
	}
	assert_int_equal(str_append_cstr(&m, "--=_b--\r\nepilogue\r\n"), 0);
	return str_cstr(&m);
}

static bool
folded_holds(struct arena *a, const char *text, size_t len, const char *word)
{
	const char *t = mail_search_fold(text, len, a);
	const char *w = mail_search_fold(word, strlen(word), a);
	assert_non_null(t);
	assert_non_null(w);
	return mail_search_contains(t, w);
}

/*
 * The property SEARCH BODY and TEXT rest on, over a table of charset x
 * transfer encoding x place: a word is found in the body text exactly
 * when it is in a text part, a body part's MIME header or an attached
 * message, in the header text exactly when it is in the message header,
 * in neither when it is only in a binary part; written in upper case it
 * is found all the same; and the other words of the table are never found.
 */
static void
test_search_text_table(void **state)
{
	static const char *const words[] = { "Grüße", "Œuvre€", "naïveté",
		"plainword", "Ærøskøbing" };
	static const char *const upper[] = { "GRÜSSE", "ŒUVRE€", "NAÏVETÉ",
		"PLAINWORD", "ÆRØSKØBING" };
	static const char *const charsets[] = { "utf-8", "iso-8859-1",
		"windows-1252" };
	static const char *const ctes[] = { "8bit", "quoted-printable",
		"base64" };
	enum { WORDS = sizeof(words) / sizeof(*words) };
	struct arena *a = arena_new(ARENA_CAP);
	size_t checked = 0;
	for (size_t w = 0; w < WORDS; w++)
	for (size_t c = 0; c < sizeof(charsets) / sizeof(*charsets); c++)
	for (size_t e = 0; e < sizeof(ctes) / sizeof(*ctes); e++)
	for (int place = 0; place < PLACE_COUNT; place++) {
		char bytes[256];
		size_t n;
		if (!to_charset(words[w], charsets[c], bytes, &n))
			continue; /* "€" is not in ISO-8859-1 */
		arena_reset(a);
		const char *msg = search_message(a, (enum place)place,
			charsets[c], ctes[e], bytes, n);
		struct mail_search_text t;
		struct error err;
		if (mail_mime_search_text(msg, strlen(msg), a, &t, &err) < 0)
			fail_msg("%s", err.msg);
		bool in_header = place == PLACE_SUBJECT;
		bool in_body = !in_header && place != PLACE_BINARY;
		for (size_t o = 0; o < WORDS; o++) {
			bool mine = o == w;
			if (folded_holds(a, t.body, t.body_len, words[o]) !=
					(mine && in_body) ||
				folded_holds(a, t.body, t.body_len, upper[o]) !=
					(mine && in_body) ||
				folded_holds(a, t.header, t.header_len,
					words[o]) != (mine && in_header))
				fail_msg("word %s in %s %s place %d: body "
					 "\"%s\" header \"%s\"",
					words[o], charsets[c], ctes[e], place,
					t.body, t.header);
		}
		assert_false(t.truncated);
		checked++;
	}
	assert_true(checked > 250);
	arena_free(&a);
}

/* Text as senders get it wrong, and the MIME headers of body parts. */
static void
test_search_text_cases(void **state)
{
	static const struct {
		const char *msg;
		const char *body;   /* the whole body text */
		const char *header; /* NULL: not checked */
	} cases[] = {
		/* 8-bit text labelled ASCII: windows-1252 reads it. */
		{ "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
		  "caf\xe9 \x93quoted\x94\r\n",
			"caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d", NULL },
		/* No charset and UTF-8 bytes: UTF-8. */
		{ "Subject: x\r\n\r\nna\xc3\xafve\r\n", "na\xc3\xafve", NULL },
		/* A charset iconv does not know: read as the default. */
		{ "Content-Type: text/plain; charset=x-bogus\r\n\r\n"
		  "abc\r\n",
			"abc", NULL },
		/* UTF-16 as iconv reads it. */
		{ "Content-Type: text/plain; charset=utf-16le\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n"
		  "aABpAA==\r\n",
			"hi", NULL },
		/* Soft line breaks, padding and a stray "=". */
		{ "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		  "soft=\r\nbreak =3D a=\nb  \r\nnext =zz\r\n",
			"softbreak = ab next =zz", NULL },
		/* Blanks and line breaks are one space; header decoded. */
		{ "Subject: =?utf-8?q?caf=C3=A9?=\r\n  folded\r\n\r\n"
		  "a\r\n\r\n\tb\r\n",
			"a b", "Subject: caf\xc3\xa9 folded" },
		/* Multipart: part headers in the body text, preamble out. */
		{ "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
		  "pre\r\n--x\r\nContent-Type: text/plain\r\n\r\none\r\n"
		  "--x--\r\npost\r\n",
			"Content-Type: text/plain one",
			"Content-Type: multipart/mixed; boundary=x" },
	};
	struct arena *a = arena_new(ARENA_CAP);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct mail_search_text t;
		struct error err;
		arena_reset(a);
		assert_int_equal(mail_mime_search_text(cases[i].msg,
					 strlen(cases[i].msg), a, &t, &err),
			0);
		assert_string_equal(t.body, cases[i].body);
		assert_int_equal(strlen(t.body), t.body_len);
		if (cases[i].header != NULL)
			assert_string_equal(t.header, cases[i].header);
	}
	arena_free(&a);
}

/* Any size of text part: the text stops at its cap, whole characters. */
static void
test_search_text_capped(void **state)
{
	struct arena *a = arena_new(64 * 1024 * 1024);
	struct str m;
	str_init(&m, a, SIZE_MAX);
	assert_int_equal(str_append_cstr(&m,
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "\r\n"),
		0);
	/* "é" is two bytes, so the cap falls inside one for some length. */
	for (size_t i = 0; m.len < MAIL_SEARCH_BODY_MAX + MAIL_SEARCH_BODY_MAX / 8;
		i++)
		assert_int_equal(str_append_cstr(&m, i % 40 == 39 ?
						 "\r\n" :
						 "\xc3\xa9"),
			0);
	struct mail_search_text t;
	struct error err;
	assert_int_equal(mail_mime_search_text(m.p, m.len, a, &t, &err), 0);
	assert_true(t.truncated);
	assert_true(t.body_len <= MAIL_SEARCH_BODY_MAX);
	assert_true(t.body_len > MAIL_SEARCH_BODY_MAX - 8);
	/* It ends on a whole character. */
	assert_true(g_utf8_validate(t.body, (gssize)t.body_len, NULL));
	arena_free(&a);
}

/* Folding: case beyond ASCII, Latin accents, blank runs. */
static void
test_search_fold(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Hello  World", "hello world" },
		{ "GRÜSSE", "grusse" },
		{ "grüße", "grusse" },
		{ "ÉCOLE", "ecole" },
		{ "ΣΟΦΊΑ", "σοφία" }, /* Greek: case folded, accents kept */
		{ "\t a\r\nb ", "a b" },
		{ "bad\xff utf8", "bad\xef\xbf\xbd utf8" },
		{ "", "" },
	};
	struct arena *a = arena_new(ARENA_CAP);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_string_equal(mail_search_fold(cases[i].in,
					    strlen(cases[i].in), a),
			cases[i].out);
	arena_free(&a);
}

/*
 * SENT* keys compare the calendar day a Date field names as written,
 * whatever the zone: a table across zones far east and west of UTC,
 * obsolete forms and comments.
 */
static void
test_date_day(void **state)
{
	static const struct {
		const char *value;
		const char *day; /* "YYYY-MM-DD", or NULL: no day */
	} cases[] = {
		{ "Tue, 1 Dec 2026 23:30:00 -1200", "2026-12-01" },
		{ "Tue, 1 Dec 2026 00:10:00 +1400", "2026-12-01" },
		{ "Wed, 31 Dec 2025 23:59:59 -0800", "2025-12-31" },
		{ "Thu, 01 Jan 2026 00:00:00 +0530", "2026-01-01" },
		{ "1 Dec 2026 10:00 GMT", "2026-12-01" },
		{ "Mon, 29 Feb 2028 12:00:00 EST", "2028-02-29" },
		{ " (comment) Fri (x) , 5 (y) Jun 2026 09:00 +0000",
			"2026-06-05" },
		{ "Sat,5 December 2026 09:00 +0000", "2026-12-05" },
		{ "5 Dec 26 09:00 +0000", "2026-12-05" },
		{ "5 Dec 99 09:00 +0000", "1999-12-05" },
		{ "5 Dec 105 09:00 +0000", "2005-12-05" },
		{ "5-Dec-2026", "2026-12-05" },
		{ "30 Feb 2026 10:00 +0000", NULL },
		{ "Dec 5 2026", NULL },
		{ "", NULL },
		{ "Tue, 1 Foo 2026", NULL },
		{ "123 Dec 2026", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int64_t day = -1, want = -1;
		bool ok = mail_mime_date_day(span_from_cstr(cases[i].value),
			&day);
		if (cases[i].day == NULL) {
			if (ok)
				fail_msg("%s: a day was found", cases[i].value);
			continue;
		}
		assert_true(clock_parse(span_from_cstr(cases[i].day), &want));
		if (!ok || day != want)
			fail_msg("%s: %lld, not %lld", cases[i].value,
				(long long)day, (long long)want);
	}
}

/* The date an ENVELOPE starts with, quoted or literal. */
static void
test_envelope_date(void **state)
{
	struct arena *a = arena_new(ARENA_CAP);
	struct span d;
	assert_true(mail_mime_envelope_date("(\"1 Dec 2026 \\\"x\\\"\" NIL)", a,
		&d));
	assert_int_equal(d.len, 14);
	assert_memory_equal(d.p, "1 Dec 2026 \"x\"", 14);
	assert_true(mail_mime_envelope_date("({5}\r\n1 Dec NIL)", a, &d));
	assert_int_equal(d.len, 5);
	assert_memory_equal(d.p, "1 Dec", 5);
	assert_false(mail_mime_envelope_date("(NIL NIL)", a, &d));
	assert_false(mail_mime_envelope_date("({99}\r\nshort)", a, &d));
	assert_false(mail_mime_envelope_date("(\"open", a, &d));
	assert_false(mail_mime_envelope_date("", a, &d));
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_table),
		cmocka_unit_test(test_header_size_and_parts),
		cmocka_unit_test(test_header_size_alone),
		cmocka_unit_test(test_search_fields),
		cmocka_unit_test(test_search_fields_absent_or_odd),
		cmocka_unit_test(test_nul_in_header),
		cmocka_unit_test(test_address_table),
		cmocka_unit_test(test_search_addresses_agree),
		cmocka_unit_test(test_imap_strings),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_sections_nested_multipart),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_memory_is_proportional),
		cmocka_unit_test(test_arena_exhausted),
		cmocka_unit_test(test_search_text_table),
		cmocka_unit_test(test_search_text_cases),
		cmocka_unit_test(test_search_text_capped),
		cmocka_unit_test(test_search_fold),
		cmocka_unit_test(test_date_day),
		cmocka_unit_test(test_envelope_date),
	};
	return cmocka_run_group_tests_name("mime", tests, NULL, NULL);
}
