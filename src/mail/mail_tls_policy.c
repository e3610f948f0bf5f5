/*
 * The outbound TLS decision per MX host (MTA-STS, DANE, secure domains)
 * and the TLS-RPT result of an attempt under it. Layer: domain. Pure.
 * RFC 8461 §4-5, RFC 7672 §2.2, RFC 8460 §4.3.
 */
#include "mail_tls_policy.h"

#include <string.h>

#include "core/dns.h"
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
