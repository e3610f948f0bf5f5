/*
 * A folder's view as an IMAP session opens it (RFC 3501 §2.3.1: UIDs in
 * order give the sequence numbers): from the folder's stored view, packed
 * in one row, brought up to date by the messages the database noted as
 * changed since; or, for a folder without one, from every message, and
 * then stored for the next open (B3: a cold SELECT of 50,000 messages
 * read ~550 scattered pages; docs/design.md "A folder's view"). Layer:
 * domain. SECURITY: the stored bytes are checked whole before use; a
 * view that does not decode is read again from the messages.
 */
#include "mail/mail_folder.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail_internal.h"
#include "store/store_folder.h"
#include "store/store_writer.h"

/* UIDs are 32-bit (RFC 3501 §2.3.1.1); a view holds at most this many. */
#define VIEW_MAX (64u * 1024 * 1024)
/* Rows read at a time from a folder without a stored view. */
#define VIEW_PAGE_ROWS 1024
/* The flags a view keeps (enum store_flag); the top bit is the format's. */
#define VIEW_FLAG_BITS 0x1fu
#define VIEW_HAS_LIST 0x80u
#define VIEW_MAGIC "CMV1"

/* ---- the keyword lists, interned ---- */

/* Open addressing over the lists' FNV-1a hashes: index + 1, 0 empty. */
struct interner {
	uint32_t *slots;
	size_t cap; /* a power of two */
	size_t list_cap;
};

static uint64_t
list_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
		p++) {
		h ^= *p;
		h *= 0x100000001b3u;
	}
	return h;
}

static void
interner_free(struct interner *in)
{
	free(in->slots);
	memset(in, 0, sizeof(*in));
}

static void
interner_place(struct interner *in, const struct mail_folder_view *v,
	uint32_t number)
{
	size_t i = (size_t)list_hash(v->lists[number - 1]) & (in->cap - 1);
	while (in->slots[i] != 0)
		i = (i + 1) & (in->cap - 1);
	in->slots[i] = number;
}

/* Makes a table for v's lists as they stand. */
static void
interner_init(struct interner *in, const struct mail_folder_view *v)
{
	in->cap = 64;
	while (in->cap < 2 * (v->list_count + 1))
		in->cap *= 2;
	in->slots = xcalloc(in->cap, sizeof(*in->slots));
	in->list_cap = v->list_count;
	for (size_t i = 0; i < v->list_count; i++)
		interner_place(in, v, (uint32_t)(i + 1));
}

/* The number of the list (index + 1), added when new; 0 for none. */
static uint32_t
intern(struct interner *in, struct mail_folder_view *v, const char *list)
{
	if (list == NULL || list[0] == '\0')
		return 0;
	size_t i = (size_t)list_hash(list) & (in->cap - 1);
	for (; in->slots[i] != 0; i = (i + 1) & (in->cap - 1)) {
		if (strcmp(v->lists[in->slots[i] - 1], list) == 0)
			return in->slots[i];
	}
	if (v->list_count == in->list_cap) {
		in->list_cap = in->list_cap > 0 ? in->list_cap * 2 : 8;
		v->lists = xrealloc(v->lists, in->list_cap * sizeof(*v->lists));
	}
	v->lists[v->list_count++] = xstrdup(list);
	uint32_t number = (uint32_t)v->list_count;
	if (2 * (v->list_count + 1) > in->cap) {
		free(in->slots);
		in->cap *= 2;
		in->slots = xcalloc(in->cap, sizeof(*in->slots));
		for (size_t k = 0; k < v->list_count; k++)
			interner_place(in, v, (uint32_t)(k + 1));
	} else {
		in->slots[i] = number;
	}
	return number;
}

/* ---- the arrays ---- */

void
mail_folder_view_free(struct mail_folder_view *v)
{
	free(v->uids);
	free(v->flags);
	free(v->list_of);
	for (size_t i = 0; i < v->list_count; i++)
		free(v->lists[i]);
	free(v->lists);
	v->uids = NULL;
	v->flags = NULL;
	v->list_of = NULL;
	v->lists = NULL;
	v->count = v->list_count = 0;
}

static void
reserve(struct mail_folder_view *v, size_t *cap, size_t want)
{
	if (want <= *cap)
		return;
	size_t n = *cap > 0 ? *cap : 256;
	while (n < want)
		n *= 2;
	v->uids = xrealloc(v->uids, n * sizeof(*v->uids));
	v->flags = xrealloc(v->flags, n * sizeof(*v->flags));
	v->list_of = xrealloc(v->list_of, n * sizeof(*v->list_of));
	*cap = n;
}

