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
struct dir_ctx;
struct error;
struct spool;
struct store;
struct store_queued;
struct store_writer;

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
};

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
 * Whether `size` more bytes fit in the recipient's quota; ERROR_LIMIT with
 * a sentence when they do not (SPEC M14).
 */
int mail_check_quota(struct store *st, const struct mail_recipient *r,
	size_t size, struct error *err);

struct mail_message {
	const char *data;	/* the whole message, CRLF line endings */
	size_t size;
	int64_t received_at;	/* the internal date */
	const char *sender;	/* envelope sender, "" for the null path */
};

/* What a delivery did, for the front end's log line. */
struct mail_delivery_report {
	int64_t mailboxes;	/* local mailboxes that got a copy */
	int64_t over_quota;	/* list members left out: their mailbox is full */
};

/*
 * Delivers the message through the group-commit writer: the body once,
 * a row in the Inbox of each distinct local mailbox the recipients and
 * their lists reach (the Inbox is made on first use), and a queue row for
 * each remote address. A list member whose mailbox the message would put
 * over quota is left out and counted (a direct recipient was checked at
 * RCPT). ctx gives the directory's rules for expanding lists; its store
 * is not used (the writer has its own). Returns only when all of it is on
 * stable storage, or with nothing kept.
 */
int mail_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, struct mail_delivery_report *report_r,
	struct error *err);

/*
 * The special-use folders every mailbox has (RFC 6154): Inbox, Sent
 * Items, Drafts, Deleted Items and Junk E-mail. Creates any that are
 * missing; UIDVALIDITY is `now`.
 */
int mail_folders_ensure(struct store *st, int64_t mailbox_id, int64_t now,
	struct error *err);

/* The outbound queue, oldest first (remote delivery is a later step). */
int mail_queue_list(const struct dir_ctx *ctx, struct store_queued **items_r,
	size_t *count_r, struct error *err);

/* Why a signed-in person may use an address as the sender (SPEC M2). */
enum mail_send_right {
	MAIL_SEND_SELF,		/* their own address */
	MAIL_SEND_AS,		/* a mailbox they hold Send As on */
	MAIL_SEND_ON_BEHALF,	/* Send on Behalf: a Sender header names them */
};

/*
 * Whether the person signed in as `person_address` may send from `from`.
 * ERROR_DENIED with the reason when not; the null path is refused too, as
 * people do not send bounces.
 */
int mail_check_sender(const struct dir_ctx *ctx, const char *person_address,
	const char *from, enum mail_send_right *right_r, struct error *err);

/*
 * The stored form of a message, built a line at a time as DATA arrives, so
 * it never has to be whole in memory: mail sent on behalf of a mailbox gets
 * a Sender header naming the person, and any Sender header the client
 * wrote is left out (SPEC M2); otherwise lines are kept as they come.
 */
struct mail_intake {
	struct spool *spool;
	bool in_header;
	bool drop_sender;	/* on behalf: the client's Sender is left out */
	bool skipping;		/* inside a header being left out */
};

/* Starts a message in sp; -1 with the spool's error. */
int mail_intake_start(struct mail_intake *in, struct spool *sp,
	enum mail_send_right right, const char *person, struct error *err);

/*
 * One line of the message as the client sent it, without its CRLF and with
 * any dot-stuffing undone. -1 with the spool's error (ERROR_LIMIT past the
 * size allowed, ERROR_TEMPORARY when the disk refuses).
 */
int mail_intake_line(struct mail_intake *in, const char *line, size_t len,
	struct error *err);

#endif
