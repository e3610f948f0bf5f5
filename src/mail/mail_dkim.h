/*
 * DKIM (RFC 6376): signing every message that leaves the platform with
 * relaxed/relaxed canonicalisation, rsa-sha256 (RSA-2048) or ed25519-sha256
 * (RFC 8463), a key per hosted domain kept in the instance directory; and
 * the DNS records an operator publishes for a domain (SECURITY.md 7).
 * Layer: domain. Canonicalisation and the records are pure.
 */
#ifndef MAIL_DKIM_H
#define MAIL_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct dir_ctx;
struct error;

/* RFC 6376 §6.1.2: a verifier may ignore a longer selector or domain. */
#define MAIL_DKIM_NAME_MAX 253
/* A header section with more fields than this is refused (ERROR_LIMIT). */
#define MAIL_DKIM_FIELDS_MAX 10000

enum mail_dkim_algorithm {
	MAIL_DKIM_RSA_SHA256,		/* RSA-2048, PKCS #1 v1.5 */
	MAIL_DKIM_ED25519_SHA256,	/* RFC 8463 */
};

/* "rsa" or "ed25519", as the CLI and the TXT record's k= name them. */
const char *mail_dkim_algorithm_name(enum mail_dkim_algorithm alg);
/* Parses "rsa" or "ed25519"; false for anything else. */
bool mail_dkim_algorithm_parse(const char *name,
	enum mail_dkim_algorithm *alg_r);

/*
 * Whether s is a domain or selector DKIM can name: dot-separated labels of
 * letters, digits and inner hyphens (RFC 6376 §3.1, §3.5 "sub-domain"),
 * each 1-63 bytes, at most MAIL_DKIM_NAME_MAX in all. Such a name holds no
 * '/' and no "..", so it is also safe as a file name.
 */
bool mail_dkim_name_is_valid(const char *s);

/* ---- canonicalisation (mail_dkim_canon.c), pure ---- */

/*
 * Appends one header field in relaxed form (RFC 6376 §3.4.2) to out: the
 * name in lower case, ':', the value unfolded (the CRLF or LF before each
 * continuation line removed), each run of SP and HTAB as one SP, none at
 * either end of the value, then CRLF. field is the field as written: name,
 * colon, value and folds, with or without its final line end.
 * ERROR_INVALID when field has no colon; ERROR_LIMIT when out is full.
 */
int mail_dkim_canon_header(struct span field, struct str *out,
	struct error *err);

/*
 * Appends one header field in simple form (RFC 6376 §3.4.1) to out: as
 * written, each bare LF made CRLF, then CRLF. -1 when out is full.
 */
int mail_dkim_canon_header_simple(struct span field, struct str *out);

/* Receives canonical body bytes, in order, in pieces of any size. */
typedef void mail_dkim_sink(void *arg, const char *p, size_t len);

/*
 * The body canonicaliser, fed the body in pieces of any size and split
 * anywhere, so a body of any size is canonicalised in constant memory.
 * Relaxed (RFC 6376 §3.4.4, the default): no WSP at line ends, each inner
 * run of WSP one SP, no empty lines at the end, CRLF after a last line
 * that lacks one. Simple (§3.4.3, set `simple` after init): WSP kept as
 * it is, empty lines at the end still go, and an empty body is one CRLF.
 * A line ends at CRLF or at a bare LF (written CRLF, as it is sent); a
 * bare CR is an ordinary byte. Start with mail_dkim_body_init.
 */
struct mail_dkim_body {
	mail_dkim_sink *sink;
	void *arg;
	bool simple;		/* §3.4.3 simple, not relaxed */
	bool wrote;		/* a byte has been written */
	uint64_t held_lines;	/* empty lines not yet written: may end it */
	bool in_wsp;		/* WSP seen on this line, not yet written */
	bool line_open;		/* this line has text, its CRLF not written */
	bool cr;		/* the last byte was a CR, LF not yet seen */
	size_t buf_len;
	char buf[4096];		/* output gathered for the sink */
};

void mail_dkim_body_init(struct mail_dkim_body *b, mail_dkim_sink *sink,
	void *arg);
void mail_dkim_body_update(struct mail_dkim_body *b, const char *p,
	size_t len);
/* Ends the body: writes what is owed and flushes to the sink. */
void mail_dkim_body_final(struct mail_dkim_body *b);

/* One header field of a message: where it stands, with its folds. */
struct mail_dkim_field {
	struct span name;	/* as written, without WSP before the colon */
	struct span field;	/* name to the end of its last line, no EOL */
};

