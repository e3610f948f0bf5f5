/*
 * IP addresses and CIDR blocks for allow-lists. Layer: core.
 * RFC 4632 (CIDR), RFC 4291 §2.5.5.2 (IPv4-mapped IPv6).
 * An IPv4 address is kept as ::ffff:a.b.c.d, so a dual-stack socket's
 * IPv4 client (which the kernel names that way) matches IPv4 entries.
 */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "core/str.h"

bool
cidr_ip_parse(const char *text, unsigned char out[16], bool *v4_r)
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xFF, 0xFF };
	unsigned char v4[4];
	if (inet_pton(AF_INET, text, v4) == 1) {
		memcpy(out, prefix, 12);
		memcpy(out + 12, v4, 4);
	} else if (inet_pton(AF_INET6, text, out) != 1) {
		return false;
	}
	*v4_r = memcmp(out, prefix, 12) == 0;
	return true;
}

bool
cidr_parse(const char *entry, struct cidr *out)
{
	char ip[64];
	if (entry == NULL)
		return false;
	const char *slash = strchr(entry, '/');
	size_t len = slash != NULL ? (size_t)(slash - entry) : strlen(entry);
	if (len == 0 || len >= sizeof(ip))
		return false;
	memcpy(ip, entry, len);
	ip[len] = '\0';
	bool is_v4;
	if (!cidr_ip_parse(ip, out->net, &is_v4))
		return false;
	/* A prefix counts IPv4's bits only for an address written so. */
	bool v4 = strchr(ip, ':') == NULL;
	int max = v4 ? 32 : 128, bits = max;
	if (slash != NULL) {
		uint64_t n;
		if (!span_to_u64(span_from_cstr(slash + 1), &n) ||
		    n > (uint64_t)max)
			return false;
		bits = (int)n;
	}
	out->bits = v4 ? bits + 96 : bits;
	return true;
}

bool
cidr_prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xFF << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool
cidr_contains(const struct cidr *block, const char *ip)
{
	unsigned char addr[16];
	bool v4;
	if (ip == NULL || !cidr_ip_parse(ip, addr, &v4))
		return false;
	return cidr_prefix_equal(addr, block->net, block->bits);
}

bool
cidr_list_contains(const char *list, const char *ip)
{
	struct span rest = span_from_cstr(list != NULL ? list : ""), item;
	while (span_split(&rest, ',', &item)) {
		char entry[80];
		struct cidr block;
		item = span_trim(item);
		if (item.len == 0 || item.len >= sizeof(entry))
			continue;
		memcpy(entry, item.p, item.len);
		entry[item.len] = '\0';
		if (cidr_parse(entry, &block) && cidr_contains(&block, ip))
			return true;
	}
	return false;
}

bool
cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	/* Two blocks overlap when the shorter prefix holds the other. */
	int bits = a->bits < b->bits ? a->bits : b->bits;
	return cidr_prefix_equal(a->net, b->net, bits);
}
