/*
 * The audit trail: appended, chained, searched, never changed. Triggers in
 * the schema refuse UPDATE and DELETE, so not even a bug here can rewrite
 * history; the keyed hash chain (SECURITY.md 49) shows when someone with
 * the database file but not the key did it anyway. Layer: store.
 */
#include <gnutls/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "store/store_internal.h"

/*
 * The encoding the hash is made over, version 1: the tag, then every column
 * in this order, each as one type byte and its value: 'I' and 8 bytes
 * big-endian for an integer, 'T', an 8-byte big-endian length and the
 * bytes for text, 'N' alone for NULL; then prev_hash as text. Every field
 * says its own length, so no two rows encode alike (a summary that ends
 * with what looks like the next field cannot shift the boundaries). A new
 * audit column needs a new tag and a way to tell which rows use it.
 */
#define AUDIT_MAC_TAG "caremail audit v1"

enum {
	AUDIT_TEXT_ACTOR,
	AUDIT_TEXT_ACTION,
	AUDIT_TEXT_OBJECT_TYPE,
	AUDIT_TEXT_SUMMARY,
	AUDIT_TEXT_CLIENT,
	AUDIT_TEXT_REQUEST_ID,
	AUDIT_TEXT_RESULT,
	AUDIT_TEXT_COUNT
};

/* A row's columns exactly as stored: bytes, not C strings, and NULLs. */
struct audit_raw {
	int64_t id;
	int64_t at;
	int64_t object_id;
	int64_t org_id;
	bool org_id_null;
	struct span text[AUDIT_TEXT_COUNT];
	bool text_null[AUDIT_TEXT_COUNT];
};

static const unsigned char audit_genesis[STORE_AUDIT_HASH_BYTES];

/*
 * The keyed hash, by GnuTLS (ARCHITECTURE.md: HMAC), whose SHA-256 uses the
 * CPU's SHA instructions where there are some: checking a million rows
 * took 3.5 s of CPU with libsodium's portable SHA-256, 1.5 s with this.
 * gnutls_hmac_output resets the state to just after the key, so one
 * handle serves every row of a check.
 */
static int
mac_open(gnutls_hmac_hd_t *h_r, const unsigned char *key, struct error *err)
{
	if (gnutls_hmac_init(h_r, GNUTLS_MAC_SHA256, key,
		    STORE_AUDIT_KEY_BYTES) < 0)
		return error_set(err, ERROR_INTERNAL,
			"the audit chain's HMAC-SHA-256 cannot be set up");
	return 0;
}

static void
mac_int(gnutls_hmac_hd_t h, int64_t v)
{
	unsigned char b[9] = { 'I' };
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(u >> (56 - 8 * i));
	gnutls_hmac(h, b, sizeof(b));
}

static void
mac_bytes(gnutls_hmac_hd_t h, const void *p, size_t len, bool null)
{
	if (null) {
		gnutls_hmac(h, "N", 1);
		return;
	}
	unsigned char b[9] = { 'T' };
	uint64_t u = len;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(u >> (56 - 8 * i));
	gnutls_hmac(h, b, sizeof(b));
	if (len > 0)
		gnutls_hmac(h, p, len);
}

/* HMAC-SHA-256 of the row's encoding into out; h is ready for the next. */
static void
audit_mac(gnutls_hmac_hd_t h, const struct audit_raw *r,
	const unsigned char *prev, unsigned char *out)
{
	mac_bytes(h, AUDIT_MAC_TAG, strlen(AUDIT_MAC_TAG), false);
	mac_int(h, r->id);
	mac_int(h, r->at);
	for (int i = AUDIT_TEXT_ACTOR; i <= AUDIT_TEXT_OBJECT_TYPE; i++)
		mac_bytes(h, r->text[i].p, r->text[i].len, r->text_null[i]);
	mac_int(h, r->object_id);
	if (r->org_id_null)
		mac_bytes(h, NULL, 0, true);
	else
		mac_int(h, r->org_id);
	for (int i = AUDIT_TEXT_SUMMARY; i < AUDIT_TEXT_COUNT; i++)
		mac_bytes(h, r->text[i].p, r->text[i].len, r->text_null[i]);
	mac_bytes(h, prev, STORE_AUDIT_HASH_BYTES, false);
	gnutls_hmac_output(h, out);
}

