/*
 * People Finder in the store (SPEC D4): the search keys kept beside each
 * person, and the searches over them. Layer: store.
 *
 * Each live person has one row in people_search per folded name word
 * ("n:smith"), job title word ("j:nurse") and their address
 * ("e:jo.smith@example.nhs.uk"), with their org and their name as sorted
 * (store_search_sort). A word typed is a prefix, so a search is a range
 * scan of the key index (key >= 'n:smi' AND key < 'n:smj', the next
 * prefix: store_next_prefix): it reads only the rows that match,
 * however many people there are (PERFORMANCE B5). Within one key the rows
 * are in name order (the sort name is the key's second column), so a page
 * of the first people by name is a merge of a few keys' first rows, not a
 * sort of every match.
 */
#include <stdlib.h>
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

/*
 * Drops the rows a search batch holds for person_id (made, then changed,
 * in one batch: the refresh writes their keys as they are now). Only the
 * batch's own new people can be there, whose ids are its newest.
 */
static void
batch_forget(struct store *st, int64_t person_id)
{
	if (st->search_pending_count == 0 ||
	    person_id < st->search_pending_min)
		return;
	size_t kept = 0;
	for (size_t i = 0; i < st->search_pending_count; i++)
		if (st->search_pending[i].person_id != person_id)
			st->search_pending[kept++] = st->search_pending[i];
	st->search_pending_count = kept;
}

int
store_search_forget(struct store *st, int64_t person_id, struct error *err)
{
	batch_forget(st, person_id);
	return store_exec(st, err, "DELETE FROM people_search WHERE"
		" person_id = ?", "i", person_id) < 0 ? -1 : 0;
}

int
store_search_refresh(struct store *st, const struct store_person *p,
	struct error *err)
{
	if (store_search_forget(st, p->id, err) < 0)
		return -1;
	struct arena *a = arena_new(REFRESH_ARENA);
	char **keys;
	size_t count;
	const char *sort = store_search_sort(p->last_name, p->first_name, a);
	int rc = 0;
	if (sort == NULL || store_search_keys(p->first_name, p->last_name,
			    p->display_name, p->job_title, a, &keys,
			    &count) < 0)
		rc = error_set(err, ERROR_LIMIT,
			"a person's names are too long to index");
	else if (store_exec(st, err, "UPDATE people SET sort_name = ?"
			 " WHERE id = ?", "ti", sort, p->id) < 0)
		rc = -1;
	if (p->deleted_at != 0)
		count = 0;
	/*
	 * Every key in one statement (a bulk import refreshes 100,000
	 * people, bench B6), the address read from the mailbox, which holds
	 * it. The keys are distinct; the address may equal none of them.
	 */
	if (rc == 0 && store_exec(st, err,
		    "INSERT INTO people_search (key, sort, person_id, org_id,"
		    " site_id) SELECT value, ?1, ?2, ?3, ?4 FROM"
		    " (SELECT value FROM " STORE_TEXT_SET " AS k"
		    " UNION ALL SELECT 'e:' || lower(address) FROM mailboxes"
		    "  WHERE id = ?6 AND ?7 = 0) AS keys"
		    " WHERE true ON CONFLICT DO NOTHING",
		    "tiizTii", sort, p->id, p->org_id, p->site_id,
		    (const char *const *)keys, count, p->mailbox_id,
		    (int64_t)(p->deleted_at != 0)) < 0)
		rc = -1;
	arena_free(&a);
	return rc;
}

void
store_search_batch_begin(struct store *st)
{
	if (!st->search_batch)
		store_bulk(st, true);	/* once, as batch_end ends it once */
	st->search_batch = true;
}

/* Room for a batch's key texts before a flush: some 300 bytes a person. */
#define BATCH_ARENA (512 * 1024 * 1024)

static struct store_key_row *
batch_push(struct store *st)
{
	if (st->search_pending_count == st->search_pending_capacity) {
		size_t cap = st->search_pending_capacity != 0 ?
			2 * st->search_pending_capacity : 8192;
		struct store_key_row *grown = realloc(st->search_pending,
			cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		st->search_pending = grown;
		st->search_pending_capacity = cap;
	}
	return &st->search_pending[st->search_pending_count++];
}

int
store_search_batch_note(struct store *st, const struct store_person *p,
	const char *sort, struct error *err)
{
	if (st->search_arena == NULL)
		st->search_arena = arena_new(BATCH_ARENA);
	struct arena *a = st->search_arena;
	char **keys;
	size_t n;
	if (p->deleted_at != 0)
		return 0;
	const char *kept = arena_strdup(a, sort);
	if (kept == NULL || store_search_keys(p->first_name, p->last_name,
				    p->display_name, p->job_title, a, &keys,
				    &n) < 0)
		return error_set(err, ERROR_LIMIT, "a person's names are too "
			"long to index, or too many people to index at once");
	/* The address key as store_search_refresh makes it: SQL lower(). */
	const char *address = NULL;
	if (p->address != NULL) {
		char *e = arena_printf(a, "e:%s", p->address);
		for (char *c = e; c != NULL && *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (e == NULL)
			return error_set(err, ERROR_LIMIT,
				"too many people to index at once");
		address = e;
	}
	for (size_t i = 0; i <= n; i++) {
		const char *key = i < n ? keys[i] : address;
		/* Keys are distinct; the address may equal none of them. */
		if (key == NULL)
			break;
		struct store_key_row *row = batch_push(st);
		if (row == NULL)
			return error_set(err, ERROR_TEMPORARY, "storage error: "
				"out of memory; try again later");
		*row = (struct store_key_row){ key, kept, p->id, p->org_id,
			p->site_id };
		if (st->search_pending_count == 1 ||
		    p->id < st->search_pending_min)
			st->search_pending_min = p->id;
	}
	return 0;
}

static int
key_row_compare(const void *a, const void *b)
{
	const struct store_key_row *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c == 0)
		c = strcmp(x->sort, y->sort);
	if (c == 0)
		c = x->person_id < y->person_id ? -1 : x->person_id > y->person_id;
	return c;
}

/* Keys written by one INSERT: 16 rows, then one at a time for the rest. */
#define KEY_INSERT_ROWS 16
#define KEY_ROW "(?, ?, ?, ?, ?)"
#define KEY_ROWS4 KEY_ROW "," KEY_ROW "," KEY_ROW "," KEY_ROW
#define KEY_INSERT                                                      \
	"INSERT INTO people_search (key, sort, person_id, org_id, site_id)" \
	" VALUES "
static const char key_insert_one[] =
	KEY_INSERT KEY_ROW " ON CONFLICT DO NOTHING";
static const char key_insert_many[] = KEY_INSERT KEY_ROWS4 "," KEY_ROWS4
	"," KEY_ROWS4 "," KEY_ROWS4 " ON CONFLICT DO NOTHING";

int
store_search_batch_flush(struct store *st, struct error *err)
{
	size_t count = st->search_pending_count;
	struct store_key_row *rows = st->search_pending;
	int rc = 0;
	if (count > 0)
		qsort(rows, count, sizeof(*rows), key_row_compare);
	for (size_t done = 0; rc == 0 && done < count;) {
		size_t n = count - done < KEY_INSERT_ROWS ? 1 : KEY_INSERT_ROWS;
		struct store_stmt *s = store_prepare(st, n == 1 ? key_insert_one :
			key_insert_many, err);
		if (s == NULL) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			const struct store_key_row *r = &rows[done + i];
			int at = (int)(5 * i);
			store_bind_text(st, s, at + 1, r->key);
			store_bind_text(st, s, at + 2, r->sort);
			store_bind_int(st, s, at + 3, r->person_id);
			store_bind_int(st, s, at + 4, r->org_id);
			store_bind_ref(st, s, at + 5, r->site_id);
		}
		if (store_step(st, s, err) < 0)
			rc = -1;
		store_finish(st, s);
		done += n;
	}
	/*
	 * Written, or undone with the transaction the caller rolls back: a
	 * flush belongs outside any savepoint that may be undone alone.
	 */
	st->search_pending_count = 0;
	arena_reset(st->search_arena);
	return rc;
}

