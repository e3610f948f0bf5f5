/*
 * SPF (issue 12 item 3, RFC 7208) as tables: the record parser (good and
 * bad terms), macro expansion (the §7.4 examples), and check_host() over
 * zones held here (the Appendix A examples, every mechanism, include,
 * redirect, the DNS-term, void-lookup and MX limits, temperror, several
 * records). tests/integration/test_auth_check.py compares the evaluator
 * over the real resolver with python3-spf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_spf.h"

#include "unit_zone.h"

/* RFC 7208 Appendix A's zone, and more names for the other cases. */
static const struct rr zone_rrs[] = {
	{ "example.com", "A", "192.0.2.10" },
	{ "example.com", "A", "192.0.2.11" },
	{ "amy.example.com", "A", "192.0.2.65" },
	{ "bob.example.com", "A", "192.0.2.66" },
	{ "mail-a.example.com", "A", "192.0.2.129" },
	{ "mail-b.example.com", "A", "192.0.2.130" },
	{ "mail-c.example.org", "A", "192.0.2.140" },
	{ "example.com", "MX", "10 mail-a.example.com" },
	{ "example.com", "MX", "20 mail-b.example.com" },
	{ "example.org", "MX", "10 mail-c.example.org" },
	{ "10.2.0.192.in-addr.arpa", "PTR", "example.com" },
	{ "11.2.0.192.in-addr.arpa", "PTR", "example.com" },
	{ "65.2.0.192.in-addr.arpa", "PTR", "amy.example.com" },
	{ "66.2.0.192.in-addr.arpa", "PTR", "bob.example.com" },
	{ "129.2.0.192.in-addr.arpa", "PTR", "mail-a.example.com" },
	{ "130.2.0.192.in-addr.arpa", "PTR", "mail-b.example.com" },
	{ "140.2.0.192.in-addr.arpa", "PTR", "mail-c.example.org" },
	{ "10.0.0.10.in-addr.arpa", "PTR", "bob.example.com" },
	{ "amy.example.com", "AAAA", "2001:db8::65" },
	{ "5.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	  "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR", "amy.example.com" },
	/* include and redirect */
	{ "inc.test", "TXT", "v=spf1 include:partner.test -all" },
	{ "partner.test", "TXT", "v=spf1 ip4:198.51.100.0/24 ~all" },
	{ "incnone.test", "TXT", "v=spf1 include:nospf.test -all" },
	{ "nospf.test", "TXT", "some other text" },
	{ "nospf.test", "A", "192.0.2.99" },
	{ "inctemp.test", "TXT", "v=spf1 include:broken.test -all" },
	{ "broken.test", "TEMPFAIL", "" },
	{ "incperm.test", "TXT", "v=spf1 include:bad.test -all" },
	{ "bad.test", "TXT", "v=spf1 frobnicate -all" },
	{ "redir.test", "TXT", "v=spf1 redirect=partner.test" },
	{ "redirnone.test", "TXT", "v=spf1 redirect=nospf.test" },
	{ "redirall.test", "TXT", "v=spf1 ?all redirect=partner.test" },
	{ "two.test", "TXT", "v=spf1 -all" },
	{ "two.test", "TXT", "v=spf1 +all" },
	{ "twoother.test", "TXT", "v=spf1 ip4:192.0.2.1 -all" },
	{ "twoother.test", "TXT", "v=spf10 +all" },
	{ "twoother.test", "TXT", "google-site-verification=abc" },
	{ "temp.test", "TEMPFAIL", "" },
	{ "atemp.test", "TXT", "v=spf1 a:broken.test -all" },
	{ "ip6.test", "TXT", "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all" },
	{ "a6.test", "TXT", "v=spf1 a:host6.test/24//64 -all" },
	{ "host6.test", "AAAA", "2001:db8:1:2::1" },
	{ "host6.test", "A", "203.0.113.9" },
	/* exists with macros (RFC 7208 §5.7) */
	{ "exists.test", "TXT", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all" },
	{ "1.2.0.192.bob._spf.exists.test", "A", "127.0.0.2" },
	{ "1.2.0.192.postmaster._spf.exists.test", "A", "127.0.0.2" },
	{ "ptrm.test", "TXT", "v=spf1 exists:%{p}.ok.test -all" },
	{ "amy.example.com.ok.test", "A", "127.0.0.2" },
	/* the limits */
	{ "deep.test", "TXT", "v=spf1 include:d1.test -all" },
	{ "d1.test", "TXT", "v=spf1 a a a a a include:d2.test" },
	{ "d1.test", "A", "203.0.113.1" },
	{ "d2.test", "TXT", "v=spf1 a a a ip4:192.0.2.200 -all" },
	{ "d2.test", "A", "203.0.113.2" },
	{ "deeper.test", "TXT", "v=spf1 include:d1.test include:d3.test -all" },
	{ "d3.test", "TXT", "v=spf1 ip4:192.0.2.201 -all" },
	{ "loop.test", "TXT", "v=spf1 include:loop.test -all" },
	{ "void.test", "TXT",
	  "v=spf1 a:n1.test a:n2.test a:n3.test ip4:192.0.2.1 -all" },
	{ "void2.test", "TXT", "v=spf1 a:n1.test a:n2.test ip4:192.0.2.1 -all" },
	{ "manymx.test", "TXT", "v=spf1 mx -all" },
	{ "manymx.test", "MX", "1 m1.test" }, { "manymx.test", "MX", "2 m2.test" },
	{ "manymx.test", "MX", "3 m3.test" }, { "manymx.test", "MX", "4 m4.test" },
	{ "manymx.test", "MX", "5 m5.test" }, { "manymx.test", "MX", "6 m6.test" },
	{ "manymx.test", "MX", "7 m7.test" }, { "manymx.test", "MX", "8 m8.test" },
	{ "manymx.test", "MX", "9 m9.test" }, { "manymx.test", "MX", "10 ma.test" },
	{ "manymx.test", "MX", "11 mb.test" },
	{ "bad-syntax.test", "TXT", "v=spf1 ip4:192.0.2.300 -all" },
	{ "afterall.test", "TXT", "v=spf1 -all include:broken.test" },
	{ "softy.test", "TXT", "v=spf1 ~all" },
	{ "neutral.test", "TXT", "v=spf1 ?all" },
	{ "nomatch.test", "TXT", "v=spf1 ip4:203.0.113.0/24" },
	{ "upper.test", "TXT", "V=SPF1 IP4:192.0.2.1 -ALL" },
	{ NULL, NULL, NULL },
};

static struct arena *arena;

static int
setup(void **state)
{
	arena = arena_new(16 * 1024 * 1024);
	return 0;
}

static int
teardown(void **state)
{
	arena_free(&arena);
	return 0;
}

static struct mail_spf_outcome
check(struct zone *z, const char *ip, const char *from, const char *helo)
{
	struct mail_auth_dns dns = { zone_lookup, z };
	struct mail_spf_outcome out;
	const char *identity;
	bool is_helo;
	struct error err;
	int rc = mail_spf_check(&dns, ip, helo, from, arena, &out, &identity,
		&is_helo, &err);
	if (rc < 0)
		fail_msg("%s", err.msg);
	assert_non_null(out.why);
	assert_true(out.why[0] != '\0');
	return out;
}

/* ---- RFC 7208 Appendix A.1 ---- */

static const struct {
	const char *record;
	const char *ip;
	enum mail_spf_result want;
} appendix_cases[] = {
	{ "v=spf1 +all", "203.0.113.1", MAIL_SPF_PASS },
	{ "v=spf1 a -all", "192.0.2.10", MAIL_SPF_PASS },
	{ "v=spf1 a -all", "192.0.2.11", MAIL_SPF_PASS },
	{ "v=spf1 a -all", "192.0.2.12", MAIL_SPF_FAIL },
	{ "v=spf1 a:example.org -all", "192.0.2.10", MAIL_SPF_FAIL },
	{ "v=spf1 mx -all", "192.0.2.129", MAIL_SPF_PASS },
	{ "v=spf1 mx -all", "192.0.2.130", MAIL_SPF_PASS },
	{ "v=spf1 mx -all", "192.0.2.140", MAIL_SPF_FAIL },
	{ "v=spf1 mx:example.org -all", "192.0.2.140", MAIL_SPF_PASS },
	{ "v=spf1 mx mx:example.org -all", "192.0.2.140", MAIL_SPF_PASS },
	{ "v=spf1 mx mx:example.org -all", "192.0.2.129", MAIL_SPF_PASS },
	{ "v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.131", MAIL_SPF_PASS },
	{ "v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.143", MAIL_SPF_PASS },
	{ "v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.144", MAIL_SPF_FAIL },
	{ "v=spf1 ptr -all", "192.0.2.65", MAIL_SPF_PASS },
	{ "v=spf1 ptr -all", "192.0.2.140", MAIL_SPF_FAIL },
	/* 10.0.0.10's PTR name does not point back to it: not validated. */
	{ "v=spf1 ptr -all", "10.0.0.10", MAIL_SPF_FAIL },
	/* An IPv6 client's reverse name is its nibbles, low first. */
	{ "v=spf1 ptr -all", "2001:db8::65", MAIL_SPF_PASS },
	{ "v=spf1 ptr -all", "2001:db8::66", MAIL_SPF_FAIL },
	{ "v=spf1 ptr -all", "::ffff:192.0.2.65", MAIL_SPF_PASS },
	{ "v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.143", MAIL_SPF_PASS },
	{ "v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.65", MAIL_SPF_FAIL },
	/* qualifiers, and an IPv4-mapped client judged as IPv4 */
	{ "v=spf1 ~all", "192.0.2.1", MAIL_SPF_SOFTFAIL },
	{ "v=spf1 ?a +all", "192.0.2.10", MAIL_SPF_NEUTRAL },
	{ "v=spf1 -a +all", "::ffff:192.0.2.10", MAIL_SPF_FAIL },
	{ "v=spf1 ip4:192.0.2.10", "192.0.2.9", MAIL_SPF_NEUTRAL },
	{ NULL, "192.0.2.1", MAIL_SPF_NONE },
	{ "v=spf1 a:localhost -all", "192.0.2.1", MAIL_SPF_PERMERROR },
};

static void
test_appendix_a(void **state)
{
	for (size_t i = 0; i < sizeof(appendix_cases) /
		     sizeof(*appendix_cases); i++) {
		struct zone z = { zone_rrs, "example.com",
			appendix_cases[i].record, 0 };
		struct mail_spf_outcome out = check(&z,
			appendix_cases[i].ip, "joe@example.com",
			"mx.example.net");
		if (out.result != appendix_cases[i].want)
			fail_msg("case %zu (%s from %s): %s, want %s (%s)", i,
				appendix_cases[i].record,
				appendix_cases[i].ip,
				mail_spf_result_name(out.result),
				mail_spf_result_name(appendix_cases[i].want),
				out.why);
	}
}

/* ---- every mechanism, include, redirect, limits ---- */

static const struct {
	const char *from;
	const char *ip;
	enum mail_spf_result want;
	const char *why;	/* a piece of the sentence */
} eval_cases[] = {
	{ "a@inc.test", "198.51.100.7", MAIL_SPF_PASS, "include:partner" },
	{ "a@inc.test", "192.0.2.7", MAIL_SPF_FAIL, "-all" },
	{ "a@incnone.test", "192.0.2.7", MAIL_SPF_PERMERROR, "no SPF" },
	{ "a@inctemp.test", "192.0.2.7", MAIL_SPF_TEMPERROR, "broken.test" },
	{ "a@incperm.test", "192.0.2.7", MAIL_SPF_PERMERROR, "frobnicate" },
	{ "a@redir.test", "198.51.100.7", MAIL_SPF_PASS, "ip4:198" },
	{ "a@redir.test", "192.0.2.7", MAIL_SPF_SOFTFAIL, "~all" },
	{ "a@redirnone.test", "192.0.2.7", MAIL_SPF_PERMERROR, "redirect" },
	/* all ends the record: redirect is never reached (§6.1) */
	{ "a@redirall.test", "198.51.100.7", MAIL_SPF_NEUTRAL, "?all" },
	{ "a@two.test", "192.0.2.7", MAIL_SPF_PERMERROR, "more than one" },
	{ "a@twoother.test", "192.0.2.1", MAIL_SPF_PASS, "ip4" },
	{ "a@temp.test", "192.0.2.1", MAIL_SPF_TEMPERROR, "failed" },
	{ "a@atemp.test", "192.0.2.1", MAIL_SPF_TEMPERROR, "broken.test" },
	{ "a@nowhere.test", "192.0.2.1", MAIL_SPF_NONE, "no SPF" },
	{ "a@nospf.test", "192.0.2.1", MAIL_SPF_NONE, "no SPF" },
	{ "a@localhost", "192.0.2.1", MAIL_SPF_NONE, "not a domain" },
	{ "a@ip6.test", "2001:db8:ff::1", MAIL_SPF_PASS, "ip6" },
	{ "a@ip6.test", "2001:db9::1", MAIL_SPF_FAIL, "-all" },
	{ "a@ip6.test", "192.0.2.200", MAIL_SPF_PASS, "ip4" },
	{ "a@a6.test", "2001:db8:1:2:ffff::1", MAIL_SPF_PASS, "a:host6" },
	{ "a@a6.test", "2001:db8:1:3::1", MAIL_SPF_FAIL, "-all" },
	{ "a@a6.test", "203.0.113.200", MAIL_SPF_PASS, "a:host6" },
	{ "a@a6.test", "203.0.114.9", MAIL_SPF_FAIL, "-all" },
	{ "bob@exists.test", "192.0.2.1", MAIL_SPF_PASS, "exists" },
	{ "amy@exists.test", "192.0.2.1", MAIL_SPF_FAIL, "-all" },
	/* §4.3: no local-part, or no '@' at all: %{l} is postmaster */
	{ "@exists.test", "192.0.2.1", MAIL_SPF_PASS, "exists" },
	{ "exists.test", "192.0.2.1", MAIL_SPF_PASS, "exists" },
	{ "x@ptrm.test", "192.0.2.65", MAIL_SPF_PASS, "exists" },
	{ "x@ptrm.test", "192.0.2.66", MAIL_SPF_FAIL, "-all" },
	/* include + 5 a + include + 3 a = 10 terms: at the limit, still evaluated */
	{ "a@deep.test", "192.0.2.200", MAIL_SPF_PASS, "include" },
	{ "a@deeper.test", "192.0.2.201", MAIL_SPF_PERMERROR, "more than 10" },
	{ "a@loop.test", "192.0.2.1", MAIL_SPF_PERMERROR, "more than 10" },
	{ "a@void.test", "192.0.2.1", MAIL_SPF_PERMERROR, "found nothing" },
	{ "a@void2.test", "192.0.2.1", MAIL_SPF_PASS, "ip4" },
	{ "a@manymx.test", "192.0.2.1", MAIL_SPF_PERMERROR, "MX records" },
	{ "a@bad-syntax.test", "192.0.2.1", MAIL_SPF_PERMERROR, "IPv4" },
	/* evaluation stops at the first match: the later error is unseen */
	{ "a@afterall.test", "192.0.2.1", MAIL_SPF_FAIL, "-all" },
	{ "a@softy.test", "192.0.2.1", MAIL_SPF_SOFTFAIL, "~all" },
	{ "a@neutral.test", "192.0.2.1", MAIL_SPF_NEUTRAL, "?all" },
	{ "a@nomatch.test", "192.0.2.1", MAIL_SPF_NEUTRAL, "no term" },
	{ "a@UPPER.test", "192.0.2.1", MAIL_SPF_PASS, "IP4" },
	/* the null reverse-path is checked as postmaster@HELO (§2.4) */
	{ "", "198.51.100.7", MAIL_SPF_PASS, "partner" },
};

static void
test_eval_table(void **state)
{
	for (size_t i = 0; i < sizeof(eval_cases) / sizeof(*eval_cases); i++) {
		struct zone z = { zone_rrs, NULL, NULL, 0 };
		struct mail_spf_outcome out = check(&z, eval_cases[i].ip,
			eval_cases[i].from, "partner.test");
		if (out.result != eval_cases[i].want ||
		    strstr(out.why, eval_cases[i].why) == NULL)
			fail_msg("case %zu (%s from %s): %s \"%s\", want %s "
				"\"%s\"", i, eval_cases[i].from,
				eval_cases[i].ip,
				mail_spf_result_name(out.result), out.why,
				mail_spf_result_name(eval_cases[i].want),
				eval_cases[i].why);
		assert_true(out.dns_terms <= MAIL_SPF_DNS_TERMS_MAX + 1);
		assert_true(out.void_lookups <= MAIL_SPF_VOID_MAX + 1);
	}
}

/* The loop stops on the term limit: the DNS is asked a bounded number. */
static void
test_limits_bound_queries(void **state)
{
	struct zone z = { zone_rrs, NULL, NULL, 0 };
	struct mail_spf_outcome out = check(&z, "192.0.2.1", "a@loop.test",
		"");
	assert_int_equal(out.result, MAIL_SPF_PERMERROR);
	assert_true(z.queries <= MAIL_SPF_DNS_TERMS_MAX + 2);
	assert_int_equal(out.dns_terms, MAIL_SPF_DNS_TERMS_MAX + 1);
}

static void
test_bad_ip_refused(void **state)
{
	struct zone z = { zone_rrs, NULL, NULL, 0 };
	struct mail_auth_dns dns = { zone_lookup, &z };
	struct mail_spf_outcome out;
	const char *identity;
	bool is_helo;
	struct error err;
	assert_int_equal(mail_spf_check(&dns, "192.0.2", "h.test",
		"a@inc.test", arena, &out, &identity, &is_helo, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(z.queries, 0);
}

/* ---- the parser ---- */

static const struct {
	const char *text;
	bool ok;
	size_t terms;
} parse_cases[] = {
	{ "v=spf1", true, 0 },
	{ "v=spf1 -all", true, 1 },
	{ "v=spf1   a   mx  -all  ", true, 3 },
	{ "v=spf1 a/24 a//64 a/24//64 a:x.example/0//0", true, 4 },
	{ "v=spf1 mx:%{d}.x.example/24 ptr ptr:x.example", true, 3 },
	{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip6:::1", true, 3 },
	{ "v=spf1 include:_spf.example.com exists:%{i}.x.example", true, 2 },
	{ "v=spf1 redirect=_spf.example.com", true, 0 },
	{ "v=spf1 exp=explain.%{d} foo=bar%{s} -all", true, 1 },
	{ "v=spf1 a:x.example.", true, 1 },
	{ "v=spf1 exists:%{l1r+-}.%{d2}", true, 1 },
	{ "v=spf1 a:%{l}.%%%_%-.x.example", true, 1 },
	{ "v=spf1 a:123-x.example", true, 1 },
	{ "v=spf10", false, 0 },
	{ "v=spf2 -all", false, 0 },
	{ "spf1 -all", false, 0 },
	{ "v=spf1 frob", false, 0 },
	{ "v=spf1 all:x.example", false, 0 },
	{ "v=spf1 -all/24", false, 0 },
	{ "v=spf1 include", false, 0 },
	{ "v=spf1 include:", false, 0 },
	{ "v=spf1 exists", false, 0 },
	{ "v=spf1 ip4", false, 0 },
	{ "v=spf1 ip4:192.0.2.0/33", false, 0 },
	{ "v=spf1 ip4:192.0.2.0/024", false, 0 },
	{ "v=spf1 ip4:192.0.2", false, 0 },
	{ "v=spf1 ip4:2001:db8::", false, 0 },
	{ "v=spf1 ip6:192.0.2.1", false, 0 },
	{ "v=spf1 ip6:::1/129", false, 0 },
	{ "v=spf1 a/33", false, 0 },
	{ "v=spf1 a//129", false, 0 },
	{ "v=spf1 a/24/64", false, 0 },
	{ "v=spf1 a:localhost", false, 0 },
	{ "v=spf1 a:1.2.3.4", false, 0 },
	{ "v=spf1 a:x.example:25", false, 0 },
	{ "v=spf1 ptr/24", false, 0 },
	{ "v=spf1 a:%{x}.example.com", false, 0 },
	{ "v=spf1 a:%{d0}.example.com", false, 0 },
	{ "v=spf1 a:%{c}.example.com", false, 0 },
	{ "v=spf1 a:%{d}%", false, 0 },
	{ "v=spf1 a:%x.example.com", false, 0 },
	{ "v=spf1 redirect=a.example redirect=b.example", false, 0 },
	{ "v=spf1 exp=a.example exp=b.example", false, 0 },
	{ "v=spf1 redirect=", false, 0 },
	{ "v=spf1 +redirect=a.example", false, 0 },
	{ "v=spf1 -all\tmx", false, 0 },
	{ "v=spf1 a:\xc3\xa9.example", false, 0 },
	{ "v=spf1 foo=%", false, 0 },
};

static void
test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases);
	     i++) {
		struct mail_spf_record r;
		struct error err;
		int rc = mail_spf_record_parse(
			span_from_cstr(parse_cases[i].text), arena, &r, &err);
		if ((rc == 0) != parse_cases[i].ok)
			fail_msg("case %zu \"%s\": rc %d (%s)", i,
				parse_cases[i].text, rc, rc < 0 ? err.msg :
				"");
		if (rc == 0)
			assert_int_equal(r.count, parse_cases[i].terms);
		else
			assert_int_equal(err.code, ERROR_INVALID);
	}
}

static void
test_parse_fields(void **state)
{
	struct mail_spf_record r;
	struct error err;
	assert_int_equal(mail_spf_record_parse(span_from_cstr(
		"v=spf1 ~a:x.example/24//48 ?ip4:192.0.2.1 mx "
		"redirect=r.example exp=e.example"), arena, &r, &err), 0);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.terms[0].mechanism, MAIL_SPF_A);
	assert_int_equal(r.terms[0].qualifier, MAIL_SPF_SOFTFAIL);
	assert_string_equal(r.terms[0].domain_spec, "x.example");
	assert_int_equal(r.terms[0].cidr4, 24);
	assert_int_equal(r.terms[0].cidr6, 48);
	assert_int_equal(r.terms[1].qualifier, MAIL_SPF_NEUTRAL);
	assert_int_equal(r.terms[1].cidr4, 32);
	assert_memory_equal(r.terms[1].net, "\xc0\x00\x02\x01", 4);
	assert_null(r.terms[2].domain_spec);
	assert_int_equal(r.terms[2].cidr6, 128);
	assert_string_equal(r.redirect, "r.example");
	assert_string_equal(r.exp, "e.example");
}

static void
test_parse_limit(void **state)
{
	struct str s;
	str_init(&s, arena, 1 << 20);
	str_append_cstr(&s, "v=spf1");
	for (int i = 0; i <= MAIL_SPF_TERMS_MAX; i++)
		str_append_cstr(&s, " a");
	struct mail_spf_record r;
	struct error err;
	assert_int_equal(mail_spf_record_parse(span_make(s.p, s.len), arena,
		&r, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
}

/* ---- macros: RFC 7208 §7.4 ---- */

static const struct {
	const char *spec;
	const char *ip;
	const char *want;
} macro_cases[] = {
	{ "%{s}", "192.0.2.3", "strong-bad@email.example.com" },
	{ "%{o}", "192.0.2.3", "email.example.com" },
	{ "%{d}", "192.0.2.3", "email.example.com" },
	{ "%{d4}", "192.0.2.3", "email.example.com" },
	{ "%{d3}", "192.0.2.3", "email.example.com" },
	{ "%{d2}", "192.0.2.3", "example.com" },
	{ "%{d1}", "192.0.2.3", "com" },
	{ "%{dr}", "192.0.2.3", "com.example.email" },
	{ "%{d2r}", "192.0.2.3", "example.email" },
	{ "%{l}", "192.0.2.3", "strong-bad" },
	{ "%{l-}", "192.0.2.3", "strong.bad" },
	{ "%{lr}", "192.0.2.3", "strong-bad" },
	{ "%{lr-}", "192.0.2.3", "bad.strong" },
	{ "%{l1r-}", "192.0.2.3", "strong" },
	{ "%{ir}.%{v}._spf.%{d2}", "192.0.2.3",
	  "3.2.0.192.in-addr._spf.example.com" },
	{ "%{lr-}.lp._spf.%{d2}", "192.0.2.3",
	  "bad.strong.lp._spf.example.com" },
	{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "192.0.2.3",
	  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
	{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "192.0.2.3",
	  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
	{ "%{d2}.trusted-domains.example.net", "192.0.2.3",
	  "example.com.trusted-domains.example.net" },
	{ "%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01",
	  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	  ".ip6._spf.example.com" },
	{ "%{h}.%{p}", "192.0.2.3", "mx.example.org.unknown" },
	{ "%{S}", "192.0.2.3", "strong-bad%40email.example.com" },
	{ "a%%b%_c%-d", "192.0.2.3", "a%b c%20d" },
	{ "%{d}.", "192.0.2.3", "email.example.com" },
};

static void
test_macro_table(void **state)
{
	for (size_t i = 0; i < sizeof(macro_cases) / sizeof(*macro_cases);
	     i++) {
		struct mail_spf_macro_input in = {
			"strong-bad@email.example.com", "email.example.com",
			macro_cases[i].ip, "mx.example.org", NULL };
		char *out;
		struct error err;
		assert_int_equal(mail_spf_expand(macro_cases[i].spec, &in,
			true, arena, &out, &err), 0);
		if (strcmp(out, macro_cases[i].want) != 0)
			fail_msg("case %zu %s: \"%s\", want \"%s\"", i,
				macro_cases[i].spec, out, macro_cases[i].want);
	}
}

/* §7.3: a name over 253 bytes loses labels from the left. */
static void
test_macro_truncates(void **state)
{
	char local[200];
	memset(local, 'x', sizeof(local) - 1);
	local[sizeof(local) - 1] = '\0';
	for (size_t i = 10; i < sizeof(local) - 1; i += 11)
		local[i] = '.';
	char sender[300];
	snprintf(sender, sizeof(sender), "%s@example.com", local);
	struct mail_spf_macro_input in = { sender, "example.com",
		"192.0.2.3", "h.example", NULL };
	char *out;
	struct error err;
	assert_int_equal(mail_spf_expand("%{l}.%{l}.example.com", &in, true,
		arena, &out, &err), 0);
	assert_true(strlen(out) <= DNS_NAME_MAX);
	assert_true(strlen(out) > DNS_NAME_MAX - 12);
	size_t n = strlen(out);
	assert_string_equal(out + n - strlen(".example.com"), ".example.com");
	assert_int_equal(mail_spf_expand("%{c}", &in, true, arena, &out,
		&err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appendix_a),
		cmocka_unit_test(test_eval_table),
		cmocka_unit_test(test_limits_bound_queries),
		cmocka_unit_test(test_bad_ip_refused),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_limit),
		cmocka_unit_test(test_macro_table),
		cmocka_unit_test(test_macro_truncates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
