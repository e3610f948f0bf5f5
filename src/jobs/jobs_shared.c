/*
 * The inactive shared mailboxes' job step (SPEC L5, seed 001): a shared
 * mailbox nobody has used for lifecycle.shared_inactive_days is noticed:
 * its owners (or, with no owner who can sign in, its org's Local
 * Administrators) are mailed that it will be deleted unless one confirms
 * it is still needed, each with a confirm link of their own (32 random
 * bytes; only a hash is stored, valid until the deletion date). Reminders
 * follow at lifecycle.warn_days. Nobody confirmed within
 * lifecycle.shared_confirm_days: the mailbox is deleted as an
 * administrator's delete would (its address stays reserved), audited with
 * the rule, and the same people are told it is gone. The notice is dated
 * when it is sent, so after a gap in the runs the owners still get the
 * whole confirm period; a run repeated at the same time sends and changes
 * nothing. A dry run reports the same items, with who would be told, and
 * writes and sends nothing. Layer: domain.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "jobs/jobs.h"
#include "lifecycle/lifecycle.h"
#include "mail/mail_notice.h"
#include "mail/mail_seal.h"
#include "store/store_shared.h"

#define PAGE 1000
#define PAGE_ARENA (32u << 20)
#define MAX_TOLD 64	/* owners or LAs mailed about one mailbox */

struct sweep {
	const struct dir_ctx *ctx;	/* arena reset per page */
	struct store_writer *w;
	struct lifecycle_config cfg;
	int64_t now;
	bool dry_run;
	struct jobs_report *r;
	char url[512];
};

/* Who is told about a mailbox: its owners who can sign in, or its LAs. */
struct told {
	const struct store_person *people[MAX_TOLD];
	size_t count;
	bool admins;	/* no live owner: the org's LAs instead */
	struct str list;	/* "a@x,b@y" for the report */
};

static void
told_add(struct told *t, const struct store_person *p)
{
	if (t->count == MAX_TOLD || (p->status != STORE_PERSON_ACTIVE &&
	    p->status != STORE_PERSON_INACTIVE))
		return;
	for (size_t i = 0; i < t->count; i++) {
		if (t->people[i]->id == p->id)
			return;
	}
	t->people[t->count++] = p;
	if (t->list.len > 0)
		str_append_cstr(&t->list, ",");
	str_append_cstr(&t->list, p->address);
}

