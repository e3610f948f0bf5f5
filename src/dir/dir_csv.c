/*
 * The audit search and the devices report as CSV downloads (SPEC P9, P10):
 * every matching row, read from the store a page at a time and written
 * to a spool, so what the server holds in memory stays one page whatever
 * the count. The columns are the JSON's fields, in the same words.
 * Layer: domain. RFC 4180 (core/csv.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/spool.h"
#include "dir/dir_internal.h"
#include "store/store_audit.h"
#include "store/store_person.h"

/* Rows read from the store at a time. */
#define CSV_PAGE 500
/* Memory for one page of rows and for one record as text. */
#define CSV_PAGE_ARENA (16 * 1024 * 1024)
#define CSV_RECORD_MAX (4 * 1024 * 1024)
/* Orgs whose ODS code is kept, so a row costs no query for its org. */
#define CSV_ODS_CACHE 64

static const char *const audit_columns[] = {
	"id", "at", "actor", "action", "object_type", "object_id", "org",
	"result", "client", "request_id", "summary",
};
#define AUDIT_COLUMNS (sizeof(audit_columns) / sizeof(*audit_columns))

static const char *const device_columns[] = {
	"id", "address", "display_name", "org", "protocol", "client", "ip",
	"first_seen", "last_seen",
};
#define DEVICE_COLUMNS (sizeof(device_columns) / sizeof(*device_columns))

/* One download being written: where to, how far, and its scratch. */
struct csv_out {
	struct spool *spool;
	size_t rows, max_rows;
	struct dir_ctx page;	/* the caller's, with the page's arena */
	struct arena *record;	/* one record's text; reset per record */
	struct {
		int64_t org_id;
		char ods[32];
	} ods[CSV_ODS_CACHE];
};

static int
record(struct csv_out *o, const char *const *fields, size_t count,
	struct error *err)
{
	struct str line;
	arena_reset(o->record);
	str_init(&line, o->record, CSV_RECORD_MAX);
	if (csv_record(&line, fields, count) < 0)
		return error_set(err, ERROR_LIMIT, "a row is too large to "
			"download as CSV");
	if (spool_append(o->spool, line.p, line.len, err) == 0)
		return 0;
	if (err->code == ERROR_LIMIT)
		return error_set(err, ERROR_LIMIT, "the download would be "
			"too large; narrow the filters (a shorter date range, "
			"or one organisation)");
	return -1;
}

/* The next row, once the header is out; ERROR_LIMIT past max_rows. */
static int
row_allowed(struct csv_out *o, struct error *err)
{
	if (o->rows == o->max_rows)
		return error_set(err, ERROR_LIMIT, "more than %zu rows match; "
			"narrow the filters (a shorter date range, or one "
			"organisation) to download them", o->max_rows);
	o->rows++;
	return 0;
}

static const char *
org_ods(struct csv_out *o, int64_t org_id)
{
	if (org_id == 0)
		return "";
	size_t slot = (size_t)org_id % CSV_ODS_CACHE;
	if (o->ods[slot].org_id != org_id) {
		o->ods[slot].org_id = org_id;
		snprintf(o->ods[slot].ods, sizeof(o->ods[slot].ods), "%s",
			dir_org_ods(&o->page, org_id));
	}
	return o->ods[slot].ods;
}

static void
csv_begin(struct csv_out *o, const struct dir_ctx *ctx, struct spool *sp,
	size_t max_rows)
{
	memset(o, 0, sizeof(*o));
	o->spool = sp;
	o->max_rows = max_rows;
	o->page = *ctx;
	o->page.arena = arena_new(CSV_PAGE_ARENA);
	o->record = arena_new(CSV_RECORD_MAX + 4096);
}

static int
csv_end(struct csv_out *o, int rc, size_t *rows_r)
{
	arena_free(&o->page.arena);
	arena_free(&o->record);
	*rows_r = rc == 0 ? o->rows : 0;
	return rc;
}

