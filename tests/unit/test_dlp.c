/*
 * NHS number DLP (mail/mail_nhsnum.h, mail/mail_dlp.h): the check digit
 * for every remainder and against its ≡ 0 (mod 11) form, the ranges at
 * each edge, tiers, the mask, the written forms and every boundary as a
 * table, keywords, the nearby window checked against a brute-force
 * reading of random texts, HTML reduction, and whole messages: encoded
 * subjects, folds, quoted-printable soft breaks, base64, charsets, HTML,
 * attachments, attached messages and what makes a message unscannable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/str.h"
#include "mail/mail_dlp.h"
#include "mail/mail_mime.h"
#include "mail/mail_nhsnum.h"
#include "unit_dlp.h"

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

/* ---- the check digit ---- */

static void
test_check_digit_table(void **state)
{
	/* SECURITY.md (c) V1-V5 and I1-I5, and the published examples. */
	static const struct {
		const char *number;
		bool valid;
	} cases[] = {
		{ "9991496327", true },	  /* V1: r 4 -> 7 */
		{ "9992070854", true },	  /* V2: r 7 -> 4 */
		{ "9993917621", true },	  /* V3: r 10 -> 1 */
		{ "9995882868", true },	  /* V4: r 3 -> 8 */
		{ "9990100020", true },	  /* V5: r 0 -> 11 -> 0 */
		{ "9434765919", true },	  /* the Data Dictionary's example */
		{ "4857773457", true },	  /* Purview's, corrected */
		{ "9991496328", false },  /* I1: wrong check digit */
		{ "9993454150", false },  /* I2: r 1 -> 10, never issued */
		{ "9993454151", false },
		{ "9990270854", false },  /* I3: V2 with two digits swapped */
		{ "9876544321", false },  /* quoted everywhere, fails */
		{ "4857773456", false },  /* AWS and Purview's example */
		{ "0000000000", true },	  /* 55 d = 0 (mod 11) */
		{ "1111111111", true },
		{ "999391762", false },	  /* I4: nine digits */
		{ "99939176a1", false },
		{ "", false },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		char buf[16] = { 0 };
		memcpy(buf, cases[i].number, strlen(cases[i].number));
		if (mail_nhsnum_is_valid(buf) != cases[i].valid)
			fail_msg("%s: expected %s", cases[i].number,
				cases[i].valid ? "valid" : "invalid");
	}
	assert_int_equal(mail_nhsnum_check_digit("999345415"), -1);
	assert_int_equal(mail_nhsnum_check_digit("999010002"), 0);
	assert_int_equal(mail_nhsnum_check_digit("943476591"), 9);
	assert_int_equal(mail_nhsnum_check_digit("94347659x"), -1);
}

/*
 * For a million nine-digit prefixes: the check digit is the one digit that
 * makes sum(d_i * (11 - i)) over all ten = 0 (mod 11), and there is none
 * exactly when the remainder is 1; every other last digit is invalid.
 */
static void
test_check_digit_property(void **state)
{
	(void)state;
	GRand *rng = g_rand_new_with_seed(12);
	size_t tens = 0, zeros = 0;
	for (int n = 0; n < 1000000; n++) {
		char d[11];
		for (int i = 0; i < 9; i++)
			d[i] = (char)('0' + g_rand_int_range(rng, 0, 10));
		d[10] = '\0';
		int want = -1;
		for (int c = 0; c <= 9; c++) {
			int sum = 0;
			for (int i = 0; i < 9; i++)
				sum += (d[i] - '0') * (10 - i);
			if ((sum + c) % 11 == 0)
				want = c;
		}
		int got = mail_nhsnum_check_digit(d);
		assert_int_equal(got, want);
		tens += got < 0;
		zeros += got == 0;
		for (int c = 0; c <= 9; c++) {
			d[9] = (char)('0' + c);
			assert_int_equal(mail_nhsnum_is_valid(d), c == want);
		}
	}
	/* About one prefix in eleven has no number, and one in eleven ends 0. */
	assert_true(tens > 80000 && tens < 102000);
	assert_true(zeros > 80000 && zeros < 102000);
	g_rand_free(rng);
}

static void
test_ranges(void **state)
{
	static const struct {
		const char *first9;
		enum mail_nhsnum_range want;
	} cases[] = {
		{ "000000000", MAIL_NHSNUM_RANGE_UNISSUED },
		{ "010100000", MAIL_NHSNUM_RANGE_UNISSUED }, /* CHI */
		{ "311299999", MAIL_NHSNUM_RANGE_ENGLAND },  /* CHI, 3xx too */
		{ "299999999", MAIL_NHSNUM_RANGE_UNISSUED },
		{ "300000000", MAIL_NHSNUM_RANGE_ENGLAND },
		{ "320000000", MAIL_NHSNUM_RANGE_ENGLAND },
		{ "320000001", MAIL_NHSNUM_RANGE_NORTHERN_IRELAND },
		{ "399999999", MAIL_NHSNUM_RANGE_NORTHERN_IRELAND },
		{ "400000000", MAIL_NHSNUM_RANGE_ENGLAND_WALES },
		{ "499999999", MAIL_NHSNUM_RANGE_ENGLAND_WALES },
		{ "500000000", MAIL_NHSNUM_RANGE_UNISSUED },
		{ "599999999", MAIL_NHSNUM_RANGE_UNISSUED },
		{ "600000000", MAIL_NHSNUM_RANGE_ENGLAND_WALES },
		{ "799999999", MAIL_NHSNUM_RANGE_ENGLAND_WALES },
		{ "800000000", MAIL_NHSNUM_RANGE_UNISSUED },
		{ "943476591", MAIL_NHSNUM_RANGE_UNISSUED },
		{ "998999999", MAIL_NHSNUM_RANGE_UNISSUED },
		{ "999000000", MAIL_NHSNUM_RANGE_TEST },
		{ "999999999", MAIL_NHSNUM_RANGE_TEST },
		{ "99900000x", MAIL_NHSNUM_RANGE_UNISSUED },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		if (mail_nhsnum_range(cases[i].first9) != cases[i].want)
			fail_msg("%s: range %d", cases[i].first9,
				(int)mail_nhsnum_range(cases[i].first9));
		assert_int_equal(mail_nhsnum_range_is_issued(cases[i].want),
			cases[i].want != MAIL_NHSNUM_RANGE_UNISSUED);
	}
}

