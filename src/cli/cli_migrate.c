/*
 * `caremail migrate --from sqlite:PATH --to postgresql://...` (issue 14,
 * docs/postgresql.md): moves an instance's store to another backend and
 * reports, table by table, the rows copied and whether both sides agree.
 * Layer: front end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/error.h"
#include "instance/instance.h"

/* Seconds since the first call: how long each step of a copy took. */
static double
elapsed(void)
{
	static struct timespec start;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (start.tv_sec == 0)
		start = now;
	return (double)(now.tv_sec - start.tv_sec) +
		(double)(now.tv_nsec - start.tv_nsec) / 1e9;
}

/* A table copied (rows), or a later stage begun (rows -1). */
static void
progress(const char *what, int64_t rows, void *arg)
{
	const struct cli_args *args = arg;
	if (args->json)
		return;
	if (rows < 0)
		fprintf(stderr, "%.1f s: %s\n", elapsed(), what);
	else
		fprintf(stderr, "%.1f s: copied %s: %" PRId64 " rows\n",
			elapsed(), what, rows);
}

int
cli_migrate(struct cli_args *args, struct error *err)
{
	struct arena *a = arena_new(256u << 20);
	struct store_copy_report r;
	elapsed();
	int rc = instance_migrate(cli_opt(args, "from"), cli_opt(args, "to"),
		a, &r, progress, args, err);
	if (rc < 0 && r.count == 0) {
		arena_free(&a);
		return -1;
	}
	json_t *tables = json_array();
	for (size_t i = 0; i < r.count; i++)
		json_array_append_new(tables, json_pack("{s:s, s:I, s:b, s:s}",
			"table", r.tables[i].name, "rows",
			(json_int_t)r.tables[i].rows, "same", r.tables[i].same,
			"checksum", r.tables[i].checksum));
	if (args->json) {
		cli_print(args, json_pack("{s:o, s:I, s:I}", "tables", tables,
			"rows", (json_int_t)r.rows, "different",
			(json_int_t)r.different), NULL);
	} else {
		for (size_t i = 0; i < r.count; i++)
			if (!r.tables[i].same)
				printf("DIFFERENT: %s\n", r.tables[i].name);
		printf("%zu tables, %" PRId64 " rows copied; %s.\n", r.count,
			r.rows, r.different == 0 ? "every table's rows and "
			"checksum are the same on both sides" :
			"some tables differ (above): keep using the source");
		const char *backend, *path;
		struct error ignored;
		if (r.different == 0 && instance_store_where(cli_opt(args,
			    "to"), "to", &backend, &path, &ignored) == 0)
			printf("To run the instance on the new store, set in its "
				"caremail.conf:\n  [store]\n  backend = %s\n"
				"  path = %s\n", backend, path);
		json_decref(tables);
	}
	arena_free(&a);
	return rc;
}
