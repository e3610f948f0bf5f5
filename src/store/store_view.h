/*
 * Views: a record read with what it shows (a person's org and site, the
 * ODS codes of many orgs, the admin roles of a page of people) in a
 * fixed number of statements, however many rows a page holds.
 * Layer: store; only the domain includes this.
 */
#ifndef STORE_STORE_VIEW_H
#define STORE_STORE_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/* A person with their org and site named; ERROR_NOT_FOUND if none. */
int store_person_view_get(struct store *st, int64_t id, struct arena *a,
	struct store_person_view *v_r, struct error *err);
/* The people f selects, in id order, each with org and site named. */
int store_person_view_list(struct store *st,
	const struct store_person_filter *f, struct arena *a,
	struct store_person_view **views_r, size_t *count_r, struct error *err);

/* A person's whole record (store_person_record_get). */
struct store_person_record {
	struct store_person_view view;
	struct store_role_tag *tags;	/* as store_role_tags */
	size_t tag_count;
	struct store_holding *holdings;	/* as store_person_holdings */
	size_t holding_count;
};
/*
 * The person with this id, or (address not NULL) the person the address
 * registry says holds address, with their admin roles' tags and what they
 * hold, in one statement (bench B9 on PostgreSQL, where a statement is a
 * round trip). ERROR_NOT_FOUND if there is none: by address, also when
 * the address is held by something other than a person.
 */
int store_person_record_get(struct store *st, int64_t id,
	const char *address, struct arena *a, struct store_person_record *r_r,
	struct error *err);

/*
 * The admin roles the people hold now, in person, org and role order,
 * each with its org's ODS code: one statement for any number of people.
 */
int store_role_tags(struct store *st, const int64_t *person_ids,
	size_t count, struct arena *a, struct store_role_tag **tags_r,
	size_t *count_r, struct error *err);

/* An org id and its ODS code. */
struct store_org_ref {
	int64_t id;
	const char *ods;
};

/* The ODS codes of the orgs with these ids (unknown ids left out). */
int store_org_refs(struct store *st, const int64_t *org_ids, size_t count,
	struct arena *a, struct store_org_ref **refs_r, size_t *count_r,
	struct error *err);

/* A holder of a role in an org, by address. */
struct store_role_holder {
	int64_t org_id;
	const char *address;
};

/* Who holds `role` in each of these orgs, in org and person order. */
int store_role_holders(struct store *st, const int64_t *org_ids,
	size_t count, const char *role, struct arena *a,
	struct store_role_holder **holders_r, size_t *count_r,
	struct error *err);

#endif
