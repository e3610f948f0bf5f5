/*
 * DKIM verification (issue 12 item 3, RFC 6376 §6) as properties and
 * tables: what our signer signs verifies, for RSA and Ed25519; any change
 * to a signed header, the body or an added From fails; the key's absence,
 * a DNS failure, revocation, a type mismatch, rsa-sha1 and a short RSA
 * key give the results RFC 8301 and RFC 8601 name; the signature and key
 * parsers accept and refuse as §3.5 and §3.6.1 say. Messages signed by
 * python3-dkim are verified in tests/integration/test_auth_check.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dkim.h"
#include "mail/mail_dkim_internal.h"
#include "mail/mail_dkim_verify.h"

#include "unit_zone.h"

#define NOW 1796270000

static const struct rr no_rrs[] = {
	{ "gone._domainkey.nhs.example", "TEMPFAIL", "" },
	{ NULL, NULL, NULL },
};

static struct arena *arena;
static struct mail_dkim_key *rsa_key, *ed_key;

/* A new key for nhs.example; its PEM text is wiped and dropped. */
static struct mail_dkim_key *
new_key(enum mail_dkim_algorithm alg, const char *selector)
{
	char *pem;
	size_t len;
	struct error err;
	struct mail_dkim_key *key = mail_dkim_key_new(alg, "nhs.example",
		selector, &pem, &len, &err);
	if (key != NULL) {
		sodium_memzero(pem, len);
		free(pem);
	}
	return key;
}

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	arena = arena_new(64 * 1024 * 1024);
	rsa_key = new_key(MAIL_DKIM_RSA_SHA256, "rsa");
	ed_key = new_key(MAIL_DKIM_ED25519_SHA256, "ed");
	return rsa_key != NULL && ed_key != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	mail_dkim_key_free(&rsa_key);
	mail_dkim_key_free(&ed_key);
	arena_free(&arena);
	return 0;
}

static const char message[] =
	"From: Ann Example <ann@nhs.example>\r\n"
	"To: bob@care.example\r\n"
	"Subject: Clinic times\r\n"
	"Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
	"Message-ID: <1@nhs.example>\r\n"
	"\r\n"
	"The clinic opens at nine.\r\n"
	"\r\n";

/* msg with key's DKIM-Signature put first. */
static char *
signed_with(const struct mail_dkim_key *key, const char *msg)
{
	char *field;
	struct error err;
	if (mail_dkim_sign(key, span_from_cstr(msg), NOW, arena, &field,
		    &err) < 0)
		fail_msg("%s", err.msg);
	return arena_printf(arena, "%s%s", field, msg);
}

static struct mail_dkim_result *
verify(const struct mail_dkim_key *key, const char *record,
	const char *msg, size_t *count_r)
{
	char name[128];
	snprintf(name, sizeof(name), "%s._domainkey.%s",
		mail_dkim_key_selector(key), mail_dkim_key_domain(key));
	struct zone z = { no_rrs, name, record, 0 };
	struct mail_auth_dns dns = { zone_lookup, &z };
	struct mail_dkim_result *r;
	struct error err;
	if (mail_dkim_verify(&dns, span_from_cstr(msg), NOW + 60, arena, &r,
		    count_r, &err) < 0)
		fail_msg("%s", err.msg);
	return r;
}

static enum mail_dkim_verdict
verdict_of(const struct mail_dkim_key *key, const char *record,
	const char *msg, const char **why_r)
{
	size_t count;
	struct mail_dkim_result *r = verify(key, record, msg, &count);
	assert_int_equal(count, 1);
	assert_true(r[0].why[0] != '\0');
	if (why_r != NULL)
		*why_r = r[0].why;
	return r[0].verdict;
}

/* Replaces the first `from` in s by `to`. */
static char *
replaced(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	assert_non_null(at);
	return arena_printf(arena, "%.*s%s%s", (int)(at - s), s, to,
		at + strlen(from));
}

