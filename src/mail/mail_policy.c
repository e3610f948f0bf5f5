/*
 * The policy stage's pure rules (issue 12): the sending limits of SPEC M7
 * so far. Layer: domain, pure. The report's words keep the seed's
 * ("too many recipients. The limit is 0"), which people search for, and
 * add what the seed's report left out: why, and what to do about it.
 */
#include "mail/mail_policy.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"

static const char *const reason_names[] = {
	[MAIL_POLICY_OK] = "ok",
	[MAIL_POLICY_LIMIT_ZERO] = "limit_zero",
	[MAIL_POLICY_LIMIT_MESSAGE] = "limit_message",
	[MAIL_POLICY_LIMIT_DAY] = "limit_day",
	[MAIL_POLICY_SECURE_SUBJECT] = "secure_subject",
	[MAIL_POLICY_DLP] = "dlp",
	[MAIL_POLICY_DLP_UNSCANNABLE] = "dlp_unscannable",
	[MAIL_POLICY_SPOOF] = "spoof",
	[MAIL_POLICY_DMARC] = "dmarc",
};

static const char *const action_names[] = {
	[MAIL_POLICY_DELIVER] = "deliver",
	[MAIL_POLICY_TAG] = "tag",
	[MAIL_POLICY_JUNK] = "junk",
	[MAIL_POLICY_ENCRYPT] = "encrypt",
	[MAIL_POLICY_BLOCK] = "refuse",
};

const char *
mail_policy_action_name(enum mail_policy_action action)
{
	return action_names[action];
}

const char *
mail_policy_reason_name(enum mail_policy_reason reason)
{
	return reason_names[reason];
}

static struct mail_policy_decision
blocked(enum mail_policy_reason reason, const char *why,
	const char *fallback)
{
	return (struct mail_policy_decision){ .action = MAIL_POLICY_BLOCK,
		.reason = reason, .why = why != NULL ? why : fallback };
}

struct mail_policy_decision
mail_policy_send_limit(const struct mail_policy_sender *s,
	const struct mail_policy_limits *l, size_t recipients,
	struct arena *a)
{
	long long n = (long long)recipients;
	if (!s->aup_accepted || !s->questions_set) {
		const char *todo = !s->aup_accepted && !s->questions_set ?
			"accept the Acceptable Use Policy and set your "
			"security questions" : !s->aup_accepted ?
			"accept the Acceptable Use Policy" :
			"set your security questions";
		return blocked(MAIL_POLICY_LIMIT_ZERO, arena_printf(a,
			"The message wasn't delivered to anyone because there "
			"are too many recipients. The limit is 0. This message "
			"has %lld recipient%s. You can send mail once you %s: "
			"sign in to the portal, open My account, do that, and "
			"then send the message again.", n, n == 1 ? "" : "s",
			todo),
			"The message wasn't delivered to anyone because there "
			"are too many recipients. The limit is 0. Accept the "
			"Acceptable Use Policy and set your security questions "
			"in the portal, then send the message again.");
	}
	if (n > l->per_message)
		return blocked(MAIL_POLICY_LIMIT_MESSAGE, arena_printf(a,
			"The message wasn't delivered to anyone because there "
			"are too many recipients. The limit is %lld. This "
			"message has %lld recipients. Send it in smaller parts, "
			"or to a distribution list.",
			(long long)l->per_message, n),
			"The message wasn't delivered to anyone because there "
			"are too many recipients. Send it in smaller parts, or "
			"to a distribution list.");
	if (s->sent_today + n > l->per_day)
		return blocked(MAIL_POLICY_LIMIT_DAY, arena_printf(a,
			"The message wasn't delivered to anyone because you "
			"have reached today's limit. The limit is %lld "
			"recipients a day; you have sent to %lld today and "
			"this message has %lld. Send it again after midnight "
			"(UTC), or ask your administrator if you need to send "
			"to more people.", (long long)l->per_day,
			(long long)s->sent_today, n),
			"The message wasn't delivered to anyone because you "
			"have reached today's limit of recipients. Send it "
			"again after midnight (UTC).");
	return (struct mail_policy_decision){ .action = MAIL_POLICY_DELIVER,
		.reason = MAIL_POLICY_OK };
}

