/*
 * Unit tests for the DNS record parsers (core/dns_rdata.c) and the RFC
 * 5321 §5.1 MX plan (mail/mail_dns.c): tables of well-formed and malformed
 * record data, every length edge, and the order hosts are tried in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "mail/mail_dns.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof(*(a)))
#define RD(s) (const uint8_t *)(s), sizeof(s) - 1

struct rdata_case {
	const uint8_t *rdata;
	size_t len;
	bool ok;
	uint16_t preference;
	const char *host;
};

static void
test_mx_table(void **state)
{
	const struct rdata_case cases[] = {
		{ RD("\x00\x0a\x02mx\x07" "example\x00"), true, 10,
		  "mx.example" },
		{ RD("\xff\xff\x02MX\x03NHS\x02uk\x00"), true, 65535,
		  "mx.nhs.uk" },
		{ RD("\x00\x00\x00"), true, 0, "" },	/* RFC 7505 null MX */
		{ RD("\x00\x0a\x04_x-1\x00"), true, 10, "_x-1" },
		/* a compression pointer, and the reserved 01 and 10 types */
		{ RD("\x00\x0a\xc0\x0c"), false, 0, NULL },
		{ RD("\x00\x0a\x40"), false, 0, NULL },
		{ RD("\x00\x0a\x80\x00"), false, 0, NULL },
		/* a label longer than what is left */
		{ RD("\x00\x0a\x05" "ab"), false, 0, NULL },
		{ RD("\x00\x0a\x02mx"), false, 0, NULL },	/* no root */
		{ RD("\x00\x0a\x02mx\x00\x00"), false, 0, NULL },	/* after */
		{ RD("\x00\x0a"), false, 0, NULL },
		{ RD("\x00"), false, 0, NULL },
		{ RD(""), false, 0, NULL },
		{ RD("\x00\x0a\x03m x\x00"), false, 0, NULL },
		{ RD("\x00\x0a\x03m.x\x00"), false, 0, NULL },
		{ RD("\x00\x0a\x03m\x01x\x00"), false, 0, NULL },
		{ RD("\x00\x0a\x03m\xc3x\x00"), false, 0, NULL },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct dns_mx mx;
		struct error err;
		int rc = dns_rdata_mx(cases[i].rdata, cases[i].len, &mx, &err);
		if (!cases[i].ok) {
			if (rc != -1)
				fail_msg("case %zu parsed", i);
			assert_int_equal(err.code, ERROR_INVALID);
			assert_true(err.msg[0] != '\0');
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(mx.preference, cases[i].preference);
		assert_string_equal(mx.host, cases[i].host);
	}
}

/* A wire name of `labels` labels of `size` bytes each, after 2 bytes. */
static size_t
long_name(uint8_t *buf, size_t labels, size_t size)
{
	size_t at = 2;
	buf[0] = 0;
	buf[1] = 5;
	for (size_t l = 0; l < labels; l++) {
		buf[at++] = (uint8_t)size;
		memset(buf + at, 'a', size);
		at += size;
	}
	buf[at++] = 0;
	return at;
}

