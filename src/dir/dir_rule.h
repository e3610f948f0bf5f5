/*
 * Dynamic distribution list rules (SPEC P6): which people a dynamic list
 * reaches, as a pure function of a person's facts. Layer: domain (pure).
 *
 * A rule is JSON: {"orgs": ["ODS", ...], "include_children": bool,
 * "sites": [...], "site_types": [...], "job_titles": [...],
 * "departments": [...], "roles": [...], "include_lists": [address, ...],
 * "exclude_lists": [address, ...]}. Every key is optional; an empty or
 * missing criterion matches anyone; text matches ignore case. Unknown keys
 * are refused so a typo cannot silently widen a list.
 */
#ifndef DIR_RULE_H
#define DIR_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;
struct span;

struct dir_strings {
	const char **items;
	size_t count;
};

struct dir_rule {
	struct dir_strings orgs;	/* ODS codes; none: the list's own org */
	bool include_children;
	struct dir_strings sites;
	struct dir_strings site_types;
	struct dir_strings job_titles;
	struct dir_strings departments;
	struct dir_strings roles;
	struct dir_strings include_lists;
	struct dir_strings exclude_lists;
};

/* What a rule looks at about one person. */
struct dir_rule_facts {
	int64_t org_id;
	const char *site;	/* site name, "" when none */
	const char *site_type;	/* "" when none */
	const char *job_title;
	const char *department;
	const char *const *roles;
	size_t role_count;
};

int dir_rule_parse(struct span json, struct arena *a, struct dir_rule *rule_r,
	struct error *err);

/* The rule as canonical JSON in the arena (what is stored). */
char *dir_rule_format(const struct dir_rule *rule, struct arena *a);

/*
 * Whether a person with these facts is reached. org_ids is the rule's org
 * set already resolved (children included where asked), sorted ascending.
 */
bool dir_rule_matches(const struct dir_rule *rule, const int64_t *org_ids,
	size_t org_count, const struct dir_rule_facts *facts);

#endif
