/*
 * Fuzz target for the API's JSON request decoder (api_json_decode) over a
 * few field specs: it must accept or refuse with a sentence, never crash,
 * and every string it accepts must fit its cap and hold no NUL.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sample {
	const char *email;
	const char *password;
	const char *code;
	int flag;
	int64_t count;
	struct api_strings list;
	json_t *tree;
};

static const struct api_field signin_spec[] = {
	{ "email", API_FIELD_STRING, true, offsetof(struct sample, email), 320 },
	{ "password", API_FIELD_STRING, true,
	  offsetof(struct sample, password), 256 },
	{ "code", API_FIELD_STRING, false, offsetof(struct sample, code), 16 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static const struct api_field mixed_spec[] = {
	{ "code", API_FIELD_STRING, false, offsetof(struct sample, code), 8 },
	{ "flag", API_FIELD_BOOL, false, offsetof(struct sample, flag), 0 },
	{ "count", API_FIELD_INT, true, offsetof(struct sample, count), 0 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

/* The array fields self-service and tokens take (answers, actions). */
static const struct api_field arrays_spec[] = {
	{ "list", API_FIELD_STRINGS, false, offsetof(struct sample, list), 8 },
	{ "tree", API_FIELD_JSON, false, offsetof(struct sample, tree), 0 },
	{ "code", API_FIELD_STRING, false, offsetof(struct sample, code), 16 },
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static const struct api_field empty_spec[] = {
	{ NULL, API_FIELD_STRING, false, 0, 0 },
};

static void
check_string(const char *s, size_t max)
{
	if (s != NULL && strlen(s) > max)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	const struct api_field *specs[] = { signin_spec, mixed_spec,
		empty_spec, arrays_spec };
	struct span body = span_make((const char *)data, size);
	for (size_t i = 0; i < sizeof(specs) / sizeof(*specs); i++) {
		struct arena *a = arena_new(1024 * 1024);
		struct sample out;
		memset(&out, 0, sizeof(out));
		struct error err;
		memset(&err, 0, sizeof(err));
		if (api_json_decode(body, specs[i], &out, a, &err) == 0) {
			check_string(out.email, 320);
			check_string(out.password, 256);
			check_string(out.code, i == 1 ? 8 : 16);
			if (i == 1 && (out.flag < -1 || out.flag > 1))
				abort();
			if (i == 3) {
				if (out.list.count > API_STRINGS_MAX ||
				    (out.list.count > 0 && !out.list.present))
					abort();
				for (size_t k = 0; k < out.list.count; k++)
					check_string(out.list.items[k], 8);
				json_decref(out.tree);	/* the caller's */
			}
		} else if (err.msg[0] == '\0' || err.code != ERROR_INVALID) {
			if (err.code != ERROR_LIMIT)
				abort();
		}
		arena_free(&a);
	}
	return 0;
}
