/*
 * The policy stage's record of a decision: one log line and one audit row
 * (type "message"; denied for BLOCK), with fields saying what it was
 * about. Layer: domain. SECURITY.md 53: callers put only masked numbers
 * in fields.
 */
#include "mail/mail_policy_stage_internal.h"

#include <stdlib.h>

#include <jansson.h>

#include "core/log.h"
#include "dir/dir.h"

static const char *const action_names[] = {
	[MAIL_POLICY_DELIVER] = "deliver",
	[MAIL_POLICY_TAG] = "tag",
	[MAIL_POLICY_JUNK] = "junk",
	[MAIL_POLICY_ENCRYPT] = "encrypt",
	[MAIL_POLICY_BLOCK] = "refuse",
};

int
mail_policy_record(const struct dir_ctx *ctx, const struct mail_arrival *in,
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
