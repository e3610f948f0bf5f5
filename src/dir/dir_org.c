/*
 * Organisations and sites: ODS codes unique, a parent tree without cycles,
 * postal addresses of any reasonable length (SPEC D1; seed 002 #13722 was a
 * 64-character truncation). Layer: domain.
 */
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store_org.h"

#define ODS_MIN 3
#define ODS_MAX 10
#define POSTAL_ADDRESS_MAX 4000

static int
check_ods(const char *ods, char *upper, size_t size, struct error *err)
{
	size_t len = ods != NULL ? strlen(ods) : 0;
	if (len < ODS_MIN || len > ODS_MAX || len >= size)
		return error_set_field(err, ERROR_INVALID, "ods",
			"an ODS code has %d to %d letters and digits", ODS_MIN,
			ODS_MAX);
	for (size_t i = 0; i < len; i++) {
		char c = ods[i];
		if (!str_is_ascii_alpha(c) && !str_is_ascii_digit(c))
			return error_set_field(err, ERROR_INVALID, "ods",
				"an ODS code has only letters and digits, not "
				"'%s'", ods);
		upper[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	upper[len] = '\0';
	return 0;
}

static int
check_website(const char *url, struct error *err)
{
	if (url == NULL || url[0] == '\0')
		return 0;
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return error_set_field(err, ERROR_INVALID, "website",
			"the website must start with https:// or http://");
	return dir_check_text("website", "the website", url, 512, false, err);
}

static int
check_org_fields(const struct dir_org_fields *f, bool adding,
	struct error *err)
{
	if (dir_check_text("name", "the organisation's name", f->name, 200,
		    adding, err) < 0 ||
	    dir_check_text("type", "the organisation type", f->type, 100,
		    false, err) < 0 ||
	    dir_check_text("postal_address", "the postal address",
		    f->postal_address, POSTAL_ADDRESS_MAX, false, err) < 0 ||
	    dir_check_text("description", "the description", f->description,
		    4000, false, err) < 0 ||
	    check_website(f->website, err) < 0 ||
	    dir_check_phone("helpdesk_phone", f->helpdesk_phone, err) < 0)
		return -1;
	if (f->default_quota_mb < 0)
		return error_set_field(err, ERROR_INVALID, "default_quota_mb",
			"the mailbox quota cannot be negative");
	if (f->helpdesk_email != NULL && f->helpdesk_email[0] != '\0') {
		struct dir_address addr;
		struct error inner;
		if (dir_address_parse(span_from_cstr(f->helpdesk_email), &addr,
			    &inner) < 0)
			return error_set_field(err, ERROR_INVALID,
				"helpdesk_email",
				"the helpdesk email is not valid: %s", inner.msg);
	}
	return 0;
}

static json_t *
org_summary(const struct store_org *o)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I,"
			 " s:s}",
		"ods", o->ods, "name", o->name, "type", o->type,
		"parent_id", (json_int_t)o->parent_id, "postal_address",
		o->postal_address, "description", o->description, "website",
		o->website, "helpdesk_phone", o->helpdesk_phone,
		"helpdesk_email", o->helpdesk_email, "default_quota_mb",
		(json_int_t)o->default_quota_mb, "protocols_off",
		o->protocols_off != NULL ? o->protocols_off : "");
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static int
org_add_tx(const struct dir_ctx *ctx, const struct dir_org_fields *in,
	struct store_org *org, struct error *err)
{
	char ods[ODS_MAX + 1];
	if (check_ods(in->ods, ods, sizeof(ods), err) < 0 ||
	    check_org_fields(in, true, err) < 0)
		return -1;
	struct store_org existing;
	if (store_org_get_by_ods(ctx->store, ods, ctx->arena, &existing,
		    NULL) == 0)
		return error_set_field(err, ERROR_EXISTS, "ods",
			"the ODS code %s is already used by %s", ods,
			existing.name);
	memset(org, 0, sizeof(*org));
	if (in->parent_ods != NULL && in->parent_ods[0] != '\0') {
		struct store_org parent;
		if (dir_org_by_ods(ctx, in->parent_ods, &parent, err) < 0)
			return -1;
		org->parent_id = parent.id;
	}
	org->ods = arena_strdup(ctx->arena, ods);
	org->name = in->name;
	org->type = or_empty(in->type);
	org->postal_address = or_empty(in->postal_address);
	org->description = or_empty(in->description);
	org->website = or_empty(in->website);
	org->helpdesk_phone = or_empty(in->helpdesk_phone);
	org->helpdesk_email = or_empty(in->helpdesk_email);
	org->default_quota_mb = in->default_quota_mb != 0 ?
		in->default_quota_mb :
		config_get_int(ctx->config, "dir.default_quota_mb");
	org->created_at = org->updated_at = ctx->now;
	if (dir_protocols_parse(ctx, in->protocols_off, &org->protocols_off,
		    err) < 0 ||
	    store_org_insert(ctx->store, org, err) < 0)
		return -1;
	if (org->protocols_off[0] != '\0' &&
	    store_org_update(ctx->store, org, err) < 0)
		return -1;
	return dir_audit_json(ctx, "create", DIR_AUDIT_ORG, org->id, org->id,
		org_summary(org), err);
}

int
dir_org_add(const struct dir_ctx *ctx, const struct dir_org_fields *in,
	struct store_org *org_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, org_add_tx(ctx, in, org_r, err), err);
}

