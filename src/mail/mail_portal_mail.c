/*
 * The mail the portal itself sends (the one-time code): a short text
 * message from the instance's postmaster (mail_compose writes it), from
 * the null sender so nothing bounces back, delivered through the writer
 * (the outbound queue for an outside address). Layer: domain. RFC 5321
 * §4.4 (Return-Path), §6.1 (from <>).
 */
#include "mail/mail_portal.h"


#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_compose.h"
#include "mail/mail_dsn.h"

#define PORTAL_MAIL_ARENA (256 * 1024)

int
mail_portal_mail_send(struct store_writer *w, const struct dir_ctx *ctx,
	const char *to, const char *subject, const char *text,
	struct error *err)
{
	struct arena *a = arena_new_wiping(PORTAL_MAIL_ARENA);
	struct dir_ctx c = *ctx;
	c.arena = a;
	char from[300];
	mail_dsn_postmaster(ctx->config, from, sizeof(from));
	struct mail_compose mc = {
		.from = from,
		.from_name = "Secure messages",
		.to = to,
		.subject = subject,
		.date = ctx->now,
		.text = text,
	};
	struct span out;
	struct str msg;
	int rc = mail_compose(&mc, ctx->config, a, &out, err);
	if (rc == 0) {
		/* Final delivery writes the Return-Path (RFC 5321 §4.4). */
		str_init(&msg, a, out.len + 64);
		if (mail_return_path_header("", &msg) < 0 ||
		    str_append(&msg, out.p, out.len) < 0)
			rc = error_set(err, ERROR_LIMIT, "the message does "
				"not fit in memory");
	}
	struct mail_recipient *rcpt = NULL;
	size_t count = 0;
	if (rc == 0)
		rc = mail_route(&c, to, true, &rcpt, &count, err);
	if (rc == 0) {
		struct mail_message m = { .data = str_cstr(&msg),
			.size = msg.len, .received_at = c.now, .sender = "" };
		rc = mail_deliver(w, &c, &m, rcpt, count, NULL, err);
	}
	arena_free(&a);
	return rc;
}
