/*
 * What follows an attempt: the retry rule's decision per recipient, the
 * reports the sender is owed (RFC 3464, from the null sender, into their
 * own mailbox by local delivery; never for a null-sender message), and
 * the row's new state. Layer: domain. RFC 3461 §6.2, RFC 5321 §4.5.5,
 * RFC 3834. SPEC M5, M8.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_dsn.h"
#include "mail/mail_metrics.h"
#include "mail/mail_queue_internal.h"
#include "store/store_queue.h"
#include "store/store_writer.h"

/* The texts of one batch's outcomes (details are in the rows). */
#define BATCH_TEXT_CAP (1024 * 1024)

const char *
mail_queue_result_name(enum mail_queue_result r)
{
	switch (r) {
	case MAIL_QUEUE_DELIVERED:
		return "delivered";
	case MAIL_QUEUE_DEFERRED:
		return "deferred";
	case MAIL_QUEUE_FAILED:
		return "failed";
	}
	return "deferred";
}

struct mail_queue_dest *
mail_queue_dest_find(struct mail_queue_runner *r, const char *domain)
{
	for (size_t i = 0; i < r->dest_count; i++) {
		if (strcmp(r->dests[i].domain, domain) == 0)
			return &r->dests[i];
	}
	if (r->dest_count == r->dest_cap) {
		r->dest_cap = r->dest_cap == 0 ? 16 : r->dest_cap * 2;
		r->dests = xrealloc(r->dests,
			r->dest_cap * sizeof(*r->dests));
	}
	struct mail_queue_dest *d = &r->dests[r->dest_count++];
	memset(d, 0, sizeof(*d));
	str_copy(d->domain, sizeof(d->domain), domain);
	return d;
}

int
mail_queue_report_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct store_queued *first, struct span original,
	const struct mail_dsn_recipient *lines, size_t n, struct error *err)
{
	enum mail_dsn_action action = lines[0].action;
	struct mail_dsn_report rep = {
		.original_sender = first->sender,
		.envid = first->envid[0] != '\0' ? first->envid : NULL,
		.arrival_date = first->created_at,
		.now = ctx->now,
		.original = original,
		/*
		 * RFC 3461 §4.3: RET=FULL asks for the message back when it
		 * failed; other reports carry its header, like a default one.
		 */
		.return_full = action == MAIL_DSN_FAILED &&
			strcmp(first->ret, "FULL") == 0,
		.return_max = (size_t)config_get_int(ctx->config,
			"outbound.report_return_max_kb") * 1024,
		.recipients = lines,
		.recipient_count = n,
	};
	return mail_dsn_deliver(w, ctx, &rep, err);
}

static void
note(struct mail_queue_runner *r, const struct mail_queue_attempt *at,
	enum mail_queue_result result, int64_t next, bool notice)
{
	pthread_mutex_lock(&r->note_mu);
	r->attempted++;
	if (r->note != NULL) {
		struct mail_queue_event ev = {
			.id = at->row->id,
			.sender = at->row->sender,
			.recipient = at->row->recipient,
			.result = result,
			.next_attempt_at = next,
			.detail = at->detail,
			.remote_mta = at->remote_mta,
			.tls = at->tls,
			.delay_notice = notice,
		};
		r->note(r->note_arg, &ev);
	}
	pthread_mutex_unlock(&r->note_mu);
}

static enum mail_retry_outcome
outcome_of(enum mail_smtp_result result)
{
	switch (result) {
	case MAIL_SMTP_RESULT_OK:
		return MAIL_RETRY_DELIVERED;
	case MAIL_SMTP_RESULT_TEMPORARY:
		return MAIL_RETRY_TEMPORARY;
	case MAIL_SMTP_RESULT_PERMANENT:
		return MAIL_RETRY_PERMANENT;
	}
	return MAIL_RETRY_TEMPORARY;
}

