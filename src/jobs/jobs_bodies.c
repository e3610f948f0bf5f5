/*
 * The bodies step of the jobs run (SPEC S7, issue 14 item 3): message
 * bodies nothing refers to any more (their last copy expunged, its folder
 * or mailbox deleted or purged, a queued copy cancelled) are forgotten,
 * and the blobs of those kept outside the database are then removed. Two
 * phases in separate transactions, a page at a time so the writers' lock
 * is held briefly (store_mail.h): a blob is removed only once the body
 * row's deletion has committed, a day later (BLOB_KEEP_S, as of the run's
 * time), and only if no body with its hash has been stored again since;
 * a writer storing that hash meanwhile puts the blob back inside its own
 * transaction. Run twice, the second run finds
 * nothing. A dry run counts what is waiting and changes nothing. Layer:
 * domain.
 */
#include <stdio.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"
#include "jobs/jobs.h"
#include "store/store_mail.h"
#include "store/store_writer.h"

/* Bodies or blobs per transaction: the writers' lock is held this long. */
#define PAGE 1000
/*
 * A forgotten body's blob stays a day: a backup walking the blob
 * directory after its copy of the store finds every blob that copy names
 * (docs/backup.md), and a session still showing the message can read it.
 */
#define BLOB_KEEP_S 86400
#define PAGE_ARENA (1u << 20)

struct page {
	int64_t now, before;
	struct arena *a;
	int64_t looked, forgotten, removed, done;
};

static int
forget_page(struct store *st, void *arg, struct error *err)
{
	struct page *p = arg;
	p->looked = store_bodies_forget(st, p->now, PAGE, &p->forgotten, err);
	return p->looked < 0 ? -1 : 0;
}

static int
sweep_page(struct store *st, void *arg, struct error *err)
{
	struct page *p = arg;
	arena_reset(p->a);
	return store_blobs_sweep(st, p->before, PAGE, p->a, &p->removed,
		&p->done, err);
}

/* One transaction: on the writer when there is one, else on ctx's store. */
static int
apply(const struct dir_ctx *ctx, struct store_writer *w,
	int (*fn)(struct store *, void *, struct error *), struct page *p,
	struct error *err)
{
	if (w != NULL)
		return store_writer_run(w, fn, p, err);
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, fn(ctx->store, p, err), err);
}

int
jobs_bodies_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err)
{
	if (dry_run) {
		int64_t unref, doomed;
		if (store_bodies_pending(ctx->store, &unref, &doomed, err) < 0)
			return -1;
		if (unref + doomed > 0) {
			char told[96];
			snprintf(told, sizeof(told), "%lld bodies to look at;"
				" %lld blobs to remove", (long long)unref,
				(long long)doomed);
			jobs_report_add(r, 0, "bodies", "forget", "",
				"no message or queued copy refers to them",
				now, told);
		}
		return 0;
	}
	struct page p = { .now = ctx->now, .before = now - BLOB_KEEP_S,
		.a = arena_new(PAGE_ARENA) };
	int64_t forgotten = 0, removed = 0;
	int rc = 0;
	do {
		rc = apply(ctx, w, forget_page, &p, err);
		forgotten += rc == 0 ? p.forgotten : 0;
	} while (rc == 0 && p.looked == PAGE);
	/*
	 * Records of blobs whose bodies came back are dropped too, so a page
	 * with records but no removal still counts as progress.
	 */
	do {
		if (rc == 0)
			rc = apply(ctx, w, sweep_page, &p, err);
		removed += rc == 0 ? p.removed : 0;
	} while (rc == 0 && p.done == PAGE);
	arena_free(&p.a);
	if (forgotten + removed > 0) {
		char told[96];
		snprintf(told, sizeof(told), "%lld bodies forgotten; %lld blobs"
			" removed", (long long)forgotten, (long long)removed);
		jobs_report_add(r, 0, "bodies", "forget", "",
			"no message or queued copy refers to them", now, told);
		r->changes += forgotten + removed;
		log_info("jobs.bodies_forgotten", "bodies=%lld blobs=%lld",
			(long long)forgotten, (long long)removed);
	}
	return rc;
}
