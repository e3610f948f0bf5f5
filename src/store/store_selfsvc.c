/*
 * Self-service state and application tokens (SPEC P11, P16): security
 * answers, the accepted Acceptable Use Policy, recovery codes, instance
 * secrets and API tokens. Layer: store. Only hashes of answers, codes and
 * tokens are ever written here.
 */
#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

int
store_security_answers_set(struct store *st, int64_t person_id,
	const struct store_security_answer *answers, struct error *err)
{
	if (store_exec(st, err,
		    "DELETE FROM security_answers WHERE person_id = ?", "i",
		    person_id) < 0)
		return -1;
	for (int i = 0; i < STORE_SECURITY_ANSWERS; i++) {
		if (store_exec(st, err,
			    "INSERT INTO security_answers (person_id, position,"
			    " question, answer_hash) VALUES (?, ?, ?, ?)",
			    "iitt", person_id, (int64_t)i, answers[i].question,
			    answers[i].answer_hash) < 0)
			return -1;
	}
	return 0;
}

static void
answer_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_security_answer *r = out;
	r->question = store_col_text(st, s, 0, a);
	r->answer_hash = store_col_text(st, s, 1, a);
}

int
store_security_answers_get(struct store *st, int64_t person_id,
	struct arena *a, struct store_security_answer **answers_r,
	size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT question, answer_hash FROM security_answers"
		" WHERE person_id = ? ORDER BY position", "i", person_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**answers_r), answer_read,
		(void **)answers_r, count_r, err);
}

int
store_aup_accept(struct store *st, int64_t person_id, const char *version,
	int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET aup_accepted_at = ?, aup_version = ?"
		" WHERE id = ?", "iti", now, version, person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such person");
}

struct aup_row {
	int64_t at;
	const char *version;
};

static void
aup_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct aup_row *r = out;
	r->at = store_col_int(st, s, 0);
	r->version = store_col_text(st, s, 1, a);
}

int
store_aup_get(struct store *st, int64_t person_id, struct arena *a,
	int64_t *at_r, const char **version_r, struct error *err)
{
	struct aup_row row;
	struct store_stmt *s = store_query(st, err,
		"SELECT COALESCE(aup_accepted_at, 0), aup_version FROM people"
		" WHERE id = ?", "i", person_id);
	if (s == NULL ||
	    store_read_one(st, s, a, aup_read, &row, "such person", err) < 0)
		return -1;
	*at_r = row.at;
	*version_r = row.version;
	return 0;
}

int
store_recovery_code_set(struct store *st, const struct store_recovery_code *c,
	struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO recovery_codes (person_id, code_hash,"
		" created_at, expires_at, attempts, used_at)"
		" VALUES (?, ?, ?, ?, 0, NULL) ON CONFLICT (person_id)"
		" DO UPDATE SET code_hash = excluded.code_hash,"
		" created_at = excluded.created_at,"
		" expires_at = excluded.expires_at, attempts = 0,"
		" used_at = NULL",
		"itii", c->person_id,
		c->code_hash, c->created_at, c->expires_at) < 0 ? -1 : 0;
}

static void
code_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_recovery_code *r = out;
	r->person_id = store_col_int(st, s, 0);
	r->code_hash = store_col_text(st, s, 1, a);
	r->created_at = store_col_int(st, s, 2);
	r->expires_at = store_col_int(st, s, 3);
	r->attempts = store_col_int(st, s, 4);
	r->used_at = store_col_int(st, s, 5);
}

int
store_recovery_code_get(struct store *st, int64_t person_id, struct arena *a,
	struct store_recovery_code *c_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT person_id, code_hash, created_at, expires_at, attempts,"
		" COALESCE(used_at, 0) FROM recovery_codes WHERE person_id = ?",
		"i", person_id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, code_read, c_r, "recovery code", err);
}

int
store_recovery_code_failed(struct store *st, int64_t person_id,
	struct error *err)
{
	return store_exec(st, err,
		"UPDATE recovery_codes SET attempts = attempts + 1"
		" WHERE person_id = ?", "i", person_id) < 0 ? -1 : 0;
}