static void
dsn_line(const struct mail_queue_attempt *at,
	const struct mail_retry_decision *d, enum mail_dsn_action action,
	int64_t now, struct mail_dsn_recipient *line_r)
{
	*line_r = (struct mail_dsn_recipient){
		.final_recipient = at->row->recipient,
		.original_recipient = at->row->orcpt[0] != '\0' ?
			at->row->orcpt : NULL,
		.action = action,
		.status = at->status,
		.remote_mta = at->remote_mta[0] != '\0' ? at->remote_mta : NULL,
		.diagnostic = at->detail,
		.diagnostic_is_reply = at->detail_is_reply,
		.last_attempt = now,
		.will_retry_until = action == MAIL_DSN_DELAYED ?
			d->retry_until : 0,
	};
}

/*
 * Sends one report for the lines picked; false (logged) when it failed
 * and is still owed, true when sent or when it can never be delivered.
 */
static bool
report(struct mail_queue_runner *r, struct store *st, int64_t now,
	struct span original, const struct store_queued *first,
	const struct mail_dsn_recipient *lines, size_t n)
{
	if (n == 0)
		return true;
	struct error err;
	struct dir_ctx ctx = { .store = st, .config = r->env.config,
		.actor = "system", .now = now, .audit_key = r->env.audit_key };
	if (mail_queue_report_deliver(r->env.writer, &ctx, first, original,
		    lines, n, &err) == 0) {
		log_info("outbound.report", "queue_id=%lld action=%s "
			"recipients=%zu sender=%s",
			(long long)first->id,
			mail_dsn_action_name(lines[0].action), n,
			first->sender);
		return true;
	}
	/*
	 * Waiting for a sender who can never be told would only try the
	 * remote again and again. Anything else (the store busy) is owed.
	 */
	if (mail_dsn_error_is_final(&err)) {
		log_warn("outbound.report_dropped", "queue_id=%lld action=%s "
			"sender=%s reason=\"%s\"", (long long)first->id,
			mail_dsn_action_name(lines[0].action), first->sender,
			err.msg);
		return true;
	}
	log_error("outbound.report_failed", "queue_id=%lld action=%s "
		"reason=\"%s\"", (long long)first->id,
		mail_dsn_action_name(lines[0].action), err.msg);
	return false;
}

/*
 * Outcomes waiting to be written, with the new DKIM-Signatures of their
 * messages: one job of the store writer writes them all, in a commit
 * shared with the other workers' (group commit), so neither a message nor
 * a recipient pays a transaction and a flush of its own, and the workers
 * never wait on each other for SQLite's write lock.
 */