/* ---- the stored format ---- */

size_t
mail_varint_put(unsigned char *p, uint64_t x)
{
	size_t n = 0;
	do {
		unsigned char b = (unsigned char)(x & 0x7f);
		x >>= 7;
		p[n++] = (unsigned char)(b | (x != 0 ? 0x80 : 0));
	} while (x != 0);
	return n;
}

bool
mail_varint_get(const unsigned char *d, size_t size, size_t *pos,
	uint64_t max, uint64_t *x_r)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= size)
			return false;
		unsigned char b = d[(*pos)++];
		if (shift == 63 && (b & 0x7e) != 0)
			return false;
		x |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*x_r = x;
			return x <= max;
		}
		/* No further byte can hold a number up to max: too long. */
		if (shift + 7 < 64 && (max >> (shift + 7)) == 0)
			return false;
	}
	return false;
}

/* At most 5 bytes (32 bits); false when short, longer or too large. */
static bool
get_varint(const unsigned char *data, size_t size, size_t *pos, uint32_t *x_r)
{
	uint64_t x;
	if (!mail_varint_get(data, size, pos, UINT32_MAX, &x))
		return false;
	*x_r = (uint32_t)x;
	return true;
}

/*
 * The stored format, version 2: "CMV2", the message and list counts, the
 * lists; then the UIDs as runs of consecutive ones (each its gap from the
 * run before and its length); then the flags two bits a message, each an
 * index into a table of the three most common flag bytes or 3 for one
 * given whole in the escapes that follow; then the messages that have a
 * keyword list (their index's step, the list's number). Counts, gaps and
 * steps are LEB128. A folder of 50,000 messages is 12.5 KB, where version
 * 1's two bytes a message were 100 KB: 4 pages to read at a cold SELECT,
 * not 25, and no per-message varint (bench B3).
 */
#define VIEW_MAGIC_2 "CMV2"
#define VIEW_CODES 3	/* the table's size; code 3 is an escape */

/* The flags bytes in order of how many messages have each, most first. */
static size_t
common_flags(const struct mail_folder_view *v, unsigned char *table)
{
	size_t seen[VIEW_FLAG_BITS + 1] = { 0 };
	for (size_t i = 0; i < v->count; i++)
		seen[v->flags[i] & VIEW_FLAG_BITS]++;
	size_t n = 0;
	for (; n < VIEW_CODES; n++) {
		size_t best = 0;
		for (size_t f = 1; f <= VIEW_FLAG_BITS; f++)
			if (seen[f] > seen[best])
				best = f;
		if (seen[best] == 0)
			break;
		table[n] = (unsigned char)best;
		seen[best] = 0;
	}
	return n;
}

unsigned char *
mail_view_encode(const struct mail_folder_view *v, size_t *size_r)
{
	size_t bound = 4 + 10 + 1 + VIEW_CODES + 3 * 5;
	for (size_t i = 0; i < v->list_count; i++)
		bound += 5 + strlen(v->lists[i]);
	bound += v->count * (10 + 1 + 1 + 10) + v->count / 4 + 1;
	unsigned char *out = xmalloc(bound);
	size_t n = 0;
	memcpy(out, VIEW_MAGIC_2, 4);
	n += 4;
	n += mail_varint_put(out + n, v->count);
	n += mail_varint_put(out + n, v->list_count);
	for (size_t i = 0; i < v->list_count; i++) {
		size_t len = strlen(v->lists[i]);
		n += mail_varint_put(out + n, len);
		memcpy(out + n, v->lists[i], len);
		n += len;
	}
	/* The runs: counted first, written after their count. */
	size_t runs = 0;
	for (size_t i = 0; i < v->count; i++)
		if (i == 0 || v->uids[i] != v->uids[i - 1] + 1)
			runs++;
	n += mail_varint_put(out + n, runs);
	uint32_t end = 0;
	for (size_t i = 0; i < v->count;) {
		size_t j = i + 1;
		while (j < v->count && v->uids[j] == v->uids[j - 1] + 1)
			j++;
		n += mail_varint_put(out + n, v->uids[i] - end);
		n += mail_varint_put(out + n, j - i);
		end = v->uids[j - 1];
		i = j;
	}
	unsigned char table[VIEW_CODES];
	size_t codes = common_flags(v, table);
	out[n++] = (unsigned char)codes;
	memcpy(out + n, table, codes);
	n += codes;
	unsigned char *packed = out + n;
	size_t escapes = 0;
	memset(packed, 0, (v->count + 3) / 4);
	for (size_t i = 0; i < v->count; i++) {
		unsigned char f = v->flags[i] & VIEW_FLAG_BITS;
		unsigned code = VIEW_CODES;
		for (unsigned c = 0; c < codes; c++)
			if (table[c] == f)
				code = c;
		escapes += code == VIEW_CODES;
		packed[i / 4] |= (unsigned char)(code << (2 * (i % 4)));
	}
	n += (v->count + 3) / 4;
	n += mail_varint_put(out + n, escapes);
	size_t listed = 0;
	for (size_t i = 0; i < v->count; i++) {
		unsigned char f = v->flags[i] & VIEW_FLAG_BITS;
		if (((packed[i / 4] >> (2 * (i % 4))) & 3) == VIEW_CODES)
			out[n++] = f;
		listed += v->list_of[i] != 0;
	}
	n += mail_varint_put(out + n, listed);
	size_t last = 0;
	for (size_t i = 0; i < v->count; i++) {
		if (v->list_of[i] == 0)
			continue;
		n += mail_varint_put(out + n, i - last);
		n += mail_varint_put(out + n, v->list_of[i]);
		last = i;
	}
	*size_r = n;
	return out;
}

