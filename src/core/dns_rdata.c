/*
 * Parsers of the record data libunbound hands back (ub_result->data): every
 * length is checked before a byte is read, and nothing outside the rdata is
 * ever touched. Layer: core. Fuzzed by tests/fuzz/fuzz_dns.c.
 * RFC 1035 §3.1, §3.3.9, §3.3.14, §3.4.1; RFC 3596; RFC 6698 §2.1.
 */
#include "core/dns.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

#define DNS_LABEL_MAX 63

static bool
is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * libunbound decompresses the names inside the rdata of the types it
 * knows carry names (MX among them) before it hands the rdata over, so a
 * pointer here is never ours to follow: it would point into a message we
 * do not have. It is refused, as is the reserved 01/10 label type.
 */
int
dns_rdata_name(const uint8_t *rdata, size_t len, size_t *offset, char *out,
	struct error *err)
{
	size_t at = *offset;
	size_t wire = 0;	/* bytes of the name on the wire so far */
	size_t used = 0;	/* bytes written to out */
	out[0] = '\0';
	for (;;) {
		if (at >= len)
			return error_set(err, ERROR_INVALID,
				"a name in the record runs past its end");
		uint8_t label = rdata[at];
		if ((label & 0xc0) != 0)
			return error_set(err, ERROR_INVALID,
				"a name in the record is compressed or uses "
				"a reserved label type");
		wire += 1u + label;
		if (wire > DNS_WIRE_NAME_MAX)
			return error_set(err, ERROR_INVALID,
				"a name in the record is longer than 255 bytes");
		at++;
		if (label == 0)
			break;
		if (label > len - at)
			return error_set(err, ERROR_INVALID,
				"a label in the record runs past its end");
		/* A dot before every label but the first. */
		size_t need = label + (used > 0 ? 1u : 0u);
		if (used + need > DNS_NAME_MAX)
			return error_set(err, ERROR_INVALID,
				"a name in the record is longer than 253 "
				"characters");
		if (used > 0)
			out[used++] = '.';
		for (size_t i = 0; i < label; i++) {
			unsigned char c = rdata[at + i];
			if (!is_name_char(c))
				return error_set(err, ERROR_INVALID,
					"a name in the record holds a byte "
					"that is not a letter, digit, hyphen "
					"or underscore");
			out[used++] = str_ascii_lower((char)c);
		}
		out[used] = '\0';
		at += label;
	}
	*offset = at;
	return 0;
}

int
dns_rdata_mx(const uint8_t *rdata, size_t len, struct dns_mx *mx_r,
	struct error *err)
{
	memset(mx_r, 0, sizeof(*mx_r));
	if (len < 3)
		return error_set(err, ERROR_INVALID,
			"an MX record is shorter than 3 bytes");
	mx_r->preference = (uint16_t)((rdata[0] << 8) | rdata[1]);
	size_t offset = 2;
	if (dns_rdata_name(rdata, len, &offset, mx_r->host, err) < 0)
		return -1;
	if (offset != len)
		return error_set(err, ERROR_INVALID,
			"an MX record has bytes after its name");
	return 0;
}

int
dns_rdata_ptr(const uint8_t *rdata, size_t len, struct dns_ptr *ptr_r,
	struct error *err)
{
	memset(ptr_r, 0, sizeof(*ptr_r));
	size_t offset = 0;
	if (dns_rdata_name(rdata, len, &offset, ptr_r->host, err) < 0)
		return -1;
	if (offset != len)
		return error_set(err, ERROR_INVALID,
			"a PTR record has bytes after its name");
	return 0;
}

int
dns_rdata_addr(enum dns_type type, const uint8_t *rdata, size_t len,
	struct dns_addr *addr_r, struct error *err)
{
	memset(addr_r, 0, sizeof(*addr_r));
	size_t want = type == DNS_TYPE_AAAA ? 16 : 4;
	if (type != DNS_TYPE_A && type != DNS_TYPE_AAAA)
		return error_set(err, ERROR_INVALID,
			"an address record must be A or AAAA");
	if (len != want)
		return error_set(err, ERROR_INVALID,
			"an %s record is %zu bytes, not %zu",
			dns_type_name(type), len, want);
	addr_r->family = type == DNS_TYPE_AAAA ? AF_INET6 : AF_INET;
	memcpy(addr_r->bytes, rdata, want);
	if (inet_ntop(addr_r->family, addr_r->bytes, addr_r->text,
		    sizeof(addr_r->text)) == NULL)
		return error_set(err, ERROR_INTERNAL,
			"an address could not be written out");
	return 0;
}

