/*
 * List approval requests and decisions by mail (mail_list_approval.h):
 * the change is made and committed by the directory, which says whether
 * it opened a request (mail the LAs); the request read before a decision
 * names who asked (mail them the decision). Values typed by people (a list's
 * name, a description) reach the mail only as template fields, which
 * can never add a header line (mail_notice.h); here they are also put
 * on one line each, cut at SUMMARY_MAX characters. Layer: domain.
 * RFC 5322 (the notices), RFC 3986 §2.1 (the link's query).
 */
#include "mail/mail_list_approval.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail_notice.h"
#include "mail/mail_seal.h"

#define AUDIT_OBJECT "distribution_list"
#define SUMMARY_MAX 200		/* characters of one value in a line */
#define SET_NAMED 10		/* addresses named from one set; the rest counted */
#define ADMINS_MAX 64

/* value on one line (controls become spaces), cut at SUMMARY_MAX chars. */
static int
put_flat(struct str *out, const char *value)
{
	size_t chars = 0;
	for (const char *p = value; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c & 0xc0) != 0x80 && ++chars > SUMMARY_MAX)
			return str_append_cstr(out, "...");
		char one = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		if (str_append(out, &one, 1) < 0)
			return -1;
	}
	return 0;
}

static int
put_line(struct str *out, const char *label, const char *value)
{
	if ((out->len > 0 && str_append_cstr(out, "\n") < 0) ||
	    str_append_cstr(out, label) < 0 || put_flat(out, value) < 0)
		return -1;
	return 0;
}

/* "Add members: a, b" from a set of the waiting change. */
static int
put_set(struct str *out, const char *label, const json_t *set)
{
	size_t n = json_array_size(set);
	if (n == 0)
		return 0;
	if ((out->len > 0 && str_append_cstr(out, "\n") < 0) ||
	    str_append_cstr(out, label) < 0)
		return -1;
	for (size_t i = 0; i < n && i < SET_NAMED; i++) {
		const char *v = json_string_value(json_array_get(set, i));
		if ((i > 0 && str_append_cstr(out, ", ") < 0) ||
		    put_flat(out, v != NULL ? v : "") < 0)
			return -1;
	}
	if (n > SET_NAMED) {
		char more[48];
		snprintf(more, sizeof(more), " and %zu more", n - SET_NAMED);
		return str_append_cstr(out, more);
	}
	return 0;
}

/* What is asked: the new list as it stands, or the change waiting. */
static const char *
summary(const struct dir_ctx *ctx, const struct store_list *l,
	const char *change_json)
{
	struct str out;
	str_init(&out, ctx->arena, 4096);
	int rc = 0;
	if (change_json == NULL || change_json[0] == '\0') {
		rc = put_line(&out, "Kind: ", dir_list_kind_name(l->kind));
		if (rc == 0 && l->description[0] != '\0')
			rc = put_line(&out, "Description: ", l->description);
		if (rc == 0 && l->rule[0] != '\0')
			rc = put_line(&out, "Rule: ", l->rule);
		return rc == 0 ? str_cstr(&out) : "";
	}
	json_t *c = json_loads(change_json, 0, NULL);
	if (c == NULL)
		return "(the change cannot be read; see the approvals page)";
	const char *desc = json_string_value(json_object_get(c, "description"));
	const char *rule = json_string_value(json_object_get(c, "rule"));
	if (desc != NULL)
		rc = put_line(&out, "Description: ", desc);
	if (rc == 0 && rule != NULL)
		rc = put_line(&out, "Rule: ", rule);
	if (rc == 0)
		rc = put_set(&out, "Add members: ",
			json_object_get(c, "members_add"));
	if (rc == 0)
		rc = put_set(&out, "Remove members: ",
			json_object_get(c, "members_remove"));
	if (rc == 0)
		rc = put_set(&out, "Add owners: ",
			json_object_get(c, "owners_add"));
	if (rc == 0)
		rc = put_set(&out, "Remove owners: ",
			json_object_get(c, "owners_remove"));
	json_decref(c);
	return rc == 0 ? str_cstr(&out) : "";
}