/* The row as store_audit_append writes it: org 0 is NULL, text defaults. */
static void
audit_raw_from_row(const struct store_audit *row, struct audit_raw *r)
{
	const char *text[AUDIT_TEXT_COUNT] = {
		[AUDIT_TEXT_ACTOR] = row->actor,
		[AUDIT_TEXT_ACTION] = row->action,
		[AUDIT_TEXT_OBJECT_TYPE] = row->object_type,
		[AUDIT_TEXT_SUMMARY] = row->summary,
		[AUDIT_TEXT_CLIENT] = row->client != NULL ? row->client : "",
		[AUDIT_TEXT_REQUEST_ID] =
			row->request_id != NULL ? row->request_id : "",
		[AUDIT_TEXT_RESULT] =
			row->result != NULL ? row->result : "done",
	};
	*r = (struct audit_raw){
		.id = row->id,
		.at = row->at,
		.object_id = row->object_id,
		.org_id = row->org_id,
		.org_id_null = row->org_id == 0,
	};
	for (int i = 0; i < AUDIT_TEXT_COUNT; i++) {
		r->text_null[i] = text[i] == NULL;
		r->text[i] = span_from_cstr(text[i] != NULL ? text[i] : "");
	}
}

/* The newest row's id and hash; id 0 and the genesis when there is none. */
static int
audit_newest(struct store *st, struct store_audit_mark *m, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", "");
	if (s == NULL)
		return -1;
	int rc = store_step(st, s, err);
	memcpy(m->hash, audit_genesis, sizeof(m->hash));
	m->id = 0;
	if (rc == 1) {
		size_t len;
		const void *hash = store_col_blob(st, s, 1, &len);
		m->id = store_col_int(st, s, 0);
		/*
		 * A newest row without a hash is damage verify reports; the
		 * chain goes on from the genesis rather than refusing every
		 * audited action until someone repairs it.
		 */
		if (hash != NULL && len == sizeof(m->hash))
			memcpy(m->hash, hash, len);
	}
	store_finish(st, s);
	return rc < 0 ? -1 : 0;
}

int
store_audit_append(struct store *st, struct store_audit *row,
	const unsigned char *key, struct error *err)
{
	if (key == NULL)
		return error_set(err, ERROR_INTERNAL,
			"the audit key is not loaded, so nothing audited can "
			"be changed");
	/*
	 * store_begin takes the write lock (BEGIN IMMEDIATE, or a savepoint
	 * inside a transaction that already holds it), so between reading
	 * the newest row and inserting after it no other connection can
	 * append: SQLite has one writer at a time. A PostgreSQL backend must
	 * take a lock for the same span, pg_advisory_xact_lock on a constant
	 * for the audit chain, before audit_newest; under READ COMMITTED two
	 * transactions would otherwise both read the same newest row and
	 * fork the chain (the second insert of the same id would fail, but
	 * only by luck of the primary key).
	 */
	if (store_begin(st, err) < 0)
		return -1;
	struct store_audit_mark prev;
	if (st->audit_mark_valid) {
		prev = st->audit_mark;
	} else if (audit_newest(st, &prev, err) < 0) {
		store_rollback(st);
		return -1;
	}
	row->id = prev.id + 1;
	struct audit_raw raw;
	audit_raw_from_row(row, &raw);
	unsigned char hash[STORE_AUDIT_HASH_BYTES];
	gnutls_hmac_hd_t h;
	if (mac_open(&h, key, err) < 0) {
		store_rollback(st);
		return -1;
	}
	audit_mac(h, &raw, prev.hash, hash);
	gnutls_hmac_deinit(h, NULL);
	int64_t n = store_exec(st, err,
		"INSERT INTO audit (id, at, actor, action, object_type,"
		" object_id, org_id, summary, client, request_id, result,"
		" prev_hash, hash)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"iittti" "zt" "ttt" "bb", row->id, row->at, row->actor,
		row->action, row->object_type, row->object_id, row->org_id,
		row->summary, raw.text[AUDIT_TEXT_CLIENT].p,
		raw.text[AUDIT_TEXT_REQUEST_ID].p,
		raw.text[AUDIT_TEXT_RESULT].p,
		(const void *)prev.hash, sizeof(prev.hash), (const void *)hash,
		sizeof(hash));
	if (n < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st, err) < 0)
		return -1;
	/* Kept only inside a transaction that goes on holding the lock. */
	st->audit_mark_valid = st->depth > 0;
	st->audit_mark.id = row->id;
	memcpy(st->audit_mark.hash, hash, sizeof(hash));
	return 0;
}

