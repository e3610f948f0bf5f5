/*
 * A node's memory of the sessions it read (store_session_cache.h).
 * Layer: store.
 *
 * Why (bench B5 on PostgreSQL, bench/RESULTS.md 2026-12-06): every
 * signed-in request began with a round trip to the database for its
 * session, and that round trip (a wake-up of a PostgreSQL backend and of
 * the request's thread) was a third of a People Finder search's CPU on
 * the two cores the node and the database shared.
 *
 * Forgetting is by epochs, so a notification costs the same whatever is
 * remembered: a slot is good while the whole memory's epoch and its
 * person's bucket's epoch are those it was filled under. Every forgetting
 * also moves `forgotten`, which a fill compares with the mark taken
 * before its read (a read that began before a commit was announced must
 * not outlive the announcement).
 */
#include "store/store_session_cache.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "store/store_session.h"

/* Sessions remembered at once; a newer one takes an older's slot. */
#define SLOTS 4096
/* Buckets people are forgotten by (a shared bucket forgets both). */
#define BUCKETS 4096

struct slot {
	char hash[65];	/* the token's hex SHA-256, "" empty */
	int64_t filled_ms;
	uint64_t epoch, bucket_epoch;
	struct session_cached c;	/* its strings xstrdup'd, owned */
};

static struct {
	pthread_mutex_t lock;
	struct slot slots[SLOTS];
	atomic_int max_age_ms;	/* 0: keep nothing */
	atomic_int listen_fd;	/* the listener's socket, -1 none */
	atomic_bool reading;	/* the listener is taking what came */
	/* Until when (monotonic ms) the listener is known to be caught up. */
	atomic_int_fast64_t alive_until;
	atomic_uint_fast64_t epoch;
	atomic_uint_fast64_t buckets[BUCKETS];
	atomic_uint_fast64_t forgotten;
	atomic_int_fast64_t newest;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1 };

void
store_session_cache_set(int max_age_s)
{
	atomic_store(&cache.max_age_ms, max_age_s > 0 ? max_age_s * 1000 : 0);
	session_cache_forget_all();
}

bool
session_cache_wanted(void)
{
	return atomic_load(&cache.max_age_ms) > 0;
}

static size_t
slot_of(const char *hash)
{
	/* The hash is SHA-256: any of its bits spread evenly. */
	size_t i = 0;
	for (int k = 0; k < 4 && hash[k] != '\0'; k++)
		i = i * 16 + (size_t)(hash[k] <= '9' ? hash[k] - '0' :
			(hash[k] | 0x20) - 'a' + 10);
	return i % SLOTS;
}

static size_t
bucket_of(int64_t person_id)
{
	return (size_t)((uint64_t)person_id % BUCKETS);
}

/*
 * Whether a notification may be waiting unread: the listener's socket
 * has bytes it has not yet taken. A session is then read afresh rather
 * than risk being a moment behind what the listener is about to hear.
 */
static bool
listener_behind(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) != 0;
}

/* Every string field of c, so each can be copied or freed in turn. */
#define CACHED_STRING_COUNT 15
static void
cached_strings(struct session_cached *c,
	const char **out[CACHED_STRING_COUNT])
{
	const char **fields[CACHED_STRING_COUNT] = { &c->session.token_hash,
		&c->session.csrf_token, &c->person.address,
		&c->person.first_name, &c->person.last_name,
		&c->person.display_name, &c->person.job_title,
		&c->person.department, &c->person.phone, &c->person.mobile,
		&c->person.notes, &c->person.sync_id,
		&c->person.protocols_off, &c->signin.mfa_secret, &c->roles };
	memcpy(out, fields, sizeof(fields));
}

/* Wiped as they go: a CSRF token and a token's hash among them. */
static void
free_owned(struct session_cached *c)
{
	const char **f[CACHED_STRING_COUNT];
	cached_strings(c, f);
	for (size_t i = 0; i < CACHED_STRING_COUNT; i++) {
		char *s = (char *)(uintptr_t)*f[i];
		if (s != NULL)
			sodium_memzero(s, strlen(s));
		free(s);
	}
}

bool
session_cache_listener_current(void)
{
	int fd = atomic_load(&cache.listen_fd);
	/*
	 * The socket first, then whether the listener is reading: bytes
	 * gone from the socket are in the listener's hands until it has
	 * forgotten what they said.
	 */
	return fd >= 0 &&
		clock_monotonic_ms() < atomic_load(&cache.alive_until) &&
		!listener_behind(fd) && !atomic_load(&cache.reading);
}

bool
session_cache_get(const char *token_hash, struct arena *a,
	struct session_cached *c_r)
{
	int max_age = atomic_load(&cache.max_age_ms);
	if (max_age == 0 || !session_cache_listener_current())
		return false;
	int64_t now = clock_monotonic_ms();
	struct slot *s = &cache.slots[slot_of(token_hash)];
	bool hit = false;
	pthread_mutex_lock(&cache.lock);
	if (strcmp(s->hash, token_hash) == 0 &&
	    now - s->filled_ms <= max_age &&
	    s->epoch == atomic_load(&cache.epoch) &&
	    s->bucket_epoch == atomic_load(
		    &cache.buckets[bucket_of(s->c.person.id)])) {
		*c_r = s->c;
		const char **f[CACHED_STRING_COUNT];
		cached_strings(c_r, f);
		hit = true;
		/* An arena at its cap gives no copy: the database says why. */
		for (size_t i = 0; i < CACHED_STRING_COUNT; i++)
			if (*f[i] != NULL &&
			    (*f[i] = arena_strdup(a, *f[i])) == NULL)
				hit = false;
	}
	pthread_mutex_unlock(&cache.lock);
	return hit;
}

