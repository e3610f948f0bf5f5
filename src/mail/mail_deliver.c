/*
 * Delivery: one body, an Inbox row for each distinct local mailbox, a queue
 * row for each remote recipient, made durable by one group commit (SPEC M4;
 * RFC 5321 §6.1). Layer: domain.
 */
#include "mail/mail.h"

#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_folder.h"
#include "mail/mail_mime.h"
#include "store/store.h"

#define MIB (1024 * 1024)

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
			.uidvalidity = now, .uidnext = 1, .subscribed = true,
			.created_at = now };
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

struct deliver_job {
	const struct mail_message *m;
	const struct mail_recipient *recipients;
	size_t count;
	struct arena *arena;	/* the caller's; used on the writer thread */
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
	struct store_message_meta meta;
};

static bool
seen_mailbox(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

/* Runs on the writer thread, inside the shared transaction. */
static int
run_deliver_job(struct store *st, void *arg, struct error *err)
{
	struct deliver_job *job = arg;
	int64_t *mailboxes = arena_alloc(job->arena,
		(job->count + 1) * sizeof(*mailboxes));
	int64_t *folders = arena_alloc(job->arena,
		(job->count + 1) * sizeof(*folders));
	const char **remote = arena_alloc(job->arena,
		(job->count + 1) * sizeof(*remote));
	if (mailboxes == NULL || folders == NULL || remote == NULL)
		return error_set(err, ERROR_LIMIT, "too many recipients");
	size_t local_count = 0, remote_count = 0;
	for (size_t i = 0; i < job->count; i++) {
		const struct mail_recipient *r = &job->recipients[i];
		if (r->kind == MAIL_ROUTE_REMOTE) {
			remote[remote_count++] = r->address;
			continue;
		}
		if (seen_mailbox(mailboxes, local_count, r->mailbox_id))
			continue;
		struct store_folder inbox;
		if (mail_folders_ensure(st, r->mailbox_id, job->m->received_at,
			    err) < 0 ||
		    store_folder_special(st, r->mailbox_id, "inbox", job->arena,
			    &inbox, err) < 0)
			return -1;
		mailboxes[local_count] = r->mailbox_id;
		folders[local_count++] = inbox.id;
	}
	struct store_delivery d = {
		.hash = job->hash,
		.data = job->m->data,
		.size = job->m->size,
		.internal_date = job->m->received_at,
		.meta = &job->meta,
		.folder_ids = folders,
		.folder_count = local_count,
		.sender = job->m->sender,
		.remote = remote,
		.remote_count = remote_count,
	};
	return store_deliver(st, &d, NULL, err);
}

static void
hash_hex(const struct mail_message *m, char *hex, size_t size)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)m->data, m->size);
	sodium_bin2hex(hex, size, digest, sizeof(digest));
}

/* Absent headers are NULL in the summary and "" in the store. */
static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static void
meta_from_summary(const struct mail_summary *s, struct store_message_meta *m)
{
	*m = (struct store_message_meta){
		.envelope = or_empty(s->envelope),
		.bodystructure = or_empty(s->bodystructure),
		.body = or_empty(s->body),
		.subject = or_empty(s->subject),
		.from = or_empty(s->from),
		.to = or_empty(s->to),
		.cc = or_empty(s->cc),
		.bcc = or_empty(s->bcc),
		.message_id = or_empty(s->message_id),
		.sent_date = s->date,
		.header_size = (int64_t)s->header_size,
	};
}

int
mail_deliver(struct store_writer *w, const struct mail_message *m,
	const struct mail_recipient *recipients, size_t count,
	struct error *err)
{
	/* The summary is worked out here, outside the shared commit. */
	struct deliver_job job = { .m = m, .recipients = recipients,
		.count = count };
	job.arena = arena_new(64 * 1024 * 1024);
	struct mail_summary summary;
	int rc = mail_mime_summarize(m->data, m->size, job.arena, &summary,
		err);
	if (rc == 0) {
		meta_from_summary(&summary, &job.meta);
		hash_hex(m, job.hash, sizeof(job.hash));
		rc = store_writer_run(w, run_deliver_job, &job, err);
		if (rc == 0)
			mail_notify_delivered(recipients, count);
	}
	arena_free(&job.arena);
	return rc;
}

int
mail_queue_list(const struct dir_ctx *ctx, struct store_queued **items_r,
	size_t *count_r, struct error *err)
{
	return store_queue_list(ctx->store, ctx->arena, items_r, count_r, err);
}
