/*
 * Routing and delivery on a real store: unknown, closed and remote
 * recipients refused with reasons (no open relay), lists fanned out with
 * each mailbox once, special-use folders, the queue, quotas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_accept.h"
#include "mail/mail_dsn.h"
#include "mail/mail_folder.h"
#include "mail/mail_internal.h"
#include "mail/mail_notify.h"
#include "mail/mail_policy_stage.h"
#include "store/store.h"
#include "store/store_change.h"
#include "store/store_folder.h"
#include "store/store_internal.h"
#include "store/store_lifecycle.h"
#include "store/store_mail.h"
#include "store/store_mail_policy.h"
#include "store/store_queue.h"
#include "store/store_secure.h"
#include "store/store_selfsvc.h"
#include "store/store_writer.h"
#include "unit_instance.h"

struct fixture {
	struct unit_instance u;
	const char *ann, *bob;
	const char *list;
};

static const char *
person(struct fixture *f, const char *first, const char *last)
{
	struct dir_person_fields in = { .org_ods = "QWE",
		.first_name = first,
		.last_name = last,
		.mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
		fail_msg("%s", err.msg);
	return p.address;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error err;
	if (unit_instance_open(&f->u, "trust.example", "tester") < 0)
		return -1;
	struct dir_org_fields org = { .ods = "QWE",
		.name = "Org",
		.default_quota_mb = 1 };
	struct store_org o;
	if (dir_org_add(&f->u.ctx, &org, &o, &err) < 0)
		return -1;
	f->ann = person(f, "Ann", "One");
	f->bob = person(f, "Bob", "Two");
	struct store_list inner, outer;
	struct store_contact c;
	if (dir_list_add(&f->u.ctx, "QWE", "Inner", NULL, NULL, NULL, &inner,
		    &err) < 0 ||
		dir_list_add(&f->u.ctx, "QWE", "Team", NULL, NULL, NULL, &outer,
			&err) < 0 ||
		dir_contact_add(&f->u.ctx, "QWE", "Lab", "lab@hospital.example",
			&c, &err) < 0 ||
		dir_list_member_add(&f->u.ctx, inner.address, f->ann, &err) <
			0 ||
		dir_list_member_add(&f->u.ctx, inner.address, c.address, &err) <
			0 ||
		dir_list_member_add(&f->u.ctx, outer.address, inner.address,
			&err) < 0 ||
		dir_list_member_add(&f->u.ctx, outer.address, f->ann, &err) <
			0 ||
		dir_list_member_add(&f->u.ctx, outer.address, f->bob, &err) < 0)
		return -1;
	f->list = outer.address;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	if (unit_instance_close(&f->u) < 0)
		return -1;
	free(f);
	return 0;
}

static void
test_route_refusals(void **state)
{
	struct fixture *f = *state;
	struct mail_recipient *r;
	size_t n;
	struct error err;
	assert_int_equal(mail_route(&f->u.ctx, "nobody@trust.example", false,
				 &r, &n, &err),
		-1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "no mailbox"));
	/* Not an open relay: another domain needs the right to relay. */
	assert_int_equal(mail_route(&f->u.ctx, "x@example.org", false, &r, &n,
				 &err),
		-1);
	assert_int_equal(err.code, ERROR_DENIED);
	assert_int_equal(mail_route(&f->u.ctx, "x@example.org", true, &r, &n,
				 &err),
		0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].kind, MAIL_ROUTE_REMOTE);
	assert_int_equal(mail_route(&f->u.ctx, "bad..dots@trust.example", false,
				 &r, &n, &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(dir_person_delete(&f->u.ctx, f->bob, &err), 0);
	assert_int_equal(mail_route(&f->u.ctx, f->bob, false, &r, &n, &err),
		-1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "closed"));
	assert_int_equal(mail_route(&f->u.ctx, "ANN.ONE@Trust.Example", false,
				 &r, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].address, f->ann);
}

static void
test_route_list_expands(void **state)
{
	struct fixture *f = *state;
	struct mail_recipient *r;
	size_t n;
	struct error err;
	/* A list is one recipient at RCPT, whatever its size. */
	assert_int_equal(mail_route(&f->u.ctx, f->list, false, &r, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].kind, MAIL_ROUTE_LIST);
	assert_string_equal(r[0].address, f->list);
	/* Ann once (directly and through Inner), Bob, and the lab contact. */
	const char **addresses;
	assert_int_equal(dir_list_expand(&f->u.ctx, f->list, &addresses, &n,
				 &err),
		0);
	assert_int_equal(n, 3);
	assert_string_equal(addresses[0], f->ann);
	assert_string_equal(addresses[1], f->bob);
	assert_string_equal(addresses[2], "lab@hospital.example");
}

/*
 * What the policy stage asks of a list (dir_list_outside) is exactly the
 * outside part of what delivery reaches, nested lists included, for
 * each list of the fixture: no contact missed, no member read.
 */
static void
test_list_outside_is_the_outside_of_the_expansion(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_list lists[2];
	assert_int_equal(dir_list_get(&f->u.ctx, f->list, &lists[0], &err), 0);
	const char **all;
	size_t n_all;
	assert_int_equal(dir_list_expand(&f->u.ctx, f->list, &all, &n_all,
				 &err),
		0);
	/* The inner list is the outer's only nested member. */
	struct dir_member *members;
	size_t n_members;
	assert_int_equal(dir_list_members(&f->u.ctx, f->list, &members,
				 &n_members, &err),
		0);
	size_t checked = 0;
	for (size_t i = 0; i < n_members; i++) {
		if (dir_list_get(&f->u.ctx, members[i].address, &lists[1],
			    &err) < 0)
			continue;
		for (size_t l = 0; l < 2; l++) {
			const char **expanded, **outside;
			size_t n_expanded, n_outside, want = 0;
			assert_int_equal(dir_list_expand(&f->u.ctx,
						 lists[l].address, &expanded,
						 &n_expanded, &err),
				0);
			assert_int_equal(dir_list_outside(&f->u.ctx,
						 lists[l].id, &outside,
						 &n_outside, &err),
				0);
			for (size_t j = 0; j < n_expanded; j++) {
				const char *at = strrchr(expanded[j], '@');
				if (dir_domain_is_hosted(&f->u.ctx, at + 1))
					continue;
				assert_true(want < n_outside);
				assert_string_equal(outside[want], expanded[j]);
				want++;
			}
			assert_int_equal(n_outside, want);
			checked++;
		}
	}
	assert_int_equal(checked, 2);
}

static const char message[] = "From: Ann One <ann.one@trust.example>\r\n"
			      "To: Team <team@trust.example>\r\n"
			      "Subject: Rota for next week\r\n"
			      "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
			      "Message-ID: <rota-1@trust.example>\r\n"
			      "\r\n"
			      "Please see the rota.\r\n";

static void
test_deliver_list_and_person(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_recipient *list, *direct;
	size_t nl, nd;
	assert_int_equal(mail_route(&f->u.ctx, f->list, false, &list, &nl,
				 &err),
		0);
	assert_int_equal(mail_route(&f->u.ctx, f->ann, false, &direct, &nd,
				 &err),
		0);
	struct mail_recipient all[8];
	memcpy(all, list, nl * sizeof(*all));
	memcpy(all + nl, direct, nd * sizeof(*all));
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = 2000, .sender = "ann.one@trust.example" };
	struct mail_delivery_report report;
	if (mail_deliver(w, &f->u.ctx, &m, all, nl + nd, &report, &err) < 0)
		fail_msg("deliver: %s", err.msg);
	store_writer_stop(&w);
	struct store_mailbox mb;
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->ann, &mb, &err), 0);
	struct store_folder *folders;
	size_t nf;
	assert_int_equal(report.mailboxes, 2);
	assert_int_equal(report.over_quota, 0);
	/*
	 * The standard folders were made with the mailbox, before any
	 * delivery or sign-in; delivery made none.
	 */
	assert_int_equal(store_folder_list(f->u.st, mb.id, f->u.arena, &folders,
				 &nf, &err),
		0);
	assert_int_equal(nf, 5);
	struct store_folder inbox;
	assert_int_equal(store_folder_special(f->u.st, mb.id, "inbox",
				 f->u.arena, &inbox, &err),
		0);
	assert_string_equal(inbox.name, "INBOX");
	struct store_message *msgs;
	size_t n;
	assert_int_equal(store_folder_messages(f->u.st, inbox.id, 1, INT64_MAX,
				 100, STORE_MESSAGE_COLUMNS_ALL, f->u.arena,
				 &msgs, &n, &err),
		0);
	/* Reached three ways, delivered once. */
	assert_int_equal(n, 1);
	assert_string_equal(msgs[0].meta.subject, "Rota for next week");
	assert_int_equal(msgs[0].internal_date, 2000);
	struct store_queued *q;
	assert_int_equal(store_queue_list(f->u.st, 0, 100, true, f->u.arena, &q, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(q[0].recipient, "lab@hospital.example");
}

/*
 * The counts (checked against a recount) and the next UID of the Inbox
 * of the person at address; their mailbox's id.
 */
static int64_t
inbox_now(struct fixture *f, const char *address,
	struct store_folder_status *c_r, int64_t *uidnext_r)
{
	struct error err;
	struct store_mailbox mb;
	struct store_folder inbox;
	assert_int_equal(dir_mailbox_get(&f->u.ctx, address, &mb, &err), 0);
	assert_int_equal(store_folder_special(f->u.st, mb.id, "inbox",
				 f->u.arena, &inbox, &err),
		0);
	assert_int_equal(store_folder_counts(f->u.st, inbox.id, c_r, &err), 0);
	struct store_folder_status recount;
	assert_int_equal(store_folder_recount(f->u.st, inbox.id, &recount,
				 &err),
		0);
	assert_int_equal(c_r->messages, recount.messages);
	assert_int_equal(c_r->unseen, recount.unseen);
	*uidnext_r = inbox.uidnext;
	return mb.id;
}

/*
 * Each copy of a delivery counted once, whichever way it was stored:
 * a list's copies twice (on PostgreSQL counted by the statement that
 * stores them, its trigger told to leave them: migration 49; the first
 * makes each Inbox's counts row, the second moves it on), then a
 * person's (counted by the trigger), in one transaction, as group commit
 * may put them. The counts equal a recount, the change counters move by
 * one a copy, and the UIDs follow on; a copy counted twice, or the
 * trigger left told after the list's statement, shows in the counts.
 */
static void
test_list_and_person_copies_counted_once(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_folder_status ann0, bob0, ann1, bob1;
	int64_t ann_next0, bob_next0, ann_next1, bob_next1;
	int64_t ann = inbox_now(f, f->ann, &ann0, &ann_next0);
	int64_t bob = inbox_now(f, f->bob, &bob0, &bob_next0);
	static const struct store_message_meta meta = { "(NIL)", "(\"TEXT\")",
		"(\"TEXT\")", "Counted", "a@x", "b@x", "", "", "<c@x>", 0, 1 };
	struct store_body b = { "c0c0", "x", 1, 100, &meta };
	assert_int_equal(store_begin(f->u.st, &err), 0);
	int64_t body = store_body_put(f->u.st, &b, &err);
	assert_true(body > 0);
	struct store_delivery d = { .body_id = body, .size = 1,
		.internal_date = 100, .sender = "x@y.example", .many = true };
	int64_t delivered;
	for (int round = 0; round < 2; round++) {
		assert_int_equal(store_set_begin(f->u.st, &err), 0);
		assert_int_equal(store_set_add_mailbox(f->u.st, 1, ann, &err),
			0);
		assert_int_equal(store_set_add_mailbox(f->u.st, 1, bob, &err),
			0);
		if (store_deliver_set(f->u.st, 1, &d, &delivered, &err) < 0)
			fail_msg("list, round %d: %s", round, err.msg);
		assert_int_equal(delivered, 2);
	}
	assert_int_equal(store_set_begin(f->u.st, &err), 0);
	assert_int_equal(store_set_add_mailbox(f->u.st, 1, ann, &err), 0);
	d.many = false;
	if (store_deliver_set(f->u.st, 1, &d, &delivered, &err) < 0)
		fail_msg("person: %s", err.msg);
	assert_int_equal(delivered, 1);
	assert_int_equal(store_commit(f->u.st, &err), 0);
	inbox_now(f, f->ann, &ann1, &ann_next1);
	inbox_now(f, f->bob, &bob1, &bob_next1);
	assert_int_equal(ann1.messages, ann0.messages + 3);
	assert_int_equal(ann1.unseen, ann0.unseen + 3);
	assert_int_equal(ann1.changes, ann0.changes + 3);
	assert_int_equal(ann_next1, ann_next0 + 3);
	assert_int_equal(bob1.messages, bob0.messages + 2);
	assert_int_equal(bob1.unseen, bob0.unseen + 2);
	assert_int_equal(bob1.changes, bob0.changes + 2);
	assert_int_equal(bob_next1, bob_next0 + 2);
	/* The list's copies took the next UIDs, the person's the one after. */
	struct store_message *msgs;
	size_t n;
	struct store_folder inbox;
	assert_int_equal(store_folder_special(f->u.st, ann, "inbox", f->u.arena,
				 &inbox, &err),
		0);
	assert_int_equal(store_folder_messages(f->u.st, inbox.id, ann_next0,
				 INT64_MAX, 10, STORE_MESSAGE_COLUMNS_ALL,
				 f->u.arena, &msgs, &n, &err),
		0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(msgs[i].uid, ann_next0 + (int64_t)i);
}

static void
test_quota(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_recipient *r;
	size_t n;
	assert_int_equal(mail_route(&f->u.ctx, f->ann, false, &r, &n, &err), 0);
	assert_int_equal(mail_check_quota(f->u.st, &r[0], 1000, &err), 0);
	/* The org's quota is 1 MiB. */
	assert_int_equal(mail_check_quota(f->u.st, &r[0], 2 * 1024 * 1024,
				 &err),
		-1);
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_non_null(strstr(err.msg, "is full"));
}

/* s with its digits taken out, in place. */
static char *
without_digits(char *s)
{
	char *out = s;
	for (const char *p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			*out++ = *p;
	*out = '\0';
	return s;
}

/*
 * One quota rule, one refusal: SMTP's check at RCPT, IMAP APPEND and COPY
 * refuse the same mailbox's overflow in the same words, and the rule's
 * boundary is exact (at the quota fits, a byte past does not).
 */
static void
test_quota_one_rule_one_wording(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int64_t used, adding, quota_mb;
		bool fits;
	} cases[] = {
		{ 0, 0, 0, true },
		{ 0, 1, 0, false },
		{ 0, 1024 * 1024, 1, true },
		{ 1, 1024 * 1024, 1, false },
		{ 1024 * 1024, 0, 1, true },
		{ 1024 * 1024 + 1, 0, 1, false }, /* COPY checks after: adding 0 */
		{ 5 * 1024 * 1024, 1, 10, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(mail_quota_fits(cases[i].used, cases[i].adding,
					 cases[i].quota_mb),
			cases[i].fits);
	struct error smtp_err, imap_err;
	struct mail_recipient *r;
	size_t n;
	assert_int_equal(mail_route(&f->u.ctx, f->ann, false, &r, &n,
				 &smtp_err),
		0);
	size_t size = 2 * 1024 * 1024;
	assert_int_equal(mail_check_quota(f->u.st, &r[0], size, &smtp_err), -1);
	struct error err;
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	struct mail_user u;
	struct mail_folder inbox;
	assert_int_equal(mail_user_open(&f->u.ctx, w, f->ann, &u, &err), 0);
	assert_int_equal(mail_folder_open(&u, "INBOX", &inbox, &err), 0);
	char *data = malloc(size);
	memset(data, 'x', size);
	memcpy(data, "Subject: big\r\n\r\n", 16);
	struct mail_append m = { data, size, 0, "", 1000 };
	int64_t uid;
	assert_int_equal(mail_message_append(&u, &inbox, &m, &uid, &imap_err),
		-1);
	assert_int_equal(imap_err.code, ERROR_LIMIT);
	assert_int_equal(smtp_err.code, ERROR_LIMIT);
	assert_string_equal(imap_err.msg, smtp_err.msg);
	/* COPY into a full mailbox: the same sentence again. */
	m.size = 600 * 1024;
	assert_int_equal(mail_message_append(&u, &inbox, &m, &uid, &err), 0);
	int64_t uids[1] = { uid }, new_uids[1];
	assert_int_equal(mail_message_copy(&u, &inbox, uids, 1, &inbox, false,
				 new_uids, &imap_err),
		-1);
	assert_int_equal(imap_err.code, ERROR_LIMIT);
	assert_int_equal(mail_check_quota(f->u.st, &r[0], 600 * 1024,
				 &smtp_err),
		-1);
	/* COPY counts what it copied as used (it checks after): same words. */
	assert_string_equal(without_digits(imap_err.msg),
		without_digits(smtp_err.msg));
	free(data);
	store_writer_stop(&w);
}

/*
 * Delivery makes no folder: a mailbox that somehow lacks its Inbox fails
 * the whole delivery with a temporary error naming it, and nothing of the
 * message is kept for anyone (the sender's retry finds it repaired).
 */
static void
test_deliver_without_inbox_is_temporary(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox ann, bob;
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->ann, &ann, &err), 0);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->bob, &bob, &err), 0);
	struct store_folder inbox;
	assert_int_equal(store_folder_special(f->u.st, ann.id, "inbox",
				 f->u.arena, &inbox, &err),
		0);
	assert_int_equal(store_folder_delete(f->u.st, inbox.id, &err), 0);
	struct mail_recipient *list, *direct;
	size_t nl, nd;
	assert_int_equal(mail_route(&f->u.ctx, f->bob, false, &direct, &nd,
				 &err),
		0);
	assert_int_equal(mail_route(&f->u.ctx, f->list, false, &list, &nl,
				 &err),
		0);
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = 2000, .sender = "ann.one@trust.example" };
	/* Directly, and through the list: Ann's missing Inbox fails both. */
	for (int i = 0; i < 2; i++) {
		struct mail_recipient *to = i == 0 ? direct : list;
		size_t count = i == 0 ? nd : nl;
		struct mail_recipient all[8];
		memcpy(all, to, count * sizeof(*all));
		if (i == 0) {
			struct mail_recipient *a;
			size_t na;
			assert_int_equal(mail_route(&f->u.ctx, f->ann, false, &a,
						 &na, &err),
				0);
			all[count++] = a[0];
		}
		assert_int_equal(mail_deliver(w, &f->u.ctx, &m, all, count,
					 NULL, &err),
			-1);
		assert_int_equal(err.code, ERROR_TEMPORARY);
		assert_non_null(strstr(err.msg, f->ann));
	}
	store_writer_stop(&w);
	int64_t used;
	assert_int_equal(store_mailbox_used(f->u.st, bob.id, &used, &err), 0);
	assert_int_equal(used, 0);
	struct store_queued *q;
	size_t n;
	assert_int_equal(store_queue_list(f->u.st, 0, 100, true, f->u.arena, &q, &n, &err),
		0);
	assert_int_equal(n, 0);
	assert_int_equal(store_folder_special(f->u.st, ann.id, "inbox",
				 f->u.arena, &inbox, &err),
		-1);	/* and delivery did not make one */
}

