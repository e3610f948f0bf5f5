/*
 * Message operations: reading a folder's messages, flags, COPY and MOVE,
 * EXPUNGE and APPEND, what delivery and APPEND both do to a message before
 * it is stored, and the one quota rule every way in applies. Each change
 * is noted with the store (store_changed) inside its transaction, so
 * watchers hear of it once it is durable. Layer: domain. RFC 3501 §6.4,
 * RFC 4315 (UIDPLUS), RFC 6851 (MOVE).
 */
#include "mail/mail_folder.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_internal.h"
#include "mail/mail_mime.h"
#include "store/store.h"
#include "store/store_change.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_text.h"
#include "store/store_writer.h"

#define MIB (1024 * 1024)
/* A message's MIME summary is worked out in its own arena, as delivery does. */
#define SUMMARY_ARENA_CAP (64 * 1024 * 1024)

/* ---- the quota rule ---- */

bool
mail_quota_fits(int64_t used, int64_t adding, int64_t quota_mb)
{
	return used + adding <= quota_mb * MIB;
}

/* The one refusal, whoever asks: SMTP, IMAP APPEND, COPY and MOVE. */
static int
quota_decide(const char *address, int64_t used, int64_t adding,
	int64_t quota_mb, struct error *err)
{
	if (mail_quota_fits(used, adding, quota_mb))
		return 0;
	return error_set(err, ERROR_LIMIT,
		"the mailbox %s is full (%lld of %lld MB used); mail must be "
		"deleted from it before it can take more",
		address, (long long)(used / MIB), (long long)quota_mb);
}

int
mail_quota_check(struct store *st, int64_t mailbox_id, int64_t adding,
	struct arena *a, struct error *err)
{
	struct store_mailbox m;
	int64_t used;
	if (store_mailbox_get(st, mailbox_id, a, &m, err) < 0 ||
		store_mailbox_used(st, mailbox_id, &used, err) < 0)
		return -1;
	return quota_decide(m.address, used, adding, m.quota_mb, err);
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
	return quota_decide(r->address, used, (int64_t)size, r->quota_mb, err);
}

/* ---- a message made ready to store ---- */

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

/* ---- reading ---- */

int
mail_folder_changes(const struct mail_user *u, const struct mail_folder *f,
	int64_t *changes_r, struct error *err)
{
	return store_folder_changes(u->ctx->store, f->id, changes_r, err);
}

int
mail_folder_open_state(const struct mail_user *u, const struct mail_folder *f,
	struct mail_folder_state *state_r, struct error *err)
{
	return store_folder_open_state(u->ctx->store, f->id,
		&state_r->changes, &state_r->recent_first, err);
}

int
mail_folder_changes_since(const struct mail_user *u,
	const struct mail_folder *f, int64_t since, struct arena *a,
	struct store_view_change **changes_r, size_t *count_r,
	bool *covered_r, struct error *err)
{
	return store_folder_view_changes_since(u->ctx->store, f->id, since, a,
		changes_r, count_r, covered_r, err);
}

int
mail_folder_flag_rows(const struct mail_user *u, const struct mail_folder *f,
	int64_t after_uid, size_t limit, struct arena *a,
	struct store_message_flag_row **rows_r, size_t *count_r,
	struct error *err)
{
	return store_message_flag_rows(u->ctx->store, f->id, after_uid, limit,
		a, rows_r, count_r, err);
}

int
mail_folder_messages(const struct mail_user *u, const struct mail_folder *f,
	int64_t first_uid, int64_t last_uid, size_t limit,
	enum store_message_columns columns, struct arena *a,
	struct store_message **messages_r, size_t *count_r, struct error *err)
{
	return store_folder_messages(u->ctx->store, f->id, first_uid, last_uid,
		limit, columns, a, messages_r, count_r, err);
}

int
mail_folder_text_search(const struct mail_user *u,
	const struct mail_folder *f, int64_t first_uid, int64_t last_uid,
	const char *folded_word, bool body_only, struct arena *a,
	struct mail_text_answer *r, struct error *err)
{
	*r = (struct mail_text_answer){ 0 };
	if (!store_text_indexable(folded_word))
		return 0;
	if (store_text_unindexed(u->ctx->store, f->id, first_uid, last_uid,
		    a, &r->pending, &r->pending_count, err) < 0 ||
	    store_text_find(u->ctx->store, f->id, first_uid, last_uid,
		    folded_word, body_only, a, &r->found, &r->found_count,
		    NULL, err) < 0)
		return -1;
	return 1;
}

int
mail_message_read(const struct mail_user *u, const struct mail_folder *f,
	const struct store_message *m, struct arena *a, const char **data_r,
	size_t *size_r, struct error *err)
{
	if (m->folder_id != f->id)
		return error_set(err, ERROR_INTERNAL,
			"a message was read through the wrong folder");
	return store_body_get(u->ctx->store, m->body_id, a, data_r, size_r,
		err);
}

/* ---- changing ---- */

struct flags_job {
	int64_t mailbox_id, folder_id;
	const struct mail_flag_change *changes;
	size_t count;
};

/* Changes by their flags and keywords, so equal ones are side by side. */
static int
compare_changes(const void *a, const void *b)
{
	const struct mail_flag_change *x = *(const struct mail_flag_change *const *)a;
	const struct mail_flag_change *y = *(const struct mail_flag_change *const *)b;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return strcmp(x->keywords, y->keywords);
}

