/*
 * Address rules (SPEC D3) and dynamic-list rule matching, as tables of
 * cases. Includes the seeds' defects: leading, trailing and consecutive dots
 * (seed 002 PBI9938).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_address.h"
#include "dir/dir_rule.h"

struct address_case {
	const char *input;
	const char *normalised;	/* NULL: must be refused */
	const char *message;	/* a fragment of the refusal */
};

static const struct address_case address_cases[] = {
	{ "jo.smith@trust.nhs.example", "jo.smith@trust.nhs.example", NULL },
	{ "Jo.Smith@Trust.NHS.Example", "jo.smith@trust.nhs.example", NULL },
	{ "  jo@example.org  ", "jo@example.org", NULL },
	{ "o'brien+tag@example.org", "o'brien+tag@example.org", NULL },
	{ "a!#$%&'*+-/=?^_`{|}~z@example.org",
	  "a!#$%&'*+-/=?^_`{|}~z@example.org", NULL },
	{ "single@localhost", "single@localhost", NULL },
	{ ".jo@example.org", NULL, "cannot start with a dot" },
	{ "jo.@example.org", NULL, "cannot end with a dot" },
	{ "j..o@example.org", NULL, "two dots in a row" },
	{ "jo@example..org", NULL, "empty part" },
	{ "jo@.example.org", NULL, "empty part" },
	{ "jo@example.org.", NULL, "empty part" },
	{ "jo@-example.org", NULL, "hyphen" },
	{ "jo@example-.org", NULL, "hyphen" },
	{ "jo smith@example.org", NULL, "not allowed before the @" },
	{ "\"jo\"@example.org", NULL, "not allowed before the @" },
	{ "jo(x)@example.org", NULL, "not allowed before the @" },
	{ "jo@exa_mple.org", NULL, "not allowed in a domain" },
	{ "jo@@example.org", NULL, "only one @" },
	{ "jo@a@example.org", NULL, "only one @" },
	{ "jo.example.org", NULL, "needs an @" },
	{ "@example.org", NULL, "empty" },
	{ "jo@", NULL, "domain is empty" },
	{ "", NULL, "empty" },
	{ "j\xc3\xb6@example.org", NULL, "not allowed before the @" },
	{ "jo@\xc3\xa9xample.org", NULL, "not allowed in a domain" },
	{ "x\r\nRCPT@example.org", NULL, "not allowed before the @" },
	{ "x@example.org\r\nRCPT", NULL, "not allowed in a domain" },
};

static void
test_address_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(address_cases) / sizeof(*address_cases);
	     i++) {
		const struct address_case *c = &address_cases[i];
		struct dir_address addr;
		struct error err;
		error_clear(&err);
		int rc = dir_address_parse(span_from_cstr(c->input), &addr, &err);
		if (c->normalised != NULL) {
			if (rc != 0)
				fail_msg("'%s' refused: %s", c->input, err.msg);
			assert_string_equal(addr.text, c->normalised);
			assert_int_equal(addr.text[addr.local_len], '@');
		} else {
			if (rc == 0)
				fail_msg("'%s' accepted as %s", c->input,
					addr.text);
			assert_int_equal(err.code, ERROR_INVALID);
			if (strstr(err.msg, c->message) == NULL)
				fail_msg("'%s': message '%s' lacks '%s'",
					c->input, err.msg, c->message);
		}
	}
}

