/*
 * The policy stage on arrival: who sent the message and what it claims,
 * gathered from the directory and the header, judged by mail_policy's
 * pure rules, and applied: the banner put in, or the decision handed back
 * for the front end to deliver to Junk E-mail or refuse. Layer: domain.
 * SPEC M9; SECURITY.md 10, 12 (a From in a hosted domain is a claim to
 * prove, not a fact); RFC 5322 §3.6.2.
 */
#include "mail/mail_policy_stage.h"

#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_banner.h"
#include "mail/mail_secure.h"

/* Room for the tagged copy beyond the message: the banner per part. */
#define TAG_ROOM (256 * 1024)

int
mail_policy_settings_from_config(const struct config *c,
	struct mail_policy_settings *s_r, struct error *err)
{
	static const struct {
		const char *name;
		enum mail_policy_spoof_mode mode;
	} modes[] = {
		{ "tag", MAIL_POLICY_SPOOF_TAG },
		{ "junk", MAIL_POLICY_SPOOF_JUNK },
		{ "reject", MAIL_POLICY_SPOOF_REJECT },
	};
	*s_r = (struct mail_policy_settings){ .spoof_mode =
		MAIL_POLICY_SPOOF_JUNK };
	const char *mode = config_get_str(c, "mail.spoof_mode");
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++)
		if (strcmp(mode, modes[i].name) == 0)
			s_r->spoof_mode = modes[i].mode;
	struct span list = span_from_cstr(config_get_str(c,
		"mail.trusted_networks"));
	struct span item;
	while (span_split(&list, ',', &item)) {
		item = span_trim(item);
		if (item.len == 0)
			continue;
		char text[64];
		if (s_r->trusted_count == MAIL_POLICY_TRUSTED_MAX)
			return error_set(err, ERROR_INVALID,
				"mail.trusted_networks: at most %d networks",
				MAIL_POLICY_TRUSTED_MAX);
		if (item.len >= sizeof(text) ||
		    (memcpy(text, item.p, item.len), text[item.len] = '\0',
		     !cidr_parse(text, &s_r->trusted[s_r->trusted_count])))
			return error_set(err, ERROR_INVALID,
				"mail.trusted_networks: '%.*s' is not an IP "
				"address or a CIDR block such as 192.0.2.0/24",
				(int)(item.len < 64 ? item.len : 64), item.p);
		s_r->trusted_count++;
	}
	return 0;
}

static bool
trusted(const struct mail_policy_settings *s, const char *ip)
{
	for (size_t i = 0; i < s->trusted_count; i++)
		if (cidr_contains(&s->trusted[i], ip))
			return true;
	return false;
}

/*
 * The hosted domain an address is in or under ("x@sub.ours.example"
 * claims ours.example too), compared in the normal form secure domains
 * are (lower case, A-labels), or NULL.
 */
static const char *
hosted_claim(const struct dir_ctx *ctx, const char *address)
{
	char domain[MAIL_SECURE_DOMAIN_SIZE], hosted[MAIL_SECURE_DOMAIN_SIZE];
	struct error ignored;
	if (address == NULL || address[0] == '\0' ||
	    mail_domain_normalise(address, domain, sizeof(domain),
		    &ignored) < 0)
		return NULL;
	char item[MAIL_SECURE_DOMAIN_SIZE];
	for (size_t i = 0; config_list_item(ctx->config, "mail.domains", i,
		    item, sizeof(item)); i++) {
		if (mail_domain_normalise(item, hosted, sizeof(hosted),
			    &ignored) == 0 &&
		    mail_domain_is_under(domain, hosted))
			return arena_strdup(ctx->arena, hosted);
	}
	return NULL;
}

static const char *const action_names[] = {
	[MAIL_POLICY_DELIVER] = "deliver",
	[MAIL_POLICY_TAG] = "tag",
	[MAIL_POLICY_JUNK] = "junk",
	[MAIL_POLICY_ENCRYPT] = "encrypt",
	[MAIL_POLICY_BLOCK] = "refuse",
};

/* The log line and the audit row of a decision other than DELIVER. */
static int
record(const struct dir_ctx *ctx, const struct mail_arrival *in,
	const char *from, const char *claimed,
	const struct mail_policy_decision *d, struct error *err)
{
	const char *action = action_names[d->action];
	const char *reason = mail_policy_reason_name(d->reason);
	log_info("mail.policy", "id=%s peer=%s from=<%s> header_from=<%s> "
		"claimed=%s decision=%s reason=%s", in->id, in->peer_ip,
		in->envelope_from, from != NULL ? from : "",
		claimed != NULL ? claimed : "", action, reason);
	json_t *summary = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"event", reason, "decision", action, "peer", in->peer_ip,
		"envelope_from", in->envelope_from, "header_from",
		from != NULL ? from : "", "claimed",
		claimed != NULL ? claimed : "", "message_id", in->id);
	if (d->action == MAIL_POLICY_BLOCK)
		return dir_audit_denied(ctx, "message", 0, summary, err);
	if (dir_begin(ctx, err) < 0) {
		json_decref(summary);
		return -1;
	}
	return dir_finish(ctx, dir_audit(ctx, "other", "message", 0, 0,
		summary, err), err);
}

int
mail_policy_arrival(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	const char *data, size_t size, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan_r, struct error *err)
{
	*plan_r = (struct mail_arrival_plan){ .data = data, .size = size,
		.decision = { .action = MAIL_POLICY_DELIVER } };
	struct mail_header_mailbox from = { 0 };
	struct error inner;
	/* The From rule (exactly one, one address) was applied before. */
	if (mail_header_from(span_make(header, header_len), a, &from,
		    &inner) < 0)
		from.address = NULL;
	const char *envelope_claim = hosted_claim(ctx, in->envelope_from);
	const char *from_claim = hosted_claim(ctx, from.address);
	const char *from_at = from.address != NULL ?
		strrchr(from.address, '@') : NULL;
	struct mail_policy_inbound judged = {
		.from_outside = !in->authenticated &&
			!trusted(s, in->peer_ip),
		.envelope_hosted = envelope_claim != NULL,
		.from_hosted = from_claim != NULL,
		/* Until DKIM verification lands nothing outside proves it. */
		.hosted_authenticated = false,
		.dmarc = MAIL_POLICY_DMARC_NONE,
		.claimed_domain = from_claim != NULL ? from_claim :
			envelope_claim,
		.from_domain = from_at != NULL ? from_at + 1 : NULL,
	};
	plan_r->decision = mail_policy_inbound(&judged, s->spoof_mode, a);
	if (plan_r->decision.action == MAIL_POLICY_DELIVER)
		return 0;
	if (plan_r->decision.action == MAIL_POLICY_TAG) {
		struct str out;
		str_init(&out, a, size + TAG_ROOM);
		if (mail_banner_add(data, size, mail_policy_spoof_banner, a,
			    &out, &inner) == 0) {
			plan_r->data = out.p;
			plan_r->size = out.len;
		} else {
			/* Never the inbox untagged: Junk E-mail instead. */
			log_warn("mail.policy_tag_failed", "id=%s reason=\"%s\"",
				in->id, inner.msg);
			plan_r->decision.action = MAIL_POLICY_JUNK;
		}
	}
	return record(ctx, in, from.address, judged.claimed_domain,
		&plan_r->decision, err);
}
