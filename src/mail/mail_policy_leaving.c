/*
 * The policy stage for mail leaving the platform and the secure domains:
 * [secure] asks for encryption (sealed for the portal, never sent in
 * clear), and without it the DLP scan (mail_dlp.h) judged by the tier
 * actions: a hit audited, sealed, or every outside recipient stopped
 * with the words for the sender's report. Layer: domain. SPEC M10, M12;
 * SECURITY.md 14, 53 (only the masked number is ever shown or stored).
 */
#include "mail/mail_policy_stage_internal.h"

#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_dlp.h"
#include "mail/mail_mime.h"
#include "mail/mail_secure.h"

/* Room for the DLP scan's part tree and sentences beyond the message. */
#define SCAN_ROOM (16 * 1024 * 1024)

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

static bool
is_outside(const struct mail_policy_settings *s, const char *address,
	int64_t now)
{
	return !mail_secure_domain_match(&s->secure, address, now);
}

/* Whether address is one of the message's direct recipients already. */
static bool
is_direct(const struct mail_arrival *in, const char *address)
{
	for (size_t i = 0; i < in->recipient_count; i++)
		if (in->recipients[i].kind == MAIL_ROUTE_REMOTE &&
		    strcmp(in->recipients[i].address, address) == 0)
			return true;
	return false;
}

/*
 * The contacts outside the secure domains that the list recipients
 * reach (dir_list_outside), each once and none a direct recipient, as
 * plan->withheld entries not yet decided. A list's contacts would
 * otherwise get in clear what its direct recipients may not.
 */
static int
list_contacts(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
	const struct mail_arrival *in, struct arena *a,
	struct mail_arrival_plan *plan, struct error *err)
{
	struct dir_ctx c = *ctx;
	c.arena = a;
	struct mail_withheld *list = NULL;
	size_t count = 0, capacity = 0;
	for (size_t i = 0; i < in->recipient_count; i++) {
		const struct mail_recipient *r = &in->recipients[i];
		const char **addresses;
		size_t n;
		if (r->kind != MAIL_ROUTE_LIST)
			continue;
		if (dir_list_outside(&c, r->list_id, &addresses, &n, err) < 0)
			return -1;
		for (size_t j = 0; j < n; j++) {
			bool seen = !is_outside(s, addresses[j], ctx->now) ||
				is_direct(in, addresses[j]);
			for (size_t k = 0; k < count && !seen; k++)
				seen = strcmp(list[k].address, addresses[j]) == 0;
			if (seen)
				continue;
			struct mail_withheld *w = arena_array_push(a,
				(void **)&list, &count, &capacity, sizeof(*w));
			if (w == NULL)
				return error_set(err, ERROR_LIMIT, "no memory "
					"for the lists' outside contacts");
			*w = (struct mail_withheld){ .address = addresses[j],
				.via = r };
		}
	}
	plan->withheld = list;
	plan->withheld_count = count;
	return 0;
}

/*
 * The first recipient outside the platform and the secure domains, a
 * list's contact after the direct ones, or NULL.
 */
static const char *
first_outside(const struct mail_policy_settings *s,
	const struct mail_arrival *in, const struct mail_arrival_plan *plan,
	int64_t now)
{
	for (size_t i = 0; i < in->recipient_count; i++) {
		const struct mail_recipient *r = &in->recipients[i];
		if (r->kind == MAIL_ROUTE_REMOTE &&
		    is_outside(s, r->address, now))
			return r->address;
	}
	return plan->withheld_count > 0 ? plan->withheld[0].address : NULL;
}

/*
 * Seals the message for every recipient outside the platform and the
 * secure domains (SPEC M10): they get a notice and read it in the portal;
 * the others get it as it is. *sealed_r how many.
 */
static int
seal_outside(const struct mail_policy_settings *s,
	const struct mail_arrival *in, int64_t now, struct arena *a,
	struct mail_arrival_plan *plan, size_t *sealed_r)
{
	bool *sealed = arena_alloc(a, in->recipient_count + 1);
	if (sealed == NULL)
		return -1;
	for (size_t i = 0; i < in->recipient_count; i++) {
		const struct mail_recipient *r = &in->recipients[i];
		sealed[i] = r->kind == MAIL_ROUTE_REMOTE &&
			is_outside(s, r->address, now);
		*sealed_r += sealed[i];
	}
	plan->sealed = sealed;
	struct mail_withheld *w = plan->withheld;
	for (size_t i = 0; i < plan->withheld_count; i++)
		w[i].sealed = true;
	*sealed_r += plan->withheld_count;
	return 0;
}

