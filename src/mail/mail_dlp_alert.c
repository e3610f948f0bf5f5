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

#define ALERT_ARENA (1024 * 1024)

bool
mail_dlp_alert_wanted(const struct config *c, const char *decision)
{
	const char *when = config_get_str(c, "mail.dlp_alert");
	if (strcmp(when, "all") == 0)
		return true;
	return strcmp(when, "block") == 0 && strcmp(decision, "refuse") == 0;
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
	struct dir_org_admin *admins = NULL;
	size_t n = 0;
	struct error inner;
	int rc = 0;
	/* Mail from an application or a shared mailbox: no person's org. */
	if (dir_person_get(&c, m->sender, &sender, &inner) == 0)
		rc = dir_org_local_admins(&c, sender.org_id, &admins, &n, err);
	const char **to = n == 0 ? NULL :
		arena_alloc(c.arena, n * sizeof(*to));
	char when[64];
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
	const struct mail_postmaster_mail pm = { .text = text,
		.subject = arena_printf(c.arena, "NHS number in mail from %s",
			m->sender) };
	size_t sent = 0;
	if (rc == 0 && n > 0 && (to == NULL || text == NULL ||
		pm.subject == NULL))
		rc = error_set(err, ERROR_LIMIT, "no memory for the alert");
	else if (rc == 0 && n > 0) {
		for (size_t i = 0; i < n; i++)
			to[i] = admins[i].person.address;
		rc = mail_postmaster_send(w, &c, &pm, to, n, &sent, err);
	}
	if (rc == 0 && sent > 0)
		log_info("mail.dlp_alert", "from=<%s> admins=%zu decision=%s",
			m->sender, sent, alert->decision);
	arena_free(&c.arena);
	return rc;
}