uint64_t
session_cache_mark(void)
{
	return atomic_load(&cache.forgotten);
}

void
session_cache_put(uint64_t mark, const char *token_hash,
	const struct session_cached *c)
{
	if (atomic_load(&cache.max_age_ms) == 0 ||
	    atomic_load(&cache.listen_fd) < 0 || strlen(token_hash) > 64)
		return;
	struct slot *s = &cache.slots[slot_of(token_hash)];
	pthread_mutex_lock(&cache.lock);
	/*
	 * Nothing forgotten since the read began: the epochs now are the
	 * ones it was read under.
	 */
	if (atomic_load(&cache.forgotten) == mark) {
		if (s->hash[0] != '\0')
			free_owned(&s->c);
		memcpy(s->hash, token_hash, strlen(token_hash) + 1);
		s->filled_ms = clock_monotonic_ms();
		s->epoch = atomic_load(&cache.epoch);
		s->bucket_epoch = atomic_load(
			&cache.buckets[bucket_of(c->person.id)]);
		s->c = *c;
		const char **f[CACHED_STRING_COUNT];
		cached_strings(&s->c, f);
		for (size_t i = 0; i < CACHED_STRING_COUNT; i++)
			if (*f[i] != NULL)
				*f[i] = xstrdup(*f[i]);
	}
	pthread_mutex_unlock(&cache.lock);
}

void
session_cache_touch(int64_t session_id, int64_t last_seen_at)
{
	if (atomic_load(&cache.max_age_ms) == 0)
		return;
	pthread_mutex_lock(&cache.lock);
	for (size_t i = 0; i < SLOTS; i++)
		if (cache.slots[i].hash[0] != '\0' &&
		    cache.slots[i].c.session.id == session_id)
			cache.slots[i].c.session.last_seen_at = last_seen_at;
	pthread_mutex_unlock(&cache.lock);
}

void
session_cache_forget_session(int64_t session_id)
{
	if (atomic_load(&cache.max_age_ms) == 0)
		return;
	pthread_mutex_lock(&cache.lock);
	atomic_fetch_add(&cache.forgotten, 1);
	for (size_t i = 0; i < SLOTS; i++)
		if (cache.slots[i].hash[0] != '\0' &&
		    cache.slots[i].c.session.id == session_id) {
			free_owned(&cache.slots[i].c);
			cache.slots[i].hash[0] = '\0';
		}
	pthread_mutex_unlock(&cache.lock);
}

/*
 * Under the lock, as a fill is: a fill that found nothing forgotten
 * since its read began must not then take the epoch this forgetting
 * moved to (and so be good under it).
 */
void
session_cache_forget_person(int64_t person_id)
{
	pthread_mutex_lock(&cache.lock);
	atomic_fetch_add(&cache.buckets[bucket_of(person_id)], 1);
	atomic_fetch_add(&cache.forgotten, 1);
	pthread_mutex_unlock(&cache.lock);
}

void
session_cache_forget_all(void)
{
	pthread_mutex_lock(&cache.lock);
	atomic_fetch_add(&cache.epoch, 1);
	atomic_fetch_add(&cache.forgotten, 1);
	pthread_mutex_unlock(&cache.lock);
}

void
session_cache_heard(const char *payload)
{
	char *end;
	if (payload[0] == 'p') {
		long long id = strtoll(payload + 1, &end, 10);
		if (end != payload + 1 && *end == '\0') {
			session_cache_forget_person(id);
			return;
		}
	} else if (payload[0] == 'n') {
		long long note = strtoll(payload + 1, &end, 10);
		if (end != payload + 1 && *end == '\0') {
			session_cache_note_newest(note);
			return;
		}
	}
	/* "*", or anything not understood: forget everything. */
	session_cache_forget_all();
}

void
session_cache_note_newest(int64_t note)
{
	int64_t seen = atomic_load(&cache.newest);
	while (note > seen &&
	       !atomic_compare_exchange_weak(&cache.newest, &seen, note))
		;
}

int64_t
session_cache_newest_heard(void)
{
	return atomic_load(&cache.newest);
}

void
session_cache_reading(bool reading)
{
	atomic_store(&cache.reading, reading);
}

void
session_cache_listening(int fd)
{
	/*
	 * Forgotten before the socket is published, so no old slot serves;
	 * the newest note heard is the new connection's to tell.
	 */
	session_cache_forget_all();
	atomic_store(&cache.newest, 0);
	atomic_store(&cache.alive_until, 0);
	atomic_store(&cache.listen_fd, fd);
}

void
session_cache_alive_until(int64_t until_ms)
{
	atomic_store(&cache.alive_until, until_ms);
}
