/* The error type: filling and naming. Layer: core. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "str.h"

static void
error_vset(struct error *err, enum error_code code, const char *field,
	const char *fmt, va_list ap)
{
	err->code = code;
	str_copy(err->field, sizeof(err->field), field != NULL ? field : "");
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
error_set(struct error *err, enum error_code code, const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int
error_set_field(struct error *err, enum error_code code, const char *field,
	const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, field, fmt, ap);
	va_end(ap);
	return -1;
}

void
error_clear(struct error *err)
{
	if (err == NULL)
		return;
	err->code = ERROR_NONE;
	err->field[0] = '\0';
	err->msg[0] = '\0';
}

int
error_forward(struct error *err, const struct error *from)
{
	if (err != NULL && err != from)
		*err = *from;
	return -1;
}

const char *
error_code_name(enum error_code code)
{
	switch (code) {
	case ERROR_NONE: return "none";
	case ERROR_NOT_FOUND: return "not_found";
	case ERROR_EXISTS: return "exists";
	case ERROR_DENIED: return "denied";
	case ERROR_LIMIT: return "limit";
	case ERROR_INVALID: return "invalid";
	case ERROR_TEMPORARY: return "temporary";
	case ERROR_NO_SPACE: return "no_space";
	case ERROR_INTERNAL: return "internal";
	}
	return "internal";
}
