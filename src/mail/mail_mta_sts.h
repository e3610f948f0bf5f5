/*
 * MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file, whether
 * an MX host is one the policy names, and fetching and caching the policy.
 * Layer: domain. The parsers are pure and fuzzed (tests/fuzz/fuzz_mta_sts.c).
 * SECURITY: SECURITY.md 5; a policy is only ever fetched over verified HTTPS.
 */
#ifndef MAIL_MTA_STS_H
#define MAIL_MTA_STS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct config;
struct dns_answer;
struct dns_resolver;
struct error;
struct store;

/* RFC 8461 §3.3: senders should refuse a policy body over 64 KiB. */
#define MAIL_MTA_STS_POLICY_MAX (64 * 1024)
/* RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year). */
#define MAIL_MTA_STS_MAX_AGE_MAX 31557600
/* RFC 8461 §3.1: the id is 1 to 32 letters and digits. */
#define MAIL_MTA_STS_ID_MAX 32
/* mx patterns kept from one policy; more is an invalid policy. */
#define MAIL_MTA_STS_MX_MAX 100
/* A policy line longer than this is an invalid policy. */
#define MAIL_MTA_STS_LINE_MAX 1024

enum mail_mta_sts_mode {
	MAIL_MTA_STS_MODE_NONE = 0,	/* the domain withdrew its policy */
	MAIL_MTA_STS_MODE_TESTING,	/* check and report, deliver anyway */
	MAIL_MTA_STS_MODE_ENFORCE,	/* a failed check defers the mail */
};

/* "none", "testing", "enforce"; static. */
const char *mail_mta_sts_mode_name(enum mail_mta_sts_mode mode);

struct mail_mta_sts_policy {
	enum mail_mta_sts_mode mode;
	int64_t max_age;	/* seconds, capped at MAIL_MTA_STS_MAX_AGE_MAX */
	/* lower-case, no final dot: "mx1.example.net" or "*.example.net" */
	const char **mx;	/* arena */
	size_t mx_count;
};

/*
 * Parses one TXT record's text as an RFC 8461 §3.1 record ("v=STSv1;
 * id=20260101T0000;") and copies its id into id_r (MAIL_MTA_STS_ID_MAX + 1
 * bytes). Fields after the id that we do not know are skipped when well
 * formed. ERROR_INVALID with a sentence for anything else. Pure.
 */
int mail_mta_sts_txt_parse(struct span text, char *id_r, struct error *err);

/*
 * From every TXT record at _mta-sts.DOMAIN, the one that starts "v=STSv1":
 * RFC 8461 §3.1 says a domain with none, or more than one, has no policy
 * (ERROR_NOT_FOUND), and so has one whose record is malformed
 * (ERROR_INVALID). 0 with the id in id_r.
 */
int mail_mta_sts_txt_pick(const struct dns_answer *txt, char *id_r,
	struct error *err);

/*
 * Parses a policy file (RFC 8461 §3.2): "key: value" lines ending LF or
 * CRLF, version STSv1 first or anywhere, mode, max_age (digits, capped at
 * a year), any number of mx (each a host name or "*." and one), unknown
 * keys skipped; a key given twice counts once, as first given (mx
 * excepted). Needs version, mode and max_age, and an mx unless the mode is
 * none. Strings are copied to the arena. ERROR_INVALID with a sentence,
 * ERROR_LIMIT for a body over MAIL_MTA_STS_POLICY_MAX or an arena past its
 * cap. Pure.
 */
int mail_mta_sts_policy_parse(struct span text, struct arena *a,
	struct mail_mta_sts_policy *policy_r, struct error *err);

/*
 * RFC 8461 §4.1: whether host matches pattern, without case and without a
 * final dot: an exact name, or "*.rest" with exactly one label before rest
 * ("*.example.net" matches "mx.example.net", not "example.net" nor
 * "a.mx.example.net"). Pure.
 */
bool mail_mta_sts_pattern_matches(const char *pattern, const char *host);

/* Whether any of the policy's mx patterns matches host. Pure. */
bool mail_mta_sts_mx_matches(const struct mail_mta_sts_policy *p,
	const char *host);

/* ---- fetching and the cache (mail_mta_sts_fetch.c) ---- */

/* How a policy is fetched: from the outbound.mta_sts_* settings. */
struct mail_mta_sts_fetch {
	const char *ca_file;	/* PEM CAs; NULL or "": the system's */
	int timeout_ms;		/* the whole exchange */
	/* Tests: "ADDRESS:PORT" every fetch connects to; NULL or "": DNS. */
	const char *connect_to;
};

/* The settings, for the fetch; strings borrowed from c. */
void mail_mta_sts_fetch_from_config(const struct config *c,
	struct mail_mta_sts_fetch *f_r);

/*
 * GETs https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 §3.3): the
 * certificate must be valid for mta-sts.DOMAIN, no redirect is followed,
 * the answer must be 200 with Content-Type text/plain and at most
 * MAIL_MTA_STS_POLICY_MAX bytes. The body goes to the arena.
 * ERROR_TEMPORARY naming what went wrong; *webpki_r is set when it was the
 * certificate (TLS-RPT's sts-webpki-invalid).
 */
int mail_mta_sts_fetch_policy(const char *domain,
	const struct mail_mta_sts_fetch *f, struct arena *a,
	struct span *body_r, bool *webpki_r, struct error *err);

/* What a domain's MTA-STS says now, and how we came to know it. */
struct mail_mta_sts_state {
	bool has_policy;	/* a valid policy applies (mode may be none) */
	struct mail_mta_sts_policy policy;
	char id[MAIL_MTA_STS_ID_MAX + 1];
	const char *text;	/* the policy file as served (TLS-RPT) */
	bool from_cache;	/* not fetched by this call */
	int64_t fetched_at, expires_at;
	/*
	 * Why a policy could not be had, as a TLS-RPT result type
	 * ("sts-policy-fetch-error", "sts-policy-invalid",
	 * "sts-webpki-invalid"), or "" when nothing failed. A failure with a
	 * cached policy still in date uses that policy (RFC 8461 §5.1).
	 */
	const char *failure;
	char why[256];		/* the failure in one sentence */
};

/*
 * The domain's policy as RFC 8461 §5.1 has a sender find it: looks up
 * _mta-sts.DOMAIN's TXT; with a valid id that differs from the cached
 * policy's (or no cached policy in date), fetches and parses the policy
 * and stores it (st may be NULL: no cache); a failed TXT lookup or fetch
 * falls back to the cached policy while it is in date. No policy at all
 * is state->has_policy false, not an error. -1 only for a domain that is
 * not a domain name (ERROR_INVALID), a store failure or a full arena.
 */
int mail_mta_sts_get(struct dns_resolver *r, struct store *st,
	const char *domain, const struct mail_mta_sts_fetch *f, int64_t now,
	struct arena *a, struct mail_mta_sts_state *state_r,
	struct error *err);

#endif
