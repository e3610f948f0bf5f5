/*
 * Fuzz target for the DNS record data parsers (core/dns_rdata.c). The first
 * byte picks the type, the rest is the rdata, copied to a buffer of exactly
 * its size so a read past its end trips ASan. Beyond not crashing: an MX
 * or PTR host is a valid presentation-form name of at most 253 characters
 * that encodes back to the bytes read; an address parses back to its bytes; TXT
 * text is the rdata less one length byte per string; TLSA keeps its data
 * whole; and a refusal is INVALID with a sentence.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"

#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * host must be the name the wire held from rdata[at] to its end, lower-
 * cased, label by label.
 */
static void
check_name(const uint8_t *rdata, size_t len, size_t at, const char *host)
{
	size_t n = strlen(host);
	if (n > DNS_NAME_MAX)
		abort();
	if (n > 0 && !dns_name_is_valid(host))
		abort();
	const char *p = host;
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t label = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (at >= len || rdata[at] != label || label > len - at - 1)
			abort();
		for (size_t i = 0; i < label; i++) {
			if (str_ascii_lower((char)rdata[at + 1 + i]) != p[i])
				abort();
		}
		at += 1 + label;
		p += label + (dot != NULL ? 1 : 0);
	}
	if (at + 1 != len || rdata[at] != 0)
		abort();
}

static void
check_addr(enum dns_type type, const uint8_t *rdata, size_t len,
	const struct dns_addr *addr)
{
	uint8_t back[16];
	size_t want = type == DNS_TYPE_A ? 4 : 16;
	if (len != want || inet_pton(addr->family, addr->text, back) != 1 ||
	    memcmp(back, rdata, want) != 0)
		abort();
}

static void
check_txt(const uint8_t *rdata, size_t len, const struct dns_txt *txt)
{
	size_t strings = 0, at = 0, joined = 0;
	while (at < len) {
		if (memcmp(txt->text + joined, rdata + at + 1, rdata[at]) != 0)
			abort();
		joined += rdata[at];
		at += 1u + rdata[at];
		strings++;
	}
	if (at != len || strings == 0 || txt->len != len - strings ||
	    txt->len != joined || txt->text[txt->len] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t len = size - 1;
	/* malloc(0) may return NULL; one spare byte ASan still guards. */
	uint8_t *rdata = malloc(len > 0 ? len : 1);
	if (rdata == NULL)
		return 0;
	memcpy(rdata, data + 1, len);
	struct arena *a = arena_new(1 << 20);
	struct error err;
	switch (data[0] % 6) {
	case 0: {
		struct dns_mx mx;
		if (dns_rdata_mx(rdata, len, &mx, &err) == 0) {
			if (mx.preference != ((rdata[0] << 8) | rdata[1]))
				abort();
			check_name(rdata, len, 2, mx.host);
		} else {
			check_refusal(&err);
		}
		break;
	}
	case 5: {
		struct dns_ptr ptr;
		if (dns_rdata_ptr(rdata, len, &ptr, &err) == 0)
			check_name(rdata, len, 0, ptr.host);
		else
			check_refusal(&err);
		break;
	}
	case 1:
	case 2: {
		enum dns_type type = data[0] % 6 == 1 ? DNS_TYPE_A :
			DNS_TYPE_AAAA;
		struct dns_addr addr;
		if (dns_rdata_addr(type, rdata, len, &addr, &err) == 0)
			check_addr(type, rdata, len, &addr);
		else
			check_refusal(&err);
		break;
	}
	case 3: {
		struct dns_txt txt;
		if (dns_rdata_txt(rdata, len, a, &txt, &err) == 0)
			check_txt(rdata, len, &txt);
		else
			check_refusal(&err);
		break;
	}
	case 4: {
		struct dns_tlsa t;
		if (dns_rdata_tlsa(rdata, len, a, &t, &err) == 0) {
			if (t.len != len - 3 || memcmp(t.data, rdata + 3,
				    t.len) != 0)
				abort();
		} else {
			check_refusal(&err);
		}
		break;
	}
	}
	/* The same bytes as a name to look up: valid means within limits. */
	char *text = arena_strndup(a, (const char *)rdata, len);
	if (text != NULL && dns_name_is_valid(text) && strlen(text) > 254)
		abort();
	arena_free(&a);
	free(rdata);
	return 0;
}