int
store_search_batch_end(struct store *st, struct error *err)
{
	int rc = store_search_batch_flush(st, err);
	if (st->search_batch)
		store_bulk(st, false);
	st->search_batch = false;
	return rc;
}

/* The length of the valid UTF-8 sequence that ends s[0..n), or 0. */
static size_t
utf8_last(const unsigned char *s, size_t n, uint32_t *cp_r)
{
	size_t len = 0;
	while (len < n && len < 4 && (s[n - 1 - len] & 0xC0) == 0x80)
		len++;
	if (len == n || len == 4)
		return 0;
	const unsigned char *p = s + n - 1 - len;
	size_t want = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 :
		(*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
	if (want != len + 1)
		return 0;
	uint32_t cp = want == 1 ? *p : want == 2 ? *p & 0x1Fu :
		want == 3 ? *p & 0x0Fu : *p & 0x07u;
	for (size_t i = 1; i < want; i++)
		cp = cp << 6 | (p[i] & 0x3Fu);
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < least[want] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;	/* overlong, out of range or a surrogate */
	*cp_r = cp;
	return want;
}

static size_t
utf8_put(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

int
store_next_prefix(const char *prefix, struct arena *a, char **bound_r)
{
	size_t n = strlen(prefix);
	/* Room for the prefix and one code point longer than the last. */
	unsigned char *out = arena_alloc(a, n + 5);
	if (out == NULL)
		return -1;
	memcpy(out, prefix, n);
	while (n > 0) {
		uint32_t cp;
		size_t len = utf8_last(out, n, &cp);
		if (len == 0) {
			/* Not UTF-8 here: bytes order it, as they do the keys. */
			if (out[n - 1] != 0xFF) {
				out[n - 1]++;
				out[n] = '\0';
				*bound_r = (char *)out;
				return 1;
			}
			n--;
			continue;
		}
		n -= len;
		if (cp == 0x10FFFF)
			continue;
		n += utf8_put(out + n, cp == 0xD7FF ? 0xE000 : cp + 1);
		out[n] = '\0';
		*bound_r = (char *)out;
		return 1;
	}
	*bound_r = NULL;
	return 0;
}

char *
store_search_sort(const char *last_name, const char *first_name,
	struct arena *a)
{
	char *name = arena_printf(a, "%s\x01%s",
		last_name != NULL ? last_name : "",
		first_name != NULL ? first_name : "");
	return name != NULL ? fold_text(name, a) : NULL;
}

static int
role_held_cmp(const void *x, const void *y)
{
	const struct store_role_held *a = x, *b = y;
	if (a->org_id != b->org_id)
		return (a->org_id > b->org_id) - (a->org_id < b->org_id);
	return strcmp(a->role, b->role);
}

/*
 * The roles column (MATCH_ROLES): "org_id US role US ods" per role, RS
 * between them, in no particular order; sorted here by org, then role.
 * Neither a role nor an ODS code holds a control character.
 */
static void
roles_read(struct store *st, const char *text, struct arena *a,
	struct store_person_match *m)
{
	m->roles = NULL;
	m->role_count = 0;
	if (text[0] == '\0')
		return;
	size_t n = 1;
	for (const char *c = text; *c != '\0'; c++)
		n += *c == '\x1e';
	char *copy = arena_strdup(a, text);
	m->roles = arena_alloc(a, n * sizeof(*m->roles));
	if (copy == NULL || m->roles == NULL) {
		st->arena_full = true;
		return;
	}
	char *next = copy;
	while (next != NULL) {
		char *item = next, *role, *ods;
		next = strchr(item, '\x1e');
		if (next != NULL)
			*next++ = '\0';
		role = strchr(item, '\x1f');
		ods = role != NULL ? strchr(role + 1, '\x1f') : NULL;
		if (ods == NULL)
			continue;	/* not as written: no tag rather than a wrong one */
		*role++ = '\0';
		*ods++ = '\0';
		m->roles[m->role_count++] = (struct store_role_held){
			strtoll(item, NULL, 10), role, ods };
	}
	if (m->role_count > 1)
		qsort(m->roles, m->role_count, sizeof(*m->roles),
			role_held_cmp);
}

/* A result's columns read from the rows (MATCH_COLUMNS). */
static void
rows_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
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
	const char *roles = st->ops->column_text(s, c + 6);
	roles_read(st, roles != NULL ? roles : "", a, m);
}

/*
 * A result's columns read from the person's card (CARD_COLUMNS). A card
 * holds what a result shows: the person's other fields are zero and ''
 * (a hidden mobile number is '' on the card, never held).
 */
static void
card_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_person_match *m = out;
	struct store_person *p = &m->person;
	*p = (struct store_person){ .notes = "", .protocols_off = "" };
	p->id = store_col_int(st, s, 0);
	p->org_id = store_col_int(st, s, 1);
	p->site_id = store_col_int(st, s, 2);
	p->address = store_col_text(st, s, 3, a);
	p->first_name = store_col_text(st, s, 4, a);
	p->last_name = store_col_text(st, s, 5, a);
	p->display_name = store_col_text(st, s, 6, a);
	p->job_title = store_col_text(st, s, 7, a);
	p->department = store_col_text(st, s, 8, a);
	p->phone = store_col_text(st, s, 9, a);
	p->mobile = store_col_text(st, s, 10, a);
	p->status = store_person_status_from_text(store_col_text(st, s, 11, a));
	m->org_ods = store_col_text(st, s, 12, a);
	m->org_name = store_col_text(st, s, 13, a);
	m->helpdesk_phone = store_col_text(st, s, 14, a);
	m->helpdesk_email = store_col_text(st, s, 15, a);
	m->site_name = store_col_text(st, s, 16, a);
	m->site_type = store_col_text(st, s, 17, a);
	const char *roles = st->ops->column_text(s, 18);
	roles_read(st, roles != NULL ? roles : "", a, m);
}

