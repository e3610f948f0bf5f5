/*
 * DKIM verification (RFC 6376 §3.5, §3.6.1, §6): DKIM-Signature and key
 * records read as tag lists, the signed fields and body canonicalised
 * (by mail_dkim_canon.c, §3.4), hashed and
 * checked: rsa-sha256 by GnuTLS, ed25519-sha256 by libsodium (RFC 8463).
 * rsa-sha1 and RSA keys under 1024 bits fail (RFC 8301). Layer: domain.
 */
#include "mail/mail_dkim_verify.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dkim.h"
#include "mail/mail_secure.h"

/* Names in h=: a signer may oversign, but not without bound. */
#define HEADERS_MAX 256
/* The canonical header data hashed for one signature. */
#define SIGNED_MAX ((size_t)16 * 1024 * 1024)

const char *
mail_dkim_verdict_name(enum mail_dkim_verdict v)
{
	switch (v) {
	case MAIL_DKIM_NONE:
		return "none";
	case MAIL_DKIM_PASS:
		return "pass";
	case MAIL_DKIM_FAIL:
		return "fail";
	case MAIL_DKIM_NEUTRAL:
		return "neutral";
	case MAIL_DKIM_TEMPERROR:
		return "temperror";
	case MAIL_DKIM_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

/* ---- tag lists (§3.2) ---- */

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
mail_dkim_tags_parse(struct span text, struct mail_dkim_tag *tags,
	size_t *count_r, struct error *err)
{
	size_t count = 0;
	struct span rest = text;
	while (rest.len > 0) {
		struct span raw;
		span_split(&rest, ';', &raw);
		struct span spec = span_trim(raw);
		if (spec.len == 0) {
			/* Only FWS may follow the final ';'. */
			if (raw.p + raw.len == text.p + text.len)
				break;
			return error_set(err, ERROR_INVALID,
				"the tag list has an empty tag");
		}
		size_t n = 0;
		while (n < spec.len && (str_is_ascii_alpha(spec.p[n]) ||
			       (n > 0 && (str_is_ascii_digit(spec.p[n]) ||
					   spec.p[n] == '_'))))
			n++;
		size_t eq = n;
		while (eq < spec.len && is_fws(spec.p[eq]))
			eq++;
		if (n == 0 || eq == spec.len || spec.p[eq] != '=')
			return error_set(err, ERROR_INVALID,
				"\"%.*s\" is not a tag (name=value)",
				(int)(spec.len > 40 ? 40 : spec.len), spec.p);
		struct span value = span_trim(span_make(spec.p + eq + 1,
			spec.len - eq - 1));
		for (size_t i = 0; i < value.len; i++) {
			unsigned char c = (unsigned char)value.p[i];
			if ((c < 0x21 && !is_fws((char)c)) || c > 0x7e)
				return error_set(err, ERROR_INVALID,
					"the tag %.*s= holds a byte that is "
					"not visible ASCII", (int)n, spec.p);
		}
		for (size_t k = 0; k < count; k++) {
			if (tags[k].name.len == n &&
			    memcmp(tags[k].name.p, spec.p, n) == 0)
				return error_set(err, ERROR_INVALID,
					"the tag %.*s= appears twice", (int)n,
					spec.p);
		}
		if (count == MAIL_DKIM_TAGS_MAX)
			return error_set(err, ERROR_INVALID,
				"the tag list has more than %d tags",
				MAIL_DKIM_TAGS_MAX);
		tags[count].name = span_make(spec.p, n);
		tags[count].value = value;
		count++;
	}
	*count_r = count;
	return 0;
}

const struct span *
mail_dkim_tag_find(const struct mail_dkim_tag *tags, size_t count,
	const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (span_eq(tags[i].name, name))
			return &tags[i].value;
	}
	return NULL;
}

/* The value with every FWS byte taken out, in the arena. */
static char *
without_fws(struct span v, struct arena *a)
{
	char *out = arena_alloc(a, v.len + 1);
	if (out == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		if (!is_fws(v.p[i]))
			out[n++] = v.p[i];
	}
	out[n] = '\0';
	return out;
}

static int
base64_decode(const char *b64, struct arena *a, unsigned char **out_r,
	size_t *len_r)
{
	size_t n = strlen(b64);
	unsigned char *out = arena_alloc(a, n / 4 * 3 + 3);
	const char *end;
	if (out == NULL || sodium_base642bin(out, n / 4 * 3 + 3, b64, n, NULL,
		    len_r, &end, sodium_base64_VARIANT_ORIGINAL) < 0 ||
	    end != b64 + n)
		return -1;
	*out_r = out;
	return 0;
}

static bool
decimal(struct span v, size_t max_digits, uint64_t *out_r)
{
	return v.len > 0 && v.len <= max_digits && span_to_u64(v, out_r);
}

/* ---- DKIM-Signature (§3.5) ---- */

static int
sig_headers(struct span h, struct arena *a, struct mail_dkim_sig *sig,
	struct error *err)
{
	size_t capacity = 0;
	bool from = false;
	struct span rest = h, name;
	if (h.len == 0)
		return error_set(err, ERROR_INVALID, "h= names no field");
	while (span_split(&rest, ':', &name)) {
		name = span_trim(name);
		if (name.len == 0)
			return error_set(err, ERROR_INVALID,
				"the h= list has an empty field name");
		for (size_t i = 0; i < name.len; i++) {
			if (name.p[i] <= ' ' || name.p[i] > '~')
				return error_set(err, ERROR_INVALID,
					"the h= list has a bad field name");
		}
		if (sig->header_count == HEADERS_MAX)
			return error_set(err, ERROR_INVALID,
				"the h= list names more than %d fields",
				HEADERS_MAX);
		const char **slot = arena_array_push(a,
			(void **)&sig->headers, &sig->header_count, &capacity,
			sizeof(*slot));
		if (slot == NULL || (*slot = span_dup(name, a)) == NULL)
			return error_set(err, ERROR_LIMIT,
				"out of memory for the signature");
		from |= span_eq_nocase(name, "from");
	}
	if (!from)
		return error_set(err, ERROR_INVALID,
			"the signature does not sign From (RFC 6376 §5.4)");
	return 0;
}

static int
sig_canon(struct span c, struct mail_dkim_sig *sig, struct error *err)
{
	/* An empty c= splits into nothing: header stays empty, refused. */
	struct span header = c, body = span_from_cstr("simple");
	struct span rest = c;
	span_split(&rest, '/', &header);
	if (rest.len > 0)
		body = rest;
	for (int k = 0; k < 2; k++) {
		struct span v = k == 0 ? header : body;
		bool *relaxed = k == 0 ? &sig->header_relaxed :
			&sig->body_relaxed;
		if (span_eq_nocase(v, "relaxed"))
			*relaxed = true;
		else if (span_eq_nocase(v, "simple"))
			*relaxed = false;
		else
			return error_set(err, ERROR_INVALID,
				"c=%.*s is not a canonicalisation",
				(int)(c.len > 40 ? 40 : c.len), c.p);
	}
	return 0;
}

static int
sig_required(const struct mail_dkim_tag *tags, size_t count, struct error *err)
{
	static const char *const required[] = { "v", "a", "b", "bh", "d",
		"h", "s" };
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++) {
		if (mail_dkim_tag_find(tags, count, required[i]) == NULL)
			return error_set(err, ERROR_INVALID,
				"the signature has no %s= tag", required[i]);
	}
	const struct span *v = mail_dkim_tag_find(tags, count, "v");
	if (!span_eq(*v, "1"))
		return error_set(err, ERROR_INVALID,
			"the signature is not version 1 (v=)");
	return 0;
}

