/*
 * Unit tests for core/net: real listeners on 127.0.0.1 (port 0) spoken to
 * over raw sockets and GnuTLS clients. Layer: core. RFC 5321 §2.3.8, RFC 3207.
 * SECURITY: CRLF-only framing, STARTTLS injection (CVE-2011-0411), TLS 1.2+,
 * session caps, timeouts, a stop that ends blocked sessions, and a group
 * end that cuts blocked client connections.
 * Session callbacks run in other threads, so they only record what they saw
 * (struct probe); the cmocka assertions stay in the main thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tls.h"

#define PROBE_MAX 32
#define PROBE_TEXT 256
/* How long the test waits for anything before calling it a failure. */
#define WAIT_MS 10000

struct fixture {
	char dir[64];
	char cert[PATH_MAX];
	char key[PATH_MAX];
	struct net_tls *tls;
};

/* What the sessions saw, one entry per event, in order. */
struct probe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char entry[PROBE_MAX][PROBE_TEXT];
	size_t count;
	size_t line_size;	/* echo: the session's line buffer */
	const char *big;	/* literal: a reply bigger than any buffer */
	int other_fd;		/* wait: the fd waited on with the client */
};

static void probe_add(struct probe *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
probe_add(struct probe *p, const char *fmt, ...)
{
	pthread_mutex_lock(&p->lock);
	if (p->count < PROBE_MAX) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->entry[p->count], PROBE_TEXT, fmt, ap);
		va_end(ap);
		p->count++;
	}
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

static void
probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->line_size = 1024;
}

static void
probe_destroy(struct probe *p)
{
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
}

/* Waits until the sessions have recorded n entries. */
static void
probe_wait(struct probe *p, size_t n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&p->lock);
	int rc = 0;
	while (p->count < n && rc == 0)
		rc = pthread_cond_timedwait(&p->changed, &p->lock, &until);
	size_t got = p->count;
	pthread_mutex_unlock(&p->lock);
	if (got < n)
		fail_msg("sessions recorded %zu events, not %zu", got, n);
}

static void
probe_expect(struct probe *p, size_t i, const char *want)
{
	probe_wait(p, i + 1);
	pthread_mutex_lock(&p->lock);
	char got[PROBE_TEXT];
	memcpy(got, p->entry[i], sizeof(got));
	pthread_mutex_unlock(&p->lock);
	assert_string_equal(got, want);
}

/* The line with CR, LF and NUL spelled out, so it can be compared. */
static void
visible(const char *line, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 3 < size; i++) {
		const char *esc = line[i] == '\r' ? "\\r" : line[i] == '\n' ?
			"\\n" : line[i] == '\0' ? "\\0" : NULL;
		if (esc != NULL) {
			memcpy(out + o, esc, 2);
			o += 2;
		} else {
			out[o++] = line[i];
		}
	}
	out[o] = '\0';
}

/*
 * Greets with "220 " and the TLS version, then echoes each line as
 * "text|flags" until QUIT, answering "500 too long" to long lines.
 */
static void
echo_session(struct net_conn *c, void *ctx)
{
	struct probe *p = ctx;
	struct error err;
	char line[4096], shown[PROBE_TEXT];
	size_t len;
	unsigned flags;
	net_printf(c, &err, "220 %s\r\n", net_tls_version(c));
	for (;;) {
		int rc = net_read_line(c, line, p->line_size, &len, &flags,
			&err);
		if (rc < 0 && err.code == ERROR_LIMIT) {
			probe_add(p, "limit");
			net_printf(c, &err, "500 too long\r\n");
			continue;
		}
		if (rc < 0) {
			probe_add(p, "error %s", error_code_name(err.code));
			return;
		}
		visible(line, len, shown, sizeof(shown));
		probe_add(p, "line %s|%u", shown, flags);
		if (strcmp(line, "QUIT") == 0) {
			net_printf(c, &err, "221 bye\r\n");
			return;
		}
		if (net_printf(c, &err, "%s|%u\r\n", shown, flags) < 0)
			return;
	}
}

static int
group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/caremail-net-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
	struct error err;
	if (tls_make_self_signed(f->cert, f->key, "mail.example.test",
		(int64_t)time(NULL), &err) < 0)
		fail_msg("certificate: %s", err.msg);
	f->tls = net_tls_new(f->cert, f->key, &err);
	if (f->tls == NULL)
		fail_msg("net_tls_new: %s", err.msg);
	*state = f;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *f = *state;
	net_tls_free(&f->tls);
	assert_null(f->tls);
	unlink(f->cert);
	unlink(f->key);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct net_listener *
start(struct net_listener_options *o, struct probe *p)
{
	struct error err;
	if (o->listen == NULL)
		o->listen = "127.0.0.1:0";
	if (o->session == NULL)
		o->session = echo_session;
	o->ctx = p;
	struct net_listener *l = net_listener_start(o, &err);
	if (l == NULL)
		fail_msg("net_listener_start: %s", err.msg);
	assert_int_not_equal(net_listener_port(l), 0);
	return l;
}

