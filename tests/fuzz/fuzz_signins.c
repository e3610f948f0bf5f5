/*
 * Fuzz target for a sign-in's announcement (signins_parse in
 * store/store_signins.c): the payload of a NOTIFY on the sign-in channel,
 * which anyone who may NOTIFY on the database shapes. Beyond not
 * crashing: what is taken is exactly 1 to 18 digits, one space, 1 to 18
 * digits, both above 0, and printed again it parses to the same.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_signins.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether s's first n bytes are 1 to 18 digits, and nothing else. */
static bool
number(const char *s, size_t n)
{
	return n > 0 && n <= 18 && strspn(s, "0123456789") == n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0;
	char text[257];
	memcpy(text, data, size);
	text[size] = '\0';
	size_t len = strlen(text);
	struct signin_heard h;
	bool taken = signins_parse(text, &h);
	const char *space = strchr(text, ' ');
	bool shaped = space != NULL &&
		number(text, (size_t)(space - text)) &&
		number(space + 1, len - (size_t)(space - text) - 1);
	if (!taken) {
		/* Refused: not the shape, or a zero. */
		if (shaped && strtoll(text, NULL, 10) > 0 &&
		    strtoll(space + 1, NULL, 10) > 0)
			abort();
		return 0;
	}
	if (!shaped || h.person_id <= 0 || h.at <= 0)
		abort();
	char again[64];
	snprintf(again, sizeof(again), "%" PRId64 " %" PRId64, h.person_id,
		h.at);
	struct signin_heard back;
	if (!signins_parse(again, &back) || back.person_id != h.person_id ||
	    back.at != h.at)
		abort();
	return 0;
}
