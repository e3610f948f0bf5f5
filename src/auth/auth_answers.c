/*
 * Security questions and answers, and the Acceptable Use Policy (SPEC
 * P11). Layer: domain. Answers are compared as people remember them, not
 * as they typed them: case and spacing never matter, so they are
 * normalised before hashing (Argon2id, like passwords; SECURITY.md A4
 * 2.5.2 asks that they be hashed).
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_internal.h"
#include "auth/auth_recovery.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fold.h"
#include "dir/dir.h"
#include "store/store_selfsvc.h"

#define AUTH_QUESTIONS_MAX 64
#define AUTH_QUESTION_LEN 256

static bool
is_space(uint32_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0 ||
		c == 0x2007 || c == 0x202F || c == 0x3000 ||
		(c >= 0x2000 && c <= 0x200A);
}

int
auth_answer_normalise(const char *in, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t left = strlen(in), used = 0;
	bool pending_space = false;
	while (left > 0) {
		uint32_t c;
		size_t len = fold_utf8_decode(p, left, &c);
		if (len == 0)
			return -1;
		p += len;
		left -= len;
		if (is_space(c)) {
			pending_space = used > 0;
			continue;
		}
		char buf[4];
		size_t n = fold_utf8_encode(fold_case(c), buf);
		if (used + (pending_space ? 1 : 0) + n + 1 > size)
			return -1;
		if (pending_space)
			out[used++] = ' ';
		pending_space = false;
		memcpy(out + used, buf, n);
		used += n;
	}
	if (size == 0)
		return -1;
	out[used] = '\0';
	return 0;
}

int
auth_questions_choices(const struct dir_ctx *ctx, const char ***list_r,
	size_t *count_r, struct error *err)
{
	const char **list = NULL;
	size_t count = 0, capacity = 0;
	char buf[AUTH_QUESTION_LEN];
	for (size_t i = 0; i < AUTH_QUESTIONS_MAX &&
	     config_list_item(ctx->config, "auth.security_questions", i, buf,
		     sizeof(buf)); i++) {
		const char **slot = arena_array_push(ctx->arena,
			(void **)&list, &count, &capacity, sizeof(*slot));
		if (slot == NULL || (*slot = arena_strdup(ctx->arena,
					     buf)) == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
	}
	*list_r = list;
	*count_r = count;
	return 0;
}

static bool
in_list(const char *q, const char **list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(q, list[i]) == 0)
			return true;
	}
	return false;
}

static int
check_answers(const struct dir_ctx *ctx, const struct auth_answer *answers,
	size_t count, struct error *err)
{
	const char **choices;
	size_t n;
	if (count != STORE_SECURITY_ANSWERS)
		return error_set_field(err, ERROR_INVALID, "answers",
			"answer exactly %d security questions",
			STORE_SECURITY_ANSWERS);
	if (auth_questions_choices(ctx, &choices, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char norm[AUTH_ANSWER_MAX * 2];
		if (!in_list(answers[i].question, choices, n))
			return error_set_field(err, ERROR_INVALID, "answers",
				"\"%s\" is not one of the security questions; "
				"see GET /api/v1/me/security-questions/choices",
				answers[i].question);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(answers[i].question,
				    answers[j].question) == 0)
				return error_set_field(err, ERROR_INVALID,
					"answers", "choose three different "
					"security questions");
		}
		int rc = auth_answer_normalise(answers[i].answer, norm,
			sizeof(norm));
		bool empty = rc < 0 || norm[0] == '\0';
		sodium_memzero(norm, sizeof(norm));
		if (empty)
			return error_set_field(err, ERROR_INVALID, "answers",
				"every security answer needs some text");
	}
	return 0;
}

static int
hash_answers(const struct auth_answer *answers,
	char hashes[][AUTH_HASH_MAX], struct error *err)
{
	for (size_t i = 0; i < STORE_SECURITY_ANSWERS; i++) {
		char norm[AUTH_ANSWER_MAX * 2];
		int rc = auth_answer_normalise(answers[i].answer, norm,
			sizeof(norm));
		if (rc == 0)
			rc = auth_password_hash(norm, hashes[i], err);
		sodium_memzero(norm, sizeof(norm));
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
answers_set_tx(const struct dir_ctx *ctx, const struct store_person *p,
	const struct auth_answer *answers, char hashes[][AUTH_HASH_MAX],
	struct error *err)
{
	struct store_security_answer rows[STORE_SECURITY_ANSWERS];
	json_t *questions = json_array();
	for (size_t i = 0; i < STORE_SECURITY_ANSWERS; i++) {
		rows[i].question = answers[i].question;
		rows[i].answer_hash = hashes[i];
		json_array_append_new(questions,
			json_string(answers[i].question));
	}
	if (store_security_answers_set(ctx->store, p->id, rows, err) < 0) {
		json_decref(questions);
		return -1;
	}
	return dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		json_pack("{s:b,s:o}", "security_questions_set", 1,
			"questions", questions), err);
}

int
auth_security_answers_set(const struct dir_ctx *ctx,
	const struct store_person *p, const char *current,
	const struct auth_answer *answers, size_t count, struct error *err)
{
	struct error inner;
	if (auth_password_verify(ctx, p->address, current, &inner) < 0) {
		if (auth_is_fault(&inner))
			return error_forward(err, &inner);
		return error_set_field(err, ERROR_DENIED, "current",
			"the current password is not right");
	}
	if (check_answers(ctx, answers, count, err) < 0)
		return -1;
	char hashes[STORE_SECURITY_ANSWERS][AUTH_HASH_MAX];
	int rc = hash_answers(answers, hashes, err);
	if (rc == 0 && (rc = store_begin(ctx->store, err)) == 0) {
		if (answers_set_tx(ctx, p, answers, hashes, err) < 0) {
			store_rollback(ctx->store);
			rc = -1;
		} else {
			rc = store_commit(ctx->store, err);
		}
	}
	sodium_memzero(hashes, sizeof(hashes));
	return rc;
}

int
auth_unknown_answers_make(struct auth_unknown_answers *u_r,
	struct error *err)
{
	_Static_assert(sizeof(u_r->hashes[0]) == AUTH_HASH_MAX,
		"auth_unknown_answers holds an AUTH_HASH_MAX hash");
	for (size_t i = 0; i < STORE_SECURITY_ANSWERS; i++) {
		unsigned char random[24];
		char text[2 * sizeof(random) + 1];
		randombytes_buf(random, sizeof(random));
		sodium_bin2hex(text, sizeof(text), random, sizeof(random));
		int rc = auth_password_hash(text, u_r->hashes[i], err);
		sodium_memzero(random, sizeof(random));
		sodium_memzero(text, sizeof(text));
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
auth_seed_ready_to_send(const struct dir_ctx *ctx,
	const struct store_person *p, const struct auth_unknown_answers *u,
	struct error *err)
{
	const char **choices;
	size_t n;
	if (auth_questions_choices(ctx, &choices, &n, err) < 0)
		return -1;
	if (n < STORE_SECURITY_ANSWERS)
		return error_set(err, ERROR_INVALID, "auth.security_questions "
			"lists fewer than %d questions", STORE_SECURITY_ANSWERS);
	struct auth_answer answers[STORE_SECURITY_ANSWERS];
	char hashes[STORE_SECURITY_ANSWERS][AUTH_HASH_MAX];
	for (size_t i = 0; i < STORE_SECURITY_ANSWERS; i++) {
		answers[i] = (struct auth_answer){ .question = choices[i] };
		memcpy(hashes[i], u->hashes[i], AUTH_HASH_MAX);
	}
	const char *version = config_get_str(ctx->config, "auth.aup_version");
	int rc = answers_set_tx(ctx, p, answers, hashes, err);
	sodium_memzero(hashes, sizeof(hashes));
	if (rc < 0 ||
	    store_aup_accept(ctx->store, p->id, version, ctx->now, err) < 0)
		return -1;
	return dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		json_pack("{s:b,s:s}", "aup_accepted", 1, "aup_version",
			version), err);
}

int
auth_security_questions_get(const struct dir_ctx *ctx, int64_t person_id,
	const char ***questions_r, size_t *count_r, struct error *err)
{
	struct store_security_answer *rows;
	size_t n;
	if (store_security_answers_get(ctx->store, person_id, ctx->arena,
		    &rows, &n, err) < 0)
		return -1;
	const char **list = arena_alloc(ctx->arena, (n + 1) * sizeof(*list));
	if (list == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	for (size_t i = 0; i < n; i++)
		list[i] = rows[i].question;
	*questions_r = list;
	*count_r = n;
	return 0;
}

int
auth_aup_get(const struct dir_ctx *ctx, int64_t person_id, int64_t *at_r,
	const char **version_r, struct error *err)
{
	return store_aup_get(ctx->store, person_id, ctx->arena, at_r, version_r,
		err);
}

int
auth_aup_accept(const struct dir_ctx *ctx, const struct store_person *p,
	struct error *err)
{
	const char *version = config_get_str(ctx->config, "auth.aup_version");
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (store_aup_accept(ctx->store, p->id, version, ctx->now, err) < 0 ||
	    dir_audit(ctx, "other", "user_mailbox", p->id, p->org_id,
		    json_pack("{s:b,s:s}", "aup_accepted", 1, "aup_version",
			    version), err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}
