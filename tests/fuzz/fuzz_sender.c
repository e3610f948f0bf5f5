/*
 * Fuzz target for the From and Sender reader (mail_header_from,
 * mail_header_sender) and the Received header. Beyond not crashing: a From
 * or Sender read is one address with a local part, an '@' and a domain, and
 * no line break; a refusal is INVALID or LIMIT with a sentence; and no EHLO
 * name makes a Received header that is not three lines, or whose "from"
 * names anything but a domain, a literal or "unknown". The client's
 * Return-Path filter (mail_trace_keep_line) leaves no Return-Path field in
 * the header, the body byte for byte, and nothing to do a second time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_mailbox(int rc, const struct mail_header_mailbox *mb,
	const struct error *err)
{
	if (rc < 0) {
		if ((err->code != ERROR_INVALID && err->code != ERROR_LIMIT) ||
		    err->msg[0] == '\0')
			abort();
		return;
	}
	/* Some '@' with text on both sides: a domain literal may hold more. */
	size_t len = strlen(mb->address);
	bool split = false;
	for (size_t i = 1; i + 1 < len && !split; i++)
		split = mb->address[i] == '@';
	if (!split || strpbrk(mb->address, "\r\n") != NULL)
		abort();
}

static void
check_received(const char *helo, struct arena *a)
{
	struct str out;
	str_init(&out, a, 8192);
	struct mail_received r = { .helo = helo, .peer_ip = "192.0.2.1",
		.by = "mx.example", .with = "ESMTP", .tls = "",
		.id = "0123456789abcdef", .date = 0 };
	if (mail_received_header(&r, &out) < 0)
		abort();
	const char *h = str_cstr(&out);
	size_t lines = 0;
	for (const char *p = h; (p = strchr(p, '\n')) != NULL; p++) {
		if (p[-1] != '\r' || (p[1] != '\t' && p[1] != '\0'))
			abort();
		lines++;
	}
	if (lines != 3 || strchr(h, ';') != strrchr(h, ';'))
		abort();
	const char *from = h + strlen("Received: from ");
	size_t n = strcspn(from, " ");
	if (from[n] != ' ' || from[n + 1] != '(')
		abort();
	if (!(n == 7 && strncmp(from, "unknown", 7) == 0) &&
	    (strncmp(from, helo, n) != 0 || helo[n] != '\0' ||
		    !mail_helo_is_usable(helo)))
		abort();
}

/* A line that starts a Return-Path field, checked here independently. */
static bool
starts_return_path(const char *p, size_t len)
{
	static const char name[] = "return-path";
	size_t n = sizeof(name) - 1;
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (str_ascii_lower(p[i]) != name[i])
			return false;
	while (n < len && (p[n] == ' ' || p[n] == '\t'))
		n++;
	return n < len && p[n] == ':';
}

/* The lines of in (split at '\n') mail_trace_keep_line keeps, into out. */
static void
filter_lines(struct span in, struct str *out)
{
	struct mail_trace_filter f = { 0 };
	size_t start = 0;
	for (size_t i = 0; i <= in.len; i++) {
		if (i < in.len && in.p[i] != '\n')
			continue;
		struct span line = span_make(in.p + start, i - start);
		if (mail_trace_keep_line(&f, line) &&
		    (str_append(out, line.p, line.len) < 0 ||
			(i < in.len && str_append_char(out, '\n') < 0)))
			abort();
		start = i + 1;
	}
}

/* Where the body starts: past the first empty line, or len. */
static size_t
body_start(struct span s)
{
	size_t start = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] != '\n')
			continue;
		if (i == start)
			return i;
		start = i + 1;
	}
	return s.len;
}

static void
check_trace_filter(const uint8_t *data, size_t size, struct arena *a)
{
	struct span in = span_make((const char *)data, size);
	struct str once, twice;
	str_init(&once, a, size + 1);
	str_init(&twice, a, size + 1);
	filter_lines(in, &once);
	struct span kept = span_make(str_cstr(&once), once.len);
	filter_lines(kept, &twice);
	if (twice.len != once.len || memcmp(str_cstr(&twice), kept.p,
		    kept.len) != 0)
		abort();
	size_t in_body = body_start(in), kept_body = body_start(kept);
	if (size - in_body != kept.len - kept_body ||
	    memcmp(in.p + in_body, kept.p + kept_body, size - in_body) != 0)
		abort();
	size_t start = 0;
	for (size_t i = 0; i <= kept_body && i < kept.len; i++) {
		if (kept.p[i] != '\n')
			continue;
		if (starts_return_path(kept.p + start, i - start))
			abort();
		start = i + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	struct arena *a = arena_new(4 * 1024 * 1024);
	struct span header = span_make((const char *)data, size);
	struct mail_header_mailbox mb;
	struct error err;
	bool present;
	check_mailbox(mail_header_from(header, a, &mb, &err), &mb, &err);
	int rc = mail_header_sender(header, a, &mb, &present, &err);
	if (rc == 0 && present)
		check_mailbox(rc, &mb, &err);
	else if (rc < 0)
		check_mailbox(rc, &mb, &err);
	/* The first line, up to a NUL, as an EHLO name. */
	char helo[600];
	size_t n = 0;
	while (n < size && n < sizeof(helo) - 1 && data[n] != '\0' &&
	       data[n] != '\r' && data[n] != '\n')
		n++;
	memcpy(helo, data, n);
	helo[n] = '\0';
	check_received(helo, a);
	check_trace_filter(data, size, a);
	arena_free(&a);
	return 0;
}
