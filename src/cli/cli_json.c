/*
 * Directory records as JSON, the one shape both output modes print from:
 * orgs named by ODS code, sites by name, times as ISO 8601 UTC (null when
 * never). Layer: front end.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/error.h"

json_t *
cli_json_text(const char *s)
{
	json_t *j = json_string(s != NULL ? s : "");
	if (j != NULL)
		return j;
	/* Not UTF-8: show what can be shown rather than fail the command. */
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
cli_json_time(int64_t t)
{
	if (t == 0)
		return json_null();
	char buf[32];
	clock_format_iso(t, buf, sizeof(buf));
	return json_string(buf);
}

/* The ODS code of an org id, null for none. */
static json_t *
org_ref(struct cli_session *s, int64_t org_id)
{
	const char *ods = cli_org_ods(s, org_id);
	return ods[0] != '\0' ? json_string(ods) : json_null();
}

json_t *
cli_json_org(struct cli_session *s, const struct store_org *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "ods", cli_json_text(o->ods));
	json_object_set_new(j, "name", cli_json_text(o->name));
	json_object_set_new(j, "type", cli_json_text(o->type));
	json_object_set_new(j, "parent", org_ref(s, o->parent_id));
	json_object_set_new(j, "postal_address",
		cli_json_text(o->postal_address));
	json_object_set_new(j, "description", cli_json_text(o->description));
	json_object_set_new(j, "website", cli_json_text(o->website));
	json_object_set_new(j, "helpdesk_phone",
		cli_json_text(o->helpdesk_phone));
	json_object_set_new(j, "helpdesk_email",
		cli_json_text(o->helpdesk_email));
	json_object_set_new(j, "default_quota_mb",
		json_integer(o->default_quota_mb));
	json_object_set_new(j, "protocols_off", cli_json_text(o->protocols_off));
	json_object_set_new(j, "created_at", cli_json_time(o->created_at));
	json_object_set_new(j, "updated_at", cli_json_time(o->updated_at));
	return j;
}

json_t *
cli_json_site(struct cli_session *s, const struct store_site *site)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
		"name", cli_json_text(site->name),
		"org", org_ref(s, site->org_id),
		"site_type", cli_json_text(site->site_type),
		"postal_address", cli_json_text(site->postal_address),
		"created_at", cli_json_time(site->created_at));
}

json_t *
cli_json_person(struct cli_session *s, const struct store_person *p)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(p->id));
	json_object_set_new(j, "address", cli_json_text(p->address));
	json_object_set_new(j, "display_name", cli_json_text(p->display_name));
	json_object_set_new(j, "first_name", cli_json_text(p->first_name));
	json_object_set_new(j, "last_name", cli_json_text(p->last_name));
	json_object_set_new(j, "org", org_ref(s, p->org_id));
	json_object_set_new(j, "site", cli_json_text(cli_site_name(s,
		p->site_id)));
	json_object_set_new(j, "job_title", cli_json_text(p->job_title));
	json_object_set_new(j, "department", cli_json_text(p->department));
	json_object_set_new(j, "phone", cli_json_text(p->phone));
	json_object_set_new(j, "mobile", cli_json_text(p->mobile));
	json_object_set_new(j, "mobile_hidden", json_boolean(p->mobile_hidden));
	json_object_set_new(j, "notes", cli_json_text(p->notes));
	json_object_set_new(j, "status",
		cli_json_text(dir_person_status_name(p->status)));
	json_object_set_new(j, "sync_id", p->sync_id != NULL ?
		json_string(p->sync_id) : json_null());
	json_object_set_new(j, "protocols_off", cli_json_text(p->protocols_off));
	json_object_set_new(j, "created_at", cli_json_time(p->created_at));
	json_object_set_new(j, "updated_at", cli_json_time(p->updated_at));
	json_object_set_new(j, "deleted_at", cli_json_time(p->deleted_at));
	json_object_set_new(j, "last_signin_at",
		cli_json_time(p->last_signin_at));
	json_object_set_new(j, "password_changed_at",
		cli_json_time(p->password_changed_at));
	json_object_set_new(j, "locked", json_boolean(p->locked_at != 0));
	json_object_set_new(j, "locked_at", cli_json_time(p->locked_at));
	return j;
}

json_t *
cli_json_mailbox(struct cli_session *s, const struct store_mailbox *m)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}",
		"address", cli_json_text(m->address),
		"kind", cli_json_text(dir_mailbox_kind_name(m->kind)),
		"display_name", cli_json_text(m->display_name),
		"org", org_ref(s, m->org_id),
		"quota_mb", (json_int_t)m->quota_mb,
		"status", cli_json_text(dir_mailbox_status_name(m->status)),
		"created_at", cli_json_time(m->created_at),
		"updated_at", cli_json_time(m->updated_at),
		"deleted_at", cli_json_time(m->deleted_at));
}

