/*
 * The SMTP command parser as a table (RFC 5321 §4.1), with the relay and
 * injection inputs of SECURITY.md items 9 and 19.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/error.h"
#include "smtp/smtp_parse.h"

struct parse_case {
	const char *line;
	int rc;
	enum smtp_verb verb;
	const char *path;	/* expected path, or NULL not to check */
	const char *status;	/* expected enhanced status on error */
};

static const struct parse_case cases[] = {
	{ "EHLO client.example", 0, SMTP_VERB_EHLO, NULL, NULL },
	{ "helo x", 0, SMTP_VERB_HELO, NULL, NULL },
	{ "EHLO", -1, SMTP_VERB_EHLO, NULL, "5.5.2" },
	{ "MAIL FROM:<a@b.example>", 0, SMTP_VERB_MAIL, "a@b.example", NULL },
	{ "mail from: <a@b.example>", 0, SMTP_VERB_MAIL, "a@b.example", NULL },
	{ "MAIL FROM:<>", 0, SMTP_VERB_MAIL, "", NULL },
	{ "MAIL FROM:<a@b> SIZE=1000 BODY=8BITMIME SMTPUTF8", 0,
	  SMTP_VERB_MAIL, "a@b", NULL },
	{ "MAIL FROM:<a@b> SIZE=x", -1, SMTP_VERB_MAIL, NULL, "5.5.4" },
	{ "MAIL FROM:<a@b> BODY=BINARYMIME", -1, SMTP_VERB_MAIL, NULL, "5.5.4" },
	{ "MAIL FROM:<a@b> FOO=1", -1, SMTP_VERB_MAIL, NULL, "5.5.4" },
	{ "MAIL FROM:a@b", -1, SMTP_VERB_MAIL, NULL, "5.5.2" },
	{ "MAIL FROM:<a@b", -1, SMTP_VERB_MAIL, NULL, "5.5.2" },
	{ "MAIL TO:<a@b>", -1, SMTP_VERB_MAIL, NULL, "5.5.2" },
	{ "MAIL FROM:<a@b>SIZE=1", -1, SMTP_VERB_MAIL, NULL, "5.5.2" },
	{ "RCPT TO:<jo@trust.example>", 0, SMTP_VERB_RCPT, "jo@trust.example",
	  NULL },
	{ "RCPT TO:<>", -1, SMTP_VERB_RCPT, NULL, "5.1.3" },
	{ "RCPT TO:<a@b> NOTIFY=NEVER", -1, SMTP_VERB_RCPT, NULL, "5.5.4" },
	/* Source routes are dropped: only the final mailbox counts. */
	{ "RCPT TO:<@relay.example,@x.example:u@ext.example>", 0,
	  SMTP_VERB_RCPT, "u@ext.example", NULL },
	/* Relay tricks stay literal local parts, for routing to refuse. */
	{ "RCPT TO:<u%ext.example@trust.example>", 0, SMTP_VERB_RCPT,
	  "u%ext.example@trust.example", NULL },
	{ "RCPT TO:<ext.example!u@trust.example>", 0, SMTP_VERB_RCPT,
	  "ext.example!u@trust.example", NULL },
	{ "RCPT TO:<\"u@ext.example\"@trust.example>", -1, SMTP_VERB_RCPT,
	  NULL, "5.1.3" },
	{ "MAIL FROM:<;sleep 5;@x>", -1, SMTP_VERB_MAIL, NULL, "5.1.3" },
	{ "MAIL FROM:<;sleep\t5;@x>", -1, SMTP_VERB_MAIL, NULL, "5.1.3" },
	{ "RCPT TO:<${run{/bin/true}}@trust.example>", 0, SMTP_VERB_RCPT,
	  "${run{/bin/true}}@trust.example", NULL },
	{ "RCPT TO:<a\tb@trust.example>", -1, SMTP_VERB_RCPT, NULL, "5.1.3" },
	{ "DATA", 0, SMTP_VERB_DATA, NULL, NULL },
	{ "DATA now", -1, SMTP_VERB_DATA, NULL, "5.5.4" },
	{ "STARTTLS", 0, SMTP_VERB_STARTTLS, NULL, NULL },
	{ "AUTH PLAIN AGFsaWNlAHNlY3JldA==", 0, SMTP_VERB_AUTH, NULL, NULL },
	{ "QUIT", 0, SMTP_VERB_QUIT, NULL, NULL },
	{ "XYZZY", 0, SMTP_VERB_UNKNOWN, NULL, NULL },
	{ "", -1, SMTP_VERB_UNKNOWN, NULL, "5.5.2" },
};

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct parse_case *c = &cases[i];
		struct smtp_command cmd;
		struct error err;
		error_clear(&err);
		int rc = smtp_parse_command(span_from_cstr(c->line), &cmd, &err);
		if (rc != c->rc)
			fail_msg("'%s': rc %d (%s)", c->line, rc, err.msg);
		if (c->rc == 0 && cmd.verb != c->verb)
			fail_msg("'%s': verb %d", c->line, cmd.verb);
		if (c->path != NULL && strcmp(cmd.path, c->path) != 0)
			fail_msg("'%s': path '%s'", c->line, cmd.path);
		if (c->status != NULL && strcmp(err.field, c->status) != 0)
			fail_msg("'%s': status %s, want %s", c->line, err.field,
				c->status);
	}
}

static void
test_mail_parameters(void **state)
{
	(void)state;
	struct smtp_command cmd;
	struct error err;
	assert_int_equal(smtp_parse_command(span_from_cstr(
		"MAIL FROM:<a@b> SIZE=35882577 BODY=8BITMIME SMTPUTF8"), &cmd,
		&err), 0);
	assert_true(cmd.has_size);
	assert_int_equal(cmd.size, 35882577);
	assert_int_equal(cmd.body, SMTP_BODY_8BITMIME);
	assert_true(cmd.smtputf8);
	assert_false(cmd.null_path);
	assert_int_equal(smtp_parse_command(span_from_cstr("MAIL FROM:<>"), &cmd,
				 &err), 0);
	assert_true(cmd.null_path);
}

static void
test_path_length(void **state)
{
	(void)state;
	char line[400], local[300];
	struct smtp_command cmd;
	struct error err;
	/* A 256-octet path with its brackets is the limit. */
	memset(local, 'a', sizeof(local));
	snprintf(line, sizeof(line), "RCPT TO:<%.*s@example.org>", 242, local);
	assert_int_equal(smtp_parse_command(span_from_cstr(line), &cmd, &err),
		0);
	snprintf(line, sizeof(line), "RCPT TO:<%.*s@example.org>", 243, local);
	assert_int_equal(smtp_parse_command(span_from_cstr(line), &cmd, &err),
		-1);
	assert_string_equal(err.field, "5.1.3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_mail_parameters),
		cmocka_unit_test(test_path_length),
	};
	return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
