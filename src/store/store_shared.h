/*
 * What the inactive shared mailboxes' rule reads and writes (SPEC L5):
 * when each live shared mailbox was last used, the notice out for a quiet
 * one, and its confirm links (only their hashes). Layer: store; only the
 * domain includes this.
 */
#ifndef STORE_STORE_SHARED_H
#define STORE_STORE_SHARED_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;
struct store;

/* One live shared mailbox as the rule reads it; notice fields 0: none. */
struct store_shared_row {
	int64_t id, org_id;
	const char *address, *display_name;
	int64_t created_at, last_used_at;
	int64_t noticed_at, delete_at;
	int warned_lead;
};

/* Live shared mailboxes by id after after_id, at most limit. */
int store_shared_rows(struct store *st, int64_t after_id, size_t limit,
	struct arena *a, struct store_shared_row **rows_r, size_t *count_r,
	struct error *err);

/* One shared mailbox's row (live or not): ERROR_NOT_FOUND when none. */
int store_shared_row_get(struct store *st, int64_t mailbox_id,
	struct arena *a, struct store_shared_row *row_r, struct error *err);

/*
 * Sets last_used_at to at when it is older than stale_before (so a day's
 * uses write once). Returns 1 when written, 0 when it was recent, -1.
 */
int store_shared_used(struct store *st, int64_t mailbox_id, int64_t at,
	int64_t stale_before, struct error *err);

/* The notice out for the mailbox, made or updated. */
int store_shared_notice_set(struct store *st, int64_t mailbox_id,
	int64_t noticed_at, int64_t delete_at, int warned_lead, int64_t now,
	struct error *err);

/*
 * Withdraws the mailbox's notice. Its links stay until they expire, so a
 * second click on one confirms again rather than puzzling its reader.
 */
int store_shared_notice_clear(struct store *st, int64_t mailbox_id,
	struct error *err);

/* Forgets the links expired at now. */
int store_shared_tokens_expire(struct store *st, int64_t now,
	struct error *err);

int store_shared_token_add(struct store *st, const char *token_hash,
	int64_t mailbox_id, int64_t expires_at, int64_t now,
	struct error *err);

/* The mailbox a link's hash names while it is valid at now; NOT_FOUND. */
int store_shared_token_find(struct store *st, const char *token_hash,
	int64_t now, int64_t *mailbox_id_r, struct error *err);

#endif
