/*
 * Bodies outside the database (issue 14 item 3, store_blob.h): a body
 * kept in a blob directory is read back whole and checked against its
 * hash; forgetting is two-phase, so a blob is never removed while a body
 * row names it, and a writer that staged a blob the sweep then removed
 * puts it back in its own transaction. Run on SQLite and, in the "pg"
 * suite, on PostgreSQL.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_blob.h"
#include "store/store_expand.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"
#include "unit_instance.h"

static const struct store_message_meta meta = { "(NIL)", "(\"TEXT\")",
	"(\"TEXT\")", "Hello", "a@x", "b@x", "", "", "<1@x>", 0, 20 };

struct fixture {
	struct unit_instance u;
	struct store_blobs *blobs;
	char blob_dir[600];
	int64_t folder_id;
};

struct body {
	char hash[STORE_BLOB_HASH_SIZE];
	const char *data;
	size_t size;
	struct store_body b;
};

static void
body_of(struct body *bd, const char *data)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	bd->data = data;
	bd->size = strlen(data);
	crypto_hash_sha256(digest, (const unsigned char *)data, bd->size);
	sodium_bin2hex(bd->hash, sizeof(bd->hash), digest, sizeof(digest));
	bd->b = (struct store_body){ bd->hash, bd->data, bd->size, 100, &meta };
}

static void
blob_path(const struct fixture *f, const char *hash, char *out, size_t size)
{
	snprintf(out, size, "%s/%.2s/%s", f->blob_dir, hash, hash);
}

static bool
blob_there(const struct fixture *f, const char *hash)
{
	char path[800];
	blob_path(f, hash, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "example.org", "cli") < 0)
		return -1;
	snprintf(f->blob_dir, sizeof(f->blob_dir), "%s/blobs", f->u.dir);
	struct store_blob_config c = { .backend = "directory",
		.path = f->blob_dir };
	struct error err;
	if (store_blobs_open(&c, &f->blobs, &err) < 0)
		fail_msg("blobs: %s", err.msg);
	store_blobs_use(f->blobs);
	f->folder_id = unit_instance_inbox(&f->u, "BLOB1", &err);
	if (f->folder_id < 0)
		fail_msg("inbox: %s", err.msg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	store_blobs_use(NULL);
	store_blobs_close(&f->blobs);
	int rc = unit_instance_close(&f->u);
	free(f);
	return rc;
}

/* Stores the body and one message of it in one transaction: its UID. */
static int64_t
deliver(struct fixture *f, struct body *bd, int64_t *body_id_r)
{
	struct error err;
	struct store *st = f->u.st;
	if (store_begin(st, &err) < 0)
		fail_msg("begin: %s", err.msg);
	int64_t body_id = store_body_put(st, &bd->b, &err);
	if (body_id < 0)
		fail_msg("put: %s", err.msg);
	struct store_delivery d = { .body_id = body_id,
		.size = (int64_t)bd->size, .internal_date = 100,
		.folder_ids = &f->folder_id, .folder_count = 1,
		.sender = "a@x.example" };
	int64_t uid;
	assert_int_equal(store_deliver(st, &d, &uid, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	if (body_id_r != NULL)
		*body_id_r = body_id;
	return uid;
}

static void
expunge_and_forget(struct fixture *f, int64_t uid, int64_t now)
{
	struct error err;
	struct store *st = f->u.st;
	int64_t forgotten = -1;
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_message_expunge(st, f->folder_id, &uid, 1,
				 &err), 0);
	assert_true(store_bodies_forget(st, now, -1, &forgotten, &err) >= 1);
	assert_int_equal(forgotten, 1);
	assert_int_equal(store_commit(st, &err), 0);
}

/* The body's bytes, read back through the store, are the ones stored. */
static void
reads_back_whole(struct fixture *f, int64_t body_id, const struct body *bd)
{
	struct error err;
	const char *data;
	size_t size;
	if (store_body_get(f->u.st, body_id, f->u.arena, &data, &size,
		    &err) < 0)
		fail_msg("read back: %s", err.msg);
	assert_int_equal(size, bd->size);
	assert_memory_equal(data, bd->data, size);
}

static void
sweep(struct fixture *f, int64_t before, int64_t *removed_r,
	int64_t *done_r)
{
	struct error err;
	struct store *st = f->u.st;
	assert_int_equal(store_begin(st, &err), 0);
	if (store_blobs_sweep(st, before, 100, f->u.arena, removed_r, done_r,
		    &err) < 0)
		fail_msg("sweep: %s", err.msg);
	assert_int_equal(store_commit(st, &err), 0);
}

static void
test_outside_body_reads_back_whole(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct body bd;
	/* Binary-safe: a NUL cannot be in a C string, 8-bit bytes can. */
	body_of(&bd, "Subject: out\r\n\r\nbytes \xff\xfe outside\r\n");
	assert_int_equal(store_body_stage(f->u.st, &bd.b, &err), 0);
	assert_true(blob_there(f, bd.hash));
	int64_t body_id;
	deliver(f, &bd, &body_id);
	reads_back_whole(f, body_id, &bd);
	/* The database does not hold the bytes: without a blob store, no. */
	store_blobs_use(NULL);
	const char *data;
	size_t size;
	assert_int_equal(store_body_get(f->u.st, body_id, f->u.arena, &data,
				 &size, &err), -1);
	assert_non_null(strstr(err.msg, "blob store"));
	store_blobs_use(f->blobs);
}

/* A body stored before the blob store was set is still read from its row. */
static void
test_body_in_the_database_stays_readable(void **state)
{
	struct fixture *f = *state;
	struct body bd;
	body_of(&bd, "Subject: in\r\n\r\nkept in the row\r\n");
	store_blobs_use(NULL);
	int64_t body_id;
	deliver(f, &bd, &body_id);
	store_blobs_use(f->blobs);
	assert_false(blob_there(f, bd.hash));
	reads_back_whole(f, body_id, &bd);
}

/* Damage is an error naming it, never other bytes passed off. */
static void
test_damaged_or_missing_blob_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct body bd;
	body_of(&bd, "Subject: d\r\n\r\nwill be damaged\r\n");
	int64_t body_id;
	deliver(f, &bd, &body_id);
	char path[800];
	blob_path(f, bd.hash, path, sizeof(path));
	FILE *fp = fopen(path, "r+");
	assert_non_null(fp);
	fseek(fp, 3, SEEK_SET);
	fputc('X', fp);
	fclose(fp);
	const char *data;
	size_t size;
	assert_int_equal(store_body_get(f->u.st, body_id, f->u.arena, &data,
				 &size, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_int_equal(truncate(path, 5), 0);
	assert_int_equal(store_body_get(f->u.st, body_id, f->u.arena, &data,
				 &size, &err), -1);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_body_get(f->u.st, body_id, f->u.arena, &data,
				 &size, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
}

/* A name from anywhere but a hash never reaches the file system. */
static void
test_only_hashes_name_blobs(void **state)
{
	struct fixture *f = *state;
	struct error err;
	char buf[4];
	assert_int_equal(store_blobs_put(f->blobs, "../../etc/passwd", "x", 1,
				 &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(store_blobs_get(f->blobs,
				 "AB0000000000000000000000000000000000000000000000"
				 "0000000000000000", buf, 1, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	/* Bytes that are not the hash's are not written under it. */
	struct body bd;
	body_of(&bd, "one");
	assert_int_equal(store_blobs_put(f->blobs, bd.hash, "two", 3, &err),
		-1);
	assert_false(blob_there(f, bd.hash));
}

/*
 * Two phases: forgetting records the hash and keeps the blob; the sweep
 * removes it only once the record is old enough, and a run again finds
 * nothing.
 */
static void
test_forgotten_body_blob_removed_after_its_wait(void **state)
{
	struct fixture *f = *state;
	struct body bd;
	body_of(&bd, "Subject: gone\r\n\r\nexpunged soon\r\n");
	int64_t uid = deliver(f, &bd, NULL);
	expunge_and_forget(f, uid, 5000);
	assert_true(blob_there(f, bd.hash));
	int64_t removed = -1, done = -1;
	sweep(f, 4999, &removed, &done);
	assert_int_equal(done, 0);
	assert_true(blob_there(f, bd.hash));
	sweep(f, 5000, &removed, &done);
	assert_int_equal(removed, 1);
	assert_int_equal(done, 1);
	assert_false(blob_there(f, bd.hash));
	sweep(f, 9999, &removed, &done);
	assert_int_equal(done, 0);
}

/* A body stored again with the hash keeps its blob; the record goes. */
static void
test_sweep_keeps_a_blob_whose_body_came_back(void **state)
{
	struct fixture *f = *state;
	struct body bd;
	body_of(&bd, "Subject: back\r\n\r\nsent twice\r\n");
	int64_t uid = deliver(f, &bd, NULL);
	expunge_and_forget(f, uid, 5000);
	int64_t body_id;
	deliver(f, &bd, &body_id);
	int64_t removed = -1, done = -1;
	sweep(f, 5000, &removed, &done);
	assert_int_equal(removed, 0);
	assert_int_equal(done, 1);
	assert_true(blob_there(f, bd.hash));
	reads_back_whole(f, body_id, &bd);
}

/*
 * The race the two phases guard against, one step at a time: a writer
 * stages the blob (already there, so nothing is written), the sweep then
 * removes it (no row names it yet), and the writer's transaction stores
 * the body. It must find the blob gone and put it back.
 */
static void
test_writer_puts_back_a_blob_swept_after_staging(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct body bd;
	body_of(&bd, "Subject: race\r\n\r\nstaged then swept\r\n");
	int64_t uid = deliver(f, &bd, NULL);
	expunge_and_forget(f, uid, 5000);
	assert_int_equal(store_body_stage(f->u.st, &bd.b, &err), 0);
	int64_t removed = -1, done = -1;
	sweep(f, 5000, &removed, &done);
	assert_int_equal(removed, 1);
	assert_false(blob_there(f, bd.hash));
	int64_t body_id;
	deliver(f, &bd, &body_id);
	assert_true(blob_there(f, bd.hash));
	reads_back_whole(f, body_id, &bd);
}

/* A body another message still shows is not forgotten. */
static void
test_a_body_still_shown_is_kept(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct body bd;
	body_of(&bd, "Subject: twice\r\n\r\nin two messages\r\n");
	int64_t uid1 = deliver(f, &bd, NULL);
	int64_t body_id;
	deliver(f, &bd, &body_id);
	struct store *st = f->u.st;
	int64_t forgotten = -1;
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_message_expunge(st, f->folder_id, &uid1, 1,
				 &err), 0);
	assert_int_equal(store_bodies_forget(st, 5000, -1, &forgotten, &err),
		1);
	assert_int_equal(forgotten, 0);
	assert_int_equal(store_commit(st, &err), 0);
	int64_t unref = -1, doomed = -1;
	assert_int_equal(store_bodies_pending(st, &unref, &doomed, &err), 0);
	assert_int_equal(unref, 0);
	assert_int_equal(doomed, 0);
	const char *data;
	size_t size;
	assert_int_equal(store_body_get(st, body_id, f->u.arena, &data, &size,
				 &err), 0);
	assert_true(blob_there(f, bd.hash));
}

/* A body given to nobody is looked at by the sweep, not kept for ever. */
static void
test_a_body_delivered_to_nobody_is_forgotten(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store *st = f->u.st;
	struct body bd;
	body_of(&bd, "Subject: nobody\r\n\r\nevery recipient gone\r\n");
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_set_begin(st, &err), 0);
	int64_t body_id = store_body_put(st, &bd.b, &err);
	assert_true(body_id > 0);
	struct store_delivery d = { .body_id = body_id,
		.size = (int64_t)bd.size, .internal_date = 100,
		.sender = "a@x.example" };
	int64_t delivered = -1;
	assert_int_equal(store_deliver_set(st, 7, &d, &delivered, &err), 0);
	assert_int_equal(delivered, 0);
	assert_int_equal(store_set_drop(st, -1, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	int64_t unref = -1, doomed = -1, forgotten = -1;
	assert_int_equal(store_bodies_pending(st, &unref, &doomed, &err), 0);
	assert_int_equal(unref, 1);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_bodies_forget(st, 5000, -1, &forgotten, &err),
		1);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(forgotten, 1);
	int64_t removed = -1, done = -1;
	sweep(f, 5000, &removed, &done);
	assert_int_equal(removed, 1);
	assert_false(blob_there(f, bd.hash));
}

/*
 * The same race, not played step by step but left to the scheduler: a
 * second connection forgets and sweeps in a loop with no day's wait,
 * while this one stages, stores and expunges copies of a few bodies at
 * random, pausing between the stage and the transaction to leave the
 * sweep room. After every commit the message just stored must read back
 * whole, and at the end every message left must: a body row never names
 * a blob that is gone, however the two interleave.
 */
#define RACE_BODIES 6
#define RACE_STEPS 400

struct sweeper {
	const char *backend, *path;
	atomic_bool stop;
	atomic_long removed;
	char failure[512];
};

static void
sweeper_fail(struct sweeper *sw, const char *what, const struct error *err)
{
	if (sw->failure[0] == '\0')
		snprintf(sw->failure, sizeof(sw->failure), "%s: %s", what,
			err->msg);
}

static void *
sweeper_run(void *arg)
{
	struct sweeper *sw = arg;
	struct error err;
	struct store *st = store_open(sw->backend, sw->path, false, 5000, &err);
	struct arena *a = arena_new(1 << 16);
	if (st == NULL) {
		sweeper_fail(sw, "open", &err);
		arena_free(&a);
		return NULL;
	}
	unsigned seed = 41;
	while (!atomic_load(&sw->stop) && sw->failure[0] == '\0') {
		int64_t forgotten = 0, removed = 0, done = 0;
		arena_reset(a);
		if (store_begin(st, &err) < 0 ||
		    store_bodies_forget(st, 5000, -1, &forgotten, &err) < 0 ||
		    store_commit(st, &err) < 0) {
			sweeper_fail(sw, "forget", &err);
			break;
		}
		if (store_begin(st, &err) < 0 ||
		    store_blobs_sweep(st, 5000, 100, a, &removed, &done,
			    &err) < 0 ||
		    store_commit(st, &err) < 0) {
			sweeper_fail(sw, "sweep", &err);
			break;
		}
		atomic_fetch_add(&sw->removed, (long)removed);
		/*
		 * SQLite's busy wait is not a queue: a loop that takes the
		 * write lock again at once can starve the other connection
		 * past its timeout (seen under ASan). A pause lets it in.
		 */
		usleep(100 + (useconds_t)(rand_r(&seed) % 900));
	}
	arena_free(&a);
	store_close(&st);
	return NULL;
}

static void
test_no_body_loses_its_blob_under_a_concurrent_sweep(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store *st = f->u.st;
	static const char *texts[RACE_BODIES] = {
		"Subject: r0\r\n\r\nzero\r\n", "Subject: r1\r\n\r\none\r\n",
		"Subject: r2\r\n\r\ntwo\r\n", "Subject: r3\r\n\r\nthree\r\n",
		"Subject: r4\r\n\r\nfour\r\n", "Subject: r5\r\n\r\nfive\r\n" };
	struct body bodies[RACE_BODIES];
	for (int i = 0; i < RACE_BODIES; i++)
		body_of(&bodies[i], texts[i]);
	struct sweeper sw = { .backend = f->u.backend, .path = f->u.path };
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, sweeper_run, &sw), 0);
	/* The messages stored and not yet expunged: UID, body row, bytes. */
	int64_t uids[RACE_STEPS], body_ids[RACE_STEPS];
	int which[RACE_STEPS];
	size_t live = 0;
	unsigned seed = 14;
	for (int step = 0; step < RACE_STEPS && sw.failure[0] == '\0';
	    step++) {
		arena_reset(f->u.arena);
		/* Few messages at a time, so bodies often lose their last. */
		if (live > 0 && (live >= 8 || rand_r(&seed) % 2 == 0)) {
			size_t k = (size_t)rand_r(&seed) % live;
			if (store_begin(st, &err) < 0)
				fail_msg("begin: %s", err.msg);
			assert_int_equal(store_message_expunge(st,
				f->folder_id, &uids[k], 1, &err), 0);
			assert_int_equal(store_commit(st, &err), 0);
			uids[k] = uids[live - 1];
			body_ids[k] = body_ids[live - 1];
			which[k] = which[live - 1];
			live--;
			continue;
		}
		int b = rand_r(&seed) % RACE_BODIES;
		assert_int_equal(store_body_stage(st, &bodies[b].b, &err), 0);
		usleep((useconds_t)(rand_r(&seed) % 2000));
		uids[live] = deliver(f, &bodies[b], &body_ids[live]);
		which[live] = b;
		reads_back_whole(f, body_ids[live++], &bodies[b]);
	}
	atomic_store(&sw.stop, true);
	assert_int_equal(pthread_join(thread, NULL), 0);
	if (sw.failure[0] != '\0')
		fail_msg("the sweeping connection: %s", sw.failure);
	/* The race was run, not avoided: blobs were removed under us. */
	assert_true(atomic_load(&sw.removed) > 0);
	/* A message holds its body row, so the row is the one stored. */
	for (size_t k = 0; k < live; k++) {
		arena_reset(f->u.arena);
		reads_back_whole(f, body_ids[k], &bodies[which[k]]);
	}
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_outside_body_reads_back_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_body_in_the_database_stays_readable, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_damaged_or_missing_blob_is_an_error, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_only_hashes_name_blobs,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_forgotten_body_blob_removed_after_its_wait, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_sweep_keeps_a_blob_whose_body_came_back, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_writer_puts_back_a_blob_swept_after_staging, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_a_body_still_shown_is_kept,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_body_delivered_to_nobody_is_forgotten, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_no_body_loses_its_blob_under_a_concurrent_sweep,
			setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
