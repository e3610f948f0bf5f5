/*
 * Pooled connections for sessions. Layer: store. Only idle connections
 * are kept, each with its prepared statements, so a new session skips the
 * open, the migration check and the statement preparation.
 */
#include <pthread.h>
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
	struct store **idle;
	size_t idle_count;
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
	pool->idle = xcalloc(max_idle + 1, sizeof(*pool->idle));
	return pool;
}

struct store *
store_pool_get(struct store_pool *pool, struct error *err)
{
	pthread_mutex_lock(&pool->lock);
	struct store *st = pool->idle_count > 0 ?
		pool->idle[--pool->idle_count] : NULL;
	struct store_finder *finder = pool->finder;
	pthread_mutex_unlock(&pool->lock);
	if (st == NULL) {
		st = store_open(pool->backend, pool->path, false,
			pool->busy_timeout_ms, err);
		if (st != NULL)
			store_defer_maintenance(st);
	}
	if (st != NULL) {
		st->finder = finder;
		st->finder_noted_valid = false;
	}
	return st;
}

void
store_pool_set_finder(struct store_pool *pool, struct store_finder *f)
{
	pthread_mutex_lock(&pool->lock);
	pool->finder = f;
	for (size_t i = 0; i < pool->idle_count; i++)
		pool->idle[i]->finder = f;
	pthread_mutex_unlock(&pool->lock);
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
	if (pool->idle_count < pool->max_idle) {
		pool->idle[pool->idle_count++] = st;
		st = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	store_close(&st);
}

void
store_pool_free(struct store_pool **poolp)
{
	if (poolp == NULL || *poolp == NULL)
		return;
	struct store_pool *pool = *poolp;
	for (size_t i = 0; i < pool->idle_count; i++)
		store_close(&pool->idle[i]);
	pthread_mutex_destroy(&pool->lock);
	free(pool->idle);
	free(pool->backend);
	free(pool->path);
	free(pool);
	*poolp = NULL;
}
