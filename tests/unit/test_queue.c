/*
 * The queue runner's pure rules as tables: the secure-domain match
 * (SECURITY.md 14: lower case, trailing dot, IDNA A-labels, the last '@',
 * equal or a subdomain, never a bare suffix), the legacy domains' date,
 * the TLS a static route's next hop gets, and the route parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "mail/mail_queue.h"
#include "mail/mail_secure.h"
#include "mail/mail_tls_policy.h"

/* 2019-03-31T12:00:00Z and 2019-04-01T00:00:00Z. */
#define BEFORE_RETIREMENT 1554033600
#define AFTER_RETIREMENT 1554076800

struct secure_case {
	const char *address;
	int64_t now;
	bool secure;
};

static const struct secure_case secure_cases[] = {
	{ "alice@nhs.net", AFTER_RETIREMENT, true },
	{ "alice@NHS.NET", AFTER_RETIREMENT, true },
	{ "alice@nhs.net.", AFTER_RETIREMENT, true },
	{ "alice@mail.nhs.net", AFTER_RETIREMENT, true },
	{ "nhs.net", AFTER_RETIREMENT, true },
	{ "alice@evilnhs.net", AFTER_RETIREMENT, false },
	{ "alice@nhs.net.evil.com", AFTER_RETIREMENT, false },
	{ "alice@nhs.uk", AFTER_RETIREMENT, false },	/* M10: NOT secure */
	{ "alice@secure.nhs.uk", AFTER_RETIREMENT, true },
	{ "alice@x.secure.nhs.uk", AFTER_RETIREMENT, true },
	{ "alice@insecure.nhs.uk", AFTER_RETIREMENT, false },
	{ "alice@example.gov.uk", AFTER_RETIREMENT, true },
	{ "alice@gov.uk.example.org", AFTER_RETIREMENT, false },
	{ "alice@cjsm.net", AFTER_RETIREMENT, true },
	{ "alice@met.pnn.police.uk", AFTER_RETIREMENT, true },
	{ "alice@police.uk", AFTER_RETIREMENT, false },
	{ "alice@mod.uk", AFTER_RETIREMENT, true },
	{ "alice@parliament.uk", AFTER_RETIREMENT, true },
	/* The last '@' decides, whatever a quoted local part holds. */
	{ "\"bob@nhs.net\"@evil.example", AFTER_RETIREMENT, false },
	{ "\"bob@evil.example\"@nhs.net", AFTER_RETIREMENT, true },
	/* Legacy: secure until the retirement date (the last day too). */
	{ "alice@council.gcsx.gov.uk", BEFORE_RETIREMENT, true },
	{ "alice@gsi.gov.uk", BEFORE_RETIREMENT, true },
	/* Under gov.uk anyway (M10's list holds gov.uk itself). */
	{ "alice@gsi.gov.uk", AFTER_RETIREMENT, true },
	/* Not ASCII: compared as A-labels; a name IDNA refuses is secure. */
	{ "alice@b\xc3\xbc\x63her.example", AFTER_RETIREMENT, false },
	{ "alice@xn--bcher-kva.nhs.net", AFTER_RETIREMENT, true },
	{ "alice@b\xc3\xbc\x63her.nhs.net", AFTER_RETIREMENT, true },
	{ "alice@", AFTER_RETIREMENT, true },
};

static void
test_secure_domain_table(void **state)
{
	struct config *c = config_new();
	struct mail_secure_policy p;
	struct error err;
	assert_int_equal(mail_secure_policy_from_config(c, &p, &err), 0);
	for (size_t i = 0; i < sizeof(secure_cases) / sizeof(*secure_cases);
	     i++) {
		const struct secure_case *k = &secure_cases[i];
		if (mail_secure_domain_match(&p, k->address, k->now) !=
		    k->secure)
			fail_msg("%s at %lld: expected %s", k->address,
				(long long)k->now,
				k->secure ? "secure" : "not secure");
	}
	config_free(&c);
}

