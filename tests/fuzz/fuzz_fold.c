/*
 * Fuzz target for People Finder's folding (core/fold.c), which reads any
 * UTF-8 a person types or a directory sync sends. Beyond not crashing:
 * folding never makes text longer, folding twice changes nothing, and
 * every word is non-empty, within its length and free of separators.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WORD_MAX 48

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	struct arena *a = arena_new(1 << 20);
	char *text = arena_strndup(a, (const char *)data, size);
	char *folded = text != NULL ? fold_text(text, a) : NULL;
	if (folded == NULL || strlen(folded) > strlen(text))
		abort();
	char *again = fold_text(folded, a);
	if (again == NULL || strcmp(again, folded) != 0)
		abort();
	char **words = NULL;
	size_t n = 0;
	if (fold_words(text, WORD_MAX, a, &words, &n) < 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(words[i]);
		if (len == 0 || len > WORD_MAX ||
		    strpbrk(words[i], " \t,.-'@") != NULL)
			abort();
		for (const char *p = words[i]; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				abort();
		}
	}
	arena_free(&a);
	return 0;
}
