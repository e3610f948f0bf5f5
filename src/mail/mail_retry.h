/*
 * When to try a deferred message again, when to tell its sender it is
 * late, and when to give it up: pure rules, data in and a decision out,
 * `now` passed in. Layer: domain. RFC 5321 §4.5.4.1 (retry strategy),
 * RFC 3461 §4.3 (no report for the null sender). SPEC M5, M8.
 */
#ifndef MAIL_RETRY_H
#define MAIL_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct error;

#define MAIL_RETRY_MAX_STEPS 16
#define MAIL_RETRY_MAX_NOTICES 4

struct mail_retry_policy {
	/* Seconds to wait after the 1st, 2nd, ... failure; the last repeats. */
	int64_t schedule_s[MAIL_RETRY_MAX_STEPS];
	size_t schedule_count;	/* at least 1 */
	unsigned jitter_percent;	/* each wait moves up to this either way */
	int64_t lifetime_s;	/* from queueing to giving up */
	/* Seconds after queueing when a delay notice is due, ascending. */
	int64_t notice_s[MAIL_RETRY_MAX_NOTICES];
	size_t notice_count;
};

/*
 * Reads outbound.retry_schedule_min, retry_jitter_percent, lifetime_h and
 * delay_notice_h. ERROR_INVALID, naming the setting, for a list item that
 * is not a whole number above 0, more than MAIL_RETRY_MAX_STEPS waits or
 * MAIL_RETRY_MAX_NOTICES notices, notices not ascending or not before the
 * lifetime ends.
 */
int mail_retry_policy_from_config(const struct config *c,
	struct mail_retry_policy *p_r, struct error *err);

/* How the last attempt for one recipient ended. */
enum mail_retry_outcome {
	MAIL_RETRY_DELIVERED = 0,
	MAIL_RETRY_TEMPORARY,	/* 4xx, no answer, TLS not as required */
	MAIL_RETRY_PERMANENT,	/* 5xx, or refused by a rule of ours */
};

/* One recipient's facts after an attempt. */
struct mail_retry_facts {
	int64_t now;
	int64_t queued_at;
	unsigned attempts;	/* attempts made, the one just ended included */
	enum mail_retry_outcome outcome;
	unsigned notices_sent;	/* delay notices already due and decided */
	bool null_sender;	/* MAIL FROM:<>: never a report (RFC 3461) */
	/* The destination's own backoff: not before this (0: none). */
	int64_t destination_retry_at;
	uint64_t seed;		/* the jitter's seed: the queue row's id */
};

enum mail_retry_action {
	MAIL_RETRY_ACTION_DONE = 0,	/* delivered: forget the recipient */
	MAIL_RETRY_ACTION_LATER,	/* try again at next_attempt_at */
	MAIL_RETRY_ACTION_GIVE_UP,	/* failed for good */
};

struct mail_retry_decision {
	enum mail_retry_action action;
	int64_t next_attempt_at;	/* LATER only */
	int64_t retry_until;		/* queued_at + lifetime: the DSN's
					   Will-Retry-Until */
	bool delay_notice;		/* send a delay notice now */
	unsigned notices_sent;		/* store this back */
	bool failure_report;		/* GIVE_UP and a report is owed */
};

/*
 * Decides what follows an attempt. Permanent: give up now. Temporary:
 * give up once the lifetime is over, else wait the schedule's step for
 * `attempts` (jittered by seed), never past the lifetime's end (so the last
 * try is at the deadline) and never before destination_retry_at. A delay
 * notice is due when a notice time has passed that notices_sent has not
 * counted; however many have passed, one notice goes and all are counted.
 * No notice and no report for the null sender, nor a notice once given up.
 */
void mail_retry_decide(const struct mail_retry_policy *p,
	const struct mail_retry_facts *f, struct mail_retry_decision *d_r);

/* The backoff of one destination (an MX host or a smarthost). */
struct mail_retry_destination {
	unsigned failures;	/* failed connections in a row */
	int64_t retry_at;	/* no recipient for it is tried before */
};

/*
 * After a connection to a destination: a success clears its backoff; a
 * failure (it could not be reached, or it deferred everything) pushes
 * retry_at out by the schedule's step for its failures in a row, jittered.
 */
void mail_retry_destination_update(const struct mail_retry_policy *p,
	struct mail_retry_destination *d, bool failed, int64_t now,
	uint64_t seed);

/* Whether recipients for d must wait at now (a recent failure). */
bool mail_retry_destination_waits(const struct mail_retry_destination *d,
	int64_t now);

/* The jittered wait after the n-th failure (n >= 1), in seconds. */
int64_t mail_retry_wait(const struct mail_retry_policy *p, unsigned n,
	uint64_t seed);

#endif
