/*
 * Which recipients are in the secure domains (SPEC M10's list: mail to
 * them is never sent in clear, SECURITY.md 6); what TLS that asks for
 * is mail_tls_requirement's (mail_tls_policy.h). Layer: domain, pure.
 * The secure-domain match is SECURITY.md 14's rule; issue 12 ([secure]
 * subjects) uses it too. RFC 5890 (IDNA A-labels).
 */
#ifndef MAIL_MAIL_SECURE_H
#define MAIL_MAIL_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/mail_smtp_client.h"

struct config;
struct error;

/* Longest domain name (RFC 1035), plus room for the NUL. */
#define MAIL_SECURE_DOMAIN_SIZE 256
#define MAIL_SECURE_MAX_DOMAINS 64

/*
 * The domain of an address or domain in the form domains are compared in:
 * the part after the LAST '@' (all of it when there is none), lower-cased,
 * one trailing dot removed, and converted to A-labels ("xn--...") when it
 * is not ASCII (IDNA 2008 with UTS #46 mapping, libidn2). ERROR_INVALID
 * with a sentence for an empty domain, one IDNA cannot convert, or one
 * longer than MAIL_SECURE_DOMAIN_SIZE - 1.
 */
int mail_domain_normalise(const char *address, char *buf, size_t size,
	struct error *err);

/*
 * Whether domain d is s or a subdomain of s: d == s, or d ends with "." +
 * s, ASCII case ignored (DNS names compare so, RFC 4343). Never a bare
 * suffix: "evilnhs.net" is not under "nhs.net", nor is "nhs.net.evil.com".
 */
bool mail_domain_is_under(const char *d, const char *s);

/* The secure-domain list, read once from the configuration. */
struct mail_secure_policy {
	char domains[MAIL_SECURE_MAX_DOMAINS][MAIL_SECURE_DOMAIN_SIZE];
	size_t count;
	/* Legacy domains, secure until legacy_until (UTC seconds). */
	char legacy[MAIL_SECURE_MAX_DOMAINS][MAIL_SECURE_DOMAIN_SIZE];
	size_t legacy_count;
	int64_t legacy_until;
};

/*
 * Reads outbound.secure_domains, outbound.legacy_secure_domains and
 * outbound.legacy_secure_until. ERROR_INVALID naming the setting for a
 * domain that cannot be normalised, more than MAIL_SECURE_MAX_DOMAINS, or
 * a date that is not YYYY-MM-DD.
 */
int mail_secure_policy_from_config(const struct config *c,
	struct mail_secure_policy *p_r, struct error *err);

/*
 * Whether mail to `address` (an address or a bare domain) must travel
 * only over verified TLS at `now` (SECURITY.md 14). A domain that cannot
 * be normalised is secure: refusing to send it in clear is the safe
 * answer, and such an address fails elsewhere anyway.
 */
bool mail_secure_domain_match(const struct mail_secure_policy *p,
	const char *address, int64_t now);

#endif
