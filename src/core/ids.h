/*
 * Sets of 64-bit ids (row ids, UIDs) held in sorted arrays: the order
 * qsort and bsearch take. Layer: core.
 */
#ifndef CORE_IDS_H
#define CORE_IDS_H

/* qsort/bsearch order of two int64_t: ascending. */
int ids_compare(const void *a, const void *b);

#endif
