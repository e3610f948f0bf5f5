/*
 * For the lists area: list approval records, counting and listing the
 * people a dynamic list rule reaches inside the database (seed 002: a
 * rule over ~21,000 people timed out when every person was fetched and
 * tested in C), and run-time settings. Layer: store.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "store/store_internal.h"

#define REVIEW_COLUMNS                                                   \
	"list_id, change, requested_by, requested_at, decision, reason,  \
	decided_by, decided_at"

static void
review_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_list_review *r = out;
	r->list_id = store_col_int(st, s, 0);
	r->change = store_col_text(st, s, 1, a);
	r->requested_by = store_col_text(st, s, 2, a);
	r->requested_at = store_col_int(st, s, 3);
	r->decision = store_col_text(st, s, 4, a);
	r->reason = store_col_text(st, s, 5, a);
	r->decided_by = store_col_text(st, s, 6, a);
	r->decided_at = store_col_int(st, s, 7);
}

int
store_list_review_get(struct store *st, int64_t list_id, struct arena *a,
	struct store_list_review *r_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " REVIEW_COLUMNS " FROM list_reviews WHERE list_id = ?",
		"i", list_id);
	if (s == NULL)
		return -1;
	struct error inner;
	if (store_read_one(st, s, a, review_read, r_r, "review",
		    &inner) == 0)
		return 0;
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	*r_r = (struct store_list_review){ .list_id = list_id, .change = "",
		.requested_by = "", .decision = "", .reason = "",
		.decided_by = "" };
	return 0;
}

int
store_list_review_put(struct store *st, const struct store_list_review *r,
	struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO list_reviews (" REVIEW_COLUMNS ")"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (list_id)"
		" DO UPDATE SET change = excluded.change,"
		" requested_by = excluded.requested_by,"
		" requested_at = excluded.requested_at,"
		" decision = excluded.decision, reason = excluded.reason,"
		" decided_by = excluded.decided_by,"
		" decided_at = excluded.decided_at",
		"ittittti", r->list_id, r->change, r->requested_by,
		r->requested_at, r->decision, r->reason, r->decided_by,
		r->decided_at);
	return n < 0 ? -1 : 0;
}

/*
 * A text set's values in lower case (ASCII only, as dir_rule_matches'
 * strcasecmp folds), for the rule's STORE_TEXT_SET parameters: each set
 * binds as one parameter, so the statement stays one cached literal
 * whatever their sizes. NULL past the arena's cap.
 */
static const char *const *
lower_set(const struct store_text_set *set, struct arena *a)
{
	const char **out = arena_alloc(a, (set->count > 0 ? set->count : 1) *
		sizeof(*out));
	for (size_t i = 0; out != NULL && i < set->count; i++) {
		char *v = arena_strdup(a, set->items[i]);
		if (v == NULL)
			return NULL;
		for (char *p = v; *p != '\0'; p++)
			*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') :
							  *p;
		out[i] = v;
	}
	return out;
}

/*
 * The conditions the count, the listing and the expansion share, in the
 * order of RULE_TYPES. The org set is an id set, so the people are found
 * through people_rule by org (an org subtree of 10,000 is 10,000 seeks)
 * instead of by testing every person against a list, and that index holds
 * every column of people read here, so the table itself is never read
 * (B8: 500,000 of 1.6 million people). Sites and roles are each one set
 * of ids, made once per statement and only for a criterion the rule has,
 * not a join or a probe per person. An empty text set matches anything
 * (its flag parameter is 0, and the condition after OR is then never
 * evaluated). A person with no site, or a site without the name or type,
 * is not in the site ids, as they were not matched by the join before.
 * lower() folds ASCII only, as dir_rule_matches' strcasecmp does, so
 * both agree.
 */
#define RULE_WHERE                                                       \
	" WHERE p.org_id IN " STORE_ID_SET                                \
	" AND p.deleted_at IS NULL"                                       \
	" AND (? = 0 OR p.site_id IN (SELECT s.id FROM sites s"           \
	"  WHERE lower(s.name) IN " STORE_TEXT_SET "))"                   \
	" AND (? = 0 OR p.site_id IN (SELECT s.id FROM sites s"           \
	"  WHERE lower(s.site_type) IN " STORE_TEXT_SET "))"             \
	" AND (? = 0 OR lower(p.job_title)" STORE_IN_TEXTS ")"           \
	" AND (? = 0 OR lower(p.department)" STORE_IN_TEXTS ")"          \
	" AND (? = 0 OR p.id IN (SELECT r.person_id FROM roles r"         \
	"  WHERE lower(r.role) IN " STORE_TEXT_SET "))"
