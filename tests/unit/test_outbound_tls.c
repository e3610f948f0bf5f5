/*
 * Outbound TLS policy as tables: MTA-STS's TXT record, policy file and MX
 * patterns (RFC 8461 §3.1, §3.2, §4.1), TLS-RPT's TXT record (RFC 8460
 * §3), DANE matching (RFC 7672 §3, RFC 6698) against certificates whose
 * digests openssl computed (dane_certs.h), the per-MX decision for every
 * combination of policy, TLSA answer and secure domain, the TLS-RPT result
 * of each client failure, and the store's policy cache and report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "dane_certs.h"
#include "mail/mail_dane.h"
#include "mail/mail_mta_sts.h"
#include "mail/mail_tls_policy.h"
#include "mail/mail_tlsrpt.h"
#include "store/store_tls.h"
#include "unit_instance.h"

/* The strings joined by " " into buf. */
static void
join(const char *const *list, size_t n, char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && at < size; i++) {
		int w = snprintf(buf + at, size - at, "%s%s", i > 0 ? " " : "",
			list[i]);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

/* ---- MTA-STS TXT ---- */

struct txt_case {
	const char *text;
	int rc;
	const char *id;
};

static const struct txt_case txt_cases[] = {
	{ "v=STSv1; id=20160831085700Z;", 0, "20160831085700Z" },
	{ "v=STSv1; id=abc", 0, "abc" },
	{ "v=STSv1;id=abc", 0, "abc" },
	{ "v=STSv1 ;\tid=abc ; ", 0, "abc" },
	{ "v=STSv1; id=abc; ext_1=value!", 0, "abc" },
	{ "v=STSv1; ext=x; id=Z9", 0, "Z9" },
	{ "v=STSv1; id=12345678901234567890123456789012", 0,
	  "12345678901234567890123456789012" },
	/* 33 characters: too long. */
	{ "v=STSv1; id=123456789012345678901234567890123", -1, NULL },
	{ "v=STSv1; id=", -1, NULL },
	{ "v=STSv1; id=a-b", -1, NULL },
	{ "v=STSv1; id=a; id=b", -1, NULL },
	{ "v=STSv1", -1, NULL },
	{ "v=STSv1;", -1, NULL },
	{ "v=STSv2; id=abc", -1, NULL },
	{ "v=stsv1; id=abc", -1, NULL },
	{ " v=STSv1; id=abc", -1, NULL },
	{ "v=STSv1 id=abc", -1, NULL },
	{ "v=STSv1; id=abc; bad", -1, NULL },
	{ "v=STSv1; id=abc; =x", -1, NULL },
	{ "v=STSv1; id=abc; e=a=b", -1, NULL },
	{ "", -1, NULL },
};

static void
test_mta_sts_txt(void **state)
{
	for (size_t i = 0; i < sizeof(txt_cases) / sizeof(*txt_cases); i++) {
		const struct txt_case *c = &txt_cases[i];
		char id[MAIL_MTA_STS_ID_MAX + 1];
		struct error err = { 0 };
		int rc = mail_mta_sts_txt_parse(span_from_cstr(c->text), id,
			&err);
		if (rc != c->rc)
			fail_msg("'%s': rc %d, wanted %d (%s)", c->text, rc,
				c->rc, err.msg);
		if (rc == 0)
			assert_string_equal(id, c->id);
		else
			assert_true(err.code == ERROR_INVALID &&
				err.msg[0] != '\0');
	}
}

/* Only one v=STSv1 record counts; others are ignored. */
static void
test_mta_sts_txt_pick(void **state)
{
	struct dns_txt one[] = {
		{ (char *)"v=spf1 -all", 11 },
		{ (char *)"v=STSv1; id=one", 15 },
	};
	struct dns_answer ans = { .type = DNS_TYPE_TXT, .count = 2,
		.txt = one };
	char id[MAIL_MTA_STS_ID_MAX + 1];
	struct error err;
	assert_int_equal(mail_mta_sts_txt_pick(&ans, id, &err), 0);
	assert_string_equal(id, "one");
	struct dns_txt two[] = {
		{ (char *)"v=STSv1; id=one", 15 },
		{ (char *)"v=STSv1; id=two", 15 },
	};
	ans.txt = two;
	assert_int_equal(mail_mta_sts_txt_pick(&ans, id, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	struct dns_txt none[] = { { (char *)"v=STSv10; id=x", 14 } };
	ans.txt = none;
	ans.count = 1;
	assert_int_equal(mail_mta_sts_txt_pick(&ans, id, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
}

/* ---- MTA-STS policy ---- */

struct policy_case {
	const char *text;
	int rc;
	enum mail_mta_sts_mode mode;
	int64_t max_age;
	const char *mx;		/* the patterns joined by " " */
};

static const struct policy_case policy_cases[] = {
	{ "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	  "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n", 0,
	  MAIL_MTA_STS_MODE_ENFORCE, 604800,
	  "mail.example.com *.example.net backupmx.example.com" },
	{ "version: STSv1\r\nmode: testing\r\nmx: MX.Example.COM.\r\n"
	  "max_age: 86400\r\n", 0, MAIL_MTA_STS_MODE_TESTING, 86400,
	  "mx.example.com" },
	/* No final line end; fields in any order; spaces after ':'. */
	{ "max_age:\t60\nmx:   a.example\nmode: enforce\nversion: STSv1", 0,
	  MAIL_MTA_STS_MODE_ENFORCE, 60, "a.example" },
	{ "version: STSv1\nmode: none\nmax_age: 0\n", 0,
	  MAIL_MTA_STS_MODE_NONE, 0, "" },
	/* Past a year is cut to a year (RFC 8461 §3.2). */
	{ "version: STSv1\nmode: none\nmax_age: 9999999999\n", 0,
	  MAIL_MTA_STS_MODE_NONE, 31557600, "" },
	/* Unknown keys are extensions; a repeated key counts once. */
	{ "version: STSv1\nmode: enforce\nmode: none\nfoo_bar: x y\n"
	  "mx: a.example\nmax_age: 10\nmax_age: 20\n\n\n", 0,
	  MAIL_MTA_STS_MODE_ENFORCE, 10, "a.example" },
	{ "version: STSv1\nmode: enforce\nmax_age: 10\n", -1, 0, 0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: a.example\n", -1, 0, 0, NULL },
	{ "mode: enforce\nmx: a.example\nmax_age: 1\n", -1, 0, 0, NULL },
	{ "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", -1, 0,
	  0, NULL },
	{ "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", -1, 0,
	  0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", -1,
	  0, 0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
	  -1, 0, 0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1 day\n", -1,
	  0, 0, NULL },
	/* The wildcard is only a whole leftmost label. */
	{ "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n", -1,
	  0, 0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: *example.net\nmax_age: 1\n", -1,
	  0, 0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: *.\nmax_age: 1\n", -1, 0, 0,
	  NULL },
	{ "version: STSv1\nmode: enforce\nmx: com\nmax_age: 1\n", -1, 0, 0,
	  NULL },
	{ "version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n", -1, 0,
	  0, NULL },
	/* Found by fuzz_mta_sts: two final dots. */
	{ "version: STSv1\nmode: enforce\nmx: a.example..\nmax_age: 1\n", -1,
	  0, 0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: .a.example\nmax_age: 1\n", -1,
	  0, 0, NULL },
	{ "version: STSv1\nmode: enforce\nmx: a example\nmax_age: 1\n", -1, 0,
	  0, NULL },
	/* A lone CR is not a line end: it is a control byte in a value. */
	{ "version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 1\n", -1, 0,
	  0, NULL },
	{ "version STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", -1, 0,
	  0, NULL },
	{ "", -1, 0, 0, NULL },
};

static void
test_mta_sts_policy(void **state)
{
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < sizeof(policy_cases) / sizeof(*policy_cases);
	     i++) {
		const struct policy_case *c = &policy_cases[i];
		struct mail_mta_sts_policy p;
		struct error err = { 0 };
		int rc = mail_mta_sts_policy_parse(span_from_cstr(c->text), a,
			&p, &err);
		if (rc != c->rc)
			fail_msg("case %zu: rc %d, wanted %d (%s)", i, rc,
				c->rc, err.msg);
		if (rc < 0) {
			assert_true(err.code == ERROR_INVALID &&
				err.msg[0] != '\0');
			continue;
		}
		assert_int_equal(p.mode, c->mode);
		assert_int_equal(p.max_age, c->max_age);
		char joined[512];
		join(p.mx, p.mx_count, joined, sizeof(joined));
		assert_string_equal(joined, c->mx);
	}
	arena_free(&a);
}

/* Limits: the body size, the line length and the number of patterns. */
static void
test_mta_sts_policy_limits(void **state)
{
	struct arena *a = arena_new(4 << 20);
	struct mail_mta_sts_policy p;
	struct error err;
	size_t big = MAIL_MTA_STS_POLICY_MAX + 1;
	char *text = calloc(1, big + 1);
	memset(text, '\n', big);
	assert_int_equal(mail_mta_sts_policy_parse(span_make(text, big), a,
		&p, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	/* Exactly the maximum of blank lines after a valid policy is fine. */
	const char *head = "version: STSv1\nmode: none\nmax_age: 1\n";
	memcpy(text, head, strlen(head));
	assert_int_equal(mail_mta_sts_policy_parse(span_make(text,
		MAIL_MTA_STS_POLICY_MAX), a, &p, &err), 0);
	/* A line over MAIL_MTA_STS_LINE_MAX. */
	struct str s;
	str_init(&s, a, 1 << 20);
	str_append_cstr(&s, "version: STSv1\nmode: none\nmax_age: 1\nx: ");
	for (int i = 0; i < MAIL_MTA_STS_LINE_MAX; i++)
		str_append_char(&s, 'a');
	assert_int_equal(mail_mta_sts_policy_parse(span_make(s.p, s.len), a,
		&p, &err), -1);
	/* MAIL_MTA_STS_MX_MAX patterns, then one more. */
	str_init(&s, a, 1 << 20);
	str_append_cstr(&s, "version: STSv1\nmode: enforce\nmax_age: 1\n");
	for (int i = 0; i < MAIL_MTA_STS_MX_MAX; i++)
		str_appendf(&s, "mx: mx%d.example\n", i);
	assert_int_equal(mail_mta_sts_policy_parse(span_make(s.p, s.len), a,
		&p, &err), 0);
	assert_int_equal(p.mx_count, MAIL_MTA_STS_MX_MAX);
	str_append_cstr(&s, "mx: one.more.example\n");
	assert_int_equal(mail_mta_sts_policy_parse(span_make(s.p, s.len), a,
		&p, &err), -1);
	free(text);
	arena_free(&a);
}

struct match_case {
	const char *pattern, *host;
	bool match;
};

static const struct match_case match_cases[] = {
	{ "mail.example.com", "mail.example.com", true },
	{ "mail.example.com", "MAIL.Example.com.", true },
	{ "mail.example.com.", "mail.example.com", true },
	{ "mail.example.com", "mail.example.co", false },
	{ "mail.example.com", "xmail.example.com", false },
	/* RFC 8461 §4.1's own examples. */
	{ "*.example.com", "mail.example.com", true },
	{ "*.example.com", "example.com", false },
	{ "*.example.com", "foo.bar.example.com", false },
	{ "*.example.com", ".example.com", false },
	{ "*.example.com", "mail.example.com.evil.net", false },
	{ "*.example.com", "mailexample.com", false },
	{ "*.Example.COM", "MX.example.com", true },
	{ "", "mail.example.com", false },
	{ "mail.example.com", "", false },
};

static void
test_mta_sts_match(void **state)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(*match_cases);
	     i++) {
		const struct match_case *c = &match_cases[i];
		if (mail_mta_sts_pattern_matches(c->pattern, c->host) !=
		    c->match)
			fail_msg("'%s' vs '%s': wanted %d", c->pattern,
				c->host, c->match);
	}
}

/* ---- TLS-RPT TXT ---- */

struct rpt_case {
	const char *text;
	int rc;
	const char *rua;	/* joined by " " */
};

static const struct rpt_case rpt_cases[] = {
	{ "v=TLSRPTv1; rua=mailto:reports@example.com", 0,
	  "mailto:reports@example.com" },
	{ "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt", 0,
	  "https://reporting.example.com/v1/tlsrpt" },
	{ "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example/x;", 0,
	  "mailto:a@example.com https://r.example/x" },
	{ "v=TLSRPTv1 ; rua=mailto:a@example.com , mailto:b@example.com ; "
	  "ext=1", 0, "mailto:a@example.com mailto:b@example.com" },
	/* Other schemes are not for us; mailto: beside them is kept. */
	{ "v=TLSRPTv1; rua=ftp://x.example/,mailto:a@example.com", 0,
	  "mailto:a@example.com" },
	{ "v=TLSRPTv1; rua=ftp://x.example/", -1, NULL },
	{ "v=TLSRPTv1; rua=http://x.example/", -1, NULL },
	{ "v=TLSRPTv1; rua=", -1, NULL },
	{ "v=TLSRPTv1; rua=mailto:", -1, NULL },
	{ "v=TLSRPTv1", -1, NULL },
	{ "v=TLSRPTv1;", -1, NULL },
	{ "v=TLSRPTv1; ext=1", -1, NULL },
	{ "v=TLSRPTv1; rua=mailto:a@x.example; rua=mailto:b@x.example", -1,
	  NULL },
	{ "v=TLSRPTv1;; rua=mailto:a@x.example", -1, NULL },
	{ "v=TLSRPTv2; rua=mailto:a@x.example", -1, NULL },
	{ " v=TLSRPTv1; rua=mailto:a@x.example", -1, NULL },
	{ "v=TLSRPTv1; rua=mailto:a b@x.example", -1, NULL },
	{ "v=TLSRPTv1; rua=mailto:a@x.example; bad", -1, NULL },
	{ "", -1, NULL },
};

static void
test_tlsrpt_txt(void **state)
{
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < sizeof(rpt_cases) / sizeof(*rpt_cases); i++) {
		const struct rpt_case *c = &rpt_cases[i];
		struct mail_tlsrpt_record r;
		struct error err = { 0 };
		int rc = mail_tlsrpt_txt_parse(span_from_cstr(c->text), a, &r,
			&err);
		if (rc != c->rc)
			fail_msg("'%s': rc %d, wanted %d (%s)", c->text, rc,
				c->rc, err.msg);
		if (rc < 0) {
			assert_true(err.msg[0] != '\0');
			continue;
		}
		char joined[512];
		join(r.rua, r.rua_count, joined, sizeof(joined));
		assert_string_equal(joined, c->rua);
	}
	arena_free(&a);
}

static void
test_tlsrpt_result_names(void **state)
{
	static const char *const names[] = { "starttls-not-supported",
		"certificate-host-mismatch", "certificate-expired",
		"certificate-not-trusted", "validation-failure",
		"tlsa-invalid", "dnssec-invalid", "dane-required",
		"sts-policy-fetch-error", "sts-policy-invalid",
		"sts-webpki-invalid", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		enum mail_tlsrpt_result r;
		assert_true(mail_tlsrpt_result_parse(names[i], &r));
		assert_string_equal(mail_tlsrpt_result_name(r), names[i]);
	}
	enum mail_tlsrpt_result r;
	assert_false(mail_tlsrpt_result_parse("certificate-revoked", &r));
}

/* ---- DANE ---- */

/* Hex into malloc'd bytes; the caller frees them. */
static uint8_t *
unhex(const char *hex, size_t *len_r)
{
	size_t n = strlen(hex) / 2;
	uint8_t *out = malloc(n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	*len_r = n;
	return out;
}

struct dane_case {
	const char *what;
	uint8_t usage, selector, mtype;
	const char *data;	/* hex */
	const char *chain[3];	/* hex DER, server first */
	const char *name;
	int rc;
};

#define LEAF DANE_LEAF_CERT
#define CA DANE_CA_CERT

static const struct dane_case dane_cases[] = {
	{ "EE cert sha256", 3, 0, 1, DANE_LEAF_CERT_SHA256, { LEAF, CA },
	  "mx.dane.example", 0 },
	{ "EE spki sha256", 3, 1, 1, DANE_LEAF_SPKI_SHA256, { LEAF },
	  "mx.dane.example", 0 },
	{ "EE cert sha512", 3, 0, 2, DANE_LEAF_CERT_SHA512, { LEAF },
	  "mx.dane.example", 0 },
	{ "EE spki full", 3, 1, 0, DANE_LEAF_SPKI, { LEAF },
	  "mx.dane.example", 0 },
	{ "EE cert full", 3, 0, 0, DANE_LEAF_CERT, { LEAF },
	  "mx.dane.example", 0 },
	/* DANE-EE looks at neither the name nor the dates (§3.1.1). */
	{ "EE ignores the name", 3, 1, 1, DANE_WRONG_SPKI_SHA256, { DANE_WRONG_CERT },
	  "mx.dane.example", 0 },
	{ "EE ignores expiry", 3, 1, 1, DANE_EXPIRED_SPKI_SHA256,
	  { DANE_EXPIRED_CERT }, "mx.dane.example", 0 },
	{ "EE another key", 3, 1, 1, DANE_OTHER_SPKI_SHA256, { LEAF, CA },
	  "mx.dane.example", -1 },
	/* DANE-EE matches only the server's own certificate. */
	{ "EE matching the CA", 3, 1, 1, DANE_CA_SPKI_SHA256, { LEAF, CA },
	  "mx.dane.example", -1 },
	{ "TA cert sha256", 2, 0, 1, DANE_CA_CERT_SHA256, { LEAF, CA },
	  "mx.dane.example", 0 },
	{ "TA spki sha256", 2, 1, 1, DANE_CA_SPKI_SHA256, { LEAF, CA },
	  "mx.dane.example", 0 },
	{ "TA spki sha512", 2, 1, 2, DANE_CA_SPKI_SHA512, { LEAF, CA },
	  "mx.dane.example", 0 },
	/* "2 0 0" carries the anchor the server left out (RFC 7671 §5.2.2). */
	{ "TA full cert not sent", 2, 0, 0, DANE_CA_CERT, { LEAF },
	  "mx.dane.example", 0 },
	{ "TA digest of a cert not sent", 2, 0, 1, DANE_CA_CERT_SHA256,
	  { LEAF }, "mx.dane.example", -1 },
	/* DANE-TA checks the name (§3.2.2) ... */
	{ "TA wrong name", 2, 1, 1, DANE_CA_SPKI_SHA256,
	  { DANE_WRONG_CERT, CA }, "mx.dane.example", -1 },
	{ "TA name is another", 2, 1, 1, DANE_CA_SPKI_SHA256,
	  { DANE_WRONG_CERT, CA }, "other.example", 0 },
	/* ... and the chain's dates and signatures. */
	{ "TA expired server cert", 2, 1, 1, DANE_CA_SPKI_SHA256,
	  { DANE_EXPIRED_CERT, CA }, "mx.dane.example", -1 },
	{ "TA another CA's leaf", 2, 1, 1, DANE_CA_SPKI_SHA256,
	  { DANE_OTHER_CERT, CA }, "mx.dane.example", -1 },
	/* A TA record matching the server's own certificate is not a TA. */
	{ "TA matching the leaf", 2, 1, 1, DANE_LEAF_SPKI_SHA256,
	  { LEAF, CA }, "mx.dane.example", -1 },
	/* PKIX-TA(0) and PKIX-EE(1) are not for SMTP (§3.1.3). */
	{ "PKIX-EE ignored", 1, 1, 1, DANE_LEAF_SPKI_SHA256, { LEAF, CA },
	  "mx.dane.example", -1 },
	{ "PKIX-TA ignored", 0, 1, 1, DANE_CA_SPKI_SHA256, { LEAF, CA },
	  "mx.dane.example", -1 },
	{ "unknown selector", 3, 2, 1, DANE_LEAF_SPKI_SHA256, { LEAF },
	  "mx.dane.example", -1 },
	{ "unknown matching type", 3, 1, 3, DANE_LEAF_SPKI_SHA256, { LEAF },
	  "mx.dane.example", -1 },
	{ "sha512 type with 32 bytes", 3, 1, 2, DANE_LEAF_SPKI_SHA256,
	  { LEAF }, "mx.dane.example", -1 },
	{ "no chain", 3, 1, 1, DANE_LEAF_SPKI_SHA256, { NULL },
	  "mx.dane.example", -1 },
	{ "garbage chain", 3, 1, 1, DANE_LEAF_SPKI_SHA256, { "3003020100" },
	  "mx.dane.example", -1 },
};

static void
test_dane_table(void **state)
{
	for (size_t i = 0; i < sizeof(dane_cases) / sizeof(*dane_cases); i++) {
		const struct dane_case *c = &dane_cases[i];
		struct dns_tlsa t = { c->usage, c->selector, c->mtype, NULL,
			0 };
		t.data = unhex(c->data, &t.len);
		struct span chain[3];
		size_t n = 0;
		for (; n < 3 && c->chain[n] != NULL; n++) {
			size_t len;
			chain[n].p = (const char *)unhex(c->chain[n], &len);
			chain[n].len = len;
		}
		const char *names[] = { c->name };
		struct mail_dane d = { &t, 1, names, 1 };
		char why[256];
		int rc = mail_dane_verify(&d, chain, n, why, sizeof(why));
		if (rc != c->rc)
			fail_msg("%s: rc %d, wanted %d (%s)", c->what, rc,
				c->rc, why);
		if (rc < 0)
			assert_true(why[0] != '\0');
		free(t.data);
		for (size_t j = 0; j < n; j++)
			free((void *)(uintptr_t)chain[j].p);
	}
}

/* One matching record among unusable and wrong ones is enough. */
static void
test_dane_any_record_matches(void **state)
{
	struct dns_tlsa t[3];
	const char *data[] = { DANE_LEAF_SPKI_SHA256, DANE_OTHER_SPKI_SHA256,
		DANE_CA_SPKI_SHA256 };
	uint8_t usage[] = { 1, 3, 2 };
	for (int i = 0; i < 3; i++) {
		t[i] = (struct dns_tlsa){ usage[i], 1, 1, NULL, 0 };
		t[i].data = unhex(data[i], &t[i].len);
	}
	size_t l1, l2;
	struct span chain[2];
	chain[0].p = (const char *)unhex(DANE_LEAF_CERT, &l1);
	chain[0].len = l1;
	chain[1].p = (const char *)unhex(DANE_CA_CERT, &l2);
	chain[1].len = l2;
	const char *names[] = { "nothing.example", "mx.dane.example" };
	struct mail_dane d = { t, 3, names, 2 };
	char why[256];
	assert_int_equal(mail_dane_tls_verify(&d, chain, 2, why,
		sizeof(why)), 0);
	assert_int_equal(mail_dane_usable_count(t, 3), 2);
	d.tlsa_count = 2;	/* without the TA record: none matches */
	assert_int_equal(mail_dane_verify(&d, chain, 2, why, sizeof(why)), -1);
	for (int i = 0; i < 3; i++)
		free(t[i].data);
	free((void *)(uintptr_t)chain[0].p);
	free((void *)(uintptr_t)chain[1].p);
}

/* ---- the decision per MX ---- */

enum sts_kind { STS_NONE, STS_MODE_NONE, STS_TESTING, STS_ENFORCE };
enum tlsa_kind { TLSA_NOT_ASKED, TLSA_NONE, TLSA_USABLE, TLSA_UNUSABLE,
	TLSA_BOGUS, TLSA_INSECURE };

struct decision_case {
	enum sts_kind sts;
	bool mx_listed;
	enum tlsa_kind tlsa;
	bool secure;
	enum mail_tls_need need;
	bool defers;
	bool testing;
	enum mail_tlsrpt_policy policy;
};

/*
 * The expected decision for every combination, written as the rule in
 * mail_tls_policy.h says, so the table is the rule made explicit.
 */
static void
expected(const struct decision_case *c, struct decision_case *e)
{
	*e = *c;
	enum mail_tlsrpt_policy sts = c->sts == STS_NONE ?
		MAIL_TLSRPT_POLICY_NONE : MAIL_TLSRPT_POLICY_STS;
	e->testing = false;
	if (c->tlsa == TLSA_BOGUS) {
		e->need = MAIL_TLS_NEED_SKIP;
		e->defers = true;
		e->policy = MAIL_TLSRPT_POLICY_TLSA;
	} else if (c->tlsa == TLSA_USABLE) {
		e->need = MAIL_TLS_NEED_DANE;
		e->defers = true;
		e->policy = MAIL_TLSRPT_POLICY_TLSA;
	} else if (c->tlsa == TLSA_UNUSABLE && !c->secure) {
		e->need = MAIL_TLS_NEED_ENCRYPTED;
		e->defers = true;
		e->policy = MAIL_TLSRPT_POLICY_TLSA;
	} else if (c->sts == STS_ENFORCE) {
		e->need = c->mx_listed ? MAIL_TLS_NEED_PKIX :
			MAIL_TLS_NEED_SKIP;
		e->defers = true;
		e->policy = sts;
	} else if (c->secure) {
		e->need = MAIL_TLS_NEED_PKIX;
		e->defers = true;
		e->testing = c->sts == STS_TESTING;
		e->policy = sts;
	} else {
		e->need = MAIL_TLS_NEED_OPPORTUNISTIC;
		e->defers = false;
		e->testing = c->sts == STS_TESTING;
		e->policy = sts;
	}
}

static void
test_tls_requirement_every_combination(void **state)
{
	struct arena *a = arena_new(1 << 20);
	uint8_t spki[32] = { 1 };
	struct dns_tlsa usable = { 3, 1, 1, spki, 32 };
	struct dns_tlsa unusable = { 1, 1, 1, spki, 32 };
	size_t checked = 0;
	for (int sts = STS_NONE; sts <= STS_ENFORCE; sts++)
	for (int listed = 0; listed <= 1; listed++)
	for (int tlsa = TLSA_NOT_ASKED; tlsa <= TLSA_INSECURE; tlsa++)
	for (int secure = 0; secure <= 1; secure++) {
		struct mail_mta_sts_policy p = { 0 };
		const char *mx[] = { "*.listed.example" };
		p.mx = mx;
		p.mx_count = 1;
		p.max_age = 86400;
		p.mode = sts == STS_ENFORCE ? MAIL_MTA_STS_MODE_ENFORCE :
			sts == STS_TESTING ? MAIL_MTA_STS_MODE_TESTING :
			MAIL_MTA_STS_MODE_NONE;
		struct dns_answer ans = { .type = DNS_TYPE_TLSA };
		switch (tlsa) {
		case TLSA_NONE:
			ans.status = DNS_STATUS_NODATA;
			ans.security = DNS_SECURITY_SECURE;
			break;
		case TLSA_USABLE:
		case TLSA_UNUSABLE:
		case TLSA_INSECURE:
			ans.status = DNS_STATUS_OK;
			ans.security = tlsa == TLSA_INSECURE ?
				DNS_SECURITY_INSECURE : DNS_SECURITY_SECURE;
			ans.count = 1;
			ans.tlsa = tlsa == TLSA_UNUSABLE ? &unusable : &usable;
			break;
		case TLSA_BOGUS:
			ans.status = DNS_STATUS_TEMPFAIL;
			ans.security = DNS_SECURITY_BOGUS;
			break;
		}
		struct mail_tls_facts f = {
			.mx_host = listed ? "mx1.listed.example" :
				"mx1.elsewhere.example",
			.sts = sts == STS_NONE ? NULL : &p,
			.tlsa = tlsa == TLSA_NOT_ASKED ? NULL : &ans,
			.secure_domain = secure,
		};
		struct mail_tls_requirement r;
		mail_tls_requirement(&f, &r);
		struct decision_case c = { (enum sts_kind)sts, listed,
			(enum tlsa_kind)tlsa, secure, 0, 0, 0, 0 }, e;
		expected(&c, &e);
		if (r.need != e.need || r.failure_defers != e.defers ||
		    r.sts_testing != e.testing || r.report_policy != e.policy)
			fail_msg("sts %d listed %d tlsa %d secure %d: need %s "
				"defers %d testing %d policy %d, wanted %s %d "
				"%d %d", sts, listed, tlsa, secure,
				mail_tls_need_name(r.need), r.failure_defers,
				r.sts_testing, r.report_policy,
				mail_tls_need_name(e.need), e.defers,
				e.testing, e.policy);
		/* Required TLS is the client's REQUIRED: TLS 1.2, no clear. */
		assert_int_equal(r.client_tls, r.need ==
			MAIL_TLS_NEED_OPPORTUNISTIC ?
			MAIL_SMTP_TLS_OPPORTUNISTIC : MAIL_SMTP_TLS_REQUIRED);
		/* A secure domain is never left to opportunistic TLS. */
		if (secure)
			assert_int_not_equal(r.need,
				MAIL_TLS_NEED_OPPORTUNISTIC);
		if (r.need == MAIL_TLS_NEED_SKIP)
			assert_int_not_equal(r.skip_result,
				MAIL_TLSRPT_SUCCESS);
		assert_non_null(r.why);
		checked++;
	}
	assert_int_equal(checked, 4 * 2 * 6 * 2);
	arena_free(&a);
}

/* ---- TLS-RPT results of attempts ---- */

/* The result of one attempt, or -1 for "not a TLS session". */
static int
result_of(const struct mail_tls_requirement *r,
	const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info, bool listed)
{
	enum mail_tlsrpt_result res;
	if (!mail_tls_result(r, failed, info, listed, &res))
		return -1;
	return (int)res;
}

static void
test_tls_result(void **state)
{
	struct mail_tls_requirement pkix = { .need = MAIL_TLS_NEED_PKIX,
		.failure_defers = true };
	struct mail_smtp_status st = { 0 };
	static const struct {
		enum mail_smtp_tls_failure f;
		int r;
	} map[] = {
		/* Failed, but not at TLS: no connection, a 4xx greeting. */
		{ MAIL_SMTP_TLS_OK, -1 },
		{ MAIL_SMTP_TLS_NOT_OFFERED,
		  MAIL_TLSRPT_STARTTLS_NOT_SUPPORTED },
		{ MAIL_SMTP_TLS_HANDSHAKE, MAIL_TLSRPT_VALIDATION_FAILURE },
		{ MAIL_SMTP_TLS_CERT_NAME,
		  MAIL_TLSRPT_CERTIFICATE_HOST_MISMATCH },
		{ MAIL_SMTP_TLS_CERT_EXPIRED, MAIL_TLSRPT_CERTIFICATE_EXPIRED },
		{ MAIL_SMTP_TLS_CERT_UNTRUSTED,
		  MAIL_TLSRPT_CERTIFICATE_NOT_TRUSTED },
		{ MAIL_SMTP_TLS_DANE_MISMATCH, MAIL_TLSRPT_TLSA_INVALID },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++) {
		st.tls_failure = map[i].f;
		assert_int_equal(result_of(&pkix, &st, NULL, true), map[i].r);
	}
	struct mail_smtp_info ok = { .tls = true, .tls_verified = true };
	assert_int_equal(result_of(&pkix, NULL, &ok, true),
		MAIL_TLSRPT_SUCCESS);
	assert_int_equal(result_of(&pkix, NULL, NULL, true), -1);
	/* Testing: the recorded verdict counts, delivery or not. */
	struct mail_tls_requirement testing = {
		.need = MAIL_TLS_NEED_OPPORTUNISTIC, .sts_testing = true };
	struct mail_smtp_info info = { .tls = true,
		.tls_failure = MAIL_SMTP_TLS_CERT_NAME };
	assert_int_equal(result_of(&testing, NULL, &info, true),
		MAIL_TLSRPT_CERTIFICATE_HOST_MISMATCH);
	assert_int_equal(result_of(&testing, NULL, &info, false),
		MAIL_TLSRPT_VALIDATION_FAILURE);
	info.tls_failure = MAIL_SMTP_TLS_OK;
	assert_int_equal(result_of(&testing, NULL, &info, true),
		MAIL_TLSRPT_SUCCESS);
	info.tls = false;
	assert_int_equal(result_of(&testing, NULL, &info, true),
		MAIL_TLSRPT_STARTTLS_NOT_SUPPORTED);
	info.tls_fallback = true;
	assert_int_equal(result_of(&testing, NULL, &info, true),
		MAIL_TLSRPT_VALIDATION_FAILURE);
	/* No policy: an unverified certificate is not a failure. */
	struct mail_tls_requirement none = {
		.need = MAIL_TLS_NEED_OPPORTUNISTIC };
	info.tls = true;
	info.tls_fallback = false;
	info.tls_failure = MAIL_SMTP_TLS_CERT_UNTRUSTED;
	assert_int_equal(result_of(&none, NULL, &info, true),
		MAIL_TLSRPT_SUCCESS);
	struct mail_tls_requirement skip = { .need = MAIL_TLS_NEED_SKIP,
		.skip_result = MAIL_TLSRPT_DNSSEC_INVALID };
	assert_int_equal(result_of(&skip, NULL, NULL, true),
		MAIL_TLSRPT_DNSSEC_INVALID);
}

/*
 * The reason an attempt is recorded with, the queue's and `smtp send`'s
 * alike: a skipped host's why whatever else is given; then the failed
 * open's own words, even none (the reply says it); then the connection's
 * certificate error; never NULL.
 */
static void
test_tls_reason(void **state)
{
	(void)state;
	struct mail_smtp_status said = { .why = "STARTTLS was not offered" };
	struct mail_smtp_status reply = { .reply = { .code = 454 } };
	struct mail_smtp_info bad = {
		.tls = true, .tls_verify_error = "certificate has expired" };
	struct mail_smtp_info good = { .tls = true, .tls_verified = true };
	const struct mail_smtp_status *fails[] = { NULL, &said, &reply };
	const struct mail_smtp_info *infos[] = { NULL, &bad, &good };
	/* want[f][i] when the host is not skipped. */
	const char *want[3][3] = {
		{ "", bad.tls_verify_error, "" },
		{ said.why, said.why, said.why },
		{ "", "", "" },
	};
	size_t checked = 0;
	for (int need = MAIL_TLS_NEED_OPPORTUNISTIC;
	     need <= MAIL_TLS_NEED_SKIP; need++) {
		struct mail_tls_requirement r = {
			.need = (enum mail_tls_need)need,
			.why = "no MX host the policy names" };
		for (size_t k = 0; k < 9; k++) {
			size_t f = k / 3, i = k % 3;
			const char *w = need == MAIL_TLS_NEED_SKIP ? r.why :
				want[f][i];
			const char *got = mail_tls_reason(&r, fails[f],
				infos[i]);
			assert_non_null(got);
			if (strcmp(got, w) != 0)
				fail_msg("need %s failed %zu info %zu: \"%s\", "
					"wanted \"%s\"",
					mail_tls_need_name(r.need), f, i, got,
					w);
			checked++;
		}
	}
	assert_int_equal(checked, 5 * 9);
}

/* ---- the store: policy cache and reports ---- */

static void
test_mta_sts_cache(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct store_mta_sts p = { "partner.example", "id1",
		"version: STSv1\nmode: enforce\nmx: mx.partner.example\n"
		"max_age: 100\n", 1000, 1100 }, r;
	struct error err;
	assert_int_equal(store_mta_sts_get(u.st, "partner.example", u.arena,
		&r, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_int_equal(store_mta_sts_put(u.st, &p, &err), 0);
	p.policy_id = "id2";
	p.fetched_at = 2000;
	p.expires_at = 2100;
	assert_int_equal(store_mta_sts_put(u.st, &p, &err), 0);
	assert_int_equal(store_mta_sts_get(u.st, "partner.example", u.arena,
		&r, &err), 0);
	assert_string_equal(r.policy_id, "id2");
	assert_int_equal(r.fetched_at, 2000);
	assert_int_equal(r.expires_at, 2100);
	assert_string_equal(r.policy, p.policy);
	assert_int_equal(unit_instance_close(&u), 0);
}

static json_t *
find_policy(json_t *report, const char *type)
{
	json_t *policies = json_object_get(report, "policies"), *p;
	size_t i;
	json_array_foreach(policies, i, p) {
		json_t *pol = json_object_get(p, "policy");
		if (strcmp(json_string_value(json_object_get(pol,
			    "policy-type")), type) == 0)
			return p;
	}
	return NULL;
}

static void
test_tlsrpt_report(void **state)
{
	struct unit_instance u;
	assert_int_equal(unit_instance_open(&u, "example.org", "cli"), 0);
	struct error err;
	/* 2026-12-03 12:00 UTC, and the day before at 23:59:59. */
	int64_t now = 1796299200, yesterday = 1796255999;
	const char *policy = "version: STSv1\nmode: testing\n"
		"mx: *.partner.example\nmax_age: 86400\n";
	struct mail_tlsrpt_event e = { .now = now,
		.policy_domain = "partner.example",
		.policy = MAIL_TLSRPT_POLICY_STS, .policy_string = policy,
		.mx_host = "*.partner.example",
		.result = MAIL_TLSRPT_SUCCESS, .sending_ip = "192.0.2.1",
		.receiving_mx = "mx1.partner.example",
		.receiving_ip = "198.51.100.1" };
	for (int i = 0; i < 3; i++)
		assert_int_equal(mail_tlsrpt_record(u.st, &e, &err), 0);
	e.result = MAIL_TLSRPT_CERTIFICATE_HOST_MISMATCH;
	e.reason = "the certificate names mx.other.example";
	for (int i = 0; i < 2; i++)
		assert_int_equal(mail_tlsrpt_record(u.st, &e, &err), 0);
	e.result = MAIL_TLSRPT_STARTTLS_NOT_SUPPORTED;
	e.receiving_mx = "mx2.partner.example";
	assert_int_equal(mail_tlsrpt_record(u.st, &e, &err), 0);
	e.now = yesterday;
	assert_int_equal(mail_tlsrpt_record(u.st, &e, &err), 0);
	struct mail_tlsrpt_event other = { .now = now,
		.policy_domain = "plain.example",
		.policy = MAIL_TLSRPT_POLICY_NONE,
		.result = MAIL_TLSRPT_SUCCESS };
	assert_int_equal(mail_tlsrpt_record(u.st, &other, &err), 0);
	struct mail_tlsrpt_reporter who = { "mail.example.org",
		"postmaster@example.org" };
	char *json;
	size_t reports;
	assert_int_equal(mail_tlsrpt_report(u.st, "2026-12-03",
		"partner.example", &who, u.arena, &json, &reports, &err), 0);
	assert_int_equal(reports, 1);
	json_error_t jerr;
	json_t *all = json_loads(json, 0, &jerr);
	assert_non_null(all);
	json_t *r = json_array_get(all, 0);
	assert_string_equal(json_string_value(json_object_get(r,
		"organization-name")), "mail.example.org");
	json_t *range = json_object_get(r, "date-range");
	assert_string_equal(json_string_value(json_object_get(range,
		"start-datetime")), "2026-12-03T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(range,
		"end-datetime")), "2026-12-03T23:59:59Z");
	json_t *p = find_policy(r, "sts");
	assert_non_null(p);
	json_t *pol = json_object_get(p, "policy");
	assert_int_equal(json_array_size(json_object_get(pol,
		"policy-string")), 4);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(pol, "mx-host"), 0)), "*.partner.example");
	json_t *sum = json_object_get(p, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum,
		"total-successful-session-count")), 3);
	assert_int_equal(json_integer_value(json_object_get(sum,
		"total-failure-session-count")), 3);
	json_t *details = json_object_get(p, "failure-details"), *d;
	assert_int_equal(json_array_size(details), 2);
	size_t i;
	json_int_t mismatch = 0, starttls = 0;
	json_array_foreach(details, i, d) {
		const char *type = json_string_value(json_object_get(d,
			"result-type"));
		json_int_t n = json_integer_value(json_object_get(d,
			"failed-session-count"));
		assert_string_equal(json_string_value(json_object_get(d,
			"sending-mta-ip")), "192.0.2.1");
		if (strcmp(type, "certificate-host-mismatch") == 0)
			mismatch = n;
		else if (strcmp(type, "starttls-not-supported") == 0)
			starttls = n;
	}
	assert_int_equal(mismatch, 2);
	assert_int_equal(starttls, 1);
	json_decref(all);
	/* Every domain: two reports; a bad day is refused. */
	assert_int_equal(mail_tlsrpt_report(u.st, "2026-12-03", NULL, &who,
		u.arena, &json, &reports, &err), 0);
	assert_int_equal(reports, 2);
	assert_non_null(strstr(json, "no-policy-found"));
	assert_int_equal(mail_tlsrpt_report(u.st, "2026-13-03", NULL, &who,
		u.arena, &json, &reports, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(mail_tlsrpt_report(u.st, "2026-12-04", NULL, &who,
		u.arena, &json, &reports, &err), 0);
	assert_int_equal(reports, 0);
	assert_string_equal(json, "[]");
	assert_int_equal(unit_instance_close(&u), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mta_sts_txt),
		cmocka_unit_test(test_mta_sts_txt_pick),
		cmocka_unit_test(test_mta_sts_policy),
		cmocka_unit_test(test_mta_sts_policy_limits),
		cmocka_unit_test(test_mta_sts_match),
		cmocka_unit_test(test_tlsrpt_txt),
		cmocka_unit_test(test_tlsrpt_result_names),
		cmocka_unit_test(test_dane_table),
		cmocka_unit_test(test_dane_any_record_matches),
		cmocka_unit_test(test_tls_requirement_every_combination),
		cmocka_unit_test(test_tls_result),
		cmocka_unit_test(test_tls_reason),
		cmocka_unit_test(test_mta_sts_cache),
		cmocka_unit_test(test_tlsrpt_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
