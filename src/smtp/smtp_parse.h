/*
 * SMTP command parsing as a pure function: a line in, a command out
 * (RFC 5321 §4.1, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8,
 * RFC 3461 DSN: RET, ENVID, NOTIFY, ORCPT).
 * Layer: front end. No I/O; fuzzed (tests/fuzz/fuzz_smtp.c).
 * SECURITY: paths are bounded, control characters and quoted local parts
 * refused, source routes dropped, so no client text is reinterpreted.
 */
#ifndef SMTP_PARSE_H
#define SMTP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "mail/mail_dsn.h"

struct error;

/* RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define SMTP_PATH_MAX 256

enum smtp_verb {
	SMTP_VERB_UNKNOWN,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
};

enum smtp_body {
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
};

struct smtp_command {
	enum smtp_verb verb;
	struct span arg;	/* text after the verb, trimmed (HELO, AUTH) */
	/* MAIL and RCPT: */
	char path[SMTP_PATH_MAX + 1];	/* without <>, source route dropped */
	bool null_path;		/* MAIL FROM:<> */
	bool has_size;
	uint64_t size;		/* MAIL SIZE= */
	enum smtp_body body;	/* MAIL BODY= */
	bool smtputf8;		/* MAIL SMTPUTF8 */
	/* RFC 3461, MAIL: */
	const char *ret;	/* RET=: "FULL" or "HDRS"; NULL: not given */
	char envid[MAIL_DSN_ENVID_MAX + 1];	/* ENVID=, decoded; "": none */
	/* RFC 3461, RCPT: */
	unsigned notify;	/* NOTIFY=: enum mail_dsn_notify; 0: none */
	char orcpt[MAIL_DSN_ORCPT_MAX + 1];	/* ORCPT= as mail_dsn keeps
						   it ("rfc822;a@b"); "": none */
};

/*
 * Parses one command line (without its CRLF). ERROR_INVALID with a reply
 * sentence for a syntax error in a known command; an unknown verb is not
 * an error (verb UNKNOWN), so the session can count it. err->field holds
 * the RFC 3463 enhanced status to use: "5.5.2" syntax, "5.5.4" parameter
 * (unknown, malformed or given twice), "5.1.3" bad address.
 */
int smtp_parse_command(struct span line, struct smtp_command *cmd,
	struct error *err);

#endif
