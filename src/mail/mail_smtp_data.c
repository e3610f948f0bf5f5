/*
 * A message as outbound SMTP sends it: CRLF line endings, dot-stuffing, the
 * final dot; and whether it needs 8BITMIME or SMTPUTF8. Layer: domain, pure.
 * RFC 5321 §2.3.8 and §4.5.2, RFC 6152, RFC 6531, RFC 3461 §4 (xtext).
 */
#include <string.h>

#include "mail/mail_smtp_client.h"

/* Output is handed on in pieces of about this, one write per piece. */
#define DATA_CHUNK 8192

bool
mail_smtp_needs_8bitmime(struct span message)
{
	for (size_t i = 0; i < message.len; i++) {
		if ((unsigned char)message.p[i] > 0x7f)
			return true;
	}
	return false;
}

bool
mail_smtp_needs_smtputf8(const char *address)
{
	for (const char *p = address; *p != '\0'; p++) {
		if ((unsigned char)*p > 0x7f)
			return true;
	}
	return false;
}

struct data_out {
	char buf[DATA_CHUNK];
	size_t len;
	int (*write)(void *ctx, const char *bytes, size_t len);
	void *ctx;
};

static int
out_flush(struct data_out *o)
{
	if (o->len == 0)
		return 0;
	int rc = o->write(o->ctx, o->buf, o->len);
	o->len = 0;
	return rc;
}

static int
out_bytes(struct data_out *o, const char *p, size_t n)
{
	while (n > 0) {
		if (o->len == sizeof(o->buf) && out_flush(o) < 0)
			return -1;
		size_t take = sizeof(o->buf) - o->len;
		if (take > n)
			take = n;
		memcpy(o->buf + o->len, p, take);
		o->len += take;
		p += take;
		n -= take;
	}
	return 0;
}

int
mail_smtp_data_encode(struct span message,
	int (*write)(void *ctx, const char *bytes, size_t len), void *ctx)
{
	struct data_out o = { .len = 0, .write = write, .ctx = ctx };
	size_t i = 0;
	bool line_start = true;
	while (i < message.len) {
		/* A run of plain bytes up to the next CR or LF. */
		size_t end = i;
		while (end < message.len && message.p[end] != '\r' &&
		       message.p[end] != '\n')
			end++;
		if (end > i) {
			if (line_start && message.p[i] == '.' &&
			    out_bytes(&o, ".", 1) < 0)
				return -1;
			if (out_bytes(&o, message.p + i, end - i) < 0)
				return -1;
			line_start = false;
		}
		if (end == message.len)
			break;
		/* CR LF, a bare CR or a bare LF: each ends one line. */
		i = end + 1;
		if (message.p[end] == '\r' && i < message.len &&
		    message.p[i] == '\n')
			i++;
		if (out_bytes(&o, "\r\n", 2) < 0)
			return -1;
		line_start = true;
	}
	if (!line_start && out_bytes(&o, "\r\n", 2) < 0)
		return -1;
	if (out_bytes(&o, ".\r\n", 3) < 0)
		return -1;
	return out_flush(&o);
}

bool
mail_smtp_xtext(const char *text, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++) {
		bool plain = *p >= '!' && *p <= '~' && *p != '+' && *p != '=';
		size_t need = plain ? 1 : 3;
		if (n + need >= size)
			return false;
		if (plain) {
			buf[n++] = (char)*p;
		} else {
			buf[n++] = '+';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 0xf];
		}
	}
	if (size == 0)
		return false;
	buf[n] = '\0';
	return true;
}
