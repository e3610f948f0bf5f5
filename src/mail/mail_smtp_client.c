/*
 * The outbound SMTP client: connect, greeting, EHLO, STARTTLS, AUTH, then
 * transactions of MAIL, RCPT, DATA with a result per recipient. Layer:
 * domain; straight-line blocking I/O with a timeout on every wait (RFC 5321
 * §4.5.3.2). RFC 5321, 3207, 4954, 2920, 1870, 6152, 6531, 3461, 3463.
 * SECURITY: AUTH only over TLS; secrets wiped, never logged; required TLS
 * never goes on in clear; the remote's text is bounded and printable.
 */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "mail/mail_dsn.h"
#include "mail/mail_smtp_client.h"

#define CLIENT_NAME "smtp-out"
/* QUIT is a courtesy: wait briefly for its reply. */
#define CLIENT_QUIT_MS 2000
/* An address longer than RFC 5321 §4.5.3.1.3's path (256) is not sent. */
#define CLIENT_MAX_PATH 256
/* MAIL and RCPT with every parameter fit easily. */
#define CLIENT_MAX_COMMAND 2048

struct mail_smtp_client {
	struct net_conn *conn;
	const struct mail_smtp_options *o;
	struct net_address address;
	struct mail_smtp_info info;
	bool used;		/* a transaction ran: RSET before the next */
	char line[MAIL_SMTP_REPLY_LINE_MAX];
};

bool
mail_smtp_tls_parse(const char *text, enum mail_smtp_tls *tls_r)
{
	static const enum mail_smtp_tls all[] = { MAIL_SMTP_TLS_NONE,
		MAIL_SMTP_TLS_OPPORTUNISTIC, MAIL_SMTP_TLS_REQUIRED };
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++) {
		if (text != NULL && strcmp(text, mail_smtp_tls_name(all[i])) == 0) {
			*tls_r = all[i];
			return true;
		}
	}
	return false;
}

const char *
mail_smtp_tls_name(enum mail_smtp_tls tls)
{
	switch (tls) {
	case MAIL_SMTP_TLS_NONE:
		return "none";
	case MAIL_SMTP_TLS_OPPORTUNISTIC:
		return "opportunistic";
	case MAIL_SMTP_TLS_REQUIRED:
		return "required";
	}
	return "none";
}

const char *
mail_smtp_stage_name(enum mail_smtp_stage stage)
{
	static const char *const names[] = { "connect", "greeting", "ehlo",
		"starttls", "auth", "mail", "rcpt", "data", "message" };
	if ((size_t)stage < sizeof(names) / sizeof(*names))
		return names[stage];
	return "unknown";
}

void
mail_smtp_timeouts_from_config(const struct config *c,
	struct mail_smtp_timeouts *t)
{
	t->connect_ms = (int)config_get_int(c, "outbound.connect_timeout_s") *
		1000;
	t->greeting_ms = (int)config_get_int(c,
		"outbound.greeting_timeout_s") * 1000;
	t->mail_ms = (int)config_get_int(c, "outbound.mail_timeout_s") * 1000;
	t->rcpt_ms = (int)config_get_int(c, "outbound.rcpt_timeout_s") * 1000;
	t->data_init_ms = (int)config_get_int(c,
		"outbound.data_init_timeout_s") * 1000;
	t->data_block_ms = (int)config_get_int(c,
		"outbound.data_block_timeout_s") * 1000;
	t->data_end_ms = (int)config_get_int(c,
		"outbound.data_end_timeout_s") * 1000;
}

/* ---- outcomes ---- */

static void
status_ours(struct mail_smtp_status *s, enum mail_smtp_result result,
	enum mail_smtp_stage stage, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* An outcome decided without a reply: our refusal or the network's. */
static void
status_ours(struct mail_smtp_status *s, enum mail_smtp_result result,
	enum mail_smtp_stage stage, const char *status, const char *fmt, ...)
{
	memset(s, 0, sizeof(*s));
	s->result = result;
	s->stage = stage;
	str_copy(s->status, sizeof(s->status), status);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* An outcome the server's reply decided. */
static void
status_reply(struct mail_smtp_status *s, enum mail_smtp_stage stage,
	const struct mail_smtp_reply *r)
{
	memset(s, 0, sizeof(*s));
	s->result = mail_smtp_reply_result(r);
	s->stage = stage;
	s->reply = *r;
	mail_smtp_reply_status(r, s->status, sizeof(s->status));
}

/*
 * A reply that was not the one the step needed: its own class, except
 * that an unexpected 2xx or 3xx counts as TEMPORARY, never as success.
 */
static void
status_unexpected(struct mail_smtp_status *s, enum mail_smtp_stage stage,
	const struct mail_smtp_reply *r)
{
	status_reply(s, stage, r);
	if (s->result == MAIL_SMTP_RESULT_OK) {
		s->result = MAIL_SMTP_RESULT_TEMPORARY;
		str_copy(s->status, sizeof(s->status), "4.5.0");
	}
}

bool
mail_smtp_status_text(const struct mail_smtp_status *s, char *buf,
	size_t size)
{
	if (s->reply.code == 0) {
		str_copy(buf, size, s->why);
		return false;
	}
	snprintf(buf, size, "%d %s%s%s", s->reply.code, s->reply.enhanced,
		s->reply.enhanced[0] != '\0' ? " " : "", s->reply.text);
	return true;
}

/* One sentence for err from a status. */
static int
status_error(const struct mail_smtp_status *s, struct error *err)
{
	enum error_code code = s->result == MAIL_SMTP_RESULT_PERMANENT ?
		ERROR_DENIED : ERROR_TEMPORARY;
	if (s->reply.code != 0)
		return error_set(err, code, "%s: the server said %d %s%s%s",
			mail_smtp_stage_name(s->stage), s->reply.code,
			s->reply.enhanced, s->reply.enhanced[0] ? " " : "",
			s->reply.text);
	return error_set(err, code, "%s: %s", mail_smtp_stage_name(s->stage),
		s->why);
}

/* A failed read or write: the network's words, said from our side. */
static void
status_io(struct mail_smtp_client *c, struct mail_smtp_status *s,
	enum mail_smtp_stage stage, const struct error *e, int timeout_ms)
{
	const char *peer = c->info.peer;
	const char *stage_name = mail_smtp_stage_name(stage);
	if (e->code == ERROR_TEMPORARY)
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY, stage, "4.4.2",
			"%s did not answer within %d s (at %s)", peer,
			timeout_ms / 1000, stage_name);
	else if (e->code == ERROR_NOT_FOUND)
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY, stage, "4.4.2",
			"%s closed the connection (at %s)", peer, stage_name);
	else
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY, stage, "4.4.2",
			"the connection to %s failed at %s: %s", peer,
			stage_name, e->msg);
}

