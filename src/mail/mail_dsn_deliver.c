/*
 * Sending a delivery report: built by mail_dsn_build and delivered from the
 * null sender to the message's sender, here or through the outbound queue;
 * and the success reports of final delivery here (RFC 3461 §6.2.7.1, the
 * "delivered" and "expanded" actions of RFC 3464 §2.3.3). Layer: domain.
 * RFC 3461, RFC 3464, RFC 5321 §4.4 (Return-Path), §6.1 (from <>).
 */
#include "mail/mail_dsn.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail.h"

/* A report is the original's header (or whole, RET=FULL) and some text. */
#define REPORT_ARENA_EXTRA (256 * 1024)

void
mail_dsn_postmaster(const struct config *c, char *buf, size_t size)
{
	char domain[256];
	if (!config_list_item(c, "mail.domains", 0, domain, sizeof(domain)) ||
	    domain[0] == '\0')
		str_copy(domain, sizeof(domain), "localhost");
	snprintf(buf, size, "postmaster@%s", domain);
}

int
mail_dsn_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_dsn_report *r, struct error *err)
{
	struct arena *a = arena_new(r->original.len * 2 + REPORT_ARENA_EXTRA);
	struct mail_dsn_report rep = *r;
	char mta[256], postmaster[300];
	if (rep.reporting_mta == NULL) {
		mail_hostname(ctx->config, mta, sizeof(mta));
		rep.reporting_mta = mta;
	}
	if (rep.postmaster == NULL) {
		mail_dsn_postmaster(ctx->config, postmaster, sizeof(postmaster));
		rep.postmaster = postmaster;
	}
	char unique[33];
	if (rep.unique == NULL) {
		unsigned char random[16];
		randombytes_buf(random, sizeof(random));
		sodium_bin2hex(unique, sizeof(unique), random, sizeof(random));
		rep.unique = unique;
	}
	struct span report;
	int rc = mail_dsn_build(&rep, a, &report, err);
	struct dir_ctx c = *ctx;
	c.arena = a;
	struct mail_recipient *to = NULL;
	size_t to_count = 0;
	if (rc == 0)
		rc = mail_route(&c, rep.original_sender, true, &to, &to_count,
			err);
	struct str msg;
	if (rc == 0) {
		/* Final delivery writes the Return-Path (RFC 5321 §4.4). */
		str_init(&msg, a, report.len + 64);
		if (mail_return_path_header("", &msg) < 0 ||
		    str_append(&msg, report.p, report.len) < 0)
			rc = error_set(err, ERROR_LIMIT,
				"the report does not fit in memory");
	}
	if (rc == 0) {
		struct mail_message m = { .data = str_cstr(&msg),
			.size = msg.len, .received_at = c.now, .sender = "" };
		rc = mail_deliver(w, &c, &m, to, to_count, NULL, err);
	}
	arena_free(&a);
	return rc;
}

bool
mail_dsn_error_is_final(const struct error *err)
{
	return err->code == ERROR_NOT_FOUND || err->code == ERROR_DENIED ||
		err->code == ERROR_INVALID;
}

/*
 * Whether a recipient asked for a success report here, and its action. A
 * remote recipient's report is the queue's to send.
 */
static bool
wants_success(const struct mail_recipient *rc, enum mail_dsn_action *a_r)
{
	*a_r = rc->kind == MAIL_ROUTE_LIST ? MAIL_DSN_EXPANDED :
		MAIL_DSN_DELIVERED;
	return rc->kind != MAIL_ROUTE_REMOTE &&
		mail_dsn_notify_wants(rc->notify, *a_r);
}

int
mail_dsn_report_local(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, struct error *err)
{
	/* RFC 3461 §6.2: never a report about a report. */
	if (m->sender == NULL || m->sender[0] == '\0')
		return 0;
	enum mail_dsn_action action;
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		n += wants_success(&recipients[i], &action);
	if (n == 0)
		return 0;	/* most mail: nothing asked, nothing allocated */
	struct mail_dsn_recipient *lines = xcalloc(n, sizeof(*lines));
	n = 0;
	for (size_t i = 0; i < count; i++) {
		if (!wants_success(&recipients[i], &action))
			continue;
		lines[n++] = (struct mail_dsn_recipient){
			.final_recipient = recipients[i].address,
			.original_recipient = recipients[i].orcpt,
			.action = action,
			.status = "2.0.0",
			.last_attempt = ctx->now,
		};
	}
	/*
	 * A success report confirms; it does not hand the message back: the
	 * header only, whatever RET asked (RFC 3461 §4.3 speaks of failed
	 * reports).
	 */
	struct mail_dsn_report rep = {
		.original_sender = m->sender,
		.envid = m->envid,
		.arrival_date = m->received_at,
		.now = ctx->now,
		.original = span_make(m->data, m->size),
		.recipients = lines,
		.recipient_count = n,
	};
	int result = mail_dsn_deliver(w, ctx, &rep, err);
	free(lines);
	return result;
}