static int
audit_row(struct csv_out *o, const struct store_audit *a, struct error *err)
{
	char id[24], at[32], object_id[24];
	snprintf(id, sizeof(id), "%lld", (long long)a->id);
	clock_format_iso(a->at, at, sizeof(at));
	snprintf(object_id, sizeof(object_id), "%lld",
		(long long)a->object_id);
	const char *fields[AUDIT_COLUMNS] = {
		id, at, a->actor, a->action, a->object_type, object_id,
		org_ods(o, a->org_id), a->result, a->client, a->request_id,
		a->summary,
	};
	return record(o, fields, AUDIT_COLUMNS, err);
}

static int
audit_rows(struct csv_out *o, const struct store_audit_filter *filter,
	const int64_t *org_ids, size_t org_count, struct error *err)
{
	struct store_audit_filter f = *filter;
	f.before_id = 0;
	f.limit = CSV_PAGE;
	if (record(o, audit_columns, AUDIT_COLUMNS, err) < 0)
		return -1;
	for (;;) {
		struct store_audit *rows;
		size_t count;
		arena_reset(o->page.arena);
		if (store_audit_search(o->page.store, &f, org_ids, org_count,
			    o->page.arena, &rows, &count, err) < 0)
			return -1;
		for (size_t i = 0; i < count; i++) {
			if (row_allowed(o, err) < 0 ||
			    audit_row(o, &rows[i], err) < 0)
				return -1;
		}
		if (count < CSV_PAGE)
			return 0;
		f.before_id = rows[count - 1].id;	/* newest first */
	}
}

int
dir_audit_csv(const struct dir_ctx *ctx, const struct store_audit_filter *f,
	const int64_t *org_ids, size_t org_count, size_t max_rows,
	struct spool *out, size_t *rows_r, struct error *err)
{
	*rows_r = 0;
	if (dir_audit_filter_check(f, err) < 0)
		return -1;
	struct csv_out o;
	csv_begin(&o, ctx, out, max_rows);
	return csv_end(&o, audit_rows(&o, f, org_ids, org_count, err),
		rows_r);
}

static int
device_row(struct csv_out *o, const struct store_device_row *r,
	struct error *err)
{
	char id[24], first[32] = "", last[32] = "";
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	if (r->device.first_seen != 0)
		clock_format_iso(r->device.first_seen, first, sizeof(first));
	if (r->device.last_seen != 0)
		clock_format_iso(r->device.last_seen, last, sizeof(last));
	const char *fields[DEVICE_COLUMNS] = {
		id, r->person_address, r->person_name, r->org_ods,
		r->device.protocol, r->device.client, r->device.address,
		first, last,
	};
	return record(o, fields, DEVICE_COLUMNS, err);
}

static int
device_rows(struct csv_out *o, const int64_t *org_ids, size_t org_count,
	struct error *err)
{
	int64_t after = 0;
	if (record(o, device_columns, DEVICE_COLUMNS, err) < 0)
		return -1;
	for (;;) {
		struct store_device_row *rows;
		size_t count;
		arena_reset(o->page.arena);
		if (store_device_report(o->page.store, org_ids, org_count,
			    after, CSV_PAGE, o->page.arena, &rows, &count,
			    err) < 0)
			return -1;
		for (size_t i = 0; i < count; i++) {
			if (row_allowed(o, err) < 0 ||
			    device_row(o, &rows[i], err) < 0)
				return -1;
		}
		if (count < CSV_PAGE)
			return 0;
		after = rows[count - 1].id;
	}
}

int
dir_device_report_csv(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, size_t max_rows, struct spool *out, size_t *rows_r,
	struct error *err)
{
	struct csv_out o;
	csv_begin(&o, ctx, out, max_rows);
	return csv_end(&o, device_rows(&o, org_ids, org_count, err), rows_r);
}
