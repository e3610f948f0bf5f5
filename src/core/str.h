/*
 * Strings: `struct span` to read text (pointer and length, never owning) and
 * `struct str` to build it (arena-backed, binary-safe, with a maximum size so
 * growth a client drives ends in ERROR_LIMIT, not in our memory). Layer: core.
 */
#ifndef CORE_STR_H
#define CORE_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

struct span {
	const char *p;
	size_t len;
};

struct str {
	char *p;	/* always NUL-terminated after a successful append */
	size_t len;
	size_t cap;
	size_t max;	/* appends that would pass this fail */
	struct arena *arena;
};

struct span span_from_cstr(const char *s);
struct span span_make(const char *p, size_t len);
bool span_eq(struct span a, const char *b);
bool span_eq_nocase(struct span a, const char *b);
bool span_starts_with(struct span a, const char *prefix);
bool span_starts_with_nocase(struct span a, const char *prefix);
struct span span_trim(struct span s);

/*
 * Splits s at the first occurrence of sep: *head_r gets what stands before it
 * and s is advanced past it. Without sep, *head_r is all of s and s becomes
 * empty. Returns false only when s was already empty.
 */
bool span_split(struct span *s, char sep, struct span *head_r);

/* Parses an unsigned decimal integer that is all of s; false on overflow. */
bool span_to_u64(struct span s, uint64_t *value_r);

/* A new NUL-terminated copy in the arena, or NULL past its cap. */
char *span_dup(struct span s, struct arena *a);
/*
 * span_dup with ASCII letters in lower case, for names compared in any
 * case (MIME types, DKIM domains); NULL past the arena's cap.
 */
char *span_dup_lower(struct span s, struct arena *a);

void str_init(struct str *s, struct arena *a, size_t max);
int str_append(struct str *s, const char *p, size_t n);
int str_append_cstr(struct str *s, const char *cstr);
int str_append_char(struct str *s, char c);
int str_appendf(struct str *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drops what was appended past len (len <= s->len): back to a mark. */
void str_truncate(struct str *s, size_t len);
/* The text built so far; "" before the first append. */
const char *str_cstr(const struct str *s);

/*
 * Copies src into dst[size] with a terminating NUL. Returns 0, or -1 when src
 * did not fit and was truncated. The bounded copy banned.h points to.
 */
int str_copy(char *dst, size_t size, const char *src);

/* ASCII-only case helpers; text from the wire is never locale-dependent. */
char str_ascii_lower(char c);
bool str_is_ascii_digit(char c);
bool str_is_ascii_alpha(char c);
/* The value of a hex digit of either case, or -1. */
int str_hex_value(char c);
/*
 * Appends s as an RFC 5322 §3.2.4 quoted-string: in double quotes, with
 * '"' and '\\' escaped. The caller decides that s needs quoting and
 * holds no control character.
 */
int str_append_quoted(struct str *out, const char *s);
void str_lower_inplace(char *s);

#endif
