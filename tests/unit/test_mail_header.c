/*
 * The header rules of issue 8 as properties, on a real store: every
 * (identity x header position x spelling) is answered as the envelope rule
 * answers that address; tricks that show one address and carry another are
 * refused; no EHLO name changes the Received header's structure; each
 * recipient is listed once however it is written; the free-space rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fold.h"
#include "core/spool.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_compose.h"
#include "mail/mail_mime.h"
#include "smtp/smtp_parse.h"
#include "unit_instance.h"

struct fixture {
	struct unit_instance u;
	const char *ann, *bob, *as_box, *behalf_box;
};

static const char outside[] = "far.away@elsewhere.example";

static const char *
person(struct fixture *f, const char *first, const char *last)
{
	struct dir_person_fields in = { .org_ods = "QWE", .first_name = first,
		.last_name = last, .mobile_hidden = -1 };
	struct store_person p;
	struct error err;
	if (dir_person_add(&f->u.ctx, &in, &p, &err) < 0)
		fail_msg("%s", err.msg);
	return p.address;
}

static const char *
shared(struct fixture *f, const char *name)
{
	struct store_mailbox m;
	struct error err;
	if (dir_mailbox_add(&f->u.ctx, "QWE", "shared", name, NULL, &m,
		    &err) < 0)
		fail_msg("%s", err.msg);
	return m.address;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error err;
	if (unit_instance_open(&f->u, "trust.example", "tester") < 0)
		return -1;
	struct dir_org_fields org = { .ods = "QWE", .name = "Org" };
	struct store_org o;
	if (dir_org_add(&f->u.ctx, &org, &o, &err) < 0)
		return -1;
	f->ann = person(f, "Ann", "One");
	f->bob = person(f, "Bob", "Two");
	f->as_box = shared(f, "Reception");
	f->behalf_box = shared(f, "Finance Office");
	if (dir_grant_add(&f->u.ctx, f->as_box, f->ann, "send_as", &err) < 0 ||
	    dir_grant_add(&f->u.ctx, f->behalf_box, f->ann, "send_on_behalf",
		    &err) < 0)
		return -1;
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

/* ---- From and Sender against the envelope rule ------------------------ */

/*
 * One way of writing an address in a header, with {A} for the address, {L}
 * its local part and {D} its domain; and how the envelope would be given it.
 */
struct spelling {
	const char *format;
	const char *envelope;	/* "%s" the address, "%s." with a dot, ... */
	bool upper;		/* the address in upper case */
};

static const struct spelling spellings[] = {
	{ "{A}", "%s", false },
	{ "<{A}>", "%s", false },
	{ "Ann Person <{A}>", "%s", false },
	{ "\"One, Ann\" <{A}>", "%s", false },
	{ "{A} (Ann Person)", "%s", false },
	{ "=?UTF-8?B?QW5uIMOYbmU=?= <{A}>", "%s", false },
	{ "<{A}>", "%s", true },
	{ "Ann <@relay.example,@other.example:{A}>", "%s", false },
	{ "Ann Person\r\n <{A}>", "%s", false },
	{ "{L} (c) @ (d) {D}", "%s", false },
	{ "\"{A}\" <{A}>", "%s", false },	/* the name is the address */
	{ "{A}.", "%s.", false },	/* a trailing dot: refused both ways */
	{ "<{A}.>", "%s.", false },
	{ "\"{L}\"@{D}", "\"%s\"", false },	/* quoted: refused both ways */
};

static void
upper(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
	}
}

/* The header text of sp for address, in buf. */
static void
spell(const struct spelling *sp, const char *address, char *buf, size_t size)
{
	char a[256], local[128];
	snprintf(a, sizeof(a), "%s", address);
	if (sp->upper)
		upper(a);
	const char *at = strchr(a, '@');
	snprintf(local, sizeof(local), "%.*s", (int)(at - a), a);
	size_t o = 0;
	for (const char *p = sp->format; *p != '\0' && o + 1 < size;) {
		const char *with = strncmp(p, "{A}", 3) == 0 ? a :
			strncmp(p, "{L}", 3) == 0 ? local :
			strncmp(p, "{D}", 3) == 0 ? at + 1 : NULL;
		if (with == NULL) {
			buf[o++] = *p++;
			continue;
		}
		o += (size_t)snprintf(buf + o, size - o, "%s", with);
		p += 3;
	}
	buf[o < size ? o : size - 1] = '\0';
}

