/*
 * Protocol switches (SPEC A4; seed 004: blocking a protocol is also needed
 * per organisation): parsing the list and asking whether one is off, with
 * no directory reads, so people and orgs both use it. Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store_person.h"

static const char *const switchable[] = { "imap", "pop3", "smtp" };
#define SWITCHABLE_COUNT (sizeof(switchable) / sizeof(*switchable))

int
dir_protocols_parse(const struct dir_ctx *ctx, const char *list,
	const char **canonical_r, struct error *err)
{
	bool off[SWITCHABLE_COUNT] = { false };
	struct span rest = span_from_cstr(list != NULL ? list : ""), item;
	while (span_split(&rest, ',', &item)) {
		item = span_trim(item);
		if (item.len == 0)
			continue;
		size_t i = 0;
		while (i < SWITCHABLE_COUNT && !span_eq_nocase(item, switchable[i]))
			i++;
		if (i == SWITCHABLE_COUNT)
			return error_set_field(err, ERROR_INVALID, "protocols_off",
				"'%.*s' is not a protocol that can be turned off; "
				"they are imap, pop3 and smtp", (int)item.len,
				item.p);
		off[i] = true;
	}
	struct str out;
	str_init(&out, ctx->arena, 64);
	str_append_cstr(&out, "");
	for (size_t i = 0; i < SWITCHABLE_COUNT; i++) {
		if (off[i] && (out.len == 0 ? str_append_cstr(&out, switchable[i]) :
				    str_appendf(&out, ",%s", switchable[i])) < 0)
			return error_set(err, ERROR_LIMIT, "out of memory");
	}
	*canonical_r = str_cstr(&out);
	return 0;
}

bool
dir_protocol_is_off(const char *protocols_off, const char *protocol)
{
	struct span rest = span_from_cstr(protocols_off != NULL ?
			protocols_off : ""), item;
	while (span_split(&rest, ',', &item)) {
		if (span_eq(span_trim(item), protocol))
			return true;
	}
	return false;
}
