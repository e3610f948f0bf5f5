/*
 * Fuzz target for MTA-STS's texts (RFC 8461): the first byte picks the
 * parser, the rest is a TXT record's text (mail_mta_sts_txt_parse) or a
 * policy file (mail_mta_sts_policy_parse), copied to a buffer of exactly
 * its size so a read past its end trips ASan. Beyond not crashing: an id
 * is 1 to 32 letters and digits; a policy has a known mode, a max_age
 * within a year, an mx unless its mode is none, and patterns that are
 * lower case, without a final dot, "*." only in front, and match a host
 * made from them; a refusal is INVALID or LIMIT with a sentence.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_mta_sts.h"

#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > MAIL_MTA_STS_ID_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!str_is_ascii_alpha(id[i]) && !str_is_ascii_digit(id[i]))
			abort();
	}
}

static void
check_pattern(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || p[n - 1] == '.' || strchr(p + 1, '*') != NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 'A' && p[i] <= 'Z')
			abort();
	}
	/* The pattern matches itself, with "*" made a label. */
	char host[300];
	if (p[0] == '*')
		snprintf(host, sizeof(host), "x%s", p + 1);
	else
		snprintf(host, sizeof(host), "%s", p);
	if (!mail_mta_sts_pattern_matches(p, host))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t len = size - 1;
	char *copy = malloc(len > 0 ? len : 1);
	if (len > 0)
		memcpy(copy, data + 1, len);
	struct span text = span_make(copy, len);
	struct error err = { 0 };
	if (data[0] & 1) {
		char id[MAIL_MTA_STS_ID_MAX + 1];
		if (mail_mta_sts_txt_parse(text, id, &err) == 0)
			check_id(id);
		else
			check_refusal(&err);
	} else {
		struct arena *a = arena_new(1 << 22);
		struct mail_mta_sts_policy p;
		if (mail_mta_sts_policy_parse(text, a, &p, &err) == 0) {
			if (p.mode != MAIL_MTA_STS_MODE_NONE &&
			    p.mode != MAIL_MTA_STS_MODE_TESTING &&
			    p.mode != MAIL_MTA_STS_MODE_ENFORCE)
				abort();
			if (p.max_age < 0 ||
			    p.max_age > MAIL_MTA_STS_MAX_AGE_MAX)
				abort();
			if (p.mode != MAIL_MTA_STS_MODE_NONE &&
			    p.mx_count == 0)
				abort();
			if (p.mx_count > MAIL_MTA_STS_MX_MAX)
				abort();
			for (size_t i = 0; i < p.mx_count; i++)
				check_pattern(p.mx[i]);
		} else {
			check_refusal(&err);
		}
		arena_free(&a);
	}
	free(copy);
	return 0;
}
