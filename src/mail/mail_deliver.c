/*
 * Delivery: one body, an Inbox row for each distinct local mailbox the
 * recipients and their lists reach, a queue row for each remote address,
 * made durable by one group commit (SPEC M4, M6, P6; RFC 5321 §6.1).
 * Layer: domain.
 */
#include "mail/mail.h"

#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_folder.h"
#include "mail/mail_internal.h"
#include "mail/mail_mime.h"
#include "store/store.h"
#include "store/store_expand.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_writer.h"

#define MIB (1024 * 1024)
/* The MIME summary's arena; also holds what a delivery reads of lists. */
#define SUMMARY_ARENA_CAP (64 * 1024 * 1024)

/* RFC 6154 special uses and the folder names Outlook users know. */
static const struct {
	const char *name;
	const char *use;
} mail_special_folders[] = {
	{ "INBOX", "inbox" },
	{ "Sent Items", "sent" },
	{ "Drafts", "drafts" },
	{ "Deleted Items", "trash" },
	{ "Junk E-mail", "junk" },
};

int
mail_folders_ensure(struct store *st, int64_t mailbox_id, int64_t now,
	struct error *err)
{
	struct arena *a = arena_new(1024 * 1024);
	struct store_folder *folders;
	size_t count;
	int rc = store_folder_list(st, mailbox_id, a, &folders, &count, err);
	for (size_t i = 0; rc == 0 && i < sizeof(mail_special_folders) /
			sizeof(*mail_special_folders); i++) {
		bool present = false;
		for (size_t j = 0; j < count && !present; j++)
			present = strcmp(folders[j].special_use,
					  mail_special_folders[i].use) == 0;
		if (present)
			continue;
		struct store_folder f = { .mailbox_id = mailbox_id,
			.name = mail_special_folders[i].name,
			.special_use = mail_special_folders[i].use,
			.uidnext = 1, .subscribed = true, .created_at = now };
		/* RFC 3501 §2.3.1.1: never a value the mailbox gave before. */
		rc = store_imap_uidvalidity_next(st, mailbox_id, now,
			&f.uidvalidity, err);
		if (rc == 0)
			rc = store_folder_create(st, &f, err);
	}
	arena_free(&a);
	return rc;
}

int
mail_check_quota(struct store *st, const struct mail_recipient *r,
	size_t size, struct error *err)
{
	if (r->kind != MAIL_ROUTE_LOCAL)
		return 0;
	int64_t used;
	if (store_mailbox_used(st, r->mailbox_id, &used, err) < 0)
		return -1;
	if (used + (int64_t)size > r->quota_mb * MIB)
		return error_set(err, ERROR_LIMIT,
			"the mailbox %s is full (%lld of %lld MB used); the "
			"owner must delete mail before it can take more",
			r->address, (long long)(used / MIB),
			(long long)r->quota_mb);
	return 0;
}

/*
 * Scopes of the store's recipient set: what is delivered, and what the
 * lists reach before the quota rule (the scopes above are scratch).
 */
#define DELIVERY_SCOPE 0
#define LIST_SCOPE 1
/* No scope has this number: "except nothing". */
#define NO_SCOPE (-1)

struct deliver_job {
	struct dir_ctx ctx;	/* the caller's, on the writer's store */
	const struct mail_message *m;
	const struct mail_recipient *recipients;
	size_t count;
	struct mail_body body;
	struct mail_delivery_report report;
};

/*
 * Direct recipients as they are (each was checked at RCPT); the lists'
 * members less those whose mailbox this message would put over quota,
 * unless they are direct recipients too.
 */