/* A legacy domain not under any secure domain, to see the date work. */
static void
test_legacy_retirement(void **state)
{
	struct config *c = config_new();
	struct error err;
	assert_int_equal(config_set(c, "outbound.legacy_secure_domains="
		"old.example", &err), 0);
	struct mail_secure_policy p;
	assert_int_equal(mail_secure_policy_from_config(c, &p, &err), 0);
	assert_true(mail_secure_domain_match(&p, "a@x.old.example",
		BEFORE_RETIREMENT));
	assert_false(mail_secure_domain_match(&p, "a@x.old.example",
		AFTER_RETIREMENT));
	assert_int_equal(config_set(c, "outbound.legacy_secure_until=", &err),
		0);
	assert_int_equal(mail_secure_policy_from_config(c, &p, &err), 0);
	assert_false(mail_secure_domain_match(&p, "a@old.example",
		BEFORE_RETIREMENT));
	assert_int_equal(config_set(c, "outbound.legacy_secure_until="
		"March 2019", &err), 0);
	assert_int_equal(mail_secure_policy_from_config(c, &p, &err), -1);
	assert_non_null(strstr(err.msg, "outbound.legacy_secure_until"));
	config_free(&c);
}

struct normal_case {
	const char *in;
	const char *out;	/* NULL: refused */
};

static const struct normal_case normal_cases[] = {
	{ "Alice@Example.ORG", "example.org" },
	{ "example.org.", "example.org" },
	{ "a@b@c.example", "c.example" },
	{ "a@b\xc3\xbc\x63her.example", "xn--bcher-kva.example" },
	{ "a@B\xc3\x9c\x43HER.example", "xn--bcher-kva.example" },
	{ "a@", NULL },
	{ ".", NULL },
	{ "a@\xff\xfe.example", NULL },
};

