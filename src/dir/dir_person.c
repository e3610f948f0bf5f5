/*
 * People and their user mailboxes (SPEC D2, P3). A person is created active
 * with an address that is never reused; deleting them keeps the address
 * reserved and removes every admin role (seed 002 #14044). Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store_access.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"
#include "store/store_person.h"
#include "store/store_session.h"

#define NAME_MAX_LEN 100
#define SYNC_ID_MAX 128

int
dir_person_fields_check(const struct dir_person_fields *f, bool adding,
	struct error *err)
{
	if (dir_check_text("first_name", "the first name", f->first_name,
		    NAME_MAX_LEN, adding, err) < 0 ||
	    dir_check_text("last_name", "the last name", f->last_name,
		    NAME_MAX_LEN, adding, err) < 0 ||
	    dir_check_text("display_name", "the display name",
		    f->display_name, 2 * NAME_MAX_LEN + 1, false, err) < 0 ||
	    dir_check_text("job_title", "the job title", f->job_title, 200,
		    false, err) < 0 ||
	    dir_check_text("department", "the department", f->department, 200,
		    false, err) < 0 ||
	    dir_check_text("notes", "the notes", f->notes, 4000, false, err) < 0 ||
	    dir_check_text("sync_id", "the sync ID", f->sync_id, SYNC_ID_MAX,
		    false, err) < 0)
		return -1;
	if (!adding && ((f->first_name != NULL && f->first_name[0] == '\0') ||
			       (f->last_name != NULL && f->last_name[0] == '\0')))
		return error_set_field(err, ERROR_INVALID, "name",
			"a person's first and last names cannot be empty");
	if (dir_check_phone("phone", f->phone, err) < 0 ||
	    dir_check_phone("mobile", f->mobile, err) < 0)
		return -1;
	return 0;
}

static json_t *
person_summary(const struct store_person *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s,"
			 " s:b, s:s, s:s, s:s}",
		"address", p->address, "first_name", p->first_name,
		"last_name", p->last_name, "display_name", p->display_name,
		"org_id", (json_int_t)p->org_id, "site_id",
		(json_int_t)p->site_id, "job_title", p->job_title, "department",
		p->department, "phone", p->phone, "mobile", p->mobile,
		"mobile_hidden", p->mobile_hidden, "status",
		dir_person_status_name(p->status),
		"sync_id", p->sync_id != NULL ? p->sync_id : "",
		"protocols_off", p->protocols_off != NULL ? p->protocols_off : "");
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

int
dir_site_id_for(const struct dir_ctx *ctx, int64_t org_id, const char *name,
	int64_t *site_id_r, struct error *err)
{
	*site_id_r = 0;
	if (name == NULL || name[0] == '\0')
		return 0;
	struct store_site site;
	struct error inner;
	if (store_site_find(ctx->store, org_id, name, ctx->arena, &site,
		    &inner) < 0) {
		if (inner.code == ERROR_NOT_FOUND)
			return error_set_field(err, ERROR_NOT_FOUND, "site",
				"the organisation has no site called %s", name);
		return error_forward(err, &inner);
	}
	*site_id_r = site.id;
	return 0;
}

static int
check_sync_id_free(const struct dir_ctx *ctx, int64_t org_id,
	const char *sync_id, int64_t self_id, struct error *err)
{
	if (sync_id == NULL || sync_id[0] == '\0')
		return 0;
	struct store_person other;
	if (store_person_get_by_sync_id(ctx->store, org_id, sync_id, ctx->arena,
		    &other, NULL) == 0 && other.id != self_id)
		return error_set_field(err, ERROR_EXISTS, "sync_id",
			"the sync ID %s is already used in this organisation by "
			"%s", sync_id, other.address);
	return 0;
}

static char *
default_display_name(const struct dir_ctx *ctx, const char *first,
	const char *last)
{
	return arena_printf(ctx->arena, "%s %s", first, last);
}

static int
make_user_mailbox(const struct dir_ctx *ctx, const struct store_org *org,
	const struct dir_address *addr, const char *display_name,
	struct store_mailbox *m, struct error *err)
{
	*m = (struct store_mailbox){
		.kind = STORE_MAILBOX_USER,
		.org_id = org->id,
		.address = addr->text,
		.display_name = display_name,
		.quota_mb = org->default_quota_mb,
		.status = STORE_MAILBOX_ACTIVE,
		.created_at = ctx->now,
		.updated_at = ctx->now,
	};
	return dir_mailbox_insert(ctx, m, err);
}

/*
 * checked: the org and site an import's validation found in this same
 * transaction, so they are not looked up again (bench B6); NULL looks
 * them up and checks the sync ID. The sync ID's uniqueness in the org is
 * also the table's, so an insert never makes a second holder.
 */
