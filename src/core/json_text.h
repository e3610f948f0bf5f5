/*
 * JSON text written straight into a `struct str` (RFC 8259 §7), for the
 * replies made thousands of times a second, where building jansson's tree
 * of them, dumping it and freeing it was a quarter of the CPU (bench B5,
 * People Finder). The text is what jansson's json_dumps(JSON_COMPACT)
 * writes for the same values, byte for byte. Layer: core.
 */
#ifndef CORE_JSON_TEXT_H
#define CORE_JSON_TEXT_H

#include "core/str.h"

/*
 * Appends text as a JSON string: in quotes, with '"', '\\' and control
 * characters escaped, everything else as it is. 0; 1 when text is not
 * UTF-8 (RFC 3629: jansson's json_string refuses it too), with out as it
 * was; -1 when out is full.
 */
int json_text_string(struct str *out, const char *text);

#endif
