/*
 * Delivery status notifications: the report a sender gets when mail is
 * late, given up or (when asked) delivered, the reading of a remote
 * server's reply for it, and the RFC 3461 parameters that say which
 * reports a sender wants. Layer: domain; pure (no I/O, `now` passed in)
 * but for mail_dsn_deliver and mail_dsn_report_local. RFC 3464
 * (message/delivery-status), RFC 6522 (multipart/report), RFC 3461 (NOTIFY,
 * RET, ENVID, ORCPT), RFC 6533 (utf-8 addresses), RFC 3834
 * (Auto-Submitted). SPEC M5, M8.
 */
#ifndef MAIL_DSN_H
#define MAIL_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct config;
struct dir_ctx;
struct error;
struct mail_message;
struct mail_recipient;
struct store_writer;

/* RFC 3464 §2.3.3. */
enum mail_dsn_action {
	MAIL_DSN_FAILED = 0,
	MAIL_DSN_DELAYED,
	MAIL_DSN_DELIVERED,	/* into a mailbox here */
	MAIL_DSN_RELAYED,	/* to a server that sends no reports itself */
	MAIL_DSN_EXPANDED,	/* to a list here, and on to its members */
};

/* "failed", "delayed", "delivered", "relayed", "expanded"; static. */
const char *mail_dsn_action_name(enum mail_dsn_action action);

/* ---- RFC 3461 parameters (mail_dsn_param.c): pure ---- */

/*
 * NOTIFY (RFC 3461 §4.1) as bits. 0 means the client gave none, which
 * §4.1 lets the server read as FAILURE,DELAY, as we do.
 */
enum mail_dsn_notify {
	MAIL_DSN_NOTIFY_NEVER = 1u << 0,
	MAIL_DSN_NOTIFY_SUCCESS = 1u << 1,
	MAIL_DSN_NOTIFY_FAILURE = 1u << 2,
	MAIL_DSN_NOTIFY_DELAY = 1u << 3,
};

/* "NEVER" or "SUCCESS,FAILURE,DELAY" and its subsets, as stored. */
#define MAIL_DSN_NOTIFY_TEXT 32
/* RFC 3461 §4.4: an ENVID is at most 100 characters, as sent. */
#define MAIL_DSN_ENVID_MAX 100
/* RFC 3461 §4.2: an ORCPT value of up to 500 characters is accepted. */
#define MAIL_DSN_ORCPT_MAX 500

/*
 * Reads a client's NOTIFY value: "NEVER" alone, or a comma list of
 * SUCCESS, FAILURE and DELAY, each once, in any case. ERROR_INVALID with
 * a sentence that says what is wrong (an empty value too).
 */
int mail_dsn_notify_parse(struct span value, unsigned *notify_r,
	struct error *err);

/* notify as stored: "" for 0, else its words in a fixed order. */
void mail_dsn_notify_text(unsigned notify, char buf[MAIL_DSN_NOTIFY_TEXT]);

/*
 * Stored text (mail_dsn_notify_text's) read back: "" is 0 (none given),
 * and so is text that does not read (never written).
 */
unsigned mail_dsn_notify_stored(const char *text);

/*
 * Whether a sender who asked `notify` (0: nothing said) wants a report of
 * `action`: by default failures and delays, never anything for NEVER,
 * and delivered, relayed and expanded only for SUCCESS.
 */
bool mail_dsn_notify_wants(unsigned notify, enum mail_dsn_action action);

/*
 * Reads RET (RFC 3461 §4.3): "FULL" or "HDRS" in any case, into *ret_r as
 * "FULL" or "HDRS" (static). ERROR_INVALID otherwise.
 */
int mail_dsn_ret_parse(struct span value, const char **ret_r,
	struct error *err);

/*
 * Decodes an ENVID (RFC 3461 §4.4): xtext of at most MAIL_DSN_ENVID_MAX
 * characters that decodes to printable ASCII, into buf (at least
 * MAIL_DSN_ENVID_MAX + 1 bytes). ERROR_INVALID saying what is wrong.
 */
int mail_dsn_envid_parse(struct span value, char *buf, size_t size,
	struct error *err);

/*
 * Decodes an ORCPT value (RFC 3461 §4.2) "addr-type;xtext" of at most
 * MAIL_DSN_ORCPT_MAX characters into buf (at least that plus one) as
 * "rfc822;address" or "utf-8;address", the form queue rows keep. rfc822:
 * the decoded address is printable ASCII. utf-8 (RFC 6533 §3): "\x{HEX}"
 * escapes and raw UTF-8 decode to UTF-8 with no control character. Other
 * address types are refused. ERROR_INVALID saying what is wrong.
 */
int mail_dsn_orcpt_parse(struct span value, char *buf, size_t size,
	struct error *err);

