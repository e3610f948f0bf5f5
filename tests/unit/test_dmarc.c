/*
 * DMARC (issue 12 item 3, RFC 7489) and Authentication-Results (RFC 8601)
 * as tables: the record parser, organisational domains from the Public
 * Suffix List (nhs.uk and co.uk are suffixes), relaxed and strict
 * alignment, the decision with p=, sp= and pct=, policy discovery over a
 * zone table, and the field: its shape, quoting, and that no value from
 * the DNS or the message can break a line or add a field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_authres.h"
#include "mail/mail_dmarc.h"
#include "mail/mail_sender_auth.h"

#include "unit_zone.h"

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

/* ---- the record ---- */

static const struct {
	const char *text;
	bool ok;
	enum mail_dmarc_policy p, sp;
	bool adkim_strict, aspf_strict;
	int pct;
} record_cases[] = {
	{ "v=DMARC1; p=reject", true, MAIL_DMARC_POLICY_REJECT,
	  MAIL_DMARC_POLICY_REJECT, false, false, 100 },
	{ "v=DMARC1;p=quarantine;sp=none;adkim=s;aspf=r;pct=20", true,
	  MAIL_DMARC_POLICY_QUARANTINE, MAIL_DMARC_POLICY_NONE, true, false,
	  20 },
	{ "v=DMARC1; p=none; rua=mailto:d@nhs.example; fo=1; ri=86400;", true,
	  MAIL_DMARC_POLICY_NONE, MAIL_DMARC_POLICY_NONE, false, false, 100 },
	{ "v=DMARC1; p=Reject; aspf=s", true, MAIL_DMARC_POLICY_REJECT,
	  MAIL_DMARC_POLICY_REJECT, false, true, 100 },
	/* §6.6.3: no valid p= but a rua=: as p=none */
	{ "v=DMARC1; rua=mailto:d@nhs.example", true, MAIL_DMARC_POLICY_NONE,
	  MAIL_DMARC_POLICY_NONE, false, false, 100 },
	{ "v=DMARC1; p=bogus; rua=mailto:d@nhs.example", true,
	  MAIL_DMARC_POLICY_NONE, MAIL_DMARC_POLICY_NONE, false, false, 100 },
	/* an invalid sp= is as none given */
	{ "v=DMARC1; p=reject; sp=bogus", true, MAIL_DMARC_POLICY_REJECT,
	  MAIL_DMARC_POLICY_REJECT, false, false, 100 },
	{ "v=DMARC1; p=reject; pct=0", true, MAIL_DMARC_POLICY_REJECT,
	  MAIL_DMARC_POLICY_REJECT, false, false, 0 },
	{ "v=DMARC1", false, 0, 0, false, false, 0 },
	{ "v=DMARC1; p=bogus", false, 0, 0, false, false, 0 },
	{ "p=reject; v=DMARC1", false, 0, 0, false, false, 0 },
	{ "v=dmarc1; p=reject", false, 0, 0, false, false, 0 },
	{ "v=DMARC2; p=reject", false, 0, 0, false, false, 0 },
	{ "v=DMARC1; p=reject; pct=101", false, 0, 0, false, false, 0 },
	{ "v=DMARC1; p=reject; pct=-1", false, 0, 0, false, false, 0 },
	{ "v=DMARC1; p=reject; adkim=x", false, 0, 0, false, false, 0 },
	{ "v=DMARC1; p=reject; p=none", false, 0, 0, false, false, 0 },
};

static void
test_record_parse(void **state)
{
	for (size_t i = 0; i < sizeof(record_cases) / sizeof(*record_cases);
	     i++) {
		struct mail_dmarc_record r;
		struct error err;
		int rc = mail_dmarc_record_parse(
			span_from_cstr(record_cases[i].text), &r, &err);
		if ((rc == 0) != record_cases[i].ok)
			fail_msg("case %zu \"%s\": rc %d %s", i,
				record_cases[i].text, rc, rc < 0 ? err.msg :
				"");
		if (rc < 0) {
			assert_int_equal(err.code, ERROR_INVALID);
			continue;
		}
		assert_int_equal(r.p, record_cases[i].p);
		assert_int_equal(r.sp, record_cases[i].sp);
		assert_int_equal(r.adkim_strict, record_cases[i].adkim_strict);
		assert_int_equal(r.aspf_strict, record_cases[i].aspf_strict);
		assert_int_equal(r.pct, record_cases[i].pct);
	}
}

