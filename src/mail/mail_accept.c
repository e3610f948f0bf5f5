/*
 * A message accepted at intake: mail_deliver for the recipients the
 * policy let through (with the Sent Items copy of a shared mailbox it was
 * sent from, SPEC M12a, and the copy sealed for the portal for those it
 * must be encrypted for, SPEC M10), then the DLP alert to the Local
 * Administrators (SPEC M12), then the failure report for those it stopped
 * and the success reports asked for. Layer: domain. RFC 3461 §4.1 (NOTIFY
 * decides which reports), §6.2 (never one about a report); RFC 3464.
 */
#include "mail/mail_accept.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "dir/dir_address.h"
#include "core/arena.h"
#include "mail/mail_dsn.h"
#include "mail/mail_internal.h"
#include "mail/mail_metrics.h"
#include "mail/mail_mime.h"
#include "mail/mail_nhsnum.h"

/*
 * A copy of m's header (up to its empty line) with the middle digits of
 * every NHS number written in it starred, "999*****27" (SPEC M12: the
 * number is masked wherever it is shown or stored); separators and
 * length are kept. In memory from malloc.
 */
static char *
masked_header(const struct mail_message *m, size_t *len_r)
{
	size_t len = mail_mime_header_size(m->data, m->size);
	char *copy = xmalloc(len + 1);
	memcpy(copy, m->data, len);
	copy[len] = '\0';
	struct span text = span_make(copy, len);
	struct mail_nhsnum_match match;
	size_t pos = 0;
	while (mail_nhsnum_find(text, &pos, &match)) {
		int digit = 0;
		for (size_t i = match.start; i < match.end; i++)
			if (copy[i] >= '0' && copy[i] <= '9' &&
			    ++digit > 3 && digit <= 8)
				copy[i] = '*';
	}
	*len_r = len;
	return copy;
}

/*
 * The failure report for the stopped recipients that may be told (RFC
 * 3461: NOTIFY=NEVER or SUCCESS alone asks for none). The header only is
 * returned, its numbers masked: the sender has the message, and the body
 * is what was stopped.
 */
static int
report_stopped(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, const char *const *stopped, struct error *err)
{
	struct mail_dsn_recipient *lines = xcalloc(count + m->withheld_count,
		sizeof(*lines));
	size_t n = 0;
	char **orcpts = xcalloc(m->withheld_count + 1, sizeof(*orcpts));
	for (size_t i = 0; i < m->withheld_count; i++) {
		const struct mail_withheld *h = &m->withheld[i];
		if (h->sealed || !mail_dsn_notify_wants(h->via->notify,
			    MAIL_DSN_FAILED))
			continue;
		/* Reached through the list: RFC 3464 §2.3.1 Original-Recipient. */
		size_t len = strlen(h->via->address) + sizeof("rfc822;");
		orcpts[i] = xmalloc(len);
		snprintf(orcpts[i], len, "rfc822;%s", h->via->address);
		lines[n++] = (struct mail_dsn_recipient){
			.final_recipient = h->address,
			.original_recipient = orcpts[i],
			.action = MAIL_DSN_FAILED,
			.status = "5.7.1",
			.diagnostic = h->why,
			.advice = h->why,
			.last_attempt = ctx->now,
		};
	}
	for (size_t i = 0; stopped != NULL && i < count; i++) {
		if (stopped[i] == NULL || !mail_dsn_notify_wants(
			    recipients[i].notify, MAIL_DSN_FAILED))
			continue;
		lines[n++] = (struct mail_dsn_recipient){
			.final_recipient = recipients[i].address,
			.original_recipient = recipients[i].orcpt,
			.action = MAIL_DSN_FAILED,
			.status = "5.7.1",
			.diagnostic = stopped[i],
			.advice = stopped[i],
			.last_attempt = ctx->now,
		};
	}
	int rc = 0;
	if (n > 0) {
		size_t header_len;
		char *header = masked_header(m, &header_len);
		struct mail_dsn_report rep = {
			.original_sender = m->sender,
			.envid = m->envid,
			.arrival_date = m->received_at,
			.now = ctx->now,
			.original = span_make(header, header_len),
			.recipients = lines,
			.recipient_count = n,
		};
		rc = mail_dsn_deliver(w, ctx, &rep, err);
		free(header);
	}
	for (size_t i = 0; i < m->withheld_count; i++)
		free(orcpts[i]);
	free(orcpts);
	free(lines);
	return rc;
}