static void
test_mx_name_limits(void **state)
{
	uint8_t buf[600];
	struct dns_mx mx;
	struct error err;
	/* 63-byte labels are the longest; 64 is the reserved 01 type. */
	size_t len = long_name(buf, 1, 63);
	assert_int_equal(dns_rdata_mx(buf, len, &mx, &err), 0);
	assert_int_equal(strlen(mx.host), 63);
	len = long_name(buf, 1, 64);
	assert_int_equal(dns_rdata_mx(buf, len, &mx, &err), -1);
	/* 4 x 62 + 3 dots = 251; + ".a" = 253: the longest name. */
	len = long_name(buf, 4, 62);
	buf[len - 1] = 1;
	buf[len++] = 'a';
	buf[len++] = 0;
	assert_int_equal(dns_rdata_mx(buf, len, &mx, &err), 0);
	assert_int_equal(strlen(mx.host), DNS_NAME_MAX);
	/* One more character is 254: refused, as is anything longer. */
	len = long_name(buf, 4, 62);
	buf[len - 1] = 2;
	buf[len++] = 'a';
	buf[len++] = 'b';
	buf[len++] = 0;
	assert_int_equal(dns_rdata_mx(buf, len, &mx, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	len = long_name(buf, 9, 63);
	assert_int_equal(dns_rdata_mx(buf, len, &mx, &err), -1);
	/* 127 one-byte labels: 253 characters, 255 bytes on the wire. */
	len = long_name(buf, 127, 1);
	assert_int_equal(dns_rdata_mx(buf, len, &mx, &err), 0);
	assert_int_equal(strlen(mx.host), 253);
	len = long_name(buf, 128, 1);
	assert_int_equal(dns_rdata_mx(buf, len, &mx, &err), -1);
}

static void
test_addr_table(void **state)
{
	const struct {
		enum dns_type type;
		const uint8_t *rdata;
		size_t len;
		const char *text;	/* NULL: refused */
	} cases[] = {
		{ DNS_TYPE_A, RD("\xc0\x00\x02\x01"), "192.0.2.1" },
		{ DNS_TYPE_A, RD("\x00\x00\x00\x00"), "0.0.0.0" },
		{ DNS_TYPE_A, RD("\xc0\x00\x02"), NULL },
		{ DNS_TYPE_A, RD("\xc0\x00\x02\x01\x01"), NULL },
		{ DNS_TYPE_A, RD(""), NULL },
		{ DNS_TYPE_AAAA, RD("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x25"),
		  "2001:db8::25" },
		{ DNS_TYPE_AAAA, RD("\xc0\x00\x02\x01"), NULL },
		{ DNS_TYPE_AAAA, RD("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0"),
		  NULL },
		{ DNS_TYPE_MX, RD("\xc0\x00\x02\x01"), NULL },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct dns_addr addr;
		struct error err;
		int rc = dns_rdata_addr(cases[i].type, cases[i].rdata,
			cases[i].len, &addr, &err);
		if (cases[i].text == NULL) {
			if (rc != -1)
				fail_msg("case %zu parsed", i);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_string_equal(addr.text, cases[i].text);
		assert_int_equal(addr.family, cases[i].type == DNS_TYPE_A ?
			AF_INET : AF_INET6);
	}
}

static void
test_txt_table(void **state)
{
	const struct {
		const uint8_t *rdata;
		size_t len;
		bool ok;
		const char *text;
		size_t text_len;
	} cases[] = {
		/* RFC 7208 §3.3: the strings are joined with nothing between. */
		{ RD("\x07v=spf1 \x04-all"), true, "v=spf1 -all", 11 },
		{ RD("\x06single"), true, "single", 6 },
		{ RD("\x00"), true, "", 0 },
		{ RD("\x00\x00\x02" "ab"), true, "ab", 2 },
		{ RD("\x03" "a\0b"), true, "a\0b", 3 },
		{ RD(""), false, NULL, 0 },
		{ RD("\x05" "ab"), false, NULL, 0 },
		{ RD("\x02" "ab\x05" "c"), false, NULL, 0 },
		{ RD("\x02" "ab\x01"), false, NULL, 0 },
	};
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct dns_txt txt;
		struct error err;
		int rc = dns_rdata_txt(cases[i].rdata, cases[i].len, a, &txt,
			&err);
		if (!cases[i].ok) {
			if (rc != -1)
				fail_msg("case %zu parsed", i);
			assert_int_equal(err.code, ERROR_INVALID);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(txt.len, cases[i].text_len);
		assert_memory_equal(txt.text, cases[i].text, txt.len);
		assert_int_equal(txt.text[txt.len], '\0');
	}
	/* The longest TXT rdata: 257 strings of 255 bytes fit in 65535. */
	size_t len = 257 * 256;
	uint8_t *big = malloc(len);
	for (size_t s = 0; s < 257; s++) {
		big[s * 256] = 255;
		memset(big + s * 256 + 1, 'k', 255);
	}
	struct dns_txt txt;
	struct error err;
	assert_int_equal(dns_rdata_txt(big, len, a, &txt, &err), 0);
	assert_int_equal(txt.len, 257 * 255);
	free(big);
	arena_free(&a);
}

static void
test_tlsa_table(void **state)
{
	uint8_t buf[3 + 80];
	const struct {
		uint8_t usage, selector, mtype;
		size_t data_len;
		bool ok;
	} cases[] = {
		{ 3, 1, 1, 32, true },
		{ 2, 0, 2, 64, true },
		{ 3, 0, 0, 1, true },
		{ 3, 0, 0, 80, true },
		{ 9, 9, 9, 5, true },	/* unknown values: DANE's to ignore */
		{ 3, 1, 1, 31, false },
		{ 3, 1, 1, 33, false },
		{ 3, 1, 2, 32, false },
		{ 3, 1, 0, 0, false },
	};
	struct arena *a = arena_new(1 << 20);
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		buf[0] = cases[i].usage;
		buf[1] = cases[i].selector;
		buf[2] = cases[i].mtype;
		for (size_t j = 0; j < cases[i].data_len; j++)
			buf[3 + j] = (uint8_t)j;
		struct dns_tlsa t;
		struct error err;
		int rc = dns_rdata_tlsa(buf, 3 + cases[i].data_len, a, &t, &err);
		if (!cases[i].ok) {
			if (rc != -1)
				fail_msg("case %zu parsed", i);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(t.usage, cases[i].usage);
		assert_int_equal(t.selector, cases[i].selector);
		assert_int_equal(t.matching_type, cases[i].mtype);
		assert_int_equal(t.len, cases[i].data_len);
		assert_memory_equal(t.data, buf + 3, t.len);
	}
	struct dns_tlsa t;
	struct error err;
	assert_int_equal(dns_rdata_tlsa(buf, 2, a, &t, &err), -1);
	arena_free(&a);
}

static void
test_name_is_valid(void **state)
{
	char longest[DNS_NAME_MAX + 2];
	memset(longest, 'a', DNS_NAME_MAX);
	for (size_t i = 63; i < DNS_NAME_MAX; i += 64)
		longest[i] = '.';
	longest[DNS_NAME_MAX] = '\0';
	assert_true(dns_name_is_valid(longest));
	longest[DNS_NAME_MAX] = '.';	/* the final dot is free */
	longest[DNS_NAME_MAX + 1] = '\0';
	assert_true(dns_name_is_valid(longest));
	longest[DNS_NAME_MAX] = 'a';
	assert_false(dns_name_is_valid(longest));
	const struct {
		const char *name;
		bool ok;
	} cases[] = {
		{ "nhs.uk", true }, { "nhs.uk.", true }, { "_25._tcp.mx.x", true },
		{ "localhost", true }, { "", false }, { ".", false },
		{ "a..b", false }, { ".a", false }, { "a b", false },
		{ "a/b", false }, { "caf\xc3\xa9.fr", false },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
		  true },	/* 63 */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
		  false },	/* 64 */
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		if (dns_name_is_valid(cases[i].name) != cases[i].ok)
			fail_msg("%s", cases[i].name);
	}
}

static void
test_types_and_names(void **state)
{
	enum dns_type t;
	assert_true(dns_type_parse("mx", &t));
	assert_int_equal(t, DNS_TYPE_MX);
	assert_true(dns_type_parse("TLSA", &t));
	assert_int_equal(t, DNS_TYPE_TLSA);
	assert_false(dns_type_parse("SRV", &t));
	assert_false(dns_type_parse("", &t));
	assert_string_equal(dns_type_name(DNS_TYPE_AAAA), "AAAA");
	assert_null(dns_type_name((enum dns_type)99));
	assert_string_equal(dns_status_name(DNS_STATUS_NXDOMAIN), "nxdomain");
	assert_string_equal(dns_security_name(DNS_SECURITY_BOGUS), "bogus");
}

/* ---- the MX plan ---- */

static struct dns_answer
mx_answer(struct dns_mx *mx, size_t count)
{
	struct dns_answer ans = { .type = DNS_TYPE_MX,
		.status = DNS_STATUS_OK, .why = "", .mx = mx, .count = count };
	dns_mx_sort(mx, count);
	return ans;
}

static void
test_mx_plan_verdicts(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct mail_mx_plan plan;
	struct error err;
	struct dns_answer ans = { .type = DNS_TYPE_MX, .why = "" };

	ans.status = DNS_STATUS_NODATA;
	assert_int_equal(mail_mx_plan_from(&ans, "NHS.Example", 1, a, &plan,
		&err), 0);
	assert_int_equal(plan.verdict, MAIL_MX_HOSTS);
	assert_true(plan.implicit);
	assert_int_equal(plan.count, 1);
	assert_string_equal(plan.hosts[0].name, "nhs.example");
	assert_int_equal(mail_mx_plan_from(&ans, "nhs.example.", 1, a, &plan,
		&err), 0);
	assert_string_equal(plan.hosts[0].name, "nhs.example");

	ans.status = DNS_STATUS_NXDOMAIN;
	assert_int_equal(mail_mx_plan_from(&ans, "gone.example", 1, a, &plan,
		&err), 0);
	assert_int_equal(plan.verdict, MAIL_MX_NXDOMAIN);
	assert_non_null(strstr(plan.why, "gone.example"));

	ans.status = DNS_STATUS_TEMPFAIL;
	ans.security = DNS_SECURITY_BOGUS;
	ans.why = "DNSSEC validation failed: x";
	assert_int_equal(mail_mx_plan_from(&ans, "b.example", 1, a, &plan,
		&err), 0);
	assert_int_equal(plan.verdict, MAIL_MX_TEMPFAIL);
	assert_int_equal(plan.security, DNS_SECURITY_BOGUS);
	assert_int_equal(plan.count, 0);
	assert_string_equal(plan.why, "DNSSEC validation failed: x");

	ans.status = DNS_STATUS_OK;
	ans.security = DNS_SECURITY_SECURE;
	ans.null_mx = true;
	ans.why = "";
	assert_int_equal(mail_mx_plan_from(&ans, "n.example", 1, a, &plan,
		&err), 0);
	assert_int_equal(plan.verdict, MAIL_MX_NULL);
	assert_int_equal(plan.count, 0);
	assert_non_null(strstr(plan.why, "RFC 7505"));
	arena_free(&a);
}

/*
 * Preferences are tried lowest first, always; hosts sharing one come in
 * an order the seed picks, every order turning up over enough seeds, and
 * one seed always giving the same order.
 */
static void
test_mx_plan_order(void **state)
{
	struct arena *a = arena_new(1 << 22);
	bool seen[6] = { false };
	for (uint64_t seed = 0; seed < 300; seed++) {
		struct dns_mx mx[] = {
			{ 20, "z.example" }, { 10, "c.example" },
			{ 10, "a.example" }, { 30, "last.example" },
			{ 10, "b.example" }, { 5, "first.example" },
		};
		struct dns_answer ans = mx_answer(mx, N_ELEMENTS(mx));
		struct mail_mx_plan plan, again;
		struct error err;
		assert_int_equal(mail_mx_plan_from(&ans, "d.example", seed, a,
			&plan, &err), 0);
		assert_int_equal(mail_mx_plan_from(&ans, "d.example", seed, a,
			&again, &err), 0);
		assert_int_equal(plan.count, 6);
		assert_false(plan.implicit);
		for (size_t i = 0; i < plan.count; i++) {
			assert_string_equal(plan.hosts[i].name,
				again.hosts[i].name);
			if (i > 0)
				assert_true(plan.hosts[i - 1].preference <=
					plan.hosts[i].preference);
		}
		assert_string_equal(plan.hosts[0].name, "first.example");
		assert_string_equal(plan.hosts[4].name, "z.example");
		assert_string_equal(plan.hosts[5].name, "last.example");
		/* Which of the six orders of a, b, c this seed gave. */
		int order = (plan.hosts[1].name[0] - 'a') * 2 +
			(plan.hosts[2].name[0] > plan.hosts[3].name[0]);
		seen[order] = true;
	}
	for (size_t i = 0; i < N_ELEMENTS(seen); i++)
		assert_true(seen[i]);
	arena_free(&a);
}

/* ---- the resolver, from many threads, against a tiny UDP responder ---- */

/*
 * Answers A questions with 192.0.2.N, N the length of the name's first
 * label, so each caller can tell its own answer from another's; a name
 * starting "slow" gets no answer at all. Anything else: NOERROR, no data.
 */
struct responder {
	int fd;
	int port;
	volatile bool stop;
	pthread_t thread;
};

static void *
respond(void *data)
{
	struct responder *r = data;
	uint8_t q[1500], out[1600];
	while (!r->stop) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(r->fd, q, sizeof(q), 0,
			(struct sockaddr *)&peer, &plen);
		if (n < 17)
			continue;
		size_t at = 12;
		while (at < (size_t)n && q[at] != 0)
			at += 1u + q[at];
		if (at + 5 > (size_t)n)
			continue;
		size_t qend = at + 5;	/* root byte, type, class */
		uint16_t qtype = (uint16_t)((q[at + 1] << 8) | q[at + 2]);
		if (q[12] >= 4 && memcmp(q + 13, "slow", 4) == 0)
			continue;
		memcpy(out, q, qend);
		out[2] = 0x81;	/* QR, RD */
		out[3] = 0x80;	/* RA */
		out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
		size_t len = qend;
		if (qtype == DNS_TYPE_A) {
			out[7] = 1;
			const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0,
				60, 0, 4, 192, 0, 2, q[12] };
			memcpy(out + len, rr, sizeof(rr));
			len += sizeof(rr);
		}
		sendto(r->fd, out, len, 0, (struct sockaddr *)&peer, plen);
	}
	return NULL;
}

