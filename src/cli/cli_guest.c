/*
 * caremail guest ... and caremail licence ... (SPEC L8, L9): guests and
 * their attestations, add-on licences and their report, and the two
 * sweeps as of any time (--at), which the jobs runner also calls. The
 * CLI acts as the service operator: the rules (who may invite or
 * attest) are the domain's, the same as the API's. Layer: front end.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "dir/dir_guest.h"
#include "instance/instance.h"
#include "mail/mail_guest_jobs.h"

static int
org_id_of(struct cli_session *s, const char *ods, int64_t *id_r,
	struct error *err)
{
	struct store_org org;
	*id_r = 0;
	if (ods == NULL)
		return 0;
	if (dir_org_get(&s->ctx, ods, &org, err) < 0)
		return -1;
	*id_r = org.id;
	return 0;
}

int
cli_guest_invite(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_guest g;
	int rc = dir_guest_invite(&s.ctx, cli_opt(args, "org"),
		cli_opt(args, "address"), cli_opt(args, "name"),
		cli_opt(args, "inviter"), &g, err);
	if (rc == 0)
		cli_print(args, dir_guest_json(&s.ctx, &g), NULL);
	cli_session_close(&s);
	return rc;
}

int
cli_guest_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int64_t org_id;
	struct store_guest *list;
	size_t n;
	int rc = org_id_of(&s, cli_opt(args, "org"), &org_id, err);
	if (rc == 0)
		rc = dir_guest_list(&s.ctx, org_id, cli_flag(args, "all"),
			&list, &n, err);
	if (rc == 0) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, dir_guest_json(&s.ctx,
				&list[i]));
		cli_print(args, a, "id,org,address,inviter,attestation_due");
	}
	cli_session_close(&s);
	return rc;
}

/* The three changes to one guest, by its id. */
static int
guest_change(struct cli_args *args, int which, struct error *err)
{
	int64_t id = 0;
	if (cli_parse_id(args, args->pos[0], "guest", &id, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_guest g;
	int rc = which == 0 ? dir_guest_attest(&s.ctx, id, cli_opt(args, "by"),
		&g, err) : which == 1 ? dir_guest_reassign(&s.ctx, id,
		cli_opt(args, "inviter"), &g, err) : dir_guest_remove(&s.ctx,
		id, cli_opt(args, "reason"), &g, err);
	if (rc == 0)
		cli_print(args, dir_guest_json(&s.ctx, &g), NULL);
	cli_session_close(&s);
	return rc;
}

int
cli_guest_attest(struct cli_args *args, struct error *err)
{
	return guest_change(args, 0, err);
}

int
cli_guest_inviter(struct cli_args *args, struct error *err)
{
	return guest_change(args, 1, err);
}

int
cli_guest_remove(struct cli_args *args, struct error *err)
{
	return guest_change(args, 2, err);
}

/* One sweep as of --at (default now), told item by item. */
static int
sweep(struct cli_args *args, bool guests, struct error *err)
{
	int64_t at = 0;
	if (cli_opt_time(args, "at", &at, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	if (at != 0)
		s.ctx.now = at;
	bool dry = cli_flag(args, "dry-run");
	struct store_writer *w = NULL;
	if (!dry && (w = instance_writer_start(s.inst, err)) == NULL) {
		cli_session_close(&s);
		return -1;
	}
	json_t *report = json_array();
	int rc = guests ? mail_guest_step(&s.ctx, w, s.ctx.now, dry, report,
		err) : mail_licence_step(&s.ctx, w, s.ctx.now, dry, report,
		err);
	if (w != NULL)
		instance_writer_stop(&w);
	if (rc == 0)
		cli_print(args, report, guests ? "rule,guest,org,due" :
			"rule,addon,org,days_before_expiry");
	else
		json_decref(report);
	cli_session_close(&s);
	return rc;
}

int
cli_guest_sweep(struct cli_args *args, struct error *err)
{
	return sweep(args, true, err);
}

int
cli_licence_sweep(struct cli_args *args, struct error *err)
{
	return sweep(args, false, err);
}

int
cli_licence_set(struct cli_args *args, struct error *err)
{
	int64_t quota = -1, expires = 0;
	if (cli_opt_int(args, "quota", 0, 10000000, &quota, err) < 0 ||
	    cli_opt_time(args, "expires", &expires, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_addon a;
	int rc = dir_addon_set(&s.ctx, cli_opt(args, "org"),
		cli_opt(args, "name"), quota, expires, &a, err);
	if (rc == 0)
		cli_print(args, dir_addon_json(&s.ctx, &a, false), NULL);
	cli_session_close(&s);
	return rc;
}

/* allocate (give) or free (take back) for each address given. */
static int
allocation(struct cli_args *args, bool give, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	const char *ods = cli_opt(args, "org"), *name = cli_opt(args, "name");
	int rc = cli_begin(&s, err);
	for (size_t i = 0; rc == 0 && i < args->pos_count; i++)
		rc = give ? dir_addon_allocate(&s.ctx, ods, name,
			args->pos[i], err) : dir_addon_free(&s.ctx, ods, name,
			args->pos[i], err);
	rc = cli_finish(&s, rc, err);
	struct store_addon a;
	if (rc == 0 && dir_addon_get(&s.ctx, ods, name, &a, err) == 0)
		cli_print(args, dir_addon_json(&s.ctx, &a, true), NULL);
	cli_session_close(&s);
	return rc;
}

int
cli_licence_allocate(struct cli_args *args, struct error *err)
{
	return allocation(args, true, err);
}

int
cli_licence_free(struct cli_args *args, struct error *err)
{
	return allocation(args, false, err);
}

int
cli_licence_rule(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	size_t given, left;
	int rc = dir_addon_rule(&s.ctx, cli_opt(args, "org"),
		cli_opt(args, "name"), cli_opt(args, "rule"), &given, &left,
		err);
	if (rc == 0)
		cli_print_done(args, json_pack("{s:I, s:I}", "allocated",
			(json_int_t)given, "left_without", (json_int_t)left),
			left == 0 ? "Rule set; everyone it matches holds the "
			"add-on." : "Rule set; the quota ran out before "
			"everyone it matches was given the add-on (see --json "
			"left_without).");
	cli_session_close(&s);
	return rc;
}

int
cli_licence_report(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int64_t org_id;
	int rc = org_id_of(&s, cli_opt(args, "org"), &org_id, err);
	if (rc == 0 && cli_flag(args, "csv")) {
		const char *csv;
		rc = dir_licence_report_csv(&s.ctx, org_id, &csv, err);
		if (rc == 0)
			fputs(csv, stdout);
	} else if (rc == 0) {
		struct store_addon *list;
		size_t n;
		rc = dir_addon_list(&s.ctx, org_id, &list, &n, err);
		if (rc == 0) {
			json_t *a = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(a, dir_addon_json(
					&s.ctx, &list[i], true));
			cli_print(args, a,
				"org,name,quota,used,expires_at,state");
		}
	}
	cli_session_close(&s);
	return rc;
}
