/*
 * Address validation and generation. Layer: domain (pure). RFC 5322 §3.2.3
 * (atext, dot-atom), RFC 5321 §4.5.3.1 (lengths), RFC 1035 §2.3.1 (labels).
 */
#include "dir/dir_address.h"

#include <string.h>

#include "core/error.h"
#include "core/str.h"

static bool
is_atext(char c)
{
	if (str_is_ascii_alpha(c) || str_is_ascii_digit(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

int
dir_address_check_local(struct span local, struct error *err)
{
	if (local.len == 0)
		return error_set(err, ERROR_INVALID,
			"the part before the @ is empty");
	if (local.len > DIR_ADDRESS_LOCAL_MAX)
		return error_set(err, ERROR_INVALID,
			"the part before the @ is longer than %d characters",
			DIR_ADDRESS_LOCAL_MAX);
	if (local.p[0] == '.')
		return error_set(err, ERROR_INVALID,
			"an address cannot start with a dot");
	if (local.p[local.len - 1] == '.')
		return error_set(err, ERROR_INVALID,
			"the part before the @ cannot end with a dot");
	for (size_t i = 0; i < local.len; i++) {
		char c = local.p[i];
		if (c == '.') {
			if (local.p[i + 1] == '.')
				return error_set(err, ERROR_INVALID,
					"an address cannot have two dots in a row");
			continue;
		}
		if (!is_atext(c))
			return error_set(err, ERROR_INVALID,
				"the character '%c' is not allowed before the @",
				(c >= 0x21 && c < 0x7f) ? c : '?');
	}
	return 0;
}

static int
check_label(struct span label, struct error *err)
{
	if (label.len == 0)
		return error_set(err, ERROR_INVALID,
			"the domain has an empty part (two dots in a row, or a "
			"dot at an end)");
	if (label.len > 63)
		return error_set(err, ERROR_INVALID,
			"a part of the domain is longer than 63 characters");
	if (label.p[0] == '-' || label.p[label.len - 1] == '-')
		return error_set(err, ERROR_INVALID,
			"a part of the domain cannot start or end with a hyphen");
	for (size_t i = 0; i < label.len; i++) {
		char c = label.p[i];
		if (!str_is_ascii_alpha(c) && !str_is_ascii_digit(c) && c != '-')
			return error_set(err, ERROR_INVALID,
				"the character '%c' is not allowed in a domain",
				(c >= 0x21 && c < 0x7f) ? c : '?');
	}
	return 0;
}

int
dir_address_check_domain(struct span domain, char *buf, size_t size,
	struct error *err)
{
	if (domain.len == 0)
		return error_set(err, ERROR_INVALID, "the domain is empty");
	if (domain.len > DIR_ADDRESS_DOMAIN_MAX)
		return error_set(err, ERROR_INVALID,
			"the domain is longer than %d characters",
			DIR_ADDRESS_DOMAIN_MAX);
	struct span rest = domain;
	struct span label;
	bool trailing_dot = domain.p[domain.len - 1] == '.';
	while (span_split(&rest, '.', &label)) {
		if (check_label(label, err) < 0)
			return -1;
	}
	if (trailing_dot)
		return check_label(span_make(domain.p, 0), err);
	if (domain.len >= size)
		return error_set(err, ERROR_INVALID, "the domain is too long");
	for (size_t i = 0; i < domain.len; i++)
		buf[i] = str_ascii_lower(domain.p[i]);
	buf[domain.len] = '\0';
	return 0;
}

int
dir_address_parse(struct span text, struct dir_address *addr_r,
	struct error *err)
{
	text = span_trim(text);
	if (text.len == 0)
		return error_set(err, ERROR_INVALID, "the address is empty");
	if (text.len > DIR_ADDRESS_MAX)
		return error_set(err, ERROR_INVALID,
			"the address is longer than %d characters",
			DIR_ADDRESS_MAX);
	const char *at = memchr(text.p, '@', text.len);
	if (at == NULL)
		return error_set(err, ERROR_INVALID,
			"an address needs an @ between name and domain");
	struct span local = span_make(text.p, (size_t)(at - text.p));
	struct span domain = span_make(at + 1, text.len - local.len - 1);
	if (memchr(domain.p, '@', domain.len) != NULL)
		return error_set(err, ERROR_INVALID,
			"an address can have only one @");
	if (dir_address_check_local(local, err) < 0)
		return -1;
	char domain_buf[DIR_ADDRESS_DOMAIN_MAX + 1];
	if (dir_address_check_domain(domain, domain_buf, sizeof(domain_buf),
		    err) < 0)
		return -1;
	for (size_t i = 0; i < local.len; i++)
		addr_r->text[i] = str_ascii_lower(local.p[i]);
	addr_r->text[local.len] = '@';
	memcpy(addr_r->text + local.len + 1, domain_buf, domain.len + 1);
	addr_r->local_len = local.len;
	return 0;
}

const char *
dir_address_domain(const struct dir_address *addr)
{
	return addr->text + addr->local_len + 1;
}

/*
 * Folds a UTF-8 sequence for a common accented Latin letter (U+00C0 to
 * U+017F) to its base letter; returns 0 for anything else. `*used_r` is the
 * number of bytes consumed.
 */
static char
fold_latin(const unsigned char *p, size_t avail, size_t *used_r)
{
	/* Base letters for U+00C0..U+00FF, '\0' where there is none. */
	static const char latin1[] =
		"AAAAAAACEEEEIIII" "DNOOOOO\0OUUUUYTs"
		"aaaaaaaceeeeiiii" "dnooooo\0ouuuuyty";
	/* Sequences other than two-byte ones are skipped whole. */
	size_t length = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
		(p[0] & 0xf8) == 0xf0 ? 4 : 1;
	*used_r = length <= avail ? length : avail;
	if (length != 2 || avail < 2 || (p[1] & 0xc0) != 0x80)
		return 0;
	unsigned cp = ((unsigned)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
	*used_r = 2;
	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[cp - 0xc0];
	if (cp >= 0x100 && cp <= 0x17f) {
		/* Latin Extended-A pairs upper/lower case by parity. */
		static const char ext_a[] =
			"aaaaaaccccccccddddeeeeeeeeeegggg"
			"gggghhhhiiiiiiiiiiiijjkkklllllll"
			"lllnnnnnnnnnoooooooorrrrrrssssss"
			"ssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
		size_t i = cp - 0x100;
		return i < sizeof(ext_a) - 1 ? ext_a[i] : 0;
	}
	return 0;
}

/* Appends the usable characters of name to buf; returns how many. */
static size_t
slug_append(const char *name, char word_sep, char *buf, size_t size,
	size_t *len)
{
	size_t added = 0;
	bool pending_sep = false;
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);
	for (size_t i = 0; i < n;) {
		char c = 0;
		size_t used = 1;
		if (p[i] < 0x80) {
			char a = (char)p[i];
			if (str_is_ascii_alpha(a) || str_is_ascii_digit(a))
				c = str_ascii_lower(a);
			else if (a == '-' && added > 0)
				c = '-';
			else if (a == ' ' && word_sep != 0 && added > 0)
				pending_sep = true;
		} else {
			c = str_ascii_lower(fold_latin(p + i, n - i, &used));
		}
		i += used;
		if (c == 0)
			continue;
		if (pending_sep && *len + 1 < size) {
			buf[(*len)++] = word_sep;
			pending_sep = false;
		}
		if (*len + 1 < size) {
			buf[(*len)++] = c;
			added++;
		}
	}
	/* A trailing hyphen or separator would make a poor address. */
	while (*len > 0 && buf[*len - 1] == '-') {
		(*len)--;
		added--;
	}
	buf[*len] = '\0';
	return added;
}

int
dir_address_local_from_names(const char *first, const char *last, char *buf,
	size_t size, struct error *err)
{
	/* Room for ".", a numeric suffix, and both names cut to fit. */
	char first_slug[DIR_ADDRESS_LOCAL_MAX + 1];
	char last_slug[DIR_ADDRESS_LOCAL_MAX + 1];
	size_t first_len = 0, last_len = 0;
	if (slug_append(first, 0, first_slug, sizeof(first_slug),
		    &first_len) == 0)
		return error_set_field(err, ERROR_INVALID, "first_name",
			"the first name has no letters that can go in an address");
	if (slug_append(last, 0, last_slug, sizeof(last_slug), &last_len) == 0)
		return error_set_field(err, ERROR_INVALID, "last_name",
			"the last name has no letters that can go in an address");
	size_t budget = DIR_ADDRESS_LOCAL_MAX - 5 - 1;
	if (last_len > budget / 2 && first_len + last_len > budget)
		last_len = first_len < budget / 2 ? budget - first_len : budget / 2;
	if (first_len + last_len > budget)
		first_len = budget - last_len;
	if (first_len + 1 + last_len >= size)
		return error_set(err, ERROR_INVALID, "the name is too long");
	memcpy(buf, first_slug, first_len);
	buf[first_len] = '.';
	memcpy(buf + first_len + 1, last_slug, last_len);
	buf[first_len + 1 + last_len] = '\0';
	/* Cutting may leave a hyphen at an end of either part. */
	return dir_address_check_local(span_make(buf, first_len + 1 + last_len),
		err);
}

int
dir_address_local_from_name(const char *name, char *buf, size_t size,
	struct error *err)
{
	size_t len = 0;
	size_t limit = size < DIR_ADDRESS_LOCAL_MAX - 5 ?
		size : DIR_ADDRESS_LOCAL_MAX - 5;
	if (slug_append(name, '.', buf, limit, &len) == 0)
		return error_set_field(err, ERROR_INVALID, "name",
			"the name has no letters that can go in an address");
	while (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	return dir_address_check_local(span_make(buf, len), err);
}
