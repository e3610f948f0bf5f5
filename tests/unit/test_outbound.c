/*
 * The outbound building blocks as tables: SMTP replies as a client reads
 * them (RFC 5321 §4.2, RFC 3463), the DATA encoding (RFC 5321 §4.5.2),
 * xtext (RFC 3461), the retry and report rule, and the DSN's diagnostic
 * reader and words (RFC 3464, SPEC M8). The DSN's structure is checked by
 * Python's email package in check_dsn.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "mail/mail_dsn.h"
#include "mail/mail_retry.h"
#include "mail/mail_smtp_client.h"

/* ---- replies ---- */

struct reply_case {
	const char *text;
	int rc;
	int code;
	const char *enhanced;
	const char *joined;
	enum mail_smtp_result result;
	const char *status;
};

static const struct reply_case reply_cases[] = {
	{ "250 OK\r\n", 0, 250, "", "OK", MAIL_SMTP_RESULT_OK, "2.0.0" },
	{ "250 2.1.5 Recipient ok\r\n", 0, 250, "2.1.5", "Recipient ok",
	  MAIL_SMTP_RESULT_OK, "2.1.5" },
	{ "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", 0, 250, "",
	  "mx.example PIPELINING SIZE 1000", MAIL_SMTP_RESULT_OK, "2.0.0" },
	{ "550-5.1.1 The email account that you tried to reach\r\n"
	  "550-5.1.1 does not exist.\r\n550 5.1.1 Check it.\r\n", 0, 550,
	  "5.1.1", "The email account that you tried to reach does not exist. "
	  "Check it.", MAIL_SMTP_RESULT_PERMANENT, "5.1.1" },
	{ "451 4.7.1 Greylisted\r\n", 0, 451, "4.7.1", "Greylisted",
	  MAIL_SMTP_RESULT_TEMPORARY, "4.7.1" },
	{ "421\r\n", 0, 421, "", "", MAIL_SMTP_RESULT_TEMPORARY, "4.0.0" },
	{ "354 go ahead\r\n", 0, 354, "", "go ahead", MAIL_SMTP_RESULT_OK,
	  "2.0.0" },
	/* A class that contradicts the code: the code wins. */
	{ "550 4.2.2 odd\r\n", 0, 550, "4.2.2", "odd",
	  MAIL_SMTP_RESULT_PERMANENT, "5.0.0" },
	/* "5.1" is not an enhanced code: it stays in the text. */
	{ "550 5.1 text\r\n", 0, 550, "", "5.1 text",
	  MAIL_SMTP_RESULT_PERMANENT, "5.0.0" },
	{ "550 5.1234.1 x\r\n", 0, 550, "", "5.1234.1 x",
	  MAIL_SMTP_RESULT_PERMANENT, "5.0.0" },
	/* Control bytes and 8-bit bytes never reach the kept text. */
	{ "550 bad\x01\x7f\xc3\xa9 x\r\n", 0, 550, "", "bad???? x",
	  MAIL_SMTP_RESULT_PERMANENT, "5.0.0" },
	{ "250-a\r\n251 b\r\n", -1, 0, NULL, NULL, 0, NULL },
	{ "250-a\r\n", -1, 0, NULL, NULL, 0, NULL },
	{ "2500 x\r\n", -1, 0, NULL, NULL, 0, NULL },
	{ "25 x\r\n", -1, 0, NULL, NULL, 0, NULL },
	{ "650 x\r\n", -1, 0, NULL, NULL, 0, NULL },
	{ "150 x\r\n", -1, 0, NULL, NULL, 0, NULL },
	{ "250_x\r\n", -1, 0, NULL, NULL, 0, NULL },
	{ "", -1, 0, NULL, NULL, 0, NULL },
	{ "250 no crlf", -1, 0, NULL, NULL, 0, NULL },
};

