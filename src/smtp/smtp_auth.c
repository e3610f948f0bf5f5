/*
 * AUTH PLAIN and LOGIN on submission (RFC 4954, RFC 4616), for people and
 * for applications with an API token (SPEC M3). Layer: front end. SECURITY: refused before TLS (RFC 8314, SECURITY.md item 3); the
 * password is wiped after use and never logged; failures get one reply
 * whatever the reason, so the answer does not tell who exists.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_token.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/str.h"
#include "smtp/smtp_internal.h"

#define AUTH_LINE_MAX 1024

/* Decodes base64 into buf; false for bad base64 or no room. */
static bool
decode64(struct span in, char *buf, size_t size, size_t *len_r)
{
	if (in.len == 1 && in.p[0] == '=') {
		*len_r = 0;	/* RFC 4954 §4: "=" is an empty response */
		return true;
	}
	return sodium_base642bin((unsigned char *)buf, size - 1, in.p, in.len,
		       NULL, len_r, NULL, sodium_base64_VARIANT_ORIGINAL) == 0;
}

/* Sends a 334 challenge and reads the client's base64 answer. */
static int
challenge(struct smtp_session *s, const char *prompt, char *buf, size_t size,
	size_t *len_r)
{
	char line[AUTH_LINE_MAX];
	size_t len;
	unsigned flags;
	struct error err;
	smtp_reply(s, 334, NULL, "%s", prompt);
	if (net_read_line(s->conn, line, sizeof(line), &len, &flags, &err) < 0 ||
	    flags != 0)
		return -1;
	if (len == 1 && line[0] == '*')
		return 1;	/* the client cancelled */
	int rc = decode64(span_make(line, len), buf, size, len_r) ? 0 : -1;
	sodium_memzero(line, sizeof(line));
	return rc;
}

/*
 * An application's sign-in (SPEC M3): the user name is its API token's
 * label, the password the token, granted mail.send. Why a token is
 * refused goes to the log; the client hears one sentence whatever it was.
 */
static int
verify_token(struct smtp_session *s, const char *label, const char *token)
{
	struct store_api_token t;
	struct error err;
	s->ctx.now = clock_now();
	if (auth_token_signin(&s->ctx, label, token, net_peer_ip(s->conn), &t,
		    &err) < 0) {
		s->errors++;
		if (err.code != ERROR_NOT_FOUND) {
			log_error("smtp.auth", "peer=%s result=unavailable "
				"reason=\"%s\"", net_peer(s->conn), err.msg);
			return smtp_reply(s, 454, "4.7.0", "signing in is not "
				"possible just now because of a fault on our "
				"side; try again later");
		}
		log_info("smtp.auth", "peer=%s app=\"token:%.100s\" "
			"result=refused reason=\"%s\"", net_peer(s->conn),
			label, err.msg);
		return smtp_reply(s, 535, "5.7.8", "the application name or "
			"token is not right, or the token may not send mail");
	}
	snprintf(s->app_name, sizeof(s->app_name), "token:%s", t.label);
	s->app = (struct mail_app){ t.org_id, s->app_name };
	log_info("smtp.auth", "peer=%s app=\"%s\" org=%s result=ok",
		net_peer(s->conn), s->app_name, dir_org_ods(&s->ctx, t.org_id));
	return smtp_reply(s, 235, "2.7.0", "signed in");
}

