/*
 * The selected mailbox as the client knows it: sequence numbers to UIDs,
 * kept in step with the store by untagged EXISTS and EXPUNGE (RFC 3501
 * §2.3.1.2, §7.3.1, §7.4.1). Layer: front end. SECURITY: every sync
 * rechecks that the person may still use the mailbox (SPEC A3): a removed
 * grant ends the session rather than leave it reading.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/xmalloc.h"
#include "imap/imap_internal.h"
#include "mail/mail_notify.h"

/* UIDs are 32-bit (RFC 3501 §2.3.1.1); the view keeps them so. */
#define VIEW_MAX_MESSAGES (64u * 1024 * 1024)
/*
 * Keywords the FLAGS list names at most: more is no real mailbox's, and
 * PERMANENTFLAGS keeps \* so clients may still use others.
 */
#define VIEW_KEYWORDS_MAX 256
/* Rows read at a time when loading or syncing a view. */
#define VIEW_PAGE_ROWS 1024

#define SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

/* The stored flag bits; IMAP_FLAG_RECENT is the view's own. */
#define STORED_FLAGS                                                           \
	(IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED | IMAP_FLAG_FLAGGED |             \
		IMAP_FLAG_DELETED | IMAP_FLAG_DRAFT)

uint64_t
imap_keywords_hash(const char *keywords)
{
	/* FNV-1a, 64-bit: a changed list shows as a changed hash. */
	uint64_t h = 0xcbf29ce484222325u;
	if (keywords == NULL || keywords[0] == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)keywords;
		*p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3u;
	}
	return h != 0 ? h : 1;
}

/* At most this many keyword lists are kept beside their hashes. */
#define VIEW_KWSETS_MAX 512

/* Keeps the list behind a hash, for FLAGS answered from the view. */
static uint64_t
note_keywords(struct imap_view *v, const char *keywords)
{
	uint64_t h = imap_keywords_hash(keywords);
	if (h == 0 || v->kwsets_off)
		return h;
	for (size_t i = 0; i < v->kwset_count; i++) {
		if (v->kwsets[i].hash != h)
			continue;
		/* Two lists under one hash: the view cannot tell them apart. */
		if (strcmp(v->kwsets[i].keywords, keywords) != 0)
			v->kwsets_off = true;
		return h;
	}
	const char *copy = v->kwset_count < VIEW_KWSETS_MAX ?
		arena_strdup(v->arena, keywords) :
		NULL;
	struct imap_view_kwset *slot = copy == NULL ? NULL :
		arena_array_push(v->arena, (void **)&v->kwsets,
			&v->kwset_count, &v->kwset_capacity, sizeof(*slot));
	if (slot == NULL) {
		v->kwsets_off = true;
		return h;
	}
	*slot = (struct imap_view_kwset){ h, copy };
	return h;
}

static const char *
keywords_of(const struct imap_view *v, uint64_t h)
{
	if (h == 0)
		return "";
	for (size_t i = 0; i < v->kwset_count; i++) {
		if (v->kwsets[i].hash == h)
			return v->kwsets[i].keywords;
	}
	return NULL;
}

static void view_own(struct imap_view *v);

/* A message's keyword hash; a view without the array has none. */
static uint64_t
kw_at(const struct imap_view *v, size_t i)
{
	return v->keywords != NULL ? v->keywords[i] : 0;
}

/* The keyword array, made (zeroed, capacity long) for a first keyword. */
static void
keywords_ensure(struct imap_view *v)
{
	if (v->keywords == NULL)
		v->keywords = xcalloc(v->capacity > 0 ? v->capacity : 1,
			sizeof(*v->keywords));
}

