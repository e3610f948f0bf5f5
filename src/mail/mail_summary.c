/*
 * A large folder's header summaries, packed (PERFORMANCE.md B3,
 * docs/design.md "A folder's summaries, packed"): SEARCH SUBJECT, FROM,
 * TO, CC and BCC over a session's view take each message's decoded field,
 * size and internal date from a few rows per folder (store_folder_pack.c),
 * one part (column) a row, instead of one row of messages and of
 * body_summaries per message scattered over the file: a cold search of
 * 50,000 messages read ~2,300 pages one in ~40 over 300 MB. What a pack
 * holds of a message never changes while the message is in the folder
 * (a body's summary is written once; a UID is never given twice under
 * one UIDVALIDITY), so a pack is looked up by UID and needs no notes: the
 * messages of the view it lacks are read by row, and the pack is added
 * to or written again when they are many, or when it holds many gone.
 * Layer: domain. RFC 3501 §6.4.4. SECURITY: the stored bytes are checked
 * whole before use; a run that does not decode is passed over (its
 * messages read by row) and the pack written again.
 */
#include "mail/mail_folder.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail_internal.h"
#include "store/store_folder.h"
#include "store/store_writer.h"

#define PACK_MAGIC "CMP1"
/* UIDs are 32-bit; a view holds at most this many (mail_view.c). */
#define PACK_MAX (64u * 1024 * 1024)
#define ALL_PARTS ((1u << MAIL_SUMMARY_PARTS) - 1)
/* Rows read at a time for the messages no pack holds. */
#define ROW_PAGE 1024
/*
 * Read by row past this many (above the packs' last UID) and a run is
 * added; gone past this many plus a quarter, or runs past RUNS_MAX, and
 * the pack is written again whole. Fewer cost a few point reads.
 */
#define APPEND_MIN 64
#define RUNS_MAX 16

/* ---- the format ---- */

static uint64_t
zigzag(int64_t x)
{
	return ((uint64_t)x << 1) ^ (uint64_t)(x >> 63);
}

static int64_t
unzigzag(uint64_t z)
{
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

/* A number of up to 64 bits (mail_varint_get). */
static bool
get_u64(const unsigned char *d, size_t size, size_t *pos, uint64_t *x_r)
{
	return mail_varint_get(d, size, pos, UINT64_MAX, x_r);
}

unsigned char *
mail_summary_encode(const struct mail_packed *items, const uint32_t *uids,
	size_t count, int part, size_t *size_r)
{
	size_t n = 0, bound = 4 + 10;
	for (size_t i = 0; i < count; i++) {
		if (!items[i].present)
			continue;
		n++;
		bound += part == MAIL_SUMMARY_UIDS ?
			30 :
			strlen(items[i].text[part] != NULL ?
					items[i].text[part] :
					"") + 1;
	}
	unsigned char *out = xmalloc(bound);
	size_t pos = 4;
	memcpy(out, PACK_MAGIC, 4);
	pos += mail_varint_put(out + pos, n);
	uint32_t prev = 0;
	for (size_t i = 0; i < count; i++) {
		const struct mail_packed *m = &items[i];
		if (!m->present)
			continue;
		if (part == MAIL_SUMMARY_UIDS) {
			pos += mail_varint_put(out + pos, uids[i] - prev);
			prev = uids[i];
			pos += mail_varint_put(out + pos,
				(uint64_t)(m->size > 0 ? m->size : 0));
			pos += mail_varint_put(out + pos,
				zigzag(m->internal_date));
			continue;
		}
		const char *t = m->text[part] != NULL ? m->text[part] : "";
		size_t len = strlen(t) + 1;
		memcpy(out + pos, t, len);
		pos += len;
	}
	*size_r = pos;
	return out;
}

/* The magic and count of a part; false when it has neither. */
static bool
part_head(const struct mail_summary_bytes *b, size_t *pos, uint64_t *n_r)
{
	*pos = 4;
	return b->data != NULL && b->size >= 4 &&
		memcmp(b->data, PACK_MAGIC, 4) == 0 &&
		get_u64(b->data, b->size, pos, n_r) && *n_r <= PACK_MAX;
}

/*
 * Part 0 whole: n entries of ascending UIDs, nothing after. With out,
 * the UIDs too, into an array of n in arena a (NULL: the arena is full).
 */
static bool
uids_check(const struct mail_summary_bytes *b, size_t *pos_r, uint64_t *n_r,
	struct arena *a, uint32_t **out)
{
	size_t pos;
	uint64_t n, uid = 0;
	if (!part_head(b, &pos, &n) || n > (b->size - pos) / 3)
		return false;
	*pos_r = pos;
	*n_r = n;
	if (out != NULL &&
		(*out = arena_alloc(a, (n > 0 ? n : 1) * sizeof(**out))) == NULL)
		return false;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t step, size, date;
		if (!get_u64(b->data, b->size, &pos, &step) || step == 0 ||
			step > UINT32_MAX - uid ||
			!get_u64(b->data, b->size, &pos, &size) ||
			size > INT64_MAX ||
			!get_u64(b->data, b->size, &pos, &date))
			return false;
		uid += step;
		if (out != NULL)
			(*out)[k] = (uint32_t)uid;
	}
	return pos == b->size;
}

