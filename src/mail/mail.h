/*
 * Mail: where a recipient's mail goes, and delivering a message durably to
 * every local mailbox it reaches and the outbound queue (SPEC M1, M4, M6,
 * M14). Layer: domain. Protocol front ends call these and hold no rules.
 */
#ifndef MAIL_MAIL_H
#define MAIL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct span;
struct str;
struct config;
struct dir_ctx;
struct error;
struct spool;
struct store;
struct store_queued;
struct store_writer;
struct mail_seal_plan;

enum mail_route_kind {
	MAIL_ROUTE_LOCAL,	/* a mailbox here */
	MAIL_ROUTE_REMOTE,	/* another domain: the outbound queue */
	MAIL_ROUTE_LIST,	/* a list here, expanded when delivered */
};

struct mail_recipient {
	enum mail_route_kind kind;
	const char *address;	/* normalised, as delivered */
	int64_t mailbox_id;	/* LOCAL only */
	int64_t quota_mb;	/* LOCAL only */
	int64_t list_id;	/* LIST only */
	/* RFC 3461, as the client gave them with RCPT (mail_dsn.h): */
	unsigned notify;	/* enum mail_dsn_notify bits; 0: not given */
	const char *orcpt;	/* "rfc822;address" as kept; NULL: none */
};

/* Whether the address holds anything but ASCII (RFC 6531: SMTPUTF8). */
bool mail_address_is_utf8(const char *address);

/*
 * An internationalised address (RFC 6531 §3.3, RFC 6532 §3.2) in the
 * form delivery and the queue keep: the local part as given, valid UTF-8
 * or RFC 5322 atext in dot-atom form (ASCII letters lowercased), at most
 * 64 bytes; the domain in A-labels (IDNA), lowercase. ERROR_INVALID with
 * what is wrong.
 */
int mail_address_intl(const char *address, char *buf, size_t size,
	struct error *err);

/*
 * Where mail for `address` goes: one local mailbox, a list (expanded only
 * when the message is delivered, inside the database, so a list of any
 * size is accepted at once and costs no memory per member), or a remote
 * address when allow_remote (authenticated submission). Refusals say why
 * in a sentence a person understands: ERROR_NOT_FOUND for an unknown or
 * deleted local address or a list not open for mail, ERROR_DENIED for
 * another domain when relaying is not allowed, ERROR_INVALID for a
 * malformed address.
 */
int mail_route(const struct dir_ctx *ctx, const char *address,
	bool allow_remote, struct mail_recipient **recipients_r,
	size_t *count_r, struct error *err);

/*
 * Whether two recipients are one (RFC 5321 §3.3): the same local mailbox,
 * or the same remote address in mail_route's normal form.
 */
bool mail_recipient_same(const struct mail_recipient *a,
	const struct mail_recipient *b);

/*
 * A hash index over a transaction's recipient list, so that a recipient
 * written two ways (plain and source-routed, or in other case) is taken
 * once. Zero it to start; its memory is the arena's.
 */
struct mail_recipient_index {
	uint32_t *slots;	/* 1 + position in the list; 0 empty */
	size_t size;		/* slots: a power of two, or 0 */
	size_t indexed;		/* list entries entered so far */
};

/*
 * Whether r is one of list[0..count) by mail_recipient_same: *has_r. The
 * caller appends r when it is not; entries appended since the last call
 * are indexed first. ERROR_LIMIT when the arena is full.
 */
int mail_recipient_index_has(struct mail_recipient_index *ix,
	struct arena *a, const struct mail_recipient *list, size_t count,
	const struct mail_recipient *r, bool *has_r, struct error *err);

/*
 * Whether `size` more bytes fit in the recipient's quota, by the one quota
 * rule IMAP APPEND, COPY and MOVE apply too (mail_message.c); ERROR_LIMIT
 * with that rule's sentence when they do not (SPEC M14).
 */
int mail_check_quota(struct store *st, const struct mail_recipient *r,
	size_t size, struct error *err);

/*
 * Whether the store's disk has room to take a message (SECURITY.md 25;
 * Postfix's queue_minfree rule): free_bytes must be at least min_free and
 * 1.5 times the largest message allowed (size_limit), and leave min_free
 * after 1.5 times the size the client declared (size_hint, 0 when none).
 * Pure. ERROR_NO_SPACE with a sentence when it has not.
 */
int mail_check_free_space(uint64_t free_bytes, uint64_t min_free,
	uint64_t size_limit, uint64_t size_hint, struct error *err);