/* Waits for every session to end, as a client's close is not instant. */
static void
wait_idle(const struct net_listener *l)
{
	int64_t until = clock_monotonic_ms() + WAIT_MS;
	while (net_listener_sessions(l) > 0 && clock_monotonic_ms() < until)
		usleep(1000);
	assert_int_equal(net_listener_sessions(l), 0);
}

static int
connect_to(const char *ip, uint16_t port)
{
	bool v6 = strchr(ip, ':') != NULL;
	struct sockaddr_in in = { .sin_family = AF_INET,
		.sin_port = htons(port) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
		.sin6_port = htons(port) };
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int rc;
	if (v6) {
		assert_int_equal(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1);
		rc = connect(fd, (struct sockaddr *)&in6, sizeof(in6));
	} else {
		assert_int_equal(inet_pton(AF_INET, ip, &in.sin_addr), 1);
		rc = connect(fd, (struct sockaddr *)&in, sizeof(in));
	}
	assert_int_equal(rc, 0);
	return fd;
}

static int
client_for(const struct net_listener *l)
{
	return connect_to("127.0.0.1", net_listener_port(l));
}

static void
client_send(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			fail_msg("send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void
client_puts(int fd, const char *s)
{
	client_send(fd, s, strlen(s));
}

/* One line without its CRLF; -1 at EOF or after WAIT_MS. */
static int
client_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	for (;;) {
		char ch;
		if (recv(fd, &ch, 1, 0) != 1)
			return -1;
		if (ch == '\n')
			break;
		if (len + 1 < size)
			buf[len++] = ch;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return (int)len;
}

static void
expect_line(int fd, const char *want)
{
	char line[1024];
	if (client_line(fd, line, sizeof(line)) < 0)
		fail_msg("no line from the server; wanted \"%s\"", want);
	assert_string_equal(line, want);
}

static void
expect_eof(int fd)
{
	char ch;
	assert_int_equal(recv(fd, &ch, 1, 0), 0);
}

struct tls_client {
	int fd;
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
};

/* A handshake over fd; returns 0 or the GnuTLS error. Takes the fd. */
static int
tls_client_start(const struct fixture *f, int fd, const char *priority,
	struct tls_client *t)
{
	t->fd = fd;
	assert_int_equal(gnutls_certificate_allocate_credentials(&t->cred), 0);
	assert_int_equal(gnutls_certificate_set_x509_trust_file(t->cred,
		f->cert, GNUTLS_X509_FMT_PEM), 1);
	/* GNUTLS_NO_SIGNAL: SIGPIPE stays fatal here, to catch the server. */
	assert_int_equal(gnutls_init(&t->session, GNUTLS_CLIENT |
		GNUTLS_NO_SIGNAL), 0);
	assert_int_equal(gnutls_priority_set_direct(t->session, priority,
		NULL), 0);
	assert_int_equal(gnutls_credentials_set(t->session,
		GNUTLS_CRD_CERTIFICATE, t->cred), 0);
	gnutls_session_set_verify_cert(t->session, "localhost", 0);
	gnutls_transport_set_int(t->session, fd);
	gnutls_handshake_set_timeout(t->session, WAIT_MS);
	int rc;
	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
	return rc;
}

static void
tls_client_close(struct tls_client *t)
{
	gnutls_deinit(t->session);
	gnutls_certificate_free_credentials(t->cred);
	close(t->fd);
}

static void
tls_puts(struct tls_client *t, const char *s)
{
	size_t len = strlen(s);
	assert_int_equal(gnutls_record_send(t->session, s, len), (ssize_t)len);
}

static void
tls_expect_line(struct tls_client *t, const char *want)
{
	char line[1024];
	size_t len = 0;
	for (;;) {
		char ch;
		ssize_t n = gnutls_record_recv(t->session, &ch, 1);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n != 1)
			fail_msg("no TLS line; wanted \"%s\": %s", want,
				n < 0 ? gnutls_strerror((int)n) : "EOF");
		if (ch == '\n')
			break;
		if (len + 1 < sizeof(line))
			line[len++] = ch;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	assert_string_equal(line, want);
}

static void
test_echo(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "echo" };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	expect_line(fd, "220 ");
	client_puts(fd, "hello world\r\n");
	expect_line(fd, "hello world|0");
	client_puts(fd, "\r\n");
	expect_line(fd, "|0");
	client_puts(fd, "QUIT\r\n");
	expect_line(fd, "221 bye");
	expect_eof(fd);
	close(fd);
	probe_expect(&p, 0, "line hello world|0");
	probe_expect(&p, 1, "line |0");
	probe_expect(&p, 2, "line QUIT|0");
	net_listener_stop(&l);
	assert_null(l);
	probe_destroy(&p);
}

/* Several commands in one write: every one answered, in order. */
static void
test_pipelined_lines(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "echo" };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	client_puts(fd, "one\r\ntwo\r\nthree\r\nQUIT\r\n");
	expect_line(fd, "220 ");
	expect_line(fd, "one|0");
	expect_line(fd, "two|0");
	expect_line(fd, "three|0");
	expect_line(fd, "221 bye");
	expect_eof(fd);
	close(fd);
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* RFC 5321 §2.3.8: only CRLF ends a line; bare CR, LF and NUL are flagged. */
static void
test_crlf_only(void **state)
{
	static const char input[] = "a\nb\r\nc\rd\r\n\r\r\nnul\0x\r\n\n\r\n";
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "echo" };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	expect_line(fd, "220 ");
	client_send(fd, input, sizeof(input) - 1);
	expect_line(fd, "a\\nb|1");
	expect_line(fd, "c\\rd|2");
	expect_line(fd, "\\r|2");
	expect_line(fd, "nul\\0x|4");
	expect_line(fd, "\\n|1");
	/* A CR at the end of one read and its LF in the next. */
	client_puts(fd, "x\r");
	usleep(50 * 1000);
	client_puts(fd, "\ny\r\n");
	expect_line(fd, "x|0");
	expect_line(fd, "y|0");
	close(fd);
	probe_expect(&p, 7, "error not_found");
	net_listener_stop(&l);
	probe_destroy(&p);
}