static void
responder_start(struct responder *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&sa, &len), 0);
	r->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&r->thread, NULL, respond, r), 0);
}

static void
responder_stop(struct responder *r)
{
	r->stop = true;
	pthread_join(r->thread, NULL);
	close(r->fd);
}

struct caller {
	struct dns_resolver *resolver;
	int index;
	int wrong;	/* answers that were not this caller's */
};

static void *
call_many(void *data)
{
	struct caller *c = data;
	struct arena *a = arena_new(1 << 20);
	for (int i = 0; i < 20; i++) {
		/* A first label of 1 + (index + i) % 20 letters. */
		char name[64];
		int label = 1 + (c->index + i) % 20;
		snprintf(name, sizeof(name), "%.*s.n%d.example", label,
			"hhhhhhhhhhhhhhhhhhhhhhhh", c->index * 100 + i);
		bool slow = i % 7 == 3;
		if (slow)
			memcpy(name, "slow", 4);
		struct dns_answer ans;
		struct error err;
		if (dns_lookup(c->resolver, name, DNS_TYPE_A, a, &ans, &err) < 0) {
			c->wrong++;
			continue;
		}
		char want[16];
		snprintf(want, sizeof(want), "192.0.2.%d", slow ? 0 : label);
		if (slow ? ans.status != DNS_STATUS_TEMPFAIL :
		    ans.status != DNS_STATUS_OK || ans.count != 1 ||
		    strcmp(ans.addr[0].text, want) != 0)
			c->wrong++;
		arena_reset(a);
	}
	arena_free(&a);
	return NULL;
}

