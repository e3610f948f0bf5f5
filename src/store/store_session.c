/*
 * Sign-in state (SPEC P1): sessions, kept by the hash of their token so a
 * copy of the database holds no usable cookie; consecutive failures and
 * the lock; the person's own password; TOTP enrolment and used time steps.
 * Layer: store.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/metrics.h"
#include "store/store_internal.h"
#include "store/store_session_cache.h"

static void
session_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_session *r = out;
	r->id = store_col_int(st, s, 0);
	r->token_hash = store_col_text(st, s, 1, a);
	r->csrf_token = store_col_text(st, s, 2, a);
	r->person_id = store_col_int(st, s, 3);
	r->created_at = store_col_int(st, s, 4);
	r->last_seen_at = store_col_int(st, s, 5);
}

int
store_session_insert(struct store *st, struct store_session *s,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO sessions (token_hash, csrf_token, person_id,"
		" created_at, last_seen_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		"ttiii", s->token_hash, s->csrf_token, s->person_id,
		s->created_at, s->last_seen_at);
	if (id < 0)
		return -1;
	s->id = id;
	return 0;
}

int
store_session_get(struct store *st, const char *token_hash, struct arena *a,
	struct store_session *s_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT id, token_hash, csrf_token, person_id, created_at,"
		" last_seen_at FROM sessions WHERE token_hash = ?", "t",
		token_hash);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, session_read, s_r, "such session",
		err);
}

/* A session, its person, sign-in state and roles (store_session_find). */
struct session_found {
	struct store_session *session;
	struct store_person *person;
	struct store_signin *signin;
	const char **roles;	/* as SESSION_FIND joins them */
};

static void
found_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct session_found *f = out;
	int c = STORE_PERSON_COLUMN_COUNT;
	store_person_read(st, s, a, f->person);
	*f->session = (struct store_session){
		.id = store_col_int(st, s, c),
		.token_hash = store_col_text(st, s, c + 1, a),
		.csrf_token = store_col_text(st, s, c + 2, a),
		.person_id = store_col_int(st, s, c + 3),
		.created_at = store_col_int(st, s, c + 4),
		.last_seen_at = store_col_int(st, s, c + 5),
	};
	*f->signin = (struct store_signin){
		.failed_signins = store_col_int(st, s, c + 6),
		.locked_at = store_col_int(st, s, c + 7),
		.password_self_set_at = store_col_int(st, s, c + 8),
		.mfa_secret = store_col_text(st, s, c + 9, a),
		.mfa_enrolled_at = store_col_int(st, s, c + 10),
		.mfa_last_step = store_col_int(st, s, c + 11),
	};
	*f->roles = store_col_text(st, s, c + 12, a);
	if (st->finder != NULL) {
		st->finder_noted = store_col_int(st, s, c + 13);
		st->finder_noted_valid = true;
	}
}

#define SESSION_FIND(MORE)                                                   \
	"SELECT " STORE_PERSON_COLUMNS ", se.id, se.token_hash,"              \
	" se.csrf_token, se.person_id, se.created_at, se.last_seen_at,"       \
	" p.failed_signins, COALESCE(p.locked_at, 0),"                        \
	" COALESCE(p.password_self_set_at, 0), '',"                           \
	" COALESCE(p.mfa_enrolled_at, 0), p.mfa_last_step,"                   \
	" (SELECT " STORE_JOINED "(r.org_id" STORE_THEN "r.granted_at"        \
	STORE_THEN "r.role, '" STORE_ROW_SEP "') FROM roles r"               \
	" WHERE r.person_id = p.id)" MORE                                     \
	" FROM sessions se JOIN people p ON p.id = se.person_id"              \
	" JOIN mailboxes m ON m.id = p.mailbox_id"                            \
	" WHERE se.token_hash = ?"

/* By org, then name: store_role_list's order. */
static int
role_order(const void *x, const void *y)
{
	const struct store_role *a = x, *b = y;
	if (a->org_id != b->org_id)
		return a->org_id < b->org_id ? -1 : 1;
	return strcmp(a->role, b->role);
}