static bool
envelope_allows(struct fixture *f, const struct spelling *sp,
	const char *address, enum mail_send_right *right_r)
{
	char env[300];
	const char *at = strchr(address, '@');
	if (strcmp(sp->envelope, "\"%s\"") == 0)
		snprintf(env, sizeof(env), "\"%.*s\"%s", (int)(at - address),
			address, at);
	else if (strcmp(sp->envelope, "%s.") == 0)
		snprintf(env, sizeof(env), "%s.", address);
	else
		snprintf(env, sizeof(env), "%s", address);
	if (sp->upper)
		upper(env);
	struct error err;
	return mail_check_sender(&f->u.ctx, f->ann, env, right_r, &err) == 0;
}

static void
test_header_senders_follow_envelope_rule(void **state)
{
	struct fixture *f = *state;
	const char *identities[] = { f->ann, f->as_box, f->behalf_box, f->bob,
		outside };
	size_t allowed = 0, refused = 0;
	for (size_t i = 0; i < sizeof(identities) / sizeof(*identities); i++) {
		for (size_t s = 0; s < sizeof(spellings) / sizeof(*spellings);
		     s++) {
			for (int as_sender = 0; as_sender < 2; as_sender++) {
				char value[600], header[1400];
				spell(&spellings[s], identities[i], value,
					sizeof(value));
				if (as_sender)
					snprintf(header, sizeof(header),
						"From: Ann <%s>\r\nSender: %s\r\n"
						"Subject: x\r\n\r\nbody\r\n",
						f->ann, value);
				else
					snprintf(header, sizeof(header),
						"Subject: x\r\nFrom: %s\r\n"
						"\r\nbody\r\n", value);
				enum mail_send_right want_right = MAIL_SEND_SELF;
				bool want = envelope_allows(f, &spellings[s],
					identities[i], &want_right);
				enum mail_send_right right = MAIL_SEND_SELF;
				const char *from;
				struct error err;
				int rc = mail_check_header_senders(&f->u.ctx,
					f->ann, span_from_cstr(header), &right,
					&from, &err);
				if ((rc == 0) != want)
					fail_msg("%s as %s: header says %s, "
						 "envelope %s (%s)", value,
						as_sender ? "Sender" : "From",
						rc == 0 ? "yes" : "no",
						want ? "yes" : "no",
						rc == 0 ? "" : err.msg);
				if (rc == 0 && !as_sender)
					assert_int_equal(right, want_right);
				if (rc < 0)
					assert_true(err.code == ERROR_DENIED ||
						err.code == ERROR_INVALID);
				rc == 0 ? allowed++ : refused++;
			}
		}
	}
	/* Both answers were exercised, for every kind of identity. */
	assert_true(allowed > 40 && refused > 40);
}

/* Headers that show one address and carry another, or are malformed. */
static void
test_header_tricks_refused(void **state)
{
	struct fixture *f = *state;
	static char headers[32][5000];
	char bob[128];
	snprintf(bob, sizeof(bob), "%s", f->bob);
	const char *a = f->ann;
	size_t n = 0;
#define H(...) snprintf(headers[n++], sizeof(headers[0]), __VA_ARGS__)
	H("From: \"%s\" <%s>\r\n\r\n", bob, a);
	H("From: %s <%s>\r\n\r\n", bob, a);
	H("From: =?UTF-8?Q?bob.two=40trust.example?= <%s>\r\n\r\n", a);
	H("From: \"=?UTF-8?B?Ym9iLnR3b0B0cnVzdC5leGFtcGxl?=\" <%s>\r\n\r\n",
		a);
	H("From: %s (%s)\r\n\r\n", a, bob);
	H("From: bob.two\xef\xbc\xa0trust.example <%s>\r\n\r\n", a);
	H("From: <%s> %s\r\n\r\n", a, bob);
	H("From: %s, %s\r\n\r\n", a, bob);
	H("From: %s, %s\r\n\r\n", a, a);
	H("From: Friends: %s;\r\n\r\n", a);
	H("From: Undisclosed:;\r\n\r\n");
	H("From: \r\n\r\n");
	H("From: <%s>\r\nFrom: <%s>\r\n\r\n", a, bob);
	H("From: <%s>\r\nFrom: <%s>\r\n\r\n", a, a);
	H("From: <%s>\r\nFrom : <%s>\r\n\r\n", a, bob);
	H("From: <%s>\r\nfrom:\t<%s>\r\n\r\n", a, bob);
	H("Subject: no sender here\r\n\r\nFrom: %s\r\n", a);
	H("From: <%s@[127.0.0.1]>\r\n\r\n", "ann.one");
	H("From: <%s>\r\nSender: <%s>\r\nSender: <%s>\r\n\r\n", a, a, a);
	H("From: <%s>\r\nSender: %s\r\n\r\n", a, bob);
	H("From: <%s>\r\nSender: \"%s\" <%s>\r\n\r\n", a, bob, a);
	H("From: <%s>\r\nSender: %s, %s\r\n\r\n", a, a, bob);
	H("From: =?UTF-8?Q?ann.one?=@trust.example\r\n\r\n");
	H("From: \"'%s'\" <%s>\r\n\r\n", bob, a);
	H("From: \"o'%s\" <%s>\r\n\r\n", a, a);
	H("From: <%s>%4100s\r\n\r\n", a, "");
#undef H
	for (size_t i = 0; i < n; i++) {
		enum mail_send_right right;
		const char *from;
		struct error err;
		if (mail_check_header_senders(&f->u.ctx, a,
			    span_from_cstr(headers[i]), &right, &from,
			    &err) == 0)
			fail_msg("accepted: %s", headers[i]);
		assert_true(err.code == ERROR_DENIED ||
			err.code == ERROR_INVALID);
		assert_true(strlen(err.msg) > 10);
	}
}

