/*
 * The policy stage's record of a decision: one log line and one audit row
 * (type "message"; denied for BLOCK), with fields saying what it was
 * about; the row kept in the plan until the delivery's commit. Layer: domain. SECURITY.md 53: callers put only masked numbers
 * in fields.
 */
#include "mail/mail_policy_stage_internal.h"

#include <stdlib.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"

int
mail_policy_record(const struct mail_arrival *in,
	const struct mail_policy_decision *d, json_t *fields,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err)
{
	const char *action = mail_policy_action_name(d->action);
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
	char *text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(summary);
	const char *kept = text != NULL ? arena_strdup(a, text) : NULL;
	free(text);
	if (kept == NULL || plan->note_count == MAIL_POLICY_NOTES_MAX)
		return error_set(err, ERROR_LIMIT,
			"no room to keep the policy decision's audit record");
	plan->notes[plan->note_count++] = (struct mail_audit_note){
		.summary = kept, .denied = d->action == MAIL_POLICY_BLOCK };
	return 0;
}

int
mail_policy_write_notes(const struct dir_ctx *ctx,
	const struct mail_arrival_plan *plan, struct error *err)
{
	if (plan->note_count == 0)
		return 0;
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < plan->note_count && rc == 0; i++)
		rc = dir_audit_text(ctx, "message", 0, plan->notes[i].summary,
			plan->notes[i].denied, err);
	return dir_finish(ctx, rc, err);
}