static int
gather_recipients(struct deliver_job *job, struct error *err)
{
	struct store *st = job->ctx.store;
	bool lists = false;
	for (size_t i = 0; i < job->count; i++) {
		const struct mail_recipient *r = &job->recipients[i];
		int rc = 0;
		if (r->kind == MAIL_ROUTE_LOCAL)
			rc = store_set_add_mailbox(st, DELIVERY_SCOPE,
				r->mailbox_id, err);
		else if (r->kind == MAIL_ROUTE_REMOTE)
			rc = store_set_add_remote(st, DELIVERY_SCOPE, r->address,
				err);
		else {
			lists = true;
			rc = dir_list_expand_set(&job->ctx, r->list_id,
				LIST_SCOPE, err);
		}
		if (rc < 0)
			return -1;
	}
	if (!lists)
		return 0;
	/*
	 * A list's contacts are outside addresses (dir refuses a contact in
	 * a hosted domain), so they go to the queue as they are.
	 */
	if (store_set_drop_full(st, LIST_SCOPE, DELIVERY_SCOPE,
		    (int64_t)job->m->size, &job->report.over_quota, err) < 0 ||
	    store_set_merge(st, DELIVERY_SCOPE, LIST_SCOPE, NO_SCOPE, err) < 0)
		return -1;
	return store_set_drop(st, LIST_SCOPE, err);
}

/* Runs on the writer thread, inside the shared transaction. */
static int
run_deliver_job(struct store *st, void *arg, struct error *err)
{
	struct deliver_job *job = arg;
	job->ctx.store = st;
	int64_t body_id = store_body_put(st, &job->body.body, err);
	if (body_id < 0 || store_set_begin(st, err) < 0 ||
	    gather_recipients(job, err) < 0)
		return -1;
	struct store_delivery d = {
		.body_id = body_id,
		.size = (int64_t)job->m->size,
		.internal_date = job->m->received_at,
		.sender = job->m->sender,
	};
	if (store_deliver_set(st, DELIVERY_SCOPE, &d, &job->report.mailboxes,
		    err) < 0)
		return -1;
	/* A big list's members need not sit in the temporary tables. */
	return store_set_drop(st, -1, err);
}

/* Absent headers are NULL in the summary and "" in the store. */
static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

int
mail_body_prepare(const char *data, size_t size, int64_t now,
	struct arena *a, struct mail_body *b, struct error *err)
{
	struct mail_summary s;
	if (mail_mime_summarize(data, size, a, &s, err) < 0)
		return -1;
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)data, size);
	sodium_bin2hex(b->hash, sizeof(b->hash), digest, sizeof(digest));
	b->meta = (struct store_message_meta){
		.envelope = or_empty(s.envelope),
		.bodystructure = or_empty(s.bodystructure),
		.body = or_empty(s.body),
		.subject = or_empty(s.subject),
		.from = or_empty(s.from),
		.to = or_empty(s.to),
		.cc = or_empty(s.cc),
		.bcc = or_empty(s.bcc),
		.message_id = or_empty(s.message_id),
		.sent_date = s.date,
		.header_size = (int64_t)s.header_size,
	};
	b->body = (struct store_body){ b->hash, data, size, now, &b->meta };
	return 0;
}

int
mail_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, struct mail_delivery_report *report_r,
	struct error *err)
{
	/* The summary and hash are worked out here, outside the commit. */
	struct deliver_job job = { .ctx = *ctx, .m = m,
		.recipients = recipients, .count = count };
	struct arena *a = arena_new(SUMMARY_ARENA_CAP);
	job.ctx.arena = a;
	int rc = mail_body_prepare(m->data, m->size, m->received_at, a,
		&job.body, err);
	if (rc == 0)
		rc = store_writer_run(w, run_deliver_job, &job, err);
	if (rc == 0) {
		mail_notify_delivered(recipients, count);
		if (report_r != NULL)
			*report_r = job.report;
	}
	arena_free(&a);
	return rc;
}

int
mail_queue_list(const struct dir_ctx *ctx, struct store_queued **items_r,
	size_t *count_r, struct error *err)
{
	return store_queue_list(ctx->store, ctx->arena, items_r, count_r, err);
}
