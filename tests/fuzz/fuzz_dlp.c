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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No NHS number a reader could see in s. */
static void
check_no_number(const char *s)
{
	if (s == NULL)
		abort();
	size_t len = strlen(s);
	char *seen = malloc(len + 1);
	struct span t = span_make(seen, mail_nhsnum_normalise(span_make(s,
						     len), seen));
	size_t pos = 0;
	struct mail_nhsnum_match m;
	if (mail_nhsnum_find(t, &pos, &m))
		abort();
	free(seen);
}

static void
check_mask(const char *m)
{
	if (strlen(m) != 12 || memcmp(m + 3, " *** **", 7) != 0)
		abort();
	for (int i = 0; i < 12; i++) {
		if ((i < 3 || i > 9) && (m[i] < '0' || m[i] > '9'))
			abort();
	}
}

static void
check_result(const struct mail_dlp_result *r)
{
	size_t total = 0;
	enum mail_nhsnum_tier surest = MAIL_NHSNUM_TIER_NONE;
	if (r->counts[MAIL_NHSNUM_TIER_NONE] != 0)
		abort();
	for (int t = MAIL_NHSNUM_TIER_LOW; t <= MAIL_NHSNUM_TIER_HIGH; t++) {
		total += r->counts[t];
		if (r->counts[t] > 0)
			surest = (enum mail_nhsnum_tier)t;
	}
	if (r->tier != surest)
		abort();
	if (r->sample_count != (total < MAIL_DLP_SAMPLES_MAX ? total :
						     MAIL_DLP_SAMPLES_MAX))
		abort();
	if (r->unscannable != (r->reason != NULL))
		abort();
	if (r->reason != NULL)
		check_no_number(r->reason);
	for (size_t i = 0; i < r->sample_count; i++) {
		const struct mail_dlp_sample *s = &r->samples[i];
		if (s->tier == MAIL_NHSNUM_TIER_NONE ||
			(i == 0 && s->tier != r->tier) ||
			(i > 0 && s->tier > r->samples[i - 1].tier))
			abort();
		check_mask(s->masked);
		check_no_number(s->where);
	}
	for (size_t i = 0; i < r->skipped_count; i++) {
		check_no_number(r->skipped[i].where);
		check_no_number(r->skipped[i].type);
	}
}

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
	check_result(&r);
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
