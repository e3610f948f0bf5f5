/*
 * Encrypted messages and their portal (SPEC M10, M11): rows of
 * secure_messages, secure_recipients, secure_codes, secure_sessions,
 * secure_readers and secure_access (migration 22). Layer: store. The
 * domain seals before it calls here and hashes every secret.
 */
#include "store/store_secure.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

/* ---- messages ---- */

#define MESSAGE_COLUMNS                                                    \
	"id, uid, sender, COALESCE(sender_person_id, 0), created_at,"      \
	" expires_at, COALESCE(reply_to, 0), key_id, size,"                \
	" COALESCE(purged_at, 0)"

static void
message_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_secure_message *m = out;
	*m = (struct store_secure_message){
		.id = store_col_int(st, s, 0),
		.uid = store_col_text(st, s, 1, a),
		.sender = store_col_text(st, s, 2, a),
		.sender_person_id = store_col_int(st, s, 3),
		.created_at = store_col_int(st, s, 4),
		.expires_at = store_col_int(st, s, 5),
		.reply_to = store_col_int(st, s, 6),
		.key_id = store_col_text(st, s, 7, a),
		.size = store_col_int(st, s, 8),
		.purged_at = store_col_int(st, s, 9),
	};
}

/* With the sealed bytes, which follow the columns above. */
static void
message_read_sealed(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_secure_message *m = out;
	message_read(st, s, a, out);
	m->wrapped_key = store_col_blob_copy(st, s, 10, a, &m->wrapped_key_len);
	m->ciphertext = store_col_blob_copy(st, s, 11, a, &m->ciphertext_len);
}

int
store_secure_message_insert(struct store *st, struct store_secure_message *m,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO secure_messages (uid, sender, sender_person_id,"
		" created_at, expires_at, reply_to, key_id, wrapped_key,"
		" ciphertext, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id", "ttziiztbbi", m->uid, m->sender,
		m->sender_person_id, m->created_at, m->expires_at, m->reply_to,
		m->key_id, (const void *)m->wrapped_key, m->wrapped_key_len,
		(const void *)m->ciphertext, m->ciphertext_len, m->size);
	if (id < 0)
		return -1;
	m->id = id;
	return 0;
}

int
store_secure_message_get(struct store *st, int64_t id, struct arena *a,
	struct store_secure_message *m_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " MESSAGE_COLUMNS ", wrapped_key, ciphertext"
		" FROM secure_messages WHERE id = ?", "i", id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, message_read_sealed, m_r,
		"such secure message", err);
}

int
store_secure_messages_by_sender(struct store *st, const char *sender,
	size_t limit, struct arena *a, struct store_secure_message **list_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " MESSAGE_COLUMNS " FROM secure_messages"
		" WHERE sender = ? ORDER BY created_at DESC, id DESC LIMIT ?",
		"ti", sender, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), message_read,
		(void **)list_r, count_r, err);
}

int
store_secure_replies_of(struct store *st, int64_t message_id,
	const char *sender, size_t limit, struct arena *a,
	struct store_secure_message **list_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " MESSAGE_COLUMNS ", wrapped_key, ciphertext"
		" FROM secure_messages WHERE reply_to = ? AND sender = ?"
		" ORDER BY id LIMIT ?", "iti", message_id, sender,
		(int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), message_read_sealed,
		(void **)list_r, count_r, err);
}

int
store_secure_purge_expired(struct store *st, int64_t now, int64_t *count_r,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE secure_messages SET wrapped_key = NULL,"
		" ciphertext = NULL, purged_at = ?"
		" WHERE purged_at IS NULL AND expires_at <= ?", "ii", now, now);
	if (n < 0)
		return -1;
	if (count_r != NULL)
		*count_r = n;
	return 0;
}

/* ---- recipients ---- */

#define RECIPIENT_COLUMNS                                                  \
	"r.id, r.message_id, r.address, r.link_hash,"                      \
	" COALESCE(r.revoked_at, 0), COALESCE(r.revoked_by, ''),"          \
	" COALESCE(r.first_read_at, 0)"

static void
recipient_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_secure_recipient *r = out;
	*r = (struct store_secure_recipient){
		.id = store_col_int(st, s, 0),
		.message_id = store_col_int(st, s, 1),
		.address = store_col_text(st, s, 2, a),
		.link_hash = store_col_text(st, s, 3, a),
		.revoked_at = store_col_int(st, s, 4),
		.revoked_by = store_col_text(st, s, 5, a),
		.first_read_at = store_col_int(st, s, 6),
	};
}

