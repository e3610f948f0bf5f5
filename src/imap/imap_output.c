/*
 * IMAP output that does not complete a command: untagged lines, raw bytes,
 * mailbox names and flag lists as IMAP writes them, and the CAPABILITY
 * list. Every other IMAP file may call this one; it calls none of them.
 * Layer: front end. RFC 3501 §7, §9 (flag-list, mailbox).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/net.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "imap/imap_internal.h"
#include "mail/mail_mime.h"

int
imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	struct error err;
	char small[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return net_printf(s->conn, &err, "* %s\r\n", small);
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = net_printf(s->conn, &err, "* %s\r\n", big);
	free(big);
	return rc;
}

int
imap_write(struct imap_session *s, const void *data, size_t len)
{
	struct error err;
	return net_write(s->conn, data, len, &err);
}

const char *
imap_capabilities(const struct imap_session *s)
{
	if (s->state != IMAP_STATE_NOT_AUTHENTICATED)
		return "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE "
		       "UIDPLUS MOVE SPECIAL-USE UNSELECT CHILDREN";
	if (net_is_tls(s->conn))
		return "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE AUTH=PLAIN";
	/* RFC 3501 §6.2.3, SECURITY.md item 3: no password in the clear. */
	if (net_can_starttls(s->conn))
		return "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE STARTTLS "
		       "LOGINDISABLED";
	return "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE LOGINDISABLED";
}

int
imap_append_mailbox(struct str *out, const char *name)
{
	return mail_mime_imap_string(out, name, strlen(name));
}

int
imap_append_flags(struct str *out, unsigned flags, const char *keywords)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ IMAP_FLAG_SEEN, "\\Seen" },
		{ IMAP_FLAG_ANSWERED, "\\Answered" },
		{ IMAP_FLAG_FLAGGED, "\\Flagged" },
		{ IMAP_FLAG_DELETED, "\\Deleted" },
		{ IMAP_FLAG_DRAFT, "\\Draft" },
		{ IMAP_FLAG_RECENT, "\\Recent" },
	};
	bool first = true;
	if (str_append_char(out, '(') < 0)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if ((flags & names[i].bit) == 0)
			continue;
		if ((!first && str_append_char(out, ' ') < 0) ||
			str_append_cstr(out, names[i].name) < 0)
			return -1;
		first = false;
	}
	if (keywords != NULL && keywords[0] != '\0') {
		if ((!first && str_append_char(out, ' ') < 0) ||
			str_append_cstr(out, keywords) < 0)
			return -1;
	}
	return str_append_char(out, ')');
}
