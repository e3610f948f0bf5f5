/*
 * Rate limits counted where every server of the store sees them: in the
 * database on PostgreSQL (store_limit.h), in the process on SQLite.
 * Layer: domain. SECURITY: nothing counted is stored in clear; the
 * database's counters of ended windows are purged, so invented keys
 * cannot grow the table past a window or two of requests.
 */
#include "auth/auth_limit.h"
#include "auth/auth_internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/ratelimit.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "store/store_limit.h"

#define LIMIT_KEY_HEX (crypto_hash_sha256_BYTES * 2 + 1)

struct auth_limits {
	/*
	 * The counters of a store that is not shared. Nothing locks a SQLite
	 * store to one `caremail serve` (the instance lock, instance.h, is
	 * held shared by serve and by every CLI command; only restore takes
	 * it alone), but one node is what SQLite is for (docs/backup.md,
	 * docs/postgresql.md): one machine, one serve, whose listeners own
	 * the instance's ports. The CLI counts nothing. Counting each
	 * attempt in the file would put every sign-in behind the one writer.
	 */
	struct ratelimit *memory;
	pthread_mutex_t lock;
	int64_t next_purge;	/* when this node next purges ended windows */
};

struct auth_limits *
auth_limits_new(size_t slots)
{
	struct auth_limits *l = xcalloc(1, sizeof(*l));
	l->memory = ratelimit_new(slots);
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void
auth_limits_free(struct auth_limits **l)
{
	if (*l == NULL)
		return;
	ratelimit_free(&(*l)->memory);
	pthread_mutex_destroy(&(*l)->lock);
	free(*l);
	*l = NULL;
}

/* SHA-256 of "what|key" in hex: the same on every node, no clear text. */
static void
limit_key(const char *what, const char *key, char hex[LIMIT_KEY_HEX])
{
	auth_pair_digest(what, '|', key, hex);
}

/*
 * Once a window per node, the counters of windows before this one go: a
 * step of the jobs runner would run hourly at best (and not at all with
 * jobs.interval_s 0), leaving an hour of invented keys behind. A failed
 * purge is tried again a window later; the limits do not depend on it.
 */
static void
purge_due(struct auth_limits *l, const struct dir_ctx *ctx,
	int64_t window_start, int64_t window_s)
{
	pthread_mutex_lock(&l->lock);
	bool due = ctx->now >= l->next_purge;
	if (due)
		l->next_purge = ctx->now + window_s;
	pthread_mutex_unlock(&l->lock);
	if (!due)
		return;
	struct error err;
	if (store_rate_purge(ctx->store, window_start, &err) < 0)
		log_warn("ratelimit.purge_failed", "reason=\"%s\"", err.msg);
}

int
auth_limit_allow(struct auth_limits *l, const struct dir_ctx *ctx,
	const char *what, const char *key, int64_t limit, int64_t window_s,
	bool count, int64_t *retry_after_r, struct error *err)
{
	char hex[LIMIT_KEY_HEX];
	limit_key(what, key, hex);
	if (window_s < 1)
		window_s = 1;
	if (!store_is_shared(ctx->store))
		return ratelimit_allow(l->memory, hex, ctx->now, limit,
			window_s, count, retry_after_r) ? 1 : 0;
	int64_t now = ctx->now > 0 ? ctx->now : 0;
	int64_t start = now - now % window_s;
	int64_t hits;
	bool allowed;
	if (count) {
		if (store_rate_hit(ctx->store, hex, start, &hits, &start,
			    err) < 0)
			return -1;
		allowed = hits <= limit;
	} else {
		if (store_rate_hits(ctx->store, hex, start, &hits, err) < 0)
			return -1;
		allowed = hits < limit;
	}
	purge_due(l, ctx, now - now % window_s, window_s);
	if (retry_after_r != NULL) {
		int64_t retry = start + window_s - now;
		*retry_after_r = retry > 0 ? retry : 1;
	}
	return allowed ? 1 : 0;
}
