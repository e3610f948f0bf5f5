/*
 * SPF (RFC 7208): the record parser and macro expander (pure, fuzzed by
 * tests/fuzz/fuzz_spf.c) and check_host(), which evaluates a sender's
 * record through the lookup interface of mail_authres_dns.h. Layer:
 * domain. The exp= explanation is parsed but never fetched (see below).
 */
#ifndef MAIL_SPF_H
#define MAIL_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "mail/mail_authres_dns.h"

struct arena;
struct error;

/* RFC 7208 §4.6.4: terms that ask the DNS, per check, recursion included. */
#define MAIL_SPF_DNS_TERMS_MAX 10
/* RFC 7208 §4.6.4: lookups answered with no record or no name. */
#define MAIL_SPF_VOID_MAX 2
/* RFC 7208 §4.6.4: MX names per "mx", PTR names per "ptr" or %{p}. */
#define MAIL_SPF_NAMES_MAX 10
/* Terms in one record: far past any real one, so parsing stays bounded. */
#define MAIL_SPF_TERMS_MAX 512

/* RFC 7208 §2.6, in the order RFC 8601's spf= names them. */
enum mail_spf_result {
	MAIL_SPF_NONE,
	MAIL_SPF_NEUTRAL,
	MAIL_SPF_PASS,
	MAIL_SPF_FAIL,
	MAIL_SPF_SOFTFAIL,
	MAIL_SPF_TEMPERROR,
	MAIL_SPF_PERMERROR,
};

/* "pass", "fail", ... as RFC 8601 §2.7.2 writes them. */
const char *mail_spf_result_name(enum mail_spf_result r);

enum mail_spf_mechanism {
	MAIL_SPF_ALL,
	MAIL_SPF_INCLUDE,
	MAIL_SPF_A,
	MAIL_SPF_MX,
	MAIL_SPF_PTR,
	MAIL_SPF_IP4,
	MAIL_SPF_IP6,
	MAIL_SPF_EXISTS,
};

/* One directive of a record (RFC 7208 §4.6.1, §5). */
struct mail_spf_term {
	enum mail_spf_mechanism mechanism;
	/* What a match gives: PASS (+), FAIL (-), SOFTFAIL (~), NEUTRAL (?). */
	enum mail_spf_result qualifier;
	const char *domain_spec;	/* arena; NULL: the current domain */
	int cidr4;			/* a, mx, ip4: 0-32 */
	int cidr6;			/* a, mx, ip6: 0-128 */
	uint8_t net[16];		/* ip4 (4 bytes used), ip6 */
	const char *text;		/* the term as written, arena */
};

struct mail_spf_record {
	struct mail_spf_term *terms;	/* arena */
	size_t count;
	const char *redirect;	/* RFC 7208 §6.1 domain-spec, or NULL */
	/*
	 * RFC 7208 §6.2 domain-spec, or NULL. Syntax-checked only: the
	 * explanation is never fetched, since a receiver need not give one
	 * and it is text a sender's DNS puts in our replies.
	 */
	const char *exp;
};

/* Whether TXT text is an SPF record: "v=spf1" then a space or the end. */
bool mail_spf_is_record(struct span text);

/*
 * Parses an SPF record (RFC 7208 §4.6, §12) into arena a: each term, its
 * qualifier, domain-spec (macro syntax checked, §7.1), CIDR lengths and
 * networks. ERROR_INVALID with a sentence naming the term for any syntax
 * error, an unknown mechanism, or redirect= or exp= twice (a permerror);
 * ERROR_LIMIT past MAIL_SPF_TERMS_MAX terms or when the arena is full.
 */
int mail_spf_record_parse(struct span text, struct arena *a,
	struct mail_spf_record *record_r, struct error *err);

/* What macros expand from (RFC 7208 §7.2). */
struct mail_spf_macro_input {
	const char *sender;	/* <sender>: "local@domain", local not empty */
	const char *domain;	/* <domain>: the domain being checked now */
	const char *ip;		/* the client's address as text */
	const char *helo;	/* the HELO/EHLO name */
	const char *validated;	/* %{p}: the validated name, or NULL */
};

/*
 * Expands the macros of spec (§7.3: letters s l o d i p v h, transformers,
 * delimiters, upper case URL-escaped, %% %_ %-) into a string from arena a.
 * For a domain-spec, a result over 253 bytes loses labels from the left
 * (§7.3). ERROR_INVALID for a macro the syntax does not allow (c, r and t
 * are for exp= only); ERROR_LIMIT when the arena is full.
 */
int mail_spf_expand(const char *spec, const struct mail_spf_macro_input *in,
	bool domain, struct arena *a, char **out_r, struct error *err);

/* Whether spec holds %{p}, which costs PTR lookups to expand. */
bool mail_spf_needs_ptr(const char *spec);

/* The identity checked and where the client stands (RFC 7208 §4.1). */
struct mail_spf_input {
	const char *ip;		/* the client's IPv4 or IPv6 address */
	const char *domain;	/* the domain whose record is evaluated */
	const char *sender;	/* "local@domain"; without a local-part (""
				 * for <>): postmaster@domain (§4.3) */
	const char *helo;	/* the HELO/EHLO name given ("" if none) */
};

struct mail_spf_outcome {
	enum mail_spf_result result;
	/* One sentence: the term that matched, or what went wrong. */
	const char *why;
	const char *mechanism;	/* the term that decided, or "" */
	int dns_terms;		/* terms that asked the DNS (limit 10) */
	int void_lookups;	/* lookups answered with nothing (limit 2) */
};

/*
 * check_host() (RFC 7208 §4): the result for in->ip sending as in->sender,
 * evaluating in->domain's record with lookups through dns. A DNS failure
 * is TEMPERROR, a bad record or a limit passed PERMERROR, with the why.
 * Returns -1 only when the check could not run: ERROR_INVALID for an
 * address that is not an IP address, ERROR_LIMIT when the arena is full,
 * or as dns->lookup fails.
 */
int mail_spf_check_host(const struct mail_auth_dns *dns,
	const struct mail_spf_input *in, struct arena *a,
	struct mail_spf_outcome *out_r, struct error *err);

/*
 * The SPF check of an SMTP transaction (RFC 7208 §2.3, §2.4): the MAIL
 * FROM identity, or, for the null reverse-path, "postmaster@" the HELO
 * name. *identity_r is the domain checked (RFC 8601 smtp.mailfrom or
 * smtp.helo as *helo_r says). A sender domain that is not a usable name
 * gives NONE (§4.3). Fails as mail_spf_check_host.
 */
int mail_spf_check(const struct mail_auth_dns *dns, const char *ip,
	const char *helo, const char *mail_from, struct arena *a,
	struct mail_spf_outcome *out_r, const char **identity_r,
	bool *helo_r, struct error *err);

#endif