static void
test_long_line(void **state)
{
	struct probe p;
	probe_init(&p);
	p.line_size = 16;	/* lines of up to 15 bytes */
	struct net_listener_options o = { .name = "echo" };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	expect_line(fd, "220 ");
	client_puts(fd, "0123456789abcde\r\n");
	expect_line(fd, "0123456789abcde|0");
	client_puts(fd, "0123456789abcdef\r\nnext\r\n");
	expect_line(fd, "500 too long");
	expect_line(fd, "next|0");
	/* Longer than the whole 64 KiB buffer, with a CR at every size. */
	size_t big = 3 * NET_READ_BUFFER + 7;
	char *text = malloc(big + 2);
	for (size_t i = 0; i < big; i++)
		text[i] = i % 1000 == 999 ? '\r' : 'A';
	memcpy(text + big, "\r\n", 2);
	client_send(fd, text, big + 2);
	free(text);
	client_puts(fd, "after\r\n");
	expect_line(fd, "500 too long");
	expect_line(fd, "after|0");
	client_puts(fd, "QUIT\r\n");
	expect_line(fd, "221 bye");
	close(fd);
	probe_expect(&p, 1, "limit");
	probe_expect(&p, 3, "limit");
	probe_expect(&p, 4, "line after|0");
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* Reads with a short timeout, then reads on: a timeout is not the end. */
static void
timeout_session(struct net_conn *c, void *ctx)
{
	struct probe *p = ctx;
	struct error err;
	char line[256];
	size_t len;
	unsigned flags;
	for (int round = 0; round < 2; round++) {
		net_set_timeout(c, 500);
		int64_t t0 = clock_monotonic_ms();
		int rc = net_read_line(c, line, sizeof(line), &len, &flags,
			&err);
		probe_add(p, "timeout %s %lld", rc < 0 ?
			error_code_name(err.code) : line,
			(long long)(clock_monotonic_ms() - t0));
		net_set_timeout(c, WAIT_MS);
		if (net_read_line(c, line, sizeof(line), &len, &flags,
			&err) < 0) {
			probe_add(p, "error %s", error_code_name(err.code));
			return;
		}
		probe_add(p, "line %s", line);
	}
}

static long long
probe_number(struct probe *p, size_t i, const char *prefix)
{
	probe_wait(p, i + 1);
	pthread_mutex_lock(&p->lock);
	char got[PROBE_TEXT];
	memcpy(got, p->entry[i], sizeof(got));
	pthread_mutex_unlock(&p->lock);
	size_t n = strlen(prefix);
	if (strncmp(got, prefix, n) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", got, prefix);
	return strtoll(got + n, NULL, 10);
}

/* A client on either transport, for tests that run on both. */
struct either {
	int fd;
	bool tls;
	struct tls_client t;
};

static void
either_send(struct either *e, const char *data, size_t len)
{
	if (!e->tls) {
		client_send(e->fd, data, len);
		return;
	}
	assert_int_equal(gnutls_record_send(e->t.session, data, len),
		(ssize_t)len);
}

static void
either_close(struct either *e)
{
	if (e->tls)
		tls_client_close(&e->t);
	else
		close(e->fd);
}

static void
read_timeout_on(const struct fixture *f, bool tls)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "slow", .tls = f->tls,
		.implicit_tls = tls, .session = timeout_session };
	struct net_listener *l = start(&o, &p);
	struct either e = { .fd = client_for(l), .tls = tls };
	if (tls && tls_client_start(f, e.fd, "NORMAL", &e.t) != 0)
		fail_msg("handshake failed");
	/* Silence: ERROR_TEMPORARY within about the timeout, not 2x. */
	long long ms = probe_number(&p, 0, "timeout temporary ");
	assert_true(ms >= 490 && ms < 1000);
	either_send(&e, "late\r\n", 6);
	probe_expect(&p, 1, "line late");
	/* A byte every 100 ms never makes a line within 500 ms. */
	const char *slow = "abcdefghijklmno\r\n";
	for (const char *b = slow; *b != '\0'; b++) {
		either_send(&e, b, 1);
		usleep(100 * 1000);
	}
	ms = probe_number(&p, 2, "timeout temporary ");
	assert_true(ms >= 490 && ms < 1000);
	/* What came before the timeout was kept, TLS records too. */
	probe_expect(&p, 3, "line abcdefghijklmno");
	either_close(&e);
	net_listener_stop(&l);
	probe_destroy(&p);
}