static void
test_address_lengths(void **state)
{
	(void)state;
	char text[400];
	struct dir_address addr;
	struct error err;
	/* 64 octets of local part is the RFC 5321 limit; 65 is refused. */
	memset(text, 'a', 64);
	memcpy(text + 64, "@example.org", 13);
	assert_int_equal(dir_address_parse(span_from_cstr(text), &addr, &err), 0);
	memset(text, 'a', 65);
	memcpy(text + 65, "@example.org", 13);
	assert_int_equal(dir_address_parse(span_from_cstr(text), &addr, &err), -1);
	assert_non_null(strstr(err.msg, "longer than 64"));
	/* A 64-octet label is refused; 63 is fine. */
	snprintf(text, sizeof(text), "a@%.*s.org", 64,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(dir_address_parse(span_from_cstr(text), &addr, &err), -1);
	snprintf(text, sizeof(text), "a@%.*s.org", 63,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(dir_address_parse(span_from_cstr(text), &addr, &err), 0);
	/* Over 254 in all is refused even with valid parts. */
	memset(text, 0, sizeof(text));
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%.60s@",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	for (int i = 0; i < 4; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%.60s.",
			"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	snprintf(text + n, sizeof(text) - n, "org");
	assert_true(strlen(text) > 254);
	assert_int_equal(dir_address_parse(span_from_cstr(text), &addr, &err), -1);
}

struct names_case {
	const char *first, *last;
	const char *local;	/* NULL: refused */
};

static const struct names_case names_cases[] = {
	{ "Jo", "Smith", "jo.smith" },
	{ "Zo\xc3\xab", "Brontë", "zoe.bronte" },
	{ "Si\xc3\xa2n", "Llewellyn", "sian.llewellyn" },
	{ "Jos\xc3\xa9", "N\xc3\xba\xc3\xb1""ez", "jose.nunez" },
	{ "Mary Anne", "O'Brien", "maryanne.obrien" },
	{ "Anne-Marie", "Smith-Jones", "anne-marie.smith-jones" },
	{ "-Jo-", "Smith", "jo.smith" },
	{ "\xc5\x81ukasz", "Wi\xc5\x9bniewski", "lukasz.wisniewski" },
	{ "!!!", "Smith", NULL },
	{ "Jo", "\xe4\xb8\xad\xe6\x96\x87", NULL },
	{ "", "Smith", NULL },
};

static void
test_local_from_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(names_cases) / sizeof(*names_cases); i++) {
		const struct names_case *c = &names_cases[i];
		char buf[80];
		struct error err;
		int rc = dir_address_local_from_names(c->first, c->last, buf,
			sizeof(buf), &err);
		if (c->local == NULL) {
			if (rc == 0)
				fail_msg("%s %s gave %s", c->first, c->last, buf);
			continue;
		}
		if (rc != 0)
			fail_msg("%s %s refused: %s", c->first, c->last, err.msg);
		assert_string_equal(buf, c->local);
	}
	char buf[80];
	struct error err;
	assert_int_equal(dir_address_local_from_name("Reception Team", buf,
				 sizeof(buf), &err), 0);
	assert_string_equal(buf, "reception.team");
	assert_int_equal(dir_address_local_from_name("  GP  Partners (All) ",
				 buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "gp.partners.all");
}

static void
test_generated_local_is_bounded(void **state)
{
	(void)state;
	char first[300], buf[80];
	memset(first, 'a', sizeof(first) - 1);
	first[sizeof(first) - 1] = '\0';
	struct error err;
	assert_int_equal(dir_address_local_from_names(first, "Smith", buf,
				 sizeof(buf), &err), 0);
	/* Room is left for a numeric suffix within the 64-octet limit. */
	assert_true(strlen(buf) <= DIR_ADDRESS_LOCAL_MAX - 5);
}

static void
test_rule_parse(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 20);
	struct dir_rule rule;
	struct error err;
	const char *good = "{\"orgs\":[\"QWE\"],\"include_children\":true,"
			   "\"job_titles\":[\"Pharmacist\"]}";
	assert_int_equal(dir_rule_parse(span_from_cstr(good), a, &rule, &err), 0);
	assert_int_equal(rule.orgs.count, 1);
	assert_true(rule.include_children);
	assert_string_equal(dir_rule_format(&rule, a),
		"{\"include_children\":true,\"job_titles\":[\"Pharmacist\"],"
		"\"orgs\":[\"QWE\"]}");
	const char *bad[] = { "[]", "{\"job_title\":[\"x\"]}",
		"{\"orgs\":\"QWE\"}", "{\"orgs\":[1]}", "{\"orgs\":[\"\"]}",
		"{\"include_children\":1}", "{", "{\"orgs\":[],\"orgs\":[]}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (dir_rule_parse(span_from_cstr(bad[i]), a, &rule, &err) == 0)
			fail_msg("rule %s accepted", bad[i]);
		assert_int_equal(err.code, ERROR_INVALID);
	}
	arena_free(&a);
}

static void
test_rule_matches(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 20);
	struct dir_rule rule;
	struct error err;
	assert_int_equal(dir_rule_parse(span_from_cstr(
		"{\"job_titles\":[\"pharmacist\"],\"site_types\":[\"pharmacy\"],"
		"\"roles\":[\"local_admin\"]}"), a, &rule, &err), 0);
	const int64_t orgs[] = { 2, 5, 9 };
	const char *la[] = { "local_admin" };
	const char *none[] = { "helpdesk_admin" };
	struct {
		struct dir_rule_facts facts;
		bool expected;
	} cases[] = {
		{ { 5, "High St", "pharmacy", "Pharmacist", "", la, 1 }, true },
		{ { 4, "High St", "pharmacy", "Pharmacist", "", la, 1 }, false },
		{ { 5, "High St", "gp_practice", "Pharmacist", "", la, 1 }, false },
		{ { 5, "High St", "pharmacy", "Pharmacy Technician", "", la, 1 },
		  false },
		{ { 5, "High St", "pharmacy", "PHARMACIST", "", la, 1 }, true },
		{ { 5, "High St", "pharmacy", "Pharmacist", "", none, 1 }, false },
		{ { 5, "High St", "pharmacy", "Pharmacist", "", NULL, 0 }, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bool got = dir_rule_matches(&rule, orgs, 3, &cases[i].facts);
		if (got != cases[i].expected)
			fail_msg("case %zu: expected %d", i, cases[i].expected);
	}
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_table),
		cmocka_unit_test(test_address_lengths),
		cmocka_unit_test(test_local_from_names),
		cmocka_unit_test(test_generated_local_is_bounded),
		cmocka_unit_test(test_rule_parse),
		cmocka_unit_test(test_rule_matches),
	};
	return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