/* Refuses a parent that lies inside the org's own subtree. */
static int
check_no_cycle(const struct dir_ctx *ctx, const struct store_org *org,
	int64_t new_parent, struct error *err)
{
	int64_t *ids;
	size_t count;
	if (store_org_subtree(ctx->store, org->id, ctx->arena, &ids, &count,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (ids[i] == new_parent)
			return error_set_field(err, ERROR_INVALID, "parent",
				"%s cannot be placed under itself or one of its "
				"own child organisations", org->ods);
	}
	return 0;
}

static void
apply_org_changes(struct store_org *org, const struct dir_org_fields *c)
{
	if (c->name != NULL)
		org->name = c->name;
	if (c->type != NULL)
		org->type = c->type;
	if (c->postal_address != NULL)
		org->postal_address = c->postal_address;
	if (c->description != NULL)
		org->description = c->description;
	if (c->website != NULL)
		org->website = c->website;
	if (c->helpdesk_phone != NULL)
		org->helpdesk_phone = c->helpdesk_phone;
	if (c->helpdesk_email != NULL)
		org->helpdesk_email = c->helpdesk_email;
	if (c->default_quota_mb != 0)
		org->default_quota_mb = c->default_quota_mb;
}

static int
org_edit_tx(const struct dir_ctx *ctx, const char *ods,
	const struct dir_org_fields *c, struct store_org *org,
	struct error *err)
{
	if (check_org_fields(c, false, err) < 0)
		return -1;
	if (c->name != NULL && c->name[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "name",
			"the organisation's name cannot be empty");
	if (dir_org_by_ods(ctx, ods, org, err) < 0)
		return -1;
	json_t *before = org_summary(org);
	if (c->parent_ods != NULL) {
		int64_t parent_id = 0;
		if (c->parent_ods[0] != '\0') {
			struct store_org parent;
			if (dir_org_by_ods(ctx, c->parent_ods, &parent, err) < 0 ||
			    check_no_cycle(ctx, org, parent.id, err) < 0) {
				json_decref(before);
				return -1;
			}
			parent_id = parent.id;
		}
		org->parent_id = parent_id;
	}
	apply_org_changes(org, c);
	if (c->protocols_off != NULL &&
	    dir_protocols_parse(ctx, c->protocols_off, &org->protocols_off,
		    err) < 0) {
		json_decref(before);
		return -1;
	}
	org->updated_at = ctx->now;
	if (store_org_update(ctx->store, org, err) < 0) {
		json_decref(before);
		return -1;
	}
	return dir_audit_json(ctx, "update", DIR_AUDIT_ORG, org->id, org->id,
		json_pack("{s:o, s:o}", "before", before, "after",
			org_summary(org)), err);
}

int
dir_org_edit(const struct dir_ctx *ctx, const char *ods,
	const struct dir_org_fields *changes, struct store_org *org_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, org_edit_tx(ctx, ods, changes, org_r, err), err);
}

int
dir_org_get(const struct dir_ctx *ctx, const char *ods,
	struct store_org *org_r, struct error *err)
{
	return dir_org_by_ods(ctx, ods, org_r, err);
}

const char *
dir_org_ods(const struct dir_ctx *ctx, int64_t org_id)
{
	struct store_org org;
	if (org_id != 0 && store_org_get(ctx->store, org_id, ctx->arena, &org,
				   NULL) == 0)
		return org.ods;
	return "";
}

const char *
dir_org_name(const struct dir_ctx *ctx, int64_t org_id)
{
	struct store_org org;
	if (org_id != 0 && store_org_get(ctx->store, org_id, ctx->arena, &org,
				   NULL) == 0)
		return org.name;
	return "";
}

int
dir_org_get_by_id(const struct dir_ctx *ctx, int64_t org_id,
	struct store_org *org_r, struct error *err)
{
	return store_org_get(ctx->store, org_id, ctx->arena, org_r, err);
}

int
dir_site_get_by_id(const struct dir_ctx *ctx, int64_t site_id,
	struct store_site *site_r, struct error *err)
{
	return store_site_get(ctx->store, site_id, ctx->arena, site_r, err);
}

int
dir_org_list(const struct dir_ctx *ctx, struct store_org **orgs_r,
	size_t *count_r, struct error *err)
{
	return store_org_list(ctx->store, ctx->arena, orgs_r, count_r, err);
}

static bool
is_site_type(const struct dir_ctx *ctx, const char *type)
{
	char item[64];
	for (size_t i = 0; config_list_item(ctx->config, "dir.site_types", i,
		     item, sizeof(item));
	     i++) {
		if (strcmp(item, type) == 0)
			return true;
	}
	return false;
}

static int
site_add_tx(const struct dir_ctx *ctx, const char *org_ods, const char *name,
	const char *site_type, const char *postal_address,
	struct store_site *site, struct error *err)
{
	struct store_org org;
	if (dir_check_text("name", "the site's name", name, 200, true, err) < 0 ||
	    dir_check_text("postal_address", "the postal address",
		    postal_address, POSTAL_ADDRESS_MAX, false, err) < 0 ||
	    dir_org_by_ods(ctx, org_ods, &org, err) < 0)
		return -1;
	if (site_type == NULL || !is_site_type(ctx, site_type))
		return error_set_field(err, ERROR_INVALID, "site_type",
			"'%s' is not a site type; the types are: %s",
			site_type != NULL ? site_type : "",
			config_get_str(ctx->config, "dir.site_types"));
	struct store_site existing;
	if (store_site_find(ctx->store, org.id, name, ctx->arena, &existing,
		    NULL) == 0)
		return error_set_field(err, ERROR_EXISTS, "name",
			"%s already has a site called %s", org.ods, name);
	*site = (struct store_site){
		.org_id = org.id,
		.name = name,
		.site_type = site_type,
		.postal_address = or_empty(postal_address),
		.created_at = ctx->now,
	};
	if (store_site_insert(ctx->store, site, err) < 0)
		return -1;
	return dir_audit_json(ctx, "create", DIR_AUDIT_SITE, site->id, org.id,
		json_pack("{s:s, s:s, s:s}", "name", name, "site_type",
			site_type, "postal_address", site->postal_address),
		err);
}

int
dir_site_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *name, const char *site_type, const char *postal_address,
	struct store_site *site_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, site_add_tx(ctx, org_ods, name, site_type,
				       postal_address, site_r, err), err);
}

