/*
 * The audit chain's key and anchor, kept in files in the instance directory
 * and never in the store, so someone with only the database cannot re-chain
 * rows they changed; checking the chain against them; and serve's watch.
 * Layer: domain. SECURITY.md 49; docs/audit.md for operators.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "core/periodic.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "instance/instance.h"
#include "instance/instance_internal.h"
#include "store/store.h"
#include "store/store_audit.h"

_Static_assert(INSTANCE_KEY_BYTES == STORE_AUDIT_KEY_BYTES,
	"the audit key is kept by instance_key.c");
_Static_assert(sizeof(((struct instance *)0)->audit_key) ==
	STORE_AUDIT_KEY_BYTES, "the instance holds one audit key");

#define AUDIT_FILE_MAX 4096

/*
 * The anchor file: when the chain began, how many rows it found there
 * from before, and the newest row a check has seen in a whole chain.
 */
struct audit_anchor {
	int64_t chained_since;
	int64_t legacy_rows;
	struct store_audit_mark last;
	int64_t seen_at;
};

static bool
anchor_field(const char *line, const char *name, const char **value_r)
{
	size_t n = strlen(name);
	if (strncmp(line, name, n) != 0 || line[n] != '=')
		return false;
	*value_r = line + n + 1;
	return true;
}

static bool
parse_int(const char *text, int64_t *v_r)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 0)
		return false;
	*v_r = v;
	return true;
}

/* One "name=value" line of the anchor; unknown names are kept for later. */
static bool
anchor_line(char *line, struct audit_anchor *a, unsigned *seen)
{
	const char *v;
	if (line[0] == '#' || line[0] == '\0')
		return true;
	if (anchor_field(line, "version", &v)) {
		*seen |= 1;
		return strcmp(v, "1") == 0;
	}
	if (anchor_field(line, "chained_since", &v))
		return parse_int(v, &a->chained_since);
	if (anchor_field(line, "legacy_rows", &v))
		return parse_int(v, &a->legacy_rows);
	if (anchor_field(line, "last_id", &v)) {
		*seen |= 2;
		return parse_int(v, &a->last.id);
	}
	if (anchor_field(line, "last_hash", &v)) {
		*seen |= 4;
		return instance_hex_to_bytes(v, strlen(v), a->last.hash,
			sizeof(a->last.hash)) == 0;
	}
	if (anchor_field(line, "seen_at", &v))
		return parse_int(v, &a->seen_at);
	return true;
}

static int
anchor_read(const char *path, struct audit_anchor *a, struct error *err)
{
	memset(a, 0, sizeof(*a));
	char *text = file_read_all(path, AUDIT_FILE_MAX, NULL, err);
	if (text == NULL)
		return -1;
	unsigned seen = 0;
	bool ok = true;
	char *rest = text;
	while (ok && rest != NULL && *rest != '\0') {
		char *line = rest;
		rest = strchr(rest, '\n');
		if (rest != NULL)
			*rest++ = '\0';
		ok = anchor_line(line, a, &seen);
	}
	free(text);
	if (!ok || seen != 7)
		return error_set(err, ERROR_INVALID, "the audit anchor %s is "
			"damaged; restore it from a copy, or see docs/audit.md",
			path);
	return 0;
}

static int
anchor_write(const char *path, const struct audit_anchor *a,
	struct error *err)
{
	char hash[STORE_AUDIT_HASH_BYTES * 2 + 1];
	sodium_bin2hex(hash, sizeof(hash), a->last.hash, sizeof(a->last.hash));
	char since[32], seen[32];
	clock_format_iso(a->chained_since, since, sizeof(since));
	clock_format_iso(a->seen_at, seen, sizeof(seen));
	char text[1024];
	int n = snprintf(text, sizeof(text),
		"# caremail audit anchor (docs/audit.md): written by caremail, "
		"do not edit.\n"
		"# The audit chain began %s; last_id is the newest row\n"
		"# a check saw in a whole chain (%s). Copies kept\n"
		"# elsewhere prove later that rows up to it existed.\n"
		"version=1\n"
		"chained_since=%" PRId64 "\n"
		"legacy_rows=%" PRId64 "\n"
		"last_id=%" PRId64 "\n"
		"last_hash=%s\n"
		"seen_at=%" PRId64 "\n",
		since, a->seen_at != 0 ? seen : "none yet", a->chained_since,
		a->legacy_rows, a->last.id, hash, a->seen_at);
	if (n < 0 || (size_t)n >= sizeof(text))
		return error_set(err, ERROR_INTERNAL,
			"the audit anchor does not fit its buffer");
	return file_write_atomic(path, text, (size_t)n, 0600, err);
}

