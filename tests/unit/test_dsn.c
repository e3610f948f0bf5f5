/*
 * The RFC 3461 rules as tables: which reports each NOTIFY asks for (every
 * value against every action), NOTIFY and ORCPT kept and read back alike,
 * ORCPT passed on and reported as the sender gave it (RFC 6533 for
 * utf-8), RET=FULL bounded by the size a report carries, and which reports
 * take RFC 6533's global types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dsn.h"

static const enum mail_dsn_action all_actions[] = { MAIL_DSN_FAILED,
	MAIL_DSN_DELAYED, MAIL_DSN_DELIVERED, MAIL_DSN_RELAYED,
	MAIL_DSN_EXPANDED };

/*
 * Every NOTIFY a client may give, in its stored form, and the reports it
 * asks for: f failed, d delayed, s delivered, relayed and expanded.
 */
static const struct {
	const char *notify;
	const char *wants;
} notify_cases[] = {
	{ "", "fd" },		/* none given: RFC 3461 §4.1's default */
	{ "NEVER", "" },
	{ "SUCCESS", "s" },
	{ "FAILURE", "f" },
	{ "DELAY", "d" },
	{ "SUCCESS,FAILURE", "sf" },
	{ "SUCCESS,DELAY", "sd" },
	{ "FAILURE,DELAY", "fd" },
	{ "SUCCESS,FAILURE,DELAY", "sfd" },
};

static char
action_letter(enum mail_dsn_action a)
{
	return a == MAIL_DSN_FAILED ? 'f' : a == MAIL_DSN_DELAYED ? 'd' : 's';
}

static void
test_notify_wants_every_action(void **state)
{
	for (size_t i = 0; i < sizeof(notify_cases) / sizeof(*notify_cases);
	     i++) {
		const char *text = notify_cases[i].notify;
		unsigned notify = mail_dsn_notify_stored(text), given;
		struct error err;
		/* "" is what a row keeps when the client gave no NOTIFY. */
		if (text[0] != '\0') {
			assert_int_equal(mail_dsn_notify_parse(span_from_cstr(
				text), &given, &err), 0);
			assert_int_equal(given, notify);
		}
		for (size_t j = 0; j < sizeof(all_actions) /
			     sizeof(*all_actions); j++) {
			bool want = strchr(notify_cases[i].wants,
				action_letter(all_actions[j])) != NULL;
			if (mail_dsn_notify_wants(notify, all_actions[j]) != want)
				fail_msg("NOTIFY '%s', %s: expected %s",
					notify_cases[i].notify,
					mail_dsn_action_name(all_actions[j]),
					want ? "a report" : "none");
		}
	}
}

/*
 * Stored text reads back as the bits it came from, for every value; a
 * client's text is the same but for none given, which it cannot send.
 */
static void
test_notify_round_trip(void **state)
{
	for (unsigned bits = 0; bits < 16; bits++) {
		bool valid = !(bits & MAIL_DSN_NOTIFY_NEVER) ||
			bits == MAIL_DSN_NOTIFY_NEVER;
		char text[MAIL_DSN_NOTIFY_TEXT];
		mail_dsn_notify_text(bits, text);
		if (valid && mail_dsn_notify_stored(text) != bits)
			fail_msg("%u -> '%s' -> %u stored", bits, text,
				mail_dsn_notify_stored(text));
		unsigned back;
		struct error err;
		int rc = mail_dsn_notify_parse(span_from_cstr(text), &back,
			&err);
		if (bits == 0) {
			if (rc != -1 || strstr(err.msg, "needs a value") == NULL)
				fail_msg("an empty NOTIFY was taken");
			continue;
		}
		if (valid && (rc != 0 || back != bits))
			fail_msg("%u -> '%s' -> %u", bits, text, back);
		if (!valid && rc != -1)
			fail_msg("'%s' was taken", text);
	}
}

/*
 * The parameters' values as the domain reads them (the SMTP front end's
 * dispatch is test_smtp.c's): each decoded, or refused with a sentence
 * that holds `why`. param: R RET, E ENVID, N NOTIFY, O ORCPT.
 */
