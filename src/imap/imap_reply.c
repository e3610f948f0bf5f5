/*
 * Completing an IMAP command: the tagged OK, NO or BAD line, after the
 * selected mailbox's news (so untagged EXISTS and EXPUNGE come first), and
 * the one table from domain errors to replies with their RFC 5530 codes
 * (STYLE.md §4). Layer: front end. RFC 3501 §7.1, RFC 5530. SECURITY:
 * reply text has control and 8-bit characters replaced, so nothing a
 * client sent can end or forge a line; internal faults are logged, not
 * shown.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "imap/imap_internal.h"

/* Replaces what could end or forge a line in text sent to the client. */
static void
sanitize(char *text)
{
	for (char *p = text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = ' ';
	}
}

int
imap_tagged(struct imap_session *s, const char *status, const char *code,
	const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sanitize(text);
	if (strcmp(status, "OK") == 0 && s->state == IMAP_STATE_SELECTED &&
		imap_view_sync(s, false) < 0)
		return -1;
	struct error err;
	return net_printf(s->conn, &err, "%.*s %s %s%s%s%s\r\n",
		(int)s->tag.len, s->tag.p, status, code != NULL ? "[" : "",
		code != NULL ? code : "", code != NULL ? "] " : "", text);
}

int
imap_bad(struct imap_session *s, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s->errors++;
	return imap_tagged(s, "BAD", NULL, "%s", text);
}

struct imap_error_reply {
	enum error_code code;
	const char *status;
	const char *resp_code; /* RFC 5530 */
};

/* The one table from domain errors to IMAP replies (STYLE.md §4). */
static const struct imap_error_reply imap_error_replies[] = {
	{ ERROR_NOT_FOUND, "NO", "NONEXISTENT" },
	{ ERROR_EXISTS, "NO", "ALREADYEXISTS" },
	{ ERROR_DENIED, "NO", "NOPERM" },
	{ ERROR_LIMIT, "NO", "LIMIT" },
	{ ERROR_INVALID, "NO", "CANNOT" },
	{ ERROR_TEMPORARY, "NO", "UNAVAILABLE" },
	/*
	 * A full server disk is not the person's quota (OVERQUOTA would have
	 * them delete mail) nor a bug: a subsystem is down for now.
	 */
	{ ERROR_NO_SPACE, "NO", "UNAVAILABLE" },
};

int
imap_reply_error(struct imap_session *s, const struct error *err)
{
	for (size_t i = 0;
		i < sizeof(imap_error_replies) / sizeof(*imap_error_replies);
		i++) {
		if (imap_error_replies[i].code == err->code)
			return imap_tagged(s, imap_error_replies[i].status,
				imap_error_replies[i].resp_code, "%s",
				err->msg);
	}
	log_error("imap.error", "peer=%s user=%s code=%s reason=\"%s\"",
		net_peer(s->conn),
		s->user.address != NULL ? s->user.address : "-",
		error_code_name(err->code), err->msg);
	return imap_tagged(s, "NO", "SERVERBUG",
		"that could not be done just now; try again later");
}
