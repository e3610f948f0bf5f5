/*
 * The secure portal's rules (mail_portal.h) on a real SQLite store: a
 * code's 15 minutes (good at 899 s, not at 900), its 5 tries, its
 * browser, 5 codes an hour, sessions' idle and absolute ends, revoking,
 * expiry and purging, and another address's or sender's message refused.
 * Messages are sealed with mail_seal and stored as intake stores them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/error.h"
#include "mail/mail_portal.h"
#include "mail/mail_seal.h"
#include "store/store_secure.h"
#include "unit_instance.h"

#define SENDER "ann@example.org"
#define READER "pat@gmail.example"
#define OTHER "sam@gmail.example"
#define BROWSER "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define BROWSER2 "ccccccccccccccccccccccccccccccccccccccccccc"

static const char MESSAGE[] =
	"From: Ann <ann@example.org>\r\n"
	"To: pat@gmail.example, sam@gmail.example\r\n"
	"Subject: [secure] Results\r\n"
	"Message-ID: <r@example.org>\r\n"
	"\r\n"
	"The biopsy was clear.\r\n";

struct fixture {
	struct unit_instance u;
	int64_t message_id;
	char link[MAIL_SEAL_LINK_SIZE];		/* READER's */
	char other_link[MAIL_SEAL_LINK_SIZE];	/* OTHER's */
	int64_t recipient_id;
};

static void
add_recipient(struct fixture *f, const char *address, char *link,
	int64_t *id_r)
{
	struct error err;
	char hash[MAIL_SEAL_HASH_SIZE];
	mail_seal_link_new(link, hash);
	struct store_secure_recipient r = { .message_id = f->message_id,
		.address = address, .link_hash = hash };
	assert_int_equal(store_secure_recipient_insert(f->u.st, &r, &err), 0);
	if (id_r != NULL)
		*id_r = r.id;
}

/* Seals text as intake does and stores it from SENDER; its id. */
static int64_t
store_sealed(struct fixture *f, const char *text, size_t len,
	int64_t expires_at)
{
	struct error err;
	struct mail_sealed s;
	assert_int_equal(mail_seal(f->u.ctx.seal_key, text, len, f->u.arena,
		&s, &err), 0);
	struct store_secure_message m = {
		.uid = s.uid, .sender = SENDER, .created_at = 1000,
		.expires_at = expires_at, .key_id = s.key_id,
		.wrapped_key = s.wrapped_key,
		.wrapped_key_len = s.wrapped_key_len,
		.ciphertext = s.ciphertext, .ciphertext_len = s.ciphertext_len,
		.size = (int64_t)len,
	};
	assert_int_equal(store_secure_message_insert(f->u.st, &m, &err), 0);
	return m.id;
}

/* A new code for READER's recipient row, bound to BROWSER. */
static void
new_code(struct fixture *f, char code[MAIL_PORTAL_CODE_DIGITS + 1])
{
	struct error err;
	assert_int_equal(mail_portal_code_new(&f->u.ctx, f->recipient_id,
		BROWSER, code, &err), 0);
}

static int
setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	assert_int_equal(unit_instance_open(&f->u, "example.org", "system"), 0);
	f->message_id = store_sealed(f, MESSAGE, sizeof(MESSAGE) - 1,
		1000 + 90 * 86400);
	add_recipient(f, READER, f->link, &f->recipient_id);
	add_recipient(f, OTHER, f->other_link, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(unit_instance_close(&f->u), 0);
	test_free(f);
	return 0;
}

/* ---- pure rules ---- */

