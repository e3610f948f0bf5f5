/*
 * The account lifecycle's rules (SPEC L1-L7), pure functions of
 * stored timestamps and `now`. Each step is due at a time computed from
 * the stored times alone, never from when a job happened to run, so a job
 * that applies a step at its due time and asks again catches up exactly
 * after downtime: an account quiet for 200 days goes Inactive at day 90
 * and Deleted at day 180, and its purge falls due at day 210.
 * Layer: domain.
 */
#include "lifecycle/lifecycle.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"

void
lifecycle_config_default(struct lifecycle_config *cfg_r)
{
	*cfg_r = (struct lifecycle_config){
		.inactive_after_s = 90 * LIFECYCLE_DAY_S,
		.delete_after_s = 180 * LIFECYCLE_DAY_S,
		.purge_after_s = 30 * LIFECYCLE_DAY_S,
		.disabled_delete_months = 18,
		.leaver_delete_after_s = 30 * LIFECYCLE_DAY_S,
		.password_max_age_s = 90 * LIFECYCLE_DAY_S,
		.warn_days = { 14, 1 },
		.warn_count = 2,
		.shared_inactive_s = 180 * LIFECYCLE_DAY_S,
		.shared_confirm_s = 30 * LIFECYCLE_DAY_S,
	};
}

/* "14, 1": the lead days, largest first, bad items skipped (config checks). */
static void
parse_leads(const char *text, struct lifecycle_config *cfg)
{
	cfg->warn_count = 0;
	const char *p = text != NULL ? text : "";
	while (*p != '\0' && cfg->warn_count < LIFECYCLE_MAX_LEADS) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		if (v > 0 && v <= 3650)
			cfg->warn_days[cfg->warn_count++] = (int)v;
		p = end;
	}
	/* Largest first: the warning due is the last lead reached. */
	for (size_t i = 1; i < cfg->warn_count; i++) {
		for (size_t j = i; j > 0 &&
		     cfg->warn_days[j] > cfg->warn_days[j - 1]; j--) {
			int tmp = cfg->warn_days[j];
			cfg->warn_days[j] = cfg->warn_days[j - 1];
			cfg->warn_days[j - 1] = tmp;
		}
	}
}

void
lifecycle_config_load(const struct config *c, struct lifecycle_config *cfg_r)
{
	lifecycle_config_default(cfg_r);
	cfg_r->inactive_after_s = config_get_int(c,
		"lifecycle.inactive_after_days") * LIFECYCLE_DAY_S;
	cfg_r->delete_after_s = config_get_int(c,
		"lifecycle.delete_after_days") * LIFECYCLE_DAY_S;
	cfg_r->purge_after_s = config_get_int(c,
		"lifecycle.purge_after_days") * LIFECYCLE_DAY_S;
	cfg_r->disabled_delete_months = (int)config_get_int(c,
		"lifecycle.disabled_delete_after_months");
	cfg_r->leaver_delete_after_s = config_get_int(c,
		"lifecycle.leaver_delete_after_days") * LIFECYCLE_DAY_S;
	cfg_r->password_max_age_s = config_get_int(c,
		"auth.password_max_age_days") * LIFECYCLE_DAY_S;
	parse_leads(config_get_str(c, "lifecycle.warn_days"), cfg_r);
	cfg_r->shared_inactive_s = config_get_int(c,
		"lifecycle.shared_inactive_days") * LIFECYCLE_DAY_S;
	cfg_r->shared_confirm_s = config_get_int(c,
		"lifecycle.shared_confirm_days") * LIFECYCLE_DAY_S;
}

int64_t
lifecycle_add_months(int64_t t, int months)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	int64_t month = (int64_t)tm.tm_year * 12 + tm.tm_mon + months;
	int year = (int)(month / 12) + 1900, mon = (int)(month % 12);
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int last = days[mon];
	if (mon == 1 && ((year % 4 == 0 && year % 100 != 0) ||
			    year % 400 == 0))
		last = 29;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	if (tm.tm_mday > last)
		tm.tm_mday = last;
	return (int64_t)timegm(&tm);
}

static int64_t
max3(int64_t a, int64_t b, int64_t c)
{
	int64_t m = a > b ? a : b;
	return m > c ? m : c;
}

static void
set(struct lifecycle_transition *t, enum lifecycle_step step,
	int64_t due_at, const char *rule, const char *reason)
{
	*t = (struct lifecycle_transition){ step, due_at, rule, reason };
}