static void
test_signed_verifies(void **state)
{
	const struct mail_dkim_key *keys[] = { rsa_key, ed_key };
	for (size_t k = 0; k < 2; k++) {
		const char *record = mail_dkim_key_record(keys[k], arena);
		const char *msg = signed_with(keys[k], message);
		size_t count;
		struct mail_dkim_result *r = verify(keys[k], record, msg,
			&count);
		assert_int_equal(count, 1);
		if (r[0].verdict != MAIL_DKIM_PASS)
			fail_msg("key %zu: %s", k, r[0].why);
		assert_string_equal(r[0].domain, "nhs.example");
		assert_string_equal(r[0].selector,
			mail_dkim_key_selector(keys[k]));
		assert_string_equal(r[0].identity, "@nhs.example");
		assert_int_equal(strlen(r[0].b_prefix), 8);
		/* Unsigned: no result at all. */
		r = verify(keys[k], record, message, &count);
		assert_int_equal(count, 0);
	}
}

/*
 * Changes a forger might make beyond one byte, for both algorithms: each
 * fails, as does any one-byte change (test_tampering_fails).
 */
static const struct {
	const char *from;
	const char *to;
} tamper_cases[] = {
	{ "Subject: Clinic times", "Subject: Clinic Times" },
	{ "Subject: Clinic times", "Subject: Clinic times!" },
	{ "ann@nhs.example>", "ann@nhs.example.evil.example>" },
	{ "To: bob@care.example", "To: eve@care.example" },
	{ "opens at nine", "opens at ten" },
	{ "opens at nine.\r\n", "opens at nine.\r\nPS: pay here.\r\n" },
	/* A second From, which the signer oversigned against. */
	{ "To: bob", "From: boss@nhs.example\r\nTo: bob" },
	{ "To: bob", "Subject: urgent\r\nTo: bob" },
};

static void
test_tampering_fails(void **state)
{
	const struct mail_dkim_key *keys[] = { rsa_key, ed_key };
	for (size_t k = 0; k < 2; k++) {
		const char *record = mail_dkim_key_record(keys[k], arena);
		const char *msg = signed_with(keys[k], message);
		for (size_t i = 0; i < sizeof(tamper_cases) /
			     sizeof(*tamper_cases); i++) {
			const char *bad = replaced(msg, tamper_cases[i].from,
				tamper_cases[i].to);
			const char *why;
			if (verdict_of(keys[k], record, bad, &why) !=
			    MAIL_DKIM_FAIL)
				fail_msg("key %zu case %zu verified: %s", k,
					i, why);
		}
		/*
		 * Any one byte of a signed header value or of the body
		 * changed to another visible character: fail.
		 */
		size_t start = strlen(msg) - strlen(message);
		const char *body = strstr(message, "\r\n\r\n") + 4;
		bool in_value = false;
		size_t changed = 0;
		for (size_t i = 0; message[i] != '\0'; i++) {
			char c = message[i];
			bool signed_byte = in_value || message + i >= body;
			if (c == '\n')
				in_value = false;
			else if (c == ':')
				in_value = true;
			if (!signed_byte || strchr(" \t\r\n", c) != NULL)
				continue;
			char *bad = arena_strdup(arena, msg);
			bad[start + i] = c == 'x' ? 'y' : 'x';
			changed++;
			const char *why;
			if (verdict_of(keys[k], record, bad, &why) !=
			    MAIL_DKIM_FAIL)
				fail_msg("key %zu: byte %zu ('%c') changed "
					"verified: %s", k, i, c, why);
		}
		assert_true(changed > 100);
		/* What relaxed canonicalisation forgives still passes. */
		const char *ok = replaced(msg, "Subject: Clinic times",
			"subject:   Clinic \t times  ");
		ok = replaced(ok, "opens at nine.", "opens  at nine.  ");
		assert_int_equal(verdict_of(keys[k], record, ok, NULL),
			MAIL_DKIM_PASS);
	}
}