/* A text part whole: exactly n strings, each ended by its NUL. */
static bool
texts_check(const struct mail_summary_bytes *b, uint64_t n, size_t *pos_r)
{
	size_t pos;
	uint64_t count;
	if (!part_head(b, &pos, &count) || count != n)
		return false;
	*pos_r = pos;
	if (n == 0)
		return pos == b->size;
	if (b->data[b->size - 1] != '\0')
		return false;
	uint64_t nuls = 0;
	const unsigned char *p = b->data + pos, *end = b->data + b->size;
	while (p < end && (p = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		nuls++;
		p++;
	}
	return nuls == n;
}

int
mail_summary_decode(const struct mail_summary_bytes *parts,
	const uint32_t *uids, struct mail_packed *items, size_t count,
	size_t *matched_r, size_t *entries_r)
{
	size_t pos0, at[MAIL_SUMMARY_PARTS] = { 0 };
	uint64_t n;
	*matched_r = *entries_r = 0;
	if (!uids_check(&parts[0], &pos0, &n, NULL, NULL))
		return -1;
	for (int p = 1; p < MAIL_SUMMARY_PARTS; p++) {
		if (parts[p].data != NULL && !texts_check(&parts[p], n, &at[p]))
			return -1;
	}
	const unsigned char *d = parts[0].data;
	size_t k = 0, matched = 0;
	uint64_t uid = 0;
	for (uint64_t e = 0; e < n; e++) {
		uint64_t step, size, date;
		/* Checked above: these cannot fail. */
		(void)get_u64(d, parts[0].size, &pos0, &step);
		(void)get_u64(d, parts[0].size, &pos0, &size);
		(void)get_u64(d, parts[0].size, &pos0, &date);
		uid += step;
		if (e == 0)
			k = mail_uid_lower_bound(uids, count, (int64_t)uid);
		while (k < count && uids[k] < uid)
			k++;
		bool hit = k < count && uids[k] == uid;
		if (hit) {
			items[k].present = true;
			items[k].size = (int64_t)size;
			items[k].internal_date = unzigzag(date);
			matched++;
		}
		for (int p = 1; p < MAIL_SUMMARY_PARTS; p++) {
			if (parts[p].data == NULL)
				continue;
			const char *t = (const char *)parts[p].data + at[p];
			/* An ENVELOPE the run lacks leaves the item's. */
			if (hit && (p != MAIL_SUMMARY_ENVELOPE || t[0] != '\0'))
				items[k].text[p] = t;
			at[p] += strlen(t) + 1;
		}
	}
	*matched_r = matched;
	*entries_r = (size_t)n;
	return 0;
}

/* ---- reading ---- */

/* A good run, as read: its UIDs and its ENVELOPEs (data NULL: none). */
struct pack_run {
	int64_t first_uid, last_uid;
	struct mail_summary_bytes uids, envelopes;
};

/* What the packs gave. */
struct pack_state {
	size_t runs, bad;
	size_t matched, entries;
	int64_t last_uid; /* the highest a good run covers */
	struct pack_run *run; /* the good runs, runs long */
};

/* How a message was read by row (read_rows). */
enum by_row {
	NOT_READ = 0,
	READ_NEW,      /* no pack held it */
	READ_ENVELOPE, /* a pack held it, but not its ENVELOPE */
};

/*
 * Fills the items the folder's packs hold, with the parts `mask` asks
 * for. A run lacking a part asked for (but the ENVELOPE, which a run
 * may lack), overlapping the one before, or not decoding counts as bad
 * and is passed over.
 */
static int
load_packs(const struct mail_user *u, const struct mail_folder *f,
	const uint32_t *uids, struct mail_packed *items, size_t count,
	unsigned mask, struct arena *a, struct pack_state *ps,
	struct error *err)
{
	struct store_summary_pack *rows;
	size_t n;
	memset(ps, 0, sizeof(*ps));
	if (store_folder_packs_get(u->ctx->store, f->id, f->uidvalidity, mask,
		    a, &rows, &n, err) < 0)
		return -1;
	size_t cap = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		struct mail_summary_bytes parts[MAIL_SUMMARY_PARTS] = { 0 };
		bool ok = true;
		for (; j < n && rows[j].first_uid == rows[i].first_uid; j++) {
			int64_t p = rows[j].part;
			if (p < 0 || p >= MAIL_SUMMARY_PARTS ||
				parts[p].data != NULL || rows[j].data == NULL ||
				rows[j].last_uid != rows[i].last_uid) {
				ok = false;
				continue;
			}
			parts[p] = (struct mail_summary_bytes){ rows[j].data,
				rows[j].size };
		}
		for (int p = 0; p < MAIL_SUMMARY_PARTS && ok; p++)
			ok = ((mask >> p) & 1) == 0 || parts[p].data != NULL ||
				p == MAIL_SUMMARY_ENVELOPE;
		if (ps->runs > 0 && rows[i].first_uid <= ps->last_uid)
			ok = false;
		size_t matched, entries;
		struct pack_run *run = arena_array_push(a, (void **)&ps->run,
			&ps->runs, &cap, sizeof(*run));
		if (run == NULL)
			return error_set(err, ERROR_LIMIT,
				"the folder's pack has too many runs");
		*run = (struct pack_run){ rows[i].first_uid, rows[i].last_uid,
			parts[0], parts[MAIL_SUMMARY_ENVELOPE] };
		if (ok &&
			mail_summary_decode(parts, uids, items, count, &matched,
				&entries) == 0) {
			ps->matched += matched;
			ps->entries += entries;
			ps->last_uid = rows[i].last_uid;
		} else {
			ps->runs--;
			ps->bad++;
		}
		i = j;
	}
	return 0;
}

