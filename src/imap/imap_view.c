/*
 * The selected mailbox as the client knows it: sequence numbers to UIDs,
 * kept in step with the store by untagged EXISTS and EXPUNGE (RFC 3501
 * §2.3.1.2, §7.3.1, §7.4.1). Layer: front end. SECURITY: every sync
 * rechecks that the person may still use the mailbox (SPEC A3): a removed
 * grant ends the session rather than leave it reading.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/xmalloc.h"
#include "imap/imap_internal.h"

/* UIDs are 32-bit (RFC 3501 §2.3.1.1); the view keeps them so. */
#define VIEW_MAX_MESSAGES (64u * 1024 * 1024)

static int
view_append(struct imap_view *v, const int64_t *uids, size_t count)
{
	if (v->count + count > VIEW_MAX_MESSAGES)
		return -1;
	if (v->count + count > v->capacity) {
		size_t cap = v->capacity * 2 > v->count + count ?
			v->capacity * 2 :
			v->count + count + 64;
		v->uids = xrealloc(v->uids, cap * sizeof(*v->uids));
		v->capacity = cap;
	}
	for (size_t i = 0; i < count; i++)
		v->uids[v->count++] = (uint32_t)uids[i];
	return 0;
}

static const char *
view_strdup(struct imap_view *v, const char *s)
{
	const char *copy = arena_strdup(v->arena, s);
	return copy != NULL ? copy : "";
}

int
imap_view_open(struct imap_session *s, const struct mail_folder *f,
	bool read_only, struct error *err)
{
	struct imap_view *v = &s->view;
	imap_view_close(s);
	v->folder = *f;
	v->folder.name = view_strdup(v, f->name);
	v->folder.store_name = view_strdup(v, f->store_name);
	v->folder.special_use = view_strdup(v, f->special_use);
	v->read_only = read_only;
	/* Read before the UIDs, so a change during the read is seen later. */
	v->change_seq = mail_change_seq(f->mailbox_id);
	int64_t *uids;
	size_t count;
	arena_reset(s->page);
	if (mail_folder_uids(&s->user, f, s->page, &uids, &count, err) < 0)
		return -1;
	if (view_append(v, uids, count) < 0)
		return error_set(err, ERROR_LIMIT,
			"the mailbox holds too many messages to open");
	s->state = IMAP_STATE_SELECTED;
	return 0;
}

void
imap_view_close(struct imap_session *s)
{
	struct imap_view *v = &s->view;
	free(v->uids);
	struct arena *a = v->arena;
	arena_reset(a);
	memset(v, 0, sizeof(*v));
	v->arena = a;
	if (s->state == IMAP_STATE_SELECTED)
		s->state = IMAP_STATE_AUTHENTICATED;
}

size_t
imap_view_seq(const struct imap_view *v, int64_t uid)
{
	size_t lo = 0, hi = v->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((int64_t)v->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->count && (int64_t)v->uids[lo] == uid ? lo + 1 : 0;
}

static int
compare_size_desc(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Removes the messages at these sequence numbers, announcing each. */
static int
remove_seqs(struct imap_session *s, size_t *seqs, size_t count)
{
	struct imap_view *v = &s->view;
	/* Highest first: each number is still right when it is sent. */
	qsort(seqs, count, sizeof(*seqs), compare_size_desc);
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && seqs[i] == seqs[i - 1])
			continue;
		if (imap_untagged(s, "%zu EXPUNGE", seqs[i]) < 0)
			return -1;
		v->uids[seqs[i] - 1] = 0;
	}
	size_t kept = 0;
	for (size_t i = 0; i < v->count; i++) {
		if (v->uids[i] != 0)
			v->uids[kept++] = v->uids[i];
	}
	v->count = kept;
	return 0;
}

int
imap_view_expunged(struct imap_session *s, const int64_t *uids, size_t count)
{
	if (count == 0)
		return 0;
	size_t *seqs = xmalloc(count * sizeof(*seqs));
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		size_t seq = imap_view_seq(&s->view, uids[i]);
		if (seq != 0)
			seqs[n++] = seq;
	}
	int rc = remove_seqs(s, seqs, n);
	free(seqs);
	return rc;
}

/*
 * Rechecks the selected mailbox: a removed grant or a deleted folder ends
 * the session with BYE (-1); a store hiccup is left for the next command.
 */
