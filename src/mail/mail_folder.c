/*
 * Folders and messages of a signed-in person's own mailbox and of the shared
 * mailboxes they hold Full Access on, and the change notifications IDLE
 * waits on. Layer: domain. RFC 3501 §5.1 (names), §6.3 (CREATE, DELETE,
 * RENAME), RFC 2342, RFC 4315, RFC 6851. SECURITY: every name is checked
 * before use (SECURITY.md item 34); a shared mailbox is reached only while
 * its grant exists (SPEC A3), checked on each open, list and recheck.
 */
#include "mail/mail_folder.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_internal.h"
#include "mail/mail_mime.h"
#include "store/store.h"
#include "store/store_access.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_writer.h"

#define MIB (1024 * 1024)
/* A message's MIME summary is worked out in its own arena, as delivery does. */
#define SUMMARY_ARENA_CAP (64 * 1024 * 1024)

static const char *const special_uses[] = { "inbox", "sent", "drafts", "trash",
	"junk" };

/* ---- the signed-in person ---- */

struct ensure_job {
	int64_t mailbox_id;
	int64_t now;
};

static int
run_ensure_job(struct store *st, void *arg, struct error *err)
{
	const struct ensure_job *job = arg;
	return mail_folders_ensure(st, job->mailbox_id, job->now, err);
}

/* Makes the special-use folders of a mailbox that has not got them all. */
/* Whether every special-use folder is among folders. */
static bool
has_special_folders(const struct store_folder *folders, size_t count)
{
	for (size_t i = 0; i < sizeof(special_uses) / sizeof(*special_uses);
		i++) {
		bool found = false;
		for (size_t j = 0; j < count && !found; j++)
			found = strcmp(folders[j].special_use, special_uses[i]) ==
				0;
		if (!found)
			return false;
	}
	return true;
}

/* Makes the special-use folders of a mailbox that has not got them all. */
static int
ensure_folders(const struct mail_user *u, int64_t mailbox_id, struct error *err)
{
	struct store_folder *folders;
	size_t count;
	if (store_folder_list(u->ctx->store, mailbox_id, u->ctx->arena,
		    &folders, &count, err) < 0)
		return -1;
	if (has_special_folders(folders, count))
		return 0;
	struct ensure_job job = { mailbox_id, u->ctx->now };
	if (store_writer_run(u->writer, run_ensure_job, &job, err) < 0)
		return -1;
	mail_notify_changed(mailbox_id);
	return 0;
}

int
mail_user_open(const struct dir_ctx *ctx, struct store_writer *w,
	const char *address, struct mail_user *u_r, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	if (strcmp(p.status, "active") != 0)
		return error_set(err, ERROR_DENIED,
			"the account is not active");
	*u_r = (struct mail_user){ .ctx = ctx,
		.writer = w,
		.person_id = p.id,
		.mailbox_id = p.mailbox_id,
		.address = p.address };
	return ensure_folders(u_r, p.mailbox_id, err);
}

/* ---- names ---- */

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

/* Where a client's folder name points. */
struct resolved {
	int64_t mailbox_id;
	bool shared;
	const char *prefix;	/* "" or "Shared/<address>/" */
	const char *store_name; /* in the mailbox; "" for a namespace node */
};

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

/*
 * Whether the person holds Full Access on the mailbox now and it is open
 * for mail. Their own mailbox always counts.
 */
static int
may_use_mailbox(const struct mail_user *u, int64_t mailbox_id, bool *ok_r,
	struct error *err)
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
		granted = strcmp(grants[i].right, "full_access") == 0;
	if (!granted)
		return 0;
	struct store_mailbox m;
	if (store_mailbox_get(u->ctx->store, mailbox_id, u->ctx->arena, &m,
		    err) < 0)
		return -1;
	*ok_r = strcmp(m.status, "active") == 0;
	return 0;
}

