/*
 * Application servers registered for relay (SPEC M3): an org's address
 * blocks. Layer: store.
 */
#include "store/store_relay.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define RELAY_COLUMNS "id, org_id, cidr, label, created_at, created_by"

static void
relay_read(struct store *st, struct store_stmt *s, struct arena *a, void *out)
{
	struct store_relay_host *r = out;
	r->id = store_col_int(st, s, 0);
	r->org_id = store_col_int(st, s, 1);
	r->cidr = store_col_text(st, s, 2, a);
	r->label = store_col_text(st, s, 3, a);
	r->created_at = store_col_int(st, s, 4);
	r->created_by = store_col_text(st, s, 5, a);
}

int
store_relay_insert(struct store *st, struct store_relay_host *r,
	struct error *err)
{
	int64_t id = store_insert_id(st, err,
		"INSERT INTO relay_hosts (org_id, cidr, label, created_at,"
		" created_by) VALUES (?, ?, ?, ?, ?) RETURNING id", "ittit",
		r->org_id, r->cidr, r->label, r->created_at, r->created_by);
	if (id < 0)
		return -1;
	r->id = id;
	return 0;
}

int
store_relay_get(struct store *st, int64_t id, struct arena *a,
	struct store_relay_host *r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " RELAY_COLUMNS " FROM relay_hosts WHERE id = ?", "i",
		id);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, relay_read, r,
		"such application server", err);
}

int
store_relay_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_relay_host **list_r, size_t *count_r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " RELAY_COLUMNS " FROM relay_hosts"
		" WHERE ? = 0 OR org_id = ? ORDER BY id", "ii", org_id, org_id);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**list_r), relay_read,
		(void **)list_r, count_r, err);
}

int
store_relay_delete(struct store *st, int64_t id, struct error *err)
{
	int64_t n = store_exec(st, err,
		"DELETE FROM relay_hosts WHERE id = ?", "i", id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : error_set(err, ERROR_NOT_FOUND,
		"there is no application server registration %lld",
		(long long)id);
}