static int
recheck(struct imap_session *s)
{
	struct imap_view *v = &s->view;
	struct error err;
	if (mail_folder_recheck(&s->user, &v->folder, &err) == 0)
		return 0;
	if (err.code != ERROR_DENIED && err.code != ERROR_NOT_FOUND) {
		log_warn("imap.sync", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err.msg);
		return 0;
	}
	log_info("imap.revoked", "peer=%s user=%s folder=\"%s\"",
		net_peer(s->conn), s->user.address, v->folder.name);
	imap_untagged(s, "BYE %s is no longer available to you",
		err.code == ERROR_DENIED ? "the selected mailbox" :
					   "the selected folder");
	return -1;
}

int
imap_view_check_access(struct imap_session *s)
{
	if (s->state != IMAP_STATE_SELECTED || !s->view.folder.shared)
		return 0;
	return recheck(s);
}

int
imap_view_sync(struct imap_session *s, bool force)
{
	struct imap_view *v = &s->view;
	if (s->state != IMAP_STATE_SELECTED)
		return 0;
	uint64_t seq = mail_change_seq(v->folder.mailbox_id);
	if (!force && seq == v->change_seq && !(v->stale && s->may_expunge))
		return 0;
	if (recheck(s) < 0)
		return -1;
	struct error err;
	int64_t *fresh;
	size_t count;
	arena_reset(s->page);
	if (mail_folder_uids(&s->user, &v->folder, s->page, &fresh, &count,
		    &err) < 0) {
		log_warn("imap.sync", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err.msg);
		return 0;
	}
	/* Walk both ascending lists: gone ones, then ones past our last. */
	size_t *gone = NULL, gone_count = 0, i = 0, j = 0;
	while (i < v->count) {
		if (j < count && fresh[j] < (int64_t)v->uids[i]) {
			j++;
		} else if (j < count && fresh[j] == (int64_t)v->uids[i]) {
			i++;
			j++;
		} else {
			if (gone == NULL)
				gone = xmalloc(v->count * sizeof(*gone));
			gone[gone_count++] = i + 1;
			i++;
		}
	}
	int rc = 0;
	v->stale = false;
	if (gone_count > 0) {
		if (s->may_expunge)
			rc = remove_seqs(s, gone, gone_count);
		else
			v->stale = true;
	}
	free(gone);
	uint32_t last = v->count > 0 ? v->uids[v->count - 1] : 0;
	size_t first_new = 0;
	while (first_new < count && fresh[first_new] <= (int64_t)last)
		first_new++;
	if (rc == 0 && first_new < count) {
		if (view_append(v, fresh + first_new, count - first_new) < 0) {
			imap_untagged(s,
				"BYE the mailbox holds too many "
				"messages");
			return -1;
		}
		rc = imap_untagged(s, "%zu EXISTS", v->count);
	}
	v->change_seq = seq;
	return rc;
}

static int
compare_range(const void *x, const void *y)
{
	const struct imap_uid_range *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo ? 1 : 0;
}

int
imap_view_ranges(const struct imap_view *v, const struct imap_seqset *set,
	bool uid, struct arena *a, struct imap_uid_range **ranges_r,
	size_t *count_r, struct error *err)
{
	struct imap_uid_range *r = arena_alloc(a,
		(set->count + 1) * sizeof(*r));
	if (r == NULL)
		return error_set(err, ERROR_LIMIT, "the set is too big");
	uint64_t star = uid ? (v->count > 0 ? v->uids[v->count - 1] : 0) :
			      v->count;
	size_t n = 0;
	for (size_t i = 0; i < set->count; i++) {
		uint64_t lo, hi;
		imap_seqset_range(set, i, star, &lo, &hi);
		if (!uid) {
			if (lo == 0)
				lo = 1;
			if (hi > v->count)
				hi = v->count;
			if (lo > hi)
				continue;
			lo = v->uids[lo - 1];
			hi = v->uids[hi - 1];
		}
		if (hi == 0)
			continue;
		r[n++] = (struct imap_uid_range){ (int64_t)lo, (int64_t)hi };
	}
	qsort(r, n, sizeof(*r), compare_range);
	size_t merged = 0;
	for (size_t i = 0; i < n; i++) {
		if (merged > 0 && r[i].lo <= r[merged - 1].hi + 1) {
			if (r[i].hi > r[merged - 1].hi)
				r[merged - 1].hi = r[i].hi;
		} else {
			r[merged++] = r[i];
		}
	}
	*ranges_r = r;
	*count_r = merged;
	return 0;
}