/* Messages in a mailbox's folder of a special use. */
static size_t
count_in(struct fixture *f, int64_t mailbox_id, const char *use)
{
	struct error err;
	struct store_folder folder;
	struct store_message *msgs;
	size_t n;
	assert_int_equal(store_folder_special(f->u.st, mailbox_id, use,
				 f->u.arena, &folder, &err),
		0);
	assert_int_equal(store_folder_messages(f->u.st, folder.id, 1,
				 INT64_MAX, 100, STORE_MESSAGE_COLUMNS_ALL,
				 f->u.arena, &msgs, &n, &err),
		0);
	return n;
}

/*
 * Ann's and Bob's mailboxes, Bob routed as a recipient (*to_r, *n_r) and
 * a group-commit writer on the fixture's store, for Ann to send to Bob.
 */
static struct store_writer *
ann_to_bob(struct fixture *f, struct store_mailbox *ann,
	struct store_mailbox *bob, struct mail_recipient **to_r, size_t *n_r)
{
	struct error err;
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->ann, ann, &err), 0);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->bob, bob, &err), 0);
	assert_int_equal(mail_route(&f->u.ctx, f->bob, false, to_r, n_r,
				 &err),
		0);
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	return w;
}

static size_t
message_audits(struct fixture *f, const char *result)
{
	struct store_audit_filter filter = { .object_type = "message" };
	struct store_audit *rows;
	size_t n, got = 0;
	struct error err;
	assert_int_equal(dir_audit_list(&f->u.ctx, &filter, &rows, &n, &err),
		0);
	for (size_t i = 0; i < n; i++)
		got += strcmp(rows[i].result, result) == 0;
	return got;
}

/*
 * The policy stage's audit rows (mail_message.notes) are written in the
 * delivery's commit: there with the message, also when every recipient
 * was stopped; and not at all when the delivery fails and keeps nothing
 * (the sender's retry brings them again).
 */
static void
test_accept_writes_notes_with_delivery(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox ann, bob;
	struct mail_recipient *to;
	size_t n;
	struct store_writer *w = ann_to_bob(f, &ann, &bob, &to, &n);
	const struct mail_audit_note notes[] = {
		{ "{\"event\":\"dlp\",\"decision\":\"deliver\"}", false },
		{ "{\"event\":\"dlp\",\"decision\":\"refuse\"}", true },
	};
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = 2000, .sender = f->ann, .notes = notes,
		.note_count = 2 };
	size_t done = message_audits(f, "done"),
	       denied = message_audits(f, "denied");
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), 0);
	assert_int_equal(count_in(f, bob.id, "inbox"), 1);
	assert_int_equal(message_audits(f, "done"), done + 1);
	assert_int_equal(message_audits(f, "denied"), denied + 1);
	/* Every recipient stopped: no copy, the rows all the same. */
	const char *const stopped[] = { "Your message to bob was stopped." };
	m.note_count = 1;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, stopped, NULL, NULL,
		&err), 0);
	assert_int_equal(count_in(f, bob.id, "inbox"), 1);
	assert_int_equal(message_audits(f, "done"), done + 2);
	/* A delivery that fails keeps no row. */
	struct store_folder inbox;
	assert_int_equal(store_folder_special(f->u.st, bob.id, "inbox",
				 f->u.arena, &inbox, &err),
		0);
	assert_int_equal(store_folder_delete(f->u.st, inbox.id, &err), 0);
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	store_writer_stop(&w);
	assert_int_equal(message_audits(f, "done"), done + 2);
	assert_int_equal(message_audits(f, "denied"), denied + 1);
}

#define DAY 86400
/* The last second of a UTC day, and the first of the next. */
#define DAY_END (20000 * (int64_t)DAY + DAY - 1)
#define NEXT_DAY (20001 * (int64_t)DAY)

/* A person's recipients counted for a day (days since the epoch). */
static int64_t
sent_on(struct fixture *f, const char *address, int64_t day)
{
	struct store_sender_state st;
	struct error err;
	assert_int_equal(store_sender_state_get(f->u.st, address, day,
				 f->u.arena, &st, &err),
		0);
	return st.sent_today;
}

static int64_t
person_id(struct fixture *f, const char *address)
{
	struct store_sender_state st;
	struct error err;
	assert_int_equal(store_sender_state_get(f->u.st, address, 0,
				 f->u.arena, &st, &err),
		0);
	return st.person_id;
}

/*
 * The sending limits' count (SPEC M7) is added in the delivery's own
 * commit, to the UTC day of the message's time: the last second of a day
 * counts for it, the next second for the next day; recipients stopped
 * are not counted, and a delivery that fails keeps no count.
 */
static void
test_send_count_in_the_delivery_commit(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox ann, bob;
	struct mail_recipient *to;
	size_t n;
	struct store_writer *w = ann_to_bob(f, &ann, &bob, &to, &n);
	int64_t day = DAY_END / DAY;
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = DAY_END, .sender = f->ann,
		.sent_by = person_id(f, f->ann) };
	assert_int_equal(sent_on(f, f->ann, day), 0);
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), 0);
	assert_int_equal(sent_on(f, f->ann, day), 1);
	m.received_at = NEXT_DAY;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), 0);
	assert_int_equal(sent_on(f, f->ann, day), 1);
	assert_int_equal(sent_on(f, f->ann, day + 1), 1);
	/* Every recipient stopped: nothing counted. */
	const char *const stopped[] = { "stopped" };
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, stopped, NULL, NULL,
		&err), 0);
	assert_int_equal(sent_on(f, f->ann, day + 1), 1);
	/* A failed delivery keeps nothing, its count included. */
	struct store_folder inbox;
	assert_int_equal(store_folder_special(f->u.st, bob.id, "inbox",
				 f->u.arena, &inbox, &err),
		0);
	assert_int_equal(store_folder_delete(f->u.st, inbox.id, &err), 0);
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), -1);
	store_writer_stop(&w);
	assert_int_equal(sent_on(f, f->ann, day + 1), 1);
	/* Bob's count is his own. */
	assert_int_equal(sent_on(f, f->bob, day + 1), 0);
}

/* The policy stage's plan for Ann sending this message to `to`, at now. */
static struct mail_arrival_plan
ann_arrives(struct fixture *f, const struct mail_policy_settings *s,
	const struct mail_recipient *to, size_t n, int64_t now)
{
	struct mail_arrival in = { .peer_ip = "127.0.0.1", .helo = "client",
		.authenticated = true, .person = f->ann,
		.envelope_from = f->ann, .id = "t1", .recipients = to,
		.recipient_count = n };
	struct mail_arrival_plan plan;
	struct error err;
	f->u.ctx.now = now;
	size_t len = sizeof(message) - 1;
	assert_int_equal(mail_policy_arrival(&f->u.ctx, s, &in, message, len,
				 message, len, f->u.arena, &plan, &err),
		0);
	return plan;
}

/*
 * The policy stage reads the person's state once: limit 0 until the AUP
 * and the questions, every recipient stopped with the seed's words; then
 * the day's limit by the count of the day `now` is in, so the same count
 * stops a message at 23:59:59 UTC and lets it through at 00:00:00.
 */
static void
test_stage_sending_limits_by_day(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox ann, bob;
	struct mail_recipient *to;
	size_t n;
	struct store_writer *w = ann_to_bob(f, &ann, &bob, &to, &n);
	struct mail_policy_settings s = { .send_limits = true,
		.limits = { .per_message = 5, .per_day = 1 } };
	struct mail_arrival_plan plan = ann_arrives(f, &s, to, n, DAY_END);
	assert_true(plan.limited);
	assert_non_null(strstr(plan.stopped[0], "The limit is 0"));
	assert_int_equal(plan.note_count, 1);
	assert_true(plan.notes[0].denied);
	assert_non_null(strstr(plan.notes[0].summary, "limit_zero"));
	/* Ready, as in My account. */
	int64_t id = person_id(f, f->ann);
	struct store_security_answer answers[STORE_SECURITY_ANSWERS] = {
		{ "a?", "h" }, { "b?", "h" }, { "c?", "h" } };
	assert_int_equal(store_security_answers_set(f->u.st, id, answers,
				 &err),
		0);
	assert_int_equal(store_aup_accept(f->u.st, id, config_get_str(
		f->u.config, "auth.aup_version"), 1000, &err), 0);
	plan = ann_arrives(f, &s, to, n, DAY_END);
	assert_false(plan.limited);
	assert_null(plan.stopped);
	assert_int_equal(plan.sent_by, id);
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = DAY_END, .sender = f->ann, .sent_by = id };
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), 0);
	store_writer_stop(&w);
	/* The day's one recipient is spent ... */
	plan = ann_arrives(f, &s, to, n, DAY_END);
	assert_true(plan.limited);
	assert_non_null(strstr(plan.stopped[0], "today's limit"));
	assert_int_equal(plan.sent_by, 0);
	/* ... until midnight UTC. */
	plan = ann_arrives(f, &s, to, n, NEXT_DAY);
	assert_false(plan.limited);
	/* Off: no limit, no count. */
	s.send_limits = false;
	plan = ann_arrives(f, &s, to, n, DAY_END);
	assert_false(plan.limited);
	assert_int_equal(plan.sent_by, 0);
}

