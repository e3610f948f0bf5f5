/*
 * What the policy stage's files share (mail_policy_stage.c,
 * mail_policy_internet.c, mail_policy_leaving.c). Layer: domain; not for
 * other callers.
 */
#ifndef MAIL_POLICY_STAGE_INTERNAL_H
#define MAIL_POLICY_STAGE_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "mail/mail_policy_stage.h"

struct arena;
struct dir_ctx;
struct error;

/*
 * The log line of a decision, now, and its audit row (denied for BLOCK)
 * as a note in plan (its summary in a), written with the delivery or by
 * mail_policy_arrival for a message refused whole; fields (stolen) say
 * what it was about.
 */
int mail_policy_record(const struct mail_arrival *in,
	const struct mail_policy_decision *d, json_t *fields,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err);

/* The plan's notes, in a commit of their own (a message refused whole). */
int mail_policy_write_notes(const struct dir_ctx *ctx,
	const struct mail_arrival_plan *plan, struct error *err);

/*
 * Mail from the internet: plan->data[plan->size] with our trace fields
 * before header_at. Fills plan->decision and, unless BLOCK, may point
 * plan->data at a copy in a (the banner, the Authentication-Results
 * field). -1 when the audit or a copy fails.
 */
int mail_policy_judge_internet(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	size_t header_at, struct arena *a, struct mail_arrival_plan *plan,
	struct error *err);

/*
 * The sender's org's mail policy (its DLP overrides in plan->dlp) and,
 * for a person with mail.send_limits on, the sending limits (SPEC M7):
 * over them, every recipient stopped (plan->stopped, plan->limited) and
 * the decision recorded; under, plan->sent_by. -1 when the directory
 * cannot be read or a row does not fit in a.
 */
int mail_policy_judge_sender(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	struct arena *a, struct mail_arrival_plan *plan, struct error *err);

/*
 * Mail with a recipient outside the platform and the secure domains;
 * header[header_len]: the message after our trace fields. BLOCK in
 * plan->decision, or plan->stopped, or nothing; every hit recorded.
 */
int mail_policy_judge_leaving(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	const char *header, size_t header_len, struct arena *a,
	struct mail_arrival_plan *plan, struct error *err);

#endif