/* Either version's counts and lists, after the magic. */
static int
decode_head(const unsigned char *data, size_t size, size_t *pos,
	uint32_t *count_r, struct mail_folder_view *v)
{
	uint32_t lists;
	if (!get_varint(data, size, pos, count_r) ||
	    !get_varint(data, size, pos, &lists) || *count_r > VIEW_MAX ||
	    lists > (size - *pos) / 2)	/* each list takes two bytes at least */
		return -1;
	if (lists > 0)
		v->lists = xcalloc(lists, sizeof(*v->lists));
	for (; v->list_count < lists; v->list_count++) {
		uint32_t len;
		if (!get_varint(data, size, pos, &len) || len == 0 ||
		    len > size - *pos ||
		    memchr(data + *pos, '\0', len) != NULL)
			return -1;
		char *list = xmalloc((size_t)len + 1);
		memcpy(list, data + *pos, len);
		list[len] = '\0';
		v->lists[v->list_count] = list;
		*pos += len;
	}
	return 0;
}

/*
 * The arrays for count messages: the UIDs and flags are written whole
 * (50,000 messages' UIDs are 49 pages). Most messages have no keyword
 * list: list_of is zeroed memory a large calloc leaves untouched (fresh
 * pages), written only where a message has one, so a cold SELECT faults
 * in no page for it.
 */
static void
decode_arrays(struct mail_folder_view *v, uint32_t count)
{
	size_t n = count > 0 ? count : 1;
	v->uids = xmalloc_written(n * sizeof(*v->uids));
	v->flags = xmalloc_written(n * sizeof(*v->flags));
	v->list_of = xcalloc(n, sizeof(*v->list_of));
}

/* Version 1: per message a UID step, a flags byte and maybe a list. */
static int
decode_v1(const unsigned char *data, size_t size, size_t pos,
	uint32_t count, struct mail_folder_view *v)
{
	/* Each message takes two bytes at least. */
	if (count > (size - pos) / 2)
		return -1;
	decode_arrays(v, count);
	uint64_t uid = 0;
	for (; v->count < count; v->count++) {
		uint32_t step, number = 0;
		if (!get_varint(data, size, &pos, &step) || step == 0 ||
			pos >= size)
			return -1;
		uid += step;
		unsigned f = data[pos++];
		if (uid > UINT32_MAX ||
			(f & ~(VIEW_FLAG_BITS | VIEW_HAS_LIST)) != 0)
			return -1;
		if ((f & VIEW_HAS_LIST) != 0 &&
			(!get_varint(data, size, &pos, &number) ||
				number == 0 || number > v->list_count))
			return -1;
		v->uids[v->count] = (uint32_t)uid;
		v->flags[v->count] = (uint8_t)(f & VIEW_FLAG_BITS);
		if (number != 0)
			v->list_of[v->count] = number;
	}
	return pos == size ? 0 : -1;
}

