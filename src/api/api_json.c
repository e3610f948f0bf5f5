/*
 * Request bodies: JSON (RFC 8259) decoded by a declarative field spec, so
 * every handler validates the same way. Layer: front end.
 * SECURITY: duplicate keys, unknown fields, NUL characters, bad UTF-8 and
 * wrong types are refused (SECURITY.md 44); strings are length-capped.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"

#define API_DEFAULT_MAX_LEN 1024

static const struct api_field *
spec_find(const struct api_field *spec, const char *name)
{
	for (; spec->name != NULL; spec++) {
		if (strcmp(spec->name, name) == 0)
			return spec;
	}
	return NULL;
}

static const char *
type_words(enum api_field_type type)
{
	switch (type) {
	case API_FIELD_STRING:
		return "a string";
	case API_FIELD_BOOL:
		return "true or false";
	case API_FIELD_INT:
		return "a whole number";
	case API_FIELD_STRINGS:
		return "an array of strings";
	case API_FIELD_JSON:
		return "JSON";
	case API_FIELD_OBJECT:
		return "a JSON object";
	}
	return "a value";
}

static int
store_strings(const struct api_field *f, json_t *array,
	struct api_strings *out, struct arena *a, struct error *err)
{
	size_t max = f->max_len != 0 ? f->max_len : API_DEFAULT_MAX_LEN;
	size_t n = json_array_size(array);
	if (n > API_STRINGS_MAX)
		return error_set_field(err, ERROR_INVALID, f->name,
			"%s can have at most %d items", f->name,
			API_STRINGS_MAX);
	out->items = arena_alloc(a, (n + 1) * sizeof(*out->items));
	if (out->items == NULL)
		return error_set(err, ERROR_LIMIT,
			"the request is too large to handle");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(array, i);
		if (!json_is_string(v) || json_string_length(v) > max)
			return error_set_field(err, ERROR_INVALID, f->name,
				"%s must be an array of strings of at most "
				"%zu characters", f->name, max);
		out->items[i] = arena_strndup(a, json_string_value(v),
			json_string_length(v));
		if (out->items[i] == NULL)
			return error_set(err, ERROR_LIMIT,
				"the request is too large to handle");
	}
	out->count = n;
	out->present = true;
	return 0;
}

static int
store_field(const struct api_field *f, json_t *value, void *out,
	struct arena *a, struct error *err)
{
	char *at = (char *)out + f->offset;
	size_t max = f->max_len != 0 ? f->max_len : API_DEFAULT_MAX_LEN;
	switch (f->type) {
	case API_FIELD_STRING: {
		if (!json_is_string(value))
			break;
		size_t len = json_string_length(value);
		if (len > max)
			return error_set_field(err, ERROR_INVALID, f->name,
				"%s can have at most %zu characters", f->name,
				max);
		char *copy = arena_strndup(a, json_string_value(value), len);
		if (copy == NULL)
			return error_set(err, ERROR_LIMIT,
				"the request is too large to handle");
		memcpy(at, &copy, sizeof(copy));
		return 0;
	}
	case API_FIELD_BOOL: {
		if (!json_is_boolean(value))
			break;
		int b = json_is_true(value) ? 1 : 0;
		memcpy(at, &b, sizeof(b));
		return 0;
	}
	case API_FIELD_INT: {
		if (!json_is_integer(value))
			break;
		int64_t n = (int64_t)json_integer_value(value);
		memcpy(at, &n, sizeof(n));
		return 0;
	}
	case API_FIELD_STRINGS:
		if (!json_is_array(value))
			break;
		return store_strings(f, value, (struct api_strings *)at, a,
			err);
	case API_FIELD_JSON:
		json_incref(value);
		memcpy(at, &value, sizeof(value));
		return 0;
	case API_FIELD_OBJECT: {
		if (!json_is_object(value))
			break;
		char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
		char *copy = text != NULL ? arena_strdup(a, text) : NULL;
		free(text);
		if (copy == NULL)
			return error_set(err, ERROR_LIMIT,
				"the request is too large to handle");
		memcpy(at, &copy, sizeof(copy));
		return 0;
	}
	}
	return error_set_field(err, ERROR_INVALID, f->name,
		"%s must be %s", f->name, type_words(f->type));
}

static void
set_absent(const struct api_field *spec, void *out)
{
	for (const struct api_field *f = spec; f->name != NULL; f++) {
		char *at = (char *)out + f->offset;
		if (f->type == API_FIELD_STRING ||
		    f->type == API_FIELD_OBJECT) {
			const char *none = NULL;
			memcpy(at, &none, sizeof(none));
		} else if (f->type == API_FIELD_STRINGS) {
			struct api_strings none = { NULL, 0, false };
			memcpy(at, &none, sizeof(none));
		} else if (f->type == API_FIELD_JSON) {
			json_t *none = NULL;
			memcpy(at, &none, sizeof(none));
		} else if (f->type == API_FIELD_BOOL) {
			int none = -1;
			memcpy(at, &none, sizeof(none));
		} else {
			int64_t none = 0;
			memcpy(at, &none, sizeof(none));
		}
	}
}

static int
decode_object(json_t *root, const struct api_field *spec, void *out,
	struct arena *a, struct error *err)
{
	const char *key;
	json_t *value;
	json_object_foreach(root, key, value) {
		const struct api_field *f = spec_find(spec, key);
		if (f == NULL) {
			char name[sizeof(err->field)];
			/* The name is the client's: keep it short and clean. */
			size_t n = 0;
			for (const char *k = key; *k != '\0' &&
			     n + 1 < sizeof(name); k++)
				name[n++] = (*k >= 0x20 && *k < 0x7f) ? *k : '?';
			name[n] = '\0';
			return error_set_field(err, ERROR_INVALID, name,
				"%s is not a field this request takes", name);
		}
		if (store_field(f, value, out, a, err) < 0)
			return -1;
	}
	for (const struct api_field *f = spec; f->name != NULL; f++) {
		if (f->required && json_object_get(root, f->name) == NULL)
			return error_set_field(err, ERROR_INVALID, f->name,
				"%s is required", f->name);
	}
	return 0;
}

