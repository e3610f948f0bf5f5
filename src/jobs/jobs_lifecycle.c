/*
 * The lifecycle job step (SPEC L1-L7, P12): sweeps every person not yet
 * purged, asks the pure rules (src/lifecycle/) what is due at `now`, and
 * applies each due step at its own due time, one person per transaction,
 * until nothing more is due: so a run after a long gap lands exactly where
 * runs every day would have. Warnings before each step and the notice of
 * going Inactive are mailed to the person through the platform's own
 * delivery, each once (lifecycle_notices). A dry run reports the same
 * items and writes and sends nothing. Layer: domain.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "jobs/jobs.h"
#include "lifecycle/lifecycle.h"
#include "mail/mail.h"
#include "mail/mail_compose.h"
#include "mail/mail_dsn.h"
#include "store/store_lifecycle.h"

#define PAGE 10000
#define PAGE_ARENA (64u << 20)

static enum store_person_status
status_after(enum lifecycle_step step, enum store_person_status now)
{
	switch (step) {
	case LIFECYCLE_REACTIVATE:
		return STORE_PERSON_ACTIVE;
	case LIFECYCLE_INACTIVE:
		return STORE_PERSON_INACTIVE;
	case LIFECYCLE_DELETE:
		return STORE_PERSON_DELETED;
	case LIFECYCLE_NONE:
	case LIFECYCLE_PURGE:
		break;
	}
	return now;
}

static void
day_text(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%d %B %Y", &tm);
}

static const char *
step_words(enum lifecycle_step step)
{
	switch (step) {
	case LIFECYCLE_INACTIVE:
		return "made inactive";
	case LIFECYCLE_DELETE:
		return "deleted";
	case LIFECYCLE_PURGE:
		return "purged (its mail destroyed)";
	case LIFECYCLE_NONE:
	case LIFECYCLE_REACTIVATE:
		break;
	}
	return "changed";
}

/* One notice from the postmaster into the person's own mailbox. */
static int
send_notice(const struct dir_ctx *ctx, struct store_writer *w,
	const struct store_lifecycle_row *row, const char *subject,
	const char *text, struct error *err)
{
	if (w == NULL)
		return 0;
	char postmaster[300];
	mail_dsn_postmaster(ctx->config, postmaster, sizeof(postmaster));
	struct mail_compose mc = { .from = postmaster, .from_name = "caremail",
		.to = row->address, .subject = subject, .date = ctx->now,
		.text = text };
	struct span body;
	if (mail_compose(&mc, ctx->config, ctx->arena, &body, err) < 0)
		return -1;
	struct str msg;
	str_init(&msg, ctx->arena, body.len + 64);
	if (mail_return_path_header("", &msg) < 0 ||
	    str_append(&msg, body.p, body.len) < 0)
		return error_set(err, ERROR_LIMIT, "no memory for the notice");
	struct mail_message m = { .data = str_cstr(&msg), .size = msg.len,
		.received_at = ctx->now, .sender = "" };
	struct mail_recipient to = { .kind = MAIL_ROUTE_LOCAL,
		.address = row->address, .mailbox_id = row->mailbox_id };
	return mail_deliver(w, ctx, &m, &to, 1, NULL, err);
}

