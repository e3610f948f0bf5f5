/*
 * TOTP, the second factor every admin role needs (SPEC P1, SECURITY.md item
 * 36): HOTP codes (RFC 4226 §5.3) over 30-second steps (RFC 6238 §4),
 * HMAC-SHA-1 by GnuTLS, base32 secrets (RFC 4648 §6), enrolment and the
 * used-once rule. Layer: domain.
 * SECURITY: the secret is stored as base32 in the people table, readable by
 * whoever reads the database (to encrypt at rest later); it is never logged.
 */
#include <gnutls/crypto.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"
#include "store/store.h"
#include "store/store_session.h"

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint32_t
auth_totp_code(const unsigned char *key, size_t key_len, uint64_t counter,
	unsigned digits)
{
	unsigned char msg[8], mac[20];
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (digits < 1 || digits > 9 ||
	    gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, key_len, msg, sizeof(msg),
		    mac) != 0)
		abort();	/* a bug, or a crypto library without SHA-1 */
	/* RFC 4226 §5.3: dynamic truncation. */
	unsigned offset = mac[19] & 0x0f;
	uint32_t bin = (uint32_t)(mac[offset] & 0x7f) << 24 |
		(uint32_t)mac[offset + 1] << 16 |
		(uint32_t)mac[offset + 2] << 8 | (uint32_t)mac[offset + 3];
	uint32_t mod = 1;
	for (unsigned i = 0; i < digits; i++)
		mod *= 10;
	sodium_memzero(mac, sizeof(mac));
	return bin % mod;
}

bool
auth_totp_check(const unsigned char *key, size_t key_len, const char *code,
	int64_t now, int64_t *step_r)
{
	if (code == NULL || strlen(code) != AUTH_TOTP_DIGITS || now < 0)
		return false;
	uint32_t want = 0;
	for (size_t i = 0; i < AUTH_TOTP_DIGITS; i++) {
		if (code[i] < '0' || code[i] > '9')
			return false;
		want = want * 10 + (uint32_t)(code[i] - '0');
	}
	int64_t step = now / AUTH_TOTP_STEP_S;
	bool found = false;
	/* RFC 6238 §5.2: one step of clock drift either way. Every step is
	 * computed, so the time taken does not say which one matched. */
	for (int64_t s = step - 1; s <= step + 1; s++) {
		if (s < 0)
			continue;
		uint32_t got = auth_totp_code(key, key_len, (uint64_t)s,
			AUTH_TOTP_DIGITS);
		if (got == want && !found) {
			found = true;
			*step_r = s;
		}
	}
	return found;
}

int
auth_base32_encode(const unsigned char *in, size_t len, char *out,
	size_t size)
{
	size_t need = (len * 8 + 4) / 5 + 1, o = 0;
	if (size < need)
		return -1;
	uint32_t buffer = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		buffer = buffer << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = base32_alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = base32_alphabet[(buffer << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int
auth_base32_decode(const char *in, unsigned char *out, size_t size)
{
	uint32_t buffer = 0;
	int bits = 0;
	size_t o = 0;
	for (const char *p = in; *p != '\0'; p++) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
		const char *at = c != '\0' ? strchr(base32_alphabet, c) : NULL;
		if (at == NULL)
			return -1;
		buffer = buffer << 5 | (uint32_t)(at - base32_alphabet);
		bits += 5;
		if (bits >= 8) {
			if (o == size)
				return -1;
			out[o++] = (unsigned char)(buffer >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)o;
}

int
auth_mfa_begin(const struct dir_ctx *ctx, const struct store_person *p,
	const char **secret_r, const char **uri_r, struct error *err)
{
	struct store_signin si;
	if (store_signin_get(ctx->store, p->id, ctx->arena, &si, err) < 0)
		return -1;
	if (si.mfa_enrolled_at != 0)
		return error_set(err, ERROR_EXISTS,
			"two-factor sign-in is already set up and cannot be "
			"changed here");
	unsigned char key[AUTH_TOTP_KEY_BYTES];
	char secret[64];
	randombytes_buf(key, sizeof(key));
	if (auth_base32_encode(key, sizeof(key), secret, sizeof(secret)) < 0)
		abort();	/* 20 bytes always fit in 64 */
	sodium_memzero(key, sizeof(key));
	int rc = store_mfa_secret_set(ctx->store, p->id, secret, err);
	if (rc == 0) {
		*secret_r = arena_strdup(ctx->arena, secret);
		/* Key URI format: otpauth://totp/ISSUER:ACCOUNT?secret=&issuer= */
		*uri_r = arena_printf(ctx->arena,
			"otpauth://totp/caremail:%s?secret=%s&issuer=caremail"
			"&algorithm=SHA1&digits=%d&period=%d", p->address,
			secret, AUTH_TOTP_DIGITS, AUTH_TOTP_STEP_S);
		if (*secret_r == NULL || *uri_r == NULL)
			rc = error_set(err, ERROR_LIMIT,
				"the request ran out of memory");
	}
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

static int
mfa_confirm_tx(const struct dir_ctx *ctx, const struct store_person *p,
	const char *code, struct error *err)
{
	struct store_signin si;
	if (store_signin_get(ctx->store, p->id, ctx->arena, &si, err) < 0)
		return -1;
	if (si.mfa_enrolled_at != 0)
		return error_set(err, ERROR_EXISTS,
			"two-factor sign-in is already set up");
	if (si.mfa_secret[0] == '\0')
		return error_set(err, ERROR_NOT_FOUND,
			"start setting up two-factor sign-in first: "
			"POST /api/v1/me/mfa");
	unsigned char key[64];
	int n = auth_base32_decode(si.mfa_secret, key, sizeof(key));
	int64_t step = 0;
	bool ok = n > 0 && auth_totp_check(key, (size_t)n, code, ctx->now,
		&step);
	sodium_memzero(key, sizeof(key));
	if (!ok)
		return error_set_field(err, ERROR_INVALID, "code",
			"that code is not right; check the time on your device "
			"and try the current code");
	if (store_mfa_step_use(ctx->store, p->id, step, err) < 0 ||
	    store_mfa_enrol(ctx->store, p->id, ctx->now, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		json_pack("{s:b}", "mfa_enrolled", 1), err);
}

int
auth_mfa_confirm(const struct dir_ctx *ctx, const struct store_person *p,
	const char *code, struct error *err)
{
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (mfa_confirm_tx(ctx, p, code, err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}
