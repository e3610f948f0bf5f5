/*
 * Group commit. Sessions hand write jobs to one writer thread, which runs
 * every job waiting at that moment in one transaction and commits once, so
 * N concurrent deliveries cost one flush to stable storage instead of N
 * (RFC 5321 §6.1: 250 only once the message is safe). Layer: store.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"

/* A bound on one transaction, so one commit never waits on a huge batch. */
#define WRITER_BATCH_MAX 512
/* How often the checkpointer looks for committed work to fold back. */
#define CHECKPOINT_INTERVAL_MS 500

/*
 * What group commit costs a caller (docs/operations.md): from handing the
 * job over to its commit being durable, the wait before a 250.
 */
static struct metrics_family commit_seconds = {
	.name = "caremail_store_commit_seconds",
	.help = "Seconds from a write job's submission to the group commit "
		"that made it durable (failed jobs are not counted).",
	.type = METRICS_HISTOGRAM,
	.bounds = metrics_latency_buckets,
	.bound_count = METRICS_LATENCY_BUCKET_COUNT,
};
METRICS_REGISTER(commit_seconds)
static struct metrics_family commits_total = {
	.name = "caremail_store_commits_total",
	.help = "Group commits made: jobs per flush is the commit histogram's "
		"count divided by this.",
	.type = METRICS_COUNTER,
};
METRICS_REGISTER(commits_total)

struct writer_job {
	int (*fn)(struct store *st, void *arg, struct error *err);
	void *arg;
	struct error err;
	int rc;
	bool done;
	struct writer_job *next;
};

struct store_writer {
	struct store *st;	/* used only by the writer thread */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* jobs queued, or stopping */
	pthread_cond_t finished;	/* some batch was committed */
	struct writer_job *head, *tail;
	bool stopping;
	uint64_t commits;	/* shared commits made, for tests and benchmarks */
	/* The checkpointer: its own connection and thread. */
	struct store *maintenance;
	pthread_t checkpointer;
	pthread_cond_t wake;	/* stopping, for the checkpointer */
	uint64_t checkpointed;	/* commits count at the last checkpoint */
};

/* Runs one job in its own savepoint so its failure undoes only itself. */
static void
run_job(struct store *st, struct writer_job *job)
{
	if (store_begin(st, &job->err) < 0) {
		job->rc = -1;
		return;
	}
	job->rc = job->fn(st, job->arg, &job->err);
	if (job->rc < 0)
		store_rollback(st);
	else if (store_commit(st, &job->err) < 0)
		job->rc = -1;
}

static void
run_batch(struct store_writer *w, struct writer_job *batch)
{
	struct error err;
	if (store_begin(w->st, &err) < 0) {
		for (struct writer_job *j = batch; j != NULL; j = j->next) {
			j->rc = -1;
			j->err = err;
		}
		return;
	}
	for (struct writer_job *j = batch; j != NULL; j = j->next)
		run_job(w->st, j);
	if (store_commit(w->st, &err) == 0)
		return;
	/* The shared commit failed: nothing of any job was kept. */
	log_error("store.commit", "reason=\"%s\"", err.msg);
	for (struct writer_job *j = batch; j != NULL; j = j->next) {
		if (j->rc == 0) {
			j->rc = -1;
			/* A full disk stays itself, for SMTP's 452 4.3.1. */
			error_set(&j->err, err.code == ERROR_NO_SPACE ?
					ERROR_NO_SPACE : ERROR_TEMPORARY,
				"the message could not be stored safely; try "
				"again (%s)", err.msg);
		}
	}
}

/* Takes up to WRITER_BATCH_MAX jobs off the queue; called with the lock. */
static struct writer_job *
take_batch(struct store_writer *w)
{
	struct writer_job *batch = w->head;
	struct writer_job *last = batch;
	for (int n = 1; n < WRITER_BATCH_MAX && last->next != NULL; n++)
		last = last->next;
	w->head = last->next;
	if (w->head == NULL)
		w->tail = NULL;
	last->next = NULL;
	return batch;
}

static void *
writer_main(void *arg)
{
	struct store_writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->head == NULL)
			break;
		struct writer_job *batch = take_batch(w);
		/* Jobs arriving during this commit form the next batch. */
		pthread_mutex_unlock(&w->lock);
		run_batch(w, batch);
		pthread_mutex_lock(&w->lock);
		w->commits++;
		metrics_add(metrics_series(&commits_total, NULL, NULL), 1);
		for (struct writer_job *j = batch, *next; j != NULL; j = next) {
			next = j->next;
			j->done = true;
		}
		pthread_cond_broadcast(&w->finished);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * Folds the log back into the database between commits, never inside one
 * (SQLite would otherwise checkpoint during whichever commit crossed the
 * threshold, and every delivery in that batch would wait for it).
 */
static void *
checkpointer_main(void *arg)
{
	struct store_writer *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += CHECKPOINT_INTERVAL_MS * 1000000L;
		deadline.tv_sec += deadline.tv_nsec / 1000000000L;
		deadline.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&w->wake, &w->lock, &deadline);
		if (w->stopping || w->commits == w->checkpointed)
			continue;
		w->checkpointed = w->commits;
		pthread_mutex_unlock(&w->lock);
		struct error err;
		if (w->maintenance->ops->maintain(w->maintenance->conn, &err) < 0)
			log_warn("store.checkpoint", "reason=\"%s\"", err.msg);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct store_writer *
store_writer_start(const char *backend, const char *path,
	int busy_timeout_ms, struct error *err)
{
	struct store *st = store_open(backend, path, false, busy_timeout_ms,
		err);
	if (st == NULL)
		return NULL;
	struct store *maintenance = store_open(backend, path, false,
		busy_timeout_ms, err);
	if (maintenance == NULL) {
		store_close(&st);
		return NULL;
	}
	store_defer_maintenance(st);
	struct store_writer *w = xcalloc(1, sizeof(*w));
	w->st = st;
	w->maintenance = maintenance;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->finished, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
		abort();	/* no thread for the writer: nothing can be stored */
	if (pthread_create(&w->checkpointer, NULL, checkpointer_main, w) != 0)
		abort();
	return w;
}

void
store_writer_stop(struct store_writer **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	struct store_writer *w = *wp;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->work);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_join(w->checkpointer, NULL);
	/* A last checkpoint leaves the log short for the next start. */
	struct error err;
	w->maintenance->ops->maintain(w->maintenance->conn, &err);
	store_close(&w->maintenance);
	pthread_cond_destroy(&w->wake);
	store_close(&w->st);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->finished);
	free(w);
	*wp = NULL;
}

int
store_writer_run(struct store_writer *w,
	int (*fn)(struct store *st, void *arg, struct error *err), void *arg,
	struct error *err)
{
	struct writer_job job = { .fn = fn, .arg = arg };
	int64_t start_us = clock_monotonic_us();
	error_clear(&job.err);
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return error_set(err, ERROR_TEMPORARY,
			"the server is shutting down; try again");
	}
	if (w->tail != NULL)
		w->tail->next = &job;
	else
		w->head = &job;
	w->tail = &job;
	pthread_cond_signal(&w->work);
	while (!job.done)
		pthread_cond_wait(&w->finished, &w->lock);
	pthread_mutex_unlock(&w->lock);
	if (job.rc < 0)
		return error_forward(err, &job.err);
	metrics_observe_since(metrics_series(&commit_seconds, NULL, NULL),
		start_us);
	return 0;
}

uint64_t
store_writer_commits(struct store_writer *w)
{
	pthread_mutex_lock(&w->lock);
	uint64_t n = w->commits;
	pthread_mutex_unlock(&w->lock);
	return n;
}
