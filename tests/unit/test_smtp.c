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
	{ "RCPT TO:<a@b> NOTIFY=NEVER", 0, SMTP_VERB_RCPT, "a@b", NULL },
	{ "RCPT TO:<a@b> SIZE=10", -1, SMTP_VERB_RCPT, NULL, "5.5.4" },
	{ "MAIL FROM:<a@b> NOTIFY=NEVER", -1, SMTP_VERB_MAIL, NULL, "5.5.4" },
	{ "MAIL FROM:<a@b> SIZE=1 SIZE=2", -1, SMTP_VERB_MAIL, NULL, "5.5.4" },
	{ "MAIL FROM:<a@b> SMTPUTF8=yes", -1, SMTP_VERB_MAIL, NULL, "5.5.4" },
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

/*
 * RFC 3461 parameters as the parser reads them: every value, or a 501
 * 5.5.4 refusal whose sentence names what is wrong.
 */
struct dsn_case {
	const char *line;
	const char *ret;	/* expected RET; NULL: none */
	const char *envid;	/* expected decoded ENVID */
	unsigned notify;
	const char *orcpt;	/* expected kept ORCPT */
	const char *why;	/* NULL: parsed; else words the refusal holds */
};

#define S MAIL_DSN_NOTIFY_SUCCESS
#define F MAIL_DSN_NOTIFY_FAILURE
#define D MAIL_DSN_NOTIFY_DELAY
#define N MAIL_DSN_NOTIFY_NEVER

/*
 * The front end's part: which verb takes which parameter, keywords in any
 * case, a parameter given twice or with no value, and the domain's
 * refusal sent as 5.5.4. The values' own rules are test_dsn.c's tables.
 */
static const struct dsn_case dsn_cases[] = {
	{ "MAIL FROM:<a@b> RET=FULL", "FULL", "", 0, "", NULL },
	{ "MAIL FROM:<a@b> ret=hdrs ENVID=Q123", "HDRS", "Q123", 0, "", NULL },
	{ "MAIL FROM:<> RET=HDRS ENVID=x", "HDRS", "x", 0, "", NULL },
	{ "MAIL FROM:<a@b> SIZE=10 ENVID=Q+2B1+3D2 RET=FULL", "FULL", "Q+1=2",
	  0, "", NULL },
	{ "MAIL FROM:<a@b> RET=BODY", NULL, "", 0, "", "FULL or HDRS" },
	{ "MAIL FROM:<a@b> RET", NULL, "", 0, "", "FULL or HDRS" },
	{ "MAIL FROM:<a@b> RET=FULL RET=HDRS", NULL, "", 0, "", "twice" },
	{ "MAIL FROM:<a@b> ENVID=", NULL, "", 0, "", "empty" },
	{ "MAIL FROM:<a@b> ENVID=x envid=y", NULL, "", 0, "", "twice" },
	{ "MAIL FROM:<a@b> ENVID=a+2", NULL, "", 0, "", "xtext" },
	{ "RCPT TO:<a@b> NOTIFY=SUCCESS,FAILURE", NULL, "", S | F, "", NULL },
	{ "RCPT TO:<a@b> notify=delay,Success", NULL, "", S | D, "", NULL },
	{ "RCPT TO:<a@b> NOTIFY=NEVER,SUCCESS", NULL, "", 0, "",
	  "cannot be combined" },
	{ "RCPT TO:<a@b> NOTIFY=", NULL, "", 0, "", "needs a value" },
	{ "RCPT TO:<a@b> NOTIFY", NULL, "", 0, "", "needs a value" },
	{ "RCPT TO:<a@b> NOTIFY=NEVER NOTIFY=NEVER", NULL, "", 0, "",
	  "twice" },
	{ "RCPT TO:<a@b> ORCPT=rfc822;bob@x.example", NULL, "", 0,
	  "rfc822;bob@x.example", NULL },
	{ "RCPT TO:<a@b> ORCPT=RFC822;Bob+2Bx@X.example NOTIFY=NEVER", NULL,
	  "", N, "rfc822;Bob+x@X.example", NULL },
	{ "RCPT TO:<a@b> ORCPT=UTF-8;j\xc3\xb6rg@x.example", NULL, "", 0,
	  "utf-8;j\xc3\xb6rg@x.example", NULL },
	{ "RCPT TO:<a@b> ORCPT=x400;c=gb", NULL, "", 0, "", "rfc822 or utf-8" },
	/* Found by fuzz_smtp: bad xtext between 8-bit bytes. */
	{ "RCPT TO:<a@b> ORCPT=utf-8;\xc3\xb6r=g\xc3\xb6", NULL, "", 0, "",
	  "xtext" },
	{ "RCPT TO:<a@b> ORCPT=rfc822;a ORCPT=rfc822;b", NULL, "", 0, "",
	  "twice" },
	{ "RCPT TO:<a@b> RET=FULL", NULL, "", 0, "", "RCPT parameter" },
	{ "RCPT TO:<a@b> ENVID=x", NULL, "", 0, "", "RCPT parameter" },
	{ "MAIL FROM:<a@b> ORCPT=rfc822;a@b", NULL, "", 0, "",
	  "MAIL parameter" },
};

