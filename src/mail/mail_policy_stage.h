/*
 * The policy stage as a message arrives (issue 12): between DATA and the
 * commit, what is known of the sender and the message is gathered and the
 * pure rules of mail_policy.h decide. Layer: domain. So far: mail from the
 * internet claiming a hosted domain (SPEC M9, SECURITY.md 10, 12), tagged
 * with the banner, filed as junk or refused; and [secure] never sent in
 * clear (SPEC M10): sealed for the portal. Each hit audited.
 */
#ifndef MAIL_MAIL_POLICY_STAGE_H
#define MAIL_MAIL_POLICY_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "mail/mail.h"
#include "mail/mail_policy.h"
#include "mail/mail_secure.h"
#include "mail/mail_sender_auth.h"

struct arena;
struct config;
struct dir_ctx;
struct error;
struct mail_recipient;

#define MAIL_POLICY_TRUSTED_MAX 64
/* Audit rows one message can owe: the sender checks', then the leaving. */
#define MAIL_POLICY_NOTES_MAX 4

/* The stage's settings, read and checked once when a listener starts. */
struct mail_policy_settings {
	enum mail_policy_spoof_mode spoof_mode;	/* mail.spoof_mode */
	struct cidr trusted[MAIL_POLICY_TRUSTED_MAX]; /* mail.trusted_networks */
	size_t trusted_count;
	struct mail_secure_policy secure;	/* outbound.secure_domains */
	struct mail_policy_dlp_rule dlp;	/* mail.dlp_high, _medium, _low */
	bool send_limits;			/* mail.send_limits */
	/* mail.send_limit_message, mail.send_limit_day */
	struct mail_policy_limits limits;
	struct mail_sender_auth auth;	/* mail.sender_auth: SPF, DKIM, DMARC */
	/*
	 * mail.domains in the normal form (mail_domain_normalise), read
	 * once here rather than per message; an entry that cannot be
	 * normalised is left out. From malloc, freed with the settings.
	 */
	char (*hosted)[MAIL_SECURE_DOMAIN_SIZE];
	size_t hosted_count;
};

/*
 * Reads mail.spoof_mode, mail.trusted_networks, mail.dlp_*, the sender
 * checks' settings (mail_sender_auth_init), the secure domains
 * (mail_secure_policy_from_config) and the hosted ones (mail.domains).
 * ERROR_INVALID naming
 * the setting and the entry for a network that is not an address or a
 * CIDR block, or more than MAIL_POLICY_TRUSTED_MAX of them: a typo must
 * stop the server, not quietly treat a trusted network as the internet.
 */
int mail_policy_settings_from_config(const struct config *c,
	struct mail_policy_settings *s_r, struct error *err);

/*
 * Stops the sender checks' resolver and frees the hosted domains; once no
 * session uses s.
 */
void mail_policy_settings_free(struct mail_policy_settings *s);

/* Who handed the message over. */
struct mail_arrival {
	const char *peer_ip;
	const char *helo;		/* the HELO/EHLO name, for SPF */
	/* A person or an application signed in, or a registered relay. */
	bool authenticated;
	/*
	 * The person signed in (their address), NULL for none: their
	 * sending limits apply (SPEC M7), and their org's mail policy.
	 */
	const char *person;
	/* An application's org (a token, a registered relay); 0: none. */
	int64_t org_id;
	const char *envelope_from;	/* "" for the null path */
	const char *id;			/* the session's message id, for the log */
	const struct mail_recipient *recipients;	/* as routed at RCPT */
	size_t recipient_count;
};

struct mail_arrival_plan {
	struct mail_policy_decision decision;
	/*
	 * The message to deliver: the one given, or a copy in a with the
	 * banner (TAG) and the Authentication-Results field put in.
	 */
	const char *data;
	size_t size;
	/*
	 * Recipients the policy stopped while the others get the message
	 * (DLP): per recipient the words for their line of the sender's
	 * report, NULL for one not stopped; NULL when none is (mail_accept).
	 */
	const char *const *stopped;
	/*
	 * Recipients outside the secure domains who get the message sealed
	 * in the secure message portal and a notice in its place ([secure],
	 * DLP encrypt; SPEC M10): true per such recipient; NULL for none.
	 */
	const bool *sealed;
	/*
	 * Contacts that list recipients reach outside the secure domains,
	 * judged as direct recipients are: each sealed or stopped.
	 */
	struct mail_withheld *withheld;
	size_t withheld_count;
	/*
	 * The audit rows of the decisions, for the delivery's commit
	 * (mail_message.notes); summaries in a. A message refused whole
	 * has had them written already.
	 */
	struct mail_audit_note notes[MAIL_POLICY_NOTES_MAX];
	size_t note_count;
	/* A DLP find, for the Local Administrators' alert; NULL: none. */
	const struct mail_dlp_alert *dlp_alert;
	/*
	 * The DLP actions that apply: the sender's org's overrides over
	 * the service's (s->dlp, or a copy in a).
	 */
	const struct mail_policy_dlp_rule *dlp;
	/* The sending limits stopped every recipient (in stopped). */
	bool limited;
	/*
	 * The person whose day's count the delivery adds its recipients
	 * to (mail_message.sent_by); 0: none.
	 */
	int64_t sent_by;
};

/*
 * Decides what happens to the message data[size] (its whole text, our
 * trace fields first; header[header_len]: the rest after them). Mail from
 * the internet is checked with SPF, DKIM and DMARC (mail.sender_auth),
 * the results put in an Authentication-Results field; one that fails
 * DMARC under p=reject is refused, under p=quarantine goes to Junk
 * E-mail, and one claiming a hosted domain it cannot prove (a DKIM
 * signature of that domain, or SPF for a hosted envelope sender) gets the
 * spoof mode; a signed-in person over their sending limits (SPEC M7:
 * limit 0 without the AUP and security questions, then per message and
 * per UTC day, the org's own limits over the service's) has every
 * recipient stopped with a report (plan->limited, plan->stopped), and one
 * under them is named in plan->sent_by for the delivery's count; mail with
 * [secure] (SPEC M10) is sealed for every recipient outside the secure
 * domains (plan->sealed: they get a notice and read it in the portal),
 * never sent to them in clear; mail to such a recipient without it is
 * scanned for NHS numbers (SPEC M12) and, by mail.dlp_high, _medium and
 * _low (or the sender's org's own), a hit is only audited, or sealed like
 * [secure], or stops every recipient outside (plan->stopped: the sender
 * is told in a report), or, when no report could reach the sender,
 * refuses the
 * message whole. DELIVER, TAG
 * (plan->data is the tagged copy, in a), JUNK, or BLOCK with the sentence
 * for a 550. Every decision other than DELIVER is logged at once and
 * audited (type "message"): for a message refused whole here, in a
 * commit of its own; otherwise the rows are left in plan_r->notes for
 * the caller to put in the message (mail_message.notes), so they are
 * written in the delivery's commit, as many messages' in one, and only
 * if it was accepted. Fails only when the directory or the audit cannot
 * be reached, or the tagged copy or a row does not fit in a; the caller
 * then answers 451 and keeps nothing.
 */
int mail_policy_arrival(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	const char *data, size_t size, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan_r, struct error *err);

/*
 * How many of the message's recipients (direct ones, recipient_count of
 * them, and lists' contacts) the plan stopped and how many it sealed,
 * for the reply to DATA and the log.
 */
void mail_arrival_plan_count(const struct mail_arrival_plan *plan,
	size_t recipient_count, size_t *stopped_r, size_t *sealed_r);

#endif
