/*
 * Address rules as pure functions (SPEC D3): parsing and validating an
 * address, and making a local part from a person's names. Layer: domain.
 * No I/O; tested with tables and fuzzed (tests/fuzz/fuzz_address.c).
 */
#ifndef DIR_ADDRESS_H
#define DIR_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

struct error;
struct span;

/* RFC 5321 §4.5.3.1: local part 64 octets, path 256 with its brackets. */
#define DIR_ADDRESS_LOCAL_MAX 64
#define DIR_ADDRESS_DOMAIN_MAX 253
#define DIR_ADDRESS_MAX 254

struct dir_address {
	char text[DIR_ADDRESS_MAX + 1];	/* lower-cased "local@domain" */
	size_t local_len;		/* text[local_len] is the '@' */
};

/*
 * Parses and validates an address: a dot-atom local part of RFC 5322 atext
 * with no leading, trailing or consecutive dots, an '@', and a domain of
 * letter-digit-hyphen labels. Lower-cases it into addr_r. The error names
 * the rule broken, for a person to read.
 */
int dir_address_parse(struct span text, struct dir_address *addr_r,
	struct error *err);

/* Validates a local part alone (the rules above). */
int dir_address_check_local(struct span local, struct error *err);

/* Validates a domain alone and lower-cases it into buf[size]. */
int dir_address_check_domain(struct span domain, char *buf, size_t size,
	struct error *err);

const char *dir_address_domain(const struct dir_address *addr);

/*
 * Makes "first.last" from names: lower case, common accented Latin letters
 * folded to ASCII, anything else that is not a letter, digit or hyphen
 * dropped. ERROR_INVALID when nothing usable is left of either name.
 */
int dir_address_local_from_names(const char *first, const char *last,
	char *buf, size_t size, struct error *err);

/* As above for one name (shared mailboxes, lists): words joined by dots. */
int dir_address_local_from_name(const char *name, char *buf, size_t size,
	struct error *err);

#endif