static void
test_key_problems(void **state)
{
	const char *msg = signed_with(ed_key, message);
	const char *good = mail_dkim_key_record(ed_key, arena);
	const char *why;
	/* No key published. */
	assert_int_equal(verdict_of(ed_key, NULL, msg, &why),
		MAIL_DKIM_PERMERROR);
	assert_non_null(strstr(why, "no key"));
	/* Revoked: an empty p=. */
	assert_int_equal(verdict_of(ed_key, "v=DKIM1; k=ed25519; p=", msg,
		&why), MAIL_DKIM_FAIL);
	assert_non_null(strstr(why, "revoked"));
	/* An RSA key for an Ed25519 signature. */
	const char *rsa_record = mail_dkim_key_record(rsa_key, arena);
	assert_non_null(strstr(rsa_record, "k=rsa"));
	assert_int_equal(verdict_of(ed_key, rsa_record, msg, NULL),
		MAIL_DKIM_PERMERROR);
	/* Another Ed25519 key: the signature does not verify. */
	struct mail_dkim_key *other = new_key(MAIL_DKIM_ED25519_SHA256, "ed");
	assert_non_null(other);
	assert_int_equal(verdict_of(ed_key, mail_dkim_key_record(other,
		arena), msg, NULL), MAIL_DKIM_FAIL);
	mail_dkim_key_free(&other);
	/* A key not for email, and one allowing only sha1. */
	assert_int_equal(verdict_of(ed_key, replaced(good, "v=DKIM1;",
		"v=DKIM1; s=other;"), msg, NULL), MAIL_DKIM_PERMERROR);
	assert_int_equal(verdict_of(ed_key, replaced(good, "v=DKIM1;",
		"v=DKIM1; h=sha1;"), msg, NULL), MAIL_DKIM_PERMERROR);
	assert_int_equal(verdict_of(ed_key, replaced(good, "v=DKIM1;",
		"v=DKIM1; h=sha1:sha256; t=y:s;"), msg, NULL), MAIL_DKIM_PASS);
	/* The DNS failing: temperror, to try again. */
	struct mail_dkim_key *gone = new_key(MAIL_DKIM_ED25519_SHA256, "gone");
	assert_non_null(gone);
	struct error err;
	struct zone z = { no_rrs, NULL, NULL, 0 };
	struct mail_auth_dns dns = { zone_lookup, &z };
	struct mail_dkim_result *r;
	size_t count;
	assert_int_equal(mail_dkim_verify(&dns, span_from_cstr(signed_with(
		gone, message)), NOW, arena, &r, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(r[0].verdict, MAIL_DKIM_TEMPERROR);
	mail_dkim_key_free(&gone);
}

/* RFC 8301: rsa-sha1 fails, and so does an RSA key under 1024 bits. */
static void
test_weak_refused(void **state)
{
	const char *msg = signed_with(rsa_key, message);
	const char *record = mail_dkim_key_record(rsa_key, arena);
	const char *why;
	assert_int_equal(verdict_of(rsa_key, record, replaced(msg,
		"a=rsa-sha256", "a=rsa-sha1"), &why), MAIL_DKIM_FAIL);
	assert_non_null(strstr(why, "rsa-sha1"));

	struct mail_dkim_key *weak = calloc(1, sizeof(*weak));
	weak->algorithm = MAIL_DKIM_RSA_SHA256;
	str_copy(weak->domain, sizeof(weak->domain), "nhs.example");
	str_copy(weak->selector, sizeof(weak->selector), "weak");
	weak->rsa = EVP_RSA_gen(768);
	assert_non_null(weak->rsa);
	msg = signed_with(weak, message);
	assert_int_equal(verdict_of(weak, mail_dkim_key_record(weak, arena),
		msg, &why), MAIL_DKIM_FAIL);
	assert_non_null(strstr(why, "768 bits"));
	mail_dkim_key_free(&weak);
}

static void
test_several_signatures(void **state)
{
	/* Signed twice by one key: both results, in order, both pass. */
	const char *once = signed_with(ed_key, message);
	const char *twice = signed_with(ed_key, once);
	size_t count;
	struct mail_dkim_result *r = verify(ed_key, mail_dkim_key_record(
		ed_key, arena), twice, &count);
	assert_int_equal(count, 2);
	assert_int_equal(r[0].verdict, MAIL_DKIM_PASS);
	assert_int_equal(r[1].verdict, MAIL_DKIM_PASS);
	/*
	 * The body is hashed once for both, but each bh= is still checked:
	 * the outer one wrong fails while the inner one passes.
	 */
	const char *bh = strstr(twice, "bh=");
	assert_non_null(bh);
	char *wrong = arena_strdup(arena, twice);
	wrong[bh - twice + 3] = bh[3] == 'A' ? 'B' : 'A';
	r = verify(ed_key, mail_dkim_key_record(ed_key, arena), wrong,
		&count);
	assert_int_equal(count, 2);
	assert_int_equal(r[0].verdict, MAIL_DKIM_FAIL);
	assert_non_null(strstr(r[0].why, "body hash"));
	assert_int_equal(r[1].verdict, MAIL_DKIM_PASS);
	/* A broken signature beside a good one: each judged alone. */
	const char *broken = arena_printf(arena,
		"DKIM-Signature: v=1; a=rsa-sha256; d=nhs.example\r\n%s", once);
	r = verify(ed_key, mail_dkim_key_record(ed_key, arena), broken,
		&count);
	assert_int_equal(count, 2);
	assert_int_equal(r[0].verdict, MAIL_DKIM_NEUTRAL);
	assert_int_equal(r[1].verdict, MAIL_DKIM_PASS);
}

/* A header no signature can be read from: one permerror saying why. */
static void
test_unreadable_header(void **state)
{
	const char *bad = arena_printf(arena, "not a field\r\n%s",
		signed_with(ed_key, message));
	size_t count;
	struct mail_dkim_result *r = verify(ed_key, mail_dkim_key_record(
		ed_key, arena), bad, &count);
	assert_int_equal(count, 1);
	assert_int_equal(r[0].verdict, MAIL_DKIM_PERMERROR);
	assert_non_null(strstr(r[0].why, "line 1 of the header"));
	assert_string_equal(r[0].domain, "");
}

/* ---- the parsers ---- */

#define SIG_BASE "v=1; a=rsa-sha256; d=nhs.example; s=sel; h=from:to; " \
	"bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA"

static const struct {
	const char *value;
	bool ok;
} sig_cases[] = {
	{ SIG_BASE, true },
	{ SIG_BASE ";", true },
	{ " " SIG_BASE "; c=relaxed/simple; i=ann@nhs.example; l=10; "
	  "t=100; x=200; q=dns/txt; z=ignored", true },
	{ SIG_BASE "; i=ann@mail.nhs.example", true },
	{ SIG_BASE "; c=simple", true },
	{ "v=1;\r\n\ta=ed25519-sha256; d=nhs.example; s=sel; h=From : To;\r\n"
	  "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AA\r\n\tAA",
	  true },
	{ "a=rsa-sha256; d=nhs.example; s=sel; h=from; bh=AAAA; b=AAAA", false },
	{ SIG_BASE "; v=1", false },			/* a tag twice */
	{ "v=2; a=rsa-sha256; d=nhs.example; s=sel; h=from; bh=AAAA; b=AAAA",
	  false },
	{ "v=1; a=rsa-md5; d=nhs.example; s=sel; h=from; bh=AAAA; b=AAAA",
	  false },
	{ "v=1; a=rsa-sha256; d=nhs.example; s=sel; h=to:subject; bh=AAAA; "
	  "b=AAAA", false },				/* From unsigned */
	{ SIG_BASE "; i=ann@evil.example", false },
	{ SIG_BASE "; i=ann@xnhs.example", false },
	{ SIG_BASE "; c=fancy/simple", false },
	{ SIG_BASE "; c=", false },	/* read a stale span (fuzz_dkim_sig) */
	{ SIG_BASE "; c=/relaxed", false },
	{ SIG_BASE "; q=http", false },
	{ SIG_BASE "; t=200; x=100", false },
	{ SIG_BASE "; l=ten", false },
	{ "v=1; a=rsa-sha256; d=nhs.example; s=sel; h=from; bh=AAAA; b=A*AA",
	  false },
	{ "v=1; a=rsa-sha256; d=nhs.example; s=sel; h=from; bh=AAAA; b=",
	  false },
	{ "v=1; a=rsa-sha256; d=-bad.example; s=sel; h=from; bh=AAAA; b=AAAA",
	  false },
	{ SIG_BASE "; ;", false },
	{ SIG_BASE "; =x", false },
	{ SIG_BASE "; n=\xc3\xa9", false },
	{ "", false },
};

static void
test_sig_parse(void **state)
{
	for (size_t i = 0; i < sizeof(sig_cases) / sizeof(*sig_cases); i++) {
		struct mail_dkim_sig sig;
		struct error err;
		int rc = mail_dkim_sig_parse(span_from_cstr(sig_cases[i].value),
			arena, &sig, &err);
		if ((rc == 0) != sig_cases[i].ok)
			fail_msg("case %zu: rc %d %s", i, rc, rc < 0 ?
				err.msg : "");
		if (rc < 0)
			assert_int_equal(err.code, ERROR_INVALID);
	}
	struct mail_dkim_sig sig;
	struct error err;
	assert_int_equal(mail_dkim_sig_parse(span_from_cstr(sig_cases[2].value),
		arena, &sig, &err), 0);
	assert_true(sig.header_relaxed);
	assert_false(sig.body_relaxed);
	assert_int_equal(sig.header_count, 2);
	assert_true(sig.has_length);
	assert_int_equal(sig.length, 10);
	assert_int_equal(sig.timestamp, 100);
	assert_int_equal(sig.expiry, 200);
	assert_int_equal(sig.bh_len, 32);
	assert_int_equal(sig.b_len, 3);
	/* Defaults: simple/simple, i= the domain. */
	assert_int_equal(mail_dkim_sig_parse(span_from_cstr(SIG_BASE), arena,
		&sig, &err), 0);
	assert_false(sig.header_relaxed);
	assert_false(sig.body_relaxed);
	assert_string_equal(sig.identity, "@nhs.example");
}

static const struct {
	const char *text;
	bool ok;
} key_cases[] = {
	{ "p=AAAA", true },
	{ "v=DKIM1; k=rsa; p=AAAA", true },
	{ "v=DKIM1; k=ed25519; h=sha256; s=email; t=s; p=AA AA", true },
	{ "v=DKIM1; p=", true },			/* revoked */
	{ "k=rsa; v=DKIM1; p=AAAA", false },		/* v= not first */
	{ "v=DKIM2; p=AAAA", false },
	{ "v=DKIM1; k=dsa; p=AAAA", false },
	{ "v=DKIM1; h=sha1; p=AAAA", false },
	{ "v=DKIM1; s=other; p=AAAA", false },
	{ "v=DKIM1; k=rsa", false },
	{ "v=DKIM1; p=@@@@", false },
};

static void
test_key_parse(void **state)
{
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(*key_cases); i++) {
		struct mail_dkim_pubkey key;
		struct error err;
		int rc = mail_dkim_pubkey_parse(
			span_from_cstr(key_cases[i].text), arena, &key, &err);
		if ((rc == 0) != key_cases[i].ok)
			fail_msg("case %zu: rc %d %s", i, rc, rc < 0 ?
				err.msg : "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_verifies),
		cmocka_unit_test(test_tampering_fails),
		cmocka_unit_test(test_key_problems),
		cmocka_unit_test(test_weak_refused),
		cmocka_unit_test(test_several_signatures),
		cmocka_unit_test(test_unreadable_header),
		cmocka_unit_test(test_sig_parse),
		cmocka_unit_test(test_key_parse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
