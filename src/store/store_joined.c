/*
 * Rows joined into one text column (STORE_JOINED over fields with
 * STORE_THEN between them, rows with STORE_ROW_SEP), read back: how one
 * statement brings a record with its lists (a session with its person's
 * roles, a person's record with their admin roles and holdings), where
 * each statement is a round trip (bench B9 on PostgreSQL). Layer: store.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

char ***
store_joined_rows(const char *joined, size_t fields, struct arena *a,
	size_t *count_r, struct error *err)
{
	size_t n = 0;
	char *copy = NULL;
	if (joined != NULL && *joined != '\0') {
		n = 1;
		for (const char *p = joined; *p != '\0'; p++)
			n += *p == STORE_ROW_SEP[0];
		copy = arena_strdup(a, joined);
	}
	char ***rows = arena_alloc(a, (n + 1) * sizeof(*rows));
	char **cells = fields == 0 ? NULL :
		arena_alloc(a, (n * fields + 1) * sizeof(*cells));
	if (rows == NULL || cells == NULL || (n > 0 && copy == NULL)) {
		error_set(err, ERROR_LIMIT, "too large a record to read");
		return NULL;
	}
	char *p = copy;
	for (size_t i = 0; i < n; i++) {
		rows[i] = &cells[i * fields];
		char *end = p + strcspn(p, STORE_ROW_SEP);
		char *next = *end == '\0' ? end : end + 1;
		*end = '\0';
		/* The last field takes the rest of the row. */
		for (size_t f = 0; f < fields; f++) {
			rows[i][f] = p;
			char *sep = f + 1 < fields ? strchr(p, STORE_FIELD_SEP[0]) :
				NULL;
			if (sep != NULL) {
				*sep = '\0';
				p = sep + 1;
			} else {
				p = end;
			}
		}
		p = next;
	}
	*count_r = n;
	return rows;
}