static void
test_reply_table(void **state)
{
	for (size_t i = 0; i < sizeof(reply_cases) / sizeof(*reply_cases);
	     i++) {
		const struct reply_case *c = &reply_cases[i];
		struct mail_smtp_reply r;
		struct error err;
		size_t used = 0;
		int rc = mail_smtp_reply_parse(span_from_cstr(c->text), &r,
			&used, &err);
		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %d", i, c->text, rc);
		if (rc < 0)
			continue;
		assert_int_equal(used, strlen(c->text));
		assert_int_equal(r.code, c->code);
		assert_string_equal(r.enhanced, c->enhanced);
		assert_string_equal(r.text, c->joined);
		assert_int_equal(mail_smtp_reply_result(&r), c->result);
		char status[16];
		mail_smtp_reply_status(&r, status, sizeof(status));
		assert_string_equal(status, c->status);
	}
}

static void
test_reply_is_bounded(void **state)
{
	/* Any number of long lines: the text stays within its array. */
	struct mail_smtp_reply r;
	mail_smtp_reply_init(&r);
	char line[600];
	memset(line, 'x', sizeof(line));
	memcpy(line, "250-", 4);
	struct error err;
	unsigned n = 0;
	while (mail_smtp_reply_add_line(&r, span_make(line, sizeof(line)),
		       &err) == 0)
		n++;
	assert_int_equal(n, MAIL_SMTP_REPLY_MAX_LINES);
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_int_equal(r.text_len, MAIL_SMTP_REPLY_TEXT - 1);
	assert_int_equal(strlen(r.text), r.text_len);
}

static void
test_status_text(void **state)
{
	struct mail_smtp_status s;
	memset(&s, 0, sizeof(s));
	char buf[64];
	snprintf(s.why, sizeof(s.why), "127.0.0.1:25 did not answer");
	assert_false(mail_smtp_status_text(&s, buf, sizeof(buf)));
	assert_string_equal(buf, "127.0.0.1:25 did not answer");
	struct error err;
	size_t used;
	assert_int_equal(mail_smtp_reply_parse(span_from_cstr(
		"550-5.1.1 no such\r\n550 5.1.1 user\r\n"), &s.reply, &used,
		&err), 0);
	assert_true(mail_smtp_status_text(&s, buf, sizeof(buf)));
	assert_string_equal(buf, "550 5.1.1 no such user");
	/* Read back for a report, it is the same reply. */
	struct mail_dsn_diagnostic d;
	mail_dsn_diagnostic_parse(span_from_cstr(buf), &d);
	assert_int_equal(d.code, 550);
	assert_string_equal(d.status, "5.1.1");
	assert_string_equal(d.text, "no such user");
}

/* ---- the DATA encoding ---- */

struct collect {
	char buf[256];
	size_t len;
};

static int
collect(void *ctx, const char *bytes, size_t len)
{
	struct collect *c = ctx;
	assert_true(c->len + len < sizeof(c->buf));
	memcpy(c->buf + c->len, bytes, len);
	c->len += len;
	return 0;
}

static void
test_data_encoding(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", ".\r\n" },
		{ "a", "a\r\n.\r\n" },
		{ "a\r\n", "a\r\n.\r\n" },
		{ "a\nb\rc\r\nd", "a\r\nb\r\nc\r\nd\r\n.\r\n" },
		{ "\n\n", "\r\n\r\n.\r\n" },
		{ "\r\r\n", "\r\n\r\n.\r\n" },
		{ ".", "..\r\n.\r\n" },
		{ ".\r\n..\r\nx.\r\n", "..\r\n...\r\nx.\r\n.\r\n" },
		{ "a\n.b", "a\r\n..b\r\n.\r\n" },
		{ "a\r.b", "a\r\n..b\r\n.\r\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct collect c = { .len = 0 };
		assert_int_equal(mail_smtp_data_encode(
			span_from_cstr(cases[i].in), collect, &c), 0);
		c.buf[c.len] = '\0';
		if (strcmp(c.buf, cases[i].out) != 0)
			fail_msg("case %zu", i);
	}
}

