/*
 * Passwords an admin gives someone else (SPEC P3): a temporary password
 * for a new person and on a reset, made from the CSPRNG, shown once to the
 * admin, and — since the person did not choose it — to be changed at their
 * next sign-in. Layer: domain.
 * SECURITY: the password is audited as a fact, never as text, and a reset
 * ends the person's sessions, as it is often made for a compromised one.
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "dir/dir.h"
#include "store/store.h"
#include "store/store_app_password.h"
#include "store/store_person.h"
#include "store/store_session.h"

static int
set_temporary(const struct dir_ctx *ctx, const struct store_person *p,
	char *password, size_t size, struct error *err)
{
	if (size < AUTH_TEMP_PASSWORD_LEN + 1)
		return error_set(err, ERROR_INTERNAL,
			"no room for a temporary password");
	auth_password_generate(password, AUTH_TEMP_PASSWORD_LEN);
	char hash[AUTH_HASH_MAX];
	int rc = auth_password_hash(password, hash, err);
	if (rc == 0)
		rc = store_person_password_set(ctx->store, p->id, hash, ctx->now,
			err);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

static int
reset_tx(const struct dir_ctx *ctx, const char *address, char *password,
	size_t size, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	if (p.deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND, "%s has been deleted",
			p.address);
	/*
	 * A reset is often made for a compromised account: its sessions and
	 * app passwords end with it, so whoever took it over is shut out.
	 */
	if (set_temporary(ctx, &p, password, size, err) < 0 ||
	    store_session_delete_person(ctx->store, p.id, err) < 0 ||
	    store_app_password_delete_person(ctx->store, p.id, NULL, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p.id, p.org_id,
		json_pack("{s:b, s:b}", "password_reset", 1,
			"must_change_password", 1), err);
}

int
auth_password_reset(const struct dir_ctx *ctx, const char *address,
	char *password, size_t size, struct error *err)
{
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (reset_tx(ctx, address, password, size, err) < 0) {
		store_rollback(ctx->store);
		sodium_memzero(password, size);
		return -1;
	}
	return store_commit(ctx->store, err);
}

static int
create_tx(const struct dir_ctx *ctx, const struct dir_person_fields *in,
	struct store_person *p_r, char *password, size_t size,
	struct error *err)
{
	if (dir_person_add(ctx, in, p_r, err) < 0 ||
	    set_temporary(ctx, p_r, password, size, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p_r->id, p_r->org_id,
		json_pack("{s:b, s:b}", "password_set", 1,
			"must_change_password", 1), err);
}

int
auth_person_create(const struct dir_ctx *ctx,
	const struct dir_person_fields *in, struct store_person *p_r,
	char *password, size_t size, struct error *err)
{
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (create_tx(ctx, in, p_r, password, size, err) < 0) {
		store_rollback(ctx->store);
		sodium_memzero(password, size);
		return -1;
	}
	return store_commit(ctx->store, err);
}