static void
test_tiers_and_mask(void **state)
{
	static const struct {
		const char *digits;
		enum mail_nhsnum_form form;
		bool keyword;
		enum mail_nhsnum_tier want;
	} cases[] = {
		{ "9991496327", MAIL_NHSNUM_FORM_GROUPED, true,
		  MAIL_NHSNUM_TIER_HIGH },
		{ "9991496327", MAIL_NHSNUM_FORM_CONTIGUOUS, true,
		  MAIL_NHSNUM_TIER_HIGH },
		{ "9991496327", MAIL_NHSNUM_FORM_GROUPED, false,
		  MAIL_NHSNUM_TIER_MEDIUM },
		{ "9991496327", MAIL_NHSNUM_FORM_CONTIGUOUS, false,
		  MAIL_NHSNUM_TIER_LOW },
		{ "9434765919", MAIL_NHSNUM_FORM_GROUPED, false,
		  MAIL_NHSNUM_TIER_LOW }, /* 943 is not issued */
		{ "9434765919", MAIL_NHSNUM_FORM_GROUPED, true,
		  MAIL_NHSNUM_TIER_HIGH },
		{ "4857773457", MAIL_NHSNUM_FORM_GROUPED, false,
		  MAIL_NHSNUM_TIER_MEDIUM },
		{ "0000000000", MAIL_NHSNUM_FORM_GROUPED, true,
		  MAIL_NHSNUM_TIER_LOW }, /* a placeholder */
		{ "9999999999", MAIL_NHSNUM_FORM_GROUPED, false,
		  MAIL_NHSNUM_TIER_LOW },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++)
		assert_int_equal(mail_nhsnum_tier(cases[i].digits,
					 cases[i].form, cases[i].keyword),
			cases[i].want);
	char mask[MAIL_NHSNUM_MASK_SIZE];
	mail_nhsnum_mask("9434765919", mask);
	assert_string_equal(mask, "943 *** **19");
	mail_nhsnum_mask("9990100020", mask);
	assert_string_equal(mask, "999 *** **20");
	assert_string_equal(mail_nhsnum_tier_name(MAIL_NHSNUM_TIER_MEDIUM),
		"medium");
}

/* ---- forms and boundaries ---- */

/* Every number mail_nhsnum_find gives, as "d,d" (digits, comma-joined). */
static void
find_all(const char *text, size_t len, char *out, size_t size)
{
	struct span t = span_make(text, len);
	struct mail_nhsnum_match m;
	size_t pos = 0;
	out[0] = '\0';
	while (mail_nhsnum_find(t, &pos, &m)) {
		size_t n = strlen(out);
		snprintf(out + n, size - n, "%s%s", n > 0 ? "," : "", m.digits);
	}
}

