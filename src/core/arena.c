/*
 * Arenas as a list of blocks. Large requests get a block of their own so a
 * big allocation does not waste the tail of a small block. Layer: core.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "xmalloc.h"

#define ARENA_BLOCK_SIZE (16 * 1024)
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t size;	/* usable bytes in data */
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct arena_block *head;	/* the block being filled */
	size_t cap;
	size_t used;	/* bytes handed out, counted against cap */
	bool wiping;
};

static struct arena *
arena_create(size_t cap, bool wiping)
{
	struct arena *a = xcalloc(1, sizeof(*a));
	a->cap = cap;
	a->wiping = wiping;
	return a;
}

struct arena *
arena_new(size_t cap)
{
	return arena_create(cap, false);
}

struct arena *
arena_new_wiping(size_t cap)
{
	return arena_create(cap, true);
}

static void
arena_block_release(const struct arena *a, struct arena_block *b)
{
	if (a->wiping)
		sodium_memzero(b->data, b->size);
	free(b);
}

void
arena_reset(struct arena *a)
{
	if (a == NULL)
		return;
	/*
	 * The oldest standard block is reused. It is not always the last in
	 * the list: a large block made while it was the head sits behind it.
	 */
	struct arena_block *keep = NULL;
	struct arena_block *b = a->head;
	while (b != NULL) {
		struct arena_block *next = b->next;
		if (b->size == ARENA_BLOCK_SIZE) {
			if (keep != NULL)
				arena_block_release(a, keep);
			keep = b;
		} else {
			arena_block_release(a, b);
		}
		b = next;
	}
	if (keep != NULL) {
		if (a->wiping)
			sodium_memzero(keep->data, keep->used);
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
	a->used = 0;
}

void
arena_free(struct arena **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	struct arena *a = *ap;
	struct arena_block *b = a->head;
	while (b != NULL) {
		struct arena_block *next = b->next;
		arena_block_release(a, b);
		b = next;
	}
	free(a);
	*ap = NULL;
}

static struct arena_block *
arena_block_new(size_t size)
{
	struct arena_block *b = xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	/* The second test keeps a block's header from overflowing its size. */
	if (rounded < n || rounded > SIZE_MAX - sizeof(struct arena_block) ||
	    rounded > a->cap - a->used || a->used > a->cap)
		return NULL;
	struct arena_block *b = a->head;
	if (b == NULL || b->size - b->used < rounded) {
		if (rounded > ARENA_BLOCK_SIZE / 4) {
			/* A private block, linked behind the current one. */
			struct arena_block *big = arena_block_new(rounded);
			if (b == NULL) {
				a->head = big;
			} else {
				big->next = b->next;
				b->next = big;
			}
			big->used = rounded;
			a->used += rounded;
			memset(big->data, 0, rounded);
			return big->data;
		}
		b = arena_block_new(ARENA_BLOCK_SIZE);
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += rounded;
	a->used += rounded;
	memset(p, 0, rounded);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void *
arena_array_push(struct arena *a, void **items, size_t *count,
	size_t *capacity, size_t item_size)
{
	if (item_size == 0)
		abort();	/* an array of nothing is a caller's bug */
	if (*count == *capacity) {
		size_t cap = *capacity != 0 ? *capacity * 2 : 16;
		if (cap > SIZE_MAX / item_size)
			return NULL;
		void *grown = arena_alloc(a, cap * item_size);
		if (grown == NULL)
			return NULL;
		if (*count > 0)
			memcpy(grown, *items, *count * item_size);
		*items = grown;
		*capacity = cap;
	}
	void *slot = (char *)*items + *count * item_size;
	memset(slot, 0, item_size);
	(*count)++;
	return slot;
}

size_t
arena_used(const struct arena *a)
{
	return a->used;
}
