/*
 * Folder operations of a signed-in person on their own mailbox and the
 * shared mailboxes they hold Full Access on: open, list, create, delete,
 * rename, subscribe, status and \Recent. Layer: domain. RFC 3501 §6.3
 * (CREATE, DELETE, RENAME), RFC 2342, RFC 6154. SECURITY: every name goes
 * through mail_folder_name.c (SECURITY.md item 34); a shared mailbox is
 * reached only while its grant exists (SPEC A3), checked on each open,
 * list and recheck.
 */
#include "mail/mail_folder.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail_internal.h"
#include "store/store.h"
#include "store/store_access.h"
#include "store/store_change.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_shared.h"
#include "store/store_writer.h"

/* ---- the signed-in person ---- */

int
mail_user_open(const struct dir_ctx *ctx, struct store_writer *w,
	const char *address, struct mail_user *u_r, struct error *err)
{
	struct store_person p;
	if (dir_person_get(ctx, address, &p, err) < 0)
		return -1;
	if (!dir_person_can_sign_in(p.status))
		return error_set(err, ERROR_DENIED,
			"the account is not active");
	/* Its standard folders were made with the mailbox (dir_mailbox.c). */
	*u_r = (struct mail_user){ .ctx = ctx,
		.writer = w,
		.person_id = p.id,
		.mailbox_id = p.mailbox_id,
		.address = p.address };
	return 0;
}

/* ---- opening ---- */