/* Why a signed-in person may use an address as the sender (SPEC M2). */
enum mail_send_right {
	MAIL_SEND_SELF,		/* their own address */
	MAIL_SEND_AS,		/* a mailbox they hold Send As on */
	MAIL_SEND_ON_BEHALF,	/* Send on Behalf: a Sender header names them */
};

/*
 * An audit row owed for a message (type "message", action "other"): its
 * summary as compact JSON text, and whether it records a refusal. The
 * policy stage makes them; the delivery's commit writes them, so a row
 * exists exactly when the message was accepted, and costs no commit of
 * its own (mail_policy_stage.h).
 */
struct mail_audit_note {
	const char *summary;
	bool denied;
};

/*
 * An NHS number found in mail leaving the secure domains (SPEC M12), for
 * the alert to the sender's organisation's Local Administrators: what
 * was done and what was found, the number masked (SECURITY.md 53).
 */
struct mail_dlp_alert {
	const char *decision;	/* "refuse", "encrypt" or "deliver" (audited) */
	const char *tier;	/* "high", "medium", "low"; "" unscannable */
	const char *sample;	/* masked ("999 *** **27"); "" */
	const char *recipient;	/* the first recipient outside */
	size_t numbers;		/* how many were found */
};

/*
 * An outside address a list recipient reaches (a list's contact) that
 * the policy withheld the message from: sealed for the portal, or
 * stopped with the words for the sender's report (SPEC M10, M12).
 * Delivery takes it out of what the list reaches.
 */
struct mail_withheld {
	const char *address;
	const struct mail_recipient *via;	/* the list recipient */
	bool sealed;		/* else stopped */
	const char *why;	/* stopped: the report's words */
};

struct mail_message {
	const char *data;	/* the whole message, CRLF line endings */
	size_t size;
	int64_t received_at;	/* the internal date */
	const char *sender;	/* envelope sender, "" for the null path */
	bool junk;		/* local copies go to Junk E-mail (SPEC M6) */
	/* RFC 3461, as the client gave them with MAIL; NULL: not given */
	const char *ret;	/* "FULL" or "HDRS" */
	const char *envid;	/* decoded */
	/*
	 * Submission: the From header's right (mail_check_header_senders);
	 * MAIL_SEND_SELF for anything else. Sent as or on behalf of a
	 * shared mailbox, mail_accept files a copy in its Sent Items.
	 */
	enum mail_send_right right;
	/*
	 * The From header's address as DATA read it for the checks above
	 * (mail_header_from), so it is not parsed again; NULL where it was
	 * not read (an application's message, mail made here).
	 */
	const char *from;
	/*
	 * A mailbox whose Sent Items gets a \Seen copy in the delivery's
	 * commit (SPEC M12a); 0: none. mail_accept sets it from `right`.
	 */
	int64_t sent_copy_mailbox;
	/*
	 * The shared mailbox the message was sent as or on behalf of, whose
	 * last use (SPEC L5) the delivery's commit records, a copy kept or
	 * not; 0: none. mail_accept sets it from `right` and the From.
	 */
	int64_t sent_as_shared;
	/* Audit rows written in the delivery's commit (none: 0). */
	const struct mail_audit_note *notes;
	size_t note_count;
	/*
	 * The copy sealed for the secure message portal and its notices,
	 * written in the delivery's commit (mail_accept makes it from the
	 * policy's `sealed` recipients); NULL: none.
	 */
	const struct mail_seal_plan *seal;
	/*
	 * A DLP find: after the delivery, mail_accept alerts the sender's
	 * org's Local Administrators (mail.dlp_alert); NULL: none.
	 */
	const struct mail_dlp_alert *dlp_alert;
	/* Lists' contacts withheld from (none: 0). */
	const struct mail_withheld *withheld;
	size_t withheld_count;
	/*
	 * The person whose count of recipients for the day (of
	 * received_at, UTC) the delivery's commit adds to (SPEC M7); 0:
	 * none (an application, mail from outside, a report).
	 */
	int64_t sent_by;
};

/* A message the platform writes to people (mail_postmaster.c). */
struct mail_postmaster_mail {
	const char *from_name;	/* beside the postmaster's address; "caremail" */
	const char *subject;	/* UTF-8 */
	const char *text;	/* UTF-8 */
	const char *html;	/* NULL: text only */
	bool allow_remote;	/* may go to an address outside (the queue) */
};

/*
 * Sends pm from the postmaster, from the null sender, to each address of
 * to[n] once, in one delivery; an address that reaches no one (or is
 * outside when !allow_remote) is left out. *sent_r (may be NULL): how
 * many it went to; 0 sends nothing.
 */
int mail_postmaster_send(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_postmaster_mail *pm, const char *const *to,
	size_t n, size_t *sent_r, struct error *err);

