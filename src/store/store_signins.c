/*
 * What a node has heard of sign-in times (store_signins.h). Layer: store.
 *
 * An open-addressed table of person and time under one lock: at most the
 * sign-ins of a minute, or of a copy being made, are held (store_finder.c
 * takes them into the copy a minute at a time, or at 65,536).
 */
#include "store/store_signins.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xmalloc.h"

static struct {
	pthread_mutex_t lock;
	struct signin_heard *slots;	/* person_id 0: empty */
	size_t capacity, count;
	atomic_uint_fast64_t epoch;
	/* The listener's current connection (0 none), and the copy's. */
	atomic_uint_fast64_t connection, caught_up;
	uint64_t connections;
	atomic_bool kept;	/* a copy takes them: else nothing is kept */
} heard = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* How far ahead of this node's clock an announced time may be. */
#define SIGNINS_AHEAD_S 300

/* The slot of id: its own, or the empty one it would take. Under lock. */
static struct signin_heard *
slot_of(struct signin_heard *slots, size_t capacity, int64_t id)
{
	size_t i = ((uint64_t)id * 0x9E3779B97F4A7C15ull) & (capacity - 1);
	while (slots[i].person_id != 0 && slots[i].person_id != id)
		i = (i + 1) & (capacity - 1);
	return &slots[i];
}

/* Room for one more: the table doubled when half full. Under lock. */
static void
grow(void)
{
	if (2 * (heard.count + 1) <= heard.capacity)
		return;
	size_t capacity = heard.capacity ? 2 * heard.capacity : 1024;
	struct signin_heard *slots = xcalloc(capacity, sizeof(*slots));
	for (size_t i = 0; i < heard.capacity; i++)
		if (heard.slots[i].person_id != 0)
			*slot_of(slots, capacity, heard.slots[i].person_id) =
				heard.slots[i];
	free(heard.slots);
	heard.slots = slots;
	heard.capacity = capacity;
}

/* Everything forgotten; the copy behind (it is no longer kept). */
static void
signins_reset(void)
{
	pthread_mutex_lock(&heard.lock);
	atomic_fetch_add(&heard.epoch, 1);
	free(heard.slots);
	heard.slots = NULL;
	heard.capacity = heard.count = 0;
	atomic_store(&heard.caught_up, 0);
	pthread_mutex_unlock(&heard.lock);
}

void
signins_keep(bool on)
{
	atomic_store(&heard.kept, on);
	if (!on)
		signins_reset();
}

void
signins_heard(int64_t person_id, int64_t at)
{
	if (person_id <= 0 || at <= 0 || !atomic_load(&heard.kept))
		return;
	pthread_mutex_lock(&heard.lock);
	grow();
	struct signin_heard *s = slot_of(heard.slots, heard.capacity,
		person_id);
	if (s->person_id == 0) {
		*s = (struct signin_heard){ person_id, at };
		heard.count++;
	} else if (at > s->at) {
		/* Announcements of two nodes' commits may cross: the newest. */
		s->at = at;
	}
	pthread_mutex_unlock(&heard.lock);
}

bool
signins_parse(const char *payload, struct signin_heard *h_r)
{
	/*
	 * Digits, one space, digits (strtoll alone would take " +1"), each
	 * at most 18 of them, so neither overflows.
	 */
	const char *space = strchr(payload, ' ');
	size_t id_len = space != NULL ? (size_t)(space - payload) : 0;
	size_t at_len = space != NULL ? strlen(space + 1) : 0;
	if (id_len == 0 || id_len > 18 || at_len == 0 || at_len > 18 ||
	    strspn(payload, "0123456789") != id_len ||
	    strspn(space + 1, "0123456789") != at_len)
		return false;
	h_r->person_id = strtoll(payload, NULL, 10);
	h_r->at = strtoll(space + 1, NULL, 10);
	return h_r->person_id > 0 && h_r->at > 0;
}

bool
signins_heard_text(const char *payload)
{
	/*
	 * Anyone who may connect may NOTIFY, and a node keeps the newest
	 * time it hears: one far ahead of the clock would stand until the
	 * person's row changed.
	 */
	struct signin_heard h;
	if (!signins_parse(payload, &h) ||
	    h.at > (int64_t)time(NULL) + SIGNINS_AHEAD_S)
		return false;
	signins_heard(h.person_id, h.at);
	return true;
}

int64_t
signins_of(int64_t person_id)
{
	int64_t at = 0;
	pthread_mutex_lock(&heard.lock);
	if (heard.count > 0) {
		struct signin_heard *s = slot_of(heard.slots, heard.capacity,
			person_id);
		at = s->person_id == person_id ? s->at : 0;
	}
	pthread_mutex_unlock(&heard.lock);
	return at;
}

uint64_t
signins_epoch(void)
{
	return atomic_load(&heard.epoch);
}

void
signins_listening(bool connected)
{
	pthread_mutex_lock(&heard.lock);
	atomic_store(&heard.connection, connected ? ++heard.connections : 0);
	pthread_mutex_unlock(&heard.lock);
}

bool
signins_complete(void)
{
	uint64_t c = atomic_load(&heard.connection);
	return c != 0 && atomic_load(&heard.caught_up) == c;
}

uint64_t
signins_behind(void)
{
	uint64_t c = atomic_load(&heard.connection);
	return c != 0 && atomic_load(&heard.caught_up) != c ? c : 0;
}

void
signins_caught_up(uint64_t number)
{
	atomic_store(&heard.caught_up, number);
}

void
signins_uncaught(void)
{
	atomic_store(&heard.caught_up, 0);
}

size_t
signins_count(void)
{
	pthread_mutex_lock(&heard.lock);
	size_t n = heard.count;
	pthread_mutex_unlock(&heard.lock);
	return n;
}

static int
by_person(const void *x, const void *y)
{
	const struct signin_heard *a = x, *b = y;
	return (a->person_id > b->person_id) - (a->person_id < b->person_id);
}

size_t
signins_take(struct signin_heard **items_r)
{
	pthread_mutex_lock(&heard.lock);
	size_t n = 0;
	struct signin_heard *items = xmalloc((heard.count + 1) *
		sizeof(*items));
	for (size_t i = 0; i < heard.capacity; i++)
		if (heard.slots[i].person_id != 0)
			items[n++] = heard.slots[i];
	pthread_mutex_unlock(&heard.lock);
	qsort(items, n, sizeof(*items), by_person);
	*items_r = items;
	return n;
}

void
signins_taken(const struct signin_heard *items, size_t count)
{
	if (count == 0)
		return;
	pthread_mutex_lock(&heard.lock);
	/* Before any is forgotten: a reader then looks again. */
	atomic_fetch_add(&heard.epoch, 1);
	/* Made again at the size what is left needs: a burst is let go. */
	size_t capacity = 1024;
	while (capacity < 2 * heard.count)
		capacity *= 2;
	struct signin_heard *slots = xcalloc(capacity, sizeof(*slots));
	size_t kept = 0;
	for (size_t i = 0; i < heard.capacity; i++) {
		struct signin_heard h = heard.slots[i];
		if (h.person_id == 0)
			continue;
		const struct signin_heard *t = bsearch(&h, items, count,
			sizeof(*items), by_person);
		if (t != NULL && t->at >= h.at)
			continue;
		*slot_of(slots, capacity, h.person_id) = h;
		kept++;
	}
	free(heard.slots);
	heard.slots = slots;
	heard.capacity = capacity;
	heard.count = kept;
	pthread_mutex_unlock(&heard.lock);
}
