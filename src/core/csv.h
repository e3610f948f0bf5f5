/*
 * CSV text for downloads a spreadsheet opens: RFC 4180 fields and records,
 * and the OWASP defence against formula ("CSV") injection. Layer: core.
 * Pure: text in, text out, no I/O. RFC 4180 §2.
 */
#ifndef CORE_CSV_H
#define CORE_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

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

#endif