static void
test_data_encoding_never_sends_a_bare_cr_or_lf(void **state)
{
	/* Every message of up to 6 bytes from {a, ., CR, LF}. */
	static const char alphabet[] = "a.\r\n";
	for (unsigned len = 0; len <= 6; len++) {
		unsigned total = 1;
		for (unsigned k = 0; k < len; k++)
			total *= 4;
		for (unsigned v = 0; v < total; v++) {
			char in[8];
			unsigned x = v;
			for (unsigned k = 0; k < len; k++, x /= 4)
				in[k] = alphabet[x % 4];
			struct collect c = { .len = 0 };
			mail_smtp_data_encode(span_make(in, len), collect, &c);
			for (size_t j = 0; j < c.len; j++) {
				if (c.buf[j] == '\r')
					assert_true(j + 1 < c.len &&
						c.buf[j + 1] == '\n');
				if (c.buf[j] == '\n')
					assert_true(j > 0 &&
						c.buf[j - 1] == '\r');
			}
			/* Ends with the one final dot line. */
			assert_true(c.len >= 3);
			assert_memory_equal(c.buf + c.len - 3, ".\r\n", 3);
			assert_true(c.len == 3 || c.buf[c.len - 4] == '\n');
		}
	}
}

static void
test_8bit_and_utf8(void **state)
{
	assert_false(mail_smtp_needs_8bitmime(span_from_cstr("plain\r\n")));
	assert_true(mail_smtp_needs_8bitmime(span_from_cstr("caf\xc3\xa9")));
	assert_false(mail_smtp_needs_smtputf8("jo@x.test"));
	assert_true(mail_smtp_needs_smtputf8("zo\xc3\xab@x.test"));
}

static void
test_xtext(void **state)
{
	char buf[32];
	assert_true(mail_smtp_xtext("a+b=c d", buf, sizeof(buf)));
	assert_string_equal(buf, "a+2Bb+3Dc+20d");
	assert_true(mail_smtp_xtext("\xc3\xa9", buf, sizeof(buf)));
	assert_string_equal(buf, "+C3+A9");
	assert_false(mail_smtp_xtext("+++++++++++", buf, sizeof(buf)));
	assert_true(mail_smtp_xtext("", buf, 1));
	assert_string_equal(buf, "");
}

/* ---- retries ---- */

#define MIN 60
#define HOUR 3600

static void
policy(struct mail_retry_policy *p, const char *const *sets)
{
	struct config *c = config_new();
	struct error err;
	for (; sets != NULL && *sets != NULL; sets++)
		assert_int_equal(config_set(c, *sets, &err), 0);
	assert_int_equal(mail_retry_policy_from_config(c, p, &err), 0);
	config_free(&c);
}

struct retry_case {
	const char *what;
	int64_t since_queued;	/* now - queued_at */
	unsigned attempts;
	enum mail_retry_outcome outcome;
	unsigned notices_sent;
	bool null_sender;
	int64_t destination_wait;	/* destination_retry_at - now, or 0 */
	enum mail_retry_action action;
	int64_t wait;		/* next_attempt_at - now, LATER only */
	bool notice;
	unsigned notices_after;
	bool report;
};

