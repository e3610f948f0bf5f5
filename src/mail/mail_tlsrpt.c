/*
 * TLS-RPT's names and its `_smtp._tls` TXT record (RFC 8460 §3, §4.3).
 * Layer: domain. The parser is pure, bounded, fuzzed by
 * tests/fuzz/fuzz_tlsrpt.c.
 */
#include "mail_tlsrpt.h"

#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"

static const char *const result_names[] = {
	[MAIL_TLSRPT_SUCCESS] = "",
	[MAIL_TLSRPT_STARTTLS_NOT_SUPPORTED] = "starttls-not-supported",
	[MAIL_TLSRPT_CERTIFICATE_HOST_MISMATCH] = "certificate-host-mismatch",
	[MAIL_TLSRPT_CERTIFICATE_EXPIRED] = "certificate-expired",
	[MAIL_TLSRPT_CERTIFICATE_NOT_TRUSTED] = "certificate-not-trusted",
	[MAIL_TLSRPT_VALIDATION_FAILURE] = "validation-failure",
	[MAIL_TLSRPT_TLSA_INVALID] = "tlsa-invalid",
	[MAIL_TLSRPT_DNSSEC_INVALID] = "dnssec-invalid",
	[MAIL_TLSRPT_DANE_REQUIRED] = "dane-required",
	[MAIL_TLSRPT_STS_POLICY_FETCH_ERROR] = "sts-policy-fetch-error",
	[MAIL_TLSRPT_STS_POLICY_INVALID] = "sts-policy-invalid",
	[MAIL_TLSRPT_STS_WEBPKI_INVALID] = "sts-webpki-invalid",
};

#define RESULT_COUNT (sizeof(result_names) / sizeof(*result_names))

const char *
mail_tlsrpt_result_name(enum mail_tlsrpt_result r)
{
	return (size_t)r < RESULT_COUNT ? result_names[r] : "validation-failure";
}

bool
mail_tlsrpt_result_parse(const char *name, enum mail_tlsrpt_result *r_r)
{
	for (size_t i = 0; i < RESULT_COUNT; i++) {
		if (strcmp(name, result_names[i]) == 0) {
			*r_r = (enum mail_tlsrpt_result)i;
			return true;
		}
	}
	return false;
}

