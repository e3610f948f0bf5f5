/*
 * Folder names and the rules on them: what a name may hold (modified UTF-7,
 * no wildcards or dot parts), where a client's name points (one's own
 * mailbox, or "Shared/<address>/" while a Full Access grant exists), INBOX
 * in any case, and the names kept for the shared namespace. Layer: domain.
 * RFC 3501 §5.1, §5.1.3; RFC 2342. SECURITY: SECURITY.md item 34 (names),
 * item 33 and SPEC A3 (the grant is checked at each resolve).
 */
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail_folder.h"
#include "mail/mail_internal.h"
#include "store/store.h"
#include "store/store_access.h"
#include "store/store_mailbox.h"

static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/*
 * One "&...-" run of modified UTF-7 starting after the '&' at *i: UTF-16
 * in modified base64, surrogates paired, nothing that could be written
 * directly and no control characters (RFC 3501 §5.1.3).
 */
static int
check_mutf7_run(const char *s, size_t *i, struct error *err)
{
	uint32_t bits = 0;
	unsigned nbits = 0, units = 0, high = 0;
	while (s[*i] != '\0' && s[*i] != '-') {
		int v = base64_value(s[*i]);
		if (v < 0)
			return error_set(err, ERROR_INVALID,
				"the name is not valid modified UTF-7");
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		(*i)++;
		if (nbits < 16)
			continue;
		nbits -= 16;
		unsigned unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		units++;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return error_set(err, ERROR_INVALID,
					"the name is not valid modified UTF-7");
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
		} else if ((unit >= 0xdc00 && unit <= 0xdfff) || unit < 0x20 ||
			(unit >= 0x7f && unit <= 0x9f)) {
			return error_set(err, ERROR_INVALID,
				"the name encodes a control character");
		} else if (unit < 0x7f) {
			return error_set(err, ERROR_INVALID,
				"the name encodes plain ASCII");
		}
	}
	if (s[*i] != '-' || units == 0 || high != 0 || nbits >= 6 || bits != 0)
		return error_set(err, ERROR_INVALID,
			"the name is not valid modified UTF-7");
	(*i)++;
	if (s[*i] == '&' && s[*i + 1] != '-')
		return error_set(err, ERROR_INVALID,
			"the name is not valid modified UTF-7");
	return 0;
}

int
mail_folder_name_check(const char *name, struct error *err)
{
	size_t len = strlen(name);
	if (len == 0)
		return error_set(err, ERROR_INVALID, "a folder needs a name");
	if (len > MAIL_FOLDER_NAME_MAX)
		return error_set(err, ERROR_INVALID,
			"a folder name has at most %d characters",
			MAIL_FOLDER_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c > 0x7e)
			return error_set(err, ERROR_INVALID,
				"a folder name holds a control character or "
				"an 8-bit byte (use modified UTF-7)");
		if (c == '*' || c == '%' || c == '~')
			return error_set(err, ERROR_INVALID,
				"a folder name may not hold *, %% or ~");
	}
	if (strstr(name, "..") != NULL)
		return error_set(err, ERROR_INVALID,
			"a folder name may not hold \"..\"");
	if (name[0] == MAIL_FOLDER_DELIMITER ||
		name[len - 1] == MAIL_FOLDER_DELIMITER)
		return error_set(err, ERROR_INVALID,
			"a folder name may not start or end with %c",
			MAIL_FOLDER_DELIMITER);
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (name[i] != MAIL_FOLDER_DELIMITER && name[i] != '\0')
			continue;
		size_t n = i - start;
		if (n == 0 || (n == 1 && name[start] == '.'))
			return error_set(err, ERROR_INVALID,
				"a folder name has an empty or \".\" part");
		if (n > MAIL_FOLDER_COMPONENT_MAX)
			return error_set(err, ERROR_INVALID,
				"each part of a folder name has at most %d "
				"characters",
				MAIL_FOLDER_COMPONENT_MAX);
		start = i + 1;
	}
	for (size_t i = 0; name[i] != '\0';) {
		if (name[i++] != '&')
			continue;
		if (name[i] == '-') {
			i++; /* "&-" is a plain "&" */
			continue;
		}
		if (check_mutf7_run(name, &i, err) < 0)
			return -1;
	}
	return 0;
}

static bool
is_shared_name(const char *name)
{
	size_t n = strlen(MAIL_FOLDER_SHARED_ROOT);
	return strncmp(name, MAIL_FOLDER_SHARED_ROOT, n) == 0 &&
		(name[n] == '\0' || name[n] == MAIL_FOLDER_DELIMITER);
}

