/*
 * An online backup of the store: one consistent copy of the whole
 * database, taken while servers write, with the row counts of the key
 * tables as that copy holds them. Layer: store (SPEC S4; docs/backup.md).
 */
#ifndef STORE_STORE_BACKUP_H
#define STORE_STORE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

struct error;
struct store;

/* How many tables store_backup_count_rows counts. */
#define STORE_BACKUP_TABLES 12

struct store_backup_count {
	const char *table;	/* a static name: "people", "messages", ... */
	int64_t rows;
};

/* What one copy of the store holds. */
struct store_backup_info {
	int schema_version;
	struct store_backup_count counts[STORE_BACKUP_TABLES];
};

/*
 * Copies the store into a new file at dest_path, which must not exist,
 * as it is at one moment, without stopping writers on other connections
 * (st must be in no transaction). info_r gets the schema version and the
 * row counts read in that same moment, so they are the copy's own.
 * ERROR_INVALID when the backend has no online backup (its own tools make
 * them); ERROR_EXISTS when dest_path exists. Nothing is left at dest_path
 * on failure.
 */
int store_backup(struct store *st, const char *dest_path,
	struct store_backup_info *info_r, struct error *err);

/* The schema version and row counts of the store as it is now. */
int store_backup_count_rows(struct store *st, struct store_backup_info *info_r,
	struct error *err);

#endif
