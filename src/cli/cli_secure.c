/*
 * caremail secure purge [--at TIME], and serve's hourly sweep doing the
 * same: every sealed message past its expiry (secure.expiry_days) loses
 * its wrapped key and ciphertext, so it can never be read again, while
 * its metadata and access log stay. Layer: front end; the rule is
 * mail_portal_purge's. SPEC M11.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/periodic.h"
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
	int rc = cli_opt_time(args, "at", &at, err);
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
	struct periodic *thread;
};

static void
sweep_once(void *arg)
{
	const struct instance *inst = ((struct cli_secure_sweep *)arg)->inst;
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

struct cli_secure_sweep *
cli_secure_sweep_start(const struct instance *inst)
{
	struct cli_secure_sweep *w = xcalloc(1, sizeof(*w));
	w->inst = inst;
	w->thread = periodic_start(SWEEP_INTERVAL_S, sweep_once, w);
	return w;
}

void
cli_secure_sweep_stop(struct cli_secure_sweep **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	/* A purge under way finishes first. */
	periodic_stop(&(*wp)->thread);
	free(*wp);
	*wp = NULL;
}
