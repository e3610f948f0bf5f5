/*
 * Change notification: "folder F of mailbox M changed", noted by whoever
 * writes inside a transaction and reported to the subscribers only once
 * that transaction has committed (a rolled-back savepoint's notes go with
 * it). In this process, by callbacks. On a store several nodes share
 * (PostgreSQL), the same notes go to the other nodes too: the commit
 * announces them in its own transaction (NOTIFY, delivered at commit and
 * never for a rollback), and each node's listener hands what it hears,
 * less its own, to the same subscribers. Notifications are not durable:
 * after a listener's connection is lost and made again, every subscriber
 * is told "any mailbox", so each looks at the store for itself (the
 * resync). Layer: store.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/error.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "store/store_backend.h"
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

static void announce_one(struct store *st, const struct store_change *c);

void
store_changed(struct store *st, int64_t mailbox_id, int64_t folder_id)
{
	struct store_change c = { mailbox_id, folder_id };
	if (st->depth == 0) {
		publish(&c, 1); /* no transaction: it is already committed */
		announce_one(st, &c);
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

/*
 * This process's name on the channel, so its listener skips what it
 * announced itself (already published at its commit): random, so two
 * nodes never share one, whatever their hosts and pids.
 */
static char node_token[17];
static pthread_once_t node_once = PTHREAD_ONCE_INIT;

static void
node_token_make(void)
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&r;
	snprintf(node_token, sizeof(node_token), "%016" PRIx64, r);
}

static const char *
node_name(void)
{
	pthread_once(&node_once, node_token_make);
	return node_token;
}

/*
 * PostgreSQL's payloads end before 8000 bytes; a transaction with more
 * notes than fit announces "any mailbox", as one past CHANGES_MAX does.
 */
#define PAYLOAD_MAX 7900

/* "NODE MAILBOX:FOLDER ...", "NODE 0:0" for any mailbox. */
static void
payload_make(const struct store_change *changes, size_t count, char *buf,
	size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "%s", node_name());
	for (size_t i = 0; i < count; i++) {
		char one[48];
		int len = snprintf(one, sizeof(one), " %" PRId64 ":%" PRId64,
			changes[i].mailbox_id, changes[i].folder_id);
		if (changes[i].mailbox_id == STORE_CHANGE_ANY ||
		    n + (size_t)len >= size) {
			snprintf(buf, size, "%s 0:0", node_name());
			return;
		}
		memcpy(buf + n, one, (size_t)len + 1);
		n += (size_t)len;
	}
}

int
store_change_parse(const char *payload, char *node, size_t node_size,
	struct store_change *changes, size_t max, size_t *count_r)
{
	*count_r = 0;
	const char *space = strchr(payload, ' ');
	size_t len = space != NULL ? (size_t)(space - payload) : 0;
	if (space == NULL || len == 0 || len >= node_size)
		return -1;
	memcpy(node, payload, len);
	node[len] = '\0';
	const char *p = space + 1;
	while (*p != '\0') {
		char *end;
		long long mb = strtoll(p, &end, 10);
		if (end == p || *end != ':' || mb < 0)
			return -1;
		p = end + 1;
		long long folder = strtoll(p, &end, 10);
		if (end == p || (*end != ' ' && *end != '\0') || folder < 0)
			return -1;
		p = *end == ' ' ? end + 1 : end;
		/* Past the caller's room, "any" says as much in one. */
		if (mb == STORE_CHANGE_ANY || *count_r == max) {
			changes[0] = (struct store_change){ STORE_CHANGE_ANY, 0 };
			*count_r = 1;
			return 0;
		}
		changes[(*count_r)++] =
			(struct store_change){ (int64_t)mb, (int64_t)folder };
	}
	return *count_r > 0 ? 0 : -1;
}

/* Sends changes to the other nodes, in the open transaction if any. */
static int
announce(struct store *st, const struct store_change *changes, size_t count,
	struct error *err)
{
	char payload[PAYLOAD_MAX];
	payload_make(changes, count, payload, sizeof(payload));
	return store_exec(st, err, st->ops->announce, "t", payload) < 0 ?
		-1 : 0;
}

