/*
 * Bulk import and directory sync (SPEC P8, P15, D3): every row validated
 * before any is applied, then all applied in one transaction; rows keyed
 * by external (sync) ID, then email, so loading a file again changes
 * nothing and never makes joe.bloggs1. Layer: domain. RFC 4180 (core/csv).
 */
#include "dir/dir_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/csv.h"
#include "core/error.h"
#include "dir/dir_internal.h"
#include "store/store.h"
#include "store/store_import.h"
#include "store/store_org.h"
#include "store/store_person.h"
#include "store/store_search.h"

/* One row's scratch: its lookups and checks, reset after each row. */
#define IMPORT_ROW_ARENA (1024 * 1024)
/* How often progress is told, in rows. */
#define IMPORT_PROGRESS_EVERY 1000
/*
 * New people whose People Finder keys are written together, in key order
 * (store_search_batch_flush): a 100,000-row import writes them in 5
 * sorted runs rather than one person at a time (bench B6).
 */
#define IMPORT_SEARCH_BATCH 20000
/* Orgs a file's rows may name, looked up once each. */
#define IMPORT_ORGS_MAX 4096

/* The columns docs/csv.md lists, in the template's order. */
enum column {
	COL_ACTION,
	COL_EXTERNAL_ID,
	COL_EMAIL,
	COL_ORG,
	COL_FIRST_NAME,
	COL_LAST_NAME,
	COL_DISPLAY_NAME,
	COL_JOB_TITLE,
	COL_DEPARTMENT,
	COL_SITE,
	COL_PHONE,
	COL_MOBILE,
	COL_MOBILE_HIDDEN,
	COLUMNS
};

static const char *const column_names[COLUMNS] = {
	"action", "external_id", "email", "org", "first_name", "last_name",
	"display_name", "job_title", "department", "site", "phone", "mobile",
	"mobile_hidden",
};

static const char *const outcome_names[DIR_IMPORT_OUTCOMES] = {
	"created", "updated", "unchanged", "leaver", "joined", "error",
};

const char *
dir_import_outcome_name(enum dir_import_outcome outcome)
{
	return outcome < DIR_IMPORT_OUTCOMES ? outcome_names[outcome] : "";
}

const char *
dir_import_template(void)
{
	return "action,external_id,email,org,first_name,last_name,"
	       "display_name,job_title,department,site,phone,mobile,"
	       "mobile_hidden\r\n"
	       "create,HR-000123,,A81001,Joe,Bloggs,,Practice Nurse,Nursing,"
	       "Main Surgery,01632 960001,07700 900123,yes\r\n";
}

