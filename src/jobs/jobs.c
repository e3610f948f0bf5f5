/*
 * The jobs runner: the step table and one run under the lease (jobs.h),
 * and the day as every step's notices write it.
 * Layer: domain.
 */
#include "jobs/jobs.h"

#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "store/store_lifecycle.h"

/* Steps of other modules add a line here (GUEST: attestations, licences). */
const struct jobs_step jobs_steps[] = {
	{ "lifecycle", jobs_lifecycle_run },
	{ "guests", jobs_guest_run },
	{ "licences", jobs_licence_run },
	{ "shared", jobs_shared_run },
	{ "bodies", jobs_bodies_run },
	{ "text-index", jobs_text_run },
	{ NULL, NULL },
};

/* Longer than any run should take; a crashed node's lease frees itself. */
#define JOBS_LEASE_S 3600

void
jobs_report_add(struct jobs_report *r, int64_t org_id, const char *step,
	const char *action, const char *address, const char *rule, int64_t at,
	const char *told)
{
	json_array_append_new(r->items, json_pack("{s:s, s:s, s:s, s:s, s:I,"
		" s:s, s:I}", "step", step, "action", action, "address", address,
		"rule", rule, "at", (json_int_t)at, "told",
		told != NULL ? told : "", "org_id", (json_int_t)org_id));
}

int
jobs_run(const struct dir_ctx *ctx, struct store_writer *w, int64_t now,
	bool dry_run, const char *holder, int64_t period_s,
	struct jobs_report *r, bool *ran_r, struct error *err)
{
	*ran_r = false;
	r->items = json_array();
	r->changes = r->notices = 0;
	/* A dry run changes nothing, so it needs no lease. */
	if (!dry_run) {
		/*
		 * ctx->now is the real time, whatever `now` the run is as of.
		 * A scheduled run's period is counted from the epoch, so every
		 * node agrees on it: a run finished since it began means
		 * another node (or an operator) has done its work.
		 */
		int64_t not_since = period_s > 0 ?
			jobs_period_start(ctx->now, period_s) : 0;
		int taken = store_lease_take(ctx->store, "jobs", holder, ctx->now,
			ctx->now + JOBS_LEASE_S, not_since, err);
		if (taken <= 0)
			return taken;
	}
	*ran_r = true;
	int rc = 0;
	for (const struct jobs_step *s = jobs_steps; s->name != NULL; s++) {
		if ((rc = s->run(ctx, w, now, dry_run, r, err)) < 0)
			break;
	}
	struct error inner;
	if (!dry_run && store_lease_release(ctx->store, "jobs", holder,
		    ctx->now, rc == 0, &inner) < 0 && rc == 0)
		return error_forward(err, &inner);
	return rc;
}

int64_t
jobs_period_start(int64_t t, int64_t period_s)
{
	return t - t % period_s;
}

const char *
jobs_day_text(struct arena *a, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%d %B %Y", &tm);
	return arena_strdup(a, buf);
}
