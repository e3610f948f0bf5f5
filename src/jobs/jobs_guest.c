/*
 * The guests' and add-on licences' sweeps (SPEC L8, L9) as steps of the
 * jobs runner: mail_guest_step and mail_licence_step (mail/, as they send
 * mail) decide and apply; here each item they report joins the run's
 * report, counted as a change or a notice. Layer: domain.
 */
#include "jobs/jobs.h"

#include <jansson.h>
#include <stdio.h>

#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_guest_jobs.h"

static const char *
text_of(json_t *item, const char *key)
{
	const char *s = json_string_value(json_object_get(item, key));
	return s != NULL ? s : "";
}

/*
 * The step's own items in the run's report's shape (step, action, whom,
 * rule, when, who was told), each with its details kept and counted as
 * a notice when someone was told, else a change.
 */
static void
adopt(const struct dir_ctx *ctx, struct jobs_report *r, json_t *items,
	int64_t now)
{
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item) {
		json_t *to = json_object_get(item, "to");
		char told[1024] = "";
		size_t used = 0, j;
		json_t *who;
		json_array_foreach(to, j, who) {
			int n = snprintf(told + used, sizeof(told) - used,
				"%s%s", used > 0 ? ", " : "",
				json_string_value(who) != NULL ?
				json_string_value(who) : "");
			if (n < 0 || (size_t)n >= sizeof(told) - used)
				break;
			used += (size_t)n;
		}
		const char *whom = text_of(item, "guest")[0] != '\0' ?
			text_of(item, "guest") : text_of(item, "addon");
		/* The guest's or add-on's org, by the ODS code it names. */
		struct store_org org;
		struct error inner;
		int64_t org_id = dir_org_get(ctx, text_of(item, "org"), &org,
			&inner) == 0 ? org.id : 0;
		jobs_report_add(r, org_id, text_of(item, "job"),
			text_of(item, "rule"), whom, text_of(item, "rule"), now,
			told);
		json_object_update(json_array_get(r->items,
			json_array_size(r->items) - 1), item);
		if (json_array_size(to) > 0)
			r->notices++;
		else
			r->changes++;
	}
}

static int
run_step(int (*step)(const struct dir_ctx *, struct store_writer *, int64_t,
		bool, json_t *, struct error *),
	const struct dir_ctx *ctx, struct store_writer *w, int64_t now,
	bool dry_run, struct jobs_report *r, struct error *err)
{
	json_t *items = json_array();
	int rc = step(ctx, w, now, dry_run, items, err);
	if (rc == 0)
		adopt(ctx, r, items, now);
	json_decref(items);
	return rc;
}

int
jobs_guest_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err)
{
	return run_step(mail_guest_step, ctx, w, now, dry_run, r, err);
}

int
jobs_licence_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err)
{
	return run_step(mail_licence_step, ctx, w, now, dry_run, r, err);
}
