/*
 * The policy stage on arrival: who sent the message and what it claims,
 * gathered from the directory and the header, judged by mail_policy's
 * pure rules, and applied: the banner put in, or the decision handed back
 * for the front end to deliver to Junk E-mail or refuse. Layer: domain.
 * SPEC M9, M10, M12; SECURITY.md 10, 12 (a From in a hosted domain is a
 * claim to prove, not a fact), 53 (no NHS number in clear in a log or
 * the audit); RFC 5322 §3.6.2.
 */
#include "mail/mail_policy_stage.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_banner.h"
#include "mail/mail_dlp.h"
#include "mail/mail_mime.h"
#include "mail/mail_secure.h"

/* Room for the tagged copy beyond the message: the banner per part. */
#define TAG_ROOM (256 * 1024)
/* Room for the DLP scan's part tree and sentences beyond the message. */
#define SCAN_ROOM (16 * 1024 * 1024)

/* A choice setting's words and what each means here. */
struct choice {
	const char *name;
	int value;
};

static const struct choice spoof_modes[] = {
	{ "tag", MAIL_POLICY_SPOOF_TAG },
	{ "junk", MAIL_POLICY_SPOOF_JUNK },
	{ "reject", MAIL_POLICY_SPOOF_REJECT },
}, dlp_actions[] = {
	{ "none", MAIL_POLICY_DLP_IGNORE },
	{ "audit", MAIL_POLICY_DLP_AUDIT },
	{ "block", MAIL_POLICY_DLP_REFUSE },
};

#define CHOICE(c, key, table) \
	choice(config_get_str(c, key), table, sizeof(table) / sizeof(*table))

/* config has checked that the value is one of the table's words. */
static int
choice(const char *name, const struct choice *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, table[i].name) == 0)
			return table[i].value;
	return table[0].value;
}

int
mail_policy_settings_from_config(const struct config *c,
	struct mail_policy_settings *s_r, struct error *err)
{
	*s_r = (struct mail_policy_settings){
		.spoof_mode = CHOICE(c, "mail.spoof_mode", spoof_modes),
		.dlp.by_tier = {
			[MAIL_NHSNUM_TIER_LOW] = CHOICE(c, "mail.dlp_low",
				dlp_actions),
			[MAIL_NHSNUM_TIER_MEDIUM] = CHOICE(c, "mail.dlp_medium",
				dlp_actions),
			[MAIL_NHSNUM_TIER_HIGH] = CHOICE(c, "mail.dlp_high",
				dlp_actions) } };
	if (mail_secure_policy_from_config(c, &s_r->secure, err) < 0)
		return -1;
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
	return mail_sender_auth_init(c, &s_r->auth, err);
}

