/*
 * Fuzz target for People Finder's page cursor (dir_people_cursor_parse in
 * dir/dir_search.c), which reads the ?cursor= any signed-in client sends.
 * The first byte picks the direction. 0: the rest is a cursor; beyond not
 * crashing, an accepted one has an id from 0 below INT64_MAX and a sort
 * text within DIR_PEOPLE_CURSOR_MAX, made again from them it parses to the
 * same place, and a refusal is INVALID naming "cursor" on one line.
 * Else: the rest is a sort text (and the id its length), and the cursor
 * made from them parses back to them exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"

#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const char *sort, int64_t id, struct arena *a)
{
	struct dir_person_found last = { .match.person.id = id,
		.match.sort = sort };
	char *c = dir_people_cursor(&last, a);
	const char *sort2;
	int64_t id2;
	struct error err;
	if (c == NULL || dir_people_cursor_parse(c, a, &sort2, &id2, &err) < 0 ||
	    id2 != id || strcmp(sort2, sort) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	struct arena *a = arena_new(1 << 20);
	char *text = arena_strndup(a, (const char *)data + 1, size - 1);
	if (text == NULL)
		abort();
	if (data[0] == 0) {
		const char *sort;
		int64_t id;
		struct error err;
		if (dir_people_cursor_parse(text, a, &sort, &id, &err) == 0) {
			if (id < 0 || id == INT64_MAX ||
			    strlen(sort) > DIR_PEOPLE_CURSOR_MAX)
				abort();
			round_trip(sort, id, a);
		} else {
			check_refusal_line(&err);
			if (err.code != ERROR_INVALID ||
			    strcmp(err.field, "cursor") != 0)
				abort();
		}
	} else if (strlen(text) <= DIR_PEOPLE_CURSOR_MAX) {
		round_trip(text, (int64_t)strlen(text) * 7919, a);
	}
	arena_free(&a);
	return 0;
}
