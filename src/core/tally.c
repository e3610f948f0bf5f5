/*
 * Per-key amounts in a hash table of buckets, each with its own lock; an
 * entry goes when its amount returns to zero. Layer: core.
 */
#include "core/tally.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define TALLY_BUCKETS 256

struct tally_entry {
	struct tally_entry *next;
	int64_t held;
	char key[];
};

struct tally_bucket {
	pthread_mutex_t lock;
	struct tally_entry *entries;
};

struct tally {
	struct tally_bucket buckets[TALLY_BUCKETS];
};

struct tally *
tally_new(void)
{
	struct tally *t = xcalloc(1, sizeof(*t));
	for (size_t i = 0; i < TALLY_BUCKETS; i++)
		pthread_mutex_init(&t->buckets[i].lock, NULL);
	return t;
}

void
tally_free(struct tally **tp)
{
	if (tp == NULL || *tp == NULL)
		return;
	struct tally *t = *tp;
	for (size_t i = 0; i < TALLY_BUCKETS; i++) {
		struct tally_entry *e = t->buckets[i].entries;
		while (e != NULL) {
			struct tally_entry *next = e->next;
			free(e);
			e = next;
		}
		pthread_mutex_destroy(&t->buckets[i].lock);
	}
	free(t);
	*tp = NULL;
}

/* FNV-1a: the keys are signed-in addresses, not an attacker's choice. */
static struct tally_bucket *
bucket_of(struct tally *t, const char *key)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0';
		p++)
		h = (h ^ *p) * 1099511628211ull;
	return &t->buckets[h % TALLY_BUCKETS];
}

/* The entry for key in b (locked), or NULL; *link_r is where it hangs. */
static struct tally_entry *
find(struct tally_bucket *b, const char *key, struct tally_entry ***link_r)
{
	struct tally_entry **link = &b->entries;
	while (*link != NULL && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	*link_r = link;
	return *link;
}

bool
tally_take(struct tally *t, const char *key, int64_t amount, int64_t cap)
{
	struct tally_bucket *b = bucket_of(t, key);
	struct tally_entry **link;
	bool taken = false;
	pthread_mutex_lock(&b->lock);
	struct tally_entry *e = find(b, key, &link);
	int64_t held = e != NULL ? e->held : 0;
	if (cap <= 0 || (amount <= cap && held <= cap - amount)) {
		if (e == NULL) {
			size_t n = strlen(key) + 1;
			e = xcalloc(1, sizeof(*e) + n);
			memcpy(e->key, key, n);
			*link = e;
		}
		e->held += amount;
		taken = true;
	}
	pthread_mutex_unlock(&b->lock);
	return taken;
}

void
tally_give(struct tally *t, const char *key, int64_t amount)
{
	struct tally_bucket *b = bucket_of(t, key);
	struct tally_entry **link;
	pthread_mutex_lock(&b->lock);
	struct tally_entry *e = find(b, key, &link);
	if (e != NULL) {
		e->held -= amount;
		if (e->held <= 0) {
			*link = e->next;
			free(e);
		}
	}
	pthread_mutex_unlock(&b->lock);
}

int64_t
tally_held(struct tally *t, const char *key)
{
	struct tally_bucket *b = bucket_of(t, key);
	struct tally_entry **link;
	pthread_mutex_lock(&b->lock);
	struct tally_entry *e = find(b, key, &link);
	int64_t held = e != NULL ? e->held : 0;
	pthread_mutex_unlock(&b->lock);
	return held;
}
