/*
 * CSV (core/csv.h): a table of fields as RFC 4180 and OWASP want them
 * written, and for thousands of random fields made of the awkward bytes
 * (comma, quote, CR, LF, the formula leaders, UTF-8) a reader following
 * RFC 4180 gets each field back whole, and none reads as a formula. And
 * the audit download (dir_csv.c) on a real store: every row across the
 * store's pages, in order, within the orgs asked for, refused past its
 * row and byte bounds.
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
#include "core/error.h"
#include "core/spool.h"
#include "core/str.h"
#include "dir/dir.h"
#include "store/store_audit.h"
#include "unit_instance.h"

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

/* What csv_read_record makes of a file: its records, fields by "|". */
static const struct {
	const char *text;
	const char *records[4];	/* NULL ends; "ERR" for a refusal */
} read_cases[] = {
	{ "", { NULL } },
	{ "a,b\r\nc,d\r\n", { "a|b", "c|d", NULL } },
	{ "a,b\nc,d", { "a|b", "c|d", NULL } },	/* LF, no last ending */
	{ "a,b\rc,d\r", { "a|b", "c|d", NULL } },	/* lone CR */
	{ "\xEF\xBB\xBFid,name\n", { "id|name", NULL } },	/* BOM */
	{ "\"a,b\",c\n", { "a,b|c", NULL } },
	{ "\"say \"\"hi\"\"\",x\n", { "say \"hi\"|x", NULL } },
	{ "\"two\r\nlines\",x\r\ny,z\r\n", { "two\r\nlines|x", "y|z",
						 NULL } },
	{ ",,\n", { "||", NULL } },
	{ "\"\",\"\"\n", { "|", NULL } },
	{ "\n", { "", NULL } },
	{ "Zo\xc3\xab,\xe2\x82\xac\n", { "Zo\xc3\xab|\xe2\x82\xac", NULL } },
	{ "a\"b,c\n", { "ERR", NULL } },
	{ "\"open,c\n", { "ERR", NULL } },
	{ "\"a\"b,c\n", { "ERR", NULL } },
	{ "ok\n\"a\" ,c\n", { "ok", "ERR", NULL } },
};

static void
test_csv_reads_as_the_table_says(void **state)
{
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < sizeof(read_cases) / sizeof(*read_cases); i++) {
		struct csv_reader r;
		csv_reader_init(&r, span_from_cstr(read_cases[i].text));
		for (size_t k = 0;; k++) {
			const char *want = read_cases[i].records[k];
			char **fields;
			size_t n;
			struct error err;
			int rc = csv_read_record(&r, a, &fields, &n, &err);
			if (want == NULL) {
				if (rc != 0)
					fail_msg("case %zu: a record too many", i);
				break;
			}
			if (strcmp(want, "ERR") == 0) {
				if (rc != -1 || err.code != ERROR_INVALID ||
				    strstr(err.msg, "line ") == NULL)
					fail_msg("case %zu: not refused", i);
				break;
			}
			if (rc != 1)
				fail_msg("case %zu: record %zu missing", i, k);
			struct str got;
			str_init(&got, a, 4096);
			for (size_t f = 0; f < n; f++) {
				if (f > 0)
					str_append_char(&got, '|');
				str_append_cstr(&got, fields[f]);
			}
			if (strcmp(str_cstr(&got), want) != 0)
				fail_msg("case %zu: read \"%s\", not \"%s\"", i,
					str_cstr(&got), want);
		}
	}
	arena_free(&a);
}

/* The line an error names is where the bad record starts in the file. */
static void
test_csv_reader_names_the_line(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct csv_reader r;
	csv_reader_init(&r, span_from_cstr("a\n\"b\nc\",d\ne\"f\n"));
	char **fields;
	size_t n;
	struct error err;
	assert_int_equal(csv_read_record(&r, a, &fields, &n, &err), 1);
	assert_int_equal(r.record_line, 1);
	assert_int_equal(csv_read_record(&r, a, &fields, &n, &err), 1);
	assert_int_equal(r.record_line, 2);
	assert_string_equal(fields[0], "b\nc");
	assert_int_equal(csv_read_record(&r, a, &fields, &n, &err), -1);
	assert_non_null(strstr(err.msg, "line 4"));
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
		/* The import's reader (csv_read_record) reads it alike. */
		struct csv_reader r;
		csv_reader_init(&r, span_make(out.p, out.len));
		char **ours;
		size_t our_count;
		struct error err;
		assert_int_equal(csv_read_record(&r, a, &ours, &our_count, &err),
			1);
		assert_int_equal(our_count, 3);
		assert_int_equal(r.pos, out.len);
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
			assert_string_equal(ours[k], read[k]);
			free(read[k]);
		}
		arena_reset(a);
	}
	arena_free(&a);
}

