/*
 * Fixed-window counters in a set-associative table: a key's keyed hash
 * picks a set of RATELIMIT_WAYS slots, and a new key takes a free or
 * expired slot there, else the one whose window began longest ago.
 * Layer: core. SipHash keyed at random per table, so nobody can aim keys
 * at one set to evict a chosen counter.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define RATELIMIT_WAYS 8

struct ratelimit_slot {
	uint64_t hash;		/* 0: free */
	int64_t window_start;
	int64_t count;
};

struct ratelimit {
	pthread_mutex_t lock;
	size_t sets;
	unsigned char key[crypto_shorthash_KEYBYTES];
	struct ratelimit_slot *slots;	/* sets * RATELIMIT_WAYS */
};

struct ratelimit *
ratelimit_new(size_t slots)
{
	if (sodium_init() < 0)
		abort();	/* no CSPRNG for the hash key */
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	rl->sets = slots / RATELIMIT_WAYS > 0 ? slots / RATELIMIT_WAYS : 1;
	rl->slots = xcalloc(rl->sets * RATELIMIT_WAYS, sizeof(*rl->slots));
	crypto_shorthash_keygen(rl->key);
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void
ratelimit_free(struct ratelimit **rl)
{
	if (*rl == NULL)
		return;
	pthread_mutex_destroy(&(*rl)->lock);
	free((*rl)->slots);
	free(*rl);
	*rl = NULL;
}

static uint64_t
key_hash(const struct ratelimit *rl, const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;
	crypto_shorthash(out, (const unsigned char *)key, strlen(key),
		rl->key);
	memcpy(&h, out, sizeof(h));
	return h != 0 ? h : 1;	/* 0 marks a free slot */
}

/* The key's slot in its set, taken over if the key has none. */
static struct ratelimit_slot *
slot_for(struct ratelimit *rl, uint64_t h, int64_t now, int64_t window_s)
{
	struct ratelimit_slot *set = rl->slots + (h % rl->sets) *
		RATELIMIT_WAYS;
	struct ratelimit_slot *victim = &set[0];
	for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
		if (set[i].hash == h)
			return &set[i];
	}
	for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
		bool expired = now - set[i].window_start >= window_s;
		if (set[i].hash == 0 || expired) {
			victim = &set[i];
			break;
		}
		if (set[i].window_start < victim->window_start)
			victim = &set[i];
	}
	*victim = (struct ratelimit_slot){ h, now, 0 };
	return victim;
}

bool
ratelimit_allow(struct ratelimit *rl, const char *key, int64_t now,
	int64_t limit, int64_t window_s, bool count, int64_t *retry_after_r)
{
	uint64_t h = key_hash(rl, key);
	if (window_s < 1)
		window_s = 1;
	pthread_mutex_lock(&rl->lock);
	struct ratelimit_slot *s = slot_for(rl, h, now, window_s);
	if (now - s->window_start >= window_s || now < s->window_start) {
		s->window_start = now;
		s->count = 0;
	}
	bool allowed = s->count < limit;
	if (allowed && count)
		s->count++;
	int64_t retry = s->window_start + window_s - now;
	pthread_mutex_unlock(&rl->lock);
	if (retry_after_r != NULL)
		*retry_after_r = retry > 0 ? retry : 1;
	return allowed;
}
