/*
 * A job run now and every interval by its own thread until stopped (see
 * periodic.h). Layer: core. The wait is a timed condition wait, so a stop
 * never waits for the rest of an interval.
 */
#include "core/periodic.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/xmalloc.h"

struct periodic {
	int interval_s;
	void (*run)(void *arg);
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

static void *
periodic_main(void *arg)
{
	struct periodic *p = arg;
	/*
	 * The first run is made even when a stop came before this thread
	 * did: start-up's run (the audit chain's full check) always ends.
	 */
	for (;;) {
		p->run(p->arg);
		pthread_mutex_lock(&p->lock);
		if (p->stopping || p->interval_s <= 0)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += p->interval_s;
		/* A spurious wake-up waits again; a timeout or a stop ends. */
		while (!p->stopping &&
		       pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
			;
		bool stop = p->stopping;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct periodic *
periodic_start(int interval_s, void (*run)(void *arg), void *arg)
{
	struct periodic *p = xcalloc(1, sizeof(*p));
	p->interval_s = interval_s;
	p->run = run;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if (pthread_create(&p->thread, NULL, periodic_main, p) != 0)
		abort();
	return p;
}

void
periodic_stop(struct periodic **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	struct periodic *p = *pp;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}