/*
 * The round trip over whole files: random records (fixed seed) of 1 to
 * 12 random fields each, written by csv_record, read back by
 * csv_read_record record for record and field for field (less the quote
 * that defends a formula), with nothing left over.
 */
static void
test_csv_files_read_back_record_for_record(void **state)
{
	static const char *const pieces[] = {
		",", "\"", "\r", "\n", "\r\n", "=", "+", "-", "@", "\t",
		"'", "a", " ", "\xc3\xab", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	};
	const size_t npieces = sizeof(pieces) / sizeof(*pieces);
	struct arena *a = arena_new(16 << 20);
	srand(6532);
	for (int round = 0; round < 500; round++) {
		enum { RECORDS = 20, FIELDS = 12 };
		char given[RECORDS][FIELDS][48];
		size_t counts[RECORDS];
		size_t records = 1 + (size_t)rand() % RECORDS;
		struct str out;
		str_init(&out, a, 1 << 20);
		for (size_t r = 0; r < records; r++) {
			const char *fields[FIELDS];
			counts[r] = 1 + (size_t)rand() % FIELDS;
			for (size_t k = 0; k < counts[r]; k++) {
				size_t used = 0;
				int len = rand() % 6;
				for (int j = 0; j < len; j++) {
					const char *piece = pieces[(size_t)rand() %
						npieces];
					memcpy(given[r][k] + used, piece,
						strlen(piece));
					used += strlen(piece);
				}
				given[r][k][used] = '\0';
				fields[k] = given[r][k];
			}
			assert_int_equal(csv_record(&out, fields, counts[r]), 0);
		}
		struct csv_reader rd;
		csv_reader_init(&rd, span_make(out.p, out.len));
		for (size_t r = 0; r < records; r++) {
			char **read;
			size_t n;
			struct error err;
			if (csv_read_record(&rd, a, &read, &n, &err) != 1 ||
			    n != counts[r])
				fail_msg("round %d record %zu: not read whole",
					round, r);
			for (size_t k = 0; k < n; k++) {
				bool formula = csv_is_formula(span_from_cstr(
					given[r][k]));
				if (formula)
					assert_int_equal(read[k][0], '\'');
				assert_string_equal(read[k] + (formula ? 1 : 0),
					given[r][k]);
			}
		}
		char **rest;
		size_t n;
		struct error err;
		assert_int_equal(csv_read_record(&rd, a, &rest, &n, &err), 0);
		arena_reset(a);
	}
	arena_free(&a);
}

/*
 * A file's fields take memory in proportion to the file, whatever its
 * size: many records of quoted fields read in an arena a few times the
 * file's size (the import gives its table four times the file).
 */
static void
test_csv_reader_memory_grows_with_the_file(void **state)
{
	static const size_t sizes[] = { 1, 10, 1000, 20000 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
		struct arena *text_arena = arena_new(64 << 20);
		struct str text;
		str_init(&text, text_arena, 64 << 20);
		for (size_t i = 0; i < sizes[s]; i++)
			str_appendf(&text, "\"E%zu\",\"Jo, \"\"e\"\"\",\"Bl\noggs\"\r\n", i);
		struct arena *a = arena_new(text.len * 4 + 4096);
		struct csv_reader r;
		csv_reader_init(&r, span_make(text.p, text.len));
		char **fields;
		size_t n, records = 0;
		struct error err;
		int rc;
		while ((rc = csv_read_record(&r, a, &fields, &n, &err)) == 1) {
			assert_int_equal(n, 3);
			assert_string_equal(fields[1], "Jo, \"e\"");
			assert_string_equal(fields[2], "Bl\noggs");
			records++;
		}
		if (rc != 0)
			fail_msg("%zu records: %s", sizes[s], err.msg);
		assert_int_equal(records, sizes[s]);
		arena_free(&a);
		arena_free(&text_arena);
	}
}

/* More than two of the store pages dir_csv.c reads (500 rows each). */
#define AUDIT_ROWS 1203

