/*
 * JSON replies and the one table from caremail error codes to HTTP statuses.
 * Layer: front end. RFC 9110 §15 (status codes), RFC 8259 (JSON).
 * SECURITY: error text loses control characters and invalid UTF-8 before it
 * is sent; internal faults are logged here but never described to clients.
 */
#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "core/log.h"
#include "core/spool.h"
#include "core/xmalloc.h"
#include "http_internal.h"

/*
 * The one table, for the JSON API and the HTTP server alike (RFC 9110 §15).
 * A body too large is not here: the server refuses it with 413 before the
 * body is read (RFC 9110 §15.5.14), and rate limits are api_rate_ok's 429
 * (RFC 6585 §4). Malformed JSON is 400 where it is parsed (api_json.c).
 */
static const struct {
	enum error_code code;
	unsigned status;
} http_error_statuses[] = {
	/* §15.5.5: the target does not exist. */
	{ ERROR_NOT_FOUND, 404 },
	/* §15.5.10: conflicts with the target's current state. */
	{ ERROR_EXISTS, 409 },
	/* §15.5.4: understood, refused; signing in again would not help. */
	{ ERROR_DENIED, 403 },
	/*
	 * §15.5.21: the JSON parsed, but a field's value cannot be acted on.
	 * Not 400, which says the message itself could not be read.
	 */
	{ ERROR_INVALID, 422 },
	/*
	 * §15.5.21 again: a count or size in the domain (too many roles, app
	 * passwords, owners) makes the request impossible as it stands. Not
	 * 413, which speaks of the request's content being too large.
	 */
	{ ERROR_LIMIT, 422 },
	/* §15.6.4: ours and passing; the caller adds Retry-After. */
	{ ERROR_TEMPORARY, 503 },
	{ ERROR_NO_SPACE, 503 },	/* the server's disk is full */
	/* §15.6.1: a fault of ours, logged and never described. */
	{ ERROR_INTERNAL, 500 },
};

unsigned
http_status_for_error(enum error_code code)
{
	size_t n = sizeof(http_error_statuses) / sizeof(*http_error_statuses);
	for (size_t i = 0; i < n; i++) {
		if (http_error_statuses[i].code == code)
			return http_error_statuses[i].status;
	}
	return 500;
}

void
http_clean_text(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0, left = strlen(src);
	if (size == 0)
		return;
	while (*s != '\0' && out + 1 < size) {
		uint32_t cp;
		size_t n = fold_utf8_decode(s, left, &cp);
		if (n > 1 && out + n < size) {
			memcpy(dst + out, s, n);
			out += n;
			s += n;
			left -= n;
			continue;
		}
		if (n > 1)
			break;	/* a whole character does not fit */
		char c = (char)*s;
		if (n == 0)
			c = '?';
		else if (*s < 0x20 || *s == 0x7f)
			c = ' ';	/* CR/LF could split a header or line */
		dst[out++] = c;
		s++;
		left--;
	}
	dst[out] = '\0';
}

void
http_reply_clear(struct http_reply *reply)
{
	json_decref(reply->body);
	reply->body = NULL;
	spool_free(&reply->spool);
	free(reply->text);
	reply->text = NULL;
	reply->content_type = NULL;	/* a download's type is not JSON's */
}

void
http_reply_text(struct http_reply *reply, unsigned status,
	const char *content_type, const char *text, size_t len)
{
	http_reply_clear(reply);
	reply->status = status;
	reply->content_type = content_type;
	reply->text = xmalloc(len + 1);
	memcpy(reply->text, text, len);
	reply->text[len] = '\0';
	reply->text_len = len;
}

void
http_reply_json(struct http_reply *reply, unsigned status, json_t *body)
{
	if (body == NULL)
		abort();	/* jansson only fails out of memory */
	/* A refusal after a download or a text: it wins. */
	http_reply_clear(reply);
	reply->status = status;
	reply->body = body;
}

void
http_reply_error(struct http_reply *reply, unsigned status, const char *code,
	const char *message)
{
	char clean[sizeof(((struct error *)0)->msg)];
	http_clean_text(clean, sizeof(clean), message);
	http_reply_json(reply, status, json_pack("{s:{s:s,s:s}}", "error",
		"code", code, "message", clean));
}

void
http_reply_from_error(struct http_reply *reply, const struct error *err)
{
	unsigned status = http_status_for_error(err->code);
	if (err->code == ERROR_INTERNAL) {
		log_error("http.internal", "msg=\"%s\"", err->msg);
		http_reply_error(reply, status, "internal",
			"Something went wrong on our side and was logged.");
		return;
	}
	http_reply_error(reply, status, error_code_name(err->code), err->msg);
	if (err->field[0] != '\0')
		json_object_set_new(json_object_get(reply->body, "error"),
			"field", json_string(err->field));
}
