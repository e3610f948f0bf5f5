/*
 * POP3 replies: "+OK" and "-ERR" lines (RFC 1939 §3), for the session and
 * the maildrop commands alike; it calls neither. Layer: front end.
 * SECURITY: reply text has control characters replaced, so a value echoed
 * back never starts a line of its own.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/error.h"
#include "core/net.h"
#include "pop3/pop3_internal.h"

static int
reply(struct pop3_session *s, const char *status, const char *fmt,
	va_list ap)
{
	char text[512];
	vsnprintf(text, sizeof(text), fmt, ap);
	for (char *p = text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	struct error err;
	return net_printf(s->conn, &err, "%s %s\r\n", status, text);
}

int
pop3_ok(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = reply(s, "+OK", fmt, ap);
	va_end(ap);
	return rc;
}

int
pop3_err(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = reply(s, "-ERR", fmt, ap);
	va_end(ap);
	return rc;
}