/* The sealed messages ann has sent, and the queue's rows. */
static size_t
sealed_by_ann(struct fixture *f, struct store_secure_message **list_r)
{
	size_t n;
	struct error err;
	assert_int_equal(store_secure_messages_by_sender(f->u.st, f->ann, 10,
				 f->u.arena, list_r, &n, &err),
		0);
	return n;
}

/*
 * A message sealed for a recipient outside the secure domains (SPEC
 * M10): the others get it as ever; that one's queue row is a notice;
 * the sealed copy opens to the message with the instance key and not
 * with another; and a delivery that fails keeps no sealed copy either.
 */
static void
test_accept_seals_for_outside(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox ann, bob;
	struct mail_recipient *local, *remote;
	size_t nl, nr;
	struct store_writer *w = ann_to_bob(f, &ann, &bob, &local, &nl);
	assert_int_equal(mail_route(&f->u.ctx, "Pat@Gmail.example", true,
				 &remote, &nr, &err),
		0);
	struct mail_recipient to[2] = { local[0], remote[0] };
	const bool sealed[2] = { false, true };
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = 2000, .sender = f->ann };
	struct mail_delivery_report r;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, 2, NULL, sealed,
				 &r, &err),
		0);
	assert_int_equal(count_in(f, bob.id, "inbox"), 1);
	struct store_secure_message *list;
	assert_int_equal(sealed_by_ann(f, &list), 1);
	struct store_secure_recipient *rcpts;
	size_t n;
	assert_int_equal(store_secure_recipients_of(f->u.st, list[0].id,
				 f->u.arena, &rcpts, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(rcpts[0].address, remote[0].address);
	assert_int_equal(strlen(rcpts[0].link_hash), 64);
	struct store_queued *queued;
	assert_int_equal(store_queue_list(f->u.st, 0, 10, false, f->u.arena,
				 &queued, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(queued[0].recipient, remote[0].address);
	assert_string_equal(queued[0].sender, f->ann);
	struct store_secure_message got;
	assert_int_equal(store_secure_message_get(f->u.st, list[0].id,
				 f->u.arena, &got, &err),
		0);
	assert_int_equal(got.expires_at, f->u.ctx.now + 90 * 86400);
	char *plain;
	size_t len;
	assert_int_equal(mail_unseal(f->u.ctx.seal_key, &got, f->u.arena,
				 &plain, &len, &err),
		0);
	assert_int_equal(len, sizeof(message) - 1);
	assert_memory_equal(plain, message, len);
	unsigned char other[MAIL_SEAL_KEY_BYTES] = { 'o' };
	assert_int_equal(mail_unseal(other, &got, f->u.arena, &plain, &len,
				 &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
	/* One ciphertext byte changed: refused, not opened. */
	unsigned char *bytes = malloc(got.ciphertext_len);
	memcpy(bytes, got.ciphertext, got.ciphertext_len);
	bytes[got.ciphertext_len / 2] ^= 1;
	got.ciphertext = bytes;
	assert_int_equal(mail_unseal(f->u.ctx.seal_key, &got, f->u.arena,
				 &plain, &len, &err),
		-1);
	free(bytes);
	/* All or nothing: the delivery fails, and nothing is sealed. */
	struct store_folder inbox;
	assert_int_equal(store_folder_special(f->u.st, bob.id, "inbox",
				 f->u.arena, &inbox, &err),
		0);
	assert_int_equal(store_folder_delete(f->u.st, inbox.id, &err), 0);
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, 2, NULL, sealed,
				 &r, &err),
		-1);
	assert_int_equal(sealed_by_ann(f, &list), 1);
	/* Sealed for every recipient: no copy here, the notice all the same. */
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to + 1, 1, NULL,
				 sealed + 1, &r, &err),
		0);
	assert_int_equal(sealed_by_ann(f, &list), 2);
	store_writer_stop(&w);
}

/*
 * Mail the policy junks (SPEC M6, M9) goes to each mailbox's Junk E-mail,
 * through a list too, and is charged to the quota like any other; a
 * mailbox with no Junk E-mail folder gets it in its Inbox rather than
 * not at all.
 */
static void
test_deliver_to_junk(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox ann, bob;
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->ann, &ann, &err), 0);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->bob, &bob, &err), 0);
	struct store_folder junk;
	assert_int_equal(store_folder_special(f->u.st, bob.id, "junk",
				 f->u.arena, &junk, &err),
		0);
	assert_int_equal(store_folder_delete(f->u.st, junk.id, &err), 0);
	struct mail_recipient *to;
	size_t n;
	assert_int_equal(mail_route(&f->u.ctx, f->list, false, &to, &n, &err),
		0);
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = 2000, .sender = "ann.one@trust.example",
		.junk = true };
	if (mail_deliver(w, &f->u.ctx, &m, to, n, NULL, &err) < 0)
		fail_msg("deliver: %s", err.msg);
	store_writer_stop(&w);
	assert_int_equal(count_in(f, ann.id, "junk"), 1);
	assert_int_equal(count_in(f, ann.id, "inbox"), 0);
	assert_int_equal(count_in(f, bob.id, "inbox"), 1);
	int64_t used;
	assert_int_equal(store_mailbox_used(f->u.st, ann.id, &used, &err), 0);
	assert_int_equal(used, (int64_t)sizeof(message) - 1);
}

/*
 * RFC 3461 NOTIFY=SUCCESS is honoured by mail_accept, the intake's one
 * call, not by a front end: the sender gets one "delivered" report after
 * the commit; no NOTIFY, no report. A recipient the policy stopped gets
 * no copy, and the sender one failure report naming them; NOTIFY=NEVER
 * on it, none.
 */
static void
test_deliver_sends_success_report(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox ann, bob;
	struct mail_recipient *to;
	size_t n;
	struct store_writer *w = ann_to_bob(f, &ann, &bob, &to, &n);
	struct mail_message m = { .data = message, .size = sizeof(message) - 1,
		.received_at = 2000, .sender = f->ann };
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), 0);
	assert_int_equal(count_in(f, ann.id, "inbox"), 0);
	to[0].notify = MAIL_DSN_NOTIFY_SUCCESS;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, NULL,
		&err), 0);
	assert_int_equal(count_in(f, bob.id, "inbox"), 2);
	assert_int_equal(count_in(f, ann.id, "inbox"), 1);
	/* Stopped: no copy for bob, a report for ann. */
	to[0].notify = 0;
	const char *const stopped[] = { "Your message to bob was stopped." };
	struct mail_delivery_report r;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, stopped, NULL, &r,
		&err), 0);
	assert_int_equal(r.mailboxes, 0);
	assert_int_equal(count_in(f, bob.id, "inbox"), 2);
	assert_int_equal(count_in(f, ann.id, "inbox"), 2);
	to[0].notify = MAIL_DSN_NOTIFY_NEVER;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, stopped, NULL, &r,
		&err), 0);
	store_writer_stop(&w);
	assert_int_equal(count_in(f, bob.id, "inbox"), 2);
	assert_int_equal(count_in(f, ann.id, "inbox"), 2);
}

/* The messages of a mailbox's folder of a special use, in f's arena. */
static struct store_message *
messages_in(struct fixture *f, int64_t mailbox_id, const char *use,
	size_t *n_r)
{
	struct error err;
	struct store_folder folder;
	struct store_message *msgs;
	assert_int_equal(store_folder_special(f->u.st, mailbox_id, use,
				 f->u.arena, &folder, &err),
		0);
	assert_int_equal(store_folder_messages(f->u.st, folder.id, 1,
				 INT64_MAX, 100, STORE_MESSAGE_COLUMNS_ALL,
				 f->u.arena, &msgs, n_r, &err),
		0);
	return msgs;
}

/*
 * SPEC M12a: mail sent as or on behalf of a shared mailbox is filed, read,
 * in that mailbox's Sent Items, in the delivery's commit and on the same
 * body row; for every other sender (oneself, an application, a person's
 * or a resource's mailbox) and with mail.shared_sent_copies off, nothing.
 * Stopped for every recipient by the policy, it was still sent: filed.
 */
static void
test_shared_sent_copies(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_mailbox shared, resource, bob;
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "QWE", "shared",
				 "Reception", NULL, &shared, &err),
		0);
	assert_int_equal(dir_mailbox_add(&f->u.ctx, "QWE", "resource",
				 "Room One", NULL, &resource, &err),
		0);
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->bob, &bob, &err), 0);
	struct mail_recipient *to;
	size_t n;
	assert_int_equal(mail_route(&f->u.ctx, f->ann, false, &to, &n, &err),
		0);
	const struct {
		const char *from;
		enum mail_send_right right;
		bool on;
		int64_t filed_in;	/* 0: nowhere */
	} cases[] = {
		{ shared.address, MAIL_SEND_AS, true, shared.id },
		{ shared.address, MAIL_SEND_ON_BEHALF, true, shared.id },
		{ shared.address, MAIL_SEND_SELF, true, 0 },
		{ shared.address, MAIL_SEND_AS, false, 0 },
		{ shared.address, MAIL_SEND_ON_BEHALF, false, 0 },
		{ resource.address, MAIL_SEND_AS, true, 0 },
		{ resource.address, MAIL_SEND_ON_BEHALF, true, 0 },
		{ f->bob, MAIL_SEND_AS, true, 0 },
		{ f->bob, MAIL_SEND_ON_BEHALF, true, 0 },
	};
	const int64_t boxes[] = { shared.id, resource.id, bob.id };
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	size_t filed = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (config_set(f->u.config, cases[i].on ?
				"mail.shared_sent_copies=true" :
				"mail.shared_sent_copies=false", &err) < 0)
			fail_msg("config: %s", err.msg);
		char data[512];
		int len = snprintf(data, sizeof(data), "Return-Path: <%s>\r\n"
			"From: Someone <%s>\r\nTo: <%s>\r\nSubject: case %zu\r\n"
			"\r\nHello.\r\n", cases[i].from, cases[i].from, f->ann,
			i);
		struct mail_message m = { .data = data, .size = (size_t)len,
			.received_at = 4000 + (int64_t)i,
			.sender = cases[i].from, .right = cases[i].right,
			.from = cases[i].from };
		struct mail_delivery_report r;
		assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, &r,
			&err), 0);
		assert_int_equal(r.mailboxes, 1);
		assert_int_equal(r.sent_copy, cases[i].filed_in != 0);
		filed += cases[i].filed_in != 0;
		for (size_t b = 0; b < sizeof(boxes) / sizeof(*boxes); b++) {
			size_t k;
			messages_in(f, boxes[b], "sent", &k);
			assert_int_equal(k, boxes[b] == shared.id ? filed : 0);
		}
	}
	size_t k, in;
	struct store_message *sent = messages_in(f, shared.id, "sent", &k);
	struct store_message *inbox = messages_in(f, to[0].mailbox_id,
		"inbox", &in);
	assert_int_equal(k, 2);
	assert_int_equal(in, sizeof(cases) / sizeof(*cases));
	for (size_t i = 0; i < k; i++) {
		assert_int_equal(sent[i].flags, STORE_FLAG_SEEN);
		/* Stored once: the Inbox's row and the copy share the body. */
		assert_int_equal(sent[i].body_id, inbox[i].body_id);
		assert_int_equal(inbox[i].flags, 0);
	}
	int64_t used;
	assert_int_equal(store_mailbox_used(f->u.st, shared.id, &used, &err),
		0);
	assert_int_equal(used, sent[0].size + sent[1].size);

	/* Every recipient stopped, and the Sent folder gone: made, filed. */
	struct store_folder gone;
	assert_int_equal(store_folder_special(f->u.st, shared.id, "sent",
				 f->u.arena, &gone, &err),
		0);
	assert_int_equal(store_folder_delete(f->u.st, gone.id, &err), 0);
	assert_int_equal(config_set(f->u.config,
				 "mail.shared_sent_copies=true", &err), 0);
	char data[256];
	int len = snprintf(data, sizeof(data), "From: <%s>\r\n"
		"Subject: stopped\r\n\r\nPrivate.\r\n",
		shared.address);
	struct mail_message m = { .data = data, .size = (size_t)len,
		.received_at = 5000, .sender = shared.address,
		.right = MAIL_SEND_AS, .from = shared.address };
	const char *const stopped[] = { "stopped by policy" };
	struct mail_delivery_report r;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, stopped, NULL, &r,
		&err), 0);
	store_writer_stop(&w);
	assert_int_equal(r.mailboxes, 0);
	assert_true(r.sent_copy);
	messages_in(f, to[0].mailbox_id, "inbox", &in);
	assert_int_equal(in, sizeof(cases) / sizeof(*cases));
	struct store_folder made;
	assert_int_equal(store_folder_special(f->u.st, shared.id, "sent",
				 f->u.arena, &made, &err),
		0);
	assert_string_equal(made.name, "Sent Items");
	assert_true(made.id != gone.id);
	assert_true(made.uidvalidity > gone.uidvalidity);
	sent = messages_in(f, shared.id, "sent", &k);
	assert_int_equal(k, 1);
	assert_int_equal(sent[0].flags, STORE_FLAG_SEEN);
	assert_int_equal(sent[0].uid, 1);

	/* A From not read at DATA: delivered, logged, and no copy made. */
	w = store_writer_start(f->u.backend, f->u.path, 5000, &err);
	assert_non_null(w);
	m.from = NULL;
	m.received_at = 5001;
	assert_int_equal(mail_accept(w, &f->u.ctx, &m, to, n, NULL, NULL, &r,
		&err), 0);
	store_writer_stop(&w);
	assert_int_equal(r.mailboxes, 1);
	assert_false(r.sent_copy);
	messages_in(f, shared.id, "sent", &k);
	assert_int_equal(k, 1);
}