#define S MAIL_DSN_NOTIFY_SUCCESS
#define F MAIL_DSN_NOTIFY_FAILURE
#define D MAIL_DSN_NOTIFY_DELAY
#define N MAIL_DSN_NOTIFY_NEVER
static const struct {
	char param;
	const char *value;
	const char *want;	/* R, E, O: the value read */
	unsigned notify;	/* N: the bits read */
	const char *why;	/* NULL: read; else words the refusal holds */
} value_cases[] = {
	{ 'R', "FULL", "FULL", 0, NULL },
	{ 'R', "hdrs", "HDRS", 0, NULL },
	{ 'R', "BODY", NULL, 0, "FULL or HDRS" },
	{ 'R', "", NULL, 0, "FULL or HDRS" },
	{ 'E', "Q123", "Q123", 0, NULL },
	{ 'E', "Q+2B1+3D2", "Q+1=2", 0, NULL },
	{ 'E', "a+20b+2b", "a b+", 0, NULL },
	{ 'E', "", NULL, 0, "empty" },
	{ 'E', "a+2", NULL, 0, "xtext" },
	{ 'E', "a+ZZb", NULL, 0, "xtext" },
	{ 'E', "a=b", NULL, 0, "xtext" },
	{ 'E', "\xc3\xa9", NULL, 0, "xtext" },
	{ 'E', "ok+0D+0ABcc:x", NULL, 0, "printable" },
	{ 'E', "+C3+A9", NULL, 0, "printable" },
	{ 'N', "SUCCESS,FAILURE", NULL, S | F, NULL },
	{ 'N', "delay,Success", NULL, S | D, NULL },
	{ 'N', "NEVER", NULL, N, NULL },
	{ 'N', "FAILURE,DELAY,SUCCESS", NULL, S | F | D, NULL },
	{ 'N', "NEVER,SUCCESS", NULL, 0, "cannot be combined" },
	{ 'N', "FAILURE,NEVER", NULL, 0, "cannot be combined" },
	{ 'N', "SUCCESS,SUCCESS", NULL, 0, "twice" },
	{ 'N', "", NULL, 0, "needs a value" },
	{ 'N', "SUCCESS,", NULL, 0, "comma" },
	{ 'N', ",SUCCESS", NULL, 0, "NEVER, or" },
	{ 'N', "ALWAYS", NULL, 0, "NEVER, or" },
	{ 'O', "rfc822;bob@x.example", "rfc822;bob@x.example", 0, NULL },
	{ 'O', "RFC822;Bob+2Bx@X.example", "rfc822;Bob+x@X.example", 0, NULL },
	{ 'O', "utf-8;j\\x{F6}rg@x.example", "utf-8;j\xc3\xb6rg@x.example", 0,
	  NULL },
	{ 'O', "UTF-8;j\xc3\xb6rg@x.example", "utf-8;j\xc3\xb6rg@x.example", 0,
	  NULL },
	{ 'O', "utf-8;a\\x{2B}b@x", "utf-8;a+b@x", 0, NULL },
	{ 'O', "x400;c=gb", NULL, 0, "rfc822 or utf-8" },
	{ 'O', "bob@x.example", NULL, 0, "semicolon" },
	{ 'O', "rfc822;", NULL, 0, "semicolon" },
	{ 'O', ";bob@x", NULL, 0, "semicolon" },
	{ 'O', "rfc822;a+0D+0Ab", NULL, 0, "printable" },
	{ 'O', "rfc822;j\xc3\xb6rg@x", NULL, 0, "xtext" },
	{ 'O', "utf-8;a\\x{D800}b", NULL, 0, "UTF-8" },
	{ 'O', "utf-8;a\\x{1}b", NULL, 0, "UTF-8" },
	{ 'O', "utf-8;a\\x{110000}b", NULL, 0, "UTF-8" },
	{ 'O', "utf-8;a\\yb", NULL, 0, "UTF-8" },
	{ 'O', "utf-8;a\xc3(b", NULL, 0, "UTF-8" },
	{ 'O', "utf-8;\xc3\xb6r=g\xc3\xb6", NULL, 0, "xtext" },
};
#undef S
#undef F
#undef D
#undef N