int
store_changes_announce(struct store *st, struct error *err)
{
	if (st->ops->announce == NULL || st->change_count == 0)
		return 0;
	return announce(st, st->changes, st->change_count, err);
}

/*
 * A note made outside a transaction is committed already: the other
 * nodes hear of it as best they can, and a failure is only logged (their
 * sessions see the change at their next resync).
 */
static void
announce_one(struct store *st, const struct store_change *c)
{
	struct error err;
	if (st->ops->announce != NULL && announce(st, c, 1, &err) < 0)
		log_warn("store.announce_failed", "reason=\"%s\"", err.msg);
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

/* ---- the listener: what the other nodes committed ---- */

struct store_change_listener {
	const struct store_ops *ops;
	char *path;
	atomic_bool stop;
	pthread_t thread;
};

/* How long one wait lasts: how soon a stop is seen. */
#define LISTEN_WAIT_MS 250
/* Between attempts to connect again. */
#define LISTEN_RETRY_MS 1000

static void
heard(void *arg, const char *payload)
{
	(void)arg;
	char node[32];
	struct store_change changes[64];
	size_t count;
	if (store_change_parse(payload, node, sizeof(node), changes,
		    sizeof(changes) / sizeof(changes[0]), &count) < 0) {
		/* Not ours to read: waking everyone costs a look, not mail. */
		log_warn("store.change_unreadable", "length=%zu",
			strlen(payload));
		changes[0] = (struct store_change){ STORE_CHANGE_ANY, 0 };
		count = 1;
	} else if (strcmp(node, node_name()) == 0) {
		return;	/* published at our own commit */
	}
	publish(changes, count);
}

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void *
listener_main(void *arg)
{
	struct store_change_listener *l = arg;
	void *conn = NULL;
	bool connected_once = false, lost_logged = false;
	struct error err;
	while (!atomic_load(&l->stop)) {
		if (conn == NULL) {
			conn = l->ops->listen_open(l->path, &err);
			if (conn == NULL) {
				if (!lost_logged)
					log_warn("store.listen_lost",
						"reason=\"%s\"", err.msg);
				lost_logged = true;
				for (int t = 0; t < LISTEN_RETRY_MS &&
				     !atomic_load(&l->stop); t += LISTEN_WAIT_MS)
					nap_ms(LISTEN_WAIT_MS);
				continue;
			}
			/*
			 * Whatever was committed while nobody listened was
			 * not heard: every watcher looks for itself.
			 */
			if (connected_once) {
				log_info("store.listen_resumed", "resync=all");
				struct store_change any = { STORE_CHANGE_ANY, 0 };
				publish(&any, 1);
			}
			connected_once = true;
			lost_logged = false;
		}
		if (l->ops->listen_wait(conn, LISTEN_WAIT_MS, heard, NULL,
			    &err) < 0) {
			log_warn("store.listen_lost", "reason=\"%s\"", err.msg);
			lost_logged = true;
			l->ops->listen_close(conn);
			conn = NULL;
		}
	}
	if (conn != NULL)
		l->ops->listen_close(conn);
	return NULL;
}

int
store_change_listen_start(const char *backend, const char *path,
	struct store_change_listener **l_r, struct error *err)
{
	*l_r = NULL;
	const struct store_ops *ops = store_backend_find(backend);
	if (ops == NULL)
		return error_set(err, ERROR_INVALID,
			"there is no store backend '%s'", backend);
	if (ops->listen_open == NULL)
		return 0;	/* one process owns the store: nothing to hear */
	struct store_change_listener *l = xcalloc(1, sizeof(*l));
	l->ops = ops;
	l->path = xstrdup(path);
	atomic_init(&l->stop, false);
	node_name();
	if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
		free(l->path);
		free(l);
		return error_set(err, ERROR_INTERNAL,
			"cannot start the change listener's thread");
	}
	*l_r = l;
	return 0;
}

void
store_change_listen_stop(struct store_change_listener **lp)
{
	if (lp == NULL || *lp == NULL)
		return;
	struct store_change_listener *l = *lp;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	free(l->path);
	free(l);
	*lp = NULL;
}
