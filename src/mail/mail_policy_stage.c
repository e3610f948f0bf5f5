/*
 * The policy stage on arrival: who sent the message and what it claims,
 * gathered from the directory and the header, judged by mail_policy's
 * pure rules, and applied: the banner put in, or the decision handed back
 * for the front end to deliver to Junk E-mail or refuse. Layer: domain.
 * SPEC M9; SECURITY.md 10, 12 (a From in a hosted domain is a claim to
 * prove, not a fact); RFC 5322 §3.6.2.
 */
#include "mail/mail_policy_stage.h"

#include <stdlib.h>
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
#include "mail/mail_mime.h"
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
	if (mail_secure_policy_from_config(c, &s_r->secure, err) < 0)
		return -1;
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
	char item[MAIL_SECURE_DOMAIN_SIZE];	/* holds any: the limit is 253 */
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

/*
 * The log line and the audit row of a decision other than DELIVER;
 * fields (stolen) say what it was about.
 */
static int
record(const struct dir_ctx *ctx, const struct mail_arrival *in,
	const struct mail_policy_decision *d, json_t *fields,
	struct error *err)
{
	const char *action = action_names[d->action];
	const char *reason = mail_policy_reason_name(d->reason);
	char *about = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	log_info("mail.policy", "id=%s peer=%s from=<%s> decision=%s "
		"reason=%s about=%s", in->id, in->peer_ip, in->envelope_from,
		action, reason, about != NULL ? about : "{}");
	free(about);
	json_t *summary = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event",
		reason, "decision", action, "peer", in->peer_ip,
		"envelope_from", in->envelope_from, "message_id", in->id);
	json_object_update(summary, fields);
	json_decref(fields);
	if (d->action == MAIL_POLICY_BLOCK)
		return dir_audit_denied(ctx, "message", 0, summary, err);
	if (dir_begin(ctx, err) < 0) {
		json_decref(summary);
		return -1;
	}
	return dir_finish(ctx, dir_audit(ctx, "other", "message", 0, 0,
		summary, err), err);
}

/*
 * Mail from the internet claiming a hosted domain (SPEC M9): the mode's
 * decision, with the banner put in for TAG.
 */
static int
judge_forgery(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
	const struct mail_arrival *in, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err)
{
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
		.from_outside = true,
		.envelope_hosted = envelope_claim != NULL,
		.from_hosted = from_claim != NULL,
		/* Until DKIM verification lands nothing outside proves it. */
		.hosted_authenticated = false,
		.dmarc = MAIL_POLICY_DMARC_NONE,
		.claimed_domain = from_claim != NULL ? from_claim :
			envelope_claim,
		.from_domain = from_at != NULL ? from_at + 1 : NULL,
	};
	plan->decision = mail_policy_inbound(&judged, s->spoof_mode, a);
	if (plan->decision.action == MAIL_POLICY_DELIVER)
		return 0;
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
	return record(ctx, in, &plan->decision, json_pack("{s:s, s:s}",
		"header_from", from.address != NULL ? from.address : "",
		"claimed", judged.claimed_domain != NULL ?
			judged.claimed_domain : ""), err);
}

/* Every Subject field of the header, decoded, into a's array. */
static int
subjects(struct span header, struct arena *a, const char ***list_r,
	size_t *count_r)
{
	struct span name, value;
	size_t capacity = 0;
	*list_r = NULL;
	*count_r = 0;
	while (mail_mime_field_next(&header, &name, &value)) {
		if (!span_eq_nocase(span_trim(name), "Subject"))
			continue;
		const char *text = mail_mime_header_decode(value, a);
		const char **slot = arena_array_push(a, (void **)list_r,
			count_r, &capacity, sizeof(*slot));
		if (text == NULL || slot == NULL)
			return -1;
		*slot = text;
	}
	return 0;
}

/*
 * [secure] (SPEC M10) for mail leaving the secure domains. Until the
 * encrypted-message portal exists (issue 12 item 4), a message that
 * would have to be encrypted for any recipient is refused whole rather
 * than sent in clear.
 */
static int
judge_secure(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
	const struct mail_arrival *in, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err)
{
	bool remote = false;
	for (size_t i = 0; i < in->recipient_count && !remote; i++)
		remote = in->recipients[i].kind == MAIL_ROUTE_REMOTE;
	if (!remote)
		return 0;
	const char **list;
	size_t n;
	if (subjects(span_make(header, header_len), a, &list, &n) < 0)
		return error_set(err, ERROR_LIMIT,
			"no memory to read the message's subject");
	struct mail_policy_message m = {
		.wants_secure = mail_policy_wants_secure(list, n) };
	if (!m.wants_secure)
		return 0;
	for (size_t i = 0; i < in->recipient_count; i++) {
		const struct mail_recipient *r = &in->recipients[i];
		bool is_remote = r->kind == MAIL_ROUTE_REMOTE;
		struct mail_policy_decision d = mail_policy_outbound(&m,
			r->address, is_remote, is_remote &&
			mail_secure_domain_match(&s->secure, r->address,
				ctx->now), a);
		if (d.action != MAIL_POLICY_ENCRYPT)
			continue;
		/* No portal to encrypt to yet: refused, never in clear. */
		const char *why = arena_printf(a, "this message %s, so it must "
			"be encrypted for %s, which is outside the secure "
			"domains; this service cannot encrypt mail for "
			"recipients outside them yet, so nothing was sent. Send "
			"it to those recipients another way, or without them",
			n == 1 ? "has [secure] in its subject" : "has no single "
			"Subject to tell whether it asks for [secure]",
			r->address);
		plan->decision = (struct mail_policy_decision){
			.action = MAIL_POLICY_BLOCK, .reason = d.reason,
			.why = why != NULL ? why : "this message must be "
				"encrypted for a recipient outside the secure "
				"domains, and this service cannot encrypt mail "
				"for them yet, so nothing was sent" };
		return record(ctx, in, &plan->decision, json_pack("{s:s}",
			"recipient", r->address), err);
	}
	return 0;
}

int
mail_policy_arrival(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	const char *data, size_t size, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan_r, struct error *err)
{
	*plan_r = (struct mail_arrival_plan){ .data = data, .size = size,
		.decision = { .action = MAIL_POLICY_DELIVER } };
	/* Only mail from the internet can be a forgery of ours. */
	if (!in->authenticated && !trusted(s, in->peer_ip) &&
	    judge_forgery(ctx, s, in, header, header_len, a, plan_r, err) < 0)
		return -1;
	if (plan_r->decision.action == MAIL_POLICY_BLOCK)
		return 0;
	/*
	 * A tagged copy keeps our trace fields at its start, so what follows
	 * them begins at the same offset in it: [secure] reads it there.
	 */
	size_t header_at = (size_t)(header - data);
	return judge_secure(ctx, s, in, plan_r->data + header_at,
		header_len + plan_r->size - size, a, plan_r, err);
}
