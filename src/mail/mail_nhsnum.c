/*
 * NHS numbers in text: the check digit, the forms, the ranges, keywords,
 * tiers and the mask (mail_nhsnum.h). Layer: domain, pure. The rules are
 * SECURITY.md section (c) with the tiers of issue 12 (SPEC M12).
 */
#include "mail/mail_nhsnum.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "core/str.h"

const char *
mail_nhsnum_tier_name(enum mail_nhsnum_tier tier)
{
	switch (tier) {
	case MAIL_NHSNUM_TIER_NONE:
		return "none";
	case MAIL_NHSNUM_TIER_LOW:
		return "low";
	case MAIL_NHSNUM_TIER_MEDIUM:
		return "medium";
	case MAIL_NHSNUM_TIER_HIGH:
		return "high";
	}
	return "none";
}

/* ---- the number itself ---- */

int
mail_nhsnum_check_digit(const char *digits)
{
	int sum = 0;
	for (int i = 0; i < 9; i++) {
		if (!str_is_ascii_digit(digits[i]))
			return -1;
		sum += (digits[i] - '0') * (10 - i);
	}
	/*
	 * 11 - r: a remainder of 0 gives 11, written 0; a remainder of 1
	 * gives 10, which no digit can hold, so no number is issued with
	 * these nine digits (NHS Data Dictionary, "NHS NUMBER").
	 */
	int check = 11 - sum % 11;
	if (check == 11)
		return 0;
	return check == 10 ? -1 : check;
}

bool
mail_nhsnum_is_valid(const char *digits)
{
	int check = mail_nhsnum_check_digit(digits);
	return check >= 0 && str_is_ascii_digit(digits[9]) &&
		digits[9] - '0' == check;
}

static long
first_nine(const char *digits)
{
	long v = 0;
	for (int i = 0; i < 9; i++)
		v = v * 10 + (digits[i] - '0');
	return v;
}

enum mail_nhsnum_range
mail_nhsnum_range(const char *digits)
{
	for (int i = 0; i < 9; i++) {
		if (!str_is_ascii_digit(digits[i]))
			return MAIL_NHSNUM_RANGE_UNISSUED;
	}
	/*
	 * The ranges are of the nine digits before the check digit, as the
	 * Data Dictionary writes them ("320 000 001 to 399 999 999 plus
	 * check digit" for Northern Ireland's Health and Care numbers).
	 */
	long v = first_nine(digits);
	if (v >= 999000000L)
		return MAIL_NHSNUM_RANGE_TEST;
	if ((v >= 400000000L && v <= 499999999L) ||
		(v >= 600000000L && v <= 799999999L))
		return MAIL_NHSNUM_RANGE_ENGLAND_WALES;
	if (v >= 320000001L && v <= 399999999L)
		return MAIL_NHSNUM_RANGE_NORTHERN_IRELAND;
	/*
	 * England also issues 3xx numbers below Northern Ireland's block.
	 * 300-311 overlaps the CHI numbers of people born on the 30th or
	 * 31st; a number cannot say which scheme it is from, and England's
	 * reading is the one this module is about.
	 */
	if (v >= 300000000L && v <= 320000000L)
		return MAIL_NHSNUM_RANGE_ENGLAND;
	return MAIL_NHSNUM_RANGE_UNISSUED;
}

bool
mail_nhsnum_range_is_issued(enum mail_nhsnum_range range)
{
	return range != MAIL_NHSNUM_RANGE_UNISSUED;
}

bool
mail_nhsnum_is_repeated(const char *digits)
{
	for (int i = 1; i < 10; i++) {
		if (digits[i] != digits[0])
			return false;
	}
	return true;
}

enum mail_nhsnum_tier
mail_nhsnum_tier(const char *digits, enum mail_nhsnum_form form,
	bool keyword_nearby)
{
	if (mail_nhsnum_is_repeated(digits))
		return MAIL_NHSNUM_TIER_LOW;
	if (keyword_nearby)
		return MAIL_NHSNUM_TIER_HIGH;
	if (form == MAIL_NHSNUM_FORM_GROUPED &&
		mail_nhsnum_range_is_issued(mail_nhsnum_range(digits)))
		return MAIL_NHSNUM_TIER_MEDIUM;
	return MAIL_NHSNUM_TIER_LOW;
}