static void
test_param_values(void **state)
{
	for (size_t i = 0; i < sizeof(value_cases) / sizeof(*value_cases);
	     i++) {
		const char *v = value_cases[i].value, *ret = NULL;
		char buf[MAIL_DSN_ORCPT_MAX + 1] = "";
		unsigned notify = 0;
		struct error err;
		error_clear(&err);
		struct span value = span_from_cstr(v);
		int rc;
		switch (value_cases[i].param) {
		case 'R':
			rc = mail_dsn_ret_parse(value, &ret, &err);
			if (ret != NULL)
				str_copy(buf, sizeof(buf), ret);
			break;
		case 'E':
			rc = mail_dsn_envid_parse(value, buf, sizeof(buf), &err);
			break;
		case 'N':
			rc = mail_dsn_notify_parse(value, &notify, &err);
			break;
		default:
			rc = mail_dsn_orcpt_parse(value, buf, sizeof(buf), &err);
			break;
		}
		const char *why = value_cases[i].why;
		if (why != NULL) {
			if (rc != -1 || err.code != ERROR_INVALID ||
			    strstr(err.msg, why) == NULL)
				fail_msg("%c '%s': rc %d '%s', want '%s'",
					value_cases[i].param, v, rc, err.msg,
					why);
			continue;
		}
		if (rc != 0)
			fail_msg("%c '%s': refused: %s", value_cases[i].param,
				v, err.msg);
		if (value_cases[i].param == 'N' ?
			notify != value_cases[i].notify :
			strcmp(buf, value_cases[i].want) != 0)
			fail_msg("%c '%s': read '%s' %u", value_cases[i].param,
				v, buf, notify);
	}
}

/* Kept, passed on and read again, an ORCPT is what the sender gave. */
static void
test_orcpt_survives_every_hop(void **state)
{
	static const char *const given[] = {
		"rfc822;bob@partner.test",
		"RFC822;Bob+2Bfilter@Partner.test",
		"rfc822;odd+3D+2B+5Cchars+20here@x.test",
		"utf-8;j\\x{F6}rg@b\\x{FC}cher.example",
		"utf-8;\xe7\x8e\x8b@\xe4\xbe\x8b\xe5\xad\x90.example",
		"utf-8;a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}e@x",
	};
	for (size_t i = 0; i < sizeof(given) / sizeof(*given); i++) {
		char kept[MAIL_DSN_ORCPT_MAX + 1], wire[1200];
		char again[MAIL_DSN_ORCPT_MAX + 1];
		struct error err;
		if (mail_dsn_orcpt_parse(span_from_cstr(given[i]), kept,
			    sizeof(kept), &err) < 0)
			fail_msg("'%s': %s", given[i], err.msg);
		assert_true(mail_dsn_orcpt_encode(kept, wire, sizeof(wire)));
		/* On the wire: xtext, so no space, "=" or 8-bit byte. */
		for (const char *p = wire; *p != '\0'; p++)
			assert_true(*p > ' ' && *p < 0x7f && *p != '=');
		if (mail_dsn_orcpt_parse(span_from_cstr(wire), again,
			    sizeof(again), &err) < 0)
			fail_msg("'%s' as sent '%s': %s", given[i], wire,
				err.msg);
		assert_string_equal(kept, again);
	}
}

/*
 * RFC 3461 §4.2: a server need take no ORCPT past 500 characters, so one
 * that would grow past it when written again (RFC 6533 spells "=" as
 * six characters where xtext took three) is not sent on.
 */
