/*
 * The account lifecycle as pure rules (SPEC L1-L7): given what is
 * stored about an account and `now`, what transition is due, when, and
 * under which rule, and which warnings are due before it; and when an
 * unused shared mailbox is noticed and then deleted (L5). No I/O, no
 * clock, no store: the job runner (src/jobs/) and the pages ask, the
 * store is told by the caller. Layer: domain; reads nothing.
 */
#ifndef LIFECYCLE_LIFECYCLE_H
#define LIFECYCLE_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

#define LIFECYCLE_DAY_S 86400
#define LIFECYCLE_MAX_LEADS 8

struct config;

/* Every duration of L1-L4, as configured; 0 turns a rule off. */
struct lifecycle_config {
	int64_t inactive_after_s;	/* L1: quiet this long -> Inactive */
	int64_t delete_after_s;		/* L1: quiet this long in all -> Deleted */
	int64_t purge_after_s;		/* L1, L2: Deleted this long -> Purged */
	int disabled_delete_months;	/* L2: calendar months Disabled -> Deleted */
	int64_t leaver_delete_after_s;	/* L3: a leaver this long -> Deleted */
	int64_t password_max_age_s;	/* L4: older -> must change */
	/* L6: days before each step when its warning is due, largest first. */
	int warn_days[LIFECYCLE_MAX_LEADS];
	size_t warn_count;
	int64_t shared_inactive_s;	/* L5: unused this long -> notice */
	int64_t shared_confirm_s;	/* L5: notice unanswered -> Deleted */
};

/* What the rules read of an account. Times are Unix seconds, 0 never. */
struct lifecycle_account {
	enum store_person_status status;
	int64_t created_at;
	int64_t last_signin_at;
	int64_t password_changed_at;
	int64_t status_changed_at;	/* when status took its value */
	int64_t deleted_at;
	int64_t purged_at;
	/*
	 * The service's last Global Administrator (dir_is_last_global_admin):
	 * they may go Inactive, never Deleted by L1, or nobody could run the
	 * service.
	 */
	bool last_global_admin;
};

enum lifecycle_step {
	LIFECYCLE_NONE,
	LIFECYCLE_REACTIVATE,	/* Inactive -> Active: a sign-in (L7) */
	LIFECYCLE_INACTIVE,	/* Active -> Inactive (L1) */
	LIFECYCLE_DELETE,	/* Inactive, Disabled, Leaver -> Deleted */
	LIFECYCLE_PURGE,	/* Deleted -> mail destroyed, address kept */
};

/* The next step for the account, due at due_at, under rule ("L1"...). */
struct lifecycle_transition {
	enum lifecycle_step step;
	int64_t due_at;
	const char *rule;	/* "L1 inactivity", ...: static text */
	const char *reason;	/* a sentence for the audit and the pages */
};

/* Reads the lifecycle.* and auth.password_max_age_days settings. */
void lifecycle_config_load(const struct config *c,
	struct lifecycle_config *cfg_r);

/* The defaults of SPEC L1-L4 (for tests and the benchmark). */
void lifecycle_config_default(struct lifecycle_config *cfg_r);

/*
 * The account's next step whatever `now` is (step NONE when nothing ever
 * comes). It is due when due_at <= now.
 */
void lifecycle_next(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct,
	struct lifecycle_transition *t_r);

/* lifecycle_next, answered only when due at now. */
bool lifecycle_due(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct, int64_t now,
	struct lifecycle_transition *t_r);

/*
 * The account after t is applied at t->due_at (what the job writes): the
 * status and its time, deleted_at or purged_at.
 */
void lifecycle_apply(struct lifecycle_account *acct,
	const struct lifecycle_transition *t);

/*
 * L7: a sign-in or a password change at `at`. Returns true when the
 * account was Inactive and is now Active; nothing else changes status.
 */
bool lifecycle_on_activity(struct lifecycle_account *acct, int64_t at,
	bool password_change);

/* L4: must the password changed at changed_at be changed at now? */
bool lifecycle_password_expired(const struct lifecycle_config *cfg,
	int64_t changed_at, int64_t now);

