/*
 * The outbound queue runner: takes the recipients due for delivery to
 * other domains, routes them (static routes, else MX), signs each message
 * once with DKIM, sends them over reused connections within per-destination
 * and global limits, and decides retries, delay notices and non-delivery
 * reports, which go into the sender's mailbox by local delivery; and the
 * operator's list, show, retry, bounce and delete. Layer: domain.
 * RFC 5321 §4.5.4 and §5, RFC 7505, RFC 3464, RFC 6376. SPEC M5, M8;
 * SECURITY.md 6.
 */
#ifndef MAIL_MAIL_QUEUE_H
#define MAIL_MAIL_QUEUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct dir_ctx;
struct error;
struct store_pool;
struct store_queued;
struct store_writer;

#include "store/store_types.h"

/* ---- static routes (mail_queue_route.c), pure ---- */

#define MAIL_ROUTE_MAX 64

/* One item of outbound.routes. */
struct mail_route_entry {
	char domain[256];	/* normalised, or "*" for every other domain */
	char host[256];		/* a name (looked up: A, AAAA) or an address */
	bool host_is_v6;	/* written "[v6]" */
	uint16_t port;		/* 25 unless given */
	int tls;		/* enum mail_smtp_tls, or -1: not set */
	char auth_user[256];	/* "" for no AUTH */
	char password_file[1024];	/* relative to the instance directory */
};

struct mail_route_table {
	struct mail_route_entry entries[MAIL_ROUTE_MAX];
	size_t count;
};

/*
 * Parses one route: "DOMAIN=HOST[:PORT] [tls=none|opportunistic|required]
 * [auth=USER password_file=FILE]". ERROR_INVALID with a sentence for a
 * malformed one, AUTH without tls=required, or only one of auth= and
 * password_file=.
 */
int mail_route_entry_parse(const char *text, struct mail_route_entry *e_r,
	struct error *err);

/* Reads outbound.routes; ERROR_INVALID naming the bad item. */
int mail_route_table_from_config(const struct config *c,
	struct mail_route_table *t_r, struct error *err);

/* The route for a normalised domain: its own, else "*", else NULL (MX). */
const struct mail_route_entry *mail_route_table_find(
	const struct mail_route_table *t, const char *domain);

struct mail_tls_requirement;

/*
 * The TLS of a route's next hop: the one outbound decision
 * (mail_tls_requirement) with what is known of a route (no MTA-STS, no
 * TLSA: both are about the domain's own MX hosts, which a route
 * replaces), then the route's tls= where that decision leaves TLS
 * opportunistic. So a route cannot lower a secure domain's TLS.
 */
void mail_route_tls_requirement(const struct mail_route_entry *e,
	bool secure_domain, struct mail_tls_requirement *r_r);

/* ---- the runner (mail_queue.c, mail_queue_send.c) ---- */

/* What the runner needs from the instance; borrowed for its lifetime. */
struct mail_queue_env {
	const struct config *config;
	const char *instance_dir;	/* relative paths are read from here */
	const char *dkim_dir;
	const unsigned char *audit_key;	/* for the TLS alert's audit row */
	struct store_pool *pool;	/* a connection per worker */
	struct store_writer *writer;	/* reports are delivered through it */
	/* The clock, for serve; NULL is fine for passes given a time. */
	int64_t (*clock)(void);
};

/* What happened to one recipient in an attempt, for the caller to print. */
enum mail_queue_result {
	MAIL_QUEUE_DELIVERED = 0,
	MAIL_QUEUE_DEFERRED,	/* tried again at next_attempt_at */
	MAIL_QUEUE_FAILED,	/* given up; a report went to the sender */
};

/* "delivered", "deferred", "failed"; static. */
const char *mail_queue_result_name(enum mail_queue_result r);

struct mail_queue_event {
	int64_t id;		/* the queue row */
	const char *sender;
	const char *recipient;
	enum mail_queue_result result;
	int64_t next_attempt_at;	/* DEFERRED */
	const char *detail;	/* the reply or our words, one line */
	const char *remote_mta;	/* "" when none was reached */
	const char *tls;	/* "TLS1.3 verified", "none", "" */
	bool delay_notice;	/* a delay notice went to the sender */
};

/* Called once per recipient attempted, from the worker threads, one at a
 * time (the runner holds a lock around it). */
typedef void mail_queue_note(void *arg, const struct mail_queue_event *ev);

struct mail_queue_runner;

/*
 * A runner over env: reads the outbound.* settings (retry policy, secure
 * domains, routes), makes the DNS resolver and the TLS trust. Starts no
 * thread. ERROR_INVALID naming a bad setting.
 */
struct mail_queue_runner *mail_queue_runner_new(
	const struct mail_queue_env *env, struct error *err);