/* A message of about n bytes to the fixture's list. */
static int
deliver_to(struct fixture *f, const struct mail_recipient *to, size_t count,
	size_t n, struct mail_delivery_report *report)
{
	char *data = malloc(n + 200);
	int len = snprintf(data, 200, "Subject: big\r\n\r\n");
	memset(data + len, 'x', n);
	struct mail_message m = { .data = data, .size = (size_t)len + n,
		.received_at = 3000, .sender = "x@y.example" };
	struct error err;
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	int rc = mail_deliver(w, &f->u.ctx, &m, to, count, report, &err);
	if (rc < 0)
		print_message("deliver: %s\n", err.msg);
	store_writer_stop(&w);
	free(data);
	return rc;
}

/*
 * List members whose mailbox a message would fill are left out and
 * counted; the same person named directly still gets it (they were
 * checked at RCPT).
 */
static void
test_list_members_over_quota_left_out(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_recipient *list, *direct;
	size_t nl, nd;
	/* The org's quota is 1 MiB. */
	assert_int_equal(mail_route(&f->u.ctx, f->list, false, &list, &nl,
				 &err),
		0);
	struct mail_delivery_report r;
	assert_int_equal(deliver_to(f, list, nl, 700 * 1024, &r), 0);
	assert_int_equal(r.mailboxes, 2);
	assert_int_equal(r.over_quota, 0);
	assert_int_equal(deliver_to(f, list, nl, 700 * 1024, &r), 0);
	assert_int_equal(r.mailboxes, 0);
	assert_int_equal(r.over_quota, 2);
	assert_int_equal(mail_route(&f->u.ctx, f->ann, false, &direct, &nd,
				 &err),
		0);
	struct mail_recipient both[2] = { list[0], direct[0] };
	assert_int_equal(deliver_to(f, both, 2, 700 * 1024, &r), 0);
	assert_int_equal(r.mailboxes, 1);	/* Ann, named directly */
	assert_int_equal(r.over_quota, 1);	/* Bob */
	/* The lab contact was queued each time. */
	struct store_queued *q;
	size_t n;
	assert_int_equal(store_queue_list(f->u.st, 0, 100, true, f->u.arena, &q, &n, &err),
		0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(q[i].recipient, "lab@hospital.example");
}

/*
 * An outside address both named directly and a contact of a list gets one
 * queue row, with the DSN request given at its own RCPT, whichever comes
 * first (RFC 3461 §4: NOTIFY and ORCPT are the recipient's own).
 */
static void
test_list_contact_named_directly_keeps_its_dsn(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_recipient *list;
	size_t nl;
	assert_int_equal(mail_route(&f->u.ctx, f->list, false, &list, &nl,
				 &err),
		0);
	struct mail_recipient lab = { .kind = MAIL_ROUTE_REMOTE,
		.address = "lab@hospital.example",
		.notify = MAIL_DSN_NOTIFY_SUCCESS | MAIL_DSN_NOTIFY_FAILURE,
		.orcpt = "rfc822;lab@hospital.example" };
	struct mail_recipient before[2] = { lab, list[0] };
	struct mail_recipient after[2] = { list[0], lab };
	struct mail_delivery_report r;
	assert_int_equal(deliver_to(f, before, 2, 100, &r), 0);
	assert_int_equal(r.mailboxes, 2);
	assert_int_equal(deliver_to(f, after, 2, 100, &r), 0);
	assert_int_equal(r.mailboxes, 2);
	struct store_queued *q;
	size_t n;
	assert_int_equal(store_queue_list(f->u.st, 0, 100, true, f->u.arena,
				 &q, &n, &err),
		0);
	assert_int_equal(n, 2);
	char want[MAIL_DSN_NOTIFY_TEXT];
	mail_dsn_notify_text(lab.notify, want);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(q[i].recipient, "lab@hospital.example");
		assert_string_equal(q[i].notify, want);
		assert_string_equal(q[i].orcpt, lab.orcpt);
	}
}

static bool
watch_readable(const struct mail_watch *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

/*
 * Mailboxes 7 and 7 + 256 share a bucket; only 7's change wakes 7. The
 * changes come as the store reports them (outside a transaction: at once).
 */
static void
test_watch_wakes_only_its_mailbox(void **state)
{
	struct fixture *f = *state;
	struct mail_watch a = { .fd = -1 }, b = { .fd = -1 };
	struct error err;
	assert_int_equal(mail_watch_start(&a, 7, &err), 0);
	assert_int_equal(mail_watch_start(&b, 7 + 256, &err), 0);
	uint64_t seq = mail_change_seq(7);
	assert_false(watch_readable(&a));
	store_changed(f->u.st, 7 + 256, 0);
	assert_false(watch_readable(&a));
	assert_true(watch_readable(&b));
	assert_int_not_equal(mail_change_seq(7), seq);
	store_changed(f->u.st, 7, 0);
	store_changed(f->u.st, 7, 0);
	assert_true(watch_readable(&a));
	mail_watch_clear(&a);
	assert_false(watch_readable(&a));
	mail_watch_stop(&b);
	assert_int_equal(b.fd, -1);
	store_changed(f->u.st, 7 + 256, 0);	/* no write to a closed watch */
	assert_false(watch_readable(&a));
	mail_watch_stop(&a);
	mail_watch_stop(&a);
}

/*
 * The store reports a change only once its transaction commits, never one
 * rolled back (a savepoint's notes go with it), and "any mailbox" wakes
 * every watch.
 */
static void
test_watch_hears_only_committed_changes(void **state)
{
	struct fixture *f = *state;
	struct mail_watch a = { .fd = -1 }, b = { .fd = -1 };
	struct error err;
	assert_int_equal(mail_watch_start(&a, 11, &err), 0);
	assert_int_equal(mail_watch_start(&b, 12, &err), 0);
	assert_int_equal(store_begin(f->u.st, &err), 0);
	store_changed(f->u.st, 11, 3);
	assert_int_equal(store_begin(f->u.st, &err), 0);
	store_changed(f->u.st, 12, 4);
	store_rollback(f->u.st);	/* the savepoint: 12's note goes */
	assert_false(watch_readable(&a));	/* not yet committed */
	assert_int_equal(store_commit(f->u.st, &err), 0);
	assert_true(watch_readable(&a));
	assert_false(watch_readable(&b));
	mail_watch_clear(&a);
	assert_int_equal(store_begin(f->u.st, &err), 0);
	store_changed(f->u.st, 11, 3);
	store_rollback(f->u.st);
	assert_false(watch_readable(&a));
	/* Past the bound a transaction reports "any": nothing is missed. */
	assert_int_equal(store_begin(f->u.st, &err), 0);
	for (int64_t i = 0; i < 5000; i++)
		store_changed(f->u.st, 1000 + i, 0);
	assert_int_equal(store_commit(f->u.st, &err), 0);
	assert_true(watch_readable(&a));
	assert_true(watch_readable(&b));
	mail_watch_stop(&a);
	mail_watch_stop(&b);
}

/* Calls check with each folder of the user's mailbox that can be opened. */
static void
each_folder(const struct mail_user *u,
	void (*check)(const struct mail_user *u, const struct mail_folder *mf,
		const char *name, void *ctx),
	void *ctx)
{
	struct mail_folder_entry *entries;
	size_t count;
	struct error err;
	if (mail_folder_list(u, &entries, &count, &err) < 0)
		fail_msg("list: %s", err.msg);
	for (size_t i = 0; i < count; i++) {
		struct mail_folder mf;
		if ((entries[i].attrs & MAIL_FOLDER_NOSELECT) == 0 &&
		    mail_folder_open(u, entries[i].name, &mf, &err) == 0)
			check(u, &mf, entries[i].name, ctx);
	}
}

struct uidvalidities {
	int64_t *out;
	size_t n, max;
};

static void
add_uidvalidity(const struct mail_user *u, const struct mail_folder *mf,
	const char *name, void *ctx)
{
	(void)u;
	(void)name;
	struct uidvalidities *c = ctx;
	assert_true(c->n < c->max);
	c->out[c->n++] = mf->uidvalidity;
}

/* The UIDVALIDITY of every folder of the person's mailbox now. */
static size_t
live_uidvalidities(const struct mail_user *u, int64_t *out, size_t max)
{
	struct uidvalidities c = { out, 0, max };
	each_folder(u, add_uidvalidity, &c);
	return c.n;
}

static bool
holds(const int64_t *set, size_t n, int64_t v)
{
	for (size_t i = 0; i < n; i++) {
		if (set[i] == v)
			return true;
	}
	return false;
}

/*
 * RFC 3501 §2.3.1.1: a folder made again under a name, by any path (CREATE,
 * RENAME onto the name, parents made for a child), never gets a UIDVALIDITY
 * a folder of the mailbox had before. Every step here happens in the same
 * second (the fixture's clock stands still), which is where a clock-based
 * value repeats. A folder renamed keeps its own.
 */
static void
test_uidvalidity_never_repeats(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path, 5000,
		&err);
	assert_non_null(w);
	struct mail_user u;
	if (mail_user_open(&f->u.ctx, w, f->ann, &u, &err) < 0)
		fail_msg("open: %s", err.msg);
	static const char *const names[] = { "A", "B", "A/C", "Old" };
	enum { NAMES = sizeof(names) / sizeof(*names), MAX = 1024 };
	int64_t seen[MAX], live[64], before[64];
	size_t seen_count = live_uidvalidities(&u, seen, 64), made = 0;
	size_t before_count = seen_count;
	memcpy(before, seen, seen_count * sizeof(*seen));
	srand(20261202);
	for (int step = 0; step < 300; step++) {
		size_t i = (size_t)rand() % NAMES, j = (size_t)rand() % NAMES;
		int op = rand() % 3;
		struct error e;
		if (op == 0)
			(void)mail_folder_create(&u, names[i], &e);
		else if (op == 1)
			(void)mail_folder_delete(&u, names[i], &e);
		else
			(void)mail_folder_rename(&u, names[i], names[j], &e);
		size_t n = live_uidvalidities(&u, live, 64);
		for (size_t k = 0; k < n; k++) {
			if (holds(before, before_count, live[k]))
				continue;
			/* A folder that did not exist a step ago. */
			assert_false(holds(seen, seen_count, live[k]));
			assert_true(seen_count < MAX);
			seen[seen_count++] = live[k];
			made++;
		}
		memcpy(before, live, n * sizeof(*live));
		before_count = n;
	}
	/* The walk did make folders again under names used before. */
	assert_true(made > 20);
	store_writer_stop(&w);
}

struct counts_check {
	struct fixture *f;
	int step;
};

static void
folder_counts_equal_a_recount(const struct mail_user *u,
	const struct mail_folder *mf, const char *name, void *ctx)
{
	(void)u;
	const struct counts_check *c = ctx;
	struct fixture *f = c->f;
	int step = c->step;
	struct error err;
	struct store_folder_status kept, counted;
	if (store_folder_counts(f->u.st, mf->id, &kept, &err) < 0 ||
		store_folder_recount(f->u.st, mf->id, &counted, &err) < 0)
		fail_msg("counts: %s", err.msg);
	if (kept.messages != counted.messages ||
		kept.unseen != counted.unseen ||
		kept.recent != counted.recent)
		fail_msg("step %d, folder %s: kept %lld/%lld/%lld,"
			 " counted %lld/%lld/%lld", step,
			name, (long long)kept.messages,
			(long long)kept.unseen,
			(long long)kept.recent,
			(long long)counted.messages,
			(long long)counted.unseen,
			(long long)counted.recent);
}

/*
 * Every folder of the user's mailbox: its counters equal a recount; and
 * the bytes charged to the mailbox (migration 43's mailbox_usage) are
 * its messages' sizes, added up.
 */
static void
check_counts(struct fixture *f, const struct mail_user *u, int step)
{
	struct counts_check c = { f, step };
	each_folder(u, folder_counts_equal_a_recount, &c);
	struct error err;
	int64_t used;
	if (store_mailbox_used(f->u.st, u->mailbox_id, &used, &err) < 0)
		fail_msg("used: %s", err.msg);
	int64_t sum = store_one_int(f->u.st, store_query(f->u.st, &err,
		"SELECT COALESCE(SUM(m.size), 0) FROM messages m"
		" JOIN folders f ON f.id = m.folder_id WHERE f.mailbox_id = ?",
		"i", u->mailbox_id), &err);
	if (used != sum)
		fail_msg("step %d: %lld bytes charged, messages of %lld",
			step, (long long)used, (long long)sum);
}

/* How often each way of reading a view was taken over a walk. */
struct view_tally {
	int rows, stored, stored_with_changes, written, rewritten;
};

/*
 * Every folder's view as a session would open it (stored views kept from
 * one message on, so the walk goes through them) equals a fresh read of
 * its messages, and its packed form reads back the same.
 */
