/*
 * Forgotten passwords and self-service unlock (SPEC P11, seeds 001 and
 * 003): three security answers together with a one-time code sent by SMS
 * (SECURITY.md item 39). Layer: domain.
 * SECURITY: the start reply never tells whether an address has an
 * account (decoy questions are stable per address, keyed by an instance
 * secret); codes are 6 digits from the CSPRNG, stored salted and hashed,
 * tied to the latest request, expire, are spent once and die after
 * auth.recovery_code_attempts wrong tries; answers and codes are never
 * logged.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_internal.h"
#include "auth/auth_recovery.h"
#include "auth/auth_sms.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "store/store.h"
#include "store/store_app_password.h"
#include "store/store_selfsvc.h"
#include "store/store_session.h"

#define CODE_DIGITS 6
#define SALT_HEX 32
#define HASH_HEX (crypto_hash_sha256_BYTES * 2)
#define CODE_HASH_LEN (SALT_HEX + 1 + HASH_HEX)

static const char failed_words[] = "the answers or the code are not right, "
	"or the code has expired; check them, or start again for a new code";

/* ---- codes ---- */

static void
code_digest(const char *salt_hex, const char *code, char out[HASH_HEX + 1])
{
	auth_pair_digest(salt_hex, ':', code, out);
}

/* "salt$digest" for a fresh code. */
static void
code_hash(const char *code, char out[CODE_HASH_LEN + 1])
{
	unsigned char salt[SALT_HEX / 2];
	randombytes_buf(salt, sizeof(salt));
	sodium_bin2hex(out, SALT_HEX + 1, salt, sizeof(salt));
	out[SALT_HEX] = '$';
	char salt_hex[SALT_HEX + 1];
	memcpy(salt_hex, out, SALT_HEX);
	salt_hex[SALT_HEX] = '\0';
	code_digest(salt_hex, code, out + SALT_HEX + 1);
}

static bool
code_matches(const char *stored, const char *code)
{
	if (code == NULL || strlen(stored) != CODE_HASH_LEN ||
	    stored[SALT_HEX] != '$')
		return false;
	char salt_hex[SALT_HEX + 1], digest[HASH_HEX + 1];
	memcpy(salt_hex, stored, SALT_HEX);
	salt_hex[SALT_HEX] = '\0';
	code_digest(salt_hex, code, digest);
	return sodium_memcmp(digest, stored + SALT_HEX + 1, HASH_HEX) == 0;
}

/* ---- decoys: the same three questions for an address every time ---- */

static int
decoy_questions(const struct dir_ctx *ctx, const char *address,
	const char ***questions_r, struct error *err)
{
	const char **choices;
	size_t n;
	char fresh[65];
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(fresh, sizeof(fresh), raw, sizeof(raw));
	const char *key;
	if (auth_questions_choices(ctx, &choices, &n, err) < 0 ||
	    store_secret_get(ctx->store, "recovery_decoy_key", fresh,
		    ctx->arena, &key, err) < 0)
		return -1;
	if (n < STORE_SECURITY_ANSWERS)
		return error_set(err, ERROR_INTERNAL, "auth.security_questions "
			"lists fewer than three questions");
	char lower[320];
	str_copy(lower, sizeof(lower), address);
	str_lower_inplace(lower);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
		strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)lower,
		strlen(lower));
	crypto_auth_hmacsha256_final(&st, mac);
	const char **out = arena_alloc(ctx->arena,
		STORE_SECURITY_ANSWERS * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	/* Each byte picks among the questions not yet taken. */
	bool taken[64] = { false };
	for (size_t i = 0, b = 0; i < STORE_SECURITY_ANSWERS; i++, b++) {
		size_t k = mac[b] % (n - i), idx = 0;
		for (;; idx++) {
			if (!taken[idx] && k-- == 0)
				break;
		}
		taken[idx] = true;
		out[i] = choices[idx];
	}
	*questions_r = out;
	return 0;
}

/* ---- start ---- */

/* Who recovery can help: an active account with three answers. */
static bool
usable_person(const struct dir_ctx *ctx, const char *address,
	struct store_person *p, struct store_security_answer **answers_r)
{
	struct error inner;
	size_t n;
	return dir_person_get(ctx, address, p, &inner) == 0 &&
		dir_person_can_sign_in(p->status) &&
		store_security_answers_get(ctx->store, p->id, ctx->arena,
			answers_r, &n, &inner) == 0 &&
		n == STORE_SECURITY_ANSWERS;
}

