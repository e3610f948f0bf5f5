/*
 * Alerting an organisation's Local Administrators to an NHS number found
 * in mail leaving the secure domains (SPEC M12 "optional alert to the
 * org's LAs"; seed 000 said the national service could not): a message
 * from the postmaster to each local_admin and primary_local_admin of the
 * sender's org, saying who sent what to whom and what was done, the
 * number masked and nothing else of the message (not its subject).
 * mail.dlp_alert chooses which finds: none, block (stopped, the default)
 * or all (also encrypted and audited ones). Layer: domain. SECURITY.md 53.
 */
#include "mail/mail.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail_compose.h"
#include "mail/mail_dsn.h"

#define ALERT_ARENA (1024 * 1024)

bool
mail_dlp_alert_wanted(const struct config *c, const char *decision)
{
	const char *when = config_get_str(c, "mail.dlp_alert");
	if (strcmp(when, "all") == 0)
		return true;
	return strcmp(when, "block") == 0 && strcmp(decision, "refuse") == 0;
}

static bool
is_local_admin(const char *role)
{
	return strcmp(role, "local_admin") == 0 ||
		strcmp(role, "primary_local_admin") == 0;
}

/* The org's Local Administrators, routed, each once; *count_r 0: none. */
static int
admins_of(const struct dir_ctx *ctx, int64_t org_id,
	struct mail_recipient **to_r, size_t *count_r, struct error *err)
{
	struct store_role *roles;
	size_t n;
	*count_r = 0;
	if (dir_role_list_by_org(ctx, org_id, &roles, &n, err) < 0)
		return -1;
	*to_r = arena_alloc(ctx->arena, (n + 1) * sizeof(**to_r));
	if (*to_r == NULL)
		return error_set(err, ERROR_LIMIT, "no memory for the alert");
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = roles[j].person_id == roles[i].person_id &&
				is_local_admin(roles[j].role);
		struct store_person p;
		struct mail_recipient *r;
		size_t got;
		struct error inner;
		if (seen || !is_local_admin(roles[i].role) ||
		    dir_person_get_by_id(ctx, roles[i].person_id, &p,
			    &inner) < 0 || p.deleted_at != 0 ||
		    mail_route(ctx, p.address, false, &r, &got, &inner) < 0 ||
		    got != 1)
			continue;
		(*to_r)[(*count_r)++] = r[0];
	}
	return 0;
}

static const char *
what_was_done(const char *decision)
{
	return strcmp(decision, "refuse") == 0 ? "It was not sent to "
		"recipients outside the secure domains, and the sender has "
		"been told why." : strcmp(decision, "encrypt") == 0 ?
		"It was sent encrypted: those recipients read it in the secure "
		"message portal." : "It was sent as it was: the policy for "
		"numbers like this one is to record them only.";
}

int
mail_dlp_alert_send(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, struct error *err)
{
	const struct mail_dlp_alert *alert = m->dlp_alert;
	if (alert == NULL || !mail_dlp_alert_wanted(ctx->config,
		    alert->decision))
		return 0;
	struct dir_ctx c = *ctx;
	c.arena = arena_new(ALERT_ARENA);
	struct store_person sender;
	struct mail_recipient *to = NULL;
	size_t n = 0;
	struct error inner;
	int rc = 0;
	/* Mail from an application or a shared mailbox: no person's org. */
	if (dir_person_get(&c, m->sender, &sender, &inner) == 0)
		rc = admins_of(&c, sender.org_id, &to, &n, err);
	char postmaster[300], when[64];
	mail_dsn_postmaster(ctx->config, postmaster, sizeof(postmaster));
	clock_format_iso(ctx->now, when, sizeof(when));
	const char *text = n == 0 ? NULL : arena_printf(c.arena,
		"A message sent by %s at %s appears to contain %zu NHS "
		"number%s (%s confidence; the first is %s) and was addressed "
		"to %s, outside the secure domains.\n\n%s\n\n"
		"This alert names the number masked and nothing else of the "
		"message. The audit holds the details (type message, event "
		"dlp). You are told because you are a Local Administrator of "
		"the sender's organisation.\n", m->sender, when,
		alert->numbers, alert->numbers == 1 ? "" : "s",
		alert->tier[0] != '\0' ? alert->tier : "unknown",
		alert->sample[0] != '\0' ? alert->sample : "masked",
		alert->recipient, what_was_done(alert->decision));
	struct span body;
	struct str msg;
	if (rc == 0 && n > 0) {
		struct mail_compose mc = {
			.from = postmaster, .from_name = "caremail",
			.subject = arena_printf(c.arena, "NHS number in mail "
				"from %s", m->sender),
			.date = ctx->now, .text = text };
		rc = text == NULL || mc.subject == NULL ?
			error_set(err, ERROR_LIMIT, "no memory for the alert") :
			mail_compose(&mc, ctx->config, c.arena, &body, err);
	}
	if (rc == 0 && n > 0) {
		str_init(&msg, c.arena, body.len + 64);
		rc = mail_return_path_header("", &msg) < 0 ||
			str_append(&msg, body.p, body.len) < 0 ?
			error_set(err, ERROR_LIMIT, "no memory for the alert") :
			0;
	}
	if (rc == 0 && n > 0) {
		struct mail_message alert_msg = { .data = str_cstr(&msg),
			.size = msg.len, .received_at = ctx->now, .sender = "" };
		rc = mail_deliver(w, &c, &alert_msg, to, n, NULL, err);
	}
	if (rc == 0 && n > 0)
		log_info("mail.dlp_alert", "from=<%s> admins=%zu decision=%s",
			m->sender, n, alert->decision);
	arena_free(&c.arena);
	return rc;
}
