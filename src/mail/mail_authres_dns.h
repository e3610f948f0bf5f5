/*
 * The DNS as SPF, DKIM and DMARC evaluation see it: one lookup function
 * behind a pointer, so the rules run over the real resolver in the server
 * and over zone tables in the unit tests. Layer: domain.
 */
#ifndef MAIL_AUTHRES_DNS_H
#define MAIL_AUTHRES_DNS_H

#include "core/dns.h"

struct arena;
struct error;

/*
 * lookup behaves as dns_lookup (core/dns.h): 0 whenever the DNS was asked,
 * whatever it said (answer_r->status), -1 only when it could not be.
 */
struct mail_auth_dns {
	int (*lookup)(void *arg, const char *name, enum dns_type type,
		struct arena *a, struct dns_answer *answer_r,
		struct error *err);
	void *arg;
};

/* Lookups through r, which the caller keeps alive while this is used. */
struct mail_auth_dns mail_auth_dns_resolver(struct dns_resolver *r);

#endif
