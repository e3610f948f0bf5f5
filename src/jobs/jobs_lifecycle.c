/*
 * The lifecycle job step (SPEC L1-L7, P12): sweeps every person not yet
 * purged, asks the pure rules (src/lifecycle/) what is due at `now`, and
 * applies each due step at its own due time until nothing more is due: so
 * a run after a long gap lands exactly where runs every day would have.
 * A page of people is one transaction on the writer, its changes, notices
 * and mails together (each person's in a savepoint of it): one flush per
 * page, not one per change and mail (bench B7), and a notice is never
 * recorded as sent without its mail. The person is mailed the warnings before
 * each step, the notice of going Inactive and the leaver notice; each
 * org's Local Administrators get one digest of the accounts that changed.
 * Every mail goes through the platform's own delivery from a template
 * (mail_notice.h), each once (lifecycle_notices). A dry run reports the
 * same items, with who would be told, and writes and sends nothing.
 * Layer: domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "jobs/jobs.h"
#include "lifecycle/lifecycle.h"
#include "mail/mail_notice.h"
#include "store/store_lifecycle.h"
#include "store/store_writer.h"

#define PAGE 10000
#define PAGE_ARENA (64u << 20)
#define DIGEST_ARENA (256u << 20)
#define DIGEST_LINES 200	/* named in one digest; the rest counted */

/* One org's changes in this run, for its LAs' digest. */
struct digest {
	int64_t org_id;
	struct str lines;
	size_t count;
};

struct sweep {
	const struct dir_ctx *ctx;	/* arena reset per page */
	bool mails;	/* mail is delivered (a writer, not a dry run) */
	struct lifecycle_config cfg;
	int64_t now;
	bool dry_run;
	struct jobs_report *r;
	struct arena *digest_arena;	/* lives for the whole run */
	struct digest *digests;
	size_t digest_count, digest_cap;
	/* Global Administrators who can act: the last is never deleted. */
	int64_t *admins;
	size_t admin_count;
};

/* Whether the row is the last of s->admins (lifecycle_account). */
static bool
last_global_admin(const struct sweep *s, int64_t person_id)
{
	return s->admin_count == 1 && s->admins[0] == person_id;
}

/* A Global Administrator deleted by this run no longer counts. */
static void
admin_gone(struct sweep *s, int64_t person_id)
{
	for (size_t i = 0; i < s->admin_count; i++) {
		if (s->admins[i] == person_id) {
			s->admins[i] = s->admins[--s->admin_count];
			return;
		}
	}
}

static const char *
step_words(enum lifecycle_step step)
{
	switch (step) {
	case LIFECYCLE_INACTIVE:
		return "made inactive";
	case LIFECYCLE_DELETE:
		return "deleted";
	case LIFECYCLE_PURGE:
		return "purged (its mail destroyed)";
	case LIFECYCLE_REACTIVATE:
		return "made active again";
	case LIFECYCLE_NONE:
		break;
	}
	return "changed";
}

/* Records the notice as sent and mails it, unless sent already. */
static int
notify(struct sweep *s, const struct store_lifecycle_row *row,
	const char *kind, int64_t due_at, const char *tpl,
	const struct mail_notice_field *fields, size_t count, struct error *err)
{
	const struct dir_ctx *ctx = s->ctx;
	if (store_notice_sent(ctx->store, row->id, kind, due_at))
		return 0;
	s->r->notices++;
	jobs_report_add(s->r, row->org_id, "lifecycle", kind, row->address,
		"L6 notice", s->now, row->address);
	if (s->dry_run)
		return 0;
	if (store_notice_mark(ctx->store, row->id, kind, due_at, s->now,
		    err) < 0)
		return -1;
	if (!s->mails)
		return 0;
	return mail_notice_send(NULL, ctx, tpl, fields, count, row->address,
		row->mailbox_id, err);
}

/*
 * The warning due before the next step, named as its notice is recorded
 * (one per step and lead); false when none is due.
 */
#define WARNING_KIND 64
static bool
warning_due(const struct sweep *s, const struct lifecycle_account *acct,
	struct lifecycle_transition *t, int *lead, char kind[WARNING_KIND])
{
	if (!lifecycle_warning_due(&s->cfg, acct, s->now, t, lead))
		return false;
	snprintf(kind, WARNING_KIND, "warn-%s-%d",
		lifecycle_step_name(t->step), *lead);
	return true;
}

