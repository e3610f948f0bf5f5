/*
 * The connection layer under every mail protocol (SMTP, submission, IMAP,
 * POP3, LMTP): listeners, one thread per session, CRLF lines and TLS on
 * GnuTLS, every wait bounded by a timeout. Layer: core. RFC 5321 §2.3.8 and
 * §4.5.3.2, RFC 3207 (STARTTLS), RFC 8314 (implicit TLS).
 * SECURITY: STARTTLS drops pipelined plaintext; TLS 1.2/1.3 only.
 */
#ifndef CORE_NET_H
#define CORE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct error;
struct span;

/* Every connection reads through one fixed buffer of this many bytes. */
#define NET_READ_BUFFER (64 * 1024)

/* Used when the listener options leave these 0. */
#define NET_DEFAULT_MAX_SESSIONS 256
#define NET_DEFAULT_TIMEOUT_MS (5 * 60 * 1000)	/* SECURITY.md item 17 */

/*
 * Server TLS credentials: a certificate chain and its key, with the one
 * priority string of tls_priorities(). Shared read-only by every session of
 * every listener given it; free it only after those listeners have stopped.
 */
/* A numeric listen address, parsed once. */
struct net_address {
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} u;
	socklen_t len;
};

/*
 * Parses "192.0.2.1:25" or "[2001:db8::1]:25" (port 0: any free port).
 * Host names are refused: a listener binds the exact address it is
 * given, never what DNS says. ERROR_INVALID saying what is wrong.
 */
int net_address_parse(const char *listen, struct net_address *a_r,
	struct error *err);

/* The port of a parsed address, in host order. */
uint16_t net_address_port(const struct net_address *a);

/*
 * A listening socket on a (SO_REUSEADDR, non-blocking, close-on-exec; "[::]"
 * takes IPv4 too) holding up to backlog connections not yet accepted, its
 * port in *port_r: the kernel's choice for port 0. The descriptor, or -1 with ERROR_EXISTS when
 * the address is in use, ERROR_DENIED for a privileged port without the
 * right, ERROR_INVALID for an address not on this machine, ERROR_INTERNAL
 * otherwise; the message names the address as name ("127.0.0.1:8080"). For
 * a listener that is not a net_listener (the HTTP one).
 */
int net_listen_socket(const struct net_address *a, const char *name,
	int backlog, uint16_t *port_r, struct error *err);

/*
 * Accepts one connection from listen_fd (non-blocking, close-on-exec): its
 * descriptor, with the peer in *ss and *len_r. -1 when there was none to
 * take (a client gone before we got to it: carry on); -2, errno set, when
 * out of descriptors or memory: log it and pause accepting a while rather
 * than spin.
 */
int net_accept(int listen_fd, struct sockaddr_storage *ss, socklen_t *len_r);

struct net_tls;

/*
 * Loads the PEM certificate chain and private key. The key is checked
 * against the certificate, and our copy of the key file is wiped once GnuTLS
 * has it. ERROR_NOT_FOUND for a missing file, ERROR_LIMIT for one over 256
 * KiB, ERROR_INVALID for a bad one or a key that does not match.
 */
struct net_tls *net_tls_new(const char *cert_path, const char *key_path,
	struct error *err);

/* Frees *t (NULL is fine) and sets it to NULL. */
void net_tls_free(struct net_tls **t);

/*
 * One client connection, owned by its session thread and valid only during
 * the session callback. Not thread-safe: only that thread may use it.
 */
struct net_conn;