static int
send_code(const struct dir_ctx *ctx, struct auth_sms *sms,
	const struct store_person *p, struct error *err)
{
	char code[CODE_DIGITS + 1], hash[CODE_HASH_LEN + 1];
	snprintf(code, sizeof(code), "%06u",
		(unsigned)randombytes_uniform(1000000));
	code_hash(code, hash);
	int64_t ttl = config_get_int(ctx->config, "auth.recovery_code_ttl_s");
	struct store_recovery_code c = {
		.person_id = p->id,
		.code_hash = hash,
		.created_at = ctx->now,
		.expires_at = ctx->now + ttl,
	};
	int rc = store_begin(ctx->store, err);
	if (rc == 0) {
		if (store_recovery_code_set(ctx->store, &c, err) < 0 ||
		    dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
			    json_pack("{s:b}", "recovery_code_sent", 1),
			    err) < 0) {
			store_rollback(ctx->store);
			rc = -1;
		} else {
			rc = store_commit(ctx->store, err);
		}
	}
	if (rc == 0) {
		char text[160];
		snprintf(text, sizeof(text), "Your caremail recovery code is "
			"%s. It expires in %lld minutes. Never share it.", code,
			(long long)((ttl + 59) / 60));
		rc = auth_sms_send(sms, p->mobile, text, err);
		sodium_memzero(text, sizeof(text));
	}
	sodium_memzero(code, sizeof(code));
	return rc;
}

int
auth_recovery_start(const struct dir_ctx *ctx, struct auth_sms *sms,
	const char *address, const char ***questions_r, struct error *err)
{
	struct store_person p;
	struct store_security_answer *answers;
	if (!usable_person(ctx, address, &p, &answers)) {
		log_info("auth.recovery_start", "result=no_usable_account");
		return decoy_questions(ctx, address, questions_r, err);
	}
	const char **out = arena_alloc(ctx->arena,
		STORE_SECURITY_ANSWERS * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	for (size_t i = 0; i < STORE_SECURITY_ANSWERS; i++)
		out[i] = answers[i].question;
	*questions_r = out;
	if (p.mobile[0] == '\0') {
		log_info("auth.recovery_start", "user=%s result=no_mobile",
			p.address);
		return 0;
	}
	struct error inner;
	/* Same reply either way: a gateway fault is for the operator. */
	if (send_code(ctx, sms, &p, &inner) < 0)
		log_error("auth.recovery_sms_failed", "user=%s reason=\"%s\"",
			p.address, inner.msg);
	else
		log_info("auth.recovery_start", "user=%s result=code_sent",
			p.address);
	return 0;
}

/* ---- proof: answers and code ---- */

/*
 * Whether all three answers are right. Always three Argon2id checks, with
 * a throwaway hash where there is nothing to check, so time tells nothing.
 */
static bool
answers_right(const struct store_security_answer *stored,
	size_t stored_count, const struct auth_answer *given, size_t count)
{
	const char *decoy = auth_password_decoy();
	bool ok = count == STORE_SECURITY_ANSWERS &&
		stored_count == STORE_SECURITY_ANSWERS;
	for (size_t i = 0; i < STORE_SECURITY_ANSWERS; i++) {
		const char *hash = decoy;
		const char *answer = i < count ? given[i].answer : "";
		for (size_t j = 0; ok && j < stored_count; j++) {
			if (i < count &&
			    strcmp(stored[j].question, given[i].question) == 0)
				hash = stored[j].answer_hash;
		}
		for (size_t j = 0; j < i && i < count; j++) {
			if (strcmp(given[j].question, given[i].question) == 0)
				ok = false;
		}
		char norm[AUTH_ANSWER_MAX * 2];
		bool match = auth_answer_normalise(answer, norm,
			sizeof(norm)) == 0 &&
			crypto_pwhash_str_verify(hash, norm, strlen(norm)) == 0;
		sodium_memzero(norm, sizeof(norm));
		ok = ok && hash != decoy && match;
	}
	return ok;
}

/* What a recovery request proved. */
struct proof {
	struct store_person p;
	bool known;		/* an active account with answers */
	bool code_live;		/* a code exists, unspent, in time, not overtried */
	bool code_right;
	bool answers_right;
};

static void
prove(const struct dir_ctx *ctx, const char *address,
	const struct auth_answer *answers, size_t count, const char *code,
	struct proof *pr)
{
	memset(pr, 0, sizeof(*pr));
	struct store_security_answer *stored = NULL;
	size_t stored_count = 0;
	struct error inner;
	pr->known = usable_person(ctx, address, &pr->p, &stored);
	if (pr->known)
		stored_count = STORE_SECURITY_ANSWERS;
	pr->answers_right = answers_right(stored, stored_count, answers,
		count);
	struct store_recovery_code c;
	int64_t max = config_get_int(ctx->config,
		"auth.recovery_code_attempts");
	if (pr->known && store_recovery_code_get(ctx->store, pr->p.id,
			     ctx->arena, &c, &inner) == 0) {
		pr->code_live = c.used_at == 0 && ctx->now < c.expires_at &&
			c.attempts < max;
		pr->code_right = pr->code_live && code_matches(c.code_hash,
			code);
	}
}

/* A wrong try on a known account: counted against its code, audited. */
static void
record_failure(const struct dir_ctx *ctx, const struct store_person *p,
	const char *what)
{
	struct error inner;
	if (store_begin(ctx->store, &inner) < 0)
		goto failed;
	if (store_recovery_code_failed(ctx->store, p->id, &inner) < 0 ||
	    dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		    json_pack("{s:b,s:s}", "recovery_failed", 1, "during",
			    what), &inner) < 0) {
		store_rollback(ctx->store);
		goto failed;
	}
	if (store_commit(ctx->store, &inner) == 0)
		return;
failed:
	log_error("auth.recovery_failure_unrecorded", "user=%s reason=\"%s\"",
		p->address, inner.msg);
}

