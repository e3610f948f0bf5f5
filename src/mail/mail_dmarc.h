/*
 * DMARC (RFC 7489): the policy record parser, policy discovery at
 * _dmarc.<From domain> then at the organisational domain (the Public
 * Suffix List, through libpsl), identifier alignment of SPF and DKIM
 * passes with the From domain, and the policy to apply. Layer: domain.
 * Reports (rua=, ruf=) are not sent: the tags are read and ignored.
 */
#ifndef MAIL_DMARC_H
#define MAIL_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "mail/mail_authres_dns.h"
#include "mail/mail_dkim_verify.h"
#include "mail/mail_spf.h"

struct arena;
struct error;

enum mail_dmarc_policy {
	MAIL_DMARC_POLICY_NONE,
	MAIL_DMARC_POLICY_QUARANTINE,
	MAIL_DMARC_POLICY_REJECT,
};

const char *mail_dmarc_policy_name(enum mail_dmarc_policy p);

/* RFC 7489 §6.3's tags that decide what happens to a message. */
struct mail_dmarc_record {
	enum mail_dmarc_policy p;
	enum mail_dmarc_policy sp;	/* p when the record has no sp= */
	bool adkim_strict;		/* adkim=s; relaxed by default */
	bool aspf_strict;		/* aspf=s */
	int pct;			/* 0-100, default 100 */
};

/*
 * Parses a DMARC record (§6.3, §6.4): "v=DMARC1" first, then tags. A
 * missing or unknown p= is read as p=none when rua= is present, as
 * §6.6.3 says; otherwise ERROR_INVALID, as for a bad v=, adkim=, aspf=
 * or pct=, or a tag-list error. Unknown tags are ignored. Pure.
 */
int mail_dmarc_record_parse(struct span text, struct mail_dmarc_record *r,
	struct error *err);

/*
 * The organisational domain of domain (§3.2): the public suffix and one
 * label more, from the system's Public Suffix List; domain itself when it
 * is a public suffix or the list does not know it. A pointer into domain
 * (lower case expected).
 */
const char *mail_dmarc_org_domain(const char *domain);

/*
 * Whether a and b are aligned (§3.1): equal (case-insensitive) when
 * strict, of the same organisational domain when relaxed.
 */
bool mail_dmarc_aligned(const char *a, const char *b, bool strict);

enum mail_dmarc_result {
	MAIL_DMARC_NONE,	/* no record: DMARC does not apply */
	MAIL_DMARC_PASS,
	MAIL_DMARC_FAIL,
	MAIL_DMARC_TEMPERROR,	/* the record could not be fetched now */
	MAIL_DMARC_PERMERROR,	/* no single From domain to check */
};

const char *mail_dmarc_result_name(enum mail_dmarc_result r);

/* What DMARC is evaluated from. */
struct mail_dmarc_input {
	const char *from_domain;	/* RFC5322.From's domain, or NULL */
	enum mail_spf_result spf;
	const char *spf_domain;		/* the MAIL FROM (or HELO) domain */
	const struct mail_dkim_result *dkim;
	size_t dkim_count;
	/*
	 * A number 0-99 drawn per message: the policy applies when it is
	 * under pct= (§6.6.4), so a rule test can choose.
	 */
	uint32_t sample;
};

struct mail_dmarc_outcome {
	enum mail_dmarc_result result;
	/* What the receiver should do with the message: none for a pass. */
	enum mail_dmarc_policy policy;
	const char *from_domain;	/* "" when there was none */
	const char *record_domain;	/* where the record was found, or "" */
	bool spf_aligned;		/* SPF passed for an aligned domain */
	bool dkim_aligned;		/* a DKIM pass with an aligned d= */
	const char *why;		/* one sentence */
};

/*
 * The decision for a message given its record (found at record_domain),
 * pure: pass when an SPF or DKIM pass is aligned with the From domain;
 * else fail with p= (sp= for a subdomain of record_domain), lowered one
 * step when in->sample is not under pct=.
 */
void mail_dmarc_evaluate(const struct mail_dmarc_record *record,
	const char *record_domain, const struct mail_dmarc_input *in,
	struct arena *a, struct mail_dmarc_outcome *out_r);

/*
 * Discovers the From domain's policy through dns (§6.6.3) and evaluates
 * it. No From domain is PERMERROR, no record NONE, a DNS failure
 * TEMPERROR. -1 only when the arena is full (ERROR_LIMIT) or dns->lookup
 * fails.
 */
int mail_dmarc_check(const struct mail_auth_dns *dns,
	const struct mail_dmarc_input *in, struct arena *a,
	struct mail_dmarc_outcome *out_r, struct error *err);

#endif