/*
 * Splits msg's header section into fields (from arena a) and finds where
 * the body starts: after the first empty line, or msg.len when there is
 * none. Lines end at LF, with or without a CR before it. ERROR_INVALID
 * for a line that is neither a field (a name of printable ASCII, then a
 * colon) nor a continuation; ERROR_LIMIT past MAIL_DKIM_FIELDS_MAX fields
 * or when the arena is full.
 */
int mail_dkim_header_fields(struct span msg, struct arena *a,
	struct mail_dkim_field **fields_r, size_t *count_r, size_t *body_r,
	struct error *err);

/* ---- keys (mail_dkim_key.c) ---- */

/*
 * A private key with the domain and selector it signs for. Loading parses
 * PEM (slow for RSA), so a long-running signer keeps its keys loaded; a
 * key is used by one thread at a time.
 */
struct mail_dkim_key;

/*
 * A key read from PEM text (PKCS #8, "PRIVATE KEY"): RSA of 2048 bits or
 * more, or Ed25519. Owned by the caller: mail_dkim_key_free. ERROR_INVALID
 * for text that is not such a key, or a name that is not valid. The text
 * is not kept.
 */
struct mail_dkim_key *mail_dkim_key_from_pem(struct span pem,
	const char *domain, const char *selector, struct error *err);

/*
 * Makes a new key of alg in memory and its PEM text (a heap buffer the
 * caller wipes with sodium_memzero and frees). ERROR_INTERNAL if the
 * random source or the library fails.
 */
struct mail_dkim_key *mail_dkim_key_new(enum mail_dkim_algorithm alg,
	const char *domain, const char *selector, char **pem_r, size_t *len_r,
	struct error *err);

/* Wipes and frees; *key = NULL. */
void mail_dkim_key_free(struct mail_dkim_key **key);

enum mail_dkim_algorithm mail_dkim_key_algorithm(
	const struct mail_dkim_key *key);
const char *mail_dkim_key_domain(const struct mail_dkim_key *key);
const char *mail_dkim_key_selector(const struct mail_dkim_key *key);

/*
 * The TXT record text published at SELECTOR._domainkey.DOMAIN:
 * "v=DKIM1; k=rsa; p=BASE64" (p= the SubjectPublicKeyInfo for RSA, the
 * raw 32-byte key for Ed25519, RFC 8463 §4.2), from arena a. NULL past
 * the arena's cap.
 */
char *mail_dkim_key_record(const struct mail_dkim_key *key, struct arena *a);

/*
 * The key files of an instance: DIR/DOMAIN/SELECTOR.key (PEM, mode 0600,
 * written atomically, in a 0700 directory) and DIR/DOMAIN/active, which
 * names the selector that signs. dkim_dir is the instance's (dkim.dir).
 *
 * mail_dkim_key_load reads the active key when selector is NULL, else the
 * named one. ERROR_NOT_FOUND with a sentence saying to run `caremail dkim
 * keygen` when there is none; ERROR_INVALID for an unreadable key file.
 */
int mail_dkim_key_load(const char *dkim_dir, const char *domain,
	const char *selector, struct mail_dkim_key **key_r, struct error *err);

/*
 * Keys kept for signing, shared by threads (mail_dkim_keys.c): the
 * domain's active key, read once per selector. mail_dkim_keys_get gives
 * the key to sign with in *key_r, valid until the cache is freed; when
 * the cache is full it is a key of the caller's own, also in *own_r, to
 * be freed with mail_dkim_key_free (else *own_r is NULL). Errors as
 * mail_dkim_key_load's.
 */
struct mail_dkim_keys;
struct mail_dkim_keys *mail_dkim_keys_new(const char *dkim_dir);
void mail_dkim_keys_free(struct mail_dkim_keys **kp);
int mail_dkim_keys_get(struct mail_dkim_keys *k, const char *domain,
	const struct mail_dkim_key **key_r, struct mail_dkim_key **own_r,
	struct error *err);

/*
 * The selector signing for domain now, into buf; ERROR_NOT_FOUND when the
 * domain has no key.
 */
int mail_dkim_active_selector(const char *dkim_dir, const char *domain,
	char *buf, size_t size, struct error *err);

/*
 * Keys are kept for hosted domains alone: ERROR_INVALID (field "domain")
 * naming mail.domains for any other. Every key command asks this first.
 */
int mail_dkim_domain_check(const struct dir_ctx *ctx, const char *domain,
	struct error *err);

/* What mail_dkim_keygen made. */
struct mail_dkim_keygen_result {
	char selector[64];
	enum mail_dkim_algorithm algorithm;
	bool active;	/* signs now: the domain had no active key before */
};

/*
 * `caremail dkim keygen`: makes a key for a hosted domain, writes it as
 * mail_dkim_key_load reads it, makes it the active one if the domain has
 * none, and writes an audit row (object "dkim_key", no secret in it).
 * selector NULL or "": "cm" and the year of ctx->now. ERROR_INVALID for a
 * domain this instance does not host or an invalid selector; ERROR_EXISTS
 * when the domain already has a key with that selector. On failure no key
 * file is left behind.
 */