static void
test_domain_normalise_table(void **state)
{
	for (size_t i = 0; i < sizeof(normal_cases) / sizeof(*normal_cases);
	     i++) {
		const struct normal_case *k = &normal_cases[i];
		char buf[MAIL_SECURE_DOMAIN_SIZE];
		struct error err;
		int rc = mail_domain_normalise(k->in, buf, sizeof(buf), &err);
		if (k->out == NULL) {
			if (rc != -1 || err.code != ERROR_INVALID)
				fail_msg("'%s' was not refused", k->in);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s': %s", k->in, err.msg);
		assert_string_equal(buf, k->out);
	}
	assert_true(mail_domain_is_under("a.nhs.net", "nhs.net"));
	assert_true(mail_domain_is_under("nhs.net", "nhs.net"));
	assert_true(mail_domain_is_under("A.NHS.net", "nhs.NET"));
	assert_false(mail_domain_is_under("anhs.NET", "nhs.net"));
	assert_false(mail_domain_is_under("anhs.net", "nhs.net"));
	assert_false(mail_domain_is_under("net", "nhs.net"));
	assert_false(mail_domain_is_under("nhs.net", ""));
}

static void
test_route_tls_table(void **state)
{
	struct config *c = config_new();
	struct mail_secure_policy p;
	struct error err;
	assert_int_equal(mail_secure_policy_from_config(c, &p, &err), 0);
	struct {
		const char *domain;
		int route_tls;
		enum mail_tls_need need;
		enum mail_smtp_tls tls;
	} cases[] = {
		{ "nhs.net", -1, MAIL_TLS_NEED_PKIX, MAIL_SMTP_TLS_REQUIRED },
		/* A route cannot lower a secure domain's TLS. */
		{ "trust.nhs.net", MAIL_SMTP_TLS_NONE, MAIL_TLS_NEED_PKIX,
		  MAIL_SMTP_TLS_REQUIRED },
		{ "trust.nhs.net", MAIL_SMTP_TLS_OPPORTUNISTIC,
		  MAIL_TLS_NEED_PKIX, MAIL_SMTP_TLS_REQUIRED },
		{ "example.org", -1, MAIL_TLS_NEED_OPPORTUNISTIC,
		  MAIL_SMTP_TLS_OPPORTUNISTIC },
		{ "example.org", MAIL_SMTP_TLS_REQUIRED, MAIL_TLS_NEED_PKIX,
		  MAIL_SMTP_TLS_REQUIRED },
		{ "example.org", MAIL_SMTP_TLS_OPPORTUNISTIC,
		  MAIL_TLS_NEED_OPPORTUNISTIC, MAIL_SMTP_TLS_OPPORTUNISTIC },
		{ "example.org", MAIL_SMTP_TLS_NONE,
		  MAIL_TLS_NEED_OPPORTUNISTIC, MAIL_SMTP_TLS_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct mail_route_entry e = { .host = "relay.example.net",
			.port = 25, .tls = cases[i].route_tls };
		struct mail_tls_requirement t;
		mail_route_tls_requirement(&e, mail_secure_domain_match(&p,
			cases[i].domain, AFTER_RETIREMENT), &t);
		bool required = cases[i].tls == MAIL_SMTP_TLS_REQUIRED;
		if (t.need != cases[i].need || t.client_tls != cases[i].tls ||
		    t.failure_defers != required ||
		    t.report_policy != MAIL_TLSRPT_POLICY_NONE)
			fail_msg("case %zu (%s): need %s tls %d", i,
				cases[i].domain, mail_tls_need_name(t.need),
				t.client_tls);
	}
	config_free(&c);
}

struct route_case {
	const char *text;
	int rc;
	const char *domain, *host;
	unsigned port;
	int tls;
	const char *user;
};

static const struct route_case route_cases[] = {
	{ "example.org=relay.example.net", 0, "example.org",
	  "relay.example.net", 25, -1, "" },
	{ " Example.ORG. = 192.0.2.1:2525 ", 0, "example.org", "192.0.2.1",
	  2525, -1, "" },
	{ "*=[2001:db8::1]:587 tls=required auth=app password_file=relay.pw",
	  0, "*", "2001:db8::1", 587, MAIL_SMTP_TLS_REQUIRED, "app" },
	{ "lab.example=127.0.0.1:10025 tls=none", 0, "lab.example",
	  "127.0.0.1", 10025, MAIL_SMTP_TLS_NONE, "" },
	{ "example.org", -1, NULL, NULL, 0, 0, NULL },
	{ "=relay.example", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=relay:0", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=relay:70000", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=relay:x", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=[2001:db8::1", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=re/lay", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=relay tls=maybe", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=relay colour=blue", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org=relay plain", -1, NULL, NULL, 0, 0, NULL },
	/* A password never goes in clear; both halves of AUTH or neither. */
	{ "example.org=relay auth=a password_file=f", -1, NULL, NULL, 0, 0,
	  NULL },
	{ "example.org=relay tls=required auth=a", -1, NULL, NULL, 0, 0,
	  NULL },
	{ "example.org=relay tls=required password_file=f", -1, NULL, NULL,
	  0, 0, NULL },
	/* The domain is a domain name: not an address, no spaces or
	 * control characters, no empty label. */
	{ "ann@example.org=relay", -1, NULL, NULL, 0, 0, NULL },
	{ "an example.org=relay", -1, NULL, NULL, 0, 0, NULL },
	{ "example\x01.org=relay", -1, NULL, NULL, 0, 0, NULL },
	{ "example..org=relay", -1, NULL, NULL, 0, 0, NULL },
	{ ".example.org=relay", -1, NULL, NULL, 0, 0, NULL },
	{ "-example.org=relay", -1, NULL, NULL, 0, 0, NULL },
	{ "example-.org=relay", -1, NULL, NULL, 0, 0, NULL },
	{ "example.org-=relay", -1, NULL, NULL, 0, 0, NULL },
	{ "ex-ample.org=relay", 0, "ex-ample.org", "relay", 25, -1, "" },
	{ "B\xc3\xbc" "cher.example=relay", 0, "xn--bcher-kva.example", "relay",
	  25, -1, "" },
};

static void
test_route_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(route_cases) / sizeof(*route_cases);
	     i++) {
		const struct route_case *k = &route_cases[i];
		struct mail_route_entry e;
		struct error err;
		int rc = mail_route_entry_parse(k->text, &e, &err);
		if (rc != k->rc)
			fail_msg("'%s': rc %d (%s)", k->text, rc,
				rc < 0 ? err.msg : "");
		if (rc < 0) {
			assert_int_equal(err.code, ERROR_INVALID);
			for (const char *p = err.msg; *p != '\0'; p++)
				assert_true(*p >= 0x20 && *p < 0x7f);
			continue;
		}
		assert_string_equal(e.domain, k->domain);
		assert_string_equal(e.host, k->host);
		assert_int_equal(e.port, k->port);
		assert_int_equal(e.tls, k->tls);
		assert_string_equal(e.auth_user, k->user);
	}
}

