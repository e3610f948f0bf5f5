/*
 * Allocation that cannot fail: out of memory aborts, as a bug would, so no
 * caller carries an untested NULL path. Layer: core. Client-controlled sizes
 * go through capped arenas instead (arena.h).
 */
#ifndef CORE_XMALLOC_H
#define CORE_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
