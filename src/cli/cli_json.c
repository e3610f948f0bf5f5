/*
 * Directory records as JSON, the one shape both output modes print from.
 * A person, org, site, mailbox, list and contact are the API's records,
 * made by the one renderer (dir/dir_json.c, docs/api.md); the rest are
 * the CLI's own. Layer: front end.
 */
#include "cli/cli_internal.h"
#include "core/error.h"
#include "dir/dir_view.h"

json_t *
cli_json_text(const char *s)
{
	return dir_json_text(s);
}

json_t *
cli_json_time(int64_t t)
{
	return dir_json_time(t);
}

/* The ODS code of an org id, null for none. */
static json_t *
org_ref(struct cli_session *s, int64_t org_id)
{
	const char *ods = cli_org_ods(s, org_id);
	return ods[0] != '\0' ? json_string(ods) : json_null();
}

json_t *
cli_json_orgs(struct cli_session *s, const struct store_org *orgs, size_t n)
{
	struct dir_org_record *r;
	struct error err;
	json_t *array = json_array();
	if (dir_org_records(&s->ctx, orgs, n, &r, &err) < 0)
		return array;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(array, dir_json_org(&r[i]));
	return array;
}

json_t *
cli_json_org(struct cli_session *s, const struct store_org *o)
{
	json_t *array = cli_json_orgs(s, o, 1);
	json_t *j = json_array_get(array, 0);
	j = j != NULL ? json_incref(j) : json_null();
	json_decref(array);
	return j;
}

/*
 * A site: the API's record of it (GET /orgs/{ods}/sites), with the org
 * it belongs to, since `site list` crosses orgs.
 */
json_t *
cli_json_site(struct cli_session *s, const struct store_site *site)
{
	json_t *j = dir_json_site(site);
	json_object_set_new(j, "org", org_ref(s, site->org_id));
	return j;
}

json_t *
cli_json_person(struct cli_session *s, const struct store_person *p)
{
	struct dir_person_record r;
	struct error err;
	if (dir_person_record_get(&s->ctx, p->id, true, &r, &err) < 0)
		return json_null();
	return dir_json_person(&r);
}

json_t *
cli_json_mailbox(struct cli_session *s, const struct store_mailbox *m)
{
	return dir_json_mailbox(m, cli_org_ods(s, m->org_id));
}

json_t *
cli_json_contact(struct cli_session *s, const struct store_contact *c)
{
	return dir_json_contact(c, cli_org_ods(s, c->org_id));
}

json_t *
cli_json_list(struct cli_session *s, const struct store_list *l)
{
	return dir_json_list(l, cli_org_ods(s, l->org_id));
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