/* What only looks like a second From is not one. */
static void
test_header_lookalikes_allowed(void **state)
{
	struct fixture *f = *state;
	static char headers[8][600];
	const char *a = f->ann;
	size_t n = 0;
#define H(...) snprintf(headers[n++], sizeof(headers[0]), __VA_ARGS__)
	H("From: <%s>\r\nSubject: hi\r\n From: <%s>\r\n\r\n", a, f->bob);
	H("From: <%s>\r\n\r\nFrom: <%s>\r\n", a, f->bob);
	H("From: <%s>\r\nX-From: <%s>\r\nResent-Sender: x@y.example\r\n\r\n", a,
		f->bob);
	H("FROM: Ann One <%s>\r\n\r\n", a);
	H("From: <%s>\r\nSender: \"%s\" <%s>\r\n\r\n", a, a, a);
	H("From: <%s>", a);	/* a message that is all header */
	H("From: \"'%s'\" <%s>\r\n\r\n", a, a);	/* Outlook's form */
	H("From: \"Write to %s.\" <%s>\r\n\r\n", a, a);
#undef H
	for (size_t i = 0; i < n; i++) {
		enum mail_send_right right;
		const char *from = NULL;
		struct error err;
		if (mail_check_header_senders(&f->u.ctx, a,
			    span_from_cstr(headers[i]), &right, &from,
			    &err) < 0)
			fail_msg("refused: %s (%s)", headers[i], err.msg);
		assert_int_equal(right, MAIL_SEND_SELF);
		/* The From's address, for mail_accept not to read it again. */
		assert_non_null(from);
		assert_string_equal(from, a);
	}
}

/*
 * Sent on behalf, the message has exactly one Sender, ours, whatever Sender
 * fields the client wrote and however it spelled their names.
 */
static void
test_on_behalf_has_one_sender(void **state)
{
	(void)state;
	static const char *clients[] = {
		"",
		"Sender: <ann.one@trust.example>\r\n",
		"Sender : <ann.one@trust.example>\r\n",
		"SENDER:\r\n <ann.one@trust.example>\r\n",
		"sender\t: a@b.example\r\nSender: c@d.example\r\n",
	};
	static const char trace[] = "Received: from x by y; now\r\n";
	for (size_t i = 0; i < sizeof(clients) / sizeof(*clients); i++) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			"%sFrom: <box@trust.example>\r\n%sSubject: x\r\n\r\n"
			"Sender: in the body stays\r\n", trace, clients[i]);
		struct spool *out = spool_new("/tmp", 4096, 4096);
		struct span view;
		struct error err;
		assert_int_equal(mail_submission_on_behalf(
					 "ann.one@trust.example",
					 span_from_cstr(msg), sizeof(trace) - 1,
					 out, &err),
			0);
		assert_int_equal(spool_view(out, &view, &err), 0);
		char text[1024];
		assert_true(view.len < sizeof(text));
		memcpy(text, view.p, view.len);
		text[view.len] = '\0';
		spool_free(&out);
		const char *body = strstr(text, "\r\n\r\n");
		assert_non_null(body);
		size_t senders = 0;
		for (const char *p = text; p < body; p = strchr(p, '\n') + 1) {
			if (mail_mime_field_value(p, body, "Sender") != NULL)
				senders++;
		}
		assert_int_equal(senders, 1);
		/* Our trace field first, as it was; then our Sender. */
		static const char ours[] = "Sender: <ann.one@trust.example>\r\n";
		assert_memory_equal(text, trace, sizeof(trace) - 1);
		assert_memory_equal(text + sizeof(trace) - 1, ours,
			sizeof(ours) - 1);
		assert_non_null(strstr(body, "Sender: in the body stays"));
	}
}

