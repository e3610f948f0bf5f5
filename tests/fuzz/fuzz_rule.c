/*
 * Fuzz target for dynamic distribution list rules (JSON). An accepted rule
 * is stored in its canonical form, so formatting it and parsing that again
 * must succeed and give the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct arena *a = arena_new(8 * 1024 * 1024);
	struct dir_rule rule;
	struct error err;
	if (dir_rule_parse(span_make((const char *)data, size), a, &rule,
		    &err) == 0) {
		char *canonical = dir_rule_format(&rule, a);
		struct dir_rule again;
		if (canonical == NULL ||
		    dir_rule_parse(span_from_cstr(canonical), a, &again,
			    &err) < 0 ||
		    strcmp(dir_rule_format(&again, a), canonical) != 0)
			abort();
	} else if (err.msg[0] == '\0') {
		abort();
	}
	arena_free(&a);
	return 0;
}
