/*
 * Sender authentication on arrival: the checks within a time budget, what
 * they prove of a hosted claim, and the Authentication-Results field put
 * in. Layer: domain. RFC 7208, 6376, 7489 (through mail_authres), RFC
 * 8601 §5 (our authserv-id is ours alone).
 */
#include "mail/mail_sender_auth.h"

#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/dns.h"
#include "core/error.h"
#include "mail/mail.h"
#include "mail/mail_dmarc.h"
#include "mail/mail_mime.h"

int
mail_sender_auth_init(const struct config *c, struct mail_sender_auth *sa,
	struct error *err)
{
	*sa = (struct mail_sender_auth){
		.budget_ms = (int)config_get_int(c, "mail.sender_auth_budget_ms") };
	mail_hostname(c, sa->authserv_id, sizeof(sa->authserv_id));
	if (!config_get_bool(c, "mail.sender_auth"))
		return 0;
	int timeout = (int)config_get_int(c, "dns.timeout_ms");
	struct dns_options o = {
		.servers = config_get_str(c, "dns.servers"),
		.trust_anchor = config_get_str(c, "dns.trust_anchor"),
		/* One slow lookup must not outlast the whole budget. */
		.timeout_ms = timeout < sa->budget_ms ? timeout : sa->budget_ms,
	};
	sa->resolver = dns_resolver_new(&o, err);
	return sa->resolver != NULL ? 0 : -1;
}

void
mail_sender_auth_free(struct mail_sender_auth *sa)
{
	dns_resolver_free(&sa->resolver);
}

struct budget {
	struct dns_resolver *resolver;
	int64_t deadline_ms;	/* clock_monotonic_ms */
};

/* dns_lookup until the budget is spent, then "try again later". */
static int
budget_lookup(void *arg, const char *name, enum dns_type type,
	struct arena *a, struct dns_answer *answer_r, struct error *err)
{
	const struct budget *b = arg;
	if (clock_monotonic_ms() < b->deadline_ms)
		return dns_lookup(b->resolver, name, type, a, answer_r, err);
	*answer_r = (struct dns_answer){ .type = type,
		.status = DNS_STATUS_TEMPFAIL, .canonical = name,
		.why = "the time allowed for checking the sender ran out" };
	return 0;
}

bool
mail_sender_auth_check(const struct mail_sender_auth *sa,
	const struct mail_auth_input *in, struct arena *a,
	struct mail_auth_report *report_r, struct error *err)
{
	if (sa->resolver == NULL) {
		error_set(err, ERROR_INVALID, "sender authentication is off");
		return false;
	}
	struct budget b = { sa->resolver,
		clock_monotonic_ms() + sa->budget_ms };
	struct mail_auth_dns dns = { budget_lookup, &b };
	struct mail_auth_report report;
	if (mail_auth_check(&dns, in, a, &report, err) < 0)
		return false;
	*report_r = report;
	return true;
}

bool
mail_sender_auth_proves(const struct mail_auth_report *report,
	bool from_claim, const char *from_domain)
{
	if (!from_claim)
		return report->spf.result == MAIL_SPF_PASS;
	if (from_domain == NULL)
		return false;
	for (size_t i = 0; i < report->dkim_count; i++)
		if (report->dkim[i].verdict == MAIL_DKIM_PASS &&
		    mail_dmarc_aligned(report->dkim[i].domain, from_domain,
			    false))
			return true;
	return false;
}

/*
 * The authserv-id an Authentication-Results value starts with (RFC 8601
 * §2.2: after any blanks and comments, up to a blank, ';' or comment),
 * compared with ours in any case. Comments are skipped as the MIME parser
 * skips them, quoted pairs and all, so "(\) x) ours" claims to be ours as
 * a reader of the field sees it.
 */
static bool
claims_to_be(struct span value, const char *authserv_id)
{
	const char *end = value.p + value.len;
	const char *p = mail_mime_skip_cfws(value.p, end);
	const char *id = p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r' &&
	       *p != '\n' && *p != ';' && *p != '(')
		p++;
	return span_eq_nocase(span_make(id, (size_t)(p - id)), authserv_id);
}

int
mail_sender_auth_stamp(const struct mail_sender_auth *sa,
	const char *field, const char *data, size_t size, size_t header_at,
	struct arena *a, struct span *out_r, struct error *err)
{
	size_t field_len = strlen(field);
	char *out = arena_alloc(a, size + field_len + 1);
	if (out == NULL)
		return error_set(err, ERROR_LIMIT,
			"no memory to add the Authentication-Results field");
	size_t n = 0;
	memcpy(out, data, header_at);
	n += header_at;
	memcpy(out + n, field, field_len);
	n += field_len;
	struct span header = span_make(data + header_at, size - header_at);
	struct span name, value;
	const char *kept = header.p;
	for (;;) {
		const char *at = header.p;
		if (!mail_mime_field_next(&header, &name, &value))
			break;
		if (span_eq_nocase(span_trim(name), "Authentication-Results") &&
		    claims_to_be(value, sa->authserv_id)) {
			memcpy(out + n, kept, (size_t)(at - kept));
			n += (size_t)(at - kept);
			kept = header.p;
		}
	}
	size_t rest = (size_t)(data + size - kept);
	memcpy(out + n, kept, rest);
	n += rest;
	*out_r = span_make(out, n);
	return 0;
}