/* ---- replies ---- */

static void
parse_extension(struct mail_smtp_info *info, struct span line)
{
	struct span word;
	struct span rest = line;
	if (!span_split(&rest, ' ', &word))
		return;
	if (span_eq_nocase(word, "PIPELINING"))
		info->pipelining = true;
	else if (span_eq_nocase(word, "8BITMIME"))
		info->eightbitmime = true;
	else if (span_eq_nocase(word, "SMTPUTF8"))
		info->smtputf8 = true;
	else if (span_eq_nocase(word, "DSN"))
		info->dsn = true;
	else if (span_eq_nocase(word, "STARTTLS"))
		info->starttls = true;
	else if (span_eq_nocase(word, "ENHANCEDSTATUSCODES"))
		info->enhanced = true;
	else if (span_eq_nocase(word, "SIZE")) {
		uint64_t n = 0;
		struct span num = span_trim(rest);
		if (num.len > 0 && span_to_u64(num, &n))
			info->size_max = n;
	} else if (span_eq_nocase(word, "AUTH")) {
		struct span mech;
		while (span_split(&rest, ' ', &mech)) {
			if (span_eq_nocase(mech, "PLAIN"))
				info->auth_plain = true;
			else if (span_eq_nocase(mech, "LOGIN"))
				info->auth_login = true;
		}
	}
}

/*
 * Reads one whole reply within timeout_ms (the timeout bounds each line).
 * With ehlo, each line after the first is read as an EHLO keyword. A
 * malformed reply fails the connection (-1 and *s TEMPORARY).
 */
static int
read_reply(struct mail_smtp_client *c, enum mail_smtp_stage stage,
	int timeout_ms, struct mail_smtp_reply *r, struct mail_smtp_info *ehlo,
	struct mail_smtp_status *s)
{
	struct error e;
	mail_smtp_reply_init(r);
	net_set_timeout(c->conn, timeout_ms);
	while (!r->complete) {
		size_t len;
		unsigned flags;
		if (net_read_line(c->conn, c->line, sizeof(c->line), &len,
			    &flags, &e) < 0) {
			if (e.code == ERROR_LIMIT)
				status_ours(s, MAIL_SMTP_RESULT_TEMPORARY,
					stage, "4.5.0", "%s sent a reply line "
					"over %zu bytes", c->info.peer,
					sizeof(c->line) - 1);
			else
				status_io(c, s, stage, &e, timeout_ms);
			return -1;
		}
		struct span line = span_make(c->line, len);
		if (ehlo != NULL && r->lines > 0 && len > 4)
			parse_extension(ehlo, span_make(c->line + 4, len - 4));
		if (mail_smtp_reply_add_line(r, line, &e) < 0) {
			status_ours(s, MAIL_SMTP_RESULT_TEMPORARY, stage, "4.5.0",
				"%s broke the protocol: %s", c->info.peer,
				e.msg);
			return -1;
		}
	}
	return 0;
}

/* Sends a command line (with its CRLF) now and reads its reply. */
static int
command(struct mail_smtp_client *c, enum mail_smtp_stage stage,
	int timeout_ms, const char *text, struct mail_smtp_reply *r,
	struct mail_smtp_status *s)
{
	struct error e;
	net_set_timeout(c->conn, timeout_ms);
	if (net_write(c->conn, text, strlen(text), &e) < 0) {
		status_io(c, s, stage, &e, timeout_ms);
		return -1;
	}
	return read_reply(c, stage, timeout_ms, r, NULL, s);
}

/* ---- opening ---- */

/* What EHLO said, forgotten; what TLS gave is kept. */
static void
forget_extensions(struct mail_smtp_info *in)
{
	in->esmtp = false;
	in->pipelining = in->eightbitmime = in->smtputf8 = false;
	in->dsn = in->starttls = in->enhanced = false;
	in->auth_plain = in->auth_login = false;
	in->size_max = 0;
}

