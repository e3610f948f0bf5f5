/* Spans and arena-backed string builders. Layer: core. */
#include "str.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"

struct span
span_from_cstr(const char *s)
{
	return (struct span){ s, s != NULL ? strlen(s) : 0 };
}

struct span
span_make(const char *p, size_t len)
{
	return (struct span){ p, len };
}

bool
span_eq(struct span a, const char *b)
{
	size_t n = strlen(b);
	/* memcmp may not be given the NULL of span_from_cstr(NULL). */
	return a.len == n && (n == 0 || memcmp(a.p, b, n) == 0);
}

char
str_ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool
str_is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
str_is_ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
str_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
str_append_quoted(struct str *out, const char *s)
{
	if (str_append_char(out, '"') < 0)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if ((*p == '"' || *p == '\\') && str_append_char(out, '\\') < 0)
			return -1;
		if (str_append_char(out, *p) < 0)
			return -1;
	}
	return str_append_char(out, '"');
}

void
str_lower_inplace(char *s)
{
	for (; *s != '\0'; s++)
		*s = str_ascii_lower(*s);
}

bool
span_eq_nocase(struct span a, const char *b)
{
	size_t n = strlen(b);
	if (a.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (str_ascii_lower(a.p[i]) != str_ascii_lower(b[i]))
			return false;
	}
	return true;
}

bool
span_starts_with(struct span a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && (n == 0 || memcmp(a.p, prefix, n) == 0);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool
span_starts_with_nocase(struct span a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && span_eq_nocase(span_make(a.p, n), prefix);
}

struct span
span_trim(struct span s)
{
	while (s.len > 0 && is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}

bool
span_split(struct span *s, char sep, struct span *head_r)
{
	if (s->len == 0)
		return false;
	const char *hit = memchr(s->p, sep, s->len);
	if (hit == NULL) {
		*head_r = *s;
		s->p += s->len;
		s->len = 0;
		return true;
	}
	head_r->p = s->p;
	head_r->len = (size_t)(hit - s->p);
	s->len -= head_r->len + 1;
	s->p = hit + 1;
	return true;
}

bool
span_to_u64(struct span s, uint64_t *value_r)
{
	if (s.len == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (!str_is_ascii_digit(s.p[i]))
			return false;
		uint64_t digit = (uint64_t)(s.p[i] - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*value_r = v;
	return true;
}

char *
span_dup(struct span s, struct arena *a)
{
	return arena_strndup(a, s.p, s.len);
}

char *
span_dup_lower(struct span s, struct arena *a)
{
	char *out = span_dup(s, a);
	if (out != NULL)
		str_lower_inplace(out);
	return out;
}

void
str_init(struct str *s, struct arena *a, size_t max)
{
	s->p = NULL;
	s->len = 0;
	s->cap = 0;
	s->max = max;
	s->arena = a;
}

static int
str_reserve(struct str *s, size_t extra)
{
	if (extra > s->max || s->len > s->max - extra)
		return -1;
	size_t need = s->len + extra + 1;
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap != 0 ? s->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = arena_alloc(s->arena, cap);
	if (p == NULL)
		return -1;
	if (s->len > 0)
		memcpy(p, s->p, s->len);
	p[s->len] = '\0';
	s->p = p;
	s->cap = cap;
	return 0;
}

int
str_append(struct str *s, const char *p, size_t n)
{
	if (str_reserve(s, n) < 0)
		return -1;
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
	return 0;
}

int
str_append_cstr(struct str *s, const char *cstr)
{
	return str_append(s, cstr, strlen(cstr));
}

int
str_append_char(struct str *s, char c)
{
	return str_append(s, &c, 1);
}

int
str_appendf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || str_reserve(s, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
	return 0;
}

void
str_truncate(struct str *s, size_t len)
{
	if (len >= s->len)
		return;
	s->len = len;
	s->p[len] = '\0';
}

const char *
str_cstr(const struct str *s)
{
	return s->p != NULL ? s->p : "";
}

int
str_copy(char *dst, size_t size, const char *src)
{
	if (size == 0)
		return -1;
	size_t n = strlen(src);
	if (n < size) {
		memcpy(dst, src, n + 1);
		return 0;
	}
	memcpy(dst, src, size - 1);
	dst[size - 1] = '\0';
	return -1;
}