static void
test_read_timeout(void **state)
{
	read_timeout_on(*state, false);
}

static void
test_read_timeout_tls(void **state)
{
	read_timeout_on(*state, true);
}

static void
test_max_sessions(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "capped",
		.max_sessions = 1,
		.busy_reply = "421 4.3.2 Too many connections\r\n" };
	struct net_listener *l = start(&o, &p);
	int first = client_for(l);
	expect_line(first, "220 ");
	assert_int_equal(net_listener_sessions(l), 1);
	int second = client_for(l);
	expect_line(second, "421 4.3.2 Too many connections");
	expect_eof(second);
	close(second);
	client_puts(first, "QUIT\r\n");
	expect_line(first, "221 bye");
	close(first);
	wait_idle(l);
	/* The place is free again. */
	int third = client_for(l);
	expect_line(third, "220 ");
	close(third);
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* A client from another loopback address (all of 127/8 is local). */
static int
client_from(const char *source_ip, const struct net_listener *l)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET,
		.sin_port = htons(net_listener_port(l)) };
	assert_int_equal(inet_pton(AF_INET, source_ip, &src.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr), 1);
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

/* SECURITY.md 35: one address cannot take every session. */
static void
test_max_per_ip(void **state)
{
	(void)state;
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "per-ip",
		.max_per_ip = 2,
		.busy_reply = "421 4.7.0 Too many connections\r\n" };
	struct net_listener *l = start(&o, &p);
	int a1 = client_for(l), a2 = client_for(l);
	expect_line(a1, "220 ");
	expect_line(a2, "220 ");
	int a3 = client_for(l);
	expect_line(a3, "421 4.7.0 Too many connections");
	expect_eof(a3);
	close(a3);
	/* Another address still gets in. */
	int b1 = client_from("127.0.0.2", l);
	expect_line(b1, "220 ");
	assert_int_equal(net_listener_sessions(l), 3);
	close(b1);
	client_puts(a1, "QUIT\r\n");
	expect_line(a1, "221 bye");
	close(a1);
	int64_t until = clock_monotonic_ms() + WAIT_MS;
	while (net_listener_sessions(l) > 1 && clock_monotonic_ms() < until)
		usleep(1000);
	/* A place of the first address's is free again. */
	int a4 = client_for(l);
	expect_line(a4, "220 ");
	close(a4);
	close(a2);
	wait_idle(l);
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* STARTTLS, then one line read over TLS and answered. */
static void
starttls_session(struct net_conn *c, void *ctx)
{
	struct probe *p = ctx;
	struct error err;
	char line[256];
	size_t len;
	unsigned flags;
	if (net_read_line(c, line, sizeof(line), &len, &flags, &err) < 0)
		return;
	probe_add(p, "first %s buffered=%d can=%d", line, net_has_buffered(c),
		net_can_starttls(c));
	net_printf(c, &err, "220 go ahead\r\n");
	if (net_starttls(c, &err) < 0) {
		probe_add(p, "starttls %s", error_code_name(err.code));
		return;
	}
	probe_add(p, "tls %s can=%d", net_tls_version(c),
		net_can_starttls(c));
	if (net_read_line(c, line, sizeof(line), &len, &flags, &err) < 0) {
		probe_add(p, "error %s", error_code_name(err.code));
		return;
	}
	probe_add(p, "after %s", line);
	net_printf(c, &err, "250 got %s\r\n", line);
	if (net_starttls(c, &err) == 0 || err.code != ERROR_INVALID)
		probe_add(p, "second starttls accepted");
	if (net_read_line(c, line, sizeof(line), &len, &flags, &err) < 0)
		probe_add(p, "end %s", error_code_name(err.code));
}

