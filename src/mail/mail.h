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
struct store;
struct store_queued;
struct store_writer;

enum mail_route_kind {
	MAIL_ROUTE_LOCAL,	/* a mailbox here */
	MAIL_ROUTE_REMOTE,	/* another domain: the outbound queue */
};

struct mail_recipient {
	enum mail_route_kind kind;
	const char *address;	/* normalised, as delivered */
	int64_t mailbox_id;	/* LOCAL only */
	int64_t quota_mb;	/* LOCAL only */
};

/*
 * Where mail for `address` goes: one local mailbox, the members of a list
 * (expanded: nested lists followed, loops cut, each address once), or a
 * remote address when allow_remote (authenticated submission). Refusals
 * say why in a sentence a person understands: ERROR_NOT_FOUND for an
 * unknown or deleted local address, ERROR_DENIED for another domain when
 * relaying is not allowed, ERROR_INVALID for a malformed address.
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

/*
 * Delivers the message through the group-commit writer: the body once,
 * an index row in the Inbox of each distinct local mailbox (folders are
 * created on first use), and a queue row for each remote recipient.
 * Returns only when all of it is on stable storage, or with nothing kept.
 */
int mail_deliver(struct store_writer *w, const struct mail_message *m,
	const struct mail_recipient *recipients, size_t count,
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
 * The message as submitted by a signed-in person, appended to out: mail
 * sent on behalf of a mailbox gets a Sender header naming the person, and
 * any Sender header the client wrote is left out (SPEC M2). Otherwise the
 * message is copied as it is. -1 when out would pass its maximum.
 */
int mail_submission_text(enum mail_send_right right, const char *person,
	struct span msg, struct str *out);

#endif
