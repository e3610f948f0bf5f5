/*
 * Portal and API sessions (SPEC P1): sign-in with password and, once
 * enrolled, a TOTP code; lockout after consecutive failures; idle and
 * absolute timeouts; sign-out; changing one's own password. Layer: domain.
 * SECURITY: tokens are 256 bits from the CSPRNG and only their SHA-256 is
 * stored (SECURITY.md 41); failures are audited without the password and
 * unknown, wrong and inactive accounts get one reply (item 38).
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_internal.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/str.h"
#include "dir/dir.h"
#include "store/store_access.h"
#include "store/store_person.h"
#include "store/store_session.h"

#define AUTH_DAY_S 86400

static void
random_hex(char out[AUTH_TOKEN_HEX + 1])
{
	unsigned char raw[AUTH_TOKEN_HEX / 2];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, AUTH_TOKEN_HEX + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}


/* What the person may do: admin (any role held), enrolled, password to
 * change. */
static void
session_flags(const struct dir_ctx *ctx, struct auth_web_session *s,
	const struct store_signin *si, size_t role_count)
{
	int64_t max_age = config_get_int(ctx->config,
		"auth.password_max_age_days") * AUTH_DAY_S;
	s->is_admin = role_count > 0;
	s->mfa_enrolled = si->mfa_enrolled_at != 0;
	s->must_change_password = auth_password_state(
		s->person.password_changed_at, si->password_self_set_at,
		ctx->now, max_age) != AUTH_PASSWORD_OK;
}

static int
session_state(const struct dir_ctx *ctx, struct auth_web_session *s,
	const struct store_signin *si, struct error *err)
{
	struct store_role *roles;
	size_t role_count;
	if (store_role_list(ctx->store, s->person.id, ctx->arena, &roles,
		    &role_count, err) < 0)
		return -1;
	session_flags(ctx, s, si, role_count);
	return 0;
}

/* Accounts locked by failed sign-ins (docs/operations.md): no names. */
static struct metrics_family lockouts = {
	.name = "caremail_lockouts_total",
	.help = "Accounts locked after auth.lockout_failures failed sign-ins "
		"in a row.",
	.type = METRICS_COUNTER,
};
METRICS_REGISTER(lockouts)

void
auth_signin_failed(const struct dir_ctx *ctx, const struct store_person *p,
	const char *reason, const char *peer, const char *protocol, bool count)
{
	struct error inner;
	int64_t failures = 0;
	bool locked = p->locked_at != 0;
	int64_t limit = config_get_int(ctx->config, "auth.lockout_failures");
	if (store_begin(ctx->store, &inner) < 0)
		goto failed;
	if ((count && store_signin_failed(ctx->store, p->id, limit, ctx->now,
		      &failures, &locked, &inner) < 0) ||
	    (locked && store_session_delete_person(ctx->store, p->id,
		      &inner) < 0) ||
	    dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		    json_pack("{s:b,s:s,s:s,s:s,s:I,s:b}", "signin_failed", 1,
			    "reason", reason, "protocol", protocol, "ip",
			    peer != NULL ? peer : "", "failures",
			    (json_int_t)failures, "locked", locked),
		    &inner) < 0) {
		store_rollback(ctx->store);
		goto failed;
	}
	if (store_commit(ctx->store, &inner) < 0)
		goto failed;
	if (locked && p->locked_at == 0) {
		metrics_add(metrics_series(&lockouts, NULL, NULL), 1);
		log_warn("auth.locked", "user=%s failures=%lld protocol=%s",
			p->address, (long long)failures, protocol);
	}
	return;
failed:
	log_error("auth.signin_failed_unrecorded", "user=%s reason=\"%s\"",
		p->address, inner.msg);
}

static int
check_code(const struct dir_ctx *ctx, const struct store_person *p,
	const struct store_signin *si, const char *code, const char **why_r)
{
	unsigned char key[64];
	int n = auth_base32_decode(si->mfa_secret, key, sizeof(key));
	int64_t step = 0;
	bool ok = n > 0 && auth_totp_check(key, (size_t)n, code, ctx->now,
		&step);
	sodium_memzero(key, sizeof(key));
	*why_r = "wrong_code";
	if (!ok)
		return -1;
	struct error inner;
	if (store_mfa_step_use(ctx->store, p->id, step, &inner) < 0) {
		/* SECURITY.md 36: a replayed code is refused and logged. */
		*why_r = "code_reused";
		log_warn("auth.code_reused", "user=%s", p->address);
		return -1;
	}
	return 0;
}

