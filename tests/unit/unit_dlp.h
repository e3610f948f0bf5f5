/*
 * What every DLP result (mail/mail_dlp.h) must be, whatever the message:
 * for the unit test and the fuzz target alike. Test support, included by
 * one test file each.
 */
#ifndef UNIT_DLP_H
#define UNIT_DLP_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "mail/mail_dlp.h"
#include "mail/mail_nhsnum.h"

/* s is there and holds no NHS number a reader could see. */
static bool
dlp_has_no_number(const char *s)
{
	if (s == NULL)
		return false;
	size_t len = strlen(s);
	char *seen = malloc(len + 1);
	if (seen == NULL)
		abort();
	struct span t = span_make(seen, mail_nhsnum_normalise(span_make(s,
						     len), seen));
	size_t pos = 0;
	struct mail_nhsnum_match m;
	bool found = mail_nhsnum_find(t, &pos, &m);
	free(seen);
	return !found;
}

/* A mask as "ddd *** **dd". */
static bool
dlp_is_mask(const char *m)
{
	if (strlen(m) != 12 || memcmp(m + 3, " *** **", 7) != 0)
		return false;
	for (int i = 0; i < 12; i++) {
		if ((i < 3 || i > 9) && (m[i] < '0' || m[i] > '9'))
			return false;
	}
	return true;
}

/*
 * The result never shows a number in clear (no string in it holds one),
 * its tier is the surest of its counts, it keeps as many samples as there
 * are numbers up to the limit, surest first, each masked and placed, and
 * it is unscannable exactly when it gives a reason.
 */
static bool
dlp_result_ok(const struct mail_dlp_result *r)
{
	size_t total = 0;
	enum mail_nhsnum_tier surest = MAIL_NHSNUM_TIER_NONE;
	if (r->counts[MAIL_NHSNUM_TIER_NONE] != 0)
		return false;
	for (int t = MAIL_NHSNUM_TIER_LOW; t <= MAIL_NHSNUM_TIER_HIGH; t++) {
		total += r->counts[t];
		if (r->counts[t] > 0)
			surest = (enum mail_nhsnum_tier)t;
	}
	size_t samples = total < MAIL_DLP_SAMPLES_MAX ? total :
		MAIL_DLP_SAMPLES_MAX;
	if (r->tier != surest || r->sample_count != samples ||
		r->unscannable != (r->reason != NULL) ||
		(r->reason != NULL && !dlp_has_no_number(r->reason)))
		return false;
	for (size_t i = 0; i < r->sample_count; i++) {
		const struct mail_dlp_sample *s = &r->samples[i];
		if (s->tier == MAIL_NHSNUM_TIER_NONE ||
			(i == 0 && s->tier != r->tier) ||
			(i > 0 && s->tier > r->samples[i - 1].tier) ||
			!dlp_is_mask(s->masked) || !dlp_has_no_number(s->where))
			return false;
	}
	for (size_t i = 0; i < r->skipped_count; i++) {
		if (!dlp_has_no_number(r->skipped[i].where) ||
			!dlp_has_no_number(r->skipped[i].type))
			return false;
	}
	return true;
}

#endif