static int
say_ehlo(struct mail_smtp_client *c, struct mail_smtp_status *s)
{
	const struct mail_smtp_timeouts *t = &c->o->timeouts;
	char cmd[300];
	struct mail_smtp_reply r;
	struct error e;
	/* The extensions are read afresh: after STARTTLS the old are void. */
	forget_extensions(&c->info);
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", c->o->helo_name);
	net_set_timeout(c->conn, t->greeting_ms);
	if (net_write(c->conn, cmd, strlen(cmd), &e) < 0) {
		status_io(c, s, MAIL_SMTP_STAGE_EHLO, &e, t->greeting_ms);
		return -1;
	}
	if (read_reply(c, MAIL_SMTP_STAGE_EHLO, t->greeting_ms, &r, &c->info,
		    s) < 0)
		return -1;
	if (r.code == 250) {
		c->info.esmtp = true;
		return 0;
	}
	/* RFC 5321 §3.2: a server that does not know EHLO knows HELO. */
	forget_extensions(&c->info);
	if (r.code / 100 != 5) {
		status_unexpected(s, MAIL_SMTP_STAGE_EHLO, &r);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "HELO %s\r\n", c->o->helo_name);
	if (command(c, MAIL_SMTP_STAGE_EHLO, t->greeting_ms, cmd, &r, s) < 0)
		return -1;
	if (r.code != 250) {
		status_unexpected(s, MAIL_SMTP_STAGE_EHLO, &r);
		return -1;
	}
	return 0;
}

static int
connect_and_greet(struct mail_smtp_client *c, struct mail_smtp_status *s)
{
	const struct mail_smtp_timeouts *t = &c->o->timeouts;
	struct error e;
	c->conn = net_connect(&c->address, t->connect_ms, CLIENT_NAME, &e);
	if (c->conn == NULL) {
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY,
			MAIL_SMTP_STAGE_CONNECT, "4.4.1", "%s", e.msg);
		return -1;
	}
	if (c->o->group != NULL)
		net_group_add(c->o->group, c->conn);
	struct mail_smtp_reply r;
	if (read_reply(c, MAIL_SMTP_STAGE_GREETING, t->greeting_ms, &r, NULL,
		    s) < 0)
		return -1;
	if (r.code != 220) {
		status_unexpected(s, MAIL_SMTP_STAGE_GREETING, &r);
		return -1;
	}
	return say_ehlo(c, s);
}

/* The name a certificate must carry: the MX host, else the address. */
static const char *
tls_name(const struct mail_smtp_client *c)
{
	if (c->o->tls_name != NULL && c->o->tls_name[0] != '\0')
		return c->o->tls_name;
	return net_peer_ip(c->conn);
}

/* What a certificate that did not verify got wrong, by priority. */
static enum mail_smtp_tls_failure
cert_failure(const struct net_tls_result *tr)
{
	if (tr->expired)
		return MAIL_SMTP_TLS_CERT_EXPIRED;
	if (tr->name_mismatch)
		return MAIL_SMTP_TLS_CERT_NAME;
	return MAIL_SMTP_TLS_CERT_UNTRUSTED;
}

/*
 * STARTTLS as o->tls says. Returns 0 in TLS, or in clear where that is
 * allowed; 1 when an opportunistic handshake failed and the caller should
 * go on in clear on a new connection; -1 with *s otherwise.
 */