/*
 * A kept ORCPT ("rfc822;address"; a value without a type is an rfc822
 * address) as an ORCPT parameter for another server, xtext-encoded
 * (RFC 6533's "\x{HEX}" form for utf-8), into buf. false when it does
 * not fit, or when it would be longer than MAIL_DSN_ORCPT_MAX (then it
 * is not sent: a server need take no more).
 */
bool mail_dsn_orcpt_encode(const char *orcpt, char *buf, size_t size);

/*
 * The same as the value of a report's Original-Recipient field (RFC 3464
 * §2.3.1): "rfc822; address", or "utf-8; " and the address: in RFC 6533
 * §3's ASCII form (utf-8-addr-xtext) for message/delivery-status, or as
 * UTF-8, unencoded (utf-8-address), when global (for
 * message/global-delivery-status). false when it does not fit.
 */
bool mail_dsn_orcpt_field(const char *orcpt, bool global, char *buf,
	size_t size);

/* ---- reports (mail_dsn.c) ---- */

/* One recipient's line of the report (RFC 3464 §2.3). */
struct mail_dsn_recipient {
	const char *final_recipient;	/* the address tried */
	/* ORCPT as kept ("rfc822;address"); NULL: none */
	const char *original_recipient;
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
	/* our host name; NULL: mail_dsn_deliver puts mail_hostname's */
	const char *reporting_mta;
	/* From: "postmaster@our.domain"; NULL: mail_dsn_deliver puts ours */
	const char *postmaster;
	const char *original_sender;	/* To: the envelope sender */
	const char *envid;		/* RFC 3461 ENVID; NULL: none */
	int64_t arrival_date;		/* when we took the message; 0: none */
	int64_t now;			/* Date: */
	/* The original message; its header is always returned. */
	struct span original;
	/*
	 * RET=FULL: return it whole, as message/rfc822 (RFC 3461 §4.3), when
	 * it is at most return_max bytes; a larger one gets its header and a
	 * sentence saying why.
	 */
	bool return_full;
	size_t return_max;
	const struct mail_dsn_recipient *recipients;
	size_t recipient_count;		/* at least 1 */
	/* 32 random bytes' worth for the boundary and Message-ID (tests: fixed) */
	const char *unique;
};

/*
 * Whether r is about internationalised mail and so is written in RFC
 * 6533's global form: the original sender, a recipient's address or its
 * kept ORCPT holds non-ASCII, or the original's header as returned holds
 * 8-bit bytes. The one place this is decided.
 */
bool mail_dsn_is_global(const struct mail_dsn_report *r);

/*
 * Writes the report as a whole RFC 5322 message with CRLF line endings into
 * memory from a (the caller's, freed with it) and points *out_r at it:
 * From the postmaster, To the original sender, a Subject that says what
 * happened ("Not delivered: <subject>", "Delayed: ...", "Delivered: ..."),
 * Auto-Submitted: auto-replied, then a multipart/report with the words for
 * people, the message/delivery-status and the original's header
 * (text/rfc822-headers) or whole message (message/rfc822). When
 * mail_dsn_is_global(r) (RFC 6533 §6), report-type=global-delivery-status
 * with message/global-delivery-status, UTF-8 addresses as "utf-8;" and
 * themselves, and message/global-headers or message/global. The report's
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
 * The sentence for people explaining a status code, with what to do.
 */
const char *mail_dsn_advice(enum mail_dsn_action action, const char *status);

/* ---- sending a report (mail_dsn_deliver.c) ---- */

/* The reports' From: postmaster at the instance's first domain, into buf. */
void mail_dsn_postmaster(const struct config *c, char *buf, size_t size);

/*
 * Builds the report r (its unique text, reporting MTA and postmaster made
 * here when NULL, from ctx->config) and delivers
 * it from the null sender to r->original_sender: into their mailbox when
 * the address is ours, else into the outbound queue (mail_route with
 * relaying allowed), through the writer, durably. ctx gives the store,
 * config and time; its arena is not used. ERROR_NOT_FOUND, DENIED or
 * INVALID when the sender cannot be routed to (it can never be told),
 * other codes when it may work later.
 */
int mail_dsn_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_dsn_report *r, struct error *err);

/*
 * Whether mail_dsn_deliver's error means the sender can never be told
 * (no mailbox any more, an address that routes nowhere), rather than
 * that the store was busy and a later try may work.
 */
bool mail_dsn_error_is_final(const struct error *err);

/*
 * The success reports RFC 3461 asks for at final delivery here (docs/
 * outbound.md "Delivery status notifications"): one "delivered" line for
 * each local recipient, and one "expanded" line for each list, whose
 * NOTIFY holds SUCCESS, in one report to m's sender with the message's
 * header (never the whole message) and ENVID. Nothing for the null
 * sender (RFC 3461 §6.2: never a report about a report) or when no
 * recipient asked. mail_accept calls it once the message is kept;
 * errors as mail_dsn_deliver's.
 */
int mail_dsn_report_local(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, struct error *err);

#endif
