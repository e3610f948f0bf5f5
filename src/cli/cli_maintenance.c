/*
 * `caremail maintenance on|off|status`: maintenance mode from the shell
 * (SPEC S5, P13; docs/maintenance.md). Kept in the store, so a running
 * serve, and every node over the same database, sees it at its next
 * request. Layer: front end.
 * SECURITY: on and off are audited as the shell account, like every change
 * made from the shell; whoever can run this can open the store anyway.
 */
#include <stdio.h>

#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/error.h"

static json_t *
maintenance_json(const struct dir_maintenance *m)
{
	json_t *j = json_pack("{s:b,s:s}", "on", m->on, "message", m->message);
	json_object_set_new(j, "until", cli_json_time(m->until));
	json_object_set_new(j, "since", cli_json_time(m->since));
	json_object_set_new(j, "updated_by", cli_json_text(m->updated_by));
	json_object_set_new(j, "updated_at", cli_json_time(m->updated_at));
	return j;
}

static int
show(struct cli_args *args, struct cli_session *s, struct error *err)
{
	struct dir_maintenance m;
	if (dir_maintenance_get(&s->ctx, &m, err) < 0)
		return -1;
	cli_print(args, maintenance_json(&m), NULL);
	return 0;
}

int
cli_maintenance_status(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, show, err);
}

static int
turn_on(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t until = 0;
	if (cli_opt_time(args, "until", &until, err) < 0)
		return -1;
	struct dir_maintenance m;
	if (dir_maintenance_on(&s->ctx, cli_opt(args, "message"), until,
		    err) < 0 ||
	    dir_maintenance_get(&s->ctx, &m, err) < 0)
		return -1;
	char sentence[160], iso[32];
	clock_format_iso(until, iso, sizeof(iso));
	snprintf(sentence, sizeof(sentence), "Maintenance mode is on%s%s: "
		"the API refuses changes and the portal shows its landing "
		"page; mail still flows.", until != 0 ? " until " : "",
		until != 0 ? iso : "");
	cli_print_done(args, maintenance_json(&m), sentence);
	return 0;
}

int
cli_maintenance_on(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, turn_on, err);
}

static int
turn_off(struct cli_args *args, struct cli_session *s, struct error *err)
{
	bool was_on = false;
	struct dir_maintenance m;
	if (dir_maintenance_off(&s->ctx, &was_on, err) < 0 ||
	    dir_maintenance_get(&s->ctx, &m, err) < 0)
		return -1;
	cli_print_done(args, maintenance_json(&m), was_on ?
		"Maintenance mode is off: the API and the portal are back." :
		"Maintenance mode was already off.");
	return 0;
}

int
cli_maintenance_off(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, turn_off, err);
}
