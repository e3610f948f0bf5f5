/*
 * The text index of message bodies (store_text.h, PERFORMANCE.md B3): a
 * body stored is pending until its texts are put; a put claims it only
 * while the body is the one read (its hash); an indexed answer is a
 * substring test, BODY on the body's text and TEXT on either, with the
 * characters FTS5 and LIKE would read as syntax taken as themselves; a
 * body forgotten takes its rows with it. Run on SQLite and, in the "pg"
 * suite, on PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"
#include "store/store_types.h"
#include "store/store_text.h"
#include "unit_instance.h"

static const struct store_message_meta meta = { "(NIL)", "(\"TEXT\")",
	"(\"TEXT\")", "Hello", "a@x", "b@x", "", "", "<1@x>", 0, 20 };

struct fixture {
	struct unit_instance u;
	int64_t folder_id;
};

struct body {
	char hash[65];
	struct store_body b;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (unit_instance_open(&f->u, "example.org", "cli") < 0)
		return -1;
	struct error err;
	f->folder_id = unit_instance_inbox(&f->u, "TEXT1", &err);
	if (f->folder_id < 0)
		fail_msg("inbox: %s", err.msg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc = unit_instance_close(&f->u);
	free(f);
	return rc;
}

/* A body of these bytes and one message of it: its UID. */
static int64_t
deliver(struct fixture *f, struct body *bd, const char *data,
	int64_t *body_id_r)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)data, strlen(data));
	sodium_bin2hex(bd->hash, sizeof(bd->hash), digest, sizeof(digest));
	bd->b = (struct store_body){ bd->hash, data, strlen(data), 100, &meta };
	struct error err;
	struct store *st = f->u.st;
	assert_int_equal(store_begin(st, &err), 0);
	int64_t body_id = store_body_put(st, &bd->b, &err);
	if (body_id < 0)
		fail_msg("put: %s", err.msg);
	struct store_delivery d = { .body_id = body_id,
		.size = (int64_t)bd->b.size, .internal_date = 100,
		.folder_ids = &f->folder_id, .folder_count = 1,
		.sender = "a@x.example" };
	int64_t uid;
	assert_int_equal(store_deliver(st, &d, &uid, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	*body_id_r = body_id;
	return uid;
}

static bool
put(struct fixture *f, int64_t body_id, const char *hash, const char *header,
	const char *body)
{
	struct error err;
	bool done;
	assert_int_equal(store_begin(f->u.st, &err), 0);
	if (store_text_put(f->u.st, body_id, hash, header, body, &done,
		    &err) < 0)
		fail_msg("text put: %s", err.msg);
	assert_int_equal(store_commit(f->u.st, &err), 0);
	return done;
}

/*
 * The UIDs found for word in f's folder, as "1 2 3", with what the search
 * cost: the store's own count of its work (SQLite's VM steps: every row
 * a loop visits, index rows included) and the text index's.
 */
static const char *
find_cost(struct fixture *f, const char *word, bool body_only,
	uint64_t *work_r, struct store_text_cost *cost_r)
{
	struct error err;
	int64_t *uids;
	size_t n;
	uint64_t before = store_work(f->u.st);
	if (store_text_find(f->u.st, f->folder_id, 1, 100000, word,
		    body_only, f->u.arena, &uids, &n, cost_r, &err) < 0)
		fail_msg("find %s: %s", word, err.msg);
	*work_r = store_work(f->u.st) - before;
	char *out = arena_alloc(f->u.arena, 16 * n + 1);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), 16, "%s%lld", i > 0 ? " " : "",
			(long long)uids[i]);
	return out;
}

/* The UIDs found for word, as "1 2 3" ("" for none). */
static const char *
find(struct fixture *f, const char *word, bool body_only)
{
	uint64_t work;
	return find_cost(f, word, body_only, &work, NULL);
}

static size_t
unindexed(struct fixture *f)
{
	struct error err;
	int64_t *uids;
	size_t n;
	if (store_text_unindexed(f->u.st, f->folder_id, 1, 1000, f->u.arena,
		    &uids, &n, &err) < 0)
		fail_msg("unindexed: %s", err.msg);
	return n;
}