static int
find_told(struct sweep *s, const struct store_shared_row *row,
	struct told *t, struct error *err)
{
	const struct dir_ctx *ctx = s->ctx;
	*t = (struct told){ .count = 0 };
	str_init(&t->list, ctx->arena, MAX_TOLD * 330);
	struct store_person *owners;
	size_t n;
	if (dir_owner_list(ctx, row->address, &owners, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		told_add(t, &owners[i]);
	if (t->count > 0)
		return 0;
	/* Nobody owns it who could answer: its org's LAs are asked. */
	t->admins = true;
	struct dir_org_admin *admins;
	if (dir_org_local_admins(ctx, row->org_id, &admins, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (admins[i].person.status == STORE_PERSON_ACTIVE)
			told_add(t, &admins[i].person);
	}
	return 0;
}

/* Why a person is told, as the templates' {{why}} says it. */
static const char *
why_told(const struct dir_ctx *ctx, const struct told *t, const char *org)
{
	const char *why = t->admins ? arena_printf(ctx->arena, "it has no "
		"owner who can sign in, and you are a local administrator of "
		"%s", org) : "you are an owner of it";
	return why != NULL ? why : "";
}

/*
 * Mails template to each person told: the mailbox's own fields (name,
 * mailbox, mailbox_name, org, last_used, why), then `date`, then the
 * template's extra ones, and with tokens each person's confirm `link`.
 */
static int
mail_told(struct sweep *s, const struct store_shared_row *row,
	const struct lifecycle_shared *mb, const struct told *t,
	const char *template, int64_t date,
	const struct mail_notice_field *extra, size_t extra_count,
	char (*tokens)[MAIL_SEAL_LINK_SIZE], struct error *err)
{
	const struct dir_ctx *ctx = s->ctx;
	if (s->w == NULL)
		return 0;
	const char *org = dir_org_name(ctx, row->org_id);
	struct mail_notice_field f[12] = {
		{ "mailbox", row->address },
		{ "mailbox_name", row->display_name }, { "org", org },
		{ "last_used", jobs_day_text(ctx->arena,
			lifecycle_shared_last_use(mb)) },
		{ "why", why_told(ctx, t, org) },
		{ "date", jobs_day_text(ctx->arena, date) },
	};
	size_t n = 6;
	for (size_t i = 0; i < extra_count && n < 10; i++)
		f[n++] = extra[i];
	for (size_t i = 0; i < t->count; i++) {
		const struct store_person *p = t->people[i];
		size_t k = n;
		f[k++] = (struct mail_notice_field){ "name", p->display_name };
		if (tokens != NULL)
			f[k++] = (struct mail_notice_field){ "link",
				arena_printf(ctx->arena, "%s/shared/confirm#%s",
					s->url, tokens[i]) };
		if (mail_notice_send(s->w, ctx, template, f, k, p->address,
			    p->mailbox_id, err) < 0)
			return -1;
	}
	return 0;
}

/* After the deletion: the people told of the notice are told it is gone. */
static int
send_deleted(struct sweep *s, const struct store_shared_row *row,
	const struct lifecycle_shared *mb, int64_t deleted_at,
	const struct told *t, struct error *err)
{
	const struct mail_notice_field noticed[] = {
		{ "noticed", jobs_day_text(s->ctx->arena, mb->noticed_at) },
	};
	return mail_told(s, row, mb, t, "shared-deleted", deleted_at, noticed,
		1, NULL, err);
}

/*
 * The notice (lead 0) or a reminder: a link per person told, recorded
 * with the notice in one transaction, then the mails.
 */
static int
send_notice(struct sweep *s, const struct store_shared_row *row,
	const struct lifecycle_shared *mb, int64_t noticed_at, int lead,
	const struct told *t, struct error *err)
{
	const struct dir_ctx *ctx = s->ctx;
	int64_t delete_at = noticed_at + s->cfg.shared_confirm_s;
	char tokens[MAX_TOLD][MAIL_SEAL_LINK_SIZE];
	char hashes[MAX_TOLD][MAIL_SEAL_HASH_SIZE];
	const char *hash_ptrs[MAX_TOLD];
	for (size_t i = 0; i < t->count; i++) {
		mail_seal_link_new(tokens[i], hashes[i]);
		hash_ptrs[i] = hashes[i];
	}
	if (dir_begin(ctx, err) < 0 ||
	    dir_finish(ctx, dir_shared_notice_record(ctx, row->id, noticed_at,
		    delete_at, lead, hash_ptrs, t->count, err), err) < 0)
		return -1;
	char days[24];
	snprintf(days, sizeof(days), "%lld",
		(long long)(s->cfg.shared_inactive_s / LIFECYCLE_DAY_S));
	const struct mail_notice_field extra[] = { { "days", days } };
	return mail_told(s, row, mb, t, "shared-inactive", delete_at, extra, 1,
		tokens, err);
}

static int
sweep_one(struct sweep *s, const struct store_shared_row *row,
	struct error *err)
{
	const struct dir_ctx *ctx = s->ctx;
	struct lifecycle_shared mb = { row->created_at, row->last_used_at,
		row->noticed_at };
	struct lifecycle_shared_transition t;
	struct told told;
	bool found = false;
	int warned = row->warned_lead;
	/* At most a notice then its deletion. */
	for (int guard = 0; guard < 2 &&
	     lifecycle_shared_due(&s->cfg, &mb, s->now, &t); guard++) {
		if (!found && find_told(s, row, &told, err) < 0)
			return -1;
		found = true;
		if (t.step == LIFECYCLE_SHARED_DELETE) {
			s->r->changes++;
			jobs_report_add(s->r, row->org_id, "shared", "delete",
				row->address, t.rule, t.due_at,
				str_cstr(&told.list));
			if (s->dry_run)
				return 0;
			if (dir_begin(ctx, err) < 0 ||
			    dir_finish(ctx, dir_shared_idle_delete(ctx,
				    row->id, t.due_at, t.rule, t.reason, err),
				    err) < 0)
				return -1;
			return send_deleted(s, row, &mb, t.due_at, &told, err);
		}
		/* The notice covers the reminders already due with it. */
		struct lifecycle_shared after = mb;
		lifecycle_shared_apply(&after, &t, s->now);
		struct lifecycle_shared_transition w;
		int lead = 0;
		warned = lifecycle_shared_warning_due(&s->cfg, &after, s->now,
			0, &w, &lead) ? lead : 0;
		s->r->notices++;
		jobs_report_add(s->r, row->org_id, "shared", "notice",
			row->address, t.rule, t.due_at, str_cstr(&told.list));
		if (!s->dry_run && send_notice(s, row, &mb, after.noticed_at,
			    warned, &told, err) < 0)
			return -1;
		mb = after;
	}
	struct lifecycle_shared_transition w;
	int lead;
	if (!lifecycle_shared_warning_due(&s->cfg, &mb, s->now, warned, &w,
		    &lead))
		return 0;
	if (!found && find_told(s, row, &told, err) < 0)
		return -1;
	char action[32];
	snprintf(action, sizeof(action), "warn-%d", lead);
	s->r->notices++;
	/* Dated when the reminder fell due, as the deletion is by its own. */
	jobs_report_add(s->r, row->org_id, "shared", action, row->address,
		"L6 notice", w.due_at - (int64_t)lead * LIFECYCLE_DAY_S,
		str_cstr(&told.list));
	if (s->dry_run)
		return 0;
	return send_notice(s, row, &mb, mb.noticed_at, lead, &told, err);
}

int
jobs_shared_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err)
{
	struct dir_ctx c = *ctx;
	c.arena = arena_new(PAGE_ARENA);
	struct sweep s = { .ctx = &c, .w = w, .now = now, .dry_run = dry_run,
		.r = r };
	lifecycle_config_load(ctx->config, &s.cfg);
	mail_seal_portal_url(ctx->config, s.url, sizeof(s.url));
	int64_t after = 0;
	int rc = 0;
	while (s.cfg.shared_inactive_s > 0) {
		arena_reset(c.arena);
		struct store_shared_row *rows;
		size_t count;
		if ((rc = store_shared_rows(c.store, after, PAGE, c.arena, &rows,
			     &count, err)) < 0 || count == 0)
			break;
		for (size_t i = 0; i < count && rc == 0; i++)
			rc = sweep_one(&s, &rows[i], err);
		if (rc < 0)
			break;
		after = rows[count - 1].id;
	}
	/* Links past their deletion date are forgotten (real time). */
	if (rc == 0 && !dry_run &&
	    (dir_begin(&c, err) < 0 ||
		dir_finish(&c, store_shared_tokens_expire(c.store, ctx->now,
		    err), err) < 0))
		rc = -1;
	arena_free(&c.arena);
	return rc;
}
