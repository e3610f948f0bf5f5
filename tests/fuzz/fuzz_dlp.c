/*
 * Fuzz target for the NHS number DLP (mail/mail_dlp.h, mail_nhsnum.h,
 * mail_dlp_html.c): the bytes as a whole message and as one text. Beyond
 * not crashing: the result never shows a number in clear (no string in it
 * holds one mail_nhsnum_find would find), its tier is the surest of its
 * counts, it keeps as many samples as there are numbers up to the limit,
 * surest first, each masked "ddd *** **dd", and it is unscannable exactly
 * when it gives a reason; every find in a text has a valid check digit
 * and a tier; the HTML reduction and the normalising never grow the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"
#include "mail/mail_dlp.h"
#include "mail/mail_nhsnum.h"
#include "../unit/unit_dlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_find(void *ctx, const struct mail_nhsnum_match *m,
	enum mail_nhsnum_tier tier)
{
	const struct span *t = ctx;
	if (!mail_nhsnum_is_valid(m->digits) || strlen(m->digits) != 10 ||
		m->start >= m->end || m->end > t->len ||
		tier == MAIL_NHSNUM_TIER_NONE || tier > MAIL_NHSNUM_TIER_HIGH ||
		(tier == MAIL_NHSNUM_TIER_MEDIUM &&
			m->form != MAIL_NHSNUM_FORM_GROUPED))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	const char *msg = (const char *)data;
	struct arena *a = arena_new(64 * 1024 * 1024);
	struct mail_dlp_result r;
	mail_dlp_scan(msg, size, a, &r);
	if (!dlp_result_ok(&r))
		abort();
	arena_free(&a);

	/* The same bytes as one text, as HTML and as a reader sees them. */
	struct span t = span_make(msg, size);
	mail_nhsnum_scan(t, check_find, &t);
	char *out = malloc(size + 1);
	if (mail_dlp_html_text(t, out) > size ||
		mail_nhsnum_normalise(t, out) > size)
		abort();
	free(out);
	return 0;
}
