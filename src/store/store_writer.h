/*
 * Group commit: one writer thread whose shared transactions make
 * concurrent deliveries share one flush.
 * Layer: store; only the domain includes this (a front end may include
 * store_types.h alone, for the records).
 */
#ifndef STORE_STORE_WRITER_H
#define STORE_STORE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct arena;
struct error;
struct store;

/*
 * The writer: one connection and one thread that runs write jobs from many
 * sessions in shared transactions, so concurrent deliveries share a single
 * flush to stable storage (ARCHITECTURE "Concurrency"). A caller's job runs
 * on the writer's thread while the caller waits; anything it allocates must
 * come from memory the caller owns and does not touch until the call
 * returns.
 */
struct store_writer;

struct store_writer *store_writer_start(const char *backend, const char *path,
	int busy_timeout_ms, struct error *err);

/* Finishes queued jobs, stops the thread, closes; sets *w to NULL. */
void store_writer_stop(struct store_writer **w);

/*
 * Runs job(st, arg, err) in a transaction shared with other jobs, each in
 * its own savepoint so one failing job leaves the others whole. Returns 0
 * only once the job's changes are durable; -1 with the job's error, or
 * ERROR_TEMPORARY if the shared commit failed (nothing of the job stays).
 */
int store_writer_run(struct store_writer *w,
	int (*job)(struct store *st, void *arg, struct error *err), void *arg,
	struct error *err);

/* How many shared commits the writer has made: jobs per flush = jobs/commits. */
uint64_t store_writer_commits(struct store_writer *w);

#endif