int
dir_site_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_site **sites_r, size_t *count_r, struct error *err)
{
	int64_t org_id;
	if (dir_org_id_or_all(ctx, org_ods, &org_id, err) < 0)
		return -1;
	return store_site_list(ctx->store, org_id, ctx->arena, sites_r,
		count_r, err);
}

int
dir_org_by_ods(const struct dir_ctx *ctx, const char *ods,
	struct store_org *org_r, struct error *err)
{
	if (ods == NULL || ods[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "org",
			"an organisation (ODS code) is required");
	char upper[32];
	if (str_copy(upper, sizeof(upper), ods) < 0)
		return error_set_field(err, ERROR_NOT_FOUND, "org",
			"there is no organisation with the ODS code %.40s", ods);
	for (char *p = upper; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	struct error inner;
	if (store_org_get_by_ods(ctx->store, upper, ctx->arena, org_r,
		    &inner) < 0) {
		if (inner.code == ERROR_NOT_FOUND)
			return error_set_field(err, ERROR_NOT_FOUND, "org",
				"there is no organisation with the ODS code %s",
				upper);
		return error_forward(err, &inner);
	}
	return 0;
}

int
dir_org_id_or_all(const struct dir_ctx *ctx, const char *org_ods,
	int64_t *org_id_r, struct error *err)
{
	*org_id_r = 0;
	if (org_ods == NULL)
		return 0;
	struct store_org org;
	if (dir_org_by_ods(ctx, org_ods, &org, err) < 0)
		return -1;
	*org_id_r = org.id;
	return 0;
}
