/*
 * LIST, LSUB and NAMESPACE (RFC 3501 §6.3.8-9, RFC 2342, RFC 3348
 * CHILDREN, RFC 6154 SPECIAL-USE). Layer: front end. What exists is
 * mail_folder_list's answer, fresh on every call, so a shared mailbox
 * appears and disappears with its grant (SPEC A3).
 */
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/error.h"
#include "imap/imap_internal.h"

/* Patterns longer than the longest name cannot match more than it. */
#define PATTERN_MAX (MAIL_FOLDER_NAME_MAX + 64)

/*
 * Whether name matches pattern, where "*" matches anything and "%"
 * anything but the delimiter (RFC 3501 §6.3.8). Dynamic programming over
 * the name, so no pattern can make it slow: O(name * pattern).
 */
static bool
pattern_match(const char *pattern, const char *name)
{
	size_t m = strlen(pattern);
	if (m > PATTERN_MAX)
		return false;
	bool row[PATTERN_MAX + 1], next[PATTERN_MAX + 1];
	/* row[j]: pattern[0, j) matches the name so far. */
	row[0] = true;
	for (size_t j = 1; j <= m; j++)
		row[j] = row[j - 1] &&
			(pattern[j - 1] == '*' || pattern[j - 1] == '%');
	for (const char *c = name; *c != '\0'; c++) {
		next[0] = false;
		for (size_t j = 1; j <= m; j++) {
			char p = pattern[j - 1];
			if (p == '*')
				next[j] = next[j - 1] || row[j];
			else if (p == '%')
				next[j] = next[j - 1] ||
					(row[j] && *c != MAIL_FOLDER_DELIMITER);
			else
				next[j] = row[j - 1] && p == *c;
		}
		memcpy(row, next, (m + 1) * sizeof(*row));
	}
	return row[m];
}

static const char *
special_attribute(const char *use)
{
	static const struct {
		const char *use, *attribute;
	} map[] = {
		{ "sent", "\\Sent" },
		{ "drafts", "\\Drafts" },
		{ "trash", "\\Trash" },
		{ "junk", "\\Junk" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++) {
		if (strcmp(use, map[i].use) == 0)
			return map[i].attribute;
	}
	return NULL;
}

static int
send_entry(struct imap_session *s, bool lsub, const char *name, unsigned attrs,
	const char *special_use)
{
	struct str out;
	str_init(&out, s->page, 64 * 1024);
	const char *special = special_attribute(special_use);
	if (str_appendf(&out, "* %s (", lsub ? "LSUB" : "LIST") < 0 ||
		((attrs & MAIL_FOLDER_NOSELECT) != 0 &&
			str_append_cstr(&out, "\\Noselect ") < 0) ||
		str_append_cstr(&out,
			(attrs & MAIL_FOLDER_HAS_CHILDREN) != 0 ?
				"\\HasChildren" :
				"\\HasNoChildren") < 0 ||
		(special != NULL && str_appendf(&out, " %s", special) < 0) ||
		str_appendf(&out, ") \"%c\" ", MAIL_FOLDER_DELIMITER) < 0 ||
		imap_append_mailbox(&out, name) < 0 ||
		str_append_cstr(&out, "\r\n") < 0)
		return -1;
	return imap_write(s, out.p, out.len);
}

/* "inbox" in a pattern means INBOX: only it is case-insensitive. */
static char *
normalise_pattern(const char *pattern, struct arena *a)
{
	char *p = arena_strdup(a, pattern);
	if (p != NULL && strncasecmp(p, "INBOX", 5) == 0 &&
		(p[5] == '\0' || p[5] == MAIL_FOLDER_DELIMITER))
		memcpy(p, "INBOX", 5);
	return p;
}

/* Whether entries[0, n) holds name. */
static bool
listed_before(const struct mail_folder_entry *entries, size_t n,
	const char *name, const char *const *extra, size_t extra_count)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(entries[i].name, name) == 0)
			return true;
	}
	for (size_t i = 0; i < extra_count; i++) {
		if (strcmp(extra[i], name) == 0)
			return true;
	}
	return false;
}

/*
 * LSUB: subscribed folders that match, and (RFC 3501 §6.3.9) a parent that
 * matches "%" only through a subscribed child, as \Noselect.
 */
