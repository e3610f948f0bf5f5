/*
 * A validating DNS stub resolver over libunbound, and the parsers of the
 * record data it returns (A, AAAA, MX, TXT, TLSA, PTR). Layer: core: it knows DNS,
 * not mail; what an MX or a TLSA record means for delivery is mail/'s.
 * RFCs 1035 (wire names), 4033-4035 (DNSSEC), 6698 (TLSA), 7505 (null MX).
 */
#ifndef CORE_DNS_H
#define CORE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;

/* A name in presentation form, without the final dot (RFC 1035 §2.3.4). */
#define DNS_NAME_MAX 253
#define DNS_NAME_SIZE (DNS_NAME_MAX + 1)
/* The longest name on the wire, length bytes and root label included. */
#define DNS_WIRE_NAME_MAX 255
/* Records kept from one answer; an RRset past it is refused, not cut. */
#define DNS_MAX_RECORDS 64

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_PTR = 12,	/* SPF's ptr mechanism and %{p} (RFC 7208 §5.5) */
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_TLSA = 52,
};

/* What the DNS said about the name and type asked. */
enum dns_status {
	DNS_STATUS_OK,		/* one or more records: count > 0 */
	/* The name exists but has no record of this type (RCODE 0, no data). */
	DNS_STATUS_NODATA,
	/* The name does not exist (RCODE 3): permanent. */
	DNS_STATUS_NXDOMAIN,
	/*
	 * No usable answer now: SERVFAIL, REFUSED, a timeout, no server
	 * reachable, a record we could not parse, or a DNSSEC failure
	 * (security is then DNS_SECURITY_BOGUS). Try again later.
	 */
	DNS_STATUS_TEMPFAIL,
};

/* What DNSSEC validation said about the answer (RFC 4033 §5). */
enum dns_security {
	/* No trust anchor covers the name, or a parent proved it unsigned. */
	DNS_SECURITY_INSECURE,
	DNS_SECURITY_SECURE,	/* signed and validated to a trust anchor */
	/*
	 * Should have been signed but failed to validate. Never use such an
	 * answer: its records are dropped and status is TEMPFAIL.
	 */
	DNS_SECURITY_BOGUS,
};

struct dns_mx {
	uint16_t preference;
	char host[DNS_NAME_SIZE];	/* lower case; "" for the root "." */
};

/* A PTR record's name (RFC 1035 §3.3.12). */
struct dns_ptr {
	char host[DNS_NAME_SIZE];	/* lower case, no final dot */
};

struct dns_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* network order; 4 used for AF_INET */
	char text[46];		/* presentation form, INET6_ADDRSTRLEN */
};

/* One TXT record: its character-strings joined (RFC 7208 §3.3). */
struct dns_txt {
	char *text;		/* arena; NUL-terminated, may hold NULs */
	size_t len;
};

struct dns_tlsa {
	uint8_t usage;		/* RFC 6698 §2.1.1: 0-3 */
	uint8_t selector;	/* 0 full certificate, 1 public key */
	uint8_t matching_type;	/* 0 exact, 1 SHA-256, 2 SHA-512 */
	uint8_t *data;		/* arena */
	size_t len;
};

/* One answer. Every pointer is into the arena the lookup was given. */
struct dns_answer {
	enum dns_type type;
	enum dns_status status;
	enum dns_security security;
	const char *why;	/* for TEMPFAIL or BOGUS, a sentence; else "" */
	const char *canonical;	/* the name after any CNAMEs, no final dot */
	uint32_t ttl;		/* seconds the answer may be cached */
	/*
	 * RFC 7505: the only MX record is "0 .": the domain accepts no mail.
	 * Then count is 0 and status DNS_STATUS_OK.
	 */
	bool null_mx;
	size_t count;		/* records in the one array for type */
	struct dns_mx *mx;	/* by preference, then host (RFC 5321 §5.1) */
	struct dns_addr *addr;	/* A and AAAA, in the order given */
	struct dns_txt *txt;
	struct dns_tlsa *tlsa;
	struct dns_ptr *ptr;
};