int
store_recovery_code_use(struct store *st, int64_t person_id, int64_t now,
	struct error *err)
{
	/* One statement, so two requests racing cannot both spend it. */
	int64_t n = store_exec(st, err,
		"UPDATE recovery_codes SET used_at = ? WHERE person_id = ?"
		" AND used_at IS NULL", "ii", now, person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set_field(err, ERROR_DENIED, "code",
				    "that code has been used already");
}

static void
text_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	*(const char **)out = store_col_text(st, s, 0, a);
}

int
store_secret_get(struct store *st, const char *name, const char *fresh,
	struct arena *a, const char **value_r, struct error *err)
{
	if (store_exec(st, err,
		    "INSERT INTO secrets (name, value) VALUES (?, ?)"
		    " ON CONFLICT (name) DO NOTHING", "tt", name, fresh) < 0)
		return -1;
	struct store_stmt *s = store_query(st, err,
		"SELECT value FROM secrets WHERE name = ?", "t", name);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, text_read, value_r, "such secret",
		err);
}

#define TOKEN_COLUMNS                                                     \
	"id, token_hash, label, org_id, actions, allow_from, created_by,  \
	created_at, expires_at, COALESCE(revoked_at, 0),                  \
	COALESCE(last_used_at, 0)"

static void
token_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_api_token *r = out;
	r->id = store_col_int(st, s, 0);
	r->token_hash = store_col_text(st, s, 1, a);
	r->label = store_col_text(st, s, 2, a);
	r->org_id = store_col_int(st, s, 3);
	r->actions = store_col_text(st, s, 4, a);
	r->allow_from = store_col_text(st, s, 5, a);
	r->created_by = store_col_text(st, s, 6, a);
	r->created_at = store_col_int(st, s, 7);
	r->expires_at = store_col_int(st, s, 8);
	r->revoked_at = store_col_int(st, s, 9);
	r->last_used_at = store_col_int(st, s, 10);
}

int
store_api_token_insert(struct store *st, struct store_api_token *t,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO api_tokens (token_hash, label, org_id, actions,"
		" allow_from, created_by, created_at, expires_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", "ttitttii",
		t->token_hash, t->label, t->org_id, t->actions, t->allow_from,
		t->created_by, t->created_at, t->expires_at);
	if (id < 0)
		return -1;
	t->id = id;
	return 0;
}

int
store_api_token_by_hash(struct store *st, const char *token_hash,
	struct arena *a, struct store_api_token *t_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE token_hash = ?",
		"t", token_hash);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, token_read, t_r, "such token", err);
}

int
store_api_token_get(struct store *st, int64_t id, struct arena *a,
	struct store_api_token *t_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE id = ?", "i",
		id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, token_read, t_r, "such token", err);
}

int
store_api_token_list(struct store *st, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit, struct arena *a,
	struct store_api_token **tokens_r, size_t *count_r, struct error *err)
{
	/* One org or all: the callers filter by scope themselves. */
	struct store_stmt *s = org_count > 0 ?
		store_query(st, err, "SELECT " TOKEN_COLUMNS " FROM api_tokens"
			" WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?",
			"iii", org_ids[0], after_id, (int64_t)limit) :
		store_query(st, err, "SELECT " TOKEN_COLUMNS " FROM api_tokens"
			" WHERE id > ? ORDER BY id LIMIT ?", "ii", after_id,
			(int64_t)limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**tokens_r), token_read,
		(void **)tokens_r, count_r, err);
}

int
store_api_token_revoke(struct store *st, int64_t id, int64_t now,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE api_tokens SET revoked_at = ? WHERE id = ?"
		" AND revoked_at IS NULL", "ii", now, id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_INVALID,
				    "that token has been revoked already");
}

int
store_api_token_touch(struct store *st, int64_t id, int64_t now,
	struct error *err)
{
	return store_exec(st, err,
		"UPDATE api_tokens SET last_used_at = ? WHERE id = ?", "ii",
		now, id) < 0 ? -1 : 0;
}
