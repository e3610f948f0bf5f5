/*
 * store_backup: a snapshot transaction, the row counts of the key tables
 * and the backend's copy of the database, all in one moment of the store.
 * Layer: store (SPEC S4).
 */
#include "store/store_backup.h"

#include "core/error.h"
#include "store/store_internal.h"

/* One statement per table: SQL text is literals, never built. */
static const struct {
	const char *table;
	const char *sql;
} backup_tables[STORE_BACKUP_TABLES] = {
	{ "orgs", "SELECT count(*) FROM orgs" },
	{ "sites", "SELECT count(*) FROM sites" },
	{ "people", "SELECT count(*) FROM people" },
	{ "mailboxes", "SELECT count(*) FROM mailboxes" },
	{ "addresses", "SELECT count(*) FROM addresses" },
	{ "lists", "SELECT count(*) FROM lists" },
	{ "list_members", "SELECT count(*) FROM list_members" },
	{ "folders", "SELECT count(*) FROM folders" },
	{ "messages", "SELECT count(*) FROM messages" },
	{ "bodies", "SELECT count(*) FROM bodies" },
	{ "queue", "SELECT count(*) FROM queue" },
	{ "audit", "SELECT count(*) FROM audit" },
};

static int
count_one(struct store *st, size_t i, int64_t *rows_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err, backup_tables[i].sql, "");
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	if (rc == 1)
		*rows_r = store_col_int(st, s, 0);
	store_finish(st, s);
	if (rc == 0)
		return error_set(err, ERROR_INTERNAL, "counting %s gave no row",
			backup_tables[i].table);
	return rc < 0 ? -1 : 0;
}

int
store_backup_count_rows(struct store *st, struct store_backup_info *info_r,
	struct error *err)
{
	info_r->schema_version = store_schema_version(st, err);
	if (info_r->schema_version < 0)
		return -1;
	for (size_t i = 0; i < STORE_BACKUP_TABLES; i++) {
		info_r->counts[i].table = backup_tables[i].table;
		if (count_one(st, i, &info_r->counts[i].rows, err) < 0)
			return -1;
	}
	return 0;
}

int
store_backup(struct store *st, const char *dest_path,
	struct store_backup_info *info_r, struct error *err)
{
	if (st->ops->backup == NULL)
		return error_set(err, ERROR_INVALID, "the %s store is backed "
			"up with its own tools (docs/backup.md)",
			st->ops->name);
	if (st->depth != 0)
		return error_set(err, ERROR_INTERNAL,
			"a backup cannot run inside a transaction");
	if (st->ops->exec(st->conn, st->ops->begin_snapshot, err) < 0)
		return -1;
	/* The first read fixes the moment; the copy reads the same one. */
	int rc = store_backup_count_rows(st, info_r, err);
	if (rc == 0)
		rc = st->ops->backup(st->conn, dest_path, err);
	struct error ignored;
	st->ops->exec(st->conn, "ROLLBACK", &ignored);
	return rc;
}
