/*
 * Accent folding and word splitting for search (SPEC D4). Layer: core.
 * The table covers Latin-1 Supplement (U+00C0-U+00FF) and Latin
 * Extended-A (U+0100-U+017F), which between them spell the names of
 * Western, Central and Northern Europe; other scripts are kept as they are.
 */
#include "core/fold.h"

#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"

/* Runs of code points that fold to the same ASCII letters. */
static const struct {
	uint32_t first, last;
	const char *ascii;
} fold_runs[] = {
	{ 0x00C0, 0x00C5, "a" }, { 0x00C6, 0x00C6, "ae" },
	{ 0x00C7, 0x00C7, "c" }, { 0x00C8, 0x00CB, "e" },
	{ 0x00CC, 0x00CF, "i" }, { 0x00D0, 0x00D0, "d" },
	{ 0x00D1, 0x00D1, "n" }, { 0x00D2, 0x00D6, "o" },
	{ 0x00D8, 0x00D8, "o" }, { 0x00D9, 0x00DC, "u" },
	{ 0x00DD, 0x00DD, "y" }, { 0x00DE, 0x00DE, "th" },
	{ 0x00DF, 0x00DF, "ss" }, { 0x00E0, 0x00E5, "a" },
	{ 0x00E6, 0x00E6, "ae" }, { 0x00E7, 0x00E7, "c" },
	{ 0x00E8, 0x00EB, "e" }, { 0x00EC, 0x00EF, "i" },
	{ 0x00F0, 0x00F0, "d" }, { 0x00F1, 0x00F1, "n" },
	{ 0x00F2, 0x00F6, "o" }, { 0x00F8, 0x00F8, "o" },
	{ 0x00F9, 0x00FC, "u" }, { 0x00FD, 0x00FD, "y" },
	{ 0x00FE, 0x00FE, "th" }, { 0x00FF, 0x00FF, "y" },
	{ 0x0100, 0x0105, "a" }, { 0x0106, 0x010D, "c" },
	{ 0x010E, 0x0111, "d" }, { 0x0112, 0x011B, "e" },
	{ 0x011C, 0x0123, "g" }, { 0x0124, 0x0127, "h" },
	{ 0x0128, 0x0131, "i" }, { 0x0132, 0x0133, "ij" },
	{ 0x0134, 0x0135, "j" }, { 0x0136, 0x0138, "k" },
	{ 0x0139, 0x0142, "l" }, { 0x0143, 0x014B, "n" },
	{ 0x014C, 0x0151, "o" }, { 0x0152, 0x0153, "oe" },
	{ 0x0154, 0x0159, "r" }, { 0x015A, 0x0161, "s" },
	{ 0x0162, 0x0167, "t" }, { 0x0168, 0x0173, "u" },
	{ 0x0174, 0x0175, "w" }, { 0x0176, 0x0178, "y" },
	{ 0x0179, 0x017E, "z" }, { 0x017F, 0x017F, "s" },
};

const char *
fold_code_point(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(fold_runs) / sizeof(*fold_runs);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < fold_runs[mid].first)
			hi = mid;
		else if (cp > fold_runs[mid].last)
			lo = mid + 1;
		else
			return fold_runs[mid].ascii;
	}
	return NULL;
}

