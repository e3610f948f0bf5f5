/*
 * The outbound TLS decision per MX host (MTA-STS, DANE, secure domains)
 * and the TLS-RPT result of an attempt under it, recorded. Layer: domain.
 * Pure but for mail_tls_record.
 * RFC 8461 §4-5, RFC 7672 §2.2, RFC 8460 §4.3.
 */
#include "mail_tls_policy.h"

#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/str.h"
#include "mail/mail_dane.h"
#include "mail/mail_mta_sts.h"

const char *
mail_tls_need_name(enum mail_tls_need need)
{
	switch (need) {
	case MAIL_TLS_NEED_OPPORTUNISTIC:
		return "opportunistic";
	case MAIL_TLS_NEED_PKIX:
		return "pkix";
	case MAIL_TLS_NEED_DANE:
		return "dane";
	case MAIL_TLS_NEED_ENCRYPTED:
		return "encrypted";
	case MAIL_TLS_NEED_SKIP:
		return "skip";
	}
	return "skip";
}

static void
set(struct mail_tls_requirement *r, enum mail_tls_need need,
	enum mail_tlsrpt_policy policy, const char *why)
{
	r->need = need;
	r->report_policy = policy;
	r->why = why;
	r->client_tls = need == MAIL_TLS_NEED_OPPORTUNISTIC ?
		MAIL_SMTP_TLS_OPPORTUNISTIC : MAIL_SMTP_TLS_REQUIRED;
	r->failure_defers = need != MAIL_TLS_NEED_OPPORTUNISTIC;
}

void
mail_tls_requirement(const struct mail_tls_facts *f,
	struct mail_tls_requirement *r)
{
	memset(r, 0, sizeof(*r));
	const struct mail_mta_sts_policy *sts = f->sts;
	enum mail_mta_sts_mode mode = sts != NULL ? sts->mode :
		MAIL_MTA_STS_MODE_NONE;
	enum mail_tlsrpt_policy sts_policy = sts != NULL ?
		MAIL_TLSRPT_POLICY_STS : MAIL_TLSRPT_POLICY_NONE;
	const struct dns_answer *t = f->tlsa;
	if (t != NULL && (t->status == DNS_STATUS_TEMPFAIL ||
		    t->security == DNS_SECURITY_BOGUS)) {
		set(r, MAIL_TLS_NEED_SKIP, MAIL_TLSRPT_POLICY_TLSA,
			"the TLSA lookup failed, so whether DANE applies "
			"is unknown (RFC 7672 §2.2)");
		r->failure_defers = true;
		r->skip_result = MAIL_TLSRPT_DNSSEC_INVALID;
		return;
	}
	if (t != NULL && t->status == DNS_STATUS_OK &&
	    t->security == DNS_SECURITY_SECURE && t->count > 0) {
		if (mail_dane_usable_count(t->tlsa, t->count) > 0) {
			set(r, MAIL_TLS_NEED_DANE, MAIL_TLSRPT_POLICY_TLSA,
				"the MX host publishes DNSSEC-signed TLSA "
				"records (DANE, RFC 7672)");
			return;
		}
		if (!f->secure_domain) {
			set(r, MAIL_TLS_NEED_ENCRYPTED,
				MAIL_TLSRPT_POLICY_TLSA, "the MX host's "
				"TLSA records are signed but none is usable: "
				"encrypted, unauthenticated (RFC 7672 §2.2)");
			return;
		}
	}
	if (mode == MAIL_MTA_STS_MODE_ENFORCE) {
		if (!mail_mta_sts_mx_matches(sts, f->mx_host)) {
			set(r, MAIL_TLS_NEED_SKIP, sts_policy, "the MTA-STS "
				"policy (enforce) does not name this MX host "
				"(RFC 8461 §4.1)");
			r->skip_result = MAIL_TLSRPT_VALIDATION_FAILURE;
			return;
		}
		set(r, MAIL_TLS_NEED_PKIX, sts_policy, "the MTA-STS policy is "
			"enforce: a valid certificate for the MX host");
		return;
	}
	if (f->secure_domain) {
		set(r, MAIL_TLS_NEED_PKIX, sts_policy, "a secure domain: "
			"never in clear, a valid certificate for the MX host");
		r->sts_testing = mode == MAIL_MTA_STS_MODE_TESTING;
		return;
	}
	if (mode == MAIL_MTA_STS_MODE_TESTING) {
		set(r, MAIL_TLS_NEED_OPPORTUNISTIC, sts_policy, "the MTA-STS "
			"policy is testing: checked and reported, delivered "
			"anyway");
		r->sts_testing = true;
		return;
	}
	set(r, MAIL_TLS_NEED_OPPORTUNISTIC, sts_policy, sts != NULL ?
		"the MTA-STS policy is none: opportunistic TLS" :
		"no policy asks for TLS: opportunistic TLS (RFC 7435)");
}

static enum mail_tlsrpt_result
from_failure(enum mail_smtp_tls_failure f)
{
	switch (f) {
	case MAIL_SMTP_TLS_OK:
		return MAIL_TLSRPT_SUCCESS;
	case MAIL_SMTP_TLS_NOT_OFFERED:
		return MAIL_TLSRPT_STARTTLS_NOT_SUPPORTED;
	case MAIL_SMTP_TLS_HANDSHAKE:
		return MAIL_TLSRPT_VALIDATION_FAILURE;
	case MAIL_SMTP_TLS_CERT_NAME:
		return MAIL_TLSRPT_CERTIFICATE_HOST_MISMATCH;
	case MAIL_SMTP_TLS_CERT_EXPIRED:
		return MAIL_TLSRPT_CERTIFICATE_EXPIRED;
	case MAIL_SMTP_TLS_CERT_UNTRUSTED:
		return MAIL_TLSRPT_CERTIFICATE_NOT_TRUSTED;
	case MAIL_SMTP_TLS_DANE_MISMATCH:
		return MAIL_TLSRPT_TLSA_INVALID;
	}
	return MAIL_TLSRPT_VALIDATION_FAILURE;
}

