/*
 * Fuzz target for the CSV reader (core/csv.c), which reads every bulk
 * import and directory sync file an admin or an HR system uploads. Beyond
 * not crashing: reading always ends, every record has at least one and at
 * most CSV_FIELDS_MAX fields, no field is longer than the text, and a
 * record written back by csv_record and read again gives the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(struct arena *a, char **fields, size_t n)
{
	struct str out;
	str_init(&out, a, 1 << 20);
	for (size_t i = 0; i < n; i++) {
		/* csv_record leads a formula with a quote: compare others. */
		if (csv_is_formula(span_from_cstr(fields[i])))
			return;
	}
	if (csv_record(&out, (const char *const *)fields, n) < 0)
		return;
	struct csv_reader again;
	csv_reader_init(&again, span_make(out.p, out.len));
	/* A BOM-led first field would be skipped as a BOM: not comparable. */
	if (again.pos != 0)
		return;
	char **back;
	size_t back_n;
	struct error err;
	if (csv_read_record(&again, a, &back, &back_n, &err) != 1 ||
	    back_n != n || again.pos != out.len)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (strcmp(back[i], fields[i]) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct arena *a = arena_new(16 << 20);
	struct csv_reader r;
	csv_reader_init(&r, span_make((const char *)data, size));
	size_t records = 0;
	for (;;) {
		char **fields;
		size_t n;
		struct error err;
		size_t before = r.pos;
		int rc = csv_read_record(&r, a, &fields, &n, &err);
		if (rc <= 0)
			break;
		if (n == 0 || n > CSV_FIELDS_MAX || r.pos <= before ||
		    ++records > size)
			abort();
		for (size_t i = 0; i < n; i++) {
			if (strlen(fields[i]) > size)
				abort();
		}
		/* Fields with NUL bytes cannot be compared as C strings. */
		if (memchr(data + before, '\0', r.pos - before) == NULL)
			check_round_trip(a, fields, n);
	}
	arena_free(&a);
	return 0;
}
