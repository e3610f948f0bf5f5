/*
 * The secure portal's reader side before reading: the pure rules (state
 * of a message, a code's verdict, a session's end), links, one-time
 * codes, readers' sessions and passwords. Layer: domain. SPEC M10, M11;
 * SECURITY.md 51, 52. SECURITY: tokens, codes and sessions are stored as
 * BLAKE2b hashes and compared with sodium_memcmp; none reaches a log.
 */
#include "mail/mail_portal.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_portal_internal.h"
#include "mail/mail_seal.h"
#include "store/store.h"
#include "store/store_secure.h"

/* ---- pure rules ---- */

void
mail_portal_token_new(char buf[MAIL_PORTAL_TOKEN_SIZE])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(buf, MAIL_PORTAL_TOKEN_SIZE, raw, sizeof(raw),
		sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

bool
mail_portal_token_is_valid(const char *s)
{
	if (s == NULL || strlen(s) != MAIL_PORTAL_TOKEN_SIZE - 1)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		char c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/*
 * Sealing's link hash, the one function for every token: a link is
 * stored at intake by mail_seal and looked up here, so two copies that
 * drifted apart would silently lose every link.
 */
_Static_assert(MAIL_PORTAL_HASH_SIZE == MAIL_SEAL_HASH_SIZE,
	"a portal hash is a sealing hash");

void
mail_portal_hash(const char *token, char hex[MAIL_PORTAL_HASH_SIZE])
{
	mail_seal_link_hash(token, hex);
}

void
mail_portal_code_hash(const char *code, const char *browser_token,
	char hex[MAIL_PORTAL_HASH_SIZE])
{
	unsigned char h[32];
	size_t klen = strlen(browser_token);
	if (klen > crypto_generichash_KEYBYTES_MAX)
		klen = crypto_generichash_KEYBYTES_MAX;
	crypto_generichash(h, sizeof(h), (const unsigned char *)code,
		strlen(code), (const unsigned char *)browser_token, klen);
	sodium_bin2hex(hex, MAIL_PORTAL_HASH_SIZE, h, sizeof(h));
}

enum mail_portal_state
mail_portal_state(const struct store_secure_message *m,
	const struct store_secure_recipient *r, int64_t now)
{
	if (r->revoked_at != 0)
		return MAIL_PORTAL_STATE_REVOKED;
	if (now >= m->expires_at || m->purged_at != 0)
		return MAIL_PORTAL_STATE_EXPIRED;
	return MAIL_PORTAL_OPEN;
}

static bool
hex_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

enum mail_portal_code_verdict
mail_portal_code_check(const struct store_secure_code *c,
	const char *browser_token, const char *code, int64_t now)
{
	if (c->used_at != 0)
		return MAIL_PORTAL_CODE_USED;
	if (c->attempts >= MAIL_PORTAL_CODE_TRIES)
		return MAIL_PORTAL_CODE_USED_UP;
	if (now >= c->created_at + MAIL_PORTAL_CODE_TTL_S ||
	    now >= c->expires_at)
		return MAIL_PORTAL_CODE_TOO_OLD;
	char browser[MAIL_PORTAL_HASH_SIZE], given[MAIL_PORTAL_HASH_SIZE];
	if (browser_token == NULL || browser_token[0] == '\0')
		return MAIL_PORTAL_CODE_OTHER_BROWSER;
	mail_portal_hash(browser_token, browser);
	if (!hex_equal(browser, c->browser_hash))
		return MAIL_PORTAL_CODE_OTHER_BROWSER;
	mail_portal_code_hash(code != NULL ? code : "", browser_token, given);
	bool right = hex_equal(given, c->code_hash);
	sodium_memzero(given, sizeof(given));
	return right ? MAIL_PORTAL_CODE_OK : MAIL_PORTAL_CODE_WRONG;
}

int64_t
mail_portal_session_end(int64_t created_at, int64_t now)
{
	int64_t idle = now + MAIL_PORTAL_IDLE_S;
	int64_t hard = created_at + MAIL_PORTAL_MAX_S;
	return idle < hard ? idle : hard;
}

/* ---- notes: the access log and the audit ---- */

/* The audit trail's name of an access-log event. */
static const char *
portal_audit_event(const char *event)
{
	static const char *const names[][2] = {
		{ "link", "secure_link" },
		{ "code_sent", "secure_code_sent" },
		{ "signed_in", "secure_signin" },
		{ "opened", "secure_read" },
		{ "downloaded", "secure_download" },
		{ "replied", "secure_reply" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(names[i][0], event) == 0)
			return names[i][1];
	return event;
}

/*
 * The audit row of a refusal: its own kind (result "denied"), naming the
 * message when there is one (0: an unknown link or id).
 */
static int
refused_audit(const struct dir_ctx *ctx, int64_t message_id,
	const char *event, const char *address, struct error *err)
{
	json_t *summary = json_pack("{s:s,s:s,s:I}", "event",
		portal_audit_event(event), "address", address, "message",
		(json_int_t)message_id);
	char *dumped = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(summary);
	if (dumped == NULL)
		return error_set(err, ERROR_INTERNAL,
			"cannot write the audit summary");
	int rc = dir_audit_text(ctx, PORTAL_AUDIT_OBJECT, 0, dumped, true,
		err);
	free(dumped);
	return rc;
}

int
portal_note(const struct dir_ctx *ctx, int64_t message_id,
	int64_t recipient_id, const char *address, const char *event, bool ok,
	struct error *err)
{
	struct store_secure_access e = {
		.message_id = message_id,
		.recipient_id = recipient_id,
		.address = address,
		.at = ctx->now,
		.peer = ctx->client != NULL ? ctx->client : "",
		.event = event,
		.ok = ok,
	};
	if (store_secure_access_insert(ctx->store, &e, err) < 0)
		return -1;
	if (!ok)
		return refused_audit(ctx, message_id, event, address, err);
	return dir_audit(ctx, "other", PORTAL_AUDIT_OBJECT, message_id, 0,
		json_pack("{s:s,s:s}", "event", portal_audit_event(event),
			"address", address), err);
}

void
portal_note_refused(const struct dir_ctx *ctx, int64_t message_id,
	int64_t recipient_id, const char *address, const char *event,
	const struct error *refusal)
{
	struct error err;
	int rc = dir_begin(ctx, &err);
	if (rc == 0) {
		if (message_id != 0)
			rc = portal_note(ctx, message_id, recipient_id,
				address, event, false, &err);
		else
			rc = refused_audit(ctx, 0, event, address, &err);
		rc = dir_finish(ctx, rc, &err);
	}
	if (rc < 0)
		log_error("portal.note_failed", "event=%s reason=\"%s\"",
			event, err.msg);
	log_info("portal.refused", "step=%s peer=%s reason=%s", event,
		ctx->client != NULL ? ctx->client : "",
		refusal->field[0] != '\0' ? refusal->field :
		error_code_name(refusal->code));
}

int
portal_state_error(enum mail_portal_state state, struct error *err)
{
	if (state == MAIL_PORTAL_STATE_REVOKED)
		return error_set_field(err, ERROR_DENIED, MAIL_PORTAL_REVOKED,
			"The sender has withdrawn this message, so it can no "
			"longer be read. Contact the sender if you still need "
			"it.");
	return error_set_field(err, ERROR_DENIED, MAIL_PORTAL_EXPIRED,
		"This message has expired and can no longer be read. Contact "
		"the sender if you still need it.");
}

/* ---- links ---- */

static int
link_find(const struct dir_ctx *ctx, const char *link,
	struct store_secure_recipient *r_r, struct store_secure_message *m_r,
	struct error *err)
{
	if (!mail_portal_token_is_valid(link))
		return error_set_field(err, ERROR_NOT_FOUND, "link",
			"This link is not one we sent, or it has been "
			"mistyped. Open the link from your email again, "
			"whole.");
	char hash[MAIL_PORTAL_HASH_SIZE];
	mail_portal_hash(link, hash);
	struct error inner;
	if (store_secure_recipient_by_link(ctx->store, hash, ctx->arena, r_r,
		    &inner) < 0) {
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		return error_set_field(err, ERROR_NOT_FOUND, "link",
			"This link is not one we sent, or it has been "
			"mistyped. Open the link from your email again, "
			"whole.");
	}
	return store_secure_message_get(ctx->store, r_r->message_id,
		ctx->arena, m_r, err);
}

int
mail_portal_link_open(const struct dir_ctx *ctx, const char *link,
	struct mail_portal_link *link_r, struct error *err)
{
	struct store_secure_recipient r;
	struct store_secure_message m;
	if (link_find(ctx, link, &r, &m, err) < 0) {
		if (err->code == ERROR_NOT_FOUND)
			portal_note_refused(ctx, 0, 0, "", "link", err);
		return -1;
	}
	enum mail_portal_state state = mail_portal_state(&m, &r, ctx->now);
	if (state != MAIL_PORTAL_OPEN) {
		portal_state_error(state, err);
		portal_note_refused(ctx, m.id, r.id, r.address, "link", err);
		return -1;
	}
	const char *hash;
	struct error inner;
	bool has_password = store_secure_reader_password(ctx->store,
		r.address, ctx->arena, &hash, &inner) == 0;
	if (!has_password && inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	*link_r = (struct mail_portal_link){
		.message_id = m.id,
		.recipient_id = r.id,
		.recipient = r.address,
		.sender = m.sender,
		.sent_at = m.created_at,
		.expires_at = m.expires_at,
		.has_password = has_password,
	};
	return 0;
}

int
mail_portal_link_look(const struct dir_ctx *ctx, const char *link,
	struct mail_portal_link *link_r, struct error *err)
{
	if (mail_portal_link_open(ctx, link, link_r, err) < 0)
		return -1;
	struct dir_ctx c2 = *ctx;
	c2.actor = link_r->recipient;
	if (dir_begin(&c2, err) < 0)
		return -1;
	int rc = portal_note(&c2, link_r->message_id, link_r->recipient_id,
		link_r->recipient, "link", true, err);
	return dir_finish(&c2, rc, err);
}

/* ---- codes ---- */

int
mail_portal_code_new(const struct dir_ctx *ctx, int64_t recipient_id,
	const char *browser_token, char code_r[MAIL_PORTAL_CODE_DIGITS + 1],
	struct error *err)
{
	int64_t count = 0;
	if (store_secure_code_count_since(ctx->store, recipient_id,
		    ctx->now - MAIL_PORTAL_CODE_WINDOW_S, &count, err) < 0)
		return -1;
	if (count >= MAIL_PORTAL_CODES_PER_HOUR)
		return error_set(err, ERROR_LIMIT, "We have sent %d codes for "
			"this message in the last hour, which is as many as we "
			"send. Use the newest code we sent, or try again in an "
			"hour.", MAIL_PORTAL_CODES_PER_HOUR);
	/* Uniform over 000000..999999 (randombytes_uniform has no bias). */
	snprintf(code_r, MAIL_PORTAL_CODE_DIGITS + 1, "%06u",
		(unsigned)randombytes_uniform(1000000));
	struct store_secure_code c = {
		.recipient_id = recipient_id,
		.created_at = ctx->now,
		.expires_at = ctx->now + MAIL_PORTAL_CODE_TTL_S,
	};
	char code_hash[MAIL_PORTAL_HASH_SIZE], browser[MAIL_PORTAL_HASH_SIZE];
	mail_portal_code_hash(code_r, browser_token, code_hash);
	mail_portal_hash(browser_token, browser);
	c.code_hash = code_hash;
	c.browser_hash = browser;
	return store_secure_code_insert(ctx->store, &c, err);
}

int
mail_portal_code_send(struct store_writer *w, const struct dir_ctx *ctx,
	const char *link, const char *browser_token, const char **sent_to_r,
	struct error *err)
{
	struct mail_portal_link l;
	if (mail_portal_link_open(ctx, link, &l, err) < 0)
		return -1;
	if (!mail_portal_token_is_valid(browser_token))
		return error_set(err, ERROR_INTERNAL, "no browser token");
	char code[MAIL_PORTAL_CODE_DIGITS + 1];
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = mail_portal_code_new(ctx, l.recipient_id, browser_token,
		code, err);
	if (rc == 0)
		rc = portal_note(ctx, l.message_id, l.recipient_id,
			l.recipient, "code_sent", true, err);
	struct error refusal;
	if (rc < 0)
		refusal = *err;
	if (dir_finish(ctx, rc, err) < 0) {
		if (rc < 0 && refusal.code == ERROR_LIMIT) {
			*err = refusal;
			portal_note_refused(ctx, l.message_id, l.recipient_id,
				l.recipient, "code_sent", err);
		}
		sodium_memzero(code, sizeof(code));
		return -1;
	}
	char text[1024];
	snprintf(text, sizeof(text),
		"Your code to read the secure message %s sent you is:\r\n"
		"\r\n"
		"    %s\r\n"
		"\r\n"
		"It works for 15 minutes, in the browser where you asked "
		"for it.\r\n"
		"\r\n"
		"If you did not ask for a code, you can ignore this email: "
		"nobody can read the message without it.\r\n", l.sender, code);
	const struct mail_postmaster_mail pm = {
		.from_name = "Secure messages",
		.subject = "Your code to read a secure message", .text = text,
		.allow_remote = true };
	const char *to = l.recipient;
	size_t sent = 0;
	rc = mail_postmaster_send(w, ctx, &pm, &to, 1, &sent, err);
	if (rc == 0 && sent == 0)
		rc = error_set(err, ERROR_INVALID, "%s cannot be sent mail",
			l.recipient);
	sodium_memzero(code, sizeof(code));
	sodium_memzero(text, sizeof(text));
	if (rc < 0)
		return -1;
	*sent_to_r = l.recipient;
	return 0;
}

/* ---- sessions ---- */

static int
session_new(const struct dir_ctx *ctx, const char *address,
	struct mail_portal_session *s_r, struct error *err)
{
	char csrf[MAIL_PORTAL_TOKEN_SIZE];
	memset(s_r, 0, sizeof(*s_r));
	mail_portal_token_new(s_r->token);
	mail_portal_hash(s_r->token, s_r->token_hash);
	mail_portal_token_new(csrf);
	s_r->address = address;
	s_r->csrf_token = arena_strdup(ctx->arena, csrf);
	if (s_r->csrf_token == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	s_r->created_at = ctx->now;
	s_r->expires_at = mail_portal_session_end(ctx->now, ctx->now);
	struct store_secure_session row = {
		.token_hash = s_r->token_hash,
		.address = address,
		.csrf_token = s_r->csrf_token,
		.created_at = ctx->now,
		.last_seen_at = ctx->now,
		.expires_at = s_r->expires_at,
	};
	const char *hash;
	struct error inner;
	s_r->has_password = store_secure_reader_password(ctx->store, address,
		ctx->arena, &hash, &inner) == 0;
	return store_secure_session_insert(ctx->store, &row, err);
}

static const char *
code_refusal(enum mail_portal_code_verdict v, int64_t tries_left)
{
	switch (v) {
	case MAIL_PORTAL_CODE_WRONG:
		return tries_left > 0 ? NULL : "That code is not right, and "
			"it was the last try for it: ask for a new code.";
	case MAIL_PORTAL_CODE_USED:
		return "That code has been used already: ask for a new code.";
	case MAIL_PORTAL_CODE_USED_UP:
		return "That code was tried too many times: ask for a new "
			"code.";
	case MAIL_PORTAL_CODE_TOO_OLD:
		return "That code is more than 15 minutes old: ask for a new "
			"code.";
	case MAIL_PORTAL_CODE_OTHER_BROWSER:
		return "That code was asked for in another browser. Ask for "
			"a new code in this one.";
	case MAIL_PORTAL_CODE_OK:
		break;
	}
	return NULL;
}

int
mail_portal_signin_code(const struct dir_ctx *ctx, const char *link,
	const char *code, const char *browser_token,
	struct mail_portal_session *s_r, struct error *err)
{
	struct mail_portal_link l;
	if (mail_portal_link_open(ctx, link, &l, err) < 0)
		return -1;
	struct store_secure_code c;
	struct error inner;
	if (store_secure_code_latest(ctx->store, l.recipient_id, ctx->arena,
		    &c, &inner) < 0) {
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		error_set_field(err, ERROR_INVALID, "code", "No code has been "
			"sent for this message yet: ask for a code.");
		portal_note_refused(ctx, l.message_id, l.recipient_id,
			l.recipient, "signed_in", err);
		return -1;
	}
	enum mail_portal_code_verdict v = mail_portal_code_check(&c,
		browser_token, code, ctx->now);
	if (v != MAIL_PORTAL_CODE_OK) {
		int64_t left = MAIL_PORTAL_CODE_TRIES - c.attempts - 1;
		if (v == MAIL_PORTAL_CODE_WRONG &&
		    store_secure_code_attempt(ctx->store, c.id, err) < 0)
			return -1;
		const char *why = code_refusal(v, left);
		if (why != NULL)
			error_set_field(err, ERROR_INVALID, "code", "%s", why);
		else
			error_set_field(err, ERROR_INVALID, "code", "That code "
				"is not right. Check the email we sent and try "
				"again: %lld %s left.", (long long)left,
				left == 1 ? "try" : "tries");
		portal_note_refused(ctx, l.message_id, l.recipient_id,
			l.recipient, "signed_in", err);
		return -1;
	}
	struct dir_ctx c2 = *ctx;
	c2.actor = l.recipient;
	if (dir_begin(&c2, err) < 0)
		return -1;
	int rc = store_secure_code_use(c2.store, c.id, c2.now, err);
	if (rc == 0)
		rc = session_new(&c2, l.recipient, s_r, err);
	if (rc == 0)
		rc = portal_note(&c2, l.message_id, l.recipient_id,
			l.recipient, "signed_in", true, err);
	if (dir_finish(&c2, rc, err) < 0) {
		sodium_memzero(s_r, sizeof(*s_r));
		return -1;
	}
	return 0;
}

int
mail_portal_signin_password(const struct dir_ctx *ctx, const char *address,
	const char *password, struct mail_portal_session *s_r,
	struct error *err)
{
	char lower[320];
	str_copy(lower, sizeof(lower), address != NULL ? address : "");
	for (char *p = lower; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	const char *hash = NULL;
	struct error inner;
	if (store_secure_reader_password(ctx->store, lower, ctx->arena, &hash,
		    &inner) < 0 && inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	bool right = hash != NULL && password != NULL &&
		crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	struct dir_ctx c2 = *ctx;
	c2.actor = lower;
	if (!right) {
		error_set(err, ERROR_DENIED, "That email address and password "
			"do not match. Check them, or open the link in your "
			"email to sign in with a code.");
		struct error e2;
		if (dir_audit_text(&c2, PORTAL_AUDIT_OBJECT, 0, "{\"event\":"
			    "\"secure_signin\",\"by\":\"password\"}", true,
			    &e2) < 0)
			log_error("portal.note_failed", "event=signin "
				"reason=\"%s\"", e2.msg);
		return -1;
	}
	const char *stored = arena_strdup(ctx->arena, lower);
	if (stored == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	if (dir_begin(&c2, err) < 0)
		return -1;
	int rc = session_new(&c2, stored, s_r, err);
	if (rc == 0)
		rc = dir_audit(&c2, "other", PORTAL_AUDIT_OBJECT, 0, 0,
			json_pack("{s:s,s:s,s:s}", "event", "secure_signin",
				"address", stored, "by", "password"), err);
	if (dir_finish(&c2, rc, err) < 0) {
		sodium_memzero(s_r, sizeof(*s_r));
		return -1;
	}
	return 0;
}

int
mail_portal_session_find(const struct dir_ctx *ctx, const char *token,
	struct mail_portal_session *s_r, struct error *err)
{
	memset(s_r, 0, sizeof(*s_r));
	if (!mail_portal_token_is_valid(token))
		return error_set(err, ERROR_NOT_FOUND, "You are not signed in "
			"to read secure messages; open the link in your email "
			"again.");
	mail_portal_hash(token, s_r->token_hash);
	struct store_secure_session row;
	struct error inner;
	if (store_secure_session_find(ctx->store, s_r->token_hash, ctx->now,
		    ctx->arena, &row, &inner) < 0) {
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		return error_set(err, ERROR_NOT_FOUND, "You are not signed in "
			"to read secure messages, or your session has ended; "
			"open the link in your email again.");
	}
	if (ctx->now >= row.created_at + MAIL_PORTAL_MAX_S)
		return error_set(err, ERROR_NOT_FOUND, "Your session has "
			"ended; open the link in your email again.");
	s_r->address = row.address;
	s_r->csrf_token = row.csrf_token;
	s_r->created_at = row.created_at;
	s_r->expires_at = mail_portal_session_end(row.created_at, ctx->now);
	const char *hash;
	s_r->has_password = store_secure_reader_password(ctx->store,
		row.address, ctx->arena, &hash, &inner) == 0;
	return store_secure_session_touch(ctx->store, s_r->token_hash,
		ctx->now, s_r->expires_at, err);
}

int
mail_portal_session_delete(const struct dir_ctx *ctx, const char *token,
	struct error *err)
{
	if (!mail_portal_token_is_valid(token))
		return 0;
	char hash[MAIL_PORTAL_HASH_SIZE];
	mail_portal_hash(token, hash);
	return store_secure_session_delete(ctx->store, hash, err);
}

int
mail_portal_password_set(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err)
{
	struct auth_password_owner owner = { .address = address };
	if (auth_password_check_policy(password, &owner, err) < 0)
		return -1;
	char hash[AUTH_HASH_MAX];
	if (auth_password_hash(password, hash, err) < 0)
		return -1;
	struct dir_ctx c2 = *ctx;
	c2.actor = address;
	int rc = dir_begin(&c2, err);
	if (rc == 0) {
		rc = store_secure_reader_set_password(c2.store, address, hash,
			c2.now, err);
		if (rc == 0)
			rc = dir_audit(&c2, "other", PORTAL_AUDIT_OBJECT, 0, 0,
				json_pack("{s:s,s:s}", "event",
					"secure_password_set", "address",
					address), err);
		rc = dir_finish(&c2, rc, err);
	}
	sodium_memzero(hash, sizeof(hash));
	return rc;
}
