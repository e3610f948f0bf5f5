/*
 * Fuzz target for SPF (mail_spf.c, mail_spf_eval.c): the input is a
 * record. Beyond not crashing: a refusal is INVALID or LIMIT with a
 * sentence; a parsed record keeps its limits (terms, prefix lengths, a
 * domain for include and exists); every domain-spec it holds expands
 * without a syntax error; and check_host() over a zone where every name
 * publishes this record ends with a result, having asked the DNS a
 * bounded number of times (RFC 7208 §4.6.4).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_spf.h"

#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_zone {
	struct span record;
	int queries;
};

/*
 * Every name has this record as TXT, an address for A and AAAA when it
 * starts with a letter before 'n', and itself as MX and PTR.
 */
static int
fuzz_lookup(void *arg, const char *name, enum dns_type type, struct arena *a,
	struct dns_answer *ans, struct error *err)
{
	struct fuzz_zone *z = arg;
	(void)err;
	z->queries++;
	memset(ans, 0, sizeof(*ans));
	ans->type = type;
	ans->why = "";
	ans->canonical = name;
	ans->status = DNS_STATUS_OK;
	ans->count = 1;
	switch (type) {
	case DNS_TYPE_TXT:
		ans->txt = arena_alloc(a, sizeof(*ans->txt));
		if (ans->txt == NULL)
			abort();
		ans->txt->text = span_dup(z->record, a);
		ans->txt->len = z->record.len;
		if (ans->txt->text == NULL)
			abort();
		break;
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		if (name[0] >= 'n') {
			ans->status = DNS_STATUS_NXDOMAIN;
			ans->count = 0;
			break;
		}
		ans->addr = arena_alloc(a, sizeof(*ans->addr));
		if (ans->addr == NULL)
			abort();
		ans->addr->family = type == DNS_TYPE_A ? AF_INET : AF_INET6;
		inet_pton(ans->addr->family, type == DNS_TYPE_A ? "192.0.2.1" :
			"2001:db8::1", ans->addr->bytes);
		break;
	case DNS_TYPE_MX:
		ans->mx = arena_alloc(a, sizeof(*ans->mx));
		if (ans->mx == NULL)
			abort();
		str_copy(ans->mx->host, sizeof(ans->mx->host), name);
		break;
	case DNS_TYPE_PTR:
		ans->ptr = arena_alloc(a, sizeof(*ans->ptr));
		if (ans->ptr == NULL)
			abort();
		str_copy(ans->ptr->host, sizeof(ans->ptr->host), "a.fuzz.example");
		break;
	default:
		ans->status = DNS_STATUS_TEMPFAIL;
		ans->count = 0;
	}
	return 0;
}

static void
check_record(const struct mail_spf_record *r, struct arena *a)
{
	if (r->count > MAIL_SPF_TERMS_MAX)
		abort();
	struct mail_spf_macro_input in = { "strong-bad@email.example.com",
		"email.example.com", "2001:db8::cb01", "mx.example.org",
		"a.example.org" };
	for (size_t i = 0; i <= r->count; i++) {
		const char *spec = i < r->count ? r->terms[i].domain_spec :
			r->redirect;
		if (i < r->count) {
			const struct mail_spf_term *t = &r->terms[i];
			if (t->cidr4 < 0 || t->cidr4 > 32 || t->cidr6 < 0 ||
			    t->cidr6 > 128 || t->text == NULL)
				abort();
			if ((t->mechanism == MAIL_SPF_INCLUDE ||
				    t->mechanism == MAIL_SPF_EXISTS) &&
			    spec == NULL)
				abort();
		}
		if (spec == NULL)
			continue;
		char *out;
		struct error err;
		if (mail_spf_expand(spec, &in, true, a, &out, &err) < 0) {
			if (err.code != ERROR_LIMIT)
				abort();
		} else if (strlen(out) > DNS_NAME_MAX &&
			   strchr(out, '.') != NULL) {
			abort();	/* §7.3: labels go until it fits */
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	struct arena *a = arena_new(64 * 1024 * 1024);
	struct span text = span_make((const char *)data, size);
	struct mail_spf_record r;
	struct error err;
	if (mail_spf_record_parse(text, a, &r, &err) == 0)
		check_record(&r, a);
	else
		check_refusal(&err);
	struct fuzz_zone z = { text, 0 };
	struct mail_auth_dns dns = { fuzz_lookup, &z };
	static const char *const ips[] = { "192.0.2.1", "2001:db8::1" };
	for (size_t i = 0; i < 2; i++) {
		struct mail_spf_input in = { ips[i], "fuzz.example",
			"user@fuzz.example", "helo.example" };
		struct mail_spf_outcome out;
		if (mail_spf_check_host(&dns, &in, a, &out, &err) < 0) {
			if (err.code != ERROR_LIMIT)
				abort();
			continue;
		}
		if (out.result > MAIL_SPF_PERMERROR || out.why == NULL ||
		    out.why[0] == '\0' ||
		    out.dns_terms > MAIL_SPF_DNS_TERMS_MAX + 1 ||
		    out.void_lookups > MAIL_SPF_VOID_MAX + 1)
			abort();
	}
	/*
	 * Each DNS term asks at most 1 + 10 names (mx), the PTR lookup 1 +
	 * 10, every record its TXT: the whole check stays small.
	 */
	if (z.queries > 2 * (1 + (MAIL_SPF_DNS_TERMS_MAX + 1) * 12 + 11 +
			      MAIL_SPF_VOID_MAX + 1))
		abort();
	arena_free(&a);
	return 0;
}