int
instance_audit_create(struct instance *inst, int64_t now, struct error *err)
{
	if (instance_key_create(inst->audit_key_path, "audit",
		    inst->audit_key, err) < 0)
		return -1;
	struct audit_anchor a = { .chained_since = now };
	return anchor_write(inst->audit_anchor_path, &a, err);
}

/*
 * An exclusive lock on the key file, which every process of the instance
 * opens: it serialises the sealing of old rows and moves of the anchor.
 * Returns the descriptor to close, which releases it, or -1.
 */
static int
audit_lock(const struct instance *inst, struct error *err)
{
	int fd = open(inst->audit_key_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, ERROR_INTERNAL, "cannot open %s: %s",
			inst->audit_key_path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int saved = errno;
			close(fd);
			return error_set(err, ERROR_INTERNAL,
				"cannot lock %s: %s", inst->audit_key_path,
				strerror(saved));
		}
	}
	return fd;
}

/*
 * The rows an instance had before the chain are chained as they are now,
 * by whichever process gets the lock first; the others find the anchor
 * it wrote and leave it be.
 */
static int
seal_legacy_rows(struct instance *inst, int64_t now, struct error *err)
{
	int lock = audit_lock(inst, err);
	if (lock < 0)
		return -1;
	int rc = 0;
	int64_t sealed = 0;
	if (!file_exists(inst->audit_anchor_path)) {
		struct store *st = instance_store(inst, err);
		rc = st != NULL ?
			store_audit_seal(st, inst->audit_key, &sealed, err) : -1;
		store_close(&st);
		struct audit_anchor a = { .chained_since = now,
			.legacy_rows = sealed };
		if (rc == 0)
			rc = anchor_write(inst->audit_anchor_path, &a, err);
		if (rc == 0)
			log_info("audit.chain_started", "legacy_rows=%" PRId64,
				sealed);
	}
	close(lock);
	return rc;
}

int
instance_audit_load(struct instance *inst, int64_t now, struct error *err)
{
	struct error inner;
	bool have_anchor = file_exists(inst->audit_anchor_path);
	if (instance_key_read(inst->audit_key_path, "audit",
		    inst->audit_key, &inner) == 0) {
		/* A crash between making the key and sealing: finish now. */
		return have_anchor ? 0 : seal_legacy_rows(inst, now, err);
	}
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	/*
	 * What to do comes first and one path only: a sentence is at most
	 * 255 bytes, and two long paths cut off the end of it.
	 */
	if (have_anchor)
		return error_set(err, ERROR_NOT_FOUND, "restore the audit key "
			"from your backup: %s is missing, but the audit anchor "
			"(setting audit.anchor) shows the chain was begun with "
			"it, and a new key would make every audit row fail to "
			"verify",
			inst->audit_key_path);
	if (instance_key_create(inst->audit_key_path, "audit",
		    inst->audit_key, err) < 0)
		return -1;
	return seal_legacy_rows(inst, now, err);
}

/* Moves the anchor on to `last`; never back (serve and the CLI both). */
static int
anchor_advance(const struct instance *inst, const struct store_audit_mark *last,
	int64_t now, struct error *err)
{
	int fd = audit_lock(inst, err);
	if (fd < 0)
		return -1;
	struct audit_anchor a;
	int rc = anchor_read(inst->audit_anchor_path, &a, err);
	if (rc == 0 && last->id > a.last.id) {
		a.last = *last;
		a.seen_at = now;
		rc = anchor_write(inst->audit_anchor_path, &a, err);
	}
	close(fd);	/* and with it the lock */
	return rc;
}