/*
 * Every column as stored, for the chain. The last column has a bit for
 * each NULL, so a NULL put where the schema allows none is seen, not
 * read as "".
 */
#define AUDIT_RAW_COLUMNS                                                  \
	"id, at, actor, action, object_type, object_id, COALESCE(org_id, 0),\
	summary, client, request_id, result, prev_hash, hash,              \
	(CASE WHEN org_id IS NULL THEN 1 ELSE 0 END)                        \
	+ (CASE WHEN actor IS NULL THEN 2 ELSE 0 END)                       \
	+ (CASE WHEN action IS NULL THEN 4 ELSE 0 END)                      \
	+ (CASE WHEN object_type IS NULL THEN 8 ELSE 0 END)                 \
	+ (CASE WHEN summary IS NULL THEN 16 ELSE 0 END)                    \
	+ (CASE WHEN client IS NULL THEN 32 ELSE 0 END)                     \
	+ (CASE WHEN request_id IS NULL THEN 64 ELSE 0 END)                 \
	+ (CASE WHEN result IS NULL THEN 128 ELSE 0 END)"

/* Valid until the next step: the text points into the statement. */
static void
audit_raw_read(struct store *st, struct store_stmt *s, struct audit_raw *r,
	const unsigned char **prev_r, const unsigned char **hash_r)
{
	static const int columns[AUDIT_TEXT_COUNT] = { 2, 3, 4, 7, 8, 9, 10 };
	static const int null_bits[AUDIT_TEXT_COUNT] = { 2, 4, 8, 16, 32, 64,
		128 };
	int64_t nulls = store_col_int(st, s, 13);
	r->id = store_col_int(st, s, 0);
	r->at = store_col_int(st, s, 1);
	r->object_id = store_col_int(st, s, 5);
	r->org_id = store_col_int(st, s, 6);
	r->org_id_null = (nulls & 1) != 0;
	for (int i = 0; i < AUDIT_TEXT_COUNT; i++) {
		size_t len;
		const char *p = store_col_blob(st, s, columns[i], &len);
		r->text[i] = (struct span){ p != NULL ? p : "", len };
		r->text_null[i] = (nulls & null_bits[i]) != 0;
	}
	size_t len;
	const unsigned char *prev = store_col_blob(st, s, 11, &len);
	*prev_r = prev != NULL && len == STORE_AUDIT_HASH_BYTES ? prev : NULL;
	const unsigned char *hash = store_col_blob(st, s, 12, &len);
	*hash_r = hash != NULL && len == STORE_AUDIT_HASH_BYTES ? hash : NULL;
}

/* Plain memcmp: the hashes are no secret, and this runs a million times. */
static bool
hash_equal(const unsigned char *a, const unsigned char *b)
{
	return a != NULL && b != NULL &&
	    memcmp(a, b, STORE_AUDIT_HASH_BYTES) == 0;
}

