/*
 * CSV downloads of listings (?format=csv): the choice of format, the
 * spool a download is written to, and its reply as an attachment.
 * Layer: front end. RFC 4180 (text/csv), RFC 6266 (Content-Disposition).
 * SECURITY: a download is every row in the caller's scope, so it is
 * bounded (API_CSV_MAX_ROWS, API_CSV_MAX_BYTES) and spooled to disk past
 * a little memory; the access checks are the JSON listing's, made first.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "core/spool.h"
#include "http/http.h"
#include "instance/instance.h"

/*
 * A download's first bytes are kept in memory, the rest in an unlinked
 * file beside the store, sent from its mapping (test_api_csv.py's
 * downloads pass this, so both ways are tested).
 */
#define API_CSV_MEMORY (64 * 1024)

bool
api_csv_asked(struct api_request *req, bool *csv_r)
{
	const char *format = api_query(req, "format");
	*csv_r = format != NULL && strcmp(format, "csv") == 0;
	if (format == NULL || format[0] == '\0' || *csv_r ||
	    strcmp(format, "json") == 0)
		return true;
	api_reply_error(req, 422, "invalid", "format must be json or csv.",
		"format");
	return false;
}

struct spool *
api_csv_spool(const struct api_request *req)
{
	return spool_new(req->api->inst->spool_dir, API_CSV_MEMORY,
		API_CSV_MAX_BYTES);
}

void
api_reply_csv(struct api_request *req, const char *name, struct spool *sp)
{
	char date[16] = "", disposition[96];
	time_t now = (time_t)req->ctx.now;
	struct tm tm;
	if (gmtime_r(&now, &tm) != NULL)
		strftime(date, sizeof(date), "%Y%m%d", &tm);
	snprintf(disposition, sizeof(disposition),
		"attachment; filename=\"%s-%s.csv\"", name, date);
	struct error err;
	if (http_call_reply_spool(req->call, 200, "text/csv; charset=utf-8",
		    sp, &err) < 0) {
		api_reply_from_error(req, &err);
		return;
	}
	http_call_add_header(req->call, "Content-Disposition", disposition);
}
