/*
 * Free disk space before a message is taken (SECURITY.md 25). Layer: domain
 * (pure). RFC 5321 §6.1 forbids losing mail to "a predictable resource
 * shortage", and RFC 3463 §3.4 gives 4.3.1 "mail system full"; the rule is
 * Postfix's queue_minfree check, made at MAIL.
 */
#include "core/error.h"
#include "mail/mail.h"

#define MIB (1024 * 1024)

int
mail_check_free_space(uint64_t free_bytes, uint64_t min_free,
	uint64_t size_limit, uint64_t size_hint, struct error *err)
{
	uint64_t floor = size_limit / 2 * 3 + size_limit % 2;
	if (floor < min_free)
		floor = min_free;
	uint64_t margin = size_hint / 2 * 3 + size_hint % 2;
	if (free_bytes >= floor && free_bytes - min_free >= margin)
		return 0;
	return error_set(err, ERROR_NO_SPACE,
		"the server is short of disk space (%llu MB free); try again "
		"later", (unsigned long long)(free_bytes / MIB));
}
