/*
 * Pagination: ?limit= and ?cursor= in, {"items","next_cursor"} out. The
 * cursor is the last id of the page, opaque to clients. Layer: front end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api_internal.h"

static bool
parse_count(const char *text, int64_t min, int64_t max, int64_t *n_r)
{
	char *end;
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	long long n = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return false;
	*n_r = n;
	return true;
}

bool
api_page_parse(struct api_request *req, struct api_page *page)
{
	const char *limit = api_query(req, "limit");
	const char *cursor = api_query(req, "cursor");
	int64_t n = API_PAGE_DEFAULT, after = 0;
	if (limit != NULL && !parse_count(limit, 1, API_PAGE_MAX, &n)) {
		api_reply_error(req, 422, "invalid", "limit must be a whole "
			"number from 1 to 500.", "limit");
		return false;
	}
	if (cursor != NULL && !parse_count(cursor, 0, INT64_MAX, &after)) {
		api_reply_error(req, 422, "invalid", "cursor must be the "
			"next_cursor of an earlier page.", "cursor");
		return false;
	}
	page->limit = (size_t)n;
	page->after_id = after;
	return true;
}

json_t *
api_page_json(json_t *items, const struct api_page *page, size_t count,
	int64_t last_id)
{
	json_t *next = json_null();
	if (count >= page->limit && last_id > 0) {
		char buf[24];
		snprintf(buf, sizeof(buf), "%lld", (long long)last_id);
		next = json_string(buf);
	}
	return json_pack("{s:o,s:o}", "items", items, "next_cursor", next);
}