/*
 * The roles a person holds now, with the page's row rather than in a
 * statement of their own (bench B5 on PostgreSQL, where each is a round
 * trip).
 */
#define MATCH_ROLES                                                          \
	" (SELECT " STORE_JOINED "(r.org_id || '\x1f' || r.role || '\x1f' ||"  \
	" ro.ods, '\x1e') FROM roles r JOIN orgs ro ON ro.id = r.org_id"      \
	" WHERE r.person_id = p.id)"
#define MATCH_COLUMNS                                                        \
	STORE_PERSON_COLUMNS ", o.ods, o.name, o.helpdesk_phone,"             \
	" o.helpdesk_email, COALESCE(s.name, ''), COALESCE(s.site_type, ''),"  \
	MATCH_ROLES
#define MATCH_JOINS                                                          \
	" JOIN mailboxes m ON m.id = p.mailbox_id"                           \
	" JOIN orgs o ON o.id = p.org_id"                                    \
	" LEFT JOIN sites s ON s.id = p.site_id"
/*
 * The same from each person's card (SQLite, migration 41): one seek a
 * person where the rows were four or five (docs/design.md, "A person's
 * card"). PostgreSQL, and a node's copy of its tables, read the rows.
 */
#define CARD_COLUMNS                                                         \
	"pc.person_id, pc.org_id, pc.site_id, pc.address, pc.first_name,"     \
	" pc.last_name, pc.display_name, pc.job_title, pc.department,"        \
	" pc.phone, pc.mobile, pc.status, pc.org_ods, pc.org_name,"           \
	" pc.helpdesk_phone, pc.helpdesk_email, pc.site_name, pc.site_type,"  \
	" pc.roles"
#define CARD_COLUMN_COUNT 19
/* The rows of the people chosen, in no order: read_chosen orders them. */
static const char match_rows[] =
	"SELECT " MATCH_COLUMNS " FROM people p" MATCH_JOINS
	" WHERE p.id IN " STORE_ID_SET;
static const char match_cards[] =
	"SELECT " CARD_COLUMNS " FROM person_cards pc"
	" WHERE pc.person_id IN " STORE_ID_SET;

/*
 * Each further word must be a prefix of one of the person's keys; a site
 * type, their site's. Key rows exist for live people only and carry the
 * person's site, so a search driven by keys never reads people.
 */
#define WORD_OF(who)                                                         \
	" AND (? = '' OR EXISTS (SELECT 1 FROM people_search x"              \
	" WHERE x.person_id = " who " AND x.key >= ? AND x.key < ?))"
#define MORE_WORDS                                                           \
	WORD_OF("k.person_id") WORD_OF("k.person_id") WORD_OF("k.person_id")  \
	WORD_OF("k.person_id") WORD_OF("k.person_id")
#define SITE_OF(who)                                                         \
	" AND (? = '' OR EXISTS (SELECT 1 FROM sites ss"                     \
	" WHERE ss.id = " who " AND ss.site_type = ?))"
#define KEY_SITE SITE_OF("k.site_id")
/*
 * A person's site checked by its id, not looked up in the list of every
 * site of the type: building that list (2,000 sites a type in bench B5)
 * cost more than the walk it filtered.
 */
#define PERSON_SITE SITE_OF("p.site_id")

/*
 * One key's first people at or after a place in name order: a seek.
 * With a site type and without are two statements, which PostgreSQL
 * plans once each (keys_page says why).
 */
#define KEY_SEEK(site)                                                       \
	"SELECT k.sort, k.person_id FROM people_search k WHERE k.key = ?1"   \
	" AND (k.sort, k.person_id) >= (?2, ?3)" site                        \
	" ORDER BY k.sort, k.person_id LIMIT ?4"
static const char key_seek[] = KEY_SEEK("");
static const char key_seek_site[] = KEY_SEEK(
	" AND EXISTS (SELECT 1 FROM sites ss WHERE ss.id = k.site_id"
	" AND ss.site_type = ?5)");
/* Whether a person has a key in a range: a word checked, not walked. */
static const char has_key[] =
	"SELECT 1 FROM people_search"
	" WHERE person_id = ? AND key >= ? AND key < ? LIMIT 1";
/*
 * The distinct keys in a range, one index seek each, up to ?3 + 1 of
 * them (one more tells there are more): in one statement, since on
 * PostgreSQL each statement is a round trip (bench B5: a prefix with a
 * dozen keys took a dozen).
 */
static const char word_keys[] =
	"SELECT key FROM (WITH RECURSIVE keys(key, n) AS ("
	" SELECT (SELECT key FROM people_search WHERE key >= ?1 AND key < ?2"
	"  ORDER BY key LIMIT 1), 1"
	" UNION ALL"
	" SELECT (SELECT key FROM people_search WHERE key > keys.key"
	"  AND key < ?2 ORDER BY key LIMIT 1), n + 1"
	" FROM keys WHERE keys.key IS NOT NULL AND n <= ?3)"
	" SELECT key, n FROM keys) AS w WHERE key IS NOT NULL ORDER BY n";