static void
test_orcpt_sent_on_only_within_500(void **state)
{
	char given[400], kept[MAIL_DSN_ORCPT_MAX + 1], wire[1200];
	size_t n = (size_t)snprintf(given, sizeof(given), "utf-8;");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(given + n, sizeof(given) - n, "+3D");
	snprintf(given + n, sizeof(given) - n, "@x");
	struct error err;
	assert_int_equal(mail_dsn_orcpt_parse(span_from_cstr(given), kept,
		sizeof(kept), &err), 0);
	assert_false(mail_dsn_orcpt_encode(kept, wire, sizeof(wire)));
	/* 70 of them make 6 + 420 + 2: within the limit, so it goes. */
	snprintf(kept + 6 + 70, sizeof(kept) - 6 - 70, "@x");
	assert_true(mail_dsn_orcpt_encode(kept, wire, sizeof(wire)));
	assert_int_equal(strlen(wire), 6 + 70 * 6 + 2);
}

static void
test_orcpt_field(void **state)
{
	static const struct {
		const char *kept;
		const char *field;	/* message/delivery-status */
		const char *global;	/* message/global-delivery-status */
	} cases[] = {
		{ "rfc822;Bob@Partner.test", "rfc822; Bob@Partner.test",
		  "rfc822; Bob@Partner.test" },
		{ "rfc822;a b@x", "rfc822; a b@x", "rfc822; a b@x" },
		/* A bare address (the CLI's --orcpt) is an rfc822 one. */
		{ "bob@x.test", "rfc822; bob@x.test", "rfc822; bob@x.test" },
		/*
		 * RFC 6533 §3: ASCII only (utf-8-addr-xtext) in
		 * message/delivery-status; the address itself
		 * (utf-8-address) in the global form.
		 */
		{ "utf-8;j\xc3\xb6rg@x.example", "utf-8; j\\x{F6}rg@x.example",
		  "utf-8; j\xc3\xb6rg@x.example" },
		{ "utf-8;a+b@x", "utf-8; a\\x{2B}b@x", "utf-8; a+b@x" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char field[600];
		assert_true(mail_dsn_orcpt_field(cases[i].kept, false, field,
			sizeof(field)));
		assert_string_equal(field, cases[i].field);
		assert_true(mail_dsn_orcpt_field(cases[i].kept, true, field,
			sizeof(field)));
		assert_string_equal(field, cases[i].global);
	}
	char small[8];
	assert_false(mail_dsn_orcpt_field("rfc822;bob@x.test", false, small,
		sizeof(small)));
	assert_false(mail_dsn_orcpt_field("utf-8;j\xc3\xb6rg@x.example", true,
		small, sizeof(small)));
}

static const char original[] =
	"From: ann@example.nhs.uk\r\n"
	"Subject: Results\r\n"
	"\r\n"
	"The body text.\r\n";

static struct span
build(struct arena *a, bool full, size_t max, const char *orcpt)
{
	struct mail_dsn_recipient rc = { .final_recipient = "b@x.test",
		.original_recipient = orcpt, .action = MAIL_DSN_FAILED,
		.status = "5.1.1" };
	struct mail_dsn_report r = { .reporting_mta = "mx.example.nhs.uk",
		.postmaster = "postmaster@example.nhs.uk",
		.original_sender = "ann@example.nhs.uk", .now = 1800000000,
		.original = span_make(original, sizeof(original) - 1),
		.return_full = full, .return_max = max,
		.recipients = &rc, .recipient_count = 1, .unique = "abc" };
	struct span out;
	struct error err;
	assert_int_equal(mail_dsn_build(&r, a, &out, &err), 0);
	return out;
}

static bool
holds(struct span s, const char *text)
{
	return memmem(s.p, s.len, text, strlen(text)) != NULL;
}

/* RET=FULL returns the message only up to the size a report carries. */
static void
test_ret_full_is_bounded(void **state)
{
	struct arena *a = arena_new(1 << 20);
	size_t size = sizeof(original) - 1;
	struct span whole = build(a, true, size, NULL);
	assert_true(holds(whole, "message/rfc822"));
	assert_true(holds(whole, "The body text."));
	assert_false(holds(whole, "only its header"));
	struct span cut = build(a, true, size - 1, NULL);
	assert_true(holds(cut, "text/rfc822-headers"));
	assert_false(holds(cut, "The body text."));
	assert_true(holds(cut, "only its header is attached"));
	/* outbound.report_return_max_kb = 0: never the whole message. */
	struct span never = build(a, true, 0, NULL);
	assert_false(holds(never, "The body text."));
	assert_true(holds(never, "returns only its header"));
	struct span hdrs = build(a, false, size, NULL);
	assert_true(holds(hdrs, "text/rfc822-headers"));
	assert_false(holds(hdrs, "The body text."));
	assert_false(holds(hdrs, "only its header"));
	arena_free(&a);
}

static const char original_8bit_header[] =
	"From: ann@example.nhs.uk\r\n"
	"Subject: R\xc3\xa9sultats\r\n"
	"\r\n"
	"The body text.\r\n";

static const char original_8bit_body[] =
	"From: ann@example.nhs.uk\r\n"
	"Subject: Results\r\n"
	"\r\n"
	"The body text, caf\xc3\xa9.\r\n";

/*
 * Which reports are RFC 6533's global ones, and what each part is then
 * called. Everything about a report that is not global stays as it was.
 */
static const struct {
	const char *name;
	const char *sender;
	const char *final;		/* Final-Recipient's address */
	const char *orcpt;		/* as kept; NULL: none */
	const char *original;
	bool full;			/* RET=FULL, within the size */
	bool global;
	const char *returned;		/* the third part's type */
	const char *final_field;	/* Final-Recipient: as written */
	const char *orcpt_field;	/* Original-Recipient:; NULL: none */
} global_cases[] = {
	{ "ASCII", "ann@example.nhs.uk", "b@x.test", "rfc822;B@x.test",
	  original, false, false, "text/rfc822-headers",
	  "rfc822; b@x.test", "rfc822; B@x.test" },
	{ "ASCII, RET=FULL", "ann@example.nhs.uk", "b@x.test", NULL,
	  original, true, false, "message/rfc822", "rfc822; b@x.test", NULL },
	/* 8BITMIME's body is message/rfc822's to carry. */
	{ "8-bit body, RET=FULL", "ann@example.nhs.uk", "b@x.test", NULL,
	  original_8bit_body, true, false, "message/rfc822",
	  "rfc822; b@x.test", NULL },
	{ "UTF-8 recipient", "ann@example.nhs.uk", "j\xc3\xb6rg@x.example",
	  NULL, original, false, true, "message/global-headers",
	  "utf-8; j\xc3\xb6rg@x.example", NULL },
	{ "UTF-8 recipient, RET=FULL", "ann@example.nhs.uk",
	  "j\xc3\xb6rg@x.example", "utf-8;j\xc3\xb6rg@x.example", original,
	  true, true, "message/global", "utf-8; j\xc3\xb6rg@x.example",
	  "utf-8; j\xc3\xb6rg@x.example" },
	/* The sender's ORCPT as given, the address tried in ASCII. */
	{ "UTF-8 ORCPT", "ann@example.nhs.uk", "b@x.test",
	  "utf-8;j\xc3\xb6rg@x.example", original, false, true,
	  "message/global-headers", "rfc822; b@x.test",
	  "utf-8; j\xc3\xb6rg@x.example" },
	{ "UTF-8 sender", "\xc3\xa5sa@example.nhs.uk", "b@x.test", NULL,
	  original, false, true, "message/global-headers",
	  "rfc822; b@x.test", NULL },
	{ "8-bit header", "ann@example.nhs.uk", "b@x.test", NULL,
	  original_8bit_header, false, true, "message/global-headers",
	  "rfc822; b@x.test", NULL },
	{ "8-bit header, RET=FULL", "ann@example.nhs.uk", "b@x.test", NULL,
	  original_8bit_header, true, true, "message/global",
	  "rfc822; b@x.test", NULL },
};

static void
test_global_report_types(void **state)
{
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < sizeof(global_cases) / sizeof(*global_cases);
	     i++) {
		struct mail_dsn_recipient rc = {
			.final_recipient = global_cases[i].final,
			.original_recipient = global_cases[i].orcpt,
			.action = MAIL_DSN_FAILED, .status = "5.1.1" };
		const char *original_text = global_cases[i].original;
		struct mail_dsn_report r = {
			.reporting_mta = "mx.example.nhs.uk",
			.postmaster = "postmaster@example.nhs.uk",
			.original_sender = global_cases[i].sender,
			.now = 1800000000,
			.original = span_from_cstr(original_text),
			.return_full = global_cases[i].full,
			.return_max = 1 << 16,
			.recipients = &rc, .recipient_count = 1,
			.unique = "abc" };
		struct span out;
		struct error err;
		assert_int_equal(mail_dsn_build(&r, a, &out, &err), 0);
		bool global = global_cases[i].global;
		char want[256];
		if (mail_dsn_is_global(&r) != global)
			fail_msg("%s: is_global should be %d",
				global_cases[i].name, global);
		snprintf(want, sizeof(want), "report-type=%s;",
			global ? "global-delivery-status" : "delivery-status");
		if (!holds(out, want))
			fail_msg("%s: no %s", global_cases[i].name, want);
		snprintf(want, sizeof(want), "\r\nContent-Type: %s\r\n",
			global ? "message/global-delivery-status" :
			"message/delivery-status");
		if (!holds(out, want))
			fail_msg("%s: no %s", global_cases[i].name, want);
		snprintf(want, sizeof(want), "\r\nContent-Type: %s\r\n",
			global_cases[i].returned);
		if (!holds(out, want))
			fail_msg("%s: no %s", global_cases[i].name, want);
		snprintf(want, sizeof(want), "\r\nFinal-Recipient: %s\r\n",
			global_cases[i].final_field);
		if (!holds(out, want))
			fail_msg("%s: no %s", global_cases[i].name, want);
		if (global_cases[i].orcpt_field != NULL) {
			snprintf(want, sizeof(want),
				"\r\nOriginal-Recipient: %s\r\n",
				global_cases[i].orcpt_field);
			if (!holds(out, want))
				fail_msg("%s: no %s", global_cases[i].name,
					want);
		}
		/* A report that is not global says nothing of the kind. */
		if (!global && holds(out, "global"))
			fail_msg("%s: 'global' in an ASCII report",
				global_cases[i].name);
	}
	arena_free(&a);
}

