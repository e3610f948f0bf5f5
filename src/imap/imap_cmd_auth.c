/*
 * Commands before sign-in: STARTTLS, LOGIN and AUTHENTICATE PLAIN with
 * SASL-IR (RFC 3501 §6.2, RFC 4959, RFC 4616). Layer: front end.
 * SECURITY: no password is taken before TLS (RFC 8314, SECURITY.md item
 * 3); STARTTLS drops pipelined plaintext (item 4, CVE-2021-33515); every
 * failure gets the same reply; secrets are wiped and never logged;
 * disabled, leaver and deleted accounts, and people or orgs with IMAP
 * switched off, are refused by auth_signin (SPEC A4), and so are
 * temporary passwords and admins' own (SECURITY.md 43).
 */
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "imap/imap_internal.h"

/* authzid NUL authcid NUL password, base64: room for the longest. */
#define PLAIN_MAX 1024

int
imap_cmd_starttls(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "STARTTLS takes no arguments");
	if (net_is_tls(s->conn))
		return imap_bad(s, "TLS is already in use");
	if (!net_can_starttls(s->conn))
		return imap_tagged(s, "NO", NULL, "TLS is not available");
	if (imap_tagged(s, "OK", NULL, "begin TLS negotiation now") < 0)
		return -1;
	struct error err;
	/* Flushes the OK, then drops whatever was pipelined behind it. */
	if (net_starttls(s->conn, &err) < 0) {
		log_info("imap.starttls", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err.msg);
		return -1;
	}
	return 0;
}

static int
refuse_plaintext(struct imap_session *s)
{
	s->errors++;
	return imap_tagged(s, "NO", "PRIVACYREQUIRED",
		"issue STARTTLS first: passwords travel only encrypted");
}

/* Checks the password and, when right, signs the session in. */
static int
sign_in(struct imap_session *s, const char *user, const char *password)
{
	struct error err;
	s->ctx.now = clock_now();
	if (imap_store_open(s, &err) < 0)
		return imap_tagged(s, "NO", "UNAVAILABLE", "%s", err.msg);
	struct store_person person;
	struct auth_client client = { "imap", s->client, net_peer_ip(s->conn) };
	if (auth_signin(&s->ctx, user, password, &client, &person, &err) < 0) {
		if (err.code == ERROR_DENIED && strcmp(err.field, "protocol") == 0) {
			log_info("imap.auth", "peer=%s user=\"%.100s\" "
				"result=protocol_off", net_peer(s->conn), user);
			return imap_tagged(s, "NO", "AUTHORIZATIONFAILED", "%s",
				err.msg);
		}
		/*
		 * RFC 5530 EXPIRED: the password was right, but access is no
		 * longer permitted with it and the user should get a new
		 * passphrase — a changed password, or (for an admin) an app
		 * password. Only a right password gets here, so this tells
		 * nothing a guesser could use (SECURITY.md 38, 43).
		 */
		if (err.code == ERROR_DENIED &&
		    (strcmp(err.field, "password") == 0 ||
			strcmp(err.field, "app_password") == 0)) {
			log_info("imap.auth", "peer=%s user=\"%.100s\" "
				"result=refused_%s", net_peer(s->conn), user,
				err.field);
			return imap_tagged(s, "NO", "EXPIRED", "%s", err.msg);
		}
		/* SECURITY.md 26: our fault, never a wrong password. */
		if (err.code != ERROR_DENIED) {
			log_error("imap.auth",
				"peer=%s result=unavailable "
				"reason=\"%s\"",
				net_peer(s->conn), err.msg);
			return imap_tagged(s, "NO", "UNAVAILABLE",
				"signing in is not possible just now because "
				"of a fault on our side; try again later");
		}
		log_info("imap.auth", "peer=%s user=\"%.100s\" result=refused",
			net_peer(s->conn), user);
		s->errors++;
		return imap_tagged(s, "NO", "AUTHENTICATIONFAILED",
			"the address or password is not right");
	}
	/* What the person is must outlive this command. */
	s->ctx.arena = s->arena;
	int rc = mail_user_open(&s->ctx, s->server->writer, user, &s->user,
		&err);
	s->ctx.arena = s->cmd;
	if (rc < 0) {
		memset(&s->user, 0, sizeof(s->user));
		log_warn("imap.auth",
			"peer=%s result=unavailable reason=\"%s\"",
			net_peer(s->conn), err.msg);
		return imap_tagged(s, "NO", "UNAVAILABLE",
			"your mailbox cannot be opened just now");
	}
	if (!imap_session_claim(s)) {
		log_info("imap.auth", "peer=%s user=%s result=too_many",
			net_peer(s->conn), s->user.address);
		memset(&s->user, 0, sizeof(s->user));
		return imap_tagged(s, "NO", "LIMIT",
			"you have as many mail connections open as are "
			"allowed; close some (other devices or programs) and "
			"try again");
	}
	s->ctx.actor = s->user.address;
	s->state = IMAP_STATE_AUTHENTICATED;
	net_set_timeout(s->conn, s->server->timeout_ms);
	log_info("imap.auth", "peer=%s user=%s result=ok tls=%s",
		net_peer(s->conn), s->user.address, net_tls_version(s->conn));
	return imap_tagged(s, "OK", NULL, "[CAPABILITY %s] signed in",
		imap_capabilities(s));
}