/* Records a broken row; the first one found (the lowest id) is named. */
static void
check_broken(struct store_audit_check *r, int64_t id, int64_t at,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
check_broken(struct store_audit_check *r, int64_t id, int64_t at,
	const char *fmt, ...)
{
	r->broken_count++;
	if (r->broken_id != 0)
		return;
	r->broken_id = id;
	r->broken_at = at;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* Where the walk through the chain has got to. */
struct chain_walk {
	gnutls_hmac_hd_t mac;
	const struct store_audit_mark *from;
	const struct store_audit_mark *anchor;
	struct store_audit_check *r;
	int64_t prev_id;	/* the row before, 0 at the start */
	unsigned char expected[STORE_AUDIT_HASH_BYTES];	/* its hash */
};

/* Rows remembered from earlier checks that the walk has stepped over. */
static void
walk_missing(struct chain_walk *w, const struct audit_raw *raw, bool first)
{
	const struct store_audit_mark *from = w->from, *anchor = w->anchor;
	if (first && from != NULL && raw->id != from->id)
		check_broken(w->r, from->id, 0, "row %lld, where the last "
			"check ended, is missing", (long long)from->id);
	if (anchor != NULL && anchor->id > w->prev_id && anchor->id < raw->id &&
	    !(first && from != NULL && from->id == anchor->id))
		check_broken(w->r, anchor->id, 0, "row %lld, which an earlier "
			"check saw, is missing", (long long)anchor->id);
}

/* Checks one row and moves on; a row is counted broken at most once. */
static void
walk_row(struct chain_walk *w, const struct audit_raw *raw,
	const unsigned char *prev, const unsigned char *hash)
{
	struct store_audit_check *r = w->r;
	long long id = (long long)raw->id;
	bool first = r->rows == 0;
	r->rows++;
	walk_missing(w, raw, first);
	unsigned char computed[STORE_AUDIT_HASH_BYTES];
	if (prev != NULL)
		audit_mac(w->mac, raw, prev, computed);
	const struct store_audit_mark *seen =
		first && w->from != NULL ? w->from : w->anchor;
	if (hash == NULL || prev == NULL)
		check_broken(r, raw->id, raw->at, "row %lld has no hash", id);
	else if (!hash_equal(computed, hash))
		check_broken(r, raw->id, raw->at,
			"row %lld's hash does not match its contents", id);
	else if (seen != NULL && seen->id == raw->id &&
		 !hash_equal(hash, seen->hash))
		check_broken(r, raw->id, raw->at, "row %lld is not the row an "
			"earlier check saw: rows were removed from the end and "
			"others written after", id);
	else if (first && w->from != NULL)
		;	/* where an earlier check ended: it checked the link */
	else if (!hash_equal(prev, w->expected) && w->prev_id == 0)
		check_broken(r, raw->id, raw->at,
			"row %lld does not follow the start of the chain", id);
	else if (!hash_equal(prev, w->expected))
		check_broken(r, raw->id, raw->at,
			"row %lld does not follow row %lld", id,
			(long long)w->prev_id);
	/* Past a break, go on from the row as it is, to count the rest. */
	if (hash != NULL)
		memcpy(w->expected, hash, sizeof(w->expected));
	else
		memset(w->expected, 0xff, sizeof(w->expected));
	w->prev_id = raw->id;
	r->last.id = raw->id;
	memcpy(r->last.hash, w->expected, sizeof(r->last.hash));
}

int
store_audit_verify(struct store *st, const unsigned char *key,
	const struct store_audit_mark *from,
	const struct store_audit_mark *anchor, struct store_audit_check *r,
	struct error *err)
{
	memset(r, 0, sizeof(*r));
	if (from != NULL && from->id == 0)
		from = NULL;
	if (anchor != NULL && anchor->id == 0)
		anchor = NULL;
	struct chain_walk w = { .from = from, .anchor = anchor, .r = r };
	memcpy(w.expected, audit_genesis, sizeof(w.expected));
	if (mac_open(&w.mac, key, err) < 0)
		return -1;
	struct store_stmt *s = store_query(st, err,
		"SELECT " AUDIT_RAW_COLUMNS " FROM audit WHERE id >= ?"
		" ORDER BY id", "i", from != NULL ? from->id : (int64_t)0);
	if (s == NULL) {
		gnutls_hmac_deinit(w.mac, NULL);
		return -1;
	}
	int rc;
	while ((rc = store_step(st, s, err)) == 1) {
		struct audit_raw raw;
		const unsigned char *prev, *hash;
		audit_raw_read(st, s, &raw, &prev, &hash);
		walk_row(&w, &raw, prev, hash);
	}
	store_finish(st, s);
	gnutls_hmac_deinit(w.mac, NULL);
	if (rc < 0)
		return -1;
	/* Cut at the end: the newest row remembered is no longer there. */
	int64_t remembered = from != NULL ? from->id : 0;
	if (anchor != NULL && anchor->id > remembered)
		remembered = anchor->id;
	if (r->rows == 0 && from != NULL)
		check_broken(r, from->id, 0, "row %lld, where the last check "
			"ended, is missing: rows have been removed from the "
			"end", (long long)from->id);
	else if (remembered > r->last.id)
		check_broken(r, remembered, 0, "the chain ends at row %lld, "
			"but an earlier check saw row %lld: rows have been "
			"removed from the end", (long long)r->last.id,
			(long long)remembered);
	return 0;
}

#define SEAL_BATCH 512

struct seal_row {
	int64_t id;
	unsigned char prev[STORE_AUDIT_HASH_BYTES];
	unsigned char hash[STORE_AUDIT_HASH_BYTES];
};

/* Up to SEAL_BATCH unchained rows after `after`, hashed; prev moves on. */
static int
seal_read(struct store *st, gnutls_hmac_hd_t mac,
	int64_t after,
	int64_t first_chained, struct seal_row *batch, size_t *n_r,
	unsigned char *prev, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT " AUDIT_RAW_COLUMNS " FROM audit"
		" WHERE id > ? AND (? = 0 OR id < ?) ORDER BY id LIMIT ?",
		"iiii", after, first_chained, first_chained,
		(int64_t)SEAL_BATCH);
	if (s == NULL)
		return -1;
	size_t n = 0;
	int rc;
	while ((rc = store_step(st, s, err)) == 1) {
		struct audit_raw raw;
		const unsigned char *old_prev, *old_hash;
		audit_raw_read(st, s, &raw, &old_prev, &old_hash);
		struct seal_row *row = &batch[n++];
		row->id = raw.id;
		memcpy(row->prev, prev, STORE_AUDIT_HASH_BYTES);
		audit_mac(mac, &raw, prev, row->hash);
		memcpy(prev, row->hash, STORE_AUDIT_HASH_BYTES);
	}
	store_finish(st, s);
	*n_r = n;
	return rc < 0 ? -1 : 0;
}

int
store_audit_seal(struct store *st, const unsigned char *key,
	int64_t *sealed_r, struct error *err)
{
	*sealed_r = 0;
	if (store_begin(st, err) < 0)
		return -1;
	/* Sealing may rewrite the hash an append would chain from. */
	st->audit_mark_valid = false;
	/* Rows before the first chained one are the ones from before. */
	struct store_stmt *s = store_query(st, err,
		"SELECT COALESCE(MIN(id), 0) FROM audit WHERE hash IS NOT NULL",
		"");
	int rc = s != NULL ? store_step(st, s, err) : -1;
	int64_t first_chained = rc == 1 ? store_col_int(st, s, 0) : 0;
	if (s != NULL)
		store_finish(st, s);
	rc = rc == 1 ? 0 : -1;
	struct seal_row *batch = xcalloc(SEAL_BATCH, sizeof(*batch));
	unsigned char prev[STORE_AUDIT_HASH_BYTES];
	memcpy(prev, audit_genesis, sizeof(prev));
	int64_t after = 0;
	size_t n = SEAL_BATCH;
	gnutls_hmac_hd_t mac = NULL;
	if (rc == 0)
		rc = mac_open(&mac, key, err);
	while (rc == 0 && n == SEAL_BATCH) {
		rc = seal_read(st, mac, after, first_chained, batch, &n, prev,
			err);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			int64_t changed = store_exec(st, err,
				"UPDATE audit SET prev_hash = ?, hash = ?"
				" WHERE id = ? AND hash IS NULL", "bbi",
				(const void *)batch[i].prev,
				sizeof(batch[i].prev),
				(const void *)batch[i].hash,
				sizeof(batch[i].hash), batch[i].id);
			if (changed < 0)
				rc = -1;
			else if (changed != 1)
				rc = error_set(err, ERROR_INTERNAL,
					"audit row %lld could not be chained",
					(long long)batch[i].id);
		}
		if (rc == 0 && n > 0)
			after = batch[n - 1].id;
		*sealed_r += (int64_t)n;
	}
	if (mac != NULL)
		gnutls_hmac_deinit(mac, NULL);
	free(batch);
	if (rc < 0) {
		store_rollback(st);
		*sealed_r = 0;
		return -1;
	}
	return store_commit(st, err);
}

