/*
 * Metrics for Prometheus (SPEC S3, docs/operations.md): counters, gauges
 * and histograms updated atomically from any thread, and rendered in the
 * Prometheus text exposition format 0.0.4. Layer: core.
 * SECURITY: label values must come from a fixed set the code names
 * (listener names, route templates, outcomes), never from a client or a
 * person: no address ever goes in a label. A family holds at most
 * METRICS_SERIES_MAX series; past that every new set of values is counted
 * in one series labelled "other", so a bug cannot grow memory without end.
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define METRICS_LABELS_MAX 2
#define METRICS_BUCKETS_MAX 16
#define METRICS_SERIES_MAX 256

struct metrics_family;

enum metrics_type {
	METRICS_COUNTER,	/* only goes up; name ends in _total */
	METRICS_GAUGE,		/* a value now: up, down, or set */
	METRICS_HISTOGRAM,	/* observations counted in buckets */
};

/* One set of label values and its numbers. */
struct metrics_series {
	_Atomic(struct metrics_series *) next;	/* the family's, in order */
	const struct metrics_family *family;
	char *values[METRICS_LABELS_MAX];	/* owned; NULL past labels */
	_Atomic int64_t value;		/* a counter's or a gauge's */
	/*
	 * A histogram's observations per bucket, not cumulative (the render
	 * adds them up); the last is those above every bound (+Inf).
	 */
	_Atomic uint64_t buckets[METRICS_BUCKETS_MAX + 1];
	_Atomic uint64_t sum_bits;	/* the sum of observations, a double */
};

/*
 * A metric family: a name, its help and type, its label names and, for a
 * histogram, its bucket bounds. Declared by the module that updates it
 * with static initialisers, and registered once (METRICS_REGISTER) so
 * /metrics shows it, at zero, before anything has happened.
 */
struct metrics_family {
	const char *name;		/* [a-zA-Z_:][a-zA-Z0-9_:]* */
	const char *help;		/* one line */
	enum metrics_type type;
	const char *labels[METRICS_LABELS_MAX];	/* names; NULL ends them */
	const double *bounds;		/* histogram: increasing upper bounds */
	size_t bound_count;		/* at most METRICS_BUCKETS_MAX */
	/* Below: the registry's. Zero in the initialiser. */
	struct metrics_family *next_registered;
	_Atomic(struct metrics_series *) first;
	struct metrics_series *last;	/* under the registry's lock */
	size_t series_count;		/* under the registry's lock */
};

/*
 * Registers a family for the whole process at start-up, before main runs,
 * so every metric the linked code can update is listed from the first
 * scrape: a counter that first appeared at 1 would hide its first event
 * from rate(). Use at file scope, after the family's definition.
 */
#define METRICS_REGISTER(family)                                        \
	__attribute__((constructor)) static void                        \
	metrics_register_##family(void)                                  \
	{                                                               \
		metrics_register(&family);                                \
	}

/* Latency buckets in seconds, from half a millisecond to ten seconds. */
#define METRICS_LATENCY_BUCKET_COUNT 14
extern const double metrics_latency_buckets[METRICS_LATENCY_BUCKET_COUNT];

/*
 * Adds f to the registry (idempotent). A family without labels gets its
 * one series now, so it is rendered at zero. Aborts on a bad family (a
 * bug): too many labels or buckets.
 */
void metrics_register(struct metrics_family *f);

/*
 * The series of f for these label values (as many as f has labels; the
 * rest NULL), made on first use. The pointer stays valid for the life of
 * the process, so a caller may keep it. Thread-safe; lock-free once made.
 */
struct metrics_series *metrics_series(struct metrics_family *f,
	const char *v1, const char *v2);

/* Adds n (a counter: n >= 0) to a counter or gauge. */
void metrics_add(struct metrics_series *s, int64_t n);
/* Sets a gauge. */
void metrics_set(struct metrics_series *s, int64_t v);
/* Counts one observation in a histogram's series. */
void metrics_observe(struct metrics_series *s, double v);
/* Observes the seconds since start_us (clock_monotonic_us). */
void metrics_observe_since(struct metrics_series *s, int64_t start_us);

/*
 * Renders one family in the text format 0.0.4 onto out: # HELP and
 * # TYPE lines, then a line per series (a histogram's _bucket lines with
 * le, its _sum and _count). -1 with ERROR_LIMIT when out is full.
 */
int metrics_render_family(const struct metrics_family *f, struct str *out);

/* Renders every registered family, in the order registered. */
int metrics_render(struct str *out);

/*
 * Appends value to out as a label value is written: backslash, double
 * quote and line feed escaped as \\, \" and \n. -1 when out is full.
 */
int metrics_escape_label(struct str *out, const char *value);

/* The content type of the rendered text, for the HTTP reply. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
