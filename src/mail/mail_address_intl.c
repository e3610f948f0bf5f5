/*
 * Internationalised addresses in the envelope (RFC 6531 SMTPUTF8, RFC
 * 6532 §3.2): a local part that may hold UTF-8 beside RFC 5322's atext,
 * a domain that may be written in U-labels. Addresses here are ASCII, so
 * such an address is only ever someone else's: kept as given in its local
 * part (ASCII letters lowercased, as every address here is), its domain
 * in A-labels, the form the queue and DNS use. Layer: domain.
 */
#include "mail/mail.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/fold.h"
#include "core/str.h"
#include "dir/dir_address.h"
#include "mail/mail_secure.h"

bool
mail_address_is_utf8(const char *address)
{
	for (const unsigned char *p = (const unsigned char *)address; *p;
	     p++)
		if (*p >= 0x80)
			return true;
	return false;
}

/* RFC 5322 atext, less the dot, which the caller places. */
static bool
is_atext(unsigned char c)
{
	return str_is_ascii_alpha((char)c) || str_is_ascii_digit((char)c) ||
		(c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
check_local(const unsigned char *p, size_t n, struct error *err)
{
	if (n == 0)
		return error_set(err, ERROR_INVALID,
			"the part before the @ is empty");
	if (n > DIR_ADDRESS_LOCAL_MAX)
		return error_set(err, ERROR_INVALID, "the part before the @ "
			"is longer than %d bytes", DIR_ADDRESS_LOCAL_MAX);
	if (p[0] == '.' || p[n - 1] == '.')
		return error_set(err, ERROR_INVALID,
			"the part before the @ cannot start or end with a dot");
	for (size_t i = 0; i < n;) {
		if (p[i] == '.') {
			if (p[i + 1] == '.')
				return error_set(err, ERROR_INVALID,
					"an address cannot have two dots in a row");
			i++;
		} else if (p[i] < 0x80) {
			if (!is_atext(p[i]))
				return error_set(err, ERROR_INVALID,
					"the character '%c' is not allowed "
					"before the @", (p[i] >= 0x21 &&
					p[i] < 0x7f) ? p[i] : '?');
			i++;
		} else {
			uint32_t cp;
			size_t len = fold_utf8_decode(p + i, n - i, &cp);
			if (len == 0)
				return error_set(err, ERROR_INVALID, "the part "
					"before the @ is not valid UTF-8");
			i += len;
		}
	}
	return 0;
}

int
mail_address_intl(const char *address, char *buf, size_t size,
	struct error *err)
{
	const char *at = strrchr(address, '@');
	if (at == NULL)
		return error_set(err, ERROR_INVALID,
			"an address needs an @ between name and domain");
	size_t local_len = (size_t)(at - address);
	if (memchr(address, '@', local_len) != NULL)
		return error_set(err, ERROR_INVALID,
			"an address can have only one @");
	if (check_local((const unsigned char *)address, local_len, err) < 0)
		return -1;
	char domain[MAIL_SECURE_DOMAIN_SIZE], checked[DIR_ADDRESS_MAX + 1];
	struct error inner;
	if (mail_domain_normalise(at + 1, domain, sizeof(domain), &inner) < 0 ||
	    dir_address_check_domain(span_from_cstr(domain), checked,
		    sizeof(checked), &inner) < 0)
		return error_set(err, ERROR_INVALID, "the domain: %s",
			inner.msg);
	if (local_len + 1 + strlen(checked) > DIR_ADDRESS_MAX ||
	    local_len + 1 + strlen(checked) >= size)
		return error_set(err, ERROR_INVALID,
			"the address is longer than %d bytes", DIR_ADDRESS_MAX);
	for (size_t i = 0; i < local_len; i++)
		buf[i] = str_ascii_lower(address[i]);
	snprintf(buf + local_len, size - local_len, "@%s", checked);
	return 0;
}