bool
mail_tls_result(const struct mail_tls_requirement *r,
	const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info, bool mx_listed,
	enum mail_tlsrpt_result *result_r)
{
	*result_r = MAIL_TLSRPT_SUCCESS;
	if (r->need == MAIL_TLS_NEED_SKIP) {
		*result_r = r->skip_result;
		return true;
	}
	if (failed != NULL) {
		/* Only a failure of TLS itself is a TLS session's result. */
		if (failed->tls_failure == MAIL_SMTP_TLS_OK)
			return false;
		*result_r = from_failure(failed->tls_failure);
		return true;
	}
	if (info == NULL)
		return false;
	if (r->sts_testing && !mx_listed)
		*result_r = MAIL_TLSRPT_VALIDATION_FAILURE;
	else if (!info->tls)
		*result_r = info->tls_fallback ?
			MAIL_TLSRPT_VALIDATION_FAILURE :
			MAIL_TLSRPT_STARTTLS_NOT_SUPPORTED;
	else if (r->sts_testing)
		*result_r = from_failure(info->tls_failure);
	/* Required TLS that connected met its check; none asked for more. */
	return true;
}

const char *
mail_tls_reason(const struct mail_tls_requirement *r,
	const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info)
{
	if (r->need == MAIL_TLS_NEED_SKIP)
		return r->why;
	if (failed != NULL)
		return failed->why;
	return info != NULL ? info->tls_verify_error : "";
}

int
mail_tls_accept_any(void *data, const struct span *chain, size_t chain_count,
	char *why, size_t why_size)
{
	(void)data;
	(void)chain;
	(void)chain_count;
	if (why_size > 0)
		why[0] = '\0';
	return 0;
}

void
mail_tls_apply(const struct mail_tls_requirement *r, struct mail_dane *dane,
	struct mail_smtp_options *o)
{
	o->tls = r->client_tls;
	o->tls_verify = NULL;
	o->tls_verify_data = NULL;
	if (r->need == MAIL_TLS_NEED_DANE) {
		o->tls_verify = mail_dane_tls_verify;
		o->tls_verify_data = dane;
	} else if (r->need == MAIL_TLS_NEED_ENCRYPTED) {
		o->tls_verify = mail_tls_accept_any;
	}
}

/* The TLSA records in presentation form, one a line, for TLS-RPT. */
static const char *
tlsa_text(const struct dns_answer *ans, const char *mx, struct arena *a)
{
	struct str s;
	str_init(&s, a, 64 * 1024);
	str_append_cstr(&s, "");
	for (size_t i = 0; ans != NULL && i < ans->count; i++) {
		const struct dns_tlsa *t = &ans->tlsa[i];
		str_appendf(&s, "_25._tcp.%s. IN TLSA %u %u %u ", mx, t->usage,
			t->selector, t->matching_type);
		for (size_t j = 0; j < t->len; j++)
			str_appendf(&s, "%02x", t->data[j]);
		str_append_char(&s, '\n');
	}
	return str_cstr(&s);
}

int
mail_tls_record(struct store *st, const struct mail_tls_session *s,
	enum mail_tlsrpt_policy policy, enum mail_tlsrpt_result result,
	const char *reason, struct arena *a, struct error *err)
{
	const struct mail_mta_sts_state *sts = s->sts;
	bool have_sts = sts != NULL && sts->has_policy;
	struct str mx;
	str_init(&mx, a, 64 * 1024);
	str_append_cstr(&mx, "");
	for (size_t i = 0; have_sts && i < sts->policy.mx_count; i++)
		str_appendf(&mx, "%s\n", sts->policy.mx[i]);
	/* "192.0.2.1:25" or "[2001:db8::1]:25": the address alone. */
	char ip[72] = "";
	const char *peer = s->peer;
	if (peer != NULL) {
		str_copy(ip, sizeof(ip), peer[0] == '[' ? peer + 1 : peer);
		char *end = strrchr(ip, peer[0] == '[' ? ']' : ':');
		if (end != NULL)
			*end = '\0';
	}
	const char *text = "";
	if (policy == MAIL_TLSRPT_POLICY_STS && have_sts)
		text = sts->text;
	else if (policy == MAIL_TLSRPT_POLICY_TLSA)
		text = tlsa_text(s->tlsa, s->mx_host, a);
	struct mail_tlsrpt_event e = {
		.now = s->now,
		.policy_domain = s->policy_domain,
		.policy = policy,
		.policy_string = text,
		.mx_host = str_cstr(&mx),
		.result = result,
		.receiving_mx = s->mx_host,
		.receiving_ip = ip,
		.reason = reason,
	};
	return mail_tlsrpt_record(st, &e, err);
}

int
mail_tls_record_sts_failure(struct store *st,
	const struct mail_tls_session *s, struct arena *a, struct error *err)
{
	enum mail_tlsrpt_result r;
	if (s->sts == NULL || s->sts->failure[0] == '\0' ||
	    !mail_tlsrpt_result_parse(s->sts->failure, &r))
		return 0;
	struct mail_tls_session only = { .now = s->now,
		.policy_domain = s->policy_domain, .mx_host = s->mx_host };
	return mail_tls_record(st, &only, MAIL_TLSRPT_POLICY_STS, r,
		s->sts->why, a, err);
}
