/*
 * The secure message portal's rules (SPEC M10, M11; SECURITY.md 51, 52):
 * a recipient outside the secure domains opens their link, asks for a
 * one-time code mailed to the address the message went to, signs in with
 * it (or with a password they set) and reads, downloads and replies; the
 * sender sees who read what and withdraws access; messages expire. Layer:
 * domain. Every secret (link, code, browser cookie, session) is kept as a
 * hash and compared in constant time; every access attempt, allowed or
 * refused, goes to the message's access log and the audit trail.
 */
#ifndef MAIL_MAIL_PORTAL_H
#define MAIL_MAIL_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct dir_ctx;
struct error;
struct store_writer;

/* A link, session or browser token: 32 random bytes, base64url, no '='. */
#define MAIL_PORTAL_TOKEN_SIZE 44
/* A hex BLAKE2b-256 hash and its NUL. */
#define MAIL_PORTAL_HASH_SIZE 65
#define MAIL_PORTAL_CODE_DIGITS 6
/* A code works for 15 minutes and 5 wrong tries. */
#define MAIL_PORTAL_CODE_TTL_S 900
#define MAIL_PORTAL_CODE_TRIES 5
/* At most this many codes per recipient in an hour. */
#define MAIL_PORTAL_CODES_PER_HOUR 5
#define MAIL_PORTAL_CODE_WINDOW_S 3600
/* A reader's session: 30 minutes idle, 12 hours at most. */
#define MAIL_PORTAL_IDLE_S 1800
#define MAIL_PORTAL_MAX_S 43200
/* The longest listing a reader or a sender gets. */
#define MAIL_PORTAL_LIST_MAX 200
#define MAIL_PORTAL_ACCESS_MAX 1000

/*
 * Refusals of a message that exists but may no longer be read come as
 * ERROR_DENIED with err->field naming why (the API's 410 code).
 */
#define MAIL_PORTAL_REVOKED "revoked"
#define MAIL_PORTAL_EXPIRED "expired"

/* ---- pure rules ---- */

/* A new random token into buf (43 characters of base64url). */
void mail_portal_token_new(char buf[MAIL_PORTAL_TOKEN_SIZE]);

/* Whether s has a token's shape: 43 base64url characters. */
bool mail_portal_token_is_valid(const char *s);

/* The hex BLAKE2b-256 of a token: what the store keeps instead of it. */
void mail_portal_hash(const char *token, char hex[MAIL_PORTAL_HASH_SIZE]);

/*
 * The hash of a code, keyed by the browser's own token, so the stored
 * hash cannot be tried against the million codes without the cookie.
 */
void mail_portal_code_hash(const char *code, const char *browser_token,
	char hex[MAIL_PORTAL_HASH_SIZE]);

enum mail_portal_state {
	MAIL_PORTAL_OPEN,
	MAIL_PORTAL_STATE_REVOKED,	/* the sender withdrew it */
	MAIL_PORTAL_STATE_EXPIRED,	/* past secure.expiry_days, or purged */
};

/* Whether recipient r may still read m at now: revoked wins. */
enum mail_portal_state mail_portal_state(const struct store_secure_message *m,
	const struct store_secure_recipient *r, int64_t now);

enum mail_portal_code_verdict {
	MAIL_PORTAL_CODE_OK,
	MAIL_PORTAL_CODE_USED,		/* signed in with it already */
	MAIL_PORTAL_CODE_USED_UP,	/* tried wrongly 5 times */
	MAIL_PORTAL_CODE_TOO_OLD,	/* past its 15 minutes */
	MAIL_PORTAL_CODE_OTHER_BROWSER,	/* asked for elsewhere */
	MAIL_PORTAL_CODE_WRONG,		/* not it; counts as a try */
};

/*
 * The verdict on code typed in the browser holding browser_token against
 * c, the newest code sent (pure; constant-time comparisons). A code is
 * good before created_at + MAIL_PORTAL_CODE_TTL_S, not at it.
 */
enum mail_portal_code_verdict mail_portal_code_check(
	const struct store_secure_code *c, const char *browser_token,
	const char *code, int64_t now);