static void
test_dsn_parameters(void **state)
{
	for (size_t i = 0; i < sizeof(dsn_cases) / sizeof(*dsn_cases); i++) {
		const struct dsn_case *c = &dsn_cases[i];
		struct smtp_command cmd;
		struct error err;
		error_clear(&err);
		int rc = smtp_parse_command(span_from_cstr(c->line), &cmd, &err);
		if (c->why != NULL) {
			if (rc != -1 || strcmp(err.field, "5.5.4") != 0 ||
			    strstr(err.msg, c->why) == NULL)
				fail_msg("'%s': rc %d %s '%s', want 5.5.4 '%s'",
					c->line, rc, err.field, err.msg, c->why);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s': refused: %s", c->line, err.msg);
		if ((c->ret == NULL) != (cmd.ret == NULL) ||
		    (c->ret != NULL && strcmp(c->ret, cmd.ret) != 0))
			fail_msg("'%s': RET %s", c->line,
				cmd.ret ? cmd.ret : "none");
		if (strcmp(cmd.envid, c->envid) != 0)
			fail_msg("'%s': ENVID '%s'", c->line, cmd.envid);
		if (cmd.notify != c->notify)
			fail_msg("'%s': NOTIFY %u", c->line, cmd.notify);
		if (strcmp(cmd.orcpt, c->orcpt) != 0)
			fail_msg("'%s': ORCPT '%s'", c->line, cmd.orcpt);
	}
}

/* RFC 3461 §4.4 and §4.2: the longest values accepted, and one more. */
static void
test_dsn_parameter_lengths(void **state)
{
	char line[700], value[600];
	struct smtp_command cmd;
	struct error err;
	memset(value, 'e', sizeof(value));
	snprintf(line, sizeof(line), "MAIL FROM:<a@b> ENVID=%.*s",
		MAIL_DSN_ENVID_MAX, value);
	assert_int_equal(smtp_parse_command(span_from_cstr(line), &cmd, &err),
		0);
	assert_int_equal(strlen(cmd.envid), MAIL_DSN_ENVID_MAX);
	snprintf(line, sizeof(line), "MAIL FROM:<a@b> ENVID=%.*s",
		MAIL_DSN_ENVID_MAX + 1, value);
	assert_int_equal(smtp_parse_command(span_from_cstr(line), &cmd, &err),
		-1);
	assert_string_equal(err.field, "5.5.4");
	assert_non_null(strstr(err.msg, "longer than 100 characters"));
	/* "rfc822;" and an address: 500 characters in all. */
	snprintf(line, sizeof(line), "RCPT TO:<a@b> ORCPT=rfc822;%.*s",
		MAIL_DSN_ORCPT_MAX - 7, value);
	assert_int_equal(smtp_parse_command(span_from_cstr(line), &cmd, &err),
		0);
	assert_int_equal(strlen(cmd.orcpt), MAIL_DSN_ORCPT_MAX);
	snprintf(line, sizeof(line), "RCPT TO:<a@b> ORCPT=rfc822;%.*s",
		MAIL_DSN_ORCPT_MAX - 6, value);
	assert_int_equal(smtp_parse_command(span_from_cstr(line), &cmd, &err),
		-1);
	assert_non_null(strstr(err.msg, "longer than 500"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_mail_parameters),
		cmocka_unit_test(test_path_length),
		cmocka_unit_test(test_dsn_parameters),
		cmocka_unit_test(test_dsn_parameter_lengths),
	};
	return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
