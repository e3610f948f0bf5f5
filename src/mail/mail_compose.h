/*
 * Mail the platform writes itself (the secure portal's notices, codes and
 * readers' replies): a message from a few fields, text and optional HTML
 * as multipart/alternative, an optional attachment. Layer: domain, pure
 * but for the random Message-ID. RFC 5322 (fields, Date, Message-ID),
 * RFC 2045-2047 (MIME, base64, encoded words), RFC 2183 and 2231
 * (Content-Disposition and its filename). SECURITY: no field value may
 * hold CR or LF, so nothing given can add a header field.
 */
#ifndef MAIL_MAIL_COMPOSE_H
#define MAIL_MAIL_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct config;
struct error;

struct mail_compose {
	const char *from;		/* an address */
	const char *from_name;		/* UTF-8 display name; NULL: none */
	const char *to;			/* one address, or NULL */
	const char *cc;			/* addresses, comma-separated; NULL */
	const char *subject;		/* UTF-8 */
	const char *in_reply_to;	/* "<id>"; NULL: none */
	const char *references;		/* "<id> <id>"; NULL: none */
	int64_t date;
	const char *text;		/* UTF-8, LF or CRLF line ends */
	const char *html;		/* UTF-8; NULL: text only */
	/* One attachment, or attachment_name NULL. */
	const char *attachment_name;	/* UTF-8 */
	const char *attachment_type;	/* "text/html; charset=utf-8" */
	const void *attachment;
	size_t attachment_len;
};

/*
 * The whole message, CRLF line ends, into a (*out_r); the Message-ID's
 * domain is the host name (mail_hostname). ERROR_INVALID naming the field
 * that holds CR or LF, or a name that is not UTF-8; ERROR_LIMIT past a.
 */
int mail_compose(const struct mail_compose *c, const struct config *cfg,
	struct arena *a, struct span *out_r, struct error *err);

#endif
