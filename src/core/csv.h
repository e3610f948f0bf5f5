/*
 * CSV text: writing downloads a spreadsheet opens (RFC 4180 fields and
 * records, and the OWASP defence against formula ("CSV") injection), and
 * reading uploaded files (bulk import, directory sync). Layer: core.
 * Pure: text in, text out, no I/O. RFC 4180 §2.
 */
#ifndef CORE_CSV_H
#define CORE_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

struct arena;
struct error;

/*
 * Whether a spreadsheet could take field as a formula: it starts with
 * '=', '+', '-', '@', TAB or CR (OWASP "CSV Injection"). csv_field then
 * leads it with a single quote, which makes it text.
 */
bool csv_is_formula(struct span field);

/*
 * Appends field to out as one CSV field. A formula (csv_is_formula) is
 * led by a single quote. A field holding a comma, a double quote, CR or
 * LF is put in double quotes, each double quote inside doubled (RFC 4180
 * §2.5-2.7); other bytes, UTF-8 included, go through as they are. 0, or
 * -1 when out would pass its max (what was appended stays; the caller
 * discards out and reports ERROR_LIMIT).
 */
int csv_field(struct str *out, struct span field);

/*
 * Appends one record: fields[0..count) (NULL is an empty field) by
 * csv_field, separated by commas and ended by CRLF (RFC 4180 §2.1). 0 or
 * -1 as csv_field.
 */
int csv_record(struct str *out, const char *const *fields, size_t count);

/*
 * Reading a CSV file a record at a time (RFC 4180 §2), as spreadsheets
 * write it: fields quoted or not, a quoted field holding commas, doubled
 * quotes and line breaks; records ended by CRLF, LF or a lone CR; a UTF-8
 * byte order mark at the start skipped; the last record's line ending
 * optional. The reader keeps no copy of the text: in must outlive it.
 */
struct csv_reader {
	struct span in;
	size_t pos;		/* the next byte to read */
	size_t line;		/* the line the next record starts on, from 1 */
	size_t record_line;	/* the line the last record read started on */
};

/* Most fields one record may hold: more is ERROR_LIMIT. */
#define CSV_FIELDS_MAX 256

void csv_reader_init(struct csv_reader *r, struct span in);

/*
 * Reads the next record: *fields_r gets *count_r NUL-terminated fields,
 * unquoted, in a (the text may hold NUL bytes; the caller's checks refuse
 * them). 1 with a record, 0 at the end of the text, -1 with ERROR_INVALID
 * naming the line for a quote where none may stand, a field whose
 * closing quote is missing or text after a closing quote; ERROR_LIMIT past
 * CSV_FIELDS_MAX fields or when a runs out.
 */
int csv_read_record(struct csv_reader *r, struct arena *a, char ***fields_r,
	size_t *count_r, struct error *err);

#endif