/* ---- organisational domains and alignment (§3.1, §3.2) ---- */

static const struct {
	const char *domain, *org;
} org_cases[] = {
	{ "nhs.example", "nhs.example" },
	{ "mail.nhs.example", "nhs.example" },
	{ "a.b.c.nhs.example", "nhs.example" },
	{ "trust.nhs.uk", "trust.nhs.uk" },
	{ "mail.trust.nhs.uk", "trust.nhs.uk" },
	{ "shop.co.uk", "shop.co.uk" },
	{ "www.shop.co.uk", "shop.co.uk" },
	{ "nhs.net", "nhs.net" },
	{ "mx.nhs.net", "nhs.net" },
	{ "co.uk", "co.uk" },
};

static const struct {
	const char *a, *b;
	bool relaxed, strict;
} align_cases[] = {
	{ "nhs.example", "nhs.example", true, true },
	{ "NHS.Example", "nhs.example", true, true },
	{ "mail.nhs.example", "nhs.example", true, false },
	{ "mail.nhs.example", "news.nhs.example", true, false },
	{ "nhs.example", "evilnhs.example", false, false },
	{ "nhs.example.evil.example", "nhs.example", false, false },
	/* nhs.uk is a public suffix: two trusts are not one domain */
	{ "trust-a.nhs.uk", "trust-b.nhs.uk", false, false },
	{ "mail.trust-a.nhs.uk", "trust-a.nhs.uk", true, false },
	{ "a.co.uk", "b.co.uk", false, false },
};

static void
test_org_and_alignment(void **state)
{
	for (size_t i = 0; i < sizeof(org_cases) / sizeof(*org_cases); i++)
		assert_string_equal(mail_dmarc_org_domain(org_cases[i].domain),
			org_cases[i].org);
	for (size_t i = 0; i < sizeof(align_cases) / sizeof(*align_cases);
	     i++) {
		if (mail_dmarc_aligned(align_cases[i].a, align_cases[i].b,
			    false) != align_cases[i].relaxed ||
		    mail_dmarc_aligned(align_cases[i].a, align_cases[i].b,
			    true) != align_cases[i].strict)
			fail_msg("case %zu: %s and %s", i, align_cases[i].a,
				align_cases[i].b);
	}
}

/* ---- the decision (§6.6) ---- */