/* The same to recipients routed already (count 0: nothing sent). */
int mail_postmaster_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_postmaster_mail *pm,
	const struct mail_recipient *rcpt, size_t count, struct error *err);

/* Whether mail.dlp_alert asks for an alert about a find so decided. */
bool mail_dlp_alert_wanted(const struct config *c, const char *decision);

/*
 * Alerts the Local Administrators of m's sender's org to m->dlp_alert
 * when mail.dlp_alert asks for it: one message from the postmaster to
 * their mailboxes, the number masked. 0 with nothing sent when the
 * sender is no person here or the org has no Local Administrator.
 */
int mail_dlp_alert_send(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, struct error *err);

/* What a delivery did, for the front end's log line. */
struct mail_delivery_report {
	int64_t mailboxes;	/* local mailboxes that got a copy */
	int64_t over_quota;	/* list members left out: their mailbox is full */
	bool sent_copy;		/* a copy went to a shared mailbox's Sent Items */
};

/*
 * Delivers the message through the group-commit writer: the body once,
 * a row in the Inbox of each distinct local mailbox the recipients and
 * their lists reach (made with the mailbox: one lacking its Inbox fails
 * the delivery with ERROR_TEMPORARY, nothing kept), and a queue row for
 * each remote address, keeping the message's RET and ENVID and a direct
 * recipient's NOTIFY and ORCPT (a list's members get none). A list member whose mailbox the message would put
 * over quota is left out and counted (a direct recipient was checked at
 * RCPT). ctx gives the directory's rules for expanding lists; its store
 * is not used (the writer has its own). Returns only when all of it is on
 * stable storage, or with nothing kept. With m->sent_copy_mailbox set,
 * the same commit files a \Seen copy in that mailbox's Sent Items (made
 * if it has gone, as dir_mailbox_standard_folder says), even with no
 * recipients; m->notes are written in it too (with no recipient and no
 * copy, they alone: no body is kept). Intake calls mail_accept (mail_accept.h), which adds the
 * reports the sender is owed and decides the Sent Items copy.
 *
 * With w NULL, the delivery is written on ctx->store, inside the
 * transaction the caller holds open there (a savepoint of it), and is
 * durable when the caller commits: a job that makes many changes and
 * mails (a lifecycle run, bench B7) commits them together, once, instead
 * of waiting for a flush per mail.
 */
int mail_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, struct mail_delivery_report *report_r,
	struct error *err);

/*
 * Who to wake when mail_deliver has queued mail for other domains (the
 * queue runner in serve); NULL to stop. The hook is called after the
 * commit, under a lock this setter takes too, so once it returns the old
 * hook is never called again.
 */
void mail_deliver_set_queue_hook(void (*hook)(void *arg), void *arg);

/*
 * Whether the person signed in as `person_address` may send from `from`.
 * ERROR_DENIED with the reason when not; the null path is refused too, as
 * people do not send bounces.
 */
int mail_check_sender(const struct dir_ctx *ctx, const char *person_address,
	const char *from, enum mail_send_right *right_r, struct error *err);

/*
 * An organisation's application sending mail (SPEC M3): signed in to
 * submission with a token, or connecting from a registered relay host.
 */
struct mail_app {
	int64_t org_id;
	const char *name;	/* "token:payroll" or "relay:payroll", for people */
};

/*
 * Whether the application may send from `from`: an address of a live
 * person or shared or resource mailbox in an org its own org reaches (the
 * admin scope rule). ERROR_DENIED with the reason.
 */
int mail_check_app_sender(const struct dir_ctx *ctx, const struct mail_app *app,
	const char *from, struct error *err);

/*
 * A mailbox the From or Sender header of a message names, as a mail client
 * shows it. Strings are in the arena given.
 */
struct mail_header_mailbox {
	const char *name;	/* display name, RFC 2047 decoded; or NULL */
	const char *address;	/* "local@domain" as written, route dropped */
	/*
	 * Text in the display name that reads as another address, as in
	 * "bob@x.example <alice@y.example>"; NULL when there is none.
	 */
	const char *name_address;
};

/*
 * The From field of a message header: exactly one field holding exactly
 * one mailbox (RFC 5322 §3.6.2; SECURITY.md 12). header is the message or
 * its start: fields are read up to the first empty line, or to the end of
 * the span when it has none, so a caller that holds only the first part of
 * a message must have found that empty line in it. Obsolete syntax is
 * read as a client reads it ("From :", source routes, comments). Pure.
 * ERROR_INVALID saying what is wrong: no From, two or more, a From with
 * no address, a group, several addresses, or an address without a local
 * part or domain; or one longer than 4096 characters. ERROR_LIMIT when
 * the arena is full.
 */
