/*
 * Each recipient of a message once, however it was written (RFC 5321 §3.3,
 * §4.1.1.3): a hash index over the transaction's recipient list. Layer:
 * domain (pure). The SMTP parser drops a source route and mail_route
 * lower-cases, so "<@a,@b:u@ext>", "<U@EXT>" and "<u@ext>" reach the list
 * as one normal form; this index sees that they are one.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "mail/mail.h"

bool
mail_recipient_same(const struct mail_recipient *a,
	const struct mail_recipient *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == MAIL_ROUTE_LOCAL)
		return a->mailbox_id == b->mailbox_id;
	return strcmp(a->address, b->address) == 0;
}

/* FNV-1a over what mail_recipient_same compares. */
static uint32_t
recipient_hash(const struct mail_recipient *r)
{
	uint32_t h = 2166136261u;
	if (r->kind == MAIL_ROUTE_LOCAL) {
		uint64_t id = (uint64_t)r->mailbox_id;
		for (int i = 0; i < 8; i++) {
			h ^= (uint8_t)(id >> (8 * i));
			h *= 16777619u;
		}
		return h;
	}
	for (const unsigned char *p = (const unsigned char *)r->address;
	     *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h ^ 0x5bd1e995u;	/* keeps the kinds apart */
}

/* The slot where r is, or the empty one where it would go. */
static size_t
slot_of(const struct mail_recipient_index *ix,
	const struct mail_recipient *list, const struct mail_recipient *r)
{
	size_t mask = ix->size - 1;
	size_t i = recipient_hash(r) & mask;
	while (ix->slots[i] != 0 &&
	       !mail_recipient_same(&list[ix->slots[i] - 1], r))
		i = (i + 1) & mask;
	return i;
}

/* Makes room for count + 1 entries at half load, re-entering the old. */
static int
index_grow(struct mail_recipient_index *ix, struct arena *a,
	const struct mail_recipient *list, size_t count)
{
	if (ix->size != 0 && (count + 1) * 2 <= ix->size)
		return 0;
	size_t size = ix->size != 0 ? ix->size : 64;
	while (size < (count + 1) * 2)
		size *= 2;
	if (count >= UINT32_MAX / 2)
		return -1;
	uint32_t *slots = arena_alloc(a, size * sizeof(*slots));
	if (slots == NULL)
		return -1;
	ix->slots = slots;
	ix->size = size;
	for (size_t i = 0; i < ix->indexed; i++)
		slots[slot_of(ix, list, &list[i])] = (uint32_t)(i + 1);
	return 0;
}

int
mail_recipient_index_has(struct mail_recipient_index *ix, struct arena *a,
	const struct mail_recipient *list, size_t count,
	const struct mail_recipient *r, bool *has_r, struct error *err)
{
	if (index_grow(ix, a, list, count) < 0)
		return error_set(err, ERROR_LIMIT,
			"too many recipients for one message");
	/* Catch up with what the caller appended since the last call. */
	for (; ix->indexed < count; ix->indexed++) {
		const struct mail_recipient *e = &list[ix->indexed];
		size_t slot = slot_of(ix, list, e);
		if (ix->slots[slot] == 0)
			ix->slots[slot] = (uint32_t)(ix->indexed + 1);
	}
	*has_r = ix->slots[slot_of(ix, list, r)] != 0;
	return 0;
}
