/*
 * The text-index step (PERFORMANCE.md B3, store_text.h): every body stored
 * since the last run gets its row in the text index SEARCH BODY and TEXT
 * ask, made by mail_search_texts as the scan makes it, so an answer from
 * the index is the scan's. Intake only puts a body on the pending list
 * (a trigger); the texts are made here, outside any transaction, and
 * written a batch at a time through the writer, so the writers' lock is
 * held for the inserts alone. One node at a time (its own lease, apart
 * from the jobs run's, since serve runs this step more often: jobs.h).
 * A body whose text cannot be made stays pending, and searches go on
 * scanning it: answers never depend on the index. Layer: domain.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"
#include "jobs/jobs.h"
#include "mail/mail_mime.h"
#include "store/store_lifecycle.h"
#include "store/store_mail.h"
#include "store/store_text.h"
#include "store/store_writer.h"

/* Bodies read per page, and the texts held before they are written. */
#define PAGE 64
#define BATCH_BYTES (8u << 20)
#define BATCH_ARENA (1u << 30)
/* Longer than any run should take; a crashed node's lease frees itself. */
#define LEASE_S 3600

struct text_item {
	int64_t body_id;
	const char *hash;
	const char *header, *body;
};

struct batch {
	struct text_item items[PAGE];
	size_t count;
	struct arena *a;	/* the items' texts */
	int64_t put;		/* bodies indexed, over the whole run */
};

static int
put_batch(struct store *st, void *arg, struct error *err)
{
	struct batch *b = arg;
	for (size_t i = 0; i < b->count; i++) {
		const struct text_item *t = &b->items[i];
		bool put;
		if (store_text_put(st, t->body_id, t->hash, t->header, t->body,
			    &put, err) < 0)
			return -1;
		b->put += put;
	}
	return 0;
}

/* One transaction: on the writer when there is one, else on ctx's store. */
static int
flush(const struct dir_ctx *ctx, struct store_writer *w, struct batch *b,
	struct error *err)
{
	int rc = 0;
	if (b->count == 0)
		return 0;
	if (w != NULL)
		rc = store_writer_run(w, put_batch, b, err);
	else if ((rc = dir_begin(ctx, err)) == 0)
		rc = dir_finish(ctx, put_batch(ctx->store, b, err), err);
	b->count = 0;
	arena_reset(b->a);
	return rc;
}

/*
 * The body's two texts into the batch: 1 added, 0 left pending (its text
 * cannot be made, or its bytes are gone: a search scans it, as before),
 * -1 when the blob store cannot be reached (the run stops, to retry).
 */
static int
make_texts(const struct dir_ctx *ctx, const struct store_text_pending *p,
	struct batch *b, struct error *err)
{
	struct error why;
	const char *data, *header, *body;
	size_t size;
	int added = 0;
	/*
	 * Room for the bytes, the part tree and every text made from them,
	 * more than SEARCH's own arena gives a message of this size, so no
	 * body the scan can read is left out for want of memory here.
	 */
	struct arena *scratch = arena_new(8 * (size_t)p->size + (128u << 20));
	int got = store_body_get(ctx->store, p->body_id, scratch, &data,
		&size, &why);
	if (got < 0 && why.code == ERROR_TEMPORARY) {
		arena_free(&scratch);
		return error_forward(err, &why);
	}
	if (got < 0 || mail_search_texts(data, size, p->header_size, scratch,
			       &header, &body, &why) < 0) {
		log_warn("jobs.text_unindexed", "body=%lld reason=\"%s\"",
			(long long)p->body_id, why.msg);
	} else {
		struct text_item *t = &b->items[b->count];
		t->body_id = p->body_id;
		t->hash = arena_strdup(b->a, p->hash);
		t->header = arena_strdup(b->a, header);
		t->body = arena_strdup(b->a, body);
		if (t->hash == NULL || t->header == NULL || t->body == NULL) {
			arena_free(&scratch);
			return error_set(err, ERROR_INTERNAL, "the text index's"
				" batch outgrew its memory arena");
		}
		b->count++;
		added = 1;
	}
	arena_free(&scratch);
	return added;
}

static int
index_pending(const struct dir_ctx *ctx, struct store_writer *w,
	struct batch *b, struct error *err)
{
	struct arena *page = arena_new(1u << 20);
	int64_t after = 0;
	int rc = 0;
	for (;;) {
		struct store_text_pending *rows;
		size_t count;
		arena_reset(page);
		if ((rc = store_text_pending_page(ctx->store, after, PAGE, page,
			     &rows, &count, err)) < 0 || count == 0)
			break;
		for (size_t i = 0; i < count && rc == 0; i++) {
			if (b->count == PAGE ||
			    arena_used(b->a) > BATCH_BYTES)
				rc = flush(ctx, w, b, err);
			if (rc == 0 && make_texts(ctx, &rows[i], b, err) < 0)
				rc = -1;
		}
		after = rows[count - 1].body_id;
		if (rc < 0 || count < PAGE)
			break;
	}
	if (rc == 0)
		rc = flush(ctx, w, b, err);
	arena_free(&page);
	return rc;
}

/* This node, process and thread: serve runs the step from two threads. */
static void
lease_holder(char *buf, size_t size)
{
	char host[128] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(buf, size, "%s:%ld:%lu", host, (long)getpid(),
		(unsigned long)pthread_self());
}

int
jobs_text_run(const struct dir_ctx *ctx, struct store_writer *w, int64_t now,
	bool dry_run, struct jobs_report *r, struct error *err)
{
	(void)now;
	(void)r;
	/*
	 * Nothing in the report: indexing changes no answer, only how fast
	 * it comes, and the log says what was done.
	 */
	if (dry_run)
		return 0;
	char holder[200];
	lease_holder(holder, sizeof(holder));
	int taken = store_lease_take(ctx->store, "text-index", holder,
		ctx->now, ctx->now + LEASE_S, 0, err);
	if (taken <= 0)
		return taken;
	struct batch b = { .a = arena_new(BATCH_ARENA) };
	taken = index_pending(ctx, w, &b, err);
	if (b.put > 0)
		log_info("jobs.text_indexed", "bodies=%lld", (long long)b.put);
	arena_free(&b.a);
	struct error inner;
	if (store_lease_release(ctx->store, "text-index", holder, ctx->now,
		    taken == 0, &inner) < 0 && taken == 0)
		return error_forward(err, &inner);
	return taken;
}
