/*
 * The outbound SMTP client: sends one message to one server over one
 * connection, several transactions per connection, and says per recipient
 * what the server answered. Layer: domain (the queue runner calls it).
 * RFC 5321, RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 2920 (PIPELINING),
 * RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3461 (DSN),
 * RFC 3463 (enhanced status codes).
 * SECURITY: AUTH only over TLS; required TLS never falls back to clear.
 */
#ifndef MAIL_SMTP_CLIENT_H
#define MAIL_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct config;
struct error;
struct net_address;
struct net_group;
struct net_tls_client;

/* ---- replies (mail_smtp_reply.c): pure, fuzzed ---- */

/* The remote's text we keep from one reply, all its lines. */
#define MAIL_SMTP_REPLY_TEXT 1024
/* Lines read of one reply before the server is deemed broken. */
#define MAIL_SMTP_REPLY_MAX_LINES 100
/* RFC 5321 §4.5.3.1.5: a reply line is at most 512 bytes; we allow more. */
#define MAIL_SMTP_REPLY_LINE_MAX 2048

/* How a reply, or a failure without one, counts. */
enum mail_smtp_result {
	MAIL_SMTP_RESULT_OK = 0,	/* 2xx (3xx where it is the go-ahead) */
	MAIL_SMTP_RESULT_TEMPORARY,	/* 4xx, or no answer: try again later */
	MAIL_SMTP_RESULT_PERMANENT,	/* 5xx, or a refusal of ours */
};

struct mail_smtp_reply {
	int code;		/* 250; 0 while no line has been read */
	/* RFC 3463 "2.1.5", from the first line; "" when the server sent none */
	char enhanced[16];
	/*
	 * Every line's text after the code (and the enhanced code), joined by
	 * " " and cut at MAIL_SMTP_REPLY_TEXT - 1 bytes; bytes outside printable
	 * ASCII are replaced by '?', so it is safe to log and to quote.
	 */
	char text[MAIL_SMTP_REPLY_TEXT];
	size_t text_len;
	unsigned lines;		/* lines read so far */
	bool complete;		/* the last line ("250 ", not "250-") came */
};

/* Starts a reply afresh. */
void mail_smtp_reply_init(struct mail_smtp_reply *r);

/*
 * Adds one line, without its CRLF, to r. A line must be three digits, then
 * "-" (more follow), " " or nothing (the last), and each line's code must
 * equal the first's (RFC 5321 §4.2.1). Sets r->complete on the last line.
 * ERROR_INVALID naming what is wrong; ERROR_LIMIT past
 * MAIL_SMTP_REPLY_MAX_LINES. r is left consistent either way.
 */
int mail_smtp_reply_add_line(struct mail_smtp_reply *r, struct span line,
	struct error *err);

/*
 * Parses one whole reply from text (lines ending in CRLF) into *r and sets
 * *used_r to the bytes it took. ERROR_INVALID for a malformed or unfinished
 * reply. For tests and the fuzzer; the client reads line by line.
 */
int mail_smtp_reply_parse(struct span text, struct mail_smtp_reply *r,
	size_t *used_r, struct error *err);

/* 2xx and 3xx OK, 4xx TEMPORARY, anything else PERMANENT. */
enum mail_smtp_result mail_smtp_reply_result(const struct mail_smtp_reply *r);

/*
 * The RFC 3464 status of a reply: its enhanced code when it sent one whose
 * class agrees with the reply code, else X.0.0 from the code's first digit
 * ("5.0.0"). Writes at most size bytes with a NUL.
 */
void mail_smtp_reply_status(const struct mail_smtp_reply *r, char *buf,
	size_t size);

/* ---- the message (mail_smtp_data.c): pure ---- */

/* Whether the message has a byte over 127: it needs 8BITMIME (RFC 6152). */
bool mail_smtp_needs_8bitmime(struct span message);

/* Whether an address has a byte over 127: it needs SMTPUTF8 (RFC 6531). */
bool mail_smtp_needs_smtputf8(const char *address);

/*
 * Calls write(ctx, bytes, len) with the message as DATA sends it: every line
 * ending CRLF (a bare CR, a bare LF and a CR LF pair each become one CRLF,
 * so no bare CR or LF ever leaves), a line starting "." doubled (RFC 5321
 * §4.5.2), a final CRLF added if missing, then ".\r\n". Stops at the first
 * write that returns -1 and returns -1.
 */
int mail_smtp_data_encode(struct span message,
	int (*write)(void *ctx, const char *bytes, size_t len), void *ctx);

/*
 * RFC 3461 §4 xtext of text into buf ("+2B" for "+", "+3D" for "=", and for
 * bytes outside "!" to "~"). false when it does not fit in size with a NUL.
 */
