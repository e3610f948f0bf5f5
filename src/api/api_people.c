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
#include "core/json_text.h"

/* The phones as Get help shows them (dir_person_mobile_shown). */
static json_t *
phones_json(json_t *j, const struct store_person *p)
{
	const char *mobile = dir_person_mobile_shown(p);
	json_object_set_new(j, "phone", json_string(p->phone));
	json_object_set_new(j, "mobile", mobile != NULL ?
		json_string(mobile) : json_null());
	return j;
}

/*
 * A People Finder page is written as JSON text (core/json_text.h), not
 * built as a jansson tree: building, dumping and freeing the tree of 25
 * people was a quarter of a search's CPU (bench B5). The members, in
 * order: address, display_name, first_name, last_name, job_title,
 * department, org {ods, name}, site ({name, type} or null), helpdesk
 * {phone, email}, leaver, admin [{role, org}], phone, mobile (or null).
 */

/*
 * The most a page's text may take. The page is built in an arena of its
 * own, not the request's (8 MiB, which the page's rows share): a page of
 * dir.people_search_limit people, 10,000 at most, of long names and
 * titles is a few MiB. The text gets half, as a doubling string leaves
 * its smaller copies behind in the arena.
 */
#define PEOPLE_REPLY_MAX (64u << 20)

/*
 * Each part of the page is added unless one before failed: *rc is
 * json_text_string's (0; 1 when a text is not UTF-8; -1 when out is full).
 */

/* Appends JSON as it is. */
static void
raw(struct str *out, int *rc, const char *json)
{
	if (*rc == 0 && str_append_cstr(out, json) < 0)
		*rc = -1;
}

/* Appends lead (JSON as it is), then text as a JSON string, or null. */
static void
put(struct str *out, int *rc, const char *lead, const char *text)
{
	raw(out, rc, lead);
	if (*rc == 0)
		*rc = text != NULL ? json_text_string(out, text) :
			str_append_cstr(out, "null");
}

/*
 * One person found. Any of their text that is not UTF-8 makes the whole
 * person null: jansson, which refuses such text, did so for all but the
 * phones (it left a bad phone or mobile out), and a reader is better
 * told nothing than half. 0, or -1 when out is full.
 */
static int
found_text(struct str *out, const struct dir_person_found *f)
{
	const struct store_person_match *m = &f->match;
	const struct store_person *p = &m->person;
	size_t mark = out->len;
	int rc = 0;
	put(out, &rc, "{\"address\":", p->address);
	put(out, &rc, ",\"display_name\":", p->display_name);
	put(out, &rc, ",\"first_name\":", p->first_name);
	put(out, &rc, ",\"last_name\":", p->last_name);
	put(out, &rc, ",\"job_title\":", p->job_title);
	put(out, &rc, ",\"department\":", p->department);
	put(out, &rc, ",\"org\":{\"ods\":", m->org_ods);
	put(out, &rc, ",\"name\":", m->org_name);
	if (m->site_name[0] == '\0') {
		raw(out, &rc, "},\"site\":null");
	} else {
		put(out, &rc, "},\"site\":{\"name\":", m->site_name);
		put(out, &rc, ",\"type\":", m->site_type);
		raw(out, &rc, "}");
	}
	put(out, &rc, ",\"helpdesk\":{\"phone\":", m->helpdesk_phone);
	put(out, &rc, ",\"email\":", m->helpdesk_email);
	raw(out, &rc, p->status == STORE_PERSON_LEAVER ?
		"},\"leaver\":true,\"admin\":[" :
		"},\"leaver\":false,\"admin\":[");
	for (size_t i = 0; i < f->tag_count; i++) {
		put(out, &rc, i == 0 ? "{\"role\":" : ",{\"role\":",
			f->tags[i].role);
		put(out, &rc, ",\"org\":", f->tags[i].org_ods);
		raw(out, &rc, "}");
	}
	put(out, &rc, "],\"phone\":", p->phone);
	put(out, &rc, ",\"mobile\":", dir_person_mobile_shown(p));
	raw(out, &rc, "}");
	if (rc == 1) {
		str_truncate(out, mark);
		rc = str_append_cstr(out, "null");
	}
	return rc;
}

/* The page: {items, limit, refine, next_cursor[, message]}; 0 or -1. */
static int
page_text(struct api_request *req, const struct dir_people_result *r,
	struct str *out)
{
	int rc = str_append_cstr(out, "{\"items\":[");
	for (size_t i = 0; rc == 0 && i < r->count; i++)
		if ((i > 0 && str_append_char(out, ',') < 0) ||
		    found_text(out, &r->people[i]) < 0)
			rc = -1;
	if (rc == 0)
		rc = str_appendf(out, "],\"limit\":%zu,\"refine\":%s", r->limit,
			r->refine ? "true" : "false");
	/* Where the next page starts, or null on the last page. */
	const char *cursor = r->refine && r->count > 0 ? dir_people_cursor(
		&r->people[r->count - 1], req->arena) : NULL;
	put(out, &rc, ",\"next_cursor\":", cursor);
	/* seed 002 #6962: say so, rather than silently cutting the list. */
	if (rc == 0 && r->refine)
		rc = str_appendf(out, ",\"message\":\"More than %zu people "
			"match; add more of the name or a filter to narrow "
			"the search.\"", r->limit);
	if (rc == 0)
		rc = str_append_char(out, '}');
	return rc == 0 ? 0 : -1;
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
	/* Its own arena: the page may be megabytes, past the request's. */
	struct arena *a = arena_new(PEOPLE_REPLY_MAX);
	struct str out;
	str_init(&out, a, PEOPLE_REPLY_MAX / 2);
	if (page_text(req, &r, &out) < 0) {
		error_set_field(&err, ERROR_LIMIT, "limit", "the page of %zu "
			"people is too large to send; ask for fewer with limit=",
			r.count);
		api_reply_from_error(req, &err);
	} else {
		api_reply_text(req, 200, &out);
	}
	arena_free(&a);
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