static void
test_forms(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* "" for none */
	} cases[] = {
		/* The forms. */
		{ "9434765919", "9434765919" },
		{ "943 476 5919", "9434765919" },
		{ "943-476-5919", "9434765919" },
		{ "943.476.5919", "9434765919" },
		{ "943\xc2\xa0" "476\xc2\xa0" "5919", "9434765919" },
		{ "999 010 0020", "9990100020" },	/* check digit 0 */
		{ "(9434765919)", "9434765919" },
		{ "NHS:9434765919.", "9434765919" },
		{ "nhs_9434765919_x", "9434765919" },
		{ "x 943-476-5919, y", "9434765919" },
		/* Checksums that fail. */
		{ "9434765918", "" },
		{ "987 654 4321", "" },
		{ "999 345 4150", "" },	/* remainder 10 */
		{ "485 777 3456", "" },
		/* Mixed or doubled separators. */
		{ "943 476-5919", "" },
		{ "943-476 5919", "" },
		{ "943.476-5919", "" },
		{ "943\xc2\xa0" "476 5919", "" },
		{ "943  476 5919", "" },
		{ "943--476--5919", "" },
		{ "943_476_5919", "" },
		{ "943/476/5919", "" },
		{ "94 34 765 919", "" },
		{ "9434 765 919", "" },
		/* Longer runs of digits. */
		{ "94347659190", "" },
		{ "19434765919", "" },
		{ "943 476 59190", "" },
		{ "1943 476 5919", "" },
		{ "943 4765 919", "" },
		{ "12-943-476-5919", "" },
		{ "943-476-5919-2", "" },
		{ "1.943.476.5919", "" },
		{ "9434765919.5", "" },
		{ "3.9434765919", "" },
		{ "9434765919-12", "" },
		/* A space does not join: lists of numbers are found. */
		{ "12 943 476 5919", "9434765919" },
		{ "943 476 5919 12", "9434765919" },
		{ "9434765919 9991496327", "9434765919,9991496327" },
		{ "9434765919,9991496327", "9434765919,9991496327" },
		{ "943 476 5919 999 149 6327", "9434765919,9991496327" },
		{ "943 476 943 476 5919", "9434765919" },
		/* Letters touching. */
		{ "A9434765919", "" },
		{ "9434765919B", "" },
		{ "NHS9434765919", "" },
		{ "x943 476 5919", "" },
		{ "943 476 5919x", "" },
		{ "\xc3\xa9" "9434765919", "" },	/* é */
		{ "9434765919\xc3\xa9", "" },
		{ "\xd0\x96" "943-476-5919", "" },	/* Ж */
		{ "\xd9\xa9" "9434765919", "" },	/* Arabic-Indic 9 */
		/* Not letters: punctuation and symbols of any script. */
		{ "\xe2\x80\x9c" "9434765919\xe2\x80\x9d", "9434765919" },
		{ "\xc2\xa3" "9434765919", "9434765919" },
		/* Line folds between groups. */
		{ "943 476\n5919", "9434765919" },
		{ "943 476\r\n5919", "9434765919" },
		{ "943\r\n476\r\n5919", "9434765919" },
		{ "943 476 \r\n5919", "9434765919" },
		{ "943 476\r\n  5919", "9434765919" },
		{ "943-476-\n5919", "9434765919" },
		{ "943.476.\r\n5919", "9434765919" },
		{ "943\xc2\xa0" "476\xc2\xa0\n5919", "9434765919" },
		{ "943-476\n5919", "" },	/* a hyphen and a space */
		{ "943 476\n\n5919", "" },	/* a paragraph between */
		{ "943 476\r\n\r\n5919", "" },
		{ "94347\n65919", "" },	/* no break inside a group */
		{ "", "" },
		{ "943", "" },
		{ "943 476", "" },
		{ "943 476 ", "" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		char got[256];
		find_all(cases[i].text, strlen(cases[i].text), got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("\"%s\": found \"%s\", expected \"%s\"",
				cases[i].text, got, cases[i].want);
	}
}

static void
test_match_details(void **state)
{
	(void)state;
	const char *text = "ab 943-476-\r\n5919 cd";
	struct mail_nhsnum_match m;
	size_t pos = 0;
	assert_true(mail_nhsnum_find(span_from_cstr(text), &pos, &m));
	assert_int_equal(m.start, 3);
	assert_int_equal(m.end, 17);
	assert_int_equal(pos, 17);
	assert_int_equal(m.form, MAIL_NHSNUM_FORM_GROUPED);
	assert_false(mail_nhsnum_find(span_from_cstr(text), &pos, &m));
	/* A search that starts inside a run does not find its tail. */
	pos = 1;
	assert_false(mail_nhsnum_find(span_from_cstr("19434765919"), &pos,
		&m));
}

static void
test_normalise(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "943 476 5919", "943 476 5919" },
		/* Arabic-Indic and full-width digits. */
		{ "\xd9\xa9\xd9\xa4\xd9\xa3", "943" },
		{ "\xef\xbc\x99\xef\xbc\x94\xef\xbc\x93", "943" },
		/* Hyphens, dashes and the minus sign. */
		{ "943\xe2\x80\x91" "476\xe2\x80\x90" "5919", "943-476-5919" },
		{ "943\xe2\x80\x93" "476\xe2\x88\x92" "5919", "943-476-5919" },
		/* Figure space and narrow no-break space. */
		{ "943\xe2\x80\x87" "476\xe2\x80\xaf" "5919",
		  "943\xc2\xa0" "476\xc2\xa0" "5919" },
		/* What shows nothing goes. */
		{ "943\xc2\xad" "476\xe2\x80\x8b" "59\xef\xbb\xbf" "19",
		  "9434765919" },
		{ "a\xe2\x81\xa0" "b\xe2\x80\x8c\xe2\x80\x8d" "c", "abc" },
		/* Letters and broken bytes as they are. */
		{ "Zo\xc3\xab \xff\xfe", "Zo\xc3\xab \xff\xfe" },
		{ "\xe2\x80", "\xe2\x80" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		char out[64];
		size_t n = mail_nhsnum_normalise(span_from_cstr(cases[i].in),
			out);
		assert_true(n <= strlen(cases[i].in));
		out[n] = '\0';
		assert_string_equal(out, cases[i].want);
	}
}

/* ---- keywords ---- */

static void
test_keywords(void **state)
{
	static const struct {
		const char *text;
		bool found;
	} cases[] = {
		{ "NHS", true }, { "nhs", true }, { "Nhs no.", true },
		{ "NHS number", true }, { "nhs_number", true },
		{ "NHSNo: ", true }, { "NHSNumber", true },
		{ "National  Health\nService", true },
		{ "health authority", true },
		{ "Health Services Authority", true },
		{ "Patient", true }, { "patients", true },
		{ "patient's", true }, { "Patient ID", true },
		{ "DOB", true }, { "dob:", true }, { "D.O.B.", true },
		{ "d.o.b", true }, { "Date of Birth", true },
		{ "date\xc2\xa0of\r\nbirth", true }, { "birth date", true },
		{ "Birthdate", true }, { "GP", true }, { "(GP)", true },
		{ "CHI number", true }, { "H&C", true },
		{ "Health and Care Number", true },
		/* Not words on their own. */
		{ "NHSmail", false }, { "xnhs", false }, { "nhs1", false },
		{ "outpatient", false }, { "patiently", false },
		{ "dobson", false }, { "GPS", false }, { "chimney", false },
		{ "dateofbirth", false }, { "date of", false },
		{ "\xc3\xa9nhs", false }, { "nhs\xc3\xa9", false },
		{ "", false }, { "patient", true },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		size_t pos = 0, start, end;
		bool got = mail_nhsnum_keyword_find(
			span_from_cstr(cases[i].text), &pos, &start, &end);
		if (got != cases[i].found)
			fail_msg("\"%s\": keyword %s", cases[i].text,
				got ? "found" : "not found");
	}
	/* The longest keyword at a point: its end. */
	size_t pos = 0, start, end;
	const char *t = "x date of birth: 1";
	assert_true(mail_nhsnum_keyword_find(span_from_cstr(t), &pos, &start,
		&end));
	assert_int_equal(start, 2);
	assert_int_equal(end, 15);
}