static int
resolve(const struct mail_user *u, const char *name, struct resolved *r,
	struct error *err)
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
	} else if (may_use_mailbox(u, m.id, &ok, err) < 0) {
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

static void
folder_from_store(const struct resolved *r, const struct store_folder *sf,
	struct arena *a, struct mail_folder *f)
{
	*f = (struct mail_folder){
		.id = sf->id,
		.mailbox_id = sf->mailbox_id,
		.shared = r->shared,
		.name = arena_printf(a, "%s%s", r->prefix, sf->name),
		.store_name = sf->name,
		.special_use = sf->special_use,
		.uidvalidity = sf->uidvalidity,
		.uidnext = sf->uidnext,
		.subscribed = sf->subscribed || r->shared,
	};
	if (f->name == NULL)
		f->name = sf->name;
}

int
mail_folder_open(const struct mail_user *u, const char *name,
	struct mail_folder *f_r, struct error *err)
{
	struct resolved r;
	struct store_folder sf;
	if (strlen(name) > MAIL_FOLDER_NAME_MAX)
		return error_set(err, ERROR_INVALID, "the name is too long");
	if (resolve(u, name, &r, err) < 0)
		return -1;
	if (r.store_name[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"%s only holds other folders", name);
	if (store_folder_get(u->ctx->store, r.mailbox_id, r.store_name,
		    u->ctx->arena, &sf, err) < 0) {
		if (err != NULL && err->code == ERROR_NOT_FOUND)
			error_set(err, ERROR_NOT_FOUND,
				"there is no folder called %s", name);
		return -1;
	}
	folder_from_store(&r, &sf, u->ctx->arena, f_r);
	return 0;
}

int
mail_folder_recheck(const struct mail_user *u, struct mail_folder *f,
	struct error *err)
{
	if (f->shared) {
		bool ok;
		if (may_use_mailbox(u, f->mailbox_id, &ok, err) < 0)
			return -1;
		if (!ok)
			return error_set(err, ERROR_DENIED,
				"you no longer have access to %s", f->name);
	}
	struct store_folder sf;
	if (store_imap_folder_get(u->ctx->store, f->id, u->ctx->arena, &sf,
		    err) < 0)
		return -1;
	f->uidnext = sf.uidnext;
	return 0;
}

/* ---- listing ---- */

struct entry_list {
	struct mail_folder_entry *items;
	size_t count, capacity;
};

static int
entry_add(struct arena *a, struct entry_list *l, const char *name,
	const char *special_use, unsigned attrs, struct error *err)
{
	struct mail_folder_entry *e = arena_array_push(a, (void **)&l->items,
		&l->count, &l->capacity, sizeof(*e));
	if (e == NULL || name == NULL)
		return error_set(err, ERROR_LIMIT, "too many folders to list");
	*e = (struct mail_folder_entry){ name, special_use, attrs };
	return 0;
}

static int
entry_compare(const void *x, const void *y)
{
	const struct mail_folder_entry *a = x, *b = y;
	return strcmp(a->name, b->name);
}

/* The index of the first entry >= key in a sorted list. */
static size_t
entry_lower_bound(const struct entry_list *l, const char *key)
{
	size_t lo = 0, hi = l->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(l->items[mid].name, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
entry_exists(const struct entry_list *l, const char *name)
{
	size_t i = entry_lower_bound(l, name);
	return i < l->count && strcmp(l->items[i].name, name) == 0;
}

/*
 * Adds a \Noselect entry for every parent name no folder has, then marks
 * \HasChildren: a name has children when some name starts with it and a
 * delimiter.
 */
static int
complete_hierarchy(struct arena *a, struct entry_list *l, struct error *err)
{
	qsort(l->items, l->count, sizeof(*l->items), entry_compare);
	size_t original = l->count;
	for (size_t i = 0; i < original; i++) {
		const char *name = l->items[i].name;
		for (const char *p = strchr(name, MAIL_FOLDER_DELIMITER);
			p != NULL; p = strchr(p + 1, MAIL_FOLDER_DELIMITER)) {
			char *parent = arena_strndup(a, name,
				(size_t)(p - name));
			if (parent == NULL)
				return error_set(err, ERROR_LIMIT,
					"too many folders to list");
			bool found = entry_exists(l, parent);
			for (size_t k = original; k < l->count && !found; k++)
				found = strcmp(l->items[k].name, parent) == 0;
			if (!found &&
				entry_add(a, l, parent, "",
					MAIL_FOLDER_NOSELECT, err) < 0)
				return -1;
		}
	}
	qsort(l->items, l->count, sizeof(*l->items), entry_compare);
	for (size_t i = 0; i < l->count; i++) {
		char *key = arena_printf(a, "%s%c", l->items[i].name,
			MAIL_FOLDER_DELIMITER);
		if (key == NULL)
			return error_set(err, ERROR_LIMIT,
				"too many folders to list");
		size_t j = entry_lower_bound(l, key);
		if (j < l->count &&
			strncmp(l->items[j].name, key, strlen(key)) == 0)
			l->items[i].attrs |= MAIL_FOLDER_HAS_CHILDREN;
	}
	return 0;
}

static int
list_mailbox(const struct mail_user *u, int64_t mailbox_id, const char *prefix,
	bool shared, struct entry_list *l, struct error *err)
{
	struct arena *a = u->ctx->arena;
	struct store_folder *folders;
	size_t count;
	if (store_folder_list(u->ctx->store, mailbox_id, a, &folders, &count,
		    err) < 0)
		return -1;
	if (shared && !has_special_folders(folders, count)) {
		/*
		 * A shared mailbox nobody has signed in to: delivery makes
		 * only its Inbox.
		 */
		if (ensure_folders(u, mailbox_id, err) < 0 ||
			store_folder_list(u->ctx->store, mailbox_id, a,
				&folders, &count, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < count; i++) {
		unsigned attrs = folders[i].subscribed || shared ?
			MAIL_FOLDER_SUBSCRIBED :
			0;
		if (entry_add(a, l,
			    arena_printf(a, "%s%s", prefix, folders[i].name),
			    folders[i].special_use, attrs, err) < 0)
			return -1;
	}
	return 0;
}

int
mail_folder_list(const struct mail_user *u,
	struct mail_folder_entry **entries_r, size_t *count_r,
	struct error *err)
{
	struct arena *a = u->ctx->arena;
	struct entry_list l = { 0 };
	if (list_mailbox(u, u->mailbox_id, "", false, &l, err) < 0)
		return -1;
	struct store_grant *grants;
	size_t count;
	if (store_grant_list(u->ctx->store, 0, u->person_id, a, &grants, &count,
		    err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(grants[i].right, "full_access") != 0 ||
			grants[i].mailbox_id == u->mailbox_id)
			continue;
		struct store_mailbox m;
		if (store_mailbox_get(u->ctx->store, grants[i].mailbox_id, a,
			    &m, err) < 0)
			return -1;
		if (strcmp(m.status, "active") != 0)
			continue;
		const char *prefix = arena_printf(a, "%s%c%s%c",
			MAIL_FOLDER_SHARED_ROOT, MAIL_FOLDER_DELIMITER,
			m.address, MAIL_FOLDER_DELIMITER);
		if (prefix == NULL)
			return error_set(err, ERROR_LIMIT,
				"too many folders to list");
		if (list_mailbox(u, m.id, prefix, true, &l, err) < 0)
			return -1;
	}
	if (complete_hierarchy(a, &l, err) < 0)
		return -1;
	*entries_r = l.items;
	*count_r = l.count;
	return 0;
}

/* ---- creating, deleting, renaming, subscribing ---- */

/* Whether a name in one's own mailbox is kept for the shared namespace. */
static bool
is_reserved(const struct resolved *r)
{
	size_t n = strlen(MAIL_FOLDER_SHARED_ROOT);
	return !r->shared &&
		strncasecmp(r->store_name, MAIL_FOLDER_SHARED_ROOT, n) == 0 &&
		(r->store_name[n] == '\0' ||
			r->store_name[n] == MAIL_FOLDER_DELIMITER);
}

/* A client's name for a new folder: trailing delimiter dropped, checked. */
static int
new_name(const struct mail_user *u, const char *name, struct resolved *r,
	struct error *err)
{
	size_t len = strlen(name);
	char *trimmed = arena_strdup(u->ctx->arena, name);
	if (trimmed == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for names");
	if (len > 1 && trimmed[len - 1] == MAIL_FOLDER_DELIMITER)
		trimmed[len - 1] = '\0';
	if (mail_folder_name_check(trimmed, err) < 0 ||
		resolve(u, trimmed, r, err) < 0)
		return -1;
	if (r->store_name[0] == '\0' || is_reserved(r))
		return error_set(err, ERROR_INVALID,
			"%s is kept for shared mailboxes", trimmed);
	return 0;
}

/* Creates `name` and missing parents in a mailbox, on the writer. */
static int
create_with_parents(struct store *st, int64_t mailbox_id, const char *name,
	int64_t now, struct arena *a, bool must_be_new, struct error *err)
{
	size_t len = strlen(name);
	for (size_t i = 0; i <= len; i++) {
		if (name[i] != MAIL_FOLDER_DELIMITER && name[i] != '\0')
			continue;
		char *part = arena_strndup(a, name, i);
		if (part == NULL)
			return error_set(err, ERROR_LIMIT,
				"out of memory for names");
		struct store_folder existing;
		struct error inner;
		if (store_folder_get(st, mailbox_id, part, a, &existing,
			    &inner) == 0) {
			if (i == len && must_be_new)
				return error_set(err, ERROR_EXISTS,
					"there is already a folder called %s",
					name);
			continue;
		}
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		struct store_folder f = { .mailbox_id = mailbox_id,
			.name = part,
			.special_use = "",
			.uidnext = 1,
			.subscribed = true,
			.created_at = now };
		if (store_imap_uidvalidity_next(st, mailbox_id, now,
			    &f.uidvalidity, err) < 0 ||
			store_folder_create(st, &f, err) < 0)
			return -1;
	}
	return 0;
}

struct folder_job {
	const struct mail_user *u;
	int64_t mailbox_id;
	const char *name; /* in the mailbox */
	const char *to;	  /* RENAME's new name */
	bool subscribed;
};

static int
run_create_job(struct store *st, void *arg, struct error *err)
{
	const struct folder_job *job = arg;
	return create_with_parents(st, job->mailbox_id, job->name,
		job->u->ctx->now, job->u->ctx->arena, true, err);
}

int
mail_folder_create(const struct mail_user *u, const char *name,
	struct error *err)
{
	struct resolved r;
	if (new_name(u, name, &r, err) < 0)
		return -1;
	if (strcmp(r.store_name, "INBOX") == 0)
		return error_set(err, ERROR_EXISTS, "INBOX always exists");
	struct folder_job job = { u, r.mailbox_id, r.store_name, NULL, false };
	if (store_writer_run(u->writer, run_create_job, &job, err) < 0)
		return -1;
	mail_notify_changed(r.mailbox_id);
	return 0;
}

/* Whether the mailbox has a folder below `name`. */
static int
has_children(struct store *st, int64_t mailbox_id, const char *name,
	struct arena *a, bool *yes_r, struct error *err)
{
	struct store_folder *folders;
	size_t count, len = strlen(name);
	if (store_folder_list(st, mailbox_id, a, &folders, &count, err) < 0)
		return -1;
	*yes_r = false;
	for (size_t i = 0; i < count && !*yes_r; i++)
		*yes_r = strncmp(folders[i].name, name, len) == 0 &&
			folders[i].name[len] == MAIL_FOLDER_DELIMITER;
	return 0;
}

static int
run_delete_job(struct store *st, void *arg, struct error *err)
{
	const struct folder_job *job = arg;
	struct arena *a = job->u->ctx->arena;
	struct store_folder f;
	bool children;
	if (store_folder_get(st, job->mailbox_id, job->name, a, &f, err) < 0)
		return -1;
	if (strcmp(f.name, "INBOX") == 0 || f.special_use[0] != '\0')
		return error_set(err, ERROR_INVALID,
			"%s is a special folder and cannot be deleted", f.name);
	if (has_children(st, job->mailbox_id, job->name, a, &children, err) < 0)
		return -1;
	if (children)
		return error_set(err, ERROR_INVALID,
			"%s has folders inside it; delete those first", f.name);
	return store_imap_folder_delete(st, f.id, err);
}

int
mail_folder_delete(const struct mail_user *u, const char *name,
	struct error *err)
{
	struct resolved r;
	if (resolve(u, name, &r, err) < 0)
		return -1;
	if (r.store_name[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"%s is not a folder that can be deleted", name);
	struct folder_job job = { u, r.mailbox_id, r.store_name, NULL, false };
	if (store_writer_run(u->writer, run_delete_job, &job, err) < 0)
		return -1;
	mail_notify_changed(r.mailbox_id);
	return 0;
}

/* RENAME INBOX: its messages move to a new folder; INBOX stays, empty. */
static int
rename_inbox(struct store *st, const struct folder_job *job, struct error *err)
{
	struct arena *a = job->u->ctx->arena;
	struct store_folder inbox, target;
	int64_t *uids;
	size_t count;
	if (create_with_parents(st, job->mailbox_id, job->to, job->u->ctx->now,
		    a, true, err) < 0 ||
		store_folder_get(st, job->mailbox_id, "INBOX", a, &inbox, err) <
			0 ||
		store_folder_get(st, job->mailbox_id, job->to, a, &target,
			err) < 0 ||
		store_imap_uids(st, inbox.id, a, &uids, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		int64_t new_uid;
		if (store_imap_copy(st, inbox.id, uids[i], target.id, &new_uid,
			    err) < 0 ||
			store_imap_expunge(st, inbox.id, uids[i], err) < 0)
			return -1;
	}
	return 0;
}

static int
run_rename_job(struct store *st, void *arg, struct error *err)
{
	const struct folder_job *job = arg;
	struct arena *a = job->u->ctx->arena;
	if (strcmp(job->name, "INBOX") == 0)
		return rename_inbox(st, job, err);
	struct store_folder f;
	struct error inner;
	if (store_folder_get(st, job->mailbox_id, job->name, a, &f, err) < 0)
		return -1;
	if (store_folder_get(st, job->mailbox_id, job->to, a, &f, &inner) == 0)
		return error_set(err, ERROR_EXISTS,
			"there is already a folder called %s", job->to);
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	/* Parents of the new name, not the new name itself. */
	const char *last = strrchr(job->to, MAIL_FOLDER_DELIMITER);
	if (last != NULL) {
		char *parent = arena_strndup(a, job->to,
			(size_t)(last - job->to));
		if (parent == NULL)
			return error_set(err, ERROR_LIMIT,
				"out of memory for names");
		if (create_with_parents(st, job->mailbox_id, parent,
			    job->u->ctx->now, a, false, err) < 0)
			return -1;
	}
	return store_imap_folder_rename(st, job->mailbox_id, job->name, job->to,
		MAIL_FOLDER_DELIMITER, err);
}

int
mail_folder_rename(const struct mail_user *u, const char *from, const char *to,
	struct error *err)
{
	struct resolved rf, rt;
	if (resolve(u, from, &rf, err) < 0 || new_name(u, to, &rt, err) < 0)
		return -1;
	if (rf.store_name[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"%s is not a folder that can be renamed", from);
	if (rf.mailbox_id != rt.mailbox_id)
		return error_set(err, ERROR_INVALID,
			"folders move only within one mailbox");
	if (strcmp(rt.store_name, "INBOX") == 0)
		return error_set(err, ERROR_EXISTS, "INBOX always exists");
	size_t n = strlen(rf.store_name);
	if (strncmp(rt.store_name, rf.store_name, n) == 0 &&
		(rt.store_name[n] == '\0' ||
			rt.store_name[n] == MAIL_FOLDER_DELIMITER))
		return error_set(err, ERROR_INVALID,
			"a folder cannot be moved into itself");
	struct folder_job job = { u, rf.mailbox_id, rf.store_name,
		rt.store_name, false };
	if (store_writer_run(u->writer, run_rename_job, &job, err) < 0)
		return -1;
	mail_notify_changed(rf.mailbox_id);
	return 0;
}

static int
run_subscribe_job(struct store *st, void *arg, struct error *err)
{
	const struct folder_job *job = arg;
	struct store_folder f;
	if (store_folder_get(st, job->mailbox_id, job->name, job->u->ctx->arena,
		    &f, err) < 0)
		return -1;
	return store_imap_folder_subscribe(st, f.id, job->subscribed, err);
}

int
mail_folder_subscribe(const struct mail_user *u, const char *name,
	bool subscribed, struct error *err)
{
	struct resolved r;
	if (resolve(u, name, &r, err) < 0)
		return -1;
	if (r.shared) {
		if (subscribed)
			return 0;
		return error_set(err, ERROR_INVALID,
			"shared mailboxes show while you hold Full Access");
	}
	struct folder_job job = { u, r.mailbox_id, r.store_name, NULL,
		subscribed };
	return store_writer_run(u->writer, run_subscribe_job, &job, err);
}

int
mail_folder_status(const struct mail_user *u, struct mail_folder *f,
	struct mail_folder_status *s_r, struct error *err)
{
	struct store_imap_counts c;
	if (mail_folder_recheck(u, f, err) < 0 ||
		store_imap_folder_counts(u->ctx->store, f->id, &c, err) < 0)
		return -1;
	*s_r = (struct mail_folder_status){
		.messages = c.messages,
		.unseen = c.unseen,
		.first_unseen_uid = c.first_unseen_uid,
		.uidnext = f->uidnext,
		.uidvalidity = f->uidvalidity,
		.recent = c.recent,
	};
	return 0;
}

int
mail_folder_recent_first(const struct mail_user *u,
	const struct mail_folder *f, int64_t *first_r, struct error *err)
{
	return store_imap_recent_first(u->ctx->store, f->id, first_r, err);
}

struct recent_job {
	int64_t folder_id;
	int64_t upto;
	int64_t first;
};

static int
run_recent_job(struct store *st, void *arg, struct error *err)
{
	struct recent_job *job = arg;
	return store_imap_recent_claim(st, job->folder_id, job->upto,
		&job->first, err);
}

int
mail_folder_recent_claim(const struct mail_user *u,
	const struct mail_folder *f, int64_t upto, int64_t *first_r,
	struct error *err)
{
	int64_t first;
	/* Most syncs find nothing to claim: no write for those. */
	if (mail_folder_recent_first(u, f, &first, err) < 0)
		return -1;
	if (first >= upto) {
		*first_r = upto;
		return 0;
	}
	struct recent_job job = { f->id, upto, upto };
	if (store_writer_run(u->writer, run_recent_job, &job, err) < 0)
		return -1;
	*first_r = job.first;
	return 0;
}

/* ---- messages ---- */

int
mail_folder_flag_rows(const struct mail_user *u, const struct mail_folder *f,
	int64_t after_uid, size_t limit, struct arena *a,
	struct store_imap_flag_row **rows_r, size_t *count_r, struct error *err)
{
	return store_imap_flag_rows(u->ctx->store, f->id, after_uid, limit, a,
		rows_r, count_r, err);
}

int
mail_folder_messages(const struct mail_user *u, const struct mail_folder *f,
	int64_t first_uid, int64_t last_uid, size_t limit,
	enum store_imap_columns columns, struct arena *a,
	struct store_message **messages_r, size_t *count_r, struct error *err)
{
	return store_imap_messages(u->ctx->store, f->id, first_uid, last_uid,
		limit, columns, a, messages_r, count_r, err);
}

int
mail_message_read(const struct mail_user *u, const struct mail_folder *f,
	const struct store_message *m, struct arena *a, const char **data_r,
	size_t *size_r, struct error *err)
{
	if (m->folder_id != f->id)
		return error_set(err, ERROR_INTERNAL,
			"a message was read through the wrong folder");
	return store_body_get(u->ctx->store, m->body_id, a, data_r, size_r,
		err);
}

struct flags_job {
	int64_t folder_id;
	const struct mail_flag_change *changes;
	size_t count;
};

static int
run_flags_job(struct store *st, void *arg, struct error *err)
{
	const struct flags_job *job = arg;
	for (size_t i = 0; i < job->count; i++) {
		struct error inner;
		const struct mail_flag_change *c = &job->changes[i];
		if (store_imap_flags_set(st, job->folder_id, c->uid, c->flags,
			    c->keywords, &inner) < 0 &&
			inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
	}
	return 0;
}

int
mail_message_flags_set(const struct mail_user *u, const struct mail_folder *f,
	const struct mail_flag_change *changes, size_t count, struct error *err)
{
	if (count == 0)
		return 0;
	struct flags_job job = { f->id, changes, count };
	if (store_writer_run(u->writer, run_flags_job, &job, err) < 0)
		return -1;
	mail_notify_changed(f->mailbox_id);
	return 0;
}

/* ERROR_LIMIT when the mailbox holds more than its quota. */
static int
check_quota(struct store *st, int64_t mailbox_id, int64_t adding,
	struct arena *a, struct error *err)
{
	struct store_mailbox m;
	int64_t used;
	if (store_mailbox_get(st, mailbox_id, a, &m, err) < 0 ||
		store_mailbox_used(st, mailbox_id, &used, err) < 0)
		return -1;
	if (used + adding > m.quota_mb * MIB)
		return error_set(err, ERROR_LIMIT,
			"the mailbox %s is full (%lld of %lld MB used); delete "
			"mail before adding more",
			m.address, (long long)(used / MIB),
			(long long)m.quota_mb);
	return 0;
}

struct copy_job {
	const struct mail_user *u;
	const struct mail_folder *from, *to;
	const int64_t *uids;
	size_t count;
	bool move;
	int64_t *new_uids;
};

static int
run_copy_job(struct store *st, void *arg, struct error *err)
{
	const struct copy_job *job = arg;
	for (size_t i = 0; i < job->count; i++) {
		struct error inner;
		job->new_uids[i] = 0;
		if (store_imap_copy(st, job->from->id, job->uids[i],
			    job->to->id, &job->new_uids[i], &inner) < 0) {
			if (inner.code != ERROR_NOT_FOUND)
				return error_forward(err, &inner);
			job->new_uids[i] = 0;
			continue;
		}
		if (job->move &&
			store_imap_expunge(st, job->from->id, job->uids[i],
				err) < 0)
			return -1;
	}
	/* Checked after the copy: a failing job is rolled back whole. */
	if (job->move && job->from->mailbox_id == job->to->mailbox_id)
		return 0;
	return check_quota(st, job->to->mailbox_id, 0, job->u->ctx->arena, err);
}

int
mail_message_copy(const struct mail_user *u, const struct mail_folder *from,
	const int64_t *uids, size_t count, const struct mail_folder *to,
	bool move, int64_t *new_uids_r, struct error *err)
{
	if (count == 0)
		return 0;
	struct copy_job job = { u, from, to, uids, count, move, new_uids_r };
	if (store_writer_run(u->writer, run_copy_job, &job, err) < 0)
		return -1;
	mail_notify_changed(to->mailbox_id);
	if (move)
		mail_notify_changed(from->mailbox_id);
	return 0;
}

struct expunge_job {
	int64_t folder_id;
	const int64_t *uids;
	size_t count;
};

static int
run_expunge_job(struct store *st, void *arg, struct error *err)
{
	const struct expunge_job *job = arg;
	for (size_t i = 0; i < job->count; i++) {
		if (store_imap_expunge(st, job->folder_id, job->uids[i], err) <
			0)
			return -1;
	}
	return 0;
}

int
mail_message_expunge(const struct mail_user *u, const struct mail_folder *f,
	const int64_t *uids, size_t count, struct error *err)
{
	if (count == 0)
		return 0;
	struct expunge_job job = { f->id, uids, count };
	if (store_writer_run(u->writer, run_expunge_job, &job, err) < 0)
		return -1;
	mail_notify_changed(f->mailbox_id);
	return 0;
}

struct append_job {
	int64_t folder_id;
	const struct mail_append *m;
	const struct mail_body *b;
	int64_t uid;
};

static int
run_append_job(struct store *st, void *arg, struct error *err)
{
	struct append_job *job = arg;
	int64_t body_id = store_body_put(st, &job->b->body, err);
	if (body_id < 0)
		return -1;
	struct store_delivery d = {
		.body_id = body_id,
		.size = (int64_t)job->m->size,
		.internal_date = job->m->internal_date,
		.folder_ids = &job->folder_id,
		.folder_count = 1,
		.sender = "",
	};
	if (store_deliver(st, &d, &job->uid, err) < 0)
		return -1;
	if (job->m->flags == 0 && job->m->keywords[0] == '\0')
		return 0;
	return store_imap_flags_set(st, job->folder_id, job->uid, job->m->flags,
		job->m->keywords, err);
}

int
mail_message_append(const struct mail_user *u, const struct mail_folder *f,
	const struct mail_append *m, int64_t *uid_r, struct error *err)
{
	if (check_quota(u->ctx->store, f->mailbox_id, (int64_t)m->size,
		    u->ctx->arena, err) < 0)
		return -1;
	struct arena *a = arena_new(SUMMARY_ARENA_CAP);
	struct mail_body b;
	int rc = mail_body_prepare(m->data, m->size, m->internal_date, a, &b,
		err);
	if (rc == 0) {
		struct append_job job = { f->id, m, &b, 0 };
		rc = store_writer_run(u->writer, run_append_job, &job, err);
		*uid_r = job.uid;
	}
	arena_free(&a);
	if (rc == 0)
		mail_notify_changed(f->mailbox_id);
	return rc;
}

/* ---- change notification ---- */

/*
 * Mailboxes hash into buckets, each a counter and a list of watches under
 * its own lock, so a delivery touches only the watches in its bucket, and
 * of those wakes only the ones on its mailbox.
 */
#define CHANGE_BUCKETS 256

static struct change_bucket {
	pthread_mutex_t lock;
	uint64_t seq;
	struct mail_watch *watches;
} change_buckets[CHANGE_BUCKETS];

static pthread_once_t change_once = PTHREAD_ONCE_INIT;

static void
change_init(void)
{
	for (size_t i = 0; i < CHANGE_BUCKETS; i++)
		pthread_mutex_init(&change_buckets[i].lock, NULL);
}

static struct change_bucket *
change_bucket(int64_t mailbox_id)
{
	pthread_once(&change_once, change_init);
	return &change_buckets[(uint64_t)mailbox_id % CHANGE_BUCKETS];
}

uint64_t
mail_change_seq(int64_t mailbox_id)
{
	struct change_bucket *b = change_bucket(mailbox_id);
	pthread_mutex_lock(&b->lock);
	uint64_t seq = b->seq;
	pthread_mutex_unlock(&b->lock);
	return seq;
}

void
mail_notify_changed(int64_t mailbox_id)
{
	struct change_bucket *b = change_bucket(mailbox_id);
	const uint64_t one = 1;
	pthread_mutex_lock(&b->lock);
	b->seq++;
	for (struct mail_watch *w = b->watches; w != NULL; w = w->next) {
		/* A full counter is already readable: nothing is lost. */
		if (w->mailbox_id == mailbox_id &&
		    write(w->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("mail.watch_write", "errno=%d", errno);
	}
	pthread_mutex_unlock(&b->lock);
}

/* Wakes every watch: a list's members are not known here. */
static void
notify_all(void)
{
	const uint64_t one = 1;
	pthread_once(&change_once, change_init);
	for (size_t i = 0; i < CHANGE_BUCKETS; i++) {
		struct change_bucket *b = &change_buckets[i];
		pthread_mutex_lock(&b->lock);
		b->seq++;
		for (struct mail_watch *w = b->watches; w != NULL; w = w->next) {
			if (write(w->fd, &one, sizeof(one)) < 0 &&
			    errno != EAGAIN)
				log_warn("mail.watch_write", "errno=%d", errno);
		}
		pthread_mutex_unlock(&b->lock);
	}
}

void
mail_notify_delivered(const struct mail_recipient *recipients, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (recipients[i].kind == MAIL_ROUTE_LIST) {
			/*
			 * An idle session woken for nothing looks and sleeps
			 * again; one left asleep would miss the mail.
			 */
			notify_all();
			return;
		}
	}
	for (size_t i = 0; i < count; i++) {
		if (recipients[i].kind == MAIL_ROUTE_LOCAL)
			mail_notify_changed(recipients[i].mailbox_id);
	}
}

int
mail_watch_start(struct mail_watch *w, int64_t mailbox_id, struct error *err)
{
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd < 0)
		return error_set(err, ERROR_INTERNAL,
			"cannot watch the mailbox: eventfd: %s",
			strerror(errno));
	w->mailbox_id = mailbox_id;
	struct change_bucket *b = change_bucket(mailbox_id);
	pthread_mutex_lock(&b->lock);
	w->next = b->watches;
	b->watches = w;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void
mail_watch_clear(struct mail_watch *w)
{
	uint64_t count;
	if (w->fd >= 0 && read(w->fd, &count, sizeof(count)) < 0 &&
	    errno != EAGAIN)
		log_warn("mail.watch_read", "errno=%d", errno);
}

void
mail_watch_stop(struct mail_watch *w)
{
	if (w->fd < 0)
		return;
	struct change_bucket *b = change_bucket(w->mailbox_id);
	pthread_mutex_lock(&b->lock);
	for (struct mail_watch **at = &b->watches; *at != NULL;
	     at = &(*at)->next) {
		if (*at == w) {
			*at = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&b->lock);
	close(w->fd);
	w->fd = -1;
}
