/*
 * Fuzz target for the COPY text encoder of caremail migrate's bulk load
 * onto PostgreSQL (store_copy_text.c): whatever bytes a store holds, as
 * text and as a bytea. Beyond not crashing: the field stays within its
 * room, holds no raw tab, newline or carriage return (which would end a
 * field or a row early), and decoded by COPY's rules (PostgreSQL's
 * documentation of COPY, "Text Format"; then bytea's hex input) gives
 * back the bytes it was made from.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_copy_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * One COPY text field back to its bytes, as the server reads it: the
 * escapes \\ \t \n \r and, for a bytea, then \x and hex pairs. -1 for
 * what the server would refuse or read otherwise (\N, any other escape).
 */
static long
decode(const char *in, size_t n, bool bytes, unsigned char *out)
{
	char *plain = malloc(n + 1);
	size_t p = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] != '\\') {
			plain[p++] = in[i];
			continue;
		}
		if (++i == n) {
			free(plain);
			return -1;
		}
		switch (in[i]) {
		case '\\':
			plain[p++] = '\\';
			break;
		case 't':
			plain[p++] = '\t';
			break;
		case 'n':
			plain[p++] = '\n';
			break;
		case 'r':
			plain[p++] = '\r';
			break;
		default:
			free(plain);
			return -1;
		}
	}
	long len = 0;
	if (!bytes) {
		memcpy(out, plain, p);
		len = (long)p;
	} else if (p < 2 || plain[0] != '\\' || plain[1] != 'x' ||
		   (p - 2) % 2 != 0) {
		len = -1;
	} else {
		for (size_t i = 2; i < p; i += 2) {
			int hi = hex_digit(plain[i]), lo = hex_digit(plain[i + 1]);
			if (hi < 0 || lo < 0) {
				len = -1;
				break;
			}
			out[len++] = (unsigned char)(hi << 4 | lo);
		}
	}
	free(plain);
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *field = malloc(STORE_COPY_TEXT_ROOM(size));
	unsigned char *back = malloc(size * 2 + 8);
	for (int bytes = 0; bytes < 2; bytes++) {
		/* Text never holds NUL (PostgreSQL refuses it): up to one. */
		size_t n = size;
		if (!bytes) {
			const void *nul = memchr(data, 0, size);
			if (nul != NULL)
				n = (size_t)((const uint8_t *)nul - data);
		}
		size_t len = store_copy_text(field, data, n, bytes != 0);
		if (len > STORE_COPY_TEXT_ROOM(n) ||
		    memchr(field, '\t', len) != NULL ||
		    memchr(field, '\n', len) != NULL ||
		    memchr(field, '\r', len) != NULL)
			abort();
		/* Never the NULL marker, even for an empty value. */
		if (len == 2 && field[0] == '\\' && field[1] == 'N')
			abort();
		long got = decode(field, len, bytes != 0, back);
		if (got < 0 || (size_t)got != n || memcmp(back, data, n) != 0)
			abort();
	}
	size_t len = store_copy_text(field, NULL, 0, false);
	if (len != 2 || memcmp(field, "\\N", 2) != 0)
		abort();
	free(field);
	free(back);
	return 0;
}
