/*
 * Fuzz target for the SMTP command parser. Beyond not crashing: a parsed
 * MAIL or RCPT path fits its bound and holds no control character, space,
 * angle bracket or quote, whatever the client sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "smtp/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The session never hands the parser more than a 512-octet line. */
	if (size > 512)
		return 0;
	struct smtp_command cmd;
	struct error err;
	int rc = smtp_parse_command(span_make((const char *)data, size), &cmd,
		&err);
	if (rc < 0) {
		if (err.code != ERROR_INVALID || err.field[0] != '5')
			abort();
		return 0;
	}
	if (cmd.verb != SMTP_VERB_MAIL && cmd.verb != SMTP_VERB_RCPT)
		return 0;
	size_t len = strlen(cmd.path);
	if (len > SMTP_PATH_MAX - 2 || (len == 0) != cmd.null_path)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cmd.path[i];
		if (c < 0x21 || c == 0x7f || c == '<' || c == '>' || c == '"')
			abort();
	}
	return 0;
}