/* ---- tiers in a text: the nearby window ---- */

struct finds {
	size_t n;
	char digits[64][MAIL_NHSNUM_SIZE];
	enum mail_nhsnum_tier tier[64];
};

static void
collect(void *ctx, const struct mail_nhsnum_match *m,
	enum mail_nhsnum_tier tier)
{
	struct finds *f = ctx;
	assert_true(f->n < 64);
	memcpy(f->digits[f->n], m->digits, MAIL_NHSNUM_SIZE);
	f->tier[f->n++] = tier;
}

static enum mail_nhsnum_tier
only_tier(const char *text)
{
	struct finds f = { 0 };
	mail_nhsnum_scan(span_from_cstr(text), collect, &f);
	assert_true(f.n <= 1);
	return f.n == 0 ? MAIL_NHSNUM_TIER_NONE : f.tier[0];
}

/* "before" + gap characters (each fill) + "after", in buf. */
static const char *
spaced(char *buf, const char *before, size_t gap, const char *fill,
	const char *after)
{
	size_t o = 0, k = strlen(fill);
	o += (size_t)snprintf(buf, 8192, "%s", before);
	for (size_t i = 0; i < gap; i++) {
		memcpy(buf + o, fill, k);
		o += k;
	}
	snprintf(buf + o, 8192 - o, "%s", after);
	return buf;
}

static void
test_nearby(void **state)
{
	(void)state;
	char *buf = malloc(8192);
	assert_int_equal(only_tier("NHS 9434765919"), MAIL_NHSNUM_TIER_HIGH);
	assert_int_equal(only_tier("9434765919"), MAIL_NHSNUM_TIER_LOW);
	assert_int_equal(only_tier("999 149 6327"), MAIL_NHSNUM_TIER_MEDIUM);
	assert_int_equal(only_tier("9991496327"), MAIL_NHSNUM_TIER_LOW);
	assert_int_equal(only_tier("patient: 000 000 0000"),
		MAIL_NHSNUM_TIER_LOW);
	assert_int_equal(only_tier("987 654 4321 NHS"), MAIL_NHSNUM_TIER_NONE);
	/* 300 characters between: nearby; 301: not. */
	assert_int_equal(only_tier(spaced(buf, "NHS", 300, " ", "9434765919")),
		MAIL_NHSNUM_TIER_HIGH);
	assert_int_equal(only_tier(spaced(buf, "NHS", 301, " ", "9434765919")),
		MAIL_NHSNUM_TIER_LOW);
	assert_int_equal(only_tier(spaced(buf, "9434765919", 300, " ", "DOB")),
		MAIL_NHSNUM_TIER_HIGH);
	assert_int_equal(only_tier(spaced(buf, "9434765919", 301, " ", "DOB")),
		MAIL_NHSNUM_TIER_LOW);
	/* Characters, not bytes: é is two bytes, one character. */
	assert_int_equal(only_tier(spaced(buf, "NHS ", 298, "\xc3\xa9",
				      " 9434765919")),
		MAIL_NHSNUM_TIER_HIGH);
	assert_int_equal(only_tier(spaced(buf, "NHS ", 299, "\xc3\xa9",
				      " 9434765919")),
		MAIL_NHSNUM_TIER_LOW);
	/* A medium number with a keyword out of reach stays medium. */
	assert_int_equal(only_tier(spaced(buf, "patient", 400, " ",
				      "999-149-6327")),
		MAIL_NHSNUM_TIER_MEDIUM);
	free(buf);
}

/* A brute-force reading of the window, to check the scanner's ring. */
static void
brute_tiers(const char *text, size_t len, struct finds *f)
{
	struct span t = span_make(text, len);
	size_t ks[512], ke[512], nk = 0, pos = 0, s, e;
	while (nk < 512 && mail_nhsnum_keyword_find(t, &pos, &s, &e)) {
		ks[nk] = s;
		ke[nk++] = e;
	}
	struct mail_nhsnum_match m;
	pos = 0;
	f->n = 0;
	while (mail_nhsnum_find(t, &pos, &m)) {
		bool near = false;
		for (size_t k = 0; k < nk; k++) {
			size_t gap = ke[k] <= m.start ?
				g_utf8_strlen(text + ke[k], (gssize)(m.start -
								   ke[k])) :
				g_utf8_strlen(text + m.end, (gssize)(ks[k] -
								   m.end));
			near = near || gap <= MAIL_NHSNUM_NEARBY;
		}
		assert_true(f->n < 64);
		memcpy(f->digits[f->n], m.digits, MAIL_NHSNUM_SIZE);
		f->tier[f->n++] = mail_nhsnum_tier(m.digits, m.form, near);
	}
}

