/*
 * The metrics registry and the Prometheus text exposition format 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats). Layer: core.
 * Updates are single atomic operations, so sessions on many threads never
 * wait on each other to count; only making a new series takes a lock, once.
 */
#include "metrics.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "xmalloc.h"

const double metrics_latency_buckets[METRICS_LATENCY_BUCKET_COUNT] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10,
};

/*
 * Guards registration and the making of series. Statically initialised,
 * so registration from constructors needs nothing set up before it.
 */
static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_family *metrics_first, *metrics_last;

static size_t
label_count(const struct metrics_family *f)
{
	size_t n = 0;
	while (n < METRICS_LABELS_MAX && f->labels[n] != NULL)
		n++;
	return n;
}

static bool
values_match(const struct metrics_series *s, const char *const *values,
	size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->values[i], values[i]) != 0)
			return false;
	return true;
}

static struct metrics_series *
series_find(const struct metrics_family *f, const char *const *values,
	size_t n)
{
	for (struct metrics_series *s = atomic_load_explicit(&f->first,
		     memory_order_acquire);
	     s != NULL;
	     s = atomic_load_explicit(&s->next, memory_order_acquire))
		if (values_match(s, values, n))
			return s;
	return NULL;
}

/* Appends a series to f; called with the lock. Readers see it whole. */
static struct metrics_series *
series_append(struct metrics_family *f, const char *const *values, size_t n)
{
	struct metrics_series *s = xcalloc(1, sizeof(*s));
	s->family = f;
	for (size_t i = 0; i < n; i++)
		s->values[i] = xstrdup(values[i]);
	if (f->last != NULL)
		atomic_store_explicit(&f->last->next, s, memory_order_release);
	else
		atomic_store_explicit(&f->first, s, memory_order_release);
	f->last = s;
	f->series_count++;
	return s;
}

void
metrics_register(struct metrics_family *f)
{
	size_t n = label_count(f);
	if (f->bound_count > METRICS_BUCKETS_MAX ||
	    (f->type == METRICS_HISTOGRAM && f->bounds == NULL))
		abort();	/* a bug in the family's declaration */
	pthread_mutex_lock(&metrics_lock);
	bool known = f == metrics_last || f->next_registered != NULL;
	if (!known) {
		if (metrics_last != NULL)
			metrics_last->next_registered = f;
		else
			metrics_first = f;
		metrics_last = f;
		if (n == 0 && f->last == NULL)
			series_append(f, NULL, 0);
	}
	pthread_mutex_unlock(&metrics_lock);
}

struct metrics_series *
metrics_series(struct metrics_family *f, const char *v1, const char *v2)
{
	const char *values[METRICS_LABELS_MAX] = { v1, v2 };
	size_t n = label_count(f);
	for (size_t i = 0; i < n; i++)
		assert(values[i] != NULL);
	struct metrics_series *s = series_find(f, values, n);
	if (s != NULL)
		return s;
	pthread_mutex_lock(&metrics_lock);
	s = series_find(f, values, n);
	if (s == NULL && f->series_count >= METRICS_SERIES_MAX) {
		/*
		 * A family this large is a bug (a label fed from input):
		 * count on, in one series, and say so once.
		 */
		const char *other[METRICS_LABELS_MAX] = { "other", "other" };
		s = series_find(f, other, n);
		if (s == NULL) {
			log_error("metrics.too_many_series", "metric=%s",
				f->name);
			s = series_append(f, other, n);
		}
	}
	if (s == NULL)
		s = series_append(f, values, n);
	pthread_mutex_unlock(&metrics_lock);
	return s;
}

void
metrics_add(struct metrics_series *s, int64_t n)
{
	assert(s->family->type != METRICS_HISTOGRAM);
	assert(n >= 0 || s->family->type == METRICS_GAUGE);
	atomic_fetch_add_explicit(&s->value, n, memory_order_relaxed);
}

void
metrics_set(struct metrics_series *s, int64_t v)
{
	assert(s->family->type == METRICS_GAUGE);
	atomic_store_explicit(&s->value, v, memory_order_relaxed);
}

static double
bits_to_double(uint64_t bits)
{
	double d;
	memcpy(&d, &bits, sizeof(d));
	return d;
}

static uint64_t
double_to_bits(double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	return bits;
}

void
metrics_observe(struct metrics_series *s, double v)
{
	const struct metrics_family *f = s->family;
	assert(f->type == METRICS_HISTOGRAM);
	/* Prometheus's le: a value equal to a bound falls in its bucket. */
	size_t i = 0;
	while (i < f->bound_count && v > f->bounds[i])
		i++;
	atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
	/* C17 has no atomic add for doubles: swap the bits until it holds. */
	uint64_t old = atomic_load_explicit(&s->sum_bits,
		memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&s->sum_bits, &old,
		double_to_bits(bits_to_double(old) + v), memory_order_relaxed,
		memory_order_relaxed))
		;
}

