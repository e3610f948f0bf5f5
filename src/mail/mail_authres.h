/*
 * Sender authentication of an inbound message: SPF (RFC 7208), DKIM (RFC
 * 6376) and DMARC (RFC 7489) run together, and the Authentication-Results
 * field that records them (RFC 8601). Layer: domain. The policy stage
 * runs them on mail from the internet (mail_sender_auth.h).
 */
#ifndef MAIL_AUTHRES_H
#define MAIL_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "mail/mail_authres_dns.h"
#include "mail/mail_dkim_verify.h"
#include "mail/mail_dmarc.h"
#include "mail/mail_spf.h"

struct arena;
struct error;

/* One SMTP transaction as the checks see it. */
struct mail_auth_input {
	const char *ip;		/* the client's address */
	const char *helo;	/* the HELO/EHLO name */
	const char *mail_from;	/* the reverse-path, "" for <> */
	/* The message, header and body; empty: no DKIM or DMARC check. */
	struct span message;
	int64_t now;
	uint32_t sample;	/* 0-99, for DMARC's pct= */
};

struct mail_auth_report {
	struct mail_spf_outcome spf;
	const char *spf_domain;		/* the domain SPF checked */
	const char *spf_sender;		/* the MAIL FROM as given, or "" */
	bool spf_helo;			/* checked as HELO (null sender) */
	struct mail_dkim_result *dkim;	/* arena; none when unsigned */
	size_t dkim_count;
	struct mail_dmarc_outcome dmarc;
	bool checked_message;		/* a message was given */
};

/*
 * Runs SPF on the transaction, then, when a message is given, DKIM on
 * each signature and DMARC on the From domain, all through dns. A message
 * whose header cannot be read gets DKIM permerror and DMARC permerror.
 * -1 for an address that is not an IP address (ERROR_INVALID), a full
 * arena (ERROR_LIMIT) or a failing dns->lookup.
 */
int mail_auth_check(const struct mail_auth_dns *dns,
	const struct mail_auth_input *in, struct arena *a,
	struct mail_auth_report *out_r, struct error *err);

/*
 * The Authentication-Results field (RFC 8601 §2.2) for report, with its
 * name and final CRLF, folded before each result: spf= with smtp.mailfrom
 * (or smtp.helo), dkim= per signature with header.d, header.s, header.b,
 * dmarc= with header.from. Values from the DNS or the message are written
 * as tokens when they are plain, else as quoted-strings, and a value with
 * a control or non-ASCII byte is left out, so nothing the sender controls
 * can end the field or add another. ERROR_INVALID when authserv_id is not
 * a plain token; ERROR_LIMIT when the arena is full.
 */
int mail_authres_field(const char *authserv_id,
	const struct mail_auth_report *report, struct arena *a,
	char **field_r, struct error *err);

#endif
