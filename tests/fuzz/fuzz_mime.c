/*
 * Fuzz target for the MIME summary and BODY[section] ranges
 * (mail/mail_mime.h). Beyond not crashing: only ERROR_LIMIT may refuse a
 * message, every IMAP string it yields is balanced outside quoted strings
 * and literals, and every section range lies inside the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "mail/mail_mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Skips a quoted string at s[*i] == '"'; false when it never closes. */
static bool
quoted_skip(const char *s, size_t *i)
{
	for ((*i)++; s[*i] != '\0'; (*i)++) {
		if (s[*i] == '\\' && s[*i + 1] != '\0')
			(*i)++;
		else if (s[*i] == '"')
			return true;
		else if (s[*i] == '\r' || s[*i] == '\n')
			return false;
	}
	return false;
}

/* Skips a literal {n}CRLF and its n bytes at s[*i] == '{'. */
static bool
literal_skip(const char *s, size_t len, size_t *i)
{
	char *end;
	unsigned long long n = strtoull(s + *i + 1, &end, 10);
	if (end == s + *i + 1 || end[0] != '}' || end[1] != '\r' ||
	    end[2] != '\n')
		return false;
	size_t data = (size_t)(end + 3 - s);
	if (n > len - data)
		return false;
	*i = data + (size_t)n - 1;
	return true;
}

/* One parenthesised list, balanced outside strings and literals. */
static void
check_balanced(const char *s)
{
	size_t len = strlen(s);
	long depth = 0;
	for (size_t i = 0; i < len; i++) {
		bool ok = true;
		if (s[i] == '"')
			ok = quoted_skip(s, &i);
		else if (s[i] == '{')
			ok = literal_skip(s, len, &i);
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')')
			ok = --depth >= 0 && (depth > 0 || i == len - 1);
		else if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			ok = false;
		if (!ok)
			abort();
	}
	if (depth != 0 || len == 0 || s[0] != '(')
		abort();
}

static void
check_sections(const char *msg, size_t size, struct arena *a)
{
	static const char *const sections[] = {
		"", "HEADER", "TEXT", "1", "2", "1.MIME", "2.1", "2.HEADER",
		"2.TEXT", "1.2.3", "3.1.MIME",
	};
	for (size_t i = 0; i < sizeof(sections) / sizeof(*sections); i++) {
		size_t off = SIZE_MAX, len = SIZE_MAX;
		struct error err;
		arena_reset(a);
		if (mail_mime_section(msg, size, sections[i], a, &off, &len,
			    &err) == 0) {
			if (off > size || len > size - off)
				abort();
		} else if (err.code != ERROR_NOT_FOUND &&
			   err.code != ERROR_LIMIT) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	const char *msg = (const char *)data;
	struct arena *a = arena_new(64 * 1024 * 1024);
	struct mail_summary s;
	struct error err;
	if (mail_mime_summarize(msg, size, a, &s, &err) < 0) {
		if (err.code != ERROR_LIMIT || err.msg[0] == '\0')
			abort();
	} else {
		check_balanced(s.envelope);
		check_balanced(s.bodystructure);
		check_balanced(s.body);
		if (s.header_size > size || s.part_count == 0 ||
		    s.part_count > MAIL_MIME_MAX_PARTS)
			abort();
	}
	check_sections(msg, size, a);
	arena_free(&a);
	return 0;
}