/* The pure reader, on its own: what mail_header_from finds. */
static void
test_header_from_table(void **state)
{
	(void)state;
	static const struct {
		const char *header;
		const char *address;	/* NULL: refused */
		const char *name;
	} cases[] = {
		{ "From: jo@x.example\r\n\r\n", "jo@x.example", NULL },
		{ "From: Jo <JO@X.example>\r\n\r\n", "JO@X.example", "Jo" },
		{ "From :\tJo\r\n  Bloggs <jo@x.example>\r\n\r\n",
		  "jo@x.example", "Jo Bloggs" },
		{ "From: <@a.example:jo@x.example>\r\n\r\n", "jo@x.example",
		  NULL },
		{ "From: =?ISO-8859-1?Q?J=F6rg?= <j@x.example>\r\n\r\n",
		  "j@x.example", "J\xc3\xb6rg" },
		{ "From: jo@x.example (Jo Bloggs)\r\n\r\n", "jo@x.example",
		  "Jo Bloggs" },
		{ "Subject: x\r\n\r\n", NULL, NULL },
		{ "From: jo\r\n\r\n", NULL, NULL },
		{ "From: @x.example\r\n\r\n", NULL, NULL },
		{ "From: a@x.example, b@x.example\r\n\r\n", NULL, NULL },
		{ "From: g: a@x.example;\r\n\r\n", NULL, NULL },
		{ "From: a@x.example\r\nfrom: a@x.example\r\n\r\n", NULL,
		  NULL },
	};
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct mail_header_mailbox from;
		struct error err;
		int rc = mail_header_from(span_from_cstr(cases[i].header), a,
			&from, &err);
		if (cases[i].address == NULL) {
			if (rc == 0)
				fail_msg("accepted %s", cases[i].header);
			assert_int_equal(err.code, ERROR_INVALID);
			continue;
		}
		if (rc < 0)
			fail_msg("%s: %s", cases[i].header, err.msg);
		assert_string_equal(from.address, cases[i].address);
		if (cases[i].name == NULL)
			assert_null(from.name);
		else
			assert_string_equal(from.name, cases[i].name);
		assert_null(from.name_address);
	}
	arena_free(&a);
}

/* ---- Received ---------------------------------------------------------- */

static bool
is_from_char(char c)
{
	return str_is_ascii_alpha(c) || str_is_ascii_digit(c) ||
		(c != '\0' && strchr(".-:[]", c) != NULL);
}

/*
 * Parses a Received header back: three lines, "from NAME ([ip][ helo=X])",
 * "by host (caremail) with ESMTP id ID", "; date"; NAME is a domain or
 * literal, X only the kept characters, and nothing else anywhere.
 * Returns NAME in buf.
 */
static void
parse_received(const char *h, char *name, size_t size)
{
	static const char start[] = "Received: from ";
	assert_memory_equal(h, start, sizeof(start) - 1);
	const char *p = h + sizeof(start) - 1;
	size_t n = 0;
	while (is_from_char(p[n]))
		n++;
	assert_true(n > 0 && n < size);
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	static const char ip[] = " ([127.0.0.1]";
	assert_memory_equal(p, ip, sizeof(ip) - 1);
	p += sizeof(ip) - 1;
	if (strncmp(p, " helo=", 6) == 0) {
		assert_string_equal(name, "unknown");
		for (p += 6; *p != ')'; p++)
			assert_true(is_from_char(*p) || *p == '_' || *p == '?');
	}
	static const char by[] = ")\r\n\tby mx.example (caremail) with ESMTP "
				 "id 0123456789abcdef\r\n\t; ";
	assert_memory_equal(p, by, sizeof(by) - 1);
	p += sizeof(by) - 1;
	const char *eol = strstr(p, "\r\n");
	assert_non_null(eol);
	assert_string_equal(eol, "\r\n");
	for (const char *q = p; q < eol; q++)
		assert_true(*q >= 0x20 && *q < 0x7f && *q != '(' && *q != ';');
}

static void
received_for(const char *helo, char *name, size_t size)
{
	struct arena *a = arena_new(1 << 20);
	struct str out;
	str_init(&out, a, 4096);
	struct mail_received r = { .helo = helo, .peer_ip = "127.0.0.1",
		.by = "mx.example", .with = "ESMTP", .tls = "",
		.id = "0123456789abcdef", .date = 1796000000 };
	assert_int_equal(mail_received_header(&r, &out), 0);
	parse_received(str_cstr(&out), name, size);
	arena_free(&a);
}

