/*
 * Buffered I/O on a connection: CRLF lines, exact reads, queued writes and
 * the bounded waits under them. Layer: core. RFC 5321 §2.3.8 (only CRLF ends
 * a line), RFC 2920 (replies to pipelined commands leave together).
 * SECURITY: fixed buffers only; every wait has a deadline; no SIGPIPE.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "net_internal.h"
#include "xmalloc.h"

/* Closing output waits at most this long for a client that is not reading. */
#define NET_FINISH_TIMEOUT_MS 5000

int
net_wait(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int64_t left = deadline_ms - clock_monotonic_ms();
		if (left < 0)
			left = 0;
		int rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc > 0)
			return 1;
		/* poll rounds down, so it may wake a little early. */
		if (rc == 0 && left == 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

int64_t
net_deadline(const struct net_conn *c)
{
	return clock_monotonic_ms() + c->timeout_ms;
}

static ssize_t
net_io_failed(struct net_conn *c, int errnum)
{
	if (errnum == EAGAIN)
		c->timed_out = true;
	else
		c->io_errno = errnum;
	errno = errnum;
	return -1;
}

/*
 * Acknowledges what was read at once, when we are about to wait for more
 * of a command without having replied. The kernel holds an ACK back (up to
 * 40 ms) hoping to send it with our reply; but a client that writes a
 * literal and its line's CRLF apart (Python's imaplib does, for every
 * APPEND and every literal) has Nagle's algorithm keep the CRLF until that
 * ACK comes: each literal would cost the client 40 ms of nothing. When we
 * have replied, the reply carried the ACK and there is nothing to send.
 */
static void
net_ack_now(struct net_conn *c)
{
	if (!c->input_unanswered)
		return;
	c->input_unanswered = false;
	int one = 1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

ssize_t
net_recv_some(struct net_conn *c, void *buf, size_t size, int64_t deadline_ms)
{
	for (;;) {
		ssize_t got = recv(c->fd, buf, size, MSG_DONTWAIT);
		if (got > 0)
			c->input_unanswered = true;
		if (got >= 0)
			return got;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return net_io_failed(c, errno);
		net_ack_now(c);
		int ready = net_wait(c->fd, POLLIN, deadline_ms);
		if (ready <= 0)
			return net_io_failed(c, ready == 0 ? EAGAIN : errno);
	}
}

ssize_t
net_send_some(struct net_conn *c, const void *buf, size_t size,
	int64_t deadline_ms)
{
	for (;;) {
		ssize_t sent = send(c->fd, buf, size, MSG_NOSIGNAL |
			MSG_DONTWAIT);
		if (sent > 0)
			c->input_unanswered = false;
		if (sent > 0 || (sent == 0 && size == 0))
			return sent;
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return net_io_failed(c, errno);
		int ready = net_wait(c->fd, POLLOUT, deadline_ms);
		if (ready <= 0)
			return net_io_failed(c, ready == 0 ? EAGAIN : errno);
	}
}

int
net_fail(struct net_conn *c, struct error *err, enum error_code code,
	const char *fmt, ...)
{
	char msg[sizeof(c->failure.msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(&c->failure, code, "%s", msg);
	c->failed = true;
	return error_forward(err, &c->failure);
}

int
net_socket_error(struct net_conn *c, int errnum, const char *doing,
	struct error *err)
{
	switch (errnum) {
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
	case ESHUTDOWN:
	case ETIMEDOUT:	/* TCP gave up on the peer, not our timeout */
		return net_fail(c, err, ERROR_NOT_FOUND,
			"the client closed the connection");
	default:
		return net_fail(c, err, ERROR_INTERNAL, "cannot %s: %s", doing,
			strerror(errnum));
	}
}

int
net_timed_out(struct net_conn *c, bool writing, struct error *err)
{
	if (writing)
		return net_fail(c, err, ERROR_TEMPORARY,
			"the client took nothing for %d ms", c->timeout_ms);
	return error_set(err, ERROR_TEMPORARY,
		"the client sent no line within %d ms", c->timeout_ms);
}

static int
net_closed(struct error *err)
{
	return error_set(err, ERROR_NOT_FOUND,
		"the client closed the connection");
}

static ssize_t
net_plain_recv(struct net_conn *c, void *buf, size_t size,
	int64_t deadline_ms, struct error *err)
{
	c->timed_out = false;
	ssize_t got = net_recv_some(c, buf, size, deadline_ms);
	if (got >= 0)
		return got;
	if (c->timed_out)
		return net_timed_out(c, false, err);
	return net_socket_error(c, errno, "read from the client", err);
}

static int
net_plain_send(struct net_conn *c, const void *data, size_t len,
	struct error *err)
{
	const char *p = data;
	while (len > 0) {
		c->timed_out = false;
		ssize_t sent = net_send_some(c, p, len, net_deadline(c));
		if (sent < 0 && c->timed_out)
			return net_timed_out(c, true, err);
		if (sent < 0)
			return net_socket_error(c, errno, "write to the client",
				err);
		p += sent;
		len -= (size_t)sent;
	}
	return 0;
}

static int
net_send(struct net_conn *c, const void *data, size_t len, struct error *err)
{
	if (c->tls_ready)
		return net_tls_send(c, data, len, err);
	return net_plain_send(c, data, len, err);
}

int
net_flush(struct net_conn *c, struct error *err)
{
	if (c->failed)
		return error_forward(err, &c->failure);
	if (c->wlen == 0)
		return 0;
	size_t len = c->wlen;
	/* Whatever happens, these bytes are done with: sent or lost. */
	c->wlen = 0;
	return net_send(c, c->wbuf, len, err);
}

/*
 * Makes room at the end of rbuf: starts afresh when all was read, or slides
 * the unread bytes to the start once less than a quarter is left, so reads
 * stay large without moving bytes every time.
 */
static void
net_compact(struct net_conn *c)
{
	if (c->rpos == c->rend) {
		c->rpos = c->rend = c->scan = 0;
		return;
	}
	if (c->rpos == 0 || sizeof(c->rbuf) - c->rend >= sizeof(c->rbuf) / 4)
		return;
	memmove(c->rbuf, c->rbuf + c->rpos, c->rend - c->rpos);
	c->rend -= c->rpos;
	c->scan -= c->rpos;
	c->rpos = 0;
}

/* Reads more from the client into rbuf, after sending queued output. */
static int
net_fill(struct net_conn *c, int64_t deadline_ms, struct error *err)
{
	if (c->eof)
		return net_closed(err);
	net_compact(c);
	assert(c->rend < sizeof(c->rbuf));
	if (net_flush(c, err) < 0)
		return -1;
	char *at = c->rbuf + c->rend;
	size_t room = sizeof(c->rbuf) - c->rend;
	ssize_t got = c->tls_ready ? net_tls_recv(c, at, room, deadline_ms,
		err) : net_plain_recv(c, at, room, deadline_ms, err);
	if (got < 0)
		return -1;
	if (got == 0) {
		/* Not a failure: the client may still read our last reply. */
		c->eof = true;
		return net_closed(err);
	}
	c->rend += (size_t)got;
	return 0;
}

/*
 * Scans on from c->scan for a CRLF, noting bare CRs, LFs and NULs on the way.
 * True with *end_r at the CR. A CR that is the last byte read stays unscanned
 * until the next byte says whether it ends the line.
 */
static bool
net_scan(struct net_conn *c, size_t *end_r)
{
	while (c->scan < c->rend) {
		char ch = c->rbuf[c->scan];
		if (ch == '\r') {
			if (c->scan + 1 == c->rend)
				return false;
			if (c->rbuf[c->scan + 1] == '\n') {
				*end_r = c->scan;
				return true;
			}
			c->scan_flags |= NET_LINE_BARE_CR;
		} else if (ch == '\n') {
			c->scan_flags |= NET_LINE_BARE_LF;
		} else if (ch == '\0') {
			c->scan_flags |= NET_LINE_NUL;
		}
		c->scan++;
	}
	return false;
}

/* Hands over the line ending at rbuf[end], or ERROR_LIMIT for a long one. */
static int
net_take_line(struct net_conn *c, size_t end, char *buf, size_t size,
	size_t *len_r, unsigned *flags_r, struct error *err)
{
	size_t len = end - c->rpos;
	bool too_long = c->discarding || len >= size;
	*len_r = too_long ? 0 : len;
	*flags_r = too_long ? 0 : c->scan_flags;
	if (!too_long)
		memcpy(buf, c->rbuf + c->rpos, len);
	buf[*len_r] = '\0';
	c->rpos = c->scan = end + 2;
	c->scan_flags = 0;
	c->discarding = false;
	if (too_long)
		return error_set(err, ERROR_LIMIT,
			"the line is longer than %zu bytes", size - 1);
	return 0;
}

int
net_read_line(struct net_conn *c, char *buf, size_t size, size_t *len_r,
	unsigned *flags_r, struct error *err)
{
	assert(size > 0);
	if (c->failed)
		return error_forward(err, &c->failure);
	/* One deadline for the whole line: dribbled bytes do not extend it. */
	int64_t deadline_ms = net_deadline(c);
	size_t end;
	while (!net_scan(c, &end)) {
		size_t pending = c->scan - c->rpos;
		if (pending >= size || c->rend - c->rpos == sizeof(c->rbuf))
			c->discarding = true;
		if (c->discarding) {
			/* Keeps a last CR: it may begin the CRLF. */
			c->rpos = c->scan;
			c->scan_flags = 0;
		}
		if (net_fill(c, deadline_ms, err) < 0)
			return -1;
	}
	return net_take_line(c, end, buf, size, len_r, flags_r, err);
}

int
net_read_exact(struct net_conn *c, void *buf, size_t n, struct error *err)
{
	if (c->failed)
		return error_forward(err, &c->failure);
	char *out = buf;
	/* These bytes are data, not part of a line a scan had started on. */
	c->scan_flags = 0;
	c->discarding = false;
	while (n > 0) {
		if (c->rpos == c->rend && net_fill(c, net_deadline(c), err) < 0)
			return -1;
		size_t take = c->rend - c->rpos;
		if (take > n)
			take = n;
		memcpy(out, c->rbuf + c->rpos, take);
		out += take;
		n -= take;
		c->rpos += take;
		c->scan = c->rpos;
	}
	return 0;
}

bool
net_has_buffered(const struct net_conn *c)
{
	if (c->rpos < c->rend)
		return true;
	if (c->tls_ready && gnutls_record_check_pending(c->tls) > 0)
		return true;
	if (c->fd < 0 || c->eof || c->failed)
		return false;
	char byte;
	return recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

enum net_wait
net_wait_input(struct net_conn *c, int other_fd, int timeout_ms)
{
	if (c->scan < c->rend || c->eof || c->failed || c->fd < 0 ||
	    (c->tls_ready && gnutls_record_check_pending(c->tls) > 0))
		return NET_WAIT_INPUT;
	struct pollfd p[2] = {
		{ .fd = c->fd, .events = POLLIN },
		{ .fd = other_fd, .events = POLLIN },
	};
	int n = poll(p, other_fd >= 0 ? 2 : 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? NET_WAIT_TIMEOUT : NET_WAIT_INPUT;
	if (n == 0)
		return NET_WAIT_TIMEOUT;
	if (p[0].revents != 0)
		return NET_WAIT_INPUT;
	return NET_WAIT_OTHER;
}

int
net_write(struct net_conn *c, const void *data, size_t len,
	struct error *err)
{
	if (c->failed)
		return error_forward(err, &c->failure);
	if (len > sizeof(c->wbuf) - c->wlen && net_flush(c, err) < 0)
		return -1;
	/* Too big to queue even when empty: straight out, no copy. */
	if (len > sizeof(c->wbuf))
		return net_send(c, data, len, err);
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += len;
	return 0;
}

/* Formats a reply too big for wbuf into a heap buffer and sends it. */
static int net_send_formatted(struct net_conn *c, size_t len,
	const char *fmt, va_list ap, struct error *err)
	__attribute__((format(printf, 3, 0)));

static int
net_send_formatted(struct net_conn *c, size_t len, const char *fmt,
	va_list ap, struct error *err)
{
	char *text = xmalloc(len + 1);
	vsnprintf(text, len + 1, fmt, ap);
	int rc = net_send(c, text, len, err);
	free(text);
	return rc;
}

int
net_printf(struct net_conn *c, struct error *err, const char *fmt, ...)
{
	if (c->failed)
		return error_forward(err, &c->failure);
	va_list ap;
	va_start(ap, fmt);
	size_t room = sizeof(c->wbuf) - c->wlen;
	int n = vsnprintf(c->wbuf + c->wlen, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return error_set(err, ERROR_INTERNAL, "cannot format a reply");
	size_t len = (size_t)n;
	if (len < room) {
		c->wlen += len;
		return 0;
	}
	/* It did not fit: what vsnprintf wrote past wlen is dropped. */
	if (net_flush(c, err) < 0)
		return -1;
	va_start(ap, fmt);
	int rc = 0;
	if (len < sizeof(c->wbuf)) {
		vsnprintf(c->wbuf, sizeof(c->wbuf), fmt, ap);
		c->wlen = len;
	} else {
		rc = net_send_formatted(c, len, fmt, ap, err);
	}
	va_end(ap);
	return rc;
}

void
net_conn_finish(struct net_conn *c)
{
	if (c->timeout_ms > NET_FINISH_TIMEOUT_MS)
		c->timeout_ms = NET_FINISH_TIMEOUT_MS;
	if (!c->failed)
		net_flush(c, NULL);
	net_tls_close(c);
}

void
net_set_timeout(struct net_conn *c, int timeout_ms)
{
	assert(timeout_ms > 0);
	c->timeout_ms = timeout_ms;
}
