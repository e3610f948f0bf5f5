/*
 * Fuzz target for the config file parser. Besides not crashing, a config the
 * parser accepts must survive config_write: the written file must parse, and
 * writing that again must give the same bytes, or `caremail init` could write
 * a file the next start cannot read or reads differently.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
write_to_memory(const struct config *c, size_t *len_r)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len_r);
	if (f == NULL)
		abort();
	config_write(c, f);
	if (fclose(f) != 0)
		abort();
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = config_new();
	struct error err;
	if (config_parse(c, (const char *)data, size, "fuzz", &err) < 0) {
		/* Every rejection must say why. */
		if (err.code == ERROR_NONE || err.msg[0] == '\0')
			abort();
		config_free(&c);
		return 0;
	}
	size_t len1;
	char *text1 = write_to_memory(c, &len1);
	struct config *again = config_new();
	if (config_parse(again, text1, len1, "written", &err) < 0) {
		fprintf(stderr, "re-parse failed: %s\n", err.msg);
		abort();
	}
	size_t len2;
	char *text2 = write_to_memory(again, &len2);
	if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
		fprintf(stderr, "round trip changed the config:\n%s\n---\n%s\n",
			text1, text2);
		abort();
	}
	free(text1);
	free(text2);
	config_free(&again);
	config_free(&c);
	return 0;
}
