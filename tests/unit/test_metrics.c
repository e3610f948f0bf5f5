/*
 * Unit tests for core/metrics.c: the Prometheus text exposition format
 * 0.0.4 (HELP and TYPE lines, label and help escaping, a histogram's
 * cumulative buckets, +Inf, _sum and _count), the cap on series, and
 * counts that stay exact when many threads update at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/metrics.h"
#include "core/str.h"

/* Renders f alone into a fresh arena; the text is the arena's. */
static const char *
render(const struct metrics_family *f, struct arena *a)
{
	struct str out;
	str_init(&out, a, 1 << 20);
	assert_int_equal(metrics_render_family(f, &out), 0);
	return str_cstr(&out);
}

static void
test_counter_without_labels(void **state)
{
	static struct metrics_family f = {
		.name = "t_events_total",
		.help = "Events.",
		.type = METRICS_COUNTER,
	};
	metrics_register(&f);
	struct arena *a = arena_new(2 << 20);
	/* Registered, it is listed at zero before anything happens. */
	assert_string_equal(render(&f, a),
		"# HELP t_events_total Events.\n"
		"# TYPE t_events_total counter\n"
		"t_events_total 0\n");
	metrics_add(metrics_series(&f, NULL, NULL), 3);
	metrics_add(metrics_series(&f, NULL, NULL), 1);
	assert_string_equal(render(&f, a),
		"# HELP t_events_total Events.\n"
		"# TYPE t_events_total counter\n"
		"t_events_total 4\n");
	arena_free(&a);
}

static void
test_label_escaping(void **state)
{
	static struct metrics_family f = {
		.name = "t_open",
		.help = "A help with a \\ backslash\nand a line feed.",
		.type = METRICS_GAUGE,
		.labels = { "listener", "route" },
	};
	struct arena *a = arena_new(2 << 20);
	metrics_set(metrics_series(&f, "a\\b", "say \"hi\"\nthen"), 7);
	metrics_add(metrics_series(&f, "plain", "/x/{id}"), -2);
	/*
	 * Format 0.0.4: in label values \ " and line feed are escaped; in
	 * HELP only \ and line feed (a " stays as it is).
	 */
	assert_string_equal(render(&f, a),
		"# HELP t_open A help with a \\\\ backslash\\nand a line "
		"feed.\n"
		"# TYPE t_open gauge\n"
		"t_open{listener=\"a\\\\b\","
		"route=\"say \\\"hi\\\"\\nthen\"} 7\n"
		"t_open{listener=\"plain\",route=\"/x/{id}\"} -2\n");
	/* The same values find the same series. */
	assert_ptr_equal(metrics_series(&f, "plain", "/x/{id}"),
		metrics_series(&f, "plain", "/x/{id}"));
	struct str out;
	str_init(&out, a, 1024);
	assert_int_equal(metrics_escape_label(&out, "\"\\\n'"), 0);
	assert_string_equal(str_cstr(&out), "\\\"\\\\\\n'");
	arena_free(&a);
}

static const double bounds[] = { 0.1, 1, 2.5 };

static void
test_histogram(void **state)
{
	static struct metrics_family f = {
		.name = "t_seconds",
		.help = "Latency.",
		.type = METRICS_HISTOGRAM,
		.labels = { "route" },
		.bounds = bounds,
		.bound_count = 3,
	};
	struct arena *a = arena_new(2 << 20);
	struct metrics_series *s = metrics_series(&f, "/r", NULL);
	metrics_observe(s, 0.05);
	metrics_observe(s, 0.1);	/* on a bound: in that bucket (le) */
	metrics_observe(s, 0.5);
	metrics_observe(s, 5);		/* above every bound: +Inf only */
	assert_string_equal(render(&f, a),
		"# HELP t_seconds Latency.\n"
		"# TYPE t_seconds histogram\n"
		"t_seconds_bucket{route=\"/r\",le=\"0.1\"} 2\n"
		"t_seconds_bucket{route=\"/r\",le=\"1\"} 3\n"
		"t_seconds_bucket{route=\"/r\",le=\"2.5\"} 3\n"
		"t_seconds_bucket{route=\"/r\",le=\"+Inf\"} 4\n"
		"t_seconds_sum{route=\"/r\"} 5.6500000000000004\n"
		"t_seconds_count{route=\"/r\"} 4\n");
	arena_free(&a);
}

