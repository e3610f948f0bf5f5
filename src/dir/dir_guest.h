/*
 * Guests and add-on licences (SPEC L8, L9; seed 002 #21234, #9966): the
 * pure rules (who may invite, what is due when, which expiry notice is
 * due) and the directory changes they drive, each audited. The sweeps
 * only say what is due at `now` and apply one item; mail/mail_guest_jobs.c
 * sends the mails and is the jobs runner's step. Layer: domain.
 */
#ifndef DIR_DIR_GUEST_H
#define DIR_DIR_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct dir_ctx;
struct error;

#define DIR_DAY 86400

/* ---- guests: pure rules ---- */

/*
 * Who may invite a guest into an org and answer for them: a person of
 * that org (their home org, not one they only administer) whose account
 * is active — not disabled, a leaver or deleted. So a leaver, or someone
 * transferred to another org, loses the right the moment the change is
 * made, and nothing needs to be told to take it away.
 */
bool dir_guest_inviter_is_eligible(int64_t guest_org_id,
	int64_t inviter_org_id, bool inviter_active);

/* The durations, in days (config guests.*). */
struct dir_guest_terms {
	int64_t first_days;	/* after the invitation: the first attestation */
	int64_t every_days;	/* after each later attestation */
	int64_t request_days;	/* the inviter is asked this long before */
	int64_t orphan_days;	/* a new inviter has this long to attest */
};

enum dir_guest_step {
	DIR_GUEST_NOTHING,	/* nothing due now */
	DIR_GUEST_REQUEST,	/* ask the inviter to attest by due_at */
	DIR_GUEST_ORPHAN,	/* the inviter lost the right: record it, tell LAs */
	DIR_GUEST_REMOVE,	/* not attested by due_at: remove */
};

struct dir_guest_due {
	enum dir_guest_step step;
	int64_t due_at;		/* the attestation deadline; 0 when removed */
};

/*
 * What is due for the guest at `now`, from its stored times alone. The
 * attestation is due at creation + first_days, then at each attestation
 * + every_days; the inviter is asked request_days before (once per
 * deadline: requested_for); at the deadline a guest not attested is
 * removed. An inviter without the right (above) cannot attest: the guest
 * is marked orphaned when first seen so, and is removed orphan_days later
 * unless a new inviter is given and attests; a new inviter who has not
 * attested yet (attested_at 0) has the same deadline.
 */
void dir_guest_due(const struct store_guest *g,
	const struct dir_guest_terms *t, int64_t now, struct dir_guest_due *r);

const char *dir_guest_step_name(enum dir_guest_step step);

/* The terms from config (guests.*). */
void dir_guest_terms_get(const struct dir_ctx *ctx, struct dir_guest_terms *t);

/* ---- guests: changes ---- */

/*
 * Invites a guest into the org: address outside this service's domains,
 * a name, and the inviter, who must be eligible (above) and attests at
 * once. ERROR_EXISTS when the org already has that guest.
 */
int dir_guest_invite(const struct dir_ctx *ctx, const char *ods,
	const char *address, const char *display_name, const char *inviter,
	struct store_guest *g_r, struct error *err);

/*
 * The inviter attests that the guest still needs access: by must be the
 * guest's inviter and still eligible, else ERROR_DENIED.
 */
int dir_guest_attest(const struct dir_ctx *ctx, int64_t guest_id,
	const char *by, struct store_guest *g_r, struct error *err);

/*
 * Gives the guest a new inviter (eligible), who must then attest within
 * guests.orphan_days of when the guest lost its inviter (or of now).
 */
int dir_guest_reassign(const struct dir_ctx *ctx, int64_t guest_id,
	const char *inviter, struct store_guest *g_r, struct error *err);

/* Removes the guest now (reason: a sentence for the audit and listing). */
int dir_guest_remove(const struct dir_ctx *ctx, int64_t guest_id,
	const char *reason, struct store_guest *g_r, struct error *err);

int dir_guest_get(const struct dir_ctx *ctx, int64_t guest_id,
	struct store_guest *g_r, struct error *err);
int dir_guest_list(const struct dir_ctx *ctx, int64_t org_id,
	bool include_removed, struct store_guest **list_r, size_t *count_r,
	struct error *err);

/* A guest as JSON, with what is due next (dir_guest_due at ctx->now). */
void *dir_guest_json(const struct dir_ctx *ctx, const struct store_guest *g);

/* One guest with the step due for it at now. */
struct dir_guest_item {
	struct store_guest guest;
	struct dir_guest_due due;
};

