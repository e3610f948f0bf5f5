/*
 * Data loss prevention: the NHS numbers in a whole message (SPEC M12,
 * SECURITY.md 53), found in its subject, every text part and text-like
 * attachment once decoded, with HTML reduced to text. Layer: domain, pure
 * (the message in, a result out). RFC 5322, 2045-2047, 2231; HTML 5
 * character references. SECURITY: input is whatever a sender wrote; the
 * result never holds a number in clear.
 */
#ifndef MAIL_MAIL_DLP_H
#define MAIL_MAIL_DLP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"
#include "mail/mail_nhsnum.h"

struct arena;

/* Masked samples a result keeps, surest first. */
#define MAIL_DLP_SAMPLES_MAX 10
/* Attached messages in base64 or quoted-printable, one inside another. */
#define MAIL_DLP_NESTED_MAX 8

struct mail_dlp_sample {
	enum mail_nhsnum_tier tier;
	char masked[MAIL_NHSNUM_MASK_SIZE];	/* "943 *** **19" */
	const char *where;	/* "subject", "part 1.2", "file name of part 2" */
};

/* A part not scanned because it is not text (an image, a PDF, a zip). */
struct mail_dlp_skipped {
	const char *where;	/* "part 2" */
	const char *type;	/* "application/pdf" */
};

struct mail_dlp_result {
	enum mail_nhsnum_tier tier;	/* the surest find; NONE for none */
	/*
	 * Distinct numbers by the surest tier each was found at (indexed by
	 * the tier; counts[MAIL_NHSNUM_TIER_NONE] stays 0): a number in the
	 * subject and again in the body counts once.
	 */
	size_t counts[MAIL_NHSNUM_TIER_HIGH + 1];
	struct mail_dlp_sample samples[MAIL_DLP_SAMPLES_MAX];
	size_t sample_count;
	size_t texts;	/* texts scanned: subjects, parts, file names */
	const struct mail_dlp_skipped *skipped;
	size_t skipped_count;
	/*
	 * Some of the message could not be read, so what was found is not
	 * all there is: the caller holds the message. reason says why in
	 * one sentence naming the part; NULL when scannable.
	 */
	bool unscannable;
	const char *reason;
};

/*
 * Scans a whole RFC 5322 message of len bytes (CRLF or LF line ends) for
 * NHS numbers (mail_nhsnum.h), each text read on its own:
 *  - every Subject field, unfolded (a fold and the blanks around it read
 *    as one space) and RFC 2047 decoded, the message's and those of
 *    attached messages;
 *  - every part whose type is text or message (but message/partial),
 *    a text-like application type (csv, json, xml, rtf, ...) or whose
 *    file name ends in a text-like extension (.csv, .txt, .html, ...),
 *    decoded from base64 or quoted-printable and from its charset to
 *    UTF-8 by mail_mime_part_text; HTML twice, reduced to the text a
 *    reader sees (mail_dlp_html_text) and as its source (attributes,
 *    comments);
 *  - every attached message, also one sent in base64 (against RFC 2046
 *    §5.2.1), to MAIL_DLP_NESTED_MAX levels;
 *  - every part's file name (name and filename parameters, RFC 2231);
 *  - lines of a header block that are not fields (text where a header
 *    should be), as one text; other header fields are not read.
 * Other parts are listed in skipped. The result is unscannable, with a
 * reason, when the MIME structure passes the parser's limits, a part to
 * scan has a transfer encoding or charset that cannot be read, a part is
 * a fragment (message/partial), or memory runs out; the rest is still
 * scanned. Never fails otherwise. Strings in the result are in arena a,
 * which also takes the part tree; the decoded text and the numbers found
 * live in arenas of its own, the numbers' wiped when done. Time and
 * memory linear in len (plus m log m for m numbers found).
 */
void mail_dlp_scan(const char *msg, size_t len, struct arena *a,
	struct mail_dlp_result *r_r);

/*
 * The text a reader sees in HTML, into out (at least len bytes: it never
 * grows): tags and comments removed, character references decoded (named
 * ones of HTML 5 that mail uses, "&nbsp;" and "&#160;" as U+00A0, any
 * numeric one), runs of blanks and line breaks one space, <br> a line
 * break and the end or start of a block (p, div, td, li, ...) a blank
 * line, so a number never runs on from one cell or paragraph into the
 * next. Returns the bytes written.
 */
size_t mail_dlp_html_text(struct span html, char *out);

#endif
