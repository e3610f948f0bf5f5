/*
 * Fuzz target for the address parser, the envelope's internationalised
 * addresses (RFC 6531) and the name-to-address generator. Beyond not
 * crashing: an accepted address re-parses to itself, stays within
 * RFC 5321's lengths, and a generated local part is always a valid one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "dir/dir_address.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_parse(const char *text, size_t len)
{
	struct dir_address addr;
	struct error err;
	if (dir_address_parse(span_make(text, len), &addr, &err) < 0) {
		if (err.code != ERROR_INVALID || err.msg[0] == '\0')
			abort();
		return;
	}
	size_t total = strlen(addr.text);
	if (total > DIR_ADDRESS_MAX || addr.local_len == 0 ||
	    addr.local_len > DIR_ADDRESS_LOCAL_MAX ||
	    addr.text[addr.local_len] != '@')
		abort();
	struct dir_address again;
	if (dir_address_parse(span_from_cstr(addr.text), &again, &err) < 0 ||
	    strcmp(again.text, addr.text) != 0)
		abort();
}

/* An internationalised address is kept in a form that reads back alike. */
static void
check_intl(const char *text)
{
	char normal[DIR_ADDRESS_MAX + 1], again[DIR_ADDRESS_MAX + 1];
	struct error err;
	if (mail_address_intl(text, normal, sizeof(normal), &err) < 0) {
		if (err.code != ERROR_INVALID || err.msg[0] == '\0')
			abort();
		return;
	}
	if (strlen(normal) > DIR_ADDRESS_MAX || strchr(normal, '@') == NULL ||
	    mail_address_intl(normal, again, sizeof(again), &err) < 0 ||
	    strcmp(normal, again) != 0)
		abort();
}

static void
check_generate(const char *text, size_t len)
{
	/* The input is split at its first NUL into first and last names. */
	const char *first = text;
	const char *nul = memchr(text, '\0', len);
	const char *last = nul != NULL ? nul + 1 : "";
	char local[DIR_ADDRESS_LOCAL_MAX + 1];
	struct error err;
	if (dir_address_local_from_names(first, last, local, sizeof(local),
		    &err) == 0 &&
	    dir_address_check_local(span_from_cstr(local), &err) < 0)
		abort();
	if (dir_address_local_from_name(first, local, sizeof(local), &err) == 0 &&
	    dir_address_check_local(span_from_cstr(local), &err) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 2);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	text[size + 1] = '\0';
	check_parse(text, size);
	check_intl(text);
	check_generate(text, size);
	free(text);
	return 0;
}
