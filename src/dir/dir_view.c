/*
 * Record reads for the renderer: each joins what a record shows in SQL
 * (store_view.c) or reads it for a whole page with one id set, so the
 * statements a page costs do not grow with the page. Layer: domain.
 */
#include <stddef.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_address.h"
#include "dir/dir_internal.h"
#include "dir/dir_view.h"
#include "store/store_person.h"
#include "store/store_view.h"

static void
record_from(const struct dir_ctx *ctx, const struct store_person_view *v,
	struct dir_person_record *r)
{
	memset(r, 0, sizeof(*r));
	r->view = *v;
	r->restorable_until = dir_person_restorable_until(ctx, &v->person);
}

int
dir_person_page(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t org_count, bool include_deleted, int64_t after_id, size_t limit,
	struct dir_person_record **records_r, size_t *count_r,
	struct error *err)
{
	struct store_person_filter f = {
		.org_ids = org_ids,
		.org_count = org_count,
		.include_deleted = include_deleted,
		.after_id = after_id,
		.limit = limit,
	};
	struct store_person_view *views;
	size_t n;
	if (store_person_view_list(ctx->store, &f, ctx->arena, &views, &n,
		    err) < 0)
		return -1;
	struct dir_person_record *out = arena_alloc(ctx->arena,
		(n + 1) * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "too many people to show");
	for (size_t i = 0; i < n; i++)
		record_from(ctx, &views[i], &out[i]);
	*records_r = out;
	*count_r = n;
	return 0;
}

/* A full record from one read of it (store_person_record_get). */
static int
record_whole(const struct dir_ctx *ctx, int64_t person_id,
	const char *address, struct dir_person_record *r, struct error *err)
{
	struct store_person_record w;
	if (store_person_record_get(ctx->store, person_id, address,
		    ctx->arena, &w, err) < 0)
		return -1;
	record_from(ctx, &w.view, r);
	r->full = true;
	r->roles = w.tags;
	r->role_count = w.tag_count;
	r->holdings = arena_alloc(ctx->arena,
		(w.holding_count + 1) * sizeof(*r->holdings));
	if (r->holdings == NULL)
		return error_set(err, ERROR_LIMIT, "too many holdings to show");
	for (size_t i = 0; i < w.holding_count; i++) {
		const struct store_holding *h = &w.holdings[i];
		r->holdings[i] = (struct dir_holding){ h->relation,
			h->object_kind, h->address, h->org_ods };
	}
	r->holding_count = w.holding_count;
	return 0;
}

int
dir_person_record_get(const struct dir_ctx *ctx, int64_t person_id,
	bool full, struct dir_person_record *r, struct error *err)
{
	if (full)
		return record_whole(ctx, person_id, NULL, r, err);
	struct store_person_view v;
	if (store_person_view_get(ctx->store, person_id, ctx->arena, &v,
		    err) < 0)
		return -1;
	record_from(ctx, &v, r);
	return 0;
}

int
dir_person_record_find(const struct dir_ctx *ctx, const char *address,
	struct dir_person_record *r, struct error *err)
{
	/*
	 * One statement (bench B9: each is a round trip on PostgreSQL); the
	 * registry is asked apart only when that finds no person, to say
	 * what holds the address, if anything.
	 */
	struct error inner;
	struct dir_address addr;
	if (dir_address_parse(span_from_cstr(address != NULL ? address : ""),
		    &addr, err) < 0)
		return -1;
	if (record_whole(ctx, 0, addr.text, r, &inner) == 0)
		return 0;
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	return dir_not_a_person(ctx, address, err);
}

int
dir_role_tags(const struct dir_ctx *ctx, const int64_t *person_ids,
	size_t count, struct store_role_tag **tags_r, size_t *count_r,
	struct error *err)
{
	return store_role_tags(ctx->store, person_ids, count, ctx->arena,
		tags_r, count_r, err);
}

