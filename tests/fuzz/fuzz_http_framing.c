/*
 * Fuzz target for the HTTP framing rule (src/http/http_framing.c). The
 * input is header fields, one "name:value" a line, the first line saying
 * the version. Besides not crashing: an accepted request has at most one
 * Content-Length of digits or one Transfer-Encoding of "chunked", never
 * both; a refused one says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	struct http_framing f = { 0 };
	bool http10 = strncmp(text, "HTTP/1.0", 8) == 0;
	char *line = strchr(text, '\n');
	while (line != NULL) {
		char *name = line + 1;
		line = strchr(name, '\n');
		if (line != NULL)
			*line = '\0';
		char *colon = strchr(name, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		http_framing_add(&f, name, colon + 1);
	}
	struct error err;
	error_clear(&err);
	if (http_framing_check(&f, http10, &err) == 0) {
		if (f.content_lengths > 1 || f.transfer_encodings > 1 ||
		    (f.content_lengths > 0 && f.transfer_encodings > 0) ||
		    f.bad_name || f.bad_length || f.bad_coding ||
		    (http10 && f.transfer_encodings > 0))
			abort();
	} else if (err.code != ERROR_INVALID || err.msg[0] == '\0') {
		abort();
	}
	free(text);
	return 0;
}