#define RULE_FROM " FROM people p" RULE_WHERE

#define RULE_TYPES "I" "iT" "iT" "iT" "iT" "iT"
#define SET_ARGS(set, lowered)                                           \
	(int64_t)((set).count > 0), (lowered), (set).count

/*
 * The rule's statement with its values bound; a statement that inserts
 * into a recipient set takes the set's scope as its first parameter.
 */
static struct store_stmt *
rule_query(struct store *st, const struct store_rule_query *q,
	struct arena *a, const char *sql, const int64_t *scope,
	struct error *err)
{
	const char *const *sites = lower_set(&q->sites, a);
	const char *const *types = lower_set(&q->site_types, a);
	const char *const *titles = lower_set(&q->job_titles, a);
	const char *const *depts = lower_set(&q->departments, a);
	const char *const *roles = lower_set(&q->roles, a);
	if (sites == NULL || types == NULL || titles == NULL ||
	    depts == NULL || roles == NULL) {
		error_set(err, ERROR_LIMIT, "the list's rule names more than "
			"can be searched at once");
		return NULL;
	}
	if (scope != NULL)
		return store_query(st, err, sql, "i" RULE_TYPES, *scope,
			q->org_ids, q->org_count, SET_ARGS(q->sites, sites),
			SET_ARGS(q->site_types, types),
			SET_ARGS(q->job_titles, titles),
			SET_ARGS(q->departments, depts),
			SET_ARGS(q->roles, roles));
	return store_query(st, err, sql, RULE_TYPES, q->org_ids, q->org_count,
		SET_ARGS(q->sites, sites), SET_ARGS(q->site_types, types),
		SET_ARGS(q->job_titles, titles),
		SET_ARGS(q->departments, depts), SET_ARGS(q->roles, roles));
}

int
store_rule_count(struct store *st, const struct store_rule_query *q,
	struct arena *a, int64_t *count_r, struct error *err)
{
	struct store_stmt *s = rule_query(st, q, a,
		"SELECT COUNT(*)" RULE_FROM, NULL, err);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*count_r = store_col_int(st, s, 0);
	else if (rc == 0)
		rc = error_set(err, ERROR_INTERNAL, "COUNT returned no row");
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

void
store_recipient_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_recipient *r = out;
	r->address = store_col_text(st, s, 0, a);
	r->display_name = store_col_text(st, s, 1, a);
}

int
store_rule_sample(struct store *st, const struct store_rule_query *q,
	struct arena *a, struct store_recipient **sample_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = rule_query(st, q, a,
		"SELECT m.address, m.display_name FROM people p"
		" JOIN mailboxes m ON m.id = p.mailbox_id" RULE_WHERE
		" ORDER BY m.address LIMIT " STORE_SAMPLE_MAX_TEXT, NULL, err);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**sample_r),
		store_recipient_read, (void **)sample_r, count_r, err);
}

/* A person's mailbox is theirs alone (UNIQUE): the rule's ids are distinct. */
int
store_set_add_rule(struct store *st, int64_t scope,
	const struct store_rule_query *q, struct arena *a, struct error *err)
{
	struct store_stmt *s = rule_query(st, q, a,
		STORE_SET_ADD("SELECT p.mailbox_id AS id" RULE_FROM),
		&scope, err);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	store_finish(st, s);
	return rc < 0 ? -1 : 0;
}

int
store_setting_get(struct store *st, const char *name, struct arena *a,
	const char **value_r, const char **updated_by_r, int64_t *updated_at_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT value, updated_by, updated_at FROM settings"
		" WHERE name = ?", "t", name);
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1) {
		*value_r = store_col_text(st, s, 0, a);
		*updated_by_r = store_col_text(st, s, 1, a);
		*updated_at_r = store_col_int(st, s, 2);
	} else if (rc == 0) {
		error_set(err, ERROR_NOT_FOUND, "the setting %s is not set",
			name);
	}
	return store_rows_done(st, s, rc == 1 ? 0 : -1, err);
}

int
store_setting_set(struct store *st, const char *name, const char *value,
	const char *updated_by, int64_t now, struct error *err)
{
	int64_t n = store_exec(st, err,
		"INSERT INTO settings (name, value, updated_by, updated_at)"
		" VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
		" value = excluded.value, updated_by = excluded.updated_by,"
		" updated_at = excluded.updated_at",
		"ttti", name, value, updated_by, now);
	return n < 0 ? -1 : 0;
}