static void
test_nearby_random(void **state)
{
	(void)state;
	static const char *const pieces[] = { "9434765919", "999 149 6327",
		"943-476-5919", "4857773457", "987 654 4321", "NHS", "patient",
		"DOB", " ", "  ", "\n", "x", "\xc3\xa9", "12", "-", ".",
		"\xc2\xa0", "ab cd ", "                                   " };
	GRand *rng = g_rand_new_with_seed(53);
	char *text = malloc(8192);
	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		int pieces_n = g_rand_int_range(rng, 1, 120);
		for (int i = 0; i < pieces_n; i++) {
			const char *p = pieces[g_rand_int_range(rng, 0,
				(gint32)COUNT(pieces))];
			size_t k = strlen(p);
			if (len + k >= 8000)
				break;
			memcpy(text + len, p, k);
			len += k;
		}
		text[len] = '\0';
		struct finds got = { 0 }, want = { 0 };
		mail_nhsnum_scan(span_make(text, len), collect, &got);
		brute_tiers(text, len, &want);
		assert_int_equal(got.n, want.n);
		for (size_t i = 0; i < got.n; i++) {
			assert_string_equal(got.digits[i], want.digits[i]);
			if (got.tier[i] != want.tier[i])
				fail_msg("round %d find %zu: tier %d, brute %d",
					round, i, got.tier[i], want.tier[i]);
		}
	}
	free(text);
	g_rand_free(rng);
}

/* Over 28 numbers within the window all learn of a keyword after them. */
static void
test_nearby_many(void **state)
{
	(void)state;
	char text[2048];
	size_t o = 0;
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s",
			"9434765919 ");
	snprintf(text + o, sizeof(text) - o, "%s", "NHS");
	struct finds f = { 0 };
	mail_nhsnum_scan(span_from_cstr(text), collect, &f);
	assert_int_equal(f.n, 40);
	/* Number i ends 11 * i + 10 characters in; the keyword at 440. */
	for (size_t i = 0; i < 40; i++) {
		size_t gap = 440 - (11 * i + 10);
		assert_int_equal(f.tier[i], gap <= MAIL_NHSNUM_NEARBY ?
			MAIL_NHSNUM_TIER_HIGH : MAIL_NHSNUM_TIER_LOW);
	}
}

/* ---- HTML ---- */

