/*
 * The waiting threads: requests that may wait (a write for its group
 * commit, a sign-in for Argon2id) are run here, so the request threads,
 * as many as the cores, are never held by one. Layer: front end.
 *
 * Why: a request thread serves many connections (http_server.c). With as
 * many threads as cores, People Finder's searches run without being
 * time-sliced against each other (B5: p99 7-9 ms at 2 threads against
 * 29-69 ms at 8), but then one sign-in or one commit would stall every
 * connection of its thread. The connection is suspended while its request
 * waits here (MHD_suspend_connection) and resumed with the reply made.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/xmalloc.h"
#include "http_internal.h"

/*
 * How long requests wait for a waiting thread (docs/operations.md): the
 * queue's own delay, before the request runs. Its upper buckets filling
 * say http.wait_threads is too few for the writes and sign-ins coming in;
 * caremail_http_waiting counts them, this says what it costs them.
 */
static struct metrics_family queue_seconds = {
	.name = "caremail_http_wait_queue_seconds",
	.help = "Seconds an HTTP request that may wait (a write, a sign-in, "
		"an export) spent queued for one of the http.wait_threads "
		"before it began to run.",
	.type = METRICS_HISTOGRAM,
	.bounds = metrics_latency_buckets,
	.bound_count = METRICS_LATENCY_BUCKET_COUNT,
};
METRICS_REGISTER(queue_seconds)

struct http_wait {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct http_wait_job *head, *tail;	/* queued, oldest first */
	bool stopping;
	struct metrics_series *queued;		/* queue_seconds */
	unsigned count;				/* threads started */
	pthread_t threads[];
};

static void *
http_wait_main(void *arg)
{
	struct http_wait *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct http_wait_job *job = w->head;
		if (job == NULL) {
			/* Stopping waits for the queue to empty: none is lost. */
			if (w->stopping)
				break;
			pthread_cond_wait(&w->work, &w->lock);
			continue;
		}
		w->head = job->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);
		metrics_observe_since(w->queued, job->queued_us);
		job->run(job);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct http_wait *
http_wait_start(unsigned threads, struct error *err)
{
	struct http_wait *w = xcalloc(1, sizeof(*w) +
		threads * sizeof(w->threads[0]));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	w->queued = metrics_series(&queue_seconds, NULL, NULL);
	for (; w->count < threads; w->count++) {
		int rc = pthread_create(&w->threads[w->count], NULL,
			http_wait_main, w);
		if (rc != 0) {
			error_set(err, ERROR_INTERNAL, "cannot start the HTTP "
				"waiting threads: %s", strerror(rc));
			http_wait_free(&w);
			return NULL;
		}
	}
	return w;
}

bool
http_wait_run(struct http_wait *w, struct http_wait_job *job)
{
	job->next = NULL;
	job->queued_us = clock_monotonic_us();
	pthread_mutex_lock(&w->lock);
	bool taken = !w->stopping;
	if (taken) {
		if (w->tail != NULL)
			w->tail->next = job;
		else
			w->head = job;
		w->tail = job;
		pthread_cond_signal(&w->work);
	}
	pthread_mutex_unlock(&w->lock);
	return taken;
}

void
http_wait_stop(struct http_wait *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	bool joined = w->stopping;
	w->stopping = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	if (joined)
		return;
	for (unsigned i = 0; i < w->count; i++)
		pthread_join(w->threads[i], NULL);
}

void
http_wait_free(struct http_wait **w)
{
	if (*w == NULL)
		return;
	http_wait_stop(*w);
	pthread_cond_destroy(&(*w)->work);
	pthread_mutex_destroy(&(*w)->lock);
	free(*w);
	*w = NULL;
}
