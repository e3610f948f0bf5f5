/*
 * Structured logging to stderr. The timestamp is read here rather than passed
 * in: a log line records when it was written, not the logic's `now`. Layer:
 * core.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
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
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
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
