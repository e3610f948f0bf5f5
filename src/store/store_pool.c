/*
 * Pooled connections for sessions and requests. Layer: store. Only idle
 * connections are kept, each with its prepared statements, so a new
 * session skips the open, the migration check and the statement
 * preparation. Connections for requests read without a map of the file
 * (store_pool_get_request), so they are kept apart from the others.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/xmalloc.h"
#include "store/store_finder.h"
#include "store/store_internal.h"

struct store_pool {
	pthread_mutex_t lock;
	char *backend;
	char *path;
	int busy_timeout_ms;
	size_t max_idle;
	/* Idle connections by kind: [true] are point reads' (requests'). */
	struct idle {
		struct store **at;
		size_t count;
	} idle[2];
	bool maps;	/* the backend maps the file (store_ops.unmapped) */
	size_t runs_cache_kib;	/* store_pool_set_runs_cache */
	struct store_finder *finder;	/* given to each connection lent */
};

struct store_pool *
store_pool_new(const char *backend, const char *path, int busy_timeout_ms,
	size_t max_idle)
{
	struct store_pool *pool = xcalloc(1, sizeof(*pool));
	pthread_mutex_init(&pool->lock, NULL);
	pool->backend = xstrdup(backend);
	pool->path = xstrdup(path);
	pool->busy_timeout_ms = busy_timeout_ms;
	pool->max_idle = max_idle;
	for (int k = 0; k < 2; k++)
		pool->idle[k].at = xcalloc(max_idle + 1,
			sizeof(*pool->idle[k].at));
	const struct store_ops *ops = store_backend_find(backend);
	pool->maps = ops != NULL && ops->unmapped != NULL;
	return pool;
}

static struct store *
pool_take(struct store_pool *pool, bool points, struct error *err)
{
	pthread_mutex_lock(&pool->lock);
	struct idle *idle = &pool->idle[points];
	struct store *st = idle->count > 0 ? idle->at[--idle->count] : NULL;
	struct store_finder *finder = pool->finder;
	pthread_mutex_unlock(&pool->lock);
	if (st == NULL) {
		st = store_open(pool->backend, pool->path, false,
			pool->busy_timeout_ms, err);
		if (st != NULL) {
			store_defer_maintenance(st);
			if (points)
				store_point_reads(st, pool->runs_cache_kib);
		}
	}
	if (st != NULL) {
		st->finder = finder;
		st->finder_noted_valid = false;
	}
	return st;
}

struct store *
store_pool_get(struct store_pool *pool, struct error *err)
{
	return pool_take(pool, false, err);
}

/*
 * A request reads a few rows at random (a person's record, a session):
 * through a map, each pooled connection maps the file on its own and
 * faults in every page it touches first, which cost SQLite's B9 more
 * than copying the pages did (p99 25 ms at 10,000 reads a second mapped,
 * 3 ms not: bench/RESULTS.md, 2026-12-06 18:01). Its runs of reads, a
 * People Finder search's neighbouring keys, still read mapped
 * (store_reads_begin).
 */
struct store *
store_pool_get_request(struct store_pool *pool, struct error *err)
{
	return pool_take(pool, pool->maps, err);
}

void
store_pool_set_finder(struct store_pool *pool, struct store_finder *f)
{
	pthread_mutex_lock(&pool->lock);
	pool->finder = f;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < pool->idle[k].count; i++)
			pool->idle[k].at[i]->finder = f;
	pthread_mutex_unlock(&pool->lock);
}

void
store_pool_set_runs_cache(struct store_pool *pool, size_t kib)
{
	pool->runs_cache_kib = kib;
}

void
store_pool_put(struct store_pool *pool, struct store **stp)
{
	struct store *st = *stp;
	*stp = NULL;
	if (st == NULL)
		return;
	/* A connection left inside a transaction is not safe to share. */
	if (st->depth != 0 || st->reads != 0) {
		store_close(&st);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	struct idle *idle = &pool->idle[st->point_reads];
	if (idle->count < pool->max_idle) {
		idle->at[idle->count++] = st;
		st = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	store_close(&st);
}

size_t
store_pool_warm(struct store_pool *pool, size_t n)
{
	if (n > pool->max_idle)
		n = pool->max_idle;
	struct store **opened = xcalloc(n + 1, sizeof(*opened));
	size_t count = 0;
	/* All open at once: one given back would be taken again. */
	for (; count < n; count++) {
		struct error ignored;
		opened[count] = pool_take(pool, false, &ignored);
		if (opened[count] == NULL)
			break;
		store_warm(opened[count]);
	}
	for (size_t i = 0; i < count; i++)
		store_pool_put(pool, &opened[i]);
	free(opened);
	return count;
}

void
store_pool_free(struct store_pool **poolp)
{
	if (poolp == NULL || *poolp == NULL)
		return;
	struct store_pool *pool = *poolp;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < pool->idle[k].count; i++)
			store_close(&pool->idle[k].at[i]);
		free(pool->idle[k].at);
	}
	pthread_mutex_destroy(&pool->lock);
	free(pool->backend);
	free(pool->path);
	free(pool);
	*poolp = NULL;
}
