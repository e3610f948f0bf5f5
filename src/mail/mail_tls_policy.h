/*
 * What TLS outbound delivery needs for one MX host, from the destination's
 * MTA-STS policy, the MX host's TLSA answer and whether the destination is
 * a secure domain; and how a TLS failure counts then. Layer: domain. Pure.
 * RFC 8461 §4-5 (MTA-STS), RFC 7672 §2.2 (DANE), RFC 8460 (TLS-RPT).
 * mail_tls_record writes the attempt's result to the store's TLS-RPT
 * counts; everything else here is pure.
 * SECURITY: SECURITY.md 5, 6: required TLS never falls back to clear text.
 */
#ifndef MAIL_TLS_POLICY_H
#define MAIL_TLS_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "mail/mail_smtp_client.h"
#include "mail/mail_tlsrpt.h"

struct arena;
struct dns_answer;
struct error;
struct mail_mta_sts_policy;
struct mail_mta_sts_state;
struct store;

/* What the client must do with one MX host. */
enum mail_tls_need {
	/* STARTTLS when offered, any certificate, clear text as a last resort */
	MAIL_TLS_NEED_OPPORTUNISTIC = 0,
	/* TLS 1.2+, a chain to a trusted CA, the MX host's name (RFC 6125) */
	MAIL_TLS_NEED_PKIX,
	/* TLS 1.2+, the chain matched by the TLSA records (RFC 7672 §3) */
	MAIL_TLS_NEED_DANE,
	/*
	 * TLS 1.2+ without authentication: secure TLSA records, none of them
	 * usable (RFC 7672 §2.2: encrypted, never in clear).
	 */
	MAIL_TLS_NEED_ENCRYPTED,
	/* Do not connect to this MX host at all: defer (try the next MX). */
	MAIL_TLS_NEED_SKIP,
};

/* "opportunistic", "pkix", "dane", "encrypted", "skip"; static. */
const char *mail_tls_need_name(enum mail_tls_need need);

/* What is known about one MX host of a destination. */
struct mail_tls_facts {
	const char *mx_host;	/* the MX host name, lower case */
	/*
	 * The destination's MTA-STS policy when one applies
	 * (mail_mta_sts_get's has_policy), else NULL.
	 */
	const struct mail_mta_sts_policy *sts;
	/*
	 * The answer for _25._tcp.<mx_host> TLSA, asked only when the MX
	 * answer was DNSSEC-secure (RFC 7672 §2.2.1); NULL when not asked.
	 */
	const struct dns_answer *tlsa;
	/* The recipient domain is on the secure-domain list (SPEC M10). */
	bool secure_domain;
};

struct mail_tls_requirement {
	enum mail_tls_need need;
	/* The client's mode: REQUIRED for PKIX, DANE and ENCRYPTED. */
	enum mail_smtp_tls client_tls;
	/*
	 * A TLS failure with this MX defers the recipient (4.7.x: never a
	 * bounce, never clear text); false: it is only recorded (MTA-STS
	 * testing, or opportunistic with no policy).
	 */
	bool failure_defers;
	/*
	 * MTA-STS testing (RFC 8461 §5): deliver whatever the check says,
	 * but check the certificate against the MX name as enforce would
	 * and record a failure for TLS-RPT. The client runs opportunistic
	 * with tls_name set; its info.tls_failure says what failed.
	 */
	bool sts_testing;
	/* For SKIP: the TLS-RPT result type to record, and why in words. */
	enum mail_tlsrpt_result skip_result;
	/* The policy a report files this MX's sessions under. */
	enum mail_tlsrpt_policy report_policy;
	const char *why;	/* one sentence for logs; static */
};

/*
 * The decision for one MX host, in this order:
 *  1. a TLSA answer that failed (TEMPFAIL, bogus included): SKIP with
 *     dnssec-invalid (RFC 7672 §2.2: never fall back on a failed lookup);
 *  2. a secure TLSA answer with usable records: DANE (it takes precedence
 *     over MTA-STS, RFC 8461 §2), with records but none usable: ENCRYPTED
 *     (PKIX instead for a secure domain);
 *  3. MTA-STS enforce: an MX host the policy does not name is SKIP with
 *     validation-failure (RFC 8461 §4.1), else PKIX;
 *  4. a secure domain: PKIX (SECURITY.md 6);
 *  5. MTA-STS testing: opportunistic, checked and recorded (sts_testing);
 *  6. otherwise (no policy, mode none): opportunistic.
 * Where TLS is required the floor is TLS 1.2 (the client's REQUIRED mode).
 */
void mail_tls_requirement(const struct mail_tls_facts *f,
	struct mail_tls_requirement *r_r);

/*
 * The TLS-RPT result of one connection attempt under r, into *result_r:
 * `failed` when mail_smtp_open failed (its status), `info` when it
 * connected (mail_smtp_client_info); the other NULL. Returns false when
 * the attempt says nothing about TLS and must not be counted: the open
 * failed before or apart from TLS (no connection, a 4xx greeting). For
 * SKIP, r->skip_result. For sts_testing, an MX the policy does not name
 * is validation-failure (pass mx_listed false). Without a policy an
 * unverified certificate is not a failure; clear text is
 * starttls-not-supported.
 */
bool mail_tls_result(const struct mail_tls_requirement *r,
	const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info, bool mx_listed,
	enum mail_tlsrpt_result *result_r);

/*
 * The TLS-RPT failure reason of the same attempt, in words: r->why for
 * SKIP, else the failed open's why, else the connection's certificate
 * error; "" when there is none. Points into r, failed or info.
 */
const char *mail_tls_reason(const struct mail_tls_requirement *r,
	const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info);

struct mail_dane;

/*
 * Sets o->tls, o->tls_verify and o->tls_verify_data as r needs: for DANE,
 * mail_dane_tls_verify over *dane (the MX host's secure TLSA records and
 * its names), which must outlive the client; for ENCRYPTED, a check that
 * accepts any chain. o->tls_name must be the MX host. Not for SKIP: there
 * is nothing to connect to.
 */
void mail_tls_apply(const struct mail_tls_requirement *r,
	struct mail_dane *dane, struct mail_smtp_options *o);

/*
 * A tls_verify for MAIL_TLS_NEED_ENCRYPTED: accepts any chain (encryption
 * without authentication, RFC 7672 §2.2).
 */
int mail_tls_accept_any(void *data, const struct span *chain,
	size_t chain_count, char *why, size_t why_size);

/* One attempt at one MX host of a destination, for TLS-RPT. */
struct mail_tls_session {
	int64_t now;
	const char *policy_domain;	/* the recipient domain */
	const char *mx_host;
	const struct mail_mta_sts_state *sts;	/* NULL: not asked */
	const struct dns_answer *tlsa;		/* NULL: not asked */
	const char *peer;	/* "192.0.2.1:25", "[2001:db8::1]:25" or NULL */
};

/*
 * Adds the attempt's result to the day's TLS-RPT counts (mail_tlsrpt_record)
 * under policy, with that policy's text: the MTA-STS file and its mx
 * patterns, or the TLSA records one a line in presentation form. reason is
 * a short sentence for a failure.
 */
int mail_tls_record(struct store *st, const struct mail_tls_session *s,
	enum mail_tlsrpt_policy policy, enum mail_tlsrpt_result result,
	const char *reason, struct arena *a, struct error *err);

/*
 * When s->sts says the policy could not be had (its failure), records that
 * failure once (RFC 8460 §4.3.2.1), policy sts with no text; else nothing.
 */
int mail_tls_record_sts_failure(struct store *st,
	const struct mail_tls_session *s, struct arena *a, struct error *err);

#endif
