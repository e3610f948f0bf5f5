/*
 * The trace headers stamped on each message taken in: Return-Path and
 * Received, and no Return-Path but ours. Layer: domain (pure). RFC 5321
 * §4.4 (trace information), RFC 5322 §3.6.7, RFC 3848 (ESMTPS, ESMTPSA). SECURITY: the client's EHLO name goes in only when
 * it is a domain or an address literal, so no client text can add a clause,
 * a comment or a line to the header (issue 8 item 10).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_address.h"
#include "mail/mail.h"

/* How much of an unusable EHLO name is kept, in a comment, for the record. */
#define HELO_NOTE_MAX 64

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3). */
static bool
is_address_literal(const char *helo)
{
	size_t len = strlen(helo);
	if (len < 3 || helo[0] != '[' || helo[len - 1] != ']' || len > 64)
		return false;
	char inner[64];
	memcpy(inner, helo + 1, len - 2);
	inner[len - 2] = '\0';
	unsigned char addr[16];
	if (strncmp(inner, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, inner + 5, addr) == 1;
	return inet_pton(AF_INET, inner, addr) == 1;
}

bool
mail_helo_is_usable(const char *helo)
{
	char domain[DIR_ADDRESS_DOMAIN_MAX + 1];
	struct error err;
	if (helo == NULL || helo[0] == '\0')
		return false;
	return is_address_literal(helo) ||
		dir_address_check_domain(span_from_cstr(helo), domain,
			sizeof(domain), &err) == 0;
}

/*
 * What is kept of an EHLO name that is not a domain: letters, digits and
 * ". - _ : [ ]", anything else a '?', cut to HELO_NOTE_MAX. Nothing in it
 * can close a comment or start a clause.
 */
static void
helo_note(const char *helo, char *buf, size_t size)
{
	size_t o = 0;
	for (const char *p = helo; *p != '\0' && o + 1 < size &&
	     o < HELO_NOTE_MAX; p++) {
		char c = *p;
		bool keep = str_is_ascii_alpha(c) || str_is_ascii_digit(c) ||
			(c != '\0' && strchr(".-_:[]", c) != NULL);
		buf[o++] = keep ? c : '?';
	}
	buf[o] = '\0';
}

int
mail_received_header(const struct mail_received *r, struct str *out)
{
	char date[64];
	time_t t = (time_t)r->date;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* An unusable name becomes "unknown", and a note beside the address. */
	bool usable = mail_helo_is_usable(r->helo);
	char note[HELO_NOTE_MAX + 8] = "";
	if (!usable) {
		memcpy(note, " helo=", 7);
		helo_note(r->helo != NULL ? r->helo : "", note + 6,
			sizeof(note) - 6);
	}
	char tls[160] = "";
	if (r->tls != NULL && r->tls[0] != '\0')
		snprintf(tls, sizeof(tls), " (%s)", r->tls);
	return str_appendf(out,
		"Received: from %s ([%s]%s)\r\n\tby %s (caremail) with %s%s id "
		"%s\r\n\t; %s\r\n", usable ? r->helo : "unknown", r->peer_ip,
		note, r->by, r->with, tls, r->id, date);
}

int
mail_return_path_header(const char *sender, struct str *out)
{
	return str_appendf(out, "Return-Path: <%s>\r\n",
		sender != NULL ? sender : "");
}

/* "Return-Path", any case, then optional blanks and ':' (RFC 5322 §4.5.3). */
static bool
is_return_path_field(struct span line)
{
	static const char name[] = "return-path";
	if (!span_starts_with_nocase(line, name))
		return false;
	size_t i = sizeof(name) - 1;
	while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'))
		i++;
	return i < line.len && line.p[i] == ':';
}

bool
mail_trace_keep_line(struct mail_trace_filter *f, struct span line)
{
	if (f->in_body)
		return true;
	if (line.len == 0) {
		f->in_body = true;
		f->dropping = false;
		return true;
	}
	/* A folded line belongs to the field above it (RFC 5322 §2.2.3). */
	if (line.p[0] == ' ' || line.p[0] == '\t')
		return !f->dropping;
	f->dropping = is_return_path_field(line);
	return !f->dropping;
}

void
mail_hostname(const struct config *c, char *buf, size_t size)
{
	const char *name = config_get_str(c, "smtp.hostname");
	if (name[0] != '\0')
		str_copy(buf, size, name);
	else if (!config_list_item(c, "mail.domains", 0, buf, size) ||
		 buf[0] == '\0')
		str_copy(buf, size, "localhost");
}