static void
test_html_text(void **state)
{
	static const struct {
		const char *html, *want;
	} cases[] = {
		{ "943&nbsp;476&nbsp;5919", "943\xc2\xa0" "476\xc2\xa0" "5919" },
		{ "943&#160;476&#xA0;5919", "943\xc2\xa0" "476\xc2\xa0" "5919" },
		{ "943&nbsp476&NonBreakingSpace;5919",
		  "943\xc2\xa0" "476\xc2\xa0" "5919" },
		{ "<p>NHS <b>943</b> 476 <i>5919</i></p>", "NHS 943 476 5919" },
		{ "<b>943</b>4765919", "9434765919" },
		{ "943<br>476<BR/>5919", "943\n476\n5919" },
		{ "<td>943</td><td>476</td>", "943\n\n476" },
		{ "<div>a</div>\n\n  <div>b</div>", "a\n\nb" },
		{ "a  \r\n\t b", "a b" },
		{ "a<!-- 9434765919 -->b", "ab" },
		{ "a<!-- never closed", "a" },
		{ "<a href=\"x>y\" title='p>q'>link</a>", "link" },
		{ "&lt;p&gt; &amp; &quot;&apos;", "<p> & \"'" },
		{ "&#57;&#x34;&#51;", "943" },
		{ "&#0;&#xD800;&#x110000;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "&unknown; & &#; &#x;", "&unknown; & &#; &#x;" },
		{ "943&shy;476&period;5919", "943\xc2\xad" "476.5919" },
		{ "1 < 2 and 3 > 2", "1 < 2 and 3 > 2" },
		{ "</ 5", "</ 5" },
		{ "<!DOCTYPE html><html><body>x</body></html>", "x" },
		{ "", "" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		size_t len = strlen(cases[i].html);
		char *out = malloc(len + 1);
		size_t n = mail_dlp_html_text(span_make(cases[i].html, len),
			out);
		assert_true(n <= len);
		out[n] = '\0';
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("\"%s\": \"%s\"", cases[i].html, out);
		free(out);
	}
}

/* ---- whole messages ---- */

struct expect {
	const char *name;
	const char *msg;
	enum mail_nhsnum_tier tier;
	size_t high, medium, low;
	const char *first_where;	/* the first sample's, or NULL */
	bool unscannable;
};

#define HDR "From: a@example.org\r\nTo: b@example.net\r\nMIME-Version: 1.0\r\n"
#define MIXED "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"

static const struct expect messages[] = {
	{ "plain, nothing", HDR "Subject: hello\r\n\r\nNo numbers.\r\n",
	  MAIL_NHSNUM_TIER_NONE, 0, 0, 0, NULL, false },
	{ "subject, RFC 2047",
	  HDR "Subject: =?UTF-8?B?TkhTIDk0MyA0NzYgNTkxOQ==?=\r\n\r\nx\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 1, 0, 0, "subject", false },
	{ "subject folded with a tab",
	  HDR "Subject: referral 999 149\r\n\t6327\r\n\r\nx\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "subject", false },
	{ "subject folded after a blank",
	  HDR "Subject: referral 999 149 \r\n 6327\r\n\r\nx\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "subject", false },
	{ "two subjects",
	  HDR "Subject: a\r\nSubject: 9991496327\r\n\r\nx\r\n",
	  MAIL_NHSNUM_TIER_LOW, 0, 0, 1, "subject", false },
	{ "the same number twice counts once",
	  HDR "Subject: 9991496327\r\n\r\nNHS 999 149 6327\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 1, 0, 0, "part 1", false },
	{ "quoted-printable soft break in a number",
	  HDR "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "Patient 999 14=\r\n9 6327 and 943=204=\r\n76=205919\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 2, 0, 0, "part 1", false },
	{ "base64 text",
	  HDR "Subject: x\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n"
	  "UmVmOiA5OTkgMjA3IDA4NTQK\r\n",	/* "Ref: 999 207 0854\n" */
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "part 1", false },
	{ "ISO-8859-1 no-break space",
	  HDR "Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\n"
	  "Caf\xe9: 999\xa0" "391\xa0" "7621\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "part 1", false },
	{ "ISO-8859-1 no-break space in quoted-printable",
	  HDR "Subject: x\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "999=A0391=A07621\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "part 1", false },
	{ "raw ISO-8859-1 subject",
	  HDR "Subject: Caf\xe9 999\xa0" "149\xa0" "6327\r\n\r\nx\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "subject", false },
	{ "UTF-16 text",
	  HDR "Subject: x\r\nContent-Type: text/plain; charset=utf-16le\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n"
	  "OQA5ADkAMQA0ADkANgAzADIANwA=\r\n",	/* "9991496327" */
	  MAIL_NHSNUM_TIER_LOW, 0, 0, 1, "part 1", false },
	{ "HTML with &nbsp;",
	  HDR "Subject: x\r\n" MIXED
	  "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	  "<p>Ref <b>943&nbsp;476&nbsp;5919</b> and "
	  "999&#160;588&#160;2868</p>\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 1, "part 1", false },
	{ "HTML: a number only in an attribute",
	  HDR "Subject: x\r\nContent-Type: text/html\r\n\r\n"
	  "<a href=\"https://x.example/?n=9991496327\">link</a>\r\n",
	  MAIL_NHSNUM_TIER_LOW, 0, 0, 1, "part 1 (HTML source)", false },
	{ "HTML: soft hyphens between the digits",
	  HDR "Subject: x\r\nContent-Type: text/html\r\n\r\n"
	  "<p>NHS no 999&shy;149&shy;6327</p>\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 1, 0, 0, "part 1", false },
	{ "CSV attachment",
	  HDR "Subject: list\r\n" MIXED
	  "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
	  "--b\r\nContent-Type: text/csv; name=\"list.csv\"\r\n"
	  "Content-Disposition: attachment; filename=\"list.csv\"\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n"
	  /* "name,number\nA,9991496327\nB,999 207 0854\n" */
	  "bmFtZSxudW1iZXIKQSw5OTkxNDk2MzI3CkIsOTk5IDIwNyAwODU0Cg==\r\n"
	  "--b--\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 1, "part 2", false },
	{ "CSV as application/vnd.ms-excel, by its name",
	  HDR "Subject: list\r\n" MIXED
	  "--b\r\nContent-Type: application/vnd.ms-excel\r\n"
	  "Content-Disposition: attachment; filename=\"patients.CSV\"\r\n\r\n"
	  "9991496327\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_LOW, 0, 0, 1, "part 1", false },
	{ "application/csv",
	  HDR "Subject: list\r\n" MIXED
	  "--b\r\nContent-Type: application/csv\r\n\r\n"
	  "NHS,9991496327\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 1, 0, 0, "part 1", false },
	{ "a PDF is skipped, its name is not",
	  HDR "Subject: x\r\n" MIXED
	  "--b\r\nContent-Type: application/pdf\r\n"
	  "Content-Disposition: attachment; filename=\"9991496327.pdf\"\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_LOW, 0, 0, 1, "file name of part 1", false },
	{ "an RFC 2231 file name",
	  HDR "Subject: x\r\n" MIXED
	  "--b\r\nContent-Type: image/png\r\n"
	  "Content-Disposition: attachment; "
	  "filename*=UTF-8''NHS%20999%C2%A0149%C2%A06327.png\r\n\r\n"
	  "x\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 1, 0, 0, "file name of part 1", false },
	{ "an attached message",
	  HDR "Subject: fwd\r\n" MIXED
	  "--b\r\nContent-Type: text/plain\r\n\r\nbelow\r\n"
	  "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	  "Subject: DOB 01/02/1970 999 149 6327\r\n\r\nbody\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 1, 0, 0, "subject of part 2", false },
	{ "an attached message in base64",
	  HDR "Subject: fwd\r\n" MIXED
	  "--b\r\nContent-Type: message/rfc822\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n"
	  /* "Subject: hi\r\n\r\n999 588 2868\r\n" */
	  "U3ViamVjdDogaGkNCg0KOTk5IDU4OCAyODY4DQo=\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "part 1.1", false },
	{ "text labelled as an attached message",
	  HDR "Subject: x\r\n" MIXED
	  "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	  "Patient list\r\n9991496327\r\nRef 999 207 0854: seen\r\n"
	  "X-Ok: 9993917621\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_HIGH, 2, 0, 0, "header of part 1", false },
	{ "stray lines in the message's own header",
	  "Subject: x\r\n9991496327\r\nTo: a@b\r\n\r\nbody\r\n",
	  MAIL_NHSNUM_TIER_LOW, 0, 0, 1, "header", false },
	{ "a text file named .eml",
	  HDR "Subject: x\r\n" MIXED
	  "--b\r\nContent-Type: text/plain\r\n"
	  "Content-Disposition: attachment; filename=notes.eml\r\n\r\n"
	  "notes\r\n999 149 6327\r\n--b--\r\n",
	  MAIL_NHSNUM_TIER_MEDIUM, 0, 1, 0, "header of part 1", false },
	{ "near misses",
	  HDR "Subject: NHS 987 654 4321\r\n\r\n"
	  "patient 94347659190 x9434765919 943-476 5919 999 345 4150 "
	  "12-943-476-5919 943 476 59190\r\n",
	  MAIL_NHSNUM_TIER_NONE, 0, 0, 0, NULL, false },
	{ "unknown charset",
	  HDR "Subject: 9991496327\r\n"
	  "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
	  "text\r\n",
	  MAIL_NHSNUM_TIER_LOW, 0, 0, 1, "subject", true },
	{ "unknown transfer encoding",
	  HDR "Subject: x\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n",
	  MAIL_NHSNUM_TIER_NONE, 0, 0, 0, NULL, true },
	{ "message/partial",
	  HDR "Subject: x\r\nContent-Type: message/partial; id=\"a\"; "
	  "number=1; total=2\r\n\r\nSubject: y\r\n",
	  MAIL_NHSNUM_TIER_NONE, 0, 0, 0, NULL, true },
};

static void
test_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(messages); i++) {
		const struct expect *e = &messages[i];
		struct arena *a = arena_new(16 * 1024 * 1024);
		struct mail_dlp_result r;
		mail_dlp_scan(e->msg, strlen(e->msg), a, &r);
		assert_true(dlp_result_ok(&r));
		if (r.tier != e->tier ||
			r.counts[MAIL_NHSNUM_TIER_HIGH] != e->high ||
			r.counts[MAIL_NHSNUM_TIER_MEDIUM] != e->medium ||
			r.counts[MAIL_NHSNUM_TIER_LOW] != e->low ||
			r.unscannable != e->unscannable)
			fail_msg("%s: tier %s, %zu/%zu/%zu, unscannable %d (%s)",
				e->name, mail_nhsnum_tier_name(r.tier),
				r.counts[MAIL_NHSNUM_TIER_HIGH],
				r.counts[MAIL_NHSNUM_TIER_MEDIUM],
				r.counts[MAIL_NHSNUM_TIER_LOW], r.unscannable,
				r.reason != NULL ? r.reason : "");
		if (e->first_where != NULL &&
			strcmp(r.samples[0].where, e->first_where) != 0)
			fail_msg("%s: first sample in \"%s\"", e->name,
				r.samples[0].where);
		arena_free(&a);
	}
}

static void
test_message_details(void **state)
{
	(void)state;
	struct arena *a = arena_new(16 * 1024 * 1024);
	struct mail_dlp_result r;
	const char *msg = HDR "Subject: x\r\n" MIXED
		"--b\r\nContent-Type: text/plain; charset=x-nope-9991496327\r\n"
		"\r\nx\r\n--b\r\nContent-Type: image/x-9434765919\r\n\r\n"
		"x\r\n--b--\r\n";
	mail_dlp_scan(msg, strlen(msg), a, &r);
	assert_true(r.unscannable);
	/* Names from the message are masked where the result repeats them. */
	assert_non_null(strstr(r.reason, "part 1"));
	assert_non_null(strstr(r.reason, "999 *** **27"));
	assert_null(strstr(r.reason, "9991496327"));
	assert_int_equal(r.skipped_count, 1);
	assert_string_equal(r.skipped[0].where, "part 2");
	assert_string_equal(r.skipped[0].type, "image/x-943 *** **19");
	arena_free(&a);

	/* More distinct numbers than samples: the surest come first. */
	char *big = malloc(64 * 1024);
	/* The keyword and its number first, far from the others. */
	size_t o = (size_t)snprintf(big, 64 * 1024, "%s%400s\r\n",
		HDR "Subject: x\r\n\r\nNHS 999 149 6327\r\n", "");
	char digits[24];
	int made = 0;
	for (long v = 999000000; made < 30; v++) {
		snprintf(digits, sizeof(digits), "%09ld", v);
		int c = mail_nhsnum_check_digit(digits);
		if (c < 0)
			continue;
		o += (size_t)snprintf(big + o, 64 * 1024 - o, "%s%d\r\n",
			digits, c);
		made++;
	}
	a = arena_new(16 * 1024 * 1024);
	mail_dlp_scan(big, o, a, &r);
	assert_true(dlp_result_ok(&r));
	assert_int_equal(r.counts[MAIL_NHSNUM_TIER_HIGH], 1);
	assert_int_equal(r.counts[MAIL_NHSNUM_TIER_LOW], 30);
	assert_int_equal(r.samples[0].tier, MAIL_NHSNUM_TIER_HIGH);
	assert_string_equal(r.samples[0].masked, "999 *** **27");
	assert_int_equal(r.sample_count, MAIL_DLP_SAMPLES_MAX);
	arena_free(&a);
	free(big);
}

/*
 * A message of n MIME parts in all (a multipart, n - 2 fillers and the text
 * with the number), or whose text is n deep in multiparts (the top is 0).
 */
static char *
many_parts(int n, bool nested)
{
	GString *s = g_string_new(HDR "Subject: x\r\n");
	for (int i = 0; i < (nested ? n : 1); i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; "
			"boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
	for (int i = 0; i < (nested ? 0 : n - 2); i++)
		g_string_append(s, "Content-Type: text/plain\r\n\r\nx\r\n--b0\r\n");
	g_string_append(s, "Content-Type: text/plain\r\n\r\n9991496327\r\n");
	return g_string_free(s, FALSE);
}

/* A text part inside n attached messages, each in base64. */
static char *
encoded_nest(int n)
{
	char *inner = g_strdup("Subject: x\r\n\r\nNHS 999 149 6327\r\n");
	for (int i = 0; i < n; i++) {
		char *b64 = g_base64_encode((const guchar *)inner, strlen(inner));
		char *outer = g_strdup_printf("Subject: level %d\r\n"
			"Content-Type: message/rfc822\r\n"
			"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", i, b64);
		g_free(b64);
		g_free(inner);
		inner = outer;
	}
	return inner;
}

static const char *
message_named(const char *name)
{
	for (size_t i = 0; i < COUNT(messages); i++) {
		if (strcmp(messages[i].name, name) == 0)
			return messages[i].msg;
	}
	fail_msg("no message \"%s\"", name);
	return NULL;
}

static void
test_limits(void **state)
{
	(void)state;
	struct mail_dlp_result r;
	struct { char *msg; bool unscannable; } cases[] = {
		{ many_parts(MAIL_MIME_MAX_PARTS, false), false },
		{ many_parts(MAIL_MIME_MAX_PARTS + 1, false), true },
		{ many_parts(MAIL_MIME_MAX_DEPTH, true), false },
		{ many_parts(MAIL_MIME_MAX_DEPTH + 1, true), true },
		{ encoded_nest(MAIL_DLP_NESTED_MAX), false },
		{ encoded_nest(MAIL_DLP_NESTED_MAX + 1), true },
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct arena *a = arena_new(64 * 1024 * 1024);
		mail_dlp_scan(cases[i].msg, strlen(cases[i].msg), a, &r);
		assert_true(dlp_result_ok(&r));
		if (r.unscannable != cases[i].unscannable)
			fail_msg("case %zu: unscannable %d (%s)", i,
				r.unscannable, r.reason ? r.reason : "");
		if (!r.unscannable)
			assert_int_not_equal(r.tier, MAIL_NHSNUM_TIER_NONE);
		arena_free(&a);
		g_free(cases[i].msg);
	}
	/* A result arena too small: unscannable, never a crash. */
	struct arena *tiny = arena_new(256);
	const char *msg = message_named(
		"quoted-printable soft break in a number");
	mail_dlp_scan(msg, strlen(msg), tiny, &r);
	assert_true(r.unscannable);
	arena_free(&tiny);
	/* NULL and empty messages. */
	struct arena *a = arena_new(1 << 20);
	mail_dlp_scan(NULL, 0, a, &r);
	assert_int_equal(r.tier, MAIL_NHSNUM_TIER_NONE);
	assert_false(r.unscannable);
	arena_free(&a);
}

/*
 * A message of about size bytes made to find a quadratic path: four HTML
 * parts, each one trap over and over, so that none hides another: an
 * unclosed <a href=", an unclosed comment, keywords ("date", "national")
 * and three-digit groups each followed by a long run of blanks. One
 * number, before them all, with a keyword.
 */
static GString *
adversarial(size_t size)
{
	char blanks[1001];
	for (size_t i = 0; i < sizeof(blanks) - 1; i++)
		blanks[i] = i % 2 == 0 ? ' ' : '\t';
	blanks[sizeof(blanks) - 1] = '\0';
	char *traps[] = {
		"<a href=\"x ",
		"<!-- x ",
		g_strdup_printf("date%snational%s", blanks, blanks),
		g_strdup_printf("943%s476%s", blanks, blanks),
	};
	GString *s = g_string_new(HDR "Subject: x\r\n" MIXED
		"--b\r\nContent-Type: text/plain\r\n\r\n"
		"NHS 999 149 6327\r\n");
	for (size_t i = 0; i < COUNT(traps); i++) {
		g_string_append(s, "--b\r\nContent-Type: text/html\r\n\r\n");
		size_t end = s->len + size / COUNT(traps);
		while (s->len < end)
			g_string_append(s, traps[i]);
		g_string_append(s, "\r\n");
	}
	g_string_append(s, "--b--\r\n");
	g_free(traps[2]);
	g_free(traps[3]);
	return s;
}

/*
 * How long scanning msg took, the quickest of three runs, in microseconds of
 * this process's CPU time (which others' load on the machine barely moves)
 * and of the clock.
 */
static void
scan_time(const GString *msg, struct mail_dlp_result *r, gint64 *cpu_r,
	gint64 *wall_r)
{
	*cpu_r = G_MAXINT64;
	*wall_r = G_MAXINT64;
	for (int run = 0; run < 3; run++) {
		struct arena *a = arena_new(256 * 1024 * 1024);
		gint64 t0 = g_get_monotonic_time();
		clock_t c0 = clock();
		mail_dlp_scan(msg->str, msg->len, a, r);
		gint64 cpu = (gint64)(clock() - c0) * 1000000 / CLOCKS_PER_SEC;
		gint64 wall = g_get_monotonic_time() - t0;
		assert_false(r->unscannable);
		assert_int_equal(r->counts[MAIL_NHSNUM_TIER_HIGH], 1);
		/* The decoded text lived in arenas of the scan's own, freed. */
		assert_true(arena_used(a) < 64 * 1024);
		arena_free(&a);
		*cpu_r = MIN(*cpu_r, cpu);
		*wall_r = MIN(*wall_r, wall);
	}
}

/*
 * Time stays linear: eight times the adversarial text takes about eight
 * times as long (under sixteen, room for a busy machine), where a
 * quadratic path would take 64.
 */
static void
test_linear(void **state)
{
	(void)state;
	GString *small = adversarial(1024 * 1024);
	GString *large = adversarial(8 * 1024 * 1024);
	struct mail_dlp_result r;
	gint64 cpu1, wall1, cpu8, wall8;
	scan_time(small, &r, &cpu1, &wall1);
	scan_time(large, &r, &cpu8, &wall8);
	print_message("CPU 1 MB: %lld us, 8 MB: %lld us\n", (long long)cpu1,
		(long long)cpu8);
	/* Seconds would mean something quadratic; a sanitizer build is slow. */
	assert_true(wall8 < 20 * 1000 * 1000);
	assert_true(cpu8 < 16 * MAX(cpu1, 1));
	g_string_free(small, TRUE);
	g_string_free(large, TRUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_digit_table),
		cmocka_unit_test(test_check_digit_property),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_tiers_and_mask),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_match_details),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_nearby),
		cmocka_unit_test(test_nearby_random),
		cmocka_unit_test(test_nearby_many),
		cmocka_unit_test(test_html_text),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_message_details),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_linear),
	};
	return cmocka_run_group_tests_name("dlp", tests, NULL, NULL);
}
