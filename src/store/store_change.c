/*
 * Change notification: "folder F of mailbox M changed", noted by whoever
 * writes inside a transaction and reported to the subscribers only once
 * that transaction has committed (a rolled-back savepoint's notes go with
 * it). In-process callbacks today; a PostgreSQL backend would send the same
 * notes with NOTIFY, which PostgreSQL also delivers only at commit, and
 * feed what LISTEN hears to the same subscribers. Layer: store.
 */
#include <pthread.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"

/* Past this many notes in one transaction, it reports "any mailbox". */
#define CHANGES_MAX 1024
#define SUBSCRIBERS_MAX 4

static struct {
	pthread_mutex_t lock;
	size_t count;
	struct {
		store_change_fn *fn;
		void *arg;
	} subscribers[SUBSCRIBERS_MAX];
} hook = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
store_change_subscribe(store_change_fn *fn, void *arg, struct error *err)
{
	pthread_mutex_lock(&hook.lock);
	if (hook.count == SUBSCRIBERS_MAX) {
		pthread_mutex_unlock(&hook.lock);
		return error_set(err, ERROR_INTERNAL,
			"too many change subscribers");
	}
	hook.subscribers[hook.count].fn = fn;
	hook.subscribers[hook.count].arg = arg;
	hook.count++;
	pthread_mutex_unlock(&hook.lock);
	return 0;
}

static void
publish(const struct store_change *changes, size_t count)
{
	pthread_mutex_lock(&hook.lock);
	for (size_t i = 0; i < hook.count; i++)
		hook.subscribers[i].fn(hook.subscribers[i].arg, changes,
			count);
	pthread_mutex_unlock(&hook.lock);
}

void
store_changed(struct store *st, int64_t mailbox_id, int64_t folder_id)
{
	struct store_change c = { mailbox_id, folder_id };
	if (st->depth == 0) {
		publish(&c, 1); /* no transaction: it is already committed */
		return;
	}
	if (st->change_count > 0) {
		const struct store_change *last =
			&st->changes[st->change_count - 1];
		if (last->mailbox_id == STORE_CHANGE_ANY ||
			(last->mailbox_id == mailbox_id &&
				last->folder_id == folder_id))
			return;
	}
	if (st->change_count == st->change_capacity &&
		st->change_capacity < CHANGES_MAX) {
		st->change_capacity = st->change_capacity == 0 ?
			16 :
			st->change_capacity * 2;
		st->changes = xrealloc(st->changes,
			st->change_capacity * sizeof(*st->changes));
	}
	if (st->change_count == CHANGES_MAX || mailbox_id == STORE_CHANGE_ANY) {
		/*
		 * Bounded memory whatever the transaction does: waking every
		 * watcher costs each a look, missing one would lose mail.
		 */
		st->changes[0] = (struct store_change){ STORE_CHANGE_ANY, 0 };
		st->change_count = 1;
		return;
	}
	st->changes[st->change_count++] = c;
}

void
store_changes_committed(struct store *st)
{
	if (st->change_count > 0)
		publish(st->changes, st->change_count);
	st->change_count = 0;
}

void
store_changes_undone(struct store *st, size_t mark)
{
	/*
	 * After an overflow to "any" (one note) only a rollback to nothing
	 * drops it; otherwise the "any" stays: a spurious wake-up is harmless.
	 */
	if (mark < st->change_count)
		st->change_count = mark;
}

void
store_changes_free(struct store *st)
{
	free(st->changes);
	st->changes = NULL;
	st->change_count = st->change_capacity = 0;
}
