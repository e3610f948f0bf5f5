/*
 * Mail the platform itself sends to people (lifecycle notices, the LAs'
 * alerts and digests, guests' and licences' notices, the portal's
 * one-time codes): written by mail_compose from the instance's
 * postmaster, sent from the null sender so nothing bounces back (RFC
 * 5321 §6.1, the same as a delivery report), each address once, through
 * the group-commit writer (the outbound queue for an outside one).
 * Layer: domain. RFC 5321 §4.4 (Return-Path), §6.1.
 */
#include "mail/mail.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail_compose.h"
#include "mail/mail_dsn.h"

/* The message and its recipients; more than its text needs. */
#define POSTMASTER_ARENA_ROOM (256 * 1024)

/* Each address once, routed; one that cannot be routed is left out. */
static int
route_each(const struct dir_ctx *ctx, const char *const *to, size_t n,
	bool allow_remote, struct mail_recipient **rcpt_r, size_t *count_r,
	struct error *err)
{
	*rcpt_r = arena_alloc(ctx->arena, (n + 1) * sizeof(**rcpt_r));
	*count_r = 0;
	if (*rcpt_r == NULL)
		return error_set(err, ERROR_LIMIT, "no memory for the mail");
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(to[i], to[j]) == 0;
		struct mail_recipient *r;
		size_t got;
		struct error inner;
		if (seen || to[i] == NULL || to[i][0] == '\0' ||
		    mail_route(ctx, to[i], allow_remote, &r, &got,
			    &inner) < 0 || got != 1)
			continue;
		(*rcpt_r)[(*count_r)++] = r[0];
	}
	return 0;
}

int
mail_postmaster_deliver(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_postmaster_mail *pm,
	const struct mail_recipient *rcpt, size_t count, struct error *err)
{
	if (count == 0)
		return 0;
	struct dir_ctx c = *ctx;
	size_t room = POSTMASTER_ARENA_ROOM + 3 * (strlen(pm->text) +
		(pm->html != NULL ? strlen(pm->html) : 0));
	c.arena = arena_new_wiping(room);
	char postmaster[300];
	mail_dsn_postmaster(ctx->config, postmaster, sizeof(postmaster));
	struct mail_compose mc = { .from = postmaster,
		.from_name = pm->from_name != NULL ? pm->from_name : "caremail",
		.to = count == 1 ? rcpt[0].address : NULL,
		.subject = pm->subject, .date = ctx->now, .text = pm->text,
		.html = pm->html };
	struct span body;
	struct str msg;
	int rc = mail_compose(&mc, ctx->config, c.arena, &body, err);
	if (rc == 0) {
		/* Every message queued here carries one (smtp_data.c). */
		str_init(&msg, c.arena, body.len + 64);
		if (mail_return_path_header("", &msg) < 0 ||
		    str_append(&msg, body.p, body.len) < 0)
			rc = error_set(err, ERROR_LIMIT,
				"the message does not fit in memory");
	}
	if (rc == 0) {
		struct mail_message m = { .data = str_cstr(&msg),
			.size = msg.len, .received_at = ctx->now, .sender = "" };
		rc = mail_deliver(w, &c, &m, rcpt, count, NULL, err);
	}
	arena_free(&c.arena);
	return rc;
}

int
mail_postmaster_send(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_postmaster_mail *pm, const char *const *to,
	size_t n, size_t *sent_r, struct error *err)
{
	struct dir_ctx c = *ctx;
	c.arena = arena_new(POSTMASTER_ARENA_ROOM + n * 512);
	struct mail_recipient *rcpt;
	size_t count = 0;
	int rc = route_each(&c, to, n, pm->allow_remote, &rcpt, &count, err);
	if (rc == 0)
		rc = mail_postmaster_deliver(w, ctx, pm, rcpt, count, err);
	if (rc == 0 && sent_r != NULL)
		*sent_r = count;
	arena_free(&c.arena);
	return rc;
}
