/*
 * The mail the portal itself sends (the one-time code): a short text
 * message from the instance's postmaster, from the null sender so nothing
 * bounces back, delivered through the writer (the outbound queue for an
 * outside address). Layer: domain. RFC 5322 (header), RFC 2045 (UTF-8
 * text in quoted-printable), RFC 2047 (the subject when not ASCII),
 * RFC 5321 §4.4 (Return-Path).
 */
#include "mail/mail_portal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_dsn.h"

#define PORTAL_MAIL_ARENA (256 * 1024)

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* RFC 2047 §4.1: the subject as one B-encoded word when it is not ASCII. */
static int
append_subject(struct str *out, const char *subject)
{
	if (is_ascii(subject))
		return str_append_cstr(out, subject);
	size_t n = strlen(subject);
	size_t b64 = sodium_base64_ENCODED_LEN(n,
		sodium_base64_VARIANT_ORIGINAL);
	char *enc = arena_alloc(out->arena, b64);
	if (enc == NULL)
		return -1;
	sodium_bin2base64(enc, b64, (const unsigned char *)subject, n,
		sodium_base64_VARIANT_ORIGINAL);
	return str_appendf(out, "=?UTF-8?B?%s?=", enc);
}

/* RFC 2045 §6.7: quoted-printable, CRLF kept as hard line breaks. */
static int
append_qp(struct str *out, const char *text)
{
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (str_append_cstr(out, "\r\n") < 0)
				return -1;
			p++;
			col = 0;
			continue;
		}
		char buf[4];
		bool plain = (*p >= 33 && *p <= 126 && *p != '=') ||
			(*p == ' ' && p[1] != '\r' && p[1] != '\0');
		if (plain) {
			buf[0] = (char)*p;
			buf[1] = '\0';
		} else {
			snprintf(buf, sizeof(buf), "=%02X", *p);
		}
		if (col + strlen(buf) > 75) {
			if (str_append_cstr(out, "=\r\n") < 0)
				return -1;
			col = 0;
		}
		if (str_append_cstr(out, buf) < 0)
			return -1;
		col += strlen(buf);
	}
	return 0;
}

int
mail_portal_mail_send(struct store_writer *w, const struct dir_ctx *ctx,
	const char *to, const char *subject, const char *text,
	struct error *err)
{
	if (strpbrk(subject, "\r\n") != NULL || strpbrk(to, "\r\n<>\"") != NULL)
		return error_set(err, ERROR_INVALID, "a header would break");
	struct arena *a = arena_new_wiping(PORTAL_MAIL_ARENA);
	struct dir_ctx c = *ctx;
	c.arena = a;
	char from[300], host[256], date[64], id[33];
	mail_dsn_postmaster(ctx->config, from, sizeof(from));
	mail_hostname(ctx->config, host, sizeof(host));
	time_t now = (time_t)ctx->now;
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	unsigned char random[16];
	randombytes_buf(random, sizeof(random));
	sodium_bin2hex(id, sizeof(id), random, sizeof(random));
	struct str msg;
	str_init(&msg, a, 64 * 1024);
	int rc = mail_return_path_header("", &msg);
	if (rc == 0)
		rc = str_appendf(&msg, "From: Secure messages <%s>\r\n"
			"To: <%s>\r\nSubject: ", from, to);
	if (rc == 0)
		rc = append_subject(&msg, subject);
	if (rc == 0)
		rc = str_appendf(&msg, "\r\nDate: %s\r\n"
			"Message-ID: <%s.portal@%s>\r\n"
			"Auto-Submitted: auto-generated\r\n"
			"MIME-Version: 1.0\r\n"
			"Content-Type: text/plain; charset=UTF-8\r\n"
			"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
			date, id, host);
	if (rc == 0)
		rc = append_qp(&msg, text);
	if (rc == 0 && str_append_cstr(&msg, "\r\n") < 0)
		rc = -1;
	if (rc < 0) {
		arena_free(&a);
		return error_set(err, ERROR_LIMIT, "the message does not fit "
			"in memory");
	}
	struct mail_recipient *rcpt = NULL;
	size_t count = 0;
	rc = mail_route(&c, to, true, &rcpt, &count, err);
	if (rc == 0) {
		struct mail_message m = { .data = str_cstr(&msg),
			.size = msg.len, .received_at = c.now, .sender = "" };
		rc = mail_deliver(w, &c, &m, rcpt, count, NULL, err);
	}
	arena_free(&a);
	return rc;
}