static int
start_tls(struct mail_smtp_client *c, struct mail_smtp_status *s)
{
	bool required = c->o->tls == MAIL_SMTP_TLS_REQUIRED;
	bool dane = required && c->o->tls_verify != NULL;
	if (c->o->tls == MAIL_SMTP_TLS_NONE)
		return 0;
	if (!c->info.starttls) {
		if (!required)
			return 0;
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY,
			MAIL_SMTP_STAGE_STARTTLS, "4.7.10",
			"%s does not offer STARTTLS, and TLS is required",
			c->info.peer);
		s->tls_failure = MAIL_SMTP_TLS_NOT_OFFERED;
		return -1;
	}
	struct mail_smtp_reply r;
	if (command(c, MAIL_SMTP_STAGE_STARTTLS, c->o->timeouts.greeting_ms,
		    "STARTTLS\r\n", &r, s) < 0)
		return -1;
	if (r.code != 220) {
		/* RFC 3207 §4: refused, the session goes on in clear. */
		if (!required)
			return 0;
		/* Required TLS refused is a matter for later, never 5xx. */
		status_unexpected(s, MAIL_SMTP_STAGE_STARTTLS, &r);
		s->result = MAIL_SMTP_RESULT_TEMPORARY;
		s->tls_failure = MAIL_SMTP_TLS_NOT_OFFERED;
		return -1;
	}
	struct net_tls_result tr;
	struct error e;
	enum net_tls_check check = !required ? NET_TLS_CHECK_RECORD :
		dane ? NET_TLS_CHECK_CALLER : NET_TLS_CHECK_PKIX;
	if (net_starttls_client(c->conn, c->o->trust, tls_name(c), check,
		    &tr, &e) < 0) {
		if (!required && e.code != ERROR_DENIED) {
			c->info.tls_failure = MAIL_SMTP_TLS_HANDSHAKE;
			return 1;
		}
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY,
			MAIL_SMTP_STAGE_STARTTLS, "4.7.5", "%s", e.msg);
		s->tls_failure = e.code != ERROR_DENIED ?
			MAIL_SMTP_TLS_HANDSHAKE : cert_failure(&tr);
		return -1;
	}
	if (dane) {
		/* RFC 7672 §3: the TLSA records decide, not the CA store. */
		struct span chain[16];
		size_t n = net_tls_peer_chain(c->conn, chain, 16);
		char why[200];
		if (c->o->tls_verify(c->o->tls_verify_data, chain, n, why,
			    sizeof(why)) < 0) {
			status_ours(s, MAIL_SMTP_RESULT_TEMPORARY,
				MAIL_SMTP_STAGE_STARTTLS, "4.7.5",
				"the certificate of %s fails DANE: %s",
				c->info.peer, why);
			s->tls_failure = MAIL_SMTP_TLS_DANE_MISMATCH;
			return -1;
		}
		c->info.tls_dane = true;
		tr.verified = true;
		tr.verify_error[0] = '\0';
	}
	c->info.tls = true;
	str_copy(c->info.tls_version, sizeof(c->info.tls_version), tr.version);
	str_copy(c->info.tls_cipher, sizeof(c->info.tls_cipher), tr.cipher);
	c->info.tls_verified = tr.verified;
	c->info.tls_failure = tr.verified ? MAIL_SMTP_TLS_OK :
		cert_failure(&tr);
	str_copy(c->info.tls_verify_error, sizeof(c->info.tls_verify_error),
		tr.verify_error);
	/* RFC 3207 §4.2: forget what the server said in clear; ask again. */
	if (say_ehlo(c, s) == 0)
		return 0;
	/*
	 * In TLS 1.3 the server checks what it asked of us after our side of
	 * the handshake is done, so a TLS failure may show only now, as the
	 * connection dropping. Opportunistic TLS then falls back as for a
	 * failed handshake; a reply from the server is an answer, not that.
	 */
	return !required && s->reply.code == 0 ? 1 : -1;
}

/* Base64 of bytes into out; false when it does not fit. */
static bool
base64(const void *bytes, size_t len, char *out, size_t size)
{
	if (sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL) >
	    size)
		return false;
	sodium_bin2base64(out, size, bytes, len,
		sodium_base64_VARIANT_ORIGINAL);
	return true;
}

/* One step of an AUTH exchange: secret text out, the reply in. */
static int
auth_step(struct mail_smtp_client *c, char *cmd, struct mail_smtp_reply *r,
	struct mail_smtp_status *s)
{
	int rc = command(c, MAIL_SMTP_STAGE_AUTH, c->o->timeouts.greeting_ms,
		cmd, r, s);
	sodium_memzero(cmd, strlen(cmd));
	return rc;
}

/* RFC 4954 with PLAIN (RFC 4616), else LOGIN; only inside TLS. */
static int
authenticate(struct mail_smtp_client *c, struct mail_smtp_status *s)
{
	const char *user = c->o->auth_user, *pass = c->o->auth_password;
	if (user == NULL || user[0] == '\0')
		return 0;
	if (!c->info.tls) {
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY, MAIL_SMTP_STAGE_AUTH,
			"4.7.11", "will not send a password to %s without TLS",
			c->info.peer);
		return -1;
	}
	if (pass == NULL)
		pass = "";
	size_t ulen = strlen(user), plen = strlen(pass);
	char raw[600], cmd[900];
	struct mail_smtp_reply r;
	if (ulen + plen + 2 > sizeof(raw)) {
		status_ours(s, MAIL_SMTP_RESULT_PERMANENT, MAIL_SMTP_STAGE_AUTH,
			"5.5.2", "the AUTH user name or password is too long");
		return -1;
	}
	int rc = -1;
	if (c->info.auth_plain) {
		raw[0] = '\0';
		memcpy(raw + 1, user, ulen);
		raw[ulen + 1] = '\0';
		memcpy(raw + ulen + 2, pass, plen);
		memcpy(cmd, "AUTH PLAIN ", 11);
		if (base64(raw, ulen + plen + 2, cmd + 11, sizeof(cmd) - 13)) {
			memcpy(cmd + strlen(cmd), "\r\n", 3);
			rc = auth_step(c, cmd, &r, s);
		}
	} else if (c->info.auth_login) {
		rc = command(c, MAIL_SMTP_STAGE_AUTH, c->o->timeouts.greeting_ms,
			"AUTH LOGIN\r\n", &r, s);
		if (rc == 0 && r.code == 334 && base64(user, ulen, cmd,
			    sizeof(cmd) - 2)) {
			memcpy(cmd + strlen(cmd), "\r\n", 3);
			rc = auth_step(c, cmd, &r, s);
		}
		if (rc == 0 && r.code == 334 && base64(pass, plen, cmd,
			    sizeof(cmd) - 2)) {
			memcpy(cmd + strlen(cmd), "\r\n", 3);
			rc = auth_step(c, cmd, &r, s);
		}
	} else {
		status_ours(s, MAIL_SMTP_RESULT_TEMPORARY, MAIL_SMTP_STAGE_AUTH,
			"4.7.12", "%s offers neither AUTH PLAIN nor LOGIN",
			c->info.peer);
		sodium_memzero(raw, sizeof(raw));
		return -1;
	}
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(cmd, sizeof(cmd));
	if (rc < 0)
		return -1;
	if (r.code != 235) {
		status_unexpected(s, MAIL_SMTP_STAGE_AUTH, &r);
		return -1;
	}
	return 0;
}

