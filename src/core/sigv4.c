/*
 * AWS Signature Version 4 signing, step by step as AWS's guide lays it out
 * (create-signed-request.html): canonical request, string to sign, signing
 * key, signature, Authorization header. Layer: core. Pure: no I/O, no clock.
 * Percent-encoding as RFC 3986 §2.3's unreserved set; header names as RFC
 * 9110 §5.6.2 tokens. SHA-256 and HMAC by GnuTLS, as the audit chain does.
 */
#include "core/sigv4.h"

#include <gnutls/crypto.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

/*
 * Every text built here is bounded by this: a request the blob store signs
 * is a few hundred bytes, so reaching it means a bug, reported as LIMIT.
 */
#define SIGV4_MAX_TEXT (1024 * 1024)

/* Secrets are 40 characters at AWS; room to spare for compatible stores. */
#define SIGV4_MAX_SECRET 128

/* A header as signed: its lower-cased name and where it came in the list. */
struct sigv4_header {
	char *name;
	const char *value;
	size_t index; /* keeps a repeated name's values in request order */
};

/* A query parameter, both halves already encoded. */
struct sigv4_param {
	char *name;
	char *value;
};

static bool
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		c == '~';
}

/* RFC 9110 §5.6.2 tchar: what a header name or method may be made of. */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

/*
 * A part of the credential scope or the access key id: the scope is
 * '/'-separated and the header ','-separated, so neither may appear, nor
 * spaces or control characters.
 */
static bool
is_scope_part(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == 0x7f || c == '/' || c == ',' || c == '=')
			return false;
	}
	return true;
}

/* "YYYYMMDDTHHMMSSZ", the basic ISO 8601 form AWS uses. */
static bool
is_amz_date(const char *s)
{
	if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	for (int i = 0; i < 15; i++)
		if (i != 8 && !str_is_ascii_digit(s[i]))
			return false;
	return true;
}

int
sigv4_uri_encode(struct str *out, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_unreserved(c) || (keep_slash && c == '/')) {
			if (str_append_char(out, (char)c) < 0)
				return -1;
			continue;
		}
		char esc[3] = { '%', hex[c >> 4], hex[c & 0x0f] };
		if (str_append(out, esc, sizeof(esc)) < 0)
			return -1;
	}
	return 0;
}

static void
to_hex(const unsigned char *b, size_t n, char *hex_r)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex_r[2 * i] = hex[b[i] >> 4];
		hex_r[2 * i + 1] = hex[b[i] & 0x0f];
	}
	hex_r[2 * n] = '\0';
}

int
sigv4_sha256_hex(const void *data, size_t len, char hex_r[SIGV4_HEX_SIZE])
{
	unsigned char digest[SIGV4_HASH_BYTES];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, digest) < 0)
		return -1;
	to_hex(digest, sizeof(digest), hex_r);
	return 0;
}

static int
hmac(const unsigned char *key, size_t key_len, const char *text,
	unsigned char out[SIGV4_HASH_BYTES])
{
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_len, text,
		       strlen(text), out) < 0 ?
		-1 :
		0;
}

int
sigv4_signing_key(const char *secret, const char *date, const char *region,
	const char *service, unsigned char key_r[SIGV4_HASH_BYTES],
	struct error *err)
{
	size_t secret_len = strlen(secret);
	if (secret_len > SIGV4_MAX_SECRET)
		return error_set_field(err, ERROR_INVALID, "secret_key",
			"the secret key is longer than %d bytes",
			SIGV4_MAX_SECRET);
	/* kSecret = "AWS4" + secret, wiped with every key made from it. */
	unsigned char k_secret[4 + SIGV4_MAX_SECRET];
	unsigned char k_date[SIGV4_HASH_BYTES];
	unsigned char k_region[SIGV4_HASH_BYTES];
	unsigned char k_service[SIGV4_HASH_BYTES];
	memcpy(k_secret, "AWS4", 4);
	memcpy(k_secret + 4, secret, secret_len);
	int rc = 0;
	if (hmac(k_secret, 4 + secret_len, date, k_date) < 0 ||
		hmac(k_date, sizeof(k_date), region, k_region) < 0 ||
		hmac(k_region, sizeof(k_region), service, k_service) < 0 ||
		hmac(k_service, sizeof(k_service), "aws4_request", key_r) < 0)
		rc = error_set(err, ERROR_INTERNAL,
			"HMAC-SHA-256 failed while deriving the SigV4 key");
	sodium_memzero(k_secret, sizeof(k_secret));
	sodium_memzero(k_date, sizeof(k_date));
	sodium_memzero(k_region, sizeof(k_region));
	sodium_memzero(k_service, sizeof(k_service));
	return rc;
}