static int
run_batch_job(struct store *st, void *arg, struct error *err)
{
	struct mail_queue_batch *b = arg;
	for (size_t i = 0; i < b->sig_count; i++) {
		const struct store_queued *q = b->sigs[i].first;
		if (store_queue_set_signature(st, q->body_id, q->sender,
			    q->created_at, b->sigs[i].signature, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->count; i++) {
		if (store_queue_finish(st, b->by, &b->rows[i].o,
			    &b->rows[i].written, err) < 0)
			return -1;
	}
	return 0;
}

void
mail_queue_batch_init(struct mail_queue_batch *b, const char *by)
{
	memset(b, 0, sizeof(*b));
	b->by = by;
	b->arena = arena_new(BATCH_TEXT_CAP);
}

void
mail_queue_batch_flush(struct mail_queue_runner *r,
	struct mail_queue_batch *b)
{
	if (b->count == 0 && b->sig_count == 0)
		return;
	for (size_t i = 0; i < b->count; i++) {
		struct mail_queue_batch_row *w = &b->rows[i];
		/* Pointed at only now: the array moves as it grows. */
		w->o.last_error = w->at.result == MAIL_SMTP_RESULT_OK ? "" :
			w->at.detail;
	}
	struct error err;
	bool stored = store_writer_run(r->env.writer, run_batch_job, b,
		&err) == 0;
	if (!stored)
		log_error("outbound.record_failed", "queue_id=%lld rows=%zu "
			"reason=\"%s\" note=\"sent again when their lease "
			"ends\"", b->count > 0 ? (long long)b->rows[0].o.id :
			0LL, b->count, err.msg);
	for (size_t i = 0; i < b->count; i++) {
		const struct mail_queue_batch_row *w = &b->rows[i];
		const struct store_queued *q = w->at.row;
		if (stored && !w->written)
			log_warn("outbound.claim_lost", "queue_id=%lld "
				"reason=\"the row was deleted or taken by "
				"another runner\"", (long long)q->id);
		log_info("outbound.attempt", "queue_id=%lld recipient=%s "
			"result=%s status=%s remote=%s tls=\"%s\" "
			"detail=\"%s\"", (long long)q->id, q->recipient,
			mail_queue_result_name(w->result), w->at.status,
			w->at.remote_mta, w->at.tls, w->at.detail);
		note(r, &w->at, w->result, w->o.next_attempt_at, w->notice);
		if (stored && w->written)
			mail_metrics_outbound(w->result);
	}
	b->count = 0;
	b->sig_count = 0;
	b->messages = 0;
	b->first_ms = 0;
	arena_reset(b->arena);
}

void
mail_queue_batch_free(struct mail_queue_batch *b)
{
	free(b->rows);
	free(b->sigs);
	arena_free(&b->arena);
}

static void
batch_add_signature(struct mail_queue_batch *b,
	const struct store_queued *first, const char *signature)
{
	if (b->sig_count == b->sig_cap) {
		b->sig_cap = b->sig_cap == 0 ? 16 : b->sig_cap * 2;
		b->sigs = xrealloc(b->sigs, b->sig_cap * sizeof(*b->sigs));
	}
	b->sigs[b->sig_count].first = first;
	b->sigs[b->sig_count].signature = arena_strdup(b->arena, signature);
	b->sig_count++;
}

static void
batch_add(struct mail_queue_batch *b, const struct mail_queue_attempt *at,
	const struct store_queue_outcome *o, enum mail_queue_result result,
	bool notice)
{
	if (b->count == b->cap) {
		b->cap = b->cap == 0 ? 16 : b->cap * 2;
		b->rows = xrealloc(b->rows, b->cap * sizeof(*b->rows));
	}
	struct mail_queue_batch_row *w = &b->rows[b->count++];
	w->at = *at;
	w->at.remote_mta = arena_strdup(b->arena, at->remote_mta);
	w->at.tls = arena_strdup(b->arena, at->tls);
	w->o = *o;
	w->o.remote_mta = w->at.remote_mta;
	w->o.tls = w->at.tls;
	w->result = result;
	w->notice = notice;
	w->written = false;
}

void
mail_queue_settle(struct mail_queue_runner *r, struct store *st,
	int64_t now, struct span original, const char *signature,
	struct mail_queue_attempt *at, size_t n, struct mail_queue_batch *b)
{
	/*
	 * A stopping runner cut this attempt (mail_queue_runner_free): it
	 * says nothing of the remote, so only what the remote took is
	 * written; the rest go back due as they were.
	 */
	if (atomic_load(&r->cut)) {
		size_t kept = 0;
		for (size_t i = 0; i < n; i++) {
			if (at[i].result == MAIL_SMTP_RESULT_OK)
				at[kept++] = at[i];
			else
				log_info("outbound.attempt_cut", "queue_id=%lld "
					"recipient=%s", (long long)at[i].row->id,
					at[i].row->recipient);
		}
		n = kept;
		if (n == 0)
			return;
	}
	struct mail_retry_decision *dec = xcalloc(n, sizeof(*dec));
	bool *want_failure = xcalloc(n, sizeof(*want_failure));
	bool *want_delay = xcalloc(n, sizeof(*want_delay));
	struct mail_dsn_recipient *failed = xcalloc(n, sizeof(*failed));
	struct mail_dsn_recipient *delayed = xcalloc(n, sizeof(*delayed));
	struct mail_dsn_recipient *relayed = xcalloc(n, sizeof(*relayed));
	size_t nf = 0, nd = 0, nr = 0;
	const struct store_queued *ffirst = NULL, *dfirst = NULL, *rfirst = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct store_queued *q = at[i].row;
		int64_t dest_retry_at = 0;
		char domain[MAIL_SECURE_DOMAIN_SIZE];
		struct error ignored;
		if (mail_domain_normalise(q->recipient, domain, sizeof(domain),
			    &ignored) == 0) {
			pthread_mutex_lock(&r->mu);
			dest_retry_at = mail_queue_dest_find(r, domain)
				->backoff.retry_at;
			pthread_mutex_unlock(&r->mu);
		}
		struct mail_retry_facts f = {
			.now = now,
			.queued_at = q->created_at,
			.attempts = (unsigned)q->attempts + 1,
			.outcome = outcome_of(at[i].result),
			.notices_sent = (unsigned)q->notices_sent,
			.null_sender = q->sender[0] == '\0',
			.destination_retry_at = dest_retry_at,
			.seed = (uint64_t)q->id,
		};
		mail_retry_decide(&r->retry, &f, &dec[i]);
		/* RFC 3461 §4.1: the reports this recipient's NOTIFY asks for. */
		unsigned notify = mail_dsn_notify_stored(q->notify);
		want_failure[i] = dec[i].failure_report &&
			mail_dsn_notify_wants(notify, MAIL_DSN_FAILED);
		want_delay[i] = dec[i].delay_notice &&
			mail_dsn_notify_wants(notify, MAIL_DSN_DELAYED);
		if (want_failure[i]) {
			dsn_line(&at[i], &dec[i], MAIL_DSN_FAILED, now,
				&failed[nf++]);
			ffirst = ffirst != NULL ? ffirst : q;
		}
		if (want_delay[i]) {
			dsn_line(&at[i], &dec[i], MAIL_DSN_DELAYED, now,
				&delayed[nd++]);
			dfirst = dfirst != NULL ? dfirst : q;
		}
		/*
		 * RFC 3461 §6.2.1: a server that took our NOTIFY reports
		 * success itself; one without DSN cannot, so we say the
		 * message was relayed, once its 250 came.
		 */
		if (dec[i].action == MAIL_RETRY_ACTION_DONE &&
		    q->sender[0] != '\0' && !at[i].dsn_passed &&
		    mail_dsn_notify_wants(notify, MAIL_DSN_RELAYED)) {
			dsn_line(&at[i], &dec[i], MAIL_DSN_RELAYED, now,
				&relayed[nr++]);
			rfirst = rfirst != NULL ? rfirst : q;
		}
	}
	bool failed_sent = report(r, st, now, original, ffirst, failed, nf);
	bool delayed_sent = report(r, st, now, original, dfirst, delayed, nd);
	/* The message went: a success report that fails is only logged. */
	report(r, st, now, original, rfirst, relayed, nr);
	if (signature != NULL)
		batch_add_signature(b, at[0].row, signature);
	for (size_t i = 0; i < n; i++) {
		const struct store_queued *q = at[i].row;
		struct store_queue_outcome o = {
			.id = q->id,
			.attempts = q->attempts + 1,
			.last_attempt_at = now,
			.notices_sent = q->notices_sent,
			.last_error = at[i].result == MAIL_SMTP_RESULT_OK ? "" :
				at[i].detail,
			.remote_mta = at[i].remote_mta,
			.tls = at[i].tls,
		};
		enum mail_queue_result result = MAIL_QUEUE_DEFERRED;
		switch (dec[i].action) {
		case MAIL_RETRY_ACTION_DONE:
			o.status = STORE_QUEUE_DELIVERED;
			o.finished_at = now;
			result = MAIL_QUEUE_DELIVERED;
			break;
		case MAIL_RETRY_ACTION_LATER:
			o.status = STORE_QUEUE_QUEUED;
			o.next_attempt_at = dec[i].next_attempt_at;
			/*
			 * A notice that did not go is owed again next time; one
			 * the sender did not want counts as given.
			 */
			if (dec[i].delay_notice &&
			    (!want_delay[i] || delayed_sent))
				o.notices_sent = dec[i].notices_sent;
			break;
		case MAIL_RETRY_ACTION_GIVE_UP:
			if (want_failure[i] && !failed_sent) {
				/* Never lose the report: keep the row. */
				o.status = STORE_QUEUE_QUEUED;
				o.next_attempt_at = now +
					mail_retry_wait(&r->retry, 1, (uint64_t)q->id);
				break;
			}
			o.status = STORE_QUEUE_FAILED;
			o.finished_at = now;
			result = MAIL_QUEUE_FAILED;
			break;
		}
		batch_add(b, &at[i], &o, result,
			want_delay[i] && delayed_sent);
	}
	b->messages++;
	if (b->first_ms == 0)
		b->first_ms = clock_monotonic_ms();
	free(dec);
	free(want_failure);
	free(want_delay);
	free(failed);
	free(delayed);
	free(relayed);
}