/* The ODS code of id among refs (sorted by id), or "". */
static const char *
ref_ods(const struct store_org_ref *refs, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (refs[mid].id == id)
			return refs[mid].ods;
		if (refs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "";
}

int
dir_org_ods_each(const struct dir_ctx *ctx, const int64_t *org_ids,
	size_t n, const char ***ods_r, struct error *err)
{
	struct store_org_ref *refs;
	size_t nrefs;
	const char **out = arena_alloc(ctx->arena, (n + 1) * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "too many records to show");
	if (store_org_refs(ctx->store, org_ids, n, ctx->arena, &refs, &nrefs,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = ref_ods(refs, nrefs, org_ids[i]);
	*ods_r = out;
	return 0;
}

/*
 * The ODS codes of n rows of `size` bytes, each with its int64_t org_id
 * `offset` bytes in: what the three typed page functions below share.
 */
static int
rows_ods(const struct dir_ctx *ctx, const void *rows, size_t n, size_t size,
	size_t offset, const char ***ods_r, struct error *err)
{
	int64_t *ids = arena_alloc(ctx->arena, (n + 1) * sizeof(*ids));
	if (ids == NULL)
		return error_set(err, ERROR_LIMIT, "too many records to show");
	const unsigned char *row = rows;
	for (size_t i = 0; i < n; i++, row += size)
		memcpy(&ids[i], row + offset, sizeof(ids[i]));
	return dir_org_ods_each(ctx, ids, n, ods_r, err);
}

int
dir_mailbox_page_ods(const struct dir_ctx *ctx,
	const struct store_mailbox *m, size_t n, const char ***ods_r,
	struct error *err)
{
	return rows_ods(ctx, m, n, sizeof(*m),
		offsetof(struct store_mailbox, org_id), ods_r, err);
}

int
dir_list_page_ods(const struct dir_ctx *ctx, const struct store_list *l,
	size_t n, const char ***ods_r, struct error *err)
{
	return rows_ods(ctx, l, n, sizeof(*l), offsetof(struct store_list, org_id),
		ods_r, err);
}

int
dir_contact_page_ods(const struct dir_ctx *ctx,
	const struct store_contact *c, size_t n, const char ***ods_r,
	struct error *err)
{
	return rows_ods(ctx, c, n, sizeof(*c),
		offsetof(struct store_contact, org_id), ods_r, err);
}

int
dir_org_records(const struct dir_ctx *ctx, const struct store_org *orgs,
	size_t n, struct dir_org_record **records_r, struct error *err)
{
	struct dir_org_record *out = arena_alloc(ctx->arena,
		(n + 1) * sizeof(*out));
	int64_t *ids = arena_alloc(ctx->arena, (n + 1) * sizeof(*ids));
	int64_t *parents = arena_alloc(ctx->arena, (n + 1) * sizeof(*parents));
	if (out == NULL || ids == NULL || parents == NULL)
		return error_set(err, ERROR_LIMIT, "too many orgs to show");
	for (size_t i = 0; i < n; i++) {
		ids[i] = orgs[i].id;
		parents[i] = orgs[i].parent_id;
	}
	const char **parent_ods;
	struct store_role_holder *holders;
	size_t nholders;
	if (dir_org_ods_each(ctx, parents, n, &parent_ods, err) < 0 ||
	    store_role_holders(ctx->store, ids, n, "primary_local_admin",
		    ctx->arena, &holders, &nholders, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		out[i] = (struct dir_org_record){ .org = orgs[i],
			.parent_ods = parent_ods[i] };
		/* Holders come in org order: each org's are one run. */
		size_t first = 0;
		while (first < nholders && holders[first].org_id != orgs[i].id)
			first++;
		size_t last = first;
		while (last < nholders && holders[last].org_id == orgs[i].id)
			last++;
		out[i].primary_admins = arena_alloc(ctx->arena,
			(last - first + 1) * sizeof(*out[i].primary_admins));
		if (out[i].primary_admins == NULL)
			return error_set(err, ERROR_LIMIT,
				"too many orgs to show");
		for (size_t k = first; k < last; k++)
			out[i].primary_admins[k - first] = holders[k].address;
		out[i].primary_admin_count = last - first;
	}
	*records_r = out;
	return 0;
}

int
dir_mailbox_record_get(const struct dir_ctx *ctx,
	const struct store_mailbox *m, struct dir_mailbox_record *r,
	struct error *err)
{
	*r = (struct dir_mailbox_record){ .mailbox = *m,
		.org_ods = dir_org_ods(ctx, m->org_id) };
	if (dir_owner_list(ctx, m->address, &r->owners, &r->owner_count,
		    err) < 0 ||
	    dir_mailbox_member_list(ctx, m->address, &r->members,
		    &r->member_count, err) < 0)
		return -1;
	if (m->kind == STORE_MAILBOX_SHARED &&
	    dir_shared_status(ctx, m->id, &r->last_used_at, &r->delete_at,
		    err) < 0)
		return -1;
	return dir_grant_list(ctx, m->address, &r->grants, &r->grant_count,
		err);
}

int
dir_list_record_get(const struct dir_ctx *ctx, const char *address,
	struct dir_list_record *r, struct error *err)
{
	*r = (struct dir_list_record){ 0 };
	if (dir_list_get(ctx, address, &r->list, err) < 0 ||
	    dir_owner_list(ctx, r->list.address, &r->owners, &r->owner_count,
		    err) < 0 ||
	    dir_list_review(ctx, r->list.address, &r->review, err) < 0)
		return -1;
	r->org_ods = dir_org_ods(ctx, r->list.org_id);
	r->owners_max = config_get_int(ctx->config, "dir.list_max_owners");
	if (r->list.kind != STORE_LIST_STATIC)
		return 0;
	return dir_list_members(ctx, r->list.address, &r->members,
		&r->member_count, err);
}
