/*
 * Arenas: bump allocation freed all at once, one per session or request, with
 * a byte cap so a client cannot grow our memory without bound. Layer: core.
 * An arena is used by one thread only; its memory never crosses threads.
 */
#ifndef CORE_ARENA_H
#define CORE_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;

/* A new arena that refuses to hand out more than cap bytes in all. */
struct arena *arena_new(size_t cap);

/* As arena_new, but memory is wiped when reset or freed: for secrets. */
struct arena *arena_new_wiping(size_t cap);

/* Frees every block and sets *a to NULL. */
void arena_free(struct arena **a);

/* Releases everything allocated so far, keeping the first block for reuse. */
void arena_reset(struct arena *a);

/*
 * n bytes aligned for any type, zeroed, or NULL once the cap would be
 * exceeded (the caller reports ERROR_LIMIT). Owned by the arena.
 */
void *arena_alloc(struct arena *a, size_t n);

/* Copies of strings into the arena; NULL past the cap. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * Grows an arena array by one element, doubling its capacity as needed, and
 * returns the new zeroed slot, or NULL past the cap. *items, *count and
 * *capacity start as NULL, 0, 0.
 */
void *arena_array_push(struct arena *a, void **items, size_t *count,
	size_t *capacity, size_t item_size);

/* Bytes handed out since creation or the last reset. */
size_t arena_used(const struct arena *a);

#endif