/* When a session seen at now ends: idle timeout or its 12 hours. */
int64_t mail_portal_session_end(int64_t created_at, int64_t now);

/* ---- the reader's side (mail_portal.c) ---- */

/* What a link shows before sign-in. */
struct mail_portal_link {
	int64_t message_id;
	int64_t recipient_id;
	const char *recipient;	/* the address the message went to */
	const char *sender;
	int64_t sent_at;
	int64_t expires_at;
	bool has_password;	/* the recipient set a portal password */
};

/*
 * The message behind link token `link`, in ctx->arena. ERROR_NOT_FOUND
 * for a link we never sent (audited as refused); ERROR_DENIED with
 * MAIL_PORTAL_REVOKED or MAIL_PORTAL_EXPIRED in err->field (access
 * logged as refused).
 */
int mail_portal_link_open(const struct dir_ctx *ctx, const char *link,
	struct mail_portal_link *link_r, struct error *err);

/*
 * mail_portal_link_open for a reader looking at their link (the landing
 * page): also access-logged and audited as "link" when it opens.
 */
int mail_portal_link_look(const struct dir_ctx *ctx, const char *link,
	struct mail_portal_link *link_r, struct error *err);

/*
 * Makes a new code for recipient_id bound to browser_token and keeps its
 * hash: code_r gets the six digits (uniform). ERROR_LIMIT past
 * MAIL_PORTAL_CODES_PER_HOUR in the last hour. No mail is sent.
 */
int mail_portal_code_new(const struct dir_ctx *ctx, int64_t recipient_id,
	const char *browser_token, char code_r[MAIL_PORTAL_CODE_DIGITS + 1],
	struct error *err);

/*
 * A code for the link's recipient, mailed to their address through w
 * (the queue), bound to browser_token; audited, access-logged
 * "code_sent". *sent_to_r gets the address (ctx->arena). Errors of
 * mail_portal_link_open and mail_portal_code_new.
 */
int mail_portal_code_send(struct store_writer *w, const struct dir_ctx *ctx,
	const char *link, const char *browser_token, const char **sent_to_r,
	struct error *err);

/* A reader's session; token is set only when it was just made. */
struct mail_portal_session {
	char token[MAIL_PORTAL_TOKEN_SIZE];
	char token_hash[MAIL_PORTAL_HASH_SIZE];
	const char *address;	/* lowercase */
	const char *csrf_token;
	int64_t created_at;
	int64_t expires_at;
	bool has_password;
};

/*
 * Signs in with the newest code of the link's recipient, from the browser
 * that asked for it. A wrong code: ERROR_INVALID field "code" saying how
 * many tries are left (the last one kills the code); a used, old or
 * killed one, or one from another browser: ERROR_INVALID "code" asking
 * for a new code. Audited (secure_signin) and access-logged.
 */
int mail_portal_signin_code(const struct dir_ctx *ctx, const char *link,
	const char *code, const char *browser_token,
	struct mail_portal_session *s_r, struct error *err);

/*
 * Signs a returning reader in with the password they set: ERROR_DENIED
 * in the same words for an unknown address or a wrong password.
 */
int mail_portal_signin_password(const struct dir_ctx *ctx,
	const char *address, const char *password,
	struct mail_portal_session *s_r, struct error *err);

/*
 * The live session of the cookie token, moved on (idle timeout);
 * ERROR_NOT_FOUND for none, or one past its time.
 */
int mail_portal_session_find(const struct dir_ctx *ctx, const char *token,
	struct mail_portal_session *s_r, struct error *err);

/* Ends the session (signing out); no session: 0. */
int mail_portal_session_delete(const struct dir_ctx *ctx, const char *token,
	struct error *err);

/*
 * Sets the reader's password after auth's strength rule (ERROR_INVALID
 * field "password"); audited without it.
 */
int mail_portal_password_set(const struct dir_ctx *ctx, const char *address,
	const char *password, struct error *err);

/* ---- reading (mail_portal_read.c) ---- */

struct mail_portal_item {
	int64_t id;
	const char *from;	/* the From header, decoded; "" once purged */
	const char *subject;	/* decoded; "" once purged */
	int64_t sent_at;
	int64_t expires_at;
	bool revoked;
	bool expired;
	bool read;
};

