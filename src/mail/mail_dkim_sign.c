/*
 * DKIM signing (RFC 6376 §5): the body hash, the fields signed, and the
 * DKIM-Signature field itself, folded, signed with rsa-sha256 (OpenSSL) or
 * ed25519-sha256 (libsodium, RFC 8463). Layer: domain. No I/O: the key is
 * loaded by the caller, and `now` is passed in.
 */
#include "mail/mail_dkim.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dkim_internal.h"

/* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters. */
#define LINE_MAX_BYTES 78
/* The canonical header data signed: generous, but bounded. */
#define SIGNED_MAX ((size_t)16 * 1024 * 1024)

/*
 * The fields signed when present (RFC 6376 §5.4.1's list, and the List-
 * fields mailing lists rely on). Those a message has at most once (RFC
 * 5322 §3.6) are oversigned: named once more than they occur, so a second
 * From, Subject or To added on the way makes verification fail (RFC 6376
 * §8.15). Trace and Resent- fields may repeat and are signed as found.
 */
static const struct {
	const char *name;
	bool once;
} signed_fields[] = {
	{ "from", true }, { "sender", true }, { "reply-to", true },
	{ "subject", true }, { "date", true }, { "to", true }, { "cc", true },
	{ "message-id", true }, { "in-reply-to", true },
	{ "references", true }, { "mime-version", true },
	{ "content-type", true }, { "content-transfer-encoding", true },
	{ "content-id", true }, { "content-description", true },
	{ "resent-date", false }, { "resent-from", false },
	{ "resent-sender", false }, { "resent-to", false },
	{ "resent-cc", false }, { "resent-message-id", false },
	{ "list-id", true }, { "list-help", true }, { "list-subscribe", true },
	{ "list-unsubscribe", true }, { "list-unsubscribe-post", true },
	{ "list-post", true }, { "list-owner", true }, { "list-archive", true },
};

#define SIGNED_COUNT (sizeof(signed_fields) / sizeof(*signed_fields))

struct mail_dkim_body_hash {
	struct mail_dkim_body canon;
	crypto_hash_sha256_state sha;
};

static void
hash_sink(void *arg, const char *p, size_t len)
{
	crypto_hash_sha256_update(arg, (const unsigned char *)p, len);
}

struct mail_dkim_body_hash *
mail_dkim_body_hash_new(struct arena *a)
{
	struct mail_dkim_body_hash *h = arena_alloc(a, sizeof(*h));
	if (h == NULL)
		return NULL;
	crypto_hash_sha256_init(&h->sha);
	mail_dkim_body_init(&h->canon, hash_sink, &h->sha);
	return h;
}

void
mail_dkim_body_hash_update(struct mail_dkim_body_hash *h, const char *p,
	size_t len)
{
	mail_dkim_body_update(&h->canon, p, len);
}

void
mail_dkim_body_hash_final(struct mail_dkim_body_hash *h,
	unsigned char hash_r[32])
{
	mail_dkim_body_final(&h->canon);
	crypto_hash_sha256_final(&h->sha, hash_r);
}

/* ---- the field's text, folded ---- */

struct folder {
	struct str *out;
	size_t col;	/* bytes on the current line */
	int rc;		/* -1 once out is full */
};

static void
fold_append(struct folder *f, const char *p, size_t n)
{
	if (f->rc == 0 && str_append(f->out, p, n) < 0)
		f->rc = -1;
	f->col += n;
}

static void
fold_break(struct folder *f)
{
	fold_append(f, "\r\n\t", 3);
	f->col = 1;
}

/* A tag or a piece of one: after a space, or on a new line if too long. */
static void
fold_word(struct folder *f, const char *word)
{
	size_t n = strlen(word);
	if (f->col + 1 + n > LINE_MAX_BYTES)
		fold_break(f);
	else
		fold_append(f, " ", 1);
	fold_append(f, word, n);
}

/* A piece that may follow without a space (h='s ":name"). */
static void
fold_tight(struct folder *f, const char *piece)
{
	size_t n = strlen(piece);
	if (f->col + n > LINE_MAX_BYTES)
		fold_break(f);
	fold_append(f, piece, n);
}

