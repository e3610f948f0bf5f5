/*
 * IP addresses and CIDR blocks as people write them ("192.0.2.7",
 * "192.0.2.0/24", "2001:db8::/32"), for allow-lists: API tokens' source
 * addresses, application servers registered for relay. Layer: core.
 * RFC 4632 (CIDR), RFC 4291 §2.5.5.2 (IPv4-mapped IPv6).
 */
#ifndef CORE_CIDR_H
#define CORE_CIDR_H

#include <stdbool.h>

/* A block: 16 bytes with IPv4 mapped into IPv6, and its prefix length. */
struct cidr {
	unsigned char net[16];
	int bits;	/* 0..128; an IPv4 /n is 96 + n */
};

/*
 * An IPv4 or IPv6 address as text into 16 bytes, IPv4 mapped into IPv6
 * (::ffff:a.b.c.d); *v4_r tells whether it is IPv4, written so or
 * mapped. False for anything else.
 */
bool cidr_ip_parse(const char *text, unsigned char out[16], bool *v4_r);

/* Whether a and b agree in their first `bits` bits. */
bool cidr_prefix_equal(const unsigned char *a, const unsigned char *b,
	int bits);

/* An "IP" or "IP/bits" entry; false when it is neither. */
bool cidr_parse(const char *entry, struct cidr *out);

/* Whether ip (an address as text, IPv4 or IPv6) is inside block. */
bool cidr_contains(const struct cidr *block, const char *ip);

/*
 * Whether ip is inside any entry of a comma-separated list; entries that
 * do not parse match nothing.
 */
bool cidr_list_contains(const char *list, const char *ip);

/* Whether the two blocks share any address. */
bool cidr_overlap(const struct cidr *a, const struct cidr *b);

#endif