/*
 * The roles SESSION_FIND joined (store_joined_rows; NULL or "": none), as
 * store_role_list gives them.
 */
static int
roles_split(const char *joined, int64_t person_id, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err)
{
	size_t n;
	char ***rows = store_joined_rows(joined, 3, a, &n, err);
	struct store_role *roles = rows == NULL ? NULL :
		arena_alloc(a, (n + 1) * sizeof(*roles));
	if (roles == NULL)
		return rows == NULL ? -1 :
			error_set(err, ERROR_LIMIT, "too many roles to read");
	for (size_t i = 0; i < n; i++)
		roles[i] = (struct store_role){ .person_id = person_id,
			.org_id = strtoll(rows[i][0], NULL, 10),
			.granted_at = strtoll(rows[i][1], NULL, 10),
			.role = rows[i][2] };
	qsort(roles, n, sizeof(*roles), role_order);
	*roles_r = roles;
	*count_r = n;
	return 0;
}

/* How often a node's memory of sessions answers (docs/operations.md). */
static struct metrics_family reads_total = {
	.name = "caremail_session_reads_total",
	.help = "Signed-in requests' sessions on a node that remembers them "
		"(PostgreSQL, store.session_cache_s), by what answered: the "
		"node's memory, or the database (not remembered, changed, a "
		"write, or the node's listener away).",
	.type = METRICS_COUNTER,
	.labels = { "answered_by" },
};
METRICS_REGISTER(reads_total)

int
store_session_find(struct store *st, const char *token_hash,
	bool may_remember, struct arena *a, struct store_session *s_r,
	struct store_person *p_r, struct store_signin *si_r,
	struct store_role **roles_r, size_t *role_count_r, struct error *err)
{
	/*
	 * On a node with a People Finder copy the request's first read also
	 * brings the feed's newest note, so a search in the same request
	 * knows how current the copy must be without a round trip of its own
	 * (bench B5 on PostgreSQL: one of three a search).
	 */
	/*
	 * A node of a shared store may remember it (store_session_cache.h):
	 * no round trip at all while nothing it read can have changed.
	 */
	bool cached = session_cache_wanted() && st->ops->shared;
	struct session_cached c;
	if (cached && may_remember && session_cache_get(token_hash, a, &c)) {
		*s_r = c.session;
		*p_r = c.person;
		*si_r = c.signin;
		if (st->finder != NULL) {
			int64_t heard = session_cache_newest_heard();
			st->finder_noted = heard > c.noted ? heard : c.noted;
			st->finder_noted_valid = true;
		}
		metrics_add(metrics_series(&reads_total, "memory", NULL), 1);
		return roles_split(c.roles, p_r->id, a, roles_r, role_count_r,
			err);
	}
	if (cached)
		metrics_add(metrics_series(&reads_total, "database", NULL), 1);
	uint64_t mark = cached ? session_cache_mark() : 0;
	struct store_stmt *s = store_query(st, err, st->finder != NULL ?
		SESSION_FIND(", " STORE_FINDER_NEWEST) : SESSION_FIND(""), "t",
		token_hash);
	if (s == NULL)
		return -1;
	const char *roles = NULL;
	struct session_found f = { s_r, p_r, si_r, &roles };
	if (store_read_one(st, s, a, found_read, &f, "such session", err) < 0)
		return -1;
	if (cached) {
		c = (struct session_cached){ .session = *s_r, .person = *p_r,
			.signin = *si_r, .roles = roles != NULL ? roles : "",
			.noted = st->finder != NULL ? st->finder_noted : 0 };
		session_cache_put(mark, token_hash, &c);
	}
	return roles_split(roles, p_r->id, a, roles_r, role_count_r, err);
}

int
store_session_touch(struct store *st, int64_t id, int64_t now,
	struct error *err)
{
	if (store_exec(st, err,
		    "UPDATE sessions SET last_seen_at = ? WHERE id = ?", "ii",
		    now, id) < 0)
		return -1;
	session_cache_touch(id, now);
	return 0;
}