int
dns_rdata_txt(const uint8_t *rdata, size_t len, struct arena *a,
	struct dns_txt *txt_r, struct error *err)
{
	memset(txt_r, 0, sizeof(*txt_r));
	if (len == 0)
		return error_set(err, ERROR_INVALID,
			"a TXT record holds no string");
	/* The joined text is shorter than the rdata by one byte a string. */
	char *text = arena_alloc(a, len);
	if (text == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for a TXT record");
	size_t at = 0, used = 0;
	while (at < len) {
		size_t n = rdata[at++];
		if (n > len - at)
			return error_set(err, ERROR_INVALID,
				"a TXT string runs past the end of its record");
		memcpy(text + used, rdata + at, n);
		used += n;
		at += n;
	}
	text[used] = '\0';
	txt_r->text = text;
	txt_r->len = used;
	return 0;
}

int
dns_rdata_tlsa(const uint8_t *rdata, size_t len, struct arena *a,
	struct dns_tlsa *tlsa_r, struct error *err)
{
	memset(tlsa_r, 0, sizeof(*tlsa_r));
	if (len < 4)
		return error_set(err, ERROR_INVALID,
			"a TLSA record is shorter than 4 bytes");
	tlsa_r->usage = rdata[0];
	tlsa_r->selector = rdata[1];
	tlsa_r->matching_type = rdata[2];
	size_t n = len - 3;
	/* RFC 6698 §2.1.3: the digests have their hash's length. */
	if (tlsa_r->matching_type == 1 && n != 32)
		return error_set(err, ERROR_INVALID,
			"a TLSA SHA-256 digest is %zu bytes, not 32", n);
	if (tlsa_r->matching_type == 2 && n != 64)
		return error_set(err, ERROR_INVALID,
			"a TLSA SHA-512 digest is %zu bytes, not 64", n);
	tlsa_r->data = arena_alloc(a, n);
	if (tlsa_r->data == NULL)
		return error_set(err, ERROR_LIMIT,
			"out of memory for a TLSA record");
	memcpy(tlsa_r->data, rdata + 3, n);
	tlsa_r->len = n;
	return 0;
}

static int
mx_compare(const void *pa, const void *pb)
{
	const struct dns_mx *a = pa, *b = pb;
	if (a->preference != b->preference)
		return a->preference < b->preference ? -1 : 1;
	return strcmp(a->host, b->host);
}

void
dns_mx_sort(struct dns_mx *mx, size_t count)
{
	if (count > 1)
		qsort(mx, count, sizeof(*mx), mx_compare);
}

bool
dns_name_is_valid(const char *text)
{
	size_t len = strlen(text);
	if (len > 0 && text[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!is_name_char(c) || ++label > DNS_LABEL_MAX)
			return false;
	}
	return label > 0;
}

static const struct {
	enum dns_type type;
	const char *name;
} dns_types[] = {
	{ DNS_TYPE_A, "A" },
	{ DNS_TYPE_AAAA, "AAAA" },
	{ DNS_TYPE_MX, "MX" },
	{ DNS_TYPE_TXT, "TXT" },
	{ DNS_TYPE_TLSA, "TLSA" },
	{ DNS_TYPE_PTR, "PTR" },
};

const char *
dns_type_name(enum dns_type type)
{
	for (size_t i = 0; i < sizeof(dns_types) / sizeof(*dns_types); i++) {
		if (dns_types[i].type == type)
			return dns_types[i].name;
	}
	return NULL;
}

bool
dns_type_parse(const char *text, enum dns_type *type_r)
{
	for (size_t i = 0; i < sizeof(dns_types) / sizeof(*dns_types); i++) {
		if (strcasecmp(dns_types[i].name, text) == 0) {
			*type_r = dns_types[i].type;
			return true;
		}
	}
	return false;
}

const char *
dns_status_name(enum dns_status status)
{
	switch (status) {
	case DNS_STATUS_OK:
		return "ok";
	case DNS_STATUS_NODATA:
		return "nodata";
	case DNS_STATUS_NXDOMAIN:
		return "nxdomain";
	case DNS_STATUS_TEMPFAIL:
		return "tempfail";
	}
	return "unknown";
}

const char *
dns_security_name(enum dns_security security)
{
	switch (security) {
	case DNS_SECURITY_INSECURE:
		return "insecure";
	case DNS_SECURITY_SECURE:
		return "secure";
	case DNS_SECURITY_BOGUS:
		return "bogus";
	}
	return "unknown";
}