void
mail_policy_settings_free(struct mail_policy_settings *s)
{
	mail_sender_auth_free(&s->auth);
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
static int
judge_inbound(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
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
	const char *envelope_claim = hosted_claim(ctx, in->envelope_from);
	const char *from_claim = hosted_claim(ctx, from.address);
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
	return record(ctx, in, &plan->decision, fields, err);
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

/* The first recipient outside the platform and the secure domains, or NULL. */
static const char *
first_outside(const struct mail_policy_settings *s,
	const struct mail_arrival *in, int64_t now)
{
	for (size_t i = 0; i < in->recipient_count; i++) {
		const struct mail_recipient *r = &in->recipients[i];
		if (r->kind == MAIL_ROUTE_REMOTE &&
		    !mail_secure_domain_match(&s->secure, r->address, now))
			return r->address;
	}
	return NULL;
}

/*
 * [secure] (SPEC M10) for mail leaving the secure domains. Until the
 * encrypted-message portal exists (issue 12 item 4), a message that
 * would have to be encrypted for any recipient is refused whole rather
 * than sent in clear.
 */
static int
refuse_secure(const struct dir_ctx *ctx, const struct mail_arrival *in,
	const char *outside, size_t subject_count, struct arena *a,
	struct mail_arrival_plan *plan, struct error *err)
{
	const char *why = arena_printf(a, "this message %s, so it must be "
		"encrypted for %s, which is outside the secure domains; this "
		"service cannot encrypt mail for recipients outside them yet, "
		"so nothing was sent. Send it to those recipients another way, "
		"or without them", subject_count == 1 ? "has [secure] in its "
		"subject" : "has no single Subject to tell whether it asks for "
		"[secure]", outside);
	plan->decision = (struct mail_policy_decision){
		.action = MAIL_POLICY_BLOCK, .reason = MAIL_POLICY_SECURE_SUBJECT,
		.why = why != NULL ? why : "this message must be encrypted "
			"for a recipient outside the secure domains, and this "
			"service cannot encrypt mail for them yet, so nothing "
			"was sent" };
	return record(ctx, in, &plan->decision, json_pack("{s:s}",
		"recipient", outside), err);
}

/*
 * DLP (SPEC M12): the whole message scanned once and judged by
 * mail.dlp_high, _medium and _low into m. A hit returns what the log and audit say of it:
 * the tier, the count and the surest masked sample, never a number in
 * clear (SECURITY.md 53); NULL when there is none.
 */
static json_t *
scan(const struct mail_policy_dlp_rule *rule, struct span msg,
	struct arena *a, struct mail_policy_message *m)
{
	struct arena *scan_arena = arena_new(msg.len + SCAN_ROOM);
	struct mail_dlp_result r;
	mail_dlp_scan(msg.p, msg.len, scan_arena, &r);
	struct mail_policy_dlp_verdict v = mail_policy_dlp_judge(rule,
		r.counts, r.unscannable);
	json_t *hit = NULL;
	if (v.hit) {
		size_t numbers = 0;
		for (size_t t = 0; t <= MAIL_NHSNUM_TIER_HIGH; t++)
			numbers += r.counts[t];
		const struct mail_dlp_sample *first = r.sample_count > 0 ?
			&r.samples[0] : NULL;
		m->dlp = v.dlp;
		m->dlp_sample = first != NULL ?
			arena_strdup(a, first->masked) : NULL;
		hit = json_pack("{s:s, s:I, s:s, s:s}",
			"tier", mail_nhsnum_tier_name(r.tier),
			"numbers", (json_int_t)numbers,
			"sample", first != NULL ? first->masked : "",
			"where", first != NULL ? first->where : "");
		if (r.unscannable)
			json_object_set_new(hit, "unscannable",
				json_string(r.reason));
	}
	arena_free(&scan_arena);
	return hit;
}

/*
 * Whether a report about a stopped recipient can reach the sender here:
 * a sender in a hosted domain. A report to the null sender is never sent,
 * and one to another domain would carry the subject, which may hold the
 * number, out in clear: such mail is refused whole at DATA instead.
 */
static bool
may_be_told(const struct dir_ctx *ctx, const char *sender)
{
	const char *at = sender != NULL ? strrchr(sender, '@') : NULL;
	return at != NULL && dir_domain_is_hosted(ctx, at + 1);
}

/*
 * Stops every recipient outside the platform and the secure domains,
 * each with mail_policy_outbound's words for their line of the report;
 * the others get the message.
 */
static int
stop_outside(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
	const struct mail_arrival *in, const struct mail_policy_message *m,
	struct arena *a, struct mail_arrival_plan *plan, size_t *stopped_r)
{
	const char **stopped = arena_alloc(a, (in->recipient_count + 1) *
		sizeof(*stopped));
	if (stopped == NULL)
		return -1;
	for (size_t i = 0; i < in->recipient_count; i++) {
		const struct mail_recipient *r = &in->recipients[i];
		bool remote = r->kind == MAIL_ROUTE_REMOTE;
		struct mail_policy_decision d = mail_policy_outbound(m,
			r->address, remote, remote && mail_secure_domain_match(
				&s->secure, r->address, ctx->now), a);
		if (d.action == MAIL_POLICY_DELIVER)
			continue;
		stopped[i] = d.why;
		(*stopped_r)++;
	}
	plan->stopped = stopped;
	return 0;
}

/*
 * Mail leaving the secure domains (SPEC M10, M12), judged by
 * mail_policy_outbound for the first recipient outside them (every such
 * recipient is judged alike): [secure] asks for encryption, which is
 * refused until there is a portal to encrypt to; without it the DLP scan
 * may block, or only record, a hit. Nothing to judge when every
 * recipient is here or in a secure domain.
 */
static int
judge_outbound(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
	const struct mail_arrival *in, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err)
{
	const char *outside = first_outside(s, in, ctx->now);
	if (outside == NULL)
		return 0;
	const char **list;
	size_t n;
	if (subjects(span_make(header, header_len), a, &list, &n) < 0)
		return error_set(err, ERROR_LIMIT,
			"no memory to read the message's subject");
	struct mail_policy_message m = {
		.wants_secure = mail_policy_wants_secure(list, n),
		.no_encryption = true };
	json_t *hit = NULL;
	if (!m.wants_secure && mail_policy_dlp_scans(&s->dlp))
		hit = scan(&s->dlp, span_make(header, header_len), a, &m);
	struct mail_policy_decision d = mail_policy_outbound(&m, outside,
		true, false, a);
	if (d.action == MAIL_POLICY_ENCRYPT) {
		json_decref(hit);
		return refuse_secure(ctx, in, outside, n, a, plan, err);
	}
	if (hit == NULL)
		return 0;
	json_object_set_new(hit, "recipient", json_string(outside));
	if (d.action == MAIL_POLICY_DELIVER) {	/* audit: sent, and recorded */
		d.reason = m.dlp_sample != NULL ? MAIL_POLICY_DLP :
			MAIL_POLICY_DLP_UNSCANNABLE;
	} else if (may_be_told(ctx, in->envelope_from)) {
		size_t stopped = 0;
		if (stop_outside(ctx, s, in, &m, a, plan, &stopped) < 0) {
			json_decref(hit);
			return error_set(err, ERROR_LIMIT,
				"no memory to list the recipients stopped");
		}
		json_object_set_new(hit, "stopped", json_integer(
			(json_int_t)stopped));
	} else {
		plan->decision = d;	/* no one to report to: refused whole */
	}
	return record(ctx, in, &d, hit, err);
}

int
mail_policy_arrival(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	const char *data, size_t size, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan_r, struct error *err)
{
	*plan_r = (struct mail_arrival_plan){ .data = data, .size = size,
		.decision = { .action = MAIL_POLICY_DELIVER } };
	size_t header_at = (size_t)(header - data);
	/* Only mail from the internet is checked, or can be a forgery. */
	if (!in->authenticated && !trusted(s, in->peer_ip) &&
	    judge_inbound(ctx, s, in, header_at, a, plan_r, err) < 0)
		return -1;
	if (plan_r->decision.action == MAIL_POLICY_BLOCK)
		return 0;
	/*
	 * A copy keeps our trace fields at its start, so what follows them
	 * begins at the same offset in it: [secure] and DLP read it there.
	 */
	return judge_outbound(ctx, s, in, plan_r->data + header_at,
		header_len + plan_r->size - size, a, plan_r, err);
}
