/*
 * Time. Every stored time is UTC seconds since the epoch. Only the outermost
 * layer (main, the CLI, listeners) calls clock_now(); everything below takes
 * `now` as an argument so rules can be tested at any instant. Layer: core.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct span;
struct timespec;

/* The wall clock, UTC seconds. Overridable with CAREMAIL_NOW for tests. */
int64_t clock_now(void);

/* A monotonic clock in milliseconds, for timeouts and durations only. */
int64_t clock_monotonic_ms(void);
/* The same in microseconds, for latencies under a millisecond (metrics). */
int64_t clock_monotonic_us(void);

/*
 * The monotonic time ms from now, as the deadline of
 * pthread_cond_timedwait on a condition variable set to CLOCK_MONOTONIC.
 */
void clock_deadline_ms(int64_t ms, struct timespec *ts_r);

/* Writes "2026-11-22T12:00:00Z" into buf[size >= 21]. */
void clock_format_iso(int64_t t, char *buf, size_t size);

/*
 * Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or a plain number of epoch
 * seconds. Returns false when the text is none of these.
 */
bool clock_parse(struct span text, int64_t *t_r);

#endif