void
mail_nhsnum_mask(const char *digits, char *mask)
{
	static const char shape[] = "ddd *** **dd";
	size_t d = 0;
	for (size_t i = 0; i < sizeof(shape); i++) {
		if (shape[i] != 'd') {
			mask[i] = shape[i];
			continue;
		}
		/* The first three digits, then the last two. */
		mask[i] = digits[d < 3 ? d : d + 5];
		d++;
	}
}

/* ---- characters ---- */

/*
 * The code point starting at byte i, its length in *n_r; -1 (one byte)
 * for a byte that starts no valid UTF-8 character.
 */
static int32_t
cp_at(struct span t, size_t i, size_t *n_r)
{
	unsigned char c = (unsigned char)t.p[i];
	*n_r = 1;
	if (c < 0x80)
		return c;
	gunichar cp = g_utf8_get_char_validated(t.p + i, (gssize)(t.len - i));
	if (cp == (gunichar)-1 || cp == (gunichar)-2)
		return -1;
	*n_r = (size_t)g_utf8_skip[c];
	return (int32_t)cp;
}

/* The code point that ends just before byte i (i > 0), or -1. */
static int32_t
cp_before(struct span t, size_t i)
{
	size_t j = i - 1;
	while (j > 0 && i - j < 4 && ((unsigned char)t.p[j] & 0xC0) == 0x80)
		j--;
	size_t n;
	int32_t cp = cp_at(t, j, &n);
	return j + n == i ? cp : -1;
}

/* A letter or digit of any script: what a number or keyword must not touch. */
static bool
is_word(int32_t cp)
{
	if (cp < 0)
		return false;
	if (cp < 0x80)
		return g_ascii_isalnum((char)cp);
	return g_unichar_isalnum((gunichar)cp);
}

/* Code points in bytes [from, to). */
static size_t
cp_count(struct span t, size_t from, size_t to)
{
	size_t n = 0;
	for (size_t i = from; i < to; i++)
		n += ((unsigned char)t.p[i] & 0xC0) != 0x80;
	return n;
}

static size_t
digits_at(struct span t, size_t i)
{
	size_t j = i;
	while (j < t.len && str_is_ascii_digit(t.p[j]))
		j++;
	return j - i;
}

/* ---- what a reader sees ---- */

size_t
mail_nhsnum_normalise(struct span t, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < t.len;) {
		size_t n;
		int32_t cp = cp_at(t, i, &n);
		if (cp < 0x80) {
			/* ASCII and bytes that start nothing: as they are. */
			out[o++] = t.p[i++];
			continue;
		}
		int digit = g_unichar_digit_value((gunichar)cp);
		if (digit >= 0) {
			out[o++] = (char)('0' + digit);
		} else if ((cp >= 0x2010 && cp <= 0x2013) || cp == 0x2212) {
			out[o++] = '-';
		} else if (cp == 0x2007 || cp == 0x202F) {
			out[o++] = '\xc2';
			out[o++] = '\xa0';
		} else if (cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) ||
			cp == 0x2060 || cp == 0xFEFF) {
			/* Shows nothing: left out. */
		} else {
			memcpy(out + o, t.p + i, n);
			o += n;
		}
		i += n;
	}
	return o;
}

/* ---- forms ---- */

/* Spaces or tabs, one line break (CRLF, LF or CR), spaces or tabs. */
static bool
line_break_at(struct span t, size_t i, size_t *end_r)
{
	size_t j = i;
	while (j < t.len && (t.p[j] == ' ' || t.p[j] == '\t'))
		j++;
	if (j == t.len || (t.p[j] != '\n' && t.p[j] != '\r'))
		return false;
	j += t.p[j] == '\r' && j + 1 < t.len && t.p[j + 1] == '\n' ? 2 : 1;
	while (j < t.len && (t.p[j] == ' ' || t.p[j] == '\t'))
		j++;
	*end_r = j;
	return true;
}

/*
 * A separator between two groups at byte i: its character into sep (a
 * line break reads as a space) and where the next group starts.
 */
static bool
separator_at(struct span t, size_t i, char sep[4], size_t *end_r)
{
	size_t j;
	memset(sep, 0, 4);
	if (line_break_at(t, i, end_r)) {
		sep[0] = ' ';
		return true;
	}
	if (i < t.len && (t.p[i] == ' ' || t.p[i] == '-' || t.p[i] == '.')) {
		sep[0] = t.p[i];
		j = i + 1;
	} else if (i + 1 < t.len && (unsigned char)t.p[i] == 0xC2 &&
		(unsigned char)t.p[i + 1] == 0xA0) {
		memcpy(sep, "\xc2\xa0", 2);
		j = i + 2;
	} else {
		return false;
	}
	/* A line wrapped just after the separator. */
	if (!line_break_at(t, j, end_r))
		*end_r = j;
	return true;
}