void
metrics_observe_since(struct metrics_series *s, int64_t start_us)
{
	int64_t us = clock_monotonic_us() - start_us;
	metrics_observe(s, (double)(us > 0 ? us : 0) / 1e6);
}

int
metrics_escape_label(struct str *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		int rc;
		if (*p == '\\')
			rc = str_append(out, "\\\\", 2);
		else if (*p == '"')
			rc = str_append(out, "\\\"", 2);
		else if (*p == '\n')
			rc = str_append(out, "\\n", 2);
		else
			rc = str_append_char(out, *p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* HELP text escapes only backslash and line feed (format 0.0.4). */
static int
escape_help(struct str *out, const char *help)
{
	for (const char *p = help; *p != '\0'; p++) {
		int rc = *p == '\\' ? str_append(out, "\\\\", 2) :
			*p == '\n' ? str_append(out, "\\n", 2) :
			str_append_char(out, *p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * A series' name and labels: name{a="x",b="y"} or plain name; le, when
 * given, is added last, as a histogram's bucket bound.
 */
static int
render_name(struct str *out, const struct metrics_family *f,
	const struct metrics_series *s, const char *suffix, const char *le)
{
	size_t n = label_count(f);
	if (str_appendf(out, "%s%s", f->name, suffix) < 0)
		return -1;
	if (n == 0 && le == NULL)
		return 0;
	if (str_append_char(out, '{') < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (str_appendf(out, "%s%s=\"", i > 0 ? "," : "",
			    f->labels[i]) < 0 ||
		    metrics_escape_label(out, s->values[i]) < 0 ||
		    str_append_char(out, '"') < 0)
			return -1;
	}
	if (le != NULL && str_appendf(out, "%sle=\"%s\"", n > 0 ? "," : "",
		    le) < 0)
		return -1;
	return str_append_char(out, '}');
}

static int
render_histogram(struct str *out, const struct metrics_family *f,
	const struct metrics_series *s)
{
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= f->bound_count; i++) {
		char le[32];
		if (i < f->bound_count)
			snprintf(le, sizeof(le), "%.15g", f->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		cumulative += atomic_load_explicit(&s->buckets[i],
			memory_order_relaxed);
		if (render_name(out, f, s, "_bucket", le) < 0 ||
		    str_appendf(out, " %llu\n",
			    (unsigned long long)cumulative) < 0)
			return -1;
	}
	/*
	 * The count is the +Inf bucket's, so the two always agree even while
	 * observations land during the render.
	 */
	double sum = bits_to_double(atomic_load_explicit(&s->sum_bits,
		memory_order_relaxed));
	if (render_name(out, f, s, "_sum", NULL) < 0 ||
	    str_appendf(out, " %.17g\n", sum) < 0 ||
	    render_name(out, f, s, "_count", NULL) < 0 ||
	    str_appendf(out, " %llu\n", (unsigned long long)cumulative) < 0)
		return -1;
	return 0;
}

static const char *
type_name(enum metrics_type t)
{
	switch (t) {
	case METRICS_COUNTER:
		return "counter";
	case METRICS_GAUGE:
		return "gauge";
	case METRICS_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

int
metrics_render_family(const struct metrics_family *f, struct str *out)
{
	if (str_appendf(out, "# HELP %s ", f->name) < 0 ||
	    escape_help(out, f->help) < 0 ||
	    str_appendf(out, "\n# TYPE %s %s\n", f->name,
		    type_name(f->type)) < 0)
		return -1;
	for (const struct metrics_series *s = atomic_load_explicit(&f->first,
		     memory_order_acquire);
	     s != NULL;
	     s = atomic_load_explicit(&s->next, memory_order_acquire)) {
		int rc;
		if (f->type == METRICS_HISTOGRAM)
			rc = render_histogram(out, f, s);
		else
			rc = render_name(out, f, s, "", NULL) < 0 ? -1 :
				str_appendf(out, " %lld\n", (long long)
					atomic_load_explicit(&s->value,
						memory_order_relaxed));
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
metrics_render(struct str *out)
{
	int rc = 0;
	/* Held through the render: a scrape is quick and rare. */
	pthread_mutex_lock(&metrics_lock);
	for (const struct metrics_family *f = metrics_first;
	     f != NULL && rc == 0; f = f->next_registered)
		rc = metrics_render_family(f, out);
	pthread_mutex_unlock(&metrics_lock);
	return rc;
}