/*
 * A message read by row, as a pack would give it: its ENVELOPE too when
 * the row was read with it (MAIL_SUMMARY_NO_ENVELOPE for a body stored
 * without one), "" (unknown) when not.
 */
static void
from_row(struct mail_packed *m, const struct store_message *r,
	bool envelope_read)
{
	m->present = true;
	m->size = r->size;
	m->internal_date = r->internal_date;
	m->text[MAIL_SUMMARY_SUBJECT] = r->meta.subject;
	m->text[MAIL_SUMMARY_FROM] = r->meta.from;
	m->text[MAIL_SUMMARY_TO] = r->meta.to;
	m->text[MAIL_SUMMARY_CC] = r->meta.cc;
	m->text[MAIL_SUMMARY_BCC] = r->meta.bcc;
	m->text[MAIL_SUMMARY_ENVELOPE] = !envelope_read ? "" :
		r->meta.envelope[0] != '\0'	   ? r->meta.envelope :
						     MAIL_SUMMARY_NO_ENVELOPE;
}

/*
 * Reads by row the items no pack held, a run of the view's neighbours at
 * a time (their UIDs bound the rows read), with `columns`; marks them in
 * by_row (READ_NEW, counted in *read_r with the lowest UID, unless
 * already marked READ_ENVELOPE). A message gone from the folder stays
 * absent.
 */
