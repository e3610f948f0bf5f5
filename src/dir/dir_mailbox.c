/*
 * Shared and resource mailboxes, and external contacts (SPEC P4, P5, P7).
 * A duplicate address is refused naming its holder (seed 000 shared
 * mailboxes, seed 002 #9218 contacts). Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"

/*
 * The standard folders every mailbox has from the moment it is made: the
 * Inbox and the RFC 6154 special uses, under the names Outlook users know.
 * Made here, once, so delivery and sign-in never look for them (a list's
 * delivery would otherwise read each member's folders inside the shared
 * commit). Mailboxes made before this rule got them from a migration.
 */
static const struct {
	const char *name;
	const char *use;
} standard_folders[] = {
	{ "INBOX", "inbox" },
	{ "Sent Items", "sent" },
	{ "Drafts", "drafts" },
	{ "Deleted Items", "trash" },
	{ "Junk E-mail", "junk" },
};

/* Makes standard folder i of a mailbox, with a UIDVALIDITY never used. */
static int
make_standard_folder(const struct dir_ctx *ctx, int64_t mailbox_id, size_t i,
	struct store_folder *f_r, struct error *err)
{
	*f_r = (struct store_folder){ .mailbox_id = mailbox_id,
		.name = standard_folders[i].name,
		.special_use = standard_folders[i].use,
		.subscribed = true,
		.created_at = ctx->now };
	/* RFC 3501 §2.3.1.1: never a value the mailbox gave before. */
	if (store_folder_uidvalidity_next(ctx->store, mailbox_id, ctx->now,
		    &f_r->uidvalidity, err) < 0)
		return -1;
	return store_folder_create(ctx->store, f_r, err);
}

int
dir_mailbox_insert(const struct dir_ctx *ctx, struct store_mailbox *m,
	struct error *err)
{
	if (store_mailbox_insert(ctx->store, m, err) < 0)
		return -1;
	/*
	 * Their UIDVALIDITYs in one read and write, as one each would give
	 * them: a bulk import makes 100,000 mailboxes (bench B6).
	 */
	size_t count = sizeof(standard_folders) / sizeof(*standard_folders);
	int64_t first;
	if (store_folder_uidvalidity_reserve(ctx->store, m->id, ctx->now,
		    (int64_t)count, &first, err) < 0)
		return -1;
	struct store_folder f[sizeof(standard_folders) /
		sizeof(*standard_folders)];
	for (size_t i = 0; i < count; i++)
		f[i] = (struct store_folder){ .mailbox_id = m->id,
			.name = standard_folders[i].name,
			.special_use = standard_folders[i].use,
			.uidvalidity = first + (int64_t)i,
			.subscribed = true,
			.created_at = ctx->now };
	return store_folder_create_many(ctx->store, f, count, err);
}

int
dir_mailbox_standard_folder(const struct dir_ctx *ctx, int64_t mailbox_id,
	const char *use, struct store_folder *f_r, struct error *err)
{
	struct error inner;
	if (store_folder_special(ctx->store, mailbox_id, use, ctx->arena, f_r,
		    &inner) == 0)
		return 0;
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	for (size_t i = 0;
		i < sizeof(standard_folders) / sizeof(*standard_folders); i++) {
		if (strcmp(standard_folders[i].use, use) != 0)
			continue;
		if (make_standard_folder(ctx, mailbox_id, i, f_r, &inner) == 0)
			return 0;
		/*
		 * A folder of the standard name without its use (made by a
		 * client after the standard one went) is the one people
		 * look in: it is used rather than a second name invented.
		 */
		if (inner.code != ERROR_EXISTS)
			return error_forward(err, &inner);
		return store_folder_get(ctx->store, mailbox_id,
			standard_folders[i].name, ctx->arena, f_r, err);
	}
	return error_set(err, ERROR_INVALID,
		"a mailbox has no standard folder for the use '%.40s'", use);
}

static const char *
mailbox_audit_type(enum store_mailbox_kind kind)
{
	return kind == STORE_MAILBOX_RESOURCE ? DIR_AUDIT_RESOURCE :
		DIR_AUDIT_SHARED;
}

