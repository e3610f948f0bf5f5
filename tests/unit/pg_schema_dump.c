/*
 * Prints the PostgreSQL schema (store_schema_pg.c) for
 * tests/integration/test_pg_schema.py, which applies it to a throwaway
 * cluster and compares it with a fresh SQLite store. Layer: test tool.
 *
 *   pg_schema_dump count     the number of migrations
 *   pg_schema_dump N         migration N (1-based), as the driver runs it
 *   pg_schema_dump session   the per-connection TEMP tables
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char *const store_pg_migrations[];
extern const char store_pg_session_tables[];

int main(int argc, char **argv)
{
	size_t n = 0;

	while (store_pg_migrations[n] != NULL)
		n++;
	if (argc != 2) {
		fprintf(stderr, "usage: pg_schema_dump count|N|session\n");
		return 2;
	}
	if (strcmp(argv[1], "count") == 0) {
		printf("%zu\n", n);
		return 0;
	}
	if (strcmp(argv[1], "session") == 0) {
		fputs(store_pg_session_tables, stdout);
		return 0;
	}
	char *end;
	long v = strtol(argv[1], &end, 10);
	if (*end != '\0' || v < 1 || (size_t)v > n) {
		fprintf(stderr, "pg_schema_dump: no migration %s\n", argv[1]);
		return 2;
	}
	fputs(store_pg_migrations[v - 1], stdout);
	return 0;
}
