/*
 * `caremail queue list|show|retry|bounce|delete|run`: the outbound queue,
 * one row per recipient of mail for other domains, and one delivery pass
 * as of any time (SPEC M5; docs/outbound.md). Layer: front end.
 * SECURITY: retry, bounce and delete are audited as the shell account.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "instance/instance.h"
#include "mail/mail_queue.h"

static int
list_queue(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t after = 0, limit = 1000;
	if (cli_opt_int(args, "after", 0, INT64_MAX, &after, err) < 0 ||
	    cli_opt_int(args, "limit", 1, 100000, &limit, err) < 0)
		return -1;
	struct store_queued *items;
	size_t count;
	if (mail_queue_list(&s->ctx, after, (size_t)limit,
		    !cli_flag(args, "all"), &items, &count, err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, mail_queue_json(&items[i]));
	cli_print(args, arr, "id,status,recipient,attempts,next_attempt_at,"
		"last_error");
	return 0;
}

int
cli_queue_list(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, list_queue, err);
}

static int
show_queue(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t id = 0;	/* -O3 cannot see cli_parse_id sets it before use */
	struct store_queued q;
	if (cli_parse_id(args, args->pos[0], "queue", &id, err) < 0 ||
	    mail_queue_get(&s->ctx, id, &q, err) < 0)
		return -1;
	json_t *o = mail_queue_json(&q);
	json_object_set_new(o, "lease_until", q.claimed_until != 0 ?
		cli_json_time(q.claimed_until) : json_null());
	json_object_set_new(o, "ret", cli_json_text(q.ret));
	json_object_set_new(o, "envid", cli_json_text(q.envid));
	json_object_set_new(o, "notify", cli_json_text(q.notify));
	json_object_set_new(o, "orcpt", cli_json_text(q.orcpt));
	cli_print(args, o, NULL);
	return 0;
}

int
cli_queue_show(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, show_queue, err);
}

static int
retry_queue(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t id = 0;
	bool all = cli_flag(args, "all");
	if (all == (args->pos_count == 1))
		return cli_usage(args, err, "give one queue id or --all");
	if (!all && cli_parse_id(args, args->pos[0], "queue", &id, err) < 0)
		return -1;
	int64_t changed = 0;
	if (mail_queue_retry(&s->ctx, id, &changed, err) < 0)
		return -1;
	char sentence[128];
	snprintf(sentence, sizeof(sentence), "%lld waiting %s due now.",
		(long long)changed, changed == 1 ? "recipient is" :
		"recipients are");
	cli_print_done(args, json_pack("{s:I}", "retried",
		(json_int_t)changed), sentence);
	return 0;
}

int
cli_queue_retry(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, retry_queue, err);
}

static int
bounce_queue(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t id = 0;	/* as in show_queue */
	if (cli_parse_id(args, args->pos[0], "queue", &id, err) < 0)
		return -1;
	struct store_writer *w = instance_writer_start(s->inst, err);
	if (w == NULL)
		return -1;
	bool reported = false;
	int rc = mail_queue_bounce(&s->ctx, w, id, &reported, err);
	instance_writer_stop(&w);
	if (rc == 0)
		cli_print_done(args, json_pack("{s:I, s:b}", "bounced",
			(json_int_t)id, "reported", reported), reported ?
			"Returned to its sender, who is told by a report that "
			"an administrator returned it." :
			"Removed from the queue; no report went (the message "
			"is itself a report, its sender asked for none, or "
			"has no mailbox).");
	return rc;
}

int
cli_queue_bounce(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, bounce_queue, err);
}

static int
delete_queue(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t id = 0;	/* gcc -O3 cannot see cli_parse_id sets it */
	if (cli_parse_id(args, args->pos[0], "queue", &id, err) < 0 ||
	    mail_queue_delete(&s->ctx, id, cli_opt(args, "reason"), err) < 0)
		return -1;
	cli_print_done(args, json_pack("{s:I}", "deleted", (json_int_t)id),
		"Deleted from the queue; nobody is told.");
	return 0;
}

int
cli_queue_delete(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, delete_queue, err);
}

/* One line per recipient as the pass goes. */
static void
print_event(void *arg, const struct mail_queue_event *ev)
{
	json_t *list = arg;
	json_t *o = json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:b}",
		"id", (json_int_t)ev->id,
		"recipient", cli_json_text(ev->recipient),
		"result", mail_queue_result_name(ev->result),
		"detail", cli_json_text(ev->detail),
		"remote_mta", cli_json_text(ev->remote_mta),
		"tls", cli_json_text(ev->tls),
		"delay_notice", ev->delay_notice);
	json_object_set_new(o, "next_attempt_at",
		ev->result == MAIL_QUEUE_DEFERRED ?
		cli_json_time(ev->next_attempt_at) : json_null());
	json_array_append_new(list, o);
}

static int
run_queue(struct cli_args *args, struct cli_session *s, struct error *err)
{
	int64_t at = s->ctx.now;
	if (cli_opt_time(args, "at", &at, err) < 0)
		return -1;
	struct store_writer *w = instance_writer_start(s->inst, err);
	if (w == NULL)
		return -1;
	struct mail_queue_env env = {
		.config = s->inst->config,
		.instance_dir = s->inst->dir,
		.dkim_dir = s->inst->dkim_dir,
		.audit_key = s->inst->audit_key,
		.pool = s->inst->pool,
		.writer = w,
	};
	struct mail_queue_runner *r = mail_queue_runner_new(&env, err);
	int rc = -1;
	json_t *list = json_array();
	size_t attempted = 0;
	if (r != NULL)
		rc = mail_queue_run_pass(r, at, print_event, list, &attempted,
			err);
	mail_queue_runner_free(&r);
	instance_writer_stop(&w);
	if (rc == 0)
		cli_print(args, list, "id,recipient,result,next_attempt_at,"
			"detail");
	else
		json_decref(list);
	return rc;
}

int
cli_queue_run(struct cli_args *args, struct error *err)
{
	return cli_with_session(args, run_queue, err);
}