static const struct {
	const char *record;
	const char *record_domain;
	const char *from;
	enum mail_spf_result spf;
	const char *spf_domain;
	enum mail_dkim_verdict dkim;
	const char *dkim_domain;
	uint32_t sample;
	enum mail_dmarc_result want;
	enum mail_dmarc_policy policy;
} decide_cases[] = {
	/* SPF alone, aligned relaxed and strict */
	{ "v=DMARC1; p=reject", "nhs.example", "nhs.example", MAIL_SPF_PASS,
	  "bounce.nhs.example", MAIL_DKIM_NONE, "", 0, MAIL_DMARC_PASS,
	  MAIL_DMARC_POLICY_NONE },
	{ "v=DMARC1; p=reject; aspf=s", "nhs.example", "nhs.example",
	  MAIL_SPF_PASS, "bounce.nhs.example", MAIL_DKIM_NONE, "", 0,
	  MAIL_DMARC_FAIL, MAIL_DMARC_POLICY_REJECT },
	/* SPF passing for another domain does not count */
	{ "v=DMARC1; p=reject", "nhs.example", "nhs.example", MAIL_SPF_PASS,
	  "bulk.example", MAIL_DKIM_NONE, "", 0, MAIL_DMARC_FAIL,
	  MAIL_DMARC_POLICY_REJECT },
	{ "v=DMARC1; p=reject", "nhs.example", "nhs.example",
	  MAIL_SPF_SOFTFAIL, "nhs.example", MAIL_DKIM_NONE, "", 0,
	  MAIL_DMARC_FAIL, MAIL_DMARC_POLICY_REJECT },
	/* DKIM alone, aligned relaxed and strict; a failed DKIM no help */
	{ "v=DMARC1; p=quarantine", "nhs.example", "nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_PASS, "mail.nhs.example", 0,
	  MAIL_DMARC_PASS, MAIL_DMARC_POLICY_NONE },
	{ "v=DMARC1; p=quarantine; adkim=s", "nhs.example", "nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_PASS, "mail.nhs.example", 0,
	  MAIL_DMARC_FAIL, MAIL_DMARC_POLICY_QUARANTINE },
	{ "v=DMARC1; p=quarantine", "nhs.example", "nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_FAIL, "nhs.example", 0,
	  MAIL_DMARC_FAIL, MAIL_DMARC_POLICY_QUARANTINE },
	/* sp= for a subdomain whose record was found at the org domain */
	{ "v=DMARC1; p=none; sp=reject", "nhs.example", "ward.nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_NONE, "", 0, MAIL_DMARC_FAIL,
	  MAIL_DMARC_POLICY_REJECT },
	{ "v=DMARC1; p=reject; sp=none", "nhs.example", "ward.nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_NONE, "", 0, MAIL_DMARC_FAIL,
	  MAIL_DMARC_POLICY_NONE },
	/* pct=: inside, the policy; outside, one step gentler */
	{ "v=DMARC1; p=reject; pct=50", "nhs.example", "nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_NONE, "", 49, MAIL_DMARC_FAIL,
	  MAIL_DMARC_POLICY_REJECT },
	{ "v=DMARC1; p=reject; pct=50", "nhs.example", "nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_NONE, "", 50, MAIL_DMARC_FAIL,
	  MAIL_DMARC_POLICY_QUARANTINE },
	{ "v=DMARC1; p=quarantine; pct=0", "nhs.example", "nhs.example",
	  MAIL_SPF_FAIL, "x.example", MAIL_DKIM_NONE, "", 0, MAIL_DMARC_FAIL,
	  MAIL_DMARC_POLICY_NONE },
};

static void
test_decide_table(void **state)
{
	for (size_t i = 0; i < sizeof(decide_cases) / sizeof(*decide_cases);
	     i++) {
		struct mail_dmarc_record rec;
		struct error err;
		assert_int_equal(mail_dmarc_record_parse(span_from_cstr(
			decide_cases[i].record), &rec, &err), 0);
		struct mail_dkim_result dkim = { decide_cases[i].dkim,
			decide_cases[i].dkim_domain, "s", "", "", "", "" };
		struct mail_dmarc_input in = { decide_cases[i].from,
			decide_cases[i].spf, decide_cases[i].spf_domain, &dkim,
			decide_cases[i].dkim == MAIL_DKIM_NONE ? 0 : 1,
			decide_cases[i].sample };
		struct mail_dmarc_outcome out;
		mail_dmarc_evaluate(&rec, decide_cases[i].record_domain, &in,
			arena, &out);
		if (out.result != decide_cases[i].want ||
		    out.policy != decide_cases[i].policy)
			fail_msg("case %zu: %s/%s, want %s/%s (%s)", i,
				mail_dmarc_result_name(out.result),
				mail_dmarc_policy_name(out.policy),
				mail_dmarc_result_name(decide_cases[i].want),
				mail_dmarc_policy_name(decide_cases[i].policy),
				out.why);
		assert_true(out.why[0] != '\0');
	}
}

/* ---- discovery over a zone (§6.6.3) ---- */

static const struct rr dmarc_rrs[] = {
	{ "_dmarc.nhs.example", "TXT", "v=DMARC1; p=reject; sp=quarantine" },
	{ "_dmarc.nhs.example", "TXT", "some other text" },
	{ "_dmarc.own.nhs.example", "TXT", "v=DMARC1; p=none" },
	{ "_dmarc.two.example", "TXT", "v=DMARC1; p=reject" },
	{ "_dmarc.two.example", "TXT", "v=DMARC1; p=none" },
	{ "_dmarc.temp.example", "TEMPFAIL", "" },
	{ "_dmarc.bad.example", "TXT", "v=DMARC1; p=maybe" },
	{ NULL, NULL, NULL },
};