int mail_dkim_keygen(const struct dir_ctx *ctx, const char *dkim_dir,
	const char *domain, const char *selector, enum mail_dkim_algorithm alg,
	struct mail_dkim_keygen_result *result_r, struct error *err);

/*
 * `caremail dkim activate`: makes an existing key the one that signs for
 * domain (after its record is published), audited. ERROR_INVALID for a
 * domain this instance does not host; ERROR_NOT_FOUND when there is no
 * such key.
 */
int mail_dkim_activate(const struct dir_ctx *ctx, const char *dkim_dir,
	const char *domain, const char *selector, struct error *err);

/* ---- signing (mail_dkim_sign.c) ---- */

/* The body hash, streamed: RFC 6376 §3.7 over the relaxed body, no l=. */
struct mail_dkim_body_hash;

/* A new hasher in arena a; NULL past its cap. */
struct mail_dkim_body_hash *mail_dkim_body_hash_new(struct arena *a);
void mail_dkim_body_hash_update(struct mail_dkim_body_hash *h,
	const char *p, size_t len);
/* Ends the body and writes its SHA-256 into hash_r. */
void mail_dkim_body_hash_final(struct mail_dkim_body_hash *h,
	unsigned char hash_r[32]);

/*
 * The DKIM-Signature field for a message whose header section is header
 * (the fields as mail_dkim_header_fields reads them; the body need not
 * follow) and whose body has the hash body_hash: "DKIM-Signature: ...\r\n",
 * folded into lines of at most 78 bytes, to be put before the message's
 * first line. Signs with key for its domain and selector, t= now. Signs
 * From (exactly one is required, SECURITY.md 12) and whichever of the
 * fields RFC 6376 §5.4.1 suggests are present; those a message has only
 * once are named once more than they occur (oversigned) so no verifier
 * accepts one added later. ERROR_INVALID for no From or several, or a
 * malformed header; ERROR_LIMIT when the arena is full; ERROR_INTERNAL
 * when the signature cannot be made.
 */
int mail_dkim_sign_header(const struct mail_dkim_key *key, struct span header,
	const unsigned char body_hash[32], int64_t now, struct arena *a,
	char **field_r, struct error *err);

/*
 * mail_dkim_sign_header for a whole message in memory or mapped from the
 * spool (spool_view): the body is hashed in place, piece by piece, so
 * nothing the size of the message is allocated. This is what the queue
 * runner calls before it sends a message to another domain.
 */
int mail_dkim_sign(const struct mail_dkim_key *key, struct span msg,
	int64_t now, struct arena *a, char **field_r, struct error *err);

/* ---- DNS records (mail_dns_records.c), pure ---- */

/* What the records of one domain are made from. */
struct mail_dns_input {
	const char *domain;
	const char *mx_host;		/* where mail for domain is sent */
	const char *dkim_selector;	/* NULL: no key yet */
	const char *dkim_record;	/* its TXT text */
	const char *dmarc_policy;	/* "reject" or "quarantine" */
	const char *dmarc_report;	/* address aggregate reports go to */
	const char *tlsrpt_report;	/* address TLS reports go to */
	int64_t mta_sts_max_age;	/* seconds */
};

struct mail_dns_record {
	const char *name;	/* fully qualified, with the final dot */
	const char *type;	/* "MX", "TXT" */
	const char *value;	/* the text, unquoted, or "10 mx.example." */
	const char *comment;	/* what it is for, one line */
};

struct mail_dns_records {
	struct mail_dns_record *items;
	size_t count;
	const char *mta_sts_policy;	/* the file served over HTTPS */
	const char *mta_sts_url;	/* where it is served */
	const char *missing;		/* a sentence for what is not there */
};

/*
 * The records an operator publishes for in->domain: MX, SPF "v=spf1 mx
 * -all", DKIM (or, with no key, a note in `missing` to run keygen), DMARC,
 * MTA-STS (the TXT with an id derived from the policy, so it changes
 * exactly when the policy does, RFC 8461 §3.1) and TLS-RPT. From arena a.
 * ERROR_INVALID for a domain or host name that is not valid.
 */
int mail_dns_records(const struct mail_dns_input *in, struct arena *a,
	struct mail_dns_records *r_r, struct error *err);

/*
 * The records in zone-file form, appended to out: a comment line before
 * each, TXT text split into quoted strings of at most 255 bytes (RFC 1035
 * §3.3.14), then the MTA-STS policy as comment lines. -1 when out is full.
 */
int mail_dns_zone_text(const struct mail_dns_records *r, struct str *out);

#endif