static void
audit_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_audit *r = out;
	r->id = store_col_int(st, s, 0);
	r->at = store_col_int(st, s, 1);
	r->actor = store_col_text(st, s, 2, a);
	r->action = store_col_text(st, s, 3, a);
	r->object_type = store_col_text(st, s, 4, a);
	r->object_id = store_col_int(st, s, 5);
	r->org_id = store_col_int(st, s, 6);
	r->summary = store_col_text(st, s, 7, a);
	r->client = store_col_text(st, s, 8, a);
	r->request_id = store_col_text(st, s, 9, a);
	r->result = store_col_text(st, s, 10, a);
}

int
store_audit_list(struct store *st, const struct store_audit_filter *f,
	struct arena *a, struct store_audit **rows_r, size_t *count_r,
	struct error *err)
{
	/* No limit is the largest, as LIMIT -1 is SQLite's alone. */
	int64_t limit = f->limit != 0 ? (int64_t)f->limit : INT64_MAX;
	struct store_stmt *s = store_query(st, err,
		"SELECT id, at, actor, action, object_type, object_id,"
		" COALESCE(org_id, 0), summary, client, request_id, result"
		" FROM audit"
		" WHERE (? IS NULL OR object_type = ?)"
		" AND (? IS NULL OR action = ?)"
		" AND (? IS NULL OR actor = ?)"
		" AND (? = 0 OR org_id = ?)"
		" AND (? = 0 OR at >= ?) AND (? = 0 OR at <= ?)"
		" AND (? = 0 OR id < ?)"
		" ORDER BY id DESC LIMIT ?",
		"ttttttiiiiiiiii", f->object_type, f->object_type, f->action,
		f->action, f->actor, f->actor, f->org_id, f->org_id, f->since,
		f->since, f->until, f->until, f->before_id, f->before_id, limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), audit_read,
		(void **)rows_r, count_r, err);
}

