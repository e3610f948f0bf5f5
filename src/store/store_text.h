/*
 * The text index of message bodies (PERFORMANCE.md B3): for each body, the
 * folded header and body text SEARCH BODY and TEXT look in
 * (mail_search_texts), so a search asks the index instead of decoding
 * every message. Layer: store; only the domain includes this.
 *
 * A body is stored with no index row and a row in body_text_pending (a
 * trigger, whatever path stored it: intake is not slowed); the indexing
 * step (jobs_text.c) reads the pending bodies, makes their texts outside
 * any transaction and puts them here. A search scans, as without an index,
 * the messages whose body is still pending, so its answers are complete
 * at every moment. A body's row goes with the body (a trigger too).
 */
#ifndef STORE_STORE_TEXT_H
#define STORE_STORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;
struct store;

/* One body waiting for its index row. */
struct store_text_pending {
	int64_t body_id;
	const char *hash;	/* which bytes: an id may be given again */
	int64_t size;		/* bytes */
	int64_t header_size;	/* the summary's, for mail_search_texts */
};

/*
 * Up to `limit` pending bodies after after_id, in id order, in arena a.
 */
int store_text_pending_page(struct store *st, int64_t after_id,
	int64_t limit, struct arena *a, struct store_text_pending **rows_r,
	size_t *count_r, struct error *err);

/* How many bodies wait for their index row. */
int store_text_pending_count(struct store *st, int64_t *count_r,
	struct error *err);

/*
 * Puts the folded texts of the body body_id (the bytes of hash) in the
 * index and takes it off the pending list, in the caller's transaction.
 * Nothing when the body is no longer pending or no longer those bytes
 * (forgotten since it was read, its id given to another): *put_r false.
 * Texts both empty take no index row: nothing can be found in them.
 */
int store_text_put(struct store *st, int64_t body_id, const char *hash,
	const char *header, const char *body, bool *put_r, struct error *err);

/*
 * Whether the index can answer for folded_word: three characters or more
 * (the index is of every run of three characters; a shorter word is
 * looked for by scanning, as without the index).
 */
bool store_text_indexable(const char *folded_word);

/*
 * What a store_text_find cost: the index's rows read (bodies of the whole
 * store holding the word, no more than eight per message of the range and
 * one) and the range's messages checked one by one when there were more.
 * Both are bounded by the number of the folder's messages in the range,
 * whatever the store's size; tests read them.
 */
struct store_text_cost {
	int64_t index_rows;
	int64_t folder_rows;
	bool folder_first;	/* the folder's messages were checked */
};

/*
 * The UIDs of folder_id in first_uid..last_uid whose body is indexed and
 * whose folded text holds folded_word (indexable) as a substring: the
 * body's text alone (body_only: SEARCH BODY) or its header's or its
 * body's (TEXT). Ascending, in arena a; ERROR_LIMIT past its cap. The
 * index is the whole store's: a word held by more bodies than a few per
 * message of the range is looked for in the range's messages one by one
 * rather than in the index, so a common word costs what the folder costs.
 * cost_r (may be NULL): what was read.
 */
int store_text_find(struct store *st, int64_t folder_id, int64_t first_uid,
	int64_t last_uid, const char *folded_word, bool body_only,
	struct arena *a, int64_t **uids_r, size_t *count_r,
	struct store_text_cost *cost_r, struct error *err);

/*
 * The UIDs of folder_id in first_uid..last_uid whose body is still
 * pending, ascending, in arena a. Read before store_text_find: a body
 * indexed between the two reads is then in this list (and scanned), never
 * in neither.
 */
int store_text_unindexed(struct store *st, int64_t folder_id,
	int64_t first_uid, int64_t last_uid, struct arena *a,
	int64_t **uids_r, size_t *count_r, struct error *err);

#endif