/*
 * Base64 text (bh=, b=), which may be broken anywhere by FWS (RFC 6376
 * §3.5 base64string): as much as fits on each line.
 */
static void
fold_base64(struct folder *f, const char *b64)
{
	for (size_t i = 0, n = strlen(b64); i < n;) {
		if (f->col >= LINE_MAX_BYTES)
			fold_break(f);
		size_t room = LINE_MAX_BYTES - f->col;
		size_t take = n - i < room ? n - i : room;
		fold_append(f, b64 + i, take);
		i += take;
	}
}

static char *
base64(const unsigned char *bin, size_t len, struct arena *a)
{
	size_t size = sodium_base64_ENCODED_LEN(len,
		sodium_base64_VARIANT_ORIGINAL);
	char *b64 = arena_alloc(a, size);
	if (b64 != NULL)
		sodium_bin2base64(b64, size, bin, len,
			sodium_base64_VARIANT_ORIGINAL);
	return b64;
}

/* ---- choosing and canonicalising the signed fields ---- */

/*
 * For each field name in signed_fields the message has: its instances
 * from the last up (RFC 6376 §5.4.2) into data, and the name into h, as
 * often as it occurs, once more for a field allowed once.
 */
static int
sign_fields(const struct mail_dkim_field *fields, size_t count,
	struct str *data, struct str *h, struct error *err)
{
	for (size_t s = 0; s < SIGNED_COUNT; s++) {
		size_t found = 0;
		for (size_t i = count; i-- > 0;) {
			if (!span_eq_nocase(fields[i].name,
				    signed_fields[s].name))
				continue;
			if (mail_dkim_canon_header(fields[i].field, data,
				    err) < 0)
				return -1;
			found++;
		}
		size_t names = found + (found > 0 && signed_fields[s].once);
		for (size_t k = 0; k < names; k++) {
			if ((h->len > 0 && str_append_char(h, ':') < 0) ||
			    str_append_cstr(h, signed_fields[s].name) < 0)
				return error_set(err, ERROR_LIMIT,
					"the header is too large to sign");
		}
	}
	return 0;
}

static int
count_from(const struct mail_dkim_field *fields, size_t count,
	struct error *err)
{
	size_t from = 0;
	for (size_t i = 0; i < count; i++)
		from += span_eq_nocase(fields[i].name, "from");
	if (from == 0)
		return error_set(err, ERROR_INVALID,
			"the message has no From header field, which DKIM "
			"signs; add one");
	if (from > 1)
		return error_set(err, ERROR_INVALID,
			"the message has %zu From header fields; it must "
			"have exactly one", from);
	return 0;
}

/* The field up to "b=", folded, into out; h is the colon-separated list. */
static int
field_head(const struct mail_dkim_key *key, const char *h,
	const char *bh, int64_t now, struct arena *a, struct str *out)
{
	struct folder f = { out, 0, 0 };
	fold_append(&f, "DKIM-Signature:", strlen("DKIM-Signature:"));
	fold_word(&f, "v=1;");
	fold_word(&f, key->algorithm == MAIL_DKIM_ED25519_SHA256 ?
		"a=ed25519-sha256;" : "a=rsa-sha256;");
	fold_word(&f, "c=relaxed/relaxed;");
	char *tag = arena_printf(a, "d=%s;", key->domain);
	if (tag == NULL)
		return -1;
	fold_word(&f, tag);
	tag = arena_printf(a, "s=%s;", key->selector);
	if (tag == NULL)
		return -1;
	fold_word(&f, tag);
	tag = arena_printf(a, "t=%" PRId64 ";", now);
	if (tag == NULL)
		return -1;
	fold_word(&f, tag);
	/* h=: names, a fold allowed before each colon (RFC 6376 §3.5). */
	const char *p = h;
	size_t n = strcspn(p, ":");
	tag = arena_printf(a, "h=%.*s", (int)n, p);
	if (tag == NULL)
		return -1;
	fold_word(&f, tag);
	for (p += n; *p == ':'; p += n) {
		n = strcspn(p + 1, ":") + 1;
		tag = arena_strndup(a, p, n);
		if (tag == NULL)
			return -1;
		fold_tight(&f, tag);
	}
	fold_tight(&f, ";");
	fold_word(&f, "bh=");
	fold_base64(&f, bh);
	fold_tight(&f, ";");
	fold_word(&f, "b=");
	return f.rc;
}

