/*
 * Fuzz target for rows joined into one column (store_joined_rows in
 * store/store_joined.c): what a session's or a person's record statement
 * brings back from the database, which anyone who can write the database
 * shapes. The first byte picks the fields a row has (1 to 8). Beyond not
 * crashing: as many rows as row separators and one, no field holding a
 * row separator, no field but the last holding a field separator, and
 * each row's fields joined again give back its text (less the field
 * separators a short row was padded with).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s's length less the field separators it ends with. */
static size_t
trimmed(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == STORE_FIELD_SEP[0])
		n--;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 16)
		return 0;
	size_t fields = 1 + data[0] % 8;
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	size_t len = strlen(text);
	struct arena *a = arena_new(8u << 20);
	struct error err;
	size_t n;
	char ***rows = store_joined_rows(text, fields, a, &n, &err);
	if (rows == NULL)
		abort();
	size_t seps = 0;
	for (size_t i = 0; i < len; i++)
		seps += text[i] == STORE_ROW_SEP[0];
	if (n != (len == 0 ? 0 : seps + 1))
		abort();
	char *again = malloc(len + fields + 1);
	const char *row = text;
	for (size_t i = 0; i < n; i++) {
		size_t row_len = strcspn(row, STORE_ROW_SEP), o = 0;
		for (size_t f = 0; f < fields; f++) {
			const char *cell = rows[i][f];
			if (strchr(cell, STORE_ROW_SEP[0]) != NULL ||
			    (f + 1 < fields &&
			     strchr(cell, STORE_FIELD_SEP[0]) != NULL))
				abort();
			size_t cl = strlen(cell);
			if (o + cl + 1 > len + fields + 1)
				abort();
			memcpy(again + o, cell, cl);
			o += cl;
			if (f + 1 < fields)
				again[o++] = STORE_FIELD_SEP[0];
		}
		if (trimmed(again, o) != trimmed(row, row_len) ||
		    memcmp(again, row, trimmed(row, row_len)) != 0)
			abort();
		row += row_len + (row[row_len] != '\0');
	}
	free(again);
	arena_free(&a);
	free(text);
	return 0;
}