/* Tries once; 1 asks for a retry in clear (opportunistic fallback). */
static int
open_once(struct mail_smtp_client *c, bool allow_tls,
	struct mail_smtp_status *s)
{
	if (connect_and_greet(c, s) < 0)
		return -1;
	if (allow_tls) {
		int rc = start_tls(c, s);
		if (rc != 0)
			return rc;
	}
	return authenticate(c, s);
}

/* A host name or address literal: letters, digits and ".-:[]". */
static bool
helo_is_safe(const char *name)
{
	size_t n = 0;
	for (; name != NULL && name[n] != '\0'; n++) {
		char ch = name[n];
		if (!str_is_ascii_alpha(ch) && !str_is_ascii_digit(ch) &&
		    strchr(".-:[]", ch) == NULL)
			return false;
	}
	return n > 0 && n <= 255;
}

struct mail_smtp_client *
mail_smtp_open(const struct net_address *a, const struct mail_smtp_options *o,
	struct mail_smtp_status *status_r, struct error *err)
{
	if (!helo_is_safe(o->helo_name)) {
		status_ours(status_r, MAIL_SMTP_RESULT_PERMANENT,
			MAIL_SMTP_STAGE_EHLO, "5.5.2", "our EHLO name is empty "
			"or not a host name");
		status_error(status_r, err);
		return NULL;
	}
	struct mail_smtp_client *c = xcalloc(1, sizeof(*c));
	c->o = o;
	c->address = *a;
	memset(status_r, 0, sizeof(*status_r));
	/* As net_connect names it; needed before there is a connection. */
	char ip[INET6_ADDRSTRLEN];
	if (a->u.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->u.v6.sin6_addr, ip, sizeof(ip));
		snprintf(c->info.peer, sizeof(c->info.peer), "[%s]:%u", ip,
			(unsigned)net_address_port(a));
	} else {
		inet_ntop(AF_INET, &a->u.v4.sin_addr, ip, sizeof(ip));
		snprintf(c->info.peer, sizeof(c->info.peer), "%s:%u", ip,
			(unsigned)net_address_port(a));
	}
	int rc = open_once(c, true, status_r);
	if (rc == 1) {
		/*
		 * RFC 7435 §3: with no policy asking for TLS, a failed handshake
		 * should not stop the mail; go on in clear, and say so.
		 */
		log_info("smtp_out.tls_fallback", "peer=%s", c->info.peer);
		net_conn_close(&c->conn);
		forget_extensions(&c->info);
		c->info.tls = c->info.tls_verified = false;
		c->info.tls_version[0] = c->info.tls_cipher[0] = '\0';
		c->info.tls_fallback = true;
		rc = open_once(c, false, status_r);
	}
	if (rc < 0) {
		status_error(status_r, err);
		log_info("smtp_out.open_fail", "peer=%s stage=%s status=%s",
			c->info.peer, mail_smtp_stage_name(status_r->stage),
			status_r->status);
		mail_smtp_close(&c);
		return NULL;
	}
	log_debug("smtp_out.open", "peer=%s esmtp=%d tls=%s verified=%d",
		c->info.peer, c->info.esmtp, c->info.tls ?
		c->info.tls_version : "none", c->info.tls_verified);
	return c;
}

const struct mail_smtp_info *
mail_smtp_client_info(const struct mail_smtp_client *c)
{
	return &c->info;
}

void
mail_smtp_close(struct mail_smtp_client **cp)
{
	struct mail_smtp_client *c = *cp;
	if (c == NULL)
		return;
	if (c->conn != NULL) {
		struct mail_smtp_reply r;
		struct mail_smtp_status s;
		struct error e;
		net_set_timeout(c->conn, CLIENT_QUIT_MS);
		if (net_write(c->conn, "QUIT\r\n", 6, &e) == 0)
			read_reply(c, MAIL_SMTP_STAGE_GREETING, CLIENT_QUIT_MS,
				&r, NULL, &s);
		net_conn_close(&c->conn);
	}
	free(c);
	*cp = NULL;
}

/* ---- one transaction ---- */

/* Whether an address may go between < and > as it is. */
static bool
path_is_safe(const char *address)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)address;
	     *p != '\0'; p++, n++) {
		if (*p < 0x21 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	}
	return n <= CLIENT_MAX_PATH;
}

/* RFC 3461 keywords (NOTIFY's list, RET's word): letters and commas. */
static bool
keyword_is_safe(const char *text)
{
	if (text[0] == '\0' || strlen(text) > 64)
		return false;
	for (const char *p = text; *p != '\0'; p++) {
		if (!str_is_ascii_alpha(*p) && *p != ',')
			return false;
	}
	return true;
}

static void
set_all(struct mail_smtp_status *rcpt, size_t n,
	const struct mail_smtp_status *s)
{
	for (size_t i = 0; i < n; i++)
		rcpt[i] = *s;
}

