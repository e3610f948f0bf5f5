/*
 * People Finder and Get help (SPEC D4, D6; seed 002 #6962, #9686, #6420).
 * Layer: domain. What a person typed becomes folded word prefixes
 * (core/fold.h) that the store matches against each person's keys; the
 * answer carries admin tags read from the roles held now, so a role
 * removed, or a person deleted, stops showing at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fold.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store.h"
#include "store/store_org.h"
#include "store/store_person.h"
#include "store/store_search.h"

/* Longest text a query part may have; names are at most 100 bytes. */
#define QUERY_TEXT_MAX 256

struct words {
	char **name;
	size_t name_count;
	char **job;
	size_t job_count;
	const char *email;
};

static int
too_long(const char *field, const char *text, struct error *err)
{
	if (text != NULL && strlen(text) > QUERY_TEXT_MAX)
		return error_set_field(err, ERROR_INVALID, field,
			"%s is longer than %d characters", field,
			QUERY_TEXT_MAX);
	return 0;
}

/* An address prefix as stored: ASCII lower case, no spaces around it. */
static char *
email_prefix(const struct dir_ctx *ctx, const char *text)
{
	char *e = arena_strdup(ctx->arena, text);
	if (e != NULL)
		str_lower_inplace(e);
	return e;
}

/* q's words: a token with '@' is an address, the rest are names. */
static int
split_q(const struct dir_ctx *ctx, const char *q, struct words *w,
	struct error *err)
{
	struct span rest = span_from_cstr(q), token;
	while (rest.len > 0) {
		size_t skip = 0;
		while (skip < rest.len && (rest.p[skip] == ' ' ||
			   rest.p[skip] == '\t' || rest.p[skip] == ','))
			skip++;
		rest = span_make(rest.p + skip, rest.len - skip);
		size_t len = 0;
		while (len < rest.len && rest.p[len] != ' ' &&
		       rest.p[len] != '\t' && rest.p[len] != ',')
			len++;
		token = span_make(rest.p, len);
		rest = span_make(rest.p + len, rest.len - len);
		if (token.len == 0)
			continue;
		char *text = span_dup(token, ctx->arena);
		if (text == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		if (memchr(token.p, '@', token.len) != NULL) {
			if (w->email != NULL)
				return error_set_field(err, ERROR_INVALID, "q",
					"a search may hold one address");
			w->email = email_prefix(ctx, text);
		} else if (fold_words(text, STORE_SEARCH_KEY_MAX, ctx->arena,
				   &w->name, &w->name_count) < 0) {
			return error_set(err, ERROR_LIMIT, "out of memory");
		}
	}
	return 0;
}

static int
query_words(const struct dir_ctx *ctx, const struct dir_people_query *q,
	struct words *w, struct error *err)
{
	memset(w, 0, sizeof(*w));
	if (too_long("q", q->q, err) < 0 ||
	    too_long("email", q->email, err) < 0 ||
	    too_long("org", q->org, err) < 0 ||
	    too_long("job_title", q->job_title, err) < 0 ||
	    too_long("site_type", q->site_type, err) < 0)
		return -1;
	if (q->q != NULL && split_q(ctx, q->q, w, err) < 0)
		return -1;
	if (q->email != NULL && q->email[0] != '\0') {
		if (w->email != NULL)
			return error_set_field(err, ERROR_INVALID, "email",
				"give the address in email or in q, not both");
		w->email = email_prefix(ctx, q->email);
	}
	if (q->job_title != NULL &&
	    fold_words(q->job_title, STORE_SEARCH_KEY_MAX, ctx->arena, &w->job,
		    &w->job_count) < 0)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (w->name_count + w->job_count + (w->email != NULL) >
	    STORE_SEARCH_WORDS_MAX)
		return error_set_field(err, ERROR_INVALID, "q",
			"a search may use at most %d words in all; leave some "
			"out", STORE_SEARCH_WORDS_MAX);
	return 0;
}

/* The configured spelling of a site type named in any case. */
static int
site_type_of(const struct dir_ctx *ctx, const char *text,
	const char **type_r, struct error *err)
{
	*type_r = NULL;
	if (text == NULL || text[0] == '\0')
		return 0;
	char item[64];
	for (size_t i = 0; config_list_item(ctx->config, "dir.site_types", i,
		    item, sizeof(item)); i++) {
		if (strcasecmp(item, text) == 0) {
			*type_r = arena_strdup(ctx->arena, item);
			return *type_r != NULL ? 0 : error_set(err, ERROR_LIMIT,
				"out of memory");
		}
	}
	return error_set_field(err, ERROR_INVALID, "site_type",
		"'%.40s' is not a site type; use one of: %s", text,
		config_get_str(ctx->config, "dir.site_types"));
}

static int
orgs_of(const struct dir_ctx *ctx, const char *text, int64_t **ids_r,
	size_t *count_r, struct error *err)
{
	*ids_r = NULL;
	*count_r = 0;
	if (text == NULL || text[0] == '\0')
		return 0;
	if (store_org_find(ctx->store, text, ctx->arena, ids_r, count_r,
		    err) < 0)
		return -1;
	if (*count_r == 0)
		return error_set_field(err, ERROR_NOT_FOUND, "org",
			"no organisation has the ODS code or a name with "
			"'%.40s' in it", text);
	return 0;
}

/*
 * The roles held now by each person found, as tags naming each org by ODS
 * code: read by the store with the page's rows (bench B5).
 */
static int
admin_tags(const struct dir_ctx *ctx, struct dir_person_found *found,
	size_t count, struct error *err)
{
	for (size_t i = 0; i < count; i++) {
		struct dir_person_found *f = &found[i];
		const struct store_person_match *m = &f->match;
		f->tag_count = m->role_count;
		f->tags = f->tag_count > 0 ? arena_alloc(ctx->arena,
			f->tag_count * sizeof(*f->tags)) : NULL;
		if (f->tag_count > 0 && f->tags == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		for (size_t k = 0; k < m->role_count; k++)
			f->tags[k] = (struct dir_admin_tag){ m->roles[k].role,
				m->roles[k].org_ods };
	}
	return 0;
}

/* The page's size: asked for, or the configured default, never past the cap. */
static int
page_size(const struct dir_ctx *ctx, size_t asked, size_t *limit_r,
	struct error *err)
{
	size_t cap = (size_t)config_get_int(ctx->config,
		"dir.people_search_limit");
	size_t page = (size_t)config_get_int(ctx->config,
		"dir.people_search_page");
	if (asked > cap)
		return error_set_field(err, ERROR_INVALID, "limit",
			"limit must be a whole number from 1 to %zu", cap);
	*limit_r = asked != 0 ? asked : page < cap ? page : cap;
	return 0;
}

/* The search itself, inside the caller's read transaction. */
static int
people_search(const struct dir_ctx *ctx, const struct dir_people_query *q,
	struct store_person_query *sq,
	struct dir_people_result *r, struct error *err)
{
	int64_t *org_ids;
	size_t org_count;
	if (orgs_of(ctx, q->org, &org_ids, &org_count, err) < 0)
		return -1;
	sq->org_ids = org_ids;
	sq->org_count = org_count;
	struct store_person_match *rows;
	size_t count;
	if (store_person_search(ctx->store, sq, ctx->arena, &rows, &count,
		    err) < 0)
		return -1;
	/* The store chose the first limit + 1 by name, in that order. */
	r->refine = count > r->limit;
	r->count = r->refine ? r->limit : count;
	r->people = arena_alloc(ctx->arena,
		(count > 0 ? count : 1) * sizeof(*r->people));
	if (r->people == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	for (size_t i = 0; i < r->count; i++)
		r->people[i] = (struct dir_person_found){ .match = rows[i] };
	return admin_tags(ctx, r->people, r->count, err);
}

const char *
dir_person_mobile_shown(const struct store_person *p)
{
	return p->mobile_hidden || p->mobile[0] == '\0' ? NULL : p->mobile;
}

char *
dir_people_cursor(const struct dir_person_found *last, struct arena *a)
{
	const char *text = arena_printf(a, "%lld:%s",
		(long long)last->match.person.id, last->match.sort);
	if (text == NULL)
		return NULL;
	size_t len = strlen(text);
	size_t room = sodium_base64_encoded_len(len,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = arena_alloc(a, room);
	if (out != NULL)
		sodium_bin2base64(out, room, (const unsigned char *)text, len,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

int
dir_people_cursor_parse(const char *text, struct arena *a,
	const char **sort_r, int64_t *id_r, struct error *err)
{
	size_t len = strlen(text), n = 0;
	/* Base64 holds 3 bytes in 4: room for an id, ':' and the sort. */
	unsigned char *bin = len <= 2 * DIR_PEOPLE_CURSOR_MAX ?
		arena_alloc(a, len + 1) : NULL;
	char *end = NULL, *sep = NULL;
	long long id = -1;
	if (bin != NULL && sodium_base642bin(bin, len, text, len, NULL, &n,
				   NULL,
				   sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
	    memchr(bin, '\0', n) == NULL) {
		bin[n] = '\0';
		sep = strchr((char *)bin, ':');
	}
	if (sep != NULL && bin[0] >= '0' && bin[0] <= '9') {
		*sep = '\0';
		errno = 0;
		id = strtoll((char *)bin, &end, 10);
	}
	if (end == NULL || *end != '\0' || errno != 0 || id < 0 ||
	    id == INT64_MAX || strlen(sep + 1) > DIR_PEOPLE_CURSOR_MAX)
		return error_set_field(err, ERROR_INVALID, "cursor",
			"cursor must be the next_cursor of an earlier page");
	*sort_r = sep + 1;
	*id_r = id;
	return 0;
}

int
dir_people_search(const struct dir_ctx *ctx,
	const struct dir_people_query *q, struct dir_people_result *r,
	struct error *err)
{
	struct words w;
	struct store_person_query sq = { 0 };
	memset(r, 0, sizeof(*r));
	if (page_size(ctx, q->limit, &r->limit, err) < 0 ||
	    query_words(ctx, q, &w, err) < 0 ||
	    site_type_of(ctx, q->site_type, &sq.site_type, err) < 0)
		return -1;
	if (q->after_sort != NULL && (q->after_id < 0 ||
		    q->after_id == INT64_MAX ||
		    strlen(q->after_sort) > DIR_PEOPLE_CURSOR_MAX))
		return error_set_field(err, ERROR_INVALID, "cursor",
			"cursor must be the next_cursor of an earlier page");
	sq.name_words = (const char *const *)w.name;
	sq.name_count = w.name_count;
	sq.job_words = (const char *const *)w.job;
	sq.job_count = w.job_count;
	sq.email = w.email;
	sq.limit = r->limit + 1;	/* one more tells us to ask to refine */
	sq.after_sort = q->after_sort;
	sq.after_id = q->after_id;
	/*
	 * The search's statements as one run of reads (on SQLite, the log's
	 * read lock taken once rather than each: bench B5), not one moment:
	 * each statement that shows a person reads their row, their org and
	 * their roles together, and only live people, so someone changed
	 * mid-search is shown as they are now or not at all.
	 */
	if (store_reads_begin(ctx->store, err) < 0)
		return -1;
	int rc = people_search(ctx, q, &sq, r, err);
	store_reads_end(ctx->store);
	return rc;
}

/* The live Local and Primary Local Admins of one org. */
static int
org_admins(const struct dir_ctx *ctx, const struct store_org *org,
	struct dir_help *h, struct error *err)
{
	struct dir_org_admin *admins;
	size_t n, capacity = 0;
	if (dir_org_local_admins(ctx, org->id, &admins, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dir_helper *slot = arena_array_push(ctx->arena,
			(void **)&h->admins, &h->admin_count, &capacity,
			sizeof(*slot));
		if (slot == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		*slot = (struct dir_helper){ admins[i].person, admins[i].role,
			org->ods };
	}
	return 0;
}

int
dir_people_help(const struct dir_ctx *ctx, const char *address,
	struct dir_help *h, struct error *err)
{
	struct store_person p;
	memset(h, 0, sizeof(*h));
	h->helpdesk_phone = h->helpdesk_email = h->helpdesk_org_ods = "";
	if (dir_person_get(ctx, address, &p, err) < 0 ||
	    store_org_get(ctx->store, p.org_id, ctx->arena, &h->org, err) < 0)
		return -1;
	/* Up the tree: whoever administers the org is who helps. */
	struct store_org org = h->org;
	for (int depth = 0; depth < 64; depth++) {
		if (h->admin_count == 0 && org_admins(ctx, &org, h, err) < 0)
			return -1;
		if (h->helpdesk_org_ods[0] == '\0' &&
		    (org.helpdesk_phone[0] != '\0' ||
			    org.helpdesk_email[0] != '\0')) {
			h->helpdesk_phone = org.helpdesk_phone;
			h->helpdesk_email = org.helpdesk_email;
			h->helpdesk_org_ods = org.ods;
		}
		if ((h->admin_count > 0 && h->helpdesk_org_ods[0] != '\0') ||
		    org.parent_id == 0)
			break;
		if (store_org_get(ctx->store, org.parent_id, ctx->arena, &org,
			    err) < 0)
			return -1;
	}
	return 0;
}
