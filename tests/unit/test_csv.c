/*
 * CSV (core/csv.h): a table of fields as RFC 4180 and OWASP want them
 * written, and for thousands of random fields made of the awkward bytes
 * (comma, quote, CR, LF, the formula leaders, UTF-8) a reader following
 * RFC 4180 gets each field back whole, and none reads as a formula.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/csv.h"
#include "core/str.h"

static const struct {
	const char *field;
	const char *written;
} csv_cases[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "with space", "with space" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "line\nbreak", "\"line\nbreak\"" },
	{ "cr\rhere", "\"cr\rhere\"" },
	{ "crlf\r\n", "\"crlf\r\n\"" },
	/* OWASP: each formula leader gets a single quote before it. */
	{ "=1+1", "'=1+1" },
	{ "+44 20 7946 0000", "'+44 20 7946 0000" },
	{ "-2", "'-2" },
	{ "@SUM(A1:A2)", "'@SUM(A1:A2)" },
	{ "\tx", "'\tx" },
	{ "\r=x", "\"'\r=x\"" },	/* a CR also needs the quotes */
	{ "=HYPERLINK(\"http://x\",\"y\")",
	  "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
	{ "=a,b", "\"'=a,b\"" },
	/* Only the first character counts. */
	{ "a=b", "a=b" },
	{ "x-1", "x-1" },
	{ " =x", " =x" },
	{ "'quoted already", "'quoted already" },
	/* UTF-8 goes through byte for byte. */
	{ "Zo\xc3\xab \xc3\x98rsted", "Zo\xc3\xab \xc3\x98rsted" },
	{ "\xe6\x97\xa5\xe6\x9c\xac,\xe2\x82\xac",
	  "\"\xe6\x97\xa5\xe6\x9c\xac,\xe2\x82\xac\"" },
	{ "\xef\xbc\x9d" "1", "\xef\xbc\x9d" "1" },	/* fullwidth '=' */
};

static void
test_csv_fields_as_the_table_says(void **state)
{
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < sizeof(csv_cases) / sizeof(*csv_cases); i++) {
		struct str out;
		str_init(&out, a, 4096);
		assert_int_equal(csv_field(&out,
			span_from_cstr(csv_cases[i].field)), 0);
		if (strcmp(str_cstr(&out), csv_cases[i].written) != 0)
			fail_msg("case %zu: \"%s\" was written \"%s\"", i,
				csv_cases[i].field, str_cstr(&out));
	}
	arena_free(&a);
}

static void
test_csv_record_ends_in_crlf(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct str out;
	str_init(&out, a, 4096);
	const char *fields[] = { "id", NULL, "a,b", "=x" };
	assert_int_equal(csv_record(&out, fields, 4), 0);
	assert_string_equal(str_cstr(&out), "id,,\"a,b\",'=x\r\n");
	arena_free(&a);
}

static void
test_csv_stops_at_the_max(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct str out;
	str_init(&out, a, 8);
	assert_int_equal(csv_field(&out, span_from_cstr("1234567")), 0);
	str_init(&out, a, 8);
	assert_int_equal(csv_field(&out, span_from_cstr("a\"b\"c\"d")), -1);
	const char *fields[] = { "1234", "5678" };
	str_init(&out, a, 8);
	assert_int_equal(csv_record(&out, fields, 2), -1);
	arena_free(&a);
}

/*
 * An RFC 4180 reader: the fields of one record starting at *p (ended by
 * CRLF), into fields[] (each malloc'd). Returns the count, or -1 for text
 * that is not CSV.
 */
static int
read_record(const char **p, char **fields, int max)
{
	int n = 0;
	for (;;) {
		size_t cap = strlen(*p) + 1, len = 0;
		char *f = malloc(cap);
		if ((*p)[0] == '"') {
			(*p)++;
			for (;;) {
				if ((*p)[0] == '\0') {
					free(f);
					return -1;
				}
				if ((*p)[0] == '"' && (*p)[1] == '"') {
					f[len++] = '"';
					*p += 2;
				} else if ((*p)[0] == '"') {
					(*p)++;
					break;
				} else {
					f[len++] = *(*p)++;
				}
			}
		} else {
			while ((*p)[0] != ',' && (*p)[0] != '\r' &&
			       (*p)[0] != '\0') {
				if ((*p)[0] == '"' || (*p)[0] == '\n') {
					free(f);
					return -1;
				}
				f[len++] = *(*p)++;
			}
		}
		f[len] = '\0';
		if (n == max) {
			free(f);
			return -1;
		}
		fields[n++] = f;
		if ((*p)[0] == ',') {
			(*p)++;
			continue;
		}
		if ((*p)[0] == '\r' && (*p)[1] == '\n') {
			*p += 2;
			return n;
		}
		return -1;
	}
}

static void
test_csv_reads_back_whole_and_never_as_a_formula(void **state)
{
	/* The bytes that make CSV hard, and UTF-8 sequences. */
	static const char *const pieces[] = {
		",", "\"", "\r", "\n", "\r\n", "=", "+", "-", "@", "\t", "'",
		"a", "Z", " ", "\xc3\xab", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	};
	const size_t npieces = sizeof(pieces) / sizeof(*pieces);
	struct arena *a = arena_new(8 << 20);
	srand(4180);
	for (int round = 0; round < 3000; round++) {
		char given[3][64];
		const char *fields[3];
		for (int k = 0; k < 3; k++) {
			given[k][0] = '\0';
			int count = rand() % 8;
			for (int j = 0; j < count; j++) {
				const char *piece = pieces[(size_t)rand() %
					npieces];
				size_t used = strlen(given[k]);
				memcpy(given[k] + used, piece,
					strlen(piece) + 1);
			}
			fields[k] = given[k];
		}
		struct str out;
		str_init(&out, a, 1024);
		assert_int_equal(csv_record(&out, fields, 3), 0);
		const char *p = str_cstr(&out);
		char *read[4];
		int n = read_record(&p, read, 4);
		if (n != 3 || p[0] != '\0')
			fail_msg("round %d: %d fields, or text left over", round,
				n);
		for (int k = 0; k < 3; k++) {
			/* A spreadsheet sees the quote; the field follows. */
			bool formula = csv_is_formula(span_from_cstr(
				given[k]));
			const char *back = read[k] + (formula ? 1 : 0);
			if (formula && read[k][0] != '\'')
				fail_msg("round %d: a formula was not defended",
					round);
			assert_false(csv_is_formula(span_from_cstr(read[k])));
			assert_string_equal(back, given[k]);
			free(read[k]);
		}
		arena_reset(a);
	}
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_fields_as_the_table_says),
		cmocka_unit_test(test_csv_record_ends_in_crlf),
		cmocka_unit_test(test_csv_stops_at_the_max),
		cmocka_unit_test(
			test_csv_reads_back_whole_and_never_as_a_formula),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
