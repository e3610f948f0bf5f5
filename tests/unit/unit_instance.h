/*
 * A throwaway directory for a unit test: a real SQLite store in a fresh
 * temporary directory, a config with the given mail domains, an arena and
 * a dir_ctx acting at time 1000. Shared by the tests of dir, mail and
 * auth.
 */
#ifndef UNIT_INSTANCE_H
#define UNIT_INSTANCE_H

#include "dir/dir.h"

struct unit_instance {
	char dir[64];
	char path[128];		/* the database file */
	struct store *st;
	struct config *config;
	struct arena *arena;
	struct dir_ctx ctx;
};

/* 0, or -1 when the store or config cannot be set up. */
int unit_instance_open(struct unit_instance *u, const char *domains,
	const char *actor);
/* Closes everything and removes the directory; -1 if that fails. */
int unit_instance_close(struct unit_instance *u);

#endif