static int
make_session(const struct dir_ctx *ctx, struct auth_web_session *s,
	struct error *err)
{
	char hash[AUTH_TOKEN_HEX + 1];
	random_hex(s->token);
	random_hex(s->csrf_token);
	auth_secret_digest(s->token, hash);
	struct store_session row = {
		.token_hash = hash,
		.csrf_token = s->csrf_token,
		.person_id = s->person.id,
		.created_at = ctx->now,
		.last_seen_at = ctx->now,
	};
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (store_session_insert(ctx->store, &row, err) < 0 ||
	    store_signin_succeeded(ctx->store, s->person.id, err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	if (store_commit(ctx->store, err) < 0)
		return -1;
	s->id = row.id;
	s->created_at = s->last_seen_at = ctx->now;
	return 0;
}

static void
record_device(const struct dir_ctx *ctx, const struct store_person *p,
	const struct auth_web_signin *in)
{
	struct store_device d = {
		.person_id = p->id,
		.protocol = "web",
		.client = in->user_agent != NULL ? in->user_agent : "",
		.address = in->peer != NULL ? in->peer : "",
		.first_seen = ctx->now,
		.last_seen = ctx->now,
	};
	struct error inner;
	if (store_device_seen(ctx->store, &d, &inner) < 0)
		log_warn("auth.device", "user=%s reason=\"%s\"", p->address,
			inner.msg);
}

int
auth_session_signin(const struct dir_ctx *ctx,
	const struct auth_web_signin *in, struct auth_web_session *s_r,
	struct error *err)
{
	memset(s_r, 0, sizeof(*s_r));
	struct store_signin si;
	bool found, right;
	/*
	 * SECURITY.md 26: when the store fails the person is told to try
	 * again later (ERROR_TEMPORARY) and nothing is counted against them.
	 */
	if (auth_password_check(ctx, in->address, in->password, &s_r->person,
		    &found, &right, err) < 0 ||
	    (found && store_signin_get(ctx->store, s_r->person.id, ctx->arena,
			      &si, err) < 0))
		return -1;
	const struct store_person *p = &s_r->person;
	struct auth_signin_facts f = { .protocol = "web",
		.credential = AUTH_CREDENTIAL_PASSWORD,
		.known = found,
		.secret_right = right,
		.status = p->status,
		.locked = p->locked_at != 0,
		.now = ctx->now };
	struct auth_signin_decision d;
	auth_signin_decide(&f, &d);
	if (d.answer != AUTH_SIGNIN_YES) {
		if (!found)
			log_info("auth.signin_failed", "reason=unknown");
		else if (d.answer == AUTH_SIGNIN_WRONG)
			auth_signin_failed(ctx, p, d.reason, in->peer, "web",
				d.count);
		return auth_signin_refuse(&d, err);
	}
	if (si.mfa_enrolled_at != 0) {
		const char *why;
		if (in->code == NULL || in->code[0] == '\0') {
			s_r->mfa_required = true;
			return error_set_field(err, ERROR_DENIED, "code",
				"enter the code from your authenticator app");
		}
		if (check_code(ctx, p, &si, in->code, &why) < 0) {
			/* A wrong code is a wrong secret, with its own reason. */
			f.secret_right = false;
			auth_signin_decide(&f, &d);
			auth_signin_failed(ctx, p, why, in->peer, "web", true);
			return auth_signin_refuse(&d, err);
		}
	}
	if (make_session(ctx, s_r, err) < 0 ||
	    session_state(ctx, s_r, &si, err) < 0)
		return -1;
	s_r->mfa_required = si.mfa_enrolled_at != 0;
	record_device(ctx, p, in);
	s_r->person.last_signin_at = ctx->now;
	log_info("auth.signin", "user=%s protocol=web", p->address);
	return 0;
}

/*
 * A write per request would cost every GET a commit; idle time is kept to
 * within a sixtieth of its limit (30 s of 30 min) instead.
 */
static int64_t
touched_within(int64_t idle)
{
	return idle / 60;
}

int
auth_session_memory_s(const struct config *c)
{
	int64_t idle = config_get_int(c, "session.idle_timeout_s");
	int64_t most = idle - touched_within(idle) - 1;
	int64_t want = config_get_int(c, "store.session_cache_s");
	return (int)(want < most ? want : most > 0 ? most : 0);
}

int
auth_session_find(const struct dir_ctx *ctx, const char *token,
	bool to_read, struct auth_web_session *s_r, struct error *err)
{
	memset(s_r, 0, sizeof(*s_r));
	if (token == NULL || strlen(token) != AUTH_TOKEN_HEX)
		return error_set(err, ERROR_NOT_FOUND, "you are not signed in");
	char hash[AUTH_TOKEN_HEX + 1];
	auth_secret_digest(token, hash);
	struct store_session row;
	struct store_signin si;
	struct store_role *roles;
	size_t role_count;
	struct error inner;
	/*
	 * The session, its person, their sign-in state and roles in one
	 * read: every signed-in request starts with it (bench B5 on
	 * PostgreSQL, where each statement is a round trip).
	 */
	if (store_session_find(ctx->store, hash, to_read, ctx->arena, &row,
		    &s_r->person, &si, &roles, &role_count, &inner) < 0) {
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		return error_set(err, ERROR_NOT_FOUND,
			"you are not signed in, or your session has ended");
	}
	int64_t idle = config_get_int(ctx->config, "session.idle_timeout_s");
	int64_t absolute = config_get_int(ctx->config,
		"session.absolute_timeout_s");
	if (ctx->now - row.last_seen_at > idle ||
	    ctx->now - row.created_at > absolute) {
		if (store_session_delete(ctx->store, row.id, err) < 0)
			return -1;
		return error_set(err, ERROR_NOT_FOUND,
			"your session has timed out; sign in again");
	}
	struct auth_signin_facts f = { .protocol = "web",
		.credential = AUTH_CREDENTIAL_SESSION,
		.known = true,
		.secret_right = true,
		.status = s_r->person.status,
		.locked = s_r->person.locked_at != 0,
		.now = ctx->now };
	struct auth_signin_decision d;
	auth_signin_decide(&f, &d);
	if (d.answer != AUTH_SIGNIN_YES) {
		if (store_session_delete(ctx->store, row.id, err) < 0)
			return -1;
		return auth_signin_refuse(&d, err);
	}
	if (ctx->now - row.last_seen_at > touched_within(idle) &&
	    store_session_touch(ctx->store, row.id, ctx->now, err) < 0)
		return -1;
	s_r->id = row.id;
	if (str_copy(s_r->csrf_token, sizeof(s_r->csrf_token),
		    row.csrf_token) < 0)
		return error_set(err, ERROR_INTERNAL, "a stored CSRF token "
			"is longer than any we make");
	s_r->created_at = row.created_at;
	s_r->last_seen_at = ctx->now;
	session_flags(ctx, s_r, &si, role_count);
	/*
	 * A request that changes nothing checks its access with the roles
	 * read here (bench B9 on PostgreSQL: a round trip less); a change
	 * reads them afresh from the store, so a role taken away through
	 * another node never lets anything change.
	 */
	s_r->roles = to_read ? roles : NULL;
	s_r->role_count = to_read ? role_count : 0;
	return 0;
}

int
auth_session_end(const struct dir_ctx *ctx, int64_t session_id,
	struct error *err)
{
	return store_session_delete(ctx->store, session_id, err);
}

static int
change_own_tx(const struct dir_ctx *ctx, const struct store_person *p,
	const char *hash, struct error *err)
{
	/* L7: a password change wakes an Inactive account at once. */
	struct store_person woken = *p;
	if (store_password_self_set(ctx->store, p->id, hash, ctx->now,
		    err) < 0 ||
	    dir_person_wake(ctx, &woken, "changed the password", err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		json_pack("{s:b,s:b}", "password_set", 1, "by_self", 1), err);
}

int
auth_password_change_own(const struct dir_ctx *ctx,
	const struct store_person *p, const char *current,
	const char *new_password, struct error *err)
{
	struct error inner;
	if (auth_password_verify(ctx, p->address, current, &inner) < 0) {
		if (auth_is_fault(&inner))
			return error_forward(err, &inner);
		return error_set_field(err, ERROR_DENIED, "current",
			"the current password is not right");
	}
	struct auth_password_owner owner = AUTH_PASSWORD_OWNER(p);
	if (auth_password_check_policy(new_password, &owner, &inner) < 0) {
		error_forward(err, &inner);
		str_copy(err->field, sizeof(err->field), "new");
		return -1;
	}
	if (strcmp(current, new_password) == 0)
		return error_set_field(err, ERROR_INVALID, "new",
			"the new password must differ from the current one");
	char hash[AUTH_HASH_MAX];
	if (auth_password_hash(new_password, hash, err) < 0)
		return -1;
	int rc = store_begin(ctx->store, err);
	if (rc == 0 && change_own_tx(ctx, p, hash, err) < 0) {
		store_rollback(ctx->store);
		rc = -1;
	} else if (rc == 0) {
		rc = store_commit(ctx->store, err);
	}
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

static int
unlock_tx(const struct dir_ctx *ctx, const char *address, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	if (store_signin_unlock(ctx->store, p.id, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p.id, p.org_id,
		json_pack("{s:b, s:s}", "unlocked", 1, "status",
			dir_person_status_name(p.status)), err);
}

int
auth_unlock(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (unlock_tx(ctx, address, err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}
