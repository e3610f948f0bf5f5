/*
 * What every parser's refusal must be, for the fuzz targets: a bad-input
 * or limit error with a sentence, never anything else. Test support.
 */
#ifndef FUZZ_REFUSAL_H
#define FUZZ_REFUSAL_H

#include <stdlib.h>

#include "core/error.h"

static inline void
check_refusal(const struct error *err)
{
	if ((err->code != ERROR_INVALID && err->code != ERROR_LIMIT) ||
	    err->msg[0] == '\0')
		abort();
}

/*
 * As check_refusal, and the sentence is one line of printable text: it
 * goes to logs and terminals, where a CR, LF or escape from the input
 * could forge a line or rewrite the screen.
 */
static inline void
check_refusal_line(const struct error *err)
{
	check_refusal(err);
	for (const char *p = err->msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	}
}

#endif
