/*
 * The one error type of caremail: a code a front end maps to its reply, and a
 * sentence a person can read. Layer: core. No allocation, so it is safe on
 * every path, including out-of-memory ones.
 */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

#include <stdbool.h>

enum error_code {
	ERROR_NONE = 0,
	ERROR_NOT_FOUND,	/* the named object does not exist */
	ERROR_EXISTS,		/* a unique name or address is already held */
	ERROR_DENIED,		/* the caller may not do this */
	ERROR_LIMIT,		/* a size, count or quota would be exceeded */
	ERROR_INVALID,		/* the input is malformed or out of range */
	ERROR_TEMPORARY,	/* try again later: store busy or unreachable */
	ERROR_INTERNAL,		/* a fault of ours; logged by the replying layer */
	/*
	 * Try again later: the server's disk is full (ENOSPC, SQLITE_FULL).
	 * Temporary like ERROR_TEMPORARY, kept apart so SMTP can say 452
	 * 4.3.1 (RFC 3463 "mail system full") rather than 451 4.3.0.
	 */
	ERROR_NO_SPACE,
};

struct error {
	enum error_code code;
	char field[48];	/* the input field at fault, or "" */
	char msg[256];	/* one sentence, no trailing newline */
};

/*
 * Fills err (which may be NULL) and returns -1, so a failing function can end
 * with `return error_set(err, ...)`. The message is truncated to fit.
 */
int error_set(struct error *err, enum error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As error_set, also naming the input field the error is about. */
int error_set_field(struct error *err, enum error_code code,
	const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void error_clear(struct error *err);

/* Copies `from` into err (which may be NULL) and returns -1. */
int error_forward(struct error *err, const struct error *from);

/* The code's stable lower-case name ("not_found", "exists", ...). */
const char *error_code_name(enum error_code code);

#endif
