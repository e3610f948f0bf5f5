/*
 * The sign-in rule: may this person sign in over this protocol now? One
 * pure decision that IMAP, POP3, SMTP submission and the API's sign-in and
 * sessions all ask (SPEC A4). Layer: domain. SECURITY.md 38 (one reply for
 * every wrong case), 43 (a temporary password, or an admin's own
 * password, opens no mailbox).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "dir/dir.h"

#define AUTH_DAY_S 86400

/*
 * SECURITY.md 38: an unknown address, a wrong password and a locked
 * account get these same words, so a sign-in form tells an attacker
 * nothing; the person who knows their password learns of a lock from
 * self-service. Mail programs show a short line, the portal a sentence.
 */
static const char web_wrong_words[] = "the address or password is not "
	"right, or the account is locked; if you are sure of your password, "
	"self-service unlock or your local administrator can unlock it";
static const char mail_wrong_words[] = "the address or password is not right";

enum auth_password_state
auth_password_state(int64_t changed_at, int64_t self_set_at, int64_t now,
	int64_t max_age_s)
{
	/*
	 * A password someone else set (an admin, init, a reset) does not
	 * carry the person's own change time, so it is temporary.
	 */
	if (changed_at == 0 || self_set_at != changed_at)
		return AUTH_PASSWORD_TEMPORARY;
	/* SPEC L4: 0 turns expiry off. */
	if (max_age_s > 0 && now - changed_at > max_age_s)
		return AUTH_PASSWORD_EXPIRED;
	return AUTH_PASSWORD_OK;
}

static bool
is_web(const struct auth_signin_facts *f)
{
	return strcmp(f->protocol, "web") == 0;
}

static const char *
protocol_words(const char *protocol)
{
	if (strcmp(protocol, "imap") == 0)
		return "IMAP";
	if (strcmp(protocol, "pop3") == 0)
		return "POP";
	return "sending mail (SMTP)";
}

static void
say_no(struct auth_signin_decision *d, enum auth_signin_answer answer,
	enum error_code code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
say_no(struct auth_signin_decision *d, enum auth_signin_answer answer,
	enum error_code code, const char *field, const char *fmt, ...)
{
	d->answer = answer;
	d->code = code;
	d->field = field;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->sentence, sizeof(d->sentence), fmt, ap);
	va_end(ap);
}

static void
wrong(const struct auth_signin_facts *f, struct auth_signin_decision *d,
	const char *reason, bool count)
{
	d->reason = reason;
	d->count = count;
	say_no(d, AUTH_SIGNIN_WRONG, ERROR_DENIED, "", "%s",
		is_web(f) ? web_wrong_words : mail_wrong_words);
}

/* A session ends when its person could no longer sign in. */
static void
decide_session(const struct auth_signin_facts *f,
	struct auth_signin_decision *d)
{
	if (!f->known || !f->secret_right || f->locked ||
	    !dir_person_can_sign_in(f->status))
		say_no(d, AUTH_SIGNIN_REFUSED, ERROR_NOT_FOUND, "",
			"your account can no longer sign in");
}

/* Why a right own password still opens no mailbox, if it does not. */
static void
decide_own_password_for_mail(const struct auth_signin_facts *f,
	struct auth_signin_decision *d)
{
	switch (auth_password_state(f->password_changed_at,
		f->password_self_set_at, f->now, f->password_max_age_s)) {
	case AUTH_PASSWORD_TEMPORARY:
		say_no(d, AUTH_SIGNIN_REFUSED, ERROR_DENIED, "password",
			"your password is a temporary one: sign in to the "
			"portal and change it first, then use the new one here");
		return;
	case AUTH_PASSWORD_EXPIRED:
		say_no(d, AUTH_SIGNIN_REFUSED, ERROR_DENIED, "password",
			"your password is more than %lld days old: sign in to "
			"the portal and change it first, then use the new one "
			"here", (long long)(f->password_max_age_s / AUTH_DAY_S));
		return;
	case AUTH_PASSWORD_OK:
		break;
	}
	/*
	 * An admin's password alone must not open a mailbox past the MFA
	 * the portal demands of them: mail programs need an app password,
	 * which only a session that passed MFA can make.
	 */
	if (f->is_admin)
		say_no(d, AUTH_SIGNIN_REFUSED, ERROR_DENIED, "app_password",
			"administrators sign in to mail programs with an app "
			"password, not their own: make one in the portal under "
			"your account (GET /api/v1/me/app-passwords)");
}

static void
decide_switches(const struct auth_signin_facts *f,
	struct auth_signin_decision *d)
{
	if (dir_protocol_is_off(f->person_protocols_off, f->protocol))
		say_no(d, AUTH_SIGNIN_REFUSED, ERROR_DENIED, "protocol",
			"%s is turned off for your account; ask your local "
			"administrator", protocol_words(f->protocol));
	else if (dir_protocol_is_off(f->org_protocols_off, f->protocol))
		say_no(d, AUTH_SIGNIN_REFUSED, ERROR_DENIED, "protocol",
			"%s is turned off for %s; ask your local administrator",
			protocol_words(f->protocol),
			f->org_name != NULL ? f->org_name : "your organisation");
}

void
auth_signin_decide(const struct auth_signin_facts *f,
	struct auth_signin_decision *d)
{
	*d = (struct auth_signin_decision){ .answer = AUTH_SIGNIN_YES,
		.code = ERROR_NONE, .field = "", .reason = "" };
	if (f->credential == AUTH_CREDENTIAL_SESSION) {
		decide_session(f, d);
		return;
	}
	/* Unknown, locked, inactive and wrong: one reply, in this order. */
	if (!f->known) {
		wrong(f, d, "unknown", false);
		return;
	}
	if (f->locked) {
		wrong(f, d, "locked", false);
		return;
	}
	/*
	 * An inactive person's secret is never checked (so it is never
	 * right), and their attempt counts like any wrong one.
	 */
	if (!f->secret_right || !dir_person_can_sign_in(f->status)) {
		wrong(f, d, "wrong_password", true);
		return;
	}
	/* The portal asks for a new password itself (must_change_password). */
	if (is_web(f))
		return;
	if (f->credential == AUTH_CREDENTIAL_PASSWORD)
		decide_own_password_for_mail(f, d);
	if (d->answer == AUTH_SIGNIN_YES)
		decide_switches(f, d);
}

int
auth_signin_refuse(const struct auth_signin_decision *d, struct error *err)
{
	return error_set_field(err, d->code, d->field, "%s", d->sentence);
}
