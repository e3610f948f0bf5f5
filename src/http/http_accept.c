/*
 * The HTTP listener's accepting thread: it takes each connection off the
 * listening socket and hands it to libmicrohttpd (MHD_add_connection).
 * Layer: front end.
 *
 * Why not libmicrohttpd's own accepting: each thread of its pool polls the
 * shared listening socket and, once woken, accepts up to ten connections in
 * a row, so a burst of clients lands on one or two threads and the rest of
 * the pool idles. B5's sixteen clients, connecting at once, left one of two
 * threads without work (0.98 of 2 cores busy, 2,527 searches/s), and at
 * eight threads queued several clients behind one thread while others
 * waited for none (p99 50-69 ms). MHD_add_connection gives a connection to
 * the thread its descriptor number names (fd modulo the pool, the next one
 * with room when that is full), so connections opened together are dealt
 * round the pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/net.h"
#include "http_internal.h"

/* Out of descriptors: accepting waits this long rather than spinning. */
#define HTTP_ACCEPT_PAUSE_MS 100
/*
 * Every thread at http.max_connections: accepting waits this long before it
 * looks again, and new clients wait in the backlog, as libmicrohttpd's own
 * accepting left them, rather than being accepted only to be closed.
 */
#define HTTP_ACCEPT_FULL_MS 20

_Thread_local bool http_refusal_logged;

int
http_acceptor_bind(struct http_server *s, const struct net_address *l,
	struct error *err)
{
	/* libmicrohttpd's own backlog: a burst waits rather than being refused. */
	s->listen_fd = net_listen_socket(l, s->listen, SOMAXCONN, &s->port,
		err);
	if (s->listen_fd < 0)
		return -1;
	if (pipe2(s->accept_wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		int saved = errno;
		close(s->listen_fd);
		s->listen_fd = -1;
		return error_set(err, ERROR_INTERNAL,
			"cannot serve HTTP on %s: %s", s->listen,
			strerror(saved));
	}
	return 0;
}

/* Returns false when accepting should pause: we are out of descriptors. */
static bool
http_accept_one(struct http_server *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = net_accept(s->listen_fd, &ss, &len);
	if (fd == -2)
		log_warn("http.accept_fail", "listener=%s error=\"%s\"",
			s->listen, strerror(errno));
	if (fd < 0)
		return fd == -1;
	/*
	 * libmicrohttpd closes the socket whatever the outcome. A refusal at
	 * http.max_per_ip or http.max_connections it logs itself, on this
	 * thread (http_mhd_log counts it and says so); with every thread
	 * full it may say nothing.
	 */
	http_refusal_logged = false;
	errno = 0;
	if (MHD_add_connection(s->daemon, fd, (const struct sockaddr *)&ss,
		    len) != MHD_YES && !http_refusal_logged) {
		metrics_add(s->m_refused, 1);
		log_info("http.busy", "msg=\"%s\"", errno == ENFILE ?
			"every HTTP thread is at http.max_connections" :
			strerror(errno));
	}
	return true;
}

/* Whether libmicrohttpd holds http.max_connections connections. */
static bool
http_full(const struct http_server *s)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon,
		MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info != NULL &&
		info->num_connections >= s->opts.max_connections;
}

static void *
http_acceptor_main(void *arg)
{
	struct http_server *s = arg;
	int wait_ms = -1;	/* > 0: a pause, watching only the wake pipe */
	while (!atomic_load(&s->accept_stop)) {
		struct pollfd p[2] = {
			{ .fd = s->listen_fd, .events = POLLIN },
			{ .fd = s->accept_wake[0], .events = POLLIN },
		};
		/* A pause still watches the wake pipe: stop is not kept waiting. */
		int n = poll(wait_ms > 0 ? p + 1 : p, wait_ms > 0 ? 1 : 2,
			wait_ms);
		wait_ms = -1;
		if (n < 0 || p[0].revents == 0 || atomic_load(&s->accept_stop))
			continue;	/* EINTR, a pause over, or stop */
		if (http_full(s))
			wait_ms = HTTP_ACCEPT_FULL_MS;
		else if (!http_accept_one(s))
			wait_ms = HTTP_ACCEPT_PAUSE_MS;
	}
	return NULL;
}

int
http_acceptor_start(struct http_server *s, struct error *err)
{
	int rc = pthread_create(&s->acceptor, NULL, http_acceptor_main, s);
	if (rc != 0)
		return error_set(err, ERROR_INTERNAL, "cannot serve HTTP on "
			"%s: %s", s->listen, strerror(rc));
	s->acceptor_running = true;
	return 0;
}

void
http_acceptor_stop(struct http_server *s)
{
	if (s->acceptor_running) {
		atomic_store(&s->accept_stop, true);
		/* A full pipe already holds a wake-up; nothing is lost. */
		ssize_t rc = write(s->accept_wake[1], "", 1);
		(void)rc;
		pthread_join(s->acceptor, NULL);
		s->acceptor_running = false;
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	for (int i = 0; i < 2; i++) {
		if (s->accept_wake[i] >= 0)
			close(s->accept_wake[i]);
		s->accept_wake[i] = -1;
	}
}