/* After a refusal the caller owns nothing: JSON fields are let go. */
static void
drop_json(const struct api_field *spec, void *out)
{
	for (const struct api_field *f = spec; f->name != NULL; f++) {
		if (f->type != API_FIELD_JSON)
			continue;
		json_t *v;
		memcpy(&v, (char *)out + f->offset, sizeof(v));
		json_decref(v);
		v = NULL;
		memcpy((char *)out + f->offset, &v, sizeof(v));
	}
}

int
api_json_decode(struct span body, const struct api_field *spec, void *out,
	struct arena *a, struct error *err)
{
	set_absent(spec, out);
	if (span_trim(body).len == 0)
		body = span_from_cstr("{}");
	json_error_t jerr;
	json_t *root = json_loadb(body.p, body.len, JSON_REJECT_DUPLICATES,
		&jerr);
	if (root == NULL)
		return error_set(err, ERROR_INVALID,
			"the request body is not valid JSON: %s at line %d "
			"column %d", jerr.text, jerr.line, jerr.column);
	int rc;
	if (!json_is_object(root))
		rc = error_set(err, ERROR_INVALID,
			"the request body must be a JSON object");
	else
		rc = decode_object(root, spec, out, a, err);
	json_decref(root);
	if (rc < 0)
		drop_json(spec, out);
	return rc;
}

bool
api_no_body(struct api_request *req)
{
	static const struct api_field no_fields[] = {
		{ NULL, API_FIELD_STRING, false, 0, 0 },
	};
	char unused;
	struct error err;
	if (api_json_decode(req->body, no_fields, &unused, req->arena,
		    &err) == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}
