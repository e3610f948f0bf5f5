/*
 * Where a domain's mail goes, from the DNS: RFC 5321 §5.1 (MX by
 * preference, equal preferences in random order, the implicit MX when
 * there is none) and RFC 7505 (null MX). Layer: domain.
 */
#include "mail/mail_dns.h"

#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"

struct dns_resolver *
mail_dns_resolver_new(const struct config *config, struct error *err)
{
	struct dns_options options = {
		.servers = config_get_str(config, "dns.servers"),
		.trust_anchor = config_get_str(config, "dns.trust_anchor"),
		.timeout_ms = (int)config_get_int(config, "dns.timeout_ms"),
	};
	return dns_resolver_new(&options, err);
}

/* splitmix64: a small, good mixer, so a seed gives a fixed order. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fisher-Yates over each run of hosts that share a preference. */
static void
shuffle_equal(struct mail_mx_host *hosts, size_t count, uint64_t seed)
{
	uint64_t state = seed;
	size_t start = 0;
	while (start < count) {
		size_t end = start + 1;
		while (end < count &&
		       hosts[end].preference == hosts[start].preference)
			end++;
		for (size_t i = end - 1; i > start; i--) {
			size_t j = start +
				(size_t)(next_random(&state) % (i - start + 1));
			struct mail_mx_host t = hosts[i];
			hosts[i] = hosts[j];
			hosts[j] = t;
		}
		start = end;
	}
}

int
mail_mx_plan_from(const struct dns_answer *mx, const char *domain,
	uint64_t seed, struct arena *a, struct mail_mx_plan *plan_r,
	struct error *err)
{
	memset(plan_r, 0, sizeof(*plan_r));
	plan_r->security = mx->security;
	plan_r->why = "";
	switch (mx->status) {
	case DNS_STATUS_TEMPFAIL:
		plan_r->verdict = MAIL_MX_TEMPFAIL;
		plan_r->why = mx->why;
		return 0;
	case DNS_STATUS_NXDOMAIN:
		plan_r->verdict = MAIL_MX_NXDOMAIN;
		plan_r->why = arena_printf(a, "the domain %s does not exist",
			domain);
		return plan_r->why != NULL ? 0 :
			error_set(err, ERROR_LIMIT, "out of memory");
	case DNS_STATUS_NODATA:
		/* RFC 5321 §5.1: no MX, so the domain is its own MX. */
		plan_r->hosts = arena_alloc(a, sizeof(*plan_r->hosts));
		if (plan_r->hosts == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		if (str_copy(plan_r->hosts[0].name, sizeof(plan_r->hosts[0].name),
			    domain) < 0)
			return error_set(err, ERROR_INVALID,
				"the domain name is too long");
		str_lower_inplace(plan_r->hosts[0].name);
		size_t n = strlen(plan_r->hosts[0].name);
		if (n > 1 && plan_r->hosts[0].name[n - 1] == '.')
			plan_r->hosts[0].name[n - 1] = '\0';
		plan_r->count = 1;
		plan_r->implicit = true;
		plan_r->verdict = MAIL_MX_HOSTS;
		return 0;
	case DNS_STATUS_OK:
		break;
	}
	if (mx->null_mx || mx->count == 0) {
		plan_r->verdict = MAIL_MX_NULL;
		plan_r->why = arena_printf(a, "the domain %s accepts no mail "
			"(its MX record is \"0 .\", RFC 7505)", domain);
		return plan_r->why != NULL ? 0 :
			error_set(err, ERROR_LIMIT, "out of memory");
	}
	plan_r->hosts = arena_alloc(a, mx->count * sizeof(*plan_r->hosts));
	if (plan_r->hosts == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	for (size_t i = 0; i < mx->count; i++) {
		plan_r->hosts[i].preference = mx->mx[i].preference;
		memcpy(plan_r->hosts[i].name, mx->mx[i].host,
			sizeof(plan_r->hosts[i].name));
	}
	plan_r->count = mx->count;
	shuffle_equal(plan_r->hosts, plan_r->count, seed);
	plan_r->verdict = MAIL_MX_HOSTS;
	return 0;
}

int
mail_dns_mx_plan(struct dns_resolver *r, const char *domain, uint64_t seed,
	struct arena *a, struct mail_mx_plan *plan_r, struct error *err)
{
	struct dns_answer mx;
	if (dns_lookup(r, domain, DNS_TYPE_MX, a, &mx, err) < 0)
		return -1;
	return mail_mx_plan_from(&mx, domain, seed, a, plan_r, err);
}