/*
 * Stops the runner: claims nothing more and starts no job or message;
 * waits up to outbound.shutdown_grace_s for the deliveries in progress,
 * then ends their connections (what they had not settled is not written);
 * gives back at once every row it still holds (not started, or cut), so
 * the next runner takes them without waiting for the lease; frees *r and
 * sets it to NULL. A DNS lookup, MTA-STS fetch or connection being opened
 * when the grace ends still runs to its own timeout.
 */
void mail_queue_runner_free(struct mail_queue_runner **r);

/*
 * One pass as of `now` (`caremail queue run --at`): every recipient due
 * then is tried once, in outbound.workers threads, and note (may be NULL)
 * hears of each. Returns when all are done; *attempted_r counts them.
 * While it runs its lease is renewed (from `now`, as time passes), so a
 * slow delivery is never taken by another runner meanwhile.
 */
int mail_queue_run_pass(struct mail_queue_runner *r, int64_t now,
	mail_queue_note *note, void *arg, size_t *attempted_r,
	struct error *err);

/*
 * `caremail serve`: a dispatcher thread that claims due recipients every
 * outbound.poll_s (at once at start-up, so mail queued while the server
 * was down leaves now, and whenever mail_deliver queues mail for another
 * domain) for outbound.workers worker threads. Needs env->clock.
 */
int mail_queue_runner_start(struct mail_queue_runner *r, struct error *err);

/* Wakes the dispatcher now (mail was queued); safe from any thread. */
void mail_queue_runner_wake(struct mail_queue_runner *r);

/* ---- the operator's commands (mail_queue_admin.c) ---- */

/* "queued", "in_flight", "delivered", "failed"; static. */
const char *mail_queue_status_name(enum store_queue_status s);

/*
 * One queue row as the API and `caremail queue ... --json` show it (the
 * one renderer, docs/api.md "The outbound queue"); text not yet known is
 * null.
 */
json_t *mail_queue_json(const struct store_queued *q);

/* The queue's counts for monitoring (store_queue_counts). */
int mail_queue_counts(const struct dir_ctx *ctx,
	struct store_queue_counts *c_r, struct error *err);

/* The waiting recipients of one destination domain, for the portal. */
struct mail_queue_destination {
	const char *domain;
	int64_t waiting;	/* queued or in flight */
	int64_t deferred;	/* of those, tried at least once */
	int64_t oldest_at;	/* when the oldest was queued */
	int64_t last_attempt_at;	/* the latest attempt's; 0: none yet */
	const char *last_error;	/* that attempt's, "" if none */
};

/*
 * The waiting recipients grouped by destination domain, longest waiting
 * first, in ctx->arena (SPEC M5: where mail is stuck and why). Reads the
 * waiting rows a chunk at a time, so memory is one chunk plus the result.
 */
int mail_queue_destinations(const struct dir_ctx *ctx,
	struct mail_queue_destination **dests_r, size_t *count_r,
	struct error *err);
/* One destination as GET /api/v1/queue/destinations shows it. */
json_t *mail_queue_destination_json(const struct mail_queue_destination *d);

/*
 * Queue rows by id after `after_id`, at most `limit`, all of them or the
 * waiting ones only; in ctx->arena.
 */
int mail_queue_list(const struct dir_ctx *ctx, int64_t after_id,
	size_t limit, bool waiting_only, struct store_queued **items_r,
	size_t *count_r, struct error *err);

/* One row; ERROR_NOT_FOUND saying so. */
int mail_queue_get(const struct dir_ctx *ctx, int64_t id,
	struct store_queued *item_r, struct error *err);

/*
 * Makes one waiting row (id > 0) or all of them (id 0) due now, audited
 * ("queue" "retry"); *changed_r counts them. ERROR_NOT_FOUND when id names
 * no waiting row.
 */
int mail_queue_retry(const struct dir_ctx *ctx, int64_t id,
	int64_t *changed_r, struct error *err);

/*
 * Stops trying a waiting row and returns it to its sender (Postfix's
 * bounce): the sender gets an RFC 3464 non-delivery report (through
 * writer, status 5.0.0) saying an administrator returned it, then the row
 * is removed, audited ("queue" "delete", event "bounce"). No report for a
 * null-sender message (RFC 3461 §6.2), for a recipient whose NOTIFY asks
 * for no failure report (§4.1), nor for a sender with no mailbox any
 * more (logged): *reported_r says whether one went. ERROR_NOT_FOUND
 * when no waiting row has the id; when the report cannot be delivered
 * (the store busy) the row stays and the error says so.
 */
int mail_queue_bounce(const struct dir_ctx *ctx, struct store_writer *writer,
	int64_t id, bool *reported_r, struct error *err);

/*
 * Removes a waiting row without telling anyone (Postfix's postsuper -d:
 * for junk stuck in the queue), audited ("queue" "delete", event
 * "delete") with the operator's reason. ERROR_INVALID (field "reason")
 * unless reason is one line of 1 to 500 characters; ERROR_NOT_FOUND when
 * no waiting row has the id.
 */
int mail_queue_delete(const struct dir_ctx *ctx, int64_t id,
	const char *reason, struct error *err);

#endif