static void
test_route_table(void **state)
{
	struct config *c = config_new();
	struct error err;
	struct mail_route_table t;
	assert_int_equal(config_set(c, "outbound.routes=a.example=10.0.0.1, "
		"*=smarthost.example:587 tls=required", &err), 0);
	assert_int_equal(mail_route_table_from_config(c, &t, &err), 0);
	assert_int_equal(t.count, 2);
	assert_string_equal(mail_route_table_find(&t, "a.example")->host,
		"10.0.0.1");
	assert_string_equal(mail_route_table_find(&t, "b.example")->host,
		"smarthost.example");
	/* Subdomains have routes of their own or take "*". */
	assert_string_equal(mail_route_table_find(&t, "x.a.example")->host,
		"smarthost.example");
	assert_int_equal(config_set(c, "outbound.routes=a.example=h1, "
		"A.example=h2", &err), 0);
	assert_int_equal(mail_route_table_from_config(c, &t, &err), -1);
	assert_non_null(strstr(err.msg, "twice"));
	assert_int_equal(config_set(c, "outbound.routes=", &err), 0);
	assert_int_equal(mail_route_table_from_config(c, &t, &err), 0);
	assert_null(mail_route_table_find(&t, "a.example"));
	/*
	 * A route too long to read is refused, not the end of the table:
	 * the smarthost after it must not be dropped (fuzz_routes found it).
	 * The setting refuses it as it is set, and the table's reader tells
	 * it from the end of the list (config_list_get).
	 */
	char long_routes[3000];
	snprintf(long_routes, sizeof(long_routes), "outbound.routes="
		"a.example=h tls=required auth=u password_file=%02100d, "
		"*=smarthost.example tls=required", 0);
	assert_int_equal(config_set(c, long_routes, &err), -1);
	assert_non_null(strstr(err.msg, "longer than"));
	char text[64];
	assert_int_equal(config_set(c, "outbound.routes=a.example=h "
		"tls=required auth=u password_file=a-long-file-name.pw, "
		"*=smarthost.example tls=required", &err), 0);
	assert_int_equal(config_list_get(c, "outbound.routes", 0, text,
		sizeof(text), &err), -1);
	assert_non_null(strstr(err.msg, "longer than"));
	/* What a refusal quotes of the setting is one line of plain text. */
	assert_int_equal(config_set(c, "outbound.routes=a.example=h\x1b[2J",
		&err), 0);
	assert_int_equal(mail_route_table_from_config(c, &t, &err), -1);
	assert_null(strchr(err.msg, '\x1b'));
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secure_domain_table),
		cmocka_unit_test(test_legacy_retirement),
		cmocka_unit_test(test_domain_normalise_table),
		cmocka_unit_test(test_route_tls_table),
		cmocka_unit_test(test_route_parse_table),
		cmocka_unit_test(test_route_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
