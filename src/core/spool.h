/*
 * A spool holds one incoming message while it arrives: in memory up to a
 * small size, then in an unlinked file, so what a session holds in memory
 * stays small whatever the message's size (SECURITY.md 31; RFC 5321
 * §4.5.3.1.10 SIZE). Layer: core. A spool is used by one thread.
 */
#ifndef CORE_SPOOL_H
#define CORE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

struct error;
struct spool;

/*
 * A new, empty spool that keeps up to mem_max bytes in memory and the rest
 * in a file made (unlinked, mode 0600) in directory dir when it is first
 * needed, and takes at most max bytes in all. Owned by the caller: free it
 * with spool_free. Never fails: the file is made by the first append that
 * needs it.
 */
struct spool *spool_new(const char *dir, size_t mem_max, size_t max);

/*
 * Appends len bytes. ERROR_LIMIT once the spool would pass its max (the
 * bytes are not kept, but spool_size still counts them, so the caller can
 * read on to the end and then refuse); ERROR_NO_SPACE when the file system
 * is full; ERROR_TEMPORARY when the file cannot be made or written for
 * another reason. Appending after spool_view is a bug.
 */
int spool_append(struct spool *sp, const void *data, size_t len,
	struct error *err);

/* Bytes appended, counting those refused past max. */
size_t spool_size(const struct spool *sp);

/*
 * The whole content as one span: the memory itself, or the file mapped
 * read-only (its pages belong to the page cache, not to the process's
 * heap). Valid until spool_free. ERROR_TEMPORARY when the file cannot be
 * mapped; ERROR_LIMIT when bytes were refused past max.
 */
int spool_view(struct spool *sp, struct span *view_r, struct error *err);

/* Frees the memory, unmaps and closes the file; *sp = NULL. */
void spool_free(struct spool **sp);

#endif
