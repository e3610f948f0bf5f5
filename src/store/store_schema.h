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

/*
 * Migration 40, both backends: a person's holdings and registry addresses
 * found by the person (a record reads them so: store_view.c; on
 * PostgreSQL each node's copy reads a note's rows so: store_finder.c),
 * where each table's key led with the held object.
 */
#define STORE_MIGRATION_40_INDEXES                                           \
	"CREATE INDEX addresses_person ON addresses(holder_id)"               \
	" WHERE holder_kind = 'person';"                                      \
	"CREATE INDEX owners_person ON owners(person_id);"                    \
	"CREATE INDEX mailbox_members_person ON mailbox_members(person_id);"  \
	"CREATE INDEX list_members_mailbox ON list_members(member_id)"        \
	" WHERE member_kind = 'mailbox';"

#endif
