/*
 * Fuzz target for the SMTP command parser. Beyond not crashing: a parsed
 * MAIL or RCPT path fits its bound and holds no control character, space,
 * angle bracket or quote, whatever the client sent; and the RFC 3461
 * values are what the queue may keep and send on: RET one of two words,
 * NOTIFY NEVER alone or not at all, ENVID printable ASCII within 100
 * characters, ORCPT typed rfc822 or utf-8, bounded, with no control
 * character, and passed on (when it fits) as xtext that reads back the
 * same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mail/mail_dsn.h"
#include "smtp/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

static void
check_dsn(const struct smtp_command *cmd)
{
	if (cmd->ret != NULL && strcmp(cmd->ret, "FULL") != 0 &&
	    strcmp(cmd->ret, "HDRS") != 0)
		abort();
	if ((cmd->notify & MAIL_DSN_NOTIFY_NEVER) &&
	    cmd->notify != MAIL_DSN_NOTIFY_NEVER)
		abort();
	if (cmd->notify > 0xf)
		abort();
	size_t n = strlen(cmd->envid);
	if (n > MAIL_DSN_ENVID_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cmd->envid[i];
		if (c < 0x20 || c > 0x7e)
			abort();
	}
	if (cmd->orcpt[0] == '\0')
		return;
	if (strlen(cmd->orcpt) > MAIL_DSN_ORCPT_MAX || has_control(cmd->orcpt))
		abort();
	if (strncmp(cmd->orcpt, "rfc822;", 7) != 0 &&
	    strncmp(cmd->orcpt, "utf-8;", 6) != 0)
		abort();
	/* What is sent on (when it fits in 500) reads back the same. */
	char wire[1200], again[MAIL_DSN_ORCPT_MAX + 1];
	struct error err;
	if (!mail_dsn_orcpt_encode(cmd->orcpt, wire, sizeof(wire)))
		return;
	if (strlen(wire) > MAIL_DSN_ORCPT_MAX ||
	    mail_dsn_orcpt_parse(span_from_cstr(wire), again, sizeof(again),
		    &err) < 0 ||
	    strcmp(again, cmd->orcpt) != 0)
		abort();
}

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
	check_dsn(&cmd);
	return 0;
}