bool mail_smtp_xtext(const char *text, char *buf, size_t size);

/* ---- the client (mail_smtp_client.c) ---- */

enum mail_smtp_tls {
	MAIL_SMTP_TLS_NONE = 0,		/* never STARTTLS (tests, loopback) */
	/*
	 * STARTTLS when offered, any certificate; clear when not offered or
	 * when the handshake fails (then on a new connection, once).
	 */
	MAIL_SMTP_TLS_OPPORTUNISTIC,
	/* STARTTLS, TLS 1.2+, a chain to a trusted CA and the name; else none */
	MAIL_SMTP_TLS_REQUIRED,
};

/* Parses "none", "opportunistic" or "required"; false for anything else. */
bool mail_smtp_tls_parse(const char *text, enum mail_smtp_tls *tls_r);
const char *mail_smtp_tls_name(enum mail_smtp_tls tls);

/* RFC 5321 §4.5.3.2, in milliseconds. */
struct mail_smtp_timeouts {
	int connect_ms;
	int greeting_ms;	/* also EHLO, STARTTLS, AUTH, RSET, QUIT */
	int mail_ms;
	int rcpt_ms;
	int data_init_ms;
	int data_block_ms;	/* each wait to send more of the message */
	int data_end_ms;	/* the reply to the final "." */
};

/* The outbound.timeout_* settings (seconds) in milliseconds. */
void mail_smtp_timeouts_from_config(const struct config *c,
	struct mail_smtp_timeouts *t_r);

struct mail_smtp_options {
	const char *helo_name;	/* our host name for EHLO */
	enum mail_smtp_tls tls;
	/*
	 * The name the certificate must carry (the MX host); NULL: the
	 * address connected to. Sent as SNI when it is a name.
	 */
	const char *tls_name;
	const struct net_tls_client *trust;	/* needed unless TLS_NONE */
	/*
	 * DANE (RFC 7672; mail_dane_tls_verify): with MAIL_SMTP_TLS_REQUIRED,
	 * the server's chain (DER, its own certificate first) is judged by
	 * this instead of by trust and tls_name: 0 accepts it, -1 refuses it
	 * with a sentence in why (TEMPORARY 4.7.5, tls_failure DANE). TLS
	 * 1.2 is the floor either way. NULL: PKIX as above.
	 */
	int (*tls_verify)(void *data, const struct span *chain,
		size_t chain_count, char *why, size_t why_size);
	void *tls_verify_data;
	/* Smarthost routes only, and only over TLS; NULL: no AUTH. */
	const char *auth_user;
	const char *auth_password;
	struct mail_smtp_timeouts timeouts;
	/* NULL, or a group whose end (net_group_end) cuts the connection. */
	struct net_group *group;
};

/* What went wrong with TLS, for TLS-RPT (mail_tls_failure_result). */
enum mail_smtp_tls_failure {
	MAIL_SMTP_TLS_OK = 0,		/* nothing, or TLS was not tried */
	MAIL_SMTP_TLS_NOT_OFFERED,	/* no STARTTLS, or it was refused */
	MAIL_SMTP_TLS_HANDSHAKE,	/* the handshake failed */
	MAIL_SMTP_TLS_CERT_NAME,	/* the certificate names another host */
	MAIL_SMTP_TLS_CERT_EXPIRED,	/* a certificate is out of date */
	MAIL_SMTP_TLS_CERT_UNTRUSTED,	/* the chain leads to no trusted CA */
	MAIL_SMTP_TLS_DANE_MISMATCH,	/* tls_verify refused the chain */
};

/* Where a failure happened, for the report and the logs. */
enum mail_smtp_stage {
	MAIL_SMTP_STAGE_CONNECT = 0,
	MAIL_SMTP_STAGE_GREETING,
	MAIL_SMTP_STAGE_EHLO,
	MAIL_SMTP_STAGE_STARTTLS,
	MAIL_SMTP_STAGE_AUTH,
	MAIL_SMTP_STAGE_MAIL,
	MAIL_SMTP_STAGE_RCPT,
	MAIL_SMTP_STAGE_DATA,
	MAIL_SMTP_STAGE_MESSAGE,	/* the final "." and its reply */
};

/* "connect", "greeting", ... "message"; static. */
const char *mail_smtp_stage_name(enum mail_smtp_stage stage);

