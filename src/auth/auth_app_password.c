/*
 * App passwords (SECURITY.md 43): what a person — and every admin, whose
 * own password opens no mailbox — gives a mail program for IMAP, POP3 and
 * SMTP. Made only in a session that passed MFA, shown once, revocable,
 * listed without secrets, audited. Layer: domain.
 *
 * SECURITY: the secret is 24 characters from the CSPRNG (about 140 bits),
 * so it is kept as a plain SHA-256, not Argon2id: a slow hash only helps
 * a secret a person chose, which can be guessed; this one cannot be, and
 * a fast hash lets a sign-in find it by an indexed lookup instead of one
 * Argon2id run (19 MiB, ~50 ms) per app password the person has.
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_internal.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"
#include "store/store_app_password.h"
#include "store/store_session.h"

static int
check_label(const char *label, struct error *err)
{
	size_t len = label != NULL ? strlen(label) : 0;
	if (len == 0 || len > AUTH_APP_LABEL_MAX)
		return error_set_field(err, ERROR_INVALID, "label",
			"give the app password a label of 1 to %d characters, "
			"such as \"Outlook on my laptop\"", AUTH_APP_LABEL_MAX);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return error_set_field(err, ERROR_INVALID, "label",
				"a label cannot hold control characters");
	}
	return 0;
}

static int
create_tx(const struct dir_ctx *ctx, const struct store_person *p,
	struct store_app_password *a, struct error *err)
{
	struct store_app_password *list;
	size_t n;
	if (store_app_password_list(ctx->store, p->id, ctx->arena, &list, &n,
		    err) < 0)
		return -1;
	if (n >= AUTH_APP_PASSWORDS_MAX)
		return error_set(err, ERROR_LIMIT, "you have %d app passwords "
			"already; revoke one you no longer use first",
			AUTH_APP_PASSWORDS_MAX);
	struct error inner;
	if (store_app_password_insert(ctx->store, a, &inner) < 0) {
		if (inner.code == ERROR_EXISTS)
			return error_set_field(err, ERROR_EXISTS, "label",
				"you have an app password labelled \"%s\" "
				"already", a->label);
		return error_forward(err, &inner);
	}
	return dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		json_pack("{s:b,s:I,s:s}", "app_password_created", 1,
			"app_password_id", (json_int_t)a->id, "label",
			a->label), err);
}

int
auth_app_password_create(const struct dir_ctx *ctx,
	const struct store_person *p, const char *label,
	struct store_app_password *a_r, char *secret, size_t size,
	struct error *err)
{
	struct store_signin si;
	if (size < AUTH_APP_PASSWORD_LEN + 1)
		return error_set(err, ERROR_INTERNAL,
			"no room for an app password");
	if (check_label(label, err) < 0 ||
	    store_signin_get(ctx->store, p->id, ctx->arena, &si, err) < 0)
		return -1;
	/* A session exists only past the code once MFA is enrolled. */
	if (si.mfa_enrolled_at == 0)
		return error_set_field(err, ERROR_DENIED, "mfa",
			"set up two-factor sign-in first (POST /api/v1/me/mfa): "
			"app passwords are made only after it");
	char hash[65];
	auth_password_generate(secret, AUTH_APP_PASSWORD_LEN);
	auth_secret_digest(secret, hash);
	*a_r = (struct store_app_password){
		.person_id = p->id,
		.label = label,
		.secret_hash = hash,
		.created_at = ctx->now,
		.last_used_protocol = "",
	};
	int rc = store_begin(ctx->store, err);
	if (rc == 0 && create_tx(ctx, p, a_r, err) < 0) {
		store_rollback(ctx->store);
		rc = -1;
	} else if (rc == 0) {
		rc = store_commit(ctx->store, err);
	}
	a_r->secret_hash = "";
	if (rc < 0) {
		sodium_memzero(secret, size);
		return -1;
	}
	log_info("auth.app_password_created", "user=%s id=%lld", p->address,
		(long long)a_r->id);
	return 0;
}

int
auth_app_password_list(const struct dir_ctx *ctx, const char *address,
	struct store_app_password **list_r, size_t *count_r,
	struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0 ||
	    store_app_password_list(ctx->store, p.id, ctx->arena, list_r,
		    count_r, err) < 0)
		return -1;
	/* Nobody needs the hashes: they never leave the domain. */
	for (size_t i = 0; i < *count_r; i++)
		(*list_r)[i].secret_hash = "";
	return 0;
}

static int
revoke_tx(const struct dir_ctx *ctx, const char *address, int64_t id,
	struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0 ||
	    store_app_password_delete(ctx->store, p.id, id, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p.id, p.org_id,
		json_pack("{s:b,s:I}", "app_password_revoked", 1,
			"app_password_id", (json_int_t)id), err);
}

int
auth_app_password_revoke(const struct dir_ctx *ctx, const char *address,
	int64_t id, struct error *err)
{
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (revoke_tx(ctx, address, id, err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}
