/*
 * Spools and tallies (core): whatever the sizes and the split of the
 * appends, a spool gives back exactly the bytes given, in memory or from
 * its file, refuses past its maximum and leaves no file behind; a tally
 * never lets a key's amount pass its cap, from many threads at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/spool.h"
#include "core/tally.h"
#include "core/xmalloc.h"

static int
make_temp_dir(void **state)
{
	const char *base = getenv("TMPDIR");
	char *dir = xmalloc(4096);
	snprintf(dir, 4096, "%s/caremail-spool-XXXXXX",
		base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int
remove_temp_dir(void **state)
{
	char *dir = *state;
	int rc = rmdir(dir);
	free(dir);
	return rc;
}

/* Names in dir other than . and ..: a spool's file never has one. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Random sizes and splits, across the memory threshold and the buffer. */
static void
test_spool_gives_back_what_it_was_given(void **state)
{
	const char *dir = *state;
	unsigned seed = 7;
	for (int round = 0; round < 60; round++) {
		size_t mem_max = (size_t)(rand_r(&seed) % 3) * 4096;
		size_t total = (size_t)rand_r(&seed) %
			(round % 5 == 0 ? 3 * 1024 * 1024 : 70000);
		char *data = xmalloc(total + 1);
		for (size_t i = 0; i < total; i++)
			data[i] = (char)rand_r(&seed);
		struct spool *sp = spool_new(dir, mem_max, total);
		struct error err;
		size_t at = 0;
		while (at < total) {
			size_t n = (size_t)rand_r(&seed) %
				(rand_r(&seed) % 4 == 0 ? 200000 : 1100);
			if (n > total - at)
				n = total - at;
			assert_int_equal(spool_append(sp, data + at, n, &err), 0);
			at += n;
		}
		assert_int_equal(spool_size(sp), total);
		struct span view;
		assert_int_equal(spool_view(sp, &view, &err), 0);
		assert_int_equal(view.len, total);
		if (total > 0)
			assert_memory_equal(view.p, data, total);
		/* Viewing twice gives the same. */
		assert_int_equal(spool_view(sp, &view, &err), 0);
		assert_int_equal(view.len, total);
		assert_int_equal(entries(dir), 0);
		spool_free(&sp);
		assert_null(sp);
		free(data);
	}
}

static void
test_spool_refuses_past_its_max(void **state)
{
	const char *dir = *state;
	for (size_t mem_max = 0; mem_max <= 8192; mem_max += 8192) {
		struct spool *sp = spool_new(dir, mem_max, 10000);
		struct error err;
		char block[4000];
		memset(block, 'x', sizeof(block));
		assert_int_equal(spool_append(sp, block, 4000, &err), 0);
		assert_int_equal(spool_append(sp, block, 4000, &err), 0);
		assert_int_equal(spool_append(sp, block, 2000, &err), 0);
		/* Exactly at max is fine; one byte more is not, nor after. */
		assert_int_equal(spool_append(sp, block, 1, &err), -1);
		assert_int_equal(err.code, ERROR_LIMIT);
		assert_int_equal(spool_append(sp, block, 0, &err), -1);
		assert_int_equal(spool_size(sp), 10001);
		struct span view;
		assert_int_equal(spool_view(sp, &view, &err), -1);
		assert_int_equal(err.code, ERROR_LIMIT);
		spool_free(&sp);
	}
}

static void
test_spool_in_a_missing_directory_fails_cleanly(void **state)
{
	(void)state;
	struct spool *sp = spool_new("/nonexistent/caremail-spool", 16, 1000);
	struct error err;
	assert_int_equal(spool_append(sp, "0123456789", 10, &err), 0);
	assert_int_equal(spool_append(sp, "0123456789", 10, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	spool_free(&sp);
	spool_free(&sp);	/* NULL is fine */
}

/* ---- tally ---- */

static void
test_tally_caps_each_key(void **state)
{
	(void)state;
	struct tally *t = tally_new();
	assert_true(tally_take(t, "ann@x", 3, 5));
	assert_true(tally_take(t, "ann@x", 2, 5));
	assert_false(tally_take(t, "ann@x", 1, 5));
	assert_true(tally_take(t, "bob@x", 5, 5));
	assert_false(tally_take(t, "bob@x", 6, 5));
	assert_int_equal(tally_held(t, "ann@x"), 5);
	tally_give(t, "ann@x", 4);
	assert_int_equal(tally_held(t, "ann@x"), 1);
	assert_true(tally_take(t, "ann@x", 4, 5));
	/* No cap: anything is taken. */
	assert_true(tally_take(t, "carol@x", INT64_MAX / 2, 0));
	tally_give(t, "carol@x", INT64_MAX / 2);
	assert_int_equal(tally_held(t, "carol@x"), 0);
	/* An amount larger than the cap never fits, even from nothing. */
	assert_false(tally_take(t, "dan@x", 6, 5));
	assert_int_equal(tally_held(t, "dan@x"), 0);
	tally_give(t, "ann@x", 5);
	tally_give(t, "bob@x", 5);
	tally_free(&t);
	assert_null(t);
}

struct tally_worker {
	struct tally *t;
	int over;	/* times the held amount was seen past the cap */
};

#define TALLY_CAP 7

static void *
tally_work(void *p)
{
	struct tally_worker *w = p;
	const char *keys[] = { "a@x", "b@x", "c@x" };
	for (int i = 0; i < 20000; i++) {
		const char *key = keys[i % 3];
		if (!tally_take(w->t, key, 1, TALLY_CAP))
			continue;
		if (tally_held(w->t, key) > TALLY_CAP)
			w->over++;
		tally_give(w->t, key, 1);
	}
	return NULL;
}

static void
test_tally_holds_under_contention(void **state)
{
	(void)state;
	enum { THREADS = 8 };
	struct tally *t = tally_new();
	pthread_t threads[THREADS];
	struct tally_worker workers[THREADS];
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct tally_worker){ t, 0 };
		pthread_create(&threads[i], NULL, tally_work, &workers[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(workers[i].over, 0);
	}
	/* Everything taken was given back. */
	assert_int_equal(tally_held(t, "a@x"), 0);
	assert_int_equal(tally_held(t, "b@x"), 0);
	assert_int_equal(tally_held(t, "c@x"), 0);
	tally_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_spool_gives_back_what_it_was_given, make_temp_dir,
			remove_temp_dir),
		cmocka_unit_test_setup_teardown(test_spool_refuses_past_its_max,
			make_temp_dir, remove_temp_dir),
		cmocka_unit_test(test_spool_in_a_missing_directory_fails_cleanly),
		cmocka_unit_test(test_tally_caps_each_key),
		cmocka_unit_test(test_tally_holds_under_contention),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