static const struct {
	const char *from;
	enum mail_dmarc_result want;
	enum mail_dmarc_policy policy;
	const char *record_domain;
} discover_cases[] = {
	{ "nhs.example", MAIL_DMARC_FAIL, MAIL_DMARC_POLICY_REJECT,
	  "nhs.example" },
	/* no record at the From domain: the organisational one's sp= */
	{ "ward.nhs.example", MAIL_DMARC_FAIL, MAIL_DMARC_POLICY_QUARANTINE,
	  "nhs.example" },
	{ "own.nhs.example", MAIL_DMARC_FAIL, MAIL_DMARC_POLICY_NONE,
	  "own.nhs.example" },
	{ "two.example", MAIL_DMARC_NONE, MAIL_DMARC_POLICY_NONE, "" },
	{ "temp.example", MAIL_DMARC_TEMPERROR, MAIL_DMARC_POLICY_NONE, "" },
	{ "sub.temp.example", MAIL_DMARC_TEMPERROR, MAIL_DMARC_POLICY_NONE,
	  "" },
	{ "bad.example", MAIL_DMARC_NONE, MAIL_DMARC_POLICY_NONE, "" },
	{ "nowhere.example", MAIL_DMARC_NONE, MAIL_DMARC_POLICY_NONE, "" },
	{ NULL, MAIL_DMARC_PERMERROR, MAIL_DMARC_POLICY_NONE, "" },
};

static void
test_discovery(void **state)
{
	for (size_t i = 0; i < sizeof(discover_cases) /
		     sizeof(*discover_cases); i++) {
		struct zone z = { dmarc_rrs, NULL, NULL, 0 };
		struct mail_auth_dns dns = { zone_lookup, &z };
		struct mail_dmarc_input in = { discover_cases[i].from,
			MAIL_SPF_FAIL, "x.example", NULL, 0, 0 };
		struct mail_dmarc_outcome out;
		struct error err;
		assert_int_equal(mail_dmarc_check(&dns, &in, arena, &out,
			&err), 0);
		if (out.result != discover_cases[i].want ||
		    out.policy != discover_cases[i].policy ||
		    strcmp(out.record_domain,
			    discover_cases[i].record_domain) != 0)
			fail_msg("case %zu %s: %s/%s at \"%s\" (%s)", i,
				discover_cases[i].from,
				mail_dmarc_result_name(out.result),
				mail_dmarc_policy_name(out.policy),
				out.record_domain, out.why);
		assert_true(z.queries <= 2);
	}
}

/* ---- Authentication-Results ---- */

static char *
field_for(const struct mail_auth_report *r)
{
	char *field;
	struct error err;
	if (mail_authres_field("mx.nhs.example", r, arena, &field, &err) < 0)
		fail_msg("%s", err.msg);
	return field;
}

static struct mail_auth_report
sample_report(struct mail_dkim_result *dkim, size_t count)
{
	struct mail_auth_report r = { 0 };
	r.spf.result = MAIL_SPF_PASS;
	r.spf_domain = "nhs.example";
	r.spf_sender = "ann@nhs.example";
	r.dkim = dkim;
	r.dkim_count = count;
	r.dmarc.result = MAIL_DMARC_PASS;
	r.dmarc.policy = MAIL_DMARC_POLICY_NONE;
	r.dmarc.from_domain = "nhs.example";
	r.checked_message = true;
	return r;
}

