/*
 * Fuzz target for the web root's path rule and Accept-Encoding reading
 * (src/http/http_static.c). The input's first line is an Accept-Encoding
 * value, the rest a URL path as the server would route it. Besides not
 * crashing: an accepted path names a file below the root — relative, no
 * segment empty, "." or "..", none starting with a dot, only
 * [A-Za-z0-9._-] — and fits the buffer; the codings are only br and gzip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_file(const char *file)
{
	size_t len = strlen(file);
	if (len == 0 || file[0] == '/' || file[len - 1] == '/')
		abort();
	const char *seg = file;
	while (*seg != '\0') {
		const char *end = strchr(seg, '/');
		size_t n = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if (n == 0 || seg[0] == '.')
			abort();
		for (size_t i = 0; i < n; i++) {
			char c = seg[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			      c == '-'))
				abort();
		}
		seg += n + (end != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	char *path = strchr(text, '\n');
	if (path != NULL)
		*path++ = '\0';
	unsigned bits = http_static_encodings(text);
	if ((bits & ~(HTTP_ENCODING_BR | HTTP_ENCODING_GZIP)) != 0)
		abort();
	if (path != NULL) {
		char out[HTTP_STATIC_PATH_MAX];
		if (http_static_file_path(path, out, sizeof(out)) == 0) {
			if (strlen(out) >= sizeof(out))
				abort();
			check_file(out);
		}
	}
	free(text);
	return 0;
}
