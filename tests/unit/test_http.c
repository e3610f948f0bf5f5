/*
 * Unit tests for the HTTP front end: the real listener on 127.0.0.1, spoken
 * to over a raw socket and a GnuTLS client. Layer: front end. RFC 9110.
 * SECURITY: checks the security headers, 404/405 and TLS 1.2+ only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/str.h"
#include "core/tls.h"
#include "http/http.h"
#include "http/http_internal.h"

#define REPLY_MAX 65536

static atomic_bool ping_ok = true;

struct reply {
	unsigned status;
	char text[REPLY_MAX];	/* status line and headers, NUL-terminated */
	const char *body;	/* into text, after the blank line */
	size_t body_len;
};

struct fixture {
	struct http_server *server;
	uint16_t port;
	char dir[64];
	char cert[PATH_MAX];
	char key[PATH_MAX];
};

static int
ping(void *ctx, struct error *err)
{
	assert_ptr_equal(ctx, &ping_ok);
	if (atomic_load(&ping_ok))
		return 0;
	return error_set(err, ERROR_TEMPORARY,
		"the database is locked\r\nInjected: yes");
}

static struct http_server_options
options(const char *listen)
{
	struct http_server_options o = {
		.listen = listen,
		.max_connections = 8,
		.timeout_s = 5,
		.store_ping = ping,
		.ctx = &ping_ok,
	};
	return o;
}