static void
test_received_structure_whatever_the_helo(void **state)
{
	(void)state;
	char name[300];
	static const struct {
		const char *helo;
		const char *shown;	/* NULL: "unknown" */
	} cases[] = {
		{ "client.example", "client.example" },
		{ "Mail.Example.ORG", "Mail.Example.ORG" },
		{ "[192.0.2.1]", "[192.0.2.1]" },
		{ "[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]" },
		{ "x) by evil.example (", NULL },
		{ "x; Mon, 1 Jan 2001 00:00:00 +0000", NULL },
		{ "a\r\nX-Injected: yes", NULL },
		{ "(((", NULL },
		{ "[192.0.2.1) (x]", NULL },
		{ "[IPv6:zz]", NULL },
		{ "caf\xc3\xa9.example", NULL },
		{ "a b c", NULL },
		{ "", NULL },
		{ "-leading.example", NULL },
		{ "back\\slash", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		received_for(cases[i].helo, name, sizeof(name));
		assert_string_equal(name, cases[i].shown != NULL ?
				cases[i].shown : "unknown");
	}
	/* Every byte but NUL, alone and inside a name; and very long. */
	for (int c = 1; c < 256; c++) {
		char helo[8];
		snprintf(helo, sizeof(helo), "a%cb", c);
		received_for(helo, name, sizeof(name));
	}
	char longest[1200];
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	received_for(longest, name, sizeof(name));
	assert_string_equal(name, "unknown");
}

/* ---- Return-Path ------------------------------------------------------- */

/* The message left once mail_trace_keep_line has seen each line of msg. */
static void
filtered(const char *msg, char *out, size_t size)
{
	struct mail_trace_filter f = { 0 };
	size_t o = 0;
	const char *p = msg;
	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		size_t len = (size_t)(eol - p);
		if (mail_trace_keep_line(&f, span_make(p, len))) {
			assert_true(o + len + 2 < size);
			memcpy(out + o, p, len + 2);
			o += len + 2;
		}
		p = eol + 2;
	}
	out[o] = '\0';
}

static void
test_client_return_path_dropped(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Return-Path: <a@x>\r\nFrom: b@y\r\n\r\nhi\r\n",
		  "From: b@y\r\n\r\nhi\r\n" },
		{ "From: b@y\r\nreturn-path:<a@x>\r\nTo: c@z\r\n\r\n",
		  "From: b@y\r\nTo: c@z\r\n\r\n" },
		{ "RETURN-PATH \t : <a@x>\r\n\r\n", "\r\n" },
		/* Folded lines go with their field, and only theirs. */
		{ "Return-Path:\r\n <a@x>\r\n\t(c)\r\nTo: c@z\r\n\t d@z\r\n\r\n",
		  "To: c@z\r\n\t d@z\r\n\r\n" },
		{ "Return-Path: <a@x>\r\nReturn-Path: <b@x>\r\nX: 1\r\n\r\n",
		  "X: 1\r\n\r\n" },
		/* Not Return-Path fields. */
		{ "Return-Pathology: 1\r\nX-Return-Path: 2\r\n\r\n",
		  "Return-Pathology: 1\r\nX-Return-Path: 2\r\n\r\n" },
		{ "Return-Path <a@x>\r\nReturn-Path\r\n\r\n",
		  "Return-Path <a@x>\r\nReturn-Path\r\n\r\n" },
		/* The body is kept whole, whatever it holds. */
		{ "X: 1\r\n\r\nReturn-Path: <a@x>\r\n \r\n\r\nReturn-Path: b\r\n",
		  "X: 1\r\n\r\nReturn-Path: <a@x>\r\n \r\n\r\nReturn-Path: b\r\n" },
		/* A folded line at the very top belongs to no Return-Path. */
		{ " lead\r\nReturn-Path: <a@x>\r\n\r\n", " lead\r\n\r\n" },
	};
	char out[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		filtered(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
}

static void
test_return_path_header(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 16);
	struct str out;
	str_init(&out, a, 1024);
	assert_int_equal(mail_return_path_header("a.b@x.example", &out), 0);
	assert_int_equal(mail_return_path_header("", &out), 0);
	assert_string_equal(str_cstr(&out),
		"Return-Path: <a.b@x.example>\r\nReturn-Path: <>\r\n");
	struct str tiny;
	str_init(&tiny, a, 8);
	assert_int_equal(mail_return_path_header("a.b@x.example", &tiny), -1);
	arena_free(&a);
}

/* ---- Recipients once --------------------------------------------------- */

/* Routes an RCPT line as the session does: the SMTP parser, mail_route. */
static void
route_rcpt(struct fixture *f, const char *line, struct mail_recipient *r_r)
{
	struct smtp_command cmd;
	struct error err;
	if (smtp_parse_command(span_from_cstr(line), &cmd, &err) < 0)
		fail_msg("%s: %s", line, err.msg);
	struct mail_recipient *found;
	size_t n;
	if (mail_route(&f->u.ctx, cmd.path, true, &found, &n, &err) < 0)
		fail_msg("%s: %s", line, err.msg);
	assert_int_equal(n, 1);
	*r_r = found[0];
}