/*
 * Refusals before any command: SIZE, 8BITMIME, SMTPUTF8 and unsafe
 * addresses. Marks refused recipients in rcpt and sets *any_left_r when
 * one may still be tried; false when the whole message is refused.
 */
static bool
check_message(struct mail_smtp_client *c, const struct mail_smtp_envelope *e,
	struct span message, struct mail_smtp_status *rcpt, bool *utf8_r)
{
	struct mail_smtp_status s;
	const struct mail_smtp_info *in = &c->info;
	size_t n = e->recipient_count;
	*utf8_r = mail_smtp_needs_smtputf8(e->sender);
	if (in->size_max > 0 && message.len > in->size_max) {
		/* RFC 1870 §6: a message over SIZE would only be refused. */
		status_ours(&s, MAIL_SMTP_RESULT_PERMANENT, MAIL_SMTP_STAGE_MAIL,
			"5.3.4", "the message (%zu bytes) is larger than %s "
			"accepts (%llu bytes)", message.len, in->peer,
			(unsigned long long)in->size_max);
		set_all(rcpt, n, &s);
		return false;
	}
	if (!in->eightbitmime && mail_smtp_needs_8bitmime(message)) {
		status_ours(&s, MAIL_SMTP_RESULT_PERMANENT, MAIL_SMTP_STAGE_MAIL,
			"5.6.3", "the message has 8-bit text and %s does not "
			"accept 8BITMIME: it must be converted to 7-bit "
			"(RFC 6152)", in->peer);
		s.needs_downgrade = true;
		set_all(rcpt, n, &s);
		return false;
	}
	if (!path_is_safe(e->sender)) {
		status_ours(&s, MAIL_SMTP_RESULT_PERMANENT, MAIL_SMTP_STAGE_MAIL,
			"5.1.7", "the sender's address cannot be sent as it is");
		set_all(rcpt, n, &s);
		return false;
	}
	if (*utf8_r && !in->smtputf8) {
		status_ours(&s, MAIL_SMTP_RESULT_PERMANENT, MAIL_SMTP_STAGE_MAIL,
			"5.6.7", "the sender's address is not ASCII and %s "
			"does not accept SMTPUTF8 (RFC 6531)", in->peer);
		set_all(rcpt, n, &s);
		return false;
	}
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const char *to = e->recipients[i];
		bool utf8 = mail_smtp_needs_smtputf8(to);
		if (!path_is_safe(to) || to[0] == '\0')
			status_ours(&rcpt[i], MAIL_SMTP_RESULT_PERMANENT,
				MAIL_SMTP_STAGE_RCPT, "5.1.3",
				"the address cannot be sent as it is");
		else if (utf8 && !in->smtputf8)
			status_ours(&rcpt[i], MAIL_SMTP_RESULT_PERMANENT,
				MAIL_SMTP_STAGE_RCPT, "5.6.7",
				"the address is not ASCII and %s does not "
				"accept SMTPUTF8 (RFC 6531)", in->peer);
		else {
			*utf8_r = *utf8_r || utf8;
			rcpt[i].result = MAIL_SMTP_RESULT_OK;
			any = true;
			continue;
		}
	}
	return any;
}

static bool append(char *cmd, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends to the command in cmd; false when it would not fit. */
static bool
append(char *cmd, size_t size, const char *fmt, ...)
{
	size_t n = strlen(cmd);
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(cmd + n, size - n, fmt, ap);
	va_end(ap);
	return w >= 0 && (size_t)w < size - n;
}

/* RFC 5321 §4.1.1.2 MAIL with RFC 1870, 6152, 6531 and 3461 parameters. */
static bool
mail_command(struct mail_smtp_client *c, const struct mail_smtp_envelope *e,
	struct span message, bool utf8, char *cmd, size_t size)
{
	const struct mail_smtp_info *in = &c->info;
	char xtext[512];
	cmd[0] = '\0';
	bool ok = append(cmd, size, "MAIL FROM:<%s>", e->sender);
	if (in->size_max > 0)
		ok = ok && append(cmd, size, " SIZE=%zu", message.len);
	if (in->eightbitmime && mail_smtp_needs_8bitmime(message))
		ok = ok && append(cmd, size, " BODY=8BITMIME");
	if (utf8)
		ok = ok && append(cmd, size, " SMTPUTF8");
	if (in->dsn && e->ret != NULL && keyword_is_safe(e->ret))
		ok = ok && append(cmd, size, " RET=%s", e->ret);
	/* RFC 3461 §4.4: ENVID is at most 100 characters of xtext. */
	if (in->dsn && e->envid != NULL && e->envid[0] != '\0' &&
	    mail_smtp_xtext(e->envid, xtext, 101))
		ok = ok && append(cmd, size, " ENVID=%s", xtext);
	return ok && append(cmd, size, "\r\n");
}

/* RCPT with RFC 3461 NOTIFY and ORCPT when the server offers DSN. */
static bool
rcpt_command(struct mail_smtp_client *c, const struct mail_smtp_envelope *e,
	size_t i, char *cmd, size_t size)
{
	char xtext[1200];
	cmd[0] = '\0';
	bool ok = append(cmd, size, "RCPT TO:<%s>", e->recipients[i]);
	if (c->info.dsn && e->notify != NULL && e->notify[i] != NULL &&
	    keyword_is_safe(e->notify[i]))
		ok = ok && append(cmd, size, " NOTIFY=%s", e->notify[i]);
	/* RFC 3461 §5.2.1: the ORCPT goes on as the sender gave it. */
	if (c->info.dsn && e->orcpt != NULL && e->orcpt[i] != NULL &&
	    e->orcpt[i][0] != '\0' &&
	    mail_dsn_orcpt_encode(e->orcpt[i], xtext, sizeof(xtext)))
		ok = ok && append(cmd, size, " ORCPT=%s", xtext);
	return ok && append(cmd, size, "\r\n");
}

struct data_ctx {
	struct net_conn *conn;
	struct error *err;
};

static int
data_write(void *ctx, const char *bytes, size_t len)
{
	struct data_ctx *d = ctx;
	return net_write(d->conn, bytes, len, d->err);
}

/* What each recipient's step came to, while a transaction runs. */
enum rcpt_state {
	RCPT_REFUSED = 0,	/* rcpt[i] holds why; nothing more for it */
	RCPT_SENT,		/* RCPT went out; its reply not yet read */
	RCPT_ACCEPTED,		/* 2xx to RCPT: the final dot decides */
};

/*
 * The connection failed with *s: every recipient still in play gets it,
 * and the connection cannot be used again.
 */
static int
fail_all(struct mail_smtp_client *c, struct mail_smtp_status *rcpt,
	const enum rcpt_state *state, size_t n,
	const struct mail_smtp_status *s, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (state[i] != RCPT_REFUSED)
			rcpt[i] = *s;
	}
	net_conn_close(&c->conn);
	return status_error(s, err);
}