static int
connect_to(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons(port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void
parse_reply(struct reply *r, size_t len)
{
	r->text[len] = '\0';
	assert_int_equal(sscanf(r->text, "HTTP/1.1 %u ", &r->status), 1);
	char *end = strstr(r->text, "\r\n\r\n");
	assert_non_null(end);
	end[2] = '\0';	/* keep the last header's CRLF for lookups */
	r->body = end + 4;
	r->body_len = len - (size_t)(r->body - r->text);
}

/* Sends request on a new connection and reads until the server closes. */
static void
exchange(uint16_t port, const char *request, struct reply *r)
{
	int fd = connect_to(port);
	size_t n = strlen(request);
	assert_int_equal(send(fd, request, n, MSG_NOSIGNAL), (ssize_t)n);
	size_t len = 0;
	for (;;) {
		ssize_t got = recv(fd, r->text + len, sizeof(r->text) - 1 - len,
			0);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	parse_reply(r, len);
}

static void
get(uint16_t port, const char *method, const char *path, struct reply *r)
{
	char request[512];
	snprintf(request, sizeof(request), "%s %s HTTP/1.1\r\n"
		"Host: 127.0.0.1\r\nConnection: close\r\n\r\n", method, path);
	exchange(port, request, r);
}

/* The value of header name, or NULL; names compare case-insensitively. */
static const char *
header(const struct reply *r, const char *name, char *buf, size_t size)
{
	size_t name_len = strlen(name);
	for (const char *line = strstr(r->text, "\r\n"); line != NULL;
	     line = strstr(line + 2, "\r\n")) {
		const char *p = line + 2;
		if (strncasecmp(p, name, name_len) != 0 || p[name_len] != ':')
			continue;
		p += name_len + 1;
		while (*p == ' ')
			p++;
		const char *eol = strstr(p, "\r\n");
		snprintf(buf, size, "%.*s", (int)(eol - p), p);
		return buf;
	}
	return NULL;
}

static void
assert_header(const struct reply *r, const char *name, const char *value)
{
	char buf[256];
	const char *got = header(r, name, buf, sizeof(buf));
	if (got == NULL)
		fail_msg("no %s header in:\n%s", name, r->text);
	assert_string_equal(got, value);
}

static void
assert_security_headers(const struct reply *r, bool tls)
{
	char buf[256];
	assert_header(r, "Content-Type", "application/json; charset=utf-8");
	assert_header(r, "Cache-Control", "no-store");
	assert_header(r, "X-Content-Type-Options", "nosniff");
	assert_header(r, "Referrer-Policy", "no-referrer");
	assert_header(r, "Content-Security-Policy",
		"default-src 'none'; frame-ancestors 'none'");
	assert_null(header(r, "Server", buf, sizeof(buf)));
	if (tls)
		assert_header(r, "Strict-Transport-Security",
			"max-age=31536000");
	else
		assert_null(header(r, "Strict-Transport-Security", buf,
			sizeof(buf)));
}

static json_t *
body_json(const struct reply *r)
{
	json_error_t jerr;
	json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
	if (j == NULL)
		fail_msg("not JSON (%s): %.*s", jerr.text, (int)r->body_len,
			r->body);
	return j;
}

static void
assert_json_string(json_t *j, const char *key, const char *value)
{
	const char *got = json_string_value(json_object_get(j, key));
	if (got == NULL)
		fail_msg("no string %s", key);
	assert_string_equal(got, value);
}

static void
assert_error_body(const struct reply *r, const char *code)
{
	json_t *j = body_json(r);
	json_t *e = json_object_get(j, "error");
	assert_non_null(e);
	assert_json_string(e, "code", code);
	assert_non_null(json_string_value(json_object_get(e, "message")));
	json_decref(j);
}

static int
setup_plain(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct http_server_options o = options("127.0.0.1:0");
	struct error err;
	f->server = http_server_start(&o, &err);
	if (f->server == NULL)
		fail_msg("start: %s", err.msg);
	f->port = http_server_port(f->server);
	assert_int_not_equal(f->port, 0);
	*state = f;
	return 0;
}

static int
teardown_server(void **state)
{
	struct fixture *f = *state;
	http_server_stop(&f->server);
	assert_null(f->server);
	if (f->dir[0] != '\0') {
		unlink(f->cert);
		unlink(f->key);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

static void
test_health_ok(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	atomic_store(&ping_ok, true);
	get(f->port, "GET", "/healthcheck", &r);
	assert_int_equal(r.status, 200);
	assert_security_headers(&r, false);
	json_t *j = body_json(&r);
	assert_json_string(j, "status", "ok");
	assert_json_string(j, "store", "ok");
	assert_null(json_object_get(j, "reason"));
	/* SECURITY.md 46: no version to anyone who asks. */
	assert_null(json_object_get(j, "version"));
	json_decref(j);
}

static void
test_health_unavailable(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	atomic_store(&ping_ok, false);
	get(f->port, "GET", "/healthcheck", &r);
	atomic_store(&ping_ok, true);
	assert_int_equal(r.status, 503);
	assert_security_headers(&r, false);
	json_t *j = body_json(&r);
	assert_json_string(j, "status", "unavailable");
	assert_null(json_object_get(j, "version"));
	assert_json_string(j, "store", "unreachable");
	/* CR/LF in error text never reaches a client (STYLE.md §4). */
	assert_json_string(j, "reason",
		"the database is locked  Injected: yes");
	json_decref(j);

	get(f->port, "GET", "/healthcheck", &r);
	assert_int_equal(r.status, 200);
}

static void
test_head(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	get(f->port, "HEAD", "/healthcheck", &r);
	assert_int_equal(r.status, 200);
	assert_security_headers(&r, false);
	assert_int_equal(r.body_len, 0);
}

static void
test_not_found(void **state)
{
	struct fixture *f = *state;
	static const char *const paths[] = {
		"/nope", "/", "/healthcheck/", "/HEALTHCHECK",
		"/healthcheck%00", "/healthcheck%00x", "/healthcheck/../x",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		struct reply r;
		get(f->port, "GET", paths[i], &r);
		assert_int_equal(r.status, 404);
		assert_security_headers(&r, false);
		assert_error_body(&r, "not_found");
		json_t *j = body_json(&r);
		assert_json_string(json_object_get(j, "error"), "message",
			"There is no such page.");
		json_decref(j);
	}
}

static void
test_escaped_path_routes(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	get(f->port, "GET", "/health%63heck?x=1", &r);
	assert_int_equal(r.status, 200);
}

static void
test_method_not_allowed(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	exchange(f->port, "POST /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Type: application/json\r\nContent-Length: 2\r\n"
		"Connection: close\r\n\r\n{}", &r);
	assert_int_equal(r.status, 405);
	assert_security_headers(&r, false);
	assert_header(&r, "Allow", "GET, HEAD");
	assert_error_body(&r, "method_not_allowed");

	get(f->port, "DELETE", "/healthcheck", &r);
	assert_int_equal(r.status, 405);
	assert_header(&r, "Allow", "GET, HEAD");
}

static void
test_body_too_large(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	exchange(f->port, "GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Length: 2000000\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 413);
	assert_security_headers(&r, false);
	assert_error_body(&r, "limit");

	exchange(f->port, "GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Length: 99999999999999999999999\r\n"
		"Connection: close\r\n\r\n", &r);
	assert_true(r.status == 413 || r.status == 400);
}

static void
test_body_read(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	/* A small body is read and the route still answers. */
	exchange(f->port, "GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Length: 5\r\nConnection: close\r\n\r\nhello", &r);
	assert_int_equal(r.status, 200);

	/* A chunked body past the cap: the server hangs up mid-body. */
	int fd = connect_to(f->port);
	const char *head = "GET /healthcheck HTTP/1.1\r\nHost: a\r\n"
		"Transfer-Encoding: chunked\r\n\r\n";
	assert_true(send(fd, head, strlen(head), MSG_NOSIGNAL) > 0);
	char chunk[8192];
	memset(chunk, 'x', sizeof(chunk));
	char size_line[32];
	int n = snprintf(size_line, sizeof(size_line), "%zx\r\n",
		sizeof(chunk));
	bool hung_up = false;
	for (int i = 0; i < 1024 && !hung_up; i++) {	/* 8 MiB at most */
		hung_up = send(fd, size_line, (size_t)n, MSG_NOSIGNAL) < 0 ||
			send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) < 0 ||
			send(fd, "\r\n", 2, MSG_NOSIGNAL) < 0;
	}
	char buf[256];
	ssize_t got = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	assert_true(got <= 0);	/* no reply, only a closed connection */
}

static void
test_keep_alive(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	/* Two requests on one connection: the second is answered too. */
	exchange(f->port, "GET /healthcheck HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		&r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "HTTP/1.1 404 "));
}

static void
test_bad_listen(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:http", "localhost:8080", "::1:8080", "[::1:8080",
		"[]:8080", "[127.0.0.1]:8080", "1.2.3.4.5:80", ":8080",
		"127.0.0.1:-1", "127.0.0.1:80x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct http_server_options o = options(bad[i]);
		struct error err;
		error_clear(&err);
		struct http_server *s = http_server_start(&o, &err);
		if (s != NULL)
			fail_msg("%s was accepted", bad[i]);
		assert_int_equal(err.code, ERROR_INVALID);
		assert_string_equal(err.field, "listen");
	}
}

static void
test_port_in_use(void **state)
{
	struct fixture *f = *state;
	char listen[32];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", (unsigned)f->port);
	struct http_server_options o = options(listen);
	struct error err;
	assert_null(http_server_start(&o, &err));
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_non_null(strstr(err.msg, listen));
	assert_non_null(strstr(err.msg, "in use"));
}

static void
test_ipv6(void **state)
{
	(void)state;
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool have_v6 = probe >= 0 &&
		bind(probe, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	if (probe >= 0)
		close(probe);
	if (!have_v6)
		skip();
	struct http_server_options o = options("[::1]:0");
	struct error err;
	struct http_server *s = http_server_start(&o, &err);
	if (s == NULL)
		fail_msg("start: %s", err.msg);
	assert_int_not_equal(http_server_port(s), 0);
	http_server_stop(&s);
	assert_null(s);
}

static void
test_missing_cert(void **state)
{
	(void)state;
	struct http_server_options o = options("127.0.0.1:0");
	o.tls = true;
	o.cert_path = "/nonexistent/cert.pem";
	o.key_path = "/nonexistent/key.pem";
	struct error err;
	assert_null(http_server_start(&o, &err));
	assert_int_equal(err.code, ERROR_NOT_FOUND);
}

/* ---- Framing, deadlines, per-address caps and body caps ---- */

struct framing_case {
	const char *fields[4][2];	/* name, value; NULL name ends */
	bool http10;
	bool ok;
};

/* RFC 9112 §6: every reading of a body's length that two parsers could
 * disagree on is refused; the plain ones pass. */
static void
test_framing_table(void **state)
{
	(void)state;
	static const struct framing_case cases[] = {
		{ { { NULL, NULL } }, false, true },
		{ { { "Content-Length", "5" } }, false, true },
		{ { { "content-length", " 0 " } }, false, true },
		{ { { "Transfer-Encoding", "chunked" } }, false, true },
		{ { { "Transfer-Encoding", "Chunked\t" } }, false, true },
		{ { { "Host", "a" }, { "X-Y", "Content-Length: 5" } }, false,
		  true },
		{ { { "Content-Length", "5" }, { "Content-Length", "5" } },
		  false, false },
		{ { { "Content-Length", "5" }, { "content-length", "6" } },
		  false, false },
		{ { { "Content-Length", "5, 5" } }, false, false },
		{ { { "Content-Length", "+5" } }, false, false },
		{ { { "Content-Length", "-1" } }, false, false },
		{ { { "Content-Length", "0x10" } }, false, false },
		{ { { "Content-Length", "" } }, false, false },
		{ { { "Content-Length", "5" },
		    { "Transfer-Encoding", "chunked" } }, false, false },
		{ { { "Transfer-Encoding", "chunked" },
		    { "Content-Length", "0" } }, false, false },
		{ { { "Transfer-Encoding", "chunked" },
		    { "Transfer-Encoding", "chunked" } }, false, false },
		{ { { "Transfer-Encoding", "chunked, chunked" } }, false,
		  false },
		{ { { "Transfer-Encoding", "gzip, chunked" } }, false, false },
		{ { { "Transfer-Encoding", "chunked, gzip" } }, false, false },
		{ { { "Transfer-Encoding", "identity" } }, false, false },
		{ { { "Transfer-Encoding", "xchunked" } }, false, false },
		{ { { "Transfer-Encoding", "chunked;q=1" } }, false, false },
		{ { { "Transfer-Encoding", "\vchunked" } }, false, false },
		{ { { "Transfer-Encoding", "" } }, false, false },
		{ { { "Transfer-Encoding", "chunked" } }, true, false },
		{ { { "Content-Length", "5" } }, true, true },
		{ { { "Transfer-Encoding ", "chunked" } }, false, false },
		{ { { "Content-Length ", "5" } }, false, false },
		{ { { " Host", "a" } }, false, false },
		{ { { "", "a" } }, false, false },
		{ { { "X\tY", "a" } }, false, false },
		{ { { "X:Y", "a" } }, false, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_framing f = { 0 };
		for (size_t j = 0; j < 4 && cases[i].fields[j][0] != NULL; j++)
			http_framing_add(&f, cases[i].fields[j][0],
				cases[i].fields[j][1]);
		struct error err;
		error_clear(&err);
		int rc = http_framing_check(&f, cases[i].http10, &err);
		if ((rc == 0) != cases[i].ok)
			fail_msg("case %zu (%s: %s): got %d", i,
				cases[i].fields[0][0] ? cases[i].fields[0][0] :
				"-", cases[i].fields[0][1] ?
				cases[i].fields[0][1] : "-", rc);
		if (rc < 0) {
			assert_int_equal(err.code, ERROR_INVALID);
			assert_true(strlen(err.msg) > 10);
		}
	}
}

static atomic_int signed_in_asked;

/* Signed in when the request says "X-Test-Auth: yes"; "down": no store. */
static int
fake_signed_in(void *ctx, struct http_call *call, struct error *err)
{
	(void)ctx;
	const char *v = http_call_header(call, "X-Test-Auth");
	atomic_fetch_add(&signed_in_asked, 1);
	if (v != NULL && strcmp(v, "down") == 0)
		return error_set(err, ERROR_TEMPORARY, "the store is down");
	return v != NULL && strcmp(v, "yes") == 0;
}

/* Says how long the body it got was. */
static void
fake_api(void *ctx, struct http_call *call)
{
	(void)ctx;
	size_t len;
	http_call_body(call, &len);
	http_call_reply(call, 200, json_pack("{s:I}", "length",
		(json_int_t)len));
}

#define SMALL_BODY 1024
#define LARGE_BODY (64 * 1024)

static struct http_server *
start_limited(unsigned header_s, unsigned body_s, unsigned per_ip)
{
	struct http_server_options o = options("127.0.0.1:0");
	o.threads = 2;		/* the epoll pool, as serve runs it */
	o.max_connections = 32;
	o.header_timeout_s = header_s;
	o.body_timeout_s = body_s;
	o.max_per_ip = per_ip;
	o.max_body_unauthenticated = SMALL_BODY;
	o.max_body = LARGE_BODY;
	o.api = fake_api;
	o.signed_in = fake_signed_in;
	struct error err;
	struct http_server *s = http_server_start(&o, &err);
	if (s == NULL)
		fail_msg("start: %s", err.msg);
	return s;
}

static int
connect_from(const char *source_ip, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET,
		.sin_port = htons(port) };
	assert_int_equal(inet_pton(AF_INET, source_ip, &src.sin_addr), 1);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

/* Reads until the server closes; false if it did not within 5 s. */
static bool
read_to_close(int fd, char *buf, size_t size, size_t *len_r)
{
	size_t len = 0;
	for (;;) {
		ssize_t got = recv(fd, buf + len, size - 1 - len, 0);
		if (got == 0 || (got < 0 && errno == ECONNRESET))
			break;
		if (got < 0) {
			buf[len] = '\0';
			*len_r = len;
			return false;	/* EAGAIN: the 5 s receive timeout */
		}
		len += (size_t)got;
	}
	buf[len] = '\0';
	*len_r = len;
	return true;
}

static size_t
count_of(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(haystack, needle); p != NULL;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * Every smuggling shape of Content-Length and Transfer-Encoding, each with
 * a second request hidden where one reading would see a body: a 400, the
 * connection closed, and the hidden request never answered.
 */
static void
test_smuggling_refused(void **state)
{
	(void)state;
	static const char *const shapes[] = {
		"Content-Length: 38\r\nContent-Length: 38\r\n",
		"Content-Length: 0\r\nContent-Length: 38\r\n",
		"Content-Length: 38\r\nTransfer-Encoding: chunked\r\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 38\r\n",
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
		"Transfer-Encoding: chunked, chunked\r\n",
		"Transfer-Encoding: gzip, chunked\r\n",
		"Transfer-Encoding: identity\r\nContent-Length: 38\r\n",
		"Transfer-Encoding: identity\r\n",
		"Transfer-Encoding: xchunked\r\n",
		"Transfer-Encoding: \vchunked\r\n",
		"Transfer-Encoding : chunked\r\n",
		"Content-Length : 38\r\n",
		"Content-Length: 38, 38\r\n",
		"Content-Length: +38\r\n",
		"Content-Length: 0x26\r\n",
		"Content-Length: 38\r\nContent-Length: 0\r\n",
	};
	static const char hidden[] =
		"GET /api/v1/hidden HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_server *s = start_limited(5, 5, 0);
	uint16_t port = http_server_port(s);
	static const char *const paths[] = { "/api/v1/x", "/healthcheck" };
	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < sizeof(shapes) / sizeof(*shapes); i++) {
			char request[1024], buf[REPLY_MAX];
			size_t len;
			snprintf(request, sizeof(request), "POST %s HTTP/1.1\r\n"
				"Host: a\r\n%s\r\n%s", paths[p], shapes[i],
				hidden);
			int fd = connect_to(port);
			assert_true(send(fd, request, strlen(request),
				MSG_NOSIGNAL) > 0);
			bool closed = read_to_close(fd, buf, sizeof(buf), &len);
			close(fd);
			if (!closed || strncmp(buf, "HTTP/1.1 400 ", 13) != 0 ||
			    strstr(buf, "HTTP/1.1 200") != NULL ||
			    strstr(buf, "HTTP/1.1 404") != NULL)
				fail_msg("%s %s: closed=%d\n%s", paths[p],
					shapes[i], closed, buf);
		}
	}
	/* HTTP/1.0 has no Transfer-Encoding at all (RFC 9112 §6.1). */
	char buf[REPLY_MAX];
	size_t len;
	int fd = connect_to(port);
	char request[512];
	snprintf(request, sizeof(request), "POST /api/v1/x HTTP/1.0\r\n"
		"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s", hidden);
	assert_true(send(fd, request, strlen(request), MSG_NOSIGNAL) > 0);
	assert_true(read_to_close(fd, buf, sizeof(buf), &len));
	close(fd);
	assert_int_equal(strncmp(buf, "HTTP/1.1 400 ", 13), 0);
	assert_int_equal(count_of(buf, "HTTP/1.1 "), 1);
	http_server_stop(&s);
}

/* Seconds since start, from the monotonic clock. */
static double
since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
		(double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
 * Sends text a byte every 100 ms until the server hangs up; returns the
 * seconds that took, or 99 when all of text went out first.
 */
static double
trickle(int fd, const char *text)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; text[i] != '\0'; i++) {
		if (send(fd, text + i, 1, MSG_NOSIGNAL) < 0)
			return since(&start);
		char c;
		/* A closed connection reads as 0 at once; else wait 100 ms. */
		struct timeval tv = { .tv_usec = 100000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssize_t got = recv(fd, &c, 1, 0);
		if (got == 0 || (got < 0 && errno != EAGAIN))
			return since(&start);
		if (got > 0)
			fail_msg("the server answered a trickle");
	}
	return 99;
}

/*
 * Slowloris: bytes that keep coming never extend the header deadline
 * (1 s here, the idle timeout is 5 s), nor the body deadline.
 */
static void
test_deadlines(void **state)
{
	(void)state;
	struct http_server *s = start_limited(1, 1, 0);
	uint16_t port = http_server_port(s);
	static const char slow_headers[] = "GET /healthcheck HTTP/1.1\r\n"
		"Host: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	int fd = connect_to(port);
	double t = trickle(fd, slow_headers);
	close(fd);
	if (t < 0.9 || t > 3)
		fail_msg("headers: closed after %.2f s, deadline 1 s", t);

	/* The body's own deadline starts when its headers are in. */
	fd = connect_to(port);
	static const char head[] = "POST /api/v1/x HTTP/1.1\r\nHost: a\r\n"
		"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n";
	assert_true(send(fd, head, strlen(head), MSG_NOSIGNAL) > 0);
	char body[201];
	memset(body, 'x', 200);
	body[200] = '\0';
	t = trickle(fd, body);
	close(fd);
	if (t < 0.9 || t > 3)
		fail_msg("body: closed after %.2f s, deadline 1 s", t);

	/* An idle keep-alive connection waits no longer than that either. */
	fd = connect_to(port);
	static const char get_req[] =
		"GET /healthcheck HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_true(send(fd, get_req, strlen(get_req), MSG_NOSIGNAL) > 0);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	char buf[REPLY_MAX];
	size_t len;
	assert_true(read_to_close(fd, buf, sizeof(buf), &len));
	close(fd);
	assert_int_equal(strncmp(buf, "HTTP/1.1 200 ", 13), 0);
	if (since(&start) > 3)
		fail_msg("keep-alive: closed after %.2f s", since(&start));

	/* A request sent whole is answered, however many come. */
	for (int i = 0; i < 20; i++) {
		struct reply r;
		get(port, "GET", "/healthcheck", &r);
		assert_int_equal(r.status, 200);
	}
	http_server_stop(&s);
}

static bool
is_open(int fd)
{
	struct timeval tv = { .tv_usec = 200000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char c;
	ssize_t got = recv(fd, &c, 1, 0);
	return got < 0 && errno == EAGAIN;
}

static unsigned
status_of(int fd)
{
	static const char get_req[] = "GET /healthcheck HTTP/1.1\r\n"
		"Host: a\r\nConnection: close\r\n\r\n";
	char buf[REPLY_MAX];
	size_t len;
	unsigned status = 0;
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, get_req, strlen(get_req), MSG_NOSIGNAL) < 0)
		return 0;
	read_to_close(fd, buf, sizeof(buf), &len);
	sscanf(buf, "HTTP/1.1 %u ", &status);
	return status;
}

/* SECURITY.md 17: one address has at most max_per_ip connections. */
/* A sample's value now, as /metrics shows it ("name{labels} " or "name "). */
static long
metric_now(const char *sample)
{
	struct arena *a = arena_new(1 << 20);
	struct str out;
	str_init(&out, a, 1 << 20);
	assert_int_equal(metrics_render(&out), 0);
	const char *line = strstr(str_cstr(&out), sample);
	long n = line != NULL ? strtol(line + strlen(sample), NULL, 10) : 0;
	arena_free(&a);
	return n;
}

static long
http_refused(void)
{
	return metric_now("\ncaremail_sessions_refused_total{listener=\"http\"} ");
}

static long
http_waiting(void)
{
	return metric_now("\ncaremail_http_waiting ");
}

static void
test_max_per_ip(void **state)
{
	(void)state;
	struct http_server *s = start_limited(20, 20, 3);
	uint16_t port = http_server_port(s);
	int held[3];
	for (int i = 0; i < 3; i++)
		held[i] = connect_from("127.0.0.2", port);
	for (int i = 0; i < 3; i++)
		assert_true(is_open(held[i]));
	/* A fourth from the same address is closed unanswered, counted once... */
	long refused = http_refused();
	int extra = connect_from("127.0.0.2", port);
	assert_int_equal(status_of(extra), 0);
	close(extra);
	assert_int_equal(http_refused(), refused + 1);
	/* ...while another address is served. */
	int other = connect_from("127.0.0.1", port);
	assert_int_equal(status_of(other), 200);
	close(other);
	/* A place given back is a place again. */
	close(held[0]);
	unsigned status = 0;
	for (int i = 0; i < 50 && status != 200; i++) {
		usleep(20000);
		extra = connect_from("127.0.0.2", port);
		status = status_of(extra);
		close(extra);
	}
	assert_int_equal(status, 200);
	close(held[1]);
	close(held[2]);
	http_server_stop(&s);
}

/* One request with a body on a fresh connection; the reply's status. */
static unsigned
send_body(uint16_t port, const char *method, const char *path,
	const char *auth, size_t length, bool chunked, json_int_t *length_r)
{
	int fd = connect_to(port);
	char head[512];
	snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: a\r\n"
		"Connection: close\r\n%s%s%s", method, path,
		auth != NULL ? "X-Test-Auth: " : "", auth != NULL ? auth : "",
		auth != NULL ? "\r\n" : "");
	size_t n = strlen(head);
	if (chunked)
		snprintf(head + n, sizeof(head) - n,
			"Transfer-Encoding: chunked\r\n\r\n");
	else
		snprintf(head + n, sizeof(head) - n,
			"Content-Length: %zu\r\n\r\n", length);
	assert_true(send(fd, head, strlen(head), MSG_NOSIGNAL) > 0);
	char chunk[1024];
	memset(chunk, 'x', sizeof(chunk));
	for (size_t sent = 0; sent < length;) {
		size_t part = length - sent < sizeof(chunk) ? length - sent :
			sizeof(chunk);
		char size_line[32];
		int k = snprintf(size_line, sizeof(size_line), "%zx\r\n", part);
		if ((chunked && send(fd, size_line, (size_t)k,
			    MSG_NOSIGNAL) < 0) ||
		    send(fd, chunk, part, MSG_NOSIGNAL) < 0 ||
		    (chunked && send(fd, "\r\n", 2, MSG_NOSIGNAL) < 0))
			break;	/* the server has answered, or hung up */
		sent += part;
	}
	if (chunked)
		send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
	struct reply r;
	size_t len;
	bool closed = read_to_close(fd, r.text, sizeof(r.text), &len);
	close(fd);
	assert_true(closed);
	if (len == 0)
		return 0;	/* hung up */
	parse_reply(&r, len);
	if (length_r != NULL && r.status == 200) {
		json_t *j = body_json(&r);
		*length_r = json_integer_value(json_object_get(j, "length"));
		json_decref(j);
	}
	return r.status;
}

static unsigned
post(uint16_t port, const char *path, const char *auth, size_t length,
	bool chunked, json_int_t *length_r)
{
	return send_body(port, "POST", path, auth, length, chunked, length_r);
}

/*
 * SECURITY.md 31: before a request is known to be signed in, its body is
 * read only up to the small cap; once signed_in says yes, up to max_body;
 * and signed_in is asked only when a body passes the small cap.
 */
static void
test_body_caps(void **state)
{
	(void)state;
	struct http_server *s = start_limited(5, 5, 0);
	uint16_t port = http_server_port(s);
	json_int_t got = -1;
	atomic_store(&signed_in_asked, 0);
	for (int chunked = 0; chunked <= 1; chunked++) {
		assert_int_equal(post(port, "/api/v1/x", NULL, SMALL_BODY,
			chunked, &got), 200);
		assert_int_equal(got, SMALL_BODY);
		assert_int_equal(post(port, "/api/v1/x", "yes", 10, chunked,
			&got), 200);
		assert_int_equal(atomic_load(&signed_in_asked), 0);
	}
	/* Declared: refused before a byte of it is read. */
	assert_int_equal(post(port, "/api/v1/x", NULL, SMALL_BODY + 1, false,
		NULL), 413);
	assert_int_equal(post(port, "/api/v1/x", "no", SMALL_BODY + 1, false,
		NULL), 413);
	assert_int_equal(post(port, "/api/v1/x", "down", SMALL_BODY + 1, false,
		NULL), 503);
	assert_int_equal(post(port, "/api/v1/x", "yes", LARGE_BODY, false,
		&got), 200);
	assert_int_equal(got, LARGE_BODY);
	int asked = atomic_load(&signed_in_asked);
	assert_int_equal(asked, 4);
	/* Past max_body nobody is asked: no one may send that much. */
	assert_int_equal(post(port, "/api/v1/x", "yes", LARGE_BODY + 1, false,
		NULL), 413);
	assert_int_equal(atomic_load(&signed_in_asked), asked);
	/* Chunked: asked when the body passes the small cap. */
	assert_int_equal(post(port, "/api/v1/x", NULL, SMALL_BODY * 4, true,
		NULL), 0);
	assert_int_equal(post(port, "/api/v1/x", "yes", LARGE_BODY, true,
		&got), 200);
	assert_int_equal(got, LARGE_BODY);
	assert_int_equal(post(port, "/api/v1/x", "yes", LARGE_BODY + 4096,
		true, NULL), 0);
	/* Only the api's routes can be signed in to. */
	asked = atomic_load(&signed_in_asked);
	assert_int_equal(send_body(port, "GET", "/healthcheck", "yes",
		SMALL_BODY + 1, false, NULL), 413);
	assert_int_equal(atomic_load(&signed_in_asked), asked);
	http_server_stop(&s);
}

/* TLS: a GnuTLS client that trusts only the instance certificate. */

static int
setup_tls(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/caremail-http-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
	struct error err;
	if (tls_make_self_signed(f->cert, f->key, "localhost",
		(int64_t)time(NULL), &err) < 0)
		fail_msg("cert: %s", err.msg);
	struct http_server_options o = options("127.0.0.1:0");
	o.tls = true;
	o.cert_path = f->cert;
	o.key_path = f->key;
	f->server = http_server_start(&o, &err);
	if (f->server == NULL)
		fail_msg("start: %s", err.msg);
	f->port = http_server_port(f->server);
	*state = f;
	return 0;
}

struct tls_client {
	int fd;
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
};

/* Returns the handshake's result: 0 or a GnuTLS error code. */
static int
tls_connect(const struct fixture *f, const char *priority,
	struct tls_client *c)
{
	c->fd = connect_to(f->port);
	assert_int_equal(gnutls_certificate_allocate_credentials(&c->cred), 0);
	assert_int_equal(gnutls_certificate_set_x509_trust_file(c->cred,
		f->cert, GNUTLS_X509_FMT_PEM), 1);
	assert_int_equal(gnutls_init(&c->session, GNUTLS_CLIENT), 0);
	assert_int_equal(gnutls_priority_set_direct(c->session, priority,
		NULL), 0);
	assert_int_equal(gnutls_credentials_set(c->session,
		GNUTLS_CRD_CERTIFICATE, c->cred), 0);
	gnutls_session_set_verify_cert(c->session, "localhost", 0);
	gnutls_transport_set_int(c->session, c->fd);
	gnutls_handshake_set_timeout(c->session, 5000);
	int rc;
	do
		rc = gnutls_handshake(c->session);
	while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
	return rc;
}

static void
tls_close(struct tls_client *c)
{
	gnutls_deinit(c->session);
	gnutls_certificate_free_credentials(c->cred);
	close(c->fd);
}

static void
tls_get(struct tls_client *c, const char *path, struct reply *r)
{
	char request[256];
	int n = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\n"
		"Host: localhost\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(gnutls_record_send(c->session, request, (size_t)n),
		n);
	size_t len = 0;
	for (;;) {
		ssize_t got = gnutls_record_recv(c->session, r->text + len,
			sizeof(r->text) - 1 - len);
		if (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	parse_reply(r, len);
}

static void
test_tls_get(void **state)
{
	struct fixture *f = *state;
	struct tls_client c;
	struct reply r;
	int rc = tls_connect(f, "NORMAL", &c);
	if (rc != 0)
		fail_msg("handshake: %s", gnutls_strerror(rc));
	assert_int_equal(gnutls_protocol_get_version(c.session),
		GNUTLS_TLS1_3);
	tls_get(&c, "/healthcheck", &r);
	tls_close(&c);
	assert_int_equal(r.status, 200);
	assert_security_headers(&r, true);
	json_t *j = body_json(&r);
	assert_json_string(j, "status", "ok");
	json_decref(j);
}

static void
test_tls12_aead_accepted(void **state)
{
	struct fixture *f = *state;
	struct tls_client c;
	struct reply r;
	int rc = tls_connect(f, "NORMAL:-VERS-ALL:+VERS-TLS1.2", &c);
	if (rc != 0)
		fail_msg("handshake: %s", gnutls_strerror(rc));
	assert_int_equal(gnutls_protocol_get_version(c.session),
		GNUTLS_TLS1_2);
	assert_int_equal(gnutls_mac_get(c.session), GNUTLS_MAC_AEAD);
	tls_get(&c, "/nope", &r);
	tls_close(&c);
	assert_int_equal(r.status, 404);
	assert_security_headers(&r, true);
}

/* SECURITY.md items 1 and 2: old versions and CBC suites are refused. */
static void
test_tls_refused(void **state)
{
	static const char *const refused[] = {
		"NORMAL:-VERS-ALL:+VERS-TLS1.1",
		"NORMAL:-VERS-ALL:+VERS-TLS1.0",
		("NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC"
		 ":+AES-256-CBC:-MAC-ALL:+SHA1:+SHA256"),
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-FFDHE2048",
	};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		struct tls_client c;
		int rc = tls_connect(f, refused[i], &c);
		tls_close(&c);
		if (rc == 0)
			fail_msg("%s was accepted", refused[i]);
		/* The server hung up or said no: not a client-side refusal. */
		if (rc != GNUTLS_E_PREMATURE_TERMINATION &&
		    rc != GNUTLS_E_FATAL_ALERT_RECEIVED &&
		    rc != GNUTLS_E_UNSUPPORTED_VERSION_PACKET)
			fail_msg("%s: %s", refused[i], gnutls_strerror(rc));
	}
}

/*
 * The one table from domain errors to statuses (issue 9 item 6): every code
 * has its row, and a domain error never claims 413 (a body too large) or
 * 400 (a message that cannot be read), which only the server's own checks
 * may send.
 */
static void
test_error_statuses(void **state)
{
	static const struct {
		enum error_code code;
		unsigned status;
	} want[] = {
		{ ERROR_NOT_FOUND, 404 }, { ERROR_EXISTS, 409 },
		{ ERROR_DENIED, 403 }, { ERROR_LIMIT, 422 },
		{ ERROR_INVALID, 422 }, { ERROR_TEMPORARY, 503 },
		{ ERROR_NO_SPACE, 503 }, { ERROR_INTERNAL, 500 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		unsigned got = http_status_for_error(want[i].code);
		if (got != want[i].status)
			fail_msg("%s: %u, not %u", error_code_name(want[i].code),
				got, want[i].status);
	}
	for (int code = ERROR_NONE + 1; code <= ERROR_NO_SPACE; code++) {
		unsigned got = http_status_for_error((enum error_code)code);
		assert_true(got != 413 && got != 400);
		assert_true(got >= 400 && got <= 599);
	}
}

/*
 * The web root's path rule (http_static.c): every URL path maps to one file
 * below the root or to none; nothing that could name a file outside it, a
 * hidden file or a NUL passes.
 */
static void
test_static_path_table(void **state)
{
	(void)state;
	static const struct {
		const char *url, *file;	/* file NULL: refused */
	} cases[] = {
		{ "/", "index.html" },
		{ "/sign-in", "sign-in.html" },
		{ "/sign-in.html", "sign-in.html" },
		{ "/people/", "people/index.html" },
		{ "/assets/0a1b2c/app.css", "assets/0a1b2c/app.css" },
		{ "/assets/0a1b2c/js/pages/sign-in.mjs",
		  "assets/0a1b2c/js/pages/sign-in.mjs" },
		{ "/a..b", "a..b" },	/* a name, not a step up */
		{ "", NULL },
		{ "sign-in", NULL },
		{ "/..", NULL },
		{ "/../etc/passwd", NULL },
		{ "/assets/../../etc/passwd", NULL },
		{ "/assets/..", NULL },
		{ "/.", NULL },
		{ "/./index.html", NULL },
		{ "/.git/config", NULL },
		{ "/assets/.hidden", NULL },
		{ "//etc/passwd", NULL },
		{ "/assets//app.css", NULL },
		{ "/a\\..\\b", NULL },
		{ "/a%00b", NULL },	/* the server never decodes %00 */
		{ "/a%2e%2e", NULL },
		{ "/a b", NULL },
		{ "/a\tb", NULL },
		{ "/caf\xc3\xa9", NULL },
		{ "/a:b", NULL },
		{ "/a~", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char out[HTTP_STATIC_PATH_MAX];
		int rc = http_static_file_path(cases[i].url, out, sizeof(out));
		if (cases[i].file == NULL) {
			if (rc != -1)
				fail_msg("%s was allowed as %s", cases[i].url,
					out);
		} else {
			if (rc != 0)
				fail_msg("%s was refused", cases[i].url);
			assert_string_equal(out, cases[i].file);
		}
	}
	/* Longer than the buffer: refused, not cut short. */
	char longer[HTTP_STATIC_PATH_MAX + 8];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[0] = '/';
	longer[sizeof(longer) - 1] = '\0';
	char out[HTTP_STATIC_PATH_MAX];
	assert_int_equal(http_static_file_path(longer, out, sizeof(out)), -1);
}

/* Accept-Encoding (RFC 9110 §12.5.3) to the precompressed files allowed. */
static void
test_static_encodings_table(void **state)
{
	(void)state;
	static const struct {
		const char *header;
		unsigned bits;
	} cases[] = {
		{ NULL, 0 },
		{ "", 0 },
		{ "identity", 0 },
		{ "gzip", HTTP_ENCODING_GZIP },
		{ "br", HTTP_ENCODING_BR },
		{ "gzip, deflate, br", HTTP_ENCODING_GZIP | HTTP_ENCODING_BR },
		{ "GZIP;q=0.5,BR;q=1.0", HTTP_ENCODING_GZIP | HTTP_ENCODING_BR },
		{ "gzip;q=0", 0 },
		{ "gzip; q=0.000, br", HTTP_ENCODING_BR },
		{ "gzip;q=0.001", HTTP_ENCODING_GZIP },
		{ "*", HTTP_ENCODING_GZIP | HTTP_ENCODING_BR },
		{ "*;q=0", 0 },
		{ "*, br;q=0", HTTP_ENCODING_GZIP },
		{ "x-gzip", 0 },
		{ "gzipped", 0 },
		{ ",,, ;", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		unsigned got = http_static_encodings(cases[i].header);
		if (got != cases[i].bits)
			fail_msg("\"%s\": %u, not %u", cases[i].header ?
				cases[i].header : "(none)", got,
				cases[i].bits);
	}
}

static void
test_static_types(void **state)
{
	(void)state;
	assert_string_equal(http_static_type("index.html"),
		"text/html; charset=utf-8");
	assert_string_equal(http_static_type("a/app.css"),
		"text/css; charset=utf-8");
	assert_string_equal(http_static_type("js/app.mjs"),
		"text/javascript; charset=utf-8");
	assert_string_equal(http_static_type("images/x.svg"),
		"image/svg+xml");
	assert_string_equal(http_static_type("README"),
		"application/octet-stream");
	assert_string_equal(http_static_type(".html"),
		"application/octet-stream");
}

/*
 * The request threads and the waiting threads. thread_api answers which
 * thread ran it (an index into threads_seen) and, for a POST to
 * /api/v1/hold, first waits until the test posts `release`.
 */
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t threads_seen[64];
static int threads_count;
static sem_t release, held;
static atomic_int holds_done;

/* Until a held request is held, or fails after 5 s. */
static void
wait_held(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	while (sem_timedwait(&held, &until) < 0)
		if (errno != EINTR)
			fail_msg("the request was never held");
}

static int
thread_index(void)
{
	pthread_mutex_lock(&threads_lock);
	int i = 0;
	while (i < threads_count &&
	       !pthread_equal(threads_seen[i], pthread_self()))
		i++;
	if (i == threads_count && threads_count < 64)
		threads_seen[threads_count++] = pthread_self();
	pthread_mutex_unlock(&threads_lock);
	return i;
}

static void
thread_api(void *ctx, struct http_call *call)
{
	(void)ctx;
	if (strcmp(http_call_path(call), "/api/v1/hold") == 0) {
		sem_post(&held);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (sem_timedwait(&release, &until) < 0 && errno == EINTR)
			continue;
		atomic_fetch_add(&holds_done, 1);
	}
	http_call_reply(call, 200, json_pack("{s:i}", "thread",
		thread_index()));
}

/* The API reads that may wait: /api/v1/hold, as a long export would. */
static bool
hold_waits(void *ctx, const char *method, const char *path)
{
	(void)ctx;
	(void)method;
	return strcmp(path, "/api/v1/hold") == 0;
}

static struct http_server *
start_threads(unsigned threads, unsigned wait_threads)
{
	struct http_server_options o = options("127.0.0.1:0");
	o.threads = threads;
	o.wait_threads = wait_threads;
	o.max_connections = 32;
	o.api = thread_api;
	o.signed_in = fake_signed_in;
	o.api_waits = hold_waits;
	pthread_mutex_lock(&threads_lock);
	threads_count = 0;
	pthread_mutex_unlock(&threads_lock);
	atomic_store(&holds_done, 0);
	struct error err;
	struct http_server *s = http_server_start(&o, &err);
	if (s == NULL)
		fail_msg("start: %s", err.msg);
	return s;
}

/* The "thread" of a whole reply (status 200) in r. */
static int
reply_thread(struct reply *r, size_t len)
{
	parse_reply(r, len);
	assert_int_equal(r->status, 200);
	json_t *j = body_json(r);
	int thread = (int)json_integer_value(json_object_get(j, "thread"));
	json_decref(j);
	return thread;
}

/*
 * Sends request on fd and returns the "thread" of its reply, read to its
 * Content-Length: the connection stays open.
 */
static int
ask_thread(int fd, const char *request)
{
	size_t n = strlen(request);
	assert_int_equal(send(fd, request, n, MSG_NOSIGNAL), (ssize_t)n);
	struct reply *r = calloc(1, sizeof(*r));
	size_t len = 0;
	for (;;) {
		ssize_t got = recv(fd, r->text + len,
			sizeof(r->text) - 1 - len, 0);
		if (got <= 0)
			fail_msg("no whole reply within 5 s to %s", request);
		len += (size_t)got;
		r->text[len] = '\0';
		const char *end = strstr(r->text, "\r\n\r\n");
		const char *cl = strcasestr(r->text, "\r\nContent-Length:");
		if (end != NULL && cl != NULL && cl < end &&
		    len >= (size_t)(end + 4 - r->text) +
		    strtoul(cl + 17, NULL, 10))
			break;
	}
	int thread = reply_thread(r, len);
	free(r);
	return thread;
}

#define GET_THREAD "GET /api/v1/thread HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#define POST_HOLD "POST /api/v1/hold HTTP/1.1\r\nHost: 127.0.0.1\r\n" \
	"Content-Type: application/json\r\nContent-Length: 2\r\n" \
	"Connection: close\r\n\r\n{}"
#define GET_HOLD "GET /api/v1/hold HTTP/1.1\r\nHost: 127.0.0.1\r\n" \
	"Connection: close\r\n\r\n"
#define POST_THREAD "POST /api/v1/thread HTTP/1.1\r\nHost: 127.0.0.1\r\n" \
	"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

/*
 * Connections opened together are dealt round the request threads, one
 * each before any has two (libmicrohttpd's own accepting gave a burst to
 * one or two threads of the pool: B5).
 */
static void
test_connections_dealt_round(void **state)
{
	(void)state;
	struct http_server *s = start_threads(4, 0);
	uint16_t port = http_server_port(s);
	/*
	 * Every client socket is made before any connects, so the server's
	 * descriptors for them, which choose the thread, are consecutive.
	 */
	int fds[8];
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons(port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 8; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fds[i] >= 0);
		struct timeval tv = { .tv_sec = 5 };
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sin,
			sizeof(sin)), 0);
	/*
	 * Each connection stays open until all have been answered, so no
	 * descriptor of the server's is closed and reused meanwhile.
	 */
	int served[4] = { 0 };
	for (int i = 0; i < 8; i++) {
		int t = ask_thread(fds[i], GET_THREAD);
		assert_true(t >= 0 && t < 4);
		served[t]++;
	}
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	for (int t = 0; t < 4; t++)
		if (served[t] != 2)
			fail_msg("thread %d served %d of 8 connections", t,
				served[t]);
	http_server_stop(&s);
}

/*
 * A request that waits (held until released) runs on a waiting thread, and
 * the only request thread goes on answering reads meanwhile; with
 * wait_threads 0 the reads wait behind it. A POST waits; so does a GET the
 * API says may (api_waits).
 */
static void
hold_and_read(const char *hold)
{
	sem_init(&release, 0, 0);
	sem_init(&held, 0, 0);
	struct http_server *s = start_threads(1, 2);
	uint16_t port = http_server_port(s);
	int reader = connect_to(port);
	int first = ask_thread(reader, GET_THREAD);
	close(reader);
	int holder = connect_to(port);
	size_t n = strlen(hold);
	assert_int_equal(send(holder, hold, n, MSG_NOSIGNAL), (ssize_t)n);
	wait_held();
	assert_int_equal(http_waiting(), 1);
	for (int i = 0; i < 3; i++) {
		reader = connect_to(port);
		assert_int_equal(ask_thread(reader, GET_THREAD), first);
		close(reader);
	}
	assert_int_equal(atomic_load(&holds_done), 0);
	sem_post(&release);
	struct reply *r = calloc(1, sizeof(*r));
	size_t len = 0;
	assert_true(read_to_close(holder, r->text, sizeof(r->text), &len));
	close(holder);
	assert_int_not_equal(reply_thread(r, len), first);
	free(r);
	assert_int_equal(atomic_load(&holds_done), 1);
	http_server_stop(&s);
	assert_int_equal(http_waiting(), 0);
	sem_destroy(&release);
	sem_destroy(&held);
}

static void
test_waiting_request_holds_no_read(void **state)
{
	(void)state;
	hold_and_read(POST_HOLD);
}

static void
test_waiting_read_holds_no_read(void **state)
{
	(void)state;
	hold_and_read(GET_HOLD);
}

/*
 * At http.max_connections a new client waits in the listening socket's
 * backlog until a connection ends, as with libmicrohttpd's own accepting,
 * rather than being accepted only to be closed unanswered.
 */
static void
test_full_waits_in_backlog(void **state)
{
	(void)state;
	struct http_server_options o = options("127.0.0.1:0");
	o.threads = 1;
	o.max_connections = 2;
	struct error err;
	struct http_server *s = http_server_start(&o, &err);
	if (s == NULL)
		fail_msg("start: %s", err.msg);
	uint16_t port = http_server_port(s);
	int open_fds[2];
	for (int i = 0; i < 2; i++) {
		open_fds[i] = connect_to(port);
		assert_true(is_open(open_fds[i]));
	}
	long refused = http_refused();
	int third = connect_to(port);	/* the kernel completes it */
	assert_true(is_open(third));	/* not accepted, so not closed */
	close(open_fds[0]);
	assert_int_equal(status_of(third), 200);
	close(third);
	close(open_fds[1]);
	assert_int_equal(http_refused(), refused);
	http_server_stop(&s);
}

/*
 * With wait_threads 0 nothing waits apart: a POST runs on the request
 * thread, as a GET does; with waiting threads it runs on one of them.
 */
static void
test_no_waiting_threads(void **state)
{
	(void)state;
	struct http_server *s = start_threads(1, 0);
	int fd = connect_to(http_server_port(s));
	int reader = ask_thread(fd, GET_THREAD);
	assert_int_equal(ask_thread(fd, POST_THREAD), reader);
	close(fd);
	http_server_stop(&s);
	assert_int_equal(http_waiting(), 0);
	s = start_threads(1, 1);
	fd = connect_to(http_server_port(s));
	reader = ask_thread(fd, GET_THREAD);
	assert_int_not_equal(ask_thread(fd, POST_THREAD), reader);
	assert_int_equal(ask_thread(fd, GET_THREAD), reader);
	close(fd);
	http_server_stop(&s);
}

/* The API's reads that may take long are the exports and blob bodies. */
static void
test_api_reads_that_wait(void **state)
{
	(void)state;
	static const char *const waits[] = { "/api/v1/audit",
		"/api/v1/reports/devices", "/api/v1/orgs/Y26002/licences",
		"/api/v1/imports/12",
		"/api/v1/secure/messages/7",
		"/api/v1/secure/messages/7/attachments/0" };
	static const char *const quick[] = { "/api/v1/people",
		"/api/v1/users/a@b.nhs.uk", "/api/v1/orgs/Y26002",
		"/api/v1/secure/messages", "/api/v1/nope", "/healthcheck",
		"/api/v1/audit/x", "/api/v1/imports", "/api/v1/imports/template" };
	for (size_t i = 0; i < sizeof(waits) / sizeof(*waits); i++)
		if (!api_waits(NULL, "GET", waits[i]))
			fail_msg("GET %s does not wait", waits[i]);
	for (size_t i = 0; i < sizeof(quick) / sizeof(*quick); i++)
		if (api_waits(NULL, "GET", quick[i]))
			fail_msg("GET %s waits", quick[i]);
	assert_true(api_waits(NULL, "HEAD", "/api/v1/audit"));
}

static void *
release_later(void *arg)
{
	(void)arg;
	struct timespec pause = { .tv_nsec = 300 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	sem_post(&release);
	return NULL;
}

/*
 * Stopping lets a request that is waiting finish first, and its reply go
 * out before the connections are closed.
 */
static void
test_stop_finishes_waiting(void **state)
{
	(void)state;
	sem_init(&release, 0, 0);
	sem_init(&held, 0, 0);
	struct http_server *s = start_threads(1, 1);
	int holder = connect_to(http_server_port(s));
	size_t n = strlen(POST_HOLD);
	assert_int_equal(send(holder, POST_HOLD, n, MSG_NOSIGNAL),
		(ssize_t)n);
	wait_held();
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, release_later, NULL), 0);
	http_server_stop(&s);
	assert_int_equal(atomic_load(&holds_done), 1);
	pthread_join(t, NULL);
	struct reply *r = calloc(1, sizeof(*r));
	size_t len = 0;
	assert_true(read_to_close(holder, r->text, sizeof(r->text), &len));
	close(holder);
	reply_thread(r, len);
	free(r);
	sem_destroy(&release);
	sem_destroy(&held);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_error_statuses),
		cmocka_unit_test(test_health_ok),
		cmocka_unit_test(test_health_unavailable),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_escaped_path_routes),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_body_read),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_bad_listen),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_missing_cert),
	};
	const struct CMUnitTest limits[] = {
		cmocka_unit_test(test_framing_table),
		cmocka_unit_test(test_static_path_table),
		cmocka_unit_test(test_static_encodings_table),
		cmocka_unit_test(test_static_types),
		cmocka_unit_test(test_smuggling_refused),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_max_per_ip),
		cmocka_unit_test(test_body_caps),
	};
	const struct CMUnitTest threads[] = {
		cmocka_unit_test(test_connections_dealt_round),
		cmocka_unit_test(test_waiting_request_holds_no_read),
		cmocka_unit_test(test_waiting_read_holds_no_read),
		cmocka_unit_test(test_api_reads_that_wait),
		cmocka_unit_test(test_no_waiting_threads),
		cmocka_unit_test(test_full_waits_in_backlog),
		cmocka_unit_test(test_stop_finishes_waiting),
	};
	const struct CMUnitTest tls[] = {
		cmocka_unit_test(test_tls_get),
		cmocka_unit_test(test_tls12_aead_accepted),
		cmocka_unit_test(test_tls_refused),
	};
	int failed = cmocka_run_group_tests_name("http", plain, setup_plain,
		teardown_server);
	failed += cmocka_run_group_tests_name("https", tls, setup_tls,
		teardown_server);
	failed += cmocka_run_group_tests_name("limits", limits, NULL, NULL);
	failed += cmocka_run_group_tests_name("threads", threads, NULL, NULL);
	return failed;
}