static void
test_recipient_spellings_listed_once(void **state)
{
	struct fixture *f = *state;
	static const char *remote[] = {
		"RCPT TO:<far.away@elsewhere.example>",
		"RCPT TO:<@a.example,@b.example:far.away@elsewhere.example>",
		"RCPT TO:<@a.example:far.away@elsewhere.example>",
		"RCPT TO:<FAR.AWAY@ELSEWHERE.EXAMPLE>",
		"RCPT TO:<far.away@Elsewhere.Example>",
		"RCPT TO: <@[192.0.2.1]:far.away@elsewhere.example>",
	};
	char local[4][200];
	snprintf(local[0], sizeof(local[0]), "RCPT TO:<%s>", f->ann);
	snprintf(local[1], sizeof(local[1]), "RCPT TO:<@relay.example:%s>",
		f->ann);
	snprintf(local[2], sizeof(local[2]), "RCPT TO:<%s>", f->ann);
	upper(local[2] + 9);
	snprintf(local[3], sizeof(local[3]), "RCPT TO:<ann.one@TRUST.example>");
	const char *const *groups[2] = { remote, NULL };
	const char *local_lines[4] = { local[0], local[1], local[2],
		local[3] };
	groups[1] = local_lines;
	size_t sizes[2] = { sizeof(remote) / sizeof(*remote), 4 };
	for (int g = 0; g < 2; g++) {
		/* Every ordered pair, in one transaction each. */
		for (size_t i = 0; i < sizes[g]; i++) {
			for (size_t j = 0; j < sizes[g]; j++) {
				struct mail_recipient list[2];
				struct mail_recipient_index ix = { 0 };
				size_t count = 0;
				const char *lines[2] = { groups[g][i],
					groups[g][j] };
				for (int k = 0; k < 2; k++) {
					struct mail_recipient r;
					bool has;
					struct error err;
					route_rcpt(f, lines[k], &r);
					assert_int_equal(mail_recipient_index_has(
								 &ix, f->u.arena,
								 list, count, &r,
								 &has, &err),
						0);
					if (!has)
						list[count++] = r;
				}
				if (count != 1)
					fail_msg("listed twice: %s and %s",
						lines[0], lines[1]);
			}
		}
	}
}

/* The index against a plain search, over many recipients with repeats. */
static void
test_recipient_index_matches_search(void **state)
{
	struct fixture *f = *state;
	enum { N = 5000 };
	struct mail_recipient *list = calloc(N, sizeof(*list));
	char (*names)[40] = calloc(N, sizeof(*names));
	struct mail_recipient_index ix = { 0 };
	size_t count = 0;
	unsigned seed = 12345;
	for (size_t i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned pick = (seed >> 8) % 1500;
		struct mail_recipient r = { 0 };
		if (pick % 3 == 0) {
			r.kind = MAIL_ROUTE_LOCAL;
			r.mailbox_id = pick;
			r.address = "local@trust.example";
		} else {
			snprintf(names[i], sizeof(names[i]), "u%u@x.example",
				pick);
			r.kind = MAIL_ROUTE_REMOTE;
			r.address = names[i];
		}
		bool has, seen = false;
		struct error err;
		for (size_t k = 0; k < count && !seen; k++)
			seen = mail_recipient_same(&list[k], &r);
		assert_int_equal(mail_recipient_index_has(&ix, f->u.arena, list,
					 count, &r, &has, &err),
			0);
		assert_int_equal(has, seen);
		if (!has)
			list[count++] = r;
	}
	assert_true(count > 500 && count <= 1500);
	free(names);
	free(list);
}

/* ---- Free space -------------------------------------------------------- */