static int
read_rows(const struct mail_user *u, const struct mail_folder *f,
	const uint32_t *uids, struct mail_packed *items, uint8_t *by_row,
	size_t count, enum store_message_columns columns, struct arena *a,
	size_t *read_r, int64_t *lowest_r, struct error *err)
{
	*read_r = 0;
	*lowest_r = INT64_MAX;
	for (size_t i = 0; i < count;) {
		if (items[i].present) {
			i++;
			continue;
		}
		size_t j = i;
		while (j + 1 < count && !items[j + 1].present)
			j++;
		int64_t next = uids[i];
		size_t k = i;
		while (next <= (int64_t)uids[j]) {
			struct store_message *rows;
			size_t n;
			if (store_folder_messages(u->ctx->store, f->id, next,
				    uids[j], ROW_PAGE, columns, a, &rows, &n,
				    err) < 0)
				return -1;
			for (size_t r = 0; r < n; r++) {
				while (k <= j && uids[k] < rows[r].uid)
					k++;
				if (k > j || uids[k] != rows[r].uid)
					continue;
				from_row(&items[k], &rows[r],
					columns != STORE_MESSAGE_COLUMNS_SEARCH);
				if (by_row[k] == READ_ENVELOPE)
					continue;
				by_row[k] = READ_NEW;
				(*read_r)++;
				if (rows[r].uid < *lowest_r)
					*lowest_r = rows[r].uid;
			}
			if (n < ROW_PAGE)
				break;
			next = rows[n - 1].uid + 1;
		}
		i = j + 1;
	}
	return 0;
}

/* ---- writing ---- */

struct put_job {
	int64_t folder_id, uidvalidity;
	bool replace;
	/* Not NULL: parts[0] alone, in place of this run's (its part 0). */
	const struct store_summary_pack *run;
	struct store_summary_pack parts[MAIL_SUMMARY_PARTS];
	size_t count;
	bool stored;
};

static int
run_put_job(struct store *st, void *arg, struct error *err)
{
	struct put_job *job = arg;
	if (job->run != NULL)
		return store_folder_pack_part_put(st, job->folder_id,
			job->uidvalidity, job->run, &job->parts[0],
			&job->stored, err);
	return store_folder_packs_put(st, job->folder_id, job->uidvalidity,
		job->replace, job->parts, job->count, &job->stored, err);
}

/* Runs the job through the writer; false when it was not stored. */
static bool
put(const struct mail_user *u, const struct mail_folder *f,
	struct put_job *job)
{
	struct error err;
	if (store_writer_run(u->writer, run_put_job, job, &err) < 0)
		log_warn("mail.summary_pack", "folder=%lld reason=\"%s\"",
			(long long)f->id, err.msg);
	return job->stored;
}

/*
 * Writes the present items (replace) or those read by row (beside the
 * runs there) as one run of every part: the ENVELOPE too when one of
 * them has it (read for a FETCH, or kept from the pack). False when it
 * was not stored.
 */
static bool
store_run(const struct mail_user *u, const struct mail_folder *f,
	const uint32_t *uids, const struct mail_packed *items,
	const uint8_t *by_row, size_t count, bool replace, struct arena *a)
{
	struct mail_packed *chosen = arena_alloc(a, count * sizeof(*chosen));
	if (chosen == NULL)
		return false;
	int64_t first = -1, last = -1;
	bool envelopes = false;
	for (size_t i = 0; i < count; i++) {
		if (!items[i].present || (!replace && by_row[i] != READ_NEW))
			continue;
		chosen[i] = items[i];
		envelopes |= items[i].text[MAIL_SUMMARY_ENVELOPE][0] != '\0';
		if (first < 0)
			first = uids[i];
		last = uids[i];
	}
	if (first < 0)
		return false;
	struct put_job job = { .folder_id = f->id,
		.uidvalidity = f->uidvalidity,
		.replace = replace,
		.count = envelopes ? MAIL_SUMMARY_PARTS : MAIL_SUMMARY_ENVELOPE };
	unsigned char *data[MAIL_SUMMARY_PARTS];
	for (size_t p = 0; p < job.count; p++) {
		size_t size;
		data[p] = mail_summary_encode(chosen, uids, count, (int)p,
			&size);
		job.parts[p] = (struct store_summary_pack){ (int64_t)p, first,
			last, data[p], size };
	}
	bool stored = put(u, f, &job);
	for (size_t p = 0; p < job.count; p++)
		free(data[p]);
	return stored;
}