/*
 * One word's page when it has at most PAGE_KEYS keys: each key's first
 * ?3 people after the cursor (?1, ?2) (at a site of type ?12), a seek
 * each, the union's first ?3 in name order, and their rows. A person
 * found by two keys is one row of the union. An unused key slot is '',
 * which no key is. With a site type and without are two statements, so
 * that PostgreSQL plans each once for all searches: a "? = '' OR" filter
 * would have it plan every search afresh to drop the filter it can see
 * is true (0.8 ms a search, bench B5).
 */
#define PAGE_KEYS 8
#define PAGE_KEY(n, site)                                                    \
	"SELECT * FROM (SELECT k.sort, k.person_id FROM people_search k"     \
	" WHERE k.key = ?" #n " AND (k.sort, k.person_id) > (?1, ?2)" site    \
	" ORDER BY k.sort, k.person_id LIMIT ?3) AS k" #n
#define PAGE_SITE                                                            \
	" AND EXISTS (SELECT 1 FROM sites ss WHERE ss.id = k.site_id"         \
	" AND ss.site_type = ?12)"
#define KEYS_PAGE(columns, joins, site)                                      \
	"SELECT " columns ", c.sort FROM (SELECT sort, person_id FROM ("      \
	PAGE_KEY(4, site) " UNION " PAGE_KEY(5, site) " UNION "               \
	PAGE_KEY(6, site) " UNION " PAGE_KEY(7, site) " UNION "               \
	PAGE_KEY(8, site) " UNION " PAGE_KEY(9, site) " UNION "               \
	PAGE_KEY(10, site) " UNION " PAGE_KEY(11, site) ") AS u"               \
	" ORDER BY sort, person_id LIMIT ?3) AS c" joins                      \
	" ORDER BY c.sort, c.person_id"
#define PAGE_ROWS " JOIN people p ON p.id = c.person_id" MATCH_JOINS
#define PAGE_CARDS " JOIN person_cards pc ON pc.person_id = c.person_id"
static const char keys_page[] = KEYS_PAGE(MATCH_COLUMNS, PAGE_ROWS, "");
static const char keys_page_site[] = KEYS_PAGE(MATCH_COLUMNS, PAGE_ROWS,
	PAGE_SITE);
static const char keys_cards[] = KEYS_PAGE(CARD_COLUMNS, PAGE_CARDS, "");
static const char keys_cards_site[] = KEYS_PAGE(CARD_COLUMNS, PAGE_CARDS,
	PAGE_SITE);
/* Every match of a range, or within orgs, up to a cap: sorted here. */
static const char range_all[] =
	"SELECT k.sort, k.person_id FROM people_search k"
	" WHERE k.key >= ? AND k.key < ?" MORE_WORDS KEY_SITE " LIMIT ?";
static const char org_range_all[] =
	"SELECT k.sort, k.person_id FROM people_search k"
	" WHERE k.org_id IN " STORE_ID_SET
	" AND k.key >= ? AND k.key < ?" MORE_WORDS KEY_SITE " LIMIT ?";
static const char orgs_all[] =
	"SELECT p.sort_name, p.id FROM people p"
	" WHERE p.org_id IN " STORE_ID_SET
	" AND p.deleted_at IS NULL" PERSON_SITE;
/* From the sites of the type to their people: one index after the other. */
static const char site_all[] =
	"SELECT p.sort_name, p.id FROM sites s JOIN people p ON p.site_id = s.id"
	" WHERE s.site_type = ? AND p.deleted_at IS NULL";
/* How many people are in the orgs, or at sites of the type, up to a cap:
 * from the index alone, before any of their rows is read. */
static const char orgs_count[] =
	"SELECT COUNT(*) FROM (SELECT 1 FROM people"
	" WHERE org_id IN " STORE_ID_SET " LIMIT ?) AS n";
static const char site_count[] =
	"SELECT COUNT(*) FROM (SELECT 1 FROM sites s"
	" JOIN people p ON p.site_id = s.id WHERE s.site_type = ?"
	" LIMIT ?) AS n";
/*
 * People in name order, each checked against every part of the search:
 * everyone by people_name, or one org's by people_org_name, whose entries
 * hold all a walk reads but words (deleted_at IS NULL is the index's
 * equality); "+" keeps the org term from choosing another index, which
 * would mean sorting every match. The ORDER BY names deleted_at, one
 * value here, so it is the indexes' own order: SQLite plans the same
 * either way, but PostgreSQL takes only "=" as fixing a leading column,
 * and without it sorted the whole table (a site-type search over 1.6 M
 * people: 360 ms instead of 2 ms, bench/RESULTS.md). A cursor's place is
 * a filter on PostgreSQL for the same reason (deleted_at IS NULL is not
 * "="), an index bound on SQLite.
 */
#define WALK_FILTERS                                                         \
	WORD_OF("p.id") WORD_OF("p.id") WORD_OF("p.id") WORD_OF("p.id")       \
	WORD_OF("p.id") WORD_OF("p.id")                                      \
	PERSON_SITE                                                          \
	" AND (p.sort_name, p.id) > (?, ?)"                                  \
	" ORDER BY p.deleted_at, p.sort_name, p.id LIMIT ?"
static const char walk_all[] =
	"SELECT p.sort_name, p.id FROM people p WHERE p.deleted_at IS NULL"
	" AND (? = 0 OR +p.org_id IN " STORE_ID_SET ")"
	WALK_FILTERS;
/*
 * One org's people, no word, no site type: the page itself, in one
 * statement (people_org_name, then each person's rows).
 */
#define ORG_PAGE(columns, joins)                                             \
	"SELECT " columns ", p.sort_name FROM people p" joins                 \
	" WHERE p.deleted_at IS NULL AND p.org_id = ?"                        \
	" AND (p.sort_name, p.id) > (?, ?)"                                   \
	" ORDER BY p.deleted_at, p.sort_name, p.id LIMIT ?"
static const char org_page[] = ORG_PAGE(MATCH_COLUMNS, MATCH_JOINS);
static const char org_cards[] = ORG_PAGE(CARD_COLUMNS,
	" JOIN person_cards pc ON pc.person_id = p.id");

/*
 * How a search reads the people it shows: from their rows, or from their
 * cards. Chosen once a search (shown_by), so every statement that shows
 * people agrees with the reader and the sort key's column.
 */
