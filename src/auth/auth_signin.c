/*
 * Signing in to IMAP, POP3 and SMTP submission: app passwords, the
 * person's own password and when it may not be used, account state and
 * the lock, protocol switches (SPEC A4), and the devices list (SPEC A7).
 * Layer: domain. SECURITY.md 26 (a failing store is a temporary failure,
 * never a wrong password), 38 (one reply for every wrong case; failures
 * count toward the lock), 43 (a temporary password, or an admin's own
 * password, opens no mailbox).
 */
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_internal.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"
#include "store/store_access.h"
#include "store/store_app_password.h"
#include "store/store_org.h"
#include "store/store_person.h"
#include "store/store_session.h"

#define AUTH_DAY_S 86400

static const char wrong_words[] = "the address or password is not right";

static const char *
protocol_name(const char *protocol)
{
	if (strcmp(protocol, "imap") == 0)
		return "IMAP";
	if (strcmp(protocol, "pop3") == 0)
		return "POP";
	return "sending mail (SMTP)";
}

static int
check_switches(const struct dir_ctx *ctx, const struct store_person *p,
	const char *protocol, struct error *err)
{
	if (dir_protocol_is_off(p->protocols_off, protocol))
		return error_set_field(err, ERROR_DENIED, "protocol",
			"%s is turned off for your account; ask your local "
			"administrator", protocol_name(protocol));
	struct store_org org;
	if (store_org_get(ctx->store, p->org_id, ctx->arena, &org, err) < 0)
		return -1;
	if (dir_protocol_is_off(org.protocols_off, protocol))
		return error_set_field(err, ERROR_DENIED, "protocol",
			"%s is turned off for %s; ask your local administrator",
			protocol_name(protocol), org.name);
	return 0;
}

/* 1 when secret is one of the person's app passwords, 0 not, -1 fault. */
static int
app_password_matches(const struct dir_ctx *ctx, const struct store_person *p,
	const char *secret, const char *protocol, struct error *err)
{
	if (secret == NULL || strlen(secret) != AUTH_APP_PASSWORD_LEN)
		return 0;
	char hash[65];
	auth_secret_digest(secret, hash);
	struct store_app_password a;
	struct error inner;
	if (store_app_password_find(ctx->store, p->id, hash, ctx->arena, &a,
		    &inner) < 0) {
		if (auth_is_fault(&inner))
			return error_forward(err, &inner);
		return 0;
	}
	/* A sign-in that cannot be recorded is still a good sign-in. */
	if (store_app_password_touch(ctx->store, a.id, ctx->now, protocol,
		    &inner) < 0)
		log_warn("auth.app_password_touch", "user=%s reason=\"%s\"",
			p->address, inner.msg);
	return 1;
}

/* Why a right password still opens no mailbox, or 0 when it may. */
static int
own_password_usable(const struct dir_ctx *ctx, const struct store_person *p,
	const struct store_signin *si, struct error *err)
{
	int64_t max_age = config_get_int(ctx->config,
		"auth.password_max_age_days");
	switch (auth_password_state(p->password_changed_at,
		si->password_self_set_at, ctx->now, max_age * AUTH_DAY_S)) {
	case AUTH_PASSWORD_TEMPORARY:
		return error_set_field(err, ERROR_DENIED, "password",
			"your password is a temporary one: sign in to the "
			"portal and change it first, then use the new one here");
	case AUTH_PASSWORD_EXPIRED:
		return error_set_field(err, ERROR_DENIED, "password",
			"your password is more than %lld days old: sign in to "
			"the portal and change it first, then use the new one "
			"here", (long long)max_age);
	case AUTH_PASSWORD_OK:
		break;
	}
	/*
	 * An admin's password alone must not open a mailbox past the MFA
	 * the portal demands of them: mail programs need an app password,
	 * which only a session that passed MFA can make.
	 */
	struct store_role *roles;
	size_t n;
	if (store_role_list(ctx->store, p->id, ctx->arena, &roles, &n,
		    err) < 0)
		return -1;
	if (n > 0)
		return error_set_field(err, ERROR_DENIED, "app_password",
			"administrators sign in to mail programs with an app "
			"password, not their own: make one in the portal under "
			"your account (GET /api/v1/me/app-passwords)");
	return 0;
}

static void
record_success(const struct dir_ctx *ctx, const struct store_person *p,
	const struct store_signin *si, const struct auth_client *client)
{
	struct store_device d = {
		.person_id = p->id,
		.protocol = client->protocol,
		.client = client->client != NULL ? client->client : "",
		.address = client->address != NULL ? client->address : "",
		.first_seen = ctx->now,
		.last_seen = ctx->now,
	};
	struct error inner;
	/* A sign-in that cannot be recorded is still a good sign-in. */
	if (store_device_seen(ctx->store, &d, &inner) < 0)
		log_warn("auth.device", "user=%s reason=\"%s\"", p->address,
			inner.msg);
	/* Only after failures, so an ordinary sign-in writes nothing more. */
	if (si->failed_signins > 0 &&
	    store_signin_succeeded(ctx->store, p->id, &inner) < 0)
		log_warn("auth.signin_reset", "user=%s reason=\"%s\"",
			p->address, inner.msg);
}

int
auth_signin(const struct dir_ctx *ctx, const char *address,
	const char *password, const struct auth_client *client,
	struct store_person *p_r, struct error *err)
{
	struct store_signin si;
	struct error inner;
	bool found = false, right = false;
	int app = 0;
	if (dir_person_get(ctx, address, p_r, &inner) < 0) {
		if (auth_is_fault(&inner))
			return error_forward(err, &inner);
	} else if (strcmp(p_r->status, "active") == 0 && p_r->locked_at == 0) {
		/* An app password is checked first: it needs no Argon2id. */
		app = app_password_matches(ctx, p_r, password, client->protocol,
			err);
		if (app < 0)
			return -1;
	}
	if (app == 0 && auth_password_check(ctx, address, password, p_r,
				&found, &right, err) < 0)
		return -1;
	if ((app == 1 || found) &&
	    store_signin_get(ctx->store, p_r->id, ctx->arena, &si, err) < 0)
		return -1;
	if (app == 0) {
		if (!found)
			return error_set(err, ERROR_DENIED, wrong_words);
		if (p_r->locked_at != 0) {
			auth_signin_failed(ctx, p_r, "locked", client->address,
				client->protocol, false);
			return error_set(err, ERROR_DENIED, wrong_words);
		}
		if (!right) {
			auth_signin_failed(ctx, p_r, "wrong_password",
				client->address, client->protocol, true);
			return error_set(err, ERROR_DENIED, wrong_words);
		}
		if (own_password_usable(ctx, p_r, &si, err) < 0)
			return -1;
	}
	if (check_switches(ctx, p_r, client->protocol, err) < 0)
		return -1;
	record_success(ctx, p_r, &si, client);
	p_r->last_signin_at = ctx->now;
	return 0;
}