void
lifecycle_next(const struct lifecycle_config *cfg,
	const struct lifecycle_account *a, struct lifecycle_transition *t_r)
{
	set(t_r, LIFECYCLE_NONE, 0, "", "");
	/* The last time the person did anything that counts (L1). */
	int64_t quiet_since = max3(a->created_at, a->last_signin_at,
		a->password_changed_at);
	switch (a->status) {
	case STORE_PERSON_ACTIVE:
		/* An LA's enable or a join restarts the clock (L1). */
		if (a->status_changed_at > quiet_since)
			quiet_since = a->status_changed_at;
		if (cfg->inactive_after_s > 0)
			set(t_r, LIFECYCLE_INACTIVE,
				quiet_since + cfg->inactive_after_s,
				"L1 inactivity", "no sign-in and no password "
				"change for the inactivity period");
		return;
	case STORE_PERSON_INACTIVE:
		if (quiet_since > a->status_changed_at) {
			/* L7: activity since it went Inactive wakes it at once. */
			set(t_r, LIFECYCLE_REACTIVATE, quiet_since,
				"L7 activity", "signed in or changed the "
				"password while inactive");
			return;
		}
		if (cfg->delete_after_s > 0 && !a->last_global_admin) {
			int64_t rest = cfg->delete_after_s - cfg->inactive_after_s;
			set(t_r, LIFECYCLE_DELETE, a->status_changed_at +
				(rest > 0 ? rest : 0), "L1 inactivity",
				"inactive until the deletion period in all");
		}
		return;
	case STORE_PERSON_DISABLED:
		if (cfg->disabled_delete_months > 0)
			set(t_r, LIFECYCLE_DELETE, lifecycle_add_months(
				a->status_changed_at, cfg->disabled_delete_months),
				"L2 disabled", "disabled by a local administrator "
				"for the whole period");
		return;
	case STORE_PERSON_LEAVER:
		if (cfg->leaver_delete_after_s > 0)
			set(t_r, LIFECYCLE_DELETE, a->status_changed_at +
				cfg->leaver_delete_after_s, "L3 leaver",
				"a leaver who joined no organisation in time");
		return;
	case STORE_PERSON_DELETED:
		if (a->purged_at == 0 && cfg->purge_after_s > 0)
			set(t_r, LIFECYCLE_PURGE, a->deleted_at +
				cfg->purge_after_s, "L1 purge",
				"deleted for the whole restore period");
		return;
	}
}

bool
lifecycle_due(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct, int64_t now,
	struct lifecycle_transition *t_r)
{
	lifecycle_next(cfg, acct, t_r);
	return t_r->step != LIFECYCLE_NONE && t_r->due_at <= now;
}

void
lifecycle_apply(struct lifecycle_account *a,
	const struct lifecycle_transition *t)
{
	switch (t->step) {
	case LIFECYCLE_NONE:
		return;
	case LIFECYCLE_REACTIVATE:
		a->status = STORE_PERSON_ACTIVE;
		break;
	case LIFECYCLE_INACTIVE:
		a->status = STORE_PERSON_INACTIVE;
		break;
	case LIFECYCLE_DELETE:
		a->status = STORE_PERSON_DELETED;
		a->deleted_at = t->due_at;
		break;
	case LIFECYCLE_PURGE:
		a->purged_at = t->due_at;
		return;
	}
	a->status_changed_at = t->due_at;
}

bool
lifecycle_on_activity(struct lifecycle_account *a, int64_t at,
	bool password_change)
{
	if (a->status != STORE_PERSON_ACTIVE &&
	    a->status != STORE_PERSON_INACTIVE)
		return false;
	if (password_change)
		a->password_changed_at = at;
	else
		a->last_signin_at = at;
	if (a->status != STORE_PERSON_INACTIVE)
		return false;
	a->status = STORE_PERSON_ACTIVE;
	a->status_changed_at = at;
	return true;
}

bool
lifecycle_password_expired(const struct lifecycle_config *cfg,
	int64_t changed_at, int64_t now)
{
	/* SPEC L4: 0 turns expiry off (NIST SP 800-63B advises so). */
	return cfg->password_max_age_s > 0 &&
		now - changed_at >= cfg->password_max_age_s;
}

bool
lifecycle_leaver_notice_due(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct,
	struct lifecycle_transition *t_r)
{
	lifecycle_next(cfg, acct, t_r);
	return acct->status == STORE_PERSON_LEAVER &&
		t_r->step == LIFECYCLE_DELETE;
}

bool
lifecycle_warning_due(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct, int64_t now,
	struct lifecycle_transition *t_r, int *lead_days_r)
{
	lifecycle_next(cfg, acct, t_r);
	/* Warned of: what the person can still prevent or should know of. */
	if (t_r->step == LIFECYCLE_NONE || t_r->step == LIFECYCLE_REACTIVATE ||
	    t_r->due_at <= now)
		return false;
	for (size_t i = cfg->warn_count; i > 0; i--) {
		int lead = cfg->warn_days[i - 1];
		if (t_r->due_at - (int64_t)lead * LIFECYCLE_DAY_S <= now) {
			*lead_days_r = lead;
			return true;
		}
	}
	return false;
}