struct net_listener_options {
	const char *name;	/* "smtp", "imaps"... for logs; copied */
	/*
	 * "127.0.0.1:2525" or "[::1]:143", copied. Port 0 lets the kernel
	 * choose (see net_listener_port). Host names are refused: a listener
	 * binds the address it is given, never what DNS says. "[::]" accepts
	 * IPv4 as well.
	 */
	const char *listen;
	/* For STARTTLS or implicit TLS; NULL: no TLS. Not copied. */
	struct net_tls *tls;
	/* Handshake before the session starts (465, 993, 995). */
	bool implicit_tls;
	/*
	 * Sessions running at once; 0 means NET_DEFAULT_MAX_SESSIONS. Past
	 * it a new connection gets busy_reply and is closed without a
	 * thread. On an implicit TLS listener it is closed without a word,
	 * as plaintext would be garbage to a TLS client.
	 */
	unsigned max_sessions;
	/*
	 * Sessions one client IP address may run at once; 0: no limit. Past
	 * it a new connection from that address is refused as past
	 * max_sessions is (SECURITY.md 35), so one client cannot take them all.
	 */
	unsigned max_per_ip;
	const char *busy_reply;	/* "421 4.3.2 Busy\r\n", copied; or NULL */
	/*
	 * Each session's timeout until it calls net_set_timeout; it also
	 * bounds an implicit TLS handshake. 0 means NET_DEFAULT_TIMEOUT_MS;
	 * there is no "never".
	 */
	int timeout_ms;
	/*
	 * Runs in the session's own thread. It must return, and should once a
	 * net_* call fails with anything but ERROR_LIMIT or a read's
	 * ERROR_TEMPORARY. Afterwards buffered output is flushed, TLS closed
	 * and the socket closed.
	 */
	void (*session)(struct net_conn *c, void *ctx);
	void *ctx;		/* given to every session, in many threads */
};

struct net_listener;

/*
 * Binds (SO_REUSEADDR), listens and starts the accepting thread. Each
 * session thread has a 256 KiB stack: keep big buffers off it. ERROR_INVALID
 * for bad options, ERROR_EXISTS when the address is in use, ERROR_DENIED for
 * a privileged port without the right, ERROR_INTERNAL otherwise.
 */
struct net_listener *net_listener_start(const struct net_listener_options *o,
	struct error *err);

/* The bound port, the kernel's choice when the options said port 0. */
uint16_t net_listener_port(const struct net_listener *l);

/* Sessions running now. */
unsigned net_listener_sessions(const struct net_listener *l);

/*
 * Stops accepting, shuts down (SHUT_RDWR) the sockets of live sessions so
 * their blocked reads and writes fail at once, waits for every session
 * callback to return, joins every thread and frees *l (NULL is fine), setting
 * it to NULL. Not from a session of l: it would wait for itself.
 */
void net_listener_stop(struct net_listener **l);

/*
 * Sessions open and accepted, and connections refused as too busy, per
 * listener (labelled by its name): every listener counts itself, and the
 * HTTP listener, which is not one of these, counts into the same families.
 */
struct metrics_family;
extern struct metrics_family net_metric_sessions_open;
extern struct metrics_family net_metric_sessions_accepted;
extern struct metrics_family net_metric_sessions_refused;

/* Bits of net_read_line's *flags_r: what the line held besides text. */
enum net_line_flag {
	NET_LINE_BARE_LF = 1u << 0,	/* an LF without a CR before it */
	NET_LINE_BARE_CR = 1u << 1,	/* a CR without an LF after it */
	NET_LINE_NUL = 1u << 2,		/* a NUL: the C string ends early */
};

/*
 * Reads one line into buf, without its CRLF and with a NUL after it. Only
 * CRLF ends a line (RFC 5321 §2.3.8): a bare LF or CR stays in the line and
 * sets NET_LINE_BARE_LF or NET_LINE_BARE_CR in *flags_r, so SMTP DATA can
 * refuse smuggling. Returns 0 with *len_r and *flags_r set, or -1 with:
 * - ERROR_LIMIT: the line had size bytes or more (or did not fit in the 64
 *   KiB buffer); it was read up to its CRLF and thrown away, so the session
 *   can answer "500 line too long" and read on;
 * - ERROR_NOT_FOUND: the client closed the connection;
 * - ERROR_TEMPORARY: no whole line came within the timeout. The timeout
 *   bounds the whole line, not each byte, so a client dribbling one byte at a
 *   time cannot hold a session past it. Bytes read so far are kept, so the
 *   session may read again;
 * - ERROR_INVALID or ERROR_INTERNAL: a TLS or socket error.
 * Before waiting for the client it flushes buffered output, so a reply is
 * never left behind a read and replies to pipelined commands leave together.
 */
int net_read_line(struct net_conn *c, char *buf, size_t size, size_t *len_r,
	unsigned *flags_r, struct error *err);