/*
 * One statement for each distinct outcome (flags and keywords), not one a
 * message: STORE 1:* +FLAGS (\Seen) on 50,000 messages sets a handful of
 * outcomes, whatever their number.
 */
static int
run_flags_job(struct store *st, void *arg, struct error *err)
{
	const struct flags_job *job = arg;
	const struct mail_flag_change **order =
		xcalloc(job->count, sizeof(*order));
	int64_t *uids = xcalloc(job->count, sizeof(*uids));
	for (size_t i = 0; i < job->count; i++)
		order[i] = &job->changes[i];
	qsort(order, job->count, sizeof(*order), compare_changes);
	int rc = 0;
	for (size_t i = 0, n = 0; rc == 0 && i < job->count; i++) {
		uids[n++] = order[i]->uid;
		if (i + 1 < job->count &&
		    compare_changes(&order[i], &order[i + 1]) == 0)
			continue;
		rc = store_messages_flags_set(st, job->folder_id, uids, n,
			order[i]->flags, order[i]->keywords, err);
		n = 0;
	}
	free(order);
	free(uids);
	if (rc == 0)
		store_changed(st, job->mailbox_id, job->folder_id);
	return rc;
}

int
mail_message_flags_set(const struct mail_user *u, const struct mail_folder *f,
	const struct mail_flag_change *changes, size_t count, struct error *err)
{
	if (count == 0)
		return 0;
	struct flags_job job = { f->mailbox_id, f->id, changes, count };
	return store_writer_run(u->writer, run_flags_job, &job, err);
}

struct copy_job {
	const struct mail_user *u;
	const struct mail_folder *from, *to;
	const int64_t *uids;
	size_t count;
	bool move;
	int64_t *new_uids;
};

static int
run_copy_job(struct store *st, void *arg, struct error *err)
{
	const struct copy_job *job = arg;
	/* Messages expunged meanwhile are left out (new UID 0). */
	if (store_messages_copy(st, job->from->id, job->uids, job->count,
		    job->to->id, job->new_uids, err) < 0 ||
	    (job->move && store_message_expunge(st, job->from->id, job->uids,
		    job->count, err) < 0))
		return -1;
	store_changed(st, job->to->mailbox_id, job->to->id);
	if (job->move)
		store_changed(st, job->from->mailbox_id, job->from->id);
	/* Checked after the copy: a failing job is rolled back whole. */
	if (job->move && job->from->mailbox_id == job->to->mailbox_id)
		return 0;
	return mail_quota_check(st, job->to->mailbox_id, 0, job->u->ctx->arena,
		err);
}

int
mail_message_copy(const struct mail_user *u, const struct mail_folder *from,
	const int64_t *uids, size_t count, const struct mail_folder *to,
	bool move, int64_t *new_uids_r, struct error *err)
{
	if (count == 0)
		return 0;
	struct copy_job job = { u, from, to, uids, count, move, new_uids_r };
	return store_writer_run(u->writer, run_copy_job, &job, err);
}

struct expunge_job {
	int64_t mailbox_id, folder_id;
	const int64_t *uids;
	size_t count;
};

static int
run_expunge_job(struct store *st, void *arg, struct error *err)
{
	const struct expunge_job *job = arg;
	if (store_message_expunge(st, job->folder_id, job->uids, job->count,
		    err) < 0)
		return -1;
	store_changed(st, job->mailbox_id, job->folder_id);
	return 0;
}

int
mail_message_expunge(const struct mail_user *u, const struct mail_folder *f,
	const int64_t *uids, size_t count, struct error *err)
{
	if (count == 0)
		return 0;
	struct expunge_job job = { f->mailbox_id, f->id, uids, count };
	return store_writer_run(u->writer, run_expunge_job, &job, err);
}

struct append_job {
	int64_t mailbox_id, folder_id;
	const struct mail_append *m;
	const struct mail_body *b;
	int64_t uid;
};

static int
run_append_job(struct store *st, void *arg, struct error *err)
{
	struct append_job *job = arg;
	int64_t body_id = store_body_put(st, &job->b->body, err);
	if (body_id < 0)
		return -1;
	struct store_delivery d = {
		.body_id = body_id,
		.size = (int64_t)job->m->size,
		.internal_date = job->m->internal_date,
		.folder_ids = &job->folder_id,
		.folder_count = 1,
		.sender = "",
	};
	if (store_deliver(st, &d, &job->uid, err) < 0)
		return -1;
	store_changed(st, job->mailbox_id, job->folder_id);
	if (job->m->flags == 0 && job->m->keywords[0] == '\0')
		return 0;
	return store_messages_flags_set(st, job->folder_id, &job->uid, 1,
		job->m->flags, job->m->keywords, err);
}

int
mail_message_append(const struct mail_user *u, const struct mail_folder *f,
	const struct mail_append *m, int64_t *uid_r, struct error *err)
{
	if (mail_quota_check(u->ctx->store, f->mailbox_id, (int64_t)m->size,
		    u->ctx->arena, err) < 0)
		return -1;
	struct arena *a = arena_new(SUMMARY_ARENA_CAP);
	struct mail_body b;
	int rc = mail_body_prepare(m->data, m->size, m->internal_date, a, &b,
		err);
	if (rc == 0)
		rc = store_body_stage(u->ctx->store, &b.body, err);
	if (rc == 0) {
		struct append_job job = { f->mailbox_id, f->id, m, &b, 0 };
		rc = store_writer_run(u->writer, run_append_job, &job, err);
		*uid_r = job.uid;
	}
	arena_free(&a);
	return rc;
}