/* Without jitter, the default schedule: 5, 10, 20, 40, 60 minutes. */
static const struct retry_case retry_cases[] = {
	{ "delivered", 60, 1, MAIL_RETRY_DELIVERED, 0, false, 0,
	  MAIL_RETRY_ACTION_DONE, 0, false, 0, false },
	{ "first deferral", 0, 1, MAIL_RETRY_TEMPORARY, 0, false, 0,
	  MAIL_RETRY_ACTION_LATER, 5 * MIN, false, 0, false },
	{ "second", 5 * MIN, 2, MAIL_RETRY_TEMPORARY, 0, false, 0,
	  MAIL_RETRY_ACTION_LATER, 10 * MIN, false, 0, false },
	{ "fourth", 35 * MIN, 4, MAIL_RETRY_TEMPORARY, 0, false, 0,
	  MAIL_RETRY_ACTION_LATER, 40 * MIN, false, 0, false },
	{ "hourly after", 3 * HOUR, 9, MAIL_RETRY_TEMPORARY, 0, false, 0,
	  MAIL_RETRY_ACTION_LATER, 60 * MIN, false, 0, false },
	{ "destination backoff wins", 0, 1, MAIL_RETRY_TEMPORARY, 0, false,
	  2 * HOUR, MAIL_RETRY_ACTION_LATER, 2 * HOUR, false, 0, false },
	{ "4 hour notice", 4 * HOUR, 9, MAIL_RETRY_TEMPORARY, 0, false, 0,
	  MAIL_RETRY_ACTION_LATER, 60 * MIN, true, 1, false },
	{ "4 hour notice once", 5 * HOUR, 10, MAIL_RETRY_TEMPORARY, 1, false,
	  0, MAIL_RETRY_ACTION_LATER, 60 * MIN, false, 1, false },
	{ "24 hour notice", 24 * HOUR, 30, MAIL_RETRY_TEMPORARY, 1, false, 0,
	  MAIL_RETRY_ACTION_LATER, 60 * MIN, true, 2, false },
	{ "both passed: one notice", 30 * HOUR, 2, MAIL_RETRY_TEMPORARY, 0,
	  false, 0, MAIL_RETRY_ACTION_LATER, 10 * MIN, true, 2, false },
	{ "null sender: no notice", 5 * HOUR, 9, MAIL_RETRY_TEMPORARY, 0,
	  true, 0, MAIL_RETRY_ACTION_LATER, 60 * MIN, false, 1, false },
	{ "last try at the deadline", 96 * HOUR - 10 * MIN, 99,
	  MAIL_RETRY_TEMPORARY, 2, false, 0, MAIL_RETRY_ACTION_LATER,
	  10 * MIN, false, 2, false },
	{ "lifetime over", 96 * HOUR, 100, MAIL_RETRY_TEMPORARY, 2, false, 0,
	  MAIL_RETRY_ACTION_GIVE_UP, 0, false, 2, true },
	{ "lifetime over, null sender", 97 * HOUR, 100, MAIL_RETRY_TEMPORARY,
	  2, true, 0, MAIL_RETRY_ACTION_GIVE_UP, 0, false, 2, false },
	{ "permanent at once", 0, 1, MAIL_RETRY_PERMANENT, 0, false, 0,
	  MAIL_RETRY_ACTION_GIVE_UP, 0, false, 0, true },
	{ "permanent, null sender", 0, 1, MAIL_RETRY_PERMANENT, 0, true, 0,
	  MAIL_RETRY_ACTION_GIVE_UP, 0, false, 0, false },
	{ "permanent after a notice: no notice", 5 * HOUR, 9,
	  MAIL_RETRY_PERMANENT, 0, false, 0, MAIL_RETRY_ACTION_GIVE_UP, 0,
	  false, 0, true },
};

static void
test_retry_table(void **state)
{
	static const char *const no_jitter[] = {
		"outbound.retry_jitter_percent=0", NULL };
	struct mail_retry_policy p;
	policy(&p, no_jitter);
	const int64_t queued = 1800000000;
	for (size_t i = 0; i < sizeof(retry_cases) / sizeof(*retry_cases);
	     i++) {
		const struct retry_case *c = &retry_cases[i];
		int64_t now = queued + c->since_queued;
		struct mail_retry_facts f = {
			.now = now, .queued_at = queued,
			.attempts = c->attempts, .outcome = c->outcome,
			.notices_sent = c->notices_sent,
			.null_sender = c->null_sender,
			.destination_retry_at = c->destination_wait ?
				now + c->destination_wait : 0,
			.seed = i,
		};
		struct mail_retry_decision d;
		mail_retry_decide(&p, &f, &d);
		if (d.action != c->action || d.delay_notice != c->notice ||
		    d.notices_sent != c->notices_after ||
		    d.failure_report != c->report ||
		    (c->action == MAIL_RETRY_ACTION_LATER &&
			d.next_attempt_at - now != c->wait))
			fail_msg("%s: action %d wait %lld notice %d/%u "
				"report %d", c->what, d.action,
				(long long)(d.next_attempt_at - now),
				d.delay_notice, d.notices_sent,
				d.failure_report);
		assert_int_equal(d.retry_until, queued + 96 * HOUR);
	}
}