int
store_session_delete(struct store *st, int64_t id, struct error *err)
{
	/* Forgotten here too: its commit's notification says so again. */
	session_cache_forget_session(id);
	return store_exec(st, err, "DELETE FROM sessions WHERE id = ?", "i",
		id) < 0 ? -1 : 0;
}

int
store_session_delete_person(struct store *st, int64_t person_id,
	struct error *err)
{
	session_cache_forget_person(person_id);
	return store_exec(st, err, "DELETE FROM sessions WHERE person_id = ?",
		"i", person_id) < 0 ? -1 : 0;
}

static void
signin_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_signin *r = out;
	r->failed_signins = store_col_int(st, s, 0);
	r->locked_at = store_col_int(st, s, 1);
	r->password_self_set_at = store_col_int(st, s, 2);
	r->mfa_secret = store_col_text(st, s, 3, a);
	r->mfa_enrolled_at = store_col_int(st, s, 4);
	r->mfa_last_step = store_col_int(st, s, 5);
}

int
store_signin_get(struct store *st, int64_t person_id, struct arena *a,
	struct store_signin *s_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT failed_signins, COALESCE(locked_at, 0),"
		" COALESCE(password_self_set_at, 0), mfa_secret,"
		" COALESCE(mfa_enrolled_at, 0), mfa_last_step"
		" FROM people WHERE id = ?", "i", person_id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, signin_read, s_r, "such person", err);
}

int
store_signin_failed(struct store *st, int64_t person_id, int64_t lock_after,
	int64_t now, int64_t *failures_r, bool *locked_r, struct error *err)
{
	/* One statement, so concurrent failures cannot both miss the limit. */
	struct store_stmt *s = store_query(st, err,
		"UPDATE people SET failed_signins = failed_signins + 1,"
		" locked_at = CASE WHEN locked_at IS NULL"
		" AND failed_signins + 1 >= ? THEN ? ELSE locked_at END"
		" WHERE id = ? RETURNING failed_signins, COALESCE(locked_at, 0)",
		"iii", lock_after, now, person_id);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1) {
		*failures_r = store_col_int(st, s, 0);
		*locked_r = store_col_int(st, s, 1) != 0;
	} else if (rc == 0) {
		error_set(err, ERROR_NOT_FOUND, "there is no such person");
	}
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

int
store_signin_succeeded(struct store *st, int64_t person_id,
	struct error *err)
{
	return store_exec(st, err,
		"UPDATE people SET failed_signins = 0 WHERE id = ?", "i",
		person_id) < 0 ? -1 : 0;
}

int
store_signin_unlock(struct store *st, int64_t person_id, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET failed_signins = 0, locked_at = NULL"
		" WHERE id = ? AND locked_at IS NOT NULL", "i", person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_INVALID,
				    "that account is not locked");
}

int
store_password_self_set(struct store *st, int64_t person_id,
	const char *hash, int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET password_hash = ?, password_changed_at = ?,"
		" password_self_set_at = ?, updated_at = ? WHERE id = ?",
		"tiiii", hash, now, now, now, person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
				    "there is no such person");
}

int
store_mfa_secret_set(struct store *st, int64_t person_id, const char *secret,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET mfa_secret = ? WHERE id = ?"
		" AND mfa_enrolled_at IS NULL", "ti", secret, person_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_EXISTS,
				    "two-factor sign-in is already set up");
}

int
store_mfa_enrol(struct store *st, int64_t person_id, int64_t now,
	struct error *err)
{
	return store_exec(st, err,
		"UPDATE people SET mfa_enrolled_at = ? WHERE id = ?", "ii", now,
		person_id) < 0 ? -1 : 0;
}

int
store_mfa_step_use(struct store *st, int64_t person_id, int64_t step,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"UPDATE people SET mfa_last_step = ? WHERE id = ?"
		" AND mfa_last_step < ?", "iii", step, person_id, step);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set_field(err, ERROR_DENIED, "code",
				    "that code has been used already");
}
