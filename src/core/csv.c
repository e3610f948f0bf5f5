/*
 * CSV fields and records (RFC 4180 §2), defended against formula injection
 * as OWASP's "CSV Injection" page advises. Layer: core.
 */
#include "core/csv.h"

#include <string.h>

bool
csv_is_formula(struct span field)
{
	/*
	 * A spreadsheet evaluates a cell starting with these: =, + and - as
	 * arithmetic, @ as a function call (Lotus, Excel), and TAB or CR
	 * because some applications skip them before looking for the others.
	 */
	return field.len > 0 && field.p[0] != '\0' &&
	    strchr("=+-@\t\r", field.p[0]) != NULL;
}

static bool
needs_quotes(struct span field)
{
	for (size_t i = 0; i < field.len; i++) {
		char c = field.p[i];
		if (c == ',' || c == '"' || c == '\r' || c == '\n')
			return true;
	}
	return false;
}

int
csv_field(struct str *out, struct span field)
{
	bool quoted = needs_quotes(field);
	if (quoted && str_append_char(out, '"') < 0)
		return -1;
	if (csv_is_formula(field) && str_append_char(out, '\'') < 0)
		return -1;
	size_t start = 0;
	for (size_t i = 0; i < field.len; i++) {
		if (field.p[i] != '"')
			continue;
		/* RFC 4180 §2.7: a quote inside a field is doubled. */
		if (str_append(out, field.p + start, i + 1 - start) < 0 ||
		    str_append_char(out, '"') < 0)
			return -1;
		start = i + 1;
	}
	if (str_append(out, field.p + start, field.len - start) < 0)
		return -1;
	return quoted ? str_append_char(out, '"') : 0;
}

int
csv_record(struct str *out, const char *const *fields, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && str_append_char(out, ',') < 0)
			return -1;
		if (csv_field(out, span_from_cstr(fields[i] != NULL ?
			    fields[i] : "")) < 0)
			return -1;
	}
	return str_append(out, "\r\n", 2);
}
