/*
 * Fuzz target for TLS-RPT's `_smtp._tls` TXT record (RFC 8460 §3,
 * mail_tlsrpt_txt_parse), the input copied to a buffer of exactly its size
 * so a read past its end trips ASan. Beyond not crashing: a record has 1
 * to MAIL_TLSRPT_RUA_MAX addresses, each mailto: or https: with something
 * after it, printable ASCII without spaces, commas or semicolons; a
 * refusal is INVALID or LIMIT with a sentence.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_uri(const char *u)
{
	size_t n = strlen(u);
	bool mailto = strncasecmp(u, "mailto:", 7) == 0 && n > 7;
	bool https = strncasecmp(u, "https://", 8) == 0 && n > 8;
	if (!mailto && !https)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';')
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1);
	if (size > 0)
		memcpy(copy, data, size);
	struct arena *a = arena_new(1 << 22);
	struct mail_tlsrpt_record r;
	struct error err = { 0 };
	if (mail_tlsrpt_txt_parse(span_make(copy, size), a, &r, &err) == 0) {
		if (r.rua_count == 0 || r.rua_count > MAIL_TLSRPT_RUA_MAX)
			abort();
		for (size_t i = 0; i < r.rua_count; i++)
			check_uri(r.rua[i]);
	} else if ((err.code != ERROR_INVALID && err.code != ERROR_LIMIT) ||
		   err.msg[0] == '\0') {
		abort();
	}
	arena_free(&a);
	free(copy);
	return 0;
}