const char *
mail_tlsrpt_policy_name(enum mail_tlsrpt_policy p)
{
	switch (p) {
	case MAIL_TLSRPT_POLICY_STS:
		return "sts";
	case MAIL_TLSRPT_POLICY_TLSA:
		return "tlsa";
	case MAIL_TLSRPT_POLICY_NONE:
		break;
	}
	return "no-policy-found";
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static struct span
trim_wsp(struct span s)
{
	while (s.len > 0 && is_wsp(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_wsp(s.p[s.len - 1]))
		s.len--;
	return s;
}

/*
 * One URI of rua: no spaces, no control bytes, no ";" (it would end the
 * field) and within a sane length. Kept when mailto: or https:.
 */
static int
rua_uri(struct span uri, struct arena *a, struct mail_tlsrpt_record *r,
	size_t *capacity, struct error *err)
{
	if (uri.len == 0 || uri.len > 2048)
		return error_set(err, ERROR_INVALID,
			"a rua URI is empty or too long");
	for (size_t i = 0; i < uri.len; i++) {
		unsigned char c = (unsigned char)uri.p[i];
		if (c <= 0x20 || c >= 0x7f)
			return error_set(err, ERROR_INVALID,
				"a rua URI has a space or a byte that is not "
				"printable ASCII");
	}
	bool mailto = span_starts_with_nocase(uri, "mailto:") && uri.len > 7;
	bool https = span_starts_with_nocase(uri, "https://") && uri.len > 8;
	if (!mailto && !https)
		return 0;	/* RFC 8460 §3: other schemes are not for us */
	if (r->rua_count >= MAIL_TLSRPT_RUA_MAX)
		return 0;
	char *copy = span_dup(uri, a);
	if (copy == NULL || arena_array_push(a, (void **)&r->rua,
		    &r->rua_count, capacity, sizeof(*r->rua)) == NULL)
		return error_set(err, ERROR_LIMIT,
			"the record is too large to hold");
	r->rua[r->rua_count - 1] = copy;
	return 0;
}

/* RFC 8460 §3 tlsrpt-ext-name "=" tlsrpt-ext-value, like MTA-STS's. */
static bool
extension_is_valid(struct span f)
{
	const char *eq = memchr(f.p, '=', f.len);
	if (eq == NULL || eq == f.p || (size_t)(eq - f.p) > 32 ||
	    eq == f.p + f.len - 1)
		return false;
	for (const char *c = f.p; c < eq; c++) {
		if (!(str_is_ascii_alpha(*c) || str_is_ascii_digit(*c) ||
			    ((*c == '_' || *c == '-' || *c == '.') && c > f.p)))
			return false;
	}
	for (const char *c = eq + 1; c < f.p + f.len; c++) {
		unsigned char u = (unsigned char)*c;
		if (u < 0x21 || u > 0x7e || u == ';' || u == '=')
			return false;
	}
	return true;
}

int
mail_tlsrpt_txt_parse(struct span text, struct arena *a,
	struct mail_tlsrpt_record *r_r, struct error *err)
{
	static const char version[] = "v=TLSRPTv1";
	memset(r_r, 0, sizeof(*r_r));
	struct span rest = text, field;
	if (!span_starts_with(text, version) ||
	    !span_split(&rest, ';', &field) ||
	    !span_eq(trim_wsp(field), version))
		return error_set(err, ERROR_INVALID,
			"the record does not start with v=TLSRPTv1");
	bool have_rua = false;
	struct mail_tlsrpt_record r = { 0 };
	size_t capacity = 0;
	while (span_split(&rest, ';', &field)) {
		field = trim_wsp(field);
		if (field.len == 0) {
			/* Only a final ";" may be followed by nothing. */
			if (trim_wsp(rest).len == 0)
				break;
			return error_set(err, ERROR_INVALID,
				"the record has an empty field");
		}
		if (span_starts_with(field, "rua=")) {
			if (have_rua)
				return error_set(err, ERROR_INVALID,
					"the record has two rua fields");
			have_rua = true;
			struct span list = span_make(field.p + 4,
				field.len - 4), uri;
			if (list.len == 0)
				return error_set(err, ERROR_INVALID,
					"the record's rua is empty");
			while (span_split(&list, ',', &uri)) {
				if (rua_uri(trim_wsp(uri), a, &r, &capacity, err) < 0)
					return -1;
			}
		} else if (!extension_is_valid(field)) {
			return error_set(err, ERROR_INVALID,
				"the record has a malformed field");
		}
	}
	if (!have_rua)
		return error_set(err, ERROR_INVALID,
			"the record has no rua field");
	if (r.rua_count == 0)
		return error_set(err, ERROR_INVALID,
			"the record's rua names no mailto: or https: address");
	*r_r = r;
	return 0;
}

int
mail_tlsrpt_txt_pick(const struct dns_answer *txt, struct arena *a,
	struct mail_tlsrpt_record *r_r, struct error *err)
{
	static const char version[] = "v=TLSRPTv1";
	const size_t vlen = sizeof(version) - 1;
	memset(r_r, 0, sizeof(*r_r));
	const struct dns_txt *found = NULL;
	size_t count = 0;
	for (size_t i = 0; i < txt->count; i++) {
		const struct dns_txt *t = &txt->txt[i];
		if (t->len >= vlen && memcmp(t->text, version, vlen) == 0 &&
		    (t->len == vlen || t->text[vlen] == ';' ||
			    is_wsp(t->text[vlen]))) {
			found = t;
			count++;
		}
	}
	if (count != 1)
		return error_set(err, ERROR_NOT_FOUND,
			count == 0 ? "there is no v=TLSRPTv1 TXT record" :
			"there is more than one v=TLSRPTv1 TXT record, so "
			"none counts");
	return mail_tlsrpt_txt_parse(span_make(found->text, found->len), a,
		r_r, err);
}

int
mail_tlsrpt_lookup(struct dns_resolver *r, const char *domain,
	struct arena *a, struct mail_tlsrpt_record *r_r, struct error *err)
{
	memset(r_r, 0, sizeof(*r_r));
	char *name = arena_printf(a, "_smtp._tls.%s", domain);
	if (name == NULL)
		return error_set(err, ERROR_LIMIT, "the arena is full");
	struct dns_answer ans;
	if (dns_lookup(r, name, DNS_TYPE_TXT, a, &ans, err) < 0)
		return -1;
	if (ans.status == DNS_STATUS_TEMPFAIL)
		return error_set(err, ERROR_TEMPORARY,
			"the TXT lookup of %s failed: %s", name, ans.why);
	if (ans.status != DNS_STATUS_OK)
		return error_set(err, ERROR_NOT_FOUND,
			"%s has no TXT record", name);
	return mail_tlsrpt_txt_pick(&ans, a, r_r, err);
}