/* SECURITY.md item 4: a command pipelined after STARTTLS is never seen. */
static void
test_starttls_drops_injection(void **state)
{
	struct fixture *f = *state;
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "smtp", .tls = f->tls,
		.session = starttls_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	client_puts(fd, "STARTTLS\r\nINJECTED\r\n");
	expect_line(fd, "220 go ahead");
	struct tls_client t;
	int rc = tls_client_start(f, fd, "NORMAL", &t);
	if (rc != 0)
		fail_msg("handshake: %s", gnutls_strerror(rc));
	tls_puts(&t, "AFTER\r\n");
	tls_expect_line(&t, "250 got AFTER");
	gnutls_bye(t.session, GNUTLS_SHUT_RDWR);
	tls_client_close(&t);
	probe_expect(&p, 0, "first STARTTLS buffered=1 can=1");
	probe_expect(&p, 1, "tls TLS1.3 can=0");
	probe_expect(&p, 2, "after AFTER");
	probe_expect(&p, 3, "end not_found");
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* Plaintext sent after the go-ahead is read as TLS and fails it. */
static void
test_starttls_late_injection(void **state)
{
	struct fixture *f = *state;
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "smtp", .tls = f->tls,
		.session = starttls_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	client_puts(fd, "STARTTLS\r\n");
	expect_line(fd, "220 go ahead");
	client_puts(fd, "INJECTED\r\n");
	struct tls_client t;
	int rc = tls_client_start(f, fd, "NORMAL", &t);
	tls_client_close(&t);
	assert_int_not_equal(rc, 0);
	probe_expect(&p, 0, "first STARTTLS buffered=0 can=1");
	probe_expect(&p, 1, "starttls invalid");
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* Without credentials STARTTLS is not offered and fails cleanly. */
static void
test_starttls_unavailable(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "smtp",
		.session = starttls_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	client_puts(fd, "STARTTLS\r\n");
	expect_line(fd, "220 go ahead");
	probe_expect(&p, 0, "first STARTTLS buffered=0 can=0");
	probe_expect(&p, 1, "starttls invalid");
	close(fd);
	net_listener_stop(&l);
	probe_destroy(&p);
}

static void
test_implicit_tls(void **state)
{
	struct fixture *f = *state;
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "imaps", .tls = f->tls,
		.implicit_tls = true };
	struct net_listener *l = start(&o, &p);
	struct tls_client t;
	int rc = tls_client_start(f, client_for(l), "NORMAL", &t);
	if (rc != 0)
		fail_msg("handshake: %s", gnutls_strerror(rc));
	tls_expect_line(&t, "220 TLS1.3");
	tls_puts(&t, "over tls\r\nand again\r\n");
	tls_expect_line(&t, "over tls|0");
	tls_expect_line(&t, "and again|0");
	tls_puts(&t, "QUIT\r\n");
	tls_expect_line(&t, "221 bye");
	char ch;
	ssize_t n;
	do
		n = gnutls_record_recv(t.session, &ch, 1);
	while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	assert_int_equal(n, 0);	/* close_notify, not a TCP reset */
	tls_client_close(&t);
	probe_expect(&p, 2, "line QUIT|0");
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* SECURITY.md item 1: TLS 1.2 is fine, 1.1 is refused before any session. */
static void
test_tls_versions(void **state)
{
	struct fixture *f = *state;
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "imaps", .tls = f->tls,
		.implicit_tls = true };
	struct net_listener *l = start(&o, &p);
	struct tls_client t;
	int rc = tls_client_start(f, client_for(l),
		"NORMAL:-VERS-ALL:+VERS-TLS1.1", &t);
	tls_client_close(&t);
	if (rc != GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    rc != GNUTLS_E_UNSUPPORTED_VERSION_PACKET &&
	    rc != GNUTLS_E_PREMATURE_TERMINATION)
		fail_msg("TLS 1.1: %s", rc == 0 ? "accepted" :
			gnutls_strerror(rc));
	wait_idle(l);
	assert_int_equal(p.count, 0);	/* the session never ran */

	rc = tls_client_start(f, client_for(l),
		"NORMAL:-VERS-ALL:+VERS-TLS1.2", &t);
	if (rc != 0)
		fail_msg("TLS 1.2: %s", gnutls_strerror(rc));
	tls_expect_line(&t, "220 TLS1.2");
	assert_int_equal(gnutls_mac_get(t.session), GNUTLS_MAC_AEAD);
	tls_client_close(&t);
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* A plaintext client on an implicit TLS port: closed quietly. */
static void
test_implicit_tls_plaintext_client(void **state)
{
	struct fixture *f = *state;
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "pop3s", .tls = f->tls,
		.implicit_tls = true };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	client_puts(fd, "USER alice\r\n");
	char buf[256];
	ssize_t n;
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0);
	/* Our line was unread, so the close may come as a reset. */
	if (n < 0 && errno != ECONNRESET)
		fail_msg("recv: %s", strerror(errno));
	close(fd);
	wait_idle(l);
	assert_int_equal(p.count, 0);
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* Waits in a read that only stop can end. */
static void
blocked_session(struct net_conn *c, void *ctx)
{
	struct probe *p = ctx;
	struct error err;
	char line[64];
	size_t len;
	unsigned flags;
	probe_add(p, "waiting %s", net_is_tls(c) ? "tls" : "plain");
	int rc = net_read_line(c, line, sizeof(line), &len, &flags, &err);
	probe_add(p, "ended %s", rc < 0 ? error_code_name(err.code) : line);
}

static void
test_stop_ends_blocked_reads(void **state)
{
	struct fixture *f = *state;
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "block", .tls = f->tls,
		.timeout_ms = 60000, .session = blocked_session };
	struct net_listener *l = start(&o, &p);
	struct net_listener_options o2 = o;
	o2.implicit_tls = true;
	o2.listen = NULL;
	struct net_listener *l2 = start(&o2, &p);
	int fd = client_for(l);
	probe_wait(&p, 1);
	struct tls_client t;
	int rc = tls_client_start(f, client_for(l2), "NORMAL", &t);
	if (rc != 0)
		fail_msg("handshake: %s", gnutls_strerror(rc));
	probe_wait(&p, 2);
	assert_int_equal(net_listener_sessions(l), 1);

	int64_t t0 = clock_monotonic_ms();
	net_listener_stop(&l);
	net_listener_stop(&l2);
	int64_t took = clock_monotonic_ms() - t0;
	assert_true(took < 2000);
	probe_wait(&p, 4);
	for (size_t i = 2; i < 4; i++)
		assert_string_equal(p.entry[i], "ended not_found");
	expect_eof(fd);
	close(fd);
	tls_client_close(&t);
	probe_destroy(&p);
}

