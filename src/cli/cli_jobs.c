/*
 * `caremail jobs run [--at TIME] [--dry-run]`: every scheduled job step
 * (src/jobs/jobs.h) as of TIME, default now; prints one line per change
 * or notice. With --dry-run nothing is changed or sent: the same lines
 * say what would happen and who would be told (SPEC L6). serve runs the
 * same on a schedule (cli_jobs_schedule_start). Layer: front end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/periodic.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "instance/instance.h"
#include "jobs/jobs.h"

/* Who holds the jobs lock while running: this host and process. */
static void
lock_holder(char *buf, size_t size)
{
	char host[128] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(buf, size, "%s:%ld", host, (long)getpid());
}

static int
run_jobs(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t at = s->ctx.now;
	if (cli_opt_time(args, "at", &at, err) < 0)
		return -1;
	bool dry = cli_flag(args, "dry-run");
	struct store_writer *w = NULL;
	if (!dry && (w = instance_writer_start(s->inst, err)) == NULL)
		return -1;
	char holder[200];
	lock_holder(holder, sizeof(holder));
	struct jobs_report r = { 0 };
	bool ran;
	int rc = jobs_run(&s->ctx, w, at, dry, holder, 0, &r, &ran, err);
	instance_writer_stop(&w);
	if (rc == 0 && !ran)
		rc = error_set(err, ERROR_TEMPORARY, "another node is running "
			"the jobs now; try again when it has finished");
	if (rc == 0)
		cli_print(args, r.items, "step,action,address,rule,at,told");
	else
		json_decref(r.items);
	return rc;
}

int
cli_jobs_run(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = run_jobs(args, &s, err);
	cli_session_close(&s);
	return rc;
}

/*
 * serve's scheduled runs by outcome (docs/operations.md): ok, failed, or
 * skipped because another node held the jobs lease.
 */
static struct metrics_family job_runs = {
	.name = "caremail_job_runs_total",
	.help = "Scheduled job runs by serve, by outcome: ok, failed, or "
		"skipped (another node held the lease).",
	.type = METRICS_COUNTER,
	.labels = { "outcome" },
};
METRICS_REGISTER(job_runs)

/*
 * serve's schedule: the same run every jobs.interval_s, at start too (so
 * a server down for a week catches up at once). Several servers may
 * share the store: the lease makes one of them run it at a time, and the
 * run record (the lease's last run) makes one of them run each period.
 */
struct cli_jobs_schedule {
	const struct instance *inst;
	struct store_writer *writer;
	int64_t interval_s;
	struct periodic *thread;
};

static void
schedule_run_once(void *arg)
{
	struct cli_jobs_schedule *js = arg;
	struct error err;
	struct store *st = instance_store(js->inst, &err);
	if (st == NULL) {
		metrics_add(metrics_series(&job_runs, "failed", NULL), 1);
		log_warn("jobs.unrun", "reason=\"%s\"", err.msg);
		return;
	}
	struct arena *a = arena_new(16u << 20);
	struct dir_ctx ctx;
	int64_t now = clock_now();
	instance_dir_ctx(js->inst, st, a, "system", now, &ctx);
	ctx.client = "jobs";
	char holder[200];
	lock_holder(holder, sizeof(holder));
	struct jobs_report r = { 0 };
	bool ran = false;
	int rc = jobs_run(&ctx, js->writer, now, false, holder,
		js->interval_s, &r, &ran, &err);
	metrics_add(metrics_series(&job_runs, rc < 0 ? "failed" : ran ? "ok" :
		"skipped", NULL), 1);
	if (rc < 0)
		log_warn("jobs.failed", "reason=\"%s\"", err.msg);
	else if (ran)
		log_info("jobs.ran", "period=%" PRId64 " changes=%" PRId64
			" notices=%" PRId64,
			jobs_period_start(now, js->interval_s), r.changes,
			r.notices);
	json_decref(r.items);
	arena_free(&a);
	instance_store_close(&st);
}

struct cli_jobs_schedule *
cli_jobs_schedule_start(const struct instance *inst, struct store_writer *w)
{
	int interval = (int)config_get_int(inst->config, "jobs.interval_s");
	if (interval == 0) {
		log_info("jobs.off", "reason=\"jobs.interval_s is 0\"");
		return NULL;
	}
	struct cli_jobs_schedule *js = xcalloc(1, sizeof(*js));
	js->inst = inst;
	js->writer = w;
	js->interval_s = interval;
	/* Every outcome listed from the start, at zero. */
	metrics_series(&job_runs, "ok", NULL);
	metrics_series(&job_runs, "failed", NULL);
	metrics_series(&job_runs, "skipped", NULL);
	js->thread = periodic_start(interval, schedule_run_once, js);
	return js;
}

void
cli_jobs_schedule_stop(struct cli_jobs_schedule **jsp)
{
	if (jsp == NULL || *jsp == NULL)
		return;
	struct cli_jobs_schedule *js = *jsp;
	periodic_stop(&js->thread);
	free(js);
	*jsp = NULL;
}

/*
 * serve's text-index schedule: the text-index step alone (jobs_text_run,
 * its own lease) every jobs.text_index_interval_s, so new mail is indexed
 * within about that long, not the hour of the jobs run.
 */
static void
text_run_once(void *arg)
{
	struct cli_jobs_schedule *js = arg;
	struct error err;
	struct store *st = instance_store(js->inst, &err);
	if (st == NULL) {
		log_warn("jobs.text_unrun", "reason=\"%s\"", err.msg);
		return;
	}
	struct arena *a = arena_new(1u << 20);
	struct dir_ctx ctx;
	instance_dir_ctx(js->inst, st, a, "system", clock_now(), &ctx);
	ctx.client = "jobs";
	struct jobs_report r = { .items = json_array() };
	if (jobs_text_run(&ctx, js->writer, ctx.now, false, &r, &err) < 0)
		log_warn("jobs.text_unrun", "reason=\"%s\"", err.msg);
	json_decref(r.items);
	arena_free(&a);
	instance_store_close(&st);
}

struct cli_jobs_schedule *
cli_text_schedule_start(const struct instance *inst, struct store_writer *w)
{
	int interval = (int)config_get_int(inst->config,
		"jobs.text_index_interval_s");
	if (interval == 0)
		return NULL;
	struct cli_jobs_schedule *js = xcalloc(1, sizeof(*js));
	js->inst = inst;
	js->writer = w;
	js->interval_s = interval;
	js->thread = periodic_start(interval, text_run_once, js);
	return js;
}