static void
test_histogram_without_labels(void **state)
{
	static struct metrics_family f = {
		.name = "t_commit_seconds",
		.help = "Commits.",
		.type = METRICS_HISTOGRAM,
		.bounds = metrics_latency_buckets,
		.bound_count = METRICS_LATENCY_BUCKET_COUNT,
	};
	metrics_register(&f);
	struct arena *a = arena_new(2 << 20);
	metrics_observe(metrics_series(&f, NULL, NULL), 0.0005);
	const char *text = render(&f, a);
	assert_non_null(strstr(text,
		"\nt_commit_seconds_bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(text,
		"\nt_commit_seconds_bucket{le=\"10\"} 1\n"
		"t_commit_seconds_bucket{le=\"+Inf\"} 1\n"
		"t_commit_seconds_sum 0.00050000000000000001\n"
		"t_commit_seconds_count 1\n"));
	arena_free(&a);
}

/* A label fed from input by mistake cannot grow memory without end. */
static void
test_series_cap(void **state)
{
	static struct metrics_family f = {
		.name = "t_capped_total",
		.help = "Capped.",
		.type = METRICS_COUNTER,
		.labels = { "v" },
	};
	for (int i = 0; i < METRICS_SERIES_MAX + 44; i++) {
		char v[16];
		snprintf(v, sizeof(v), "v%d", i);
		metrics_add(metrics_series(&f, v, NULL), 1);
	}
	assert_int_equal(f.series_count, METRICS_SERIES_MAX + 1);
	struct arena *a = arena_new(2 << 20);
	const char *text = render(&f, a);
	assert_non_null(strstr(text, "\nt_capped_total{v=\"v255\"} 1\n"));
	assert_null(strstr(text, "v=\"v256\""));
	assert_non_null(strstr(text, "\nt_capped_total{v=\"other\"} 44\n"));
	arena_free(&a);
}

/* A reply too small for the text fails rather than sending half. */
static void
test_render_full(void **state)
{
	static struct metrics_family f = {
		.name = "t_full_total",
		.help = "Full.",
		.type = METRICS_COUNTER,
	};
	metrics_register(&f);
	struct arena *a = arena_new(2 << 20);
	struct str out;
	str_init(&out, a, 20);
	assert_int_equal(metrics_render_family(&f, &out), -1);
	/* metrics_render lists every registered family, this one too. */
	str_init(&out, a, 1 << 20);
	assert_int_equal(metrics_render(&out), 0);
	assert_non_null(strstr(str_cstr(&out),
		"# TYPE t_full_total counter\nt_full_total 0\n"));
	arena_free(&a);
}

#define THREADS 8
#define ROUNDS 100000

static struct metrics_family race_total = {
	.name = "t_race_total",
	.help = "Raced.",
	.type = METRICS_COUNTER,
	.labels = { "l" },
};
static struct metrics_family race_seconds = {
	.name = "t_race_seconds",
	.help = "Raced.",
	.type = METRICS_HISTOGRAM,
	.bounds = bounds,
	.bound_count = 3,
};

static void *
race(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		/* Made by whichever thread comes first: one series all told. */
		metrics_add(metrics_series(&race_total, i % 2 ? "a" : "b",
			NULL), 1);
		metrics_observe(metrics_series(&race_seconds, NULL, NULL),
			0.5);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(race_total.series_count, 2);
	struct arena *a = arena_new(2 << 20);
	const char *text = render(&race_total, a);
	assert_non_null(strstr(text, "t_race_total{l=\"a\"} 400000\n"));
	assert_non_null(strstr(text, "t_race_total{l=\"b\"} 400000\n"));
	text = render(&race_seconds, a);
	/* 0.5 times 800,000 is exact in a double: no addition was lost. */
	assert_non_null(strstr(text, "t_race_seconds_sum 400000\n"
		"t_race_seconds_count 800000\n"));
	assert_non_null(strstr(text, "t_race_seconds_bucket{le=\"1\"} "
		"800000\n"));
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_without_labels),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_without_labels),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_render_full),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