/*
 * The shared mailbox a submitted message was sent as or on behalf of: a
 * use of it (SPEC L5), and, with mail.shared_sent_copies, its Sent Items
 * keeps a copy so the whole team sees what went out in its name (SPEC
 * M12a). 0 for none: sent as oneself or by an application, another
 * person's mailbox or a resource's. The From was read and checked at DATA
 * (m->from), so one missing or not an address now is logged and nothing
 * recorded rather than the message refused.
 */
static int
sent_as_shared(const struct dir_ctx *ctx, const struct mail_message *m,
	int64_t *mailbox_id_r, struct error *err)
{
	*mailbox_id_r = 0;
	if (m->right == MAIL_SEND_SELF)
		return 0;
	struct dir_address address;
	struct error inner;
	if (m->from == NULL)
		error_set(&inner, ERROR_INVALID, "the From header was not read");
	if (m->from == NULL || dir_address_parse(span_from_cstr(m->from),
		    &address, &inner) < 0) {
		log_warn("mail.sent_copy_skipped", "from=<%s> reason=\"%s\"",
			m->sender, inner.msg);
		return 0;
	}
	struct store_mailbox box;
	if (dir_mailbox_get(ctx, address.text, &box, &inner) < 0)
		return inner.code == ERROR_NOT_FOUND ? 0 :
			error_forward(err, &inner);
	if (box.kind == STORE_MAILBOX_SHARED && box.deleted_at == 0)
		*mailbox_id_r = box.id;
	return 0;
}

/* The sealed copy's room beyond the message: the notices. */
#define SEAL_ARENA_EXTRA (1024 * 1024)

int
mail_accept(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, const char *const *stopped, const bool *sealed,
	struct mail_delivery_report *report_r, struct error *err)
{
	struct mail_delivery_report none = { 0 };
	struct mail_recipient *go = xcalloc(count > 0 ? count : 1,
		sizeof(*go));
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		if ((stopped == NULL || stopped[i] == NULL) &&
		    (sealed == NULL || !sealed[i]))
			go[n++] = recipients[i];
	/*
	 * Stopped or sealed for some or all recipients, it was still sent:
	 * the copy goes in whatever the policy did.
	 */
	struct mail_message sent = *m;
	struct mail_seal_plan seal;
	bool sealing = sealed != NULL || m->withheld_count > 0;
	struct arena *seal_arena = sealing ?
		arena_new(m->size * 2 + SEAL_ARENA_EXTRA) : NULL;
	int rc = !sealing ? 0 : mail_seal_prepare(ctx, m, recipients,
		count, sealed, seal_arena, &seal, err);
	if (rc == 0 && sealing && seal.count > 0)
		sent.seal = &seal;
	if (rc == 0)
		rc = sent_as_shared(ctx, m, &sent.sent_as_shared, err);
	if (config_get_bool(ctx->config, "mail.shared_sent_copies"))
		sent.sent_copy_mailbox = sent.sent_as_shared;
	if (rc == 0 && (n > 0 || sent.sent_as_shared != 0 ||
		m->note_count > 0 || sent.seal != NULL))
		rc = mail_deliver(w, ctx, &sent, go, n, report_r, err);
	else if (report_r != NULL)
		*report_r = none;
	if (rc == 0)
		mail_metrics_accepted();
	arena_free(&seal_arena);
	/* RFC 3461 §6.2: never a report about a report. */
	bool may_report = rc == 0 && m->sender != NULL && m->sender[0] != '\0';
	struct error report_err;
	if (may_report && (stopped != NULL || m->withheld_count > 0) &&
	    report_stopped(w, ctx, m, recipients, count, stopped,
		    &report_err) < 0)
		log_warn("mail.report_failed", "from=<%s> reason=\"%s\"",
			m->sender, report_err.msg);
	if (may_report && n > 0 &&
	    mail_dsn_report_local(w, ctx, m, go, n, &report_err) < 0)
		log_warn("mail.report_failed", "from=<%s> reason=\"%s\"",
			m->sender, report_err.msg);
	if (rc == 0 && mail_dlp_alert_send(w, ctx, m, &report_err) < 0)
		log_warn("mail.dlp_alert_failed", "from=<%s> reason=\"%s\"",
			m->sender, report_err.msg);
	free(go);
	return rc;
}