/*
 * DLP (SPEC M12): the whole message scanned once and judged by
 * mail.dlp_high, _medium and _low into m. A hit returns what the log and audit say of it:
 * the tier, the count and the surest masked sample, never a number in
 * clear (SECURITY.md 53); NULL when there is none.
 */
static json_t *
scan(const struct mail_policy_dlp_rule *rule, struct span msg,
	struct arena *a, struct mail_policy_message *m,
	struct mail_dlp_alert *alert)
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
		*alert = (struct mail_dlp_alert){
			.tier = arena_strdup(a, r.sample_count > 0 ?
				mail_nhsnum_tier_name(r.tier) : ""),
			.sample = m->dlp_sample != NULL ? m->dlp_sample : "",
			.numbers = numbers };
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
	struct mail_withheld *w = plan->withheld;
	for (size_t i = 0; i < plan->withheld_count; i++) {
		w[i].why = mail_policy_outbound(m, w[i].address, true, false,
			a).why;
		(*stopped_r)++;
	}
	return 0;
}

/*
 * Mail leaving the secure domains (SPEC M10, M12), judged by
 * mail_policy_outbound for the first recipient outside them (every such
 * recipient is judged alike): [secure], or a DLP hit set to encrypt,
 * seals it for them; without it the DLP scan may block, or only record,
 * a hit. Nothing to judge when every recipient is here or in a secure
 * domain.
 */
int
mail_policy_judge_leaving(const struct dir_ctx *ctx, const struct mail_policy_settings *s,
	const struct mail_arrival *in, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err)
{
	if (list_contacts(ctx, s, in, a, plan, err) < 0)
		return -1;
	const char *outside = first_outside(s, in, plan, ctx->now);
	if (outside == NULL)
		return 0;
	const char **list;
	size_t n;
	if (subjects(span_make(header, header_len), a, &list, &n) < 0)
		return error_set(err, ERROR_LIMIT,
			"no memory to read the message's subject");
	struct mail_policy_message m = {
		.wants_secure = mail_policy_wants_secure(list, n) };
	json_t *hit = NULL;
	struct mail_dlp_alert *alert = arena_alloc(a, sizeof(*alert));
	if (alert == NULL)
		return error_set(err, ERROR_LIMIT,
			"no memory to judge the message");
	*alert = (struct mail_dlp_alert){ 0 };
	if (!m.wants_secure && mail_policy_dlp_scans(plan->dlp))
		hit = scan(plan->dlp, span_make(header, header_len), a, &m,
			alert);
	if (hit != NULL) {
		alert->recipient = outside;
		alert->decision = mail_policy_action_name(
			mail_policy_outbound(&m, outside, true, false, a).action);
		plan->dlp_alert = alert->tier != NULL ? alert : NULL;
	}
	struct mail_policy_decision d = mail_policy_outbound(&m, outside,
		true, false, a);
	if (d.action == MAIL_POLICY_ENCRYPT) {
		size_t sealed = 0;
		if (seal_outside(s, in, ctx->now, a, plan, &sealed) < 0) {
			json_decref(hit);
			return error_set(err, ERROR_LIMIT,
				"no memory to list the recipients to encrypt for");
		}
		if (hit == NULL)
			hit = json_object();
		json_object_set_new(hit, "recipient", json_string(outside));
		json_object_set_new(hit, "sealed", json_integer(
			(json_int_t)sealed));
		if (m.wants_secure && n != 1)
			json_object_set_new(hit, "subjects", json_integer(
				(json_int_t)n));
		return mail_policy_record(in, &d, hit, a, plan, err);
	}
	if (hit == NULL || d.action == MAIL_POLICY_DELIVER ||
	    !may_be_told(ctx, in->envelope_from)) {
		/* Sent to the lists' contacts as to the others. */
		plan->withheld = NULL;
		plan->withheld_count = 0;
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
	return mail_policy_record(in, &d, hit, a, plan, err);
}