/* The portal's address then path, and the address given percent-encoded. */
static const char *
portal_link(const struct dir_ctx *ctx, const char *path, const char *address)
{
	char base[512];
	mail_seal_portal_url(ctx->config, base, sizeof(base));
	struct str out;
	str_init(&out, ctx->arena, strlen(base) + strlen(path) +
		(address != NULL ? 3 * strlen(address) : 0) + 1);
	if (str_append_cstr(&out, base) < 0 ||
	    str_append_cstr(&out, path) < 0)
		return "";
	for (const char *p = address; p != NULL && *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		char enc[4];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr("-._~@", c) != NULL;
		snprintf(enc, sizeof(enc), plain ? "%c" : "%%%02X", c);
		if (str_append_cstr(&out, enc) < 0)
			return "";
	}
	return str_cstr(&out);
}

/* One audit row on the list for a notice sent: which, and to whom. */
static void
audit_notice(const struct dir_ctx *ctx, const struct store_list *l,
	const char *template, const char *const *to, size_t n)
{
	json_t *who = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(who, json_string(to[i]));
	struct error err;
	if (dir_audit(ctx, "other", AUDIT_OBJECT, l->id, l->org_id,
		    json_pack("{s:s, s:s, s:o}", "notice", template, "list",
			    l->address, "to", who), &err) < 0)
		log_error("lists.notice", "list=<%s> notice=%s audit=failed "
			"error=\"%s\"", l->address, template, err.msg);
}

/* Sends, audits and logs; a failure is logged, the change stands. */
static void
send_notice(struct store_writer *w, const struct dir_ctx *ctx,
	const struct store_list *l, const char *template,
	const struct mail_notice_field *f, size_t count,
	const char *const *to, size_t n)
{
	size_t sent = 0;
	struct error err;
	if (n == 0) {
		log_warn("lists.notice", "list=<%s> notice=%s to=0 "
			"reason=\"nobody to tell\"", l->address, template);
		return;
	}
	if (mail_notice_send_to(w, ctx, template, f, count, to, n, &sent,
		    &err) < 0) {
		log_error("lists.notice", "list=<%s> notice=%s sent=failed "
			"error=\"%s\"", l->address, template, err.msg);
		return;
	}
	audit_notice(ctx, l, template, to, n);
	log_info("lists.notice", "list=<%s> notice=%s to=%zu", l->address,
		template, sent);
}

/*
 * Who can approve for the list's org: its active LAs, else (an org with
 * none, a new practice, say) the active Global Administrators, so a
 * request never waits unseen. -1 with err.
 */