static void
test_free_space_rule(void **state)
{
	(void)state;
	const uint64_t mb = 1024 * 1024;
	static const struct {
		uint64_t free, min_free, limit, hint;
		bool ok;
	} cases[] = {
		{ 1000, 100, 35, 0, true },
		{ 100, 100, 35, 0, true },
		{ 99, 100, 35, 0, false },
		{ 53, 0, 35, 0, true },	/* 1.5 x 35 = 52.5 */
		{ 52, 0, 35, 0, false },
		{ 52, 60, 35, 0, false },
		{ 160, 100, 35, 30, true },
		{ 140, 100, 35, 30, false },	/* 100 + 45 needed */
		{ 0, 0, 1, 0, false },
		{ 2, 0, 1, 1, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct error err;
		int rc = mail_check_free_space(cases[i].free * mb,
			cases[i].min_free * mb, cases[i].limit * mb,
			cases[i].hint * mb, &err);
		if ((rc == 0) != cases[i].ok)
			fail_msg("case %zu", i);
		if (rc < 0)
			assert_int_equal(err.code, ERROR_NO_SPACE);
	}
}

/* ---- What GMime is given ----------------------------------------------- */

/*
 * GLib aborts when an allocation fails, so GMime must never be handed a
 * size the sender chose: a 4 MiB Subject, From or Date reaches it cut to
 * MAIL_MIME_DECODE_MAX, and the From/Sender reader refuses long ones.
 */
static void
test_gmime_input_bounded(void **state)
{
	(void)state;
	size_t big = 4 * 1024 * 1024;
	struct str msg;
	struct arena *a = arena_new(256 * 1024 * 1024);
	str_init(&msg, a, 3 * big + 4096);
	const char *fields[] = { "Subject: ", "From: ", "To: " };
	for (size_t f = 0; f < 3; f++) {
		assert_int_equal(str_append_cstr(&msg, fields[f]), 0);
		/* Folded lines of encoded words: each costs GMime work. */
		for (size_t n = 0; n < big / 64; n++)
			assert_int_equal(str_append_cstr(&msg,
						 "=?UTF-8?B?w6nDqcOpw6nDqcOp?= "
						 "a@b.example\r\n "),
				0);
		assert_int_equal(str_append_cstr(&msg, "x\r\n"), 0);
	}
	assert_int_equal(str_append_cstr(&msg, "\r\nbody\r\n"), 0);
	struct mail_summary sum;
	struct error err;
	if (mail_mime_summarize(str_cstr(&msg), msg.len, a, &sum, &err) < 0)
		fail_msg("%s", err.msg);
	/* Decoding shrinks "=?UTF-8?B?...?=" and control chars stay out. */
	assert_true(strlen(sum.subject) <= MAIL_MIME_DECODE_MAX);
	assert_true(strlen(sum.subject) > 1000);
	assert_true(strlen(sum.from) <= 2 * MAIL_MIME_DECODE_MAX);
	const char *decoded = mail_mime_decode_text(
		span_make(str_cstr(&msg) + 9, big), a);
	assert_non_null(decoded);
	assert_true(strlen(decoded) <= MAIL_MIME_DECODE_MAX);
	struct mail_header_mailbox from;
	assert_int_equal(mail_header_from(span_make(str_cstr(&msg), msg.len), a,
				 &from, &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_non_null(strstr(err.msg, "longer than"));
	arena_free(&a);
}

/*
 * RFC 2047 §6.2 as readers meet it: each encoded word decoded on its own
 * (a padded word before another lost the rest under GMime 3.2), blanks
 * between adjacent words dropped and others kept, a character split
 * between two words kept whole, Q's "_" a space, other text as written.
 */
static void
test_encoded_words_decoded_each_alone(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ " =?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", "éé" },
		{ " =?UTF-8?B?W3NlYw==?=\r\n =?UTF-8?B?dXJlXQ==?= x",
		  "[secure] x" },
		{ " =?UTF-8?B?w6kg?= =?UTF-8?B?w6k=?=", "é é" },
		{ " =?UTF-8?B?w6k=?= and =?UTF-8?B?w6k=?=", "é and é" },
		{ " =?UTF-8?B?8J+Y?= =?UTF-8?B?sg==?=", "😲" },
		{ " =?ISO-8859-1?Q?caf=E9_au_lait?=", "café au lait" },
		{ " =?utf-8*en?q?a_b?= c", "a b c" },
		{ " plain  text", "plain  text" },
		{ " =?UTF-8?B?w6k=?= =?ISO-8859-1?Q?=E9?=", "éé" },
		{ " not=?UTF-8?B?w6k=?=word", "not=?UTF-8?B?w6k=?=word" },
		/* A control byte is text, not a blank: it once stopped the
		 * scan from moving on (a fuzz seed that never ended). */
		{ " a\x11" "b =?UTF-8?B?w6k=?=", "a\x11" "b \xc3\xa9" },
		{ " \x11", "\x11" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct arena *a = arena_new(1 << 20);
		const char *got = mail_mime_header_decode(
			span_from_cstr(cases[i].in), a);
		if (got == NULL || strcmp(got, cases[i].out) != 0)
			fail_msg("case %zu: '%s' for '%s'", i,
				got != NULL ? got : "(null)", cases[i].out);
		arena_free(&a);
	}
}

/* ---- mail_compose: the platform's own mail (mail_compose.h) ---- */

/* A random code point that is printable, never a blank or control. */
static uint32_t
random_code_point(unsigned *seed)
{
	static const uint32_t ranges[][2] = {
		{ 'a', 'z' }, { '0', '9' }, { 0xe0, 0xff }, { 0x3b1, 0x3c9 },
		{ 0x430, 0x44f }, { 0x4e00, 0x4fff }, { 0x1f600, 0x1f64f },
	};
	const uint32_t *r = ranges[rand_r(seed) % 7];
	return r[0] + (uint32_t)rand_r(seed) % (r[1] - r[0] + 1);
}

/* Words of random code points, one space between, into buf (UTF-8). */
static void
random_subject(unsigned *seed, char *buf, size_t size)
{
	size_t used = 0, words = 1 + (size_t)rand_r(seed) % 12;
	for (size_t w = 0; w < words; w++) {
		size_t n = 1 + (size_t)rand_r(seed) % 10;
		if (w > 0 && used + 1 < size)
			buf[used++] = ' ';
		for (size_t i = 0; i < n && used + 5 < size; i++)
			used += fold_utf8_encode(random_code_point(seed),
				buf + used);
	}
	buf[used] = '\0';
}

/*
 * Whatever the subject (any mix of scripts, any length), the message
 * mail_compose writes reads back to it through the header decoder, and
 * no header line is longer than RFC 5322's 78 characters.
 */
static void
test_compose_subject_round_trip(void **state)
{
	(void)state;
	struct config *c = config_new();
	unsigned seed = 12026;
	for (int round = 0; round < 500; round++) {
		char subject[400];
		random_subject(&seed, subject, sizeof(subject));
		struct arena *a = arena_new(1 << 20);
		struct mail_compose mc = { .from = "postmaster@x.example",
			.from_name = subject, .to = "pat@y.example",
			.subject = subject, .date = 1800000000, .text = "Hi.\n" };
		struct span out;
		struct error err;
		if (mail_compose(&mc, c, a, &out, &err) < 0)
			fail_msg("round %d: %s", round, err.msg);
		size_t header_len = mail_mime_header_size(out.p, out.len);
		struct span header = span_make(out.p, header_len), name, value;
		bool found = false;
		while (mail_mime_field_next(&header, &name, &value)) {
			if (!span_eq_nocase(span_trim(name), "Subject"))
				continue;
			const char *got = mail_mime_header_decode(value, a);
			if (got == NULL || strcmp(got, subject) != 0)
				fail_msg("round %d: '%s' read back as '%s' "
					"from '%.*s'", round, subject,
					got != NULL ? got : "", (int)value.len,
					value.p);
			found = true;
		}
		assert_true(found);
		for (size_t i = 0, start = 0; i < header_len; i++) {
			if (out.p[i] != '\n')
				continue;
			if (i - start > 79)
				fail_msg("round %d: a header line of %zu",
					round, i - start);
			start = i + 1;
		}
		arena_free(&a);
	}
	config_free(&c);
}

/* No field may carry a line break, so nothing given adds a field. */
static void
test_compose_refuses_line_breaks(void **state)
{
	(void)state;
	struct config *c = config_new();
	const char *bad[] = { "x\r\nBcc: all@x.example", "x\nBcc: y", "x\r" };
	for (size_t b = 0; b < 3; b++) {
		for (int field = 0; field < 6; field++) {
			struct mail_compose mc = { .from = "p@x.example",
				.to = "q@y.example", .subject = "Hello",
				.date = 1800000000, .text = "Hi.\n" };
			const char **slot[] = { &mc.from, &mc.from_name,
				&mc.to, &mc.cc, &mc.subject,
				&mc.in_reply_to };
			*slot[field] = bad[b];
			struct arena *a = arena_new(1 << 20);
			struct span out;
			struct error err;
			assert_int_equal(mail_compose(&mc, c, a, &out, &err),
				-1);
			assert_int_equal(err.code, ERROR_INVALID);
			arena_free(&a);
		}
	}
	config_free(&c);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_header_senders_follow_envelope_rule),
		T(test_header_tricks_refused),
		T(test_header_lookalikes_allowed),
		cmocka_unit_test(test_header_from_table),
		cmocka_unit_test(test_on_behalf_has_one_sender),
		cmocka_unit_test(test_received_structure_whatever_the_helo),
		cmocka_unit_test(test_client_return_path_dropped),
		cmocka_unit_test(test_return_path_header),
		T(test_recipient_spellings_listed_once),
		T(test_recipient_index_matches_search),
		cmocka_unit_test(test_free_space_rule),
		cmocka_unit_test(test_gmime_input_bounded),
		cmocka_unit_test(test_encoded_words_decoded_each_alone),
		cmocka_unit_test(test_compose_subject_round_trip),
		cmocka_unit_test(test_compose_refuses_line_breaks),
	};
	return cmocka_run_group_tests_name("mail_header", tests, NULL, NULL);
}
