/*
 * SPF's check_host() (RFC 7208 §4-§6): the record looked up, its terms
 * evaluated left to right through the lookup interface, with the limits
 * of §4.6.4 (10 DNS terms, 2 void lookups, 10 MX or PTR names). Layer:
 * domain. The DNS comes through struct mail_auth_dns, so tests give zones.
 */
#include "mail/mail_spf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/cidr.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_secure.h"

struct eval {
	const struct mail_auth_dns *dns;
	struct arena *a;
	struct error *err;
	int family;		/* AF_INET or AF_INET6, after unmapping */
	uint8_t ip[16];
	const char *ip_text;	/* as macros show it: IPv4 when mapped */
	const char *sender;
	const char *helo;
	int dns_terms;
	int void_lookups;
	bool ptr_done;		/* validated names looked up */
	const char **validated;	/* names whose address is the client's */
	size_t validated_count;
	/* The decision, once made. */
	const char *why;
	const char *mechanism;
};

/* What a step gives: go on, a result decided, or a hard failure. */
enum step {
	STEP_ON,
	STEP_DONE,
	STEP_FAIL = -1,
};

static enum step
decide(struct eval *e, enum mail_spf_result *r, enum mail_spf_result v,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum step
decide(struct eval *e, enum mail_spf_result *r, enum mail_spf_result v,
	const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *why = arena_vprintf(e->a, fmt, ap);
	va_end(ap);
	*r = v;
	e->why = why != NULL ? why : "";
	return STEP_DONE;
}

/* §4.3: a name SPF can check: valid, several labels, a real top label. */
static bool
domain_usable(const char *d)
{
	if (!dns_name_is_valid(d))
		return false;
	const char *dot = strrchr(d, '.');
	if (dot == NULL || dot[1] == '\0')
		return false;
	bool alpha = false;
	for (const char *p = dot + 1; *p != '\0'; p++)
		alpha |= str_is_ascii_alpha(*p) || *p == '-';
	return alpha;
}

/*
 * One lookup. A name the DNS cannot hold is treated as one that does not
 * exist. A void answer counts toward the limit of two; past it, PERMERROR.
 * A DNS failure is TEMPERROR unless soft (ptr's lookups, §5.5), when it
 * reads as an empty answer.
 */
static enum step
lookup(struct eval *e, const char *name, enum dns_type type, bool soft,
	struct dns_answer *ans, enum mail_spf_result *r)
{
	memset(ans, 0, sizeof(*ans));
	ans->type = type;
	ans->why = "";
	if (!dns_name_is_valid(name)) {
		ans->status = DNS_STATUS_NXDOMAIN;
	} else if (e->dns->lookup(e->dns->arg, name, type, e->a, ans,
			   e->err) < 0) {
		if (e->err->code != ERROR_INVALID)
			return STEP_FAIL;
		ans->status = DNS_STATUS_NXDOMAIN;
	}
	if (ans->status == DNS_STATUS_TEMPFAIL) {
		if (soft) {
			ans->count = 0;
			return STEP_ON;
		}
		return decide(e, r, MAIL_SPF_TEMPERROR,
			"the DNS lookup of %s %s failed: %s",
			dns_type_name(type), name, ans->why);
	}
	if (ans->status == DNS_STATUS_NODATA ||
	    ans->status == DNS_STATUS_NXDOMAIN) {
		ans->count = 0;
		if (++e->void_lookups > MAIL_SPF_VOID_MAX)
			return decide(e, r, MAIL_SPF_PERMERROR,
				"more than %d DNS lookups found nothing "
				"(the last: %s %s; RFC 7208 §4.6.4)",
				MAIL_SPF_VOID_MAX, dns_type_name(type), name);
	}
	return STEP_ON;
}

/* §4.6.4: at most 10 terms that ask the DNS, per check_host in all. */
static enum step
count_dns_term(struct eval *e, const char *text, enum mail_spf_result *r)
{
	if (++e->dns_terms > MAIL_SPF_DNS_TERMS_MAX)
		return decide(e, r, MAIL_SPF_PERMERROR,
			"more than %d terms ask the DNS (at \"%s\"; RFC 7208 "
			"§4.6.4)", MAIL_SPF_DNS_TERMS_MAX, text);
	return STEP_ON;
}

/* Whether an A or AAAA answer holds the client, within the prefix. */
static bool
answer_holds(const struct eval *e, const struct dns_answer *ans, int cidr4,
	int cidr6)
{
	for (size_t i = 0; i < ans->count; i++) {
		if (ans->addr[i].family != e->family)
			continue;
		if (cidr_prefix_equal(e->ip, ans->addr[i].bytes,
			    e->family == AF_INET ? cidr4 : cidr6))
			return true;
	}
	return false;
}

static enum dns_type
addr_type(const struct eval *e)
{
	return e->family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
}

/*
 * §5.5: the names of the client's PTR records (the first 10) whose own
 * addresses include the client. Errors along the way only shorten the
 * list.
 */
static enum step
validated_names(struct eval *e, enum mail_spf_result *r)
{
	if (e->ptr_done)
		return STEP_ON;
	e->ptr_done = true;
	/* The reverse name is the client's address as %{i} writes it. */
	struct mail_spf_macro_input in = { e->sender, "", e->ip_text, e->helo,
		NULL };
	char *rev;
	if (mail_spf_expand("%{ir}.%{v}.arpa", &in, false, e->a, &rev,
		    e->err) < 0)
		return STEP_FAIL;
	struct dns_answer ptr;
	enum step s = lookup(e, rev, DNS_TYPE_PTR, true, &ptr, r);
	if (s != STEP_ON)
		return s;
	size_t count = ptr.count < MAIL_SPF_NAMES_MAX ? ptr.count :
		MAIL_SPF_NAMES_MAX;
	e->validated = arena_alloc(e->a, (count + 1) * sizeof(char *));
	if (e->validated == NULL)
		return error_set(e->err, ERROR_LIMIT, "out of memory for SPF");
	for (size_t i = 0; i < count; i++) {
		struct dns_answer addrs;
		const char *host = arena_strdup(e->a, ptr.ptr[i].host);
		if (host == NULL)
			return error_set(e->err, ERROR_LIMIT,
				"out of memory for SPF");
		s = lookup(e, host, addr_type(e), true, &addrs, r);
		if (s != STEP_ON)
			return s;
		if (answer_holds(e, &addrs, 32, 128))
			e->validated[e->validated_count++] = host;
	}
	return STEP_ON;
}

/*
 * Expands a domain-spec for current domain d. A macro the record's syntax
 * let through cannot fail here but by size, which is PERMERROR.
 */
static enum step
target(struct eval *e, const char *spec, const char *d, const char **out_r,
	enum mail_spf_result *r)
{
	if (spec == NULL) {
		*out_r = d;
		return STEP_ON;
	}
	const char *validated = NULL;
	if (mail_spf_needs_ptr(spec)) {
		enum step s = validated_names(e, r);
		if (s != STEP_ON)
			return s;
		/* §7.3: the domain itself, else a name under it, else any. */
		for (size_t i = 0; i < e->validated_count; i++) {
			const char *v = e->validated[i];
			if (validated == NULL || (mail_domain_is_under(v, d) &&
				    !mail_domain_is_under(validated, d)))
				validated = v;
			if (strcasecmp(v, d) == 0) {
				validated = v;
				break;
			}
		}
	}
	struct mail_spf_macro_input in = { e->sender, d, e->ip_text, e->helo,
		validated };
	char *out;
	struct error xerr;
	if (mail_spf_expand(spec, &in, true, e->a, &out, &xerr) < 0)
		return decide(e, r, MAIL_SPF_PERMERROR, "%s", xerr.msg);
	*out_r = out;
	return STEP_ON;
}

static enum step check_host(struct eval *e, const char *d, int depth,
	enum mail_spf_result *r);

/* Evaluates one term: STEP_DONE with *matched set, or a result decided. */
static enum step
term_matches(struct eval *e, const struct mail_spf_term *t, const char *d,
	int depth, bool *matched, enum mail_spf_result *r)
{
	struct dns_answer ans;
	const char *name;
	enum step s;
	*matched = false;
	switch (t->mechanism) {
	case MAIL_SPF_ALL:
		*matched = true;
		return STEP_ON;
	case MAIL_SPF_IP4:
	case MAIL_SPF_IP6:
		if ((t->mechanism == MAIL_SPF_IP4) != (e->family == AF_INET))
			return STEP_ON;
		*matched = cidr_prefix_equal(e->ip, t->net,
			t->mechanism == MAIL_SPF_IP4 ? t->cidr4 : t->cidr6);
		return STEP_ON;
	default:
		break;
	}
	if ((s = count_dns_term(e, t->text, r)) != STEP_ON ||
	    (s = target(e, t->domain_spec, d, &name, r)) != STEP_ON)
		return s;
	switch (t->mechanism) {
	case MAIL_SPF_INCLUDE: {
		/* §5.2: pass matches; fail, softfail, neutral do not. */
		enum mail_spf_result inner;
		if ((s = check_host(e, name, depth + 1, &inner)) == STEP_FAIL)
			return s;
		switch (inner) {
		case MAIL_SPF_PASS:
			*matched = true;
			return STEP_ON;
		case MAIL_SPF_FAIL:
		case MAIL_SPF_SOFTFAIL:
		case MAIL_SPF_NEUTRAL:
			return STEP_ON;
		case MAIL_SPF_NONE:
			return decide(e, r, MAIL_SPF_PERMERROR,
				"include:%s names a domain with no SPF record",
				name);
		case MAIL_SPF_TEMPERROR:
		case MAIL_SPF_PERMERROR:
			*r = inner;	/* e->why says why, from inside */
			return STEP_DONE;
		}
		return STEP_ON;
	}
	case MAIL_SPF_A:
		if ((s = lookup(e, name, addr_type(e), false, &ans, r)) !=
		    STEP_ON)
			return s;
		*matched = answer_holds(e, &ans, t->cidr4, t->cidr6);
		return STEP_ON;
	case MAIL_SPF_MX:
		if ((s = lookup(e, name, DNS_TYPE_MX, false, &ans, r)) !=
		    STEP_ON)
			return s;
		if (ans.count > MAIL_SPF_NAMES_MAX)
			return decide(e, r, MAIL_SPF_PERMERROR,
				"%s has %zu MX records, more than the %d "
				"\"mx\" may look up (RFC 7208 §4.6.4)", name,
				ans.count, MAIL_SPF_NAMES_MAX);
		for (size_t i = 0; i < ans.count && !*matched; i++) {
			struct dns_answer addrs;
			if ((s = lookup(e, ans.mx[i].host, addr_type(e), false,
				     &addrs, r)) != STEP_ON)
				return s;
			*matched = answer_holds(e, &addrs, t->cidr4, t->cidr6);
		}
		return STEP_ON;
	case MAIL_SPF_PTR:
		if ((s = validated_names(e, r)) != STEP_ON)
			return s;
		for (size_t i = 0; i < e->validated_count && !*matched; i++)
			*matched = mail_domain_is_under(e->validated[i], name);
		return STEP_ON;
	case MAIL_SPF_EXISTS:
		/* §5.7: an A query whatever the client's family. */
		if ((s = lookup(e, name, DNS_TYPE_A, false, &ans, r)) !=
		    STEP_ON)
			return s;
		*matched = ans.count > 0;
		return STEP_ON;
	default:
		return STEP_ON;
	}
}

/* §4.4, §4.5: the one SPF record of d, parsed; or a result. */
static enum step
record_of(struct eval *e, const char *d, struct mail_spf_record *rec,
	enum mail_spf_result *r)
{
	struct dns_answer ans;
	enum step s = lookup(e, d, DNS_TYPE_TXT, false, &ans, r);
	if (s != STEP_ON)
		return s;
	const struct dns_txt *found = NULL;
	for (size_t i = 0; i < ans.count; i++) {
		struct span text = span_make(ans.txt[i].text, ans.txt[i].len);
		if (!mail_spf_is_record(text))
			continue;
		if (found != NULL)
			return decide(e, r, MAIL_SPF_PERMERROR,
				"%s publishes more than one SPF record "
				"(RFC 7208 §4.5)", d);
		found = &ans.txt[i];
	}
	if (found == NULL)
		return decide(e, r, MAIL_SPF_NONE,
			"%s publishes no SPF record", d);
	struct error perr;
	if (mail_spf_record_parse(span_make(found->text, found->len), e->a,
		    rec, &perr) < 0)
		return decide(e, r, MAIL_SPF_PERMERROR,
			"the SPF record of %s is not valid: %s", d, perr.msg);
	return STEP_ON;
}

static enum step
check_host(struct eval *e, const char *d, int depth, enum mail_spf_result *r)
{
	if (!domain_usable(d))
		return decide(e, r, MAIL_SPF_NONE,
			"\"%s\" is not a domain name SPF can check", d);
	struct mail_spf_record rec;
	enum step s = record_of(e, d, &rec, r);
	if (s != STEP_ON)
		return s;
	for (size_t i = 0; i < rec.count; i++) {
		bool matched;
		s = term_matches(e, &rec.terms[i], d, depth, &matched, r);
		if (s != STEP_ON)
			return s;
		if (matched) {
			e->mechanism = rec.terms[i].text;
			return decide(e, r, rec.terms[i].qualifier,
				"%s matched \"%s\" in the SPF record of %s",
				e->ip_text, rec.terms[i].text, d);
		}
	}
	if (rec.redirect != NULL) {
		/* §6.1: as if the target's record were this one. */
		const char *name;
		if ((s = count_dns_term(e, "redirect", r)) != STEP_ON ||
		    (s = target(e, rec.redirect, d, &name, r)) != STEP_ON ||
		    (s = check_host(e, name, depth + 1, r)) != STEP_ON)
			return s == STEP_DONE && *r == MAIL_SPF_NONE ?
				decide(e, r, MAIL_SPF_PERMERROR,
					"redirect=%s names a domain with no "
					"SPF record", rec.redirect) : s;
		return STEP_DONE;
	}
	e->mechanism = NULL;
	return decide(e, r, MAIL_SPF_NEUTRAL,
		"no term of the SPF record of %s matched %s", d, e->ip_text);
}

int
mail_spf_check_host(const struct mail_auth_dns *dns,
	const struct mail_spf_input *in, struct arena *a,
	struct mail_spf_outcome *out_r, struct error *err)
{
	memset(out_r, 0, sizeof(*out_r));
	struct eval e = { .dns = dns, .a = a, .err = err, .sender =
		in->sender, .helo = in->helo != NULL ? in->helo : "" };
	/* §4.3: a sender with no local-part is postmaster at the domain. */
	const char *at = e.sender != NULL ? strrchr(e.sender, '@') : NULL;
	if (at == NULL || at == e.sender)
		e.sender = arena_printf(a, "postmaster@%s", in->domain);
	if (e.sender == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for SPF");
	uint8_t addr[16];
	bool v4;
	char *v4_text = arena_alloc(a, INET_ADDRSTRLEN);
	if (v4_text == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for SPF");
	if (!cidr_ip_parse(in->ip, addr, &v4))
		return error_set_field(err, ERROR_INVALID, "ip",
			"\"%s\" is not an IPv4 or IPv6 address", in->ip);
	/* §5: an IPv4-mapped address keeps IPv4's semantics. */
	e.family = v4 ? AF_INET : AF_INET6;
	memcpy(e.ip, addr + (v4 ? 12 : 0), v4 ? 4 : 16);
	e.ip_text = v4 ? inet_ntop(AF_INET, e.ip, v4_text, INET_ADDRSTRLEN) :
		in->ip;
	enum mail_spf_result r = MAIL_SPF_NONE;
	/*
	 * The domain as domains are compared; one that will not normalise,
	 * or that holds an '@' (normalising would cut it there), is left as
	 * it is for check_host to refuse.
	 */
	char buf[MAIL_SECURE_DOMAIN_SIZE];
	struct error nerr;
	const char *domain = in->domain;
	if (strchr(domain, '@') == NULL &&
	    mail_domain_normalise(domain, buf, sizeof(buf), &nerr) == 0)
		domain = buf;
	if (check_host(&e, domain, 0, &r) == STEP_FAIL)
		return -1;
	out_r->result = r;
	out_r->why = e.why != NULL ? e.why : "";
	bool matched = r == MAIL_SPF_PASS || r == MAIL_SPF_FAIL ||
		r == MAIL_SPF_SOFTFAIL || r == MAIL_SPF_NEUTRAL;
	out_r->mechanism = matched && e.mechanism != NULL ? e.mechanism : "";
	out_r->dns_terms = e.dns_terms;
	out_r->void_lookups = e.void_lookups;
	return 0;
}

int
mail_spf_check(const struct mail_auth_dns *dns, const char *ip,
	const char *helo, const char *mail_from, struct arena *a,
	struct mail_spf_outcome *out_r, const char **identity_r,
	bool *helo_r, struct error *err)
{
	const char *from = mail_from != NULL ? mail_from : "";
	if (from[0] == '<') {
		size_t n = strlen(from);
		from = arena_strndup(a, from + 1, n > 1 && from[n - 1] == '>' ?
			n - 2 : n - 1);
		if (from == NULL)
			return error_set(err, ERROR_LIMIT,
				"out of memory for SPF");
	}
	const char *at = strrchr(from, '@');
	/* mail_spf_check_host makes postmaster@domain of a bare domain. */
	struct mail_spf_input in = { ip, NULL, from, helo != NULL ? helo :
		"" };
	*helo_r = from[0] == '\0';
	if (*helo_r)
		in.domain = in.helo;	/* §2.4: <> is checked as the HELO */
	else
		in.domain = at != NULL ? at + 1 : from;	/* §4.3 */
	*identity_r = in.domain;
	return mail_spf_check_host(dns, &in, a, out_r, err);
}
