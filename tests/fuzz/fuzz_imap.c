/*
 * Fuzz target for the IMAP command parser: the literal announcement check
 * the session makes on each line, the command tree with literals inline,
 * and every typed reading of it (sets, FETCH, SEARCH, STORE, APPEND).
 * Beyond not crashing: errors are only INVALID, LIMIT or (CHARSET)
 * NOT_FOUND; a parsed tag is non-empty; a quoted string holds no NUL, CR,
 * LF or 8-bit byte (CVE-2019-11500); literals lie inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "imap/imap_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_base;
static size_t fuzz_size;

static void
check_error(const struct error *err)
{
	if (err->code != ERROR_INVALID && err->code != ERROR_LIMIT &&
		err->code != ERROR_NOT_FOUND)
		abort();
}

static void
check_args(const struct imap_arg *args, size_t count, int depth)
{
	if (depth > IMAP_LIST_DEPTH_MAX)
		abort();
	for (size_t i = 0; i < count; i++) {
		const struct imap_arg *a = &args[i];
		switch (a->type) {
		case IMAP_ARG_STRING:
			for (size_t k = 0; k < a->text.len; k++) {
				unsigned char c = (unsigned char)a->text.p[k];
				if (c == 0 || c == '\r' || c == '\n' ||
					c >= 0x80)
					abort();
			}
			if (a->text.p[a->text.len] != '\0')
				abort();
			break;
		case IMAP_ARG_LITERAL:
		case IMAP_ARG_ATOM:
			if (a->text.p < fuzz_base ||
				a->text.p + a->text.len > fuzz_base + fuzz_size)
				abort();
			if (a->type == IMAP_ARG_ATOM && a->text.len == 0)
				abort();
			break;
		case IMAP_ARG_LIST:
			check_args(a->items, a->count, depth + 1);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The session caps a command (without APPEND's message) at 1 MiB. */
	if (size > 1024 * 1024)
		return 0;
	struct span in = span_make((const char *)data, size);
	fuzz_base = in.p;
	fuzz_size = size;
	struct error err;
	/* What the session looks at on each line before reading a literal. */
	const char *crlf = memchr(in.p, '\r', in.len);
	struct span line = span_make(in.p,
		crlf != NULL ? (size_t)(crlf - in.p) : in.len);
	enum imap_literal_kind kind;
	uint64_t lsize;
	if (imap_parse_literal_suffix(line, &kind, &lsize, &err) < 0)
		check_error(&err);
	else if (kind != IMAP_LITERAL_NONE && lsize > IMAP_LITERAL_SIZE_MAX)
		abort();
	struct span tag, name;
	bool uid;
	if (imap_parse_head(line, &tag, &name, &uid, &err) == 0 &&
		(tag.len == 0 || name.len == 0))
		abort();

	struct arena *a = arena_new(4 * 1024 * 1024);
	struct imap_command cmd;
	if (imap_parse_command(in, a, &cmd, &err) < 0) {
		check_error(&err);
		arena_free(&a);
		return 0;
	}
	if (cmd.tag.len == 0)
		abort();
	check_args(cmd.args, cmd.count, 0);

	struct imap_seqset set;
	if (cmd.count > 0 && cmd.args[0].type == IMAP_ARG_ATOM) {
		if (imap_parse_seqset(cmd.args[0].text, a, &set, &err) < 0)
			check_error(&err);
		else
			(void)imap_seqset_contains(&set, 5, 10);
	}
	struct imap_fetch f;
	if (cmd.count > 1 &&
		imap_parse_fetch(cmd.args + 1, cmd.count - 1, a, &f, &err) < 0)
		check_error(&err);
	struct imap_search_key key;
	if (imap_parse_search(cmd.args, cmd.count, a, &key, &err) < 0)
		check_error(&err);
	else
		(void)imap_search_needs_body(&key);
	struct imap_store st;
	if (imap_parse_store(cmd.args, cmd.count, a, &st, &err) < 0)
		check_error(&err);
	struct imap_append ap;
	if (imap_parse_append(cmd.args, cmd.count, a, &ap, &err) < 0)
		check_error(&err);
	struct imap_flags flags;
	if (imap_parse_flags(cmd.args, cmd.count, true, a, &flags, &err) < 0)
		check_error(&err);
	for (size_t i = 0; i < cmd.count; i++) {
		const char *s;
		int64_t t;
		if (imap_arg_string(&cmd.args[i], a, &s, &err) < 0)
			check_error(&err);
		(void)imap_parse_date(cmd.args[i].text, &t);
		(void)imap_parse_datetime(cmd.args[i].text, &t);
	}
	arena_free(&a);
	return 0;
}