static int
make_signature(const struct mail_dkim_key *key, struct span data,
	struct arena *a, char **b64_r, struct error *err)
{
	if (key->algorithm == MAIL_DKIM_ED25519_SHA256) {
		/* RFC 8463 §3: Ed25519 over the SHA-256 of the data. */
		unsigned char hash[crypto_hash_sha256_BYTES];
		unsigned char sig[crypto_sign_BYTES];
		crypto_hash_sha256(hash, (const unsigned char *)data.p,
			data.len);
		if (crypto_sign_detached(sig, NULL, hash, sizeof(hash),
			    key->ed_sk) < 0)
			return error_set(err, ERROR_INTERNAL,
				"the Ed25519 signature cannot be made");
		*b64_r = base64(sig, sizeof(sig), a);
	} else {
		/* RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 §3.3.1). */
		unsigned char sig[1024];
		size_t sig_len = sizeof(sig);
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = md != NULL && EVP_DigestSignInit(md, NULL,
			EVP_sha256(), NULL, key->rsa) == 1 &&
			EVP_DigestSign(md, sig, &sig_len,
				(const unsigned char *)data.p, data.len) == 1;
		EVP_MD_CTX_free(md);
		if (!ok)
			return error_set(err, ERROR_INTERNAL,
				"the RSA signature cannot be made");
		*b64_r = base64(sig, sig_len, a);
	}
	if (*b64_r == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory to sign");
	return 0;
}

int
mail_dkim_sign_header(const struct mail_dkim_key *key, struct span header,
	const unsigned char body_hash[32], int64_t now, struct arena *a,
	char **field_r, struct error *err)
{
	struct mail_dkim_field *fields;
	size_t count, body;
	if (mail_dkim_header_fields(header, a, &fields, &count, &body,
		    err) < 0 ||
	    count_from(fields, count, err) < 0)
		return -1;
	struct str data, h, text;
	str_init(&data, a, SIGNED_MAX);
	str_init(&h, a, SIGNED_MAX);
	str_init(&text, a, SIGNED_MAX);
	if (sign_fields(fields, count, &data, &h, err) < 0)
		return -1;
	char *bh = base64(body_hash, 32, a);
	if (bh == NULL || field_head(key, str_cstr(&h), bh, now, a,
			      &text) < 0)
		return error_set(err, ERROR_LIMIT, "out of memory to sign");
	/*
	 * RFC 6376 §3.7: the signature covers the signed fields and this
	 * field with an empty b=, canonicalised, without its final CRLF.
	 */
	if (mail_dkim_canon_header(span_make(text.p, text.len), &data,
		    err) < 0)
		return -1;
	data.len -= 2;
	char *sig;
	if (make_signature(key, span_make(data.p, data.len), a, &sig,
		    err) < 0)
		return -1;
	struct folder f = { &text, 0, 0 };
	const char *last = memrchr(text.p, '\n', text.len);
	f.col = last != NULL ? text.len - (size_t)(last + 1 - text.p) :
		text.len;
	fold_base64(&f, sig);
	fold_append(&f, "\r\n", 2);
	if (f.rc < 0)
		return error_set(err, ERROR_LIMIT, "out of memory to sign");
	*field_r = text.p;
	return 0;
}

int
mail_dkim_sign(const struct mail_dkim_key *key, struct span msg, int64_t now,
	struct arena *a, char **field_r, struct error *err)
{
	struct mail_dkim_field *fields;
	size_t count, body;
	if (mail_dkim_header_fields(msg, a, &fields, &count, &body, err) < 0)
		return -1;
	struct mail_dkim_body_hash *h = mail_dkim_body_hash_new(a);
	if (h == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory to sign");
	mail_dkim_body_hash_update(h, msg.p + body, msg.len - body);
	unsigned char hash[32];
	mail_dkim_body_hash_final(h, hash);
	return mail_dkim_sign_header(key, span_make(msg.p, body), hash, now, a,
		field_r, err);
}
