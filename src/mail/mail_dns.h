/*
 * What the DNS says about where a domain's mail goes: the resolver as the
 * instance's settings make it, and the RFC 5321 §5.1 list of hosts to try
 * (MX by preference, the implicit MX, RFC 7505 null MX). Layer: domain.
 * The resolver itself (libunbound, DNSSEC, record parsers) is core/dns.h.
 */
#ifndef MAIL_MAIL_DNS_H
#define MAIL_MAIL_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dns.h"

struct arena;
struct config;
struct error;

/*
 * A resolver from the dns.servers, dns.trust_anchor and dns.timeout_ms
 * settings; the caller owns it (dns_resolver_free) and may share it among
 * threads. Fails as dns_resolver_new does.
 */
struct dns_resolver *mail_dns_resolver_new(const struct config *config,
	struct error *err);

enum mail_mx_verdict {
	MAIL_MX_HOSTS,		/* try hosts[0..count) in order */
	MAIL_MX_NULL,		/* RFC 7505: the domain takes no mail; bounce */
	MAIL_MX_NXDOMAIN,	/* the domain does not exist; bounce */
	MAIL_MX_TEMPFAIL,	/* no usable answer now (bogus too); defer */
};

struct mail_mx_host {
	char name[DNS_NAME_SIZE];
	uint16_t preference;
};

struct mail_mx_plan {
	enum mail_mx_verdict verdict;
	/* Of the MX answer: DANE (RFC 7672 §2.2.1) needs it secure. */
	enum dns_security security;
	bool implicit;		/* no MX: the domain is its own host (§5.1) */
	const char *why;	/* for NULL, NXDOMAIN and TEMPFAIL: a sentence */
	size_t count;
	struct mail_mx_host *hosts;	/* arena */
};

/*
 * The hosts to try for domain, from its MX answer (a pure rule: no I/O).
 * Hosts of equal preference are put in an order drawn from seed (RFC 5321
 * §5.1 asks for them to be tried in random order, so load spreads); the
 * same seed gives the same order, for tests. ERROR_LIMIT when the arena
 * is full.
 */
int mail_mx_plan_from(const struct dns_answer *mx, const char *domain,
	uint64_t seed, struct arena *a, struct mail_mx_plan *plan_r,
	struct error *err);

/* Looks up domain's MX records and makes the plan from them. */
int mail_dns_mx_plan(struct dns_resolver *r, const char *domain,
	uint64_t seed, struct arena *a, struct mail_mx_plan *plan_r,
	struct error *err);

#endif
