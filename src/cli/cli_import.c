/*
 * `caremail import users FILE.csv`: bulk import of people (SPEC P8), with
 * a progress bar when stderr is a terminal and the per-row report after.
 * Layer: front end. RFC 4180 (the file, read by dir_import).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/file.h"
#include "dir/dir_import.h"

/* No row cap (seed 002 capped files at 1,000 rows); a byte cap only. */
#define IMPORT_FILE_MAX ((size_t)1024 * 1024 * 1024)
#define IMPORT_BAR_WIDTH 40

static void
draw_bar(void *arg, size_t done, size_t total)
{
	(void)arg;
	if (total == 0)
		return;
	size_t filled = done * IMPORT_BAR_WIDTH / total;
	char bar[IMPORT_BAR_WIDTH + 1];
	memset(bar, '#', filled);
	memset(bar + filled, '.', IMPORT_BAR_WIDTH - filled);
	bar[IMPORT_BAR_WIDTH] = '\0';
	/* Validation is the first half, applying the second. */
	fprintf(stderr, "\r[%s] %3zu%%", bar, done * 100 / total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
print_text(const struct dir_import_report *r)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct dir_import_row *it = &r->items[i];
		if (it->outcome == DIR_IMPORT_ERROR)
			printf("%s\n", it->message);
		else if (it->outcome != DIR_IMPORT_UNCHANGED)
			printf("row %zu: %s %s\n", it->row,
				dir_import_outcome_name(it->outcome),
				it->address);
	}
	printf("%s%zu rows: %zu created, %zu updated, %zu unchanged, "
		"%zu leavers, %zu joined, %zu errors\n",
		r->dry_run ? "dry run, nothing changed: " : "", r->rows,
		r->counts[DIR_IMPORT_CREATED], r->counts[DIR_IMPORT_UPDATED],
		r->counts[DIR_IMPORT_UNCHANGED], r->counts[DIR_IMPORT_LEAVER],
		r->counts[DIR_IMPORT_JOINED], r->counts[DIR_IMPORT_ERROR]);
	if (r->summary[0] != '\0')
		printf("%s\n", r->summary);
}

int
cli_import_users(struct cli_args *args, struct error *err)
{
	size_t len;
	char *text = file_read_all(args->pos[0], IMPORT_FILE_MAX, &len, err);
	if (text == NULL)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0) {
		free(text);
		return -1;
	}
	/* The table keeps every field: room for the file several times. */
	struct arena *table_arena = arena_new(len * 4 + (64u << 20));
	struct dir_import_table t;
	struct dir_import_report r;
	struct dir_import_options o = {
		.org_ods = cli_opt(args, "org"),
		.dry_run = cli_flag(args, "dry-run"),
		.progress = isatty(STDERR_FILENO) ? draw_bar : NULL,
	};
	int rc = dir_import_read_csv(span_make(text, len), table_arena, &t,
		err);
	if (rc == 0)
		rc = dir_import_run(&s.ctx, &t, &o, &r, err);
	if (rc == 0 && args->json)
		cli_print(args, dir_import_report_json(&r), NULL);
	else if (rc == 0)
		print_text(&r);
	if (rc == 0 && r.summary[0] != '\0')
		rc = error_set(err, ERROR_INVALID, "the import was refused; "
			"see the report above (import %lld)", (long long)r.id);
	arena_free(&table_arena);
	cli_session_close(&s);
	free(text);
	return rc;
}
