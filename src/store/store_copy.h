/*
 * Copying a whole store into a new store of another backend, and the
 * proof that nothing was lost (store_copy.c). Layer: store; used by the
 * domain's migrate command (instance/).
 */
#ifndef STORE_STORE_COPY_H
#define STORE_STORE_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;

/*
 * Copies every row of the store at src_path (src_backend) into the new
 * store at dst_path (dst_backend, made or migrated to the same schema
 * version; it must hold no organisation), in one transaction of the
 * destination, then counts and checksums every table on both sides into
 * *r (in a, which must outlive the call). progress (may be NULL) is told
 * each table as it is copied, with its rows, and each later stage as it
 * begins, with rows -1. ERROR_EXISTS: the destination is in use;
 * ERROR_INVALID: different schemas; ERROR_INTERNAL with r filled: a table
 * differs after the copy (nothing is undone then: the operator keeps the
 * source and looks).
 */
int store_copy(const char *src_backend, const char *src_path,
	const char *dst_backend, const char *dst_path, struct arena *a,
	struct store_copy_report *r, void (*progress)(const char *table,
	int64_t rows, void *arg), void *arg, struct error *err);

#endif
