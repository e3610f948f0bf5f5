/*
 * Sender authentication of one inbound message: SPF, DKIM and DMARC run
 * together over the resolver, and the Authentication-Results field that
 * records them (RFC 8601). Layer: domain.
 */
#include "mail/mail_authres.h"

#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"

static int
resolver_lookup(void *arg, const char *name, enum dns_type type,
	struct arena *a, struct dns_answer *answer_r, struct error *err)
{
	return dns_lookup(arg, name, type, a, answer_r, err);
}

struct mail_auth_dns
mail_auth_dns_resolver(struct dns_resolver *r)
{
	return (struct mail_auth_dns){ resolver_lookup, r };
}
