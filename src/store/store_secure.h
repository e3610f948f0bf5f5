/*
 * Encrypted messages for recipients outside the secure domains and the
 * portal they are read in (SPEC M10, M11): the sealed messages, each
 * recipient's link, the one-time codes, readers' sessions and passwords,
 * and the access log. Layer: store; only the domain includes this. What
 * is secret is kept as a hash (links, codes, sessions) or sealed by the
 * domain before it gets here (messages); this file never sees a key.
 */
#ifndef STORE_STORE_SECURE_H
#define STORE_STORE_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* ---- messages and recipients ---- */

/* Inserts m (id ignored) and fills m->id. */
int store_secure_message_insert(struct store *st,
	struct store_secure_message *m, struct error *err);

/* Inserts r (id ignored) and fills r->id; ERROR_EXISTS for a link taken. */
int store_secure_recipient_insert(struct store *st,
	struct store_secure_recipient *r, struct error *err);

/* The message with its sealed bytes in a; ERROR_NOT_FOUND. */
int store_secure_message_get(struct store *st, int64_t id, struct arena *a,
	struct store_secure_message *m_r, struct error *err);

/* The recipient whose link hashes to link_hash; ERROR_NOT_FOUND. */
int store_secure_recipient_by_link(struct store *st, const char *link_hash,
	struct arena *a, struct store_secure_recipient *r_r,
	struct error *err);

/* The recipient of message_id at address (lowercase); ERROR_NOT_FOUND. */
int store_secure_recipient_get(struct store *st, int64_t message_id,
	const char *address, struct arena *a,
	struct store_secure_recipient *r_r, struct error *err);

/* A message's recipients, in the order they were added. */
int store_secure_recipients_of(struct store *st, int64_t message_id,
	struct arena *a, struct store_secure_recipient **list_r,
	size_t *count_r, struct error *err);

/*
 * Every recipient row of address (lowercase), newest message first, at
 * most `limit`: what a reader signed in as address may open.
 */
int store_secure_recipients_at(struct store *st, const char *address,
	size_t limit, struct arena *a, struct store_secure_recipient **list_r,
	size_t *count_r, struct error *err);

/*
 * Messages sent by `sender` (lowercase envelope address), newest first,
 * at most `limit`, without their sealed bytes.
 */
int store_secure_messages_by_sender(struct store *st, const char *sender,
	size_t limit, struct arena *a, struct store_secure_message **list_r,
	size_t *count_r, struct error *err);

/*
 * The replies `sender` (lowercase) sealed to message_id (reply_to), with
 * their sealed bytes, oldest first, at most `limit`.
 */
int store_secure_replies_of(struct store *st, int64_t message_id,
	const char *sender, size_t limit, struct arena *a,
	struct store_secure_message **list_r, size_t *count_r,
	struct error *err);

/* Revokes one recipient's access; ERROR_NOT_FOUND; revoking twice: 0. */
int store_secure_recipient_revoke(struct store *st, int64_t recipient_id,
	int64_t now, const char *by, struct error *err);

/* Records the first read (later reads leave it). */
int store_secure_recipient_read(struct store *st, int64_t recipient_id,
	int64_t now, struct error *err);

/*
 * Forgets the sealed bytes and wrapped key of every message whose
 * expiry has come (crypto-shredding: the metadata and access log stay);
 * *count_r how many.
 */
int store_secure_purge_expired(struct store *st, int64_t now,
	int64_t *count_r, struct error *err);

/* ---- one-time codes ---- */

/* Inserts c (id ignored) and fills c->id. */
int store_secure_code_insert(struct store *st, struct store_secure_code *c,
	struct error *err);

/* The newest code of the recipient; ERROR_NOT_FOUND for none. */
int store_secure_code_latest(struct store *st, int64_t recipient_id,
	struct arena *a, struct store_secure_code *c_r, struct error *err);

/* Codes sent for the recipient since `since`, for the rate limit. */
int store_secure_code_count_since(struct store *st, int64_t recipient_id,
	int64_t since, int64_t *count_r, struct error *err);

/* One more wrong code tried against it. */
int store_secure_code_attempt(struct store *st, int64_t id,
	struct error *err);

/* Marks it used, once: ERROR_NOT_FOUND when it was used already. */
int store_secure_code_use(struct store *st, int64_t id, int64_t now,
	struct error *err);

/* ---- readers' sessions and passwords ---- */

int store_secure_session_insert(struct store *st,
	const struct store_secure_session *s, struct error *err);

/* The session unexpired at now; ERROR_NOT_FOUND. */
int store_secure_session_find(struct store *st, const char *token_hash,
	int64_t now, struct arena *a, struct store_secure_session *s_r,
	struct error *err);

/* Moves last_seen_at and expires_at on. */
int store_secure_session_touch(struct store *st, const char *token_hash,
	int64_t now, int64_t expires_at, struct error *err);

int store_secure_session_delete(struct store *st, const char *token_hash,
	struct error *err);

/* Sets (or replaces) the password hash of a returning reader. */
int store_secure_reader_set_password(struct store *st, const char *address,
	const char *password_hash, int64_t now, struct error *err);

/* The reader's password hash in a; ERROR_NOT_FOUND when none is set. */
int store_secure_reader_password(struct store *st, const char *address,
	struct arena *a, const char **hash_r, struct error *err);

/* ---- the access log ---- */

int store_secure_access_insert(struct store *st,
	const struct store_secure_access *e, struct error *err);

/* A message's access log, oldest first, at most `limit`. */
int store_secure_access_list(struct store *st, int64_t message_id,
	size_t limit, struct arena *a, struct store_secure_access **list_r,
	size_t *count_r, struct error *err);

#endif
