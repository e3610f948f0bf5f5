/*
 * The scheduled parts of guests and add-on licences (SPEC L8, L9) as job
 * steps: what is due at `now` (dir_guest_sweep_due,
 * dir_licence_sweep_due), applied and told by mail through the
 * platform's own mail path. Each has the jobs runner's step signature
 * but for the report, a JSON array (the runner's struct jobs_report is
 * not on main yet: the merger wires these in). Layer: domain.
 */
#ifndef MAIL_MAIL_GUEST_JOBS_H
#define MAIL_MAIL_GUEST_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct dir_ctx;
struct error;
struct store_writer;

/*
 * Guests: asks inviters to attest before the deadline, marks guests
 * whose inviter lost the right and tells the org's Local Administrators,
 * removes guests not attested in time (telling the inviter and the LAs).
 * dry_run: changes and sends nothing, w may be NULL. Appends one object
 * per item to report ({job, rule, guest, org, due, to[]}). Idempotent:
 * a second run at the same now finds nothing due.
 */
int mail_guest_step(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, json_t *report, struct error *err);

/*
 * Add-on licences: each add-on's allocation rule applied to people who
 * joined or changed since (within the quota), then the expiry notice due
 * for each add-on (60, 30, 7, 0 days before expiry, 23 and 83 after:
 * licences.notice_days) to the org's Local Administrators, each once.
 * As mail_guest_step otherwise.
 */
int mail_licence_step(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, json_t *report, struct error *err);

#endif
