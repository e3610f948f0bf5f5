/*
 * What the files of core/net share and nothing else sees: the connection
 * struct and the steps between the listener (net.c), buffered I/O
 * (net_io.c) and TLS (net_tls.c). Layer: core.
 */
#ifndef CORE_NET_INTERNAL_H
#define CORE_NET_INTERNAL_H

#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "net.h"

/* Output is sent in pieces of up to this, about one TLS record. */
#define NET_WRITE_BUFFER (16 * 1024)
/* "[" address "]:" port, with room to spare. */
#define NET_PEER_MAX 64

struct net_listener;

struct net_conn {
	int fd;			/* non-blocking; -1 once closed */
	int timeout_ms;
	const char *name;	/* the listener's, for logs */
	const struct net_tls *creds;	/* for STARTTLS; may be NULL */
	gnutls_session_t tls;	/* NULL until a handshake starts */
	bool tls_ready;		/* the handshake succeeded */

	/* Set by the TLS transport callbacks, read after a GnuTLS call. */
	int64_t deadline_ms;	/* when the current wait gives up */
	bool timed_out;		/* a wait reached deadline_ms */
	int io_errno;		/* the socket's last errno, or 0 */

	bool eof;		/* the client closed its side */
	/* Bytes read since our last send: their ACK is still held back. */
	bool input_unanswered;
	bool failed;		/* every later call fails with failure */
	struct error failure;

	char peer[NET_PEER_MAX];
	char peer_ip[NET_PEER_MAX];

	/* rbuf[rpos, rend) is unread; rbuf[rpos, scan) holds no CRLF. */
	size_t rpos, rend, scan;
	unsigned scan_flags;	/* net_line_flag bits of rbuf[rpos, scan) */
	bool discarding;	/* throwing away an over-long line */
	size_t wlen;		/* queued bytes in wbuf */

	/* A client connection's group (net_group_add), under its lock. */
	struct net_group *group;
	struct net_conn *group_prev, *group_next;

	/* The listener's bookkeeping, under its lock. */
	struct net_listener *listener;
	pthread_t thread;
	struct net_conn *prev, *next;
	int64_t accepted_ms;

	char rbuf[NET_READ_BUFFER];
	char wbuf[NET_WRITE_BUFFER];
};

/*
 * Waits until fd has one of events or the monotonic clock reaches
 * deadline_ms, polling at least once. Returns 1 when ready (or in error: the
 * next call says which), 0 at the deadline, -1 with errno.
 */
int net_wait(int fd, short events, int64_t deadline_ms);

/*
 * A socket address as a peer's name ("192.0.2.1:25", "[2001:db8::1]:25";
 * IPv4-mapped addresses as IPv4) and its address alone, each of
 * NET_PEER_MAX bytes: for accepted and outbound connections alike.
 */
void net_format_peer(const struct sockaddr_storage *ss, char *peer,
	char *ip);

/* now + the connection's timeout, on the monotonic clock. */
int64_t net_deadline(const struct net_conn *c);

/*
 * One recv or send on the raw socket, waiting up to deadline_ms for it to be
 * ready, never raising SIGPIPE. They return what recv and send would, or -1
 * with errno EAGAIN and c->timed_out set at the deadline, or -1 with errno
 * also kept in c->io_errno. Used by plain I/O and by GnuTLS's transport.
 */
ssize_t net_recv_some(struct net_conn *c, void *buf, size_t size,
	int64_t deadline_ms);
ssize_t net_send_some(struct net_conn *c, const void *buf, size_t size,
	int64_t deadline_ms);

/*
 * Marks the connection failed so every later call fails with the same error,
 * copies that error to err and returns -1.
 */
int net_fail(struct net_conn *c, struct error *err, enum error_code code,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fails c for socket error errnum: the client's close, or ours to report. */
int net_socket_error(struct net_conn *c, int errnum, const char *doing,
	struct error *err);

/*
 * A timeout: reading it is ERROR_TEMPORARY and the session may read again;
 * writing it fails the connection, as part of the output may be gone.
 */
int net_timed_out(struct net_conn *c, bool writing, struct error *err);

/* Reads what is there into buf, waiting up to the deadline; 0 at EOF. */
ssize_t net_tls_recv(struct net_conn *c, void *buf, size_t size,
	int64_t deadline_ms, struct error *err);

/* Sends all of data, each record within the timeout. */
int net_tls_send(struct net_conn *c, const void *data, size_t len,
	struct error *err);

/*
 * Sets up GnuTLS on c and does the server handshake within the timeout. A
 * failure is logged at info (it is the client's) and fails c.
 */
int net_tls_handshake(struct net_conn *c, struct error *err);

/*
 * The client side of STARTTLS (net_client.c): sets up GnuTLS on c as a
 * client with cred and priority, names server_name by SNI (NULL: none, as
 * for an address) and does the handshake within the timeout. Certificates
 * are not checked here; the caller asks gnutls_certificate_verify_peers3.
 * Fails c on error, as net_tls_handshake does.
 */
int net_tls_client_handshake(struct net_conn *c,
	gnutls_certificate_credentials_t cred, gnutls_priority_t priority,
	const char *server_name, struct error *err);

/* Sends close_notify if TLS is up and intact, and frees the GnuTLS session. */
void net_tls_close(struct net_conn *c);

/*
 * Ends a connection's I/O before its socket closes: sends queued output and
 * closes TLS, best-effort, waiting no more than a few seconds.
 */
void net_conn_finish(struct net_conn *c);

#endif
