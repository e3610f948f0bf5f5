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

#endif