/*
 * Gives a run the ENVELOPEs this FETCH read by row for it: its ENVELOPE
 * part written again with every one now known (the rows', and the run's
 * own for the messages this view does not hold), "" for the rest.
 */
static bool
store_envelopes(const struct mail_user *u, const struct mail_folder *f,
	const struct pack_run *run, const uint32_t *uids,
	const struct mail_packed *items, size_t count, struct arena *a)
{
	size_t pos, matched, entries_n;
	uint64_t n;
	uint32_t *entries;
	if (!uids_check(&run->uids, &pos, &n, a, &entries))
		return false;
	struct mail_packed *known = arena_alloc(a,
		(n > 0 ? n : 1) * sizeof(*known));
	if (known == NULL)
		return false;
	for (size_t e = 0; e < n; e++)
		known[e].text[MAIL_SUMMARY_ENVELOPE] = "";
	/* The run's own, where it had them (it decoded: load_packs). */
	struct mail_summary_bytes held[MAIL_SUMMARY_PARTS] = { run->uids };
	held[MAIL_SUMMARY_ENVELOPE] = run->envelopes;
	if (run->envelopes.data != NULL)
		(void)mail_summary_decode(held, entries, known, n, &matched,
			&entries_n);
	for (size_t e = 0; e < n; e++) {
		size_t k = mail_uid_lower_bound(uids, count, entries[e]);
		known[e].present = true;
		if (k < count && uids[k] == entries[e] && items[k].present &&
			items[k].text[MAIL_SUMMARY_ENVELOPE][0] != '\0')
			known[e].text[MAIL_SUMMARY_ENVELOPE] =
				items[k].text[MAIL_SUMMARY_ENVELOPE];
	}
	size_t size;
	unsigned char *data = mail_summary_encode(known, entries, n,
		MAIL_SUMMARY_ENVELOPE, &size);
	struct store_summary_pack part0 = { 0, run->first_uid, run->last_uid,
		run->uids.data, run->uids.size };
	struct put_job job = { .folder_id = f->id,
		.uidvalidity = f->uidvalidity,
		.run = &part0,
		.parts = { { MAIL_SUMMARY_ENVELOPE, run->first_uid,
			run->last_uid, data, size } },
		.count = 1 };
	bool stored = put(u, f, &job);
	free(data);
	return stored;
}

/*
 * After a FETCH of ENVELOPEs that did not write the pack again: each run
 * that lacked its ENVELOPE part, or lacked many of the ENVELOPEs read,
 * is given them. True when one was stored.
 */
static bool
keep_envelopes(const struct mail_user *u, const struct mail_folder *f,
	const uint32_t *uids, const struct mail_packed *items,
	const uint8_t *by_row, size_t count, const struct pack_state *ps,
	struct arena *a)
{
	bool stored = false;
	for (size_t r = 0; r < ps->runs; r++) {
		const struct pack_run *run = &ps->run[r];
		size_t read = 0;
		size_t end = mail_uid_lower_bound(uids, count,
			run->last_uid + 1);
		for (size_t k = mail_uid_lower_bound(uids, count,
			     run->first_uid); k < end; k++)
			read += by_row[k] == READ_ENVELOPE && items[k].present;
		if (read > 0 && (run->envelopes.data == NULL ||
				    read >= APPEND_MIN))
			stored |= store_envelopes(u, f, run, uids, items, count,
				a);
	}
	return stored;
}

static struct mail_packed *
items_new(struct arena *a, size_t count)
{
	struct mail_packed *items = arena_alloc(a, count * sizeof(*items));
	for (size_t i = 0; items != NULL && i < count; i++) {
		for (int p = 0; p < MAIL_SUMMARY_PARTS; p++)
			items[i].text[p] = "";
	}
	return items;
}

