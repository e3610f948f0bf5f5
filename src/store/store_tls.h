/*
 * Outbound TLS records: the MTA-STS policy cache (RFC 8461 §5.1) and the
 * TLS session counts TLS-RPT reports are made of (RFC 8460).
 * Layer: store; only the domain includes this.
 */
#ifndef STORE_STORE_TLS_H
#define STORE_STORE_TLS_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;
struct store;

/* One domain's cached MTA-STS policy. */
struct store_mta_sts {
	const char *domain;	/* lower case, the key */
	const char *policy_id;	/* the TXT record's id it was fetched under */
	const char *policy;	/* the policy file as served */
	int64_t fetched_at;
	int64_t expires_at;	/* fetched_at + max_age */
};

/* The domain's cached policy; ERROR_NOT_FOUND when there is none. */
int store_mta_sts_get(struct store *st, const char *domain, struct arena *a,
	struct store_mta_sts *r, struct error *err);

/* Stores p, replacing the domain's earlier policy. */
int store_mta_sts_put(struct store *st, const struct store_mta_sts *p,
	struct error *err);

/*
 * One distinct TLS outcome on one day; every text "" where it does not
 * apply (a success has result_type "" and no sending or receiving detail).
 */
struct store_tlsrpt_row {
	const char *day;		/* "2026-12-03", UTC */
	const char *policy_domain;
	const char *policy_type;	/* "sts", "tlsa", "no-policy-found" */
	const char *policy_string;	/* policy lines joined by LF */
	const char *mx_host;		/* the sts mx patterns, joined by LF */
	const char *result_type;	/* RFC 8460 §4.3; "" for success */
	const char *sending_ip;
	const char *receiving_mx;
	const char *receiving_ip;
	const char *reason;		/* failure-reason-code, our words */
	int64_t sessions;
};

/* Adds row->sessions to the row with the same outcome (made if new). */
int store_tlsrpt_add(struct store *st, const struct store_tlsrpt_row *row,
	struct error *err);

/*
 * The day's rows, for one policy domain or (domain NULL) all, ordered by
 * domain, policy, then result type.
 */
int store_tlsrpt_day(struct store *st, const char *day, const char *domain,
	struct arena *a, struct store_tlsrpt_row **rows_r, size_t *count_r,
	struct error *err);

#endif