static int
mailbox_add_tx(const struct dir_ctx *ctx, const char *org_ods,
	const char *kind, const char *display_name, const char *address,
	struct store_mailbox *m, struct error *err)
{
	enum store_mailbox_kind parsed;
	if (!dir_mailbox_kind_parse(kind, &parsed) ||
	    parsed == STORE_MAILBOX_USER)
		return error_set_field(err, ERROR_INVALID, "kind",
			"a mailbox made here is shared or resource");
	struct store_org org;
	if (dir_check_text("name", "the mailbox's name", display_name, 200,
		    true, err) < 0 ||
	    dir_org_by_ods(ctx, org_ods, &org, err) < 0)
		return -1;
	char local[DIR_ADDRESS_LOCAL_MAX + 1];
	if (address == NULL &&
	    dir_address_local_from_name(display_name, local, sizeof(local),
		    err) < 0)
		return -1;
	struct dir_address addr;
	if (dir_new_address(ctx, address, local, false, &addr, err) < 0)
		return -1;
	/* A named address must be free; a generated one already is. */
	*m = (struct store_mailbox){
		.kind = parsed,
		.org_id = org.id,
		.address = arena_strdup(ctx->arena, addr.text),
		.display_name = display_name,
		.quota_mb = org.default_quota_mb,
		.status = STORE_MAILBOX_ACTIVE,
		.created_at = ctx->now,
		.updated_at = ctx->now,
	};
	if (dir_mailbox_insert(ctx, m, err) < 0)
		return -1;
	struct store_ref holder = { STORE_KIND_MAILBOX, m->id };
	if (dir_claim_address(ctx, addr.text, holder, err) < 0)
		return -1;
	return dir_audit_json(ctx, "create", mailbox_audit_type(parsed), m->id,
		org.id, json_pack("{s:s, s:s, s:I}", "address", m->address,
				"display_name", display_name, "quota_mb",
				(json_int_t)m->quota_mb), err);
}

int
dir_mailbox_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *kind, const char *display_name, const char *address,
	struct store_mailbox *m_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, mailbox_add_tx(ctx, org_ods, kind, display_name,
				       address, m_r, err), err);
}

int
dir_mailbox_get(const struct dir_ctx *ctx, const char *address,
	struct store_mailbox *m_r, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve(ctx, address, &obj, err) < 0)
		return -1;
	if (obj.mailbox_id == 0)
		return error_set(err, ERROR_NOT_FOUND,
			"%s is a %s, not a mailbox", obj.address,
			dir_holder_noun(obj.kind));
	return store_mailbox_get(ctx->store, obj.mailbox_id, ctx->arena, m_r,
		err);
}

int
dir_mailbox_get_live(const struct dir_ctx *ctx, const char *address,
	const char *kind, struct store_mailbox *m_r, struct error *err)
{
	if (dir_mailbox_get(ctx, address, m_r, err) < 0)
		return -1;
	enum store_mailbox_kind want;
	if (!dir_mailbox_kind_parse(kind, &want))
		return error_set(err, ERROR_INVALID,
			"a mailbox is shared or resource, not '%s'", kind);
	if (m_r->kind != want || m_r->deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND, "there is no %s %s%s",
			dir_holder_noun(dir_holder_of_mailbox(want)),
			m_r->address,
			m_r->deleted_at != 0 ? " (it was deleted)" : "");
	return 0;
}

int
dir_mailbox_list(const struct dir_ctx *ctx, const char *org_ods,
	const char *kind, struct store_mailbox **m_r, size_t *count_r,
	struct error *err)
{
	int64_t org_id;
	enum store_mailbox_kind parsed;
	if (kind != NULL && !dir_mailbox_kind_parse(kind, &parsed))
		return error_set_field(err, ERROR_INVALID, "kind",
			"a mailbox is user, shared or resource, not '%.40s'",
			kind);
	if (dir_org_id_or_all(ctx, org_ods, &org_id, err) < 0)
		return -1;
	return store_mailbox_list(ctx->store, org_id,
		kind != NULL ? &parsed : NULL, ctx->arena, m_r, count_r, err);
}

int
dir_mailbox_owned(const struct dir_ctx *ctx, int64_t person_id,
	struct store_mailbox **m_r, size_t *count_r, struct error *err)
{
	return store_mailbox_owned(ctx->store, person_id, STORE_MAILBOX_SHARED,
		ctx->arena, m_r, count_r, err);
}

static int
mailbox_delete_tx(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	struct dir_object obj;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_MAILBOXES, &obj, err) < 0)
		return -1;
	struct store_mailbox m;
	if (store_mailbox_get(ctx->store, obj.mailbox_id, ctx->arena, &m,
		    err) < 0)
		return -1;
	m.status = STORE_MAILBOX_DELETED;
	m.deleted_at = ctx->now;
	m.updated_at = ctx->now;
	if (store_mailbox_update(ctx->store, &m, err) < 0)
		return -1;
	return dir_audit_json(ctx, "delete", mailbox_audit_type(m.kind), m.id,
		m.org_id, json_pack("{s:s}", "address", m.address), err);
}

