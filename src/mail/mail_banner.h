/*
 * A warning banner put at the top of what a person reads in a message:
 * the anti-spoofing tag of SPEC M9 (seed 001), readable in every client
 * because it is in the text itself, not in a header a client may hide.
 * Layer: domain, pure. RFC 2045 (transfer encodings), RFC 2046
 * (multipart), RFC 2183 (Content-Disposition).
 */
#ifndef MAIL_MAIL_BANNER_H
#define MAIL_MAIL_BANNER_H

#include <stddef.h>

struct arena;
struct error;
struct str;

/*
 * Writes msg (len bytes, CRLF line endings) to out with banner (plain
 * ASCII text, no line breaks) at the top of every text/plain and
 * text/html part a client shows inline: as a paragraph of its own,
 * wrapped to short lines, in the part's own transfer encoding (a base64
 * part is decoded and encoded again). Attachments and attached messages
 * are left as they are. A message with no such part it can change (an
 * image alone, text in UTF-16) becomes a multipart/mixed whose first part
 * is the banner and whose second is the message's body as it was.
 * ERROR_LIMIT when the message cannot be parsed within the MIME limits or
 * the arena is full; out is then incomplete and the caller keeps msg.
 */
int mail_banner_add(const char *msg, size_t len, const char *banner,
	struct arena *a, struct str *out, struct error *err);

#endif
