/*
 * The policy stage's view of who sent the message: the sending limits of
 * a signed-in person (SPEC M7) and the DLP actions of the sender's org
 * (issue 12 item 5: the service's settings with the org's overrides).
 * Layer: domain. One indexed read per message, no commit: the day's count
 * is added in the delivery's own commit (mail_deliver.c), so the limits
 * cost the group commit nothing.
 */
#include "mail/mail_policy_stage_internal.h"

#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_org_policy.h"
#include "store/store_mail_policy.h"
#include "store/store_types.h"

#define SECONDS_PER_DAY 86400

/* Every recipient stopped with the same words for the report. */
static int
stop_all(const struct mail_arrival *in, const char *why, struct arena *a,
	struct mail_arrival_plan *plan)
{
	const char **stopped = arena_alloc(a, (in->recipient_count + 1) *
		sizeof(*stopped));
	if (stopped == NULL)
		return -1;
	for (size_t i = 0; i < in->recipient_count; i++)
		stopped[i] = why;
	plan->stopped = stopped;
	plan->limited = true;
	return 0;
}

int
mail_policy_judge_sender(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err)
{
	struct mail_org_policy policy = { .limits = s->limits, .dlp = s->dlp };
	struct store_sender_state state = { 0 };
	int64_t day = ctx->now / SECONDS_PER_DAY;
	bool known = false;
	if (in->person != NULL) {
		struct error inner;
		if (store_sender_state_get(ctx->store, in->person, day, a,
			    &state, &inner) == 0)
			known = true;
		else if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		mail_org_policy_apply(&state.org, &policy);
	} else {
		struct store_org_mail_policy o;
		if (store_org_mail_policy_get(ctx->store, in->org_id, a, &o,
			    err) < 0)
			return -1;
		mail_org_policy_apply(&o, &policy);
	}
	if (memcmp(&policy.dlp, &s->dlp, sizeof(policy.dlp)) != 0) {
		struct mail_policy_dlp_rule *dlp = arena_alloc(a, sizeof(*dlp));
		if (dlp == NULL)
			return error_set(err, ERROR_LIMIT,
				"no memory for the organisation's DLP policy");
		*dlp = policy.dlp;
		plan->dlp = dlp;
	}
	if (in->person == NULL || !s->send_limits)
		return 0;
	/* A person not found (gone since signing in) can send to no one. */
	const char *version = config_get_str(ctx->config, "auth.aup_version");
	struct mail_policy_sender sender = {
		.aup_accepted = known && state.aup_version[0] != '\0' &&
			strcmp(state.aup_version, version) == 0,
		.questions_set = known && state.questions >= STORE_SECURITY_ANSWERS,
		.sent_today = state.sent_today,
	};
	struct mail_policy_decision d = mail_policy_send_limit(&sender,
		&policy.limits, in->recipient_count, a);
	if (d.action == MAIL_POLICY_DELIVER) {
		plan->sent_by = state.person_id;
		return 0;
	}
	if (stop_all(in, d.why, a, plan) < 0)
		return error_set(err, ERROR_LIMIT,
			"no memory to list the recipients stopped");
	return mail_policy_record(in, &d, json_pack("{s:s, s:I, s:I, s:I, s:I}",
		"person", in->person, "recipients",
		(json_int_t)in->recipient_count, "sent_today",
		(json_int_t)state.sent_today, "limit_message",
		(json_int_t)policy.limits.per_message, "limit_day",
		(json_int_t)policy.limits.per_day), a, plan, err);
}