static int
send_lsub(struct imap_session *s, const char *pattern,
	const struct mail_folder_entry *entries, size_t count)
{
	const char **parents = NULL;
	size_t parent_count = 0, capacity = 0;
	for (size_t i = 0; i < count; i++) {
		const struct mail_folder_entry *e = &entries[i];
		if ((e->attrs & MAIL_FOLDER_SUBSCRIBED) == 0)
			continue;
		if (pattern_match(pattern, e->name)) {
			if (send_entry(s, true, e->name, e->attrs,
				    e->special_use) < 0)
				return -1;
			continue;
		}
		for (const char *p = strchr(e->name, MAIL_FOLDER_DELIMITER);
			p != NULL; p = strchr(p + 1, MAIL_FOLDER_DELIMITER)) {
			char *parent = arena_strndup(s->cmd, e->name,
				(size_t)(p - e->name));
			if (parent == NULL)
				return -1;
			bool subscribed = false;
			for (size_t k = 0; k < count && !subscribed; k++)
				subscribed = strcmp(entries[k].name, parent) ==
						0 &&
					(entries[k].attrs &
						MAIL_FOLDER_SUBSCRIBED) != 0;
			if (subscribed || !pattern_match(pattern, parent) ||
				listed_before(NULL, 0, parent, parents,
					parent_count))
				continue;
			const char **slot = arena_array_push(s->cmd,
				(void **)&parents, &parent_count, &capacity,
				sizeof(*slot));
			if (slot == NULL)
				return -1;
			*slot = parent;
			if (send_entry(s, true, parent,
				    MAIL_FOLDER_NOSELECT |
					    MAIL_FOLDER_HAS_CHILDREN,
				    "") < 0)
				return -1;
		}
	}
	return 0;
}

int
imap_cmd_list(struct imap_session *s, const struct imap_command *c)
{
	bool lsub = span_eq_nocase(c->name, "LSUB");
	const char *reference, *pattern;
	struct error err;
	if (c->count != 2)
		return imap_bad(s, "%s takes a reference and a pattern",
			lsub ? "LSUB" : "LIST");
	if (imap_arg_string(&c->args[0], s->cmd, &reference, &err) < 0 ||
		imap_arg_string(&c->args[1], s->cmd, &pattern, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	if (!lsub && pattern[0] == '\0') {
		/* RFC 3501 §6.3.8: the delimiter and the root's name. */
		if (imap_untagged(s, "LIST (\\Noselect) \"%c\" \"\"",
			    MAIL_FOLDER_DELIMITER) < 0)
			return -1;
		return imap_tagged(s, "OK", NULL, "LIST completed");
	}
	char *full = arena_printf(s->cmd, "%s%s", reference, pattern);
	if (full == NULL || strlen(full) > PATTERN_MAX)
		return imap_bad(s, "the pattern is too long");
	full = normalise_pattern(full, s->cmd);
	struct mail_folder_entry *entries;
	size_t count;
	if (full == NULL ||
		mail_folder_list(&s->user, &entries, &count, &err) < 0)
		return imap_reply_error(s,
			full == NULL ? &(struct error){ .code = ERROR_LIMIT } :
				       &err);
	if (lsub) {
		if (send_lsub(s, full, entries, count) < 0)
			return -1;
	} else {
		for (size_t i = 0; i < count; i++) {
			if (pattern_match(full, entries[i].name) &&
				send_entry(s, false, entries[i].name,
					entries[i].attrs,
					entries[i].special_use) < 0)
				return -1;
		}
	}
	return imap_tagged(s, "OK", NULL, "%s completed",
		lsub ? "LSUB" : "LIST");
}

int
imap_cmd_namespace(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "NAMESPACE takes no arguments");
	/* RFC 2342: personal "", no other users', shared "Shared/". */
	if (imap_untagged(s,
		    "NAMESPACE ((\"\" \"%c\")) NIL ((\"%s%c\" \"%c\"))",
		    MAIL_FOLDER_DELIMITER, MAIL_FOLDER_SHARED_ROOT,
		    MAIL_FOLDER_DELIMITER, MAIL_FOLDER_DELIMITER) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "NAMESPACE completed");
}
