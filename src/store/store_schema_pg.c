/*
 * PLACEHOLDER until the schema lands (h-pgschema): the PostgreSQL
 * migrations. Layer: store.
 */
#include <stddef.h>

const char *const store_pg_migrations[] = { NULL };
const char store_pg_session_tables[] = "SELECT 1";