/* Spreadsheets write "First Name" or "first-name": all read alike. */
static char *
column_key(const char *header, struct arena *a)
{
	size_t len = strlen(header);
	char *out = arena_alloc(a, len + 1);
	if (out == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = header[i];
		if (c == ' ' || c == '-')
			c = '_';
		out[n++] = str_ascii_lower(c);
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
	/* "sync_id" is what the API and `user add --sync-id` call it. */
	if (strcmp(out, "sync_id") == 0)
		return arena_strdup(a, "external_id");
	return out;
}

static int
column_index(const char *key)
{
	for (int i = 0; i < COLUMNS; i++) {
		if (strcmp(key, column_names[i]) == 0)
			return i;
	}
	return -1;
}

static int
check_header(struct dir_import_table *t, struct error *err)
{
	bool seen[COLUMNS] = { false };
	for (size_t i = 0; i < t->column_count; i++) {
		int c = column_index(t->columns[i]);
		if (c < 0)
			return error_set_field(err, ERROR_INVALID,
				t->columns[i], "row 1 (the header), column %zu: "
				"there is no column called \"%s\"; docs/csv.md "
				"lists the columns", i + 1, t->columns[i]);
		if (seen[c])
			return error_set_field(err, ERROR_INVALID,
				t->columns[i], "row 1 (the header): the column "
				"%s is named twice", t->columns[i]);
		seen[c] = true;
	}
	if (!seen[COL_EXTERNAL_ID] && !seen[COL_EMAIL])
		return error_set(err, ERROR_INVALID, "row 1 (the header): "
			"the file needs an external_id or an email column, so "
			"that each row finds its person again next time");
	return 0;
}

int
dir_import_read_csv(struct span text, struct arena *a,
	struct dir_import_table *t, struct error *err)
{
	memset(t, 0, sizeof(*t));
	struct csv_reader r;
	csv_reader_init(&r, text);
	char **fields;
	size_t n;
	int rc = csv_read_record(&r, a, &fields, &n, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return error_set(err, ERROR_INVALID, "the file is empty; its "
			"first row names the columns (docs/csv.md)");
	t->columns = fields;
	t->column_count = n;
	for (size_t i = 0; i < n; i++) {
		if ((t->columns[i] = column_key(fields[i], a)) == NULL)
			return error_set(err, ERROR_LIMIT, "the file is too "
				"large");
	}
	if (check_header(t, err) < 0)
		return -1;
	size_t row = 1, capacity = 0;
	for (;;) {
		rc = csv_read_record(&r, a, &fields, &n, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		struct dir_import_record *rec = arena_array_push(a,
			(void **)&t->records, &t->count, &capacity,
			sizeof(*rec));
		if (rec == NULL)
			return error_set(err, ERROR_LIMIT, "the file is too "
				"large");
		*rec = (struct dir_import_record){ ++row, fields, n };
	}
}

int
dir_import_read_json(struct span text, struct arena *a,
	struct dir_import_table *t, struct error *err)
{
	memset(t, 0, sizeof(*t));
	json_error_t jerr;
	json_t *doc = json_loadb(text.p, text.len, JSON_REJECT_DUPLICATES,
		&jerr);
	if (doc == NULL)
		return error_set(err, ERROR_INVALID, "the body is not JSON: %s "
			"(line %d)", jerr.text, jerr.line);
	json_t *people = json_is_object(doc) ? json_object_get(doc, "people") :
					       doc;
	if (!json_is_array(people)) {
		json_decref(doc);
		return error_set_field(err, ERROR_INVALID, "people", "the body "
			"is an object with a \"people\" array, or the array");
	}
	t->column_count = COLUMNS;
	t->columns = arena_alloc(a, COLUMNS * sizeof(char *));
	t->records = arena_alloc(a, (json_array_size(people) + 1) *
		sizeof(*t->records));
	if (t->columns == NULL || t->records == NULL) {
		json_decref(doc);
		return error_set(err, ERROR_LIMIT, "the body is too large");
	}
	for (int c = 0; c < COLUMNS; c++)
		t->columns[c] = arena_strdup(a, column_names[c]);
	size_t i;
	json_t *item;
	json_array_foreach(people, i, item) {
		const char *key;
		json_t *value;
		if (!json_is_object(item)) {
			json_decref(doc);
			return error_set_field(err, ERROR_INVALID, "people",
				"people[%zu] is not an object", i);
		}
		char **fields = arena_alloc(a, COLUMNS * sizeof(char *));
		if (fields == NULL) {
			json_decref(doc);
			return error_set(err, ERROR_LIMIT, "the body is too "
				"large");
		}
		static char empty[1];
		for (int c = 0; c < COLUMNS; c++)
			fields[c] = empty;
		json_object_foreach(item, key, value) {
			int c = column_index(strcmp(key, "sync_id") == 0 ?
					"external_id" : key);
			const char *s = json_is_string(value) ?
				json_string_value(value) :
				json_is_true(value) ? "yes" :
				json_is_false(value) ? "no" : NULL;
			if (c < 0 || s == NULL) {
				int bad = c < 0;
				json_decref(doc);
				return error_set_field(err, ERROR_INVALID,
					"people", bad ? "people[%zu]: there is "
					"no field called \"%s\"" : "people[%zu]."
					"%s is not a string", i, key);
			}
			fields[c] = arena_strdup(a, s);
		}
		t->records[t->count++] = (struct dir_import_record){ i + 1,
			fields, COLUMNS };
	}
	json_decref(doc);
	return 0;
}

/* ---- one run ---- */

struct org_cache {
	struct store_org orgs[IMPORT_ORGS_MAX];
	size_t count;
};

/* What the validation found a record to need. */
struct plan {
	enum dir_import_outcome outcome;
	int64_t person_id;	/* the person it found, or 0 */
	int64_t org_id;
	int64_t site_id;	/* a new person's site, or 0 */
};

/* A key a row finds its person by, to refuse the same person twice. */
struct key {
	const char *text;	/* "s<org id>:<external id>" or "e<email>" */
	size_t index;		/* the record */
};

struct run {
	const struct dir_ctx *ctx;
	struct dir_ctx row_ctx;	/* ctx with the row's scratch arena */
	const struct dir_import_table *t;
	const struct dir_import_options *o;
	struct dir_import_report *r;
	int col[COLUMNS];	/* each column's index in the table, or -1 */
	struct org_cache *orgs;
	struct plan *plans;
	struct key *keys;
	size_t key_count, key_capacity;
	size_t item_capacity;
	size_t done, total;
};

static void
progress(struct run *run)
{
	run->done++;
	if (run->o->progress != NULL &&
	    (run->done % IMPORT_PROGRESS_EVERY == 0 ||
		    run->done == run->total))
		run->o->progress(run->o->progress_arg, run->done, run->total);
}

/* A record's field for a column, trimmed; "" when absent or empty. */
static const char *
field(struct run *run, const struct dir_import_record *rec, enum column c)
{
	int i = run->col[c];
	if (i < 0 || (size_t)i >= rec->count)
		return "";
	char *s = rec->fields[i];
	/* Trim in place: the table is the run's own. */
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	rec->fields[i] = s;
	return s;
}

static bool
record_is_blank(struct run *run, const struct dir_import_record *rec)
{
	for (int c = 0; c < COLUMNS; c++) {
		if (field(run, rec, (enum column)c)[0] != '\0')
			return false;
	}
	return true;
}

static void
add_row(struct run *run, size_t row, enum dir_import_outcome outcome,
	const char *address, const char *column, const char *message)
{
	struct arena *a = run->ctx->arena;
	struct dir_import_row item = {
		.row = row,
		.outcome = outcome,
		.address = arena_strdup(a, address != NULL ? address : ""),
		.column = arena_strdup(a, column != NULL ? column : ""),
		.message = arena_strdup(a, message != NULL ? message : ""),
	};
	run->r->counts[outcome]++;
	struct dir_import_row *slot = arena_array_push(a,
		(void **)&run->r->items, &run->r->count, &run->item_capacity,
		sizeof(*slot));
	if (slot != NULL)
		*slot = item;
}

/* A row's problem: the field named by err (else column) and its sentence. */
static void
row_error(struct run *run, const struct dir_import_record *rec,
	const char *column, const struct error *err)
{
	const char *col = err->field[0] != '\0' ? err->field : column;
	/* The directory names fields as the API does; the file's columns. */
	if (strcmp(col, "sync_id") == 0)
		col = "external_id";
	else if (strcmp(col, "address") == 0)
		col = "email";
	char message[sizeof(err->msg) + 64];
	snprintf(message, sizeof(message), "row %zu, column %s: %s",
		rec->row, col[0] != '\0' ? col : "-", err->msg);
	add_row(run, rec->row, DIR_IMPORT_ERROR, "", col, message);
}

static int
find_org(struct run *run, const char *ods, struct store_org **org_r,
	struct error *err)
{
	for (size_t i = 0; i < run->orgs->count; i++) {
		if (strcasecmp(run->orgs->orgs[i].ods, ods) == 0) {
			*org_r = &run->orgs->orgs[i];
			return 0;
		}
	}
	if (run->orgs->count == IMPORT_ORGS_MAX)
		return error_set_field(err, ERROR_LIMIT, "org", "a file may "
			"name at most %d organisations", IMPORT_ORGS_MAX);
	struct store_org *org = &run->orgs->orgs[run->orgs->count];
	/* The org's strings outlive the row: the run's arena keeps them. */
	struct dir_ctx keep = *run->ctx;
	struct error inner;
	if (dir_org_by_ods(&keep, ods, org, &inner) < 0)
		return error_set_field(err, inner.code, "org", "%s", inner.msg);
	run->orgs->count++;
	*org_r = org;
	return 0;
}

static bool
parse_yes_no(const char *s, int *value_r)
{
	static const char *const yes[] = { "yes", "y", "true", "1" };
	static const char *const no[] = { "no", "n", "false", "0" };
	*value_r = -1;
	if (s[0] == '\0')
		return true;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*value_r = 1), true;
		if (strcasecmp(s, no[i]) == 0)
			return (*value_r = 0), true;
	}
	return false;
}

/* The record's fields as a directory change: "" means "not given". */
static int
record_fields(struct run *run, const struct dir_import_record *rec,
	struct dir_person_fields *f, struct error *err)
{
	memset(f, 0, sizeof(*f));
	static const struct {
		enum column c;
		size_t offset;
	} text[] = {
		{ COL_FIRST_NAME, offsetof(struct dir_person_fields, first_name) },
		{ COL_LAST_NAME, offsetof(struct dir_person_fields, last_name) },
		{ COL_DISPLAY_NAME,
		  offsetof(struct dir_person_fields, display_name) },
		{ COL_JOB_TITLE, offsetof(struct dir_person_fields, job_title) },
		{ COL_DEPARTMENT,
		  offsetof(struct dir_person_fields, department) },
		{ COL_SITE, offsetof(struct dir_person_fields, site) },
		{ COL_PHONE, offsetof(struct dir_person_fields, phone) },
		{ COL_MOBILE, offsetof(struct dir_person_fields, mobile) },
		{ COL_EXTERNAL_ID, offsetof(struct dir_person_fields, sync_id) },
	};
	for (size_t i = 0; i < sizeof(text) / sizeof(*text); i++) {
		const char *v = field(run, rec, text[i].c);
		*(const char **)((char *)f + text[i].offset) =
			v[0] != '\0' ? v : NULL;
	}
	if (!parse_yes_no(field(run, rec, COL_MOBILE_HIDDEN),
		    &f->mobile_hidden))
		return error_set_field(err, ERROR_INVALID, "mobile_hidden",
			"write yes or no (or leave it empty)");
	return 0;
}

static bool
differs(const char *given, const char *stored)
{
	return given != NULL && strcmp(given, stored != NULL ? stored : "") != 0;
}

/*
 * The changes an update would make to p: only what the row gives and
 * differs (an empty cell leaves a value as it is). False: none.
 */
static bool
changes_for(struct run *run, const struct dir_person_fields *f,
	const struct store_person *p, struct dir_person_fields *c,
	struct error *err, int *rc_r)
{
	memset(c, 0, sizeof(*c));
	c->mobile_hidden = -1;
	*rc_r = 0;
	bool any = false;
#define TAKE(name)                                                             \
	if (differs(f->name, p->name)) {                                       \
		c->name = f->name;                                             \
		any = true;                                                    \
	}
	TAKE(first_name)
	TAKE(last_name)
	TAKE(display_name)
	TAKE(job_title)
	TAKE(department)
	TAKE(phone)
	TAKE(mobile)
	TAKE(sync_id)
#undef TAKE
	if (f->mobile_hidden >= 0 && (f->mobile_hidden == 1) != p->mobile_hidden) {
		c->mobile_hidden = f->mobile_hidden;
		any = true;
	}
	if (f->site != NULL) {
		int64_t site_id;
		if (dir_site_id_for(&run->row_ctx, p->org_id, f->site, &site_id,
			    err) < 0) {
			*rc_r = -1;
			return false;
		}
		if (site_id != p->site_id) {
			c->site = f->site;
			any = true;
		}
	}
	return any;
}

static int
add_key(struct run *run, size_t index, const char *text)
{
	const char *copy = arena_strdup(run->ctx->arena, text);
	struct key *k = copy == NULL ? NULL : arena_array_push(run->ctx->arena,
		(void **)&run->keys, &run->key_count, &run->key_capacity,
		sizeof(*k));
	if (k == NULL)
		return -1;
	*k = (struct key){ copy, index };
	return 0;
}

/* Finds the row's person: by external ID in the org, then by email. */
static int
find_person(struct run *run, const struct store_org *org, const char *ext,
	const char *email, struct store_person *p, bool *found_r,
	struct error *err)
{
	struct error inner;
	*found_r = false;
	if (ext[0] != '\0') {
		if (store_person_get_by_sync_id(run->ctx->store, org->id, ext,
			    run->row_ctx.arena, p, &inner) == 0)
			return (*found_r = true), 0;
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
	}
	if (email[0] != '\0') {
		if (store_person_get_by_address(run->ctx->store, email,
			    run->row_ctx.arena, p, &inner) == 0) {
			*found_r = true;
			if (ext[0] != '\0' && p->sync_id != NULL &&
			    strcmp(p->sync_id, ext) != 0 &&
			    p->org_id == org->id)
				return error_set_field(err, ERROR_EXISTS,
					"external_id", "%s has the external "
					"ID %s, not %s", p->address,
					p->sync_id, ext);
			return 0;
		}
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
	}
	return 0;
}

/* A new person's row: the checks dir_person_add makes, made now. */
static int
check_new(struct run *run, const struct store_org *org,
	const struct dir_person_fields *f, const char *email,
	int64_t *site_id_r, struct error *err)
{
	if (dir_person_fields_check(f, true, err) < 0)
		return -1;
	if (dir_site_id_for(&run->row_ctx, org->id, f->site, site_id_r,
		    err) < 0)
		return -1;
	struct dir_address addr;
	if (email[0] != '\0') {
		if (dir_new_address(&run->row_ctx, email, NULL, false, &addr,
			    err) < 0)
			return -1;
		struct dir_object obj;
		struct error inner;
		if (dir_resolve(&run->row_ctx, addr.text, &obj, &inner) == 0)
			return error_set_field(err, ERROR_EXISTS, "email",
				"%s is already used by a %s", addr.text,
				dir_holder_noun(obj.kind));
		return 0;
	}
	char local[DIR_ADDRESS_LOCAL_MAX + 1];
	return dir_address_local_from_names(f->first_name, f->last_name, local,
		sizeof(local), err);
}

/* What a row asks for (its action column), parsed once. */
enum row_action {
	ROW_UPSERT,	/* empty: create or update */
	ROW_CREATE,
	ROW_UPDATE,
	ROW_LEAVER,
	ROW_JOIN,
};

static const struct {
	const char *word;
	enum row_action action;
} row_actions[] = {
	{ "", ROW_UPSERT }, { "create", ROW_CREATE }, { "update", ROW_UPDATE },
	{ "leaver", ROW_LEAVER }, { "join", ROW_JOIN },
};

/* The action a column's text (any case) names; false for another word. */
static bool
row_action_parse(const char *text, enum row_action *action_r)
{
	for (size_t i = 0; i < sizeof(row_actions) / sizeof(*row_actions);
	     i++)
		if (strcasecmp(text, row_actions[i].word) == 0) {
			*action_r = row_actions[i].action;
			return true;
		}
	return false;
}

static int
plan_change(struct run *run, const struct dir_import_record *rec,
	enum row_action action, const struct store_org *org, bool found,
	const struct store_person *p, const char *email, struct plan *plan,
	struct error *err)
{
	struct dir_person_fields f, c;
	if (record_fields(run, rec, &f, err) < 0)
		return -1;
	if (!found) {
		if (action == ROW_UPDATE)
			return error_set_field(err, ERROR_NOT_FOUND,
				run->col[COL_EXTERNAL_ID] >= 0 ? "external_id" :
				"email", "there is no one with that external "
				"ID or email to update");
		f.org_ods = org->ods;
		if (check_new(run, org, &f, email, &plan->site_id, err) < 0)
			return -1;
		plan->outcome = DIR_IMPORT_CREATED;
		return 0;
	}
	if (p->deleted_at != 0)
		return error_set_field(err, ERROR_EXISTS, "email", "%s was "
			"deleted; an address is never given to anyone else",
			p->address);
	if (p->org_id != org->id)
		return error_set_field(err, ERROR_EXISTS, "org", "%s is in "
			"another organisation (%s); to move them, mark them a "
			"leaver there and give this row the action join",
			p->address, dir_org_ods(&run->row_ctx, p->org_id));
	if (dir_person_fields_check(&f, false, err) < 0)
		return -1;
	int rc;
	plan->outcome = changes_for(run, &f, p, &c, err, &rc) ?
		DIR_IMPORT_UPDATED : DIR_IMPORT_UNCHANGED;
	return rc;
}

static int
plan_status(struct run *run, enum row_action action,
	const struct store_org *org, bool found, const struct store_person *p,
	struct plan *plan, struct error *err)
{
	const char *key_col = run->col[COL_EMAIL] >= 0 ? "email" :
		"external_id";
	if (!found)
		return error_set_field(err, ERROR_NOT_FOUND, key_col, "there "
			"is no one with that %s", action == ROW_JOIN ?
			"email to join" : "external ID or email to mark a "
			"leaver");
	if (p->deleted_at != 0)
		return error_set_field(err, ERROR_EXISTS, key_col, "%s was "
			"deleted", p->address);
	if (action == ROW_LEAVER) {
		if (p->org_id != org->id)
			return error_set_field(err, ERROR_EXISTS, "org", "%s "
				"is in another organisation (%s)", p->address,
				dir_org_ods(&run->row_ctx, p->org_id));
		plan->outcome = p->status == STORE_PERSON_LEAVER ?
			DIR_IMPORT_UNCHANGED : DIR_IMPORT_LEAVER;
		return 0;
	}
	/* join: a leaver, or someone who joined this org already. */
	if (p->status == STORE_PERSON_LEAVER) {
		plan->outcome = DIR_IMPORT_JOINED;
		return 0;
	}
	if (p->org_id == org->id && p->status == STORE_PERSON_ACTIVE) {
		plan->outcome = DIR_IMPORT_UNCHANGED;
		return 0;
	}
	return error_set_field(err, ERROR_EXISTS, "action", "%s is %s, not a "
		"leaver; a person joins another organisation after they "
		"leave their last one", p->address,
		dir_person_status_name(p->status));
}

static int
plan_record(struct run *run, size_t index, struct error *err)
{
	const struct dir_import_record *rec = &run->t->records[index];
	struct plan *plan = &run->plans[index];
	enum row_action action;
	if (!row_action_parse(field(run, rec, COL_ACTION), &action))
		return error_set_field(err, ERROR_INVALID, "action", "write "
			"create, update, leaver or join (or leave it empty: "
			"create or update)");
	if (run->o->sync && action != ROW_UPSERT)
		return error_set_field(err, ERROR_INVALID, "action", "a sync "
			"decides each row's action itself; leave it empty");
	const char *ods = field(run, rec, COL_ORG);
	if (ods[0] == '\0')
		ods = run->o->org_ods != NULL ? run->o->org_ods : "";
	if (ods[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "org", "no "
			"organisation: fill in the org column (an ODS code) or "
			"give one for the whole file (--org)");
	if (run->o->org_only && strcasecmp(ods, run->o->org_ods) != 0)
		return error_set_field(err, ERROR_DENIED, "org", "this file "
			"is loaded into %s; the row names %s", run->o->org_ods,
			ods);
	struct store_org *org;
	if (find_org(run, ods, &org, err) < 0)
		return -1;
	plan->org_id = org->id;
	const char *ext = field(run, rec, COL_EXTERNAL_ID);
	char *email = arena_strdup(run->row_ctx.arena,
		field(run, rec, COL_EMAIL));
	str_lower_inplace(email);
	if (run->o->sync && ext[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "external_id", "a "
			"sync finds each person by their external ID; fill it "
			"in");
	if (ext[0] == '\0' && email[0] == '\0')
		return error_set_field(err, ERROR_INVALID, run->col[
			COL_EXTERNAL_ID] >= 0 ? "external_id" : "email",
			"give an external_id or an email, so that loading the "
			"file again finds this person instead of making a "
			"second one");
	char key[600];
	if (ext[0] != '\0') {
		snprintf(key, sizeof(key), "s%lld:%s", (long long)org->id, ext);
		if (add_key(run, index, key) < 0)
			return error_set(err, ERROR_LIMIT, "the file is too "
				"large");
	}
	if (email[0] != '\0') {
		snprintf(key, sizeof(key), "e%s", email);
		if (add_key(run, index, key) < 0)
			return error_set(err, ERROR_LIMIT, "the file is too "
				"large");
	}
	struct store_person p;
	bool found;
	if (find_person(run, org, ext, email, &p, &found, err) < 0)
		return -1;
	plan->person_id = found ? p.id : 0;
	if (action == ROW_LEAVER || action == ROW_JOIN)
		return plan_status(run, action, org, found, &p, plan, err);
	return plan_change(run, rec, action, org, found, &p, email, plan, err);
}

static int
key_compare(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = strcmp(x->text, y->text);
	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The same person twice in one file: the later rows are refused. */
static void
refuse_repeats(struct run *run)
{
	if (run->key_count < 2)
		return;
	qsort(run->keys, run->key_count, sizeof(*run->keys), key_compare);
	for (size_t i = 1; i < run->key_count; i++) {
		const struct key *k = &run->keys[i], *first = &run->keys[i - 1];
		if (strcmp(k->text, first->text) != 0 ||
		    k->index == first->index)
			continue;
		struct plan *plan = &run->plans[k->index];
		if (plan->outcome == DIR_IMPORT_ERROR)
			continue;
		plan->outcome = DIR_IMPORT_ERROR;
		const struct dir_import_record *rec = &run->t->records[k->index];
		struct error err;
		/* Keys are sorted by text then index: first is the earlier. */
		size_t j = i - 1;
		while (j > 0 && strcmp(run->keys[j - 1].text, k->text) == 0)
			j--;
		error_set_field(&err, ERROR_EXISTS, k->text[0] == 's' ?
			"external_id" : "email", "row %zu has the same %s; "
			"each person appears once in a file",
			run->t->records[run->keys[j].index].row, k->text[0] ==
			's' ? "external ID" : "email");
		row_error(run, rec, "", &err);
	}
}

static bool
key_in_file(struct run *run, int64_t org_id, const char *sync_id)
{
	char key[600];
	snprintf(key, sizeof(key), "s%lld:%s", (long long)org_id, sync_id);
	struct key k = { key, 0 };
	size_t lo = 0, hi = run->key_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(run->keys[mid].text, k.text);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * A sync's leavers: the org's people with a sync ID the file does not
 * hold. Refused past the share allowed, so a truncated HR export does
 * not turn an org into leavers.
 */
static int
plan_sync_leavers(struct run *run, struct store_org *org,
	int64_t **ids_r, size_t *count_r, struct error *err)
{
	*ids_r = NULL;
	*count_r = 0;
	size_t synced = 0, capacity = 0;
	int64_t after = 0;
	for (;;) {
		arena_reset(run->row_ctx.arena);
		struct store_person *people;
		size_t n;
		if (dir_person_list(&run->row_ctx, org->ods, false, after, 1000,
			    &people, &n, err) < 0)
			return -1;
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			after = people[i].id;
			if (people[i].sync_id == NULL)
				continue;
			synced++;
			if (key_in_file(run, org->id, people[i].sync_id) ||
			    people[i].status == STORE_PERSON_LEAVER)
				continue;
			int64_t *slot = arena_array_push(run->ctx->arena,
				(void **)ids_r, count_r, &capacity,
				sizeof(*slot));
			if (slot == NULL)
				return error_set(err, ERROR_LIMIT, "the org is "
					"too large to sync at once");
			*slot = people[i].id;
		}
	}
	int64_t max_percent = config_get_int(run->ctx->config,
		"dir.sync_max_leaver_percent");
	if (*count_r > 0 && (int64_t)*count_r * 100 >
	    max_percent * (int64_t)synced) {
		run->r->summary = arena_printf(run->ctx->arena, "the sync would "
			"mark %zu of the %zu synced people of %s as leavers, more "
			"than the %lld%% allowed (dir.sync_max_leaver_percent); "
			"nothing was changed. Check that the export is whole.",
			*count_r, synced, org->ods, (long long)max_percent);
		return 1;
	}
	return 0;
}

static int
apply_record(struct run *run, size_t index, struct error *err)
{
	const struct dir_import_record *rec = &run->t->records[index];
	const struct plan *plan = &run->plans[index];
	const struct dir_ctx *rc = &run->row_ctx;
	struct store_person p;
	struct dir_person_fields f, c;
	if (plan->outcome != DIR_IMPORT_UNCHANGED &&
	    plan->outcome != DIR_IMPORT_CREATED && plan->person_id != 0 &&
	    dir_person_get_by_id(rc, plan->person_id, &p, err) < 0)
		return -1;
	switch (plan->outcome) {
	case DIR_IMPORT_CREATED: {
		if (record_fields(run, rec, &f, err) < 0)
			return -1;
		/*
		 * The org and site the validation found in this transaction,
		 * the org kept by the run.
		 */
		struct dir_person_checked checked = { NULL, plan->site_id };
		for (size_t i = 0; i < run->orgs->count; i++)
			if (run->orgs->orgs[i].id == plan->org_id)
				checked.org = &run->orgs->orgs[i];
		if (checked.org == NULL)
			return error_set(err, ERROR_INTERNAL, "row %zu's "
				"organisation was not kept", rec->row);
		f.org_ods = checked.org->ods;
		const char *email = field(run, rec, COL_EMAIL);
		f.address = email[0] != '\0' ? email : NULL;
		if (dir_person_add_checked(rc, &f, &checked, &p, err) < 0)
			return -1;
		break;
	}
	case DIR_IMPORT_UPDATED: {
		int changed;
		if (record_fields(run, rec, &f, err) < 0)
			return -1;
		changes_for(run, &f, &p, &c, err, &changed);
		if (changed < 0 || dir_person_edit(rc, p.address, &c, &p,
					   err) < 0)
			return -1;
		break;
	}
	case DIR_IMPORT_LEAVER:
		if (dir_person_mark_leaver(rc, p.address, &p, err) < 0)
			return -1;
		break;
	case DIR_IMPORT_JOINED: {
		struct store_org org;
		if (dir_org_get_by_id(rc, plan->org_id, &org, err) < 0)
			return -1;
		const char *site = field(run, rec, COL_SITE);
		const char *ext = field(run, rec, COL_EXTERNAL_ID);
		struct dir_move move = { p.address, org.ods, site,
			ext[0] != '\0' ? ext : NULL };
		struct dir_holding *held;
		size_t held_count;
		if (dir_person_join(rc, &move, &p, &held, &held_count,
			    err) < 0)
			return -1;
		break;
	}
	case DIR_IMPORT_UNCHANGED:
		if (dir_person_get_by_id(rc, plan->person_id, &p, err) < 0)
			return -1;
		break;
	default:
		return error_set(err, ERROR_INTERNAL, "row %zu has no plan",
			rec->row);
	}
	add_row(run, rec->row, plan->outcome, p.address, "", "");
	return 0;
}

/* Every change, in the transaction the caller began; -1 at the first. */
static int
apply_all(struct run *run, const int64_t *leavers, size_t leaver_count,
	struct error *err)
{
	for (size_t i = 0; i < run->t->count; i++) {
		arena_reset(run->row_ctx.arena);
		progress(run);
		if (run->plans[i].outcome == DIR_IMPORT_OUTCOMES)
			continue;
		/* Between rows, outside every row's savepoint. */
		if (i % IMPORT_SEARCH_BATCH == 0 && i > 0 &&
		    store_search_batch_flush(run->ctx->store, err) < 0)
			return -1;
		if (apply_record(run, i, err) < 0) {
			run->r->count = 0;
			memset(run->r->counts, 0, sizeof(run->r->counts));
			row_error(run, &run->t->records[i], "", err);
			return -1;
		}
	}
	for (size_t i = 0; i < leaver_count; i++) {
		arena_reset(run->row_ctx.arena);
		struct store_person p;
		if (dir_person_get_by_id(&run->row_ctx, leavers[i], &p,
			    err) < 0 ||
		    dir_person_mark_leaver(&run->row_ctx, p.address, &p,
			    err) < 0)
			return -1;
		add_row(run, 0, DIR_IMPORT_LEAVER, p.address, "", "");
	}
	return 0;
}

static json_t *
rows_json(const struct dir_import_report *r)
{
	json_t *rows = json_array();
	for (size_t i = 0; i < r->count; i++) {
		const struct dir_import_row *it = &r->items[i];
		json_t *j = json_pack("{s:I, s:s, s:s}", "row",
			(json_int_t)it->row, "outcome",
			dir_import_outcome_name(it->outcome), "address",
			it->address);
		if (it->outcome == DIR_IMPORT_ERROR) {
			json_object_set_new(j, "column", json_string(
							    it->column));
			json_object_set_new(j, "message", json_string(
							     it->message));
		}
		json_array_append_new(rows, j);
	}
	return rows;
}

static json_t *
counts_json(int64_t rows, const int64_t *counts)
{
	json_t *j = json_pack("{s:I}", "rows", (json_int_t)rows);
	for (int i = 0; i < DIR_IMPORT_OUTCOMES; i++)
		json_object_set_new(j, i == DIR_IMPORT_LEAVER ? "leavers" :
			i == DIR_IMPORT_ERROR ? "errors" : outcome_names[i],
			json_integer(counts[i]));
	return j;
}

json_t *
dir_import_report_json(const struct dir_import_report *r)
{
	int64_t counts[DIR_IMPORT_OUTCOMES];
	for (int i = 0; i < DIR_IMPORT_OUTCOMES; i++)
		counts[i] = (int64_t)r->counts[i];
	return json_pack("{s:I, s:s, s:s, s:b, s:b, s:s, s:o, s:o}", "id",
		(json_int_t)r->id, "kind", r->sync ? "sync" : "import", "org",
		r->org_ods, "dry_run", r->dry_run, "applied", r->applied,
		"summary", r->summary, "counts",
		counts_json((int64_t)r->rows, counts), "rows", rows_json(r));
}

static int
store_run(struct run *run, int64_t org_id, struct error *err)
{
	struct dir_import_report *r = run->r;
	json_t *rows = rows_json(r);
	char *text = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	if (text == NULL)
		return error_set(err, ERROR_INTERNAL, "the report could not be "
			"written");
	struct store_import s = {
		.kind = r->sync ? "sync" : "import",
		.org_id = org_id,
		.actor = run->ctx->actor != NULL ? run->ctx->actor : "system",
		.created_at = run->ctx->now,
		.dry_run = r->dry_run,
		.applied = r->applied,
		.rows = (int64_t)r->rows,
		.created = (int64_t)r->counts[DIR_IMPORT_CREATED],
		.updated = (int64_t)r->counts[DIR_IMPORT_UPDATED],
		.unchanged = (int64_t)r->counts[DIR_IMPORT_UNCHANGED],
		.leavers = (int64_t)r->counts[DIR_IMPORT_LEAVER],
		.joined = (int64_t)r->counts[DIR_IMPORT_JOINED],
		.errors = (int64_t)r->counts[DIR_IMPORT_ERROR],
		.summary = r->summary,
		.report = text,
	};
	int64_t counts[DIR_IMPORT_OUTCOMES] = { s.created, s.updated,
		s.unchanged, s.leavers, s.joined, s.errors };
	int rc = dir_begin(run->ctx, err);
	if (rc == 0) {
		rc = store_import_insert(run->ctx->store, &s, err);
		if (rc == 0)
			rc = dir_audit_json(run->ctx, "other", DIR_AUDIT_ORG,
				org_id, org_id, json_pack("{s:s, s:I, s:b, s:b, s:o}",
					"what", s.kind, "import", (json_int_t)s.id, "dry_run",
					s.dry_run, "applied", s.applied,
					"counts", counts_json(s.rows, counts)), err);
		rc = dir_finish(run->ctx, rc, err);
	}
	free(text);
	r->id = s.id;
	return rc;
}

static int
validate_all(struct run *run, struct error *err)
{
	for (size_t i = 0; i < run->t->count; i++) {
		arena_reset(run->row_ctx.arena);
		progress(run);
		const struct dir_import_record *rec = &run->t->records[i];
		if (record_is_blank(run, rec)) {
			run->plans[i].outcome = DIR_IMPORT_OUTCOMES;
			continue;
		}
		run->r->rows++;
		struct error rerr;
		if (plan_record(run, i, &rerr) == 0)
			continue;
		if (rerr.code == ERROR_INTERNAL || rerr.code == ERROR_TEMPORARY)
			return error_forward(err, &rerr);
		run->plans[i].outcome = DIR_IMPORT_ERROR;
		row_error(run, rec, "", &rerr);
	}
	refuse_repeats(run);
	return 0;
}

static void
refuse(struct run *run, const char *summary)
{
	run->r->applied = false;
	if (run->r->summary[0] == '\0')
		run->r->summary = summary;
}

int
dir_import_run(const struct dir_ctx *ctx, const struct dir_import_table *t,
	const struct dir_import_options *o, struct dir_import_report *r,
	struct error *err)
{
	*r = (struct dir_import_report){
		.sync = o->sync,
		.dry_run = o->dry_run,
		.org_ods = o->org_ods != NULL ? o->org_ods : "",
		.summary = "",
	};
	struct run run = { .ctx = ctx, .t = t, .o = o, .r = r,
		.total = t->count * (o->dry_run ? 1 : 2) };
	for (int c = 0; c < COLUMNS; c++)
		run.col[c] = -1;
	for (size_t i = 0; i < t->column_count; i++) {
		int c = column_index(t->columns[i]);
		if (c >= 0)
			run.col[c] = (int)i;
	}
	run.row_ctx = *ctx;
	run.row_ctx.arena = arena_new(IMPORT_ROW_ARENA);
	run.orgs = calloc(1, sizeof(*run.orgs));
	run.plans = calloc(t->count + 1, sizeof(*run.plans));
	if (run.orgs == NULL || run.plans == NULL) {
		arena_free(&run.row_ctx.arena);
		free(run.orgs);
		free(run.plans);
		return error_set(err, ERROR_LIMIT, "the file is too large");
	}
	/*
	 * A run that will write validates in the transaction it applies in:
	 * what was checked is what is changed, and the checks' reads take no
	 * lock each (bench B6). A dry run reads without holding the lock.
	 * Bulk mode begins before the transaction, so that the savepoint
	 * each row's change takes is journalled in memory (store_bulk).
	 */
	if (!o->dry_run)
		store_bulk(ctx->store, true);
	int rc = o->dry_run ? 0 : dir_begin(ctx, err);
	bool open = !o->dry_run && rc == 0;
	if (rc == 0)
		rc = validate_all(&run, err);
	int64_t org_id = 0;
	struct store_org *org = NULL;
	if (rc == 0 && o->org_ods != NULL && o->org_ods[0] != '\0' &&
	    find_org(&run, o->org_ods, &org, err) < 0) {
		refuse(&run, err->msg);
		org = NULL;
	}
	if (org != NULL)
		org_id = org->id;
	int64_t *leavers = NULL;
	size_t leaver_count = 0;
	if (rc == 0 && r->counts[DIR_IMPORT_ERROR] == 0 && o->sync &&
	    config_get_bool(ctx->config, "dir.sync_leavers") && org != NULL) {
		int guard = plan_sync_leavers(&run, org, &leavers,
			&leaver_count, err);
		if (guard < 0)
			rc = -1;
		else if (guard > 0)
			refuse(&run, r->summary);
	}
	if (rc == 0 && r->counts[DIR_IMPORT_ERROR] > 0)
		refuse(&run, arena_printf(ctx->arena, "%zu of %zu rows have a "
			"problem; nothing was changed. Correct them and load "
			"the file again.", r->counts[DIR_IMPORT_ERROR], r->rows));
	bool ok = rc == 0 && r->summary[0] == '\0';
	bool stored = false;
	if (ok && o->dry_run) {
		/* The report foretells: each row as it would be applied. */
		for (size_t i = 0; i < t->count; i++) {
			if (run.plans[i].outcome == DIR_IMPORT_OUTCOMES)
				continue;
			arena_reset(run.row_ctx.arena);
			const char *address = field(&run, &t->records[i],
				COL_EMAIL);
			struct store_person p;
			if (run.plans[i].person_id != 0 &&
			    dir_person_get_by_id(&run.row_ctx,
				    run.plans[i].person_id, &p, err) == 0)
				address = p.address;
			add_row(&run, t->records[i].row, run.plans[i].outcome,
				address, "", "");
		}
		for (size_t i = 0; i < leaver_count; i++) {
			struct store_person p;
			if (dir_person_get_by_id(ctx, leavers[i], &p, err) == 0)
				add_row(&run, 0, DIR_IMPORT_LEAVER, p.address,
					"", "");
		}
	} else if (ok) {
		if (rc == 0) {
			struct error apply_err;
			open = false;
			store_search_batch_begin(ctx->store);
			int applied = apply_all(&run, leavers, leaver_count,
				&apply_err);
			/* The last people's keys, before the run's record. */
			if (applied == 0)
				applied = store_search_batch_end(ctx->store,
					&apply_err);
			if (applied < 0 && (apply_err.code == ERROR_INTERNAL ||
						   apply_err.code ==
							   ERROR_TEMPORARY)) {
				dir_finish(ctx, -1, err);
				*err = apply_err;
				rc = -1;
			} else if (applied < 0) {
				dir_finish(ctx, -1, err);
				refuse(&run, arena_printf(ctx->arena, "a row "
					"could not be applied (%s); nothing was "
					"changed", apply_err.msg));
			} else {
				/* The run's record commits with its changes. */
				r->applied = true;
				rc = dir_finish(ctx, store_run(&run, org_id,
							 err), err);
				r->applied = rc == 0;
				stored = rc == 0;
			}
			/* Rolled back or written: nothing waits now. */
			store_search_batch_end(ctx->store, NULL);
		}
	}
	/* Refused or failed: the validation wrote nothing to keep. */
	if (open)
		dir_finish(ctx, -1, NULL);
	if (!o->dry_run)
		store_bulk(ctx->store, false);
	arena_free(&run.row_ctx.arena);
	free(run.orgs);
	free(run.plans);
	if (rc < 0)
		return -1;
	return stored ? 0 : store_run(&run, org_id, err);
}

/* ---- stored runs ---- */

static json_t *
stored_json(const struct dir_ctx *ctx, const struct store_import *s)
{
	int64_t counts[DIR_IMPORT_OUTCOMES] = { s->created, s->updated,
		s->unchanged, s->leavers, s->joined, s->errors };
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:b, s:b, s:s, s:o}",
		"id", (json_int_t)s->id, "kind", s->kind, "org",
		s->org_id != 0 ? dir_org_ods(ctx, s->org_id) : "", "actor",
		s->actor, "created_at", (json_int_t)s->created_at, "dry_run",
		s->dry_run, "applied", s->applied, "summary", s->summary,
		"counts", counts_json(s->rows, counts));
}

json_t *
dir_import_get_json(const struct dir_ctx *ctx, int64_t id, bool with_rows,
	int64_t *org_id_r, struct error *err)
{
	struct store_import s;
	if (store_import_get(ctx->store, id, ctx->arena, &s, err) < 0)
		return NULL;
	*org_id_r = s.org_id;
	json_t *j = stored_json(ctx, &s);
	if (with_rows) {
		json_t *rows = json_loads(s.report, 0, NULL);
		json_object_set_new(j, "rows", rows != NULL ? rows :
			json_array());
	}
	return j;
}

int
dir_import_get_csv(const struct dir_ctx *ctx, int64_t id, struct str *out,
	int64_t *org_id_r, struct error *err)
{
	struct store_import s;
	if (store_import_get(ctx->store, id, ctx->arena, &s, err) < 0)
		return -1;
	*org_id_r = s.org_id;
	json_t *rows = json_loads(s.report, 0, NULL);
	static const char *const header[] = { "row", "outcome", "address",
		"column", "message" };
	int rc = csv_record(out, header, 5);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		char num[24];
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(
			json_object_get(row, "row")));
		const char *fields[] = {
			num,
			json_string_value(json_object_get(row, "outcome")),
			json_string_value(json_object_get(row, "address")),
			json_string_value(json_object_get(row, "column")),
			json_string_value(json_object_get(row, "message")),
		};
		if (rc == 0)
			rc = csv_record(out, fields, 5);
	}
	json_decref(rows);
	return rc == 0 ? 0 : error_set(err, ERROR_LIMIT, "the report is too "
		"large to download");
}