void
lifecycle_timeline(const struct lifecycle_config *cfg,
	const struct lifecycle_account *acct, int64_t now,
	struct lifecycle_timeline *tl_r)
{
	*tl_r = (struct lifecycle_timeline){ 0 };
	struct lifecycle_account a = *acct;
	while (tl_r->step_count < LIFECYCLE_MAX_STEPS) {
		struct lifecycle_transition *t = &tl_r->steps[tl_r->step_count];
		lifecycle_next(cfg, &a, t);
		if (t->step == LIFECYCLE_NONE || t->step == LIFECYCLE_REACTIVATE)
			break;
		tl_r->step_count++;
		for (size_t k = 0; k < cfg->warn_count; k++) {
			int64_t at = t->due_at -
				(int64_t)cfg->warn_days[k] * LIFECYCLE_DAY_S;
			if (at > now)
				tl_r->warnings[tl_r->warning_count++] =
					(struct lifecycle_warning){ t->step,
						cfg->warn_days[k], at };
		}
		lifecycle_apply(&a, t);
	}
	/* L4: never for an account that never set a password here. */
	if (acct->password_changed_at != 0 && cfg->password_max_age_s > 0)
		tl_r->password_expires_at = acct->password_changed_at +
			cfg->password_max_age_s;
}

const char *
lifecycle_step_name(enum lifecycle_step step)
{
	switch (step) {
	case LIFECYCLE_NONE:
		return "none";
	case LIFECYCLE_REACTIVATE:
		return "reactivate";
	case LIFECYCLE_INACTIVE:
		return "inactive";
	case LIFECYCLE_DELETE:
		return "delete";
	case LIFECYCLE_PURGE:
		return "purge";
	}
	return "unknown";
}

/* ---- L5: inactive shared mailboxes ---- */

static const char shared_rule[] = "L5 shared inactivity";

int64_t
lifecycle_shared_last_use(const struct lifecycle_shared *mb)
{
	return mb->last_used_at > mb->created_at ? mb->last_used_at :
		mb->created_at;
}

void
lifecycle_shared_next(const struct lifecycle_config *cfg,
	const struct lifecycle_shared *mb,
	struct lifecycle_shared_transition *t_r)
{
	*t_r = (struct lifecycle_shared_transition){ LIFECYCLE_SHARED_NONE, 0,
		"", "" };
	if (cfg->shared_inactive_s <= 0)
		return;
	int64_t notice_at = lifecycle_shared_last_use(mb) +
		cfg->shared_inactive_s;
	/* A notice older than the last use belongs to a spell that ended. */
	if (mb->noticed_at == 0 || mb->noticed_at < notice_at) {
		*t_r = (struct lifecycle_shared_transition){
			LIFECYCLE_SHARED_NOTICE, notice_at, shared_rule,
			"not used for the shared mailbox inactivity period" };
		return;
	}
	*t_r = (struct lifecycle_shared_transition){ LIFECYCLE_SHARED_DELETE,
		mb->noticed_at + cfg->shared_confirm_s, shared_rule,
		"no owner confirmed it was still needed in time" };
}

bool
lifecycle_shared_due(const struct lifecycle_config *cfg,
	const struct lifecycle_shared *mb, int64_t now,
	struct lifecycle_shared_transition *t_r)
{
	lifecycle_shared_next(cfg, mb, t_r);
	return t_r->step != LIFECYCLE_SHARED_NONE && t_r->due_at <= now;
}

void
lifecycle_shared_apply(struct lifecycle_shared *mb,
	const struct lifecycle_shared_transition *t, int64_t now)
{
	/*
	 * The confirm period runs from when the owners are told, not from
	 * when the notice fell due: after a gap in the runs they still get
	 * the whole period to answer (L5: deleted unless an owner confirms).
	 */
	if (t->step == LIFECYCLE_SHARED_NOTICE)
		mb->noticed_at = now > t->due_at ? now : t->due_at;
}

bool
lifecycle_shared_warning_due(const struct lifecycle_config *cfg,
	const struct lifecycle_shared *mb, int64_t now, int warned_lead,
	struct lifecycle_shared_transition *t_r, int *lead_days_r)
{
	lifecycle_shared_next(cfg, mb, t_r);
	if (t_r->step != LIFECYCLE_SHARED_DELETE || t_r->due_at <= now)
		return false;
	for (size_t i = cfg->warn_count; i > 0; i--) {
		int lead = cfg->warn_days[i - 1];
		int64_t lead_s = (int64_t)lead * LIFECYCLE_DAY_S;
		if (lead_s >= cfg->shared_confirm_s)
			break;
		if (t_r->due_at - lead_s <= now) {
			if (warned_lead != 0 && lead >= warned_lead)
				return false;
			*lead_days_r = lead;
			return true;
		}
	}
	return false;
}
