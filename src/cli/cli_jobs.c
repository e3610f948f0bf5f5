/*
 * `caremail jobs run [--at TIME] [--dry-run]`: every scheduled job step
 * (src/jobs/jobs.h) as of TIME, default now; prints one line per change
 * or notice. With --dry-run nothing is changed or sent: the same lines
 * say what would happen and who would be told (SPEC L6). Layer: front end.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/str.h"
#include "instance/instance.h"
#include "jobs/jobs.h"

static int
run_jobs(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t at = s->ctx.now;
	const char *when = cli_opt(args, "at");
	if (when != NULL && !clock_parse(span_from_cstr(when), &at))
		return cli_usage(args, err, "--at takes a time as "
			"YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or epoch seconds, "
			"not '%s'", when);
	bool dry = cli_flag(args, "dry-run");
	/* The run happens at that time: its audit rows say so too. */
	s->ctx.now = at;
	struct store_writer *w = NULL;
	if (!dry && (w = instance_writer_start(s->inst, err)) == NULL)
		return -1;
	char host[128] = "", holder[200];
	gethostname(host, sizeof(host) - 1);
	snprintf(holder, sizeof(holder), "%s:%ld", host, (long)getpid());
	struct jobs_report r = { 0 };
	bool ran;
	int rc = jobs_run(&s->ctx, w, at, dry, holder, &r, &ran, err);
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