static void
test_retry_jitter_stays_within_its_percent(void **state)
{
	struct mail_retry_policy p;
	policy(&p, NULL);
	int64_t lowest = INT64_MAX, highest = 0;
	for (uint64_t seed = 0; seed < 5000; seed++) {
		int64_t w = mail_retry_wait(&p, 1, seed);
		lowest = w < lowest ? w : lowest;
		highest = w > highest ? w : highest;
		/* The same seed gives the same wait. */
		assert_int_equal(w, mail_retry_wait(&p, 1, seed));
	}
	assert_true(lowest >= 270 && highest <= 330);
	/* And it does spread: not all at one end. */
	assert_true(lowest < 280 && highest > 320);
}

static void
test_retry_policy_is_read_and_checked(void **state)
{
	static const char *const custom[] = {
		"outbound.retry_schedule_min=1, 2",
		"outbound.delay_notice_h=1",
		"outbound.lifetime_h=2",
		"outbound.retry_jitter_percent=0", NULL };
	struct mail_retry_policy p;
	policy(&p, custom);
	assert_int_equal(p.schedule_count, 2);
	assert_int_equal(mail_retry_wait(&p, 1, 0), 60);
	assert_int_equal(mail_retry_wait(&p, 7, 0), 120);
	assert_int_equal(p.lifetime_s, 2 * HOUR);

	static const char *const bad[][2] = {
		{ "outbound.retry_schedule_min=5, soon", NULL },
		{ "outbound.retry_schedule_min=0", NULL },
		{ "outbound.delay_notice_h=24, 4", NULL },
		{ "outbound.delay_notice_h=100", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct config *c = config_new();
		struct error err;
		assert_int_equal(config_set(c, bad[i][0], &err), 0);
		assert_int_equal(mail_retry_policy_from_config(c, &p, &err),
			-1);
		assert_int_equal(err.code, ERROR_INVALID);
		config_free(&c);
	}
}

static void
test_destination_backoff(void **state)
{
	static const char *const no_jitter[] = {
		"outbound.retry_jitter_percent=0", NULL };
	struct mail_retry_policy p;
	policy(&p, no_jitter);
	struct mail_retry_destination d = { 0, 0 };
	int64_t now = 1000000;
	assert_false(mail_retry_destination_waits(&d, now));
	mail_retry_destination_update(&p, &d, true, now, 1);
	assert_int_equal(d.retry_at, now + 5 * MIN);
	assert_true(mail_retry_destination_waits(&d, now + 4 * MIN));
	assert_false(mail_retry_destination_waits(&d, now + 5 * MIN));
	mail_retry_destination_update(&p, &d, true, now + 5 * MIN, 1);
	assert_int_equal(d.retry_at, now + 15 * MIN);
	mail_retry_destination_update(&p, &d, false, now + 15 * MIN, 1);
	assert_false(mail_retry_destination_waits(&d, now + 15 * MIN));
	assert_int_equal(d.failures, 0);
}

/* ---- DSN ---- */

static void
test_diagnostic_parse(void **state)
{
	static const struct {
		const char *in;
		int code;
		const char *status, *text;
	} cases[] = {
		{ "550 5.1.1 no such user", 550, "5.1.1", "no such user" },
		{ "550-5.1.1 a\r\n550 5.1.1 b", 550, "5.1.1", "a b" },
		{ "550-5.1.1 a\n550 5.1.1 b\n", 550, "5.1.1", "a b" },
		{ "451 try later", 451, "", "try later" },
		{ "connection timed out", 0, "", "connection timed out" },
		{ "550-x\r\n451 y", 0, "", "550-x 451 y" },
		{ "\x01\x02  a\r\n\tb\xff", 0, "", "a b?" },
		{ "", 0, "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct mail_dsn_diagnostic d;
		mail_dsn_diagnostic_parse(span_from_cstr(cases[i].in), &d);
		if (d.code != cases[i].code ||
		    strcmp(d.status, cases[i].status) != 0 ||
		    strcmp(d.text, cases[i].text) != 0)
			fail_msg("case %zu: %d '%s' '%s'", i, d.code, d.status,
				d.text);
	}
	/* Any length: the text stays bounded and terminated. */
	size_t big = 100000;
	char *in = malloc(big);
	memset(in, 'y', big);
	struct mail_dsn_diagnostic d;
	mail_dsn_diagnostic_parse(span_make(in, big), &d);
	assert_int_equal(strlen(d.text), sizeof(d.text) - 1);
	free(in);
}

static void
test_advice_says_what_to_do(void **state)
{
	/* Every status class has words, each with something to do. */
	static const char *const statuses[] = { "5.1.1", "5.1.2", "5.1.10",
		"5.1.3", "5.2.2", "5.3.4", "5.4.4", "5.6.3", "5.7.1", "5.0.0",
		"4.4.1", "4.7.5" };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(*statuses); i++) {
		const char *a = mail_dsn_advice(MAIL_DSN_FAILED, statuses[i]);
		assert_non_null(a);
		assert_true(strcasestr(a, "check") != NULL ||
			strcasestr(a, "contact") != NULL ||
			strcasestr(a, "send") != NULL ||
			strcasestr(a, "ask") != NULL ||
			strcasestr(a, "try") != NULL);
	}
	assert_string_not_equal(mail_dsn_advice(MAIL_DSN_FAILED, "5.1.1"),
		mail_dsn_advice(MAIL_DSN_FAILED, "5.7.1"));
	assert_non_null(strstr(mail_dsn_advice(MAIL_DSN_DELAYED, "4.4.1"),
		"still trying"));
	/* Held back by TLS is not "could not reach": the server answered. */
	assert_null(strstr(mail_dsn_advice(MAIL_DSN_FAILED, "4.7.5"),
		"could not reach"));
	assert_non_null(strstr(mail_dsn_advice(MAIL_DSN_FAILED, "4.7.5"),
		"verified, encrypted connection"));
	assert_non_null(strstr(mail_dsn_advice(MAIL_DSN_FAILED, "4.4.1"),
		"could not reach"));
}

static void
test_dsn_refuses_missing_fields(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct mail_dsn_recipient rc = { .final_recipient = "b@x.test",
		.action = MAIL_DSN_FAILED, .status = "5.1.1" };
	struct mail_dsn_report r = { .reporting_mta = "mx.example.nhs.uk",
		.postmaster = "postmaster@example.nhs.uk",
		.original_sender = "a@example.nhs.uk", .now = 1800000000,
		.original = span_from_cstr("Subject: hi\r\n\r\nbody\r\n"),
		.recipients = &rc, .recipient_count = 1, .unique = "abc" };
	struct span out;
	struct error err;
	assert_int_equal(mail_dsn_build(&r, a, &out, &err), 0);
	r.unique = "a\r\nb";
	assert_int_equal(mail_dsn_build(&r, a, &out, &err), -1);
	r.unique = "abc";
	rc.status = NULL;
	assert_int_equal(mail_dsn_build(&r, a, &out, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	/* A report that does not fit its arena is a clear LIMIT. */
	struct arena *small = arena_new(4096);
	rc.status = "5.1.1";
	char *big = malloc(100000);
	memset(big, 'z', 100000);
	r.original = span_make(big, 100000);
	r.return_full = true;
	r.return_max = 1 << 20;
	assert_int_equal(mail_dsn_build(&r, small, &out, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	free(big);
	arena_free(&small);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_reply_is_bounded),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_data_encoding),
		cmocka_unit_test(test_data_encoding_never_sends_a_bare_cr_or_lf),
		cmocka_unit_test(test_8bit_and_utf8),
		cmocka_unit_test(test_xtext),
		cmocka_unit_test(test_retry_table),
		cmocka_unit_test(test_retry_jitter_stays_within_its_percent),
		cmocka_unit_test(test_retry_policy_is_read_and_checked),
		cmocka_unit_test(test_destination_backoff),
		cmocka_unit_test(test_diagnostic_parse),
		cmocka_unit_test(test_advice_says_what_to_do),
		cmocka_unit_test(test_dsn_refuses_missing_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
