/*
 * DKIM (issue 11 item 5) as tables and properties: relaxed header and body
 * canonicalisation (RFC 6376 §3.4.2, §3.4.4, the §3.4.5 example), the body
 * canonicaliser giving the same bytes however its input is split, the
 * empty body's hash, the header split, names, the signature field's shape
 * and the DNS records' zone text. Signatures are checked by a real
 * verifier, python3-dkim, in tests/integration/test_dkim.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dkim.h"

/* ---- body ---- */

static void
str_sink(void *arg, const char *p, size_t len)
{
	assert_int_equal(str_append(arg, p, len), 0);
}

/* The body canonicalised, fed in pieces of `step` bytes (0: whole). */
static const char *
canon_body(struct arena *a, const char *in, size_t len, size_t step)
{
	struct str out;
	str_init(&out, a, 1 << 23);
	str_append(&out, "", 0);
	struct mail_dkim_body b;
	mail_dkim_body_init(&b, str_sink, &out);
	if (step == 0)
		step = len > 0 ? len : 1;
	for (size_t i = 0; i < len; i += step)
		mail_dkim_body_update(&b, in + i, len - i < step ? len - i :
			step);
	mail_dkim_body_final(&b);
	return str_cstr(&out);
}

static const struct {
	const char *in, *out;
} body_cases[] = {
	/* RFC 6376 §3.4.5's example. */
	{ " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n" },
	{ "", "" },				/* empty stays empty */
	{ "\r\n", "" },				/* only empty lines: empty */
	{ "\r\n\r\n\r\n", "" },
	{ "  \t \r\n \r\n", "" },		/* WSP-only lines are empty */
	{ "a", "a\r\n" },			/* CRLF added to a last line */
	{ "a  b\t\tc  ", "a b c\r\n" },		/* WSP runs, trailing WSP */
	{ "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n" },	/* inner empty kept */
	{ "a\nb\n\n", "a\r\nb\r\n" },		/* bare LF ends a line */
	{ "a\r\n \r\nb", "a\r\n\r\nb\r\n" },	/* WSP line inside: empty */
	{ "a\rb\r\n", "a\rb\r\n" },		/* bare CR is a byte */
	{ "a\r", "a\r\r\n" },
	{ "\t x\r\n", " x\r\n" },		/* leading WSP is one SP */
	{ "caf\xc3\xa9  \xff\r\n", "caf\xc3\xa9 \xff\r\n" },	/* 8-bit */
	{ "x\r\n\r\n \t\r\n\r\n", "x\r\n" },
};

static void
test_body_table(void **state)
{
	struct arena *a = arena_new(1 << 24);
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(*body_cases); i++) {
		const char *in = body_cases[i].in;
		const char *got = canon_body(a, in, strlen(in), 0);
		if (strcmp(got, body_cases[i].out) != 0)
			fail_msg("case %zu: got '%s'", i, got);
	}
	arena_free(&a);
}

/* Any split of the input, down to a byte at a time, gives the same bytes. */
static void
test_body_any_split(void **state)
{
	struct arena *a = arena_new(1 << 24);
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(*body_cases); i++) {
		const char *in = body_cases[i].in;
		size_t len = strlen(in);
		for (size_t step = 1; step <= len + 1; step++)
			assert_string_equal(canon_body(a, in, len, step),
				body_cases[i].out);
	}
	arena_free(&a);
}

/* Canonicalising twice changes nothing, for every case. */
static void
test_body_idempotent(void **state)
{
	struct arena *a = arena_new(1 << 24);
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(*body_cases); i++) {
		const char *once = canon_body(a, body_cases[i].in,
			strlen(body_cases[i].in), 0);
		assert_string_equal(canon_body(a, once, strlen(once), 0), once);
	}
	arena_free(&a);
}