/* Version 2 (mail_view_encode): runs, two-bit flags, escapes, lists. */
static int
decode_v2(const unsigned char *data, size_t size, size_t pos,
	uint32_t count, struct mail_folder_view *v)
{
	/* The flags take a byte for every four messages. */
	uint32_t runs;
	if (count > 4 * (uint64_t)(size - pos) ||
	    !get_varint(data, size, &pos, &runs) || runs > count)
		return -1;
	decode_arrays(v, count);
	uint64_t end = 0;
	for (uint32_t r = 0; r < runs; r++) {
		uint32_t gap, len;
		if (!get_varint(data, size, &pos, &gap) || gap == 0 ||
		    !get_varint(data, size, &pos, &len) || len == 0 ||
		    len > count - v->count || end + gap + len - 1 > UINT32_MAX)
			return -1;
		uint32_t uid = (uint32_t)(end + gap);
		for (uint32_t k = 0; k < len; k++)
			v->uids[v->count++] = uid + k;
		end = (uint64_t)uid + len - 1;
	}
	if (v->count != count || pos >= size)
		return -1;
	unsigned codes = data[pos++];
	if (codes > VIEW_CODES || codes > size - pos)
		return -1;
	const unsigned char *table = data + pos;
	pos += codes;
	for (unsigned c = 0; c < codes; c++)
		if ((table[c] & ~VIEW_FLAG_BITS) != 0)
			return -1;
	size_t bytes = ((size_t)count + 3) / 4;
	if (bytes > size - pos)
		return -1;
	const unsigned char *packed = data + pos;
	pos += bytes;
	uint32_t escapes;
	if (!get_varint(data, size, &pos, &escapes) || escapes > size - pos)
		return -1;
	const unsigned char *escaped = data + pos;
	pos += escapes;
	uint32_t used = 0;
	for (uint32_t i = 0; i < count; i++) {
		unsigned code = (packed[i / 4] >> (2 * (i % 4))) & 3;
		unsigned char f;
		if (code < codes)
			f = table[code];
		else if (code == VIEW_CODES && used < escapes)
			f = escaped[used++];
		else
			return -1;
		if ((f & ~VIEW_FLAG_BITS) != 0)
			return -1;
		v->flags[i] = f;
	}
	/* Unused bits past the last message are zero; every escape used. */
	if (used != escapes ||
	    (count % 4 != 0 && (packed[bytes - 1] >> (2 * (count % 4))) != 0))
		return -1;
	uint32_t listed;
	if (!get_varint(data, size, &pos, &listed) || listed > count)
		return -1;
	uint64_t at = 0;
	for (uint32_t k = 0; k < listed; k++) {
		uint32_t step, number;
		if (!get_varint(data, size, &pos, &step) ||
		    (k > 0 && step == 0) || at + step >= count ||
		    !get_varint(data, size, &pos, &number) || number == 0 ||
		    number > v->list_count)
			return -1;
		at += step;
		v->list_of[at] = number;
	}
	return pos == size ? 0 : -1;
}

int
mail_view_decode(const unsigned char *data, size_t size,
	struct mail_folder_view *v_r)
{
	struct mail_folder_view v = { 0 };
	size_t pos = 4;
	uint32_t count;
	bool two = size >= 4 && memcmp(data, VIEW_MAGIC_2, 4) == 0;
	if (size < 4 || (!two && memcmp(data, VIEW_MAGIC, 4) != 0) ||
	    decode_head(data, size, &pos, &count, &v) < 0 ||
	    (two ? decode_v2(data, size, pos, count, &v) :
		    decode_v1(data, size, pos, count, &v)) < 0) {
		mail_folder_view_free(&v);
		return -1;
	}
	*v_r = v;
	return 0;
}

/* ---- reading ---- */

/* Every message of the folder, a page at a time. */
static int
read_rows(const struct mail_user *u, const struct mail_folder *f,
	struct arena *scratch, struct mail_folder_view *v, struct error *err)
{
	struct interner in;
	interner_init(&in, v);
	size_t cap = 0;
	int64_t after = 0;
	int rc = 0;
	for (;;) {
		struct store_message_flag_row *rows;
		size_t count;
		arena_reset(scratch);
		if (store_message_flag_rows(u->ctx->store, f->id, after,
			    VIEW_PAGE_ROWS, scratch, &rows, &count, err) < 0) {
			rc = -1;
			break;
		}
		if (v->count + count > VIEW_MAX) {
			rc = error_set(err, ERROR_LIMIT,
				"the mailbox holds too many messages to open");
			break;
		}
		reserve(v, &cap, v->count + count);
		for (size_t i = 0; i < count; i++) {
			v->uids[v->count] = (uint32_t)rows[i].uid;
			v->flags[v->count] =
				(uint8_t)(rows[i].flags & VIEW_FLAG_BITS);
			v->list_of[v->count] = intern(&in, v,
				rows[i].keywords);
			v->count++;
		}
		if (count < VIEW_PAGE_ROWS)
			break;
		after = rows[count - 1].uid;
	}
	arena_reset(scratch);
	interner_free(&in);
	return rc;
}

