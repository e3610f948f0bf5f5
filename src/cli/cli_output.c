/*
 * Output: each command builds one json_t and this prints it, as JSON with
 * --json or as text for a person: `key: value` lines for an object, aligned
 * columns for a list. Errors go to stderr as one sentence. Layer: front end.
 * SECURITY: control characters in error text are replaced, so input echoed
 * in a message cannot forge further lines.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "core/str.h"

#define OUTPUT_COLUMNS_MAX 16

static bool
is_blank(json_t *v)
{
	return v == NULL || json_is_null(v) ||
	    (json_is_string(v) && json_string_length(v) == 0);
}

static bool
is_scalar(json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

/* Characters on screen, counting each UTF-8 sequence once. */
static size_t
display_width(const char *s)
{
	size_t width = 0;
	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			width++;
	}
	return width;
}

/* The text of a scalar; integers and booleans go through buf. */
static const char *
scalar_text(json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, size, "%g", json_real_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	return "";
}

/* A multi-line value keeps its lines, indented under its key. */
static void
print_value_lines(FILE *out, const char *text, int indent)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		fputc(*p, out);
		if (*p == '\n' && p[1] != '\0')
			fprintf(out, "%*s", indent + 2, "");
	}
	fputc('\n', out);
}

/* An item of a nested array: its scalar values on one line. */
static void
print_row(FILE *out, json_t *item, int indent)
{
	char buf[32];
	fprintf(out, "%*s", indent, "");
	if (is_scalar(item)) {
		fprintf(out, "%s\n", scalar_text(item, buf, sizeof(buf)));
		return;
	}
	const char *key;
	json_t *v;
	bool first = true;
	json_object_foreach(item, key, v) {
		if (is_blank(v) || !is_scalar(v))
			continue;
		fprintf(out, "%s%s", first ? "" : "  ",
			scalar_text(v, buf, sizeof(buf)));
		first = false;
	}
	fputc('\n', out);
}

static void print_object(FILE *out, json_t *obj, int indent);

static void
print_array_field(FILE *out, const char *key, json_t *arr, int indent)
{
	char buf[32];
	size_t i;
	json_t *item;
	if (json_array_size(arr) == 0) {
		fprintf(out, "%*s%s: (none)\n", indent, "", key);
		return;
	}
	bool scalars = true;
	json_array_foreach(arr, i, item)
		scalars = scalars && is_scalar(item);
	if (!scalars) {
		fprintf(out, "%*s%s:\n", indent, "", key);
		json_array_foreach(arr, i, item)
			print_row(out, item, indent + 2);
		return;
	}
	fprintf(out, "%*s%s: ", indent, "", key);
	json_array_foreach(arr, i, item)
		fprintf(out, "%s%s", i > 0 ? ", " : "",
			scalar_text(item, buf, sizeof(buf)));
	fputc('\n', out);
}

static void
print_object(FILE *out, json_t *obj, int indent)
{
	char buf[32];
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (is_blank(v))
			continue;
		if (json_is_object(v)) {
			fprintf(out, "%*s%s:\n", indent, "", key);
			print_object(out, v, indent + 2);
		} else if (json_is_array(v)) {
			print_array_field(out, key, v, indent);
		} else {
			fprintf(out, "%*s%s: ", indent, "", key);
			print_value_lines(out, scalar_text(v, buf, sizeof(buf)),
				indent);
		}
	}
}

/* Splits "a,b,c" into names; returns how many. */
static size_t
split_columns(const char *columns, char names[][32], size_t max)
{
	struct span rest = span_from_cstr(columns);
	struct span item;
	size_t n = 0;
	while (n < max && span_split(&rest, ',', &item)) {
		snprintf(names[n], sizeof(names[n]), "%.*s", (int)item.len,
			item.p);
		n++;
	}
	return n;
}

/* A column "a.b" is the key b of the object at key a (org.ods). */
static const char *
cell_text(json_t *item, const char *column, char *buf, size_t size)
{
	const char *dot = strchr(column, '.');
	json_t *v;
	if (dot != NULL) {
		char outer[32];
		snprintf(outer, sizeof(outer), "%.*s", (int)(dot - column),
			column);
		v = json_object_get(json_object_get(item, outer), dot + 1);
	} else {
		v = json_object_get(item, column);
	}
	if (is_blank(v) || !is_scalar(v))
		return "-";
	return scalar_text(v, buf, size);
}

static void
print_table(FILE *out, json_t *arr, const char *columns)
{
	char names[OUTPUT_COLUMNS_MAX][32];
	size_t widths[OUTPUT_COLUMNS_MAX] = { 0 };
	size_t ncol = split_columns(columns, names, OUTPUT_COLUMNS_MAX);
	char buf[32];
	size_t i;
	json_t *item;
	json_array_foreach(arr, i, item) {
		for (size_t c = 0; c < ncol; c++) {
			size_t w = display_width(cell_text(item, names[c], buf,
				sizeof(buf)));
			if (w > widths[c])
				widths[c] = w;
		}
	}
	json_array_foreach(arr, i, item) {
		for (size_t c = 0; c < ncol; c++) {
			const char *text = cell_text(item, names[c], buf,
				sizeof(buf));
			fputs(text, out);
			if (c + 1 < ncol)
				fprintf(out, "%*s", (int)(widths[c] + 2 -
					display_width(text)), "");
		}
		fputc('\n', out);
	}
}

static void
print_text(FILE *out, json_t *value, const char *columns)
{
	size_t i;
	json_t *item;
	if (json_is_object(value)) {
		print_object(out, value, 0);
	} else if (json_is_array(value) && columns != NULL) {
		print_table(out, value, columns);
	} else if (json_is_array(value)) {
		json_array_foreach(value, i, item)
			print_row(out, item, 0);
	} else if (!is_blank(value)) {
		print_row(out, value, 0);
	}
}

void
cli_print(const struct cli_args *args, json_t *value, const char *columns)
{
	if (value == NULL)
		return;
	if (args->json) {
		json_dumpf(value, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', stdout);
	} else {
		print_text(stdout, value, columns);
	}
	json_decref(value);
}

void
cli_print_done(const struct cli_args *args, json_t *value,
	const char *sentence)
{
	if (args->json) {
		cli_print(args, value, NULL);
		return;
	}
	json_decref(value);
	printf("%s\n", sentence);
}

void
cli_print_error(const struct cli_args *args, const struct error *err)
{
	char msg[sizeof(err->msg)];
	str_copy(msg, sizeof(msg), err->msg[0] != '\0' ? err->msg :
		"the command failed for an unknown reason");
	for (char *p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	size_t len = strlen(msg);
	const char *stop = strchr(".!?", msg[len - 1]) != NULL ? "" : ".";
	if (!args->usage_error) {
		fprintf(stderr, "caremail: %s%s\n", msg, stop);
		return;
	}
	const char *name = args->command != NULL ? args->command->name : "";
	fprintf(stderr, "caremail: %s (see 'caremail help%s%s').\n", msg,
		name[0] != '\0' ? " " : "", name);
}
