/*
 * NHS numbers in text (SPEC M12, SECURITY.md 53 and section (c)): the
 * modulus 11 check digit, the forms people write them in, the issued
 * ranges, the keywords that make a find likely, the confidence tiers and
 * the mask they are shown with. Layer: domain, pure (no I/O, no memory).
 */
#ifndef MAIL_MAIL_NHSNUM_H
#define MAIL_MAIL_NHSNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

/* Ten digits, and room for a NUL. */
#define MAIL_NHSNUM_SIZE 11
/* "943 *** **19" and a NUL. */
#define MAIL_NHSNUM_MASK_SIZE 13
/*
 * A keyword is nearby when at most this many characters (Unicode code
 * points of the decoded text) lie between it and the number, on either
 * side: the window Microsoft Purview's UK NHS number type uses.
 */
#define MAIL_NHSNUM_NEARBY 300

/* How sure a find is; the order matters: a higher tier is surer. */
enum mail_nhsnum_tier {
	MAIL_NHSNUM_TIER_NONE,
	MAIL_NHSNUM_TIER_LOW,	 /* ten digits with a valid check digit */
	MAIL_NHSNUM_TIER_MEDIUM, /* and written 3-3-4, in an issued range */
	MAIL_NHSNUM_TIER_HIGH,	 /* and a keyword nearby, any form */
};

/* "none", "low", "medium" or "high". */
const char *mail_nhsnum_tier_name(enum mail_nhsnum_tier tier);

enum mail_nhsnum_form {
	MAIL_NHSNUM_FORM_CONTIGUOUS,	/* 9434765919 */
	MAIL_NHSNUM_FORM_GROUPED,	/* 943 476 5919, 943-476-5919, ... */
};

/*
 * Who issues numbers in a range, by the first nine digits (the NHS Data
 * Dictionary and the UK FHIR profiles; Wikipedia "NHS number").
 */
enum mail_nhsnum_range {
	MAIL_NHSNUM_RANGE_UNISSUED,	/* none of those below */
	MAIL_NHSNUM_RANGE_ENGLAND,	/* 300 000 000 to 320 000 000 */
	MAIL_NHSNUM_RANGE_NORTHERN_IRELAND, /* H&C 320 000 001-399 999 999 */
	MAIL_NHSNUM_RANGE_ENGLAND_WALES, /* 4xx, 6xx, 7xx; Isle of Man too */
	MAIL_NHSNUM_RANGE_TEST,		/* 999: valid, never issued */
};

/*
 * The check digit of nine ASCII digits: weights 10 down to 2, r = sum mod
 * 11, check = 11 - r, where 11 is 0 and 10 means no number ends these
 * nine digits (it is never issued). Returns 0-9, or -1 for the 10 case
 * or when digits holds anything but digits.
 */
int mail_nhsnum_check_digit(const char *digits);

/* Whether ten ASCII digits end in the check digit of the first nine. */
bool mail_nhsnum_is_valid(const char *digits);

/* The range ten (or the first nine) ASCII digits fall in. */
enum mail_nhsnum_range mail_nhsnum_range(const char *digits);

/*
 * Whether a range counts as issued for the medium tier: England, Wales,
 * the Isle of Man and Northern Ireland, and the 999 test range, so that
 * test data takes the path real numbers take. Scottish CHI numbers
 * (DDMMYY plus four digits, 010 100 0000 to 311 299 9999) pass the same
 * check but are not counted: they are written as ten digits or 6-4, not
 * 3-3-4, and a range that is any date would make the medium tier say
 * little. They are found as low, or high with a keyword ("CHI" is one).
 */
bool mail_nhsnum_range_is_issued(enum mail_nhsnum_range range);

/* Whether all ten digits are the same (0000000000 passes the check). */
bool mail_nhsnum_is_repeated(const char *digits);

/*
 * The tier of a valid number: low when its ten digits are all the same
 * (SECURITY.md (c): a placeholder, never more), high with a keyword
 * nearby, medium when written 3-3-4 in an issued range, else low.
 */
enum mail_nhsnum_tier mail_nhsnum_tier(const char *digits,
	enum mail_nhsnum_form form, bool keyword_nearby);

/*
 * Writes the number as it may be shown or stored: the first three and the
 * last two digits, "943 *** **19", into mask (MAIL_NHSNUM_MASK_SIZE).
 */
void mail_nhsnum_mask(const char *digits, char *mask);

/*
 * text as a reader sees it, for the rules below, into out (at least
 * text.len bytes: it never grows): a decimal digit of any script as its
 * ASCII digit ("\u0669" is 9), the hyphens and dashes U+2010-U+2013 and
 * the minus U+2212 as "-", the figure space U+2007 and narrow no-break
 * space U+202F as a no-break space U+00A0, and the characters that show
 * nothing (soft hyphen U+00AD, U+200B-U+200D, word joiner U+2060, U+FEFF)
 * left out, so "943\u00ad476\u00ad5919" reads 9434765919. Every other
 * byte is copied. Returns the bytes written.
 */
size_t mail_nhsnum_normalise(struct span text, char *out);

/* One number found in a text. */
struct mail_nhsnum_match {
	size_t start, end;	/* byte offsets of the first and past the last digit */
	char digits[MAIL_NHSNUM_SIZE];	/* the ten digits, NUL-terminated */
	enum mail_nhsnum_form form;
};

/*
 * The next NHS number in UTF-8 text that starts at or after *pos_io, with
 * *pos_io moved past it; false when there is none. A number is ten ASCII
 * digits whose last is the check digit of the first nine, written
 *   - contiguous, "9434765919", or
 *   - 3-3-4 with one separator used twice: a space, a hyphen, a dot or a
 *     no-break space (U+00A0): "943 476 5919", "943-476-5919".
 * Between two groups a line break (LF, CRLF or CR) with any spaces or
 * tabs around it may stand for a space, or follow the separator, as when
 * a line is wrapped there: "943 476\n5919", "943-476-\n5919".
 * It must not be part of a longer run: the characters just before and
 * after it are not letters or digits (Unicode), and not a hyphen or dot
 * joining it to more digits ("12-943-476-5919", "9434765919.5").
 */
bool mail_nhsnum_find(struct span text, size_t *pos_io,
	struct mail_nhsnum_match *m_r);

/*
 * The next keyword in text at or after *pos_io, as byte offsets, with
 * *pos_io moved past its first character; false when none. Keywords
 * (Purview's three lists and their Scottish and Northern Irish kin): NHS,
 * NHS number run together (nhsno, nhsnumber), national health service,
 * health authority, health services authority, patient, patients, DOB,
 * D.O.B, date of birth, birth date, birthdate, GP, CHI, H&C, health and
 * care number. Matched in any case, word-bounded (no letter or digit on
 * either side), a space in a keyword matching any run of blanks, line
 * breaks and no-break spaces.
 */
bool mail_nhsnum_keyword_find(struct span text, size_t *pos_io,
	size_t *start_r, size_t *end_r);

/* Called for each number mail_nhsnum_scan finds, with its tier. */
typedef void mail_nhsnum_found_fn(void *ctx,
	const struct mail_nhsnum_match *m, enum mail_nhsnum_tier tier);

/*
 * Every NHS number in text, in order, each with its tier: a keyword is
 * nearby when at most MAIL_NHSNUM_NEARBY code points lie between the two
 * in this text (one text: the subject, one part). Time linear in the
 * text; no memory but the stack.
 */
void mail_nhsnum_scan(struct span text, mail_nhsnum_found_fn *found,
	void *ctx);

#endif