static int
view_append(struct imap_view *v, uint32_t uid, unsigned flags, uint64_t kw)
{
	if (v->count + 1 > VIEW_MAX_MESSAGES)
		return -1;
	view_own(v);
	if (v->count + 1 > v->capacity) {
		size_t cap = v->capacity > 0 ? v->capacity * 2 : 256;
		v->uids = xrealloc(v->uids, cap * sizeof(*v->uids));
		v->flags = xrealloc(v->flags, cap * sizeof(*v->flags));
		if (v->keywords != NULL)
			v->keywords = xrealloc(v->keywords,
				cap * sizeof(*v->keywords));
		v->capacity = cap;
	}
	v->uids[v->count] = uid;
	v->flags[v->count] = (uint8_t)flags;
	if (kw != 0 || v->keywords != NULL) {
		keywords_ensure(v);
		v->keywords[v->count] = kw;
	}
	v->count++;
	return 0;
}

static const char *
view_strdup(struct imap_view *v, const char *s)
{
	const char *copy = arena_strdup(v->arena, s);
	return copy != NULL ? copy : "";
}

/*
 * Adds the keywords of a list the FLAGS list lacks; *added_r says whether
 * there were any.
 */
static void
learn_keywords(struct imap_view *v, const char *keywords, bool *added_r)
{
	struct span rest = span_from_cstr(keywords), item;
	while (span_split(&rest, ' ', &item)) {
		if (item.len == 0 || v->keyword_count >= VIEW_KEYWORDS_MAX)
			continue;
		bool known = false;
		for (size_t i = 0; i < v->keyword_count && !known; i++)
			known = span_eq_nocase(item, v->keyword_names[i]);
		if (known)
			continue;
		char *copy = span_dup(item, v->arena);
		const char **slot = copy == NULL ? NULL :
			arena_array_push(v->arena, (void **)&v->keyword_names,
				&v->keyword_count, &v->keyword_capacity,
				sizeof(*slot));
		if (slot == NULL)
			return;
		*slot = copy;
		*added_r = true;
	}
}

int
imap_view_announce_flags(struct imap_session *s)
{
	const struct imap_view *v = &s->view;
	struct str names;
	str_init(&names, s->page, 64 * 1024);
	if (str_append_cstr(&names, SYSTEM_FLAGS) < 0)
		return -1;
	for (size_t i = 0; i < v->keyword_count; i++) {
		if (str_appendf(&names, " %s", v->keyword_names[i]) < 0)
			return -1;
	}
	if (imap_untagged(s, "FLAGS (%s)", str_cstr(&names)) < 0)
		return -1;
	if (v->read_only)
		return imap_untagged(s, "OK [PERMANENTFLAGS ()] read-only");
	return imap_untagged(s,
		"OK [PERMANENTFLAGS (%s \\*)] flags and keywords are kept",
		str_cstr(&names));
}

int
imap_view_learn_keywords(struct imap_session *s, const char *keywords)
{
	bool added = false;
	learn_keywords(&s->view, keywords, &added);
	return added ? imap_view_announce_flags(s) : 0;
}

unsigned
imap_view_flags(const struct imap_view *v, size_t seq, unsigned stored_flags)
{
	unsigned recent = seq > 0 && seq <= v->count ?
		v->flags[seq - 1] & IMAP_FLAG_RECENT :
		0;
	return (stored_flags & STORED_FLAGS) | recent;
}

void
imap_view_flags_told(struct imap_view *v, size_t seq, unsigned flags,
	const char *keywords)
{
	if (seq == 0 || seq > v->count)
		return;
	view_own(v);
	v->flags[seq - 1] = (uint8_t)((flags & STORED_FLAGS) |
		(v->flags[seq - 1] & IMAP_FLAG_RECENT));
	uint64_t h = note_keywords(v, keywords);
	if (h != 0 || v->keywords != NULL) {
		keywords_ensure(v);
		v->keywords[seq - 1] = h;
	}
}

size_t
imap_view_first_unseen(const struct imap_view *v)
{
	for (size_t i = 0; i < v->count; i++) {
		if ((v->flags[i] & IMAP_FLAG_SEEN) == 0)
			return i + 1;
	}
	return 0;
}

size_t
imap_view_recent_count(const struct imap_view *v)
{
	/* A kept view holds stored flags only: marking one copies it. */
	if (v->shared != NULL)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < v->count; i++)
		n += (v->flags[i] & IMAP_FLAG_RECENT) != 0;
	return n;
}