/* The messages to address, newest first, at most MAIL_PORTAL_LIST_MAX. */
int mail_portal_messages(const struct dir_ctx *ctx, const char *address,
	struct mail_portal_item **items_r, size_t *count_r,
	struct error *err);

struct mail_portal_attachment {
	size_t index;
	const char *filename;
	const char *content_type;	/* "type/subtype", lower case */
	size_t size;			/* decoded bytes */
	const unsigned char *data;	/* decoded, in ctx->arena */
};

struct mail_portal_reply {
	int64_t id;
	int64_t sent_at;
	const char *text;
};

/* One message as the reader reads it, in ctx->arena. */
struct mail_portal_message {
	int64_t id;
	const char *from;
	const char **to;
	size_t to_count;
	const char **cc;
	size_t cc_count;
	const char *subject;
	const char *message_id;	/* its Message-ID, for a reply; NULL */
	int64_t sent_at;
	int64_t expires_at;
	const char *text;	/* text/plain, else the HTML as text */
	struct mail_portal_attachment *attachments;
	size_t attachment_count;
	struct mail_portal_reply *replies;
	size_t reply_count;
};

/*
 * Opens message id for the reader signed in as address: ERROR_NOT_FOUND
 * when it was not sent to them; ERROR_DENIED revoked/expired as above.
 * Marks the first read; audited (secure_read), access-logged "opened".
 */
int mail_portal_message_open(const struct dir_ctx *ctx, const char *address,
	int64_t id, struct mail_portal_message *m_r, struct error *err);

/*
 * One attachment's decoded bytes, as mail_portal_message_open checks;
 * ERROR_NOT_FOUND for no such index. Audited, access-logged "downloaded".
 */
int mail_portal_attachment_get(const struct dir_ctx *ctx,
	const char *address, int64_t id, size_t index,
	struct mail_portal_attachment *a_r, struct error *err);

/*
 * A reply of the reader signed in as address to message id: delivered
 * to the original sender through w (and, with all, the other
 * recipients), and a sealed copy kept (reply_to = id) so the reader sees
 * it. *reply_id_r is the copy. Checks as mail_portal_message_open;
 * ERROR_INVALID field "text" for an empty or overlong text.
 */
int mail_portal_reply(struct store_writer *w, const struct dir_ctx *ctx,
	const char *address, int64_t id, const char *text, bool all,
	int64_t *reply_id_r, struct error *err);

/* ---- the sender's side (mail_portal_sent.c) ---- */

struct mail_portal_sent_recipient {
	const char *address;
	int64_t revoked_at;	/* 0: not revoked */
	int64_t first_read_at;	/* 0: never read */
};

struct mail_portal_sent {
	int64_t id;
	const char *subject;	/* "" once purged */
	int64_t sent_at;
	int64_t expires_at;
	struct mail_portal_sent_recipient *recipients;
	size_t recipient_count;
};

/* The sealed messages sender (an address) sent, newest first. */
int mail_portal_sent_list(const struct dir_ctx *ctx, const char *sender,
	struct mail_portal_sent **list_r, size_t *count_r, struct error *err);

/*
 * One of them with its access log (oldest first); ERROR_NOT_FOUND for a
 * message sender did not send, in the same words as for none.
 */
int mail_portal_sent_get(const struct dir_ctx *ctx, const char *sender,
	int64_t id, struct mail_portal_sent *m_r,
	struct store_secure_access **access_r, size_t *access_count_r,
	struct error *err);

/*
 * Withdraws recipient's access (NULL: every recipient's) to sender's
 * message id, then reads it back into m_r; audited. ERROR_NOT_FOUND as
 * mail_portal_sent_get, or for an address it was not sealed for.
 */
int mail_portal_revoke(const struct dir_ctx *ctx, const char *sender,
	int64_t id, const char *recipient, struct mail_portal_sent *m_r,
	struct error *err);

/*
 * Forgets the key and sealed bytes of every message past its expiry at
 * ctx->now; *count_r how many; audited when there were any.
 */
int mail_portal_purge(const struct dir_ctx *ctx, int64_t *count_r,
	struct error *err);

#endif