static int
sig_alg(struct span a_tag, struct arena *a, struct mail_dkim_sig *sig,
	struct error *err)
{
	if (span_eq_nocase(a_tag, "rsa-sha256"))
		sig->alg = MAIL_DKIM_SIG_RSA_SHA256;
	else if (span_eq_nocase(a_tag, "ed25519-sha256"))
		sig->alg = MAIL_DKIM_SIG_ED25519_SHA256;
	else if (span_eq_nocase(a_tag, "rsa-sha1"))
		sig->alg = MAIL_DKIM_SIG_RSA_SHA1;
	else
		return error_set(err, ERROR_INVALID,
			"a=%.*s is not a signing algorithm DKIM defines",
			(int)(a_tag.len > 40 ? 40 : a_tag.len), a_tag.p);
	sig->alg_name = span_dup_lower(a_tag, a);
	if (sig->alg_name == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	return 0;
}

static int
sig_names(const struct mail_dkim_tag *tags, size_t count, struct arena *a,
	struct mail_dkim_sig *sig, struct error *err)
{
	sig->domain = span_dup_lower(*mail_dkim_tag_find(tags, count, "d"),
		a);
	sig->selector = span_dup_lower(*mail_dkim_tag_find(tags, count, "s"),
		a);
	if (sig->domain == NULL || sig->selector == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (!mail_dkim_name_is_valid(sig->domain))
		return error_set(err, ERROR_INVALID,
			"d= is not a domain name");
	if (!dns_name_is_valid(sig->selector))
		return error_set(err, ERROR_INVALID,
			"s= is not a selector name");
	const struct span *i = mail_dkim_tag_find(tags, count, "i");
	if (i == NULL) {
		sig->identity = arena_printf(a, "@%s", sig->domain);
	} else {
		sig->identity = span_dup(*i, a);
		const char *at = sig->identity != NULL ?
			strrchr(sig->identity, '@') : NULL;
		if (sig->identity != NULL && (at == NULL ||
			    !mail_domain_is_under(at + 1, sig->domain)))
			return error_set(err, ERROR_INVALID,
				"i= is not in the domain d= names "
				"(RFC 6376 §3.5)");
	}
	if (sig->identity == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	return 0;
}

static int
sig_numbers(const struct mail_dkim_tag *tags, size_t count, struct mail_dkim_sig *sig,
	struct error *err)
{
	const struct span *l = mail_dkim_tag_find(tags, count, "l");
	const struct span *t = mail_dkim_tag_find(tags, count, "t");
	const struct span *x = mail_dkim_tag_find(tags, count, "x");
	uint64_t v;
	if (l != NULL) {
		if (!decimal(*l, 76, &v))
			return error_set(err, ERROR_INVALID,
				"l= is not a number");
		sig->has_length = true;
		sig->length = v;
	}
	if (t != NULL) {
		if (!decimal(*t, 12, &v))
			return error_set(err, ERROR_INVALID,
				"t= is not a time");
		sig->has_timestamp = true;
		sig->timestamp = (int64_t)v;
	}
	if (x != NULL) {
		if (!decimal(*x, 12, &v))
			return error_set(err, ERROR_INVALID,
				"x= is not a time");
		sig->has_expiry = true;
		sig->expiry = (int64_t)v;
	}
	if (sig->has_timestamp && sig->has_expiry &&
	    sig->expiry < sig->timestamp)
		return error_set(err, ERROR_INVALID,
			"x= is before t= (RFC 6376 §3.5)");
	const struct span *q = mail_dkim_tag_find(tags, count, "q");
	if (q != NULL) {
		/* A colon-separated list; dns/txt is the one we can use. */
		bool dns = false;
		struct span rest = *q, m;
		while (span_split(&rest, ':', &m))
			dns |= span_eq_nocase(span_trim(m), "dns/txt");
		if (!dns)
			return error_set(err, ERROR_INVALID,
				"q= offers no query method but dns/txt");
	}
	return 0;
}

int
mail_dkim_sig_parse(struct span value, struct arena *a,
	struct mail_dkim_sig *sig_r, struct error *err)
{
	memset(sig_r, 0, sizeof(*sig_r));
	struct mail_dkim_tag tags[MAIL_DKIM_TAGS_MAX];
	size_t count;
	if (mail_dkim_tags_parse(value, tags, &count, err) < 0 ||
	    sig_required(tags, count, err) < 0 ||
	    sig_alg(*mail_dkim_tag_find(tags, count, "a"), a, sig_r, err) < 0 ||
	    sig_names(tags, count, a, sig_r, err) < 0 ||
	    sig_headers(*mail_dkim_tag_find(tags, count, "h"), a, sig_r, err) < 0 ||
	    sig_numbers(tags, count, sig_r, err) < 0)
		return -1;
	const struct span *c = mail_dkim_tag_find(tags, count, "c");
	if (c != NULL && sig_canon(*c, sig_r, err) < 0)
		return -1;
	char *b = without_fws(*mail_dkim_tag_find(tags, count, "b"), a);
	char *bh = without_fws(*mail_dkim_tag_find(tags, count, "bh"), a);
	if (b == NULL || bh == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	sig_r->b_text = b;
	unsigned char *bh_bin;
	if (b[0] == '\0' || base64_decode(b, a, &sig_r->b, &sig_r->b_len) < 0)
		return error_set(err, ERROR_INVALID, "b= is not base64");
	if (base64_decode(bh, a, &bh_bin, &sig_r->bh_len) < 0 ||
	    sig_r->bh_len == 0 || sig_r->bh_len > sizeof(sig_r->bh))
		return error_set(err, ERROR_INVALID,
			"bh= is not a base64 hash");
	memcpy(sig_r->bh, bh_bin, sig_r->bh_len);
	return 0;
}

/* ---- key records (§3.6.1) ---- */

int
mail_dkim_pubkey_parse(struct span text, struct arena *a,
	struct mail_dkim_pubkey *key_r, struct error *err)
{
	memset(key_r, 0, sizeof(*key_r));
	struct mail_dkim_tag tags[MAIL_DKIM_TAGS_MAX];
	size_t count;
	if (mail_dkim_tags_parse(text, tags, &count, err) < 0)
		return -1;
	const struct span *v = mail_dkim_tag_find(tags, count, "v");
	if (v != NULL && (!span_eq(*v, "DKIM1") || tags[0].value.p != v->p))
		return error_set(err, ERROR_INVALID,
			"the key record's v= is not DKIM1 as its first tag");
	const struct span *h = mail_dkim_tag_find(tags, count, "h");
	if (h != NULL) {
		bool sha256 = false;
		struct span rest = *h, m;
		while (span_split(&rest, ':', &m))
			sha256 |= span_eq_nocase(span_trim(m), "sha256");
		if (!sha256)
			return error_set(err, ERROR_INVALID,
				"the key's h= does not allow sha256");
	}
	const struct span *k = mail_dkim_tag_find(tags, count, "k");
	if (k != NULL && span_eq_nocase(*k, "ed25519"))
		key_r->ed25519 = true;
	else if (k != NULL && !span_eq_nocase(*k, "rsa"))
		return error_set(err, ERROR_INVALID,
			"the key's k= is neither rsa nor ed25519");
	const struct span *s = mail_dkim_tag_find(tags, count, "s");
	if (s != NULL) {
		bool email = false;
		struct span rest = *s, m;
		while (span_split(&rest, ':', &m))
			email |= span_eq(span_trim(m), "*") ||
				span_eq_nocase(span_trim(m), "email");
		if (!email)
			return error_set(err, ERROR_INVALID,
				"the key is not for email (s=)");
	}
	const struct span *t = mail_dkim_tag_find(tags, count, "t");
	if (t != NULL) {
		struct span rest = *t, m;
		while (span_split(&rest, ':', &m))
			key_r->strict_identity |= span_eq(span_trim(m), "s");
	}
	const struct span *p = mail_dkim_tag_find(tags, count, "p");
	if (p == NULL)
		return error_set(err, ERROR_INVALID, "the key has no p= tag");
	char *b64 = without_fws(*p, a);
	if (b64 == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (b64[0] == '\0') {
		key_r->revoked = true;
		return 0;
	}
	if (base64_decode(b64, a, &key_r->data, &key_r->len) < 0)
		return error_set(err, ERROR_INVALID,
			"the key's p= is not base64");
	return 0;
}

/* ---- canonicalisation and hashing ---- */

/* The hash of the canonical body, cut at l= when the signature has it. */
struct body_hash {
	crypto_hash_sha256_state sha;
	bool limited;
	uint64_t left;		/* bytes l= still allows */
	uint64_t total;		/* canonical bytes seen */
};

static void
body_sink(void *arg, const char *p, size_t len)
{
	struct body_hash *h = arg;
	h->total += len;
	if (h->limited) {
		if (h->left < len)
			len = (size_t)h->left;
		h->left -= len;
	}
	crypto_hash_sha256_update(&h->sha, (const unsigned char *)p, len);
}

/*
 * The body's hash without l=, by canonicalisation (index body_relaxed):
 * the signatures of a message mostly share one, so the body is hashed
 * once for them all; only an l= signature hashes it for itself.
 */
struct body_hashes {
	bool done[2];
	unsigned char hash[2][32];
};

static void
hash_body(const struct mail_dkim_sig *sig, struct span body,
	struct body_hashes *shared, unsigned char out[32], uint64_t *total_r)
{
	int k = sig->body_relaxed;
	if (!sig->has_length && shared->done[k]) {
		memcpy(out, shared->hash[k], 32);
		return;
	}
	struct body_hash h = { .limited = sig->has_length,
		.left = sig->length };
	crypto_hash_sha256_init(&h.sha);
	struct mail_dkim_body b;
	mail_dkim_body_init(&b, body_sink, &h);
	b.simple = !sig->body_relaxed;
	mail_dkim_body_update(&b, body.p, body.len);
	mail_dkim_body_final(&b);
	crypto_hash_sha256_final(&h.sha, out);
	*total_r = h.total;
	if (!sig->has_length) {
		shared->done[k] = true;
		memcpy(shared->hash[k], out, 32);
	}
}

static int
canon_field(const struct mail_dkim_sig *sig, struct span field,
	struct str *out, struct error *err)
{
	if (sig->header_relaxed)
		return mail_dkim_canon_header(field, out, err);
	if (mail_dkim_canon_header_simple(field, out) < 0)
		return error_set(err, ERROR_LIMIT, "the header is too large");
	return 0;
}

/*
 * The signature field with b='s value emptied (§3.7), FWS after it too,
 * as it was when signed.
 */
static int
without_b(struct span field, struct arena *a, struct span *out_r)
{
	const char *colon = memchr(field.p, ':', field.len);
	struct str s;
	str_init(&s, a, field.len + 1);
	size_t pos = (size_t)(colon - field.p) + 1;
	if (str_append(&s, field.p, pos) < 0)
		return -1;
	while (pos <= field.len) {
		const char *semi = memchr(field.p + pos, ';', field.len - pos);
		size_t end = semi != NULL ? (size_t)(semi - field.p) :
			field.len;
		struct span spec = span_make(field.p + pos, end - pos);
		size_t k = 0;
		while (k < spec.len && is_fws(spec.p[k]))
			k++;
		size_t eq = k + 1;
		while (eq < spec.len && is_fws(spec.p[eq]))
			eq++;
		bool is_b = k < spec.len && spec.p[k] == 'b' &&
			eq < spec.len && spec.p[eq] == '=';
		size_t keep = is_b ? eq + 1 : spec.len;
		if (str_append(&s, spec.p, keep) < 0 ||
		    (semi != NULL && str_append_char(&s, ';') < 0))
			return -1;
		pos = end + 1;
	}
	*out_r = span_make(s.p, s.len);
	return 0;
}

/*
 * The data signed (§3.7): the fields h= names, each the last instance
 * not yet used (§5.4.2), then the signature field without b='s value and
 * its CRLF.
 */
static int
signed_data(const struct mail_dkim_sig *sig, const struct mail_dkim_field
	*fields, size_t count, size_t self, struct arena *a, struct str *data,
	struct error *err)
{
	bool *used = arena_alloc(a, count + 1);
	if (used == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	used[self] = true;
	for (size_t h = 0; h < sig->header_count; h++) {
		for (size_t i = count; i-- > 0;) {
			if (used[i] || !span_eq_nocase(fields[i].name,
				    sig->headers[h]))
				continue;
			used[i] = true;
			if (canon_field(sig, fields[i].field, data, err) < 0)
				return -1;
			break;
		}
	}
	struct span own;
	if (without_b(fields[self].field, a, &own) < 0)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (canon_field(sig, own, data, err) < 0)
		return -1;
	data->len -= 2;	/* without its CRLF */
	return 0;
}

/* ---- verification ---- */

struct check {
	struct mail_dkim_result *r;
	struct arena *a;
	struct body_hashes *bodies;
};

static int
verdict(struct check *c, enum mail_dkim_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
verdict(struct check *c, enum mail_dkim_verdict v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *why = arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	c->r->verdict = v;
	c->r->why = why != NULL ? why : "";
	return 0;
}

static bool
rsa_verify(const struct mail_dkim_pubkey *key, struct span data,
	const struct mail_dkim_sig *sig, unsigned *bits_r, bool *usable_r)
{
	gnutls_pubkey_t pub;
	*usable_r = false;
	*bits_r = 0;
	if (gnutls_pubkey_init(&pub) < 0)
		return false;
	gnutls_datum_t der = { key->data, (unsigned int)key->len };
	bool ok = false;
	if (gnutls_pubkey_import(pub, &der, GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_pubkey_get_pk_algorithm(pub, bits_r) == GNUTLS_PK_RSA) {
		*usable_r = true;
		gnutls_datum_t in = { (unsigned char *)(uintptr_t)data.p,
			(unsigned int)data.len };
		gnutls_datum_t s = { sig->b, (unsigned int)sig->b_len };
		ok = *bits_r >= MAIL_DKIM_RSA_MIN_BITS &&
			gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256,
				0, &in, &s) >= 0;
	}
	gnutls_pubkey_deinit(pub);
	return ok;
}

/* The key for sig: 0 with *key_r, or 0 with a verdict set, or -1. */
static int
fetch_key(struct check *c, const struct mail_auth_dns *dns,
	const struct mail_dkim_sig *sig, struct mail_dkim_pubkey *key_r,
	bool *found_r, struct error *err)
{
	*found_r = false;
	char *name = arena_printf(c->a, "%s._domainkey.%s", sig->selector,
		sig->domain);
	if (name == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (!dns_name_is_valid(name))
		return verdict(c, MAIL_DKIM_PERMERROR,
			"%s is not a name the key can be looked up at", name);
	struct dns_answer ans;
	if (dns->lookup(dns->arg, name, DNS_TYPE_TXT, c->a, &ans, err) < 0)
		return -1;
	if (ans.status == DNS_STATUS_TEMPFAIL)
		return verdict(c, MAIL_DKIM_TEMPERROR,
			"the key at %s could not be fetched: %s", name,
			ans.why);
	if (ans.status != DNS_STATUS_OK)
		return verdict(c, MAIL_DKIM_PERMERROR,
			"there is no key at %s", name);
	struct error kerr = { 0 };
	for (size_t i = 0; i < ans.count; i++) {
		if (mail_dkim_pubkey_parse(span_make(ans.txt[i].text,
			    ans.txt[i].len), c->a, key_r, &kerr) == 0) {
			*found_r = true;
			return 0;
		}
		if (kerr.code == ERROR_LIMIT)
			return error_forward(err, &kerr);
	}
	return verdict(c, MAIL_DKIM_PERMERROR,
		"the key at %s is not valid: %s", name, kerr.msg);
}

static int
verify_one(const struct mail_auth_dns *dns, struct span msg,
	const struct mail_dkim_field *fields, size_t count, size_t self,
	size_t body, int64_t now, struct check *c, struct error *err)
{
	struct span field = fields[self].field;
	const char *colon = memchr(field.p, ':', field.len);
	struct span value = span_make(colon + 1,
		field.len - (size_t)(colon + 1 - field.p));
	struct mail_dkim_sig sig;
	struct error perr;
	if (mail_dkim_sig_parse(value, c->a, &sig, &perr) < 0) {
		if (perr.code == ERROR_LIMIT)
			return error_forward(err, &perr);
		/* RFC 8601 §2.7.1: a signature with syntax errors is neutral. */
		return verdict(c, MAIL_DKIM_NEUTRAL,
			"the signature is not valid: %s", perr.msg);
	}
	c->r->domain = sig.domain;
	c->r->selector = sig.selector;
	c->r->identity = sig.identity;
	c->r->algorithm = sig.alg_name;
	c->r->b_prefix = arena_strndup(c->a, sig.b_text, 8);
	if (c->r->b_prefix == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (sig.alg == MAIL_DKIM_SIG_RSA_SHA1)
		return verdict(c, MAIL_DKIM_FAIL,
			"rsa-sha1 signatures are not accepted (RFC 8301)");
	if (sig.has_expiry && sig.expiry < now)
		return verdict(c, MAIL_DKIM_FAIL,
			"the signature expired (x=)");
	if (sig.has_timestamp && sig.timestamp > now + MAIL_DKIM_CLOCK_SKEW)
		return verdict(c, MAIL_DKIM_FAIL,
			"the signature is dated in the future (t=)");
	if (sig.bh_len != crypto_hash_sha256_BYTES)
		return verdict(c, MAIL_DKIM_PERMERROR,
			"bh= is not a SHA-256 hash");
	struct mail_dkim_pubkey key;
	bool found;
	if (fetch_key(c, dns, &sig, &key, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	if (key.revoked)
		return verdict(c, MAIL_DKIM_FAIL, "the key has been revoked "
			"(an empty p=)");
	if (key.ed25519 != (sig.alg == MAIL_DKIM_SIG_ED25519_SHA256))
		return verdict(c, MAIL_DKIM_PERMERROR,
			"the key's type (k=) is not the signature's (a=)");
	if (key.strict_identity && strcasecmp(strrchr(sig.identity, '@') + 1,
			sig.domain) != 0)
		return verdict(c, MAIL_DKIM_FAIL,
			"the key (t=s) allows no subdomain in i=");
	unsigned char bh[32];
	uint64_t total = 0;
	hash_body(&sig, span_make(msg.p + body, msg.len - body), c->bodies,
		bh, &total);
	if (sig.has_length && total < sig.length)
		return verdict(c, MAIL_DKIM_FAIL,
			"the body is shorter than l= says");
	if (sodium_memcmp(bh, sig.bh, sizeof(bh)) != 0)
		return verdict(c, MAIL_DKIM_FAIL,
			"the body hash did not verify (the body changed)");
	struct str data;
	str_init(&data, c->a, SIGNED_MAX);
	if (signed_data(&sig, fields, count, self, c->a, &data, err) < 0)
		return -1;
	struct span d = span_make(data.p, data.len);
	if (sig.alg == MAIL_DKIM_SIG_ED25519_SHA256) {
		unsigned char hash[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(hash, (const unsigned char *)d.p, d.len);
		if (key.len != crypto_sign_PUBLICKEYBYTES)
			return verdict(c, MAIL_DKIM_PERMERROR,
				"the Ed25519 key is not 32 bytes");
		if (sig.b_len != crypto_sign_BYTES ||
		    crypto_sign_verify_detached(sig.b, hash, sizeof(hash),
			    key.data) != 0)
			return verdict(c, MAIL_DKIM_FAIL,
				"the signature did not verify (a signed "
				"header changed)");
		return verdict(c, MAIL_DKIM_PASS,
			"the ed25519-sha256 signature verified");
	}
	unsigned bits;
	bool usable;
	bool ok = rsa_verify(&key, d, &sig, &bits, &usable);
	if (!usable)
		return verdict(c, MAIL_DKIM_PERMERROR,
			"the key's p= is not an RSA public key");
	if (bits < MAIL_DKIM_RSA_MIN_BITS)
		return verdict(c, MAIL_DKIM_FAIL,
			"the RSA key has %u bits, fewer than the %d accepted "
			"(RFC 8301)", bits, MAIL_DKIM_RSA_MIN_BITS);
	if (!ok)
		return verdict(c, MAIL_DKIM_FAIL, "the signature did not "
			"verify (a signed header changed)");
	return verdict(c, MAIL_DKIM_PASS, "the rsa-sha256 signature "
		"verified (%u-bit key)", bits);
}

int
mail_dkim_verify(const struct mail_auth_dns *dns, struct span msg,
	int64_t now, struct arena *a, struct mail_dkim_result **results_r,
	size_t *count_r, struct error *err)
{
	struct mail_dkim_field *fields;
	size_t count, body;
	struct error herr;
	struct mail_dkim_result *results = NULL;
	size_t n = 0, capacity = 0;
	struct body_hashes bodies = { 0 };
	*results_r = NULL;
	*count_r = 0;
	if (mail_dkim_header_fields(msg, a, &fields, &count, &body,
		    &herr) < 0) {
		if (herr.code != ERROR_INVALID)
			return error_forward(err, &herr);
		/* No signature can be read from it: one permerror says why. */
		struct mail_dkim_result *r = arena_alloc(a, sizeof(*r));
		const char *why = arena_strdup(a, herr.msg);
		if (r == NULL || why == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		*r = (struct mail_dkim_result){ MAIL_DKIM_PERMERROR, "", "",
			"", "", "", why };
		*results_r = r;
		*count_r = 1;
		return 0;
	}
	for (size_t i = 0; i < count && n < MAIL_DKIM_VERIFY_MAX; i++) {
		if (!span_eq_nocase(fields[i].name, "dkim-signature"))
			continue;
		struct mail_dkim_result *r = arena_array_push(a,
			(void **)&results, &n, &capacity, sizeof(*r));
		if (r == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		*r = (struct mail_dkim_result){ MAIL_DKIM_PERMERROR, "", "",
			"", "", "", "" };
		struct check c = { r, a, &bodies };
		if (verify_one(dns, msg, fields, count, i, body, now, &c,
			    err) < 0)
			return -1;
	}
	*results_r = results;
	*count_r = n;
	return 0;
}
