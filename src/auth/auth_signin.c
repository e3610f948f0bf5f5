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

/*
 * What the rule needs beyond the person and their failures: their roles
 * and org, read only for a right secret, when the answer may hang on them.
 */
static int
read_facts(const struct dir_ctx *ctx, const struct store_person *p,
	const struct store_signin *si, struct auth_signin_facts *f,
	struct error *err)
{
	f->status = p->status;
	f->locked = p->locked_at != 0;
	f->password_changed_at = p->password_changed_at;
	f->password_self_set_at = si->password_self_set_at;
	f->password_max_age_s = config_get_int(ctx->config,
		"auth.password_max_age_days") * AUTH_DAY_S;
	f->person_protocols_off = p->protocols_off;
	if (!f->secret_right)
		return 0;
	struct store_role *roles;
	size_t n;
	struct store_org org;
	if (store_role_list(ctx->store, p->id, ctx->arena, &roles, &n,
		    err) < 0 ||
	    store_org_get(ctx->store, p->org_id, ctx->arena, &org, err) < 0)
		return -1;
	f->is_admin = n > 0;
	f->org_protocols_off = org.protocols_off;
	f->org_name = org.name;
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
	struct store_signin si = { 0 };
	struct error inner;
	bool found = false, right = false;
	int app = 0;
	if (dir_person_get(ctx, address, p_r, &inner) < 0) {
		if (auth_is_fault(&inner))
			return error_forward(err, &inner);
	} else if ((dir_person_can_sign_in(p_r->status) ||
		       p_r->status == STORE_PERSON_INACTIVE) &&
		   p_r->locked_at == 0) {
		/* An app password is checked first: it needs no Argon2id. */
		app = app_password_matches(ctx, p_r, password, client->protocol,
			err);
		if (app < 0)
			return -1;
	}
	if (app == 0 && auth_password_check(ctx, address, password, p_r,
				&found, &right, err) < 0)
		return -1;
	struct auth_signin_facts f = {
		.protocol = client->protocol,
		.credential = app == 1 ? AUTH_CREDENTIAL_APP_PASSWORD :
					 AUTH_CREDENTIAL_PASSWORD,
		.known = app == 1 || found,
		.secret_right = app == 1 || right,
		.now = ctx->now,
	};
	if (f.known &&
	    (store_signin_get(ctx->store, p_r->id, ctx->arena, &si, err) < 0 ||
		    read_facts(ctx, p_r, &si, &f, err) < 0))
		return -1;
	/* L7: the right secret wakes an Inactive account at once. */
	bool waking = f.known && f.status == STORE_PERSON_INACTIVE;
	if (waking)
		f.status = STORE_PERSON_ACTIVE;
	struct auth_signin_decision d;
	auth_signin_decide(&f, &d);
	if (d.answer == AUTH_SIGNIN_WRONG && f.known)
		auth_signin_failed(ctx, p_r, d.reason, client->address,
			client->protocol, d.count);
	if (d.answer != AUTH_SIGNIN_YES)
		return auth_signin_refuse(&d, err);
	if (waking && (dir_begin(ctx, err) < 0 ||
		    dir_finish(ctx, dir_person_wake(ctx, p_r, "signed in",
			    err), err) < 0))
		return -1;
	record_success(ctx, p_r, &si, client);
	p_r->last_signin_at = ctx->now;
	return 0;
}
