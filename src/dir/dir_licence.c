/*
 * Add-on licences (SPEC L9; seed 002 #9966): an org's named add-ons with
 * a quota and an expiry, allocation to people by an administrator or by a
 * rule, the licence report, and the expiry notices' due items. Every
 * change audited (object type "licence"). Layer: domain.
 */
#include "dir/dir_guest.h"

#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "store/store_guest.h"

#define ADDON_NAME_MAX 64
#define ADDON_QUOTA_MAX 10000000

/* Names are what an order calls them: letters, digits, space, - _ . */
static int
check_name(const char *name, struct error *err)
{
	size_t n = name != NULL ? strlen(name) : 0;
	bool ok = n > 0 && n <= ADDON_NAME_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == ' ' || c == '-' ||
			c == '_' || c == '.';
	}
	return ok ? 0 : error_set_field(err, ERROR_INVALID, "name", "an "
		"add-on's name is 1 to %d letters, digits, spaces, dots, "
		"hyphens or underscores", ADDON_NAME_MAX);
}

static json_t *
addon_summary(const struct store_addon *a)
{
	return json_pack("{s:s, s:s, s:I, s:I}", "ods", a->org_ods, "addon",
		a->name, "quota", (json_int_t)a->quota, "expires_at",
		(json_int_t)a->expires_at);
}

static int
set_tx(const struct dir_ctx *ctx, const char *ods, const char *name,
	int64_t quota, int64_t expires_at, struct store_addon *a_r,
	struct error *err)
{
	struct store_org org;
	struct store_addon before;
	struct error inner;
	if (dir_org_get(ctx, ods, &org, err) < 0)
		return -1;
	bool existed = store_addon_get(ctx->store, org.id, name, ctx->arena,
		&before, &inner) == 0;
	if (!existed && inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	if (existed && quota < before.used)
		return error_set_field(err, ERROR_INVALID, "quota", "%lld "
			"people hold %s: free some before lowering the quota "
			"to %lld", (long long)before.used, name,
			(long long)quota);
	if (store_addon_set(ctx->store, org.id, name, quota, expires_at,
		    ctx->now, err) < 0 ||
	    store_addon_get(ctx->store, org.id, name, ctx->arena, a_r,
		    err) < 0)
		return -1;
	return dir_audit(ctx, existed ? "update" : "create", "licence",
		a_r->id, org.id, addon_summary(a_r), err);
}

int
dir_addon_set(const struct dir_ctx *ctx, const char *ods, const char *name,
	int64_t quota, int64_t expires_at, struct store_addon *a_r,
	struct error *err)
{
	if (check_name(name, err) < 0)
		return -1;
	if (quota < 0 || quota > ADDON_QUOTA_MAX)
		return error_set_field(err, ERROR_INVALID, "quota", "the quota "
			"is a whole number from 0 to %d", ADDON_QUOTA_MAX);
	if (expires_at <= 0)
		return error_set_field(err, ERROR_INVALID, "expires", "give "
			"the date the add-on expires (YYYY-MM-DD)");
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, set_tx(ctx, ods, name, quota, expires_at, a_r,
		err), err);
}

int
dir_addon_get(const struct dir_ctx *ctx, const char *ods, const char *name,
	struct store_addon *a_r, struct error *err)
{
	struct store_org org;
	if (dir_org_get(ctx, ods, &org, err) < 0)
		return -1;
	if (store_addon_get(ctx->store, org.id, name, ctx->arena, a_r,
		    err) < 0) {
		if (err->code == ERROR_NOT_FOUND)
			error_set_field(err, ERROR_NOT_FOUND, "name", "%s has "
				"no add-on called %s", org.ods, name);
		return -1;
	}
	return 0;
}

int
dir_addon_list(const struct dir_ctx *ctx, int64_t org_id,
	struct store_addon **list_r, size_t *count_r, struct error *err)
{
	return store_addon_list(ctx->store, org_id, ctx->arena, list_r,
		count_r, err);
}

/* A person of the add-on's org who can hold it. */
static int
holder(const struct dir_ctx *ctx, const struct store_addon *a,
	const char *address, struct store_person *p_r, struct error *err)
{
	struct error inner;
	if (address == NULL || dir_person_get(ctx, address, p_r, &inner) < 0)
		return error_set_field(err, ERROR_NOT_FOUND, "address",
			"there is no person %s here",
			address != NULL ? address : "(none)");
	if (p_r->org_id != a->org_id)
		return error_set_field(err, ERROR_INVALID, "address", "%s is "
			"not a person of %s, whose add-on this is", address,
			a->org_ods);
	return 0;
}