/* Every recipient still in play gets the reply r to stage. */
static void
reply_all(struct mail_smtp_status *rcpt, enum rcpt_state *state, size_t n,
	enum mail_smtp_stage stage, const struct mail_smtp_reply *r)
{
	for (size_t i = 0; i < n; i++) {
		if (state[i] == RCPT_REFUSED)
			continue;
		status_reply(&rcpt[i], stage, r);
		if (rcpt[i].result == MAIL_SMTP_RESULT_OK)
			rcpt[i].result = MAIL_SMTP_RESULT_TEMPORARY;
		state[i] = RCPT_REFUSED;
	}
}

/* RFC 5321 §3.8: 421 means the server is closing the connection. */
static int
after_reply(struct mail_smtp_client *c, const struct mail_smtp_reply *r,
	struct error *err)
{
	if (r->code != 421)
		return 0;
	net_conn_close(&c->conn);
	return error_set(err, ERROR_TEMPORARY, "%s is closing: %d %s",
		c->info.peer, r->code, r->text);
}

/* MAIL and every RCPT, pipelined when the server offers it (RFC 2920). */
static int
envelope(struct mail_smtp_client *c, const struct mail_smtp_envelope *e,
	struct span message, bool utf8, struct mail_smtp_status *rcpt,
	enum rcpt_state *state, struct error *err)
{
	const struct mail_smtp_timeouts *t = &c->o->timeouts;
	size_t n = e->recipient_count;
	bool pipe = c->info.pipelining;
	char cmd[CLIENT_MAX_COMMAND];
	struct mail_smtp_reply r;
	struct mail_smtp_status s;
	struct error e2;
	if (!mail_command(c, e, message, utf8, cmd, sizeof(cmd))) {
		status_ours(&s, MAIL_SMTP_RESULT_PERMANENT, MAIL_SMTP_STAGE_MAIL,
			"5.5.2", "the MAIL command would be too long");
		for (size_t i = 0; i < n; i++)
			if (state[i] != RCPT_REFUSED)
				rcpt[i] = s;
		memset(state, 0, n * sizeof(*state));
		return 0;
	}
	net_set_timeout(c->conn, t->mail_ms);
	if (net_write(c->conn, cmd, strlen(cmd), &e2) < 0) {
		status_io(c, &s, MAIL_SMTP_STAGE_MAIL, &e2, t->mail_ms);
		return fail_all(c, rcpt, state, n, &s, err);
	}
	bool mail_ok = true;
	if (!pipe) {
		if (read_reply(c, MAIL_SMTP_STAGE_MAIL, t->mail_ms, &r, NULL,
			    &s) < 0)
			return fail_all(c, rcpt, state, n, &s, err);
		if (r.code / 100 != 2) {
			reply_all(rcpt, state, n, MAIL_SMTP_STAGE_MAIL, &r);
			return after_reply(c, &r, err);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (state[i] == RCPT_REFUSED)
			continue;
		if (!rcpt_command(c, e, i, cmd, sizeof(cmd))) {
			status_ours(&rcpt[i], MAIL_SMTP_RESULT_PERMANENT,
				MAIL_SMTP_STAGE_RCPT, "5.5.2",
				"the RCPT command would be too long");
			state[i] = RCPT_REFUSED;
			continue;
		}
		net_set_timeout(c->conn, t->rcpt_ms);
		if (net_write(c->conn, cmd, strlen(cmd), &e2) < 0) {
			status_io(c, &s, MAIL_SMTP_STAGE_RCPT, &e2, t->rcpt_ms);
			return fail_all(c, rcpt, state, n, &s, err);
		}
		state[i] = RCPT_SENT;
		if (pipe)
			continue;
		if (read_reply(c, MAIL_SMTP_STAGE_RCPT, t->rcpt_ms, &r, NULL,
			    &s) < 0)
			return fail_all(c, rcpt, state, n, &s, err);
		status_reply(&rcpt[i], MAIL_SMTP_STAGE_RCPT, &r);
		state[i] = r.code / 100 == 2 ? RCPT_ACCEPTED : RCPT_REFUSED;
		if (after_reply(c, &r, err) < 0)
			return -1;
	}
	if (!pipe)
		return 0;
	/* The replies come in the order of the commands (RFC 2920 §3.1). */
	if (read_reply(c, MAIL_SMTP_STAGE_MAIL, t->mail_ms, &r, NULL, &s) < 0)
		return fail_all(c, rcpt, state, n, &s, err);
	struct mail_smtp_reply mail_reply = r;
	mail_ok = r.code / 100 == 2;
	for (size_t i = 0; i < n; i++) {
		if (state[i] != RCPT_SENT)
			continue;
		if (read_reply(c, MAIL_SMTP_STAGE_RCPT, t->rcpt_ms, &r, NULL,
			    &s) < 0)
			return fail_all(c, rcpt, state, n, &s, err);
		if (mail_ok) {
			status_reply(&rcpt[i], MAIL_SMTP_STAGE_RCPT, &r);
			state[i] = r.code / 100 == 2 ? RCPT_ACCEPTED :
				RCPT_REFUSED;
		}
	}
	if (!mail_ok) {
		reply_all(rcpt, state, n, MAIL_SMTP_STAGE_MAIL, &mail_reply);
		return after_reply(c, &mail_reply, err);
	}
	return 0;
}

/* DATA, the message and the final dot, for the accepted recipients. */
static int
data(struct mail_smtp_client *c, struct span message,
	struct mail_smtp_status *rcpt, enum rcpt_state *state, size_t n,
	struct error *err)
{
	const struct mail_smtp_timeouts *t = &c->o->timeouts;
	struct mail_smtp_reply r;
	struct mail_smtp_status s;
	struct error e2;
	if (command(c, MAIL_SMTP_STAGE_DATA, t->data_init_ms, "DATA\r\n", &r,
		    &s) < 0)
		return fail_all(c, rcpt, state, n, &s, err);
	if (r.code != 354) {
		reply_all(rcpt, state, n, MAIL_SMTP_STAGE_DATA, &r);
		return after_reply(c, &r, err);
	}
	net_set_timeout(c->conn, t->data_block_ms);
	struct data_ctx d = { c->conn, &e2 };
	if (mail_smtp_data_encode(message, data_write, &d) < 0) {
		status_io(c, &s, MAIL_SMTP_STAGE_MESSAGE, &e2, t->data_block_ms);
		return fail_all(c, rcpt, state, n, &s, err);
	}
	if (read_reply(c, MAIL_SMTP_STAGE_MESSAGE, t->data_end_ms, &r, NULL,
		    &s) < 0)
		return fail_all(c, rcpt, state, n, &s, err);
	for (size_t i = 0; i < n; i++) {
		if (state[i] == RCPT_ACCEPTED)
			status_reply(&rcpt[i], MAIL_SMTP_STAGE_MESSAGE, &r);
	}
	return after_reply(c, &r, err);
}

int
mail_smtp_send(struct mail_smtp_client *c, const struct mail_smtp_envelope *e,
	struct span message, struct mail_smtp_status *rcpt, struct error *err)
{
	size_t n = e->recipient_count;
	struct mail_smtp_status s;
	struct mail_smtp_reply r;
	memset(rcpt, 0, n * sizeof(*rcpt));
	if (c->conn == NULL) {
		status_ours(&s, MAIL_SMTP_RESULT_TEMPORARY, MAIL_SMTP_STAGE_MAIL,
			"4.4.2", "the connection to %s is closed",
			c->info.peer);
		set_all(rcpt, n, &s);
		return status_error(&s, err);
	}
	enum rcpt_state *state = xcalloc(n > 0 ? n : 1, sizeof(*state));
	for (size_t i = 0; i < n; i++)
		state[i] = RCPT_SENT;
	int rc = 0;
	/* RFC 5321 §4.1.1.5: RSET clears the last transaction's state. */
	if (c->used && command(c, MAIL_SMTP_STAGE_MAIL,
			    c->o->timeouts.greeting_ms, "RSET\r\n", &r, &s) < 0) {
		rc = fail_all(c, rcpt, state, n, &s, err);
		goto done;
	}
	if (c->used && r.code != 250) {
		status_unexpected(&s, MAIL_SMTP_STAGE_MAIL, &r);
		s.result = MAIL_SMTP_RESULT_TEMPORARY;
		rc = fail_all(c, rcpt, state, n, &s, err);
		goto done;
	}
	c->used = true;
	bool utf8;
	if (!check_message(c, e, message, rcpt, &utf8))
		goto done;
	for (size_t i = 0; i < n; i++)
		state[i] = rcpt[i].result == MAIL_SMTP_RESULT_OK ? RCPT_SENT :
			RCPT_REFUSED;
	rc = envelope(c, e, message, utf8, rcpt, state, err);
	if (rc < 0)
		goto done;
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any = any || state[i] == RCPT_ACCEPTED;
	if (any)
		rc = data(c, message, rcpt, state, n, err);
done:
	free(state);
	return rc;
}