static int
person_add_tx(const struct dir_ctx *ctx, const struct dir_person_fields *in,
	const struct dir_person_checked *checked, struct store_person *p,
	struct error *err)
{
	struct store_org org;
	int64_t site_id;
	if (dir_person_fields_check(in, true, err) < 0)
		return -1;
	if (checked != NULL) {
		org = *checked->org;
		site_id = checked->site_id;
	} else if (dir_org_by_ods(ctx, in->org_ods, &org, err) < 0 ||
		   check_sync_id_free(ctx, org.id, in->sync_id, 0, err) < 0 ||
		   dir_site_id_for(ctx, org.id, in->site, &site_id, err) < 0) {
		return -1;
	}
	char local[DIR_ADDRESS_LOCAL_MAX + 1];
	if (in->address == NULL &&
	    dir_address_local_from_names(in->first_name, in->last_name, local,
		    sizeof(local), err) < 0)
		return -1;
	struct dir_address addr;
	const char *protocols_off;
	if (dir_new_address(ctx, in->address, local, true, &addr,
		    err) < 0 ||
	    dir_protocols_parse(ctx, in->protocols_off, &protocols_off,
		    err) < 0)
		return -1;
	const char *display = in->display_name != NULL &&
			in->display_name[0] != '\0' ?
		in->display_name :
		default_display_name(ctx, in->first_name, in->last_name);
	struct store_mailbox mailbox;
	if (make_user_mailbox(ctx, &org, &addr, display, &mailbox, err) < 0)
		return -1;
	*p = (struct store_person){
		.org_id = org.id,
		.site_id = site_id,
		.mailbox_id = mailbox.id,
		.address = arena_strdup(ctx->arena, addr.text),
		.first_name = in->first_name,
		.last_name = in->last_name,
		.display_name = display,
		.job_title = or_empty(in->job_title),
		.department = or_empty(in->department),
		.phone = or_empty(in->phone),
		.mobile = or_empty(in->mobile),
		.mobile_hidden = in->mobile_hidden == 1,
		.notes = or_empty(in->notes),
		.status = STORE_PERSON_ACTIVE,
		.sync_id = in->sync_id != NULL && in->sync_id[0] != '\0' ?
			in->sync_id : NULL,
		.created_at = ctx->now,
		.updated_at = ctx->now,
		.protocols_off = protocols_off,
	};
	if (store_person_insert(ctx->store, p, err) < 0)
		return -1;
	struct store_ref holder = { STORE_KIND_PERSON, p->id };
	if (dir_claim_address(ctx, addr.text, holder, err) < 0)
		return -1;
	if (protocols_off[0] != '\0' &&
	    store_person_update(ctx->store, p, err) < 0)
		return -1;
	/* The mailbox was made first because the person row references it. */
	if (store_mailbox_set_person(ctx->store, mailbox.id, p->id, err) < 0)
		return -1;
	return dir_audit_json(ctx, "create", DIR_AUDIT_USER, p->id, org.id,
		person_summary(p), err);
}

int
dir_person_add(const struct dir_ctx *ctx, const struct dir_person_fields *in,
	struct store_person *p_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, person_add_tx(ctx, in, NULL, p_r, err), err);
}

int
dir_person_add_checked(const struct dir_ctx *ctx,
	const struct dir_person_fields *in,
	const struct dir_person_checked *checked, struct store_person *p_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, person_add_tx(ctx, in, checked, p_r, err), err);
}

int
dir_person_get(const struct dir_ctx *ctx, const char *address,
	struct store_person *p_r, struct error *err)
{
	/*
	 * The person is read once (bench B9 on PostgreSQL, where each read
	 * is a round trip); what else holds the address is read only to
	 * name it in the refusal.
	 */
	struct store_address held;
	if (dir_address_holder(ctx, address, &held, err) < 0)
		return -1;
	if (held.holder.kind == STORE_KIND_PERSON)
		return store_person_get(ctx->store, held.holder.id, ctx->arena,
			p_r, err);
	return dir_not_a_person(ctx, address, err);
}

int
dir_person_get_by_id(const struct dir_ctx *ctx, int64_t person_id,
	struct store_person *p_r, struct error *err)
{
	return store_person_get(ctx->store, person_id, ctx->arena, p_r, err);
}

static int
live_person(const struct dir_ctx *ctx, const char *address,
	struct store_person *p, struct error *err)
{
	if (dir_person_get(ctx, address, p, err) < 0)
		return -1;
	if (p->deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND,
			"%s has been deleted", p->address);
	return 0;
}

static void
apply_person_changes(const struct dir_ctx *ctx, struct store_person *p,
	const struct dir_person_fields *c)
{
	bool renamed = c->first_name != NULL || c->last_name != NULL;
	if (c->first_name != NULL)
		p->first_name = c->first_name;
	if (c->last_name != NULL)
		p->last_name = c->last_name;
	if (c->display_name != NULL && c->display_name[0] != '\0')
		p->display_name = c->display_name;
	else if (renamed)
		p->display_name = default_display_name(ctx, p->first_name,
			p->last_name);
	if (c->job_title != NULL)
		p->job_title = c->job_title;
	if (c->department != NULL)
		p->department = c->department;
	if (c->phone != NULL)
		p->phone = c->phone;
	if (c->mobile != NULL)
		p->mobile = c->mobile;
	if (c->mobile_hidden >= 0)
		p->mobile_hidden = c->mobile_hidden == 1;
	if (c->notes != NULL)
		p->notes = c->notes;
	if (c->sync_id != NULL)
		p->sync_id = c->sync_id[0] != '\0' ? c->sync_id : NULL;
}