struct dns_options {
	/*
	 * Upstream resolvers, comma-separated, each "ADDRESS" or
	 * "ADDRESS@PORT"; "" reads /etc/resolv.conf; "recursive" asks the
	 * root servers directly. Answers are validated either way.
	 */
	const char *servers;
	/* A file of DS or DNSKEY records in zone format; "" validates none. */
	const char *trust_anchor;
	int timeout_ms;		/* a lookup's whole time, retries included */
};

struct dns_resolver;

/*
 * A resolver sharing one libunbound context and cache among every thread
 * that calls dns_lookup. Fails with ERROR_INVALID for a server or trust
 * anchor it cannot use. Free with dns_resolver_free from one thread once no
 * lookup is running.
 */
struct dns_resolver *dns_resolver_new(const struct dns_options *options,
	struct error *err);
void dns_resolver_free(struct dns_resolver **r);

/*
 * Looks up name's records of type, blocking for at most the timeout, and
 * fills *answer_r from the arena (a per-thread arena: safe to call from
 * any number of threads at once). Returns 0 whenever the DNS was asked,
 * whatever it said (answer_r->status tells); -1 only when it could not be:
 * ERROR_INVALID for a name that is not a domain name, ERROR_LIMIT when the
 * arena is full, ERROR_INTERNAL when libunbound fails.
 */
int dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
	struct arena *a, struct dns_answer *answer_r, struct error *err);

/* "A", "MX", ...; NULL for another type. */
const char *dns_type_name(enum dns_type type);
/* Parses "MX", "mx", ...; false for a type this resolver does not read. */
bool dns_type_parse(const char *text, enum dns_type *type_r);
const char *dns_status_name(enum dns_status status);
const char *dns_security_name(enum dns_security security);

/*
 * Checks that text is a domain name we may ask about: at most 253
 * characters without a final dot, labels of 1 to 63 letters, digits,
 * hyphens and underscores (_25._tcp for TLSA).
 */
bool dns_name_is_valid(const char *text);

/* ---- record data parsers (dns_rdata.c): pure, bounded, fuzzed ---- */

/*
 * Reads an uncompressed wire-format name at rdata[*offset..len) into
 * out[DNS_NAME_SIZE] as lower-case presentation form without the final
 * dot ("" for the root), and advances *offset past it. A compression
 * pointer, a label over 63 bytes, a name over 255 bytes or a byte that is
 * not a letter, digit, hyphen or underscore is ERROR_INVALID.
 */
int dns_rdata_name(const uint8_t *rdata, size_t len, size_t *offset,
	char *out, struct error *err);

/* MX (RFC 1035 §3.3.9): a preference and an exchange name, nothing after. */
int dns_rdata_mx(const uint8_t *rdata, size_t len, struct dns_mx *mx_r,
	struct error *err);

/* A (4 bytes) or AAAA (16 bytes), as type says. */
int dns_rdata_addr(enum dns_type type, const uint8_t *rdata, size_t len,
	struct dns_addr *addr_r, struct error *err);

/* TXT (RFC 1035 §3.3.14): one or more length-prefixed strings, joined. */
int dns_rdata_txt(const uint8_t *rdata, size_t len, struct arena *a,
	struct dns_txt *txt_r, struct error *err);

/* PTR (RFC 1035 §3.3.12): one uncompressed name, nothing after. */
int dns_rdata_ptr(const uint8_t *rdata, size_t len, struct dns_ptr *ptr_r,
	struct error *err);

/*
 * TLSA (RFC 6698 §2.1): usage, selector, matching type, then the data,
 * which must be 32 bytes for SHA-256 and 64 for SHA-512 and not empty.
 */
int dns_rdata_tlsa(const uint8_t *rdata, size_t len, struct arena *a,
	struct dns_tlsa *tlsa_r, struct error *err);

/*
 * Sorts MX records by preference, then host, so the order is the same on
 * every run (RFC 5321 §5.1; spreading load over equal preferences is the
 * caller's choice).
 */
void dns_mx_sort(struct dns_mx *mx, size_t count);

#endif