static const struct {
	const char *word;
	enum mail_policy_dlp_action action;
} dlp_words[] = {
	{ "none", MAIL_POLICY_DLP_IGNORE },
	{ "audit", MAIL_POLICY_DLP_AUDIT },
	{ "encrypt", MAIL_POLICY_DLP_SEAL },
	{ "block", MAIL_POLICY_DLP_REFUSE },
};

#define DLP_WORD_COUNT (sizeof(dlp_words) / sizeof(*dlp_words))

bool
mail_policy_dlp_action_parse(const char *word,
	enum mail_policy_dlp_action *action_r)
{
	for (size_t i = 0; word != NULL && i < DLP_WORD_COUNT; i++) {
		if (strcmp(word, dlp_words[i].word) == 0) {
			*action_r = dlp_words[i].action;
			return true;
		}
	}
	return false;
}

const char *
mail_policy_dlp_action_name(enum mail_policy_dlp_action action)
{
	for (size_t i = 0; i < DLP_WORD_COUNT; i++)
		if (dlp_words[i].action == action)
			return dlp_words[i].word;
	return "none";
}

void
mail_policy_dlp_action_words(char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < DLP_WORD_COUNT; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i == 0 ? "" :
			i + 1 == DLP_WORD_COUNT ? " or " : ", ",
			dlp_words[i].word);
		if (n < 0 || (size_t)n >= size - used)
			return;
		used += (size_t)n;
	}
}

bool
mail_policy_wants_secure(const char *const *subjects, size_t count)
{
	static const char tag[] = "[secure]";
	if (count != 1)
		return true;
	for (struct span rest = span_from_cstr(subjects[0]); rest.len > 0;
	     rest.p++, rest.len--)
		if (span_starts_with_nocase(rest, tag))
			return true;
	return false;
}

struct mail_policy_decision
mail_policy_outbound(const struct mail_policy_message *m,
	const char *recipient, bool remote, bool secure_domain,
	struct arena *a)
{
	struct mail_policy_decision deliver = { .action = MAIL_POLICY_DELIVER,
		.reason = MAIL_POLICY_OK };
	/* SPEC M10: within the secure domains [secure] needs no action, and
	 * DLP judges only mail leaving them (SPEC M12). */
	if (!remote || secure_domain)
		return deliver;
	if (m->wants_secure)
		return (struct mail_policy_decision){
			.action = MAIL_POLICY_ENCRYPT,
			.reason = MAIL_POLICY_SECURE_SUBJECT };
	switch (m->dlp) {
	case MAIL_POLICY_DLP_NONE:
		return deliver;
	case MAIL_POLICY_DLP_ENCRYPT:
		return (struct mail_policy_decision){
			.action = MAIL_POLICY_ENCRYPT,
			.reason = MAIL_POLICY_DLP };
	case MAIL_POLICY_DLP_BLOCK:
		return blocked(MAIL_POLICY_DLP, arena_printf(a,
			"Your message to %s wasn't delivered because it appears "
			"to contain an NHS number (%s), and %s is outside the "
			"secure domains, where mail can be read on its way. To "
			"send patient information there, put [secure] in the "
			"subject and send it again: it will be encrypted, and "
			"the recipient will read it in the secure portal.",
			recipient, m->dlp_sample != NULL ? m->dlp_sample :
			"masked", recipient),
			"Your message wasn't delivered because it appears to "
			"contain an NHS number and the recipient is outside "
			"the secure domains.");
	case MAIL_POLICY_DLP_HOLD:
		break;
	}
	return blocked(MAIL_POLICY_DLP_UNSCANNABLE, arena_printf(a,
		"Your message to %s wasn't delivered because it could not be "
		"checked for patient information (a part could not be read), "
		"and %s is outside the secure domains. Put [secure] in the "
		"subject and send it again: it will be encrypted.", recipient,
		recipient),
		"Your message wasn't delivered because it could not be "
		"checked for patient information and the recipient is "
		"outside the secure domains.");
}

static enum mail_policy_dlp_action
strongest(const struct mail_policy_dlp_rule *rule, const size_t *counts)
{
	enum mail_policy_dlp_action a = MAIL_POLICY_DLP_IGNORE;
	for (int t = MAIL_NHSNUM_TIER_LOW; t <= MAIL_NHSNUM_TIER_HIGH; t++)
		if ((counts == NULL || counts[t] > 0) && rule->by_tier[t] > a)
			a = rule->by_tier[t];
	return a;
}

