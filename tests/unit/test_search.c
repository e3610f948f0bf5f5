/*
 * People Finder's pure parts and its store search (SPEC D4): the accent
 * fold table, word splitting, the search-key maker, and searches over a
 * real store — prefixes, word order, accents, filters, deleted people and
 * keys kept up to date by edits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fold.h"
#include "dir/dir.h"
#include "store/store.h"
#include "store/store_search.h"
#include "unit_instance.h"

static void
test_fold_code_points(void **state)
{
	(void)state;
	static const struct {
		uint32_t cp;
		const char *want;	/* NULL: not folded */
	} cases[] = {
		{ 0x00C0, "a" }, { 0x00C5, "a" }, { 0x00C6, "ae" },
		{ 0x00C7, "c" }, { 0x00D0, "d" }, { 0x00D6, "o" },
		{ 0x00D7, NULL },	/* × is not a letter */
		{ 0x00D8, "o" }, { 0x00DE, "th" }, { 0x00DF, "ss" },
		{ 0x00E9, "e" }, { 0x00EB, "e" }, { 0x00F1, "n" },
		{ 0x00F7, NULL }, { 0x00FF, "y" },
		{ 0x0100, "a" }, { 0x010D, "c" }, { 0x0111, "d" },
		{ 0x011B, "e" }, { 0x0131, "i" }, { 0x0133, "ij" },
		{ 0x0142, "l" }, { 0x0144, "n" }, { 0x0151, "o" },
		{ 0x0153, "oe" }, { 0x0159, "r" }, { 0x0161, "s" },
		{ 0x0165, "t" }, { 0x016F, "u" }, { 0x0175, "w" },
		{ 0x0178, "y" }, { 0x017E, "z" }, { 0x017F, "s" },
		{ 0x00BF, NULL }, { 0x0180, NULL }, { 'A', NULL },
		{ 0x0416, NULL },	/* Cyrillic stays itself */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *got = fold_code_point(cases[i].cp);
		if (cases[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
	}
	/* Every letter of both blocks folds to lower-case ASCII. */
	for (uint32_t cp = 0x00C0; cp <= 0x017F; cp++) {
		const char *got = fold_code_point(cp);
		if (cp == 0x00D7 || cp == 0x00F7) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		for (const char *p = got; *p != '\0'; p++)
			assert_true(*p >= 'a' && *p <= 'z');
	}
}

static void
test_fold_text(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 16);
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "Zoë", "zoe" }, { "ZOË", "zoe" }, { "zoe", "zoe" },
		{ "Ångström", "angstrom" }, { "Straße", "strasse" },
		{ "Łukasz Żółć", "lukasz zolc" }, { "Œuvre", "oeuvre" },
		{ "Þór", "thor" }, { "O'Brien", "o'brien" },
		{ "Дмитрий", "Дмитрий" }, { "", "" },
		/* A byte that starts nothing is kept, not read past. */
		{ "a\xff" "b", "a\xff" "b" }, { "\xc3", "\xc3" },
		/* An overlong 'A' is not an A. */
		{ "\xc1\x81", "\xc1\x81" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_string_equal(fold_text(cases[i].in, a), cases[i].want);
	arena_free(&a);
}

/*
 * The one UTF-8 decoder (issue 9 item 6: auth answers, HTTP error text and
 * search folding share it): every scalar value round-trips through the
 * encoder, and what RFC 3629 forbids is refused.
 */
static void
test_fold_utf8(void **state)
{
	(void)state;
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		char buf[4];
		uint32_t back = 0;
		size_t n = fold_utf8_encode(cp, buf);
		if (fold_utf8_decode((const unsigned char *)buf, n, &back) != n ||
		    back != cp)
			fail_msg("U+%04X does not round-trip", (unsigned)cp);
		if (n > 1 && fold_utf8_decode((const unsigned char *)buf, n - 1,
			    &back) != 0)
			fail_msg("U+%04X cut short was read", (unsigned)cp);
	}
	static const char *const bad[] = {
		"\x80", "\xc0\xaf", "\xc1\x81", "\xe0\x80\xaf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xff", "\xc3\x28",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		uint32_t cp;
		assert_int_equal(fold_utf8_decode((const unsigned char *)bad[i],
			strlen(bad[i]), &cp), 0);
	}
	/* Case folding keeps accents and is its own fixed point. */
	for (uint32_t cp = 0; cp < 0x500; cp++)
		assert_int_equal(fold_case(fold_case(cp)), fold_case(cp));
	assert_int_equal(fold_case(0xC9), 0xE9);	/* É é */
	assert_int_equal(fold_case(0x141), 0x142);	/* Ł ł */
	assert_int_equal(fold_case(0xD7), 0xD7);	/* × */
	assert_int_equal(fold_case(0x3A3), 0x3C3);	/* Σ σ */
	assert_int_equal(fold_case(0x3C2), 0x3C3);	/* ς σ */
	assert_int_equal(fold_case(0x401), 0x451);	/* Ё ё */
}