/*
 * In a global report only an address may be UTF-8: a remote's reply is
 * still made printable ASCII, and a bad UTF-8 byte is not passed on.
 */
static void
test_global_report_keeps_fields_clean(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct mail_dsn_recipient rc = {
		.final_recipient = "j\xc3\xb6rg@x.example",
		.action = MAIL_DSN_FAILED, .status = "5.1.1",
		.diagnostic = "550 5.1.1 n\xc3\xa4h\r\nBcc: v@else.test",
		.diagnostic_is_reply = true };
	struct mail_dsn_report r = { .reporting_mta = "mx.example.nhs.uk",
		.postmaster = "postmaster@example.nhs.uk",
		.original_sender = "ann@example.nhs.uk", .now = 1800000000,
		.envid = "Q\xc3\xa9\xff",
		.original = span_make(original, sizeof(original) - 1),
		.recipients = &rc, .recipient_count = 1, .unique = "abc" };
	struct span out;
	struct error err;
	assert_int_equal(mail_dsn_build(&r, a, &out, &err), 0);
	assert_true(holds(out, "message/global-delivery-status"));
	assert_false(holds(out, "n\xc3\xa4h"));
	assert_false(holds(out, "\r\nBcc:"));
	assert_false(holds(out, "\xff"));
	assert_false(holds(out, "Q\xc3\xa9"));
	assert_true(holds(out, "Final-Recipient: utf-8; j\xc3\xb6rg@x.example"));
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_wants_every_action),
		cmocka_unit_test(test_notify_round_trip),
		cmocka_unit_test(test_param_values),
		cmocka_unit_test(test_orcpt_survives_every_hop),
		cmocka_unit_test(test_orcpt_sent_on_only_within_500),
		cmocka_unit_test(test_orcpt_field),
		cmocka_unit_test(test_ret_full_is_bounded),
		cmocka_unit_test(test_global_report_types),
		cmocka_unit_test(test_global_report_keeps_fields_clean),
	};
	return cmocka_run_group_tests_name("dsn", tests, NULL, NULL);
}