json_t *
cli_json_contact(struct cli_session *s, const struct store_contact *c)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
		"address", cli_json_text(c->address),
		"display_name", cli_json_text(c->display_name),
		"org", org_ref(s, c->org_id),
		"created_at", cli_json_time(c->created_at),
		"deleted_at", cli_json_time(c->deleted_at));
}

json_t *
cli_json_list(struct cli_session *s, const struct store_list *l)
{
	json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
		"address", cli_json_text(l->address),
		"name", cli_json_text(l->name),
		"kind", cli_json_text(dir_list_kind_name(l->kind)),
		"org", org_ref(s, l->org_id),
		"description", cli_json_text(l->description),
		"status", cli_json_text(dir_list_state_name(l->status)));
	json_t *rule = NULL;
	if (l->rule != NULL && l->rule[0] != '\0')
		rule = json_loads(l->rule, 0, NULL);
	json_object_set_new(j, "rule", rule != NULL ? rule : json_null());
	json_object_set_new(j, "created_at", cli_json_time(l->created_at));
	json_object_set_new(j, "updated_at", cli_json_time(l->updated_at));
	json_object_set_new(j, "deleted_at", cli_json_time(l->deleted_at));
	return j;
}

json_t *
cli_json_member(const struct dir_member *m)
{
	return json_pack("{s:o, s:o, s:o, s:b}",
		"address", cli_json_text(m->address),
		"kind", cli_json_text(m->kind),
		"display_name", cli_json_text(m->display_name),
		"deleted", m->deleted);
}

json_t *
cli_json_grant(const struct dir_grant *g)
{
	return json_pack("{s:o, s:o, s:o, s:o}",
		"mailbox", cli_json_text(g->mailbox),
		"person", cli_json_text(g->person),
		"right", cli_json_text(dir_grant_right_name(g->right)),
		"granted_at", cli_json_time(g->granted_at));
}

json_t *
cli_json_audit(struct cli_session *s, const struct store_audit *a)
{
	json_t *summary = NULL;
	if (a->summary != NULL && a->summary[0] != '\0')
		summary = json_loads(a->summary, 0, NULL);
	if (summary == NULL)
		summary = cli_json_text(a->summary);
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o,"
		" s:o}",
		"id", (json_int_t)a->id,
		"at", cli_json_time(a->at),
		"actor", cli_json_text(a->actor),
		"action", cli_json_text(a->action),
		"object_type", cli_json_text(a->object_type),
		"object_id", (json_int_t)a->object_id,
		"org", org_ref(s, a->org_id),
		"summary", summary,
		"result", cli_json_text(a->result),
		"client", cli_json_text(a->client),
		"request_id", cli_json_text(a->request_id));
}

static json_t *
people_json(const struct store_person *people, size_t count)
{
	json_t *array = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(array, json_pack("{s:o, s:o}",
			"address", cli_json_text(people[i].address),
			"display_name", cli_json_text(people[i].display_name)));
	return array;
}

int
cli_json_owners(struct cli_session *s, const char *address,
	json_t **owners_r, struct error *err)
{
	struct store_person *owners;
	size_t count;
	if (dir_owner_list(&s->ctx, address, &owners, &count, err) < 0)
		return -1;
	*owners_r = people_json(owners, count);
	return 0;
}

int
cli_json_members(struct cli_session *s, const char *address,
	json_t **members_r, struct error *err)
{
	struct store_person *members;
	size_t count;
	if (dir_mailbox_member_list(&s->ctx, address, &members, &count,
		    err) < 0)
		return -1;
	*members_r = people_json(members, count);
	return 0;
}

int
cli_json_grants(struct cli_session *s, const char *address,
	json_t **grants_r, struct error *err)
{
	struct dir_grant *grants;
	size_t count;
	if (dir_grant_list(&s->ctx, address, &grants, &count, err) < 0)
		return -1;
	*grants_r = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(*grants_r, cli_json_grant(&grants[i]));
	return 0;
}

int
cli_json_roles(struct cli_session *s, const struct store_person *p,
	json_t **roles_r, struct error *err)
{
	struct store_role *roles;
	size_t count;
	if (dir_role_list(&s->ctx, p->address, &roles, &count, err) < 0)
		return -1;
	*roles_r = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(*roles_r, json_pack("{s:o, s:o, s:o}",
			"org", org_ref(s, roles[i].org_id),
			"role", cli_json_text(roles[i].role),
			"granted_at", cli_json_time(roles[i].granted_at)));
	return 0;
}

int
cli_json_devices(struct cli_session *s, const char *address,
	json_t **devices_r, struct error *err)
{
	struct store_device *devices;
	size_t count;
	if (dir_person_devices(&s->ctx, address, &devices, &count, err) < 0)
		return -1;
	*devices_r = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(*devices_r, json_pack(
			"{s:o, s:o, s:o, s:o, s:o}",
			"protocol", cli_json_text(devices[i].protocol),
			"client", cli_json_text(devices[i].client),
			"address", cli_json_text(devices[i].address),
			"first_seen", cli_json_time(devices[i].first_seen),
			"last_seen", cli_json_time(devices[i].last_seen)));
	return 0;
}
