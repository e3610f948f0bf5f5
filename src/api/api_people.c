/*
 * /api/v1/people: People Finder and Get help (SPEC D4, D6). Layer: front
 * end. Open to every signed-in person, admin or not: the directory is
 * the whole service's. SECURITY: a hidden mobile, admin-only notes and
 * deleted people never leave here; admin tags are the roles held now.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"

/* A hidden mobile is left out whoever asks: the person chose that. */
static json_t *
phones_json(json_t *j, const struct store_person *p)
{
	json_object_set_new(j, "phone", json_string(p->phone));
	json_object_set_new(j, "mobile", p->mobile_hidden || p->mobile[0] ==
		'\0' ? json_null() : json_string(p->mobile));
	return j;
}

/* key: text, for found_json; false when text is not UTF-8. */
static bool
set_text(json_t *j, const char *key, const char *text)
{
	json_t *v = json_string(text);
	return v != NULL && json_object_set_new_nocheck(j, key, v) == 0;
}

/*
 * One person found. Built key by key rather than by json_pack, whose
 * format is parsed again for every person (bench B5: a tenth of a
 * search's CPU); text that is not UTF-8 makes the person null, as it did.
 */
static json_t *
found_json(const struct dir_person_found *f)
{
	const struct store_person_match *m = &f->match;
	const struct store_person *p = &m->person;
	json_t *j = json_object(), *org = json_object(),
	       *helpdesk = json_object(), *tags = json_array();
	json_t *site = m->site_name[0] == '\0' ? json_null() : json_object();
	bool ok = j != NULL && org != NULL && helpdesk != NULL &&
		tags != NULL && site != NULL;
	ok = ok && set_text(j, "address", p->address) &&
		set_text(j, "display_name", p->display_name) &&
		set_text(j, "first_name", p->first_name) &&
		set_text(j, "last_name", p->last_name) &&
		set_text(j, "job_title", p->job_title) &&
		set_text(j, "department", p->department) &&
		set_text(org, "ods", m->org_ods) &&
		set_text(org, "name", m->org_name) &&
		(json_is_null(site) || (set_text(site, "name", m->site_name) &&
			set_text(site, "type", m->site_type))) &&
		set_text(helpdesk, "phone", m->helpdesk_phone) &&
		set_text(helpdesk, "email", m->helpdesk_email);
	for (size_t i = 0; ok && i < f->tag_count; i++) {
		json_t *t = json_object();
		ok = t != NULL && json_array_append_new(tags, t) == 0 &&
			set_text(t, "role", f->tags[i].role) &&
			set_text(t, "org", f->tags[i].org_ods);
	}
	if (!ok) {
		json_decref(j);
		json_decref(org);
		json_decref(helpdesk);
		json_decref(tags);
		json_decref(site);
		return json_null();
	}
	json_object_set_new_nocheck(j, "org", org);
	json_object_set_new_nocheck(j, "site", site);
	json_object_set_new_nocheck(j, "helpdesk", helpdesk);
	json_object_set_new_nocheck(j, "leaver",
		json_boolean(p->status == STORE_PERSON_LEAVER));
	json_object_set_new_nocheck(j, "admin", tags);
	return phones_json(j, p);
}

/* ?limit= and ?cursor=, as every listing takes them; false once replied. */
static bool
page_parse(struct api_request *req, struct dir_people_query *q)
{
	const char *limit = api_query(req, "limit");
	const char *cursor = api_query(req, "cursor");
	if (limit != NULL) {
		char *end;
		errno = 0;
		long long n = limit[0] >= '0' && limit[0] <= '9' ?
			strtoll(limit, &end, 10) : 0;
		if (errno != 0 || n < 1 || *end != '\0') {
			api_reply_error(req, 422, "invalid", "limit must be a "
				"whole number from 1 to "
				"dir.people_search_limit.", "limit");
			return false;
		}
		/* Past the cap: the domain says what the cap is. */
		q->limit = n > INT32_MAX ? (size_t)INT32_MAX : (size_t)n;
	}
	struct error err;
	if (cursor != NULL && dir_people_cursor_parse(cursor, req->arena,
				      &q->after_sort, &q->after_id, &err) < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	return true;
}

/* Where the next page starts, or null on the last page. */
static json_t *
next_cursor(struct api_request *req, const struct dir_people_result *r)
{
	if (!r->refine || r->count == 0)
		return json_null();
	const char *c = dir_people_cursor(&r->people[r->count - 1],
		req->arena);
	return c != NULL ? json_string(c) : json_null();
}

void
api_people_search(struct api_request *req)
{
	struct dir_people_query q = {
		.q = api_query(req, "q"),
		.email = api_query(req, "email"),
		.org = api_query(req, "org"),
		.site_type = api_query(req, "site_type"),
		.job_title = api_query(req, "job_title"),
	};
	struct dir_people_result r;
	struct error err;
	/* SECURITY.md 47: the directory is not to be harvested. */
	if (!api_rate_ok(req, "search", req->session.person.address,
		    "ratelimit.search_per_person"))
		return;
	if (!page_parse(req, &q))
		return;
	if (dir_people_search(&req->ctx, &q, &r, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < r.count; i++)
		json_array_append_new(items, found_json(&r.people[i]));
	json_t *body = json_pack("{s:o,s:I,s:b,s:o}", "items", items, "limit",
		(json_int_t)r.limit, "refine", r.refine, "next_cursor",
		next_cursor(req, &r));
	/* seed 002 #6962: say so, rather than silently cutting the list. */
	if (r.refine)
		json_object_set_new(body, "message", json_string(arena_printf(
			req->arena, "More than %zu people match; add more of "
			"the name or a filter to narrow the search.",
			r.limit)));
	api_reply(req, 200, body);
}

void
api_people_help(struct api_request *req)
{
	struct dir_help h;
	struct error err;
	if (dir_people_help(&req->ctx, req->session.person.address, &h,
		    &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	json_t *admins = json_array();
	for (size_t i = 0; i < h.admin_count; i++) {
		const struct store_person *p = &h.admins[i].person;
		json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s}", "address",
			p->address, "display_name", p->display_name, "role",
			h.admins[i].role, "org", h.admins[i].org_ods,
			"job_title", p->job_title);
		if (a != NULL)
			json_array_append_new(admins, phones_json(a, p));
	}
	json_t *helpdesk = h.helpdesk_org_ods[0] == '\0' ? json_null() :
		json_pack("{s:s,s:s,s:s}", "phone", h.helpdesk_phone, "email",
			h.helpdesk_email, "org", h.helpdesk_org_ods);
	api_reply(req, 200, json_pack("{s:{s:s,s:s},s:o,s:o}", "org", "ods",
		h.org.ods, "name", h.org.name, "admins", admins, "helpdesk",
		helpdesk != NULL ? helpdesk : json_null()));
}

const struct api_route api_routes_people[] = {
	{ "GET", "/people", api_people_search, 0 },
	{ "GET", "/people/help", api_people_help, 0 },
	API_ROUTES_END,
};
