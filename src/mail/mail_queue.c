/*
 * The queue runner's threads: claiming due recipients under a lease,
 * grouping them by destination into jobs (one connection each), and
 * workers that run the jobs within the global (outbound.workers) and
 * per-destination (outbound.max_per_destination) limits. Layer: domain.
 * RFC 5321 §4.5.4.1. SPEC M5.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/xmalloc.h"
#include "mail/mail.h"
#include "mail/mail_dkim.h"
#include "mail/mail_dns.h"
#include "mail/mail_queue_internal.h"
#include "store/store.h"
#include "store/store_queue.h"

/* Rows claimed at once; a pass claims again until none are due. */
#define CLAIM_BATCH 2000
/* Memory for one claimed batch's rows. */
#define BATCH_ARENA_CAP (64 * 1024 * 1024)

static int
read_settings(struct mail_queue_runner *r, struct error *err)
{
	const struct config *c = r->env.config;
	if (mail_retry_policy_from_config(c, &r->retry, err) < 0 ||
	    mail_secure_policy_from_config(c, &r->secure, err) < 0 ||
	    mail_route_table_from_config(c, &r->routes, err) < 0)
		return -1;
	r->workers = (unsigned)config_get_int(c, "outbound.workers");
	r->max_per_dest =
		(unsigned)config_get_int(c, "outbound.max_per_destination");
	r->per_connection = (unsigned)config_get_int(c,
		"outbound.messages_per_connection");
	r->poll_s = config_get_int(c, "outbound.poll_s");
	r->lease_s = config_get_int(c, "outbound.lease_s");
	r->grace_s = config_get_int(c, "outbound.shutdown_grace_s");
	r->alert_interval_s =
		config_get_int(c, "outbound.tls_alert_interval_min") * 60;
	r->port = (uint16_t)config_get_int(c, "outbound.port");
	mail_hostname(c, r->helo, sizeof(r->helo));
	char host[64] = "";
	gethostname(host, sizeof(host) - 1);
	unsigned char rnd[4];
	randombytes_buf(rnd, sizeof(rnd));
	snprintf(r->id, sizeof(r->id), "%s:%ld:%02x%02x%02x%02x", host,
		(long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3]);
	return 0;
}

struct mail_queue_runner *
mail_queue_runner_new(const struct mail_queue_env *env, struct error *err)
{
	struct mail_queue_runner *r = xcalloc(1, sizeof(*r));
	r->env = *env;
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->note_mu, NULL);
	pthread_cond_init(&r->work_cv, NULL);
	pthread_cond_init(&r->wake_cv, NULL);
	/* Timed waits on these are spans of time, not dates. */
	pthread_condattr_t mono;
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	pthread_cond_init(&r->idle_cv, &mono);
	pthread_cond_init(&r->beat_cv, &mono);
	pthread_condattr_destroy(&mono);
	atomic_init(&r->cut, false);
	r->conns = net_group_new();
	r->dkim_keys = mail_dkim_keys_new(env->dkim_dir);
	/* Relative file settings are the instance directory's. */
	char *ca = config_get_path(env->config, "outbound.tls_ca_file",
		env->instance_dir);
	r->sts_ca = config_get_path(env->config, "outbound.mta_sts_ca_file",
		env->instance_dir);
	/* MTA-STS policies are fetched over HTTPS trusting this CA file. */
	mail_mta_sts_fetch_from_config(env->config, &r->sts_fetch);
	r->sts_fetch.ca_file = r->sts_ca;
	int rc = read_settings(r, err) < 0 ||
		(r->resolver = mail_dns_resolver_new(env->config, err)) ==
			NULL ||
		(r->trust = net_tls_client_new(ca, err)) == NULL ? -1 : 0;
	free(ca);
	if (rc < 0) {
		mail_queue_runner_free(&r);
		return NULL;
	}
	return r;
}

/* Takes the first job whose destination has a free slot; r->mu held. */
static struct mail_queue_job *
take_job(struct mail_queue_runner *r)
{
	struct mail_queue_job **pp = &r->head, *prev = NULL;
	for (struct mail_queue_job *j = r->head; j != NULL;
	     prev = j, pp = &j->next, j = j->next) {
		struct mail_queue_dest *d = mail_queue_dest_find(r, j->domain);
		if (d->active >= r->max_per_dest)
			continue;
		*pp = j->next;
		if (r->tail == j)
			r->tail = prev;
		d->active++;
		r->pending--;
		r->running++;
		/*
		 * The last claimed job is taken: the dispatcher may claim
		 * the next batch now, while the workers are busy, rather
		 * than at its next poll (outbound.poll_s).
		 */
		if (r->pending == 0) {
			r->woken = true;
			pthread_cond_signal(&r->wake_cv);
		}
		return j;
	}
	return NULL;
}

