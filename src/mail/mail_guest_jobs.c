/*
 * Guest attestation and add-on expiry as job steps (SPEC L8, L9, P12):
 * the domain says what is due, this applies it and mails who must know,
 * a plain-text message from the postmaster (mail_postmaster_send). The
 * texts are built in, not yet templates in the instance directory
 * (mail_notice.h). Layer: domain.
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
	const struct notice_to *t, const char *subject, const char *text,
	struct error *err)
{
	const struct mail_postmaster_mail pm = { .subject = subject,
		.text = text };
	return mail_postmaster_send(w, ctx, &pm, t->address, t->count, NULL,
		err);
}

static const char *
day_of(const struct dir_ctx *ctx, int64_t t)
{
	char text[32];
	clock_format_iso(t, text, sizeof(text));
	text[10] = '\0';
	return arena_strdup(ctx->arena, text);
}

/* The guest notice's recipients, subject and text. */
static int
guest_notice(const struct dir_ctx *ctx, const struct dir_guest_item *it,
	struct notice_to *to, const char **subject_r, const char **text_r,
	struct error *err)
{
	const struct store_guest *g = &it->guest;
	const char *due = day_of(ctx, it->due.due_at);
	bool eligible = dir_guest_inviter_is_eligible(g->org_id,
		g->inviter_org_id, g->inviter_active);
	switch (it->due.step) {
	case DIR_GUEST_REQUEST:
		to_add(to, g->inviter_address);
		*subject_r = arena_printf(ctx->arena, "Please confirm your "
			"guest %s still needs access", g->address);
		*text_r = arena_printf(ctx->arena, "You invited %s (%s) into "
			"%s as a guest. Confirm by %s that they still need "
			"access: in the portal's Guests page, or ask a Local "
			"Administrator.\n\nIf nobody confirms by then, the guest "
			"is removed.\n", g->display_name, g->address,
			g->org_ods, due);
		return 0;
	case DIR_GUEST_ORPHAN:
		if (to_add_admins(ctx, g->org_id, to, err) < 0)
			return -1;
		*subject_r = arena_printf(ctx->arena, "Guest %s needs a new "
			"inviter", g->address);
		*text_r = arena_printf(ctx->arena, "%s, who invited the guest "
			"%s (%s) into %s, has left, moved organisation or been "
			"disabled, and can no longer answer for them. Give the "
			"guest a new inviter, who must confirm by %s, or the "
			"guest is removed then.\n", g->inviter_address,
			g->display_name, g->address, g->org_ods, due);
		return 0;
	case DIR_GUEST_REMOVE:
		if (eligible)
			to_add(to, g->inviter_address);
		if (to_add_admins(ctx, g->org_id, to, err) < 0)
			return -1;
		*subject_r = arena_printf(ctx->arena, "Guest %s was removed",
			g->address);
		*text_r = arena_printf(ctx->arena, "The guest %s (%s) of %s "
			"was removed: nobody confirmed by %s that they still "
			"need access. An eligible person of the organisation "
			"may invite them again.\n", g->display_name, g->address,
			g->org_ods, due);
		return 0;
	case DIR_GUEST_NOTHING:
		break;
	}
	*subject_r = *text_r = NULL;
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
		const char *subject, *text;
		if (guest_notice(ctx, it, &to, &subject, &text, err) < 0)
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
		    (subject != NULL && notice_send(ctx, w, &to, subject,
			    text, err) < 0))
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
		const char *subject = arena_printf(ctx->arena, "%s licences "
			"for %s: %s", a->name, a->org_ods, when);
		const char *text = arena_printf(ctx->arena, "The %s add-on of "
			"%s %s. %lld of its %lld licences are held.\n\nRenew "
			"it, or free the licences of people who no longer need "
			"it. You are told because you are a Local Administrator "
			"of %s.\n", a->name, a->org_ods, when,
			(long long)a->used, (long long)a->quota, a->org_ods);
		if (dir_licence_sweep_apply(ctx, it, err) < 0 ||
		    notice_send(ctx, w, &to, subject, text, err) < 0)
			return -1;
		log_info("licences.sweep", "addon=%lld days=%lld to=%zu",
			(long long)a->id, (long long)it->days, to.count);
	}
	return 0;
}
