/*
 * caremail secure purge [--at TIME], and serve's hourly sweep doing the
 * same: every sealed message past its expiry (secure.expiry_days) loses
 * its wrapped key and ciphertext, so it can never be read again, while
 * its metadata and access log stay. Layer: front end; the rule is
 * mail_portal_purge's. SPEC M11.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "instance/instance.h"
#include "mail/mail_portal.h"

int
cli_secure_purge(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int64_t at = s.ctx.now;
	const char *when = cli_opt(args, "at");
	int rc = 0;
	if (when != NULL && !clock_parse(span_from_cstr(when), &at))
		rc = cli_usage(args, err, "--at takes a time as "
			"YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or epoch seconds, "
			"not '%s'", when);
	int64_t n = 0;
	if (rc == 0) {
		s.ctx.now = at;
		rc = mail_portal_purge(&s.ctx, &n, err);
	}
	if (rc == 0) {
		char sentence[128];
		snprintf(sentence, sizeof(sentence), "%lld expired secure %s "
			"purged.", (long long)n, n == 1 ? "message" :
			"messages");
		cli_print_done(args, json_pack("{s:I}", "purged",
			(json_int_t)n), sentence);
	}
	cli_session_close(&s);
	return rc;
}

/* ---- serve's sweep ---- */

/* Hourly: a message is unreadable from its expiry on anyway (410). */
#define SWEEP_INTERVAL_S 3600

struct cli_secure_sweep {
	const struct instance *inst;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

static void
sweep_once(const struct instance *inst)
{
	struct error err;
	struct store *st = instance_store_borrow(inst, &err);
	if (st == NULL) {
		log_warn("secure.purge_failed", "reason=\"%s\"", err.msg);
		return;
	}
	struct arena *a = arena_new(1024 * 1024);
	struct dir_ctx ctx;
	instance_dir_ctx(inst, st, a, "system", clock_now(), &ctx);
	ctx.client = "serve";
	int64_t n;
	if (mail_portal_purge(&ctx, &n, &err) < 0)
		log_warn("secure.purge_failed", "reason=\"%s\"", err.msg);
	arena_free(&a);
	instance_store_return(inst, &st);
}

static void *
sweep_main(void *arg)
{
	struct cli_secure_sweep *w = arg;
	for (;;) {
		sweep_once(w->inst);
		pthread_mutex_lock(&w->lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SWEEP_INTERVAL_S;
		while (!w->stopping &&
		       pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
			;
		bool stop = w->stopping;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			return NULL;
	}
}

struct cli_secure_sweep *
cli_secure_sweep_start(const struct instance *inst)
{
	struct cli_secure_sweep *w = xcalloc(1, sizeof(*w));
	w->inst = inst;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, sweep_main, w) != 0)
		abort();	/* no thread: expired messages would stay */
	return w;
}

void
cli_secure_sweep_stop(struct cli_secure_sweep **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	struct cli_secure_sweep *w = *wp;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	*wp = NULL;
}