/*
 * Reads exactly n bytes (an IMAP literal), flushing output first as
 * net_read_line does. The timeout bounds each wait for more bytes. Errors
 * as net_read_line's, except ERROR_LIMIT; after one, part of the n bytes
 * may have been consumed, so the session should not read on.
 */
int net_read_exact(struct net_conn *c, void *buf, size_t n,
	struct error *err);

/*
 * Whether the client has sent bytes that no read has returned yet: in our
 * buffer, inside TLS, or waiting in the socket. Does not wait. Shows
 * pipelining where it is not allowed (early talkers, SECURITY.md item 18).
 */
bool net_has_buffered(const struct net_conn *c);

/* What net_wait_input saw. */
enum net_wait {
	NET_WAIT_TIMEOUT = 0,
	NET_WAIT_INPUT = 1,	/* the client sent something, or closed */
	NET_WAIT_OTHER = 2,	/* other_fd became readable */
};

/*
 * Waits up to timeout_ms for the client to send bytes no read has looked
 * at yet, or for other_fd (-1: none) to become readable, whichever comes
 * first; input wins a tie. Bytes of a partial line already read do not
 * count, so a session can sleep on a slow client instead of spinning.
 * Lets IDLE sleep on the socket and a change notification together.
 */
enum net_wait net_wait_input(struct net_conn *c, int other_fd,
	int timeout_ms);

/*
 * Queues len bytes for the client; full buffers are sent as they fill. The
 * timeout bounds each wait for the client to take more. Returns -1 with
 * ERROR_NOT_FOUND when the client has gone, ERROR_TEMPORARY when it stopped
 * reading; after a failed write every later call fails the same way.
 */
int net_write(struct net_conn *c, const void *data, size_t len,
	struct error *err);

