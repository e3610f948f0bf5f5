/*
 * Delivery: one body, an Inbox row for each distinct local mailbox the
 * recipients and their lists reach, a queue row for each remote address,
 * a shared mailbox's Sent Items copy of what was sent from it (SPEC
 * M12a), and the copy sealed for the secure message portal with its
 * notices (SPEC M10), made durable by one group commit (SPEC M4, M6, P6; RFC 5321
 * §6.1). The Inbox was made with the mailbox (dir_mailbox.c), so delivery
 * only reads it. Layer: domain.
 */
#include "mail/mail.h"

#include <pthread.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_dsn.h"
#include "mail/mail_internal.h"
#include "mail/mail_metrics.h"
#include "store/store.h"
#include "store/store_change.h"
#include "store/store_expand.h"
#include "store/store_mail.h"
#include "store/store_mail_policy.h"
#include "store/store_shared.h"
#include "store/store_writer.h"

/* The MIME summary's arena; also holds what a delivery reads of lists. */
#define SUMMARY_ARENA_CAP (64 * 1024 * 1024)

/*
 * Scopes of the store's recipient set: what is delivered, and, when a
 * list is among the recipients, the direct recipients kept apart until
 * the lists' members over quota are taken out: a number the expansion's
 * scratch scopes (1, 2, ... above the delivery's) never reach.
 */
#define DELIVERY_SCOPE 0
#define DIRECT_SCOPE (INT64_C(1) << 30)
/* The notices of a sealed copy, one recipient at a time. */
#define SEAL_SCOPE 2
/* No scope has this number: "except nothing". */
#define NO_SCOPE (-1)
#define SECONDS_PER_DAY 86400

/* The queue runner's wake-up, if one is running (serve). */
static pthread_mutex_t queue_hook_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*queue_hook)(void *arg);
static void *queue_hook_arg;

void
mail_deliver_set_queue_hook(void (*hook)(void *arg), void *arg)
{
	pthread_mutex_lock(&queue_hook_lock);
	queue_hook = hook;
	queue_hook_arg = arg;
	pthread_mutex_unlock(&queue_hook_lock);
}

/*
 * A list may hold outside contacts, so it may have queued mail too; so
 * does a sealed copy (its notices).
 */
static void
wake_queue(const struct mail_recipient *recipients, size_t count,
	bool queued)
{
	bool remote = queued;
	for (size_t i = 0; i < count && !remote; i++)
		remote = recipients[i].kind != MAIL_ROUTE_LOCAL;
	if (!remote)
		return;
	pthread_mutex_lock(&queue_hook_lock);
	if (queue_hook != NULL)
		queue_hook(queue_hook_arg);
	pthread_mutex_unlock(&queue_hook_lock);
}

struct deliver_job {
	struct dir_ctx ctx;	/* the caller's, on the writer's store */
	const struct mail_message *m;
	const struct mail_recipient *recipients;
	size_t count;
	struct mail_body body;
	struct mail_delivery_report report;
	/* Recipients or a Sent Items copy: the body is stored. */
	bool delivers;
	bool lists;		/* a list among the recipients: many copies */
};

/*
 * A direct recipient into the set (each was checked at RCPT): a local
 * mailbox at scope, an outside address in the delivery's scope with its
 * own DSN request, in place of a list's copy of it without one.
 */
static int
add_direct(struct deliver_job *job, const struct mail_recipient *r,
	int64_t scope, struct error *err)
{
	struct store *st = job->ctx.store;
	if (r->kind == MAIL_ROUTE_LOCAL)
		return store_set_add_mailbox(st, scope, r->mailbox_id, err);
	char notify[MAIL_DSN_NOTIFY_TEXT];
	mail_dsn_notify_text(r->notify, notify);
	if (job->lists && store_set_remove_remote(st, DELIVERY_SCOPE,
		    r->address, err) < 0)
		return -1;
	return store_set_add_remote(st, DELIVERY_SCOPE, r->address, notify,
		r->orcpt != NULL ? r->orcpt : "", err);
}

/*
 * Direct recipients as they are; the lists' members less those whose
 * mailbox this message would put over quota, unless they are direct
 * recipients too. The lists are expanded straight into the delivery's
 * scope and the few direct mailboxes kept apart until the quota rule has
 * run, not the other way round: a list of 500,000 is written into the
 * set once, not once for itself and again for the delivery (B8, B2).
 */
