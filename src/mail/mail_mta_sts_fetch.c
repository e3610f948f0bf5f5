/*
 * MTA-STS policy discovery (RFC 8461 §3.3, §5.1): the TXT record's id, the
 * policy fetched over verified HTTPS when the id is new, and the cache in
 * the store that keeps a policy for its max_age. Layer: domain.
 * SECURITY: SECURITY.md 5; no redirect, no clear HTTP, bounded body.
 */
#include "mail_mta_sts.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/https.h"
#include "core/log.h"
#include "core/str.h"
#include "store/store_tls.h"

void
mail_mta_sts_fetch_from_config(const struct config *c,
	struct mail_mta_sts_fetch *f)
{
	f->ca_file = config_get_str(c, "outbound.mta_sts_ca_file");
	f->timeout_ms = (int)config_get_int(c,
		"outbound.mta_sts_fetch_timeout_s") * 1000;
	f->connect_to = config_get_str(c, "outbound.mta_sts_connect_to");
}

int
mail_mta_sts_fetch_policy(const char *domain,
	const struct mail_mta_sts_fetch *f, struct arena *a,
	struct span *body_r, bool *webpki_r, struct error *err)
{
	char url[300];
	int n = snprintf(url, sizeof(url),
		"https://mta-sts.%s/.well-known/mta-sts.txt", domain);
	if (n < 0 || (size_t)n >= sizeof(url))
		return error_set(err, ERROR_INVALID, "the domain is too long");
	struct https_get g = {
		.url = url,
		.ca_file = f->ca_file,
		.timeout_ms = f->timeout_ms,
		.max_bytes = MAIL_MTA_STS_POLICY_MAX,
		.content_type = "text/plain",
		.connect_to = f->connect_to,
	};
	return https_get(&g, a, body_r, webpki_r, err);
}

/* The cached policy, parsed, into state; false when none is in date. */
static bool
use_cache(const struct store_mta_sts *c, int64_t now, struct arena *a,
	struct mail_mta_sts_state *s)
{
	struct error e;
	if (c == NULL || c->expires_at <= now ||
	    mail_mta_sts_policy_parse(span_from_cstr(c->policy), a, &s->policy,
		    &e) < 0)
		return false;
	s->has_policy = true;
	s->from_cache = true;
	str_copy(s->id, sizeof(s->id), c->policy_id);
	s->text = c->policy;
	s->fetched_at = c->fetched_at;
	s->expires_at = c->expires_at;
	return true;
}

/* A failure for TLS-RPT; the cached policy, if in date, still applies. */
static void
failed(struct mail_mta_sts_state *s, const char *result, const char *why,
	const struct store_mta_sts *cached, int64_t now, struct arena *a)
{
	s->failure = result;
	str_copy(s->why, sizeof(s->why), why);
	use_cache(cached, now, a, s);
}

/* Fetches, parses and caches; fills s, or records why it could not. */
static int
fetch_and_store(struct store *st, const char *domain, const char *id,
	const struct mail_mta_sts_fetch *f, int64_t now, struct arena *a,
	const struct store_mta_sts *cached, struct mail_mta_sts_state *s,
	struct error *err)
{
	struct span body;
	bool webpki = false;
	struct error e;
	if (mail_mta_sts_fetch_policy(domain, f, a, &body, &webpki, &e) < 0) {
		log_info("mta_sts.fetch_fail", "domain=%s error=\"%s\"",
			domain, e.msg);
		failed(s, webpki ? "sts-webpki-invalid" :
			"sts-policy-fetch-error", e.msg, cached, now, a);
		return 0;
	}
	struct mail_mta_sts_policy p;
	if (mail_mta_sts_policy_parse(body, a, &p, &e) < 0) {
		log_info("mta_sts.invalid", "domain=%s error=\"%s\"", domain,
			e.msg);
		failed(s, "sts-policy-invalid", e.msg, cached, now, a);
		return 0;
	}
	s->has_policy = true;
	s->policy = p;
	str_copy(s->id, sizeof(s->id), id);
	s->text = body.p;
	s->fetched_at = now;
	s->expires_at = now + p.max_age;
	if (st == NULL)
		return 0;
	struct store_mta_sts row = {
		.domain = domain,
		.policy_id = id,
		.policy = body.p,
		.fetched_at = now,
		.expires_at = s->expires_at,
	};
	return store_mta_sts_put(st, &row, err);
}

int
mail_mta_sts_get(struct dns_resolver *r, struct store *st,
	const char *domain, const struct mail_mta_sts_fetch *f, int64_t now,
	struct arena *a, struct mail_mta_sts_state *s, struct error *err)
{
	memset(s, 0, sizeof(*s));
	s->failure = "";
	if (!dns_name_is_valid(domain))
		return error_set(err, ERROR_INVALID,
			"'%s' is not a domain name", domain);
	char *d = arena_strdup(a, domain);
	if (d == NULL)
		return error_set(err, ERROR_LIMIT, "the arena is full");
	str_lower_inplace(d);
	struct store_mta_sts cached_row, *cached = NULL;
	if (st != NULL) {
		struct error e;
		if (store_mta_sts_get(st, d, a, &cached_row, &e) == 0)
			cached = &cached_row;
		else if (e.code != ERROR_NOT_FOUND)
			return error_forward(err, &e);
	}
	char *name = arena_printf(a, "_mta-sts.%s", d);
	struct dns_answer txt;
	if (name == NULL || dns_lookup(r, name, DNS_TYPE_TXT, a, &txt,
		    err) < 0)
		return name == NULL ? error_set(err, ERROR_LIMIT,
			"the arena is full") : -1;
	if (txt.status == DNS_STATUS_TEMPFAIL) {
		/* RFC 8461 §5.1: no answer now; a cached policy stands. */
		char why[256];
		snprintf(why, sizeof(why), "the TXT lookup of %s failed: %s",
			name, txt.why);
		failed(s, "", why, cached, now, a);
		return 0;
	}
	char id[MAIL_MTA_STS_ID_MAX + 1];
	struct error e;
	if (txt.status != DNS_STATUS_OK ||
	    mail_mta_sts_txt_pick(&txt, id, &e) < 0) {
		/* No record (§3.1's "no policy"); a cached one stands (§5.1). */
		use_cache(cached, now, a, s);
		if (txt.status == DNS_STATUS_OK && e.code == ERROR_INVALID)
			str_copy(s->why, sizeof(s->why), e.msg);
		return 0;
	}
	if (cached != NULL && strcmp(cached->policy_id, id) == 0 &&
	    use_cache(cached, now, a, s))
		return 0;
	return fetch_and_store(st, d, id, f, now, a, cached, s, err);
}