static void
test_field_shape(void **state)
{
	struct mail_dkim_result dkim = { MAIL_DKIM_PASS, "nhs.example", "cm2026",
		"@nhs.example", "ed25519-sha256", "abc/+=12", "" };
	struct mail_auth_report r = sample_report(&dkim, 1);
	assert_string_equal(field_for(&r),
		"Authentication-Results: mx.nhs.example;\r\n"
		"\tspf=pass smtp.mailfrom=ann@nhs.example;\r\n"
		"\tdkim=pass header.d=nhs.example header.s=cm2026 "
		"header.b=\"abc/+=12\";\r\n"
		"\tdmarc=pass (p=none) header.from=nhs.example\r\n");
	/* Unsigned, the null sender, no message. */
	r = sample_report(NULL, 0);
	r.spf.result = MAIL_SPF_SOFTFAIL;
	r.spf_helo = true;
	r.spf_sender = "";
	r.spf_domain = "mx.sender.example";
	r.dmarc.result = MAIL_DMARC_NONE;
	assert_string_equal(field_for(&r),
		"Authentication-Results: mx.nhs.example;\r\n"
		"\tspf=softfail smtp.helo=mx.sender.example;\r\n"
		"\tdkim=none;\r\n"
		"\tdmarc=none header.from=nhs.example\r\n");
	r.checked_message = false;
	assert_string_equal(field_for(&r),
		"Authentication-Results: mx.nhs.example;\r\n"
		"\tspf=softfail smtp.helo=mx.sender.example\r\n");
	char *field;
	struct error err;
	assert_int_equal(mail_authres_field("mx.nhs.example;\r\nX-Evil: 1",
		&r, arena, &field, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
}

/*
 * Whatever the DNS or the message puts in a value, the field stays one
 * field: CRLF only before a TAB (a fold), no other control byte, no
 * 8-bit byte, and quotes balanced. v goes into every property slot,
 * smtp.helo's too when helo.
 */
static void
assert_one_field(const char *v, bool helo)
{
	struct mail_dkim_result dkim = { MAIL_DKIM_FAIL, v, v, v, v, v, "" };
	struct mail_auth_report r = sample_report(&dkim, 1);
	r.spf_sender = v;
	r.spf_domain = v;
	r.dmarc.from_domain = v;
	r.spf_helo = helo;
	const char *f = field_for(&r);
	size_t n = strlen(f);
	int results = 0;
	bool quoted = false;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)f[k];
		if (c == '\r') {
			assert_true(f[k + 1] == '\n');
			assert_true(k + 2 == n || f[k + 2] == '\t');
			assert_false(quoted);
		}
		assert_true(c >= 0x20 || c == '\r' || c == '\n' ||
			(c == '\t' && f[k - 1] == '\n'));
		assert_true(c < 0x7f);
		if (quoted && c == '\\') {
			k++;	/* a quoted-pair */
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		if (!quoted && c == ';')
			results++;
	}
	assert_false(quoted);
	/* Always exactly: id; spf; dkim; dmarc. */
	assert_int_equal(results, 3);
	assert_string_equal(f + n - 2, "\r\n");
}

static void
test_field_injection(void **state)
{
	static const char *const hostile[] = {
		"evil.example\r\nX-Spam: no", "evil.example\nBcc: x@y",
		"a\"b", "a\\\"; dkim=pass", "x; dmarc=pass", "x;dmarc", "(comment)",
		"caf\xc3\xa9.example", "tab\there", "nul-free \x7f", "", "a b",
	};
	for (int helo = 0; helo < 2; helo++) {
		for (size_t i = 0; i < sizeof(hostile) / sizeof(*hostile); i++)
			assert_one_field(hostile[i], helo);
		/* Every byte, between two letters. */
		for (int c = 0; c <= 0xff; c++) {
			char v[4] = { 'a', (char)c, 'b', '\0' };
			assert_one_field(v, helo);
		}
	}
}

/* The whole check over a zone: SPF, then DKIM and DMARC on the message. */
static const struct rr whole_rrs[] = {
	{ "nhs.example", "TXT", "v=spf1 ip4:192.0.2.0/24 -all" },
	{ "_dmarc.nhs.example", "TXT", "v=DMARC1; p=reject" },
	{ NULL, NULL, NULL },
};

static void
test_whole_check(void **state)
{
	static const char msg[] = "From: ann@nhs.example\r\n"
		"Subject: hi\r\n\r\nbody\r\n";
	static const struct {
		const char *ip;
		const char *message;
		enum mail_dmarc_result dmarc;
		enum mail_dmarc_policy policy;
	} cases[] = {
		{ "192.0.2.9", msg, MAIL_DMARC_PASS, MAIL_DMARC_POLICY_NONE },
		{ "198.51.100.9", msg, MAIL_DMARC_FAIL,
		  MAIL_DMARC_POLICY_REJECT },
		/* No single From: DMARC cannot be applied. */
		{ "192.0.2.9", "Subject: hi\r\n\r\nbody\r\n",
		  MAIL_DMARC_PERMERROR, MAIL_DMARC_POLICY_NONE },
		{ "192.0.2.9", "From: a@nhs.example\r\nFrom: b@nhs.example\r\n"
		  "\r\nbody\r\n", MAIL_DMARC_PERMERROR,
		  MAIL_DMARC_POLICY_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct zone z = { whole_rrs, NULL, NULL, 0 };
		struct mail_auth_dns dns = { zone_lookup, &z };
		struct mail_auth_input in = { cases[i].ip, "mx.nhs.example",
			"ann@nhs.example", span_from_cstr(cases[i].message),
			1796270000, 0 };
		struct mail_auth_report r;
		struct error err;
		assert_int_equal(mail_auth_check(&dns, &in, arena, &r, &err),
			0);
		assert_int_equal(r.dkim_count, 0);
		if (r.dmarc.result != cases[i].dmarc ||
		    r.dmarc.policy != cases[i].policy)
			fail_msg("case %zu: %s (%s)", i,
				mail_dmarc_result_name(r.dmarc.result),
				r.dmarc.why);
		field_for(&r);
	}
}

/*
 * Our field goes after our trace fields; every field of the rest whose
 * authserv-id is ours (any case, after comments and blanks, folded or
 * not) goes, and nothing else: another id, one that only starts like
 * ours, a field that only mentions ours, and the body stay byte for byte.
 */
static void
test_stamp(void **state)
{
	struct mail_sender_auth sa = { .authserv_id = "mx.care.example" };
	static const struct {
		const char *rest, *want;
	} cases[] = {
		{ "From: a@b\r\n\r\nbody\r\n", "From: a@b\r\n\r\nbody\r\n" },
		{ "Authentication-Results: mx.care.example; spf=pass\r\n"
		  "From: a@b\r\n\r\nbody\r\n", "From: a@b\r\n\r\nbody\r\n" },
		{ "authentication-results :  (x (y)) MX.Care.Example;\r\n"
		  " dkim=pass\r\nFrom: a@b\r\n\r\n",
		  "From: a@b\r\n\r\n" },
		{ "Authentication-Results: mx.care.example.evil; spf=pass\r\n"
		  "Authentication-Results: other.example; x=mx.care.example\r\n"
		  "X-Note: mx.care.example; spf=pass\r\n\r\n"
		  "Authentication-Results: mx.care.example; in the body\r\n",
		  "Authentication-Results: mx.care.example.evil; spf=pass\r\n"
		  "Authentication-Results: other.example; x=mx.care.example\r\n"
		  "X-Note: mx.care.example; spf=pass\r\n\r\n"
		  "Authentication-Results: mx.care.example; in the body\r\n" },
		{ "From: a@b\r\nAuthentication-Results: mx.care.example\r\n",
		  "From: a@b\r\n" },
		/* A quoted ')' does not end the comment (RFC 5322 §3.2.2). */
		{ "Authentication-Results: (a \\) b)\r\n mx.care.example;"
		  " dkim=pass\r\nFrom: a@b\r\n\r\n",
		  "From: a@b\r\n\r\n" },
	};
	static const char trace[] = "Received: from x by mx.care.example\r\n";
	static const char field[] =
		"Authentication-Results: mx.care.example; spf=none\r\n";
	struct arena *a = arena_new(1 << 16);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *data = arena_printf(a, "%s%s", trace, cases[i].rest);
		char *want = arena_printf(a, "%s%s%s", trace, field,
			cases[i].want);
		struct span out;
		struct error err;
		assert_int_equal(mail_sender_auth_stamp(&sa, field, data,
			strlen(data), strlen(trace), a, &out, &err), 0);
		if (out.len != strlen(want) || memcmp(out.p, want, out.len) != 0)
			fail_msg("case %zu: %.*s", i, (int)out.len, out.p);
	}
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_org_and_alignment),
		cmocka_unit_test(test_decide_table),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_field_shape),
		cmocka_unit_test(test_field_injection),
		cmocka_unit_test(test_whole_check),
		cmocka_unit_test(test_stamp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