static int
verify(struct smtp_session *s, const char *user, const char *password)
{
	/* People sign in with an address; applications with a token's name. */
	if (strchr(user, '@') == NULL)
		return verify_token(s, user, password);
	struct error err;
	struct store_person p;
	struct auth_client client = { "smtp", s->helo, net_peer_ip(s->conn) };
	s->ctx.now = clock_now();
	if (auth_signin(&s->ctx, user, password, &client, &p, &err) < 0) {
		s->errors++;
		/* SECURITY.md 26: our fault, so a temporary failure. */
		if (err.code != ERROR_DENIED) {
			log_error("smtp.auth", "peer=%s result=unavailable "
				"reason=\"%s\"", net_peer(s->conn), err.msg);
			return smtp_reply(s, 454, "4.7.0", "signing in is not "
				"possible just now because of a fault on our "
				"side; try again later");
		}
		log_info("smtp.auth", "peer=%s user=\"%.100s\" result=refused%s%s",
			net_peer(s->conn), user, err.field[0] ? "_" : "",
			err.field);
		/*
		 * RFC 4954 §6: 534 5.7.9 "mechanism too weak for that user":
		 * an admin's own password is weaker than policy allows them
		 * (an app password is needed). A temporary password has no
		 * code of its own; 535 5.7.8 (credentials not accepted) makes
		 * clients show our sentence and ask again, where a 4xx would
		 * retry the same password forever.
		 */
		if (strcmp(err.field, "app_password") == 0)
			return smtp_reply(s, 534, "5.7.9", "%s", err.msg);
		if (err.field[0] != '\0')
			return smtp_reply(s, 535, "5.7.8", "%s", err.msg);
		return smtp_reply(s, 535, "5.7.8",
			"the address or password is not right");
	}
	snprintf(s->user, sizeof(s->user), "%s", p.address);
	log_info("smtp.auth", "peer=%s user=%s result=ok", net_peer(s->conn),
		s->user);
	return smtp_reply(s, 235, "2.7.0", "signed in");
}

/* PLAIN: authzid NUL authcid NUL password (RFC 4616). */
static int
auth_plain(struct smtp_session *s, struct span initial)
{
	char buf[AUTH_LINE_MAX];
	size_t len;
	int rc = initial.len > 0 ?
		(decode64(initial, buf, sizeof(buf), &len) ? 0 : -1) :
		challenge(s, "", buf, sizeof(buf), &len);
	if (rc == 1)
		return smtp_reply(s, 501, "5.0.0", "sign-in cancelled");
	if (rc < 0)
		return smtp_reply(s, 501, "5.5.2", "that is not valid base64");
	buf[len] = '\0';
	const char *authz = buf;
	const char *user = memchr(buf, '\0', len);
	const char *pass = user != NULL ?
		memchr(user + 1, '\0', len - (size_t)(user + 1 - buf)) : NULL;
	if (user == NULL || pass == NULL) {
		sodium_memzero(buf, sizeof(buf));
		return smtp_reply(s, 501, "5.5.2", "PLAIN needs user and password");
	}
	user++;
	pass++;
	if (authz[0] != '\0' && strcmp(authz, user) != 0) {
		sodium_memzero(buf, sizeof(buf));
		return smtp_reply(s, 535, "5.7.8",
			"signing in as someone else is not allowed");
	}
	rc = verify(s, user, pass);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

static int
auth_login(struct smtp_session *s, struct span initial)
{
	char user[AUTH_LINE_MAX], pass[AUTH_LINE_MAX];
	size_t len;
	int rc = initial.len > 0 ?
		(decode64(initial, user, sizeof(user), &len) ? 0 : -1) :
		challenge(s, "VXNlcm5hbWU6", user, sizeof(user), &len);
	if (rc == 0) {
		user[len] = '\0';
		rc = challenge(s, "UGFzc3dvcmQ6", pass, sizeof(pass), &len);
	}
	if (rc == 1)
		return smtp_reply(s, 501, "5.0.0", "sign-in cancelled");
	if (rc < 0)
		return smtp_reply(s, 501, "5.5.2", "that is not valid base64");
	pass[len] = '\0';
	rc = verify(s, user, pass);
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

int
smtp_cmd_auth(struct smtp_session *s, const struct smtp_command *cmd)
{
	if (s->port != SMTP_PORT_SUBMISSION)
		return smtp_reply(s, 503, "5.5.1",
			"sign-in is for the submission port");
	if (!net_is_tls(s->conn))
		return smtp_reply(s, 530, "5.7.0",
			"issue STARTTLS first: passwords travel only encrypted");
	if (!s->greeted)
		return smtp_reply(s, 503, "5.5.1", "say EHLO first");
	if (smtp_signed_in(s))
		return smtp_reply(s, 503, "5.5.1", "already signed in");
	if (s->has_mail)
		return smtp_reply(s, 503, "5.5.1", "not during a transaction");
	struct span rest = cmd->arg, mechanism;
	span_split(&rest, ' ', &mechanism);
	rest = span_trim(rest);
	if (span_eq_nocase(mechanism, "PLAIN"))
		return auth_plain(s, rest);
	if (span_eq_nocase(mechanism, "LOGIN"))
		return auth_login(s, rest);
	return smtp_reply(s, 504, "5.5.4", "use AUTH PLAIN or AUTH LOGIN");
}
