/* Dynamic list rules: JSON in, decision out. Layer: domain (pure). */
#include "dir/dir_rule.h"

#include <jansson.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

#define RULE_MAX_ITEMS 1000
#define RULE_ITEM_MAX 254

struct rule_key {
	const char *name;
	size_t offset;	/* of the struct dir_strings in struct dir_rule */
};

static const struct rule_key rule_keys[] = {
	{ "orgs", offsetof(struct dir_rule, orgs) },
	{ "sites", offsetof(struct dir_rule, sites) },
	{ "site_types", offsetof(struct dir_rule, site_types) },
	{ "job_titles", offsetof(struct dir_rule, job_titles) },
	{ "departments", offsetof(struct dir_rule, departments) },
	{ "roles", offsetof(struct dir_rule, roles) },
	{ "include_lists", offsetof(struct dir_rule, include_lists) },
	{ "exclude_lists", offsetof(struct dir_rule, exclude_lists) },
};

#define RULE_KEY_COUNT (sizeof(rule_keys) / sizeof(*rule_keys))

static struct dir_strings *
rule_strings(struct dir_rule *rule, size_t i)
{
	return (struct dir_strings *)((char *)rule + rule_keys[i].offset);
}

static const struct dir_strings *
rule_strings_const(const struct dir_rule *rule, size_t i)
{
	return (const struct dir_strings *)((const char *)rule +
		rule_keys[i].offset);
}

static int
parse_strings(const char *key, json_t *value, struct arena *a,
	struct dir_strings *out, struct error *err)
{
	if (!json_is_array(value))
		return error_set_field(err, ERROR_INVALID, key,
			"the rule's %s must be a list of text", key);
	size_t n = json_array_size(value);
	if (n > RULE_MAX_ITEMS)
		return error_set_field(err, ERROR_LIMIT, key,
			"the rule's %s has more than %d entries", key,
			RULE_MAX_ITEMS);
	out->items = arena_alloc(a, (n + 1) * sizeof(*out->items));
	if (out->items == NULL)
		return error_set(err, ERROR_LIMIT, "the rule is too large");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(value, i));
		if (s == NULL || s[0] == '\0' || strlen(s) > RULE_ITEM_MAX)
			return error_set_field(err, ERROR_INVALID, key,
				"every entry of the rule's %s must be text of "
				"1 to %d characters", key, RULE_ITEM_MAX);
		out->items[i] = arena_strdup(a, s);
		if (out->items[i] == NULL)
			return error_set(err, ERROR_LIMIT, "the rule is too large");
	}
	out->count = n;
	return 0;
}

static int
parse_key(const char *key, json_t *value, struct arena *a,
	struct dir_rule *rule, struct error *err)
{
	if (strcmp(key, "include_children") == 0) {
		if (!json_is_boolean(value))
			return error_set_field(err, ERROR_INVALID, key,
				"include_children must be true or false");
		rule->include_children = json_is_true(value);
		return 0;
	}
	for (size_t i = 0; i < RULE_KEY_COUNT; i++) {
		if (strcmp(key, rule_keys[i].name) == 0)
			return parse_strings(key, value, a,
				rule_strings(rule, i), err);
	}
	return error_set_field(err, ERROR_INVALID, key,
		"a dynamic list rule has no '%.60s'; it can use orgs, "
		"include_children, sites, site_types, job_titles, departments, "
		"roles, include_lists and exclude_lists", key);
}

int
dir_rule_parse(struct span text, struct arena *a, struct dir_rule *rule_r,
	struct error *err)
{
	memset(rule_r, 0, sizeof(*rule_r));
	json_error_t jerr;
	json_t *root = json_loadb(text.p, text.len, JSON_REJECT_DUPLICATES,
		&jerr);
	if (root == NULL)
		return error_set_field(err, ERROR_INVALID, "rule",
			"the rule is not valid JSON: %s", jerr.text);
	int rc = 0;
	if (!json_is_object(root)) {
		rc = error_set_field(err, ERROR_INVALID, "rule",
			"the rule must be a JSON object");
	} else {
		const char *key;
		json_t *value;
		json_object_foreach (root, key, value) {
			if ((rc = parse_key(key, value, a, rule_r, err)) < 0)
				break;
		}
	}
	json_decref(root);
	return rc;
}

char *
dir_rule_format(const struct dir_rule *rule, struct arena *a)
{
	json_t *root = json_object();
	for (size_t i = 0; i < RULE_KEY_COUNT; i++) {
		const struct dir_strings *s = rule_strings_const(rule, i);
		if (s->count == 0)
			continue;
		json_t *array = json_array();
		for (size_t j = 0; j < s->count; j++)
			json_array_append_new(array, json_string(s->items[j]));
		json_object_set_new(root, rule_keys[i].name, array);
	}
	if (rule->include_children)
		json_object_set_new(root, "include_children", json_true());
	char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	char *copy = text != NULL ? arena_strdup(a, text) : NULL;
	free(text);
	return copy;
}

static bool
matches_any(const struct dir_strings *allowed, const char *value)
{
	if (allowed->count == 0)
		return true;
	for (size_t i = 0; i < allowed->count; i++) {
		if (strcasecmp(allowed->items[i], value != NULL ? value : "") == 0)
			return true;
	}
	return false;
}

static bool
has_role(const struct dir_strings *allowed, const struct dir_rule_facts *f)
{
	if (allowed->count == 0)
		return true;
	for (size_t i = 0; i < f->role_count; i++) {
		if (matches_any(allowed, f->roles[i]))
			return true;
	}
	return false;
}

static bool
org_in(const int64_t *ids, size_t count, int64_t id)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] == id)
			return true;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
dir_rule_matches(const struct dir_rule *rule, const int64_t *org_ids,
	size_t org_count, const struct dir_rule_facts *facts)
{
	return org_in(org_ids, org_count, facts->org_id) &&
		matches_any(&rule->sites, facts->site) &&
		matches_any(&rule->site_types, facts->site_type) &&
		matches_any(&rule->job_titles, facts->job_title) &&
		matches_any(&rule->departments, facts->department) &&
		has_role(&rule->roles, facts);
}
