/*
 * The policy stage's decisions (issue 12): what happens to a message a
 * person sends, decided between DATA and commit from a summary of the
 * message, who sent it and the configuration, with `now` passed in.
 * Layer: domain, pure: no I/O, so each rule is tested as a table.
 * This file holds the decision types and the sending limits (SPEC M7);
 * the other rules (secure domains, DLP, spoofing) join it as they land.
 */
#ifndef MAIL_MAIL_POLICY_H
#define MAIL_MAIL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/mail_nhsnum.h"

struct arena;

/* What happens to the message for one recipient. */
enum mail_policy_action {
	MAIL_POLICY_DELIVER,
	MAIL_POLICY_TAG,	/* delivered with the external-sender banner */
	MAIL_POLICY_JUNK,	/* delivered to Junk E-mail */
	MAIL_POLICY_ENCRYPT,	/* held encrypted; the recipient gets a notice */
	MAIL_POLICY_BLOCK,	/* not delivered; the sender gets a report */
};

/* Why, as a code for the message log and the audit. */
enum mail_policy_reason {
	MAIL_POLICY_OK,
	MAIL_POLICY_LIMIT_ZERO,		/* AUP or security questions not done */
	MAIL_POLICY_LIMIT_MESSAGE,	/* more recipients than one message may have */
	MAIL_POLICY_LIMIT_DAY,		/* past the day's recipients */
	MAIL_POLICY_SECURE_SUBJECT,	/* [secure] to a non-secure domain */
	MAIL_POLICY_DLP,		/* an NHS number, by the DLP policy */
	MAIL_POLICY_DLP_UNSCANNABLE,	/* could not be checked */
	MAIL_POLICY_SPOOF,		/* from outside, claiming a hosted domain */
	MAIL_POLICY_DMARC,		/* failed the From domain's DMARC */
};

struct mail_policy_decision {
	enum mail_policy_action action;
	enum mail_policy_reason reason;
	/*
	 * For BLOCK: the report's sentences in plain words, what happened
	 * and what to do (SPEC M8); NULL otherwise.
	 */
	const char *why;
};

/* The action's name in logs and the audit ("refuse" for BLOCK, ...). */
const char *mail_policy_action_name(enum mail_policy_action action);

/* The reason's name in logs and the audit ("limit_zero", ...). */
const char *mail_policy_reason_name(enum mail_policy_reason reason);

/*
 * A person sending: what the sending limits need to know of them (SPEC
 * M7). Applications (tokens, registered relays) send under their
 * organisation's registration and have no AUP to accept.
 */
struct mail_policy_sender {
	bool aup_accepted;	/* the current auth.aup_version */
	bool questions_set;	/* all three security questions */
	int64_t sent_today;	/* recipients of messages sent since 00:00 UTC */
};

/* The limits that apply to the sender: their org's, else the service's. */
struct mail_policy_limits {
	int64_t per_message;	/* recipients one message may have */
	int64_t per_day;	/* recipients in a UTC day */
};

/*
 * The sending limits (SPEC M7, seed 002): a person who has not accepted
 * the Acceptable Use Policy and set their security questions has a limit
 * of 0; otherwise a message may have at most per_message recipients, and
 * the day's recipients with this message's may not pass per_day. A
 * recipient is one address as given (a list counts once, as at the
 * peer). BLOCK with the seed's words and what to do, for every
 * recipient; else DELIVER. `why` is allocated in a; on no memory, a
 * sentence without the numbers.
 */
struct mail_policy_decision mail_policy_send_limit(
	const struct mail_policy_sender *s, const struct mail_policy_limits *l,
	size_t recipients, struct arena *a);

/* ---- mail to other domains: [secure] and DLP (SPEC M10, M12) ---- */

/*
 * Whether the sender asked for encryption (SPEC M10): "[secure]" in the
 * subject, ASCII case-insensitive, brackets included, in the subject as
 * decoded (RFC 2047) and unfolded by the caller. subjects: every Subject
 * field of the header; anything but exactly one fails closed (true): a
 * client might show either of two, and none leaves nothing to judge by.
 */
bool mail_policy_wants_secure(const char *const *subjects, size_t count);

/* What the DLP policy (global, or the org's) says for what was found. */
enum mail_policy_dlp {
	MAIL_POLICY_DLP_NONE,		/* nothing found, or policy none */
	MAIL_POLICY_DLP_BLOCK,
	MAIL_POLICY_DLP_ENCRYPT,
	MAIL_POLICY_DLP_HOLD,		/* the scan failed: never in clear */
};

/* What the DLP settings do with a find of one tier (mail.dlp_high, ...). */
enum mail_policy_dlp_action {
	MAIL_POLICY_DLP_IGNORE,		/* nothing */
	MAIL_POLICY_DLP_AUDIT,		/* audited, mail sent */
	MAIL_POLICY_DLP_SEAL,		/* sent encrypted (and audited) */
	MAIL_POLICY_DLP_REFUSE,		/* not sent (and audited) */
};

struct mail_policy_dlp_rule {
	/* Indexed by enum mail_nhsnum_tier; [MAIL_NHSNUM_TIER_NONE] unused. */
	enum mail_policy_dlp_action by_tier[MAIL_NHSNUM_TIER_HIGH + 1];
};

