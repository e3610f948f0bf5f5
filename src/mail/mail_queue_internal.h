/*
 * Shared within the queue runner: the runner's state, a job (the due
 * recipients of one destination, for one connection), and what one attempt
 * did to one recipient. Layer: domain, private.
 */
#ifndef MAIL_MAIL_QUEUE_INTERNAL_H
#define MAIL_MAIL_QUEUE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "mail/mail_mta_sts.h"
#include "mail/mail_queue.h"
#include "mail/mail_retry.h"
#include "mail/mail_secure.h"
#include "mail/mail_smtp_client.h"
#include "store/store_queue.h"
#include "store/store_types.h"

struct arena;
struct dns_resolver;
struct net_group;
struct net_tls_client;
struct store;

/* What the runner remembers of one destination domain. */
struct mail_queue_dest {
	char domain[MAIL_SECURE_DOMAIN_SIZE];
	unsigned active;	/* jobs for it running now */
	struct mail_retry_destination backoff;
	int64_t alerted_at;	/* the last outbound.tls_required alert */
};

/* The due recipients of one destination, sent over one connection. */
struct mail_queue_job {
	struct mail_queue_job *next;
	char domain[MAIL_SECURE_DOMAIN_SIZE];
	int64_t now;		/* the pass's time */
	struct store_queued *rows;	/* by message (body, sender, time), id */
	size_t count;
	struct arena *arena;	/* owns rows */
};

struct mail_queue_runner {
	struct mail_queue_env env;
	struct mail_retry_policy retry;
	struct mail_secure_policy secure;
	struct mail_route_table routes;
	struct dns_resolver *resolver;
	struct mail_dkim_keys *dkim_keys;	/* signing keys, read once */
	struct net_tls_client *trust;
	struct mail_mta_sts_fetch sts_fetch;	/* ca_file is sts_ca */
	char *sts_ca;		/* outbound.mta_sts_ca_file, resolved; NULL */
	char helo[256];		/* EHLO name */
	char id[128];		/* claimed_by: host, process and a random part */
	unsigned workers;
	unsigned max_per_dest;
	unsigned per_connection;	/* messages a connection carries */
	int64_t poll_s, lease_s, alert_interval_s;
	int64_t grace_s;	/* outbound.shutdown_grace_s */
	uint16_t port;		/* of MX hosts */
	/* Every connection of the jobs, so a stop past grace_s can end them. */
	struct net_group *conns;
	atomic_bool cut;	/* they were ended: their outcomes are not ours */

	pthread_mutex_t mu;	/* everything below */
	pthread_cond_t work_cv;	/* a job came, or a destination slot freed */
	pthread_cond_t idle_cv;	/* a job ended */
	pthread_cond_t wake_cv;	/* the dispatcher's sleep */
	struct mail_queue_job *head, *tail;
	size_t pending, running;
	struct mail_queue_dest *dests;
	size_t dest_count, dest_cap;
	pthread_t *threads;
	size_t thread_count;
	pthread_t dispatcher;
	bool dispatching, stopping, woken;
	bool claimed;		/* some rows were claimed: release at the end */
	/* The heartbeat (mail_queue.c): renews the lease every lease_s / 3. */
	pthread_t beat;
	pthread_cond_t beat_cv;	/* its sleep; on CLOCK_MONOTONIC */
	bool beating, beat_stop;
	/* A pass's time (--at) and when, on the monotonic clock, it began. */
	int64_t pass_at, pass_started_ms;

	pthread_mutex_t note_mu;	/* one note at a time */
	mail_queue_note *note;
	void *note_arg;
	size_t attempted;
};

/* One recipient's attempt, settled by mail_queue_settle. */
struct mail_queue_attempt {
	struct store_queued *row;
	enum mail_smtp_result result;
	char status[16];	/* RFC 3463 */
	char detail[512];	/* one line: the reply or our words */
	bool detail_is_reply;
	const char *remote_mta;	/* "" when none answered */
	const char *tls;	/* what the connection's TLS was */
	/*
	 * The server offered DSN, so our NOTIFY went with the recipient:
	 * it, not we, reports success (RFC 3461 §6.2.1).
	 */
	bool dsn_passed;
};

