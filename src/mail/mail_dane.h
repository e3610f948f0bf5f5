/*
 * DANE for SMTP (RFC 7672, RFC 6698, RFC 7671): whether a server's
 * certificate chain matches the TLSA records of `_25._tcp.<mx>`. Layer:
 * domain. Pure: the records and the chain in, a verdict out (GnuTLS only
 * parses certificates and hashes).
 * SECURITY: only records from a DNSSEC-secure answer may be given here.
 */
#ifndef MAIL_DANE_H
#define MAIL_DANE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

struct dns_tlsa;

/* RFC 7218 names of the usages SMTP uses (RFC 7672 §3.1). */
#define MAIL_DANE_USAGE_TA 2	/* DANE-TA: a trust anchor of the chain */
#define MAIL_DANE_USAGE_EE 3	/* DANE-EE: the server's own key */

/*
 * Whether a record is usable for SMTP: usage DANE-TA(2) or DANE-EE(3)
 * (PKIX-TA and PKIX-EE are not, RFC 7672 §3.1.3), selector Cert(0) or
 * SPKI(1), matching type Full(0), SHA2-256(1) or SHA2-512(2) with data of
 * the right length (RFC 7671 §5 and §9).
 */
bool mail_dane_record_is_usable(const struct dns_tlsa *t);

/* How many of the records are usable. */
size_t mail_dane_usable_count(const struct dns_tlsa *t, size_t count);

/* What a chain is judged against. */
struct mail_dane {
	const struct dns_tlsa *tlsa;	/* the secure TLSA RRset */
	size_t tlsa_count;
	/*
	 * Names a DANE-TA chain's server certificate may carry (RFC 7672
	 * §3.2.2): the MX host name, and the TLSA base name when CNAMEs
	 * led elsewhere. Lower case, no final dot.
	 */
	const char *const *names;
	size_t name_count;
};

/*
 * Judges chain (DER certificates as the server sent them, its own first):
 * 0 when a usable record matches: DANE-EE(3) the server's certificate
 * (its name and dates are not looked at, RFC 7672 §3.1.1); DANE-TA(2) a
 * certificate of the chain other than the server's (or, for "2 0 0", the
 * record's own certificate), with the chain from the server's certificate
 * to it valid and the server's certificate carrying one of the names
 * (RFC 7672 §3.1.2). -1 with why (a sentence, at most why_size bytes) when
 * none matches or no record is usable.
 */
int mail_dane_verify(const struct mail_dane *d, const struct span *chain,
	size_t chain_count, char *why, size_t why_size);

/*
 * mail_dane_verify with the signature of mail_smtp_options.tls_verify, for
 * data pointing to a struct mail_dane.
 */
int mail_dane_tls_verify(void *data, const struct span *chain,
	size_t chain_count, char *why, size_t why_size);

#endif
