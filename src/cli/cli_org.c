/*
 * `caremail org`, `caremail site` and `caremail relay`: organisations by
 * ODS code, their parent tree, their sites (SPEC D1) and their application
 * servers registered for relay (SPEC M3). Layer: front end.
 * SECURITY: the shell user is trusted as the service provider; every change
 * still goes through dir/ and is audited as "system".
 */
#include <stdint.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "dir/dir_view.h"
#include "mail/mail_org_policy.h"

/* The largest quota the config table allows (dir.default_quota_mb). */
#define QUOTA_MB_MAX 10485760

static int
org_fields(struct cli_args *args, struct dir_org_fields *f,
	struct error *err)
{
	memset(f, 0, sizeof(*f));
	f->ods = cli_opt(args, "ods");
	f->name = cli_opt(args, "name");
	f->type = cli_opt(args, "type");
	f->parent_ods = cli_opt(args, "parent");
	f->postal_address = cli_opt(args, "address");
	f->description = cli_opt(args, "description");
	f->website = cli_opt(args, "website");
	f->helpdesk_phone = cli_opt(args, "helpdesk-phone");
	f->helpdesk_email = cli_opt(args, "helpdesk-email");
	f->protocols_off = cli_opt(args, "protocols-off");
	return cli_opt_int(args, "quota-mb", 1, QUOTA_MB_MAX,
		&f->default_quota_mb, err);
}

int
cli_org_add(struct cli_args *args, struct error *err)
{
	struct dir_org_fields f;
	if (org_fields(args, &f, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_org org;
	int rc = dir_org_add(&s.ctx, &f, &org, err);
	if (rc == 0)
		cli_print(args, cli_json_org(&s, &org), NULL);
	cli_session_close(&s);
	return rc;
}

int
cli_org_edit(struct cli_args *args, struct error *err)
{
	struct dir_org_fields f;
	if (org_fields(args, &f, err) < 0)
		return -1;
	if (args->opt_count == 0)
		return cli_usage(args, err,
			"org edit needs at least one change, such as --name");
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_org org;
	int rc = dir_org_edit(&s.ctx, args->pos[0], &f, &org, err);
	if (rc == 0)
		cli_print(args, cli_json_org(&s, &org), NULL);
	cli_session_close(&s);
	return rc;
}

int
cli_org_show(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_org org;
	struct mail_org_policy policy;
	int rc = dir_org_get(&s.ctx, args->pos[0], &org, err);
	/* As GET /api/v1/orgs/{ods} shows it: with its mail policy. */
	if (rc == 0)
		rc = mail_org_policy_get(&s.ctx, org.id, &policy, err);
	if (rc == 0) {
		json_t *shown = cli_json_org(&s, &org);
		if (json_is_object(shown))
			json_object_set_new(shown, "mail_policy",
				mail_org_policy_json(&policy));
		cli_print(args, shown, NULL);
	}
	cli_session_close(&s);
	return rc;
}

/* The CLI options of the mail policy's settings, by key. */
static const char *const policy_options[MAIL_ORG_POLICY_KEYS] = {
	[MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE] = "send-limit-message",
	[MAIL_ORG_POLICY_SEND_LIMIT_DAY] = "send-limit-day",
	[MAIL_ORG_POLICY_DLP_HIGH] = "dlp-high",
	[MAIL_ORG_POLICY_DLP_MEDIUM] = "dlp-medium",
	[MAIL_ORG_POLICY_DLP_LOW] = "dlp-low",
};

/* One line per setting: its value and whose it is. */
static void
print_policy(const struct cli_args *args, json_t *policy)
{
	char text[1024];
	size_t used = 0;
	for (int k = 0; k < MAIL_ORG_POLICY_KEYS; k++) {
		json_t *item = json_object_get(policy,
			mail_org_policy_key_name(k));
		json_t *value = json_object_get(item, "value");
		char shown[32];
		if (json_is_integer(value))
			snprintf(shown, sizeof(shown), "%lld",
				(long long)json_integer_value(value));
		else
			snprintf(shown, sizeof(shown), "%s",
				json_string_value(value));
		int n = snprintf(text + used, sizeof(text) - used,
			"%s%-20s %-8s %s", k == 0 ? "" : "\n",
			mail_org_policy_key_name(k), shown, json_is_true(
				json_object_get(item, "overridden")) ?
			"(this organisation's)" : "(the service's setting)");
		if (n < 0 || (size_t)n >= sizeof(text) - used)
			break;
		used += (size_t)n;
	}
	cli_print_done(args, policy, text);
}

int
cli_org_policy(struct cli_args *args, struct error *err)
{
	struct mail_org_policy_change changes[MAIL_ORG_POLICY_KEYS];
	size_t n = 0;
	for (int k = 0; k < MAIL_ORG_POLICY_KEYS; k++) {
		const char *value = cli_opt(args, policy_options[k]);
		if (value != NULL)
			changes[n++] = (struct mail_org_policy_change){
				.key = mail_org_policy_key_name(k),
				.value = value };
	}
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct mail_org_policy p;
	struct store_org org;
	int rc = n > 0 ? mail_org_policy_change(&s.ctx, args->pos[0],
		changes, n, &p, err) :
		dir_org_get(&s.ctx, args->pos[0], &org, err) < 0 ? -1 :
		mail_org_policy_get(&s.ctx, org.id, &p, err);
	if (rc == 0)
		print_policy(args, mail_org_policy_json(&p));
	cli_session_close(&s);
	return rc;
}

int
cli_org_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_org *orgs;
	size_t count;
	int rc = dir_org_list(&s.ctx, &orgs, &count, err);
	if (rc == 0) {
		cli_print(args, cli_json_orgs(&s, orgs, count),
			"ods,name,type,parent");
	}
	cli_session_close(&s);
	return rc;
}

int
cli_site_add(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_site site;
	int rc = dir_site_add(&s.ctx, cli_opt(args, "org"),
		cli_opt(args, "name"), cli_opt(args, "type"),
		cli_opt(args, "address"), &site, err);
	if (rc == 0)
		cli_print(args, cli_json_site(&s, &site), NULL);
	cli_session_close(&s);
	return rc;
}

int
cli_site_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_site *sites;
	size_t count;
	int rc = dir_site_list(&s.ctx, cli_opt(args, "org"), &sites, &count,
		err);
	if (rc == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(arr,
				cli_json_site(&s, &sites[i]));
		cli_print(args, arr, "org,name,site_type");
	}
	cli_session_close(&s);
	return rc;
}