/* The index of the view's first UID >= uid. */
static size_t
lower_bound(const struct imap_view *v, int64_t uid)
{
	return mail_uid_lower_bound(v->uids, v->count, uid);
}

/*
 * Marks the view's messages from index `from` on \Recent when this session
 * is the one to see them first (RFC 3501 §2.3.2): a read-write session
 * claims them, so no other session will; a read-only one shows those no
 * session has claimed. first_read: the first unclaimed UID the caller
 * read a moment ago (opening the view), or -1 to read it here.
 */
static int
mark_recent(struct imap_session *s, size_t from, int64_t first_read,
	struct error *err)
{
	struct imap_view *v = &s->view;
	if (from >= v->count)
		return 0;
	int64_t first = first_read;
	int64_t upto = (int64_t)v->uids[v->count - 1] + 1;
	int rc = first < 0 ?
		mail_folder_recent_first(&s->user, &v->folder, &first, err) :
		0;
	if (rc == 0 && !v->read_only)
		rc = mail_folder_recent_claim(&s->user, &v->folder, upto, first,
			&first, err);
	if (rc < 0)
		return -1;
	/* UIDs ascend: the recent ones are the view's last. */
	size_t i = lower_bound(v, first);
	if (i < from)
		i = from;
	if (i < v->count)
		view_own(v);
	for (; i < v->count; i++)
		v->flags[i] |= IMAP_FLAG_RECENT;
	return 0;
}

/*
 * Views of large folders kept for the next SELECT of the same folder in
 * this process (B3: warm SELECT of 50,000 messages read 50,000 rows each
 * time). An entry is the UIDs, stored flags and keyword lists a view read
 * when the folder's change counter stood at `changes` (and still did
 * after the read); a SELECT that finds the counter there uses it instead
 * of reading the store. Any change to the folder moves the counter, so a
 * stale entry is never used, whichever process or node made the change.
 * Small folders read fast enough: they are not kept.
 *
 * An entry is never changed once made, so sessions share it rather than
 * copy it (a copy of 50,000 messages was most of a warm SELECT's CPU, and
 * its fresh pages were faulted in by each new session's thread): a
 * session's view points at the entry's arrays and holds a reference
 * until it closes or first changes its view (view_own copies then). An
 * entry pushed out of its slot lives until its last session lets go.
 */
#define CACHE_SLOTS 8
#define CACHE_MIN_MESSAGES 1024
#define CACHE_MAX_MESSAGES (4u * 1024 * 1024)

struct imap_shared_view {
	int64_t folder_id, uidvalidity, changes;
	uint64_t used;	/* a clock for least recently used */
	unsigned refs;	/* its slot's and each session's; under cache.lock */
	size_t count;	/* > 0 */
	uint32_t *uids; /* heap, as the imap_view's */
	uint8_t *flags;
	uint64_t *keywords;
	char **kwsets; /* the lists in order first seen; heap */
	size_t kwset_count;
};