static void
job_free(struct mail_queue_job **jp)
{
	struct mail_queue_job *j = *jp;
	if (j == NULL)
		return;
	arena_free(&j->arena);
	free(j);
	*jp = NULL;
}

static void *
worker_main(void *arg)
{
	struct mail_queue_runner *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct mail_queue_job *j = NULL;
		while (!r->stopping && (j = take_job(r)) == NULL)
			pthread_cond_wait(&r->work_cv, &r->mu);
		if (j == NULL)
			break;
		pthread_mutex_unlock(&r->mu);
		struct error err;
		struct store *st = store_pool_get(r->env.pool, &err);
		if (st == NULL)
			log_error("outbound.store_unreachable", "reason=\"%s\"",
				err.msg);
		else
			mail_queue_job_run(r, j, st);
		store_pool_put(r->env.pool, &st);
		pthread_mutex_lock(&r->mu);
		mail_queue_dest_find(r, j->domain)->active--;
		r->running--;
		job_free(&j);
		/* A destination's slot freed: a waiting job may go now. */
		pthread_cond_broadcast(&r->work_cv);
		pthread_cond_broadcast(&r->idle_cv);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Now by the runner's clock: serve's, or a pass's time moved on. */
static int64_t
runner_now(const struct mail_queue_runner *r)
{
	if (r->env.clock != NULL)
		return r->env.clock();
	return r->pass_at + (clock_monotonic_ms() - r->pass_started_ms) / 1000;
}

/* Sleeps ms on the monotonic clock, or until stopped; r->mu held. */
static void
beat_sleep(struct mail_queue_runner *r, int64_t ms)
{
	struct timespec until;
	clock_deadline_ms(ms, &until);
	while (!r->beat_stop &&
	       pthread_cond_timedwait(&r->beat_cv, &r->mu, &until) !=
	       ETIMEDOUT)
		;
}

/*
 * The lease's heartbeat. A delivery can outlast any fixed lease (a slow
 * server within its DATA timeouts, up to messages_per_connection messages
 * a job, an MTA-STS fetch, jobs waiting for a destination's slot), and a
 * lease sized for the worst case would keep a crashed runner's rows for
 * hours. So the lease stays short and every lease_s / 3 the runner moves
 * its end on for every row it holds: while it lives no other runner takes
 * them; when it dies they are free within lease_s.
 */
static void *
heartbeat_main(void *arg)
{
	struct mail_queue_runner *r = arg;
	struct store *st = NULL;
	int64_t every_ms = r->lease_s * 1000 / 3;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		beat_sleep(r, every_ms);
		if (r->beat_stop)
			break;
		if (!r->claimed)
			continue;
		int64_t until = runner_now(r) + r->lease_s;
		pthread_mutex_unlock(&r->mu);
		struct error err;
		int64_t rows = 0;
		if (st == NULL)
			st = store_pool_get(r->env.pool, &err);
		if (st == NULL ||
		    store_queue_extend(st, r->id, until, &rows, &err) < 0) {
			log_warn("outbound.lease_renew_failed", "runner=%s "
				"reason=\"%s\"", r->id, err.msg);
			store_pool_put(r->env.pool, &st);
		} else if (rows > 0) {
			log_debug("outbound.lease_renewed", "runner=%s rows=%lld "
				"until=%lld", r->id, (long long)rows,
				(long long)until);
		}
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	store_pool_put(r->env.pool, &st);
	return NULL;
}

static int
start_workers(struct mail_queue_runner *r, struct error *err)
{
	if (r->threads != NULL)
		return 0;
	int brc = pthread_create(&r->beat, NULL, heartbeat_main, r);
	if (brc != 0)
		return error_set(err, ERROR_INTERNAL, "cannot start the queue "
			"heartbeat: %s", strerror(brc));
	r->beating = true;
	unsigned n = r->workers > 0 ? r->workers : 1;
	r->threads = xcalloc(n, sizeof(*r->threads));
	for (unsigned i = 0; i < n; i++) {
		int rc = pthread_create(&r->threads[i], NULL, worker_main, r);
		if (rc != 0)
			return error_set(err, ERROR_INTERNAL, "cannot start a "
				"queue worker: %s", strerror(rc));
		r->thread_count++;
	}
	return 0;
}

static int
compare_rows(const void *pa, const void *pb)
{
	const struct store_queued *a = pa, *b = pb;
	const char *da = strrchr(a->recipient, '@');
	const char *db = strrchr(b->recipient, '@');
	int c = strcasecmp(da != NULL ? da : "", db != NULL ? db : "");
	if (c != 0)
		return c;
	if (a->body_id != b->body_id)
		return a->body_id < b->body_id ? -1 : 1;
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	c = strcmp(a->sender, b->sender);
	if (c != 0)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void
enqueue(struct mail_queue_runner *r, struct mail_queue_job *j)
{
	pthread_mutex_lock(&r->mu);
	if (r->tail != NULL)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	r->pending++;
	pthread_cond_broadcast(&r->work_cv);
	pthread_mutex_unlock(&r->mu);
}

/*
 * Splits one destination's rows into jobs: a connection carries up to
 * outbound.messages_per_connection messages, and a destination gets at
 * most outbound.max_per_destination connections at once (the rest wait).
 * A message's rows stay in one job, so its recipients share one
 * transaction.
 */
static void
make_jobs(struct mail_queue_runner *r, const char *domain,
	struct store_queued *rows, size_t n, int64_t now)
{
	size_t per = r->per_connection;
	size_t i = 0;
	while (i < n) {
		struct mail_queue_job *j = xcalloc(1, sizeof(*j));
		str_copy(j->domain, sizeof(j->domain), domain);
		j->now = now;
		size_t start = i, m = 0;
		while (i < n) {
			bool new_message = i == start ||
				rows[i].body_id != rows[i - 1].body_id ||
				rows[i].created_at != rows[i - 1].created_at ||
				strcmp(rows[i].sender, rows[i - 1].sender) != 0;
			if (new_message && m == per)
				break;
			m += new_message;
			i++;
		}
		j->count = i - start;
		j->arena = arena_new(BATCH_ARENA_CAP);
		j->rows = arena_alloc(j->arena, j->count * sizeof(*j->rows));
		for (size_t k = 0; k < j->count; k++) {
			const struct store_queued *q = &rows[start + k];
			struct store_queued *c = &j->rows[k];
			*c = *q;
			c->sender = arena_strdup(j->arena, q->sender);
			c->recipient = arena_strdup(j->arena, q->recipient);
			c->last_error = arena_strdup(j->arena, q->last_error);
			c->claimed_by = "";
			c->dkim_signature = q->dkim_signature != NULL ?
				arena_strdup(j->arena, q->dkim_signature) :
				NULL;
			c->ret = arena_strdup(j->arena, q->ret);
			c->envid = arena_strdup(j->arena, q->envid);
			c->notify = arena_strdup(j->arena, q->notify);
			c->orcpt = arena_strdup(j->arena, q->orcpt);
			c->remote_mta = "";
			c->tls = "";
		}
		enqueue(r, j);
	}
}

/*
 * Claims up to CLAIM_BATCH due rows and queues their jobs; *claimed_r
 * counts the rows. Rows whose recipient has no usable domain fail here.
 */
static int
claim_and_queue(struct mail_queue_runner *r, struct store *st, int64_t now,
	size_t *claimed_r, struct error *err)
{
	struct arena *a = arena_new(BATCH_ARENA_CAP);
	struct store_queued *rows = NULL;
	size_t n = 0;
	int rc = store_queue_claim(st, r->id, now, now + r->lease_s,
		CLAIM_BATCH, a, &rows, &n, err);
	*claimed_r = rc == 0 ? n : 0;
	if (rc < 0 || n == 0) {
		arena_free(&a);
		return rc;
	}
	pthread_mutex_lock(&r->mu);
	r->claimed = true;
	pthread_mutex_unlock(&r->mu);
	qsort(rows, n, sizeof(*rows), compare_rows);
	size_t i = 0;
	while (i < n) {
		char domain[MAIL_SECURE_DOMAIN_SIZE];
		struct error derr;
		if (mail_domain_normalise(rows[i].recipient, domain,
			    sizeof(domain), &derr) < 0)
			str_copy(domain, sizeof(domain), "invalid.");
		size_t end = i + 1;
		while (end < n) {
			const char *x = strrchr(rows[end].recipient, '@');
			const char *y = strrchr(rows[i].recipient, '@');
			if (strcasecmp(x != NULL ? x : "", y != NULL ? y : "")
				!= 0)
				break;
			end++;
		}
		make_jobs(r, domain, &rows[i], end - i, now);
		i = end;
	}
	arena_free(&a);
	return 0;
}

/* Waits until no job is queued or running; r->mu not held. */
static void
wait_idle(struct mail_queue_runner *r)
{
	pthread_mutex_lock(&r->mu);
	while (r->pending > 0 || r->running > 0)
		pthread_cond_wait(&r->idle_cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

int
mail_queue_run_pass(struct mail_queue_runner *r, int64_t now,
	mail_queue_note *note, void *arg, size_t *attempted_r,
	struct error *err)
{
	pthread_mutex_lock(&r->mu);
	r->pass_at = now;
	r->pass_started_ms = clock_monotonic_ms();
	pthread_mutex_unlock(&r->mu);
	if (start_workers(r, err) < 0)
		return -1;
	pthread_mutex_lock(&r->note_mu);
	r->note = note;
	r->note_arg = arg;
	r->attempted = 0;
	pthread_mutex_unlock(&r->note_mu);
	struct store *st = store_pool_get(r->env.pool, err);
	if (st == NULL)
		return -1;
	int rc = 0;
	for (;;) {
		size_t claimed = 0;
		rc = claim_and_queue(r, st, now, &claimed, err);
		if (rc < 0 || claimed == 0)
			break;
		/* Rows deferred in this pass are due later than now. */
		wait_idle(r);
	}
	wait_idle(r);
	store_pool_put(r->env.pool, &st);
	pthread_mutex_lock(&r->note_mu);
	*attempted_r = r->attempted;
	r->note = NULL;
	pthread_mutex_unlock(&r->note_mu);
	return rc;
}

/* Sleeps until woken, stopping, or `seconds` pass; r->mu held. */
static void
dispatcher_sleep(struct mail_queue_runner *r, int64_t seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	while (!r->stopping && !r->woken) {
		if (pthread_cond_timedwait(&r->wake_cv, &r->mu, &until) ==
		    ETIMEDOUT)
			break;
	}
	r->woken = false;
}

/*
 * Claims only when every claimed job has been taken by a worker, so rows
 * never sit claimed in memory for long (their lease keeps running).
 */
static void *
dispatcher_main(void *arg)
{
	struct mail_queue_runner *r = arg;
	struct store *st = NULL;
	pthread_mutex_lock(&r->mu);
	while (!r->stopping) {
		if (r->pending > 0) {
			dispatcher_sleep(r, r->poll_s);
			continue;
		}
		pthread_mutex_unlock(&r->mu);
		struct error err;
		size_t claimed = 0;
		if (st == NULL)
			st = store_pool_get(r->env.pool, &err);
		if (st == NULL ||
		    claim_and_queue(r, st, r->env.clock(), &claimed, &err) < 0) {
			log_error("outbound.claim_failed", "reason=\"%s\"",
				err.msg);
			store_pool_put(r->env.pool, &st);
		}
		pthread_mutex_lock(&r->mu);
		/* A full batch: there may be more due at once. */
		if (claimed < CLAIM_BATCH)
			dispatcher_sleep(r, r->poll_s);
	}
	pthread_mutex_unlock(&r->mu);
	store_pool_put(r->env.pool, &st);
	return NULL;
}

static void wake_hook(void *arg);

int
mail_queue_runner_start(struct mail_queue_runner *r, struct error *err)
{
	if (r->env.clock == NULL)
		return error_set(err, ERROR_INTERNAL,
			"the queue runner needs a clock to run by itself");
	if (start_workers(r, err) < 0)
		return -1;
	int rc = pthread_create(&r->dispatcher, NULL, dispatcher_main, r);
	if (rc != 0)
		return error_set(err, ERROR_INTERNAL, "cannot start the queue "
			"dispatcher: %s", strerror(rc));
	r->dispatching = true;
	mail_deliver_set_queue_hook(wake_hook, r);
	log_info("outbound.started", "workers=%zu max_per_destination=%u "
		"poll_s=%lld runner=%s", r->thread_count, r->max_per_dest,
		(long long)r->poll_s, r->id);
	return 0;
}

static void
wake_hook(void *arg)
{
	mail_queue_runner_wake(arg);
}

void
mail_queue_runner_wake(struct mail_queue_runner *r)
{
	pthread_mutex_lock(&r->mu);
	r->woken = true;
	pthread_cond_signal(&r->wake_cv);
	pthread_mutex_unlock(&r->mu);
}

/*
 * Waits up to grace_s for the jobs running to end; false when some still
 * run at the end. r->mu held.
 */
static bool
wait_running(struct mail_queue_runner *r)
{
	struct timespec until;
	clock_deadline_ms(r->grace_s * 1000, &until);
	while (r->running > 0) {
		if (pthread_cond_timedwait(&r->idle_cv, &r->mu, &until) ==
		    ETIMEDOUT)
			return r->running == 0;
	}
	return true;
}

/*
 * Gives back every row this runner still holds, due as it was, so the
 * next runner takes it at once rather than when the lease ends: rows of
 * jobs never started, messages a stopping job did not start, and
 * deliveries that were cut.
 */
static void
release_claims(struct mail_queue_runner *r)
{
	size_t dropped = 0;
	while (r->head != NULL) {
		struct mail_queue_job *j = r->head;
		r->head = j->next;
		dropped += j->count;
		job_free(&j);
	}
	r->tail = NULL;
	r->pending = 0;
	if (!r->claimed || r->env.pool == NULL)
		return;
	struct error err;
	struct store *st = store_pool_get(r->env.pool, &err);
	if (st == NULL || store_queue_release(st, r->id, &err) < 0)
		log_warn("outbound.release_failed", "runner=%s not_started=%zu "
			"reason=\"%s\" note=\"taken again when their lease "
			"ends\"", r->id, dropped, err.msg);
	store_pool_put(r->env.pool, &st);
}

/*
 * Stopping (SIGTERM for serve): no more claims, no job or message
 * started; the deliveries in progress get outbound.shutdown_grace_s to
 * finish, then their connections are ended (net_group_end), which makes
 * their I/O fail at once. An attempt cut so is not an attempt: its
 * recipients are not settled (mail_queue_settle) and go back below,
 * unless the remote had already taken the message.
 */
void
mail_queue_runner_free(struct mail_queue_runner **rp)
{
	struct mail_queue_runner *r = *rp;
	if (r == NULL)
		return;
	if (r->dispatching)
		mail_deliver_set_queue_hook(NULL, NULL);
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_broadcast(&r->work_cv);
	pthread_cond_broadcast(&r->wake_cv);
	size_t running = r->running;
	bool finished = wait_running(r);
	size_t left = r->running;
	pthread_mutex_unlock(&r->mu);
	if (!finished) {
		atomic_store(&r->cut, true);
		log_warn("outbound.shutdown_cut", "runner=%s jobs=%zu "
			"grace_s=%lld note=\"deliveries still going are cut; "
			"their recipients are tried again at the next start\"",
			r->id, left, (long long)r->grace_s);
		net_group_end(r->conns);
	} else if (running > 0) {
		log_info("outbound.shutdown_waited", "runner=%s jobs=%zu",
			r->id, running);
	}
	if (r->dispatching)
		pthread_join(r->dispatcher, NULL);
	for (size_t i = 0; i < r->thread_count; i++)
		pthread_join(r->threads[i], NULL);
	if (r->beating) {
		pthread_mutex_lock(&r->mu);
		r->beat_stop = true;
		pthread_cond_broadcast(&r->beat_cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->beat, NULL);
	}
	release_claims(r);
	net_group_free(&r->conns);
	free(r->threads);
	free(r->dests);
	dns_resolver_free(&r->resolver);
	mail_dkim_keys_free(&r->dkim_keys);
	net_tls_client_free(&r->trust);
	free(r->sts_ca);
	pthread_mutex_destroy(&r->mu);
	pthread_mutex_destroy(&r->note_mu);
	pthread_cond_destroy(&r->work_cv);
	pthread_cond_destroy(&r->idle_cv);
	pthread_cond_destroy(&r->wake_cv);
	pthread_cond_destroy(&r->beat_cv);
	free(r);
	*rp = NULL;
}
