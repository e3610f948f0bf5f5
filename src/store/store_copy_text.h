/*
 * One value in the text format of PostgreSQL's COPY (store_copy_text.c),
 * for the bulk load of a store moved onto PostgreSQL (caremail migrate).
 * Layer: store. No I/O, no allocation: the caller gives the room.
 */
#ifndef STORE_STORE_COPY_TEXT_H
#define STORE_STORE_COPY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The most bytes store_copy_text writes for a value of size bytes. */
#define STORE_COPY_TEXT_ROOM(size) (2 * (size_t)(size) + 3)

/*
 * Writes value[size] into out (STORE_COPY_TEXT_ROOM(size) bytes, not
 * NUL-terminated) as one field of a COPY text row and returns the bytes
 * written. value NULL: SQL NULL (\N). bytes: a bytea, written in its hex
 * form (\x and two digits a byte); otherwise text, which is written as
 * it is but for backslash, tab, newline and carriage return, escaped so
 * that no field or row ends early (PostgreSQL "COPY", File Formats).
 */
size_t store_copy_text(char *out, const void *value, size_t size, bool bytes);

#endif
