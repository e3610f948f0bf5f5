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
#include "mail/mail_folder.h"
#include "store/store_imap.h"
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
	struct store_writer *w = store_writer_start("sqlite", f->u.path, 5000,
		&err);
	assert_non_null(w);
	struct mail_message m = { message, sizeof(message) - 1, 2000,
		"ann.one@trust.example" };
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
	/* Delivery makes the Inbox; the rest come at the first sign-in. */
	assert_int_equal(store_folder_list(f->u.st, mb.id, f->u.arena, &folders,
				 &nf, &err),
		0);
	assert_int_equal(nf, 1);
	struct store_folder inbox;
	assert_int_equal(store_folder_special(f->u.st, mb.id, "inbox",
				 f->u.arena, &inbox, &err),
		0);
	assert_string_equal(inbox.name, "INBOX");
	struct store_message *msgs;
	size_t n;
	assert_int_equal(store_imap_messages(f->u.st, inbox.id, 1, INT64_MAX,
				 100, STORE_IMAP_COLUMNS_ALL, f->u.arena, &msgs,
				 &n, &err),
		0);
	/* Reached three ways, delivered once. */
	assert_int_equal(n, 1);
	assert_string_equal(msgs[0].meta.subject, "Rota for next week");
	assert_int_equal(msgs[0].internal_date, 2000);
	struct store_queued *q;
	assert_int_equal(store_queue_list(f->u.st, f->u.arena, &q, &n, &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(q[0].recipient, "lab@hospital.example");
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

/* A message of about n bytes to the fixture's list. */
static int
deliver_to(struct fixture *f, const struct mail_recipient *to, size_t count,
	size_t n, struct mail_delivery_report *report)
{
	char *data = malloc(n + 200);
	int len = snprintf(data, 200, "Subject: big\r\n\r\n");
	memset(data + len, 'x', n);
	struct mail_message m = { data, (size_t)len + n, 3000, "x@y.example" };
	struct error err;
	struct store_writer *w = store_writer_start("sqlite", f->u.path, 5000,
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
	assert_int_equal(store_queue_list(f->u.st, f->u.arena, &q, &n, &err),
		0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(q[i].recipient, "lab@hospital.example");
}

static bool
watch_readable(const struct mail_watch *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

/* Mailboxes 7 and 7 + 256 share a bucket; only 7's change wakes 7. */
static void
test_watch_wakes_only_its_mailbox(void **state)
{
	(void)state;
	struct mail_watch a = { .fd = -1 }, b = { .fd = -1 };
	struct error err;
	assert_int_equal(mail_watch_start(&a, 7, &err), 0);
	assert_int_equal(mail_watch_start(&b, 7 + 256, &err), 0);
	uint64_t seq = mail_change_seq(7);
	assert_false(watch_readable(&a));
	mail_notify_changed(7 + 256);
	assert_false(watch_readable(&a));
	assert_true(watch_readable(&b));
	assert_int_not_equal(mail_change_seq(7), seq);
	mail_notify_changed(7);
	mail_notify_changed(7);
	assert_true(watch_readable(&a));
	mail_watch_clear(&a);
	assert_false(watch_readable(&a));
	mail_watch_stop(&b);
	assert_int_equal(b.fd, -1);
	mail_notify_changed(7 + 256);	/* no write to a closed watch */
	assert_false(watch_readable(&a));
	mail_watch_stop(&a);
	mail_watch_stop(&a);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_route_refusals),
		T(test_route_list_expands),
		T(test_deliver_list_and_person),
		T(test_list_members_over_quota_left_out),
		T(test_quota),
		cmocka_unit_test(test_watch_wakes_only_its_mailbox),
	};
	return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
