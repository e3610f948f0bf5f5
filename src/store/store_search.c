/*
 * People Finder in the store (SPEC D4): the search keys kept beside each
 * person, and the searches over them. Layer: store.
 *
 * Each live person has one row in people_search per folded name word
 * ("n:smith"), job title word ("j:nurse") and their address
 * ("e:jo.smith@example.nhs.uk"), with their org. A word typed is a prefix,
 * so a search is a range scan of the key index (key >= 'n:smi' AND key <
 * 'n:smi' || x'ff'; no UTF-8 text holds the byte 0xFF): it reads only the
 * rows that match, however many people there are (PERFORMANCE B5).
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fold.h"
#include "core/str.h"
#include "store/store_internal.h"

/* Adds prefix + each word not already in the array. */
static int
add_keys(const char *text, const char *prefix, struct arena *a,
	char ***keys_r, size_t *count_r, size_t *capacity)
{
	char **words = NULL;
	size_t n = 0;
	if (text == NULL || text[0] == '\0')
		return 0;
	if (fold_words(text, STORE_SEARCH_KEY_MAX - strlen(prefix), a, &words,
		    &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *key = arena_printf(a, "%s%s", prefix, words[i]);
		if (key == NULL)
			return -1;
		bool seen = false;
		for (size_t j = 0; j < *count_r && !seen; j++)
			seen = strcmp((*keys_r)[j], key) == 0;
		if (seen)
			continue;
		char **slot = arena_array_push(a, (void **)keys_r, count_r,
			capacity, sizeof(*slot));
		if (slot == NULL)
			return -1;
		*slot = key;
	}
	return 0;
}

int
store_search_keys(const char *first_name, const char *last_name,
	const char *display_name, const char *job_title, struct arena *a,
	char ***keys_r, size_t *count_r)
{
	size_t capacity = 0;
	*keys_r = NULL;
	*count_r = 0;
	if (add_keys(first_name, "n:", a, keys_r, count_r, &capacity) < 0 ||
	    add_keys(last_name, "n:", a, keys_r, count_r, &capacity) < 0 ||
	    add_keys(display_name, "n:", a, keys_r, count_r, &capacity) < 0 ||
	    add_keys(job_title, "j:", a, keys_r, count_r, &capacity) < 0)
		return -1;
	return 0;
}

/* Key arena: a person's names and title are at most a few hundred bytes. */
#define REFRESH_ARENA (64 * 1024)

int
store_search_refresh(struct store *st, const struct store_person *p,
	struct error *err)
{
	if (store_exec(st, err, "DELETE FROM people_search WHERE person_id = ?",
		    "i", p->id) < 0)
		return -1;
	if (p->deleted_at != 0)
		return 0;
	struct arena *a = arena_new(REFRESH_ARENA);
	char **keys;
	size_t count;
	int rc = 0;
	if (store_search_keys(p->first_name, p->last_name, p->display_name,
		    p->job_title, a, &keys, &count) < 0)
		rc = error_set(err, ERROR_LIMIT,
			"a person's names are too long to index");
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if (store_exec(st, err,
			    "INSERT INTO people_search (key, person_id, org_id)"
			    " VALUES (?, ?, ?)", "tii", keys[i], p->id,
			    p->org_id) < 0)
			rc = -1;
	}
	arena_free(&a);
	if (rc < 0)
		return -1;
	/* The address is read from the mailbox, which holds it. */
	return store_exec(st, err,
		"INSERT INTO people_search (key, person_id, org_id)"
		" SELECT 'e:' || lower(address), ?, ? FROM mailboxes"
		" WHERE id = ? ON CONFLICT DO NOTHING",
		"iii", p->id, p->org_id, p->mailbox_id) < 0 ? -1 : 0;
}

const char *
store_id_set(const int64_t *ids, size_t count, struct arena *a)
{
	if (ids == NULL)
		return "";
	struct str s;
	str_init(&s, a, 64 * 1024 * 1024);
	if (str_append_char(&s, '[') < 0)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		if (str_appendf(&s, "%s%lld", i > 0 ? "," : "",
			    (long long)ids[i]) < 0)
			return NULL;
	}
	return str_append_char(&s, ']') < 0 ? NULL : str_cstr(&s);
}