static int
gather_recipients(struct deliver_job *job, struct error *err)
{
	struct store *st = job->ctx.store;
	for (size_t i = 0; i < job->count; i++)
		job->lists |= job->recipients[i].kind == MAIL_ROUTE_LIST;
	for (size_t i = 0; i < job->count; i++) {
		const struct mail_recipient *r = &job->recipients[i];
		if (r->kind == MAIL_ROUTE_LIST &&
		    dir_list_expand_set(&job->ctx, r->list_id, DELIVERY_SCOPE,
			    err) < 0)
			return -1;
	}
	/*
	 * A list's contacts the policy withheld the message from (sealed
	 * or stopped) are taken out of what the lists reach, before the
	 * direct recipients are added.
	 */
	for (size_t i = 0; job->lists && i < job->m->withheld_count; i++)
		if (store_set_remove_remote(st, DELIVERY_SCOPE,
			    job->m->withheld[i].address, err) < 0)
			return -1;
	int64_t direct = job->lists ? DIRECT_SCOPE : DELIVERY_SCOPE;
	for (size_t i = 0; i < job->count; i++) {
		const struct mail_recipient *r = &job->recipients[i];
		if (r->kind != MAIL_ROUTE_LIST &&
		    add_direct(job, r, direct, err) < 0)
			return -1;
	}
	if (!job->lists)
		return 0;
	/*
	 * A list's contacts are outside addresses (dir refuses a contact in
	 * a hosted domain), so they go to the queue as they are.
	 */
	if (store_set_drop_full(st, DELIVERY_SCOPE, DIRECT_SCOPE,
		    (int64_t)job->m->size, &job->report.over_quota, err) < 0 ||
	    store_set_merge(st, DELIVERY_SCOPE, DIRECT_SCOPE, NO_SCOPE, err) < 0)
		return -1;
	return store_set_drop(st, DIRECT_SCOPE, err);
}

/*
 * Tells the store which mailboxes changed, for IMAP's watchers once the
 * commit is durable. A list's members are not read back: every watcher is
 * woken (one woken for nothing looks and sleeps again; one left asleep
 * would miss the mail).
 */
static void
note_changes(struct store *st, const struct mail_recipient *recipients,
	size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (recipients[i].kind == MAIL_ROUTE_LIST) {
			store_changed(st, STORE_CHANGE_ANY, 0);
			return;
		}
	}
	for (size_t i = 0; i < count; i++) {
		if (recipients[i].kind == MAIL_ROUTE_LOCAL)
			store_changed(st, recipients[i].mailbox_id, 0);
	}
}

/*
 * The copy a shared mailbox keeps of what was sent from it (SPEC M12a):
 * in its Sent Items, read already, since whoever sent it has seen it.
 * Same body row, same commit as the delivery.
 */
static int
file_sent_copy(struct deliver_job *job, const struct store_delivery *d,
	struct error *err)
{
	int64_t mailbox_id = job->m->sent_copy_mailbox;
	if (mailbox_id == 0)
		return 0;
	struct store_folder sent;
	if (dir_mailbox_standard_folder(&job->ctx, mailbox_id, "sent", &sent,
		    err) < 0)
		return -1;
	struct store_delivery copy = *d;
	copy.folder_ids = &sent.id;
	copy.folder_count = 1;
	copy.flags = STORE_FLAG_SEEN;
	if (store_deliver(job->ctx.store, &copy, NULL, err) < 0)
		return -1;
	store_changed(job->ctx.store, mailbox_id, sent.id);
	job->report.sent_copy = true;
	return 0;
}

/* Mail sent in a shared mailbox's name is a use (SPEC L5): once a day. */
static int
note_shared_use(struct deliver_job *job, struct error *err)
{
	int64_t mailbox_id = job->m->sent_as_shared;
	if (mailbox_id == 0)
		return 0;
	return store_shared_used(job->ctx.store, mailbox_id, job->ctx.now,
		job->ctx.now - 86400, err);
}

