/*
 * The anti-spoofing banner (mail_banner.c) put into messages of each
 * shape a client sends: plain, alternative with quoted-printable HTML,
 * base64, attachments and attached messages left alone, and the wrapped
 * form for a message with no text to put it in. Each result is read back
 * with the MIME parser and the search text (decoded, as a person reads
 * it), and everything outside the changed parts must be byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_banner.h"
#include "mail/mail_mime.h"

#define BANNER "--- This message was sent from an email address external " \
	"to caremail but gives the appearance of being from a caremail " \
	"address. Verify the sender and content is legitimate before acting " \
	"upon information contained within. ---"

static const char *
tagged(struct arena *a, const char *msg)
{
	struct str out;
	struct error err;
	str_init(&out, a, 1 << 20);
	if (mail_banner_add(msg, strlen(msg), BANNER, a, &out, &err) < 0)
		fail_msg("%s", err.msg);
	return str_cstr(&out);
}

/* What a person reads: the decoded text of every text part. */
static const char *
reads(struct arena *a, const char *msg)
{
	struct mail_search_text t;
	struct error err;
	if (mail_mime_search_text(msg, strlen(msg), a, &t, &err) < 0)
		fail_msg("%s", err.msg);
	return t.body;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_plain(void **state)
{
	struct arena *a = arena_new(1 << 22);
	const char *msg = "From: a@ours.example\r\nSubject: hi\r\n\r\n"
		"Please pay the invoice.\r\n";
	const char *out = tagged(a, msg);
	const char *head = "From: a@ours.example\r\nSubject: hi\r\n\r\n"
		"--- This message";
	assert_memory_equal(out, head, strlen(head));
	assert_non_null(strstr(out, "within. ---\r\n\r\nPlease pay the "
		"invoice.\r\n"));
	/* Lines short enough for any transfer encoding. */
	for (const char *p = out; *p != '\0';) {
		size_t n = strcspn(p, "\r");
		assert_true(n <= 76);
		p += n;
		p += strspn(p, "\r\n");
	}
	arena_free(&a);
}

static void
test_alternative_qp_html_and_attachments(void **state)
{
	struct arena *a = arena_new(1 << 22);
	const char *msg =
		"From: a@ours.example\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
		"--o\r\nContent-Type: multipart/alternative; boundary=\"i\"\r\n\r\n"
		"--i\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"Caf=C3=A9 at noon.\r\n"
		"--i\r\nContent-Type: text/html; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"<html><head><title>x</title></head><BODY class=3D\"m\">"
		"<p>Caf=C3=A9 at noon.</p></body></html>\r\n"
		"--i--\r\n"
		"--o\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
		"Content-Disposition: attachment; filename=\"notes.txt\"\r\n\r\n"
		"attached notes\r\n"
		"--o\r\nContent-Type: message/rfc822\r\n\r\n"
		"From: x@y.example\r\nSubject: fwd\r\n\r\nforwarded text\r\n"
		"--o--\r\n";
	const char *out = tagged(a, msg);
	/* The text and the HTML each have it, once; nothing else does. */
	assert_int_equal(count(out, "--- This message"), 2);
	assert_non_null(strstr(out, "within. ---\r\n\r\nCaf=C3=A9 at noon."));
	assert_non_null(strstr(out, "<BODY class=3D\"m\">\r\n<p>--- This "
		"message"));
	assert_non_null(strstr(out, "\r\nattached notes\r\n--o\r\n"
		"Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n"
		"Subject: fwd\r\n\r\nforwarded text\r\n--o--\r\n"));
	/* Still the same tree, and read as a person reads it. */
	struct mail_mime_part *root;
	struct error err;
	assert_int_equal(mail_mime_parse(out, strlen(out), a, &root, &err), 0);
	assert_int_equal(root->kind, MAIL_MIME_MULTIPART);
	const char *text = reads(a, out);
	assert_non_null(strstr(text, "--- This message was sent from an "
		"email address external to caremail"));
	assert_non_null(strstr(text, "Café at noon."));
	arena_free(&a);
}

static void
test_base64(void **state)
{
	struct arena *a = arena_new(1 << 22);
	/* "Résumé attached.\r\n" and "<body><p>Hello</p></body>" */
	const char *msg =
		"From: a@ours.example\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"
		"UsOpc3Vtw6kgYXR0YWNoZWQuDQo=\r\n"
		"--b\r\nContent-Type: text/html\r\n"
		"Content-Transfer-Encoding: BASE64\r\n\r\n"
		"PGJvZHk+PHA+SGVsbG88L3A+PC9ib2R5Pg==\r\n"
		"--b--\r\n";
	const char *out = tagged(a, msg);
	const char *text = reads(a, out);
	assert_non_null(strstr(text, "--- This message was sent"));
	assert_non_null(strstr(text, "Résumé attached."));
	assert_non_null(strstr(text, "<body> <p>--- This message"));
	assert_non_null(strstr(text, "---</p> <p>Hello</p>"));
	/* base64 lines of at most 76 characters (RFC 2045 §6.8). */
	const char *b = strstr(out, "base64\r\n\r\n") + 10;
	assert_true(strcspn(b, "\r") <= 76);
	arena_free(&a);
}

static void
test_no_text_is_wrapped(void **state)
{
	struct arena *a = arena_new(1 << 22);
	static const char *const msgs[] = {
		"From: a@ours.example\r\nSubject: scan\r\nMIME-Version: 1.0\r\n"
		"Content-Type: image/png\r\nContent-Transfer-Encoding: base64"
		"\r\n\r\niVBORw0KGgo=\r\n",
		/* "hi" in UTF-16 (the text stops at its first NUL here,
		 * which changes nothing: no ASCII banner can go in). */
		"From: a@ours.example\r\nContent-Type: text/plain; "
		"charset=utf-16le\r\n\r\nh\0i\0",
	};
	for (size_t i = 0; i < 2; i++) {
		const char *out = tagged(a, msgs[i]);
		struct mail_mime_part *root;
		struct error err;
		assert_int_equal(mail_mime_parse(out, strlen(out), a, &root,
			&err), 0);
		assert_int_equal(root->kind, MAIL_MIME_MULTIPART);
		assert_string_equal(root->subtype, "mixed");
		const struct mail_mime_part *first = root->children;
		assert_non_null(first);
		assert_string_equal(first->type, "text");
		assert_non_null(strstr(out, "From: a@ours.example\r\n"));
		/* The body's own type moved into its part. */
		const struct mail_mime_part *second = first->next;
		assert_non_null(second);
		assert_null(second->next);
		assert_string_equal(second->type, i == 0 ? "image" : "text");
		assert_non_null(strstr(reads(a, out), "--- This message"));
		assert_int_equal(count(out, "MIME-Version"), 1);
	}
	arena_free(&a);
}

/* No body, or no header either: the banner still reads as text. */
static void
test_header_only(void **state)
{
	struct arena *a = arena_new(1 << 22);
	static const char *const msgs[] = { "", "From: a@ours.example",
		"From: a@ours.example\r\n", "\r\n",
		("From: a@b\r\nContent-Type: text/plain; charset=utf\xff\xff-32le"
		 "\r\n\r\nhi") };
	for (size_t i = 0; i < sizeof(msgs) / sizeof(*msgs); i++) {
		const char *out = tagged(a, msgs[i]);
		const char *text = reads(a, out);
		if (strstr(text, "--- This message") == NULL)
			fail_msg("message %zu: [%s] reads [%s]", i, out, text);
	}
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_alternative_qp_html_and_attachments),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_no_text_is_wrapped),
		cmocka_unit_test(test_header_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
