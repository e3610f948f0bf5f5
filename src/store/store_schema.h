/*
 * Migrations whose SQL is the same on both backends, written once for
 * store_schema_sqlite.c and store_schema_pg.c, which say why each is.
 * Layer: store.
 */
#ifndef STORE_SCHEMA_H
#define STORE_SCHEMA_H

/* People Finder keys of the people the lifecycle job deleted. */
#define STORE_MIGRATION_38                                                   \
	"DELETE FROM people_search WHERE person_id IN"                        \
	" (SELECT id FROM people WHERE deleted_at IS NOT NULL)"

#endif