int
store_secure_recipient_insert(struct store *st,
	struct store_secure_recipient *r, struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO secure_recipients (message_id, address, link_hash)"
		" VALUES (?, ?, ?) RETURNING id", "itt", r->message_id,
		r->address, r->link_hash);
	if (id < 0)
		return -1;
	r->id = id;
	return 0;
}

int
store_secure_recipient_by_link(struct store *st, const char *link_hash,
	struct arena *a, struct store_secure_recipient *r_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " RECIPIENT_COLUMNS " FROM secure_recipients r"
		" WHERE r.link_hash = ?", "t", link_hash);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, recipient_read, r_r,
		"such secure message link", err);
}

int
store_secure_recipient_get(struct store *st, int64_t message_id,
	const char *address, struct arena *a,
	struct store_secure_recipient *r_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " RECIPIENT_COLUMNS " FROM secure_recipients r"
		" WHERE r.message_id = ? AND r.address = ?", "it", message_id,
		address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, recipient_read, r_r,
		"such recipient of the secure message", err);
}

int
store_secure_recipients_of(struct store *st, int64_t message_id,
	struct arena *a, struct store_secure_recipient **list_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " RECIPIENT_COLUMNS " FROM secure_recipients r"
		" WHERE r.message_id = ? ORDER BY r.id", "i", message_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), recipient_read,
		(void **)list_r, count_r, err);
}

int
store_secure_recipients_at(struct store *st, const char *address,
	size_t limit, struct arena *a, struct store_secure_recipient **list_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " RECIPIENT_COLUMNS " FROM secure_recipients r"
		" WHERE r.address = ? ORDER BY r.message_id DESC LIMIT ?", "ti",
		address, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), recipient_read,
		(void **)list_r, count_r, err);
}

int
store_secure_recipient_revoke(struct store *st, int64_t recipient_id,
	int64_t now, const char *by, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE secure_recipients SET revoked_at = COALESCE(revoked_at,"
		" ?), revoked_by = COALESCE(revoked_by, ?) WHERE id = ?", "iti",
		now, by, recipient_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
		"there is no such recipient of the secure message");
}

int
store_secure_recipient_read(struct store *st, int64_t recipient_id,
	int64_t now, struct error *err)
{
	return store_exec(st, err,
		"UPDATE secure_recipients SET first_read_at = ?"
		" WHERE id = ? AND first_read_at IS NULL", "ii", now,
		recipient_id) < 0 ? -1 : 0;
}

/* ---- one-time codes ---- */

static void
code_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_secure_code *c = out;
	*c = (struct store_secure_code){
		.id = store_col_int(st, s, 0),
		.recipient_id = store_col_int(st, s, 1),
		.code_hash = store_col_text(st, s, 2, a),
		.browser_hash = store_col_text(st, s, 3, a),
		.created_at = store_col_int(st, s, 4),
		.expires_at = store_col_int(st, s, 5),
		.attempts = store_col_int(st, s, 6),
		.used_at = store_col_int(st, s, 7),
	};
}

int
store_secure_code_insert(struct store *st, struct store_secure_code *c,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO secure_codes (recipient_id, code_hash,"
		" browser_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"
		" RETURNING id", "ittii", c->recipient_id, c->code_hash,
		c->browser_hash, c->created_at, c->expires_at);
	if (id < 0)
		return -1;
	c->id = id;
	return 0;
}

int
store_secure_code_latest(struct store *st, int64_t recipient_id,
	struct arena *a, struct store_secure_code *c_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT id, recipient_id, code_hash, browser_hash, created_at,"
		" expires_at, attempts, COALESCE(used_at, 0) FROM secure_codes"
		" WHERE recipient_id = ? ORDER BY id DESC LIMIT 1", "i",
		recipient_id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, code_read, c_r, "code sent", err);
}

int
store_secure_code_count_since(struct store *st, int64_t recipient_id,
	int64_t since, int64_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT COUNT(*) FROM secure_codes WHERE recipient_id = ?"
		" AND created_at >= ?", "ii", recipient_id, since);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*count_r = store_col_int(st, s, 0);
	return store_rows_done(st, s, rc < 0 ? -1 : 0, err);
}

