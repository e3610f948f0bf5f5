/*
 * Every open HTTP connection and its deadline. libmicrohttpd has only an
 * idle timeout, which a client sending one byte every few seconds never
 * meets (slowloris), so each connection is listed here with the time its
 * headers, or its body, must be in by; a reaper thread shuts down the
 * socket of any connection past it, and libmicrohttpd, seeing the client
 * hang up, closes it in its own thread. Layer: front end. RFC 9112 §9.5.
 * SECURITY: SECURITY.md 17; nothing a client sends extends a deadline.
 */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/xmalloc.h"
#include "http_internal.h"

/* How often the reaper looks: deadlines are whole seconds, so this is
 * the most one may be overrun by. */
#define HTTP_REAPER_TICK_MS 250

static const char *const http_phase_names[] = {
	[HTTP_PHASE_HEADERS] = "headers",
	[HTTP_PHASE_BODY] = "body",
	[HTTP_PHASE_REPLY] = "reply",
};

struct http_conn *
http_conn_opened(struct http_server *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return NULL;	/* no socket: nothing to shut down */
	struct http_conn *conn = xcalloc(1, sizeof(*conn));
	conn->fd = info->connect_fd;
	http_peer_text(c, conn->peer, sizeof(conn->peer));
	http_conn_enter(s, conn, HTTP_PHASE_HEADERS);
	metrics_add(s->m_accepted, 1);
	metrics_add(s->m_open, 1);
	pthread_mutex_lock(&s->conns_lock);
	conn->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = conn;
	s->conns = conn;
	pthread_mutex_unlock(&s->conns_lock);
	return conn;
}

void
http_conn_closed(struct http_server *s, struct http_conn *conn)
{
	if (conn == NULL)
		return;
	pthread_mutex_lock(&s->conns_lock);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		s->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	pthread_mutex_unlock(&s->conns_lock);
	metrics_add(s->m_open, -1);
	free(conn);
}

void
http_conn_enter(const struct http_server *s, struct http_conn *conn,
	enum http_phase phase)
{
	if (conn == NULL)
		return;
	int64_t limit_s = phase == HTTP_PHASE_HEADERS ?
		s->opts.header_timeout_s : phase == HTTP_PHASE_BODY ?
		s->opts.body_timeout_s : 0;
	atomic_store(&conn->phase, (int)phase);
	atomic_store(&conn->deadline_ms, limit_s > 0 ?
		clock_monotonic_ms() + limit_s * 1000 : 0);
}

struct http_conn *
http_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

/* Shuts down every connection past its deadline; under conns_lock. */
static void
http_reap(struct http_server *s, int64_t now)
{
	for (struct http_conn *conn = s->conns; conn != NULL;
	     conn = conn->next) {
		int64_t deadline = atomic_load(&conn->deadline_ms);
		if (deadline == 0 || now < deadline)
			continue;
		atomic_store(&conn->deadline_ms, 0);	/* once is enough */
		int phase = atomic_load(&conn->phase);
		log_info("http.deadline", "peer=%s phase=%s", conn->peer,
			http_phase_names[phase]);
		shutdown(conn->fd, SHUT_RDWR);
	}
}

static void *
http_reaper_main(void *arg)
{
	struct http_server *s = arg;
	pthread_mutex_lock(&s->conns_lock);
	while (!s->reaper_stop) {
		http_reap(s, clock_monotonic_ms());
		struct timespec until;
		clock_deadline_ms(HTTP_REAPER_TICK_MS, &until);
		pthread_cond_timedwait(&s->reaper_wake, &s->conns_lock,
			&until);
	}
	pthread_mutex_unlock(&s->conns_lock);
	return NULL;
}

int
http_reaper_start(struct http_server *s, struct error *err)
{
	int rc = pthread_create(&s->reaper, NULL, http_reaper_main, s);
	if (rc != 0)
		return error_set(err, ERROR_INTERNAL, "cannot start the HTTP "
			"deadline thread: %s", strerror(rc));
	s->reaper_running = true;
	return 0;
}

void
http_reaper_stop(struct http_server *s)
{
	if (!s->reaper_running)
		return;
	pthread_mutex_lock(&s->conns_lock);
	s->reaper_stop = true;
	pthread_cond_signal(&s->reaper_wake);
	pthread_mutex_unlock(&s->conns_lock);
	pthread_join(s->reaper, NULL);
	s->reaper_running = false;
}
