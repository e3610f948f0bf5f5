/*
 * The policy stage for mail from the internet (not signed in, not a
 * registered relay, not from a trusted network): SPF, DKIM and DMARC
 * (mail_sender_auth.h), then mail_policy_inbound — a claim to a hosted
 * domain it cannot prove gets the spoof mode (the banner put in here for
 * TAG), a DMARC failure the sender's policy — and our
 * Authentication-Results field. Layer: domain. SPEC M9; SECURITY.md 10,
 * 12 (a From in a hosted domain is a claim to prove, not a fact); RFC
 * 5322 §3.6.2, RFC 7489, RFC 8601.
 */
#include "mail/mail_policy_stage_internal.h"

#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_banner.h"
#include "mail/mail_secure.h"

/* Room for the tagged copy beyond the message: the banner per part. */
#define TAG_ROOM (256 * 1024)

/*
 * The hosted domain an address is in or under ("x@sub.ours.example"
 * claims ours.example too), compared in the normal form secure domains
 * are (lower case, A-labels), or NULL. s holds mail.domains already in
 * that form, and the name returned is its copy, kept as long as s.
 */
static const char *
hosted_claim(const struct mail_policy_settings *s, const char *address)
{
	char domain[MAIL_SECURE_DOMAIN_SIZE];
	struct error ignored;
	if (address == NULL || address[0] == '\0' ||
	    mail_domain_normalise(address, domain, sizeof(domain),
		    &ignored) < 0)
		return NULL;
	for (size_t i = 0; i < s->hosted_count; i++)
		if (mail_domain_is_under(domain, s->hosted[i]))
			return s->hosted[i];
	return NULL;
}

/* The DMARC outcome as the pure rule reads it: the policy of a failure. */
static enum mail_policy_dmarc
dmarc_of(const struct mail_dmarc_outcome *o)
{
	if (o->result == MAIL_DMARC_PASS)
		return MAIL_POLICY_DMARC_PASS;
	if (o->result != MAIL_DMARC_FAIL)
		return MAIL_POLICY_DMARC_NONE;
	return o->policy == MAIL_DMARC_POLICY_REJECT ?
			MAIL_POLICY_DMARC_REJECT :
		o->policy == MAIL_DMARC_POLICY_QUARANTINE ?
			MAIL_POLICY_DMARC_QUARANTINE :
			MAIL_POLICY_DMARC_FAIL;
}

/*
 * Mail from the internet (SPEC M9): SPF, DKIM and DMARC, then the pure
 * rule — a hosted claim it cannot prove gets the mode, a DMARC failure
 * the sender's policy — and, unless refused, the banner for TAG and the
 * Authentication-Results field put in plan's copy.
 */
int
mail_policy_judge_internet(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
	const struct mail_arrival *in, size_t header_at, struct arena *a,
	struct mail_arrival_plan *plan, struct error *err)
{
	struct span rest = span_make(plan->data + header_at,
		plan->size - header_at);
	struct mail_header_mailbox from = { 0 };
	struct error inner;
	/* The From rule (exactly one, one address) was applied before. */
	if (mail_header_from(rest, a, &from, &inner) < 0)
		from.address = NULL;
	struct mail_auth_report report;
	struct mail_auth_input checked_in = { .ip = in->peer_ip,
		.helo = in->helo != NULL ? in->helo : "",
		.mail_from = in->envelope_from, .message = rest,
		.now = ctx->now, .sample = randombytes_uniform(100) };
	bool checked = mail_sender_auth_check(&s->auth, &checked_in, a,
		&report, &inner);
	if (!checked && s->auth.resolver != NULL)
		log_warn("mail.sender_auth_failed", "id=%s peer=%s "
			"reason=\"%s\"", in->id, in->peer_ip, inner.msg);
	const char *envelope_claim = hosted_claim(s, in->envelope_from);
	const char *from_claim = hosted_claim(s, from.address);
	const char *from_at = from.address != NULL ?
		strrchr(from.address, '@') : NULL;
	const char *from_domain = checked && report.dmarc.from_domain != NULL &&
		report.dmarc.from_domain[0] != '\0' ? report.dmarc.from_domain :
		from_at != NULL ? from_at + 1 : NULL;
	struct mail_policy_inbound judged = {
		.from_outside = true,
		.envelope_hosted = envelope_claim != NULL,
		.from_hosted = from_claim != NULL,
		.hosted_authenticated = checked && mail_sender_auth_proves(
			&report, from_claim != NULL, from_domain),
		.dmarc = checked ? dmarc_of(&report.dmarc) :
			MAIL_POLICY_DMARC_NONE,
		.claimed_domain = from_claim != NULL ? from_claim :
			envelope_claim,
		.from_domain = from_domain,
	};
	plan->decision = mail_policy_inbound(&judged, s->spoof_mode, a);
	if (plan->decision.action == MAIL_POLICY_TAG) {
		struct str out;
		str_init(&out, a, plan->size + TAG_ROOM);
		if (mail_banner_add(plan->data, plan->size,
			    mail_policy_spoof_banner, a, &out, &inner) == 0) {
			plan->data = out.p;
			plan->size = out.len;
		} else {
			/* Never the inbox untagged: Junk E-mail instead. */
			log_warn("mail.policy_tag_failed", "id=%s reason=\"%s\"",
				in->id, inner.msg);
			plan->decision.action = MAIL_POLICY_JUNK;
		}
	}
	char *field;
	struct span stamped;
	if (checked && plan->decision.action != MAIL_POLICY_BLOCK) {
		if (mail_authres_field(s->auth.authserv_id, &report, a, &field,
			    err) < 0 ||
		    mail_sender_auth_stamp(&s->auth, field, plan->data,
			    plan->size, header_at, a, &stamped, err) < 0)
			return -1;
		plan->data = stamped.p;
		plan->size = stamped.len;
	}
	if (plan->decision.action == MAIL_POLICY_DELIVER)
		return 0;
	json_t *fields = json_pack("{s:s, s:s}",
		"header_from", from.address != NULL ? from.address : "",
		"claimed", judged.claimed_domain != NULL ?
			judged.claimed_domain : "");
	if (checked) {
		json_object_set_new(fields, "spf", json_string(
			mail_spf_result_name(report.spf.result)));
		json_object_set_new(fields, "dmarc", json_string(
			mail_dmarc_result_name(report.dmarc.result)));
	}
	return mail_policy_record(in, &plan->decision, fields, a, plan,
		err);
}