/*
 * The words a DLP tier action is written with, in mail.dlp_* and in an
 * org's override ("none", "audit", "block"): the one list both are
 * checked against, so a new action is added here alone.
 */
bool mail_policy_dlp_action_parse(const char *word,
	enum mail_policy_dlp_action *action_r);
const char *mail_policy_dlp_action_name(enum mail_policy_dlp_action action);
/* The words, "none, audit or block", for a sentence, into buf. */
void mail_policy_dlp_action_words(char *buf, size_t size);

/* Whether any tier's action asks for a scan at all. */
bool mail_policy_dlp_scans(const struct mail_policy_dlp_rule *rule);

struct mail_policy_dlp_verdict {
	/* A find whose tier's action is AUDIT or REFUSE, or a part that
	 * could not be read while any tier's is. */
	bool hit;
	enum mail_policy_dlp dlp;	/* NONE, BLOCK, ENCRYPT or HOLD */
};

/*
 * What the rule makes of a scan: counts[tier] numbers found at each tier
 * (mail_dlp_result.counts). The strongest action among the tiers found
 * decides, whichever is surest: a low find set to REFUSE blocks even
 * beside a high one set to AUDIT; REFUSE is stronger than SEAL, which
 * is stronger than AUDIT. A message not all read (unscannable) is never
 * sent in clear when any tier would stop or encrypt a number (what could
 * not be read could hold one): held when any tier is REFUSE, else
 * encrypted when any is SEAL; only audited when the strongest is AUDIT.
 */
struct mail_policy_dlp_verdict mail_policy_dlp_judge(
	const struct mail_policy_dlp_rule *rule, const size_t *counts,
	bool unscannable);

/* What is known of the message for mail to other domains. */
struct mail_policy_message {
	bool wants_secure;		/* mail_policy_wants_secure */
	enum mail_policy_dlp dlp;
	const char *dlp_sample;		/* masked ("943 *** **19"), or NULL */
};

/*
 * One recipient's decision for mail leaving the secure domains (SPEC
 * M10, M12): a local or secure-domain recipient gets the message as it
 * is (secure_domain: mail_secure_domain_match); any other is encrypted
 * when the sender asked, else judged by the DLP policy — blocked with a
 * report that names the masked number and how to send with [secure],
 * encrypted, or blocked when the scan failed. `why` in a.
 */
struct mail_policy_decision mail_policy_outbound(
	const struct mail_policy_message *m, const char *recipient,
	bool remote, bool secure_domain, struct arena *a);

/* ---- mail from the internet: anti-spoofing and DMARC (SPEC M9) ---- */

/* What mail from outside that claims a hosted domain gets (mail.spoof_mode). */
enum mail_policy_spoof_mode {
	MAIL_POLICY_SPOOF_TAG,		/* the seed 001 banner, then the inbox */
	MAIL_POLICY_SPOOF_JUNK,		/* Junk E-mail (seed 002) */
	MAIL_POLICY_SPOOF_REJECT,	/* 550 with the reason */
};

/* The DMARC verdict on the From: domain (RFC 7489 §6.6), with its policy. */
enum mail_policy_dmarc {
	MAIL_POLICY_DMARC_NONE,		/* no record, or temperror: no say */
	MAIL_POLICY_DMARC_PASS,
	MAIL_POLICY_DMARC_FAIL,		/* failed; p=none */
	MAIL_POLICY_DMARC_QUARANTINE,	/* failed; p=quarantine */
	MAIL_POLICY_DMARC_REJECT,	/* failed; p=reject */
};

struct mail_policy_inbound {
	/*
	 * Not signed in, not from a trusted network, not a registered
	 * relay: mail from the internet.
	 */
	bool from_outside;
	bool envelope_hosted;	/* MAIL FROM is in a hosted domain */
	bool from_hosted;	/* the From: address is */
	/*
	 * The hosted identity claimed is proven anyway: for a hosted From,
	 * DMARC passed (aligned DKIM signed with our key); for a hosted
	 * envelope alone, SPF passed for it.
	 */
	bool hosted_authenticated;
	enum mail_policy_dmarc dmarc;
	const char *claimed_domain;	/* the hosted domain claimed, if any */
	const char *from_domain;	/* the From: domain */
};

/*
 * The message's decision on arrival from the internet (SPEC M9,
 * SECURITY.md 10, 12). Mail from inside is delivered. Mail from outside
 * claiming a hosted domain it cannot prove gets the configured mode: the
 * operator's choice governs the platform's own domains, whatever their
 * published DMARC says. Otherwise a DMARC failure under p=reject is
 * refused (BLOCK: a 550 at DATA with `why`) and under p=quarantine goes
 * to Junk E-mail. `why` (for BLOCK, and the log for JUNK and TAG) in a.
 */
struct mail_policy_decision mail_policy_inbound(
	const struct mail_policy_inbound *in, enum mail_policy_spoof_mode mode,
	struct arena *a);

/* The seed 001 banner that TAG puts at the top of each text part. */
extern const char mail_policy_spoof_banner[];

#endif