/* words of text joined by '|'. */
static const char *
words_of(const char *text, size_t max, struct arena *a)
{
	char **w = NULL;
	size_t n = 0;
	assert_int_equal(fold_words(text, max, a, &w, &n), 0);
	char *out = arena_strdup(a, "");
	for (size_t i = 0; i < n; i++)
		out = arena_printf(a, "%s%s%s", out, i > 0 ? "|" : "", w[i]);
	return out;
}

static void
test_fold_words(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 16);
	assert_string_equal(words_of("Jo Smith", 48, a), "jo|smith");
	assert_string_equal(words_of("  Siobhán O'Brien-Hughes ", 48, a),
		"siobhan|obrien|hughes");
	assert_string_equal(words_of("O\u2019Neill", 48, a), "oneill");
	assert_string_equal(words_of("jo.smith@example.nhs.uk", 48, a),
		"jo|smith|example|nhs|uk");
	assert_string_equal(words_of("Staff Nurse (Band 5)", 48, a),
		"staff|nurse|band|5");
	assert_string_equal(words_of("A\u00a0B\u2013C", 48, a), "a|b|c");
	assert_string_equal(words_of("Дмитрий Иванов", 48, a),
		"Дмитрий|Иванов");
	assert_string_equal(words_of(" - , ", 48, a), "");
	/* Cut at max bytes, never inside a character. */
	assert_string_equal(words_of("abcdef", 4, a), "abcd");
	assert_string_equal(words_of("Дмитрий", 5, a), "Дм");
	arena_free(&a);
}

static void
test_search_keys(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 16);
	char **keys;
	size_t n;
	assert_int_equal(store_search_keys("Zoë", "Smith-Jones",
				 "Zoë Smith-Jones", "Staff Nurse", a, &keys,
				 &n),
		0);
	const char *want[] = { "n:zoe", "n:smith", "n:jones", "j:staff",
		"j:nurse" };
	assert_int_equal(n, 5);	/* the display name adds nothing new */
	for (size_t i = 0; i < n; i++)
		assert_string_equal(keys[i], want[i]);
	assert_int_equal(store_search_keys("", "", "", "", a, &keys, &n), 0);
	assert_int_equal(n, 0);
	/* A long word is cut so key and typed prefix stay comparable. */
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(store_search_keys(longname, "Y", "", "", a, &keys,
				 &n), 0);
	assert_int_equal(strlen(keys[0]), STORE_SEARCH_KEY_MAX);
	arena_free(&a);
}

struct fixture {
	struct unit_instance u;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "trust.example", "test") < 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	if (unit_instance_close(&f->u) < 0)
		return -1;
	free(f);
	return 0;
}

static void
add_org(struct fixture *f, const char *ods, const char *name)
{
	struct dir_org_fields in = { .ods = ods, .name = name };
	struct store_org o;
	struct error err;
	if (dir_org_add(&f->u.ctx, &in, &o, &err) < 0)
		fail_msg("%s", err.msg);
}