int
dir_import_list_json(const struct dir_ctx *ctx, const char *kind,
	const int64_t *org_ids, size_t org_count, size_t limit,
	json_t **list_r, struct error *err)
{
	struct store_import *runs;
	size_t n;
	if (store_import_list(ctx->store, kind, org_ids, org_count, 0, limit,
		    ctx->arena, &runs, &n, err) < 0)
		return -1;
	*list_r = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(*list_r, stored_json(ctx, &runs[i]));
	return 0;
}

/* ---- Idempotency-Key ---- */

int
dir_idempotency_claim(const struct dir_ctx *ctx, const char *owner,
	const char *key, const char *request, const char *body_hash,
	struct dir_idempotent_reply *found_r, struct error *err)
{
	size_t len = strlen(key);
	bool visible = len > 0 && len <= 255;
	for (size_t i = 0; visible && i < len; i++)
		visible = key[i] > ' ' && key[i] < 0x7f;
	if (!visible)
		return error_set_field(err, ERROR_INVALID, "Idempotency-Key",
			"an Idempotency-Key is 1 to 255 visible ASCII "
			"characters, such as a UUID");
	int64_t since = ctx->now - DIR_IDEMPOTENCY_WINDOW;
	struct store_idempotency r;
	struct error inner;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (store_idempotency_get(ctx->store, owner,
			    key, since, ctx->arena, &r, &inner) == 0) {
			if (strcmp(r.request, request) != 0 ||
			    strcmp(r.body_hash, body_hash) != 0)
				return error_set_field(err, ERROR_INVALID,
					"Idempotency-Key", "this "
					"Idempotency-Key was first sent with "
					"another request; a retry sends the "
					"same body, and a new request a new "
					"key");
			if (r.status == 0)
				return error_set_field(err, ERROR_EXISTS,
					"Idempotency-Key", "the first request "
					"with this Idempotency-Key is still "
					"being served; try again in a moment");
			found_r->status = r.status;
			found_r->reply = r.reply;
			return 1;
		}
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		struct store_idempotency claim = {
			.actor = owner,
			.key = key,
			.request = request,
			.body_hash = body_hash,
			.created_at = ctx->now,
		};
		if (store_idempotency_claim(ctx->store, &claim, since,
			    &inner) == 0)
			return 0;
		/* A racing retry claimed it first: read what it holds. */
		if (inner.code != ERROR_EXISTS)
			return error_forward(err, &inner);
	}
	return error_set_field(err, ERROR_EXISTS, "Idempotency-Key", "the "
		"first request with this Idempotency-Key is still being "
		"served; try again in a moment");
}

int
dir_idempotency_finish(const struct dir_ctx *ctx, const char *owner,
	const char *key, int64_t status, const char *reply, struct error *err)
{
	if (status >= 200 && status < 300)
		return store_idempotency_finish(ctx->store,
			owner, key, status, reply, err);
	return store_idempotency_release(ctx->store, owner,
		key, err);
}
