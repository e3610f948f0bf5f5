/*
 * SPF records read (RFC 7208 §4.6, §12) and macros expanded (§7). Layer:
 * domain, pure: text in, terms or text out, no I/O. Fuzzed by
 * tests/fuzz/fuzz_spf.c; check_host() itself is mail_spf_eval.c.
 */
#include "mail/mail_spf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

/* The longest term shown in an error sentence. */
#define TERM_SHOWN 60

const char *
mail_spf_result_name(enum mail_spf_result r)
{
	switch (r) {
	case MAIL_SPF_NONE:
		return "none";
	case MAIL_SPF_NEUTRAL:
		return "neutral";
	case MAIL_SPF_PASS:
		return "pass";
	case MAIL_SPF_FAIL:
		return "fail";
	case MAIL_SPF_SOFTFAIL:
		return "softfail";
	case MAIL_SPF_TEMPERROR:
		return "temperror";
	case MAIL_SPF_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

bool
mail_spf_is_record(struct span text)
{
	/* RFC 7208 §4.5: exactly "v=spf1", then a space or nothing. */
	return span_starts_with_nocase(text, "v=spf1") &&
		(text.len == 6 || text.p[6] == ' ');
}

/* ---- macros (§7.1 syntax, §7.3 expansion) ---- */

static bool
is_delimiter(char c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

/*
 * The length of the macro-expand starting at s ('%'), or 0 when it is
 * not one. *letter_r gets the letter of a %{...} form, else '\0'.
 */
static size_t
macro_length(const char *s, size_t len, char *letter_r)
{
	*letter_r = '\0';
	if (len < 2)
		return 0;
	if (s[1] == '%' || s[1] == '_' || s[1] == '-')
		return 2;
	if (s[1] != '{' || len < 4)
		return 0;
	size_t i = 2;
	char letter = s[i++];
	if (strchr("slodiphvSLODIPHVcrtCRT", letter) == NULL ||
	    letter == '\0')
		return 0;
	size_t digits = 0;
	while (i < len && str_is_ascii_digit(s[i])) {
		/* §7.3: the count MUST be non-zero. */
		if (digits == 0 && s[i] == '0')
			return 0;
		if (++digits > 3)
			return 0;
		i++;
	}
	if (i < len && (s[i] == 'r' || s[i] == 'R'))
		i++;
	while (i < len && is_delimiter(s[i]))
		i++;
	if (i >= len || s[i] != '}')
		return 0;
	*letter_r = letter;
	return i + 1;
}

/*
 * Checks a macro-string (§7.1): literals are visible ASCII but '%', each
 * '%' starts a macro-expand, and c r t appear only where explain says.
 * *ends_in_macro_r says whether the last thing was a macro-expand.
 */
static bool
macro_string_ok(struct span s, bool explain, bool *ends_in_macro_r)
{
	bool ends = false;
	for (size_t i = 0; i < s.len;) {
		char c = s.p[i];
		if (c != '%') {
			if (c < 0x21 || c > 0x7e)
				return false;
			ends = false;
			i++;
			continue;
		}
		char letter;
		size_t n = macro_length(s.p + i, s.len - i, &letter);
		if (n == 0)
			return false;
		if (!explain && letter != '\0' &&
		    strchr("crtCRT", letter) != NULL)
			return false;
		ends = true;
		i += n;
	}
	*ends_in_macro_r = ends;
	return true;
}

/* RFC 7208 §7.1 toplabel: alphanumerics with a letter, or inner hyphens. */
static bool
is_toplabel(struct span l)
{
	if (l.len == 0 || l.len > 63)
		return false;
	bool alpha = false, hyphen = false;
	for (size_t i = 0; i < l.len; i++) {
		char c = l.p[i];
		if (str_is_ascii_alpha(c))
			alpha = true;
		else if (c == '-')
			hyphen = true;
		else if (!str_is_ascii_digit(c))
			return false;
	}
	if (l.p[0] == '-' || l.p[l.len - 1] == '-')
		return false;
	return alpha || hyphen;
}

/*
 * A domain-spec (§7.1): a macro-string that ends in a macro-expand or in
 * "." toplabel, an optional final dot after it.
 */
static bool
domain_spec_ok(struct span s)
{
	bool ends_in_macro;
	if (s.len == 0 || !macro_string_ok(s, false, &ends_in_macro))
		return false;
	if (ends_in_macro)
		return true;
	if (s.p[s.len - 1] == '.')
		s.len--;
	const char *dot = memrchr(s.p, '.', s.len);
	if (dot == NULL)
		return false;
	size_t start = (size_t)(dot - s.p) + 1;
	return is_toplabel(span_make(s.p + start, s.len - start));
}

bool
mail_spf_needs_ptr(const char *spec)
{
	for (const char *p = spec; (p = strchr(p, '%')) != NULL;) {
		char letter;
		size_t n = macro_length(p, strlen(p), &letter);
		if (letter == 'p' || letter == 'P')
			return true;
		p += n > 0 ? n : 1;
	}
	return false;
}

/* The value a macro letter stands for (§7.3). */
static int
macro_value(char letter, const struct mail_spf_macro_input *in,
	struct arena *a, const char **value_r)
{
	const char *at = strrchr(in->sender, '@');
	switch (str_ascii_lower(letter)) {
	case 's':
		*value_r = in->sender;
		return 0;
	case 'l':
		*value_r = at != NULL ? arena_strndup(a, in->sender,
			(size_t)(at - in->sender)) : in->sender;
		break;
	case 'o':
		*value_r = at != NULL ? at + 1 : in->sender;
		return 0;
	case 'd':
		*value_r = in->domain;
		return 0;
	case 'h':
		*value_r = in->helo;
		return 0;
	case 'p':
		*value_r = in->validated != NULL ? in->validated : "unknown";
		return 0;
	case 'v':
	case 'i': {
		struct in6_addr v6;
		bool is6 = strchr(in->ip, ':') != NULL &&
			inet_pton(AF_INET6, in->ip, &v6) == 1;
		if (str_ascii_lower(letter) == 'v') {
			*value_r = is6 ? "ip6" : "in-addr";
			return 0;
		}
		if (!is6) {
			*value_r = in->ip;
			return 0;
		}
		/* §7.3: IPv6 as dot-separated nibbles, high first. */
		char *nib = arena_alloc(a, 64);
		if (nib == NULL)
			return -1;
		for (size_t i = 0; i < 16; i++) {
			static const char hex[] = "0123456789abcdef";
			nib[4 * i] = hex[v6.s6_addr[i] >> 4];
			nib[4 * i + 1] = '.';
			nib[4 * i + 2] = hex[v6.s6_addr[i] & 15];
			nib[4 * i + 3] = i < 15 ? '.' : '\0';
		}
		*value_r = nib;
		return 0;
	}
	default:
		*value_r = "";
		return 0;
	}
	return *value_r != NULL ? 0 : -1;
}

/*
 * Appends value transformed (§7.3): split at the delimiters (default
 * "."), reversed with r, the rightmost `keep` parts (0: all), joined by
 * dots, URL-escaped for an upper-case letter.
 */
static int
transform(struct str *out, const char *value, size_t keep, bool reverse,
	const char *delims, size_t ndelims, bool escape)
{
	struct span parts[256];
	size_t count = 0;
	const char *p = value;
	for (;;) {
		size_t n = 0;
		while (p[n] != '\0' && (ndelims == 0 ? p[n] != '.' :
			       memchr(delims, p[n], ndelims) == NULL))
			n++;
		if (count == sizeof(parts) / sizeof(*parts))
			return -1;
		parts[count++] = span_make(p, n);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (reverse) {
		for (size_t i = 0; i < count / 2; i++) {
			struct span t = parts[i];
			parts[i] = parts[count - 1 - i];
			parts[count - 1 - i] = t;
		}
	}
	size_t first = keep > 0 && keep < count ? count - keep : 0;
	for (size_t i = first; i < count; i++) {
		if (i > first && str_append_char(out, '.') < 0)
			return -1;
		for (size_t k = 0; k < parts[i].len; k++) {
			unsigned char c = (unsigned char)parts[i].p[k];
			bool plain = str_is_ascii_alpha((char)c) ||
				str_is_ascii_digit((char)c) ||
				strchr("-._~", c) != NULL;
			int rc = !escape || plain ?
				str_append_char(out, (char)c) :
				str_appendf(out, "%%%02X", c);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

int
mail_spf_expand(const char *spec, const struct mail_spf_macro_input *in,
	bool domain, struct arena *a, char **out_r, struct error *err)
{
	struct str out;
	str_init(&out, a, 8192);
	if (str_append(&out, "", 0) < 0)
		goto full;
	size_t len = strlen(spec);
	for (size_t i = 0; i < len;) {
		if (spec[i] != '%') {
			if (str_append_char(&out, spec[i++]) < 0)
				goto full;
			continue;
		}
		char letter;
		size_t n = macro_length(spec + i, len - i, &letter);
		if (n == 0 || (domain && letter != '\0' &&
				      strchr("crtCRT", letter) != NULL))
			return error_set(err, ERROR_INVALID,
				"\"%.*s\" is not an SPF macro", TERM_SHOWN,
				spec + i);
		int rc;
		if (letter == '\0') {
			char c = spec[i + 1];
			rc = str_append_cstr(&out, c == '%' ? "%" : c == '_' ?
				" " : "%20");
		} else {
			const char *v;
			if (macro_value(letter, in, a, &v) < 0)
				goto full;
			size_t k = i + 3, keep = 0;
			while (str_is_ascii_digit(spec[k]))
				keep = keep * 10 + (size_t)(spec[k++] - '0');
			bool reverse = spec[k] == 'r' || spec[k] == 'R';
			k += reverse;
			size_t ndelims = i + n - 1 - k;
			rc = transform(&out, v, keep, reverse, spec + k,
				ndelims, letter >= 'A' && letter <= 'Z');
		}
		if (rc < 0)
			goto full;
		i += n;
	}
	char *s = out.p;
	size_t n = out.len;
	if (domain) {
		/* §7.3: too long for a name: labels go from the left. */
		if (n > 0 && s[n - 1] == '.')
			s[--n] = '\0';
		while (n > DNS_NAME_MAX) {
			char *dot = strchr(s, '.');
			if (dot == NULL)
				break;
			n -= (size_t)(dot + 1 - s);
			s = dot + 1;
		}
	}
	*out_r = s;
	return 0;
full:
	return error_set(err, ERROR_LIMIT,
		"an SPF macro expands to more than 8 KiB");
}

/* ---- the record ---- */

struct parser {
	struct arena *a;
	struct span term;	/* the term being read, for errors */
	struct error *err;
};

static int
bad(struct parser *ps, const char *what)
{
	return error_set(ps->err, ERROR_INVALID,
		"the SPF term \"%.*s\" %s", (int)(ps->term.len > TERM_SHOWN ?
			TERM_SHOWN : ps->term.len), ps->term.p, what);
}

/* "/N" with no leading zero, N <= max: its value, or -1. */
static int
cidr_length(struct span *s, int max)
{
	if (s->len < 2 || s->p[0] != '/' || !str_is_ascii_digit(s->p[1]))
		return -1;
	size_t i = 1;
	int v = 0;
	while (i < s->len && str_is_ascii_digit(s->p[i]) && i < 5)
		v = v * 10 + (s->p[i++] - '0');
	if ((s->p[1] == '0' && i > 2) || v > max)
		return -1;
	s->p += i;
	s->len -= i;
	return v;
}

/*
 * Splits "domain-spec/dual-cidr" at the first '/' outside a %{...}
 * macro (a delimiter may be '/').
 */
static size_t
cidr_start(struct span s)
{
	bool in_macro = false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '{' && i > 0 && s.p[i - 1] == '%')
			in_macro = true;
		else if (s.p[i] == '}')
			in_macro = false;
		else if (s.p[i] == '/' && !in_macro)
			return i;
	}
	return s.len;
}

/* dual-cidr-length (§5.6): [ "/" ip4 ] [ "//" ip6 ]. */
static int
dual_cidr(struct parser *ps, struct span s, struct mail_spf_term *t)
{
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (s.len > 0 && !(s.len > 1 && s.p[1] == '/') &&
	    (t->cidr4 = cidr_length(&s, 32)) < 0)
		return bad(ps, "has a bad IPv4 prefix length");
	if (s.len > 0) {
		if (s.p[0] != '/')
			return bad(ps, "has a bad prefix length");
		s.p++;
		s.len--;
		if ((t->cidr6 = cidr_length(&s, 128)) < 0)
			return bad(ps, "has a bad IPv6 prefix length");
	}
	if (s.len > 0)
		return bad(ps, "has text after its prefix lengths");
	return 0;
}

static int
domain_arg(struct parser *ps, struct span s, struct mail_spf_term *t)
{
	if (!domain_spec_ok(s))
		return bad(ps, "has a domain that is not valid (a macro "
			"error, or no top-level label: use a full name)");
	if ((t->domain_spec = span_dup(s, ps->a)) == NULL)
		return error_set(ps->err, ERROR_LIMIT,
			"the SPF record is too large");
	return 0;
}

static int
ip_arg(struct parser *ps, struct span s, struct mail_spf_term *t)
{
	bool v6 = t->mechanism == MAIL_SPF_IP6;
	size_t slash = 0;
	while (slash < s.len && s.p[slash] != '/')
		slash++;
	char buf[64];
	if (slash == 0 || slash >= sizeof(buf))
		return bad(ps, v6 ? "has no IPv6 network" :
			"has no IPv4 network");
	memcpy(buf, s.p, slash);
	buf[slash] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, t->net) != 1)
		return bad(ps, v6 ? "has a bad IPv6 address" :
			"has a bad IPv4 address");
	struct span rest = span_make(s.p + slash, s.len - slash);
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (rest.len > 0) {
		int bits = cidr_length(&rest, v6 ? 128 : 32);
		if (bits < 0 || rest.len > 0)
			return bad(ps, "has a bad prefix length");
		if (v6)
			t->cidr6 = bits;
		else
			t->cidr4 = bits;
	}
	return 0;
}

static const struct {
	const char *name;
	enum mail_spf_mechanism mechanism;
} mechanisms[] = {
	{ "all", MAIL_SPF_ALL }, { "include", MAIL_SPF_INCLUDE },
	{ "a", MAIL_SPF_A }, { "mx", MAIL_SPF_MX }, { "ptr", MAIL_SPF_PTR },
	{ "ip4", MAIL_SPF_IP4 }, { "ip6", MAIL_SPF_IP6 },
	{ "exists", MAIL_SPF_EXISTS },
};

static int
directive(struct parser *ps, struct span s, struct mail_spf_term *t)
{
	t->qualifier = MAIL_SPF_PASS;
	if (s.len > 0 && strchr("+-~?", s.p[0]) != NULL) {
		t->qualifier = s.p[0] == '+' ? MAIL_SPF_PASS : s.p[0] == '-' ?
			MAIL_SPF_FAIL : s.p[0] == '~' ? MAIL_SPF_SOFTFAIL :
			MAIL_SPF_NEUTRAL;
		s.p++;
		s.len--;
	}
	size_t n = 0;
	while (n < s.len && (str_is_ascii_alpha(s.p[n]) ||
			     str_is_ascii_digit(s.p[n])))
		n++;
	struct span name = span_make(s.p, n);
	size_t m = 0;
	while (m < sizeof(mechanisms) / sizeof(*mechanisms) &&
	       !span_eq_nocase(name, mechanisms[m].name))
		m++;
	if (m == sizeof(mechanisms) / sizeof(*mechanisms))
		return bad(ps, "is not a mechanism or modifier SPF knows");
	t->mechanism = mechanisms[m].mechanism;
	struct span rest = span_make(s.p + n, s.len - n);
	bool colon = rest.len > 0 && rest.p[0] == ':';
	if (colon) {
		rest.p++;
		rest.len--;
	}
	switch (t->mechanism) {
	case MAIL_SPF_ALL:
		return rest.len > 0 || colon ? bad(ps, "takes no argument") :
			0;
	case MAIL_SPF_INCLUDE:
	case MAIL_SPF_EXISTS:
		if (!colon)
			return bad(ps, "needs a domain (\":domain\")");
		return domain_arg(ps, rest, t);
	case MAIL_SPF_PTR:
		if (!colon)
			return rest.len > 0 ? bad(ps, "takes no prefix "
				"length") : 0;
		return domain_arg(ps, rest, t);
	case MAIL_SPF_A:
	case MAIL_SPF_MX: {
		if (!colon && rest.len > 0 && rest.p[0] != '/')
			return bad(ps, "is not a mechanism SPF knows");
		size_t cut = colon ? cidr_start(rest) : 0;
		if (colon && domain_arg(ps, span_make(rest.p, cut), t) < 0)
			return -1;
		return dual_cidr(ps, span_make(rest.p + cut, rest.len - cut),
			t);
	}
	case MAIL_SPF_IP4:
	case MAIL_SPF_IP6:
		if (!colon)
			return bad(ps, "needs a network (\":address\")");
		return ip_arg(ps, rest, t);
	}
	return bad(ps, "is not a mechanism SPF knows");
}

/* A modifier (§6, §12): name "=" macro-string; redirect and exp once. */
static int
modifier(struct parser *ps, struct span name, struct span value,
	struct mail_spf_record *r)
{
	bool is_redirect = span_eq_nocase(name, "redirect");
	bool is_exp = span_eq_nocase(name, "exp");
	if (!is_redirect && !is_exp) {
		bool ends;
		/* §6: unknown modifiers are ignored, but must parse. */
		return macro_string_ok(value, false, &ends) ? 0 :
			bad(ps, "has a value with a bad macro");
	}
	const char **slot = is_redirect ? &r->redirect : &r->exp;
	if (*slot != NULL)
		return bad(ps, "appears twice in the record");
	if (!domain_spec_ok(value))
		return bad(ps, "has a domain that is not valid");
	if ((*slot = span_dup(value, ps->a)) == NULL)
		return error_set(ps->err, ERROR_LIMIT,
			"the SPF record is too large");
	return 0;
}

int
mail_spf_record_parse(struct span text, struct arena *a,
	struct mail_spf_record *record_r, struct error *err)
{
	memset(record_r, 0, sizeof(*record_r));
	if (!mail_spf_is_record(text))
		return error_set(err, ERROR_INVALID,
			"the text does not start with \"v=spf1\"");
	struct parser ps = { a, { NULL, 0 }, err };
	struct span rest = span_make(text.p + 6, text.len - 6);
	size_t capacity = 0;
	while (rest.len > 0) {
		struct span term;
		span_split(&rest, ' ', &term);
		if (term.len == 0)
			continue;	/* §4.6.1: terms are split by 1*SP */
		ps.term = term;
		for (size_t i = 0; i < term.len; i++) {
			if (term.p[i] < 0x21 || term.p[i] > 0x7e)
				return bad(&ps, "holds a character that is not "
					"visible ASCII");
		}
		/* A modifier's name is ALPHA *(ALPHA DIGIT - _ .), then '='. */
		size_t n = 0;
		if (str_is_ascii_alpha(term.p[0])) {
			while (n < term.len && (str_is_ascii_alpha(term.p[n]) ||
				       str_is_ascii_digit(term.p[n]) ||
				       strchr("-_.", term.p[n]) != NULL))
				n++;
		}
		if (n > 0 && n < term.len && term.p[n] == '=') {
			if (modifier(&ps, span_make(term.p, n),
				    span_make(term.p + n + 1,
					    term.len - n - 1), record_r) < 0)
				return -1;
			continue;
		}
		if (record_r->count == MAIL_SPF_TERMS_MAX)
			return error_set(err, ERROR_LIMIT,
				"the SPF record has more than %d terms",
				MAIL_SPF_TERMS_MAX);
		struct mail_spf_term *t = arena_array_push(a,
			(void **)&record_r->terms, &record_r->count,
			&capacity, sizeof(*t));
		if (t == NULL || (t->text = span_dup(term, a)) == NULL)
			return error_set(err, ERROR_LIMIT,
				"the SPF record is too large");
		if (directive(&ps, term, t) < 0)
			return -1;
	}
	return 0;
}
