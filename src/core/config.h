/*
 * The configuration: every setting is declared once, in the table in
 * config.c, with its type, default, range and help text. A file holds
 * `[section]` headers, `key = value` lines and `#` comments; any setting can
 * be overridden with "section.key=value". Read-only once loaded. Layer: core.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct error;
struct config;

/*
 * The longest line a config file may have, in bytes with its newline: a
 * value may be this less `key = ""` (outbound.routes of a few hundred
 * routes fits).
 */
#define CONFIG_MAX_LINE 32768

/* A configuration holding every default. Never fails. */
struct config *config_new(void);
void config_free(struct config **c);

/*
 * Parses a whole file's text. `origin` names it in error messages, which
 * give the line number. On error nothing of the text is applied.
 */
int config_parse(struct config *c, const char *text, size_t len,
	const char *origin, struct error *err);

/* Reads and parses a file; ERROR_NOT_FOUND when it does not exist. */
int config_load_file(struct config *c, const char *path, struct error *err);

/* Applies one "section.key=value" override (the CLI's --set). */
int config_set(struct config *c, const char *assignment, struct error *err);

/* Sets one setting by name; validates the value as the file parser does. */
int config_set_value(struct config *c, const char *name, const char *value,
	struct error *err);

/*
 * Getters. Asking for a setting the table does not declare, or with the
 * wrong type, is a bug and aborts.
 */
const char *config_get_str(const struct config *c, const char *name);
/*
 * A setting that names a file, as a path to open: NULL when empty; a
 * relative one is taken against base_dir (the instance directory; NULL:
 * as written). Malloc'd: the caller frees it.
 */
char *config_get_path(const struct config *c, const char *name,
	const char *base_dir);
int64_t config_get_int(const struct config *c, const char *name);
bool config_get_bool(const struct config *c, const char *name);

/*
 * Writes a complete config file: every setting with its help as a comment,
 * its default, and the current value where it differs. `caremail init`
 * writes this; `caremail config defaults` prints it for a fresh config.
 */
void config_write(const struct config *c, FILE *out);

/*
 * For a list setting ("a, b, c"): copies item `index` (trimmed; empty
 * items are not counted) into buf. 1: copied; 0: the list has no such
 * item; -1: it does not fit (ERROR_INVALID naming the setting and item),
 * which a caller must not take for the end of the list.
 */
int config_list_get(const struct config *c, const char *name, size_t index,
	char *buf, size_t size, struct error *err);

/*
 * config_list_get for a buffer of at least the setting's item limit
 * (validated when set), or where an item too long may read as none:
 * true when item `index` was copied.
 */
bool config_list_item(const struct config *c, const char *name, size_t index,
	char *buf, size_t size);

#endif
