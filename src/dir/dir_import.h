/*
 * Bulk import and directory sync (SPEC P8, P15, D3): one engine that reads
 * a table of people (a CSV file, or a sync's JSON), validates every row
 * before it changes anything, then creates, updates, marks leavers and
 * joins in one transaction, and reports each row. Rows are keyed by
 * external (sync) ID, then email, so the same file twice changes nothing
 * the second time and never makes a second person. Layer: domain.
 */
#ifndef DIR_DIR_IMPORT_H
#define DIR_DIR_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct dir_ctx;
struct error;

enum dir_import_outcome {
	DIR_IMPORT_CREATED,
	DIR_IMPORT_UPDATED,
	DIR_IMPORT_UNCHANGED,
	DIR_IMPORT_LEAVER,
	DIR_IMPORT_JOINED,
	DIR_IMPORT_ERROR,
	DIR_IMPORT_OUTCOMES
};

/* "created", "updated", "unchanged", "leaver", "joined", "error". */
const char *dir_import_outcome_name(enum dir_import_outcome outcome);

/* One record of the table: its fields in the header's order. */
struct dir_import_record {
	size_t row;		/* as a spreadsheet numbers it: header is 1 */
	char **fields;
	size_t count;
};

/* A file read into memory: its header and records. */
struct dir_import_table {
	char **columns;		/* the header, lowercased */
	size_t column_count;
	struct dir_import_record *records;
	size_t count;
};

/*
 * Reads a CSV file (RFC 4180, core/csv.h) whose first record is the
 * header, into a. ERROR_INVALID with a sentence naming the line for text
 * that is not CSV, and naming the column for a header naming a column
 * docs/csv.md does not list, or one twice.
 */
int dir_import_read_csv(struct span text, struct arena *a,
	struct dir_import_table *t, struct error *err);
/*
 * Reads a sync's JSON: {"people": [{"external_id": ..., ...}, ...]} or
 * the array alone, with the CSV's column names as keys and strings (or
 * true/false for mobile_hidden) as values. ERROR_INVALID naming the item.
 */
int dir_import_read_json(struct span text, struct arena *a,
	struct dir_import_table *t, struct error *err);

struct dir_import_options {
	const char *org_ods;	/* rows without an org go here; NULL: none */
	bool org_only;		/* every row must be in org_ods (the API) */
	bool dry_run;		/* validate and report; change nothing */
	/*
	 * A directory sync (SPEC P15): the table is the org's whole list,
	 * each row keyed by external_id; people of the org with a sync ID
	 * not in it are marked leavers when dir.sync_leavers is on, unless
	 * more than dir.sync_max_leaver_percent of the org's synced people
	 * would be (the engine reads both from ctx->config).
	 */
	bool sync;
	/* Called now and then with rows done out of total; may be NULL. */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
};

/* One row's outcome. Strings live in the caller's ctx->arena. */
struct dir_import_row {
	size_t row;		/* the file's row (header 1); 0: not in it */
	enum dir_import_outcome outcome;
	const char *address;	/* the person's address, or "" */
	const char *column;	/* for an error, the column at fault, or "" */
	const char *message;	/* for an error, a sentence; else "" */
};

struct dir_import_report {
	int64_t id;		/* the stored run (GET /api/v1/imports/{id}) */
	bool sync;
	bool dry_run;
	bool applied;		/* false: refused, and nothing changed */
	const char *org_ods;	/* "" when the rows named their orgs */
	const char *summary;	/* why it was refused, or "" */
	size_t rows;		/* records read, blank ones not counted */
	size_t counts[DIR_IMPORT_OUTCOMES];
	struct dir_import_row *items;	/* every row; only errors if refused */
	size_t count;
};

/*
 * Validates every record of t, then (unless o->dry_run, and only when no
 * record has a problem) applies them all in one transaction, and stores
 * the run with its report. 0 with *r filled whether applied or refused
 * (r->applied says; r->summary says why); -1 only when the run could not
 * be made or stored (the store failed). Audited: each change as the
 * directory audits it, and the run as one "import" or "sync" row.
 */
int dir_import_run(const struct dir_ctx *ctx, const struct dir_import_table *t,
	const struct dir_import_options *o, struct dir_import_report *r,
	struct error *err);

/* The report as the API shows it (docs/csv.md); a new reference. */
json_t *dir_import_report_json(const struct dir_import_report *r);

/*
 * A stored run as the API shows it, with its rows when with_rows; r's
 * org ids are named by ODS code. NULL with err for an unknown id.
 */
json_t *dir_import_get_json(const struct dir_ctx *ctx, int64_t id,
	bool with_rows, int64_t *org_id_r, struct error *err);

/*
 * A stored run's rows as CSV (row, outcome, address, column, message),
 * appended to out. ERROR_NOT_FOUND for an unknown id.
 */
int dir_import_get_csv(const struct dir_ctx *ctx, int64_t id,
	struct str *out, int64_t *org_id_r, struct error *err);

/*
 * Runs of a kind ("import" or "sync"), newest first, of the orgs given
 * (org_ids NULL: all), as a JSON array without rows.
 */
int dir_import_list_json(const struct dir_ctx *ctx, const char *kind,
	const int64_t *org_ids, size_t org_count, size_t limit,
	json_t **list_r, struct error *err);

/* The CSV template docs/csv.md describes: the header and one example. */
const char *dir_import_template(void);

/*
 * ---- Idempotency-Key (SPEC D3: no duplicates from a retry) ----
 * Keys are per owner: who sent the request (a person's address, or an
 * API token by its id), so one caller never meets another's key.
 */

/* How long a key's first reply is kept and given again: 24 hours. */
#define DIR_IDEMPOTENCY_WINDOW (24 * 60 * 60)

/* The first reply to a key, as dir_idempotency_claim finds it. */
struct dir_idempotent_reply {
	int64_t status;		/* 0: the first request is still running */
	const char *reply;	/* its JSON body, in ctx->arena */
};

/*
 * Before a creating request runs: claims (owner, key) for it (0), or
 * finds the reply the key's first request got within the window (1, in
 * *found_r). ERROR_INVALID naming "Idempotency-Key" when the key is not
 * 1 to 255 visible ASCII characters or was first sent with another
 * request or body (body_hash differs); ERROR_EXISTS when the first is
 * still being served.
 */
int dir_idempotency_claim(const struct dir_ctx *ctx, const char *owner,
	const char *key, const char *request, const char *body_hash,
	struct dir_idempotent_reply *found_r, struct error *err);
/*
 * After it ran: keeps a 2xx reply for the window (reply is the JSON
 * text, secrets shown once already removed by the caller), or lets the
 * key go for any other status so that a retry runs again.
 */
int dir_idempotency_finish(const struct dir_ctx *ctx, const char *owner,
	const char *key, int64_t status, const char *reply, struct error *err);

#endif