int mail_header_from(struct span header, struct arena *a,
	struct mail_header_mailbox *from_r, struct error *err);

/*
 * The Sender field, as mail_header_from reads From; *present_r is false
 * (and 0 returned) when there is none. Two Sender fields are refused.
 */
int mail_header_sender(struct span header, struct arena *a,
	struct mail_header_mailbox *sender_r, bool *present_r,
	struct error *err);

/*
 * Submission (SECURITY.md 11, 12): whether the person signed in as
 * person_address may send a message with this header. From and Sender
 * (when present) are read as mail_header_from says and each must pass
 * mail_check_sender, the rule the envelope sender passes; a display name
 * that shows another address is refused too. *right_r is the From's
 * right, which decides whether mail_submission_on_behalf rewrites it;
 * *from_r its address, in ctx->arena (mail_message.from).
 * ERROR_INVALID for a malformed From or Sender, ERROR_DENIED with the
 * reason for an address the person may not use; store errors as they are.
 * Scratch memory comes from ctx->arena.
 */
int mail_check_header_senders(const struct dir_ctx *ctx,
	const char *person_address, struct span header,
	enum mail_send_right *right_r, const char **from_r, struct error *err);

/*
 * mail_check_header_senders for an application: exactly one From with
 * one address, and it and any Sender pass mail_check_app_sender.
 */
int mail_check_app_header_senders(const struct dir_ctx *ctx,
	const struct mail_app *app, struct span header, struct error *err);

/*
 * A message sent on behalf of a mailbox (the From's right, SPEC M2) as it
 * is stored, written to out: the first `keep` bytes of msg (our trace
 * header) as they are, a Sender header naming the person, then the rest
 * of msg without any Sender field the client wrote. -1 with out's error
 * (ERROR_LIMIT past its size, ERROR_NO_SPACE when the disk is full).
 */
int mail_submission_on_behalf(const char *person, struct span msg,
	size_t keep, struct spool *out, struct error *err);

/* What a Received header records of one hop (RFC 5321 §4.4). */
struct mail_received {
	const char *helo;	/* the client's EHLO or HELO argument, as sent */
	const char *peer_ip;	/* "192.0.2.1" or "2001:db8::1" */
	const char *by;		/* our host name */
	const char *with;	/* "ESMTP", "ESMTPS" or "ESMTPSA" (RFC 3848) */
	const char *tls;	/* "TLS1.3 AES-256-GCM", or "" without TLS */
	const char *id;		/* our id for the message */
	int64_t date;		/* UTC seconds */
};

/*
 * Whether an EHLO argument is a domain or an address literal ("[192.0.2.1]",
 * "[IPv6:2001:db8::1]") and may go into a header as it is.
 */
bool mail_helo_is_usable(const char *helo);

/*
 * Appends "Received: from HELO ([ip])\r\n\tby ... ; date\r\n" to out. A
 * HELO that is not usable is written "unknown", with what it held beside
 * the address as "helo=" and letters, digits and ".-_:[]" only (others as
 * '?'), so nothing the client sent can change the header's structure.
 * Pure. -1 when out would pass its maximum.
 */
int mail_received_header(const struct mail_received *r, struct str *out);

/*
 * Our host name, as the greeting, EHLO, Received headers and reports give
 * it: smtp.hostname, else the first mail domain, else "localhost".
 */
void mail_hostname(const struct config *c, char *buf, size_t size);

/*
 * Appends "Return-Path: <SENDER>\r\n" to out: the envelope sender, "<>"
 * for the null one, which final delivery writes at the top of the message
 * (RFC 5321 §4.4, RFC 5322 §3.6.7). Only SMTP delivers; IMAP APPEND and
 * the API do not add one. Pure. -1 when out would pass its maximum.
 */
int mail_return_path_header(const char *sender, struct str *out);

/* Where a message arriving line by line stands, for mail_trace_keep_line. */
struct mail_trace_filter {
	bool in_body;		/* past the empty line that ends the header */
	bool dropping;		/* inside a Return-Path field: its folded lines */
};

/*
 * Whether a line of the message as the client sent it (no CRLF, dots
 * undone) is kept. Every Return-Path field of the header goes, with its
 * folded lines: only the final delivery writes one, so one the client
 * sent would name a sender the envelope did not (RFC 5321 §4.4). The body
 * is kept whole. Pure; start with a zeroed filter.
 */
bool mail_trace_keep_line(struct mail_trace_filter *f, struct span line);

#endif
