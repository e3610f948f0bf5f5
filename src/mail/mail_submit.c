/*
 * Who may send as whom on submission (SPEC M2; SECURITY.md item 11): the
 * person themselves, a mailbox they hold Send As on, or one they hold Send
 * on Behalf on. Layer: domain.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/spool.h"
#include "core/str.h"
#include "dir/dir.h"
#include "dir/dir_address.h"
#include "mail/mail.h"

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
		if (strcmp(grants[i].right, "send_as") == 0) {
			*right_r = MAIL_SEND_AS;
			return 0;
		}
		on_behalf = on_behalf ||
			strcmp(grants[i].right, "send_on_behalf") == 0;
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

int
mail_intake_start(struct mail_intake *in, struct spool *sp,
	enum mail_send_right right, const char *person, struct error *err)
{
	*in = (struct mail_intake){ .spool = sp, .in_header = true,
		.drop_sender = right == MAIL_SEND_ON_BEHALF };
	if (!in->drop_sender)
		return 0;
	char line[512];
	int n = snprintf(line, sizeof(line), "Sender: <%s>\r\n", person);
	if (n < 0 || (size_t)n >= sizeof(line))
		return error_set(err, ERROR_INVALID,
			"the sender's address is too long");
	return spool_append(sp, line, (size_t)n, err);
}

int
mail_intake_line(struct mail_intake *in, const char *line, size_t len,
	struct error *err)
{
	if (in->in_header) {
		if (len == 0) {
			in->in_header = false;	/* the body follows */
			in->skipping = false;
		} else if (line[0] != ' ' && line[0] != '\t') {
			in->skipping = in->drop_sender &&
				span_starts_with_nocase(span_make(line, len),
					"Sender:");
		}
		if (in->skipping)
			return 0;
	}
	if (spool_append(in->spool, line, len, err) < 0)
		return -1;
	return spool_append(in->spool, "\r\n", 2, err);
}