static void
match_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_person_match *m = out;
	int c = STORE_PERSON_COLUMN_COUNT;
	store_person_read(st, s, a, &m->person);
	m->org_ods = store_col_text(st, s, c, a);
	m->org_name = store_col_text(st, s, c + 1, a);
	m->helpdesk_phone = store_col_text(st, s, c + 2, a);
	m->helpdesk_email = store_col_text(st, s, c + 3, a);
	m->site_name = store_col_text(st, s, c + 4, a);
	m->site_type = store_col_text(st, s, c + 5, a);
}

#define MATCH_COLUMNS                                                        \
	STORE_PERSON_COLUMNS ", o.ods, o.name, o.helpdesk_phone,"             \
	" o.helpdesk_email, COALESCE(s.name, ''), COALESCE(s.site_type, '')"
#define MATCH_JOINS                                                          \
	" JOIN mailboxes m ON m.id = p.mailbox_id"                           \
	" JOIN orgs o ON o.id = p.org_id"                                    \
	" LEFT JOIN sites s ON s.id = p.site_id"
/* Each further word must be a prefix of one of the person's keys. */
#define MORE_WORD                                                            \
	" AND (? = '' OR EXISTS (SELECT 1 FROM people_search x"              \
	" WHERE x.person_id = k.person_id AND x.key >= ? AND x.key < ?))"
#define MORE_WORDS MORE_WORD MORE_WORD MORE_WORD MORE_WORD MORE_WORD
#define LIVE_AND_SITE                                                        \
	" AND p.deleted_at IS NULL AND (? = '' OR s.site_type = ?)"

/* By the driving word alone, or within the orgs named. */
static const char search_by_key[] =
	"SELECT DISTINCT " MATCH_COLUMNS " FROM people_search k"
	" JOIN people p ON p.id = k.person_id" MATCH_JOINS
	" WHERE k.key >= ? AND k.key < ?" MORE_WORDS LIVE_AND_SITE " LIMIT ?";
static const char search_by_org_key[] =
	"SELECT DISTINCT " MATCH_COLUMNS
	" FROM people_search k"
	" JOIN people p ON p.id = k.person_id" MATCH_JOINS
	" WHERE k.org_id IN (SELECT value FROM json_each(?))"
	" AND k.key >= ? AND k.key < ?" MORE_WORDS LIVE_AND_SITE " LIMIT ?";
/* No word: everyone in the orgs, or at sites of the type. */
static const char search_by_org[] =
	"SELECT " MATCH_COLUMNS " FROM people p" MATCH_JOINS
	" WHERE p.org_id IN (SELECT value FROM json_each(?))"
	LIVE_AND_SITE " LIMIT ?";
static const char search_by_site_type[] =
	"SELECT " MATCH_COLUMNS " FROM people p" MATCH_JOINS
	" WHERE p.site_id IN (SELECT id FROM sites WHERE site_type = ?)"
	LIVE_AND_SITE " LIMIT ?";

struct range {
	const char *low, *high;	/* "" and "" for an unused slot */
};

/* Every word of q as a key range; the longest (likely rarest) first. */
static int
query_ranges(const struct store_person_query *q, struct arena *a,
	struct range *r, size_t *count_r, struct error *err)
{
	size_t n = 0, total = q->name_count + q->job_count +
		(q->email != NULL && q->email[0] != '\0');
	if (total > STORE_SEARCH_WORDS_MAX)
		return error_set_field(err, ERROR_INVALID, "q",
			"a search may use at most %d words; leave some out",
			STORE_SEARCH_WORDS_MAX);
	for (size_t i = 0; i < total; i++) {
		const char *prefix = i < q->name_count ? "n:" :
			i < q->name_count + q->job_count ? "j:" : "e:";
		const char *word = i < q->name_count ? q->name_words[i] :
			i < q->name_count + q->job_count ?
			q->job_words[i - q->name_count] : q->email;
		/* Keys are cut at STORE_SEARCH_KEY_MAX; so is the prefix. */
		char *low = arena_printf(a, "%s%.*s", prefix,
			(int)(STORE_SEARCH_KEY_MAX - strlen(prefix)), word);
		char *high = low != NULL ? arena_printf(a, "%s\xff", low) :
			NULL;
		if (high == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		r[n++] = (struct range){ low, high };
	}
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 &&
		     strlen(r[j].low) > strlen(r[j - 1].low); j--) {
			struct range t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	}
	for (size_t i = n; i < STORE_SEARCH_WORDS_MAX; i++)
		r[i] = (struct range){ "", "" };
	*count_r = n;
	return 0;
}

#define RANGE_ARGS(r, i) (r)[i].low, (r)[i].low, (r)[i].high

