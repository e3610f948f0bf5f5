/*
 * An organisation's mail policy: the service's settings with the org's
 * overrides laid over them, changed all or nothing and audited. Layer:
 * domain. SPEC M7 (sending limits), M12 (DLP tier actions); issue 12
 * item 5: "global with a per-org override".
 */
#include "mail/mail_org_policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_nhsnum.h"
#include "store/store_mail_policy.h"

static const char *const key_names[] = {
	[MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE] = "send_limit_message",
	[MAIL_ORG_POLICY_SEND_LIMIT_DAY] = "send_limit_day",
	[MAIL_ORG_POLICY_DLP_HIGH] = "dlp_high",
	[MAIL_ORG_POLICY_DLP_MEDIUM] = "dlp_medium",
	[MAIL_ORG_POLICY_DLP_LOW] = "dlp_low",
};

/* The DLP keys' tiers. */
static const enum mail_nhsnum_tier key_tiers[] = {
	[MAIL_ORG_POLICY_DLP_HIGH] = MAIL_NHSNUM_TIER_HIGH,
	[MAIL_ORG_POLICY_DLP_MEDIUM] = MAIL_NHSNUM_TIER_MEDIUM,
	[MAIL_ORG_POLICY_DLP_LOW] = MAIL_NHSNUM_TIER_LOW,
};

const char *
mail_org_policy_key_name(enum mail_org_policy_key key)
{
	return key_names[key];
}

static const char **
dlp_slot(struct store_org_mail_policy *o, enum mail_org_policy_key key)
{
	return key == MAIL_ORG_POLICY_DLP_HIGH ? &o->dlp_high :
	       key == MAIL_ORG_POLICY_DLP_MEDIUM ? &o->dlp_medium :
	       &o->dlp_low;
}

void
mail_org_policy_apply(const struct store_org_mail_policy *o,
	struct mail_org_policy *p)
{
	if (o->send_limit_message > 0) {
		p->limits.per_message = o->send_limit_message;
		p->overridden[MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE] = true;
	}
	if (o->send_limit_day > 0) {
		p->limits.per_day = o->send_limit_day;
		p->overridden[MAIL_ORG_POLICY_SEND_LIMIT_DAY] = true;
	}
	struct store_org_mail_policy copy = *o;
	for (int k = MAIL_ORG_POLICY_DLP_HIGH; k <= MAIL_ORG_POLICY_DLP_LOW;
	     k++) {
		enum mail_policy_dlp_action action;
		if (mail_policy_dlp_action_parse(*dlp_slot(&copy, k),
			    &action)) {
			p->dlp.by_tier[key_tiers[k]] = action;
			p->overridden[k] = true;
		}
	}
}

int
mail_org_policy_service(const struct config *c, struct mail_org_policy *p,
	struct error *err)
{
	*p = (struct mail_org_policy){ .limits = {
		.per_message = config_get_int(c, "mail.send_limit_message"),
		.per_day = config_get_int(c, "mail.send_limit_day") } };
	/* config has checked each is one of the words (mail_policy.h). */
	static const char *const dlp_keys[] = {
		[MAIL_NHSNUM_TIER_LOW] = "mail.dlp_low",
		[MAIL_NHSNUM_TIER_MEDIUM] = "mail.dlp_medium",
		[MAIL_NHSNUM_TIER_HIGH] = "mail.dlp_high",
	};
	for (size_t t = MAIL_NHSNUM_TIER_LOW; t <= MAIL_NHSNUM_TIER_HIGH; t++)
		if (!mail_policy_dlp_action_parse(config_get_str(c,
			    dlp_keys[t]), &p->dlp.by_tier[t]))
			return error_set(err, ERROR_INVALID, "%s: '%s' is not "
				"an action this server knows", dlp_keys[t],
				config_get_str(c, dlp_keys[t]));
	return 0;
}

int
mail_org_policy_get(const struct dir_ctx *ctx, int64_t org_id,
	struct mail_org_policy *p_r, struct error *err)
{
	struct store_org_mail_policy o;
	if (store_org_mail_policy_get(ctx->store, org_id, ctx->arena, &o,
		    err) < 0)
		return -1;
	if (mail_org_policy_service(ctx->config, p_r, err) < 0)
		return -1;
	mail_org_policy_apply(&o, p_r);
	return 0;
}

static int
key_by_name(const char *name)
{
	for (int k = 0; k < MAIL_ORG_POLICY_KEYS; k++)
		if (name != NULL && strcmp(name, key_names[k]) == 0)
			return k;
	return -1;
}