/* The warning due before the next step, once per step and lead. */
static int
warn(struct sweep *s, const struct store_lifecycle_row *row,
	const struct lifecycle_account *acct, struct error *err)
{
	struct lifecycle_transition t;
	int lead;
	char kind[WARNING_KIND], leads[16];
	if (!warning_due(s, acct, &t, &lead, kind))
		return 0;
	snprintf(leads, sizeof(leads), "%d", lead);
	struct arena *a = s->ctx->arena;
	const struct mail_notice_field f[] = {
		{ "name", row->display_name }, { "address", row->address },
		{ "org", dir_org_name(s->ctx, row->org_id) },
		{ "step", step_words(t.step) }, { "date", jobs_day_text(a, t.due_at) },
		{ "lead_days", leads }, { "reason", t.reason },
	};
	return notify(s, row, kind, t.due_at, "warning", f,
		sizeof(f) / sizeof(*f), err);
}

/* L3: the leaver notice, once per time they were marked (seed 002 #6775). */
#define LEAVER_KIND "leaver"
static int
leaver_notice(struct sweep *s, const struct store_lifecycle_row *row,
	const struct lifecycle_account *acct, struct error *err)
{
	struct lifecycle_transition t;
	if (!lifecycle_leaver_notice_due(&s->cfg, acct, &t))
		return 0;
	const struct mail_notice_field f[] = {
		{ "name", row->display_name }, { "address", row->address },
		{ "org", dir_org_name(s->ctx, row->org_id) },
		{ "date", jobs_day_text(s->ctx->arena, t.due_at) },
	};
	return notify(s, row, LEAVER_KIND, acct->status_changed_at, "leaver",
		f, sizeof(f) / sizeof(*f), err);
}