int
instance_audit_verify(const struct instance *inst, struct store *st,
	bool full, int64_t now, struct instance_audit_report *r,
	struct error *err)
{
	memset(r, 0, sizeof(*r));
	struct audit_anchor a;
	if (anchor_read(inst->audit_anchor_path, &a, err) < 0)
		return -1;
	const struct store_audit_mark *seen = a.last.id != 0 ? &a.last : NULL;
	struct store_audit_check c;
	if (store_audit_verify(st, inst->audit_key, full ? NULL : seen, seen,
		    &c, err) < 0)
		return -1;
	*r = (struct instance_audit_report){
		.whole = c.broken_id == 0,
		.full = full || seen == NULL,
		.rows = c.rows,
		.last_id = c.last.id,
		.broken_id = c.broken_id,
		.broken_at = c.broken_at,
		.broken_count = c.broken_count,
		.anchor_id = a.last.id,
		.anchor_seen_at = a.seen_at,
		.chained_since = a.chained_since,
		.legacy_rows = a.legacy_rows,
	};
	if (c.last.id != 0)
		sodium_bin2hex(r->last_hash, sizeof(r->last_hash), c.last.hash,
			sizeof(c.last.hash));
	snprintf(r->reason, sizeof(r->reason), "%s", c.reason);
	if (r->whole && c.last.id > a.last.id)
		return anchor_advance(inst, &c.last, now, err);
	return 0;
}

/* ---- serve's watch ---- */

enum watch_state {
	WATCH_CHECKING,
	WATCH_OK,
	WATCH_BROKEN,
	WATCH_UNKNOWN,
};

struct instance_audit_watch {
	const struct instance *inst;
	struct periodic *thread;
	bool checked;		/* the full check at start is done */
	pthread_mutex_t lock;	/* guards state */
	enum watch_state state;
	bool ever_broken;	/* broken stays broken until a restart */
};

static void
watch_log(const struct instance_audit_report *r, int64_t ms)
{
	char at[32];
	clock_format_iso(r->broken_at, at, sizeof(at));
	if (!r->whole) {
		log_error("audit.broken", "row=%" PRId64 " at=%s broken_rows=%"
			PRId64 " reason=\"%s\"", r->broken_id,
			r->broken_at != 0 ? at : "-", r->broken_count,
			r->reason);
		return;
	}
	if (r->full)
		log_info("audit.verified", "rows=%" PRId64 " last_id=%" PRId64
			" last_hash=%s ms=%" PRId64, r->rows, r->last_id,
			r->last_hash, ms);
	else
		log_debug("audit.verified", "new_rows=%" PRId64 " last_id=%"
			PRId64 " last_hash=%s ms=%" PRId64,
			r->rows > 0 ? r->rows - 1 : 0, r->last_id,
			r->last_hash, ms);
}

static void
watch_check(struct instance_audit_watch *w, bool full)
{
	struct error err;
	struct instance_audit_report r;
	int64_t started = clock_monotonic_ms();
	struct store *st = instance_store(w->inst, &err);
	int rc = st != NULL ? instance_audit_verify(w->inst, st, full,
		clock_now(), &r, &err) : -1;
	store_close(&st);
	if (rc < 0)
		log_warn("audit.unchecked", "reason=\"%s\"", err.msg);
	else
		watch_log(&r, clock_monotonic_ms() - started);
	pthread_mutex_lock(&w->lock);
	if (rc == 0 && !r.whole)
		w->ever_broken = true;
	w->state = w->ever_broken ? WATCH_BROKEN :
		rc < 0 ? WATCH_UNKNOWN : WATCH_OK;
	pthread_mutex_unlock(&w->lock);
}

/* The whole chain first, then what was added since each check. */
static void
watch_run(void *arg)
{
	struct instance_audit_watch *w = arg;
	watch_check(w, !w->checked);
	w->checked = true;
}

struct instance_audit_watch *
instance_audit_watch_start(const struct instance *inst, int interval_s)
{
	struct instance_audit_watch *w = xcalloc(1, sizeof(*w));
	w->inst = inst;
	w->state = WATCH_CHECKING;
	pthread_mutex_init(&w->lock, NULL);
	/* periodic aborts with no thread: serve could not say it checked. */
	w->thread = periodic_start(interval_s, watch_run, w);
	return w;
}

const char *
instance_audit_watch_state(struct instance_audit_watch *w)
{
	static const char *const names[] = {
		[WATCH_CHECKING] = "checking",
		[WATCH_OK] = "ok",
		[WATCH_BROKEN] = "broken",
		[WATCH_UNKNOWN] = "unknown",
	};
	pthread_mutex_lock(&w->lock);
	enum watch_state state = w->state;
	pthread_mutex_unlock(&w->lock);
	return names[state];
}

void
instance_audit_watch_stop(struct instance_audit_watch **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	struct instance_audit_watch *w = *wp;
	/* A full check under way at start-up finishes first. */
	periodic_stop(&w->thread);
	pthread_mutex_destroy(&w->lock);
	free(w);
	*wp = NULL;
}