static void
test_code_check_table(void **state)
{
	char code_hash[MAIL_PORTAL_HASH_SIZE], browser[MAIL_PORTAL_HASH_SIZE];
	mail_portal_code_hash("123456", BROWSER, code_hash);
	mail_portal_hash(BROWSER, browser);
	struct store_secure_code base = { .code_hash = code_hash,
		.browser_hash = browser, .created_at = 1000,
		.expires_at = 1000 + MAIL_PORTAL_CODE_TTL_S };
	static const struct {
		int64_t now, attempts, used_at;
		const char *browser, *code;
		enum mail_portal_code_verdict want;
	} cases[] = {
		{ 1000, 0, 0, BROWSER, "123456", MAIL_PORTAL_CODE_OK },
		{ 1899, 0, 0, BROWSER, "123456", MAIL_PORTAL_CODE_OK },
		/* Exactly 15 minutes on, it no longer works. */
		{ 1900, 0, 0, BROWSER, "123456", MAIL_PORTAL_CODE_TOO_OLD },
		{ 1000, 0, 0, BROWSER, "123457", MAIL_PORTAL_CODE_WRONG },
		{ 1000, 4, 0, BROWSER, "123456", MAIL_PORTAL_CODE_OK },
		{ 1000, 5, 0, BROWSER, "123456", MAIL_PORTAL_CODE_USED_UP },
		{ 1000, 0, 0, BROWSER2, "123456",
		  MAIL_PORTAL_CODE_OTHER_BROWSER },
		{ 1000, 0, 0, "", "123456", MAIL_PORTAL_CODE_OTHER_BROWSER },
		{ 1000, 0, 1001, BROWSER, "123456", MAIL_PORTAL_CODE_USED },
		{ 1000, 0, 0, BROWSER, "", MAIL_PORTAL_CODE_WRONG },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct store_secure_code c = base;
		c.attempts = cases[i].attempts;
		c.used_at = cases[i].used_at;
		assert_int_equal(mail_portal_code_check(&c, cases[i].browser,
			cases[i].code, cases[i].now), cases[i].want);
	}
}

static void
test_session_ends(void **state)
{
	/* 30 minutes after the last request, never past 12 hours. */
	assert_int_equal(mail_portal_session_end(0, 0), 1800);
	assert_int_equal(mail_portal_session_end(0, 1000), 2800);
	assert_int_equal(mail_portal_session_end(0, 42000), 43200);
	assert_int_equal(mail_portal_session_end(0, 43199), 43200);
}

static void
test_tokens(void **state)
{
	char a[MAIL_PORTAL_TOKEN_SIZE], b[MAIL_PORTAL_TOKEN_SIZE];
	mail_portal_token_new(a);
	mail_portal_token_new(b);
	assert_true(mail_portal_token_is_valid(a));
	assert_string_not_equal(a, b);
	assert_false(mail_portal_token_is_valid("short"));
	assert_false(mail_portal_token_is_valid(NULL));
	assert_false(mail_portal_token_is_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa="));
	/* The link hash is the one intake stored. */
	char h1[MAIL_PORTAL_HASH_SIZE], h2[MAIL_SEAL_HASH_SIZE];
	mail_portal_hash(a, h1);
	mail_seal_link_hash(a, h2);
	assert_string_equal(h1, h2);
}

/* ---- codes and sign-in ---- */

static void
test_five_wrong_tries_kill_the_code(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	char code[MAIL_PORTAL_CODE_DIGITS + 1], wrong[8];
	new_code(f, code);
	assert_int_equal(strlen(code), 6);
	snprintf(wrong, sizeof(wrong), "%06d",
		(int)((strtol(code, NULL, 10) + 1) % 1000000));
	struct mail_portal_session s;
	static const char *const left[] = { "4 tries", "3 tries", "2 tries",
		"1 try" };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(mail_portal_signin_code(ctx, f->link, wrong,
			BROWSER, &s, &err), -1);
		assert_int_equal(err.code, ERROR_INVALID);
		assert_string_equal(err.field, "code");
		assert_non_null(strstr(err.msg, left[i]));
	}
	assert_int_equal(mail_portal_signin_code(ctx, f->link, wrong, BROWSER,
		&s, &err), -1);
	assert_non_null(strstr(err.msg, "last try"));
	/* The right code is refused now: ask for a new one. */
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), -1);
	assert_non_null(strstr(err.msg, "new code"));
	/* A new code works. */
	new_code(f, code);
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), 0);
	assert_string_equal(s.address, READER);
	/* Once. */
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), -1);
	assert_non_null(strstr(err.msg, "used already"));
}

static void
test_code_expires_at_fifteen_minutes(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	char code[MAIL_PORTAL_CODE_DIGITS + 1];
	struct mail_portal_session s;
	new_code(f, code);
	ctx->now += MAIL_PORTAL_CODE_TTL_S;
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), -1);
	assert_non_null(strstr(err.msg, "15 minutes"));
	ctx->now -= 1;
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), 0);
}

static void
test_code_is_bound_to_the_browser(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	char code[MAIL_PORTAL_CODE_DIGITS + 1];
	struct mail_portal_session s;
	new_code(f, code);
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER2,
		&s, &err), -1);
	assert_non_null(strstr(err.msg, "another browser"));
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, NULL, &s,
		&err), -1);
	/* And a code for one recipient is not another's. */
	assert_int_equal(mail_portal_signin_code(ctx, f->other_link, code,
		BROWSER, &s, &err), -1);
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), 0);
}