/* The policy stage's audit rows for the message, in its commit. */
static int
write_notes(struct deliver_job *job, struct error *err)
{
	for (size_t i = 0; i < job->m->note_count; i++) {
		const struct mail_audit_note *note = &job->m->notes[i];
		if (dir_audit_text(&job->ctx, "message", 0, note->summary,
			    note->denied, err) < 0)
			return -1;
	}
	return 0;
}

/* The body, once, to the recipients and the Sent Items copy. */
static int
deliver_body(struct deliver_job *job, struct error *err)
{
	struct store *st = job->ctx.store;
	int64_t body_id = store_body_put(st, &job->body.body, err);
	if (body_id < 0 || gather_recipients(job, err) < 0)
		return -1;
	struct store_delivery d = {
		.body_id = body_id,
		.size = (int64_t)job->m->size,
		.internal_date = job->m->received_at,
		.sender = job->m->sender,
		.special_use = job->m->junk ? "junk" : NULL,
		.ret = job->m->ret != NULL ? job->m->ret : "",
		.envid = job->m->envid != NULL ? job->m->envid : "",
		.many = job->lists,
	};
	if (store_deliver_set(st, DELIVERY_SCOPE, &d, &job->report.mailboxes,
		    err) < 0 || file_sent_copy(job, &d, err) < 0)
		return -1;
	note_changes(st, job->recipients, job->count);
	return 0;
}

/*
 * Runs on the writer thread, inside the shared transaction: the
 * delivery, the sealed copy and its notices, the policy's audit rows.
 */
static int
run_deliver_job(struct store *st, void *arg, struct error *err)
{
	struct deliver_job *job = arg;
	job->ctx.store = st;
	bool sets = job->delivers || job->m->seal != NULL;
	if ((sets && store_set_begin(st, err) < 0) ||
	    (job->delivers && deliver_body(job, err) < 0) ||
	    (job->m->seal != NULL && mail_seal_write(st, job->m,
		    job->m->seal, SEAL_SCOPE, err) < 0) ||
	    write_notes(job, err) < 0 || note_shared_use(job, err) < 0)
		return -1;
	/*
	 * The sending limits' count, in the same commit (SPEC M7): the
	 * recipients delivered to and those sent a sealed copy (a list's
	 * contacts not: a list counts once).
	 */
	int64_t sent = (int64_t)job->count +
		(job->m->seal != NULL ? (int64_t)job->m->seal->count : 0);
	for (size_t i = 0; i < job->m->withheld_count; i++)
		sent -= job->m->withheld[i].sealed;
	if (job->m->sent_by != 0 && sent > 0 &&
	    store_send_count_add(st, job->m->sent_by, job->m->received_at /
		    SECONDS_PER_DAY, sent, err) < 0)
		return -1;
	/* A big list's members need not sit in the temporary tables. */
	return sets ? store_set_drop(st, -1, err) : 0;
}

int
mail_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, struct mail_delivery_report *report_r,
	struct error *err)
{
	/* The summary and hash are worked out here, outside the commit. */
	struct deliver_job job = { .ctx = *ctx, .m = m,
		.recipients = recipients, .count = count,
		.delivers = count > 0 || m->sent_copy_mailbox != 0 };
	struct arena *a = arena_new(SUMMARY_ARENA_CAP);
	job.ctx.arena = a;
	int rc = !job.delivers ? 0 : mail_body_prepare(m->data, m->size,
		m->received_at, a, &job.body, err);
	/* Into the blob store, if any, before the writers' lock is taken. */
	if (rc == 0 && job.delivers)
		rc = store_body_stage(ctx->store, &job.body.body, err);
	if (rc == 0 && w != NULL)
		rc = store_writer_run(w, run_deliver_job, &job, err);
	else if (rc == 0) {
		/* In the caller's transaction, as the writer runs a job. */
		rc = dir_begin(ctx, err);
		if (rc == 0)
			rc = dir_finish(ctx, run_deliver_job(ctx->store, &job,
				err), err);
	}
	if (rc == 0 && report_r != NULL)
		*report_r = job.report;
	if (rc == 0)
		mail_metrics_delivered_local(job.report.mailboxes);
	if (rc == 0)
		wake_queue(recipients, count, m->seal != NULL);
	arena_free(&a);
	return rc;
}