static void
test_pending_until_put_and_claimed_by_hash(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct body a, b;
	int64_t ida, idb;
	deliver(f, &a, "Subject: a\r\n\r\nfirst\r\n", &ida);
	deliver(f, &b, "Subject: b\r\n\r\nsecond\r\n", &idb);
	int64_t pending;
	assert_int_equal(store_text_pending_count(f->u.st, &pending, &err), 0);
	assert_int_equal(pending, 2);
	assert_int_equal(unindexed(f), 2);
	struct store_text_pending *rows;
	size_t n;
	assert_int_equal(store_text_pending_page(f->u.st, 0, 10, f->u.arena,
				 &rows, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].body_id, ida);
	assert_string_equal(rows[0].hash, a.hash);
	assert_int_equal(rows[0].size, (int64_t)a.b.size);
	assert_int_equal(store_text_pending_page(f->u.st, ida, 10, f->u.arena,
				 &rows, &n, &err), 0);
	assert_int_equal(n, 1);
	/* Another body's bytes do not claim it. */
	assert_false(put(f, ida, b.hash, "subject: a", "first"));
	assert_int_equal(unindexed(f), 2);
	assert_true(put(f, ida, a.hash, "subject: a", "first"));
	assert_int_equal(unindexed(f), 1);
	/* Once only. */
	assert_false(put(f, ida, a.hash, "subject: a", "first"));
	assert_string_equal(find(f, "first", true), "1");
	/* Empty texts: claimed, and nothing can be found in them. */
	assert_true(put(f, idb, b.hash, "", ""));
	assert_int_equal(unindexed(f), 0);
	assert_int_equal(store_text_pending_count(f->u.st, &pending, &err), 0);
	assert_int_equal(pending, 0);
}

