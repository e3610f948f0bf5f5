/*
 * Shared within mail/: what delivery and APPEND both do to a message before
 * it is stored, the quota rule, and where a client's folder name points.
 * Layer: domain, private.
 */
#ifndef MAIL_INTERNAL_H
#define MAIL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "mail/mail_seal.h"
#include "store/store.h"

struct arena;
struct dir_ctx;
struct error;
struct mail_message;
struct mail_recipient;
struct mail_user;

/*
 * Writes x as LEB128 (7 bits a byte, low first) at p, at most 10 bytes;
 * returns how many (the stored view's and summary pack's numbers).
 */
size_t mail_varint_put(unsigned char *p, uint64_t x);
/*
 * Reads one number written by mail_varint_put at d[*pos] (of size bytes),
 * moving *pos past it: false when it is cut short, larger than max, or
 * longer than max needs.
 */
bool mail_varint_get(const unsigned char *d, size_t size, size_t *pos,
	uint64_t max, uint64_t *x_r);

/* A message made ready for store_body_put. */
struct mail_body {
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
	struct store_message_meta meta;
	struct store_body body;	/* points at hash, meta and the bytes */
};

/*
 * Works out the MIME summary (from arena a) and the SHA-256 of data[size],
 * outside any transaction, so the writer only stores them. ERROR_LIMIT or
 * ERROR_INVALID from the MIME parser's bounds.
 */
int mail_body_prepare(const char *data, size_t size, int64_t now,
	struct arena *a, struct mail_body *b_r, struct error *err);

/*
 * The quota rule, the one every way in applies (SMTP RCPT and delivery,
 * IMAP APPEND, COPY and MOVE): `adding` bytes fit a mailbox holding `used`
 * bytes when the sum is at most its quota. A list's delivery applies the
 * same inequality to all its members at once (store_set_drop_full).
 */
bool mail_quota_fits(int64_t used, int64_t adding, int64_t quota_mb);

/*
 * 0 when `adding` more bytes fit mailbox_id now, read through st (inside a
 * writer job, the transaction's own view); else ERROR_LIMIT worded as
 * every front end reports it.
 */
int mail_quota_check(struct store *st, int64_t mailbox_id, int64_t adding,
	struct arena *a, struct error *err);

/* Where a client's folder name points (mail_folder_name.c). */
struct mail_folder_target {
	int64_t mailbox_id;
	bool shared;
	const char *prefix;	/* "" or "Shared/<address>/" */
	const char *store_name; /* in the mailbox; "" for a namespace node */
};

/*
 * Resolves a client's name: one's own mailbox, or a shared one the person
 * holds Full Access on now. ERROR_NOT_FOUND when the grant is missing
 * (told apart from no mailbox by nothing). Strings in u->ctx->arena.
 */
int mail_folder_resolve(const struct mail_user *u, const char *name,
	struct mail_folder_target *r, struct error *err);

/*
 * A client's name for a new folder: a trailing delimiter dropped, checked
 * with mail_folder_name_check, resolved, and refused (ERROR_INVALID) for a
 * namespace node or a name kept for the shared namespace.
 */
int mail_folder_new_name(const struct mail_user *u, const char *name,
	struct mail_folder_target *r, struct error *err);

/*
 * Whether the person holds Full Access on the mailbox now and it is open
 * for mail. Their own mailbox always counts.
 */
int mail_folder_may_use(const struct mail_user *u, int64_t mailbox_id,
	bool *ok_r, struct error *err);

/* ---- sealing for the secure message portal (mail_seal_deliver.c) ---- */

/* The notice to one recipient of a sealed message, ready to store. */
struct mail_seal_notice {
	const char *address;
	char link_hash[MAIL_SEAL_HASH_SIZE];
	unsigned notify;		/* the recipient's RFC 3461 NOTIFY */
	const char *orcpt;
	const char *data;		/* the notice, with its Return-Path */
	size_t size;
	struct mail_body body;
};

/* A message sealed for some of its recipients (mail_message.seal). */
struct mail_seal_plan {
	struct store_secure_message message;	/* sealed, not yet stored */
	struct mail_seal_notice *notices;
	size_t count;			/* 0: nothing sealed */
};

/*
 * Outside any commit: seals m for the recipients marked in sealed (per
 * recipient; NULL or none marked: p_r->count 0) and writes each one's
 * notice with a new link, all in a. ERROR_LIMIT past a; ERROR_INTERNAL
 * without the instance's sealing key (ctx->seal_key).
 */
int mail_seal_prepare(const struct dir_ctx *ctx, const struct mail_message *m,
	const struct mail_recipient *recipients, size_t count,
	const bool *sealed, struct arena *a, struct mail_seal_plan *p_r,
	struct error *err);

/*
 * Inside the delivery's commit: stores the sealed message and its
 * recipients' links, and queues each notice, using the recipient-set
 * scope given (emptied after).
 */
int mail_seal_write(struct store *st, const struct mail_message *m,
	const struct mail_seal_plan *p, int64_t scope, struct error *err);

#endif