static void
folder_from_store(const struct mail_folder_target *r,
	const struct store_folder *sf, struct arena *a, struct mail_folder *f)
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
mail_folder_open_with_state(const struct mail_user *u, const char *name,
	struct mail_folder *f_r, struct mail_folder_state *state_r,
	struct error *err)
{
	struct mail_folder_target r;
	struct store_folder sf;
	if (strlen(name) > MAIL_FOLDER_NAME_MAX)
		return error_set(err, ERROR_INVALID, "the name is too long");
	if (mail_folder_resolve(u, name, &r, err) < 0)
		return -1;
	if (r.store_name[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"%s only holds other folders", name);
	int rc = state_r != NULL ?
		store_folder_get_state(u->ctx->store, r.mailbox_id,
			r.store_name, u->ctx->arena, &sf, &state_r->changes,
			&state_r->recent_first, err) :
		store_folder_get(u->ctx->store, r.mailbox_id, r.store_name,
			u->ctx->arena, &sf, err);
	if (rc < 0) {
		if (err != NULL && err->code == ERROR_NOT_FOUND)
			error_set(err, ERROR_NOT_FOUND,
				"there is no folder called %s", name);
		return -1;
	}
	folder_from_store(&r, &sf, u->ctx->arena, f_r);
	return 0;
}

int
mail_folder_open(const struct mail_user *u, const char *name,
	struct mail_folder *f_r, struct error *err)
{
	return mail_folder_open_with_state(u, name, f_r, NULL, err);
}

int
mail_folder_recheck(const struct mail_user *u, struct mail_folder *f,
	struct error *err)
{
	if (f->shared) {
		bool ok;
		if (mail_folder_may_use(u, f->mailbox_id, &ok, err) < 0)
			return -1;
		if (!ok)
			return error_set(err, ERROR_DENIED,
				"you no longer have access to %s", f->name);
	}
	struct store_folder sf;
	if (store_folder_by_id(u->ctx->store, f->id, u->ctx->arena, &sf, err) <
		0)
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
		if (grants[i].right != STORE_GRANT_FULL_ACCESS ||
			grants[i].mailbox_id == u->mailbox_id)
			continue;
		struct store_mailbox m;
		if (store_mailbox_get(u->ctx->store, grants[i].mailbox_id, a,
			    &m, err) < 0)
			return -1;
		if (m.status != STORE_MAILBOX_ACTIVE)
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
			.subscribed = true,
			.created_at = now };
		if (store_folder_uidvalidity_next(st, mailbox_id, now,
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
	if (create_with_parents(st, job->mailbox_id, job->name,
		    job->u->ctx->now, job->u->ctx->arena, true, err) < 0)
		return -1;
	store_changed(st, job->mailbox_id, 0);
	return 0;
}

int
mail_folder_create(const struct mail_user *u, const char *name,
	struct error *err)
{
	struct mail_folder_target r;
	if (mail_folder_new_name(u, name, &r, err) < 0)
		return -1;
	if (strcmp(r.store_name, "INBOX") == 0)
		return error_set(err, ERROR_EXISTS, "INBOX always exists");
	struct folder_job job = { u, r.mailbox_id, r.store_name, NULL, false };
	return store_writer_run(u->writer, run_create_job, &job, err);
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
	if (store_folder_delete(st, f.id, err) < 0)
		return -1;
	store_changed(st, job->mailbox_id, f.id);
	return 0;
}

int
mail_folder_delete(const struct mail_user *u, const char *name,
	struct error *err)
{
	struct mail_folder_target r;
	if (mail_folder_resolve(u, name, &r, err) < 0)
		return -1;
	if (r.store_name[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"%s is not a folder that can be deleted", name);
	struct folder_job job = { u, r.mailbox_id, r.store_name, NULL, false };
	return store_writer_run(u->writer, run_delete_job, &job, err);
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
		store_folder_uids(st, inbox.id, a, &uids, &count, err) < 0)
		return -1;
	if (store_messages_copy(st, inbox.id, uids, count, target.id, NULL,
		    err) < 0)
		return -1;
	return store_message_expunge(st, inbox.id, uids, count, err);
}

static int
run_rename_job(struct store *st, void *arg, struct error *err)
{
	const struct folder_job *job = arg;
	struct arena *a = job->u->ctx->arena;
	store_changed(st, job->mailbox_id, 0);
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
	return store_folder_rename(st, job->mailbox_id, job->name, job->to,
		MAIL_FOLDER_DELIMITER, err);
}

int
mail_folder_rename(const struct mail_user *u, const char *from, const char *to,
	struct error *err)
{
	struct mail_folder_target rf, rt;
	if (mail_folder_resolve(u, from, &rf, err) < 0 ||
		mail_folder_new_name(u, to, &rt, err) < 0)
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
	return store_writer_run(u->writer, run_rename_job, &job, err);
}

static int
run_subscribe_job(struct store *st, void *arg, struct error *err)
{
	const struct folder_job *job = arg;
	struct store_folder f;
	if (store_folder_get(st, job->mailbox_id, job->name, job->u->ctx->arena,
		    &f, err) < 0)
		return -1;
	return store_folder_subscribe(st, f.id, job->subscribed, err);
}

int
mail_folder_subscribe(const struct mail_user *u, const char *name,
	bool subscribed, struct error *err)
{
	struct mail_folder_target r;
	if (mail_folder_resolve(u, name, &r, err) < 0)
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
	struct store_folder_status c;
	if (mail_folder_recheck(u, f, err) < 0 ||
		store_folder_counts(u->ctx->store, f->id, &c, err) < 0)
		return -1;
	*s_r = (struct mail_folder_status){
		.messages = c.messages,
		.unseen = c.unseen,
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
	return store_folder_recent_first(u->ctx->store, f->id, first_r, err);
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
	return store_folder_recent_claim(st, job->folder_id, job->upto,
		&job->first, err);
}

int
mail_folder_recent_claim(const struct mail_user *u,
	const struct mail_folder *f, int64_t upto, int64_t first_read,
	int64_t *first_r, struct error *err)
{
	/* Most syncs find nothing to claim: no write for those. */
	if (first_read >= upto) {
		*first_r = upto;
		return 0;
	}
	struct recent_job job = { f->id, upto, upto };
	if (store_writer_run(u->writer, run_recent_job, &job, err) < 0)
		return -1;
	*first_r = job.first;
	return 0;
}

/* ---- a shared mailbox's last use (SPEC L5) ---- */

/* Uses closer together than this write once: no write per SELECT. */
#define USED_EVERY_S 86400

struct used_job {
	int64_t mailbox_id, now;
};

static int
run_used_job(struct store *st, void *arg, struct error *err)
{
	struct used_job *job = arg;
	return store_shared_used(st, job->mailbox_id, job->now,
		job->now - USED_EVERY_S, err) < 0 ? -1 : 0;
}

int
mail_folder_used(const struct mail_user *u, const struct mail_folder *f,
	struct error *err)
{
	if (!f->shared || u->writer == NULL)
		return 0;
	const struct dir_ctx *ctx = u->ctx;
	struct store_shared_row row;
	struct error inner;
	/* A person's mailbox reached by a grant is not a shared mailbox. */
	if (store_shared_row_get(ctx->store, f->mailbox_id, ctx->arena, &row,
		    &inner) < 0)
		return inner.code == ERROR_NOT_FOUND ? 0 :
			error_forward(err, &inner);
	/* Read first on the session's connection: most days, no write. */
	if (row.last_used_at > ctx->now - USED_EVERY_S)
		return 0;
	struct used_job job = { f->mailbox_id, ctx->now };
	return store_writer_run(u->writer, run_used_job, &job, err);
}
