/*
 * Structured logging to stderr. The timestamp is read here rather than passed
 * in: a log line records when it was written, not the logic's `now`. Layer:
 * core.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

static _Atomic int log_threshold = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_set_level(enum log_level level)
{
	atomic_store(&log_threshold, (int)level);
}

bool
log_level_parse(const char *name, enum log_level *level_r)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(*log_level_names);
	     i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return true;
		}
	}
	return false;
}

/* A line being built: bytes past its end are dropped. */
struct log_line {
	char *p;
	size_t len, size;
};

static void
put(struct log_line *l, const char *text, size_t n)
{
	for (size_t i = 0; i < n && l->len + 1 < l->size; i++)
		l->p[l->len++] = text[i];
	l->p[l->len] = '\0';
}

/*
 * A text value (%s) as the place it stands in asks, so a client's words
 * can never pose as fields of their own (`user="a\" result=ok"`): inside
 * quotes a '"' or '\' gets a '\' before it; bare (key=%s), a value with a
 * space, '"', '\' or '=' is written quoted the same way.
 */
static void
put_value(struct log_line *l, const char *v, size_t n, bool quoted)
{
	bool quote = false;
	for (size_t i = 0; !quoted && i < n && !quote; i++)
		quote = v[i] == ' ' || v[i] == '"' || v[i] == '\\' ||
			v[i] == '=';
	if (quote)
		put(l, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if ((quoted || quote) && (v[i] == '"' || v[i] == '\\'))
			put(l, "\\", 1);
		put(l, v + i, 1);
	}
	if (quote)
		put(l, "\"", 1);
}

/*
 * fmt with its arguments, as vsnprintf would write them but with each %s
 * value escaped (put_value). The conversions the log calls use: flags,
 * width and precision (digits or *), the length modifiers, d i u o x X c
 * s p e f g and %%.
 */
static void
log_format(struct log_line *l, const char *fmt, va_list ap)
{
	bool quoted = false;
	for (const char *f = fmt; *f != '\0';) {
		if (*f != '%') {
			if (*f == '"')
				quoted = !quoted;
			put(l, f++, 1);
			continue;
		}
		const char *start = f++;
		if (*f == '%') {
			put(l, "%", 1);
			f++;
			continue;
		}
		int stars[2], nstars = 0;
		while (*f != '\0' && strchr("-+ #0", *f) != NULL)
			f++;
		if (*f == '*') {
			stars[nstars++] = va_arg(ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			f++;
		if (*f == '.') {
			f++;
			if (*f == '*') {
				stars[nstars++] = va_arg(ap, int);
				f++;
			}
			while (*f >= '0' && *f <= '9')
				f++;
		}
		char length[3] = "";
		size_t ln = 0;
		while (*f != '\0' && strchr("hlzjtL", *f) != NULL && ln < 2)
			length[ln++] = *f++;
		length[ln] = '\0';
		char conv = *f;
		if (conv == '\0')
			break;
		f++;
		char spec[32];
		size_t slen = (size_t)(f - start);
		if (slen >= sizeof(spec))
			break;
		memcpy(spec, start, slen);
		spec[slen] = '\0';
		char out[2048];
		int n = -1;
#define ONE(value)                                                        \
	(nstars == 2 ? snprintf(out, sizeof(out), spec, stars[0], stars[1],  \
			       value) :                                      \
	 nstars == 1 ? snprintf(out, sizeof(out), spec, stars[0], value) :   \
		       snprintf(out, sizeof(out), spec, value))
		if (conv == 's') {
			const char *v = va_arg(ap, const char *);
			n = ONE(v != NULL ? v : "(null)");
			if (n >= 0)
				put_value(l, out, strlen(out), quoted);
			continue;
		}
		if (strchr("diouxXc", conv) != NULL) {
			if (strcmp(length, "ll") == 0)
				n = ONE(va_arg(ap, long long));
			else if (strcmp(length, "l") == 0)
				n = ONE(va_arg(ap, long));
			else if (strcmp(length, "z") == 0)
				n = ONE(va_arg(ap, size_t));
			else if (strcmp(length, "j") == 0)
				n = ONE(va_arg(ap, intmax_t));
			else if (strcmp(length, "t") == 0)
				n = ONE(va_arg(ap, ptrdiff_t));
			else
				n = ONE(va_arg(ap, int));
		} else if (conv == 'p') {
			n = ONE(va_arg(ap, void *));
		} else if (strchr("eEfFgGaA", conv) != NULL) {
			if (strcmp(length, "L") == 0)
				n = ONE(va_arg(ap, long double));
			else
				n = ONE(va_arg(ap, double));
		} else {
			break;	/* %n and the unknown: the rest is not ours to read */
		}
#undef ONE
		if (n >= 0)
			put(l, out, strlen(out));
	}
}

static void
log_write(enum log_level level, const char *event, const char *fmt,
	va_list ap)
{
	if ((int)level > atomic_load(&log_threshold))
		return;
	char line[2048];
	char ts[32];
	clock_format_iso(clock_now(), ts, sizeof(ts));
	int n = snprintf(line, sizeof(line), "ts=%s level=%s event=%s ", ts,
		log_level_names[level], event);
	if (n < 0)
		return;
	struct log_line l = { line, (size_t)n < sizeof(line) ? (size_t)n :
		sizeof(line) - 1, sizeof(line) };
	log_format(&l, fmt, ap);
	for (char *p = line; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	}
	/* One fputs of the whole line keeps concurrent events from interleaving. */
	size_t len = strlen(line);
	line[len < sizeof(line) - 1 ? len : sizeof(line) - 2] = '\0';
	len = strlen(line);
	line[len] = '\n';
	fwrite(line, 1, len + 1, stderr);
}

#define LOG_FUNCTION(name, level)                                        \
	void name(const char *event, const char *fmt, ...)               \
	{                                                                \
		va_list ap;                                              \
		va_start(ap, fmt);                                       \
		log_write(level, event, fmt, ap);                        \
		va_end(ap);                                              \
	}

LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warn, LOG_LEVEL_WARN)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)
