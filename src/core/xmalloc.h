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

/*
 * xmalloc for memory about to be written whole: a large block's pages are
 * made present in one call, not faulted in one by one as each is first
 * written (a large malloc is fresh pages of its own). In the benchmark's
 * virtual machine each fault costs microseconds: a cold IMAP SELECT of
 * 50,000 messages was 0.15-0.3 ms quicker (bench/RESULTS.md, 2026-12-06
 * 21:25). A small block, or a kernel without MADV_POPULATE_WRITE (Linux
 * 5.14), is plain xmalloc.
 */
void *xmalloc_written(size_t n);

#endif