static struct digest *
digest_for(struct sweep *s, int64_t org_id)
{
	for (size_t i = 0; i < s->digest_count; i++) {
		if (s->digests[i].org_id == org_id)
			return &s->digests[i];
	}
	struct digest *d = arena_array_push(s->digest_arena,
		(void **)&s->digests, &s->digest_count, &s->digest_cap, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->org_id = org_id;
	d->count = 0;
	str_init(&d->lines, s->digest_arena, DIGEST_LINES * 512);
	return d;
}

static int
note_change(struct sweep *s, const struct store_lifecycle_row *row,
	const struct lifecycle_transition *t, struct error *err)
{
	struct digest *d = digest_for(s, row->org_id);
	if (d != NULL && d->count >= DIGEST_LINES) {
		/* The rest are counted; the audit has every one. */
		d->count++;
		return 0;
	}
	char line[512];
	snprintf(line, sizeof(line), "- %s (%s): %s on %s, %s\n",
		row->display_name, row->address, step_words(t->step),
		jobs_day_text(s->ctx->arena, t->due_at), t->rule);
	if (d == NULL || str_append_cstr(&d->lines, line) < 0)
		return error_set(err, ERROR_LIMIT, "too many changes for the "
			"digest");
	d->count++;
	return 0;
}

/* The row as the rules see it. */
static struct lifecycle_account
account_of(const struct sweep *s, const struct store_lifecycle_row *row)
{
	return (struct lifecycle_account){ row->status, row->created_at,
		row->last_signin_at, row->password_changed_at,
		row->status_changed_at, row->deleted_at, row->purged_at,
		last_global_admin(s, row->id) };
}

/*
 * Whether the rules have anything for this person now: a step, or a
 * warning or the leaver notice not yet sent (each is sent once; the
 * store's record of it is read only for the few in a notice's window).
 * A page of people with nothing due is never written: at 1.6 million
 * people a run was 160 empty transactions on the writer, and a page with
 * someone already warned took one each run until the step (now a read).
 */
static bool
row_due(const struct sweep *s, const struct store_lifecycle_row *row)
{
	struct lifecycle_account acct = account_of(s, row);
	struct lifecycle_transition t;
	int lead;
	char kind[WARNING_KIND];
	struct store *st = s->ctx->store;
	if (lifecycle_due(&s->cfg, &acct, s->now, &t))
		return true;
	if (warning_due(s, &acct, &t, &lead, kind) &&
	    !store_notice_sent(st, row->id, kind, t.due_at))
		return true;
	return lifecycle_leaver_notice_due(&s->cfg, &acct, &t) &&
		!store_notice_sent(st, row->id, LEAVER_KIND,
			acct.status_changed_at);
}

/* Everything due for one person, each step at its due time. */
static int
sweep_one(struct sweep *s, const struct store_lifecycle_row *row,
	struct error *err)
{
	const struct dir_ctx *ctx = s->ctx;
	struct lifecycle_account acct = account_of(s, row);
	struct lifecycle_transition t;
	/* Each step moves on (Inactive, Deleted, Purged): at most 4. */
	for (int guard = 0; guard < 8 &&
	     lifecycle_due(&s->cfg, &acct, s->now, &t); guard++) {
		const char *told = t.step == LIFECYCLE_INACTIVE ? row->address :
			"";
		s->r->changes++;
		jobs_report_add(s->r, row->org_id, "lifecycle",
			lifecycle_step_name(t.step), row->address, t.rule,
			t.due_at, told);
		if (note_change(s, row, &t, err) < 0)
			return -1;
		/* The rules say what the step leaves; the store is told that. */
		lifecycle_apply(&acct, &t);
		if (t.step == LIFECYCLE_DELETE)
			admin_gone(s, row->id);
		if (!s->dry_run) {
			if (dir_begin(ctx, err) < 0)
				return -1;
			int rc = dir_person_lifecycle(ctx, row->id, acct.status,
				t.step == LIFECYCLE_PURGE, t.due_at, t.rule,
				t.reason, err);
			if (dir_finish(ctx, rc, err) < 0)
				return -1;
		}
		struct lifecycle_transition next;
		if (t.step != LIFECYCLE_INACTIVE || !s->mails ||
		    lifecycle_due(&s->cfg, &acct, s->now, &next))
			continue;
		/* The notice of going Inactive, with the deletion date. */
		lifecycle_next(&s->cfg, &acct, &next);
		const struct mail_notice_field f[] = {
			{ "name", row->display_name }, { "address", row->address },
			{ "org", dir_org_name(ctx, row->org_id) },
			{ "date", next.step == LIFECYCLE_NONE ? "no set date" :
				jobs_day_text(ctx->arena, next.due_at) },
		};
		if (mail_notice_send(NULL, ctx, "inactive", f,
			    sizeof(f) / sizeof(*f), row->address, row->mailbox_id,
			    err) < 0)
			return -1;
	}
	if (leaver_notice(s, row, &acct, err) < 0)
		return -1;
	return warn(s, row, &acct, err);
}

/* Each org's LAs, one digest of this run's changes (P12). */
static int
send_digests(struct sweep *s, struct error *err)
{
	const struct dir_ctx *ctx = s->ctx;
	for (size_t i = 0; i < s->digest_count; i++) {
		struct digest *d = &s->digests[i];
		arena_reset(ctx->arena);
		struct dir_org_admin *admins;
		size_t n;
		if (dir_org_local_admins(ctx, d->org_id, &admins, &n, err) < 0)
			return -1;
		if (d->count > DIGEST_LINES) {
			char more[128];
			snprintf(more, sizeof(more), "- and %zu more (caremail "
				"audit list names every one)\n",
				d->count - DIGEST_LINES);
			d->lines.max += sizeof(more);
			if (str_append_cstr(&d->lines, more) < 0)
				return error_set(err, ERROR_LIMIT, "no memory");
		}
		struct str told;
		str_init(&told, ctx->arena, 64 * 1024);
		const char *org = dir_org_name(ctx, d->org_id);
		const struct mail_notice_field f[] = {
			{ "org", org }, { "date", jobs_day_text(ctx->arena, s->now) },
			{ "changes", str_cstr(&d->lines) },
		};
		for (size_t j = 0; j < n; j++) {
			const struct store_person *p = &admins[j].person;
			bool seen = false;
			for (size_t k = 0; k < j && !seen; k++)
				seen = admins[k].person.id == p->id;
			if (seen || p->status != STORE_PERSON_ACTIVE)
				continue;
			if ((told.len > 0 && str_append_cstr(&told, ",") < 0) ||
			    str_append_cstr(&told, p->address) < 0)
				return error_set(err, ERROR_LIMIT, "no memory");
			if (s->mails && mail_notice_send(NULL, ctx, "digest", f,
				    sizeof(f) / sizeof(*f), p->address,
				    p->mailbox_id, err) < 0)
				return -1;
		}
		if (told.len > 0) {
			s->r->notices++;
			jobs_report_add(s->r, d->org_id, "lifecycle", "digest",
				dir_org_ods(ctx, d->org_id), "L6 notice", s->now,
				str_cstr(&told));
		}
	}
	return 0;
}

/* A page of people, or the digests (rows NULL), for one transaction. */
struct page {
	struct sweep *s;
	const struct store_lifecycle_row *rows;
	size_t count;
};

/* The page's work on st, the transaction's store (the writer's, or ours). */
static int
page_run(struct store *st, void *arg, struct error *err)
{
	struct page *p = arg;
	struct sweep *s = p->s;
	const struct dir_ctx *outer = s->ctx;
	struct dir_ctx c = *outer;
	c.store = st;
	s->ctx = &c;
	int rc = 0;
	for (size_t i = 0; i < p->count && rc == 0; i++)
		rc = sweep_one(s, &p->rows[i], err);
	if (rc == 0 && p->rows == NULL)
		rc = send_digests(s, err);
	s->ctx = outer;
	return rc;
}

/*
 * One transaction for the page: on the writer, whose commit makes its
 * mails durable with it; without one (no mail is sent), on our own
 * connection; a dry run writes nothing and needs none.
 */
static int
page_apply(struct sweep *s, struct store_writer *w, struct page *p,
	struct error *err)
{
	if (s->dry_run)
		return page_run(s->ctx->store, p, err);
	if (w != NULL)
		return store_writer_run(w, page_run, p, err);
	if (dir_begin(s->ctx, err) < 0)
		return -1;
	return dir_finish(s->ctx, page_run(s->ctx->store, p, err), err);
}

int
jobs_lifecycle_run(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, struct jobs_report *r, struct error *err)
{
	struct dir_ctx c = *ctx;
	c.arena = arena_new(PAGE_ARENA);
	struct sweep s = { .ctx = &c, .mails = w != NULL && !dry_run,
		.now = now, .dry_run = dry_run, .r = r,
		.digest_arena = arena_new(DIGEST_ARENA) };
	lifecycle_config_load(ctx->config, &s.cfg);
	int64_t after = 0;
	int rc = dir_global_admins(ctx, s.digest_arena, &s.admins,
		&s.admin_count, err);
	while (rc == 0) {
		arena_reset(c.arena);
		struct store_lifecycle_row *rows;
		size_t count;
		if ((rc = store_lifecycle_rows(c.store, after, PAGE, c.arena,
			     &rows, &count, err)) < 0 || count == 0)
			break;
		after = rows[count - 1].id;
		/* Only the people with something due; no transaction for none. */
		size_t due = 0;
		for (size_t i = 0; i < count; i++)
			if (row_due(&s, &rows[i]))
				rows[due++] = rows[i];
		struct page p = { &s, rows, due };
		if (due > 0 && (rc = page_apply(&s, w, &p, err)) < 0)
			break;
	}
	if (rc == 0 && s.digest_count > 0) {
		struct page digests = { &s, NULL, 0 };
		rc = page_apply(&s, w, &digests, err);
	}
	arena_free(&c.arena);
	arena_free(&s.digest_arena);
	return rc;
}

int
jobs_lifecycle_account(const struct dir_ctx *ctx,
	const struct store_person *p, struct lifecycle_account *acct_r,
	struct error *err)
{
	bool last;
	if (dir_is_last_global_admin(ctx, p->id, &last, err) < 0)
		return -1;
	*acct_r = (struct lifecycle_account){ p->status, p->created_at,
		p->last_signin_at, p->password_changed_at,
		p->status_changed_at, p->deleted_at, p->purged_at, last };
	return 0;
}