static int
header_cmp(const void *x, const void *y)
{
	const struct sigv4_header *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (c != 0)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int
param_cmp(const void *x, const void *y)
{
	const struct sigv4_param *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c != 0 ? c : strcmp(a->value, b->value);
}

/*
 * Appends value trimmed, with each run of spaces or tabs made one space
 * (AWS's "Trimall"; quotes are not special, so "a   b" in quotes is "a b").
 */
static int
append_trimmed(struct str *out, const char *value)
{
	bool pending_space = false, started = false;
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t') {
			pending_space = started;
			continue;
		}
		if (pending_space && str_append_char(out, ' ') < 0)
			return -1;
		if (str_append_char(out, *p) < 0)
			return -1;
		pending_space = false;
		started = true;
	}
	return 0;
}

static int
limit(struct error *err)
{
	return error_set(err, ERROR_LIMIT,
		"the request to sign is too large for the memory allowed");
}

/* The encoded path: once for S3, twice for every other service. */
static int
append_canonical_uri(struct str *out, const struct sigv4_request *req,
	struct arena *a)
{
	if (!req->double_encode_path)
		return sigv4_uri_encode(out, req->path, strlen(req->path),
			true);
	struct str once;
	str_init(&once, a, SIGV4_MAX_TEXT);
	if (sigv4_uri_encode(&once, req->path, strlen(req->path), true) < 0)
		return -1;
	return sigv4_uri_encode(out, str_cstr(&once), once.len, true);
}

/* name=value pairs encoded, sorted by name then value, joined with '&'. */
static int
append_canonical_query(struct str *out, const struct sigv4_request *req,
	struct arena *a)
{
	if (req->query_count == 0)
		return 0;
	struct sigv4_param *params = arena_alloc(a,
		req->query_count * sizeof(*params));
	if (params == NULL)
		return -1;
	for (size_t i = 0; i < req->query_count; i++) {
		const struct sigv4_pair *q = &req->query[i];
		const char *value = q->value != NULL ? q->value : "";
		struct str n, v;
		str_init(&n, a, SIGV4_MAX_TEXT);
		str_init(&v, a, SIGV4_MAX_TEXT);
		/* An empty name or value still needs its buffer made. */
		if (str_append(&n, "", 0) < 0 || str_append(&v, "", 0) < 0 ||
			sigv4_uri_encode(&n, q->name, strlen(q->name), false) <
				0 ||
			sigv4_uri_encode(&v, value, strlen(value), false) < 0)
			return -1;
		params[i].name = n.p;
		params[i].value = v.p;
	}
	qsort(params, req->query_count, sizeof(*params), param_cmp);
	for (size_t i = 0; i < req->query_count; i++)
		if ((i > 0 && str_append_char(out, '&') < 0) ||
			str_appendf(out, "%s=%s", params[i].name,
				params[i].value) < 0)
			return -1;
	return 0;
}

/*
 * The canonical headers ("name:value\n" each) into out and the signed
 * header list into names: names lower-cased and sorted, a repeated name's
 * values joined by ',' in the order given.
 */
static int
append_canonical_headers(struct str *out, struct str *names,
	const struct sigv4_request *req, struct arena *a)
{
	struct sigv4_header *h = arena_alloc(a,
		(req->header_count > 0 ? req->header_count : 1) * sizeof(*h));
	if (h == NULL)
		return -1;
	for (size_t i = 0; i < req->header_count; i++) {
		h[i].name = arena_strdup(a, req->headers[i].name);
		if (h[i].name == NULL)
			return -1;
		str_lower_inplace(h[i].name);
		h[i].value = req->headers[i].value;
		h[i].index = i;
	}
	qsort(h, req->header_count, sizeof(*h), header_cmp);
	for (size_t i = 0; i < req->header_count; i++) {
		bool first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
		bool last = i + 1 == req->header_count ||
			strcmp(h[i].name, h[i + 1].name) != 0;
		if (first) {
			if ((names->len > 0 &&
				    str_append_char(names, ';') < 0) ||
				str_append_cstr(names, h[i].name) < 0 ||
				str_append_cstr(out, h[i].name) < 0 ||
				str_append_char(out, ':') < 0)
				return -1;
		} else if (str_append_char(out, ',') < 0) {
			return -1;
		}
		if (append_trimmed(out, h[i].value) < 0 ||
			(last && str_append_char(out, '\n') < 0))
			return -1;
	}
	return 0;
}

