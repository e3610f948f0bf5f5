/*
 * Fuzz target for DKIM's canonicalisation input (mail_dkim_canon.c) and
 * the signer on top of it. Beyond not crashing: the body, relaxed and
 * simple, is the same however the input is split; canonicalising the
 * relaxed body again changes
 * nothing; it has no tab, no run of spaces, no space before a line end,
 * every LF after a CR, and ends in one CRLF unless empty. Each header
 * field canonicalises to a lower-case name, a colon, a value with no line
 * break, run of spaces or space at either end, and one CRLF, and to itself
 * again. A signed message's DKIM-Signature is lines of at most 78 bytes.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink(void *arg, const char *p, size_t len)
{
	if (str_append(arg, p, len) < 0)
		abort();
}

static struct span
canon_body(struct arena *a, const char *p, size_t len, size_t step,
	bool simple)
{
	struct str out;
	str_init(&out, a, 4 * len + 16);
	str_append(&out, "", 0);
	struct mail_dkim_body b;
	mail_dkim_body_init(&b, sink, &out);
	b.simple = simple;
	for (size_t i = 0; i < len; i += step)
		mail_dkim_body_update(&b, p + i, len - i < step ? len - i : step);
	mail_dkim_body_final(&b);
	return span_make(out.p, out.len);
}

static void
check_body(struct arena *a, const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t step = size > 0 ? (size_t)data[0] % 17 + 1 : 1;
	struct span whole;
	for (int simple = 1; simple >= 0; simple--) {
		whole = canon_body(a, p, size, size > 0 ? size : 1, simple);
		struct span split = canon_body(a, p, size, step, simple);
		if (split.len != whole.len ||
		    memcmp(split.p, whole.p, whole.len) != 0)
			abort();
	}
	struct span again = canon_body(a, whole.p, whole.len,
		whole.len > 0 ? whole.len : 1, false);
	if (again.len != whole.len || memcmp(again.p, whole.p, whole.len) != 0)
		abort();
	const char *s = whole.p;
	for (size_t i = 0; i < whole.len; i++) {
		if (s[i] == '\t')
			abort();
		if (s[i] == ' ' && i + 1 < whole.len && (s[i + 1] == ' ' ||
			(s[i + 1] == '\r' && i + 2 < whole.len &&
			    s[i + 2] == '\n')))
			abort();
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			abort();
	}
	if (whole.len > 0 && (whole.len < 2 || s[whole.len - 2] != '\r' ||
		    s[whole.len - 1] != '\n'))
		abort();
	if (whole.len >= 4 && memcmp(s + whole.len - 4, "\r\n\r\n", 4) == 0)
		abort();
	if (whole.len == 2)
		abort();	/* an empty line alone is an empty body */
}

static void
check_field(struct arena *a, struct span field)
{
	struct str out, again;
	str_init(&out, a, 4 * field.len + 16);
	str_init(&again, a, 4 * field.len + 16);
	struct error err;
	if (mail_dkim_canon_header(field, &out, &err) < 0)
		abort();	/* the splitter found its colon */
	const char *s = str_cstr(&out);
	const char *colon = memchr(s, ':', out.len);
	if (colon == NULL || out.len < (size_t)(colon - s) + 3)
		abort();
	for (const char *q = s; q < colon; q++)
		if ((*q >= 'A' && *q <= 'Z') || *q == ' ' || *q == '\t')
			abort();
	size_t end = out.len - 2;
	if (s[end] != '\r' || s[end + 1] != '\n')
		abort();
	size_t v = (size_t)(colon - s) + 1;
	if (end > v && (s[v] == ' ' || s[end - 1] == ' '))
		abort();
	for (size_t i = v; i < end; i++) {
		if (s[i] == '\n' || s[i] == '\t' ||
		    (s[i] == ' ' && s[i + 1] == ' '))
			abort();
	}
	if (mail_dkim_canon_header(span_make(out.p, out.len), &again,
		    &err) < 0 || again.len != out.len ||
	    memcmp(again.p, out.p, out.len) != 0)
		abort();
}

static struct mail_dkim_key *
fixed_key(void)
{
	static struct mail_dkim_key *key;
	if (key != NULL)
		return key;
	/* An Ed25519 PKCS #8 key of seed 0x01 * 32: made once. */
	static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
		"MC4CAQAwBQYDK2VwBCIEIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\n"
		"-----END PRIVATE KEY-----\n";
	struct error err;
	key = mail_dkim_key_from_pem(span_from_cstr(pem), "example.org",
		"fuzz", &err);
	if (key == NULL)
		abort();
	return key;
}

static void
check_sign(struct arena *a, struct span msg)
{
	char *field;
	struct error err;
	if (mail_dkim_sign(fixed_key(), msg, 1796270000, a, &field,
		    &err) < 0) {
		if ((err.code != ERROR_INVALID && err.code != ERROR_LIMIT) ||
		    err.msg[0] == '\0')
			abort();
		return;
	}
	for (const char *p = field; *p != '\0';) {
		const char *eol = strstr(p, "\r\n");
		if (eol == NULL || eol - p > 78)
			abort();
		p = eol + 2;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	if (sodium_init() < 0)
		abort();
	struct arena *a = arena_new(64 * 1024 * 1024);
	check_body(a, data, size);
	struct span msg = span_make((const char *)data, size);
	struct mail_dkim_field *fields;
	size_t count, body;
	struct error err;
	if (mail_dkim_header_fields(msg, a, &fields, &count, &body,
		    &err) == 0) {
		if (body > size)
			abort();
		for (size_t i = 0; i < count; i++)
			check_field(a, fields[i].field);
		check_sign(a, msg);
	} else if (err.code != ERROR_INVALID && err.code != ERROR_LIMIT) {
		abort();
	}
	arena_free(&a);
	return 0;
}