int
store_secure_code_attempt(struct store *st, int64_t id, struct error *err)
{
	return store_exec(st, err,
		"UPDATE secure_codes SET attempts = attempts + 1 WHERE id = ?",
		"i", id) < 0 ? -1 : 0;
}

int
store_secure_code_use(struct store *st, int64_t id, int64_t now,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE secure_codes SET used_at = ? WHERE id = ?"
		" AND used_at IS NULL", "ii", now, id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
		"that code has been used already");
}

/* ---- readers' sessions and passwords ---- */

static void
session_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_secure_session *r = out;
	*r = (struct store_secure_session){
		.token_hash = store_col_text(st, s, 0, a),
		.address = store_col_text(st, s, 1, a),
		.csrf_token = store_col_text(st, s, 2, a),
		.created_at = store_col_int(st, s, 3),
		.last_seen_at = store_col_int(st, s, 4),
		.expires_at = store_col_int(st, s, 5),
	};
}

int
store_secure_session_insert(struct store *st,
	const struct store_secure_session *s, struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO secure_sessions (token_hash, address, csrf_token,"
		" created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?,"
		" ?)", "tttiii", s->token_hash, s->address, s->csrf_token,
		s->created_at, s->last_seen_at, s->expires_at) < 0 ? -1 : 0;
}

int
store_secure_session_find(struct store *st, const char *token_hash,
	int64_t now, struct arena *a, struct store_secure_session *s_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT token_hash, address, csrf_token, created_at,"
		" last_seen_at, expires_at FROM secure_sessions"
		" WHERE token_hash = ? AND expires_at > ?", "ti", token_hash,
		now);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, session_read, s_r,
		"session; open the link in your email again", err);
}

int
store_secure_session_touch(struct store *st, const char *token_hash,
	int64_t now, int64_t expires_at, struct error *err)
{
	return store_exec(st, err,
		"UPDATE secure_sessions SET last_seen_at = ?, expires_at = ?"
		" WHERE token_hash = ?", "iit", now, expires_at,
		token_hash) < 0 ? -1 : 0;
}

int
store_secure_session_delete(struct store *st, const char *token_hash,
	struct error *err)
{
	return store_exec(st, err,
		"DELETE FROM secure_sessions WHERE token_hash = ?", "t",
		token_hash) < 0 ? -1 : 0;
}

int
store_secure_reader_set_password(struct store *st, const char *address,
	const char *password_hash, int64_t now, struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO secure_readers (address, password_hash, created_at,"
		" updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (address) DO UPDATE"
		" SET password_hash = excluded.password_hash,"
		" updated_at = excluded.updated_at", "ttii", address,
		password_hash, now, now) < 0 ? -1 : 0;
}

static void
hash_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	*(const char **)out = store_col_text(st, s, 0, a);
}

int
store_secure_reader_password(struct store *st, const char *address,
	struct arena *a, const char **hash_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT password_hash FROM secure_readers WHERE address = ?",
		"t", address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, hash_read, hash_r,
		"password for this address", err);
}

/* ---- the access log ---- */

static void
access_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_secure_access *e = out;
	*e = (struct store_secure_access){
		.id = store_col_int(st, s, 0),
		.message_id = store_col_int(st, s, 1),
		.recipient_id = store_col_int(st, s, 2),
		.address = store_col_text(st, s, 3, a),
		.at = store_col_int(st, s, 4),
		.peer = store_col_text(st, s, 5, a),
		.event = store_col_text(st, s, 6, a),
		.ok = store_col_int(st, s, 7) != 0,
	};
}

int
store_secure_access_insert(struct store *st,
	const struct store_secure_access *e, struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO secure_access (message_id, recipient_id, address,"
		" at, peer, event, ok) VALUES (?, ?, ?, ?, ?, ?, ?)", "izti"
		"tti", e->message_id, e->recipient_id, e->address, e->at,
		e->peer, e->event, (int64_t)e->ok) < 0 ? -1 : 0;
}

int
store_secure_access_list(struct store *st, int64_t message_id, size_t limit,
	struct arena *a, struct store_secure_access **list_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT id, message_id, COALESCE(recipient_id, 0), address, at,"
		" peer, event, ok FROM secure_access WHERE message_id = ?"
		" ORDER BY id LIMIT ?", "ii", message_id, (int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), access_read,
		(void **)list_r, count_r, err);
}
