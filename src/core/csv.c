/*
 * CSV fields and records (RFC 4180 §2), defended against formula injection
 * as OWASP's "CSV Injection" page advises. Layer: core.
 */
#include "core/csv.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"

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

void
csv_reader_init(struct csv_reader *r, struct span in)
{
	*r = (struct csv_reader){ .in = in, .line = 1, .record_line = 1 };
	/* Spreadsheets saving "CSV UTF-8" lead with a byte order mark. */
	if (in.len >= 3 && memcmp(in.p, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
}

/* Whether the byte at r->pos ends a record; steps over the ending. */
static bool
take_line_end(struct csv_reader *r)
{
	const char *p = r->in.p;
	if (p[r->pos] == '\n') {
		r->pos++;
	} else if (p[r->pos] == '\r') {
		r->pos++;
		if (r->pos < r->in.len && p[r->pos] == '\n')
			r->pos++;
	} else {
		return false;
	}
	r->line++;
	return true;
}

/* A quoted field from the opening quote at r->pos (RFC 4180 §2.5-2.7). */
static int
read_quoted(struct csv_reader *r, struct arena *a, char **field_r,
	struct error *err)
{
	size_t start_line = r->line;
	r->pos++;
	/*
	 * Room for this field alone: up to its closing quote (or the end),
	 * as the unquoted text is never longer than the quoted. Room for the
	 * rest of the file would make a file's memory grow with the square
	 * of its quoted fields.
	 */
	size_t end = r->pos;
	while (end < r->in.len) {
		if (r->in.p[end] != '"')
			end++;
		else if (end + 1 < r->in.len && r->in.p[end + 1] == '"')
			end += 2;
		else
			break;
	}
	char *out = arena_alloc(a, end - r->pos + 1);
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "the file is too large");
	size_t n = 0;
	for (;;) {
		if (r->pos == r->in.len)
			return error_set(err, ERROR_INVALID, "line %zu: a quoted "
				"field has no closing double quote", start_line);
		char c = r->in.p[r->pos++];
		if (c == '"') {
			if (r->pos < r->in.len && r->in.p[r->pos] == '"') {
				out[n++] = '"';
				r->pos++;
				continue;
			}
			break;
		}
		if (c == '\n' || (c == '\r' && (r->pos == r->in.len ||
					 r->in.p[r->pos] != '\n')))
			r->line++;
		out[n++] = c;
	}
	out[n] = '\0';
	*field_r = out;
	if (r->pos < r->in.len && r->in.p[r->pos] != ',' &&
	    r->in.p[r->pos] != '\r' && r->in.p[r->pos] != '\n')
		return error_set(err, ERROR_INVALID, "line %zu: text follows a "
			"quoted field's closing double quote (a quote inside a "
			"quoted field is written twice: \"\")", r->line);
	return 0;
}

static int
read_plain(struct csv_reader *r, struct arena *a, char **field_r,
	struct error *err)
{
	size_t start = r->pos;
	while (r->pos < r->in.len) {
		char c = r->in.p[r->pos];
		if (c == ',' || c == '\r' || c == '\n')
			break;
		if (c == '"')
			return error_set(err, ERROR_INVALID, "line %zu: a double "
				"quote inside a field that does not start with "
				"one (put the field in double quotes and write "
				"the quote twice)", r->line);
		r->pos++;
	}
	*field_r = arena_strndup(a, r->in.p + start, r->pos - start);
	if (*field_r == NULL)
		return error_set(err, ERROR_LIMIT, "the file is too large");
	return 0;
}

int
csv_read_record(struct csv_reader *r, struct arena *a, char ***fields_r,
	size_t *count_r, struct error *err)
{
	*fields_r = NULL;
	*count_r = 0;
	if (r->pos >= r->in.len)
		return 0;
	r->record_line = r->line;
	char *fields[CSV_FIELDS_MAX];
	size_t n = 0;
	for (;;) {
		if (n == CSV_FIELDS_MAX)
			return error_set(err, ERROR_LIMIT, "line %zu has more "
				"than %d fields", r->record_line,
				CSV_FIELDS_MAX);
		int rc = r->pos < r->in.len && r->in.p[r->pos] == '"' ?
			read_quoted(r, a, &fields[n], err) :
			read_plain(r, a, &fields[n], err);
		if (rc < 0)
			return -1;
		n++;
		if (r->pos == r->in.len || take_line_end(r))
			break;
		r->pos++;	/* the comma */
	}
	char **out = arena_alloc(a, n * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "the file is too large");
	memcpy(out, fields, n * sizeof(*out));
	*fields_r = out;
	*count_r = n;
	return 1;
}
