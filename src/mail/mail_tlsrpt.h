/*
 * TLS-RPT (RFC 8460): what each outbound TLS attempt gave, counted per
 * policy domain per day, the `_smtp._tls` TXT record that says where a
 * domain wants its reports, and the JSON report itself. Layer: domain.
 * The TXT parser is pure and fuzzed (tests/fuzz/fuzz_tlsrpt.c).
 */
#ifndef MAIL_TLSRPT_H
#define MAIL_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct dns_answer;
struct dns_resolver;
struct error;
struct store;

/* RFC 8460 §4.3: what one TLS session came to. */
enum mail_tlsrpt_result {
	MAIL_TLSRPT_SUCCESS = 0,
	MAIL_TLSRPT_STARTTLS_NOT_SUPPORTED,
	MAIL_TLSRPT_CERTIFICATE_HOST_MISMATCH,
	MAIL_TLSRPT_CERTIFICATE_EXPIRED,
	MAIL_TLSRPT_CERTIFICATE_NOT_TRUSTED,
	MAIL_TLSRPT_VALIDATION_FAILURE,
	MAIL_TLSRPT_TLSA_INVALID,
	MAIL_TLSRPT_DNSSEC_INVALID,
	MAIL_TLSRPT_DANE_REQUIRED,
	MAIL_TLSRPT_STS_POLICY_FETCH_ERROR,
	MAIL_TLSRPT_STS_POLICY_INVALID,
	MAIL_TLSRPT_STS_WEBPKI_INVALID,
};

/* "starttls-not-supported", ...; "" for success. Static. */
const char *mail_tlsrpt_result_name(enum mail_tlsrpt_result r);

/* The reverse, for "" too; false for a name RFC 8460 does not define. */
bool mail_tlsrpt_result_parse(const char *name,
	enum mail_tlsrpt_result *r_r);

/* RFC 8460 §4.4 policy-type. */
enum mail_tlsrpt_policy {
	MAIL_TLSRPT_POLICY_NONE = 0,	/* "no-policy-found" */
	MAIL_TLSRPT_POLICY_STS,		/* "sts" */
	MAIL_TLSRPT_POLICY_TLSA,	/* "tlsa" */
};

const char *mail_tlsrpt_policy_name(enum mail_tlsrpt_policy p);

/* ---- the _smtp._tls TXT record (RFC 8460 §3): pure ---- */

#define MAIL_TLSRPT_RUA_MAX 16	/* report addresses kept from one record */

struct mail_tlsrpt_record {
	/* "mailto:tls@example.net" or "https://...", as published */
	const char **rua;	/* arena */
	size_t rua_count;
};

/*
 * Parses one TXT record's text: "v=TLSRPTv1;" then fields separated by
 * ";" (spaces around it allowed), among them exactly one rua= with one or
 * more URIs separated by ",". Only mailto: and https: URIs are kept (RFC
 * 8460 §3 names those two); a record with none of them is invalid.
 * Unknown fields are skipped when well formed. ERROR_INVALID with a
 * sentence; strings copied to the arena.
 */
int mail_tlsrpt_txt_parse(struct span text, struct arena *a,
	struct mail_tlsrpt_record *r_r, struct error *err);

/*
 * From every TXT record at _smtp._tls.DOMAIN, the one starting
 * "v=TLSRPTv1", parsed: none or several is ERROR_NOT_FOUND (RFC 8460 §3).
 */
int mail_tlsrpt_txt_pick(const struct dns_answer *txt, struct arena *a,
	struct mail_tlsrpt_record *r_r, struct error *err);

/* Looks up and picks DOMAIN's record; ERROR_TEMPORARY when DNS failed. */
int mail_tlsrpt_lookup(struct dns_resolver *r, const char *domain,
	struct arena *a, struct mail_tlsrpt_record *r_r, struct error *err);

/* ---- recording and reporting (mail_tlsrpt_report.c) ---- */

/* One TLS session's outcome, for the day's counts. */
struct mail_tlsrpt_event {
	int64_t now;			/* its day (UTC) is the report's */
	const char *policy_domain;	/* the recipient domain */
	enum mail_tlsrpt_policy policy;
	/* The policy's text: the MTA-STS file, or TLSA records, one a line. */
	const char *policy_string;
	/* The MTA-STS policy's mx patterns, one a line; NULL for none. */
	const char *mx_host;
	enum mail_tlsrpt_result result;
	/* For a failure (ignored for a success): who talked to whom. */
	const char *sending_ip;
	const char *receiving_mx;	/* the MX host name */
	const char *receiving_ip;
	const char *reason;		/* our words, a short sentence */
};

/*
 * Adds one session to the day's counts in the store. Failures keep their
 * detail (each distinct one counted apart); successes only their policy.
 */
int mail_tlsrpt_record(struct store *st, const struct mail_tlsrpt_event *e,
	struct error *err);

/* Who makes the report (RFC 8460 §4.4 organization-name, contact-info). */
struct mail_tlsrpt_reporter {
	const char *organization;
	const char *contact;
};

/*
 * The RFC 8460 §4.4 JSON reports of day ("YYYY-MM-DD") from the store's
 * counts: one object per policy domain (domain NULL: every domain with
 * counts that day, in name order), each with date-range, report-id,
 * policies (policy, summary, failure-details). *json_r is an array of
 * report objects in compact JSON, from the arena. ERROR_INVALID for a day
 * that is not a date.
 */
int mail_tlsrpt_report(struct store *st, const char *day, const char *domain,
	const struct mail_tlsrpt_reporter *who, struct arena *a,
	char **json_r, size_t *reports_r, struct error *err);

/* The UTC day of t as "YYYY-MM-DD" into day[11]. */
void mail_tlsrpt_day(int64_t t, char *day);

#endif
