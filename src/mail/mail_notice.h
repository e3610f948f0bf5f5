/*
 * Notices the platform mails people itself (SPEC P12, L6): the lifecycle's
 * warnings, the notice of going inactive, the leaver notice, the LAs'
 * digest; guests' and licences' notices (L8, L9); list approval requests
 * and their decisions (P6). Each is a template an operator may edit in the instance
 * directory, templates/NAME.txt (a "Subject:" line, a blank line, the
 * text) and templates/NAME.html (optional: the HTML part); a built-in
 * default stands in for a file that is absent. Fields are written
 * {{name}}; a value is put in as text (HTML-escaped in the HTML part, and
 * never able to add a header line: CR and LF become spaces in the
 * subject). Layer: domain. RFC 5322, RFC 2046 (multipart/alternative).
 */
#ifndef MAIL_MAIL_NOTICE_H
#define MAIL_MAIL_NOTICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct dir_ctx;
struct error;
struct store_writer;

/* A field of a template: {{name}} becomes value. */
struct mail_notice_field {
	const char *name;
	const char *value;
};

/* The templates there are, with their defaults (init writes these). */
struct mail_notice_template {
	const char *name;	/* "inactive", "warning", "guest-confirm"... */
	const char *text;	/* "Subject: ...\n\n..." */
	const char *html;	/* NULL: text only */
};
extern const struct mail_notice_template mail_notice_templates[];

/*
 * Renders template `name` with the fields: the subject, the text and the
 * HTML (NULL when the template has none), in ctx->arena. ERROR_INVALID
 * when a file is there but has no "Subject:" line.
 */
int mail_notice_render(const struct dir_ctx *ctx, const char *name,
	const struct mail_notice_field *fields, size_t count,
	const char **subject_r, const char **text_r, const char **html_r,
	struct error *err);

/*
 * Renders and delivers the notice from the postmaster to one local
 * mailbox, through the platform's own delivery (mail_deliver; w NULL:
 * in the transaction open on ctx->store, durable with it).
 */
int mail_notice_send(struct store_writer *w, const struct dir_ctx *ctx,
	const char *name, const struct mail_notice_field *fields, size_t count,
	const char *to_address, int64_t to_mailbox_id, struct error *err);

/*
 * As mail_notice_send, to each address of to[n] once, routed as any local
 * mail is (mail_postmaster_send): one message, the addresses together;
 * one that reaches no mailbox is left out. *sent_r (may be NULL): how
 * many it reached.
 */
int mail_notice_send_to(struct store_writer *w, const struct dir_ctx *ctx,
	const char *name, const struct mail_notice_field *fields, size_t count,
	const char *const *to, size_t n, size_t *sent_r, struct error *err);

/* Writes every default template into dir (made if absent), keeping files. */
int mail_notice_write_defaults(const char *dir, struct error *err);

#endif