/* As net_write, with printf formatting. */
int net_printf(struct net_conn *c, struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sends what net_write and net_printf queued. Errors as net_write's. */
int net_flush(struct net_conn *c, struct error *err);

/*
 * Whether net_starttls can work: the listener has TLS credentials and this
 * connection is not yet TLS. Decides whether to offer STARTTLS or STLS.
 */
bool net_can_starttls(const struct net_conn *c);

/*
 * Turns the connection into TLS in place (STARTTLS, STLS): flushes the
 * go-ahead reply the session queued, then does the handshake within the
 * timeout. SECURITY: bytes the client sent before the handshake are thrown
 * away (CVE-2011-0411, CVE-2021-33515); the caller need not check. The
 * session must forget what the client said before (RFC 3207 §4.2).
 * ERROR_INVALID when TLS is not available or the handshake failed,
 * ERROR_TEMPORARY when it timed out; after a failed handshake the connection
 * is unusable and the session should return.
 */
int net_starttls(struct net_conn *c, struct error *err);

bool net_is_tls(const struct net_conn *c);

/* "TLS1.3", "TLS1.2", or "" without TLS. Static strings. */
const char *net_tls_version(const struct net_conn *c);

/* The cipher, "AES-256-GCM", or "" without TLS. For Received: headers. */
const char *net_tls_cipher(const struct net_conn *c);

/* "192.0.2.1:51234" or "[2001:db8::1]:51234"; IPv4 shown as IPv4 on "[::]". */
const char *net_peer(const struct net_conn *c);

/* The peer's address alone, "192.0.2.1" or "2001:db8::1". */
const char *net_peer_ip(const struct net_conn *c);

/*
 * Sets the timeout of later reads, writes and handshakes (IMAP IDLE wants 30
 * minutes, SMTP DATA 10); timeout_ms must be > 0.
 */
void net_set_timeout(struct net_conn *c, int timeout_ms);

/* ---- the client side (net_client.c): outbound SMTP ---- */

/*
 * Trust for outbound TLS: the CA certificates a server's chain is checked
 * against, loaded once and shared read-only by every connection (loading
 * the system store takes milliseconds, not a connection's worth).
 */
struct net_tls_client;

/*
 * Loads ca_file (PEM), or the system's CA store when ca_file is NULL or "".
 * ERROR_NOT_FOUND or ERROR_INVALID for a file that is missing or holds no
 * certificate, ERROR_INTERNAL when the system store cannot be read.
 */
struct net_tls_client *net_tls_client_new(const char *ca_file,
	struct error *err);

/* Frees *t (NULL is fine) and sets it to NULL. */
void net_tls_client_free(struct net_tls_client **t);

/*
 * Opens a TCP connection to a, waiting at most timeout_ms, and returns it
 * owned by the caller (free with net_conn_close). The timeout then bounds
 * each later read, write and handshake, as on a listener's connection. name
 * ("smtp-out") is for logs and must outlive the connection.
 * ERROR_TEMPORARY when it timed out or was refused or unreachable.
 */
struct net_conn *net_connect(const struct net_address *a, int timeout_ms,
	const char *name, struct error *err);

/*
 * Flushes, closes TLS and the socket, frees *c (NULL is fine), *c = NULL;
 * and takes it out of its group, if it is in one.
 */
void net_conn_close(struct net_conn **c);

/*
 * A set of outbound connections that can be ended together, from any
 * thread: a stopping queue runner ends the deliveries still going when
 * its grace period is over. Each connection stays its owner's to close.
 */
struct net_group;

/* An empty group, owned by the caller. */
struct net_group *net_group_new(void);

/* Frees *g (NULL is fine) and sets it to NULL; no connection may be in it. */
void net_group_free(struct net_group **g);

/*
 * Puts c (a client connection, not in a group yet) in g until
 * net_conn_close; in a group already ended, c is ended at once.
 */
void net_group_add(struct net_group *g, struct net_conn *c);

/*
 * Ends the I/O of every connection in g, and of any added later: their
 * waits return and their reads and writes fail at once (shutdown(2)), so
 * their owners see an I/O error and close them.
 */
void net_group_end(struct net_group *g);

/* What a client's TLS handshake gave, for the caller to record. */
struct net_tls_result {
	char version[16];	/* "TLS1.3" */
	char cipher[32];	/* "AES-256-GCM" */
	bool verified;		/* chain to a trusted CA and the name match */
	char verify_error[128];	/* why not, when !verified */
	/* When !verified, what GnuTLS found (both may be false: untrusted). */
	bool expired;		/* a certificate is past its end date */
	bool name_mismatch;	/* the certificate does not name server_name */
};

/* What a client handshake asks of the server's certificate. */
enum net_tls_check {
	/* Any version GnuTLS's defaults allow; the verdict only recorded. */
	NET_TLS_CHECK_RECORD = 0,
	/* TLS 1.2+ with tls_priorities(); chain and name, else ERROR_DENIED. */
	NET_TLS_CHECK_PKIX = 1,
	/*
	 * TLS 1.2+ with tls_priorities(); the verdict only recorded, and
	 * the caller judges the chain itself (net_tls_peer_chain): DANE.
	 */
	NET_TLS_CHECK_CALLER = 2,
};

/*
 * Starts TLS as the client (after the server's go-ahead to STARTTLS) and
 * checks the server's certificate chain against t and its names against
 * server_name (RFC 6125; an address is matched against IP names). With
 * NET_TLS_CHECK_PKIX the floor is TLS 1.2 with tls_priorities()' ciphers
 * and an unverified certificate fails ERROR_DENIED, the connection closed;
 * with NET_TLS_CHECK_RECORD any version GnuTLS's defaults allow is taken
 * and the verdict only recorded (RFC 7435: encryption without
 * authentication beats clear text); NET_TLS_CHECK_CALLER has PKIX's floor
 * and RECORD's verdict, for a caller that judges the chain (DANE).
 * *result_r is filled in on success and on ERROR_DENIED. ERROR_INVALID for
 * a failed handshake, ERROR_TEMPORARY for a timeout; after any failure the
 * connection is unusable.
 */
int net_starttls_client(struct net_conn *c, const struct net_tls_client *t,
	const char *server_name, enum net_tls_check check,
	struct net_tls_result *result_r, struct error *err);

/*
 * The certificates the server sent in the TLS handshake, as DER, its own
 * first (RFC 8446 §4.4.2), at most max of them into chain_r; returns how
 * many (0 when not in TLS or none was sent). The bytes are the TLS
 * session's: valid until the connection closes.
 */
size_t net_tls_peer_chain(const struct net_conn *c, struct span *chain_r,
	size_t max);

#endif