/* Nothing before byte i joins the number to a longer run. */
static bool
start_is_free(struct span t, size_t i)
{
	if (i == 0)
		return true;
	int32_t cp = cp_before(t, i);
	if (is_word(cp))
		return false;
	return !((cp == '-' || cp == '.') && i >= 2 &&
		str_is_ascii_digit(t.p[i - 2]));
}

/* Nothing at byte i joins the number that ends there to a longer run. */
static bool
end_is_free(struct span t, size_t i)
{
	if (i >= t.len)
		return true;
	size_t n;
	if (is_word(cp_at(t, i, &n)))
		return false;
	return !((t.p[i] == '-' || t.p[i] == '.') && i + 1 < t.len &&
		str_is_ascii_digit(t.p[i + 1]));
}

/* 3-3-4 from the three digits at byte i, one separator used twice. */
static bool
grouped_at(struct span t, size_t i, struct mail_nhsnum_match *m)
{
	char sep1[4], sep2[4];
	size_t j, k;
	if (!separator_at(t, i + 3, sep1, &j) || digits_at(t, j) != 3 ||
		!separator_at(t, j + 3, sep2, &k) || memcmp(sep1, sep2, 4) != 0 ||
		digits_at(t, k) != 4 || !end_is_free(t, k + 4))
		return false;
	memcpy(m->digits, t.p + i, 3);
	memcpy(m->digits + 3, t.p + j, 3);
	memcpy(m->digits + 6, t.p + k, 4);
	m->digits[10] = '\0';
	m->form = MAIL_NHSNUM_FORM_GROUPED;
	m->start = i;
	m->end = k + 4;
	return true;
}

bool
mail_nhsnum_find(struct span t, size_t *pos_io, struct mail_nhsnum_match *m_r)
{
	size_t i = *pos_io;
	while (i < t.len) {
		if (!str_is_ascii_digit(t.p[i])) {
			i++;
			continue;
		}
		size_t run = i + digits_at(t, i);
		/* A run entered in its middle is longer than what is left. */
		bool whole = i == 0 || !str_is_ascii_digit(t.p[i - 1]);
		if (whole && start_is_free(t, i)) {
			struct mail_nhsnum_match m;
			bool found = false;
			if (run - i == 10 && end_is_free(t, run)) {
				memcpy(m.digits, t.p + i, 10);
				m.digits[10] = '\0';
				m.form = MAIL_NHSNUM_FORM_CONTIGUOUS;
				m.start = i;
				m.end = run;
				found = true;
			} else if (run - i == 3) {
				found = grouped_at(t, i, &m);
			}
			if (found && mail_nhsnum_is_valid(m.digits)) {
				*m_r = m;
				*pos_io = m.end;
				return true;
			}
		}
		i = run;
	}
	*pos_io = t.len;
	return false;
}

/* ---- keywords ---- */

/*
 * Lower case; a space stands for any run of blanks. Every one starts with
 * a letter, which is where matching is tried.
 */
static const char *const keywords[] = {
	"nhs", "nhsno", "nhsnumber", "national health service",
	"health authority", "health services authority",
	"patient", "patients",
	"dob", "d.o.b", "date of birth", "birth date", "birthdate", "gp",
	"chi", "h&c", "health and care number",
};

/* Blanks a keyword's space matches: space, tab, CR, LF, U+00A0. */
static size_t
blank_at(struct span t, size_t i)
{
	if (i >= t.len)
		return 0;
	char c = t.p[i];
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return 1;
	if (i + 1 < t.len && (unsigned char)c == 0xC2 &&
		(unsigned char)t.p[i + 1] == 0xA0)
		return 2;
	return 0;
}

/* Where keyword kw ends if it is written at byte i, else 0. */
static size_t
keyword_at(struct span t, size_t i, const char *kw)
{
	size_t j = i;
	for (const char *k = kw; *k != '\0'; k++) {
		if (*k == ' ') {
			size_t n = blank_at(t, j);
			if (n == 0)
				return 0;
			while (n > 0) {
				j += n;
				n = blank_at(t, j);
			}
			continue;
		}
		if (j >= t.len || g_ascii_tolower(t.p[j]) != *k)
			return 0;
		j++;
	}
	size_t n;
	return j >= t.len || !is_word(cp_at(t, j, &n)) ? j : 0;
}