/* "inbox/x" is "INBOX/x": only INBOX is case-insensitive (RFC 3501 §5.1). */
static const char *
normalise_inbox(const char *name, struct arena *a)
{
	if (strncasecmp(name, "INBOX", 5) != 0 ||
		(name[5] != '\0' && name[5] != MAIL_FOLDER_DELIMITER) ||
		strncmp(name, "INBOX", 5) == 0)
		return name;
	return arena_printf(a, "INBOX%s", name + 5);
}

int
mail_folder_may_use(const struct mail_user *u, int64_t mailbox_id,
	bool *ok_r, struct error *err)
{
	*ok_r = mailbox_id == u->mailbox_id;
	if (*ok_r)
		return 0;
	struct store_grant *grants;
	size_t count;
	if (store_grant_list(u->ctx->store, mailbox_id, u->person_id,
		    u->ctx->arena, &grants, &count, err) < 0)
		return -1;
	bool granted = false;
	for (size_t i = 0; i < count && !granted; i++)
		granted = grants[i].right == STORE_GRANT_FULL_ACCESS;
	if (!granted)
		return 0;
	struct store_mailbox m;
	if (store_mailbox_get(u->ctx->store, mailbox_id, u->ctx->arena, &m,
		    err) < 0)
		return -1;
	*ok_r = m.status == STORE_MAILBOX_ACTIVE;
	return 0;
}

int
mail_folder_resolve(const struct mail_user *u, const char *name,
	struct mail_folder_target *r, struct error *err)
{
	struct arena *a = u->ctx->arena;
	memset(r, 0, sizeof(*r));
	if (!is_shared_name(name)) {
		r->mailbox_id = u->mailbox_id;
		r->prefix = "";
		r->store_name = normalise_inbox(name, a);
		return r->store_name != NULL ?
			0 :
			error_set(err, ERROR_LIMIT, "out of memory for names");
	}
	r->shared = true;
	const char *address = name + strlen(MAIL_FOLDER_SHARED_ROOT);
	if (*address == '\0') {
		r->prefix = "";
		r->store_name = "";
		return 0;
	}
	address++;
	const char *slash = strchr(address, MAIL_FOLDER_DELIMITER);
	char *addr = arena_strndup(a, address,
		slash != NULL ? (size_t)(slash - address) : strlen(address));
	if (addr == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for names");
	str_lower_inplace(addr);
	struct store_mailbox m;
	struct error inner;
	bool ok = false;
	if (store_mailbox_get_by_address(u->ctx->store, addr, a, &m, &inner) <
		0) {
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
	} else if (mail_folder_may_use(u, m.id, &ok, err) < 0) {
		return -1;
	}
	/* No grant looks the same as no mailbox: nothing to probe with. */
	if (!ok || m.id == u->mailbox_id)
		return error_set(err, ERROR_NOT_FOUND,
			"there is no folder called %s", name);
	r->mailbox_id = m.id;
	r->prefix = arena_printf(a, "%s%c%s%c", MAIL_FOLDER_SHARED_ROOT,
		MAIL_FOLDER_DELIMITER, m.address, MAIL_FOLDER_DELIMITER);
	r->store_name = slash != NULL ? normalise_inbox(slash + 1, a) : "";
	if (r->prefix == NULL || r->store_name == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for names");
	return 0;
}

/* ---- creating, deleting, renaming, subscribing ---- */

/* Whether a name in one's own mailbox is kept for the shared namespace. */
static bool
is_reserved(const struct mail_folder_target *r)
{
	size_t n = strlen(MAIL_FOLDER_SHARED_ROOT);
	return !r->shared &&
		strncasecmp(r->store_name, MAIL_FOLDER_SHARED_ROOT, n) == 0 &&
		(r->store_name[n] == '\0' ||
			r->store_name[n] == MAIL_FOLDER_DELIMITER);
}

int
mail_folder_new_name(const struct mail_user *u, const char *name,
	struct mail_folder_target *r, struct error *err)
{
	size_t len = strlen(name);
	char *trimmed = arena_strdup(u->ctx->arena, name);
	if (trimmed == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for names");
	if (len > 1 && trimmed[len - 1] == MAIL_FOLDER_DELIMITER)
		trimmed[len - 1] = '\0';
	if (mail_folder_name_check(trimmed, err) < 0 ||
		mail_folder_resolve(u, trimmed, r, err) < 0)
		return -1;
	if (r->store_name[0] == '\0' || is_reserved(r))
		return error_set(err, ERROR_INVALID,
			"%s is kept for shared mailboxes", trimmed);
	return 0;
}
