/*
 * JSON strings written as text (json_text.h). Layer: core. RFC 8259 §7,
 * RFC 3629.
 */
#include "core/json_text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/fold.h"

/* The escape of a byte below 0x20, '"' or '\\', as jansson writes it. */
static int
escape(struct str *out, unsigned char c)
{
	static const char shortcut[] = {
		['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f',
		['\r'] = 'r', ['"'] = '"', ['\\'] = '\\',
	};
	char seq[8];
	if (c < sizeof(shortcut) && shortcut[c] != '\0') {
		seq[0] = '\\';
		seq[1] = shortcut[c];
		return str_append(out, seq, 2);
	}
	snprintf(seq, sizeof(seq), "\\u%04X", c);
	return str_append(out, seq, 6);
}

int
json_text_string(struct str *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), mark = out->len;
	if (str_append_char(out, '"') < 0)
		return -1;
	/* Runs that need no escape are copied whole. */
	size_t run = 0, i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			uint32_t cp;
			size_t n = fold_utf8_decode(s + i, len - i, &cp);
			if (n == 0) {
				str_truncate(out, mark);
				return 1;
			}
			i += n;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (str_append(out, text + run, i - run) < 0 ||
		    escape(out, c) < 0)
			return -1;
		run = ++i;
	}
	if (str_append(out, text + run, i - run) < 0 ||
	    str_append_char(out, '"') < 0)
		return -1;
	return 0;
}