static const char *
add_person(struct fixture *f, const char *ods, const char *first,
	const char *last, const char *job)
{
	struct dir_person_fields in = { .org_ods = ods, .first_name = first,
		.last_name = last, .job_title = job, .mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
		fail_msg("%s", err.msg);
	return p.address;
}

/* Addresses found, sorted, joined by ' '; "!" and the error on failure. */
static const char *
found(struct fixture *f, const char *q, const char *org, const char *job)
{
	struct dir_people_query query = { .q = q, .org = org,
		.job_title = job };
	struct dir_people_result r;
	struct error err;
	if (dir_people_search(&f->u.ctx, &query, &r, &err) < 0)
		return arena_printf(f->u.arena, "!%s", err.field);
	char *out = arena_strdup(f->u.arena, "");
	for (size_t i = 0; i < r.count; i++)
		out = arena_printf(f->u.arena, "%s%s%s", out, i > 0 ? " " : "",
			r.people[i].match.person.address);
	return out;
}

static void
test_store_search(void **state)
{
	struct fixture *f = *state;
	add_org(f, "AAA01", "Alpha Practice");
	add_org(f, "BBB02", "Beta Trust");
	const char *jo = add_person(f, "AAA01", "Jo", "Smith", "Staff Nurse");
	const char *zoe = add_person(f, "AAA01", "Zoë", "Åberg", "");
	const char *ann = add_person(f, "BBB02", "Ann", "Smith", "Nurse");
	assert_string_equal(found(f, "smi jo", NULL, NULL), jo);
	assert_string_equal(found(f, "SMITH", NULL, NULL),
		arena_printf(f->u.arena, "%s %s", ann, jo));
	assert_string_equal(found(f, "zoe aber", NULL, NULL), zoe);
	assert_string_equal(found(f, "ZOË", NULL, NULL), zoe);
	assert_string_equal(found(f, "smith", "beta", NULL), ann);
	assert_string_equal(found(f, "smith", "aaa01", NULL), jo);
	assert_string_equal(found(f, NULL, NULL, "nurse"),
		arena_printf(f->u.arena, "%s %s", ann, jo));
	assert_string_equal(found(f, "jo", NULL, "nurse staff"), jo);
	assert_string_equal(found(f, jo, NULL, NULL), jo);
	assert_string_equal(found(f, "", NULL, NULL), "!q");
	assert_string_equal(found(f, "x", "nowhere", NULL), "!org");
	/* An edit moves the keys; a delete takes them away. */
	struct dir_person_fields change = { .last_name = "Jones",
		.mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	assert_int_equal(dir_person_edit(&f->u.ctx, jo, &change, &p, &err), 0);
	assert_string_equal(found(f, "smi jo", NULL, NULL), "");
	assert_string_equal(found(f, "jon jo", NULL, NULL), jo);
	assert_int_equal(dir_person_delete(&f->u.ctx, ann, &err), 0);
	assert_string_equal(found(f, "smith", NULL, NULL), "");
	assert_string_equal(found(f, ann, NULL, NULL), "");
}

/*
 * A bulk load's keys (store_search_batch_*, bench B6): written at the
 * flush or, at the latest, by the commit; a person undone with their
 * savepoint leaves none; the keys are the ones an add writes at once.
 */
static void
test_search_batch(void **state)
{
	struct fixture *f = *state;
	struct store *st = f->u.ctx.store;
	struct error err;
	add_org(f, "AAA01", "Alpha Practice");
	assert_int_equal(store_begin(st, &err), 0);
	store_search_batch_begin(st);
	const char *jo = add_person(f, "AAA01", "Jo", "Smith", "Staff Nurse");
	assert_int_equal(store_begin(st, &err), 0);
	const char *gone = add_person(f, "AAA01", "Al", "Smithers", "Porter");
	store_rollback(st);
	const char *kim = add_person(f, "AAA01", "Kim", "Smyth", "Nurse");
	/* The commit writes what no flush has yet. */
	assert_int_equal(store_commit(st, &err), 0);
	assert_string_equal(found(f, "smi jo", NULL, NULL), jo);
	assert_string_equal(found(f, NULL, NULL, "staff nurse"), jo);
	assert_string_equal(found(f, jo, NULL, NULL), jo);
	assert_string_equal(found(f, "smyth kim", NULL, NULL), kim);
	assert_string_equal(found(f, gone, NULL, NULL), "");
	assert_string_equal(found(f, "porter", NULL, NULL), "");
	/* A flush inside a transaction; the end leaves batch mode. */
	assert_int_equal(store_begin(st, &err), 0);
	const char *lee = add_person(f, "AAA01", "Lee", "Smart", "Nurse");
	assert_int_equal(store_search_batch_end(st, &err), 0);
	assert_string_equal(found(f, "smart", NULL, "nurse"), lee);
	const char *max = add_person(f, "AAA01", "Max", "Smart", "");
	assert_string_equal(found(f, "max sma", NULL, NULL), max);
	assert_int_equal(store_commit(st, &err), 0);
	/* The same keys as a person added outside a batch. */
	const char *jo2 = add_person(f, "AAA01", "Jo", "Smith", "Staff Nurse");
	assert_string_equal(found(f, "jo smith", NULL, "staff nurse"),
		arena_printf(f->u.arena, "%s %s", jo, jo2));
}

/* ---- Name order (issue 8): a page is the first people by name ---- */

struct known {
	int64_t id, org_id;
	bool pharmacy;		/* at the pharmacy site */
	const char *sort;	/* store_search_sort */
	char **keys;		/* as stored, "e:" key included */
	size_t key_count;
};

/* A name of 1-6 letters of "abcd", three times in four starting 'a'. */
static const char *
random_name(unsigned *seed, struct arena *a)
{
	char name[8];
	size_t n = 1 + (size_t)(rand_r(seed) % 6);
	for (size_t i = 0; i < n; i++)
		name[i] = "abcd"[rand_r(seed) % 4];
	if (rand_r(seed) % 4 != 0)
		name[0] = 'a';
	name[0] = (char)(name[0] - 'a' + 'A');
	name[n] = '\0';
	return arena_strdup(a, name);
}

/* One of a few common names half the time, else a random one. */
static const char *
common_or_random(unsigned *seed, const char *const *common, struct arena *a)
{
	if (rand_r(seed) % 2 == 0)
		return common[rand_r(seed) % 4];
	return random_name(seed, a);
}

static bool
known_matches(const struct known *k, const char *const *words, size_t n,
	int64_t org_id, bool pharmacy)
{
	if ((org_id != 0 && k->org_id != org_id) || (pharmacy && !k->pharmacy))
		return false;
	for (size_t w = 0; w < n; w++) {
		char want[64];
		snprintf(want, sizeof(want), "n:%s", words[w]);
		bool hit = false;
		for (size_t i = 0; i < k->key_count && !hit; i++)
			hit = strncmp(k->keys[i], want, strlen(want)) == 0;
		if (!hit)
			return false;
	}
	return true;
}

static int
known_cmp(const void *x, const void *y)
{
	const struct known *a = *(const struct known *const *)x;
	const struct known *b = *(const struct known *const *)y;
	int c = strcmp(a->sort, b->sort);
	return c != 0 ? c : (a->id > b->id) - (a->id < b->id);
}

static int
match_cmp(const void *x, const void *y)
{
	const struct store_person *a =
		&((const struct store_person_match *)x)->person;
	const struct store_person *b =
		&((const struct store_person_match *)y)->person;
	struct arena *t = arena_new(1 << 12);
	int c = strcmp(store_search_sort(a->last_name, a->first_name, t),
		store_search_sort(b->last_name, b->first_name, t));
	arena_free(&t);
	return c != 0 ? c : (a->id > b->id) - (a->id < b->id);
}

/*
 * The store's page against a brute-force sort of every match, over 5,000
 * people (common names and random ones) and searches that take each way
 * the store has: words' keys followed in order and leapfrogging, a word
 * too broad to follow, every match sorted, a walk in name order
 * (everyone's, one org's), orgs and a site type.
 */
static void
test_search_name_order(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct arena *a = f->u.arena;
	add_org(f, "AAA01", "Alpha Practice");
	add_org(f, "BBB02", "Beta Pharmacy");
	struct store_site site;
	if (dir_site_add(&f->u.ctx, "BBB02", "Shop", "pharmacy", "", &site,
		    &err) < 0)
		fail_msg("%s", err.msg);
	enum { PEOPLE = 5000, LIMIT = 8 };
	static const char *const firsts[] = { "Jo", "John", "Joanna", "Joe" };
	static const char *const lasts[] = { "Smith", "Smithson", "Smyth",
		"Smith" };
	struct known *known = arena_alloc(a, PEOPLE * sizeof(*known));
	assert_non_null(known);
	unsigned seed = 8;
	int64_t orgs[2] = { 0, 0 };
	assert_int_equal(store_begin(f->u.st, &err), 0);
	for (size_t i = 0; i < PEOPLE; i++) {
		bool beta = rand_r(&seed) % 3 != 0;
		bool shop = beta && rand_r(&seed) % 5 != 0;
		struct dir_person_fields in = { .org_ods = beta ? "BBB02" :
			"AAA01",
			.first_name = common_or_random(&seed, firsts, a),
			.last_name = common_or_random(&seed, lasts, a),
			.site = shop ? "Shop" : NULL, .mobile_hidden = -1 };
		struct store_person p;
		if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
			fail_msg("%s", err.msg);
		orgs[beta] = p.org_id;
		known[i] = (struct known){ .id = p.id, .org_id = p.org_id,
			.pharmacy = shop,
			.sort = store_search_sort(p.last_name, p.first_name,
				a) };
		assert_int_equal(store_search_keys(p.first_name, p.last_name,
			p.display_name, "", a, &known[i].keys,
			&known[i].key_count), 0);
	}
	assert_int_equal(store_commit(f->u.st, &err), 0);
	static const struct {
		const char *words[2];
		int org;	/* 0 none, 1 Alpha, 2 Beta */
		bool pharmacy;
	} searches[] = {
		/* Broad ("a" has hundreds of names) and common: a walk. */
		{ { "a" }, 0, false },
		/* A few keys, many people: followed in order, leapfrogging. */
		{ { "jo" }, 0, false }, { { "sm" }, 0, false },
		{ { "sm", "jo" }, 0, false }, { { "jo", "smith" }, 0, false },
		{ { "jo", "a" }, 0, false }, { { "smy", "a" }, 0, true },
		{ { "jo" }, 0, true },
		/* Few people: all read and sorted. */
		{ { "ab" }, 0, false }, { { "smiths" }, 0, false },
		{ { "abc" }, 0, false }, { { "dd" }, 0, false },
		{ { "aaa", "b" }, 0, false }, { { "ac", "ca" }, 0, false },
		{ { "cc" }, 0, true },
		/* Orgs and a site type. */
		{ { "a" }, 1, false }, { { "jo" }, 2, false },
		{ { "sm", "a" }, 2, false }, { { NULL }, 1, false },
		{ { NULL }, 2, false }, { { NULL }, 0, true },
		{ { NULL }, 2, true }, { { "a" }, 0, true },
	};
	const struct known **want = arena_alloc(a, PEOPLE * sizeof(*want));
	for (size_t s = 0; s < sizeof(searches) / sizeof(*searches); s++) {
		size_t words = searches[s].words[0] == NULL ? 0 :
			searches[s].words[1] == NULL ? 1 : 2;
		int64_t org = searches[s].org == 0 ? 0 :
			orgs[searches[s].org - 1];
		size_t n = 0;
		for (size_t i = 0; i < PEOPLE; i++) {
			if (known_matches(&known[i], searches[s].words, words,
				    org, searches[s].pharmacy))
				want[n++] = &known[i];
		}
		qsort(want, n, sizeof(*want), known_cmp);
		struct store_person_query q = {
			.name_words = searches[s].words, .name_count = words,
			.org_ids = org != 0 ? &org : NULL,
			.org_count = org != 0,
			.site_type = searches[s].pharmacy ? "pharmacy" : NULL,
			.limit = LIMIT,
		};
		struct store_person_match *rows;
		size_t count;
		if (store_person_search(f->u.st, &q, a, &rows, &count,
			    &err) < 0)
			fail_msg("search %zu: %s", s, err.msg);
		qsort(rows, count, sizeof(*rows), match_cmp);
		size_t expect = n < LIMIT ? n : LIMIT;
		if (count != expect)
			fail_msg("search %zu: %zu rows, want %zu of %zu", s,
				count, expect, n);
		for (size_t i = 0; i < count; i++) {
			if (rows[i].person.id != want[i]->id)
				fail_msg("search %zu: row %zu is %s, want %s",
					s, i, rows[i].person.last_name,
					want[i]->sort);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_code_points),
		cmocka_unit_test(test_fold_text),
		cmocka_unit_test(test_fold_utf8),
		cmocka_unit_test(test_fold_words),
		cmocka_unit_test(test_search_keys),
		cmocka_unit_test_setup_teardown(test_store_search, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_search_name_order, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_search_batch, setup,
			teardown),
	};
	return cmocka_run_group_tests_name("search", tests, NULL, NULL);
}