struct shown {
	const char *chosen;	/* the people chosen by id (read_chosen) */
	const char *keys, *keys_site;	/* one word's page (one_word_page) */
	const char *org;	/* one org's page, no word */
	void (*read)(struct store *, struct store_stmt *, struct arena *,
		void *);
	int sort_column;	/* a page's sort key, after a result's columns */
};

static const struct shown shown_rows = {
	match_rows, keys_page, keys_page_site, org_page, rows_read,
	STORE_PERSON_COLUMN_COUNT + 7,
};
static const struct shown shown_cards = {
	match_cards, keys_cards, keys_cards_site, org_cards, card_read,
	CARD_COLUMN_COUNT,
};

static const struct shown *
shown_by(const struct store *st)
{
	return st->cards ? &shown_cards : &shown_rows;
}

static const char walk_org[] =
	"SELECT p.sort_name, p.id FROM people p WHERE p.deleted_at IS NULL"
	" AND p.org_id = ?" WALK_FILTERS;

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
		/* low holds a prefix ("n:"), so a bound always exists. */
		char *high = NULL;
		if (low == NULL || store_next_prefix(low, a, &high) <= 0)
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
 * A word is followed key by key when it names at most this many distinct
 * keys ("s" is a dozen names in the B5 directory, "mc" some hundreds of
 * surnames in a national one); a broader one is checked on each person
 * the others find. Following costs a seek per key and one per person.
 */
#define WORD_KEYS_MAX 256
/* Matches read whole and sorted here, at most; past it, walk in order. */
#define SORT_CAP 2000

/* A person found, before their row is read; sort NULL: none. */
struct cand {
	const char *sort;	/* store_search_sort of their names */
	int64_t id;
};

struct cands {
	struct cand *items;
	size_t count, capacity;
	struct arena *a;
};

/* Reads (sort, id) rows of s onto c; finishes s. How many, or -1. */
static int64_t
cands_read(struct store *st, struct store_stmt *s, struct cands *c,
	struct error *err)
{
	int rc;
	int64_t n = 0;
	while ((rc = store_step(st, s, err)) == 1) {
		struct cand *slot = arena_array_push(c->a, (void **)&c->items,
			&c->count, &c->capacity, sizeof(*slot));
		if (slot == NULL) {
			store_finish(st, s);
			return error_set(err, ERROR_LIMIT, "out of memory");
		}
		slot->sort = store_col_text(st, s, 0, c->a);
		slot->id = store_col_int(st, s, 1);
		n++;
	}
	return store_rows_done(st, s, rc < 0 ? -1 : 0, err) < 0 ? -1 : n;
}

/* Name order: the sort name, then the person's id (store.h). */
static int
cand_cmp(const struct cand *a, const struct cand *b)
{
	int c = strcmp(a->sort, b->sort);
	if (c != 0)
		return c;
	return (a->id > b->id) - (a->id < b->id);
}

static int
cand_by_id(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	return (a->id > b->id) - (a->id < b->id);
}

static int
cand_by_name(const void *x, const void *y)
{
	return cand_cmp(x, y);
}

/* Sorts into name order with each person once. */
static void
cands_sort(struct cands *c)
{
	if (c->count == 0)
		return;
	qsort(c->items, c->count, sizeof(*c->items), cand_by_id);
	size_t out = 1;
	for (size_t i = 1; i < c->count; i++) {
		if (c->items[i].id != c->items[out - 1].id)
			c->items[out++] = c->items[i];
	}
	c->count = out;
	qsort(c->items, c->count, sizeof(*c->items), cand_by_name);
}

/* The search's parts, bound alike by every statement. */
struct search {
	struct range r[STORE_SEARCH_WORDS_MAX];
	size_t words;
	const int64_t *org_ids;	/* NULL: any org */
	size_t org_count;
	const char *site;	/* "" for any */
	int64_t limit;
	struct cand after;	/* the page is of people after this place */
};

#define MORE_ARGS(x)                                                         \
	RANGE_ARGS((x)->r, 1), RANGE_ARGS((x)->r, 2), RANGE_ARGS((x)->r, 3),  \
	RANGE_ARGS((x)->r, 4), RANGE_ARGS((x)->r, 5)

/*
 * One key of a word, read in name order a batch at a time: a seek reads
 * the next `batch` people from where the search stands, and the ones
 * after the first serve the following steps without another seek.
 */
struct key_cursor {
	const char *key;
	struct cand *rows;	/* the last batch read */
	size_t count, next;	/* rows read; the first not yet passed */
	bool read, done;	/* a batch was read; no rows after it */
};

/* A word: the union of its keys, each in name order. */
struct word_cursor {
	struct key_cursor keys[WORD_KEYS_MAX];
	size_t count;
	int64_t batch;		/* rows a seek reads */
};

/*
 * The word's distinct keys (word_keys): 1, or 0 when it has more than
 * WORD_KEYS_MAX, or -1 with err.
 */
static int
word_open(struct store *st, const struct range *r, struct word_cursor *w,
	struct arena *a, struct error *err)
{
	struct store_stmt *s = store_query(st, err, word_keys, "tti", r->low,
		r->high, (int64_t)WORD_KEYS_MAX);
	if (s == NULL)
		return -1;
	int rc;
	bool broad = false;
	w->count = 0;
	while ((rc = store_step(st, s, err)) == 1) {
		if (w->count == WORD_KEYS_MAX) {
			broad = true;
			continue;
		}
		w->keys[w->count++] = (struct key_cursor){
			.key = store_col_text(st, s, 0, a) };
	}
	if (store_rows_done(st, s, rc < 0 ? -1 : 0, err) < 0)
		return -1;
	return broad ? 0 : 1;
}

/* Reads the key's next batch from pos on; -1 with err. */
static int
key_read(struct store *st, const struct search *x, struct key_cursor *k,
	int64_t batch, const struct cand *pos, struct arena *a,
	struct error *err)
{
	bool site = x->site[0] != '\0';
	struct store_stmt *s = store_query(st, err, site ? key_seek_site :
		key_seek, site ? "ttiit" : "ttii", k->key, pos->sort, pos->id,
		batch, x->site);
	if (s == NULL)
		return -1;
	if (k->rows == NULL)
		k->rows = arena_alloc(a, (size_t)batch * sizeof(*k->rows));
	if (k->rows == NULL) {
		store_finish(st, s);
		return error_set(err, ERROR_LIMIT, "out of memory");
	}
	int rc;
	k->count = k->next = 0;
	while ((rc = store_step(st, s, err)) == 1) {
		k->rows[k->count].sort = store_col_text(st, s, 0, a);
		k->rows[k->count].id = store_col_int(st, s, 1);
		k->count++;
	}
	k->read = true;
	k->done = (int64_t)k->count < batch;
	return store_rows_done(st, s, rc < 0 ? -1 : 0, err);
}