/* Application servers registered for relay (SPEC M3). */
static json_t *
relay_json(struct cli_session *s, const struct store_relay_host *r)
{
	return dir_json_relay(r, dir_org_ods(&s->ctx, r->org_id));
}

int
cli_relay_add(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_relay_host r;
	int rc = dir_relay_add(&s.ctx, cli_opt(args, "org"),
		cli_opt(args, "cidr"), cli_opt(args, "label"), &r, err);
	if (rc == 0)
		cli_print(args, relay_json(&s, &r), NULL);
	cli_session_close(&s);
	return rc;
}

int
cli_relay_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_relay_host *hosts;
	size_t count;
	int rc = dir_relay_list(&s.ctx, cli_opt(args, "org"), &hosts, &count,
		err);
	if (rc == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(arr, relay_json(&s, &hosts[i]));
		cli_print(args, arr, "id,org,cidr,label");
	}
	cli_session_close(&s);
	return rc;
}

int
cli_relay_remove(struct cli_args *args, struct error *err)
{
	int64_t id;
	if (cli_opt_int(args, "id", 1, INT64_MAX, &id, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_relay_host r;
	int rc = dir_relay_get(&s.ctx, id, &r, err);
	if (rc == 0)
		rc = dir_relay_remove(&s.ctx, id, err);
	if (rc == 0)
		cli_print(args, relay_json(&s, &r), NULL);
	cli_session_close(&s);
	return rc;
}
