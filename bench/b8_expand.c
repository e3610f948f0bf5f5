/*
 * B8 (PERFORMANCE.md): the time to expand one list into a recipient set,
 * apart from delivery. Opens an instance as the CLI does, then expands the
 * list RUNS times into scope 0 of the store's recipient set (what a
 * delivery to the list does first: dir_list_expand_set), emptying the set
 * between runs, and prints each run's wall and CPU time with the number of
 * recipients. A bench, not a test: it asserts nothing about times.
 * Layer: a bench program over the domain (as a front end would be).
 *
 *   build/bench/b8_expand DIR LIST-ADDRESS [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "instance/instance.h"
#include "store/store_expand.h"

static double
seconds(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: b8_expand DIR LIST-ADDRESS [RUNS]\n");
		return 2;
	}
	int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
	struct error err;
	struct instance *inst = instance_open(argv[1], NULL, 0, &err);
	struct store *st = inst != NULL ? instance_store(inst, &err) : NULL;
	if (st == NULL) {
		fprintf(stderr, "b8_expand: %s\n", err.msg);
		return 1;
	}
	struct arena *a = arena_new((size_t)256 * 1024 * 1024);
	struct dir_ctx ctx;
	instance_dir_ctx(inst, st, a, "bench", time(NULL), &ctx);
	struct store_list l;
	int rc = dir_list_get(&ctx, argv[2], &l, &err);
	for (int i = 0; rc == 0 && i < runs; i++) {
		int64_t count = 0;
		double wall = seconds(CLOCK_MONOTONIC);
		double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
		rc = store_set_begin(st, &err);
		if (rc == 0)
			rc = dir_list_expand_set(&ctx, l.id, 0, &err);
		wall = seconds(CLOCK_MONOTONIC) - wall;
		cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
		if (rc == 0)
			rc = store_set_count(st, 0, &count, &err);
		if (rc == 0)
			printf("run %d: %lld recipients, %.3f s wall, %.3f s CPU\n",
				i + 1, (long long)count, wall, cpu);
		fflush(stdout);
	}
	if (rc < 0)
		fprintf(stderr, "b8_expand: %s\n", err.msg);
	store_set_drop(st, -1, &err);
	arena_free(&a);
	instance_store_close(&st);
	instance_close(&inst);
	return rc < 0 ? 1 : 0;
}
