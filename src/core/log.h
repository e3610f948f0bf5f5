/*
 * Structured logging: one line per event on stderr, `key=value` fields after a
 * timestamp, level and event name. Control characters in a line are replaced
 * so a client-supplied value can never forge a second line. Never log
 * secrets or message bodies. Layer: core. Thread-safe.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);

/* Parses "error", "warn", "info" or "debug". */
bool log_level_parse(const char *name, enum log_level *level_r);

/*
 * Writes `ts=... level=... event=EVENT` followed by the formatted fields, for
 * example log_info("serve.start", "listen=%s", addr). Quote values that may
 * hold spaces: `name="%s"`.
 */
void log_error(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_info(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_debug(const char *event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