/* Every live guest with something due at now. */
int dir_guest_sweep_due(const struct dir_ctx *ctx, int64_t now,
	struct dir_guest_item **items_r, size_t *count_r, struct error *err);

/* Records one due step (at now) and audits it with its rule. */
int dir_guest_sweep_apply(const struct dir_ctx *ctx,
	const struct dir_guest_item *item, int64_t now, struct error *err);

/* ---- add-on licences: pure rules ---- */

#define DIR_LICENCE_NOTICES_MAX 16

/*
 * Parses licences.notice_days ("60, 30, 7, 0, -23, -83": days before
 * expiry, negative after) into days_r, which must fall strictly.
 */
int dir_licence_notice_days_parse(const char *text, int64_t *days_r,
	size_t *count_r, struct error *err);

/*
 * The index into days of the expiry notice due at now, or -1: the latest
 * whose time (expires_at - days[i]) has come and that is later than the
 * one already sent for this expiry (sent_for, sent_step; a renewal
 * changes expires_at and starts again). After a long gap only the latest
 * due is sent, not every one missed.
 */
int dir_licence_notice_due(int64_t expires_at, int64_t sent_for,
	int64_t sent_step, const int64_t *days, size_t count, int64_t now);

/*
 * Parses an allocation rule: "all", "department=NAME" or
 * "job_title=TITLE"; *field_r is "" for all.
 */
int dir_licence_rule_parse(const char *text, const char **field_r,
	const char **value_r, char *buf, size_t size, struct error *err);

/* ---- add-on licences: changes ---- */

/* Adds the org's add-on or changes its quota and expiry; audited. */
int dir_addon_set(const struct dir_ctx *ctx, const char *ods,
	const char *name, int64_t quota, int64_t expires_at,
	struct store_addon *a_r, struct error *err);
int dir_addon_get(const struct dir_ctx *ctx, const char *ods,
	const char *name, struct store_addon *a_r, struct error *err);
int dir_addon_list(const struct dir_ctx *ctx, int64_t org_id,
	struct store_addon **list_r, size_t *count_r, struct error *err);

/*
 * Gives the add-on to a person of its org (ERROR_LIMIT past the quota,
 * ERROR_INVALID once expired), or takes it back.
 */
int dir_addon_allocate(const struct dir_ctx *ctx, const char *ods,
	const char *name, const char *address, struct error *err);
int dir_addon_free(const struct dir_ctx *ctx, const char *ods,
	const char *name, const char *address, struct error *err);

/*
 * Sets the add-on's allocation rule ("" or "none" to clear) and applies
 * it: each live person of the org it matches who lacks the add-on gets
 * it, in id order, while the quota lasts; *given_r and *left_r count who
 * got it and who matched but did not fit.
 */
int dir_addon_rule(const struct dir_ctx *ctx, const char *ods,
	const char *name, const char *rule, size_t *given_r, size_t *left_r,
	struct error *err);

/*
 * How many people the add-on's rule would give it to now (people who
 * joined or changed since it was set), within the quota; 0 without a
 * rule or once expired. The sweep applies them with dir_addon_rule.
 */
int dir_addon_rule_pending(const struct dir_ctx *ctx,
	const struct store_addon *a, size_t *count_r, struct error *err);

/* The holders of an add-on. */
int dir_addon_holders(const struct dir_ctx *ctx, int64_t addon_id,
	struct store_allocation **list_r, size_t *count_r, struct error *err);

/* The add-on as JSON for the report (holders when with_holders). */
void *dir_addon_json(const struct dir_ctx *ctx, const struct store_addon *a,
	bool with_holders);

/*
 * The licence report of the org (0: every org) as CSV (RFC 4180): one
 * row per holder, and one with no holder for an add-on nobody holds.
 */
int dir_licence_report_csv(const struct dir_ctx *ctx, int64_t org_id,
	const char **csv_r, struct error *err);

struct dir_licence_item {
	struct store_addon addon;
	int notice;		/* index into the notice days */
	int64_t days;		/* its days before expiry (negative: after) */
};

/* Every add-on with an expiry notice due at now. */
int dir_licence_sweep_due(const struct dir_ctx *ctx, int64_t now,
	struct dir_licence_item **items_r, size_t *count_r, struct error *err);

/* Records that the notice went; audited. */
int dir_licence_sweep_apply(const struct dir_ctx *ctx,
	const struct dir_licence_item *item, struct error *err);

#endif
