/*
 * A value as a field of PostgreSQL's COPY text format (the documentation
 * of COPY, "Text Format"), for store_pg.c's bulk load: each row is one
 * line, its fields separated by tabs, NULL written \N. Layer: store; a
 * pure function, fuzzed for its round trip (tests/fuzz/fuzz_copy_text.c).
 *
 * Text goes as it is, but for the four bytes that would end a field or a
 * row early or start an escape: backslash, tab, newline, carriage
 * return. A bytea goes as its hex input form, \x and two digits per
 * byte, whose backslash is itself escaped, so every byte value 0..255
 * arrives as it was (the server's input function reads the hex).
 */
#include "store/store_copy_text.h"

#include <stdint.h>

size_t
store_copy_text(char *out, const void *value, size_t size, bool bytes)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (value == NULL) {
		out[o++] = '\\';
		out[o++] = 'N';
		return o;
	}
	const unsigned char *v = value;
	if (bytes) {
		out[o++] = '\\';
		out[o++] = '\\';
		out[o++] = 'x';
		for (size_t i = 0; i < size; i++) {
			out[o++] = hex[v[i] >> 4];
			out[o++] = hex[v[i] & 0x0f];
		}
		return o;
	}
	for (size_t i = 0; i < size; i++) {
		char escape = 0;
		switch (v[i]) {
		case '\\':
			escape = '\\';
			break;
		case '\t':
			escape = 't';
			break;
		case '\n':
			escape = 'n';
			break;
		case '\r':
			escape = 'r';
			break;
		default:
			break;
		}
		if (escape != 0) {
			out[o++] = '\\';
			out[o++] = escape;
		} else {
			out[o++] = (char)v[i];
		}
	}
	return o;
}