/*
 * L6: the warning due at now before the account's next step, if any: the
 * latest lead time already reached (after a long gap, one warning, not
 * every one missed). *lead_days_r names it; a step already due has none.
 */
bool lifecycle_warning_due(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct, int64_t now,
	struct lifecycle_transition *t_r, int *lead_days_r);

/*
 * L3: whether a leaver is to be told the date their account will be
 * deleted (once per time they were marked: the job records it), with
 * that step in *t_r.
 */
bool lifecycle_leaver_notice_due(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct,
	struct lifecycle_transition *t_r);

/* At most: Inactive, Deleted, Purged (a wake is never foretold). */
#define LIFECYCLE_MAX_STEPS 4

/* A warning still to come, lead_days before its step. */
struct lifecycle_warning {
	enum lifecycle_step step;
	int lead_days;
	int64_t at;
};

/* What comes to an account if nobody acts, as the pages show it. */
struct lifecycle_timeline {
	struct lifecycle_transition steps[LIFECYCLE_MAX_STEPS];
	size_t step_count;
	/* Each step's warnings after now, in the order of the steps. */
	struct lifecycle_warning warnings[LIFECYCLE_MAX_STEPS *
		LIFECYCLE_MAX_LEADS];
	size_t warning_count;
	int64_t password_expires_at;	/* L4; 0: never */
};

/*
 * The account's steps to come, each applied at its due time in turn, and
 * the warnings of L6 still to come before them, as of now.
 */
void lifecycle_timeline(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct, int64_t now,
	struct lifecycle_timeline *tl_r);

/* Calendar months after t (UTC), the day kept or clamped to month end. */
int64_t lifecycle_add_months(int64_t t, int months);

const char *lifecycle_step_name(enum lifecycle_step step);

/* ---- L5: inactive shared mailboxes ---- */

/* What the rule reads of a shared mailbox. Times Unix seconds, 0 never. */
struct lifecycle_shared {
	int64_t created_at;	/* counts as a use */
	int64_t last_used_at;	/* a grantee's SELECT, a sent copy, a confirm */
	int64_t noticed_at;	/* when the notice out was sent; 0 none */
};

enum lifecycle_shared_step {
	LIFECYCLE_SHARED_NONE,
	LIFECYCLE_SHARED_NOTICE,	/* owners told: confirm or lose it */
	LIFECYCLE_SHARED_DELETE,	/* nobody confirmed in time */
};

struct lifecycle_shared_transition {
	enum lifecycle_shared_step step;
	int64_t due_at;
	const char *rule;	/* "L5 shared inactivity": static text */
	const char *reason;
};

/* The mailbox's last use: its creation counts as one. */
int64_t lifecycle_shared_last_use(const struct lifecycle_shared *mb);

/*
 * The mailbox's next step whatever now is. A notice stands only for the
 * quiet spell it was sent in: a use since (a confirm is one) makes the
 * next step a new notice, 180 days after that use.
 */
void lifecycle_shared_next(const struct lifecycle_config *cfg,
	const struct lifecycle_shared *mb,
	struct lifecycle_shared_transition *t_r);

/* lifecycle_shared_next, answered only when due at now. */
bool lifecycle_shared_due(const struct lifecycle_config *cfg,
	const struct lifecycle_shared *mb, int64_t now,
	struct lifecycle_shared_transition *t_r);

/*
 * The mailbox after t is applied by a run at now: a notice is dated when
 * it is sent (now, or its due time if later), so its deletion is never
 * sooner than the confirm period after the owners were told.
 */
void lifecycle_shared_apply(struct lifecycle_shared *mb,
	const struct lifecycle_shared_transition *t, int64_t now);

/*
 * L6 for L5: the reminder due at now before a standing notice's deletion,
 * the latest lead (lifecycle.warn_days) reached that is shorter than the
 * confirm period (the notice itself covers the longer ones) and shorter
 * than warned_lead, the last one sent for this notice (0: none yet).
 */
bool lifecycle_shared_warning_due(const struct lifecycle_config *cfg,
	const struct lifecycle_shared *mb, int64_t now, int warned_lead,
	struct lifecycle_shared_transition *t_r, int *lead_days_r);

#endif