/* One row's outcome in a batch, with what its log line and note say. */
struct mail_queue_batch_row {
	struct mail_queue_attempt at;	/* texts copied into the batch */
	struct store_queue_outcome o;
	enum mail_queue_result result;
	bool notice;		/* a delay notice went */
	bool written;		/* the row was still ours */
};

/*
 * The outcomes of a job's messages not yet written (mail_queue_settle
 * adds, mail_queue_batch_flush writes them in one store-writer job). The
 * remote has taken or refused each already: a crash before the flush
 * sends them again (docs/outbound.md, "Crashes").
 */
struct mail_queue_batch {
	const char *by;		/* the runner's id, for the claim check */
	struct mail_queue_batch_row *rows;
	size_t count, cap;
	struct {
		const struct store_queued *first;
		const char *signature;
	} *sigs;		/* new DKIM-Signatures, by message */
	size_t sig_count, sig_cap;
	size_t messages;	/* settled since the last flush */
	int64_t first_ms;	/* when the first of them was (monotonic) */
	struct arena *arena;	/* the copied texts */
};

void mail_queue_batch_init(struct mail_queue_batch *b, const char *by);

/*
 * Writes the batch's outcomes and signatures in one job of the store
 * writer, then logs each attempt and notes it; the batch is empty after.
 */
void mail_queue_batch_flush(struct mail_queue_runner *r,
	struct mail_queue_batch *b);

void mail_queue_batch_free(struct mail_queue_batch *b);

/*
 * True once the runner is stopping (mail_queue_runner_free): a job starts
 * no further message, and the runner gives its rows back when it ends.
 * Here rather than in mail_queue.c, which calls the job code that asks.
 */
static inline bool
mail_queue_is_stopping(struct mail_queue_runner *r)
{
	pthread_mutex_lock(&r->mu);
	bool stopping = r->stopping;
	pthread_mutex_unlock(&r->mu);
	return stopping;
}

/* ---- mail_queue_send.c ---- */

/* Delivers one job over st (a worker's connection), settling every row. */
void mail_queue_job_run(struct mail_queue_runner *r,
	struct mail_queue_job *job, struct store *st);

/* ---- mail_queue_report.c ---- */

/*
 * Decides what follows the attempts at one message's recipients (the
 * retry rule), sends the sender one report per action owed and asked
 * for by each row's NOTIFY (failed, delayed, relayed) by local delivery,
 * then writes each row's outcome: reports first, so a crash between the
 * two repeats a report rather than losing it. original is the message
 * as queued; signature, unless NULL, is its new DKIM-Signature, stored on
 * its rows with their outcomes. The outcomes go into b, written when the
 * caller flushes it.
 */
void mail_queue_settle(struct mail_queue_runner *r, struct store *st,
	int64_t now, struct span original, const char *signature,
	struct mail_queue_attempt *at, size_t n, struct mail_queue_batch *b);

/*
 * Builds and delivers one report for recipients rows[0..n) with dsn
 * lines already filled (the caller picked them by their rows' NOTIFY),
 * into the envelope sender's mailbox (or the queue, with the null
 * sender, when the sender is elsewhere), through w, at ctx->now. A
 * failure report returns the whole message when first's RET is FULL and
 * it is at most outbound.report_return_max_kb. Errors as
 * mail_dsn_deliver's.
 */
struct mail_dsn_recipient;
int mail_queue_report_deliver(struct store_writer *w,
	const struct dir_ctx *ctx, const struct store_queued *first,
	struct span original, const struct mail_dsn_recipient *lines,
	size_t n, struct error *err);

/* The destination's entry (made on first use); r->mu held by the caller. */
struct mail_queue_dest *mail_queue_dest_find(struct mail_queue_runner *r,
	const char *domain);

#endif
