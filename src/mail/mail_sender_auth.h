/*
 * Sender authentication on arrival from the internet (SPEC M9, issue 12
 * item 3): SPF, DKIM and DMARC (mail_authres.h) run for the policy stage
 * over a resolver of its own, within a time budget so that a slow or dead
 * DNS delays a message by at most the budget, never stops intake; and the
 * Authentication-Results field (RFC 8601) put at the top of the message,
 * any field that claims to be ours removed. Layer: domain. SECURITY.md 10,
 * 12.
 */
#ifndef MAIL_SENDER_AUTH_H
#define MAIL_SENDER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"
#include "mail/mail_authres.h"

struct arena;
struct config;
struct dns_resolver;
struct error;

struct mail_sender_auth {
	struct dns_resolver *resolver;	/* NULL: mail.sender_auth off */
	int budget_ms;			/* mail.sender_auth_budget_ms */
	char authserv_id[256];		/* the host name (mail_hostname) */
};

/*
 * Reads mail.sender_auth and its budget and, when on, starts a resolver
 * (dns.*, each lookup's timeout no longer than the budget). Fails as
 * dns_resolver_new does.
 */
int mail_sender_auth_init(const struct config *c, struct mail_sender_auth *sa,
	struct error *err);

void mail_sender_auth_free(struct mail_sender_auth *sa);

/*
 * SPF on the transaction, DKIM and DMARC on message (the header and body,
 * without our trace fields): mail_auth_check, except that once the budget
 * is spent every further lookup is answered "try again later", so the
 * checks end with temperror rather than wait. false (report untouched)
 * when sender authentication is off or the checks could not run (an
 * address that is not IP, a full arena): the caller goes on as for a
 * message no check could vouch for, and err says why for the log.
 */
bool mail_sender_auth_check(const struct mail_sender_auth *sa,
	const struct mail_auth_input *in, struct arena *a,
	struct mail_auth_report *report_r, struct error *err);

/*
 * Whether report proves the claim to a hosted domain: a DKIM pass whose
 * d= is aligned (relaxed, RFC 7489 §3.1.1) with from_domain when the From
 * claims it, else an SPF pass for the envelope sender.
 */
bool mail_sender_auth_proves(const struct mail_auth_report *report,
	bool from_claim, const char *from_domain);

/*
 * The message data[size] with field (a whole Authentication-Results
 * field, CRLF-ended) put at header_at, after our trace fields, and every
 * Authentication-Results field of the rest whose authserv-id is sa's
 * removed (RFC 8601 §5: a receiver must not let a sender speak in its
 * name). The copy is in a; ERROR_LIMIT when a is full.
 */
int mail_sender_auth_stamp(const struct mail_sender_auth *sa,
	const char *field, const char *data, size_t size, size_t header_at,
	struct arena *a, struct span *out_r, struct error *err);

#endif