static void
test_five_codes_an_hour(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	char code[MAIL_PORTAL_CODE_DIGITS + 1];
	for (int i = 0; i < MAIL_PORTAL_CODES_PER_HOUR; i++)
		assert_int_equal(mail_portal_code_new(ctx, f->recipient_id,
			BROWSER, code, &err), 0);
	assert_int_equal(mail_portal_code_new(ctx, f->recipient_id, BROWSER,
		code, &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	ctx->now += MAIL_PORTAL_CODE_WINDOW_S + 1;
	new_code(f, code);
}

static void
test_unknown_link(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_portal_link l;
	assert_int_equal(mail_portal_link_open(&f->u.ctx,
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &l, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_int_equal(mail_portal_link_open(&f->u.ctx, "x", &l, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_int_equal(mail_portal_link_open(&f->u.ctx, f->link, &l, &err),
		0);
	assert_string_equal(l.recipient, READER);
	assert_string_equal(l.sender, SENDER);
	assert_false(l.has_password);
}

/* ---- reading, revoking, expiry ---- */

static void
test_read_only_ones_own(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	struct mail_portal_message m;
	assert_int_equal(mail_portal_message_open(ctx, READER, f->message_id,
		&m, &err), 0);
	assert_string_equal(m.subject, "[secure] Results");
	assert_non_null(strstr(m.text, "biopsy was clear"));
	assert_int_equal(m.to_count, 2);
	assert_int_equal(mail_portal_message_open(ctx, "eve@gmail.example",
		f->message_id, &m, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	struct mail_portal_item *items;
	size_t n;
	assert_int_equal(mail_portal_messages(ctx, "eve@gmail.example", &items,
		&n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mail_portal_messages(ctx, READER, &items, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_true(items[0].read);
}

/* A message with only HTML is read as its text, never as markup. */
static void
test_html_only_is_text(void **state)
{
	static const char html[] =
		"From: <ann@example.org>\r\n"
		"To: <pat@gmail.example>\r\n"
		"Subject: =?UTF-8?B?W3NlY3VyZV0gUsOpc3VsdGF0cw==?=\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"\r\n"
		"<p>Clear <b>biopsy</b></p><script>alert(1)</script>\r\n";
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	int64_t id = store_sealed(f, html, sizeof(html) - 1, 5000);
	f->message_id = id;
	char link[MAIL_SEAL_LINK_SIZE];
	add_recipient(f, READER, link, NULL);
	struct mail_portal_message got;
	assert_int_equal(mail_portal_message_open(ctx, READER, id, &got,
		&err), 0);
	assert_string_equal(got.subject, "[secure] Résultats");
	assert_non_null(strstr(got.text, "Clear biopsy"));
	assert_null(strchr(got.text, '<'));
	assert_int_equal(got.attachment_count, 0);
	/* Newest first in the reader's list. */
	struct mail_portal_item *items;
	size_t n;
	assert_int_equal(mail_portal_messages(ctx, READER, &items, &n, &err),
		0);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].id, id);
	assert_string_equal(items[1].subject, "[secure] Results");
}

static void
test_revoke(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	struct mail_portal_sent sent;
	/* Not another sender's to revoke, in the words for none. */
	assert_int_equal(mail_portal_revoke(ctx, "bob@example.org",
		f->message_id, READER, &sent, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_int_equal(mail_portal_revoke(ctx, SENDER, f->message_id,
		"eve@gmail.example", &sent, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_int_equal(mail_portal_revoke(ctx, "Ann@Example.org",
		f->message_id, READER, &sent, &err), 0);
	assert_int_equal(sent.recipient_count, 2);
	assert_int_not_equal(sent.recipients[0].revoked_at, 0);
	assert_int_equal(sent.recipients[1].revoked_at, 0);
	struct mail_portal_link l;
	assert_int_equal(mail_portal_link_open(ctx, f->link, &l, &err), -1);
	assert_int_equal(err.code, ERROR_DENIED);
	assert_string_equal(err.field, MAIL_PORTAL_REVOKED);
	struct mail_portal_message m;
	assert_int_equal(mail_portal_message_open(ctx, READER, f->message_id,
		&m, &err), -1);
	assert_string_equal(err.field, MAIL_PORTAL_REVOKED);
	struct mail_portal_attachment a;
	assert_int_equal(mail_portal_attachment_get(ctx, READER,
		f->message_id, 0, &a, &err), -1);
	assert_string_equal(err.field, MAIL_PORTAL_REVOKED);
	/* The other recipient still reads it. */
	assert_int_equal(mail_portal_message_open(ctx, OTHER, f->message_id,
		&m, &err), 0);
	/* Refusals are in the access log. */
	struct store_secure_access *log;
	size_t n;
	assert_int_equal(mail_portal_sent_get(ctx, SENDER, f->message_id,
		&sent, &log, &n, &err), 0);
	bool refused = false;
	for (size_t i = 0; i < n; i++)
		refused |= !log[i].ok && strcmp(log[i].address, READER) == 0;
	assert_true(refused);
	assert_int_equal(mail_portal_sent_get(ctx, "bob@example.org",
		f->message_id, &sent, &log, &n, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
}

static void
test_expiry_and_purge(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	struct mail_portal_message m;
	int64_t n = -1;
	assert_int_equal(mail_portal_purge(ctx, &n, &err), 0);
	assert_int_equal(n, 0);
	ctx->now = 1000 + 90 * 86400 - 1;
	assert_int_equal(mail_portal_message_open(ctx, READER, f->message_id,
		&m, &err), 0);
	ctx->now += 1;
	assert_int_equal(mail_portal_message_open(ctx, READER, f->message_id,
		&m, &err), -1);
	assert_string_equal(err.field, MAIL_PORTAL_EXPIRED);
	assert_int_equal(mail_portal_purge(ctx, &n, &err), 0);
	assert_int_equal(n, 1);
	/* Gone for good: not even the sender's subject is left. */
	struct mail_portal_sent sent;
	assert_int_equal(mail_portal_sent_get(ctx, SENDER, f->message_id,
		&sent, NULL, NULL, &err), 0);
	assert_string_equal(sent.subject, "");
	struct store_secure_message row;
	assert_int_equal(store_secure_message_get(f->u.st, f->message_id,
		f->u.arena, &row, &err), 0);
	assert_null(row.ciphertext);
	assert_null(row.wrapped_key);
}

static void
test_sessions(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	char code[MAIL_PORTAL_CODE_DIGITS + 1];
	struct mail_portal_session s, found;
	new_code(f, code);
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), 0);
	char token[MAIL_PORTAL_TOKEN_SIZE];
	memcpy(token, s.token, sizeof(token));
	/* Kept alive by use every 29 minutes up to 12 hours, no longer. */
	int64_t start = ctx->now;
	while (ctx->now + 1740 < start + MAIL_PORTAL_MAX_S) {
		ctx->now += 1740;
		assert_int_equal(mail_portal_session_find(ctx, token, &found,
			&err), 0);
		assert_string_equal(found.address, READER);
	}
	ctx->now = start + MAIL_PORTAL_MAX_S;
	assert_int_equal(mail_portal_session_find(ctx, token, &found, &err),
		-1);
	/* Idle for 30 minutes ends it. */
	ctx->now = start;
	new_code(f, code);
	assert_int_equal(mail_portal_signin_code(ctx, f->link, code, BROWSER,
		&s, &err), 0);
	ctx->now += MAIL_PORTAL_IDLE_S;
	assert_int_equal(mail_portal_session_find(ctx, s.token, &found, &err),
		-1);
	assert_int_equal(mail_portal_session_find(ctx, "nonsense", &found,
		&err), -1);
}

static void
test_password(void **state)
{
	struct fixture *f = *state;
	struct dir_ctx *ctx = &f->u.ctx;
	struct error err;
	struct mail_portal_session s;
	assert_int_equal(mail_portal_signin_password(ctx, READER,
		"a long passphrase for me", &s, &err), -1);
	assert_int_equal(err.code, ERROR_DENIED);
	assert_int_equal(mail_portal_password_set(ctx, READER, "short", &err),
		-1);
	assert_string_equal(err.field, "password");
	assert_int_equal(mail_portal_password_set(ctx, READER,
		"a long passphrase for me", &err), 0);
	assert_int_equal(mail_portal_signin_password(ctx, "PAT@gmail.example",
		"a long passphrase for me", &s, &err), 0);
	assert_string_equal(s.address, READER);
	assert_int_equal(mail_portal_signin_password(ctx, READER,
		"a long passphrase for mE", &s, &err), -1);
	assert_int_equal(err.code, ERROR_DENIED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_check_table),
		cmocka_unit_test(test_session_ends),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test_setup_teardown(
			test_five_wrong_tries_kill_the_code, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_code_expires_at_fifteen_minutes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_code_is_bound_to_the_browser, setup, teardown),
		cmocka_unit_test_setup_teardown(test_five_codes_an_hour,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_link, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_read_only_ones_own, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_html_only_is_text, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_purge, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_password, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
