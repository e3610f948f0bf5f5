/*
 * Delivery status notifications: the report a sender gets when mail is
 * late, given up or (when asked) delivered, and the reading of a remote
 * server's reply for it. Layer: domain, pure (no I/O, `now` passed in).
 * RFC 3464 (message/delivery-status), RFC 6522 (multipart/report), RFC 3461
 * (RET, ENVID, ORCPT), RFC 3834 (Auto-Submitted). SPEC M5, M8.
 */
#ifndef MAIL_DSN_H
#define MAIL_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct error;

/* RFC 3464 §2.3.3. */
enum mail_dsn_action {
	MAIL_DSN_FAILED = 0,
	MAIL_DSN_DELAYED,
	MAIL_DSN_DELIVERED,
};

/* "failed", "delayed", "delivered"; static. */
const char *mail_dsn_action_name(enum mail_dsn_action action);

/* One recipient's line of the report (RFC 3464 §2.3). */
struct mail_dsn_recipient {
	const char *final_recipient;	/* the address tried */
	const char *original_recipient;	/* ORCPT's address; NULL: none */
	enum mail_dsn_action action;
	const char *status;		/* RFC 3463 "5.1.1" */
	const char *remote_mta;		/* "mx.example.org"; NULL: none */
	/*
	 * The remote's reply as the client kept it ("550 5.1.1 no such
	 * user"), or our own words when there was no reply; NULL: none.
	 * Read with mail_dsn_diagnostic_parse, so any text is safe here.
	 */
	const char *diagnostic;
	bool diagnostic_is_reply;	/* "smtp;" (a reply) or "x-caremail;" */
	/* The words for people; NULL: mail_dsn_advice(action, status). */
	const char *advice;
	int64_t last_attempt;		/* 0: none yet */
	int64_t will_retry_until;	/* DELAYED: when we give up */
};

struct mail_dsn_report {
	const char *reporting_mta;	/* our host name */
	const char *postmaster;		/* From: "postmaster@our.domain" */
	const char *original_sender;	/* To: the envelope sender */
	const char *envid;		/* RFC 3461 ENVID; NULL: none */
	int64_t arrival_date;		/* when we took the message; 0: none */
	int64_t now;			/* Date: */
	/* The original message; its header is always returned. */
	struct span original;
	/* RET=FULL: return it whole, as message/rfc822 (RFC 3461 §4.3). */
	bool return_full;
	const struct mail_dsn_recipient *recipients;
	size_t recipient_count;		/* at least 1 */
	/* 32 random bytes' worth for the boundary and Message-ID (tests: fixed) */
	const char *unique;
};

/*
 * Writes the report as a whole RFC 5322 message with CRLF line endings into
 * memory from a (the caller's, freed with it) and points *out_r at it:
 * From the postmaster, To the original sender, a Subject that says what
 * happened ("Not delivered: <subject>", "Delayed: ...", "Delivered: ..."),
 * Auto-Submitted: auto-replied, then a multipart/report with the words for
 * people, the message/delivery-status and the original's header
 * (text/rfc822-headers) or whole message (message/rfc822). The report's
 * own action is the first recipient's; give one report per action.
 * ERROR_INVALID for a missing field, ERROR_LIMIT when a passes its cap.
 */
int mail_dsn_build(const struct mail_dsn_report *r, struct arena *a,
	struct span *out_r, struct error *err);

/* A remote's reply read for a report. */
struct mail_dsn_diagnostic {
	int code;		/* 550; 0 when the text does not start with one */
	char status[16];	/* its enhanced code "5.1.1", or "" */
	/* All the text, lines joined by " ", printable ASCII, bounded. */
	char text[512];
};

/*
 * Reads a stored reply ("550 5.1.1 text", or lines "550-..."/"550 ...",
 * joined by CRLF or LF) into *d_r. Never fails: text that is not a reply
 * is kept as words, cut to fit, with anything unprintable replaced.
 */
void mail_dsn_diagnostic_parse(struct span text,
	struct mail_dsn_diagnostic *d_r);

/*
 * The report's subject's head: "Not delivered", "Delayed" or "Delivered";
 * and the sentence for people explaining a status code, with what to do.
 */
const char *mail_dsn_advice(enum mail_dsn_action action, const char *status);

#endif