/* Rows alternate between orgs 1 and 2; the summaries need quoting. */
static void
append_audit_rows(struct unit_instance *u)
{
	struct error err;
	for (int i = 1; i <= AUDIT_ROWS; i++) {
		char summary[64];
		snprintf(summary, sizeof(summary), "{\"n\":%d,\"x\":\"=1\"}", i);
		struct store_audit row = {
			.at = 1000 + i, .actor = "=admin@x", .action = "update",
			.object_type = "user_mailbox", .object_id = i,
			.org_id = 1 + i % 2, .summary = summary, .client = "cli",
			.request_id = "", .result = "done",
		};
		assert_int_equal(store_audit_append(u->st, &row,
			u->ctx.audit_key, &err), 0);
	}
}

/* The download's records: the header, then ids newest first. */
static size_t
check_download(struct spool *sp, int org_mod)
{
	struct span view;
	struct error err;
	assert_int_equal(spool_view(sp, &view, &err), 0);
	char *text = malloc(view.len + 1);
	memcpy(text, view.p, view.len);
	text[view.len] = '\0';
	const char *p = text;
	char *fields[16];
	assert_int_equal(read_record(&p, fields, 16), 11);
	assert_string_equal(fields[0], "id");
	assert_string_equal(fields[10], "summary");
	for (int k = 0; k < 11; k++)
		free(fields[k]);
	size_t rows = 0;
	long last = AUDIT_ROWS + 1;
	while (*p != '\0') {
		assert_int_equal(read_record(&p, fields, 16), 11);
		long id = strtol(fields[0], NULL, 10);
		assert_true(id < last);	/* newest first, each once */
		if (org_mod >= 0)
			assert_int_equal(id % 2, org_mod);
		assert_string_equal(fields[2], "'=admin@x");
		last = id;
		rows++;
		for (int k = 0; k < 11; k++)
			free(fields[k]);
	}
	free(text);
	return rows;
}

static void
test_audit_download_is_every_row_and_bounded(void **state)
{
	struct unit_instance u;
	struct error err;
	assert_int_equal(unit_instance_open(&u, "x.example", "admin@x"), 0);
	append_audit_rows(&u);
	struct store_audit_filter f = { .actor = "=admin@x" };
	size_t rows;

	struct spool *sp = spool_new(u.dir, 4096, 64 << 20);
	assert_int_equal(dir_audit_csv(&u.ctx, &f, NULL, 0, AUDIT_ROWS, sp,
		&rows, &err), 0);
	assert_int_equal(rows, AUDIT_ROWS);
	assert_int_equal(check_download(sp, -1), AUDIT_ROWS);
	spool_free(&sp);

	/* Org 2's rows are the odd ids. */
	const int64_t org2 = 2;
	sp = spool_new(u.dir, 4096, 64 << 20);
	assert_int_equal(dir_audit_csv(&u.ctx, &f, &org2, 1, AUDIT_ROWS, sp,
		&rows, &err), 0);
	assert_int_equal(rows, (AUDIT_ROWS + 1) / 2);
	assert_int_equal(check_download(sp, 1), (AUDIT_ROWS + 1) / 2);
	spool_free(&sp);

	/* One row over either bound is refused, with a sentence. */
	sp = spool_new(u.dir, 4096, 64 << 20);
	assert_int_equal(dir_audit_csv(&u.ctx, &f, NULL, 0, AUDIT_ROWS - 1,
		sp, &rows, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_non_null(strstr(err.msg, "narrow the filters"));
	spool_free(&sp);
	sp = spool_new(u.dir, 4096, 8192);
	assert_int_equal(dir_audit_csv(&u.ctx, &f, NULL, 0, AUDIT_ROWS, sp,
		&rows, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_non_null(strstr(err.msg, "too large"));
	spool_free(&sp);

	/* A bad filter is refused before anything is written. */
	f.action = "destroy";
	sp = spool_new(u.dir, 4096, 64 << 20);
	assert_int_equal(dir_audit_csv(&u.ctx, &f, NULL, 0, AUDIT_ROWS, sp,
		&rows, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(spool_size(sp), 0);
	spool_free(&sp);
	assert_int_equal(unit_instance_close(&u), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_fields_as_the_table_says),
		cmocka_unit_test(test_csv_record_ends_in_crlf),
		cmocka_unit_test(test_csv_stops_at_the_max),
		cmocka_unit_test(test_csv_reads_as_the_table_says),
		cmocka_unit_test(test_csv_reader_names_the_line),
		cmocka_unit_test(test_csv_reader_memory_grows_with_the_file),
		cmocka_unit_test(test_csv_files_read_back_record_for_record),
		cmocka_unit_test(
			test_csv_reads_back_whole_and_never_as_a_formula),
		cmocka_unit_test(test_audit_download_is_every_row_and_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