size_t
fold_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp_r)
{
	if (len == 0)
		return 0;
	unsigned char c = p[0];
	size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 :
		(c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0 || n > len)
		return 0;
	uint32_t cp = n == 1 ? c : c & (0x7Fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	/* RFC 3629 §3: no overlong forms, surrogates or past U+10FFFF. */
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*cp_r = cp;
	return n;
}

size_t
fold_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Latin Extended-A pairs capitals and small letters as even/odd or odd/even. */
static uint32_t
fold_case_latin_ext_a(uint32_t cp)
{
	if (cp == 0x130)
		return 'i';	/* İ: dotted capital I */
	if (cp == 0x178)
		return 0xFF;	/* Ÿ */
	bool even_upper = (cp >= 0x100 && cp <= 0x137) ||
		(cp >= 0x14A && cp <= 0x177);
	bool odd_upper = (cp >= 0x139 && cp <= 0x148) ||
		(cp >= 0x179 && cp <= 0x17E);
	if ((even_upper && cp % 2 == 0) || (odd_upper && cp % 2 == 1))
		return cp + 1;
	return cp;
}

uint32_t
fold_case(uint32_t cp)
{
	if ((cp >= 'A' && cp <= 'Z') ||
	    (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
		return cp + 32;
	if (cp >= 0x100 && cp <= 0x17F)
		return fold_case_latin_ext_a(cp);
	if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
		return cp + 32;	/* Greek */
	if (cp == 0x3C2)
		return 0x3C3;	/* final sigma compares as sigma */
	if (cp >= 0x410 && cp <= 0x42F)
		return cp + 32;	/* Cyrillic */
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 80;
	return cp;
}

/*
 * One UTF-8 character at p (len bytes left): its code point and length.
 * A byte that does not start a well-formed character is taken alone as
 * U+FFFD, so folding never reads past the text or loops.
 */
static size_t
utf8_next(const unsigned char *p, size_t len, uint32_t *cp_r)
{
	size_t n = fold_utf8_decode(p, len, cp_r);
	if (n > 0)
		return n;
	*cp_r = 0xFFFD;
	return 1;
}

char *
fold_text(const char *text, struct arena *a)
{
	struct str out;
	size_t len = strlen(text);
	str_init(&out, a, 4 * len + 1);
	if (str_append(&out, "", 0) < 0)
		return NULL;
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(p + i, len - i, &cp);
		const char *ascii = fold_code_point(cp);
		int rc;
		if (n == 1 && cp < 0x80)
			rc = str_append_char(&out, str_ascii_lower((char)cp));
		else if (ascii != NULL)
			rc = str_append_cstr(&out, ascii);
		else
			rc = str_append(&out, text + i, n);
		if (rc < 0)
			return NULL;
		i += n;
	}
	return out.p;
}

/* Dropped inside a word: ' ` and the typographic apostrophes. */
static bool
is_apostrophe(uint32_t cp)
{
	return cp == '\'' || cp == '`' || cp == 0x2018 || cp == 0x2019;
}

/* Whether cp is part of a word rather than something between words. */
static bool
is_word_char(uint32_t cp)
{
	if (cp < 0x80)
		return str_is_ascii_alpha((char)cp) ||
			str_is_ascii_digit((char)cp);
	/* Latin-1 punctuation and symbols, ×, ÷, general punctuation. */
	if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD ||
	    (cp >= 0x2000 && cp <= 0x206F))
		return false;
	return true;
}

/* Adds word[0..len) cut to max_len at a character boundary. */
static int
push_word(const char *word, size_t len, size_t max_len, struct arena *a,
	char ***words_r, size_t *count_r, size_t *capacity)
{
	while (len > max_len) {
		len--;
		while (len > 0 && ((unsigned char)word[len] & 0xC0) == 0x80)
			len--;
	}
	if (len == 0)
		return 0;
	char **slot = arena_array_push(a, (void **)words_r, count_r, capacity,
		sizeof(**words_r));
	if (slot == NULL || (*slot = arena_strndup(a, word, len)) == NULL)
		return -1;
	return 0;
}

int
fold_words(const char *text, size_t max_len, struct arena *a,
	char ***words_r, size_t *count_r)
{
	char *folded = fold_text(text, a);
	if (folded == NULL)
		return -1;
	/* Words are built in place: folding never makes text longer again. */
	size_t capacity = *count_r, len = strlen(folded), w = 0, start = 0;
	const unsigned char *p = (const unsigned char *)folded;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(p + i, len - i, &cp);
		if (is_word_char(cp)) {
			memmove(folded + w, folded + i, n);
			w += n;
		} else if (!is_apostrophe(cp)) {
			if (push_word(folded + start, w - start, max_len, a,
				    words_r, count_r, &capacity) < 0)
				return -1;
			start = w;
		}
		i += n;
	}
	return push_word(folded + start, w - start, max_len, a, words_r,
		count_r, &capacity);
}
