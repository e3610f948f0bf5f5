/*
 * `caremail backup` and `caremail restore` (SPEC S4; docs/backup.md):
 * the command lines and their reports. Layer: front end.
 * SECURITY: a backup holds the instance's keys and password hashes; it is
 * made owner-only, and restore writes files with the modes they had.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "caremail_version.h"
#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/error.h"
#include "instance/instance.h"

static json_t *
tables_json(const struct instance_backup_table *t)
{
	json_t *o = json_object();
	for (size_t i = 0; i < INSTANCE_BACKUP_TABLES; i++) {
		if (t[i].name[0] != '\0')
			json_object_set_new(o, t[i].name,
				json_integer(t[i].rows));
	}
	return o;
}

/* "people 3, messages 120, audit 456": the tables a reader looks for. */
static void
tables_text(const struct instance_backup_table *t, char *buf, size_t size)
{
	static const char *const shown[] = { "orgs", "people", "mailboxes",
		"lists", "messages", "bodies", "queue", "audit" };
	size_t o = 0;
	buf[0] = '\0';
	for (size_t s = 0; s < sizeof(shown) / sizeof(*shown); s++) {
		for (size_t i = 0; i < INSTANCE_BACKUP_TABLES; i++) {
			if (strcmp(t[i].name, shown[s]) != 0 || o >= size)
				continue;
			int n = snprintf(buf + o, size - o, "%s%s %" PRId64,
				o == 0 ? "" : ", ", t[i].name, t[i].rows);
			if (n > 0)
				o += (size_t)n;
		}
	}
}

static json_t *
backup_json(const char *path, const struct instance_backup_report *r)
{
	json_t *left = json_array();
	for (size_t i = 0; i < r->warning_count &&
	     i < INSTANCE_BACKUP_WARNINGS; i++)
		json_array_append_new(left, json_string(r->warnings[i]));
	return json_pack("{s:s, s:o, s:i, s:I, s:I, s:o, s:o}",
		"path", path, "created", cli_json_time(r->created),
		"schema_version", r->schema_version,
		"files", (json_int_t)r->files, "bytes", (json_int_t)r->bytes,
		"tables", tables_json(r->tables), "left_out", left);
}

int
cli_backup(struct cli_args *args, struct error *err)
{
	if (args->dir == NULL)
		return cli_usage(args, err, "no instance directory given: pass "
			"--dir DIR or set CAREMAIL_DIR");
	const char *target = args->pos[0];
	struct instance *inst = instance_open(args->dir, args->sets,
		args->set_count, err);
	if (inst == NULL)
		return -1;
	struct instance_backup_options o = {
		.target = target,
		.version = CAREMAIL_VERSION,
		.now = clock_now(),
		.without_audit_key = cli_flag(args, "without-audit-key"),
	};
	struct instance_backup_report r;
	int rc = instance_backup(inst, &o, &r, err);
	instance_close(&inst);
	if (rc < 0)
		return -1;
	/* Files the backup could not take: the operator must keep them. */
	for (size_t i = 0; i < r.warning_count &&
	     i < INSTANCE_BACKUP_WARNINGS; i++)
		fprintf(stderr, "caremail: warning: %s.\n", r.warnings[i]);
	char counts[512], sentence[1024];
	tables_text(r.tables, counts, sizeof(counts));
	snprintf(sentence, sizeof(sentence), "Backed up %s to %s: %" PRIu64
		" files, %" PRIu64 " bytes, schema %d; %s.", args->dir, target,
		r.files, r.bytes, r.schema_version, counts);
	cli_print_done(args, backup_json(target, &r), sentence);
	return 0;
}

static json_t *
restore_json(const char *source, const char *dir,
	const struct instance_restore_report *r)
{
	json_t *backup = backup_json(source, &r->backup);
	return json_pack("{s:s, s:o, s:i, s:o, s:o, s:{s:s, s:I, s:I}}",
		"dir", dir, "backup", backup,
		"schema_version", r->schema_version,
		"tables", tables_json(r->restored),
		"set_aside", r->set_aside[0] != '\0' ?
			json_string(r->set_aside) : json_null(),
		"audit", "status", r->audit.whole ? "whole" : "broken",
		"rows", (json_int_t)r->audit.rows,
		"last_id", (json_int_t)r->audit.last_id);
}

int
cli_restore(struct cli_args *args, struct error *err)
{
	if (args->dir == NULL)
		return cli_usage(args, err, "no instance directory given: pass "
			"--dir DIR (a new or empty directory) or set "
			"CAREMAIL_DIR");
	const char *source = args->pos[0];
	struct instance_restore_options o = {
		.source = source,
		.dir = args->dir,
		.force = cli_flag(args, "force"),
		.audit_key = cli_opt(args, "audit-key"),
		.now = clock_now(),
	};
	struct instance_restore_report r;
	if (instance_restore(&o, &r, err) < 0)
		return -1;
	char counts[512], sentence[2048 + 4096];
	tables_text(r.restored, counts, sizeof(counts));
	int n = snprintf(sentence, sizeof(sentence), "Restored %s into %s "
		"(schema %d): %s. The audit chain is whole: %" PRId64
		" rows, the newest is row %" PRId64 ".", source, args->dir,
		r.schema_version, counts, r.audit.rows, r.audit.last_id);
	if (n > 0 && (size_t)n < sizeof(sentence) && r.set_aside[0] != '\0')
		snprintf(sentence + n, sizeof(sentence) - (size_t)n,
			"\nWhat was in %s before is now in %s; delete it when "
			"you no longer need it.", args->dir, r.set_aside);
	cli_print_done(args, restore_json(source, args->dir, &r), sentence);
	return 0;
}
