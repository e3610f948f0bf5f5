/*
 * The checks every directory text field passes: length in characters, no
 * control characters, one line unless long free text; and phone numbers.
 * Layer: domain (pure).
 */
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"

int
dir_check_text_lines(const char *field, const char *label, const char *value,
	size_t max, bool required, bool one_line, struct error *err)
{
	if (value == NULL || value[0] == '\0') {
		if (required)
			return error_set_field(err, ERROR_INVALID, field,
				"%s is required", label);
		return 0;
	}
	size_t len = strlen(value), chars = 0;
	/* Characters, not bytes: "Lééds" is five (UTF-8 continuation bytes
	 * are 10xxxxxx and start no character). */
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)value[i] & 0xc0) != 0x80;
	if (chars > max)
		return error_set_field(err, ERROR_INVALID, field,
			"%s is longer than %zu characters", label, max);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		/* Line breaks are allowed only where asked, never tabs' kin. */
		if ((c < 0x20 && c != '\n' && c != '\r') || c == 0x7f)
			return error_set_field(err, ERROR_INVALID, field,
				"%s contains a control character", label);
		if ((c == '\n' || c == '\r') && one_line)
			return error_set_field(err, ERROR_INVALID, field,
				"%s must be on one line", label);
	}
	return 0;
}

int
dir_check_text(const char *field, const char *label, const char *value,
	size_t max, bool required, struct error *err)
{
	/* Long free text (notes, descriptions) may run over lines. */
	return dir_check_text_lines(field, label, value, max, required,
		max <= 256, err);
}

int
dir_check_phone(const char *field, const char *phone, struct error *err)
{
	if (phone == NULL || phone[0] == '\0')
		return 0;
	size_t digits = 0;
	for (const char *p = phone; *p != '\0'; p++) {
		if (str_is_ascii_digit(*p))
			digits++;
		else if (strchr(" +()-", *p) == NULL)
			return error_set_field(err, ERROR_INVALID, field,
				"a phone number has only digits, spaces and "
				"+ ( ) -, not '%.40s'", phone);
	}
	if (digits < 3 || strlen(phone) > 32)
		return error_set_field(err, ERROR_INVALID, field,
			"'%.40s' is not a phone number", phone);
	return 0;
}