static int
allocate_tx(const struct dir_ctx *ctx, const char *ods, const char *name,
	const char *address, struct error *err)
{
	struct store_addon a;
	struct store_person p;
	if (dir_addon_get(ctx, ods, name, &a, err) < 0 ||
	    holder(ctx, &a, address, &p, err) < 0)
		return -1;
	if (p.status != STORE_PERSON_ACTIVE)
		return error_set_field(err, ERROR_INVALID, "address", "%s is "
			"not active: only active people hold add-ons", address);
	if (ctx->now >= a.expires_at)
		return error_set(err, ERROR_INVALID, "%s expired: renew it "
			"(a later expiry) before giving it out", name);
	if (a.used >= a.quota)
		return error_set(err, ERROR_LIMIT, "all %lld of %s's %s "
			"licences are held: free one or raise the quota",
			(long long)a.quota, a.org_ods, name);
	if (store_allocation_add(ctx->store, a.id, p.id, ctx->now, false,
		    err) < 0)
		return -1;
	json_t *s = addon_summary(&a);
	json_object_set_new(s, "allocated", json_string(p.address));
	return dir_audit(ctx, "update", "licence", a.id, a.org_id, s, err);
}

int
dir_addon_allocate(const struct dir_ctx *ctx, const char *ods,
	const char *name, const char *address, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, allocate_tx(ctx, ods, name, address, err), err);
}

static int
free_tx(const struct dir_ctx *ctx, const char *ods, const char *name,
	const char *address, struct error *err)
{
	struct store_addon a;
	struct store_person p;
	if (dir_addon_get(ctx, ods, name, &a, err) < 0 ||
	    holder(ctx, &a, address, &p, err) < 0 ||
	    store_allocation_remove(ctx->store, a.id, p.id, err) < 0)
		return -1;
	json_t *s = addon_summary(&a);
	json_object_set_new(s, "freed", json_string(p.address));
	return dir_audit(ctx, "update", "licence", a.id, a.org_id, s, err);
}

int
dir_addon_free(const struct dir_ctx *ctx, const char *ods, const char *name,
	const char *address, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, free_tx(ctx, ods, name, address, err), err);
}

static int
rule_tx(const struct dir_ctx *ctx, const char *ods, const char *name,
	const char *rule, size_t *given_r, size_t *left_r, struct error *err)
{
	struct store_addon a;
	const char *field = "", *value = "";
	char buf[256];
	bool clear = rule == NULL || rule[0] == '\0' ||
		strcmp(rule, "none") == 0;
	*given_r = *left_r = 0;
	if (!clear && dir_licence_rule_parse(rule, &field, &value, buf,
		    sizeof(buf), err) < 0)
		return -1;
	if (dir_addon_get(ctx, ods, name, &a, err) < 0 ||
	    store_addon_rule_set(ctx->store, a.id, clear ? NULL : rule,
		    err) < 0)
		return -1;
	if (!clear && ctx->now < a.expires_at) {
		int64_t *ids;
		size_t n;
		if (store_allocation_candidates(ctx->store, a.id, a.org_id,
			    field, value, ctx->arena, &ids, &n, err) < 0)
			return -1;
		int64_t room = a.quota - a.used;
		for (size_t i = 0; i < n; i++) {
			if ((int64_t)*given_r >= room) {
				(*left_r)++;
				continue;
			}
			if (store_allocation_add(ctx->store, a.id, ids[i],
				    ctx->now, true, err) < 0)
				return -1;
			(*given_r)++;
		}
	}
	json_t *s = addon_summary(&a);
	json_object_set_new(s, "rule", clear ? json_null() :
		json_string(rule));
	json_object_set_new(s, "allocated_by_rule", json_integer(
		(json_int_t)*given_r));
	json_object_set_new(s, "left_without", json_integer(
		(json_int_t)*left_r));
	return dir_audit(ctx, "update", "licence", a.id, a.org_id, s, err);
}

int
dir_addon_rule(const struct dir_ctx *ctx, const char *ods, const char *name,
	const char *rule, size_t *given_r, size_t *left_r, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, rule_tx(ctx, ods, name, rule, given_r, left_r,
		err), err);
}

int
dir_addon_rule_pending(const struct dir_ctx *ctx, const struct store_addon *a,
	size_t *count_r, struct error *err)
{
	const char *field, *value;
	char buf[256];
	int64_t *ids;
	size_t n;
	*count_r = 0;
	if (a->rule[0] == '\0' || ctx->now >= a->expires_at ||
	    a->used >= a->quota)
		return 0;
	if (dir_licence_rule_parse(a->rule, &field, &value, buf, sizeof(buf),
		    err) < 0 ||
	    store_allocation_candidates(ctx->store, a->id, a->org_id, field,
		    value, ctx->arena, &ids, &n, err) < 0)
		return -1;
	int64_t room = a->quota - a->used;
	*count_r = (int64_t)n < room ? n : (size_t)room;
	return 0;
}

int
dir_addon_holders(const struct dir_ctx *ctx, int64_t addon_id,
	struct store_allocation **list_r, size_t *count_r, struct error *err)
{
	return store_allocation_list(ctx->store, addon_id, ctx->arena, list_r,
		count_r, err);
}

static const char *
iso(const struct dir_ctx *ctx, int64_t t)
{
	char text[32];
	clock_format_iso(t, text, sizeof(text));
	return arena_strdup(ctx->arena, text);
}