/*
 * The word's first person at or after pos in name order, into *next_r:
 * 1, 0 when it has none left, -1 with err. pos never goes back, so a
 * key's rows before it are passed for good.
 */
static int
word_next(struct store *st, const struct search *x, struct word_cursor *w,
	const struct cand *pos, struct cand *next_r, struct arena *a,
	struct error *err)
{
	next_r->sort = NULL;
	for (size_t i = 0; i < w->count; i++) {
		struct key_cursor *k = &w->keys[i];
		while (k->next < k->count &&
		       cand_cmp(&k->rows[k->next], pos) < 0)
			k->next++;
		if (k->next == k->count && !k->done && key_read(st, x, k,
			    w->batch, pos, a, err) < 0)
			return -1;
		if (k->next < k->count && (next_r->sort == NULL ||
			    cand_cmp(&k->rows[k->next], next_r) < 0))
			*next_r = k->rows[k->next];
	}
	return next_r->sort != NULL;
}

/* Whether person id has a key in each of the broad words: 1, 0, -1. */
static int
has_broad_words(struct store *st, const struct range *const *broad,
	size_t n, int64_t id, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct store_stmt *s = store_query(st, err, has_key, "itt", id,
			broad[i]->low, broad[i]->high);
		if (s == NULL)
			return -1;
		int rc = store_step(st, s, err);
		store_finish(st, s);
		if (rc <= 0)
			return rc;
	}
	return 1;
}

/*
 * The first x->limit people in name order who have every word, without
 * an org: each word's keys are followed in name order and the words
 * leapfrog one another (each seeks to where the furthest one stands), so
 * only the people near the page are read, however many match each word
 * alone. Words with too many keys to follow are checked per person.
 * 1 done, 0 when every word is too broad, -1 with err.
 */