int
dir_mailbox_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, mailbox_delete_tx(ctx, address, err), err);
}

static int
contact_add_tx(const struct dir_ctx *ctx, const char *org_ods,
	const char *display_name, const char *address, struct store_contact *c,
	struct error *err)
{
	struct store_org org;
	struct dir_address addr;
	struct error inner;
	if (dir_check_text("name", "the contact's name", display_name, 200,
		    true, err) < 0 ||
	    dir_org_by_ods(ctx, org_ods, &org, err) < 0)
		return -1;
	if (dir_address_parse(span_from_cstr(address != NULL ? address : ""),
		    &addr, &inner) < 0)
		return error_set_field(err, ERROR_INVALID, "address",
			"the contact's address is not valid: %s", inner.msg);
	if (dir_domain_is_hosted(ctx, dir_address_domain(&addr)))
		return error_set_field(err, ERROR_INVALID, "address",
			"%s is in a domain this instance hosts; a contact is "
			"for an address outside it", addr.text);
	*c = (struct store_contact){
		.org_id = org.id,
		.display_name = display_name,
		.address = arena_strdup(ctx->arena, addr.text),
		.created_at = ctx->now,
		.updated_at = ctx->now,
	};
	if (store_contact_insert(ctx->store, c, err) < 0)
		return -1;
	struct store_ref holder = { STORE_KIND_CONTACT, c->id };
	if (dir_claim_address(ctx, addr.text, holder, err) < 0)
		return -1;
	return dir_audit_json(ctx, "create", DIR_AUDIT_CONTACT, c->id, org.id,
		json_pack("{s:s, s:s}", "address", c->address, "display_name",
			display_name), err);
}

int
dir_contact_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *display_name, const char *address,
	struct store_contact *c_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, contact_add_tx(ctx, org_ods, display_name,
				       address, c_r, err), err);
}

int
dir_contact_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_contact **c_r, size_t *count_r, struct error *err)
{
	int64_t org_id;
	if (dir_org_id_or_all(ctx, org_ods, &org_id, err) < 0)
		return -1;
	return store_contact_list(ctx->store, org_id, ctx->arena, c_r, count_r,
		err);
}

static int
contact_delete_tx(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	struct dir_object obj;
	struct store_contact c;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_CONTACT, &obj, err) < 0 ||
		store_contact_get(ctx->store, obj.ref.id, ctx->arena, &c, err) <
			0)
		return -1;
	c.deleted_at = ctx->now;
	c.updated_at = ctx->now;
	if (store_contact_update(ctx->store, &c, err) < 0)
		return -1;
	return dir_audit_json(ctx, "delete", DIR_AUDIT_CONTACT, c.id, c.org_id,
		json_pack("{s:s}", "address", c.address), err);
}

int
dir_contact_delete(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, contact_delete_tx(ctx, address, err), err);
}

int
dir_mailbox_page(const struct dir_ctx *ctx, const struct dir_org_set *orgs,
	const char *kind, int64_t after_id, size_t limit,
	struct store_mailbox **m_r, size_t *count_r, struct error *err)
{
	enum store_mailbox_kind parsed;
	if (kind != NULL && !dir_mailbox_kind_parse(kind, &parsed))
		return error_set_field(err, ERROR_INVALID, "kind",
			"a mailbox is user, shared or resource, not '%.40s'",
			kind);
	return store_mailbox_page(ctx->store, orgs->org_ids, orgs->org_count,
		kind != NULL ? &parsed : NULL, after_id, limit, ctx->arena, m_r,
		count_r, err);
}

static int
live_mailbox(const struct dir_ctx *ctx, const char *address,
	struct store_mailbox *m, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_MAILBOXES, &obj, err) < 0)
		return -1;
	return store_mailbox_get(ctx->store, obj.mailbox_id, ctx->arena, m,
		err);
}

static int
mailbox_edit_tx(const struct dir_ctx *ctx, const char *address,
	const char *display_name, int64_t quota_mb, struct store_mailbox *m,
	struct error *err)
{
	if (display_name == NULL && quota_mb == 0)
		return error_set(err, ERROR_INVALID,
			"the request changes nothing; give a name or quota_mb");
	if (live_mailbox(ctx, address, m, err) < 0)
		return -1;
	json_t *changed = json_object();
	if (display_name != NULL) {
		if (dir_check_text("name", "the mailbox's name", display_name,
			    200, true, err) < 0) {
			json_decref(changed);
			return -1;
		}
		json_object_set_new(changed, "display_name",
			json_pack("{s:s, s:s}", "from", m->display_name, "to",
				display_name));
		m->display_name = display_name;
	}
	if (quota_mb != 0) {
		if (quota_mb < 1 || quota_mb > 10485760) {
			json_decref(changed);
			return error_set_field(err, ERROR_INVALID, "quota_mb",
				"quota_mb must be from 1 to 10485760");
		}
		json_object_set_new(changed, "quota_mb",
			json_pack("{s:I, s:I}", "from", (json_int_t)m->quota_mb,
				"to", (json_int_t)quota_mb));
		m->quota_mb = quota_mb;
	}
	m->updated_at = ctx->now;
	if (store_mailbox_update(ctx->store, m, err) < 0) {
		json_decref(changed);
		return -1;
	}
	return dir_audit_json(ctx, "update", mailbox_audit_type(m->kind), m->id,
		m->org_id, changed, err);
}