/* "active", "expiring" (within the first notice) or "expired". */
static const char *
addon_state(const struct dir_ctx *ctx, const struct store_addon *a)
{
	int64_t days[DIR_LICENCE_NOTICES_MAX];
	size_t n = 0;
	struct error err;
	if (dir_licence_notice_days_parse(config_get_str(ctx->config,
		    "licences.notice_days"), days, &n, &err) < 0 || n == 0)
		days[0] = 60;
	if (ctx->now >= a->expires_at)
		return "expired";
	return ctx->now >= a->expires_at - days[0] * DIR_DAY ? "expiring" :
		"active";
}

void *
dir_addon_json(const struct dir_ctx *ctx, const struct store_addon *a,
	bool with_holders)
{
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s*}",
		"org", a->org_ods, "name", a->name,
		"quota", (json_int_t)a->quota, "used", (json_int_t)a->used,
		"free", (json_int_t)(a->quota - a->used),
		"expires_at", iso(ctx, a->expires_at),
		"state", addon_state(ctx, a),
		"rule", a->rule[0] != '\0' ? a->rule : NULL);
	if (!with_holders)
		return j;
	struct store_allocation *list;
	size_t n;
	struct error err;
	json_t *holders = json_array();
	if (store_allocation_list(ctx->store, a->id, ctx->arena, &list, &n,
		    &err) == 0)
		for (size_t i = 0; i < n; i++)
			json_array_append_new(holders, json_pack(
				"{s:s, s:s, s:s, s:b}", "address",
				list[i].address, "display_name",
				list[i].display_name, "allocated_at",
				iso(ctx, list[i].allocated_at), "by_rule",
				list[i].by_rule));
	json_object_set_new(j, "holders", holders);
	return j;
}

int
dir_licence_report_csv(const struct dir_ctx *ctx, int64_t org_id,
	const char **csv_r, struct error *err)
{
	static const char *const head[] = { "org", "addon", "quota", "used",
		"expires_at", "state", "address", "display_name",
		"allocated_at", "by_rule" };
	struct store_addon *list;
	size_t n;
	struct str out;
	if (store_addon_list(ctx->store, org_id, ctx->arena, &list, &n,
		    err) < 0)
		return -1;
	str_init(&out, ctx->arena, 4096);
	int rc = csv_record(&out, head, 10);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store_allocation *h;
		size_t hn;
		if (store_allocation_list(ctx->store, list[i].id, ctx->arena,
			    &h, &hn, err) < 0)
			return -1;
		for (size_t k = 0; rc == 0 && k < (hn == 0 ? 1 : hn); k++) {
			const char *row[] = { list[i].org_ods, list[i].name,
				arena_printf(ctx->arena, "%lld",
					(long long)list[i].quota),
				arena_printf(ctx->arena, "%lld",
					(long long)list[i].used),
				iso(ctx, list[i].expires_at),
				addon_state(ctx, &list[i]),
				hn > 0 ? h[k].address : "",
				hn > 0 ? h[k].display_name : "",
				hn > 0 ? iso(ctx, h[k].allocated_at) : "",
				hn > 0 ? (h[k].by_rule ? "rule" : "admin") :
				"" };
			rc = csv_record(&out, row, 10);
		}
	}
	if (rc < 0)
		return error_set(err, ERROR_LIMIT, "the licence report is too "
			"large to build");
	*csv_r = str_cstr(&out);
	return 0;
}

int
dir_licence_sweep_due(const struct dir_ctx *ctx, int64_t now,
	struct dir_licence_item **items_r, size_t *count_r, struct error *err)
{
	int64_t days[DIR_LICENCE_NOTICES_MAX];
	size_t dn;
	struct store_addon *list;
	size_t n;
	*count_r = 0;
	if (dir_licence_notice_days_parse(config_get_str(ctx->config,
		    "licences.notice_days"), days, &dn, err) < 0 ||
	    store_addon_list(ctx->store, 0, ctx->arena, &list, &n, err) < 0)
		return -1;
	*items_r = arena_alloc(ctx->arena, (n + 1) * sizeof(**items_r));
	if (*items_r == NULL)
		return error_set(err, ERROR_LIMIT, "too many add-ons to sweep");
	for (size_t i = 0; i < n; i++) {
		int due = dir_licence_notice_due(list[i].expires_at,
			list[i].notice_for, list[i].notice_step, days, dn,
			now);
		if (due >= 0)
			(*items_r)[(*count_r)++] = (struct dir_licence_item){
				.addon = list[i], .notice = due,
				.days = days[due] };
	}
	return 0;
}

static int
notice_tx(const struct dir_ctx *ctx, const struct dir_licence_item *item,
	struct error *err)
{
	const struct store_addon *a = &item->addon;
	if (store_addon_notice_set(ctx->store, a->id, a->expires_at,
		    item->notice, err) < 0)
		return -1;
	json_t *s = addon_summary(a);
	json_object_set_new(s, "rule", json_string("expiry_notice"));
	json_object_set_new(s, "days_before_expiry", json_integer(
		(json_int_t)item->days));
	return dir_audit(ctx, "other", "licence", a->id, a->org_id, s, err);
}

int
dir_licence_sweep_apply(const struct dir_ctx *ctx,
	const struct dir_licence_item *item, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, notice_tx(ctx, item, err), err);
}