/* The outcome of one step for one recipient, or for the connection. */
struct mail_smtp_status {
	enum mail_smtp_result result;
	enum mail_smtp_stage stage;	/* where it was decided */
	char status[16];	/* RFC 3463 "2.0.0", "4.4.1", "5.1.1" */
	/*
	 * The server's reply (code 0 when the failure was ours or the
	 * network's: then `why` says what happened).
	 */
	struct mail_smtp_reply reply;
	char why[256];		/* our own words; "" when the reply says it */
	/*
	 * RFC 6152 §3: the message has 8-bit bytes and the server did not
	 * offer 8BITMIME. The caller must downgrade it or give it up.
	 */
	bool needs_downgrade;
	/* Why required TLS failed (stage STARTTLS); MAIL_SMTP_TLS_OK else. */
	enum mail_smtp_tls_failure tls_failure;
};

/*
 * The outcome in one line for the queue's last error and a report's
 * Diagnostic-Code: the reply as "550 5.1.1 text", or our `why` when there
 * was none. Returns true when it is the server's reply (a DSN's "smtp;"),
 * false for our own words. Writes at most size bytes with a NUL.
 */
bool mail_smtp_status_text(const struct mail_smtp_status *s, char *buf,
	size_t size);

/* What a connection learned about the server and its TLS. */
struct mail_smtp_info {
	char peer[72];		/* "192.0.2.1:25" */
	bool esmtp;		/* EHLO worked (else HELO) */
	bool pipelining, eightbitmime, smtputf8, dsn, starttls, enhanced;
	bool auth_plain, auth_login;
	uint64_t size_max;	/* SIZE's number; 0: none announced */
	bool tls;		/* the session is encrypted */
	char tls_version[16];	/* "TLS1.3" */
	char tls_cipher[32];
	bool tls_verified;	/* chain and name checked and good */
	char tls_verify_error[128];
	/* Opportunistic: the handshake failed and we went on in clear. */
	bool tls_fallback;
	/* tls_verify (DANE) accepted the chain; tls_verified is then true. */
	bool tls_dane;
	/*
	 * When the certificate was only recorded (opportunistic) and is not
	 * valid, why: CERT_NAME, CERT_EXPIRED or CERT_UNTRUSTED; the
	 * handshake failing before fallback: HANDSHAKE. For TLS-RPT.
	 */
	enum mail_smtp_tls_failure tls_failure;
};

struct mail_smtp_client;

/*
 * Connects to a, reads the greeting, says EHLO (HELO if EHLO is refused),
 * does STARTTLS as o->tls says and then EHLO again, and AUTH when
 * o->auth_user is set. o and what it points to must outlive the client.
 * Returns the client (free with mail_smtp_close), or NULL with *status_r
 * saying why (TEMPORARY for a timeout, a 4xx or a missing or failed
 * required TLS; PERMANENT for a 5xx greeting or refused AUTH) and err
 * holding the same in one sentence.
 */
struct mail_smtp_client *mail_smtp_open(const struct net_address *a,
	const struct mail_smtp_options *o, struct mail_smtp_status *status_r,
	struct error *err);

/* What the server offered and what TLS gave; valid until the close. */
const struct mail_smtp_info *mail_smtp_client_info(
	const struct mail_smtp_client *c);

/* One message's envelope. Strings are borrowed for the call. */
struct mail_smtp_envelope {
	const char *sender;	/* "" for the null sender <> */
	const char *const *recipients;
	size_t recipient_count;
	/* RFC 3461, sent only when the server offers DSN; NULL: none. */
	const char *ret;	/* "FULL" or "HDRS" */
	const char *envid;	/* sent as xtext */
	const char *const *notify;	/* per recipient, "FAILURE,DELAY" */
	/*
	 * Per recipient, ORCPT as queue rows keep it ("rfc822;address",
	 * "utf-8;address"; a bare address is rfc822), sent xtext-encoded.
	 */
	const char *const *orcpt;
};

/*
 * Sends one message in one transaction: RSET first if the connection has
 * carried one before, MAIL, every RCPT (pipelined when offered), DATA, the
 * message (mail_smtp_data_encode) and its final dot. rcpt_r (an array of
 * e->recipient_count) is always filled in, each recipient's own outcome:
 * OK only when the server took the message for that recipient. Refused
 * before sending: over the server's SIZE (PERMANENT 5.3.4), 8-bit without
 * 8BITMIME (PERMANENT 5.6.3 with needs_downgrade), a UTF-8 address without
 * SMTPUTF8 (PERMANENT 5.6.7, that recipient or all for the sender).
 * Returns 0 when the connection may carry another message, -1 (with err)
 * when it may not: the caller must then mail_smtp_close it.
 */
int mail_smtp_send(struct mail_smtp_client *c,
	const struct mail_smtp_envelope *e, struct span message,
	struct mail_smtp_status *rcpt_r, struct error *err);

/* Says QUIT (best effort, briefly), closes and frees *c; NULL is fine. */
void mail_smtp_close(struct mail_smtp_client **c);

#endif