/*
 * As IMAP IDLE waits: on the client and other_fd together, saying which
 * woke it; a partial line is read (and kept) and waited past.
 */
static void
wait_session(struct net_conn *c, void *ctx)
{
	struct probe *p = ctx;
	struct error err;
	char line[256];
	size_t len;
	unsigned flags;
	net_printf(c, &err, "220 \r\n");
	net_flush(c, &err);
	for (;;) {
		enum net_wait w = net_wait_input(c, p->other_fd, WAIT_MS);
		if (w == NET_WAIT_TIMEOUT) {
			probe_add(p, "timeout");
			return;
		}
		if (w == NET_WAIT_OTHER) {
			char byte;
			if (read(p->other_fd, &byte, 1) != 1)
				return;
			probe_add(p, "other");
			continue;
		}
		net_set_timeout(c, 1);
		if (net_read_line(c, line, sizeof(line), &len, &flags,
			    &err) < 0) {
			if (err.code != ERROR_TEMPORARY)
				return;
			probe_add(p, "partial");
			continue;
		}
		probe_add(p, "line %s", line);
		if (strcmp(line, "DONE") == 0)
			return;
	}
}

static void
test_wait_input_and_other_fd(void **state)
{
	(void)state;
	struct probe p;
	probe_init(&p);
	int pipe_fds[2];
	assert_int_equal(pipe(pipe_fds), 0);
	p.other_fd = pipe_fds[0];
	struct net_listener_options o = { .name = "wait",
		.session = wait_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	expect_line(fd, "220 ");
	assert_int_equal(write(pipe_fds[1], "x", 1), 1);
	probe_expect(&p, 0, "other");
	client_puts(fd, "DO");
	probe_expect(&p, 1, "partial");
	/* The kept half line must not wake the wait again and again. */
	assert_int_equal(write(pipe_fds[1], "x", 1), 1);
	probe_expect(&p, 2, "other");
	client_puts(fd, "NE\r\n");
	probe_expect(&p, 3, "line DONE");
	close(fd);
	wait_idle(l);
	net_listener_stop(&l);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	probe_destroy(&p);
}

/* Writes until the write fails: the client never reads. */
static void
flood_session(struct net_conn *c, void *ctx)
{
	struct probe *p = ctx;
	struct error err;
	static const char chunk[8192];
	probe_add(p, "flooding");
	for (int i = 0; i < 1 << 20; i++) {
		if (net_write(c, chunk, sizeof(chunk), &err) < 0) {
			probe_add(p, "write %s", error_code_name(err.code));
			return;
		}
	}
	probe_add(p, "wrote everything");
}

static void
test_stop_ends_blocked_writes(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "flood",
		.timeout_ms = 60000, .session = flood_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	probe_wait(&p, 1);
	usleep(200 * 1000);	/* until the socket buffers are full */
	int64_t t0 = clock_monotonic_ms();
	net_listener_stop(&l);
	assert_true(clock_monotonic_ms() - t0 < 2000);
	probe_expect(&p, 1, "write not_found");
	close(fd);
	probe_destroy(&p);
}

/* A client that stops reading: the write times out, failing for good. */
static void
test_write_timeout(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "flood", .timeout_ms = 300,
		.session = flood_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	probe_expect(&p, 1, "write temporary");
	close(fd);
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* A client gone mid-session: writes fail with NOT_FOUND, no SIGPIPE. */
static void
test_client_gone(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "flood",
		.session = flood_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	probe_wait(&p, 1);
	/* SO_LINGER 0: close sends a reset at once. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	probe_expect(&p, 1, "write not_found");
	net_listener_stop(&l);
	probe_destroy(&p);
}

/* "{n}" then n bytes read exactly, answered with a very long reply. */
static void
literal_session(struct net_conn *c, void *ctx)
{
	struct probe *p = ctx;
	struct error err;
	char line[64], data[64];
	size_t len;
	unsigned flags;
	if (net_read_line(c, line, sizeof(line), &len, &flags, &err) < 0)
		return;
	size_t n = strtoul(line + 1, NULL, 10);
	if (n >= sizeof(data) || net_read_exact(c, data, n, &err) < 0) {
		probe_add(p, "literal failed");
		return;
	}
	probe_add(p, "literal %.*s", (int)n, data);
	if (net_read_line(c, line, sizeof(line), &len, &flags, &err) < 0)
		return;
	probe_add(p, "line %s", line);
	net_printf(c, &err, "* %s\r\n", p->big);
	net_write(c, p->big, strlen(p->big), &err);
	net_printf(c, &err, "\r\nOK done\r\n");
}

static void
test_literal_and_big_replies(void **state)
{
	struct probe p;
	probe_init(&p);
	size_t big = 100 * 1000;
	char *text = malloc(big + 1);
	memset(text, 'x', big);
	text[big] = '\0';
	p.big = text;
	struct net_listener_options o = { .name = "imap",
		.session = literal_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	client_puts(fd, "{10}\r\n0123\r\n6789tail\r\n");
	probe_expect(&p, 0, "literal 0123\r\n6789");
	probe_expect(&p, 1, "line tail");
	char *line = malloc(big + 16);
	assert_int_equal(client_line(fd, line, big + 16), (int)big + 2);
	assert_int_equal(line[0], '*');
	assert_int_equal(client_line(fd, line, big + 16), (int)big);
	assert_memory_equal(line, text, big);
	expect_line(fd, "OK done");
	expect_eof(fd);
	free(line);
	close(fd);
	net_listener_stop(&l);
	free(text);
	probe_destroy(&p);
}

/* Records the peer as the session sees it. */
static void
peer_session(struct net_conn *c, void *ctx)
{
	probe_add(ctx, "%s %s", net_peer_ip(c), net_peer(c));
}

static void
test_ipv6(void **state)
{
	struct probe p;
	probe_init(&p);
	struct error err;
	struct net_listener_options o = { .name = "v6", .listen = "[::1]:0",
		.session = peer_session, .ctx = &p };
	struct net_listener *l = net_listener_start(&o, &err);
	if (l == NULL) {
		probe_destroy(&p);
		if (err.code == ERROR_INVALID)
			skip();	/* no IPv6 loopback here */
		fail_msg("start: %s", err.msg);
	}
	int fd = connect_to("::1", net_listener_port(l));
	struct sockaddr_in6 me;
	socklen_t len = sizeof(me);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	char want[PROBE_TEXT];
	snprintf(want, sizeof(want), "::1 [::1]:%u", ntohs(me.sin6_port));
	probe_expect(&p, 0, want);
	close(fd);
	net_listener_stop(&l);
	probe_destroy(&p);
}

static void
test_peer_ipv4(void **state)
{
	struct probe p;
	probe_init(&p);
	struct net_listener_options o = { .name = "v4",
		.session = peer_session };
	struct net_listener *l = start(&o, &p);
	int fd = client_for(l);
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	char want[PROBE_TEXT];
	snprintf(want, sizeof(want), "127.0.0.1 127.0.0.1:%u",
		ntohs(me.sin_port));
	probe_expect(&p, 0, want);
	close(fd);
	net_listener_stop(&l);
	probe_destroy(&p);
}

static void
test_bad_options(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"localhost:25", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "[::1]", "::1:25", "[::1:25", "[]:25", ":25",
		"1.2.3:25", "127.0.0.1:25x",
	};
	struct error err;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct net_listener_options o = { .listen = bad[i],
			.session = echo_session };
		assert_null(net_listener_start(&o, &err));
		if (err.code != ERROR_INVALID)
			fail_msg("%s: %s", bad[i], err.msg);
	}
	struct net_listener_options o = { .listen = "127.0.0.1:0",
		.session = echo_session, .implicit_tls = true };
	assert_null(net_listener_start(&o, &err));
	assert_int_equal(err.code, ERROR_INVALID);

	/* The same port twice. */
	struct probe p;
	probe_init(&p);
	struct net_listener_options first = { .name = "first" };
	struct net_listener *l = start(&first, &p);
	char listen[64];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u",
		net_listener_port(l));
	struct net_listener_options again = { .listen = listen,
		.session = echo_session, .tls = f->tls };
	assert_null(net_listener_start(&again, &err));
	assert_int_equal(err.code, ERROR_EXISTS);
	net_listener_stop(&l);
	net_listener_stop(&l);	/* NULL is fine */
	probe_destroy(&p);
}

static void
test_tls_files(void **state)
{
	struct fixture *f = *state;
	struct error err;
	char missing[PATH_MAX + 16];
	snprintf(missing, sizeof(missing), "%s/none.pem", f->dir);
	assert_null(net_tls_new(missing, f->key, &err));
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_null(net_tls_new(f->cert, missing, &err));
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	/* A certificate with another certificate's key. */
	char cert2[PATH_MAX + 16], key2[PATH_MAX + 16];
	snprintf(cert2, sizeof(cert2), "%s/cert2.pem", f->dir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", f->dir);
	assert_int_equal(tls_make_self_signed(cert2, key2, "other.test",
		(int64_t)time(NULL), &err), 0);
	assert_null(net_tls_new(f->cert, key2, &err));
	assert_int_equal(err.code, ERROR_INVALID);
	assert_null(net_tls_new(f->cert, f->cert, &err));
	assert_int_equal(err.code, ERROR_INVALID);
	struct net_tls *t = net_tls_new(cert2, key2, &err);
	assert_non_null(t);
	net_tls_free(&t);
	net_tls_free(&t);
	unlink(cert2);
	unlink(key2);
}

/* A reader blocked on a client connection, in its own thread. */
struct blocked_read {
	struct net_conn *c;
	int rc;
	int64_t took_ms;
};

static void *
blocked_read_main(void *arg)
{
	struct blocked_read *b = arg;
	char line[64];
	size_t len;
	unsigned flags;
	struct error err;
	int64_t start = clock_monotonic_ms();
	b->rc = net_read_line(b->c, line, sizeof(line), &len, &flags, &err);
	b->took_ms = clock_monotonic_ms() - start;
	return NULL;
}

/*
 * net_group_end ends the I/O of every connection in the group at once,
 * from another thread (a stopping queue runner), and of any added after;
 * closing takes a connection out of its group, so the group frees empty.
 */
static void
test_group_end_cuts_blocked_reads(void **state)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sin);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	struct net_address a = { .len = sizeof(sin) };
	memcpy(&a.u.v4, &sin, sizeof(sin));
	struct error err;
	struct net_group *g = net_group_new();
	struct blocked_read b[2] = { 0 };
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		b[i].c = net_connect(&a, 30000, "smtp-out", &err);
		assert_non_null(b[i].c);
		net_group_add(g, b[i].c);
		assert_int_equal(pthread_create(&t[i], NULL, blocked_read_main,
			&b[i]), 0);
	}
	usleep(200 * 1000);	/* both are waiting for a line never sent */
	net_group_end(g);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(b[i].rc, -1);
		assert_true(b[i].took_ms < 5000);
		net_conn_close(&b[i].c);
	}
	/* Ended already: a connection added now is cut at once. */
	struct blocked_read late = { .c = net_connect(&a, 30000, "smtp-out",
		&err) };
	assert_non_null(late.c);
	net_group_add(g, late.c);
	blocked_read_main(&late);
	assert_int_equal(late.rc, -1);
	assert_true(late.took_ms < 1000);
	net_conn_close(&late.c);
	net_group_free(&g);
	assert_null(g);
	close(lfd);
}

int
main(void)
{
	/* SIGPIPE is left fatal: the server must never raise it. */
	log_set_level(LOG_LEVEL_DEBUG);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_wait_input_and_other_fd),
		cmocka_unit_test(test_max_per_ip),
		cmocka_unit_test(test_pipelined_lines),
		cmocka_unit_test(test_crlf_only),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_read_timeout),
		cmocka_unit_test(test_read_timeout_tls),
		cmocka_unit_test(test_max_sessions),
		cmocka_unit_test(test_starttls_drops_injection),
		cmocka_unit_test(test_starttls_late_injection),
		cmocka_unit_test(test_starttls_unavailable),
		cmocka_unit_test(test_implicit_tls),
		cmocka_unit_test(test_tls_versions),
		cmocka_unit_test(test_implicit_tls_plaintext_client),
		cmocka_unit_test(test_stop_ends_blocked_reads),
		cmocka_unit_test(test_stop_ends_blocked_writes),
		cmocka_unit_test(test_write_timeout),
		cmocka_unit_test(test_client_gone),
		cmocka_unit_test(test_literal_and_big_replies),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_peer_ipv4),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_tls_files),
		cmocka_unit_test(test_group_end_cuts_blocked_reads),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