/*
 * Keeps the pack fit for the next search: a run added for many messages
 * read by row above the last run; written again whole when a run is bad,
 * the runs are many, or many it holds are gone (reading every part of
 * the packs first when this search asked for fewer). True when it was
 * written again whole (or another session's was there first).
 */
static bool
keep_pack(const struct mail_user *u, const struct mail_folder *f,
	const uint32_t *uids, struct mail_packed *items,
	const uint8_t *by_row, size_t count, unsigned mask,
	const struct pack_state *ps, size_t read, int64_t lowest,
	struct arena *a, struct mail_packed_set *set)
{
	size_t gone = ps->entries - ps->matched;
	bool dirty = ps->bad > 0 || ps->runs >= RUNS_MAX ||
		gone > ps->entries / 4 + APPEND_MIN;
	if (!dirty && read < APPEND_MIN)
		return false;
	bool replace = dirty || ps->runs == 0 || lowest <= ps->last_uid;
	if (replace && ps->matched > 0 && mask != ALL_PARTS) {
		struct mail_packed *all = items_new(a, count);
		struct pack_state again;
		struct error err;
		if (all == NULL)
			return replace;
		for (size_t i = 0; i < count; i++) {
			if (by_row[i] != NOT_READ)
				all[i] = items[i];
		}
		if (load_packs(u, f, uids, all, count, ALL_PARTS, a, &again,
			    &err) < 0) {
			log_warn("mail.summary_pack", "folder=%lld reason=\"%s\"",
				(long long)f->id, err.msg);
			return replace;
		}
		items = all;
	}
	set->stored = store_run(u, f, uids, items, by_row, count, replace, a);
	return replace;
}

int
mail_folder_summaries(const struct mail_user *u, const struct mail_folder *f,
	const uint32_t *uids, size_t count, unsigned parts, size_t store_min,
	struct arena *a, struct mail_packed_set *set_r, struct error *err)
{
	memset(set_r, 0, sizeof(*set_r));
	if (count == 0 || count < store_min || count > PACK_MAX)
		return 0;
	unsigned mask = (parts | 1u) & ALL_PARTS;
	struct mail_packed *items = items_new(a, count);
	uint8_t *by_row = arena_alloc(a, count);
	if (items == NULL || by_row == NULL)
		return error_set(err, ERROR_LIMIT,
			"the folder is too large to read at once");
	struct pack_state ps;
	struct error perr;
	if (load_packs(u, f, uids, items, count, mask, a, &ps, &perr) < 0) {
		/* The rows answer alone; the pack is written again. */
		log_warn("mail.summary_pack", "folder=%lld reason=\"%s\"",
			(long long)f->id, perr.msg);
		memset(&ps, 0, sizeof(ps));
		ps.bad = 1;
	}
	/* The messages whose ENVELOPE no pack held are read by row too. */
	bool envelopes = ((mask >> MAIL_SUMMARY_ENVELOPE) & 1) != 0;
	size_t lacking = 0;
	for (size_t i = 0; envelopes && i < count; i++) {
		if (items[i].present &&
			items[i].text[MAIL_SUMMARY_ENVELOPE][0] == '\0') {
			items[i].present = false;
			by_row[i] = READ_ENVELOPE;
			lacking++;
		}
	}
	size_t read;
	int64_t lowest;
	if (read_rows(u, f, uids, items, by_row, count,
		    envelopes ? STORE_MESSAGE_COLUMNS_ENVELOPE :
				STORE_MESSAGE_COLUMNS_SEARCH,
		    a, &read, &lowest, err) < 0)
		return -1;
	set_r->items = items;
	set_r->packed = ps.matched > lacking ? ps.matched - lacking : 0;
	set_r->read = read + lacking;
	if (!keep_pack(u, f, uids, items, by_row, count, mask, &ps, read,
		    lowest, a, set_r) &&
		lacking > 0)
		set_r->stored |= keep_envelopes(u, f, uids, items, by_row,
			count, &ps, a);
	return 1;
}