static void
test_substrings_body_and_text(void **state)
{
	struct fixture *f = *state;
	static const char *const texts[][2] = {
		{ "subject: night rota", "cover the night-shift please" },
		{ "subject: 100% sure", "a_b c%d q\"t s*t back\\slash" },
		{ "subject: ελλάδα", "москва grusse" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct body bd;
		int64_t id;
		char data[64];
		snprintf(data, sizeof(data), "Subject: %zu\r\n\r\nx\r\n", i);
		deliver(f, &bd, data, &id);
		assert_true(put(f, id, bd.hash, texts[i][0], texts[i][1]));
	}
	assert_string_equal(find(f, "night", true), "1");
	assert_string_equal(find(f, "night", false), "1");
	assert_string_equal(find(f, "rota", true), "");
	assert_string_equal(find(f, "rota", false), "1");
	assert_string_equal(find(f, "t-sh", true), "1");
	assert_string_equal(find(f, "the night", true), "1");
	/* Never across header and body. */
	assert_string_equal(find(f, "rota cover", false), "");
	/* Syntax of neither engine: each character is itself. */
	assert_string_equal(find(f, "a_b", true), "2");
	assert_string_equal(find(f, "a%b", true), "");
	assert_string_equal(find(f, "c%d", true), "2");
	assert_string_equal(find(f, "0% s", false), "2");
	assert_string_equal(find(f, "q\"t", true), "2");
	assert_string_equal(find(f, "s*t", true), "2");
	assert_string_equal(find(f, "k\\s", true), "2");
	assert_string_equal(find(f, "b c", true), "2");
	assert_string_equal(find(f, "%%%", false), "");
	/* Not ASCII. */
	assert_string_equal(find(f, "ллá", false), "");
	assert_string_equal(find(f, "λλά", false), "3");
	assert_string_equal(find(f, "сква", true), "3");
	assert_string_equal(find(f, "москва grusse", true), "3");
	/* Three characters, not bytes. */
	assert_false(store_text_indexable("ab"));
	assert_false(store_text_indexable("λλ"));
	assert_true(store_text_indexable("λλά"));
	assert_true(store_text_indexable("a b"));
}

static void
test_forgotten_body_leaves_no_rows(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct body a, b;
	int64_t ida, idb;
	int64_t uid = deliver(f, &a, "Subject: a\r\n\r\nfirst\r\n", &ida);
	deliver(f, &b, "Subject: b\r\n\r\nsecond\r\n", &idb);
	assert_true(put(f, ida, a.hash, "", "findable words"));
	assert_string_equal(find(f, "findable", true), "1");
	struct store *st = f->u.st;
	int64_t forgotten = -1;
	assert_int_equal(store_begin(st, &err), 0);
	/* Two in one statement (their bodies' rows, one a UID). */
	int64_t both[] = { uid, uid + 1 };
	assert_int_equal(store_message_expunge(st, f->folder_id, both, 2,
				 &err), 0);
	assert_true(store_bodies_forget(st, 100, -1, &forgotten, &err) >= 2);
	assert_int_equal(forgotten, 2);
	assert_int_equal(store_commit(st, &err), 0);
	int64_t pending;
	assert_int_equal(store_text_pending_count(st, &pending, &err), 0);
	assert_int_equal(pending, 0);
	/* A new body with the same words is not found through the old row. */
	struct body c;
	int64_t idc;
	int64_t uidc = deliver(f, &c, "Subject: c\r\n\r\nthird\r\n", &idc);
	assert_string_equal(find(f, "findable", true), "");
	assert_int_equal(unindexed(f), 1);
	assert_true(put(f, idc, c.hash, "", "findable again"));
	char want[16];
	snprintf(want, sizeof(want), "%lld", (long long)uidc);
	assert_string_equal(find(f, "findable", true), want);
}

/*
 * count bodies in folder_id, each indexed with body text "w<i> " plus
 * word, in one transaction.
 */
static void
fill(struct fixture *f, int64_t folder_id, int count, const char *word)
{
	static int serial;
	struct error err;
	struct store *st = f->u.st;
	assert_int_equal(store_begin(st, &err), 0);
	for (int i = 0; i < count; i++) {
		char data[96], text[96];
		snprintf(data, sizeof(data), "Subject: fill %d\r\n\r\n%d\r\n",
			serial, serial);
		snprintf(text, sizeof(text), "w%d %s", serial, word);
		serial++;
		struct body bd;
		unsigned char digest[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(digest, (const unsigned char *)data,
			strlen(data));
		sodium_bin2hex(bd.hash, sizeof(bd.hash), digest,
			sizeof(digest));
		bd.b = (struct store_body){ bd.hash, data, strlen(data), 100,
			&meta };
		int64_t body_id = store_body_put(st, &bd.b, &err);
		if (body_id < 0)
			fail_msg("put: %s", err.msg);
		struct store_delivery d = { .body_id = body_id,
			.size = (int64_t)bd.b.size, .internal_date = 100,
			.folder_ids = &folder_id, .folder_count = 1,
			.sender = "a@x.example" };
		int64_t uid;
		bool done = false;
		if (store_deliver(st, &d, &uid, &err) < 0 ||
		    store_text_put(st, body_id, bd.hash, "subject: fill", text,
			    &done, &err) < 0)
			fail_msg("fill: %s", err.msg);
		assert_true(done);
	}
	assert_int_equal(store_commit(st, &err), 0);
}

/* Another mailbox's INBOX. */
static int64_t
other_folder(struct fixture *f)
{
	struct error err;
	struct store_org o = { .ods = "TEXT2", .name = "TEXT2", .type = "",
		.postal_address = "", .description = "", .website = "",
		.helpdesk_phone = "", .helpdesk_email = "",
		.default_quota_mb = 100, .created_at = 1, .updated_at = 1 };
	struct store_mailbox m = { .kind = STORE_MAILBOX_SHARED,
		.address = "other@example.org", .display_name = "Other",
		.quota_mb = 10000, .status = STORE_MAILBOX_ACTIVE,
		.created_at = 1, .updated_at = 1 };
	struct store_folder folder = { .name = "INBOX",
		.special_use = "inbox", .uidvalidity = 1795000001,
		.subscribed = true, .created_at = 1 };
	if (store_org_insert(f->u.st, &o, &err) < 0)
		fail_msg("org: %s", err.msg);
	m.org_id = o.id;
	if (store_mailbox_insert(f->u.st, &m, &err) < 0)
		fail_msg("mailbox: %s", err.msg);
	folder.mailbox_id = m.id;
	if (store_folder_create(f->u.st, &folder, &err) < 0)
		fail_msg("folder: %s", err.msg);
	return folder.id;
}

/*
 * The index is the whole store's, but a search costs what its folder
 * costs: a word in a thousand other mailboxes' bodies is looked for in
 * the folder's six messages, not in the thousand, and a thousand more
 * change nothing of the work (today's order, the index first, read each
 * of them and so twice the work). A word in few bodies is still asked of
 * the index first. The answers are the same either way.
 */
static void
test_common_word_costs_the_folder(void **state)
{
	struct fixture *f = *state;
	int64_t others = other_folder(f);
	fill(f, f->folder_id, 2, "the patient");
	fill(f, f->folder_id, 3, "no one");
	fill(f, f->folder_id, 1, "a scarce word");
	fill(f, others, 1000, "the patient");
	fill(f, others, 1, "a scarce word");
	bool sqlite = strcmp(f->u.backend, "sqlite") == 0;
	uint64_t work[2];
	struct store_text_cost cost;
	for (int round = 0; round < 2; round++) {
		assert_string_equal(find_cost(f, "patient", true, &work[round],
					    &cost), "1 2");
		assert_true(cost.folder_first);
		assert_int_equal(cost.folder_rows, 6);
		assert_true(cost.index_rows <= 8 * 6 + 1);
		if (sqlite)
			/* ~1,100 steps; the index first took 18,000. */
			assert_true(work[round] < 3000);
		uint64_t w;
		assert_string_equal(find_cost(f, "the patient", false, &w,
					    &cost), "1 2");
		assert_true(cost.folder_first);
		assert_string_equal(find_cost(f, "fill", false, &w, &cost),
			"1 2 3 4 5 6");
		assert_true(cost.folder_first);
		/* In every header, in no body. */
		assert_string_equal(find_cost(f, "fill", true, &w, &cost), "");
		assert_int_equal(cost.folder_first, !sqlite);
		if (round == 0)
			fill(f, others, 1000, "the patient");
	}
	if (sqlite)
		assert_int_equal(work[1], work[0]);
	/*
	 * A word in few bodies: SQLite asks the index first; PostgreSQL
	 * reads a folder of up to 1,000 messages first outright (its GIN
	 * bitmap cannot be cut short), and asks the index for a larger one.
	 */
	uint64_t w;
	assert_string_equal(find_cost(f, "scarce", true, &w, &cost), "6");
	assert_int_equal(cost.folder_first, !sqlite);
	assert_int_equal(cost.index_rows, sqlite ? 2 : 0);
	assert_int_equal(cost.folder_rows, sqlite ? 0 : 6);
	assert_string_equal(find_cost(f, "nowhere", false, &w, &cost), "");
	assert_int_equal(cost.folder_first, !sqlite);
	assert_int_equal(cost.index_rows, 0);
	fill(f, f->folder_id, 1000, "more");
	assert_string_equal(find_cost(f, "scarce", true, &w, &cost), "6");
	assert_false(cost.folder_first);
	assert_int_equal(cost.index_rows, 2);
	/* 2,002 bodies, fewer than eight per message of 1,006. */
	assert_string_equal(find_cost(f, "patient", true, &w, &cost), "1 2");
	assert_false(cost.folder_first);
	assert_int_equal(cost.index_rows, 2002);
	assert_string_equal(find_cost(f, "nowhere", false, &w, &cost), "");
	assert_false(cost.folder_first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_pending_until_put_and_claimed_by_hash, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_substrings_body_and_text,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_forgotten_body_leaves_no_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_common_word_costs_the_folder, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
