/*
 * A throwaway directory for a unit test: a real SQLite store in a fresh
 * temporary directory, a config with the given mail domains, an arena and
 * a dir_ctx acting at time 1000. Shared by the tests of dir, mail and
 * auth.
 *
 * The store's conformance on PostgreSQL (issue 14): with
 * CAREMAIL_TEST_BACKEND=postgresql (the "pg" suite of
 * tests/unit/meson.build) the store is a fresh database made for the
 * test in the cluster at CAREMAIL_TEST_PG_URL (scripts/pgcluster.sh),
 * dropped again at close; without a URL the test is skipped (exit 77).
 * Each is a copy of the cluster's database "unit_template", which the
 * first test to need it migrates (store_open) and keeps; a later
 * migration is applied to each copy at its open. A cluster kept across
 * an edit of an earlier migration needs "unit_template" dropped (`make
 * test-pg` starts a new cluster each time).
 */
#ifndef UNIT_INSTANCE_H
#define UNIT_INSTANCE_H

#include "dir/dir.h"

struct unit_instance {
	char dir[64];
	char path[512];		/* the database file, or its URL */
	char pg_name[64];	/* the PostgreSQL database made, or "" */
	const char *backend;	/* "sqlite" or "postgresql", for more stores */
	struct store *st;
	struct config *config;
	struct arena *arena;
	struct dir_ctx ctx;
};

/* 0, or -1 when the store or config cannot be set up. */
int unit_instance_open(struct unit_instance *u, const char *domains,
	const char *actor);
/*
 * An org with that ODS code, a shared mailbox box@example.org in it and
 * the mailbox's INBOX, for tests of what is stored in a folder: the
 * folder's id, or -1 with err.
 */
int64_t unit_instance_inbox(struct unit_instance *u, const char *ods,
	struct error *err);
/* Closes everything and removes the directory; -1 if that fails. */
int unit_instance_close(struct unit_instance *u);

#endif
