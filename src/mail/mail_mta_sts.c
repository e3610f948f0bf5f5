/*
 * MTA-STS's two texts, parsed, and the MX match (RFC 8461 §3.1, §3.2,
 * §4.1). Layer: domain. Pure: no I/O, every length bounded; fuzzed by
 * tests/fuzz/fuzz_mta_sts.c.
 */
#include "mail_mta_sts.h"

#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"

const char *
mail_mta_sts_mode_name(enum mail_mta_sts_mode mode)
{
	switch (mode) {
	case MAIL_MTA_STS_MODE_NONE:
		return "none";
	case MAIL_MTA_STS_MODE_TESTING:
		return "testing";
	case MAIL_MTA_STS_MODE_ENFORCE:
		return "enforce";
	}
	return "none";
}

static bool
is_alnum(char c)
{
	return str_is_ascii_alpha(c) || str_is_ascii_digit(c);
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Skips spaces and tabs (RFC 5234 WSP) at the front of s. */
static void
skip_wsp(struct span *s)
{
	while (s->len > 0 && is_wsp(s->p[0])) {
		s->p++;
		s->len--;
	}
}

/*
 * RFC 8461 §3.1 sts-extension: a name of a letter or digit and up to 31
 * more of those, "_", "-" or "."; "="; then one or more bytes from "!" to
 * "~" other than ";" and "=".
 */
static bool
txt_extension_is_valid(struct span f)
{
	size_t i = 0;
	if (f.len == 0 || !is_alnum(f.p[0]))
		return false;
	for (i = 1; i < f.len && f.p[i] != '='; i++) {
		char c = f.p[i];
		if (i > 31 || !(is_alnum(c) || c == '_' || c == '-' || c == '.'))
			return false;
	}
	if (i >= f.len - 1)
		return false;
	for (i++; i < f.len; i++) {
		unsigned char c = (unsigned char)f.p[i];
		if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
			return false;
	}
	return true;
}

int
mail_mta_sts_txt_parse(struct span text, char *id_r, struct error *err)
{
	static const char version[] = "v=STSv1";
	id_r[0] = '\0';
	if (!span_starts_with(text, version))
		return error_set(err, ERROR_INVALID,
			"the record does not start with v=STSv1");
	struct span rest = span_make(text.p + sizeof(version) - 1,
		text.len - (sizeof(version) - 1));
	bool have_id = false;
	/* 1*(*WSP ";" *WSP sts-field) [";"]: a delimiter before each field. */
	for (;;) {
		skip_wsp(&rest);
		if (rest.len == 0)
			break;
		if (rest.p[0] != ';')
			return error_set(err, ERROR_INVALID,
				"the record's fields must be separated by ';'");
		rest.p++;
		rest.len--;
		skip_wsp(&rest);
		if (rest.len == 0)
			break;	/* a trailing ";" is allowed */
		size_t n = 0;
		while (n < rest.len && rest.p[n] != ';' && !is_wsp(rest.p[n]))
			n++;
		struct span field = span_make(rest.p, n);
		rest.p += n;
		rest.len -= n;
		if (span_starts_with(field, "id=")) {
			if (have_id)
				return error_set(err, ERROR_INVALID,
					"the record has two ids");
			struct span id = span_make(field.p + 3, field.len - 3);
			if (id.len == 0 || id.len > MAIL_MTA_STS_ID_MAX)
				return error_set(err, ERROR_INVALID,
					"the record's id must be 1 to 32 "
					"letters and digits");
			for (size_t i = 0; i < id.len; i++) {
				if (!is_alnum(id.p[i]))
					return error_set(err, ERROR_INVALID,
						"the record's id must be 1 to "
						"32 letters and digits");
			}
			memcpy(id_r, id.p, id.len);
			id_r[id.len] = '\0';
			have_id = true;
		} else if (!txt_extension_is_valid(field)) {
			return error_set(err, ERROR_INVALID,
				"the record has a malformed field");
		}
	}
	if (!have_id)
		return error_set(err, ERROR_INVALID, "the record has no id");
	return 0;
}

int
mail_mta_sts_txt_pick(const struct dns_answer *txt, char *id_r,
	struct error *err)
{
	id_r[0] = '\0';
	const struct dns_txt *found = NULL;
	size_t count = 0;
	for (size_t i = 0; i < txt->count; i++) {
		struct span t = span_make(txt->txt[i].text, txt->txt[i].len);
		/* RFC 8461 §3.1: records that are not v=STSv1 are ignored. */
		if (t.len >= 7 && memcmp(t.p, "v=STSv1", 7) == 0 &&
		    (t.len == 7 || t.p[7] == ';' || is_wsp(t.p[7]))) {
			found = &txt->txt[i];
			count++;
		}
	}
	if (count == 0)
		return error_set(err, ERROR_NOT_FOUND,
			"there is no v=STSv1 TXT record");
	if (count > 1)
		return error_set(err, ERROR_NOT_FOUND,
			"there are %zu v=STSv1 TXT records, so none counts",
			count);
	return mail_mta_sts_txt_parse(span_make(found->text, found->len),
		id_r, err);
}

/* A host name or "*." and one, lower-cased into the arena; NULL if not. */
static const char *
mx_pattern(struct span v, struct arena *a)
{
	struct span host = v;
	if (v.len >= 2 && v.p[0] == '*' && v.p[1] == '.')
		host = span_make(v.p + 2, v.len - 2);
	/* A final dot is allowed on a name; we keep names without it. */
	if (host.len > 0 && host.p[host.len - 1] == '.') {
		host.len--;
		v.len--;
	}
	/* One final dot only: "a.example.." is not a name. */
	if (host.len == 0 || host.len > DNS_NAME_MAX ||
	    host.p[host.len - 1] == '.' || memchr(host.p, '_',
		    host.len) != NULL)
		return NULL;
	char *text = span_dup(v, a);
	if (text == NULL)
		return NULL;
	str_lower_inplace(text);
	/* dns_name_is_valid checks labels, lengths and characters. */
	if (!dns_name_is_valid(text + (host.p != v.p ? 2 : 0)) ||
	    strchr(text + (host.p != v.p ? 2 : 0), '.') == NULL)
		return NULL;
	return text;
}

/* What a policy has seen so far. */
struct policy_seen {
	bool version, mode, max_age;
	size_t mx_capacity;	/* of policy->mx, for arena_array_push */
};

/* One "key: value" line; 0, or -1 with err. */
static int
policy_line(struct span line, struct arena *a, struct policy_seen *seen,
	struct mail_mta_sts_policy *p, struct error *err)
{
	const char *colon = memchr(line.p, ':', line.len);
	if (colon == NULL)
		return error_set(err, ERROR_INVALID,
			"a policy line has no ':'");
	struct span key = span_make(line.p, (size_t)(colon - line.p));
	struct span value = span_make(colon + 1,
		line.len - key.len - 1);
	skip_wsp(&value);
	/* Trailing spaces are not part of the value (sts-policy-ext-value). */
	while (value.len > 0 && is_wsp(value.p[value.len - 1]))
		value.len--;
	if (key.len == 0 || key.len > 32 || !is_alnum(key.p[0]))
		return error_set(err, ERROR_INVALID,
			"a policy line has a malformed key");
	for (size_t i = 1; i < key.len; i++) {
		char c = key.p[i];
		if (!(is_alnum(c) || c == '_' || c == '-' || c == '.'))
			return error_set(err, ERROR_INVALID,
				"a policy line has a malformed key");
	}
	for (size_t i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return error_set(err, ERROR_INVALID,
				"a policy value has a control character");
	}
	if (span_eq(key, "version")) {
		if (seen->version)
			return 0;
		if (!span_eq(value, "STSv1"))
			return error_set(err, ERROR_INVALID,
				"the policy's version is not STSv1");
		seen->version = true;
	} else if (span_eq(key, "mode")) {
		if (seen->mode)
			return 0;
		if (span_eq(value, "enforce"))
			p->mode = MAIL_MTA_STS_MODE_ENFORCE;
		else if (span_eq(value, "testing"))
			p->mode = MAIL_MTA_STS_MODE_TESTING;
		else if (span_eq(value, "none"))
			p->mode = MAIL_MTA_STS_MODE_NONE;
		else
			return error_set(err, ERROR_INVALID,
				"the policy's mode must be enforce, testing "
				"or none");
		seen->mode = true;
	} else if (span_eq(key, "max_age")) {
		if (seen->max_age)
			return 0;
		uint64_t v = 0;
		if (value.len == 0 || value.len > 10 ||
		    !str_is_ascii_digit(value.p[0]) || !span_to_u64(value, &v))
			return error_set(err, ERROR_INVALID,
				"the policy's max_age must be 1 to 10 digits");
		p->max_age = v > MAIL_MTA_STS_MAX_AGE_MAX ?
			MAIL_MTA_STS_MAX_AGE_MAX : (int64_t)v;
		seen->max_age = true;
	} else if (span_eq(key, "mx")) {
		if (p->mx_count >= MAIL_MTA_STS_MX_MAX)
			return error_set(err, ERROR_INVALID,
				"the policy names more than %d mx patterns",
				MAIL_MTA_STS_MX_MAX);
		const char *pattern = mx_pattern(value, a);
		if (pattern == NULL)
			return error_set(err, ERROR_INVALID,
				"the policy's mx '%.*s' is not a host name or "
				"*. and one", (int)(value.len > 64 ? 64 :
					value.len), value.p);
		if (arena_array_push(a, (void **)&p->mx, &p->mx_count,
			    &seen->mx_capacity, sizeof(*p->mx)) == NULL)
			return error_set(err, ERROR_LIMIT,
				"the policy is too large to hold");
		p->mx[p->mx_count - 1] = pattern;
	}
	/* RFC 8461 §3.2: other keys are extensions, ignored. */
	return 0;
}

int
mail_mta_sts_policy_parse(struct span text, struct arena *a,
	struct mail_mta_sts_policy *policy_r, struct error *err)
{
	memset(policy_r, 0, sizeof(*policy_r));
	if (text.len > MAIL_MTA_STS_POLICY_MAX)
		return error_set(err, ERROR_LIMIT,
			"the policy is larger than %d bytes",
			MAIL_MTA_STS_POLICY_MAX);
	struct mail_mta_sts_policy p = { 0 };
	struct policy_seen seen = { 0 };
	struct span rest = text;
	struct span line;
	while (span_split(&rest, '\n', &line)) {
		/* sts-policy-term is LF or CRLF; a lone CR is not a line end. */
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len > MAIL_MTA_STS_LINE_MAX)
			return error_set(err, ERROR_INVALID,
				"a policy line is longer than %d bytes",
				MAIL_MTA_STS_LINE_MAX);
		/* Blank lines carry nothing; many servers end with one. */
		struct span t = line;
		skip_wsp(&t);
		if (t.len == 0)
			continue;
		if (policy_line(line, a, &seen, &p, err) < 0)
			return -1;
	}
	if (!seen.version)
		return error_set(err, ERROR_INVALID,
			"the policy has no version: STSv1");
	if (!seen.mode)
		return error_set(err, ERROR_INVALID, "the policy has no mode");
	if (!seen.max_age)
		return error_set(err, ERROR_INVALID,
			"the policy has no max_age");
	if (p.mode != MAIL_MTA_STS_MODE_NONE && p.mx_count == 0)
		return error_set(err, ERROR_INVALID,
			"the policy names no mx, so no server could match");
	*policy_r = p;
	return 0;
}

/* Length of s without one final dot. */
static size_t
name_len(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

static bool
names_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		if (str_ascii_lower(a[i]) != str_ascii_lower(b[i]))
			return false;
	}
	return true;
}

bool
mail_mta_sts_pattern_matches(const char *pattern, const char *host)
{
	size_t plen = name_len(pattern), hlen = name_len(host);
	if (plen == 0 || hlen == 0)
		return false;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* One whole label, not empty, stands for the "*". */
		const char *dot = memchr(host, '.', hlen);
		if (dot == NULL || dot == host)
			return false;
		size_t rest = hlen - (size_t)(dot + 1 - host);
		return names_equal(pattern + 2, plen - 2, dot + 1, rest);
	}
	return names_equal(pattern, plen, host, hlen);
}

bool
mail_mta_sts_mx_matches(const struct mail_mta_sts_policy *p,
	const char *host)
{
	for (size_t i = 0; i < p->mx_count; i++) {
		if (mail_mta_sts_pattern_matches(p->mx[i], host))
			return true;
	}
	return false;
}
