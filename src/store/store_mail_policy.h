/*
 * The sending limits' state and an organisation's mail policy overrides
 * (SPEC M7, M12): recipients each person sent to per UTC day, and the
 * settings an org overrides (send limits, DLP tier actions). Layer:
 * store; only the domain includes this.
 */
#ifndef STORE_STORE_MAIL_POLICY_H
#define STORE_STORE_MAIL_POLICY_H

#include <stdint.h>

struct arena;
struct error;
struct store;

/*
 * What an org overrides; 0 or NULL: the service's setting. The DLP
 * actions are the words of mail.dlp_* as the domain checked them.
 */
struct store_org_mail_policy {
	int64_t send_limit_message;
	int64_t send_limit_day;
	const char *dlp_high;
	const char *dlp_medium;
	const char *dlp_low;
};

/* The org's overrides; all unset when it has none. */
int store_org_mail_policy_get(struct store *st, int64_t org_id,
	struct arena *a, struct store_org_mail_policy *p_r, struct error *err);

/* Replaces the org's overrides with p (all unset: the row goes). */
int store_org_mail_policy_set(struct store *st, int64_t org_id,
	const struct store_org_mail_policy *p, struct error *err);

/* What the sending limits read of a person, in one indexed read. */
struct store_sender_state {
	int64_t person_id;
	int64_t org_id;
	const char *aup_version;	/* "" when never accepted */
	int64_t questions;		/* security answers set */
	int64_t sent_today;		/* recipients counted for `day` */
	struct store_org_mail_policy org;	/* their org's overrides */
};

/*
 * The live person whose mailbox has `address`, with their count for
 * `day` (days since the epoch, UTC). ERROR_NOT_FOUND when none.
 */
int store_sender_state_get(struct store *st, const char *address,
	int64_t day, struct arena *a, struct store_sender_state *s_r,
	struct error *err);

/* Adds n recipients to the person's count for `day`. */
int store_send_count_add(struct store *st, int64_t person_id, int64_t day,
	int64_t n, struct error *err);

#endif
