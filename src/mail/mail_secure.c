/*
 * Secure domains (SPEC M10, SECURITY.md 6 and 14). Layer: domain, pure
 * but for the configuration read once. RFC 5890-5892 and UTS #46
 * through libidn2.
 */
#include "mail/mail_secure.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s > 127)
			return false;
	}
	return true;
}

int
mail_domain_normalise(const char *address, char *buf, size_t size,
	struct error *err)
{
	const char *at = strrchr(address, '@');
	const char *d = at != NULL ? at + 1 : address;
	char raw[MAIL_SECURE_DOMAIN_SIZE];
	if (str_copy(raw, sizeof(raw), d) < 0)
		return error_set(err, ERROR_INVALID,
			"the domain is longer than a domain name may be");
	size_t len = strlen(raw);
	if (len > 0 && raw[len - 1] == '.')
		raw[--len] = '\0';
	if (len == 0)
		return error_set(err, ERROR_INVALID, "the domain is empty");
	if (is_ascii(raw)) {
		str_lower_inplace(raw);
		if (str_copy(buf, size, raw) < 0)
			return error_set(err, ERROR_INVALID,
				"the domain is longer than a domain name may be");
		return 0;
	}
	char *alabels = NULL;
	int rc = idn2_to_ascii_8z(raw, &alabels,
		IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		return error_set(err, ERROR_INVALID,
			"the domain cannot be written in A-labels (IDNA): %s",
			idn2_strerror(rc));
	str_lower_inplace(alabels);
	rc = str_copy(buf, size, alabels);
	idn2_free(alabels);
	if (rc < 0)
		return error_set(err, ERROR_INVALID,
			"the domain is longer than a domain name may be");
	return 0;
}

bool
mail_domain_is_under(const char *d, const char *s)
{
	size_t dl = strlen(d), sl = strlen(s);
	if (sl == 0)
		return false;
	if (dl == sl)
		return strcasecmp(d, s) == 0;
	return dl > sl && d[dl - sl - 1] == '.' &&
		strcasecmp(d + dl - sl, s) == 0;
}

static int
read_list(const struct config *c, const char *name,
	char (*out)[MAIL_SECURE_DOMAIN_SIZE], size_t *count_r,
	struct error *err)
{
	char item[MAIL_SECURE_DOMAIN_SIZE * 2];
	size_t n = 0;
	int more;
	for (size_t i = 0; (more = config_list_get(c, name, i, item,
		    sizeof(item), err)) > 0; i++) {
		if (n == MAIL_SECURE_MAX_DOMAINS)
			return error_set(err, ERROR_INVALID,
				"%s lists more than %d domains", name,
				MAIL_SECURE_MAX_DOMAINS);
		struct error inner;
		if (mail_domain_normalise(item, out[n], MAIL_SECURE_DOMAIN_SIZE,
			    &inner) < 0)
			return error_set(err, ERROR_INVALID, "%s: '%s': %s",
				name, item, inner.msg);
		n++;
	}
	*count_r = n;
	return more;
}

int
mail_secure_policy_from_config(const struct config *c,
	struct mail_secure_policy *p_r, struct error *err)
{
	memset(p_r, 0, sizeof(*p_r));
	if (read_list(c, "outbound.secure_domains", p_r->domains, &p_r->count,
		    err) < 0 ||
	    read_list(c, "outbound.legacy_secure_domains", p_r->legacy,
		    &p_r->legacy_count, err) < 0)
		return -1;
	const char *until = config_get_str(c, "outbound.legacy_secure_until");
	if (until[0] == '\0') {
		p_r->legacy_until = 0;
		return 0;
	}
	if (strlen(until) != 10 ||
	    !clock_parse(span_from_cstr(until), &p_r->legacy_until))
		return error_set(err, ERROR_INVALID,
			"outbound.legacy_secure_until must be a date, "
			"YYYY-MM-DD, not '%s'", until);
	/* Secure through the whole of that day. */
	p_r->legacy_until += 86400;
	return 0;
}

bool
mail_secure_domain_match(const struct mail_secure_policy *p,
	const char *address, int64_t now)
{
	char d[MAIL_SECURE_DOMAIN_SIZE];
	struct error err;
	if (mail_domain_normalise(address, d, sizeof(d), &err) < 0)
		return true;
	for (size_t i = 0; i < p->count; i++) {
		if (mail_domain_is_under(d, p->domains[i]))
			return true;
	}
	if (now >= p->legacy_until)
		return false;
	for (size_t i = 0; i < p->legacy_count; i++) {
		if (mail_domain_is_under(d, p->legacy[i]))
			return true;
	}
	return false;
}