int
dir_mailbox_edit(const struct dir_ctx *ctx, const char *address,
	const char *display_name, int64_t quota_mb, struct store_mailbox *m_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, mailbox_edit_tx(ctx, address, display_name,
				       quota_mb, m_r, err), err);
}

static int
mailbox_transfer_tx(const struct dir_ctx *ctx, const char *address,
	const char *org_ods, struct store_mailbox *m, struct error *err)
{
	struct store_org from, to;
	if (live_mailbox(ctx, address, m, err) < 0 ||
	    dir_org_by_ods(ctx, org_ods, &to, err) < 0 ||
	    store_org_get(ctx->store, m->org_id, ctx->arena, &from, err) < 0)
		return -1;
	if (from.id == to.id)
		return error_set_field(err, ERROR_INVALID, "org",
			"%s already belongs to %s", m->address, to.ods);
	m->org_id = to.id;
	m->updated_at = ctx->now;
	if (store_mailbox_update(ctx->store, m, err) < 0)
		return -1;
	/* One row in each org's trail, so both admins see it. */
	json_t *moved = json_pack("{s:{s:s, s:s}}", "transferred", "from",
		from.ods, "to", to.ods);
	if (dir_audit_json(ctx, "update", mailbox_audit_type(m->kind), m->id,
		    from.id, json_deep_copy(moved), err) < 0) {
		json_decref(moved);
		return -1;
	}
	return dir_audit_json(ctx, "update", mailbox_audit_type(m->kind), m->id,
		to.id, moved, err);
}

int
dir_mailbox_transfer(const struct dir_ctx *ctx, const char *address,
	const char *org_ods, struct store_mailbox *m_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, mailbox_transfer_tx(ctx, address, org_ods, m_r,
				       err), err);
}

int
dir_contact_get(const struct dir_ctx *ctx, const char *address,
	struct store_contact *c_r, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve(ctx, address, &obj, err) < 0)
		return -1;
	if (obj.ref.kind != STORE_KIND_CONTACT)
		return error_set(err, ERROR_NOT_FOUND,
			"%s is a %s, not a contact", obj.address,
			dir_holder_noun(obj.kind));
	return store_contact_get(ctx->store, obj.ref.id, ctx->arena, c_r, err);
}

int
dir_contact_page(const struct dir_ctx *ctx, const struct dir_org_set *orgs,
	const char *q, int64_t after_id, size_t limit,
	struct store_contact **c_r, size_t *count_r, struct error *err)
{
	if (dir_check_text("q", "the search", q, 200, false, err) < 0)
		return -1;
	return store_contact_page(ctx->store, orgs->org_ids, orgs->org_count,
		q, after_id, limit, ctx->arena, c_r, count_r, err);
}

static int
contact_edit_tx(const struct dir_ctx *ctx, const char *address,
	const char *display_name, struct store_contact *c, struct error *err)
{
	struct dir_object obj;
	if (dir_check_text("name", "the contact's name", display_name, 200,
		    true, err) < 0 ||
		dir_resolve_live(ctx, address, DIR_HOLDER_CONTACT, &obj, err) <
			0 ||
		store_contact_get(ctx->store, obj.ref.id, ctx->arena, c, err) <
			0)
		return -1;
	const char *before = c->display_name;
	c->display_name = display_name;
	c->updated_at = ctx->now;
	if (store_contact_update(ctx->store, c, err) < 0)
		return -1;
	return dir_audit_json(ctx, "update", DIR_AUDIT_CONTACT, c->id,
		c->org_id, json_pack("{s:{s:s, s:s}}", "display_name", "from",
				before, "to", display_name), err);
}

int
dir_contact_edit(const struct dir_ctx *ctx, const char *address,
	const char *display_name, struct store_contact *c_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, contact_edit_tx(ctx, address, display_name, c_r,
				       err), err);
}
