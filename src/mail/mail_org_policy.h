/*
 * An organisation's mail policy (issue 12 items 5 and 6): the sending
 * limits (SPEC M7) and the DLP tier actions (SPEC M12) the service sets
 * (mail.send_limit_message, mail.send_limit_day, mail.dlp_*), each of
 * which an org may override. Layer: domain. Who may change them is the
 * front end's check (the Global Administrator: an org's own admins must
 * not weaken DLP for it); every change is audited.
 */
#ifndef MAIL_MAIL_ORG_POLICY_H
#define MAIL_MAIL_ORG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mail/mail_policy.h"

struct config;
struct dir_ctx;
struct error;
struct store_org_mail_policy;

/* The settings an org may override, in the order they are shown. */
enum mail_org_policy_key {
	MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE,
	MAIL_ORG_POLICY_SEND_LIMIT_DAY,
	MAIL_ORG_POLICY_DLP_HIGH,
	MAIL_ORG_POLICY_DLP_MEDIUM,
	MAIL_ORG_POLICY_DLP_LOW,
	MAIL_ORG_POLICY_KEYS
};

/* The key's name in the API, the CLI and the audit ("dlp_high", ...). */
const char *mail_org_policy_key_name(enum mail_org_policy_key key);

/* The largest limit an org may be given (a sanity bound, not a policy). */
#define MAIL_ORG_POLICY_LIMIT_MAX 1000000

/* What applies to an org's senders, and which of it is the org's own. */
struct mail_org_policy {
	struct mail_policy_limits limits;
	struct mail_policy_dlp_rule dlp;
	bool overridden[MAIL_ORG_POLICY_KEYS];
};

/*
 * The service's settings (mail.send_limit_*, mail.dlp_*), which an org's
 * overrides lie over; ERROR_INVALID naming a DLP setting whose word this
 * server does not know.
 */
int mail_org_policy_service(const struct config *c, struct mail_org_policy *p,
	struct error *err);

/*
 * Lays the org's overrides (o) over p, which holds the service's
 * settings; an override the server does not understand (a word of a
 * newer version) is left to the service's setting.
 */
void mail_org_policy_apply(const struct store_org_mail_policy *o,
	struct mail_org_policy *p);

/* The org's effective policy: the service's settings (c), then its own. */
int mail_org_policy_get(const struct dir_ctx *ctx, int64_t org_id,
	struct mail_org_policy *p_r, struct error *err);

/*
 * One change: value NULL or "default" clears the override (the service's
 * setting applies); else a whole number 1..MAIL_ORG_POLICY_LIMIT_MAX for
 * a limit, an action word (mail_policy_dlp_action_parse) for a DLP tier.
 */
struct mail_org_policy_change {
	const char *key;
	const char *value;
};

/*
 * Applies the changes to the org named by ods, all or none: ERROR_INVALID
 * naming the field for an unknown key or a bad value, ERROR_NOT_FOUND for
 * an unknown org. Audited ("update" of the organisation, the overrides
 * before and after). p_r: the policy now.
 */
int mail_org_policy_change(const struct dir_ctx *ctx, const char *ods,
	const struct mail_org_policy_change *changes, size_t count,
	struct mail_org_policy *p_r, struct error *err);

/*
 * {"send_limit_message": {"value": 500, "overridden": false}, ...}, the
 * DLP actions as their words; a new reference.
 */
json_t *mail_org_policy_json(const struct mail_org_policy *p);

#endif