bool
mail_policy_dlp_scans(const struct mail_policy_dlp_rule *rule)
{
	return strongest(rule, NULL) != MAIL_POLICY_DLP_IGNORE;
}

struct mail_policy_dlp_verdict
mail_policy_dlp_judge(const struct mail_policy_dlp_rule *rule,
	const size_t *counts, bool unscannable)
{
	enum mail_policy_dlp_action found = strongest(rule, counts);
	if (found == MAIL_POLICY_DLP_REFUSE)
		return (struct mail_policy_dlp_verdict){ true,
			MAIL_POLICY_DLP_BLOCK };
	if (unscannable) {
		enum mail_policy_dlp_action any = strongest(rule, NULL);
		return (struct mail_policy_dlp_verdict){
			any != MAIL_POLICY_DLP_IGNORE,
			any == MAIL_POLICY_DLP_REFUSE ? MAIL_POLICY_DLP_HOLD :
			any == MAIL_POLICY_DLP_SEAL ? MAIL_POLICY_DLP_ENCRYPT :
				MAIL_POLICY_DLP_NONE };
	}
	if (found == MAIL_POLICY_DLP_SEAL)
		return (struct mail_policy_dlp_verdict){ true,
			MAIL_POLICY_DLP_ENCRYPT };
	return (struct mail_policy_dlp_verdict){
		found == MAIL_POLICY_DLP_AUDIT, MAIL_POLICY_DLP_NONE };
}

/* Seed 001's words, with the service's own name (docs/mail.md). */
const char mail_policy_spoof_banner[] =
	"--- This message was sent from an email address external to "
	"caremail but gives the appearance of being from a caremail address. "
	"Verify the sender and content is legitimate before acting upon "
	"information contained within. ---";

struct mail_policy_decision
mail_policy_inbound(const struct mail_policy_inbound *in,
	enum mail_policy_spoof_mode mode, struct arena *a)
{
	if (!in->from_outside)
		return (struct mail_policy_decision){
			.action = MAIL_POLICY_DELIVER, .reason = MAIL_POLICY_OK };
	if ((in->envelope_hosted || in->from_hosted) &&
	    !in->hosted_authenticated) {
		const char *d = in->claimed_domain != NULL ?
			in->claimed_domain : "a domain hosted here";
		switch (mode) {
		case MAIL_POLICY_SPOOF_TAG:
			return (struct mail_policy_decision){
				.action = MAIL_POLICY_TAG,
				.reason = MAIL_POLICY_SPOOF };
		case MAIL_POLICY_SPOOF_JUNK:
			return (struct mail_policy_decision){
				.action = MAIL_POLICY_JUNK,
				.reason = MAIL_POLICY_SPOOF };
		case MAIL_POLICY_SPOOF_REJECT:
			break;
		}
		return blocked(MAIL_POLICY_SPOOF, arena_printf(a,
			"this message claims to be from %s, which this service "
			"hosts, but it came from outside the service, so it was "
			"refused as a likely forgery; to send as %s, send "
			"through the service (sign in to submission, or have "
			"your application server registered as a relay)", d, d),
			"this message claims to be from a domain this service "
			"hosts but came from outside it, so it was refused as a "
			"likely forgery");
	}
	const char *fd = in->from_domain != NULL ? in->from_domain :
		"the sender's domain";
	if (in->dmarc == MAIL_POLICY_DMARC_REJECT)
		return blocked(MAIL_POLICY_DMARC, arena_printf(a,
			"%s publishes a DMARC policy asking for mail that fails "
			"its check to be refused, and this message failed it: "
			"it was not sent or signed by a server %s authorises",
			fd, fd),
			"the sender's domain publishes a DMARC policy asking for "
			"mail that fails its check to be refused, and this "
			"message failed it");
	if (in->dmarc == MAIL_POLICY_DMARC_QUARANTINE)
		return (struct mail_policy_decision){ .action = MAIL_POLICY_JUNK,
			.reason = MAIL_POLICY_DMARC };
	return (struct mail_policy_decision){ .action = MAIL_POLICY_DELIVER,
		.reason = MAIL_POLICY_OK };
}
