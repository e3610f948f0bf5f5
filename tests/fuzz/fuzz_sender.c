/*
 * Fuzz target for the From and Sender reader (mail_header_from,
 * mail_header_sender) and the Received header. Beyond not crashing: a From
 * or Sender read is one address with a local part, an '@' and a domain, and
 * no line break; a refusal is INVALID or LIMIT with a sentence; and no EHLO
 * name makes a Received header that is not three lines, or whose "from"
 * names anything but a domain, a literal or "unknown".
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
	arena_free(&a);
	return 0;
}