/* One change checked and laid into o; nothing is written. */
static int
change_one(const struct mail_org_policy_change *c,
	struct store_org_mail_policy *o, struct error *err)
{
	int k = key_by_name(c->key);
	if (k < 0)
		return error_set_field(err, ERROR_INVALID, c->key != NULL ?
			c->key : "", "%s is not a mail policy setting; the "
			"settings are send_limit_message, send_limit_day, "
			"dlp_high, dlp_medium and dlp_low",
			c->key != NULL ? c->key : "(none)");
	bool clear = c->value == NULL || strcmp(c->value, "default") == 0;
	if (k == MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE ||
	    k == MAIL_ORG_POLICY_SEND_LIMIT_DAY) {
		int64_t n = 0;
		if (!clear) {
			char *end;
			errno = 0;
			long long v = strtoll(c->value, &end, 10);
			if (c->value[0] < '0' || c->value[0] > '9' ||
			    *end != '\0' || errno != 0 || v < 1 ||
			    v > MAIL_ORG_POLICY_LIMIT_MAX)
				return error_set_field(err, ERROR_INVALID,
					key_names[k], "%s must be a whole "
					"number of recipients from 1 to %d, or "
					"default for the service's setting",
					key_names[k], MAIL_ORG_POLICY_LIMIT_MAX);
			n = v;
		}
		if (k == MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE)
			o->send_limit_message = n;
		else
			o->send_limit_day = n;
		return 0;
	}
	enum mail_policy_dlp_action action;
	if (!clear && !mail_policy_dlp_action_parse(c->value, &action)) {
		char words[128];
		mail_policy_dlp_action_words(words, sizeof(words));
		return error_set_field(err, ERROR_INVALID, key_names[k],
			"%s must be %s, or default for the service's setting",
			key_names[k], words);
	}
	*dlp_slot(o, k) = clear ? NULL : mail_policy_dlp_action_name(action);
	return 0;
}

/* The overrides alone, for the audit: null where the service's applies. */
static json_t *
overrides_json(const struct store_org_mail_policy *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "send_limit_message", o->send_limit_message > 0 ?
		json_integer(o->send_limit_message) : json_null());
	json_object_set_new(j, "send_limit_day", o->send_limit_day > 0 ?
		json_integer(o->send_limit_day) : json_null());
	json_object_set_new(j, "dlp_high", o->dlp_high != NULL ?
		json_string(o->dlp_high) : json_null());
	json_object_set_new(j, "dlp_medium", o->dlp_medium != NULL ?
		json_string(o->dlp_medium) : json_null());
	json_object_set_new(j, "dlp_low", o->dlp_low != NULL ?
		json_string(o->dlp_low) : json_null());
	return j;
}

static int
change_tx(const struct dir_ctx *ctx, const char *ods,
	const struct mail_org_policy_change *changes, size_t count,
	struct mail_org_policy *p_r, struct error *err)
{
	struct store_org org;
	struct store_org_mail_policy before, after;
	if (dir_org_get(ctx, ods, &org, err) < 0 ||
	    store_org_mail_policy_get(ctx->store, org.id, ctx->arena, &before,
		    err) < 0)
		return -1;
	after = before;
	for (size_t i = 0; i < count; i++)
		if (change_one(&changes[i], &after, err) < 0)
			return -1;
	if (store_org_mail_policy_set(ctx->store, org.id, &after, err) < 0 ||
	    dir_audit(ctx, "update", "organisation", org.id, org.id,
		    json_pack("{s:s, s:{s:o, s:o}}", "ods", org.ods,
			    "mail_policy", "before", overrides_json(&before),
			    "after", overrides_json(&after)), err) < 0)
		return -1;
	if (mail_org_policy_service(ctx->config, p_r, err) < 0)
		return -1;
	mail_org_policy_apply(&after, p_r);
	return 0;
}

int
mail_org_policy_change(const struct dir_ctx *ctx, const char *ods,
	const struct mail_org_policy_change *changes, size_t count,
	struct mail_org_policy *p_r, struct error *err)
{
	if (count == 0)
		return error_set(err, ERROR_INVALID, "give at least one mail "
			"policy setting to change");
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, change_tx(ctx, ods, changes, count, p_r, err),
		err);
}

json_t *
mail_org_policy_json(const struct mail_org_policy *p)
{
	json_t *j = json_object();
	for (int k = 0; k < MAIL_ORG_POLICY_KEYS; k++) {
		json_t *value = k == MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE ?
			json_integer(p->limits.per_message) :
			k == MAIL_ORG_POLICY_SEND_LIMIT_DAY ?
			json_integer(p->limits.per_day) :
			json_string(mail_policy_dlp_action_name(
				p->dlp.by_tier[key_tiers[k]]));
		json_object_set_new(j, key_names[k], json_pack("{s:o, s:b}",
			"value", value, "overridden", p->overridden[k]));
	}
	return j;
}
