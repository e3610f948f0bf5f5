/*
 * People Finder: the search keys and name order kept for each person, the
 * search itself, and orgs found by ODS code or name.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_SEARCH_H
#define STORE_STORE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/*
 * The People Finder keys of a person, as stored: "n:" and each folded
 * word of their first, last and display names, "j:" and each word of the
 * job title (core/fold.h), each once. The address key ("e:" and the
 * lower-case address) is added by the store beside these. Pure; -1 past
 * the arena's cap.
 */
int store_search_keys(const char *first_name, const char *last_name,
	const char *display_name, const char *job_title, struct arena *a,
	char ***keys_r, size_t *count_r);

/*
 * Name order, as People Finder pages are sorted: by this text, the folded
 * (core/fold.h) "last\x01first", compared byte by byte, then by person id.
 * Kept in people.sort_name and in each search key. NULL past the arena's
 * cap.
 */
char *store_search_sort(const char *last_name, const char *first_name,
	struct arena *a);

/*
 * A bulk load's People Finder keys, written together (bench B6: writing
 * each new person's keys as they were made was a quarter of a 100,000-row
 * import). Between begin and end, store_person_insert leaves a new
 * person's keys to store_search_batch_flush, which writes every pending
 * person's keys in key order (a B-tree filled in order, not at random
 * places). The outermost commit flushes first, so no committed person
 * lacks their keys; a rollback forgets the people it undid. Updates and
 * deletes still rewrite keys at once.
 */
void store_search_batch_begin(struct store *st);
int store_search_batch_flush(struct store *st, struct error *err);
/* Flushes, then leaves batch mode (even when the flush fails). */
int store_search_batch_end(struct store *st, struct error *err);

/*
 * Live (not deleted) people matching q: the first q->limit of them in name
 * order (store_search_sort) after q->after_sort and q->after_id, all when
 * fewer match, returned in that order. ERROR_INVALID when q names no
 * word, org or site type, or more than STORE_SEARCH_WORDS_MAX words.
 */
int store_person_search(struct store *st, const struct store_person_query *q,
	struct arena *a, struct store_person_match **rows_r, size_t *count_r,
	struct error *err);

/* The org whose ODS code is text, else the orgs whose name contains it. */
int store_org_find(struct store *st, const char *text, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err);

#endif