static int
approvers(const struct dir_ctx *ctx, const struct store_list *l,
	const char **to, size_t *count_r, struct error *err)
{
	struct dir_org_admin *admins;
	size_t n, count = 0;
	if (dir_org_local_admins(ctx, l->org_id, &admins, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && count < ADMINS_MAX; i++) {
		if (admins[i].person.status == STORE_PERSON_ACTIVE)
			to[count++] = admins[i].person.address;
	}
	if (count == 0) {
		int64_t *ids;
		size_t m;
		if (dir_global_admins(ctx, ctx->arena, &ids, &m, err) < 0)
			return -1;
		for (size_t i = 0; i < m && count < ADMINS_MAX; i++) {
			struct store_person p;
			if (dir_person_get_by_id(ctx, ids[i], &p, err) < 0)
				return -1;
			if (p.status == STORE_PERSON_ACTIVE)
				to[count++] = p.address;
		}
	}
	*count_r = count;
	return 0;
}

/* The request to those who can approve it, each once. */
static void
tell_admins(struct store_writer *w, const struct dir_ctx *ctx,
	const struct store_list *l, const char *requested_by, bool new_list,
	const char *change_json)
{
	struct error err;
	const char *to[ADMINS_MAX];
	size_t count = 0;
	if (approvers(ctx, l, to, &count, &err) < 0) {
		log_error("lists.notice", "list=<%s> notice=list-approval "
			"error=\"%s\"", l->address, err.msg);
		return;
	}
	const struct mail_notice_field f[] = {
		{ "list", l->address }, { "name", l->name },
		{ "org", dir_org_name(ctx, l->org_id) },
		{ "ods", dir_org_ods(ctx, l->org_id) },
		{ "requested_by", requested_by },
		{ "request", new_list ? "the new distribution list" :
			"a change to the distribution list" },
		{ "change", summary(ctx, l, new_list ? NULL : change_json) },
		{ "url", portal_link(ctx, "/list-approvals", NULL) },
	};
	send_notice(w, ctx, l, "list-approval", f, sizeof(f) / sizeof(*f), to,
		count);
}

int
mail_list_approval_create(struct store_writer *w, const struct dir_ctx *ctx,
	const struct dir_list_new *in, struct store_list *l_r,
	struct error *err)
{
	if (dir_list_create(ctx, in, l_r, err) < 0)
		return -1;
	if (w != NULL && in->requested_by != NULL &&
	    l_r->status == STORE_LIST_PENDING)
		tell_admins(w, ctx, l_r, in->requested_by, true, NULL);
	return 0;
}

int
mail_list_approval_change(struct store_writer *w, const struct dir_ctx *ctx,
	const char *address, const struct dir_list_change *c,
	const char *requested_by, bool *waiting_r, struct error *err)
{
	bool opened;
	if (dir_list_change(ctx, address, c, requested_by, waiting_r, &opened,
		    err) < 0)
		return -1;
	struct store_list l;
	struct store_list_review r;
	struct error inner;
	if (!opened || w == NULL || dir_list_get(ctx, address, &l,
		    &inner) < 0 || dir_list_review(ctx, address, &r, &inner) < 0)
		return 0;
	/* A change waiting on an approved list, or a rejected list again. */
	tell_admins(w, ctx, &l, requested_by, !*waiting_r,
		*waiting_r ? r.change : NULL);
	return 0;
}

int
mail_list_approval_decide(struct store_writer *w, const struct dir_ctx *ctx,
	const char *address, bool approve, const char *reason,
	struct error *err)
{
	struct store_list l;
	struct store_list_review r;
	struct error inner;
	bool known = w != NULL && dir_list_get(ctx, address, &l, &inner) == 0 &&
		dir_list_review(ctx, address, &r, &inner) == 0;
	if ((approve ? dir_list_approve(ctx, address, err) :
		    dir_list_reject(ctx, address, reason, err)) < 0)
		return -1;
	if (!known || r.requested_by[0] == '\0')
		return 0;
	bool new_list = l.status == STORE_LIST_PENDING;
	const char *result = !approve ? arena_printf(ctx->arena, "The reason "
		"given: %s", reason) : new_list ? "The list is approved: mail "
		"to it is now delivered." : "The change is made.";
	const struct mail_notice_field f[] = {
		{ "list", l.address }, { "name", l.name },
		{ "org", dir_org_name(ctx, l.org_id) },
		{ "ods", dir_org_ods(ctx, l.org_id) },
		{ "decision", approve ? "approved" : "rejected" },
		{ "decided_by", ctx->actor },
		{ "reason", approve ? "" : reason },
		{ "result", result != NULL ? result : "" },
		{ "request", new_list ? "the new distribution list" :
			"a change to the distribution list" },
		{ "change", summary(ctx, &l, new_list ? NULL : r.change) },
		{ "url", portal_link(ctx, "/list?address=", l.address) },
	};
	const char *to[1] = { r.requested_by };
	send_notice(w, ctx, &l, "list-decision", f, sizeof(f) / sizeof(*f),
		to, 1);
	return 0;
}