/*
 * Eight threads share one resolver: every answer reaches the thread that
 * asked, queries that time out are cancelled without disturbing the
 * others, and the whole run is bounded by the timeout, not by libunbound's
 * retries (ASan's leak check sees abandoned queries freed).
 */
static void
test_resolver_threads(void **state)
{
	struct responder resp;
	responder_start(&resp);
	char servers[64];
	snprintf(servers, sizeof(servers), "127.0.0.1@%d", resp.port);
	/*
	 * Long enough that a prompt answer never times out on a loaded
	 * machine (300 ms did, once, with builds running beside it).
	 */
	struct dns_options o = { .servers = servers, .trust_anchor = "",
		.timeout_ms = 1000 };
	struct error err;
	struct dns_resolver *r = dns_resolver_new(&o, &err);
	if (r == NULL)
		fail_msg("%s", err.msg);
	struct caller callers[8];
	pthread_t threads[8];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 8; i++) {
		callers[i] = (struct caller){ .resolver = r, .index = i };
		assert_int_equal(pthread_create(&threads[i], NULL, call_many,
			&callers[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(callers[i].wrong, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* 3 slow lookups a thread at 1 s, in parallel: far under 10 s. */
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	/* An invalid name is refused before any question is asked. */
	struct dns_answer ans;
	struct arena *a = arena_new(1 << 16);
	assert_int_equal(dns_lookup(r, "a..b", DNS_TYPE_A, a, &ans, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	arena_free(&a);
	dns_resolver_free(&r);
	assert_null(r);
	responder_stop(&resp);
}

static void
test_resolver_bad_settings(void **state)
{
	struct error err;
	struct dns_options o = { .servers = "not-an-address",
		.trust_anchor = "", .timeout_ms = 100 };
	assert_null(dns_resolver_new(&o, &err));
	assert_int_equal(err.code, ERROR_INVALID);
	assert_string_equal(err.field, "dns.servers");
	o.servers = "127.0.0.1@53, ::1";
	o.trust_anchor = "/nonexistent/root.key";
	assert_null(dns_resolver_new(&o, &err));
	assert_string_equal(err.field, "dns.trust_anchor");
	o.trust_anchor = "";
	struct dns_resolver *r = dns_resolver_new(&o, &err);
	assert_non_null(r);
	dns_resolver_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mx_table),
		cmocka_unit_test(test_mx_name_limits),
		cmocka_unit_test(test_addr_table),
		cmocka_unit_test(test_txt_table),
		cmocka_unit_test(test_tlsa_table),
		cmocka_unit_test(test_name_is_valid),
		cmocka_unit_test(test_types_and_names),
		cmocka_unit_test(test_mx_plan_verdicts),
		cmocka_unit_test(test_mx_plan_order),
		cmocka_unit_test(test_resolver_threads),
		cmocka_unit_test(test_resolver_bad_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