int
imap_cmd_login(struct imap_session *s, const struct imap_command *c)
{
	if (!net_is_tls(s->conn))
		return refuse_plaintext(s);
	const char *user, *password;
	struct error err;
	if (c->count != 2)
		return imap_bad(s, "LOGIN takes an address and a password");
	if (imap_arg_string(&c->args[0], s->cmd, &user, &err) < 0 ||
		imap_arg_string(&c->args[1], s->cmd, &password, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	return sign_in(s, user, password);
}

/* Decodes base64 ("=" is empty, RFC 4959) into buf; false if invalid. */
static bool
decode64(struct span in, unsigned char *buf, size_t size, size_t *len_r)
{
	if (in.len == 1 && in.p[0] == '=') {
		*len_r = 0;
		return true;
	}
	return sodium_base642bin(buf, size - 1, in.p, in.len, NULL, len_r, NULL,
		       sodium_base64_VARIANT_ORIGINAL) == 0;
}

/* The client's answer to "+ ": its base64 line, or 1 when cancelled. */
static int
read_response(struct imap_session *s, struct span *line_r)
{
	struct error err;
	size_t len;
	unsigned flags;
	if (net_printf(s->conn, &err, "+ \r\n") < 0 ||
		net_read_line(s->conn, s->line, IMAP_LINE_MAX, &len, &flags,
			&err) < 0 ||
		flags != 0)
		return -1;
	*line_r = span_make(s->line, len);
	return len == 1 && s->line[0] == '*' ? 1 : 0;
}

int
imap_cmd_authenticate(struct imap_session *s, const struct imap_command *c)
{
	if (c->count < 1 || c->count > 2 || c->args[0].type != IMAP_ARG_ATOM ||
		(c->count == 2 && c->args[1].type != IMAP_ARG_ATOM))
		return imap_bad(s,
			"AUTHENTICATE takes a mechanism and "
			"optionally an initial response");
	if (!net_is_tls(s->conn))
		return refuse_plaintext(s);
	if (!span_eq_nocase(c->args[0].text, "PLAIN"))
		return imap_tagged(s, "NO", "CANNOT",
			"the mechanism offered is PLAIN");
	struct span response;
	if (c->count == 2) {
		response = c->args[1].text;
	} else {
		int rc = read_response(s, &response);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return imap_bad(s, "signing in was cancelled");
	}
	unsigned char buf[PLAIN_MAX];
	size_t len;
	bool ok = decode64(response, buf, sizeof(buf), &len);
	sodium_memzero(s->line, IMAP_LINE_MAX);
	if (!ok) {
		sodium_memzero(buf, sizeof(buf));
		return imap_bad(s, "that is not valid base64");
	}
	buf[len] = '\0';
	const char *authz = (const char *)buf;
	const char *user = memchr(buf, '\0', len);
	const char *pass = user != NULL ?
		memchr(user + 1, '\0', len - (size_t)(user + 1 - authz)) :
		NULL;
	int rc;
	if (user == NULL || pass == NULL) {
		rc = imap_bad(s, "PLAIN needs an address and a password");
	} else if (authz[0] != '\0' && strcmp(authz, user + 1) != 0) {
		s->errors++;
		rc = imap_tagged(s, "NO", "AUTHORIZATIONFAILED",
			"signing in as someone else is not allowed");
	} else {
		rc = sign_in(s, user + 1, pass + 1);
	}
	sodium_memzero(buf, sizeof(buf));
	return rc;
}
