/*
 * Sets of 64-bit ids in sorted arrays (ids.h). Layer: core.
 */
#include "core/ids.h"

#include <stdint.h>

int
ids_compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}
