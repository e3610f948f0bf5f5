/*
 * Folding text for search: lower case, accents taken off Latin letters
 * (Latin-1 Supplement and Latin Extended-A: "Zoë" is "zoe", "Łukasz"
 * "lukasz", "Straße" "strasse"), and split into words. People Finder keys
 * and the words people type are folded alike, so they compare equal
 * (SPEC D4). Layer: core. Pure: no I/O, no locale.
 */
#ifndef CORE_FOLD_H
#define CORE_FOLD_H

#include <stddef.h>
#include <stdint.h>

struct arena;

/*
 * The well-formed UTF-8 character at p (len bytes left; RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF): its length,
 * with its code point in *cp_r, or 0 when there is none.
 */
size_t fold_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp_r);

/* cp (at most U+10FFFF) as UTF-8 into out: the number of bytes, 1 to 4. */
size_t fold_utf8_encode(uint32_t cp, char out[4]);

/*
 * cp in lower case, one code point for one: ASCII, Latin-1, Latin
 * Extended-A, Greek (final sigma as sigma) and Cyrillic; accents are kept
 * ("É" is "é"). Anything else is returned as it is.
 */
uint32_t fold_case(uint32_t cp);

/*
 * The ASCII letters code point cp folds to ("e" for U+00EB, "ss" for
 * U+00DF), NULL when cp is not a foldable Latin letter. Upper-case ASCII
 * is not handled here (see fold_text).
 */
const char *fold_code_point(uint32_t cp);

/*
 * text folded into a new arena string: ASCII lower-cased, foldable
 * letters replaced, anything else kept as it is (invalid UTF-8 bytes
 * too). NULL past the arena's cap.
 */
char *fold_text(const char *text, struct arena *a);

/*
 * The folded words of text, each at most max_len bytes (longer ones are
 * cut, at a character boundary): letters, digits and any non-Latin
 * characters make words; apostrophes are dropped inside a word, so
 * "O'Brien" is "obrien"; everything else (spaces, hyphens, dots,
 * punctuation) separates words. Adds to the arena array *words_r of
 * *count_r entries (both start NULL, 0); -1 past the arena's cap.
 */
int fold_words(const char *text, size_t max_len, struct arena *a,
	char ***words_r, size_t *count_r);

#endif
