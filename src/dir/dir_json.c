/*
 * The one renderer: directory records as the JSON docs/api.md documents,
 * which the API replies and `caremail ... --json` prints, so the two
 * cannot drift. Orgs are named by ODS code, times are ISO 8601 UTC (null
 * when never). It reads nothing: dir_view.c reads what it shows.
 * Layer: domain.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "dir/dir_view.h"

json_t *
dir_json_text(const char *s)
{
	json_t *j = json_string(s != NULL ? s : "");
	if (j != NULL)
		return j;
	/* Not UTF-8: show what can be shown rather than fail the record. */
	char *copy = strdup(s);
	if (copy == NULL)
		return json_string("");
	for (char *p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *
dir_json_time(int64_t t)
{
	if (t == 0)
		return json_null();
	char buf[32];
	clock_format_iso(t, buf, sizeof(buf));
	return json_string(buf);
}

/* An ODS code, or null for none. */
static json_t *
ods_or_null(const char *ods)
{
	return ods != NULL && ods[0] != '\0' ? dir_json_text(ods) : json_null();
}

static void
set(json_t *j, const char *key, json_t *value)
{
	json_object_set_new(j, key, value);
}

json_t *
dir_json_person_core(const struct store_person_view *v)
{
	const struct store_person *p = &v->person;
	json_t *j = json_object();
	set(j, "address", dir_json_text(p->address));
	set(j, "display_name", dir_json_text(p->display_name));
	set(j, "first_name", dir_json_text(p->first_name));
	set(j, "last_name", dir_json_text(p->last_name));
	set(j, "org", v->org_ods[0] == '\0' ? json_null() :
		json_pack("{s:o, s:o}", "ods", dir_json_text(v->org_ods),
			"name", dir_json_text(v->org_name)));
	set(j, "job_title", dir_json_text(p->job_title));
	set(j, "department", dir_json_text(p->department));
	set(j, "phone", dir_json_text(p->phone));
	set(j, "mobile", dir_json_text(p->mobile));
	set(j, "status", dir_json_text(dir_person_status_name(p->status)));
	set(j, "mobile_hidden", json_boolean(p->mobile_hidden));
	set(j, "locked", json_boolean(p->locked_at != 0));
	set(j, "locked_at", dir_json_time(p->locked_at));
	set(j, "last_signin_at", dir_json_time(p->last_signin_at));
	set(j, "password_changed_at", dir_json_time(p->password_changed_at));
	return j;
}

json_t *
dir_json_roles(const struct store_role_tag *roles, size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(a, json_pack("{s:o, s:o}", "role",
			dir_json_text(roles[i].role), "org",
			dir_json_text(roles[i].org_ods)));
	return a;
}

json_t *
dir_json_holding(const struct dir_holding *h)
{
	return json_pack("{s:o, s:o, s:o, s:o}", "relation",
		dir_json_text(h->relation), "kind", dir_json_text(h->kind),
		"address", dir_json_text(h->address), "org",
		dir_json_text(h->org_ods));
}

/* A grant is a holding that is neither ownership nor membership. */
static bool
is_right(const char *relation)
{
	return strcmp(relation, "owner") != 0 &&
		strcmp(relation, "member") != 0;
}

static void
add_full(json_t *j, const struct dir_person_record *r)
{
	const struct store_person *p = &r->view.person;
	set(j, "notes", dir_json_text(p->notes));
	set(j, "protocols_off", dir_json_text(p->protocols_off));
	set(j, "created_at", dir_json_time(p->created_at));
	set(j, "updated_at", dir_json_time(p->updated_at));
	set(j, "roles", dir_json_roles(r->roles, r->role_count));
	json_t *grants = json_array(), *holdings = json_array();
	for (size_t i = 0; i < r->holding_count; i++) {
		const struct dir_holding *h = &r->holdings[i];
		json_array_append_new(holdings, dir_json_holding(h));
		if (is_right(h->relation))
			json_array_append_new(grants, json_pack(
				"{s:o, s:o, s:o}", "mailbox",
				dir_json_text(h->address), "right",
				dir_json_text(h->relation), "org",
				dir_json_text(h->org_ods)));
	}
	set(j, "grants", grants);
	set(j, "holdings", holdings);
}

json_t *
dir_json_person(const struct dir_person_record *r)
{
	const struct store_person_view *v = &r->view;
	json_t *j = dir_json_person_core(v);
	/* The id is what a listing's cursor and `user list --after` name. */
	set(j, "id", json_integer(v->person.id));
	set(j, "site", v->site_name[0] == '\0' ? json_null() :
		json_pack("{s:o, s:o}", "name", dir_json_text(v->site_name),
			"site_type", dir_json_text(v->site_type)));
	set(j, "sync_id", v->person.sync_id != NULL ?
		dir_json_text(v->person.sync_id) : json_null());
	set(j, "deleted_at", dir_json_time(v->person.deleted_at));
	set(j, "restorable_until", dir_json_time(r->restorable_until));
	if (r->full)
		add_full(j, r);
	return j;
}

json_t *
dir_json_org(const struct dir_org_record *r)
{
	const struct store_org *o = &r->org;
	json_t *j = json_object();
	set(j, "ods", dir_json_text(o->ods));
	set(j, "name", dir_json_text(o->name));
	set(j, "type", dir_json_text(o->type));
	set(j, "postal_address", dir_json_text(o->postal_address));
	set(j, "description", dir_json_text(o->description));
	set(j, "website", dir_json_text(o->website));
	set(j, "helpdesk_phone", dir_json_text(o->helpdesk_phone));
	set(j, "helpdesk_email", dir_json_text(o->helpdesk_email));
	set(j, "default_quota_mb", json_integer(o->default_quota_mb));
	set(j, "protocols_off", dir_json_text(o->protocols_off));
	set(j, "parent", ods_or_null(r->parent_ods));
	json_t *admins = json_array();
	for (size_t i = 0; i < r->primary_admin_count; i++)
		json_array_append_new(admins,
			dir_json_text(r->primary_admins[i]));
	set(j, "devolved", json_boolean(r->primary_admin_count > 0));
	set(j, "primary_local_admins", admins);
	set(j, "created_at", dir_json_time(o->created_at));
	set(j, "updated_at", dir_json_time(o->updated_at));
	return j;
}

json_t *
dir_json_site(const struct store_site *s)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)s->id,
		"name", dir_json_text(s->name),
		"site_type", dir_json_text(s->site_type),
		"postal_address", dir_json_text(s->postal_address),
		"created_at", dir_json_time(s->created_at));
}