/* ---- complete: a new password ---- */

static int
reset_tx(const struct dir_ctx *ctx, const struct store_person *p,
	const char *hash, struct error *err)
{
	if (store_recovery_code_use(ctx->store, p->id, ctx->now, err) < 0 ||
	    store_password_self_set(ctx->store, p->id, hash, ctx->now,
		    err) < 0 ||
	    store_signin_succeeded(ctx->store, p->id, err) < 0 ||
	    store_session_delete_person(ctx->store, p->id, err) < 0 ||
	    store_app_password_delete_person(ctx->store, p->id, NULL,
		    err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		json_pack("{s:b,s:b,s:s}", "password_set", 1, "by_self", 1,
			"via", "self_service_recovery"), err);
}

static bool
new_password_refused(const char *password,
	const struct auth_password_owner *owner, struct error *err)
{
	struct error inner;
	if (auth_password_check_policy(password, owner, &inner) == 0)
		return false;
	error_forward(err, &inner);
	str_copy(err->field, sizeof(err->field), "new_password");
	return true;
}

int
auth_recovery_complete(const struct dir_ctx *ctx, struct auth_sms *sms,
	const char *address, const struct auth_answer *answers, size_t count,
	const char *code, const char *new_password, struct error *err)
{
	/*
	 * Before the proof only what the caller gave is checked against, so
	 * the answer tells nothing of the person; their names after it.
	 */
	struct auth_password_owner given = { address, NULL, NULL, NULL };
	if (new_password_refused(new_password, &given, err))
		return -1;
	struct proof pr;
	prove(ctx, address, answers, count, code, &pr);
	const struct store_person *p = &pr.p;
	/* Security answers never stand alone: the code is always needed. */
	if (!pr.known || !pr.code_right || !pr.answers_right) {
		if (pr.known && pr.code_live)
			record_failure(ctx, p, "reset");
		return error_set(err, ERROR_DENIED, failed_words);
	}
	struct auth_password_owner owner = AUTH_PASSWORD_OWNER(p);
	if (new_password_refused(new_password, &owner, err))
		return -1;
	if (p->locked_at != 0)
		return error_set(err, ERROR_DENIED, "your account is locked, "
			"so its password cannot be reset; unlock it first "
			"with self-service unlock or ask your local "
			"administrator");
	char hash[AUTH_HASH_MAX];
	if (auth_password_hash(new_password, hash, err) < 0)
		return -1;
	int rc = store_begin(ctx->store, err);
	if (rc == 0 && reset_tx(ctx, p, hash, err) < 0) {
		store_rollback(ctx->store);
		rc = -1;
	} else if (rc == 0) {
		rc = store_commit(ctx->store, err);
	}
	sodium_memzero(hash, sizeof(hash));
	if (rc == 0) {
		log_info("auth.recovery_reset", "user=%s", p->address);
		/* SECURITY.md 40: tell the person of any credential change. */
		auth_sms_notify(sms, p->mobile, p->address, "Your caremail "
			"password was just reset. If this was not you, call "
			"your local IT helpdesk now.");
	}
	return rc;
}

/* ---- unlock ---- */

static int
unlock_tx(const struct dir_ctx *ctx, const struct store_person *p,
	bool code_used, struct error *err)
{
	if ((code_used && store_recovery_code_use(ctx->store, p->id, ctx->now,
			      err) < 0) ||
	    store_signin_unlock(ctx->store, p->id, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		json_pack("{s:b,s:s,s:b}", "unlocked", 1, "status",
			dir_person_status_name(p->status),
			"by_self", 1), err);
}

int
auth_recovery_unlock(const struct dir_ctx *ctx, const char *address,
	const struct auth_answer *answers, size_t count, const char *code,
	struct error *err)
{
	struct proof pr;
	prove(ctx, address, answers, count, code, &pr);
	const struct store_person *p = &pr.p;
	/* Where a mobile is registered the code is needed too (seed 003). */
	bool needs_code = pr.known && p->mobile[0] != '\0';
	if (!pr.known || !pr.answers_right || (needs_code && !pr.code_right)) {
		if (pr.known && pr.code_live)
			record_failure(ctx, p, "unlock");
		return error_set(err, ERROR_DENIED, failed_words);
	}
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (unlock_tx(ctx, p, needs_code, err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	if (store_commit(ctx->store, err) < 0)
		return -1;
	log_info("auth.recovery_unlock", "user=%s", p->address);
	return 0;
}