struct views_check {
	struct arena *scratch, *results;
	int step;
	struct view_tally *t;
};

/* One folder's view as a session opens it equals its rows, and packs. */
static void
view_equals_its_rows(const struct mail_user *u, const struct mail_folder *mf,
	const char *name, void *ctx)
{
	const struct views_check *c = ctx;
	struct arena *scratch = c->scratch, *results = c->results;
	int step = c->step;
	struct view_tally *t = c->t;
	struct error err;
	struct mail_folder_view v;
	if (mail_folder_view_read(u, mf, 1, scratch, &v, &err) < 0)
		fail_msg("view: %s", err.msg);
	struct store_message_flag_row *rows;
	size_t n;
	if (mail_folder_flag_rows(u, mf, 0, 100000, results, &rows,
		    &n, &err) < 0)
		fail_msg("rows: %s", err.msg);
	if (v.count != n)
		fail_msg("step %d, folder %s: view %zu messages, "
			 "folder %zu (%s)", step, name,
			v.count, n,
			v.source == MAIL_FOLDER_VIEW_STORED ? "stored" :
							      "rows");
	for (size_t k = 0; k < n; k++) {
		const char *kw = v.list_of[k] == 0 ? "" :
			v.lists[v.list_of[k] - 1];
		if ((int64_t)v.uids[k] != rows[k].uid ||
			v.flags[k] != (rows[k].flags & 0x1f) ||
			strcmp(kw, rows[k].keywords) != 0)
			fail_msg("step %d, folder %s, #%zu: view "
				 "%u/%u/\"%s\", folder %lld/%u/\"%s\"",
				step, name, k, v.uids[k],
				v.flags[k], kw, (long long)rows[k].uid,
				rows[k].flags, rows[k].keywords);
	}
	size_t size;
	unsigned char *packed = mail_view_encode(&v, &size);
	struct mail_folder_view back;
	assert_int_equal(mail_view_decode(packed, size, &back), 0);
	assert_int_equal(back.count, v.count);
	assert_int_equal(back.list_count, v.list_count);
	if (v.count > 0) {
		assert_memory_equal(back.uids, v.uids,
			v.count * sizeof(*v.uids));
		assert_memory_equal(back.flags, v.flags, v.count);
		assert_memory_equal(back.list_of, v.list_of,
			v.count * sizeof(*v.list_of));
	}
	for (size_t k = 0; k < v.list_count; k++)
		assert_string_equal(back.lists[k], v.lists[k]);
	free(packed);
	mail_folder_view_free(&back);
	if (v.source == MAIL_FOLDER_VIEW_STORED) {
		t->stored++;
		t->stored_with_changes += v.changed > 0;
		t->rewritten += v.stored;
	} else {
		t->rows++;
		t->written += v.stored;
	}
	mail_folder_view_free(&v);
}

static void
check_views(const struct mail_user *walker, struct arena *scratch,
	struct arena *results, int step, struct view_tally *t)
{
	/*
	 * Results in an arena of the check's own: the walk's recipients and
	 * people live in ctx's, which the walk resets but still reads.
	 */
	struct dir_ctx ctx = *walker->ctx;
	ctx.arena = results;
	arena_reset(results);
	struct mail_user own = *walker;
	own.ctx = &ctx;
	const struct mail_user *u = &own;
	struct views_check c = { scratch, results, step, t };
	each_folder(u, view_equals_its_rows, &c);
}

/* The flag rows of a folder now, at most max. */
static size_t
flag_rows(const struct mail_user *u, const struct mail_folder *mf,
	struct store_message_flag_row **rows_r, size_t max)
{
	size_t count;
	struct error err;
	if (mail_folder_flag_rows(u, mf, 0, max, u->ctx->arena, rows_r,
		    &count, &err) < 0)
		fail_msg("rows: %s", err.msg);
	return count;
}

/* The UIDs of a folder now, at most max. */
static size_t
folder_uids(const struct mail_user *u, const struct mail_folder *mf,
	int64_t *out, size_t max)
{
	struct store_message_flag_row *rows;
	size_t count = flag_rows(u, mf, &rows, max);
	for (size_t i = 0; i < count; i++)
		out[i] = rows[i].uid;
	return count;
}

static int64_t
changes_of(const struct mail_user *u, const struct mail_folder *mf)
{
	int64_t c;
	struct error err;
	if (mail_folder_changes(u, mf, &c, &err) < 0)
		fail_msg("changes: %s", err.msg);
	return c;
}

/*
 * The UIDs each folder held at the last look, and the highest it ever
 * held: a UID that comes into a folder must be above every UID the
 * folder held before (RFC 3501 2.3.1.1), and UIDNEXT above all of them.
 * A folder is its id and UIDVALIDITY: SQLite may give a folder made
 * again the id of one deleted, never the UIDVALIDITY.
 */
enum { GIVEN_FOLDERS = 256, GIVEN_UIDS = 256 };
struct uids_given {
	size_t count;
	struct {
		int64_t folder_id, uidvalidity, highest;
		size_t n;
		int64_t uids[GIVEN_UIDS];
	} folder[GIVEN_FOLDERS];
	int step;
};

static void
uids_never_again(const struct mail_user *u, const struct mail_folder *mf,
	const char *name, void *ctx)
{
	struct uids_given *g = ctx;
	size_t at = 0;
	while (at < g->count && (g->folder[at].folder_id != mf->id ||
				    g->folder[at].uidvalidity != mf->uidvalidity))
		at++;
	if (at == g->count) {
		assert_true(g->count < GIVEN_FOLDERS);
		g->folder[at].folder_id = mf->id;
		g->folder[at].uidvalidity = mf->uidvalidity;
		g->count++;
	}
	int64_t now[GIVEN_UIDS];
	size_t n = folder_uids(u, mf, now, GIVEN_UIDS);
	for (size_t i = 0; i < n; i++) {
		bool held = false;
		for (size_t k = 0; k < g->folder[at].n && !held; k++)
			held = g->folder[at].uids[k] == now[i];
		if (!held && now[i] <= g->folder[at].highest)
			fail_msg("step %d: %s was given UID %lld again (it has"
				" held up to %lld)", g->step, name,
				(long long)now[i],
				(long long)g->folder[at].highest);
		if (now[i] > g->folder[at].highest)
			g->folder[at].highest = now[i];
	}
	memcpy(g->folder[at].uids, now, n * sizeof(*now));
	g->folder[at].n = n;
	struct mail_folder open = *mf;
	struct mail_folder_status st;
	struct error err;
	assert_int_equal(mail_folder_status(u, &open, &st, &err), 0);
	if (st.uidnext <= g->folder[at].highest)
		fail_msg("step %d: %s's UIDNEXT %lld is not past UID %lld",
			g->step, name, (long long)st.uidnext,
			(long long)g->folder[at].highest);
}

/*
 * The per-folder counters (migration 31: messages, unseen, the first
 * unseen UID, and the change counter) stay equal to a recount through a
 * random walk of every kind of change: delivery (to the person, or to a
 * list, whose copies the statement that stores them counts itself on
 * PostgreSQL), APPEND, flags, copy, move, expunge, a folder deleted and
 * made again, the mailbox purged.
 * A change to a folder moves its change counter; one elsewhere does not.
 * And every folder's view, read through its stored view and the changes
 * noted since (migration 32), equals a fresh read after every step; and
 * no UID comes into a folder that it held before (migration 45).
 */
static void
test_counters_follow_every_change(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path,
		5000, &err);
	assert_non_null(w);
	struct mail_user u;
	if (mail_user_open(&f->u.ctx, w, f->ann, &u, &err) < 0)
		fail_msg("open: %s", err.msg);
	struct store_mailbox mb;
	assert_int_equal(dir_mailbox_get(&f->u.ctx, f->ann, &mb, &err), 0);
	/*
	 * Routed once, into an arena of its own: the fixture's is reset at
	 * every step, and the checks after each step allocate in it.
	 */
	struct dir_ctx routing = f->u.ctx;
	routing.arena = arena_new(64 * 1024);
	struct mail_recipient *to, *to_list;
	size_t n_to, n_list;
	assert_int_equal(mail_route(&routing, f->ann, false, &to, &n_to,
				 &err), 0);
	assert_int_equal(mail_route(&routing, f->list, false, &to_list,
				 &n_list, &err), 0);
	static const char *const names[] = { "INBOX", "A", "B" };
	enum { NAMES = 3, MAXU = 256 };
	assert_int_equal(mail_folder_create(&u, "A", &err), 0);
	assert_int_equal(mail_folder_create(&u, "B", &err), 0);
	srand(20261204);
	int kinds[9] = { 0 };
	struct view_tally views = { 0 };
	struct arena *scratch = arena_new(64 * 1024 * 1024);
	struct arena *results = arena_new(64 * 1024 * 1024);
	struct uids_given *given = calloc(1, sizeof(*given));
	assert_non_null(given);
	for (int step = 0; step < 400; step++) {
		const char *name = names[rand() % NAMES];
		const char *other = names[rand() % NAMES];
		struct mail_folder mf, of;
		if (mail_folder_open(&u, name, &mf, &err) < 0) {
			assert_int_equal(mail_folder_create(&u, name, &err), 0);
			continue;
		}
		bool have_other = mail_folder_open(&u, other, &of, &err) == 0 &&
			of.id != mf.id;
		int64_t before = changes_of(&u, &mf);
		int64_t other_before = have_other ? changes_of(&u, &of) : 0;
		int64_t uids[MAXU];
		size_t n = folder_uids(&u, &mf, uids, MAXU);
		int op = rand() % 9;
		bool changed = false;
		arena_reset(f->u.arena);
		if (op == 0 || (op >= 2 && op <= 5 && n == 0)) {
			struct mail_append m = { .data = message,
				.size = sizeof(message) - 1,
				.flags = (unsigned)(rand() % 2 ? STORE_FLAG_SEEN :
								 0) |
					(rand() % 4 == 0 ? STORE_FLAG_FLAGGED :
							   0),
				.keywords = rand() % 3 == 0 ? "$Work" : "",
				.internal_date = 1000 + step };
			int64_t uid;
			if (mail_message_append(&u, &mf, &m, &uid, &err) < 0)
				fail_msg("append: %s", err.msg);
			changed = true;
			op = 0;
		} else if (op == 1) {
			struct mail_message m = { .data = message,
				.size = sizeof(message) - 1,
				.received_at = 2000 + step,
				.sender = "x@y.example" };
			/* To her alone, or through the list (many copies). */
			bool list = rand() % 2 == 0;
			if (mail_deliver(w, &f->u.ctx, &m, list ? to_list : to,
				    list ? n_list : n_to, NULL, &err) < 0)
				fail_msg("deliver: %s", err.msg);
		} else if (op == 2) {
			struct mail_flag_change c[4];
			size_t k = 0;
			for (; k < 4 && k < n; k++)
				c[k] = (struct mail_flag_change){
					uids[(size_t)rand() % n],
					(unsigned)(rand() % 2 ? STORE_FLAG_SEEN : 0) |
						(unsigned)(rand() % 2 ?
								STORE_FLAG_DELETED :
								0),
					rand() % 2 ? "$Later" : "" };
			if (mail_message_flags_set(&u, &mf, c, k, &err) < 0)
				fail_msg("flags: %s", err.msg);
		} else if (op == 3 || op == 4) {
			if (!have_other)
				continue;
			int64_t pick[3], made[3];
			size_t k = 0;
			for (; k < 3 && k < n; k++)
				pick[k] = uids[(size_t)rand() % n];
			/* A UID twice is one message copied twice. */
			if (k > 1 && pick[0] == pick[1])
				k = 1;
			if (mail_message_copy(&u, &mf, pick, k, &of, op == 4,
				    made, &err) < 0 &&
				err.code != ERROR_LIMIT)
				fail_msg("copy: %s", err.msg);
			changed = op == 4 && err.code != ERROR_LIMIT;
		} else if (op == 5) {
			int64_t gone[2] = { uids[(size_t)rand() % n],
				uids[(size_t)rand() % n] };
			if (mail_message_expunge(&u, &mf, gone,
				    gone[0] == gone[1] ? 1 : 2, &err) < 0)
				fail_msg("expunge: %s", err.msg);
			changed = true;
		} else if (op == 6 || op == 7) {
			if (strcmp(name, "INBOX") == 0)
				continue;
			if (mail_folder_delete(&u, name, &err) < 0)
				fail_msg("delete: %s", err.msg);
			have_other = false;
		} else {
			if (rand() % 4 != 0)
				continue;
			int64_t purged;
			assert_int_equal(store_begin(f->u.st, &err), 0);
			if (store_mailbox_purge(f->u.st, mb.id, 5000 + step,
				    &purged, &err) < 0)
				fail_msg("purge: %s", err.msg);
			assert_int_equal(store_commit(f->u.st, &err), 0);
			have_other = false;
		}
		kinds[op]++;
		if (changed)
			assert_true(changes_of(&u, &mf) > before);
		/* Nothing was done to the other folder. */
		if (have_other && op != 1 && op != 3 && op != 4)
			assert_int_equal(changes_of(&u, &of), other_before);
		check_counts(f, &u, step);
		check_views(&u, scratch, results, step, &views);
		given->step = step;
		each_folder(&u, uids_never_again, given);
	}
	free(given);
	arena_free(&routing.arena);
	for (int k = 0; k < 9; k++) {
		if (kinds[k] < 5)
			fail_msg("operation %d made %d times", k, kinds[k]);
	}
	/* Each way through mail_view.c was taken, often. */
	if (views.rows < 5 || views.written < 5 || views.stored < 50 ||
		views.stored_with_changes < 50 || views.rewritten < 5)
		fail_msg("views: %d from rows (%d stored), %d stored (%d with "
			 "changes, %d written again)", views.rows,
			views.written, views.stored, views.stored_with_changes,
			views.rewritten);
	arena_free(&scratch);
	arena_free(&results);
	store_writer_stop(&w);
}