static struct {
	pthread_mutex_t lock;
	struct imap_shared_view *slots[CACHE_SLOTS];
	size_t messages; /* over all slots */
	uint64_t clock;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Drops one reference; the last frees the entry. Under cache.lock. */
static void
shared_unref(struct imap_shared_view *sv)
{
	if (--sv->refs > 0)
		return;
	free(sv->uids);
	free(sv->flags);
	free(sv->keywords);
	for (size_t i = 0; i < sv->kwset_count; i++)
		free(sv->kwsets[i]);
	free(sv->kwsets);
	free(sv);
}

/* Empties a slot. Under cache.lock. */
static void
slot_clear(size_t k)
{
	struct imap_shared_view *sv = cache.slots[k];
	if (sv == NULL)
		return;
	cache.slots[k] = NULL;
	cache.messages -= sv->count;
	shared_unref(sv);
}

/* Lets go of the kept view the session's view points at, if any. */
static void
view_unshare(struct imap_view *v)
{
	if (v->shared == NULL)
		return;
	pthread_mutex_lock(&cache.lock);
	shared_unref(v->shared);
	pthread_mutex_unlock(&cache.lock);
	v->shared = NULL;
	v->uids = NULL;
	v->flags = NULL;
	v->keywords = NULL;
	v->count = v->capacity = 0;
}

/* Makes the view's arrays its own, to change them. */
static void
view_own(struct imap_view *v)
{
	if (v->shared == NULL)
		return;
	size_t n = v->count > 0 ? v->count : 1;
	size_t count = v->count;
	uint32_t *uids = xmalloc(n * sizeof(*uids));
	uint8_t *flags = xmalloc(n * sizeof(*flags));
	uint64_t *keywords = NULL;
	memcpy(uids, v->uids, count * sizeof(*uids));
	memcpy(flags, v->flags, count * sizeof(*flags));
	if (v->keywords != NULL) {
		keywords = xmalloc(n * sizeof(*keywords));
		memcpy(keywords, v->keywords, count * sizeof(*keywords));
	}
	view_unshare(v);
	v->uids = uids;
	v->flags = flags;
	v->keywords = keywords;
	v->count = count;
	v->capacity = n;
}

/* Points the view at a kept entry; false when there is none. */
static bool
cache_take(struct imap_view *v, int64_t changes)
{
	struct imap_shared_view *sv = NULL;
	pthread_mutex_lock(&cache.lock);
	for (size_t k = 0; k < CACHE_SLOTS && sv == NULL; k++) {
		struct imap_shared_view *c = cache.slots[k];
		if (c == NULL || c->folder_id != v->folder.id ||
			c->uidvalidity != v->folder.uidvalidity ||
			c->changes != changes)
			continue;
		sv = c;
		sv->used = ++cache.clock;
		sv->refs++;
	}
	pthread_mutex_unlock(&cache.lock);
	if (sv == NULL)
		return false;
	v->shared = sv;
	v->uids = sv->uids;
	v->flags = sv->flags;
	v->keywords = sv->keywords;
	v->count = sv->count;
	v->capacity = 0;
	/*
	 * In the order a read meets them, as learning them there. The
	 * entry's lists never change: they are read outside the lock.
	 */
	for (size_t i = 0; i < sv->kwset_count; i++) {
		bool added = false;
		learn_keywords(v, sv->kwsets[i], &added);
		(void)note_keywords(v, sv->kwsets[i]);
	}
	return true;
}

/*
 * Keeps a view just read (stored flags only: before \Recent), handing its
 * arrays to the new entry, which the view then shares.
 */
static void
cache_keep(struct imap_view *v, int64_t changes)
{
	if (v->shared != NULL || v->count < CACHE_MIN_MESSAGES ||
		v->kwsets_off || v->count > CACHE_MAX_MESSAGES)
		return;
	struct imap_shared_view *sv = xcalloc(1, sizeof(*sv));
	*sv = (struct imap_shared_view){ v->folder.id, v->folder.uidvalidity,
		changes, 0, 2, v->count, v->uids, v->flags, v->keywords, NULL,
		v->kwset_count };
	sv->kwsets = xmalloc((v->kwset_count + 1) * sizeof(*sv->kwsets));
	for (size_t i = 0; i < v->kwset_count; i++)
		sv->kwsets[i] = xstrdup(v->kwsets[i].keywords);
	v->shared = sv;
	v->capacity = 0;
	pthread_mutex_lock(&cache.lock);
	size_t slot = CACHE_SLOTS;
	for (size_t k = 0; k < CACHE_SLOTS; k++) {
		struct imap_shared_view *c = cache.slots[k];
		if (c != NULL && c->folder_id == v->folder.id) {
			slot = k; /* an older view of the same folder */
			break;
		}
		if (slot == CACHE_SLOTS || c == NULL ||
			(cache.slots[slot] != NULL &&
				c->used < cache.slots[slot]->used))
			slot = k;
	}
	slot_clear(slot);
	/* Least recently used go until the new one fits. */
	while (cache.messages + v->count > CACHE_MAX_MESSAGES) {
		size_t old = CACHE_SLOTS;
		for (size_t k = 0; k < CACHE_SLOTS; k++) {
			struct imap_shared_view *c = cache.slots[k];
			if (c != NULL && (old == CACHE_SLOTS ||
						 c->used < cache.slots[old]->used))
				old = k;
		}
		if (old == CACHE_SLOTS)
			break;
		slot_clear(old);
	}
	sv->used = ++cache.clock;
	cache.slots[slot] = sv;
	cache.messages += sv->count;
	pthread_mutex_unlock(&cache.lock);
}

/*
 * Takes a folder's view as mail_folder_view_read gave it: its UID and
 * flag arrays become the view's; its keyword lists are learnt in the order
 * a read met them and stand in by their hashes.
 */
static void
take_view(struct imap_view *v, struct mail_folder_view *mv)
{
	uint64_t *hashes = xmalloc((mv->list_count + 1) * sizeof(*hashes));
	hashes[0] = 0;
	for (size_t i = 0; i < mv->list_count; i++) {
		bool added = false;
		learn_keywords(v, mv->lists[i], &added);
		hashes[i + 1] = note_keywords(v, mv->lists[i]);
	}
	v->uids = mv->uids;
	v->flags = mv->flags;
	v->count = v->capacity = mv->count;
	mv->uids = NULL;
	mv->flags = NULL;
	/* None when no message has a keyword list (the usual folder). */
	v->keywords = NULL;
	if (mv->list_count > 0) {
		keywords_ensure(v);
		for (size_t i = 0; i < mv->count; i++)
			v->keywords[i] = hashes[mv->list_of[i]];
	}
	free(hashes);
}

int
imap_view_open(struct imap_session *s, const struct mail_folder *f,
	bool read_only, const struct imap_view_opened *opened,
	struct error *err)
{
	struct imap_view *v = &s->view;
	imap_view_close(s);
	v->folder = *f;
	v->folder.name = view_strdup(v, f->name);
	v->folder.store_name = view_strdup(v, f->store_name);
	v->folder.special_use = view_strdup(v, f->special_use);
	v->read_only = read_only;
	/*
	 * Read before the rows, so a change during the read is seen later,
	 * the change heard (change_seq) before the counter; with the first
	 * UID not yet \Recent to anyone, in the same statement. SELECT read
	 * both with the folder's row (its only statement when the view is
	 * kept).
	 */
	struct imap_view_opened now;
	if (opened == NULL) {
		now.change_seq = mail_change_seq(f->mailbox_id);
		if (mail_folder_open_state(&s->user, f, &now.state, err) < 0)
			return -1;
		opened = &now;
	}
	v->change_seq = opened->change_seq;
	v->db_changes = opened->state.changes;
	int64_t recent_first = opened->state.recent_first;
	if (!cache_take(v, v->db_changes)) {
		/*
		 * Large folders are stored packed for the next open in any
		 * process (mail_view.c): a cold SELECT reads one row and the
		 * messages changed since, not every message.
		 */
		struct mail_folder_view mv;
		if (mail_folder_view_read_at(&s->user, f, v->db_changes,
			    CACHE_MIN_MESSAGES, s->page, &mv, err) < 0)
			return -1;
		take_view(v, &mv);
		/* Its counter was read just before its messages. */
		v->db_changes = mv.changes;
		/* Kept only when nothing changed while it was read. */
		if (mv.settled)
			cache_keep(v, mv.changes);
		mail_folder_view_free(&mv);
	}
	if (mark_recent(s, 0, recent_first, err) < 0)
		return -1;
	s->state = IMAP_STATE_SELECTED;
	return 0;
}

void
imap_view_close(struct imap_session *s)
{
	struct imap_view *v = &s->view;
	if (v->shared != NULL) {
		view_unshare(v);
	} else {
		free(v->uids);
		free(v->flags);
		free(v->keywords);
	}
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
	size_t lo = lower_bound(v, uid);
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
	if (count == 0)
		return 0;
	view_own(v);
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
		if (v->uids[i] == 0)
			continue;
		v->uids[kept] = v->uids[i];
		v->flags[kept] = v->flags[i];
		if (v->keywords != NULL)
			v->keywords[kept] = v->keywords[i];
		kept++;
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

/* "* n FETCH (UID u FLAGS (...))" for a message whose flags changed. */
static int
tell_flags(struct imap_session *s, size_t index,
	const struct store_message_flag_row *row)
{
	struct imap_view *v = &s->view;
	if (imap_view_learn_keywords(s, row->keywords) < 0)
		return -1;
	imap_view_flags_told(v, index + 1, row->flags, row->keywords);
	struct str out;
	str_init(&out, s->page, 64 * 1024);
	if (str_appendf(&out, "* %zu FETCH (UID %lld FLAGS ", index + 1,
		    (long long)row->uid) < 0 ||
		imap_append_flags(&out, v->flags[index], row->keywords) < 0 ||
		str_append_cstr(&out, ")\r\n") < 0)
		return -1;
	return imap_write(s, out.p, out.len);
}

/* A message the view has not shown yet. */
struct fresh_row {
	uint32_t uid;
	uint8_t flags;
	uint64_t keywords; /* imap_keywords_hash */
};

/* What one pass over the folder found besides changed flags. */
struct sync_found {
	size_t *gone; /* heap; sequence numbers */
	size_t gone_count, gone_cap;
	struct fresh_row *fresh; /* heap */
	size_t fresh_count, fresh_cap;
	bool new_keywords;
};

static void
found_gone(struct sync_found *f, size_t seq)
{
	if (f->gone_count == f->gone_cap) {
		f->gone_cap = f->gone_cap > 0 ? f->gone_cap * 2 : 64;
		f->gone = xrealloc(f->gone, f->gone_cap * sizeof(*f->gone));
	}
	f->gone[f->gone_count++] = seq;
}

static void
found_fresh(struct imap_view *v, struct sync_found *f,
	const struct store_message_flag_row *row)
{
	if (f->fresh_count == f->fresh_cap) {
		f->fresh_cap = f->fresh_cap > 0 ? f->fresh_cap * 2 : 64;
		f->fresh = xrealloc(f->fresh, f->fresh_cap * sizeof(*f->fresh));
	}
	f->fresh[f->fresh_count++] = (struct fresh_row){ (uint32_t)row->uid,
		(uint8_t)(row->flags & STORED_FLAGS),
		note_keywords(v, row->keywords) };
}

/*
 * Walks the folder's rows beside the view: flags that differ from what the
 * client was told are told now (sequence numbers are still the view's), and
 * what has gone or come is gathered. -1 when the connection failed; 1 when
 * the store could not be read (the sync is left for later).
 */
static int
sync_walk(struct imap_session *s, struct sync_found *f)
{
	struct imap_view *v = &s->view;
	uint32_t last = v->count > 0 ? v->uids[v->count - 1] : 0;
	size_t i = 0;
	int64_t after = 0;
	for (;;) {
		struct store_message_flag_row *rows;
		size_t count;
		struct error err;
		arena_reset(s->page);
		if (mail_folder_flag_rows(&s->user, &v->folder, after,
			    VIEW_PAGE_ROWS, s->page, &rows, &count, &err) < 0) {
			log_warn("imap.sync", "peer=%s reason=\"%s\"",
				net_peer(s->conn), err.msg);
			return 1;
		}
		for (size_t r = 0; r < count; r++) {
			const struct store_message_flag_row *row = &rows[r];
			while (i < v->count && (int64_t)v->uids[i] < row->uid)
				found_gone(f, ++i);
			if (i < v->count && (int64_t)v->uids[i] == row->uid) {
				bool changed = (v->flags[i] & STORED_FLAGS) !=
						(row->flags & STORED_FLAGS) ||
					kw_at(v, i) !=
						imap_keywords_hash(row->keywords);
				if (changed && tell_flags(s, i, row) < 0)
					return -1;
				i++;
			} else if (row->uid > (int64_t)last) {
				learn_keywords(v, row->keywords,
					&f->new_keywords);
				found_fresh(v, f, row);
			}
		}
		if (count < VIEW_PAGE_ROWS)
			break;
		after = rows[count - 1].uid;
	}
	while (i < v->count)
		found_gone(f, ++i);
	return 0;
}

/*
 * As sync_walk, from the notes of what changed since the view was last
 * synced (a large folder's stored view keeps them: mail_view.c) rather
 * than every message: a poll after one change reads that one. 2 when the
 * notes do not cover every change since (sync_walk then).
 */
static int
sync_notes(struct imap_session *s, struct sync_found *f)
{
	struct imap_view *v = &s->view;
	uint32_t last = v->count > 0 ? v->uids[v->count - 1] : 0;
	struct store_view_change *changes;
	size_t count;
	bool covered;
	struct error err;
	arena_reset(s->msg);
	if (mail_folder_changes_since(&s->user, &v->folder, v->db_changes,
		    s->msg, &changes, &count, &covered, &err) < 0 ||
		!covered) {
		arena_reset(s->msg);
		return 2;
	}
	int rc = 0;
	for (size_t k = 0; k < count && rc == 0; k++) {
		const struct store_view_change *c = &changes[k];
		const struct store_message_flag_row row = { c->uid, c->flags,
			c->keywords };
		size_t seq = imap_view_seq(v, c->uid);
		if (seq != 0 && !c->present) {
			found_gone(f, seq);
		} else if (seq != 0) {
			size_t i = seq - 1;
			bool changed = (v->flags[i] & STORED_FLAGS) !=
					(c->flags & STORED_FLAGS) ||
				kw_at(v, i) != imap_keywords_hash(c->keywords);
			if (changed && tell_flags(s, i, &row) < 0)
				rc = -1;
		} else if (c->present && c->uid > (int64_t)last) {
			learn_keywords(v, c->keywords, &f->new_keywords);
			found_fresh(v, f, &row);
		}
	}
	arena_reset(s->msg);
	return rc;
}

int
imap_view_sync(struct imap_session *s, bool force)
{
	struct imap_view *v = &s->view;
	if (s->state != IMAP_STATE_SELECTED)
		return 0;
	uint64_t seq = mail_change_seq(v->folder.mailbox_id);
	bool pending = v->stale && s->may_expunge;
	if (!force && seq == v->change_seq && !pending)
		return 0;
	if (recheck(s) < 0)
		return -1;
	/*
	 * A poll (NOOP, CHECK) looks at the store, as another process or
	 * node may have changed the folder without this one hearing of it;
	 * the folder's change counter says in one row read whether anything
	 * did, so the walk over every message is made only when it has.
	 * Read before the walk, as at open.
	 */
	struct error cerr;
	int64_t changes;
	if (mail_folder_changes(&s->user, &v->folder, &changes, &cerr) < 0)
		changes = -1;
	if (changes >= 0 && changes == v->db_changes && !pending) {
		v->change_seq = seq;
		return 0;
	}
	struct sync_found f = { 0 };
	/*
	 * Expunges held back (stale) were noted before db_changes: only
	 * the walk finds them again.
	 */
	int rc = changes >= 0 && !v->stale ? sync_notes(s, &f) : 2;
	if (rc == 2)
		rc = sync_walk(s, &f);
	if (rc != 0) {
		free(f.gone);
		free(f.fresh);
		return rc < 0 ? -1 : 0;
	}
	v->stale = false;
	if (f.gone_count > 0) {
		if (s->may_expunge)
			rc = remove_seqs(s, f.gone, f.gone_count);
		else
			v->stale = true;
	}
	if (rc == 0 && f.new_keywords)
		rc = imap_view_announce_flags(s);
	size_t first_new = v->count;
	for (size_t i = 0; rc == 0 && i < f.fresh_count; i++) {
		if (view_append(v, f.fresh[i].uid, f.fresh[i].flags,
			    f.fresh[i].keywords) < 0) {
			imap_untagged(s,
				"BYE the mailbox holds too many "
				"messages");
			rc = -1;
		}
	}
	free(f.gone);
	free(f.fresh);
	if (rc == 0 && f.fresh_count > 0) {
		struct error err;
		if (mark_recent(s, first_new, -1, &err) < 0)
			log_warn("imap.sync", "peer=%s reason=\"%s\"",
				net_peer(s->conn), err.msg);
		if (imap_untagged(s, "%zu EXISTS", v->count) < 0 ||
			imap_untagged(s, "%zu RECENT",
				imap_view_recent_count(v)) < 0)
			rc = -1;
	}
	if (rc == 0) {
		v->change_seq = seq;
		v->db_changes = changes;
	}
	return rc;
}

void
imap_view_span(const struct imap_view *v, const struct imap_uid_range *r,
	size_t *first_r, size_t *end_r)
{
	*first_r = lower_bound(v, r->lo);
	*end_r = lower_bound(v, r->hi + 1);
}

size_t
imap_view_count_in(const struct imap_view *v,
	const struct imap_uid_range *ranges, size_t count)
{
	size_t n = 0;
	for (size_t r = 0; r < count; r++) {
		size_t first, end;
		imap_view_span(v, &ranges[r], &first, &end);
		n += end - first;
	}
	return n;
}

bool
imap_view_expunge_issued(const struct imap_session *s,
	const struct imap_uid_range *ranges, size_t count, size_t answered)
{
	return !s->uid_command &&
		answered < imap_view_count_in(&s->view, ranges, count);
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

bool
imap_view_current(struct imap_session *s)
{
	struct imap_view *v = &s->view;
	struct error err;
	int64_t changes;
	return !v->stale && v->db_changes >= 0 &&
		mail_folder_changes(&s->user, &v->folder, &changes, &err) ==
			0 &&
		changes == v->db_changes;
}

bool
imap_view_flags_current(struct imap_session *s,
	const struct imap_uid_range *ranges, size_t count)
{
	struct imap_view *v = &s->view;
	if (v->kwsets_off || !imap_view_current(s))
		return false;
	for (size_t r = 0; r < count; r++) {
		size_t i, end;
		for (imap_view_span(v, &ranges[r], &i, &end); i < end; i++) {
			if (keywords_of(v, kw_at(v, i)) == NULL)
				return false; /* not noted: read the store */
		}
	}
	return true;
}

const char *
imap_view_keywords_at(const struct imap_view *v, size_t i)
{
	const char *kw = i < v->count ? keywords_of(v, kw_at(v, i)) : NULL;
	return kw != NULL ? kw : "";
}

int
imap_view_fetch_flags(struct imap_session *s, unsigned items,
	const struct imap_uid_range *ranges, size_t count, size_t *sent_r)
{
	struct imap_view *v = &s->view;
	*sent_r = 0;
	if (!imap_view_flags_current(s, ranges, count))
		return 1;
	bool uid = (items & IMAP_FETCH_UID) != 0;
	bool flags = (items & IMAP_FETCH_FLAGS) != 0;
	struct str out;
	arena_reset(s->page);
	str_init(&out, s->page, 1024 * 1024);
	for (size_t r = 0; r < count; r++) {
		size_t i, end;
		for (imap_view_span(v, &ranges[r], &i, &end); i < end; i++) {
			const char *kw = keywords_of(v, kw_at(v, i));
			if (str_appendf(&out, "* %zu FETCH (", i + 1) < 0 ||
				(uid && str_appendf(&out, "UID %lu",
						(unsigned long)v->uids[i]) <
						0) ||
				(flags &&
					(str_append_cstr(&out,
						 uid ? " FLAGS " : "FLAGS ") <
							0 ||
						imap_append_flags(&out,
							v->flags[i], kw) <
							0)) ||
				str_append_cstr(&out, ")\r\n") < 0)
				return -1;
			(*sent_r)++;
			if (out.len >= 64 * 1024) {
				if (imap_write(s, out.p, out.len) < 0)
					return -1;
				out.len = 0;
			}
		}
	}
	if (out.len > 0 && imap_write(s, out.p, out.len) < 0)
		return -1;
	return 0;
}