json_t *
dir_json_relay(const struct store_relay_host *r, const char *org_ods)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "id",
		(json_int_t)r->id, "org", dir_json_text(org_ods),
		"cidr", dir_json_text(r->cidr), "label", dir_json_text(r->label),
		"created_at", dir_json_time(r->created_at),
		"created_by", dir_json_text(r->created_by));
}

json_t *
dir_json_mailbox(const struct store_mailbox *m, const char *org_ods)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o}",
		"address", dir_json_text(m->address),
		"display_name", dir_json_text(m->display_name),
		"kind", dir_json_text(dir_mailbox_kind_name(m->kind)),
		"org", dir_json_text(org_ods),
		"quota_mb", (json_int_t)m->quota_mb,
		"status", dir_json_text(dir_mailbox_status_name(m->status)),
		"created_at", dir_json_time(m->created_at),
		"updated_at", dir_json_time(m->updated_at));
}

json_t *
dir_json_list(const struct store_list *l, const char *org_ods)
{
	json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
		"address", dir_json_text(l->address),
		"name", dir_json_text(l->name),
		"kind", dir_json_text(dir_list_kind_name(l->kind)),
		"org", dir_json_text(org_ods),
		"status", dir_json_text(dir_list_state_name(l->status)),
		"description", dir_json_text(l->description));
	json_t *rule = NULL;
	if (l->rule != NULL && l->rule[0] != '\0')
		rule = json_loads(l->rule, 0, NULL);
	set(j, "rule", rule != NULL ? rule : json_null());
	set(j, "created_at", dir_json_time(l->created_at));
	set(j, "updated_at", dir_json_time(l->updated_at));
	return j;
}

json_t *
dir_json_contact(const struct store_contact *c, const char *org_ods)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
		"address", dir_json_text(c->address),
		"display_name", dir_json_text(c->display_name),
		"org", dir_json_text(org_ods),
		"created_at", dir_json_time(c->created_at),
		"updated_at", dir_json_time(c->updated_at));
}

/* People named by address: owners and members. */
static json_t *
addresses_json(const struct store_person *people, size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(a, dir_json_text(people[i].address));
	return a;
}

json_t *
dir_json_mailbox_record(const struct dir_mailbox_record *r)
{
	json_t *j = dir_json_mailbox(&r->mailbox, r->org_ods);
	set(j, "owners", addresses_json(r->owners, r->owner_count));
	set(j, "members", addresses_json(r->members, r->member_count));
	json_t *grants = json_array();
	for (size_t i = 0; i < r->grant_count; i++)
		json_array_append_new(grants, json_pack("{s:o, s:o, s:o}",
			"person", dir_json_text(r->grants[i].person),
			"right", dir_json_text(
				dir_grant_right_name(r->grants[i].right)),
			"granted_at", dir_json_time(r->grants[i].granted_at)));
	set(j, "grants", grants);
	if (r->mailbox.kind == STORE_MAILBOX_SHARED) {
		set(j, "last_used_at", dir_json_time(r->last_used_at));
		set(j, "delete_at", dir_json_time(r->delete_at));
	}
	return j;
}

static json_t *
members_json(const struct dir_list_record *r)
{
	if (r->members == NULL)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; i < r->member_count; i++) {
		const struct dir_member *m = &r->members[i];
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:b}",
			"kind", dir_json_text(m->kind),
			"address", dir_json_text(m->address),
			"display_name", dir_json_text(m->display_name),
			"deleted", m->deleted));
	}
	return a;
}

void
dir_json_add_review(json_t *j, const struct store_list_review *rv)
{
	json_t *change = rv->change[0] != '\0' ?
		json_loads(rv->change, 0, NULL) : NULL;
	set(j, "pending_change", change != NULL ? change : json_null());
	set(j, "requested_by", rv->requested_by[0] != '\0' ?
			dir_json_text(rv->requested_by) : json_null());
	set(j, "requested_at", dir_json_time(rv->requested_at));
	if (rv->decision[0] == '\0') {
		set(j, "last_decision", json_null());
		return;
	}
	set(j, "last_decision", json_pack("{s:o, s:o, s:o, s:o}",
		"decision", dir_json_text(rv->decision),
		"reason", dir_json_text(rv->reason),
		"by", dir_json_text(rv->decided_by),
		"at", dir_json_time(rv->decided_at)));
}

json_t *
dir_json_list_record(const struct dir_list_record *r)
{
	json_t *j = dir_json_list(&r->list, r->org_ods);
	set(j, "owners", addresses_json(r->owners, r->owner_count));
	set(j, "owners_max", json_integer(r->owners_max));
	set(j, "members", members_json(r));
	dir_json_add_review(j, &r->review);
	set(j, "waiting_for_approval", json_boolean(
		r->list.status == STORE_LIST_PENDING ||
		r->review.change[0] != '\0'));
	return j;
}
