/*
 * Guest attestation and add-on expiry as job steps (SPEC L8, L9, P12):
 * the domain says what is due, this applies it and mails who must know,
 * from the postmaster, written from the notice templates (mail_notice.h:
 * guest-confirm, guest-orphan, guest-removed, licence-expiry), which an
 * operator may edit in the instance directory. Layer: domain.
 */
#include "mail/mail_guest_jobs.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "dir/dir_guest.h"
#include "mail/mail.h"
#include "mail/mail_notice.h"

#define NOTICE_TO_MAX 64

/* Addresses a notice goes to, each once. */
struct notice_to {
	const char *address[NOTICE_TO_MAX];
	size_t count;
};

static void
to_add(struct notice_to *t, const char *address)
{
	if (address == NULL || address[0] == '\0' || t->count == NOTICE_TO_MAX)
		return;
	for (size_t i = 0; i < t->count; i++)
		if (strcmp(t->address[i], address) == 0)
			return;
	t->address[t->count++] = address;
}

/* The org's live Local Administrators (primary ones included). */
static int
to_add_admins(const struct dir_ctx *ctx, int64_t org_id, struct notice_to *t,
	struct error *err)
{
	struct dir_org_admin *admins;
	size_t n;
	if (dir_org_local_admins(ctx, org_id, &admins, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		to_add(t, admins[i].person.address);
	return 0;
}

static json_t *
to_json(const struct notice_to *t)
{
	json_t *a = json_array();
	for (size_t i = 0; i < t->count; i++)
		json_array_append_new(a, json_string(t->address[i]));
	return a;
}

/* One message to each address here that has a mailbox. */
static int
notice_send(const struct dir_ctx *ctx, struct store_writer *w,
	const struct notice_to *t, const char *template,
	const struct mail_notice_field *fields, size_t count,
	struct error *err)
{
	return mail_notice_send_to(w, ctx, template, fields, count, t->address,
		t->count, NULL, err);
}

static const char *
day_of(const struct dir_ctx *ctx, int64_t t)
{
	char text[32];
	clock_format_iso(t, text, sizeof(text));
	text[10] = '\0';
	return arena_strdup(ctx->arena, text);
}

/* The guest notice's fields, in the order guest_notice fills them. */
#define GUEST_FIELDS 6

/* The guest notice's recipients, template and fields (NULL: none due). */
static int
guest_notice(const struct dir_ctx *ctx, const struct dir_guest_item *it,
	struct notice_to *to, const char **template_r,
	struct mail_notice_field *f, struct error *err)
{
	const struct store_guest *g = &it->guest;
	bool eligible = dir_guest_inviter_is_eligible(g->org_id,
		g->inviter_org_id, g->inviter_active);
	f[0] = (struct mail_notice_field){ "guest", g->address };
	f[1] = (struct mail_notice_field){ "guest_name", g->display_name };
	f[2] = (struct mail_notice_field){ "inviter", g->inviter_address };
	f[3] = (struct mail_notice_field){ "ods", g->org_ods };
	f[4] = (struct mail_notice_field){ "org", dir_org_name(ctx, g->org_id) };
	f[5] = (struct mail_notice_field){ "due", day_of(ctx, it->due.due_at) };
	*template_r = NULL;
	switch (it->due.step) {
	case DIR_GUEST_REQUEST:
		to_add(to, g->inviter_address);
		*template_r = "guest-confirm";
		return 0;
	case DIR_GUEST_ORPHAN:
		*template_r = "guest-orphan";
		return to_add_admins(ctx, g->org_id, to, err);
	case DIR_GUEST_REMOVE:
		if (eligible)
			to_add(to, g->inviter_address);
		*template_r = "guest-removed";
		return to_add_admins(ctx, g->org_id, to, err);
	case DIR_GUEST_NOTHING:
		break;
	}
	return 0;
}

int
mail_guest_step(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, json_t *report, struct error *err)
{
	struct dir_guest_item *items;
	size_t n;
	if (dir_guest_sweep_due(ctx, now, &items, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct dir_guest_item *it = &items[i];
		struct notice_to to = { .count = 0 };
		struct mail_notice_field f[GUEST_FIELDS];
		const char *template;
		if (guest_notice(ctx, it, &to, &template, f, err) < 0)
			return -1;
		json_array_append_new(report, json_pack(
			"{s:s, s:s, s:I, s:s, s:s, s:s, s:o}", "job", "guests",
			"rule", dir_guest_step_name(it->due.step), "id",
			(json_int_t)it->guest.id, "guest", it->guest.address,
			"org", it->guest.org_ods, "due",
			day_of(ctx, it->due.due_at), "to", to_json(&to)));
		if (dry_run)
			continue;
		if (dir_guest_sweep_apply(ctx, it, now, err) < 0 ||
		    (template != NULL && notice_send(ctx, w, &to, template,
			    f, GUEST_FIELDS, err) < 0))
			return -1;
		log_info("guests.sweep", "guest=%lld rule=%s to=%zu",
			(long long)it->guest.id,
			dir_guest_step_name(it->due.step), to.count);
	}
	return 0;
}

int
mail_licence_step(const struct dir_ctx *ctx, struct store_writer *w,
	int64_t now, bool dry_run, json_t *report, struct error *err)
{
	struct dir_licence_item *items;
	struct store_addon *addons;
	size_t n;
	/* Rules first: people who joined since get the add-on (by rule). */
	if (dir_addon_list(ctx, 0, &addons, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t pending, given, left;
		if (dir_addon_rule_pending(ctx, &addons[i], &pending, err) < 0)
			return -1;
		if (pending == 0)
			continue;
		json_array_append_new(report, json_pack(
			"{s:s, s:s, s:s, s:s, s:I}", "job", "licences", "rule",
			"allocation_rule", "addon", addons[i].name, "org",
			addons[i].org_ods, "allocated", (json_int_t)pending));
		if (!dry_run && dir_addon_rule(ctx, addons[i].org_ods,
			    addons[i].name, addons[i].rule, &given, &left,
			    err) < 0)
			return -1;
	}
	if (dir_licence_sweep_due(ctx, now, &items, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct dir_licence_item *it = &items[i];
		const struct store_addon *a = &it->addon;
		struct notice_to to = { .count = 0 };
		if (to_add_admins(ctx, a->org_id, &to, err) < 0)
			return -1;
		const char *expiry = day_of(ctx, a->expires_at);
		const char *when = it->days > 0 ? arena_printf(ctx->arena,
			"expires in %lld days, on %s", (long long)it->days,
			expiry) : it->days == 0 ? arena_printf(ctx->arena,
			"expires today, %s", expiry) : arena_printf(ctx->arena,
			"expired %lld days ago, on %s", (long long)-it->days,
			expiry);
		json_array_append_new(report, json_pack(
			"{s:s, s:s, s:s, s:s, s:I, s:s, s:o}", "job", "licences",
			"rule", "expiry_notice", "addon", a->name, "org",
			a->org_ods, "days_before_expiry", (json_int_t)it->days,
			"expires", expiry, "to", to_json(&to)));
		if (dry_run)
			continue;
		const struct mail_notice_field f[] = {
			{ "addon", a->name }, { "ods", a->org_ods },
			{ "org", dir_org_name(ctx, a->org_id) }, { "when", when },
			{ "expires", expiry },
			{ "days", arena_printf(ctx->arena, "%lld",
				(long long)it->days) },
			{ "used", arena_printf(ctx->arena, "%lld",
				(long long)a->used) },
			{ "quota", arena_printf(ctx->arena, "%lld",
				(long long)a->quota) },
		};
		if (dir_licence_sweep_apply(ctx, it, err) < 0 ||
		    notice_send(ctx, w, &to, "licence-expiry", f,
			    sizeof(f) / sizeof(*f), err) < 0)
			return -1;
		log_info("licences.sweep", "addon=%lld days=%lld to=%zu",
			(long long)a->id, (long long)it->days, to.count);
	}
	return 0;
}
