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

/*
 * On a shared store a node claims a limit's hits from the database in
 * batches of limit / CLAIM_SHARE (when that is more than one) and spends
 * them itself: a People Finder limit of 1,000,000 a minute then costs
 * the database one statement per 15,625 searches, not one per search
 * (bench B5 on PostgreSQL). The database counts what was claimed, so the
 * nodes together never allow more than the limit; a node's unspent claim
 * only refuses early, by at most limit / CLAIM_SHARE hits a node in a
 * window. Limits under 2 * CLAIM_SHARE (every sign-in, recovery and
 * failure limit as shipped) claim one hit at a time: exact, as before.
 */
#define CLAIM_SHARE 64
#define CLAIM_SLOTS 1024

struct claim {
	char key[LIMIT_KEY_HEX];	/* "" when the slot is free */
	int64_t window_start;	/* the database's window of the claim */
	int64_t left;		/* hits claimed and not yet spent */
	bool spent;		/* the window's limit is all claimed */
};

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
	/*
	 * This node's claims on a shared store, one slot a key by its hash;
	 * a key that takes another's slot forfeits that one's unspent hits,
	 * which can only refuse early. Made at the first claim.
	 */
	struct claim *claims;
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
	free((*l)->claims);
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

/* The hits a node claims at once for limit: see CLAIM_SHARE. */
static int64_t
claim_batch(int64_t limit)
{
	return limit / CLAIM_SHARE > 1 ? limit / CLAIM_SHARE : 1;
}

/* hex's slot, made on first use; l->lock held. */
static struct claim *
claim_slot(struct auth_limits *l, const char *hex)
{
	if (l->claims == NULL)
		l->claims = xcalloc(CLAIM_SLOTS, sizeof(*l->claims));
	/* The key is a SHA-256 in hex: its first bytes are spread enough. */
	unsigned char first[4] = { 0 };
	sodium_hex2bin(first, sizeof(first), hex, 2 * sizeof(first), NULL,
		NULL, NULL);
	uint32_t h = (uint32_t)first[0] << 24 | (uint32_t)first[1] << 16 |
		(uint32_t)first[2] << 8 | first[3];
	return &l->claims[h % CLAIM_SLOTS];
}

/*
 * This node's claim on hex's window when it holds one for the window
 * that began at start (or a later one, as the database tells), else
 * NULL; l->lock held.
 */
static struct claim *
claim_held(struct auth_limits *l, const char *hex, int64_t start)
{
	struct claim *c = claim_slot(l, hex);
	return strcmp(c->key, hex) == 0 && c->window_start >= start ? c : NULL;
}

/*
 * One counted hit on a shared store: spent from this node's claim when
 * it has hits left (or refused when the window's limit is all claimed),
 * else a new claim of `batch` hits, of which the database grants what
 * the limit leaves. *start_io: the window in, the database's window out.
 */
/*
 * Whether this node's claim on hex's window decides the hit without the
 * database: a hit left to spend (allowed) or the limit all claimed
 * (refused).
 */
static bool
spent_from_claim(struct auth_limits *l, const char *hex, int64_t *start_io,
	bool *allowed_r)
{
	pthread_mutex_lock(&l->lock);
	struct claim *c = claim_held(l, hex, *start_io);
	bool decided = c != NULL && (c->left > 0 || c->spent);
	if (decided) {
		*allowed_r = c->left > 0;
		if (c->left > 0)
			c->left--;
		*start_io = c->window_start;
	}
	pthread_mutex_unlock(&l->lock);
	return decided;
}

static int
claimed_hit(struct auth_limits *l, const struct dir_ctx *ctx,
	const char *hex, int64_t limit, int64_t batch, int64_t *start_io,
	bool *allowed_r, struct error *err)
{
	if (batch > 1 && spent_from_claim(l, hex, start_io, allowed_r))
		return 0;
	int64_t hits;
	if (store_rate_hit(ctx->store, hex, *start_io, batch, &hits, start_io,
		    err) < 0)
		return -1;
	int64_t before = hits - batch;
	int64_t grant = limit - before;
	if (grant > batch)
		grant = batch;
	if (grant < 0)
		grant = 0;
	*allowed_r = grant > 0;
	if (batch == 1)
		return 0;
	/*
	 * Another thread of this node may have claimed for the key at the
	 * same time: the later claim takes the slot and the other's unspent
	 * hits are forfeit, which can only refuse early.
	 */
	pthread_mutex_lock(&l->lock);
	struct claim *c = claim_slot(l, hex);
	memcpy(c->key, hex, LIMIT_KEY_HEX);
	c->window_start = *start_io;
	c->left = grant > 0 ? grant - 1 : 0;
	c->spent = hits >= limit;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/*
 * Whether one more hit is within the limit, without counting: the
 * database's count less this node's unspent claim (hits claimed but not
 * spent are not hits yet).
 */
static int
unclaimed_below(struct auth_limits *l, const struct dir_ctx *ctx,
	const char *hex, int64_t limit, int64_t start, bool *allowed_r,
	struct error *err)
{
	int64_t hits;
	if (store_rate_hits(ctx->store, hex, start, &hits, err) < 0)
		return -1;
	pthread_mutex_lock(&l->lock);
	struct claim *c = l->claims != NULL ? claim_held(l, hex, start) : NULL;
	if (c != NULL)
		hits -= c->left;
	pthread_mutex_unlock(&l->lock);
	*allowed_r = hits < limit;
	return 0;
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
	bool allowed;
	int rc = count ? claimed_hit(l, ctx, hex, limit, claim_batch(limit),
			&start, &allowed, err) :
		unclaimed_below(l, ctx, hex, limit, start, &allowed, err);
	if (rc < 0)
		return -1;
	purge_due(l, ctx, now - now % window_s, window_s);
	if (retry_after_r != NULL) {
		int64_t retry = start + window_s - now;
		*retry_after_r = retry > 0 ? retry : 1;
	}
	return allowed ? 1 : 0;
}