/*
 * The stored view's format refuses what is not a whole view: each case is
 * a well-formed view broken one way, and the well-formed one reads.
 */
static void
test_view_format_refuses_broken_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *bytes;
		size_t size;
		int rc;
	} cases[] = {
		{ "whole", "CMV1\x02\x01\x02$a\x05\x01\x02\x81\x01", 14, 0 },
		{ "empty", "CMV1\x00\x00", 6, 0 },
		{ "no magic", "CMV9\x00\x00", 6, -1 },
		{ "short", "CMV", 3, -1 },
		{ "cut in a message", "CMV1\x02\x01\x02$a\x05\x01\x02\x81", 13,
			-1 },
		{ "bytes left over", "CMV1\x00\x00\x00", 7, -1 },
		{ "a step of 0", "CMV1\x02\x00\x05\x01\x00\x01", 10, -1 },
		{ "list out of range", "CMV1\x01\x01\x02$a\x05\x81\x02", 12,
			-1 },
		{ "list 0", "CMV1\x01\x01\x02$a\x05\x81\x00", 12, -1 },
		{ "unknown flag bit", "CMV1\x01\x00\x05\x40", 8, -1 },
		{ "empty list", "CMV1\x01\x01\x00\x05\x00", 9, -1 },
		{ "NUL in a list", "CMV1\x01\x01\x02$\x00\x05\x00", 11, -1 },
		{ "count past the bytes", "CMV1\x7f\x00\x05\x00", 8, -1 },
		{ "UID past 32 bits", "CMV1\x02\x00\xff\xff\xff\xff\x0f\x00"
			"\x01\x00", 14, -1 },
		{ "varint too long", "CMV1\x80\x80\x80\x80\x80\x01\x00", 11,
			-1 },
		/* Version 2: the same view (mail_view_encode writes it). */
		{ "v2 whole", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01" "\x01\x01" "\x00"
			"\x00" "\x01\x01\x01", 21, 0 },
		{ "v2 empty", "CMV2\x00\x00\x00\x00\x00\x00", 10, 0 },
		{ "v2 runs short of the count", "CMV2\x02\x01\x02$a" "\x01\x05\x01" "\x01\x01"
			"\x00" "\x00" "\x01\x01\x01", 19, -1 },
		{ "v2 a run of none", "CMV2\x02\x01\x02$a" "\x02\x05\x00\x02\x02" "\x01\x01"
			"\x00" "\x00" "\x01\x01\x01", 21, -1 },
		{ "v2 a gap of 0", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x00\x01" "\x01\x01"
			"\x00" "\x00" "\x01\x01\x01", 21, -1 },
		{ "v2 UID past 32 bits", "CMV2\x02\x01\x02$a" "\x01\xff\xff\xff\xff\x0f\x02"
			"\x01\x01" "\x00" "\x00" "\x01\x01\x01", 23, -1 },
		{ "v2 a code past the table", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x04" "\x00" "\x01\x01\x01", 21, -1 },
		{ "v2 an escape missing", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x0c" "\x00" "\x01\x01\x01", 21, -1 },
		{ "v2 an escape unused", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x00" "\x01\x01" "\x01\x01\x01", 22,
			-1 },
		{ "v2 an escape's unknown bit", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x0c" "\x01\x40" "\x01\x01\x01", 22,
			-1 },
		{ "v2 a table's unknown bit", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x20" "\x00" "\x00" "\x01\x01\x01", 21, -1 },
		{ "v2 bits past the last message", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x30" "\x00" "\x01\x01\x01", 21, -1 },
		{ "v2 a list's message twice", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x00" "\x00" "\x02\x01\x01\x00\x01", 23,
			-1 },
		{ "v2 a list past the messages", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x00" "\x00" "\x01\x02\x01", 21, -1 },
		{ "v2 list out of range", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x00" "\x00" "\x01\x01\x02", 21, -1 },
		{ "v2 bytes left over", "CMV2\x02\x01\x02$a" "\x02\x05\x01\x02\x01"
			"\x01\x01" "\x00" "\x00" "\x01\x01\x01\x00", 22, -1 },
		{ "v2 count past the flags", "CMV2\x7f\x00\x01\x01\x7f\x00"
			"\x00\x00\x00", 13, -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mail_folder_view v;
		int rc = mail_view_decode((const unsigned char *)cases[i].bytes,
			cases[i].size, &v);
		if (rc != cases[i].rc)
			fail_msg("%s: %d", cases[i].name, rc);
		if (rc == 0)
			mail_folder_view_free(&v);
	}
	struct mail_folder_view v;
	assert_int_equal(mail_view_decode((const unsigned char *)cases[0].bytes,
				 cases[0].size, &v),
		0);
	assert_int_equal(v.count, 2);
	assert_int_equal(v.uids[0], 5);
	assert_int_equal(v.uids[1], 7);
	assert_int_equal(v.flags[0], 1);
	assert_int_equal(v.list_of[0], 0);
	assert_int_equal(v.flags[1], 1);
	assert_int_equal(v.list_of[1], 1);
	assert_string_equal(v.lists[0], "$a");
	/* Written again, a version 1 view is the version 2 case above. */
	size_t size;
	unsigned char *again = mail_view_encode(&v, &size);
	size_t two = 0;
	while (strcmp(cases[two].name, "v2 whole") != 0)
		two++;
	assert_int_equal(size, cases[two].size);
	assert_memory_equal(again, cases[two].bytes, size);
	free(again);
	mail_folder_view_free(&v);
}

/*
 * A large folder's stored view is small (bench B3: 50,000 messages, 70 %
 * seen and 5 % flagged at random, two expunged; answered and drafts
 * besides): a quarter of a byte a message and a little, where version 1
 * took two bytes; and it reads back the same.
 */
static void
test_view_format_is_small(void **state)
{
	(void)state;
	struct mail_folder_view v = { 0 };
	size_t n = 50000;
	v.uids = calloc(n, sizeof(*v.uids));
	v.flags = calloc(n, 1);
	v.list_of = calloc(n, sizeof(*v.list_of));
	v.lists = calloc(1, sizeof(*v.lists));
	v.lists[0] = strdup("$Work");
	v.list_count = 1;
	srandom(3);
	uint32_t uid = 0;
	for (size_t i = 0; i < n; i++) {
		uid += i == 100 || i == 30000 ? 2 : 1;
		v.uids[i] = uid;
		v.flags[i] = (uint8_t)((random() % 100 < 70 ? 0x01 : 0) |
			(random() % 100 < 5 ? 0x04 : 0) |
			(i % 997 == 0 ? 0x02 : 0) | (i % 4999 == 0 ? 0x10 : 0));
		if (i % 1000 == 7)
			v.list_of[i] = 1;
	}
	v.count = n;
	size_t size;
	unsigned char *packed = mail_view_encode(&v, &size);
	assert_true(size < n / 4 + 1024);
	struct mail_folder_view back;
	assert_int_equal(mail_view_decode(packed, size, &back), 0);
	assert_int_equal(back.count, n);
	assert_memory_equal(back.uids, v.uids, n * sizeof(*v.uids));
	assert_memory_equal(back.flags, v.flags, n);
	assert_memory_equal(back.list_of, v.list_of, n * sizeof(*v.list_of));
	assert_string_equal(back.lists[0], "$Work");
	free(packed);
	mail_folder_view_free(&back);
	mail_folder_view_free(&v);
}

/*
 * The summary pack's format (migration 37, mail_summary.c): what is
 * encoded decodes to the same values for the UIDs a view holds, those it
 * lacks are left as they were, and bytes that are not a whole run (cut,
 * counts that differ between parts, a step of 0, a missing NUL) are
 * refused with the items untouched.
 */
static void
test_summary_pack_format(void **state)
{
	(void)state;
	uint32_t uids[] = { 3, 9, 10, 400000 };
	struct mail_packed items[4];
	memset(items, 0, sizeof(items));
	const char *subjects[] = { "first", "", "caf\xc3\xa9 foo", "last" };
	for (int i = 0; i < 4; i++) {
		items[i].present = i != 1; /* 9 is not written */
		items[i].size = 1000 * (i + 1);
		items[i].internal_date = i == 3 ? -86400 : 1780000000 + i;
		for (int p = 0; p < MAIL_SUMMARY_PARTS; p++)
			items[i].text[p] = "";
		items[i].text[MAIL_SUMMARY_SUBJECT] = subjects[i];
		items[i].text[MAIL_SUMMARY_CC] = i == 2 ? "x@y.example" : "";
	}
	struct mail_summary_bytes parts[MAIL_SUMMARY_PARTS] = { { 0 } };
	unsigned char *data[MAIL_SUMMARY_PARTS];
	for (int p = 0; p < MAIL_SUMMARY_PARTS; p++) {
		data[p] = mail_summary_encode(items, uids, 4, p,
			&parts[p].size);
		parts[p].data = data[p];
	}
	/* A view of 2, 3, 10, 11 and 400000: 11 and 2 are not in the run. */
	uint32_t view[] = { 2, 3, 10, 11, 400000 };
	struct mail_packed got[5];
	memset(got, 0, sizeof(got));
	size_t matched, entries;
	struct mail_summary_bytes asked[MAIL_SUMMARY_PARTS] = { parts[0],
		parts[MAIL_SUMMARY_SUBJECT], { 0 }, { 0 },
		parts[MAIL_SUMMARY_CC], { 0 } };
	assert_int_equal(mail_summary_decode(asked, view, got, 5, &matched,
				 &entries),
		0);
	assert_int_equal(matched, 3);
	assert_int_equal(entries, 3);
	assert_false(got[0].present);
	assert_false(got[3].present);
	assert_true(got[1].present && got[2].present && got[4].present);
	assert_int_equal(got[1].size, 1000);
	assert_int_equal(got[2].internal_date, 1780000002);
	assert_int_equal(got[4].internal_date, -86400);
	assert_string_equal(got[2].text[MAIL_SUMMARY_SUBJECT],
		"caf\xc3\xa9 foo");
	assert_string_equal(got[4].text[MAIL_SUMMARY_SUBJECT], "last");
	assert_string_equal(got[2].text[MAIL_SUMMARY_CC], "x@y.example");
	assert_null(got[2].text[MAIL_SUMMARY_FROM]); /* not asked */

	/*
	 * The ENVELOPE part: "" is one the run does not hold, which leaves
	 * the item's as it was (read by row); the others are given.
	 */
	items[0].text[MAIL_SUMMARY_ENVELOPE] = "(\"env 3\")";
	items[3].text[MAIL_SUMMARY_ENVELOPE] = "(\"env 400000\")";
	size_t env_size;
	unsigned char *env = mail_summary_encode(items, uids, 4,
		MAIL_SUMMARY_ENVELOPE, &env_size);
	struct mail_summary_bytes with_env[MAIL_SUMMARY_PARTS] = { parts[0] };
	with_env[MAIL_SUMMARY_ENVELOPE] =
		(struct mail_summary_bytes){ env, env_size };
	memset(got, 0, sizeof(got));
	got[2].text[MAIL_SUMMARY_ENVELOPE] = "(\"from the row\")";
	assert_int_equal(mail_summary_decode(with_env, view, got, 5, &matched,
				 &entries),
		0);
	assert_int_equal(matched, 3);
	assert_string_equal(got[1].text[MAIL_SUMMARY_ENVELOPE], "(\"env 3\")");
	assert_string_equal(got[2].text[MAIL_SUMMARY_ENVELOPE],
		"(\"from the row\")");
	assert_string_equal(got[4].text[MAIL_SUMMARY_ENVELOPE],
		"(\"env 400000\")");
	free(env);

	/* Broken: each refused, nothing filled. */
	unsigned char buf[256];
	struct {
		const char *name;
		int part;
		size_t cut; /* bytes taken off the end */
		size_t at;  /* a byte changed, 0: none */
		unsigned char to;
	} cases[] = {
		{ "uids cut", 0, 1, 0, 0 },
		{ "subjects cut", MAIL_SUMMARY_SUBJECT, 1, 0, 0 },
		{ "no magic", 0, 0, 1, 'X' },
		{ "a step of 0", 0, 0, 5, 0 },
		{ "count differs", MAIL_SUMMARY_SUBJECT, 0, 4, 2 },
		{ "a NUL too many", MAIL_SUMMARY_SUBJECT, 0, 6, 0 },
		{ "the last NUL gone", MAIL_SUMMARY_CC, 0, 99, 'z' },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct mail_summary_bytes b[MAIL_SUMMARY_PARTS];
		memcpy(b, asked, sizeof(b));
		int p = cases[c].part;
		assert_true(b[p].size <= sizeof(buf));
		memcpy(buf, b[p].data, b[p].size);
		size_t size = b[p].size - cases[c].cut;
		if (cases[c].at == 99)
			buf[size - 1] = cases[c].to;
		else if (cases[c].at > 0)
			buf[cases[c].at] = cases[c].to;
		b[p] = (struct mail_summary_bytes){ buf, size };
		memset(got, 0, sizeof(got));
		if (mail_summary_decode(b, view, got, 5, &matched, &entries) !=
			-1)
			fail_msg("%s: decoded", cases[c].name);
		for (int i = 0; i < 5; i++)
			if (got[i].present)
				fail_msg("%s: filled %d", cases[c].name, i);
	}
	for (int p = 0; p < MAIL_SUMMARY_PARTS; p++)
		free(data[p]);
}

/* A writer and Ann's Inbox, opened as a session opens them. */
static struct store_writer *
ann_inbox(struct fixture *f, struct mail_user *u, struct mail_folder *inbox)
{
	struct error err;
	struct store_writer *w = store_writer_start(f->u.backend, f->u.path,
		5000, &err);
	assert_non_null(w);
	assert_int_equal(mail_user_open(&f->u.ctx, w, f->ann, u, &err), 0);
	assert_int_equal(mail_folder_open(u, "INBOX", inbox, &err), 0);
	return w;
}

/* A message appended to the folder as APPEND does: its UID. */
static int64_t
append_one(struct mail_user *u, struct mail_folder *folder)
{
	struct error err;
	struct mail_append m = { .data = message, .size = sizeof(message) - 1,
		.keywords = "", .internal_date = 1000 };
	int64_t uid;
	if (mail_message_append(u, folder, &m, &uid, &err) < 0)
		fail_msg("append: %s", err.msg);
	return uid;
}

/*
 * A UID once given in a folder is never given again (RFC 3501 2.3.1.1),
 * however a message went in: APPEND after the newest was expunged; a
 * delivery, whose set-wise insert leaves moving the next UID to the
 * counting trigger (migration 45); APPEND after every message is gone.
 * STATUS's UIDNEXT is past each.
 */
static void
test_uids_never_given_twice(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	int64_t a = append_one(&u, &inbox);
	int64_t b = append_one(&u, &inbox);
	assert_int_equal(b, a + 1);
	assert_int_equal(mail_message_expunge(&u, &inbox, &b, 1, &err), 0);
	int64_t c = append_one(&u, &inbox);
	assert_int_equal(c, b + 1);
	store_writer_stop(&w);
	struct mail_recipient *to;
	size_t n;
	assert_int_equal(mail_route(&f->u.ctx, f->ann, false, &to, &n, &err),
		0);
	struct mail_delivery_report report;
	assert_int_equal(deliver_to(f, to, n, 10, &report), 0);
	assert_int_equal(report.mailboxes, 1);
	w = ann_inbox(f, &u, &inbox);
	int64_t uids[4];
	assert_int_equal(folder_uids(&u, &inbox, uids, 4), 3);
	assert_int_equal(uids[2], c + 1);
	assert_int_equal(mail_message_expunge(&u, &inbox, uids, 3, &err), 0);
	struct mail_folder_status st;
	assert_int_equal(mail_folder_status(&u, &inbox, &st, &err), 0);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.uidnext, c + 2);
	assert_int_equal(append_one(&u, &inbox), c + 2);
	assert_int_equal(mail_folder_status(&u, &inbox, &st, &err), 0);
	assert_int_equal(st.uidnext, c + 3);
	store_writer_stop(&w);
}

/*
 * A message names a folder and a body that exist, held by the database on
 * both backends (SQLite's foreign keys; PostgreSQL's triggers, migration
 * 46): a message naming neither is refused, and so is deleting a folder
 * or body a message names, each as a broken rule of the store, leaving
 * the transaction able to go on.
 */
static void
test_messages_refer_to_what_exists(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	append_one(&u, &inbox);
	store_writer_stop(&w);
	struct store *st = f->u.st;
	struct store_message_flag_row *rows;
	assert_int_equal(flag_rows(&u, &inbox, &rows, 4), 1);
	struct store_message *msgs;
	size_t n;
	assert_int_equal(store_folder_messages(st, inbox.id, 1, INT64_MAX, 4,
				 STORE_MESSAGE_COLUMNS_ALL, f->u.arena, &msgs,
				 &n, &err), 0);
	assert_int_equal(n, 1);
	struct store_message m = msgs[0];
	assert_int_equal(store_begin(st, &err), 0);
	static const char insert[] = "INSERT INTO messages (folder_id, uid,"
		" body_id, size, internal_date) VALUES (?, ?, ?, 1, 0)";
	assert_int_equal(store_exec(st, &err, insert, "iii", inbox.id + 1000,
				 (int64_t)1, m.body_id), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(store_exec(st, &err, insert, "iii", inbox.id,
				 rows[0].uid + 1, m.body_id + 1000), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(store_exec(st, &err, "DELETE FROM folders WHERE id = ?",
				 "i", inbox.id), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(store_exec(st, &err, "DELETE FROM bodies WHERE id = ?",
				 "i", m.body_id), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	/* What exists still goes in, in the same transaction. */
	assert_int_equal(store_exec(st, &err, insert, "iii", inbox.id,
				 rows[0].uid + 1, m.body_id), 1);
	store_rollback(st);
}

/*
 * A view stored in the first format ("CMV1", 8 bytes a message) is read,
 * then written again in the second ("CMV2", 13 KB for B3's 50,000
 * messages where CMV1 took 100 KB), though nothing changed since.
 */
static void
test_first_format_view_written_again(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	int64_t uid[3];
	for (size_t i = 0; i < 3; i++)
		uid[i] = append_one(&u, &inbox);
	int64_t changes = changes_of(&u, &inbox);
	/* UIDs as steps from 0, no flags, no keyword lists. */
	unsigned char cmv1[] = { 'C', 'M', 'V', '1', 3, 0,
		(unsigned char)uid[0], 0,
		(unsigned char)(uid[1] - uid[0]), 0,
		(unsigned char)(uid[2] - uid[1]), 0 };
	bool stored = false;
	assert_int_equal(store_begin(f->u.st, &err), 0);
	assert_int_equal(store_folder_view_put(f->u.st, inbox.id, changes,
				 cmv1, sizeof(cmv1), &stored, &err), 0);
	assert_int_equal(store_commit(f->u.st, &err), 0);
	assert_true(stored);

	struct arena *scratch = arena_new(1024 * 1024);
	struct mail_folder_view v;
	assert_int_equal(mail_folder_view_read(&u, &inbox, 1, scratch, &v,
				 &err), 0);
	assert_int_equal(v.source, MAIL_FOLDER_VIEW_STORED);
	assert_int_equal(v.count, 3);
	assert_int_equal(v.uids[2], uid[2]);
	assert_true(v.stored);
	mail_folder_view_free(&v);
	struct store_folder_view sv;
	assert_int_equal(store_folder_view_get(f->u.st, inbox.id, scratch, &sv,
				 &err), 0);
	assert_true(sv.found && sv.size >= 4);
	assert_memory_equal(sv.data, "CMV2", 4);
	/* Read again: the second format is not written again for nothing. */
	assert_int_equal(mail_folder_view_read(&u, &inbox, 1, scratch, &v,
				 &err), 0);
	assert_false(v.stored);
	mail_folder_view_free(&v);
	arena_free(&scratch);
	store_writer_stop(&w);
}

/*
 * Opening a folder with its state reads its change counter and first UID
 * not yet \Recent with its row (one statement: SELECT's only one when
 * its view is kept): the same values the separate reads give, and the
 * same as the two read apart from the row (a shared folder's SELECT),
 * after every step of a random walk of appends, claims of \Recent and
 * expunges.
 */
static void
test_folder_open_reads_its_state(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	unsigned seed = 20261207;
	int64_t last = 0;
	for (int step = 0; step < 40; step++) {
		struct mail_folder_state st, apart;
		assert_int_equal(mail_folder_open_with_state(&u, "INBOX", &inbox,
					 &st, &err), 0);
		int64_t first;
		assert_int_equal(mail_folder_recent_first(&u, &inbox, &first,
					 &err), 0);
		assert_int_equal(st.changes, changes_of(&u, &inbox));
		assert_int_equal(st.recent_first, first);
		assert_int_equal(mail_folder_open_state(&u, &inbox, &apart,
					 &err), 0);
		assert_int_equal(apart.changes, st.changes);
		assert_int_equal(apart.recent_first, first);
		int op = (int)(rand_r(&seed) % 3);
		if (op == 0 || last == 0) {
			last = append_one(&u, &inbox);
		} else if (op == 1) {
			int64_t upto = 1 + (int64_t)(rand_r(&seed) %
				(unsigned)last) + 1;
			int64_t claimed;
			assert_int_equal(mail_folder_recent_claim(&u, &inbox,
						 upto, first, &claimed, &err), 0);
			assert_true(claimed >= first || claimed == upto);
		} else {
			int64_t gone = 1 + (int64_t)(rand_r(&seed) %
				(unsigned)last);
			assert_int_equal(mail_message_expunge(&u, &inbox, &gone,
						 1, &err), 0);
		}
	}
	store_writer_stop(&w);
}

/*
 * An EXPUNGE of any set of messages is one set of statements: every
 * message named goes, the folder's change counter moves by as many, and
 * the mailbox gets back exactly their bytes; a UID named twice, or one
 * never given or already gone, changes nothing more. A random walk of
 * sets of every size (0 to all) over messages of different sizes.
 */
static void
test_expunge_many_at_once(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	enum { MESSAGES = 40 };
	int64_t uids[MESSAGES], sizes[MESSAGES];
	bool live[MESSAGES];
	char body[sizeof(message) + MESSAGES * 7];
	for (size_t i = 0; i < MESSAGES; i++) {
		/* The message with i * 7 more bytes of body. */
		size_t size = sizeof(message) - 1 + i * 7;
		memcpy(body, message, sizeof(message) - 1);
		memset(body + sizeof(message) - 1, 'x', i * 7);
		struct mail_append m = { .data = body, .size = size,
			.keywords = "", .internal_date = 1000 };
		assert_int_equal(mail_message_append(&u, &inbox, &m, &uids[i],
					 &err), 0);
		sizes[i] = (int64_t)size;
		live[i] = true;
	}
	unsigned seed = 20261207;
	size_t left = MESSAGES;
	while (left > 0) {
		int64_t named[2 * MESSAGES + 1];
		size_t n = 0, gone = 0;
		int64_t bytes = 0;
		size_t want = (size_t)rand_r(&seed) % (left + 1);
		for (size_t i = 0; i < MESSAGES && gone < want; i++) {
			if (!live[i] || rand_r(&seed) % 2 == 0)
				continue;
			named[n++] = uids[i];
			if (rand_r(&seed) % 4 == 0)
				named[n++] = uids[i];	/* twice */
			live[i] = false;
			bytes += sizes[i];
			gone++;
		}
		/* The first UID (soon gone, then named again), or none given. */
		int64_t extra = rand_r(&seed) % 2 ? uids[0] :
						    uids[MESSAGES - 1] + 7;
		named[n++] = extra;
		if (extra == uids[0] && live[0]) {
			live[0] = false;
			bytes += sizes[0];
			gone++;
		}
		int64_t used, after, before = changes_of(&u, &inbox);
		assert_int_equal(store_mailbox_used(f->u.st, inbox.mailbox_id,
					 &used, &err), 0);
		assert_int_equal(mail_message_expunge(&u, &inbox, named, n,
					 &err), 0);
		assert_int_equal(store_mailbox_used(f->u.st, inbox.mailbox_id,
					 &after, &err), 0);
		assert_int_equal(used - after, bytes);
		assert_int_equal(changes_of(&u, &inbox), before + (int64_t)gone);
		left -= gone;
		int64_t now[MESSAGES];
		size_t k = 0, count = folder_uids(&u, &inbox, now, MESSAGES);
		assert_int_equal(count, left);
		for (size_t i = 0; i < MESSAGES; i++)
			if (live[i])
				assert_int_equal(now[k++], uids[i]);
	}
	store_writer_stop(&w);
}

/*
 * COPY of a set of messages (RFC 3501 §6.4.7, RFC 4315 COPYUID): those
 * still there are copied once each, in the order of their UIDs, with
 * their flags and keywords, whatever order and repeats the set was given
 * in; one expunged meanwhile gets new UID 0; the target mailbox is
 * charged exactly their bytes; and it costs the same few statements for
 * 2 messages as for 20. MOVE takes them out of the source, in the same
 * way.
 */
static void
test_copy_many_at_once(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox, kept;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	enum { MESSAGES = 24 };
	int64_t uids[MESSAGES], sizes[MESSAGES];
	char body[sizeof(message) + MESSAGES * 5];
	for (size_t i = 0; i < MESSAGES; i++) {
		size_t size = sizeof(message) - 1 + i * 5;
		memcpy(body, message, sizeof(message) - 1);
		memset(body + sizeof(message) - 1, 'y', i * 5);
		struct mail_append m = { .data = body, .size = size,
			.keywords = i % 2 ? "$Later" : "",
			.flags = i % 3 ? STORE_FLAG_SEEN : 0,
			.internal_date = 1000 + (int64_t)i };
		assert_int_equal(mail_message_append(&u, &inbox, &m, &uids[i],
					 &err), 0);
		sizes[i] = (int64_t)size;
	}
	assert_int_equal(mail_folder_create(&u, "Kept", &err), 0);
	assert_int_equal(mail_folder_open(&u, "Kept", &kept, &err), 0);
	assert_int_equal(mail_message_expunge(&u, &inbox, &uids[2], 1, &err),
		0);
	int64_t before, after;
	assert_int_equal(store_mailbox_used(f->u.st, inbox.mailbox_id, &before,
				 &err), 0);
	int64_t named[] = { uids[5], uids[0], uids[2], uids[1], uids[0] };
	int64_t made[5];
	assert_int_equal(mail_message_copy(&u, &inbox, named, 5, &kept, false,
				 made, &err), 0);
	struct store_message_flag_row *rows;
	assert_int_equal(flag_rows(&u, &kept, &rows, MESSAGES), 3);
	int64_t first = rows[0].uid;
	int64_t want[] = { first + 2, first, 0, first + 1, first };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(made[i], want[i]);
	size_t from[] = { 0, 1, 5 };
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(rows[k].uid, first + (int64_t)k);
		assert_int_equal(rows[k].flags & STORE_FLAG_SEEN,
			from[k] % 3 ? STORE_FLAG_SEEN : 0);
		assert_string_equal(rows[k].keywords,
			from[k] % 2 ? "$Later" : "");
	}
	assert_int_equal(store_mailbox_used(f->u.st, inbox.mailbox_id, &after,
				 &err), 0);
	assert_int_equal(after - before, sizes[0] + sizes[1] + sizes[5]);
	/* MOVE: the same into Kept, and gone from the Inbox. */
	int64_t moved[2] = { uids[7], uids[6] };
	assert_int_equal(mail_message_copy(&u, &inbox, moved, 2, &kept, true,
				 made, &err), 0);
	assert_int_equal(made[1], first + 3);
	assert_int_equal(made[0], first + 4);
	int64_t now[MESSAGES + 2];
	assert_int_equal(folder_uids(&u, &inbox, now, MESSAGES), MESSAGES - 3);
	for (size_t i = 0; i < MESSAGES - 3; i++)
		assert_true(now[i] != uids[2] && now[i] != uids[6] &&
			now[i] != uids[7]);
	/* Into the same folder: after its last UID, the originals kept. */
	int64_t again[2] = { uids[9], uids[8] };
	assert_int_equal(mail_message_copy(&u, &inbox, again, 2, &inbox,
				 false, made, &err), 0);
	assert_int_equal(folder_uids(&u, &inbox, now, MESSAGES + 2),
		MESSAGES - 1);
	assert_int_equal(made[1], uids[MESSAGES - 1] + 1);
	assert_int_equal(made[0], uids[MESSAGES - 1] + 2);
	assert_int_equal(now[MESSAGES - 3], made[1]);
	assert_int_equal(now[MESSAGES - 2], made[0]);
	store_writer_stop(&w);
	/* The statements: as many for 2 messages as for 20. */
	uint64_t counts[2];
	size_t sizes_asked[2] = { 2, 20 };
	for (size_t t = 0; t < 2; t++) {
		int64_t out[20];
		assert_int_equal(store_begin(f->u.st, &err), 0);
		uint64_t at = store_statement_count(f->u.st);
		assert_int_equal(store_messages_copy(f->u.st, inbox.id,
					 uids + 3, sizes_asked[t], kept.id, out,
					 &err), 0);
		counts[t] = store_statement_count(f->u.st) - at;
		assert_int_equal(store_commit(f->u.st, &err), 0);
	}
	assert_int_equal(counts[0], counts[1]);
}

/*
 * STORE on a set of messages: each gets its own outcome, however the
 * changes are ordered and however many share one (they go one statement
 * per outcome); a message expunged meanwhile is skipped.
 */
static void
test_flags_many_at_once(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	enum { MESSAGES = 12 };
	int64_t uids[MESSAGES];
	for (size_t i = 0; i < MESSAGES; i++)
		uids[i] = append_one(&u, &inbox);
	assert_int_equal(mail_message_expunge(&u, &inbox, &uids[4], 1, &err),
		0);
	static const char *const words[] = { "", "$Later", "$Later Work" };
	struct mail_flag_change c[MESSAGES];
	for (size_t i = 0; i < MESSAGES; i++)
		c[i] = (struct mail_flag_change){ uids[MESSAGES - 1 - i],
			(MESSAGES - 1 - i) % 2 ? STORE_FLAG_SEEN :
						 STORE_FLAG_FLAGGED,
			words[(MESSAGES - 1 - i) % 3] };
	assert_int_equal(mail_message_flags_set(&u, &inbox, c, MESSAGES, &err),
		0);
	struct store_message_flag_row *rows;
	assert_int_equal(flag_rows(&u, &inbox, &rows, MESSAGES), MESSAGES - 1);
	for (size_t k = 0, i = 0; i < MESSAGES; i++) {
		if (i == 4)
			continue;
		assert_int_equal(rows[k].uid, uids[i]);
		assert_int_equal(rows[k].flags,
			i % 2 ? STORE_FLAG_SEEN : STORE_FLAG_FLAGGED);
		assert_string_equal(rows[k].keywords, words[i % 3]);
		k++;
	}
	store_writer_stop(&w);
}

/*
 * A run's ENVELOPE part is stored only beside the very run it was made
 * for: its part 0 the same bytes (its entries follow part 0's UIDs), not
 * another run with the same first and last UID that another session
 * wrote meanwhile, whose ENVELOPEs would land on the wrong messages.
 */
static void
test_pack_part_only_beside_its_run(void **state)
{
	struct fixture *f = *state;
	struct error err;
	struct mail_user u;
	struct mail_folder inbox;
	struct store_writer *w = ann_inbox(f, &u, &inbox);
	(void)append_one(&u, &inbox);
	static const unsigned char read[] = "run as read",
				   other[] = "run of another";
	struct store_summary_pack run = { 0, 1, 9, other, sizeof(other) },
				  seen = { 0, 1, 9, read, sizeof(read) },
				  part = { MAIL_SUMMARY_ENVELOPE, 1, 9,
					  (const unsigned char *)"env", 3 };
	struct store *st = f->u.st;
	bool stored;
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_folder_packs_put(st, inbox.id,
				 inbox.uidvalidity, true, &run, 1, &stored,
				 &err), 0);
	assert_true(stored);
	assert_int_equal(store_folder_pack_part_put(st, inbox.id,
				 inbox.uidvalidity, &seen, &part, &stored,
				 &err), 0);
	assert_false(stored);
	/* Nor of another UIDVALIDITY. */
	assert_int_equal(store_folder_pack_part_put(st, inbox.id,
				 inbox.uidvalidity + 1, &run, &part, &stored,
				 &err), 0);
	assert_false(stored);
	assert_int_equal(store_folder_pack_part_put(st, inbox.id,
				 inbox.uidvalidity, &run, &part, &stored,
				 &err), 0);
	assert_true(stored);
	assert_int_equal(store_commit(st, &err), 0);
	struct store_summary_pack *packs;
	size_t count;
	struct arena *a = arena_new(64 * 1024);
	assert_int_equal(store_folder_packs_get(st, inbox.id,
				 inbox.uidvalidity, ~0u, a, &packs, &count,
				 &err), 0);
	assert_int_equal(count, 2);
	assert_int_equal(packs[1].part, MAIL_SUMMARY_ENVELOPE);
	assert_int_equal(packs[1].size, 3);
	arena_free(&a);
	store_writer_stop(&w);
}

/* The statements a connection has ready: the server's, or SQLite's. */
static int64_t
statements_ready(struct store *st, bool pg)
{
	struct error err;
	return store_one_int(st, store_query(st, &err, pg ?
		"SELECT count(*) FROM pg_prepared_statements" :
		"SELECT count(*) FROM sqlite_stmt", ""), &err);
}

/* The bytes of the connection's recipient sets, on PostgreSQL. */
static int64_t
sets_bytes(struct store *st)
{
	struct error err;
	struct store_stmt *q = store_query(st, &err,
		"SELECT pg_total_relation_size('pg_temp.expansion')", "");
	assert_non_null(q);
	assert_int_equal(store_step(st, q, &err), 1);
	int64_t bytes = store_col_int(st, q, 0);
	store_finish(st, q);
	return bytes;
}

/*
 * A big recipient set leaves no lasting space behind on PostgreSQL (whose
 * temporary tables are never vacuumed): a delivery's set after a list of
 * 300,000 is back under store_pg.c's PG_SETS_MAX_BYTES, not 300,000 rows
 * bigger for the rest of the session, and works as before; a transaction
 * undone undoes that too; in a read transaction (which may not TRUNCATE)
 * it is emptied all the same; and many sets one after another leave no
 * more than a bounded amount. SQLite frees a temporary table's pages
 * itself.
 */
static void
test_big_set_leaves_no_space_behind(void **state)
{
	struct fixture *f = *state;
	if (strcmp(f->u.backend, "postgresql") != 0)
		skip();
	struct store *st = f->u.st;
	struct error err;
	assert_int_equal(store_set_begin(st, &err), 0);
	int64_t before = sets_bytes(st);
	assert_true(store_exec(st, &err, "INSERT INTO expansion (scope,"
		" mailbox_id) SELECT 0, g FROM generate_series(1, 300000) g",
		"") == 300000);
	assert_int_equal(store_set_drop(st, -1, &err), 0);
	assert_true(sets_bytes(st) > 8 * 1024 * 1024);
	/* Made anew in a transaction that is then undone: as it was. */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_set_begin(st, &err), 0);
	assert_true(sets_bytes(st) <= before + 64 * 1024);
	store_rollback(st);
	assert_true(sets_bytes(st) > 8 * 1024 * 1024);
	assert_int_equal(store_read_begin(st, &err), 0);
	assert_int_equal(store_set_begin(st, &err), 0);
	int64_t count = -1;
	assert_int_equal(store_set_count(st, 0, &count, &err), 0);
	assert_int_equal(count, 0);
	store_read_end(st);
	assert_int_equal(store_set_begin(st, &err), 0);
	assert_true(sets_bytes(st) <= before + 64 * 1024);
	assert_int_equal(store_set_add_mailbox(st, 0, 7, &err), 0);
	assert_int_equal(store_set_add_mailbox(st, 0, 7, &err), 0);
	assert_int_equal(store_set_count(st, 0, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_set_drop(st, -1, &err), 0);
	/*
	 * Whatever a connection's deliveries put in its sets, they stay
	 * bounded: twelve sets of 40,000 (480,000 rows in all) never leave
	 * more than the 8 MB limit plus the rows deleted before it is asked.
	 */
	for (int round = 0; round < 12; round++) {
		assert_int_equal(store_set_begin(st, &err), 0);
		assert_true(sets_bytes(st) <= 16 * 1024 * 1024);
		assert_true(store_exec(st, &err, "INSERT INTO expansion (scope,"
			" mailbox_id) SELECT 0, g FROM generate_series(1, 40000)"
			" g", "") == 40000);
		assert_int_equal(store_set_drop(st, -1, &err), 0);
	}
}

/*
 * A pool made ready at serve's start (store_pool_warm) keeps up to as
 * many connections as it keeps idle, each with the statements of a mail
 * client's first commands (sign-in, SELECT, FETCH, SEARCH) ready (on
 * PostgreSQL prepared by its server: a new connection's first SELECT of
 * a folder planned them all, 5 ms instead of 2 in B3); a connection
 * opened afterwards has not.
 */
static void
test_pool_warm_readies_first_commands(void **state)
{
	struct fixture *f = *state;
	struct error err;
	bool pg = strcmp(f->u.backend, "postgresql") == 0;
	struct store_pool *pool = store_pool_new(f->u.backend, f->u.path,
		1000, 3);
	struct store *fresh = store_pool_get(pool, &err);
	assert_non_null(fresh);
	int64_t cold = statements_ready(fresh, pg);
	store_close(&fresh);
	assert_true(cold >= 0);

	assert_int_equal(store_pool_warm(pool, 5), 3);
	struct store *lent[4];
	for (size_t i = 0; i < 4; i++) {
		lent[i] = store_pool_get(pool, &err);
		assert_non_null(lent[i]);
	}
	for (size_t i = 0; i < 3; i++)
		if (statements_ready(lent[i], pg) < cold + 12)
			fail_msg("connection %zu has %lld statements ready, "
				"a new one %lld", i,
				(long long)statements_ready(lent[i], pg),
				(long long)cold);
	/* The fourth was opened after: nothing ready. */
	assert_true(statements_ready(lent[3], pg) < cold + 12);
	/*
	 * Each PostgreSQL session compiles nothing (JIT took 160 ms of a
	 * list's delivery), hashes no join and holds its recipient sets in
	 * 64 MB (store_pg.c's pg_session).
	 */
	for (size_t i = 0; pg && i < 4; i++) {
		struct store_stmt *q = store_query(lent[i], &err,
			"SELECT current_setting('jit') = 'off'"
			" AND current_setting('enable_hashjoin') = 'off'"
			" AND current_setting('temp_buffers') = '64MB'", "");
		assert_non_null(q);
		assert_int_equal(store_step(lent[i], q, &err), 1);
		assert_int_equal(store_col_int(lent[i], q, 0), 1);
		store_finish(lent[i], q);
	}
	for (size_t i = 0; i < 4; i++)
		store_pool_put(pool, &lent[i]);
	store_pool_free(&pool);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_route_refusals),
		T(test_pool_warm_readies_first_commands),
		T(test_big_set_leaves_no_space_behind),
		T(test_first_format_view_written_again),
		T(test_pack_part_only_beside_its_run),
		T(test_folder_open_reads_its_state),
		T(test_expunge_many_at_once),
		T(test_copy_many_at_once),
		T(test_uids_never_given_twice),
		T(test_messages_refer_to_what_exists),
		T(test_flags_many_at_once),
		T(test_route_list_expands),
		T(test_list_outside_is_the_outside_of_the_expansion),
		T(test_deliver_list_and_person),
		T(test_list_and_person_copies_counted_once),
		T(test_list_members_over_quota_left_out),
		T(test_list_contact_named_directly_keeps_its_dsn),
		T(test_quota),
		T(test_watch_hears_only_committed_changes),
		T(test_quota_one_rule_one_wording),
		T(test_deliver_without_inbox_is_temporary),
		T(test_deliver_to_junk),
		T(test_deliver_sends_success_report),
		T(test_accept_writes_notes_with_delivery),
		T(test_accept_seals_for_outside),
		T(test_send_count_in_the_delivery_commit),
		T(test_stage_sending_limits_by_day),
		T(test_shared_sent_copies),
		T(test_uidvalidity_never_repeats),
		T(test_counters_follow_every_change),
		cmocka_unit_test(test_view_format_refuses_broken_bytes),
		cmocka_unit_test(test_view_format_is_small),
		cmocka_unit_test(test_summary_pack_format),
		T(test_watch_wakes_only_its_mailbox),
	};
	return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
