/*
 * `caremail blobs check` and `caremail blobs move` (mail_bodies.h,
 * docs/blobs.md): a page of bodies at a time, each read through the same
 * path IMAP and POP3 read it (store_body_get, which checks the bytes
 * against the hash), so a check passes exactly when every message can be
 * read. Layer: domain.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_bodies.h"
#include "store/store_blob.h"
#include "store/store_mail.h"

#define PAGE 200
/* A page's rows; each body is read into an arena of its own. */
#define PAGE_ARENA (1u << 20)
#define BODY_ARENA ((size_t)1 << 31)

static void
name_hash(char names[][65], int64_t count, const char *hash)
{
	if (count <= MAIL_BODIES_NAMED)
		snprintf(names[count - 1], 65, "%s", hash);
}

/* One body read back; a missing or damaged blob is counted, not fatal. */
static int
check_one(const struct dir_ctx *ctx, const struct store_body_row *row,
	struct arena *a, struct mail_bodies_report *r, struct error *err)
{
	const char *data;
	size_t size;
	struct error inner;
	arena_reset(a);
	if (store_body_get(ctx->store, row->id, a, &data, &size, &inner) == 0) {
		r->checked++;
		r->bytes += (int64_t)size;
		return 0;
	}
	if (inner.code == ERROR_NOT_FOUND)
		name_hash(r->missing_hashes, ++r->missing, row->hash);
	else if (inner.code == ERROR_INTERNAL)
		name_hash(r->damaged_hashes, ++r->damaged, row->hash);
	else {
		error_forward(err, &inner);
		return -1;
	}
	return 0;
}

int
mail_bodies_check(const struct dir_ctx *ctx, struct mail_bodies_report *r,
	struct error *err)
{
	memset(r, 0, sizeof(*r));
	r->backend = store_blobs_name(store_blobs_current());
	struct arena *page = arena_new(PAGE_ARENA);
	struct arena *body = arena_new(BODY_ARENA);
	int64_t after = 0;
	int rc = 0;
	for (;;) {
		struct store_body_row *rows;
		size_t n = 0;
		arena_reset(page);
		rc = store_bodies_page(ctx->store, after, true, PAGE, page,
			&rows, &n, err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = check_one(ctx, &rows[i], body, r, err);
		if (rc < 0 || n < PAGE)
			break;
		after = rows[n - 1].id;
	}
	arena_free(&page);
	arena_free(&body);
	return rc;
}

/* One body out, in a transaction of its own. */
static int
move_one(const struct dir_ctx *ctx, const struct store_body_row *row,
	struct arena *a, struct mail_bodies_report *r, struct error *err)
{
	const char *data;
	size_t size;
	arena_reset(a);
	if (store_body_get(ctx->store, row->id, a, &data, &size, err) < 0)
		return -1;
	struct store_message_meta meta = { 0 };
	struct store_body b = { row->hash, data, size, 0, &meta };
	/* Written before the transaction, as a delivery's is. */
	if (store_body_stage(ctx->store, &b, err) < 0 ||
	    dir_begin(ctx, err) < 0)
		return -1;
	if (dir_finish(ctx, store_body_move_out(ctx->store, &b, row->id,
			    err), err) < 0)
		return -1;
	r->checked++;
	r->bytes += (int64_t)size;
	return 0;
}

int
mail_bodies_move(const struct dir_ctx *ctx, struct mail_bodies_report *r,
	struct error *err)
{
	memset(r, 0, sizeof(*r));
	r->backend = store_blobs_name(store_blobs_current());
	if (store_blobs_current() == NULL)
		return error_set(err, ERROR_INVALID, "this instance keeps"
			" bodies in the database: set [blobs] backend to"
			" directory or s3 first (docs/blobs.md)");
	struct arena *page = arena_new(PAGE_ARENA);
	struct arena *body = arena_new(BODY_ARENA);
	int rc = 0;
	for (;;) {
		struct store_body_row *rows;
		size_t n = 0;
		arena_reset(page);
		/* Moved rows leave the page's set: always from the start. */
		rc = store_bodies_page(ctx->store, 0, false, PAGE, page, &rows,
			&n, err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = move_one(ctx, &rows[i], body, r, err);
		if (rc < 0 || n < PAGE)
			break;
	}
	arena_free(&page);
	arena_free(&body);
	if (r->checked == 0)
		return rc;
	/* What was done is audited even when a later body failed. */
	struct error audit_err;
	json_t *summary = json_pack("{s:s,s:I,s:I,s:s}", "what",
		"message bodies moved out of the database", "bodies",
		(json_int_t)r->checked, "bytes", (json_int_t)r->bytes, "to",
		r->backend);
	if (dir_begin(ctx, &audit_err) < 0 ||
	    dir_finish(ctx, dir_audit(ctx, "other", "store", 0, 0, summary,
			    &audit_err), &audit_err) < 0) {
		if (rc == 0)
			error_forward(err, &audit_err);
		return -1;
	}
	return rc;
}