bool
mail_nhsnum_keyword_find(struct span t, size_t *pos_io, size_t *start_r,
	size_t *end_r)
{
	for (size_t i = *pos_io; i < t.len; i++) {
		if (!g_ascii_isalpha(t.p[i]) || (i > 0 && is_word(cp_before(t,
								i))))
			continue;
		size_t best = 0;
		for (size_t k = 0; k < sizeof(keywords) / sizeof(*keywords);
			k++) {
			size_t end = keyword_at(t, i, keywords[k]);
			if (end > best)
				best = end;
		}
		if (best > 0) {
			*start_r = i;
			*end_r = best;
			*pos_io = i + 1;
			return true;
		}
	}
	*pos_io = t.len;
	return false;
}

/* ---- a whole text ---- */

/*
 * Numbers waiting to learn whether a keyword follows within the window.
 * Each number and the character after it take eleven code points, so no
 * more than 28 end within MAIL_NHSNUM_NEARBY of one point.
 */
#define PENDING_MAX 32

struct pending {
	struct mail_nhsnum_match m;
	size_t end_cp;	/* code points before the end of the number */
	bool keyword;	/* a keyword is nearby */
};

struct scan {
	struct pending items[PENDING_MAX];
	size_t first, count;	/* a ring */
	mail_nhsnum_found_fn *found;
	void *ctx;
};

static void
emit_first(struct scan *s)
{
	struct pending *p = &s->items[s->first];
	s->found(s->ctx, &p->m, mail_nhsnum_tier(p->m.digits, p->m.form,
					 p->keyword));
	s->first = (s->first + 1) % PENDING_MAX;
	s->count--;
}

void
mail_nhsnum_scan(struct span t, mail_nhsnum_found_fn *found, void *ctx)
{
	struct scan s = { .found = found, .ctx = ctx };
	struct mail_nhsnum_match m;
	size_t num_pos = 0, kw_pos = 0, ks = 0, ke = 0;
	bool have_num = mail_nhsnum_find(t, &num_pos, &m);
	/*
	 * Keywords only matter near a number: most texts have none, and the
	 * keyword search was most of a scan's time (B10: ~0.7 ms per 4 KB
	 * message of CPU went here).
	 */
	if (!have_num)
		return;
	bool have_kw = mail_nhsnum_keyword_find(t, &kw_pos, &ks, &ke);
	/* A running count of code points up to byte at. */
	size_t at = 0, cps = 0, last_kw_end = 0;
	bool seen_kw = false;
	while (have_num || have_kw) {
		if (have_kw && (!have_num || ks < m.start)) {
			cps += cp_count(t, at, ks);
			at = ks;
			size_t end_cp = cps + cp_count(t, ks, ke);
			/* Numbers before it, close enough. */
			for (size_t n = 0; n < s.count; n++) {
				struct pending *p =
					&s.items[(s.first + n) % PENDING_MAX];
				if (cps >= p->end_cp &&
					cps - p->end_cp <= MAIL_NHSNUM_NEARBY)
					p->keyword = true;
			}
			if (!seen_kw || end_cp > last_kw_end)
				last_kw_end = end_cp;
			seen_kw = true;
			have_kw = mail_nhsnum_keyword_find(t, &kw_pos, &ks, &ke);
			continue;
		}
		cps += cp_count(t, at, m.start);
		at = m.start;
		/* No keyword still to come can be near these. */
		while (s.count > 0 &&
			cps - s.items[s.first].end_cp > MAIL_NHSNUM_NEARBY)
			emit_first(&s);
		if (s.count == PENDING_MAX)
			emit_first(&s);
		struct pending *p = &s.items[(s.first + s.count) % PENDING_MAX];
		s.count++;
		p->m = m;
		p->end_cp = cps + cp_count(t, m.start, m.end);
		p->keyword = seen_kw && cps >= last_kw_end &&
			cps - last_kw_end <= MAIL_NHSNUM_NEARBY;
		have_num = mail_nhsnum_find(t, &num_pos, &m);
	}
	while (s.count > 0)
		emit_first(&s);
}
