/*
 * SMTP replies: one line with its RFC 3463 enhanced status code, and the
 * table that maps each error code to a reply per command (STYLE.md §4: a
 * front end maps errors in one table). Every other SMTP file calls this
 * one; it calls none of them. Layer: front end. RFC 5321 §4.2 (a long
 * reply on continuation lines), RFC 2034,
 * RFC 3463. SECURITY: reply text has control characters replaced, so a
 * value echoed back never starts a line of its own.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "smtp/smtp_internal.h"

/*
 * A reply line is at most 512 octets with its code and CRLF (RFC 5321
 * §4.5.3.1.5): text beyond this goes on continuation lines ("550-5.7.1
 * ..."), cut at a space, so a refusal that names long addresses reaches
 * the sender whole.
 */
#define LINE_TEXT_MAX 480

int
smtp_reply(struct smtp_session *s, int code, const char *status,
	const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Never let a value echoed in a reply start a line of its own. */
	for (char *p = text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	struct error err;
	const char *rest = text;
	for (;;) {
		size_t len = strlen(rest);
		bool last = len <= LINE_TEXT_MAX;
		if (!last) {
			len = LINE_TEXT_MAX;
			while (len > LINE_TEXT_MAX / 2 && rest[len] != ' ')
				len--;
			if (rest[len] != ' ')
				len = LINE_TEXT_MAX;
		}
		int rc = status != NULL ?
			net_printf(s->conn, &err, "%d%c%s %.*s\r\n", code,
				last ? ' ' : '-', status, (int)len, rest) :
			net_printf(s->conn, &err, "%d%c%.*s\r\n", code,
				last ? ' ' : '-', (int)len, rest);
		if (rc < 0 || last)
			return rc;
		rest += len;
		while (*rest == ' ')
			rest++;
	}
}

struct smtp_error_reply {
	enum error_code code;
	int reply;
	const char *status;
};

/*
 * RFC 3463 codes per context; anything unlisted is a temporary failure. A
 * full disk is 4.3.1 "mail system full" in every context.
 */
static const struct smtp_error_reply mail_replies[] = {
	{ ERROR_DENIED, 553, "5.7.1" },
	{ ERROR_INVALID, 501, "5.1.7" },
	{ ERROR_NOT_FOUND, 553, "5.1.7" },
	{ ERROR_LIMIT, 552, "5.3.4" },
	{ ERROR_NO_SPACE, 452, "4.3.1" },
};
static const struct smtp_error_reply rcpt_replies[] = {
	{ ERROR_NOT_FOUND, 550, "5.1.1" },
	{ ERROR_DENIED, 554, "5.7.1" },
	{ ERROR_INVALID, 501, "5.1.3" },
	{ ERROR_LIMIT, 452, "4.2.2" },
	{ ERROR_NO_SPACE, 452, "4.3.1" },
};
static const struct smtp_error_reply data_replies[] = {
	{ ERROR_LIMIT, 552, "5.3.4" },
	{ ERROR_INVALID, 554, "5.6.0" },
	{ ERROR_DENIED, 550, "5.7.1" },	/* a From the sender may not use */
	{ ERROR_NO_SPACE, 452, "4.3.1" },
};

int
smtp_reply_error(struct smtp_session *s, enum smtp_context context,
	const struct error *err)
{
	const struct smtp_error_reply *table = context == SMTP_CONTEXT_MAIL ?
		mail_replies : context == SMTP_CONTEXT_RCPT ? rcpt_replies :
							    data_replies;
	size_t n = context == SMTP_CONTEXT_MAIL ?
		sizeof(mail_replies) / sizeof(*mail_replies) :
		context == SMTP_CONTEXT_RCPT ?
		sizeof(rcpt_replies) / sizeof(*rcpt_replies) :
		sizeof(data_replies) / sizeof(*data_replies);
	s->errors++;
	/* An operator must hear of a full disk before the mail stops. */
	if (err->code == ERROR_NO_SPACE)
		log_error("smtp.no_space", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err->msg);
	for (size_t i = 0; i < n; i++) {
		if (table[i].code == err->code)
			return smtp_reply(s, table[i].reply, table[i].status,
				"%s", err->msg);
	}
	log_warn("smtp.error", "peer=%s code=%s reason=\"%s\"",
		net_peer(s->conn), error_code_name(err->code), err->msg);
	return smtp_reply(s, 451, "4.3.0",
		"the message could not be handled just now; try again later");
}