size_t
mail_uid_lower_bound(const uint32_t *uids, size_t count, int64_t uid)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((int64_t)uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The changes applied where the view stands, when none is a message new
 * to the view below its last UID (new messages come with higher UIDs, so
 * that is all but always): flags and lists changed in place, the gone
 * left out by one pass, the new appended. An active folder's few notes
 * then cost their count, not a copy of every array (B3 cold SELECT).
 * False, with v untouched, when one would have to go in the middle.
 */
static bool
apply_in_place(struct mail_folder_view *v, const struct store_view_change *c,
	size_t n)
{
	uint32_t last = v->count > 0 ? v->uids[v->count - 1] : 0;
	/*
	 * In UID order (the statement's), so an entry left out below (UID
	 * 0) is always before those still to find by binary search.
	 */
	for (size_t k = 1; k < n; k++) {
		if (c[k - 1].uid >= c[k].uid)
			return false; /* the merge copes */
	}
	for (size_t k = 0; k < n; k++) {
		if (!c[k].present || c[k].uid <= 0 || c[k].uid > (int64_t)last)
			continue;
		size_t i = mail_uid_lower_bound(v->uids, v->count, c[k].uid);
		if (i == v->count || v->uids[i] != (uint32_t)c[k].uid)
			return false;
	}
	struct interner in;
	interner_init(&in, v);
	size_t gone = 0, cap = v->count;
	for (size_t k = 0; k < n; k++) {
		if (c[k].uid <= 0 || c[k].uid > UINT32_MAX)
			continue;
		if (c[k].uid > (int64_t)last) {
			if (!c[k].present || v->count >= VIEW_MAX)
				continue;
			reserve(v, &cap, v->count + 1);
			v->uids[v->count] = (uint32_t)c[k].uid;
			v->flags[v->count] =
				(uint8_t)(c[k].flags & VIEW_FLAG_BITS);
			v->list_of[v->count] = intern(&in, v, c[k].keywords);
			v->count++;
			continue;
		}
		size_t i = mail_uid_lower_bound(v->uids, v->count, c[k].uid);
		if (i == v->count || v->uids[i] != (uint32_t)c[k].uid)
			continue; /* gone before it came: nothing to show */
		if (c[k].present) {
			v->flags[i] = (uint8_t)(c[k].flags & VIEW_FLAG_BITS);
			v->list_of[i] = intern(&in, v, c[k].keywords);
		} else {
			v->uids[i] = 0; /* no UID is 0: left out below */
			gone++;
		}
	}
	interner_free(&in);
	if (gone > 0) {
		size_t kept = 0;
		for (size_t i = 0; i < v->count; i++) {
			if (v->uids[i] == 0)
				continue;
			v->uids[kept] = v->uids[i];
			v->flags[kept] = v->flags[i];
			v->list_of[kept] = v->list_of[i];
			kept++;
		}
		v->count = kept;
	}
	return true;
}

/*
 * The stored view with the changed messages applied, merged by UID into
 * new arrays: a changed message present now takes its flags and list
 * (added when new to the view), one gone is left out.
 */
static void
apply_changes(struct mail_folder_view *v, const struct store_view_change *c,
	size_t n)
{
	struct mail_folder_view out = { 0 };
	out.lists = v->lists;
	out.list_count = v->list_count;
	v->lists = NULL;
	v->list_count = 0;
	struct interner in;
	interner_init(&in, &out);
	size_t cap = 0;
	reserve(&out, &cap, v->count + n > 0 ? v->count + n : 1);
	size_t i = 0, k = 0;
	while (i < v->count || k < n) {
		bool take_change = k < n &&
			(i == v->count || c[k].uid <= (int64_t)v->uids[i]);
		if (!take_change) {
			out.uids[out.count] = v->uids[i];
			out.flags[out.count] = v->flags[i];
			out.list_of[out.count] = v->list_of[i];
			out.count++;
			i++;
			continue;
		}
		if (i < v->count && c[k].uid == (int64_t)v->uids[i])
			i++;
		if (c[k].present && c[k].uid > 0 && c[k].uid <= UINT32_MAX &&
			out.count < VIEW_MAX) {
			out.uids[out.count] = (uint32_t)c[k].uid;
			out.flags[out.count] =
				(uint8_t)(c[k].flags & VIEW_FLAG_BITS);
			out.list_of[out.count] = intern(&in, &out,
				c[k].keywords);
			out.count++;
		}
		k++;
	}
	interner_free(&in);
	mail_folder_view_free(v);
	v->uids = out.uids;
	v->flags = out.flags;
	v->list_of = out.list_of;
	v->lists = out.lists;
	v->count = out.count;
	v->list_count = out.list_count;
}

struct put_job {
	int64_t folder_id, changes;
	const unsigned char *data;
	size_t size;
	bool stored;
};

static int
run_put_job(struct store *st, void *arg, struct error *err)
{
	struct put_job *job = arg;
	return store_folder_view_put(st, job->folder_id, job->changes,
		job->data, job->size, &job->stored, err);
}

/*
 * Changes since the stored view past this many (a quarter of the smallest
 * folder stored, and a 32nd of this one) and the view is written again,
 * so the notes read at each open stay few.
 */
static bool
changes_many(size_t changed, size_t count, size_t store_min)
{
	return changed > store_min / 4 + count / 32;
}

int
mail_folder_view_read(const struct mail_user *u, const struct mail_folder *f,
	size_t store_min, struct arena *scratch, struct mail_folder_view *v_r,
	struct error *err)
{
	/* Read before the messages, so a change during the read shows later. */
	int64_t changes;
	if (store_folder_changes(u->ctx->store, f->id, &changes, err) < 0)
		return -1;
	return mail_folder_view_read_at(u, f, changes, store_min, scratch, v_r,
		err);
}

int
mail_folder_view_read_at(const struct mail_user *u,
	const struct mail_folder *f, int64_t changes_before, size_t store_min,
	struct arena *scratch, struct mail_folder_view *v_r,
	struct error *err)
{
	struct mail_folder_view v = { .changes = changes_before };
	struct store *st = u->ctx->store;
	struct store_folder_view sv;
	arena_reset(scratch);
	if (store_folder_view_get(st, f->id, scratch, &sv, err) < 0)
		return -1;
	bool from_stored = false;
	int64_t changes = v.changes;
	/* A view stored in the first format is written again in the second. */
	bool first_format = sv.found && sv.size >= 4 &&
		memcmp(sv.data, VIEW_MAGIC, 4) == 0;
	if (sv.found) {
		/* Decoding makes a new struct: the counter read first goes back. */
		if (mail_view_decode(sv.data, sv.size, &v) == 0) {
			v.changes = changes;
			/* Merging copies every array: not for no change. */
			if (sv.changed_count > 0)
				if (!apply_in_place(&v, sv.changed,
					    sv.changed_count))
					apply_changes(&v, sv.changed,
						sv.changed_count);
			v.source = MAIL_FOLDER_VIEW_STORED;
			v.changed = sv.changed_count;
			from_stored = true;
		} else {
			log_warn("mail.view", "folder=%lld reason=\"the stored "
					      "view does not decode\"",
				(long long)f->id);
		}
	}
	if (!from_stored) {
		if (read_rows(u, f, scratch, &v, err) < 0) {
			mail_folder_view_free(&v);
			return -1;
		}
	}
	arena_reset(scratch);
	int64_t after;
	struct error cerr;
	v.settled = store_folder_changes(st, f->id, &after, &cerr) == 0 &&
		after == v.changes;
	if (store_min > 0 && v.count >= store_min && v.settled &&
		(!from_stored || first_format ||
			changes_many(v.changed, v.count, store_min))) {
		struct put_job job = { f->id, v.changes, NULL, 0, false };
		unsigned char *data = mail_view_encode(&v, &job.size);
		job.data = data;
		if (store_writer_run(u->writer, run_put_job, &job, &cerr) < 0)
			log_warn("mail.view", "folder=%lld reason=\"%s\"",
				(long long)f->id, cerr.msg);
		v.stored = job.stored;
		free(data);
	}
	*v_r = v;
	return 0;
}
