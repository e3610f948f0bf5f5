/*
 * Makes a store as an earlier release left it, for
 * tests/integration/test_upgrade.py (SPEC S6: upgrades are tested from
 * every released schema). Layer: test tool; it reaches into the store's
 * private header for store_open_at, which no command calls.
 *
 *   store_at count BACKEND          the number of migrations BACKEND has
 *   store_at sql BACKEND N          migration N (1-based), as the driver
 *                                   runs it
 *   store_at make BACKEND WHERE N   makes the store at WHERE (a SQLite
 *                                   file, made if missing, or a PostgreSQL
 *                                   URL) and applies migrations 1..N to
 *                                   it, each as caremail applies it
 *
 * BACKEND is "sqlite" or "postgresql".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/store_internal.h"

static const struct store_ops *
backend(const char *name)
{
	if (strcmp(name, store_sqlite_ops.name) == 0)
		return &store_sqlite_ops;
	if (strcmp(name, store_pg_ops.name) == 0)
		return &store_pg_ops;
	fprintf(stderr, "store_at: no backend %s\n", name);
	exit(2);
}

static int
usage(void)
{
	fprintf(stderr, "usage: store_at count BACKEND | sql BACKEND N | "
		"make BACKEND WHERE N\n");
	return 2;
}

/* A migration number from 1 to count, or exits. */
static int
version(const char *text, int count)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (*end != '\0' || end == text || v < 1 || v > count) {
		fprintf(stderr, "store_at: no migration %s (1 to %d)\n", text,
			count);
		exit(2);
	}
	return (int)v;
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const struct store_ops *ops = backend(argv[2]);
	int count = 0;
	while (ops->migrations[count] != NULL)
		count++;
	if (strcmp(argv[1], "count") == 0 && argc == 3) {
		printf("%d\n", count);
		return 0;
	}
	if (strcmp(argv[1], "sql") == 0 && argc == 4) {
		fputs(ops->migrations[version(argv[3], count) - 1], stdout);
		return 0;
	}
	if (strcmp(argv[1], "make") != 0 || argc != 5)
		return usage();
	struct error err;
	struct store *st = store_open_at(argv[2], argv[3],
		version(argv[4], count), &err);
	if (st == NULL) {
		fprintf(stderr, "store_at: %s\n", err.msg);
		return 1;
	}
	int at = store_schema_version(st, &err);
	store_close(&st);
	if (at < 0) {
		fprintf(stderr, "store_at: %s\n", err.msg);
		return 1;
	}
	printf("%d\n", at);
	return 0;
}
