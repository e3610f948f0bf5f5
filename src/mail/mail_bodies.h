/*
 * The blob store's operations commands (docs/blobs.md): checking that
 * every body kept outside the database is there and whole, and moving the
 * bodies an instance kept in its database out to the blob store it has
 * been given since. Layer: domain.
 */
#ifndef MAIL_MAIL_BODIES_H
#define MAIL_MAIL_BODIES_H

#include <stdint.h>

struct dir_ctx;
struct error;

/* Hashes named in a report, at most. */
#define MAIL_BODIES_NAMED 20

struct mail_bodies_report {
	const char *backend;	/* "directory", "s3"; "database" for none */
	int64_t checked;	/* bodies read (check) or moved (move) */
	int64_t bytes;
	int64_t missing, damaged;
	char missing_hashes[MAIL_BODIES_NAMED][65];
	char damaged_hashes[MAIL_BODIES_NAMED][65];
};

/*
 * Reads every body kept outside the database back from the blob store and
 * checks it against its hash. A blob store that cannot be reached stops
 * the check with ERROR_TEMPORARY; a missing or damaged blob is counted and
 * the check goes on.
 */
int mail_bodies_check(const struct dir_ctx *ctx,
	struct mail_bodies_report *r, struct error *err);

/*
 * Moves every body kept in the database out to the blob store, one
 * transaction per body, so mail keeps flowing and a stop part-way leaves
 * each body in one place or the other. Audited once, as ctx's actor.
 */
int mail_bodies_move(const struct dir_ctx *ctx,
	struct mail_bodies_report *r, struct error *err);

#endif