/* The warning due before the next step, once per step and lead. */
static int
warn(const struct dir_ctx *ctx, struct store_writer *w,
	const struct lifecycle_config *cfg, const struct store_lifecycle_row *row,
	const struct lifecycle_account *acct, int64_t now, bool dry_run,
	struct jobs_report *r, struct error *err)
{
	struct lifecycle_transition t;
	int lead;
	if (!lifecycle_warning_due(cfg, acct, now, &t, &lead))
		return 0;
	char kind[64];
	snprintf(kind, sizeof(kind), "warn-%s-%d", lifecycle_step_name(t.step),
		lead);
	if (store_notice_sent(ctx->store, row->id, kind, t.due_at))
		return 0;
	r->notices++;
	jobs_report_add(r, "lifecycle", kind, row->address, t.rule, now,
		row->address);
	if (dry_run)
		return 0;
	char day[64];
	day_text(t.due_at, day, sizeof(day));
	const char *subject = arena_printf(ctx->arena, "Your account will be "
		"%s on %s", step_words(t.step), day);
	const char *text = arena_printf(ctx->arena, "Dear %s,\n\nYour "
		"account %s will be %s on %s (%s).\n\nTo keep it, sign in "
		"before then. If you think this is wrong, ask your local "
		"administrator.\n", row->display_name, row->address,
		step_words(t.step), day, t.reason);
	if (subject == NULL || text == NULL)
		return error_set(err, ERROR_LIMIT, "no memory for the notice");
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = store_notice_mark(ctx->store, row->id, kind, t.due_at, now,
		err) < 0 ? -1 : 0;
	if ((rc = dir_finish(ctx, rc, err)) < 0)
		return -1;
	return send_notice(ctx, w, row, subject, text, err);
}

/* Everything due for one person, each step at its due time. */
static int
sweep_one(const struct dir_ctx *ctx, struct store_writer *w,
	const struct lifecycle_config *cfg, const struct store_lifecycle_row *row,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err)
{
	struct lifecycle_account acct = { row->status, row->created_at,
		row->last_signin_at, row->password_changed_at,
		row->status_changed_at, row->deleted_at, row->purged_at };
	struct lifecycle_transition t;
	/* Each step moves on (Inactive, Deleted, Purged): at most 4. */
	for (int guard = 0; guard < 8 && lifecycle_due(cfg, &acct, now, &t);
	     guard++) {
		bool purge = t.step == LIFECYCLE_PURGE;
		const char *told = t.step == LIFECYCLE_INACTIVE ? row->address :
			"";
		r->changes++;
		jobs_report_add(r, "lifecycle", lifecycle_step_name(t.step),
			row->address, t.rule, t.due_at, told);
		if (!dry_run) {
			if (dir_begin(ctx, err) < 0)
				return -1;
			int rc = dir_person_lifecycle(ctx, row->id,
				status_after(t.step, acct.status), purge, t.due_at,
				t.rule, t.reason, err);
			if (dir_finish(ctx, rc, err) < 0)
				return -1;
		}
		lifecycle_apply(&acct, &t);
		if (t.step == LIFECYCLE_INACTIVE && !dry_run &&
		    !lifecycle_due(cfg, &acct, now, &t)) {
			struct lifecycle_transition next;
			lifecycle_next(cfg, &acct, &next);
			char day[64];
			day_text(next.due_at, day, sizeof(day));
			const char *text = arena_printf(ctx->arena, "Dear %s,\n\n"
				"Your account %s has not been used for a long "
				"time, so it is now inactive. Sign in to make it "
				"active again at once. If you do not, it will be "
				"deleted on %s.\n", row->display_name, row->address,
				day);
			if (text == NULL || send_notice(ctx, w, row,
				    "Your account is now inactive", text, err) < 0)
				return -1;
		}
	}
	return warn(ctx, w, cfg, row, &acct, now, dry_run, r, err);
}

int
jobs_lifecycle_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err)
{
	struct lifecycle_config cfg;
	lifecycle_config_load(ctx->config, &cfg);
	struct dir_ctx c = *ctx;
	c.arena = arena_new(PAGE_ARENA);
	int64_t after = 0;
	int rc = 0;
	for (;;) {
		arena_reset(c.arena);
		struct store_lifecycle_row *rows;
		size_t count;
		if ((rc = store_lifecycle_rows(c.store, after, PAGE, c.arena,
			     &rows, &count, err)) < 0 || count == 0)
			break;
		for (size_t i = 0; i < count && rc == 0; i++)
			rc = sweep_one(&c, w, &cfg, &rows[i], now, dry_run, r,
				err);
		if (rc < 0)
			break;
		after = rows[count - 1].id;
	}
	arena_free(&c.arena);
	return rc;
}