/*
 * Counting past this tells a common word from a rare one well enough; a
 * higher cap cost two-word searches ~2.7 ms counting (bench B5).
 */
#define PROBE_CAP 1000

/* Keys in the range, counted up to cap; cap on failure. */
static int64_t
range_size(struct store *st, const struct range *r, int64_t cap)
{
	struct error err;
	struct store_stmt *s = store_query(st, &err,
		"SELECT COUNT(*) FROM (SELECT 1 FROM people_search"
		" WHERE key >= ? AND key < ? LIMIT ?)", "tti", r->low, r->high,
		cap);
	if (s == NULL)
		return cap;
	int64_t n = store_step(st, s, &err) == 1 ? store_col_int(st, s, 0) :
		cap;
	store_finish(st, s);
	return n;
}

/*
 * Puts the rarest word first, to drive the search: every person its range
 * holds is checked against the other words, so "zoe ang" should walk the
 * Ångströms, not every Zoë. A count per word decides, each stopped at
 * the smallest so far: it only has to tell which is rarest.
 */
static void
rarest_first(struct store *st, struct range *r, size_t n)
{
	size_t best = 0;
	int64_t best_size = PROBE_CAP + 1;
	for (size_t i = 0; i < n && n > 1 && best_size > 1; i++) {
		int64_t size = range_size(st, &r[i], best_size);
		if (size < best_size) {
			best = i;
			best_size = size;
		}
	}
	struct range t = r[0];
	r[0] = r[best];
	r[best] = t;
}

int
store_person_search(struct store *st, const struct store_person_query *q,
	struct arena *a, struct store_person_match **rows_r, size_t *count_r,
	struct error *err)
{
	struct range r[STORE_SEARCH_WORDS_MAX];
	size_t words = 0;
	if (query_ranges(q, a, r, &words, err) < 0)
		return -1;
	const char *orgs = store_id_set(q->org_ids, q->org_count, a);
	const char *site = q->site_type != NULL ? q->site_type : "";
	int64_t limit = (int64_t)q->limit;
	struct store_stmt *s;
	if (orgs == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (words > 1 && orgs[0] == '\0')
		rarest_first(st, r, words);
	if (words > 0 && orgs[0] != '\0')
		s = store_query(st, err, search_by_org_key,
			"ttt" "ttt" "ttt" "ttt" "ttt" "ttt" "tti", orgs,
			r[0].low, r[0].high, RANGE_ARGS(r, 1), RANGE_ARGS(r, 2),
			RANGE_ARGS(r, 3), RANGE_ARGS(r, 4), RANGE_ARGS(r, 5),
			site, site, limit);
	else if (words > 0)
		s = store_query(st, err, search_by_key,
			"tt" "ttt" "ttt" "ttt" "ttt" "ttt" "tti", r[0].low,
			r[0].high, RANGE_ARGS(r, 1), RANGE_ARGS(r, 2),
			RANGE_ARGS(r, 3), RANGE_ARGS(r, 4), RANGE_ARGS(r, 5),
			site, site, limit);
	else if (orgs[0] != '\0')
		s = store_query(st, err, search_by_org, "ttti", orgs, site,
			site, limit);
	else if (site[0] != '\0')
		s = store_query(st, err, search_by_site_type, "ttti", site,
			site, site, limit);
	else
		return error_set_field(err, ERROR_INVALID, "q",
			"say what to look for: a name, an email address, an "
			"organisation, a site type or a job title");
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), match_read,
		(void **)rows_r, count_r, err);
}

static void
id_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	(void)a;
	*(int64_t *)out = store_col_int(st, s, 0);
}

int
store_org_find(struct store *st, const char *text, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err)
{
	/*
	 * An ODS code is the common case and an index lookup; only text that
	 * is not one reads every org's name (bench B5: an OR of the two read
	 * all 10,000 orgs for every search with org=).
	 */
	struct store_stmt *s = store_query(st, err,
		"SELECT id FROM orgs WHERE ods = upper(?)", "t", text);
	if (s == NULL || store_read_all(st, s, a, sizeof(**ids_r), id_read,
			     (void **)ids_r, count_r, err) < 0)
		return -1;
	if (*count_r > 0)
		return 0;
	/* instr on lower(): a plain substring, no LIKE wildcards to escape. */
	s = store_query(st, err,
		"SELECT id FROM orgs WHERE instr(lower(name), lower(?)) > 0"
		" ORDER BY id", "t", text);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**ids_r), id_read,
		(void **)ids_r, count_r, err);
}