static char *
body_hash_b64(struct arena *a, const char *body, size_t len)
{
	struct mail_dkim_body_hash *h = mail_dkim_body_hash_new(a);
	mail_dkim_body_hash_update(h, body, len);
	unsigned char hash[32];
	mail_dkim_body_hash_final(h, hash);
	char *b64 = arena_alloc(a, 64);
	sodium_bin2base64(b64, 64, hash, 32, sodium_base64_VARIANT_ORIGINAL);
	return b64;
}

/*
 * RFC 6376 §3.4.4 with errata 3192: an empty body, or one of only empty
 * lines, hashes as the empty string under relaxed.
 */
static void
test_empty_body_hash(void **state)
{
	struct arena *a = arena_new(1 << 20);
	const char *empty = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	assert_string_equal(body_hash_b64(a, "", 0), empty);
	assert_string_equal(body_hash_b64(a, "\r\n\r\n", 4), empty);
	assert_string_equal(body_hash_b64(a, " \t\r\n", 4), empty);
	arena_free(&a);
}

/* A body much larger than the canonicaliser's buffer, in odd pieces. */
static void
test_body_large_hash_matches_whole(void **state)
{
	struct arena *a = arena_new(1 << 26);
	size_t len = 3 * 1024 * 1024 + 17;
	char *body = malloc(len);
	for (size_t i = 0; i < len; i++)
		body[i] = "ab  c\t\r\n"[(i * 7) % 8];
	const char *whole = canon_body(a, body, len, 0);
	struct mail_dkim_body_hash *h = mail_dkim_body_hash_new(a);
	for (size_t i = 0; i < len; i += 4093)
		mail_dkim_body_hash_update(h, body + i,
			len - i < 4093 ? len - i : 4093);
	unsigned char hash[32], expect[32];
	mail_dkim_body_hash_final(h, hash);
	crypto_hash_sha256(expect, (const unsigned char *)whole,
		strlen(whole));
	assert_memory_equal(hash, expect, 32);
	free(body);
	arena_free(&a);
}

/* ---- header ---- */

static const struct {
	const char *in, *out;
} header_cases[] = {
	/* RFC 6376 §3.4.5's example. */
	{ "A: X\r\n", "a:X\r\n" },
	{ "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n" },
	{ "SUBJECT: Hello", "subject:Hello\r\n" },	/* no line end */
	{ "Subject:    a   b\t c   ", "subject:a b c\r\n" },
	{ "To: a@x,\r\n  b@y,\r\n\tc@z\r\n", "to:a@x, b@y, c@z\r\n" },
	{ "To: a@x,\n  b@y\n", "to:a@x, b@y\r\n" },	/* LF folds */
	{ "X-Empty:", "x-empty:\r\n" },
	{ "X-Empty:   \r\n  \r\n", "x-empty:\r\n" },
	{ "Message-ID:<a@b>", "message-id:<a@b>\r\n" },
	{ "From: \"J\xc3\xb6rg\" <j@x>", "from:\"J\xc3\xb6rg\" <j@x>\r\n" },
	{ "A:b:c", "a:b:c\r\n" },		/* only the first colon */
};

