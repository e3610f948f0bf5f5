/*
 * Change notification: what IMAP IDLE and a selected session wait on. The
 * store reports each committed change ("folder F of mailbox M changed",
 * store_change_subscribe); this file keeps a counter per bucket of
 * mailboxes and wakes the eventfd watches on the mailbox. Layer: domain.
 * RFC 2177 (IDLE).
 */
#include "mail/mail_notify.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "store/store.h"
#include "store/store_change.h"

/*
 * Mailboxes hash into buckets, each a counter and a list of watches under
 * its own lock, so a delivery touches only the watches in its bucket, and
 * of those wakes only the ones on its mailbox.
 */
#define CHANGE_BUCKETS 256

static struct change_bucket {
	pthread_mutex_t lock;
	uint64_t seq;
	struct mail_watch *watches;
} change_buckets[CHANGE_BUCKETS];

static pthread_once_t change_once = PTHREAD_ONCE_INIT;

static store_change_fn on_changes;

static void
change_init(void)
{
	for (size_t i = 0; i < CHANGE_BUCKETS; i++)
		pthread_mutex_init(&change_buckets[i].lock, NULL);
	struct error err;
	/* Only this file subscribes, once: there is always room. */
	if (store_change_subscribe(on_changes, NULL, &err) < 0)
		log_error("mail.watch_subscribe", "reason=\"%s\"", err.msg);
}

static struct change_bucket *
change_bucket(int64_t mailbox_id)
{
	pthread_once(&change_once, change_init);
	return &change_buckets[(uint64_t)mailbox_id % CHANGE_BUCKETS];
}

uint64_t
mail_change_seq(int64_t mailbox_id)
{
	struct change_bucket *b = change_bucket(mailbox_id);
	pthread_mutex_lock(&b->lock);
	uint64_t seq = b->seq;
	pthread_mutex_unlock(&b->lock);
	return seq;
}

/* Wakes the watches on one mailbox. */
static void
notify_changed(int64_t mailbox_id)
{
	struct change_bucket *b = change_bucket(mailbox_id);
	const uint64_t one = 1;
	pthread_mutex_lock(&b->lock);
	b->seq++;
	for (struct mail_watch *w = b->watches; w != NULL; w = w->next) {
		/* A full counter is already readable: nothing is lost. */
		if (w->mailbox_id == mailbox_id &&
		    write(w->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("mail.watch_write", "errno=%d", errno);
	}
	pthread_mutex_unlock(&b->lock);
}

/* Wakes every watch: a list's members are not known here. */
static void
notify_all(void)
{
	const uint64_t one = 1;
	for (size_t i = 0; i < CHANGE_BUCKETS; i++) {
		struct change_bucket *b = &change_buckets[i];
		pthread_mutex_lock(&b->lock);
		b->seq++;
		for (struct mail_watch *w = b->watches; w != NULL; w = w->next) {
			if (write(w->fd, &one, sizeof(one)) < 0 &&
			    errno != EAGAIN)
				log_warn("mail.watch_write", "errno=%d", errno);
		}
		pthread_mutex_unlock(&b->lock);
	}
}

/*
 * The store's report of a commit's changes, on the committing thread (the
 * writer's): wakes the watches on each mailbox, or every watch for "any".
 */
static void
on_changes(void *arg, const struct store_change *changes, size_t count)
{
	(void)arg;
	for (size_t i = 0; i < count; i++) {
		if (changes[i].mailbox_id == STORE_CHANGE_ANY) {
			notify_all();
			return;
		}
	}
	for (size_t i = 0; i < count; i++)
		notify_changed(changes[i].mailbox_id);
}

int
mail_watch_start(struct mail_watch *w, int64_t mailbox_id, struct error *err)
{
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd < 0)
		return error_set(err, ERROR_INTERNAL,
			"cannot watch the mailbox: eventfd: %s",
			strerror(errno));
	w->mailbox_id = mailbox_id;
	struct change_bucket *b = change_bucket(mailbox_id);
	pthread_mutex_lock(&b->lock);
	w->next = b->watches;
	b->watches = w;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void
mail_watch_clear(struct mail_watch *w)
{
	uint64_t count;
	if (w->fd >= 0 && read(w->fd, &count, sizeof(count)) < 0 &&
	    errno != EAGAIN)
		log_warn("mail.watch_read", "errno=%d", errno);
}

void
mail_watch_stop(struct mail_watch *w)
{
	if (w->fd < 0)
		return;
	struct change_bucket *b = change_bucket(w->mailbox_id);
	pthread_mutex_lock(&b->lock);
	for (struct mail_watch **at = &b->watches; *at != NULL;
	     at = &(*at)->next) {
		if (*at == w) {
			*at = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&b->lock);
	close(w->fd);
	w->fd = -1;
}