int
store_audit_search(struct store *st, const struct store_audit_filter *f,
	const int64_t *org_ids, size_t org_count, struct arena *a,
	struct store_audit **rows_r, size_t *count_r, struct error *err)
{
	/* No limit is the largest, as LIMIT -1 is SQLite's alone. */
	int64_t limit = f->limit != 0 ? (int64_t)f->limit : INT64_MAX;
	struct store_stmt *s = store_query(st, err,
		"SELECT id, at, actor, action, object_type, object_id,"
		" COALESCE(org_id, 0), summary, client, request_id, result"
		" FROM audit"
		" WHERE (? IS NULL OR object_type = ?)"
		" AND (? IS NULL OR action = ?)"
		" AND (? IS NULL OR actor = ?)"
		" AND (? = 0 OR org_id = ?)"
		" AND (? = 0 OR org_id IN " STORE_ID_SET ")"
		" AND (? = 0 OR at >= ?) AND (? = 0 OR at <= ?)"
		" AND (? = 0 OR id < ?)"
		" ORDER BY id DESC LIMIT ?",
		"ttttttiiiIiiiiiii", f->object_type, f->object_type, f->action,
		f->action, f->actor, f->actor, f->org_id, f->org_id,
		(int64_t)(org_ids != NULL), org_ids, org_count,
		f->since, f->since, f->until, f->until, f->before_id,
		f->before_id, limit);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), audit_read,
		(void **)rows_r, count_r, err);
}
