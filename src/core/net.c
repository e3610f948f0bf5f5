/*
 * Listeners: bind, an accepting thread, one thread per session up to a cap,
 * and a stop that ends every session and joins every thread. Layer: core.
 * RFC 5321 §4.5.3.2 (421 when too busy). SECURITY: sessions are capped and
 * their memory fixed per connection; stop leaves no thread behind.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "net_internal.h"
#include "str.h"
#include "xmalloc.h"

/*
 * Sessions per listener (docs/operations.md), labelled with the listener's
 * name: smtp, submission, imap, pop3 and the rest. The HTTP listener counts
 * its own connections into the same families (http_conn.c).
 */
struct metrics_family net_metric_sessions_open = {
	.name = "caremail_sessions_open",
	.help = "Sessions open now, per listener.",
	.type = METRICS_GAUGE,
	.labels = { "listener" },
};
METRICS_REGISTER(net_metric_sessions_open)
struct metrics_family net_metric_sessions_accepted = {
	.name = "caremail_sessions_accepted_total",
	.help = "Sessions accepted since the server started, per listener.",
	.type = METRICS_COUNTER,
	.labels = { "listener" },
};
METRICS_REGISTER(net_metric_sessions_accepted)
struct metrics_family net_metric_sessions_refused = {
	.name = "caremail_sessions_refused_total",
	.help = "Connections refused as too busy (a listener's session caps), "
		"per listener.",
	.type = METRICS_COUNTER,
	.labels = { "listener" },
};
METRICS_REGISTER(net_metric_sessions_refused)

/* Small enough for 1,000 idle sessions to stay cheap (PERFORMANCE.md B4). */
#define NET_STACK_SIZE (256 * 1024)
#define NET_BACKLOG 128
/* After running out of descriptors, wait this long before accepting again. */
#define NET_ACCEPT_PAUSE_MS 100

struct net_listener {
	struct net_listener_options o;	/* its strings are ours, below */
	char *name, *listen, *busy_reply;
	int fd;
	int wake[2];		/* a byte in wake[1] wakes the acceptor */
	uint16_t port;
	pthread_t acceptor;
	pthread_attr_t session_attr;	/* the 256 KiB stack */
	atomic_uint sessions;	/* running; only the acceptor adds */
	atomic_bool stopping;
	/* This listener's series of the net_metric_ families. */
	struct metrics_series *m_open, *m_accepted, *m_refused;

	pthread_mutex_t lock;	/* guards live, done and each conn's fd */
	pthread_cond_t ended;	/* a session moved from live to done */
	struct net_conn *live;	/* sessions running */
	struct net_conn *done;	/* sessions over, thread not yet joined */
};

static int
net_parse_port(const char *text, const char *listen, uint16_t *port_r,
	struct error *err)
{
	uint64_t port;
	if (!span_to_u64(span_from_cstr(text), &port) || port > 65535)
		return error_set_field(err, ERROR_INVALID, "listen",
			"%s does not end in a port from 0 to 65535", listen);
	*port_r = (uint16_t)port;
	return 0;
}

/* Fills in a from host, the text before the port's colon. */
static bool
net_parse_host(char *host, size_t host_len, uint16_t port, struct net_address *a)
{
	memset(a, 0, sizeof(*a));
	if (host[0] != '[') {
		a->u.v4.sin_family = AF_INET;
		a->u.v4.sin_port = htons(port);
		a->len = sizeof(a->u.v4);
		return inet_pton(AF_INET, host, &a->u.v4.sin_addr) == 1;
	}
	if (host_len < 3 || host[host_len - 1] != ']')
		return false;
	host[host_len - 1] = '\0';
	a->u.v6.sin6_family = AF_INET6;
	a->u.v6.sin6_port = htons(port);
	a->len = sizeof(a->u.v6);
	return inet_pton(AF_INET6, host + 1, &a->u.v6.sin6_addr) == 1;
}

int
net_address_parse(const char *listen, struct net_address *a, struct error *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = listen != NULL ? strrchr(listen, ':') : NULL;
	size_t host_len = colon != NULL ? (size_t)(colon - listen) : 0;
	uint16_t port = 0;
	if (colon == NULL || host_len == 0 || host_len >= sizeof(host))
		return error_set_field(err, ERROR_INVALID, "listen",
			"%s is not ADDRESS:PORT", listen != NULL ? listen : "");
	if (net_parse_port(colon + 1, listen, &port, err) < 0)
		return -1;
	memcpy(host, listen, host_len);
	host[host_len] = '\0';
	if (!net_parse_host(host, host_len, port, a))
		return error_set_field(err, ERROR_INVALID, "listen",
			"%s does not start with an IPv4 address or a bracketed "
			"IPv6 address", listen);
	return 0;
}