static void
test_header_table(void **state)
{
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(*header_cases);
	     i++) {
		struct str out;
		str_init(&out, a, 4096);
		struct error err;
		assert_int_equal(mail_dkim_canon_header(
			span_from_cstr(header_cases[i].in), &out, &err), 0);
		if (strcmp(str_cstr(&out), header_cases[i].out) != 0)
			fail_msg("case %zu: got '%s'", i, str_cstr(&out));
		/* Canonical text is its own canonical form. */
		struct str again;
		str_init(&again, a, 4096);
		assert_int_equal(mail_dkim_canon_header(span_make(out.p,
			out.len), &again, &err), 0);
		assert_string_equal(str_cstr(&again), str_cstr(&out));
	}
	struct str out;
	str_init(&out, a, 4096);
	struct error err;
	assert_int_equal(mail_dkim_canon_header(span_from_cstr("no colon"),
		&out, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	arena_free(&a);
}

static void
test_header_fields(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct mail_dkim_field *f;
	size_t n, body;
	struct error err;
	const char *msg = "From: a@x\r\nSubject: one\r\n two\r\nTo : b@y\r\n"
		"\r\nbody\r\n";
	assert_int_equal(mail_dkim_header_fields(span_from_cstr(msg), a, &f,
		&n, &body, &err), 0);
	assert_int_equal(n, 3);
	assert_true(span_eq(f[0].name, "From"));
	assert_true(span_eq(f[1].field, "Subject: one\r\n two"));
	assert_true(span_eq(f[2].name, "To"));
	assert_string_equal(msg + body, "body\r\n");
	/* LF line ends; no body at all. */
	msg = "From: a@x\nSubject: s\n";
	assert_int_equal(mail_dkim_header_fields(span_from_cstr(msg), a, &f,
		&n, &body, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(body, strlen(msg));
	/* Refused: a folded first line; a line with no colon. */
	assert_int_equal(mail_dkim_header_fields(span_from_cstr(" x: y\r\n"),
		a, &f, &n, &body, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(mail_dkim_header_fields(span_from_cstr(
		"From: a@x\r\nnot a field\r\n\r\n"), a, &f, &n, &body, &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_non_null(strstr(err.msg, "line 2"));
	arena_free(&a);
}

static void
test_names(void **state)
{
	static const struct {
		const char *name;
		bool valid;
	} cases[] = {
		{ "example.org", true }, { "cm2026", true },
		{ "a-b.c-d", true }, { "EXAMPLE.ORG", true },
		{ "", false }, { ".", false }, { "a..b", false },
		{ "a.", false }, { ".a", false }, { "-a", false },
		{ "a-", false }, { "a/b", false }, { "../x", false },
		{ "a_b", false }, { "a b", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (mail_dkim_name_is_valid(cases[i].name) != cases[i].valid)
			fail_msg("'%s'", cases[i].name);
	char label[70];
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_false(mail_dkim_name_is_valid(label));
	label[63] = '\0';
	assert_true(mail_dkim_name_is_valid(label));
}

/* ---- signing ---- */

static struct mail_dkim_key *
ed25519_key(void)
{
	char *pem;
	size_t len;
	struct error err;
	struct mail_dkim_key *key = mail_dkim_key_new(
		MAIL_DKIM_ED25519_SHA256, "Example.ORG", "sel", &pem, &len,
		&err);
	assert_non_null(key);
	/* What was written reads back as the same key. */
	struct mail_dkim_key *again = mail_dkim_key_from_pem(span_make(pem,
		len), "example.org", "sel", &err);
	assert_non_null(again);
	struct arena *a = arena_new(1 << 16);
	assert_string_equal(mail_dkim_key_record(key, a),
		mail_dkim_key_record(again, a));
	assert_non_null(strstr(mail_dkim_key_record(key, a),
		"v=DKIM1; k=ed25519; p="));
	arena_free(&a);
	mail_dkim_key_free(&again);
	sodium_memzero(pem, len);
	free(pem);
	return key;
}

static void
test_sign_shape(void **state)
{
	struct mail_dkim_key *key = ed25519_key();
	assert_string_equal(mail_dkim_key_domain(key), "example.org");
	struct arena *a = arena_new(1 << 20);
	const char *msg = "Received: from x\r\nFrom: a@example.org\r\n"
		"To: b@example.net\r\nSubject: hi\r\nX-Other: 1\r\n"
		"Resent-To: r@x\r\nResent-To: s@x\r\n\r\nbody\r\n";
	char *field;
	struct error err;
	assert_int_equal(mail_dkim_sign(key, span_from_cstr(msg), 1796270000,
		a, &field, &err), 0);
	assert_true(strncmp(field, "DKIM-Signature: v=1; a=ed25519-sha256; "
		"c=relaxed/relaxed; d=example.org;", 56) == 0);
	/* Lines of at most 78 bytes, each but the last continued by a tab. */
	size_t len = strlen(field);
	assert_true(len > 2 && strcmp(field + len - 2, "\r\n") == 0);
	for (const char *p = field; *p != '\0';) {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_true(eol - p <= 78);
		p = eol + 2;
		assert_true(*p == '\0' || *p == '\t');
	}
	/* Unfolded, without WSP: the tags. From, To oversigned, not Resent-To. */
	char *text = arena_alloc(a, len + 1);
	for (size_t i = 0, k = 0; i < len; i++)
		if (strchr(" \t\r\n", field[i]) == NULL)
			text[k++] = field[i];
	assert_non_null(strstr(text, ";t=1796270000;"));
	assert_non_null(strstr(text, ";s=sel;"));
	assert_non_null(strstr(text, ";h=from:from:subject:subject:to:to:"
		"resent-to:resent-to;"));
	assert_null(strstr(text, "received"));
	assert_null(strstr(text, "x-other"));
	/* Ed25519 is deterministic: the same input, the same field. */
	char *again;
	assert_int_equal(mail_dkim_sign(key, span_from_cstr(msg), 1796270000,
		a, &again, &err), 0);
	assert_string_equal(again, field);
	assert_int_equal(mail_dkim_sign(key, span_from_cstr(msg), 1796270001,
		a, &again, &err), 0);
	assert_string_not_equal(again, field);
	arena_free(&a);
	mail_dkim_key_free(&key);
}

/*
 * Memory stays flat: a 32 MiB message signs within a 256 KiB arena, as
 * the body is hashed where it lies, never copied.
 */
static void
test_sign_memory_flat(void **state)
{
	struct mail_dkim_key *key = ed25519_key();
	size_t len = 32u * 1024 * 1024;
	char *msg = malloc(len);
	const char head[] = "From: a@example.org\r\nSubject: big\r\n\r\n";
	memcpy(msg, head, sizeof(head) - 1);
	for (size_t i = sizeof(head) - 1; i < len; i++)
		msg[i] = "abc \t def\r\n"[i % 12];
	struct arena *a = arena_new(256 * 1024);
	char *field;
	struct error err;
	assert_int_equal(mail_dkim_sign(key, span_make(msg, len), 0, a, &field,
		&err), 0);
	assert_true(arena_used(a) < 64 * 1024);
	arena_free(&a);
	free(msg);
	mail_dkim_key_free(&key);
}

static void
test_sign_needs_one_from(void **state)
{
	struct mail_dkim_key *key = ed25519_key();
	struct arena *a = arena_new(1 << 20);
	static const char *const refused[] = {
		"To: b@x\r\nSubject: no from\r\n\r\nbody\r\n",
		"From: a@x\r\nfrom: c@x\r\n\r\nbody\r\n",
		"From: a@x\r\n: empty name\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		char *field = NULL;
		struct error err;
		assert_int_equal(mail_dkim_sign(key, span_from_cstr(refused[i]),
			0, a, &field, &err), -1);
		assert_int_equal(err.code, ERROR_INVALID);
		assert_true(err.msg[0] != '\0');
	}
	arena_free(&a);
	mail_dkim_key_free(&key);
}

static void
test_key_refused(void **state)
{
	struct error err;
	assert_null(mail_dkim_key_from_pem(span_from_cstr("not a key"),
		"example.org", "s", &err));
	assert_int_equal(err.code, ERROR_INVALID);
	char *pem;
	size_t len;
	assert_null(mail_dkim_key_new(MAIL_DKIM_ED25519_SHA256, "a/../b",
		"s", &pem, &len, &err));
	assert_int_equal(err.code, ERROR_INVALID);
	assert_null(mail_dkim_key_new(MAIL_DKIM_ED25519_SHA256, "example.org",
		"../s", &pem, &len, &err));
	assert_int_equal(err.code, ERROR_INVALID);
}

/* ---- the signing keys kept ---- */

static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void
new_key(const char *dir, const char *selector)
{
	char *pem, name[64];
	size_t len;
	struct error err;
	struct mail_dkim_key *k = mail_dkim_key_new(MAIL_DKIM_ED25519_SHA256,
		"example.org", selector, &pem, &len, &err);
	assert_non_null(k);
	mail_dkim_key_free(&k);
	snprintf(name, sizeof(name), "%s.key", selector);
	write_file(dir, name, pem, len);
	free(pem);
}

/*
 * A domain's key is read once and kept; the `active` file is read at
 * every use, so another selector made active signs from the next
 * message; a domain without one is ERROR_NOT_FOUND, as the loader says.
 */
static void
test_keys_kept_and_rotated(void **state)
{
	(void)state;
	char root[] = "/tmp/cm-dkim-keys-XXXXXX", dir[128];
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/example.org", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	new_key(dir, "one");
	write_file(dir, "active", "one\n", 4);
	struct mail_dkim_keys *keys = mail_dkim_keys_new(root);
	const struct mail_dkim_key *a, *b;
	struct mail_dkim_key *own;
	struct error err;
	assert_int_equal(mail_dkim_keys_get(keys, "Example.ORG", &a, &own,
		&err), 0);
	assert_null(own);
	assert_string_equal(mail_dkim_key_selector(a), "one");
	assert_int_equal(mail_dkim_keys_get(keys, "example.org", &b, &own,
		&err), 0);
	assert_ptr_equal(a, b);
	new_key(dir, "two");
	write_file(dir, "active", "two\n", 4);
	assert_int_equal(mail_dkim_keys_get(keys, "example.org", &b, &own,
		&err), 0);
	assert_string_equal(mail_dkim_key_selector(b), "two");
	assert_ptr_not_equal(a, b);
	assert_string_equal(mail_dkim_key_selector(a), "one"); /* still held */
	assert_int_equal(mail_dkim_keys_get(keys, "other.example", &b, &own,
		&err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	mail_dkim_keys_free(&keys);
	assert_null(keys);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* ---- DNS records ---- */

static struct mail_dns_input
dns_input(void)
{
	return (struct mail_dns_input){
		.domain = "example.org", .mx_host = "mail.example.org",
		.dkim_selector = "cm2026",
		.dkim_record = "v=DKIM1; k=rsa; p=AAAA",
		.dmarc_policy = "reject", .dmarc_report = "dmarc@example.org",
		.tlsrpt_report = "tls@example.org",
		.mta_sts_max_age = 604800,
	};
}

static const char *
zone(struct arena *a, const struct mail_dns_input *in,
	struct mail_dns_records *r)
{
	struct error err;
	assert_int_equal(mail_dns_records(in, a, r, &err), 0);
	struct str out;
	str_init(&out, a, 1 << 20);
	assert_int_equal(mail_dns_zone_text(r, &out), 0);
	return str_cstr(&out);
}

static void
test_dns_zone(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct mail_dns_input in = dns_input();
	struct mail_dns_records r;
	const char *z = zone(a, &in, &r);
	static const char *const lines[] = {
		"example.org.\t3600\tIN\tMX\t10 mail.example.org.\n",
		"example.org.\t3600\tIN\tTXT\t\"v=spf1 mx -all\"\n",
		"cm2026._domainkey.example.org.\t3600\tIN\tTXT\t"
		"\"v=DKIM1; k=rsa; p=AAAA\"\n",
		"_dmarc.example.org.\t3600\tIN\tTXT\t\"v=DMARC1; p=reject; "
		"rua=mailto:dmarc@example.org\"\n",
		"_smtp._tls.example.org.\t3600\tIN\tTXT\t\"v=TLSRPTv1; "
		"rua=mailto:tls@example.org\"\n",
		"_mta-sts.example.org.\t3600\tIN\tTXT\t\"v=STSv1; id=",
		";   mode: enforce\n", ";   mx: mail.example.org\n",
		";   max_age: 604800\n",
		"https://mta-sts.example.org/.well-known/mta-sts.txt",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
		if (strstr(z, lines[i]) == NULL)
			fail_msg("missing '%s' in\n%s", lines[i], z);
	/* Every record line follows a comment line. */
	for (size_t i = 0; i < r.count; i++) {
		const char *at = strstr(z, r.items[i].name);
		assert_non_null(at);
	}
	const char *p = z;
	for (const char *line = z; *line != '\0';) {
		const char *eol = strchr(line, '\n');
		assert_non_null(eol);
		if (line[0] != ';')
			assert_true(line > z && p[0] == ';');
		p = line;
		line = eol + 1;
	}
	assert_null(r.missing);
	arena_free(&a);
}

/* The value of the record named name_prefix... */
static const char *
record_value(const struct mail_dns_records *r, const char *name_prefix)
{
	for (size_t i = 0; i < r->count; i++)
		if (strncmp(r->items[i].name, name_prefix,
			    strlen(name_prefix)) == 0)
			return r->items[i].value;
	fail_msg("no record %s", name_prefix);
	return NULL;
}

static void
test_dns_rules(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct mail_dns_input in = dns_input();
	struct mail_dns_records r1, r2;
	zone(a, &in, &r1);
	/* The MTA-STS id changes with the policy and only with it. */
	const char *id1 = record_value(&r1, "_mta-sts.");
	zone(a, &in, &r2);
	assert_string_equal(record_value(&r2, "_mta-sts."), id1);
	in.mx_host = "mx2.example.org";
	zone(a, &in, &r2);
	assert_string_not_equal(record_value(&r2, "_mta-sts."), id1);
	in = dns_input();
	in.mta_sts_max_age = 86400;
	zone(a, &in, &r2);
	assert_string_not_equal(record_value(&r2, "_mta-sts."), id1);
	/* A long TXT is split into strings of 255 bytes at most. */
	in = dns_input();
	char *long_record = arena_alloc(a, 700);
	memset(long_record, 'A', 600);
	in.dkim_record = long_record;
	const char *z = zone(a, &in, &r2);
	assert_non_null(strstr(z, "\" \"AAAA"));
	for (const char *q = strchr(z, '"'); q != NULL;
	     q = strchr(q + 1, '"')) {
		const char *end = strchr(q + 1, '"');
		assert_true(end - q - 1 <= 255);
		q = end;
	}
	/* No key: the records say to make one; no DKIM record. */
	in = dns_input();
	in.dkim_selector = NULL;
	z = zone(a, &in, &r2);
	assert_non_null(r2.missing);
	assert_non_null(strstr(z, "caremail dkim keygen --domain example.org"));
	assert_null(strstr(z, "_domainkey"));
	/* Refused: a bad host name or report address, with the field. */
	struct error err;
	in = dns_input();
	in.mx_host = "bad host";
	assert_int_equal(mail_dns_records(&in, a, &r2, &err), -1);
	assert_string_equal(err.field, "smtp.hostname");
	in = dns_input();
	in.dmarc_report = "a@b.example,mailto:evil@x.example";
	assert_int_equal(mail_dns_records(&in, a, &r2, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	arena_free(&a);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_table),
		cmocka_unit_test(test_body_any_split),
		cmocka_unit_test(test_body_idempotent),
		cmocka_unit_test(test_empty_body_hash),
		cmocka_unit_test(test_body_large_hash_matches_whole),
		cmocka_unit_test(test_header_table),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sign_shape),
		cmocka_unit_test(test_sign_memory_flat),
		cmocka_unit_test(test_sign_needs_one_from),
		cmocka_unit_test(test_key_refused),
		cmocka_unit_test(test_keys_kept_and_rotated),
		cmocka_unit_test(test_dns_zone),
		cmocka_unit_test(test_dns_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