static int
check_request(const struct sigv4_request *req, const struct sigv4_key *key,
	const char *amz_date, struct error *err)
{
	if (!is_amz_date(amz_date))
		return error_set_field(err, ERROR_INVALID, "amz_date",
			"the signing time is not YYYYMMDDTHHMMSSZ");
	if (!is_token(req->method))
		return error_set_field(err, ERROR_INVALID, "method",
			"the method is not an HTTP token");
	if (req->path == NULL || req->path[0] != '/')
		return error_set_field(err, ERROR_INVALID, "path",
			"the path does not start with '/'");
	if (req->payload_hash == NULL || req->payload_hash[0] == '\0' ||
		strpbrk(req->payload_hash, "\r\n") != NULL)
		return error_set_field(err, ERROR_INVALID, "payload_hash",
			"the payload hash is missing or not one line");
	if (!is_scope_part(key->access_key_id) || !is_scope_part(key->region) ||
		!is_scope_part(key->service) || key->secret_key == NULL)
		return error_set_field(err, ERROR_INVALID, "key",
			"the access key id, region or service is empty or holds "
			"'/', ',', '=' or a space");
	for (size_t i = 0; i < req->query_count; i++)
		if (req->query[i].name == NULL)
			return error_set_field(err, ERROR_INVALID, "query",
				"a query parameter has no name");
	for (size_t i = 0; i < req->header_count; i++) {
		const struct sigv4_pair *h = &req->headers[i];
		if (!is_token(h->name))
			return error_set_field(err, ERROR_INVALID, "headers",
				"a header name is not an HTTP token");
		/* A CR or LF would let a value forge another header line. */
		if (h->value == NULL || strpbrk(h->value, "\r\n") != NULL)
			return error_set_field(err, ERROR_INVALID, "headers",
				"the %s header's value is missing or not one line",
				h->name);
	}
	return 0;
}

int
sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
	const char *amz_date, struct arena *a, struct sigv4_signed *signed_r,
	struct error *err)
{
	memset(signed_r, 0, sizeof(*signed_r));
	if (check_request(req, key, amz_date, err) < 0)
		return -1;

	/* 1. The canonical request. */
	struct str creq, names;
	str_init(&creq, a, SIGV4_MAX_TEXT);
	str_init(&names, a, SIGV4_MAX_TEXT);
	if (str_appendf(&creq, "%s\n", req->method) < 0 ||
		append_canonical_uri(&creq, req, a) < 0 ||
		str_append_char(&creq, '\n') < 0 ||
		append_canonical_query(&creq, req, a) < 0 ||
		str_append_char(&creq, '\n') < 0 ||
		append_canonical_headers(&creq, &names, req, a) < 0 ||
		str_append(&names, "", 0) < 0 ||
		str_appendf(&creq, "\n%s\n%s", str_cstr(&names),
			req->payload_hash) < 0)
		return limit(err);

	/* 2. The string to sign, over the canonical request's hash. */
	char date[9];
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	char creq_hash[SIGV4_HEX_SIZE];
	if (sigv4_sha256_hex(creq.p, creq.len, creq_hash) < 0)
		return error_set(err, ERROR_INTERNAL,
			"SHA-256 failed while signing a request");
	char *scope = arena_printf(a, "%s/%s/%s/aws4_request", date,
		key->region, key->service);
	char *sts = arena_printf(a, SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date,
		scope != NULL ? scope : "", creq_hash);
	if (scope == NULL || sts == NULL)
		return limit(err);

	/* 3. The signature: HMAC of the string to sign by the derived key. */
	unsigned char k_signing[SIGV4_HASH_BYTES];
	unsigned char sig[SIGV4_HASH_BYTES];
	if (sigv4_signing_key(key->secret_key, date, key->region, key->service,
		    k_signing, err) < 0)
		return -1;
	int rc = hmac(k_signing, sizeof(k_signing), sts, sig);
	sodium_memzero(k_signing, sizeof(k_signing));
	if (rc < 0)
		return error_set(err, ERROR_INTERNAL,
			"HMAC-SHA-256 failed while signing a request");
	to_hex(sig, sizeof(sig), signed_r->signature);

	/* 4. The header, in the form the IAM guide shows (", " between). */
	signed_r->authorization = arena_printf(a,
		SIGV4_ALGORITHM
		" Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		key->access_key_id, scope, str_cstr(&names),
		signed_r->signature);
	if (signed_r->authorization == NULL)
		return limit(err);
	signed_r->canonical_request = creq.p;
	signed_r->string_to_sign = sts;
	signed_r->signed_headers = names.p;
	signed_r->credential_scope = scope;
	return 0;
}