static int
person_edit_tx(const struct dir_ctx *ctx, const char *address,
	const struct dir_person_fields *c, struct store_person *p,
	struct error *err)
{
	if (dir_person_fields_check(c, false, err) < 0 ||
	    live_person(ctx, address, p, err) < 0 ||
	    check_sync_id_free(ctx, p->org_id, c->sync_id, p->id, err) < 0)
		return -1;
	if (c->org_ods != NULL)
		return error_set_field(err, ERROR_INVALID, "org",
			"a person moves to another organisation by joining it, "
			"not by an edit");
	if (c->site != NULL &&
	    dir_site_id_for(ctx, p->org_id, c->site, &p->site_id, err) < 0)
		return -1;
	const char *protocols_off = NULL;
	if (c->protocols_off != NULL &&
	    dir_protocols_parse(ctx, c->protocols_off, &protocols_off,
		    err) < 0)
		return -1;
	json_t *before = person_summary(p);
	/* Notes are admin-only free text: the audit says they changed, not
	 * what they say. */
	bool notes_changed = c->notes != NULL && strcmp(c->notes, p->notes) != 0;
	apply_person_changes(ctx, p, c);
	if (protocols_off != NULL)
		p->protocols_off = protocols_off;
	p->updated_at = ctx->now;
	if (store_person_update(ctx->store, p, err) < 0) {
		json_decref(before);
		return -1;
	}
	return dir_audit_json(ctx, "update", DIR_AUDIT_USER, p->id, p->org_id,
		json_pack("{s:o, s:o, s:b}", "before", before, "after",
			person_summary(p), "notes_changed", notes_changed), err);
}

int
dir_person_edit(const struct dir_ctx *ctx, const char *address,
	const struct dir_person_fields *changes, struct store_person *p_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, person_edit_tx(ctx, address, changes, p_r, err),
		err);
}

int
dir_person_list(const struct dir_ctx *ctx, const char *org_ods,
	bool include_deleted, int64_t after_id, size_t limit,
	struct store_person **people_r, size_t *count_r, struct error *err)
{
	struct store_person_filter f = {
		.include_deleted = include_deleted,
		.after_id = after_id,
		.limit = limit,
	};
	struct store_org org;
	if (org_ods != NULL) {
		if (dir_org_by_ods(ctx, org_ods, &org, err) < 0)
			return -1;
		f.org_ids = &org.id;
		f.org_count = 1;
	}
	return store_person_list(ctx->store, &f, ctx->arena, people_r, count_r,
		err);
}

static json_t *
roles_json(const struct store_role *roles, size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(a, json_pack("{s:s, s:I}", "role",
						 roles[i].role, "org_id",
						 (json_int_t)roles[i].org_id));
	return a;
}

int
dir_person_close(const struct dir_ctx *ctx, const struct store_person *p,
	int64_t at, json_t **roles_r, struct error *err)
{
	struct store_role *roles;
	size_t role_count;
	struct store_mailbox m;
	if (store_role_list(ctx->store, p->id, ctx->arena, &roles, &role_count,
		    err) < 0 ||
	    store_role_remove_all(ctx->store, p->id, err) < 0 ||
	    /* Their sessions end with the account, not at the next request. */
	    store_session_delete_person(ctx->store, p->id, err) < 0 ||
	    store_mailbox_get(ctx->store, p->mailbox_id, ctx->arena, &m,
		    err) < 0)
		return -1;
	m.status = STORE_MAILBOX_DELETED;
	m.deleted_at = at;
	m.updated_at = ctx->now;
	if (store_mailbox_update(ctx->store, &m, err) < 0)
		return -1;
	*roles_r = roles_json(roles, role_count);
	return 0;
}

static int
person_delete_tx(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	struct store_person p;
	json_t *roles;
	if (live_person(ctx, address, &p, err) < 0 ||
	    dir_keep_global_admin(ctx, p.id, p.address, "delete them",
		    err) < 0 ||
	    dir_person_close(ctx, &p, ctx->now, &roles, err) < 0)
		return -1;
	p.status = STORE_PERSON_DELETED;
	p.deleted_at = ctx->now;
	p.updated_at = ctx->now;
	if (store_person_update(ctx->store, &p, err) < 0) {
		json_decref(roles);
		return -1;
	}
	return dir_audit_json(ctx, "delete", DIR_AUDIT_USER, p.id, p.org_id,
		json_pack("{s:s, s:o}", "address", p.address, "roles_removed",
			roles), err);
}

int
dir_person_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, person_delete_tx(ctx, address, err), err);
}

/* The devices list (SPEC A7). */
int
dir_person_devices(const struct dir_ctx *ctx, const char *address,
	struct store_device **devices_r, size_t *count_r, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	return store_device_list(ctx->store, p.id, ctx->arena, devices_r,
		count_r, err);
}
