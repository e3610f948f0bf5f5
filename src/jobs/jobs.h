/*
 * Scheduled jobs (SPEC L1-L9, issue 13): `caremail jobs run [--at TIME]
 * [--dry-run]` and serve's schedule run every step of the table below as
 * of one explicit time, so a test or a catch-up after downtime is exact.
 * Each step applies what is due idempotently (run twice at the same time,
 * the second run changes nothing) and audits each change with its rule;
 * with dry_run it only reports. A lease row makes one node run the job
 * when several serve. Layer: domain.
 */
#ifndef JOBS_JOBS_H
#define JOBS_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct arena;
struct dir_ctx;
struct error;
struct lifecycle_account;
struct store_person;
struct store_writer;

/* What a run did (or, dry, would do): one item per change or notice. */
struct jobs_report {
	json_t *items;	/* [{step, action, address, rule, at, told, org_id}] */
	int64_t changes;
	int64_t notices;
};

struct jobs_step {
	const char *name;
	int (*run)(const struct dir_ctx *ctx, struct store_writer *w,
		int64_t now, bool dry_run, struct jobs_report *r,
		struct error *err);
};

/* The steps, in order, ending with { NULL, NULL }. */
extern const struct jobs_step jobs_steps[];

/*
 * Adds an item to the report (steps call this for each change or
 * notice), with the id of the org it is about (0: none), so a preview
 * shows an administrator their own orgs' items.
 */
void jobs_report_add(struct jobs_report *r, int64_t org_id, const char *step,
	const char *action, const char *address, const char *rule, int64_t at,
	const char *told);

/*
 * Runs every step as of `now`, which may be any time (--at); ctx->now is
 * the real time, which the audit rows, the mails and the lease carry.
 * Each change is dated by when it fell due. w is the store's writer, for
 * the mail notices (NULL: none sent). The caller frees r->items. holder
 * names this node for the lease: 0 and *ran_r false when another node
 * holds it, or when period_s is not 0 (a scheduled run, one in each
 * period of period_s seconds from the epoch) and some node has already
 * run this period (0: a run by hand, whatever ran before).
 * A run is recorded as of ctx->now, when it started.
 */
int jobs_run(const struct dir_ctx *ctx, struct store_writer *w, int64_t now,
	bool dry_run, const char *holder, int64_t period_s,
	struct jobs_report *r, bool *ran_r, struct error *err);

/* The start of the scheduled period of period_s seconds that t falls in. */
int64_t jobs_period_start(int64_t t, int64_t period_s);

/* The guests' and add-on licences' sweeps (jobs_guest.c, SPEC L8, L9). */
int jobs_guest_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err);
int jobs_licence_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err);

/* The inactive shared mailboxes' step (SPEC L5): notices, deletions. */
int jobs_shared_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err);

/*
 * The bodies step (SPEC S7, jobs_bodies.c): bodies nothing refers to are
 * forgotten and their blobs outside the database removed, in two phases.
 */
int jobs_bodies_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err);

/*
 * The text-index step (PERFORMANCE.md B3, jobs_text.c): bodies stored
 * since its last run get their row in the text index SEARCH BODY and TEXT
 * ask. It takes a lease of its own ("text-index"), since serve also runs
 * it alone every search.index_interval_s; it reports nothing (the log
 * does), as it changes no answer, only its speed.
 */
int jobs_text_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err);
/* The lifecycle step (SPEC L1-L7): transitions and warnings. */
int jobs_lifecycle_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err);

/*
 * What the lifecycle rules read of the person, as the job sweep reads it
 * (the last Global Administrator included), for a page's timeline.
 */
int jobs_lifecycle_account(const struct dir_ctx *ctx,
	const struct store_person *p, struct lifecycle_account *acct_r,
	struct error *err);

/* A day as the notices write it, "02 April 2027" (UTC), in a. */
const char *jobs_day_text(struct arena *a, int64_t t);

#endif