static int
leapfrog(struct store *st, const struct search *x, struct cands *c,
	struct error *err)
{
	struct word_cursor *w = arena_alloc(c->a, x->words * sizeof(*w));
	const struct range *broad[STORE_SEARCH_WORDS_MAX];
	size_t lists = 0, broad_count = 0;
	if (w == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	for (size_t i = 0; i < x->words; i++) {
		int rc = word_open(st, &x->r[i], &w[lists], c->a, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			broad[broad_count++] = &x->r[i];
		else
			lists++;
	}
	if (lists == 0)
		return 0;
	/*
	 * One word alone is read in batches of its share of a page per key;
	 * words that leapfrog jump, and read a few rows a seek: on SQLite,
	 * where a statement is a function call and the rows past a jump are
	 * the waste. Where each statement is a round trip (PostgreSQL), a
	 * seek reads a page's worth, for fewer of them (bench B5: a dozen
	 * seeks of 8 for two common words).
	 */
	int64_t jump = st->ops->remote && x->limit > 8 ? x->limit : 8;
	for (size_t i = 0; i < lists; i++) {
		int64_t share = x->limit / (int64_t)w[i].count;
		w[i].batch = lists == 1 && broad_count == 0 ?
			(share > 16 ? share : 16) : jump;
	}
	struct cand pos = { x->after.sort, x->after.id + 1 };
	while ((int64_t)c->count < x->limit) {
		/* Round the words until all stand on one person. */
		struct cand target = pos;
		size_t agree = 0;
		for (size_t i = 0; agree < lists; i = (i + 1) % lists) {
			struct cand next;
			int rc = word_next(st, x, &w[i], &target, &next, c->a,
				err);
			if (rc <= 0)
				return rc < 0 ? -1 : 1;
			if (cand_cmp(&next, &target) == 0) {
				agree++;
			} else {
				target = next;
				agree = 1;
			}
		}
		int rc = has_broad_words(st, broad, broad_count, target.id,
			err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			struct cand *slot = arena_array_push(c->a,
				(void **)&c->items, &c->count, &c->capacity,
				sizeof(*slot));
			if (slot == NULL)
				return error_set(err, ERROR_LIMIT,
					"out of memory");
			*slot = target;
		}
		pos = (struct cand){ target.sort, target.id + 1 };
	}
	return 1;
}

/* Key rows in a range, counted from the index up to a cap. */
static const char range_count[] =
	"SELECT COUNT(*) FROM (SELECT 1 FROM people_search"
	" WHERE key >= ? AND key < ? LIMIT ?) AS n";

/*
 * Puts the word with fewest key rows first, counting each only up to
 * cap + 1: 1 when that word has at most cap (all its matches are read and
 * sorted, the other words checked on each), 0 when every word has more,
 * -1 with err.
 */
static int
rarest_first(struct store *st, struct search *x, int64_t cap,
	struct error *err)
{
	size_t best = 0;
	int64_t best_n = cap + 2;
	for (size_t i = 0; i < x->words; i++) {
		int64_t n = store_one_int(st, store_query(st, err, range_count,
			"tti", x->r[i].low, x->r[i].high, cap + 1), err);
		if (n < 0)
			return -1;
		if (n < best_n) {
			best = i;
			best_n = n;
		}
	}
	struct range t = x->r[0];
	x->r[0] = x->r[best];
	x->r[best] = t;
	return best_n <= cap;
}

/*
 * Every match, if there are at most SORT_CAP: 1 with them in c, 0 when
 * there are more (c left empty), -1 with err. Key rows hold the sort
 * name, so reading past the cap costs index entries only; people are
 * counted first, so their rows are read only when they will be used.
 */
static int
all_matches(struct store *st, const struct search *x, struct cands *c,
	struct error *err)
{
	int64_t cap = SORT_CAP + 1, n;
	struct store_stmt *s;
	if (x->words > 0 && x->org_ids != NULL) {
		s = store_query(st, err, org_range_all, "I" "tt" "ttt" "ttt"
			"ttt" "ttt" "ttt" "tt" "i", x->org_ids, x->org_count,
			x->r[0].low,
			x->r[0].high, MORE_ARGS(x), x->site, x->site, cap);
	} else if (x->words > 0) {
		s = store_query(st, err, range_all, "tt" "ttt" "ttt" "ttt"
			"ttt" "ttt" "tt" "i", x->r[0].low, x->r[0].high,
			MORE_ARGS(x), x->site, x->site, cap);
	} else if (x->org_ids != NULL) {
		n = store_one_int(st, store_query(st, err, orgs_count, "Ii",
			x->org_ids, x->org_count, cap), err);
		if (n < 0 || n == cap)
			return n < 0 ? -1 : 0;
		s = store_query(st, err, orgs_all, "Itt", x->org_ids,
			x->org_count, x->site, x->site);
	} else {
		n = store_one_int(st, store_query(st, err, site_count, "ti",
			x->site, cap), err);
		if (n < 0 || n == cap)
			return n < 0 ? -1 : 0;
		s = store_query(st, err, site_all, "t", x->site);
	}
	n = s != NULL ? cands_read(st, s, c, err) : -1;
	if (n < 0)
		return -1;
	if (n < cap)
		return 1;
	c->count = 0;
	return 0;
}

/*
 * People in name order, each checked against the whole search, up to
 * x->limit: everyone's, or one org's. Quick when matches are many, which
 * is when it is used.
 */
static int
walk(struct store *st, const struct search *x, int64_t org,
	struct cands *c, struct error *err)
{
	struct store_stmt *s = org != 0 ?
		store_query(st, err, walk_org, "i" "ttt" "ttt" "ttt" "ttt"
			"ttt" "ttt" "tt" "ti" "i", org, RANGE_ARGS(x->r, 0),
			MORE_ARGS(x), x->site, x->site, x->after.sort,
			x->after.id, x->limit) :
		store_query(st, err, walk_all, "iI" "ttt" "ttt" "ttt" "ttt"
			"ttt" "ttt" "tt" "ti" "i", (int64_t)(x->org_ids != NULL),
			x->org_ids, x->org_count,
			RANGE_ARGS(x->r, 0), MORE_ARGS(x), x->site, x->site,
			x->after.sort, x->after.id, x->limit);
	return s != NULL && cands_read(st, s, c, err) >= 0 ? 0 : -1;
}

static int
match_by_id(const void *x, const void *y)
{
	const struct store_person_match *a = x, *b = y;
	return (a->person.id > b->person.id) - (a->person.id < b->person.id);
}

/*
 * The first x->limit people of c after x->after in name order, read whole
 * and returned in that order (a matching search may have found some at or
 * before it: every match of a rare word, say).
 */
static int
read_chosen(struct store *st, const struct search *x, struct cands *c,
	struct arena *a, struct store_person_match **rows_r, size_t *count_r,
	struct error *err)
{
	cands_sort(c);
	size_t first = 0;
	while (first < c->count && cand_cmp(&c->items[first], &x->after) <= 0)
		first++;
	/* No candidates: items may be NULL, and no offset is taken of it. */
	const struct cand *chosen = c->count > 0 ? c->items + first : NULL;
	size_t keep = c->count - first < (size_t)x->limit ?
		c->count - first : (size_t)x->limit;
	int64_t *ids = arena_alloc(a, (keep > 0 ? keep : 1) * sizeof(*ids));
	if (ids == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	for (size_t i = 0; i < keep; i++)
		ids[i] = chosen[i].id;
	const struct shown *shown = shown_by(st);
	struct store_stmt *s = store_query(st, err, shown->chosen, "I", ids,
		keep);
	struct store_person_match *rows, *out;
	size_t n;
	if (s == NULL || store_read_all(st, s, a, sizeof(*rows), shown->read,
			     (void **)&rows, &n, err) < 0)
		return -1;
	out = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	/* The rows by id, then each found in name order. */
	/* With no rows, rows may be NULL: neither qsort nor bsearch take it. */
	if (n > 1)
		qsort(rows, n, sizeof(*rows), match_by_id);
	*count_r = 0;
	for (size_t i = 0; i < keep; i++) {
		struct store_person_match key = { .person.id = chosen[i].id };
		struct store_person_match *m = n == 0 ? NULL : bsearch(&key,
			rows, n, sizeof(*rows), match_by_id);
		/*
		 * Gone, or deleted, since it was chosen: the search's reads
		 * are not one moment on every engine (store_reads_begin). A
		 * filter in match_rows would have SQLite walk people_name,
		 * whose first column is deleted_at, rather than seek each id.
		 */
		if (m == NULL || m->person.deleted_at != 0)
			continue;
		m->sort = chosen[i].sort;
		out[(*count_r)++] = *m;
	}
	*rows_r = out;
	return 0;
}

/* A page's row: a result, then its sort key. */
static void
page_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	const struct shown *shown = shown_by(st);
	struct store_person_match *m = out;
	shown->read(st, s, a, out);
	m->sort = store_col_text(st, s, shown->sort_column, a);
}

/*
 * The page of a search by one word and no org, when the word has at most
 * PAGE_KEYS keys: two statements (its keys; the page, keys_page) whatever
 * the people, where following each key takes a statement a key and a
 * batch (bench B5 on PostgreSQL, where each is a round trip). 1 with the
 * page, 0 when the word has more keys (the caller searches as for any
 * word), -1 with err.
 */
static int
one_word_page(struct store *st, const struct search *x, struct arena *a,
	struct store_person_match **rows_r, size_t *count_r,
	struct error *err)
{
	struct word_cursor *w = arena_alloc(a, sizeof(*w));
	if (w == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	int rc = word_open(st, &x->r[0], w, a, err);
	if (rc <= 0)
		return rc;
	if (w->count > PAGE_KEYS)
		return 0;
	*rows_r = NULL;
	*count_r = 0;
	if (w->count == 0)
		return 1;
	const char *key[PAGE_KEYS];
	for (size_t i = 0; i < PAGE_KEYS; i++)
		key[i] = i < w->count ? w->keys[i].key : "";
	bool site = x->site[0] != '\0';
	const struct shown *shown = shown_by(st);
	struct store_stmt *s = store_query(st, err, site ? shown->keys_site :
		shown->keys,
		site ? "tii" "tttt" "tttt" "t" : "tii" "tttt" "tttt",
		x->after.sort, x->after.id, x->limit, key[0], key[1], key[2],
		key[3], key[4], key[5], key[6], key[7], x->site);
	if (s == NULL || store_read_all(st, s, a, sizeof(**rows_r), page_read,
			     (void **)rows_r, count_r, err) < 0)
		return -1;
	return 1;
}

/*
 * Where a cursor stands, as text every backend takes: a sort name is
 * UTF-8 and PostgreSQL takes no other text, so a cursor that is not (one
 * made by hand: ours never are) is moved to the least UTF-8 text after
 * it in byte order, id -1 (before anyone of that name): the same people
 * follow both. 0, 1 when no UTF-8 text follows it (so nobody does), or
 * -1 with err.
 */
static int
cursor_place(struct cand *after, struct arena *a, struct error *err)
{
	const unsigned char *c = (const unsigned char *)after->sort;
	size_t n = strlen(after->sort), p = 0, len;
	uint32_t cp;
	while (p < n && (len = fold_utf8_decode(c + p, n - p, &cp)) > 0)
		p += len;
	if (p == n)
		return 0;
	/*
	 * The least code point whose UTF-8 is after c[p..], found by halves:
	 * UTF-8 keeps code point order (surrogates, which have none, count
	 * as U+E000). None is a prefix of c[p..], where none decodes.
	 */
	uint32_t lo = 0, hi = 0x110000;
	char e[4];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		size_t el = fold_utf8_encode(mid >= 0xD800 && mid <= 0xDFFF ?
			0xE000 : mid, e);
		size_t k = el < n - p ? el : n - p;
		int cmp = memcmp(e, c + p, k);
		if (cmp > 0 || (cmp == 0 && el > n - p))
			hi = mid;
		else
			lo = mid + 1;
	}
	char *place = NULL;
	int rc = 1;
	if (lo < 0x110000) {
		size_t el = fold_utf8_encode(lo >= 0xD800 && lo <= 0xDFFF ?
			0xE000 : lo, e);
		place = arena_printf(a, "%.*s%.*s", (int)p, after->sort,
			(int)el, e);
	} else {
		/* c[p] is past every lead byte: after all text of c[..p). */
		char *prefix = arena_printf(a, "%.*s", (int)p, after->sort);
		rc = prefix != NULL ? store_next_prefix(prefix, a, &place) : -1;
		if (rc == 0)
			return 1;
	}
	if (place == NULL || rc < 0)
		return error_set(err, ERROR_LIMIT, "out of memory");
	after->sort = place;
	after->id = -1;
	return 0;
}

int
store_person_search(struct store *st, const struct store_person_query *q,
	struct arena *a, struct store_person_match **rows_r, size_t *count_r,
	struct error *err)
{
	struct search x = { .limit = (int64_t)q->limit };
	struct cands c = { .a = a };
	/* The node's own copy answers, when it has one (store_finder.c). */
	int copied = st->finder != NULL ? store_finder_person_search(st, q, a,
		rows_r, count_r, err) : 0;
	if (copied != 0)
		return copied < 0 ? -1 : 0;
	if (query_ranges(q, a, x.r, &x.words, err) < 0)
		return -1;
	x.org_ids = q->org_ids;
	x.org_count = q->org_count;
	x.site = q->site_type != NULL ? q->site_type : "";
	x.after = (struct cand){ q->after_sort != NULL ? q->after_sort : "",
		q->after_sort != NULL ? q->after_id : 0 };
	if (x.words == 0 && x.org_ids == NULL && x.site[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "q",
			"say what to look for: a name, an email address, an "
			"organisation, a site type or a job title");
	int placed = cursor_place(&x.after, a, err);
	if (placed != 0) {
		*rows_r = NULL;
		*count_r = 0;
		return placed < 0 ? -1 : 0;
	}
	/*
	 * Cheapest first: every match, when a word has few, sorted here; the
	 * words' keys followed in name order (each key's index is); else
	 * people walked in name order until the page is full, which is quick
	 * exactly when matches are many. One org's people, with no word, are
	 * walked at once: their own index is in name order.
	 */
	int rc = 0;
	if (x.words == 0 && q->org_count == 1 && x.site[0] == '\0') {
		struct store_stmt *s = store_query(st, err, shown_by(st)->org,
			"itii",
			q->org_ids[0], x.after.sort, x.after.id, x.limit);
		return s != NULL && store_read_all(st, s, a, sizeof(**rows_r),
			page_read, (void **)rows_r, count_r, err) == 0 ? 0 : -1;
	}
	if (x.words == 1 && x.org_ids == NULL) {
		rc = one_word_page(st, &x, a, rows_r, count_r, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	if (x.words > 0 && x.org_ids == NULL) {
		/*
		 * One word's own keys give its page cheaply unless they are
		 * many with a person or two each (an address prefix), which
		 * a count that stops at a few pages tells; between words, the
		 * rarest one drives. The same few pages tell a rare word from
		 * a common one among several: past them, following the words
		 * in name order reads less than every match of the rarest
		 * (bench B5: counting two common words to SORT_CAP each was
		 * most of a two-word search).
		 */
		rc = rarest_first(st, &x, 4 * x.limit, err);
		if (rc == 0)
			rc = leapfrog(st, &x, &c, err);
		else if (rc == 1)
			rc = 0;	/* few: all_matches reads them */
	}
	if (rc == 0 && !(x.words == 0 && q->org_count == 1))
		rc = all_matches(st, &x, &c, err);
	if (rc == 0)
		rc = walk(st, &x, q->org_count == 1 ? q->org_ids[0] : 0, &c,
			err) < 0 ? -1 : 1;
	if (rc < 0)
		return -1;
	return read_chosen(st, &x, &c, a, rows_r, count_r, err);
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
	int copied = st->finder != NULL ? store_finder_org_find(st, text, a,
		ids_r, count_r, err) : 0;
	if (copied != 0)
		return copied < 0 ? -1 : 0;
	struct store_stmt *s = store_query(st, err,
		"SELECT id FROM orgs WHERE ods = upper(?)", "t", text);
	if (s == NULL || store_read_all(st, s, a, sizeof(**ids_r), id_read,
			     (void **)ids_r, count_r, err) < 0)
		return -1;
	if (*count_r > 0)
		return 0;
	/* A plain substring: the text's own '%' and '_' are escaped. */
	const char *pattern = store_like_contains(text, a);
	if (pattern == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	s = store_query(st, err,
		"SELECT id FROM orgs"
		" WHERE lower(name) LIKE lower(?) ESCAPE '\\'"
		" ORDER BY id", "t", pattern);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**ids_r), id_read,
		(void **)ids_r, count_r, err);
}