uint16_t
net_address_port(const struct net_address *a)
{
	return ntohs(a->u.sa.sa_family == AF_INET6 ? a->u.v6.sin6_port :
						     a->u.v4.sin_port);
}

static int
net_bind_error(const char *listen, int errnum, struct error *err)
{
	enum error_code code = ERROR_INTERNAL;
	if (errnum == EADDRINUSE)
		code = ERROR_EXISTS;
	else if (errnum == EACCES || errnum == EPERM)
		code = ERROR_DENIED;
	else if (errnum == EADDRNOTAVAIL || errnum == EAFNOSUPPORT)
		code = ERROR_INVALID;
	return error_set_field(err, code, "listen", "cannot listen on %s: %s",
		listen, strerror(errnum));
}

/*
 * The listening socket, non-blocking so a connection reset between poll and
 * accept cannot stall the acceptor. "[::]" takes IPv4 too (IPV6_V6ONLY off).
 */
int
net_listen_socket(const struct net_address *a, const char *name,
	int backlog, uint16_t *port_r, struct error *err)
{
	int one = 1, off = 0;
	int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC |
		SOCK_NONBLOCK, 0);
	if (fd < 0)
		return net_bind_error(name, errno, err);
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (a->u.sa.sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
		IPV6_V6ONLY, &off, sizeof(off)) < 0) ||
	    bind(fd, &a->u.sa, a->len) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0) {
		int saved = errno;
		close(fd);
		return net_bind_error(name, saved, err);
	}
	*port_r = ntohs(bound.ss_family == AF_INET ?
		((const struct sockaddr_in *)&bound)->sin_port :
		((const struct sockaddr_in6 *)&bound)->sin6_port);
	return fd;
}

/* "ip:port" and "ip"; an IPv4 client of "[::]" is shown as IPv4. */
void
net_format_peer(const struct sockaddr_storage *ss, char *peer, char *ip)
{
	char text[INET6_ADDRSTRLEN] = "unknown";
	unsigned port = 0;
	bool v6 = false;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)ss;
		v6 = !IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
		if (v6)
			inet_ntop(AF_INET6, &in6->sin6_addr, text,
				sizeof(text));
		else
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text,
				sizeof(text));
		port = ntohs(in6->sin6_port);
	}
	str_copy(ip, NET_PEER_MAX, text);
	snprintf(peer, NET_PEER_MAX, v6 ? "[%s]:%u" : "%s:%u", text, port);
}

static void
net_wake(struct net_listener *l)
{
	/* A full pipe already holds a wake-up; nothing is lost. */
	ssize_t rc = write(l->wake[1], "", 1);
	(void)rc;
}

static void
net_drain_wake(struct net_listener *l)
{
	char buf[64];
	while (read(l->wake[0], buf, sizeof(buf)) > 0)
		continue;
}

