/*
 * Who may send as whom on submission (SPEC M2; SECURITY.md item 11): the
 * person themselves, a mailbox they hold Send As on, or one they hold Send
 * on Behalf on; an organisation's application (a token or a registered
 * relay host, SPEC M3) the addresses of its organisation. Layer: domain.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth_access.h"
#include "core/error.h"
#include "core/spool.h"
#include "core/str.h"
#include "dir/dir.h"
#include "dir/dir_address.h"
#include "mail/mail.h"
#include "mail/mail_mime.h"

int
mail_check_sender(const struct dir_ctx *ctx, const char *person_address,
	const char *from, enum mail_send_right *right_r, struct error *err)
{
	struct dir_address sender;
	struct error inner;
	if (from == NULL || from[0] == '\0')
		return error_set(err, ERROR_DENIED,
			"people send from their own address, not the empty one");
	if (dir_address_parse(span_from_cstr(from), &sender, &inner) < 0)
		return error_set(err, ERROR_INVALID, "%s is not a valid "
			"address: %s", from, inner.msg);
	if (strcmp(sender.text, person_address) == 0) {
		*right_r = MAIL_SEND_SELF;
		return 0;
	}
	struct dir_grant *grants;
	size_t count;
	if (dir_grant_list(ctx, person_address, &grants, &count, err) < 0)
		return -1;
	bool on_behalf = false;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(grants[i].mailbox, sender.text) != 0)
			continue;
		if (grants[i].right == STORE_GRANT_SEND_AS) {
			*right_r = MAIL_SEND_AS;
			return 0;
		}
		on_behalf = on_behalf ||
			grants[i].right == STORE_GRANT_SEND_ON_BEHALF;
	}
	if (on_behalf) {
		*right_r = MAIL_SEND_ON_BEHALF;
		return 0;
	}
	/* The wording NHSmail users know (seed 002). */
	return error_set(err, ERROR_DENIED,
		"you do not have the permission to send the message on behalf "
		"of %s; its owner can give you Send As or Send on Behalf",
		sender.text);
}

/*
 * One header mailbox against the rule the envelope sender passes: the
 * person's (app NULL) or the application's.
 */
static int
check_header_mailbox(const struct dir_ctx *ctx, const char *person,
	const struct mail_app *app, const char *field,
	const struct mail_header_mailbox *mb, enum mail_send_right *right_r,
	struct error *err)
{
	if (mb->name_address != NULL)
		return error_set(err, ERROR_DENIED,
			"the %s header's name shows the address %.100s, which "
			"is not its address %.100s; write only a name there",
			field, mb->name_address, mb->address);
	struct error inner;
	int rc = app != NULL ?
		mail_check_app_sender(ctx, app, mb->address, &inner) :
		mail_check_sender(ctx, person, mb->address, right_r, &inner);
	if (rc < 0)
		return error_set(err, inner.code, "the %s header: %s", field,
			inner.msg);
	return 0;
}

int
mail_check_header_senders(const struct dir_ctx *ctx,
	const char *person_address, struct span header,
	enum mail_send_right *right_r, const char **from_r, struct error *err)
{
	struct mail_header_mailbox from, sender;
	bool has_sender;
	enum mail_send_right sender_right;
	if (mail_header_from(header, ctx->arena, &from, err) < 0 ||
	    mail_header_sender(header, ctx->arena, &sender, &has_sender,
		    err) < 0 ||
	    check_header_mailbox(ctx, person_address, NULL, "From", &from,
		    right_r, err) < 0)
		return -1;
	/*
	 * Sent on behalf, the message gets our Sender instead of this one
	 * (mail_submission_text); it is still checked, so that what the
	 * client wrote passes the same rule wherever it is written.
	 */
	if (has_sender && check_header_mailbox(ctx, person_address, NULL,
				  "Sender", &sender, &sender_right, err) < 0)
		return -1;
	*from_r = from.address;
	return 0;
}

int
mail_check_app_sender(const struct dir_ctx *ctx, const struct mail_app *app,
	const char *from, struct error *err)
{
	if (from == NULL || from[0] == '\0')
		return error_set(err, ERROR_DENIED, "applications send from "
			"an address of their organisation, not the empty one");
	int64_t org_id;
	bool reaches = false;
	struct error inner;
	if (dir_sender_org(ctx, from, &org_id, &inner) < 0) {
		if (inner.code != ERROR_NOT_FOUND && inner.code != ERROR_INVALID)
			return error_forward(err, &inner);
	} else if (auth_org_reaches(ctx, app->org_id, org_id, &reaches,
			   err) < 0) {
		return -1;
	}
	if (!reaches)
		return error_set(err, ERROR_DENIED, "%s may send only from "
			"addresses of %s and the organisations it runs; %.200s "
			"is not one", app->name, dir_org_ods(ctx, app->org_id),
			from);
	return 0;
}

int
mail_check_app_header_senders(const struct dir_ctx *ctx,
	const struct mail_app *app, struct span header, struct error *err)
{
	struct mail_header_mailbox from, sender;
	bool has_sender;
	enum mail_send_right unused;
	if (mail_header_from(header, ctx->arena, &from, err) < 0 ||
	    mail_header_sender(header, ctx->arena, &sender, &has_sender,
		    err) < 0 ||
	    check_header_mailbox(ctx, NULL, app, "From", &from, &unused,
		    err) < 0)
		return -1;
	return has_sender ? check_header_mailbox(ctx, NULL, app, "Sender",
				    &sender, &unused, err) : 0;
}

/* Writes msg without its Sender fields (and their continuation lines). */
static int
write_without_sender(struct span msg, struct spool *out, struct error *err)
{
	size_t pos = 0;
	bool skipping = false;
	while (pos < msg.len) {
		const char *nl = memchr(msg.p + pos, '\n', msg.len - pos);
		size_t end = nl != NULL ? (size_t)(nl - msg.p) + 1 : msg.len;
		struct span line = span_make(msg.p + pos, end - pos);
		if (line.len <= 2)	/* the blank line: the body follows */
			break;
		if (line.p[0] != ' ' && line.p[0] != '\t')
			skipping = mail_mime_field_value(line.p,
					   line.p + line.len, "Sender") != NULL;
		if (!skipping && spool_append(out, line.p, line.len, err) < 0)
			return -1;
		pos = end;
	}
	return spool_append(out, msg.p + pos, msg.len - pos, err);
}

int
mail_submission_on_behalf(const char *person, struct span msg, size_t keep,
	struct spool *out, struct error *err)
{
	char sender[512];
	int n = snprintf(sender, sizeof(sender), "Sender: <%s>\r\n", person);
	if (n < 0 || (size_t)n >= sizeof(sender))
		return error_set(err, ERROR_INVALID,
			"the sender's address is too long");
	if (keep > msg.len)
		keep = msg.len;
	if (spool_append(out, msg.p, keep, err) < 0 ||
	    spool_append(out, sender, (size_t)n, err) < 0)
		return -1;
	return write_without_sender(span_make(msg.p + keep, msg.len - keep),
		out, err);
}
