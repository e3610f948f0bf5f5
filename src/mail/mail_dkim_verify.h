/*
 * DKIM verification (RFC 6376 §6): the DKIM-Signature parser (pure, fuzzed
 * by tests/fuzz/fuzz_dkim_sig.c), the key record parser, and the verifier
 * of rsa-sha256 (GnuTLS) and ed25519-sha256 (libsodium, RFC 8463) over the
 * canonicalisation of mail_dkim_canon.c. Layer: domain.
 */
#ifndef MAIL_DKIM_VERIFY_H
#define MAIL_DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "mail/mail_authres_dns.h"

struct arena;
struct error;

/* Signatures verified per message; those after are not looked at. */
#define MAIL_DKIM_VERIFY_MAX 8
/* RFC 8301 §3.2: RSA keys shorter than this are not accepted. */
#define MAIL_DKIM_RSA_MIN_BITS 1024
/* Seconds a signature's t= may lie in the future (a signer's clock). */
#define MAIL_DKIM_CLOCK_SKEW 3600

/* Tags in one tag list: far past the dozen RFC 6376 defines. */
#define MAIL_DKIM_TAGS_MAX 64

/* One tag of a tag list (RFC 6376 §3.2), pointing into the text. */
struct mail_dkim_tag {
	struct span name;
	struct span value;	/* FWS at either end removed */
};

/*
 * Splits text into tags[MAIL_DKIM_TAGS_MAX] (RFC 6376 §3.2, also DMARC's
 * syntax, RFC 7489 §6.4): name=value pairs split by ';', a final ';'
 * allowed. ERROR_INVALID for a piece that is not a tag, a value byte that
 * is not visible ASCII or FWS, a tag named twice, or too many tags.
 */
int mail_dkim_tags_parse(struct span text, struct mail_dkim_tag *tags,
	size_t *count_r, struct error *err);
/* The value of the tag named name (case matters), or NULL. */
const struct span *mail_dkim_tag_find(const struct mail_dkim_tag *tags,
	size_t count, const char *name);

/* A signature's result, as RFC 8601 §2.7.1 names them. */
enum mail_dkim_verdict {
	MAIL_DKIM_NONE,		/* no signature at all */
	MAIL_DKIM_PASS,
	MAIL_DKIM_FAIL,		/* it did not verify, or is not accepted */
	MAIL_DKIM_NEUTRAL,	/* the signature itself cannot be read */
	MAIL_DKIM_TEMPERROR,	/* the key could not be fetched now */
	MAIL_DKIM_PERMERROR,	/* a malformed key, no key, no header */
};

const char *mail_dkim_verdict_name(enum mail_dkim_verdict v);

enum mail_dkim_sig_alg {
	MAIL_DKIM_SIG_RSA_SHA256,
	MAIL_DKIM_SIG_ED25519_SHA256,
	MAIL_DKIM_SIG_RSA_SHA1,	/* read, to be refused (RFC 8301 §3.1) */
};

/* A DKIM-Signature field's tags (RFC 6376 §3.5). Strings are arena. */
struct mail_dkim_sig {
	enum mail_dkim_sig_alg alg;
	const char *alg_name;		/* a= as written, lower case */
	bool header_relaxed;		/* c= header: relaxed, else simple */
	bool body_relaxed;		/* c= body */
	const char *domain;		/* d=, lower case */
	const char *selector;		/* s=, lower case */
	const char *identity;		/* i=, or "@" d= when absent */
	const char **headers;		/* h=, names as written */
	size_t header_count;
	unsigned char *b;		/* the signature, decoded */
	size_t b_len;
	const char *b_text;		/* b= without whitespace */
	unsigned char bh[64];		/* the body hash, decoded */
	size_t bh_len;
	bool has_length;		/* l= */
	uint64_t length;
	bool has_timestamp;		/* t= */
	int64_t timestamp;
	bool has_expiry;		/* x= */
	int64_t expiry;
};

/*
 * Parses a DKIM-Signature field's value (after the colon, folds and all)
 * into arena a. ERROR_INVALID with a sentence for a tag-list error, a
 * duplicate tag, a missing required tag (v a b bh d h s), v= not 1, an
 * unknown algorithm or canonicalisation, q= not dns/txt, h= without From,
 * i= outside d=, x= before t=, or bad base64. ERROR_LIMIT when a is full.
 */
int mail_dkim_sig_parse(struct span value, struct arena *a,
	struct mail_dkim_sig *sig_r, struct error *err);

/* A key record published at SELECTOR._domainkey.DOMAIN (§3.6.1). */
struct mail_dkim_pubkey {
	bool ed25519;			/* k=ed25519; else rsa */
	bool revoked;			/* p= empty */
	bool strict_identity;		/* t=s: i= must be d= exactly */
	unsigned char *data;		/* p=, decoded */
	size_t len;
};

/*
 * Parses the key record text. ERROR_INVALID for a tag-list error, v= not
 * DKIM1, h= without sha256, k= other than rsa or ed25519, s= that leaves
 * out email, no p=, or bad base64.
 */
int mail_dkim_pubkey_parse(struct span text, struct arena *a,
	struct mail_dkim_pubkey *key_r, struct error *err);

/* One signature's outcome. */
struct mail_dkim_result {
	enum mail_dkim_verdict verdict;
	const char *domain;	/* d=, "" when it could not be read */
	const char *selector;	/* s=, "" likewise */
	const char *identity;	/* i= or "@d" */
	const char *algorithm;	/* a= */
	const char *b_prefix;	/* the first 8 characters of b= (RFC 6008) */
	const char *why;	/* one sentence */
};

/*
 * Verifies every DKIM-Signature of msg (up to MAIL_DKIM_VERIFY_MAX), each
 * with its key fetched through dns, t= and x= judged against now. The
 * results are in the fields' order; none for an unsigned message; one
 * PERMERROR, its why the sentence saying so, when msg's header cannot be
 * read. Returns -1 only past MAIL_DKIM_FIELDS_MAX fields or when the
 * arena is full (ERROR_LIMIT).
 */
int mail_dkim_verify(const struct mail_auth_dns *dns, struct span msg,
	int64_t now, struct arena *a, struct mail_dkim_result **results_r,
	size_t *count_r, struct error *err);

#endif