static void
net_link(struct net_conn **head, struct net_conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

static void
net_unlink(struct net_conn **head, struct net_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* Joins the threads of ended sessions and frees their connections. */
static void
net_reap(struct net_listener *l)
{
	pthread_mutex_lock(&l->lock);
	struct net_conn *c = l->done;
	l->done = NULL;
	pthread_mutex_unlock(&l->lock);
	while (c != NULL) {
		struct net_conn *next = c->next;
		pthread_join(c->thread, NULL);
		free(c);
		c = next;
	}
}

/* Called by a session's own thread as its last act. */
static void
net_session_ended(struct net_listener *l, struct net_conn *c)
{
	pthread_mutex_lock(&l->lock);
	/* Closed under the lock, so stop never shuts down a reused number. */
	close(c->fd);
	c->fd = -1;
	net_unlink(&l->live, c);
	net_link(&l->done, c);
	atomic_fetch_sub(&l->sessions, 1);
	pthread_cond_broadcast(&l->ended);
	net_wake(l);
	pthread_mutex_unlock(&l->lock);
}

static void *
net_session_main(void *arg)
{
	struct net_conn *c = arg;
	struct net_listener *l = c->listener;
	log_debug("net.accept", "listener=%s peer=%s tls=%s", l->name, c->peer,
		l->o.implicit_tls ? "implicit" : "none");
	metrics_add(l->m_accepted, 1);
	metrics_add(l->m_open, 1);
	/* A failed implicit handshake is logged (info) and closed quietly. */
	if (!l->o.implicit_tls || net_tls_handshake(c, NULL) == 0)
		l->o.session(c, l->o.ctx);
	net_conn_finish(c);
	log_debug("net.close", "listener=%s peer=%s duration_ms=%lld", l->name,
		c->peer, (long long)(clock_monotonic_ms() - c->accepted_ms));
	metrics_add(l->m_open, -1);
	net_session_ended(l, c);
	return NULL;
}

/* The connection struct; its buffers are left untouched until used. */
static struct net_conn *
net_conn_new(struct net_listener *l, int fd, const char *peer,
	const char *ip)
{
	struct net_conn *c = xmalloc(sizeof(*c));
	memset(c, 0, offsetof(struct net_conn, rbuf));
	c->fd = fd;
	c->timeout_ms = l->o.timeout_ms;
	c->name = l->name;
	c->creds = l->o.tls;
	c->listener = l;
	c->accepted_ms = clock_monotonic_ms();
	str_copy(c->peer, sizeof(c->peer), peer);
	str_copy(c->peer_ip, sizeof(c->peer_ip), ip);
	return c;
}

/*
 * Too busy: the busy reply and a close, all from the acceptor without
 * waiting. The socket buffer is empty, so a short reply always fits.
 */
static void
net_refuse(struct net_listener *l, int fd, const char *peer)
{
	log_info("net.busy", "listener=%s peer=%s sessions=%u", l->name, peer,
		atomic_load(&l->sessions));
	metrics_add(l->m_refused, 1);
	if (l->busy_reply != NULL && !l->o.implicit_tls) {
		ssize_t rc = send(fd, l->busy_reply, strlen(l->busy_reply),
			MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)rc;
		shutdown(fd, SHUT_WR);
	}
	close(fd);
}

/* Starts fd's session thread, or refuses it. */
static void
net_spawn(struct net_listener *l, int fd, const char *peer, const char *ip)
{
	struct net_conn *c = net_conn_new(l, fd, peer, ip);
	pthread_mutex_lock(&l->lock);
	net_link(&l->live, c);
	pthread_mutex_unlock(&l->lock);
	atomic_fetch_add(&l->sessions, 1);
	int rc = pthread_create(&c->thread, &l->session_attr, net_session_main,
		c);
	if (rc == 0)
		return;
	log_warn("net.thread_fail", "listener=%s peer=%s error=\"%s\"",
		l->name, peer, strerror(rc));
	pthread_mutex_lock(&l->lock);
	net_unlink(&l->live, c);
	pthread_mutex_unlock(&l->lock);
	atomic_fetch_sub(&l->sessions, 1);
	free(c);
	net_refuse(l, fd, peer);
}

/* Sessions running for the client at ip: a walk, as there are few. */
static unsigned
net_sessions_from(struct net_listener *l, const char *ip)
{
	unsigned n = 0;
	pthread_mutex_lock(&l->lock);
	for (const struct net_conn *c = l->live; c != NULL; c = c->next)
		n += strcmp(c->peer_ip, ip) == 0;
	pthread_mutex_unlock(&l->lock);
	return n;
}

int
net_accept(int listen_fd, struct sockaddr_storage *ss, socklen_t *len_r)
{
	*len_r = sizeof(*ss);
	int fd = accept4(listen_fd, (struct sockaddr *)ss, len_r,
		SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		return fd;
	/* Others are a client gone before we got to it. */
	if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS &&
	    errno != ENOMEM)
		return -1;
	return -2;
}

/* Returns false when accepting should pause: we are out of descriptors. */
static bool
net_accept_one(struct net_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = net_accept(l->fd, &ss, &len);
	if (fd == -2)
		log_warn("net.accept_fail", "listener=%s error=\"%s\"",
			l->name, strerror(errno));
	if (fd < 0)
		return fd == -1;
	char peer[NET_PEER_MAX], ip[NET_PEER_MAX];
	net_format_peer(&ss, peer, ip);
	/* Replies are whole when flushed; Nagle would only delay them. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Only this thread adds sessions, so the counts cannot pass a cap. */
	if (atomic_load(&l->sessions) >= l->o.max_sessions ||
	    (l->o.max_per_ip > 0 && net_sessions_from(l, ip) >= l->o.max_per_ip))
		net_refuse(l, fd, peer);
	else
		net_spawn(l, fd, peer, ip);
	return true;
}

static void *
net_acceptor_main(void *arg)
{
	struct net_listener *l = arg;
	bool pause = false;
	while (!atomic_load(&l->stopping)) {
		struct pollfd p[2] = {
			{ .fd = l->fd, .events = POLLIN },
			{ .fd = l->wake[0], .events = POLLIN },
		};
		/* A pause still watches wake[0]: stop is not kept waiting. */
		int n = poll(pause ? p + 1 : p, pause ? 1 : 2,
			pause ? NET_ACCEPT_PAUSE_MS : -1);
		pause = false;
		if (n < 0)
			continue;	/* EINTR: nothing else can fail */
		if (p[1].revents != 0)
			net_drain_wake(l);
		net_reap(l);
		if (p[0].revents != 0 && !atomic_load(&l->stopping))
			pause = !net_accept_one(l);
	}
	return NULL;
}

static int
net_check_options(const struct net_listener_options *o, struct error *err)
{
	assert(o->session != NULL);
	if (o->implicit_tls && o->tls == NULL)
		return error_set_field(err, ERROR_INVALID, "tls",
			"implicit TLS needs a certificate");
	if (o->timeout_ms < 0)
		return error_set_field(err, ERROR_INVALID, "timeout",
			"the timeout must not be negative");
	return 0;
}

static struct net_listener *
net_listener_new(const struct net_listener_options *o)
{
	struct net_listener *l = xcalloc(1, sizeof(*l));
	l->o = *o;
	l->name = xstrdup(o->name != NULL ? o->name : "net");
	l->listen = xstrdup(o->listen);
	l->busy_reply = o->busy_reply != NULL ? xstrdup(o->busy_reply) : NULL;
	l->o.name = l->name;
	l->o.listen = l->listen;
	l->o.busy_reply = l->busy_reply;
	l->m_open = metrics_series(&net_metric_sessions_open, l->name, NULL);
	l->m_accepted = metrics_series(&net_metric_sessions_accepted, l->name,
		NULL);
	l->m_refused = metrics_series(&net_metric_sessions_refused, l->name,
		NULL);
	if (l->o.max_sessions == 0)
		l->o.max_sessions = NET_DEFAULT_MAX_SESSIONS;
	if (l->o.timeout_ms == 0)
		l->o.timeout_ms = NET_DEFAULT_TIMEOUT_MS;
	l->fd = l->wake[0] = l->wake[1] = -1;
	atomic_init(&l->sessions, 0);
	atomic_init(&l->stopping, false);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->ended, NULL);
	pthread_attr_init(&l->session_attr);
	pthread_attr_setstacksize(&l->session_attr, NET_STACK_SIZE);
	return l;
}

static void
net_listener_free(struct net_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	for (int i = 0; i < 2; i++) {
		if (l->wake[i] >= 0)
			close(l->wake[i]);
	}
	pthread_attr_destroy(&l->session_attr);
	pthread_cond_destroy(&l->ended);
	pthread_mutex_destroy(&l->lock);
	free(l->name);
	free(l->listen);
	free(l->busy_reply);
	free(l);
}

static const char *
net_tls_mode(const struct net_listener_options *o)
{
	if (o->implicit_tls)
		return "implicit";
	return o->tls != NULL ? "starttls" : "none";
}

struct net_listener *
net_listener_start(const struct net_listener_options *o, struct error *err)
{
	struct net_address a;
	if (net_check_options(o, err) < 0 ||
	    net_address_parse(o->listen, &a, err) < 0)
		return NULL;
	struct net_listener *l = net_listener_new(o);
	l->fd = net_listen_socket(&a, l->listen, NET_BACKLOG, &l->port, err);
	if (l->fd < 0) {
		net_listener_free(l);
		return NULL;
	}
	int rc = 0;
	if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		rc = errno;
	else
		rc = pthread_create(&l->acceptor, NULL, net_acceptor_main, l);
	if (rc != 0) {
		error_set(err, ERROR_INTERNAL,
			"cannot start listening on %s: %s", l->listen,
			strerror(rc));
		net_listener_free(l);
		return NULL;
	}
	log_info("net.start", "listener=%s listen=%s port=%u tls=%s", l->name,
		l->listen, (unsigned)l->port, net_tls_mode(o));
	return l;
}

uint16_t
net_listener_port(const struct net_listener *l)
{
	return l->port;
}

unsigned
net_listener_sessions(const struct net_listener *l)
{
	return atomic_load(&l->sessions);
}

/* Ends every live session's I/O and joins all session threads. */
static void
net_end_sessions(struct net_listener *l)
{
	pthread_mutex_lock(&l->lock);
	for (struct net_conn *c = l->live; c != NULL; c = c->next) {
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
	}
	while (l->live != NULL || l->done != NULL) {
		if (l->done == NULL) {
			pthread_cond_wait(&l->ended, &l->lock);
			continue;
		}
		pthread_mutex_unlock(&l->lock);
		net_reap(l);
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
}

void
net_listener_stop(struct net_listener **lp)
{
	struct net_listener *l = *lp;
	if (l == NULL)
		return;
	*lp = NULL;
	atomic_store(&l->stopping, true);
	net_wake(l);
	pthread_join(l->acceptor, NULL);
	/* New connections are refused by the kernel from here on. */
	close(l->fd);
	l->fd = -1;
	net_end_sessions(l);
	log_info("net.stop", "listener=%s listen=%s", l->name, l->listen);
	net_listener_free(l);
}

const char *
net_peer(const struct net_conn *c)
{
	return c->peer;
}

const char *
net_peer_ip(const struct net_conn *c)
{
	return c->peer_ip;
}
