/*
 * Shared inside the HTTP front end only: the server, one request and its
 * reply, and the route table handlers are registered in. Layer: front end.
 */
#ifndef HTTP_HTTP_INTERNAL_H
#define HTTP_HTTP_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/str.h"
#include "http.h"

struct MHD_Daemon;
struct metrics_series;
struct MHD_Connection;

/* Longest peer address as text: an IPv6 address (INET6_ADDRSTRLEN). */
#define HTTP_PEER_MAX 46

/* Where a connection is, for its deadline (http_conn.c). */
enum http_phase {
	HTTP_PHASE_HEADERS,	/* waiting for a request's headers */
	HTTP_PHASE_BODY,	/* headers in, reading the body */
	HTTP_PHASE_REPLY,	/* handling and replying: the idle timeout */
};

/*
 * One open connection, from accept to close. The fd is libmicrohttpd's; the
 * reaper only shuts it down, under conns_lock, which the close notice also
 * takes before libmicrohttpd closes it, so it is never a reused number.
 */
struct http_conn {
	struct http_conn *prev, *next;	/* the server's list, conns_lock */
	int fd;
	_Atomic int64_t deadline_ms;	/* monotonic; 0: none */
	_Atomic int phase;		/* enum http_phase, for the log */
	char peer[HTTP_PEER_MAX];	/* the client's address as text */
};

struct http_server {
	struct http_server_options opts;	/* its strings are ours */
	char *listen;
	char *web_root;			/* opts.web_root's copy, or NULL */
	char *metrics_allow;		/* opts.metrics_allow's copy */
	uint16_t port;			/* as bound, so port 0 can be read */
	struct MHD_Daemon *daemon;
	pthread_mutex_t log_lock;	/* guards last_log */
	char last_log[256];		/* libmicrohttpd's latest complaint */
	pthread_mutex_t conns_lock;	/* guards conns and reaper_stop */
	pthread_cond_t reaper_wake;	/* signalled to stop the reaper */
	struct http_conn *conns;	/* every open connection */
	bool reaper_stop;
	bool reaper_running;
	pthread_t reaper;
	/* listener="http" of the sessions metrics (core/net.h). */
	struct metrics_series *m_open, *m_accepted, *m_refused;
	struct http_wait *wait;		/* NULL: requests never wait apart */
	/* Requests sent to wait whose connection has not completed yet. */
	atomic_int waited_open;
	struct metrics_series *m_waiting;	/* caremail_http_waiting */
	/* The accepting thread (http_accept.c). */
	int listen_fd;			/* -1: none */
	int accept_wake[2];		/* written to stop it; -1: none */
	atomic_bool accept_stop;
	bool acceptor_running;
	pthread_t acceptor;
};

struct http_request {
	const struct http_server *server;
	struct MHD_Connection *connection;	/* for headers and arguments */
	const char *method;		/* as sent: case-sensitive */
	const char *path;		/* decoded, without the query */
	struct span body;		/* whole, at most opts.max_body bytes */
};

#define HTTP_MAX_EXTRA_HEADERS 4

struct http_reply {
	unsigned status;
	json_t *body;			/* owned; sent compact */
	/*
	 * A web page or asset (http_static.c) instead of a JSON body: the
	 * file fd (owned, closed once sent; -1: a one-line text body) with
	 * the page's headers rather than the API's.
	 */
	bool web;
	int fd;
	uint64_t size;			/* of the file at fd */
	const char *content_type;	/* static strings, as are these: */
	const char *content_encoding;	/* "br", "gzip" or NULL */
	const char *cache_control;
	char allow[64];			/* the Allow header of a 405, or "" */
	struct {
		char name[32];
		char value[512];
	} extra[HTTP_MAX_EXTRA_HEADERS];	/* Set-Cookie and the like */
	size_t extra_count;
	/*
	 * A download from the API (http_call_reply_spool) instead of a JSON
	 * body: the spool (owned; freed once sent) and its content mapped,
	 * with content_type in place of JSON's and the API's other headers.
	 */
	struct spool *spool;
	struct span spool_view;
	/*
	 * A text body instead of a tree (/metrics, a People Finder page:
	 * http_reply_text): owned, and handed to the response, which frees
	 * it once sent; sent as content_type (NULL: JSON's) with the API's
	 * headers.
	 */
	char *text;
	size_t text_len;
};

/* What an api handler gets: the request and the reply it fills. */
struct http_call {
	const struct http_request *req;
	struct http_reply *reply;
};

/*
 * A handler fills reply, always: it cannot fail, because any failure is
 * itself a reply. A GET or HEAD runs on the connection's request thread,
 * unless the API says it may take long (api_waits); any other method may
 * wait (a commit, Argon2id). Those run on a waiting thread (http_wait.c)
 * while the connection is suspended.
 */
struct http_route {
	const char *method;		/* a "GET" route also answers HEAD;
					 * "*" answers every method */
	const char *path;		/* matched exactly, or as a prefix */
	void (*handler)(const struct http_request *req,
		struct http_reply *reply);
	bool prefix;			/* path ends in '/': all below it */
};

/*
 * The route for method and path, or NULL. When the path exists under other
 * methods, *path_known_r is set and allow gets them for the Allow header.
 */
const struct http_route *http_route_find(const char *method, const char *path,
	bool *path_known_r, char *allow, size_t allow_size);

/*
 * Connections and their deadlines (http_conn.c). The reaper is a thread
 * that shuts down connections past their deadline; libmicrohttpd then
 * sees the client hang up and closes them in its own thread.
 */
struct http_conn *http_conn_opened(struct http_server *s,
	struct MHD_Connection *c);
void http_conn_closed(struct http_server *s, struct http_conn *conn);
/* Enters phase now: its deadline, if it has one, starts. NULL: nothing. */
void http_conn_enter(const struct http_server *s, struct http_conn *conn,
	enum http_phase phase);
/* The connection's record, or NULL when it has none. */
struct http_conn *http_conn_of(struct MHD_Connection *c);
/* 0, or -1 with err when the thread cannot start. */
int http_reaper_start(struct http_server *s, struct error *err);
void http_reaper_stop(struct http_server *s);

/*
 * The accepting thread (http_accept.c), which deals connections round
 * libmicrohttpd's pool. bind opens the listening socket and sets s->port;
 * start runs the thread once s->daemon is up; stop joins it and closes the
 * socket, before the daemon stops. 0, or -1 with err.
 */
struct net_address;
int http_acceptor_bind(struct http_server *s, const struct net_address *l,
	struct error *err);
int http_acceptor_start(struct http_server *s, struct error *err);
void http_acceptor_stop(struct http_server *s);
/*
 * Set by http_mhd_log when libmicrohttpd refuses a connection at a cap; the
 * acceptor clears it before each MHD_add_connection, which logs on its
 * thread, so a refusal is counted once.
 */
extern _Thread_local bool http_refusal_logged;

/*
 * The waiting threads (http_wait.c): jobs run in the order given, on the
 * first free thread. A job is the caller's, usually inside a larger record
 * that run finds from it; it stays the caller's throughout.
 */
struct http_wait;
struct http_wait_job {
	struct http_wait_job *next;	/* the queue's */
	void (*run)(struct http_wait_job *job);
	int64_t queued_us;		/* when it was queued (monotonic) */
};
/* threads > 0 threads, or NULL with err. */
struct http_wait *http_wait_start(unsigned threads, struct error *err);
/* Queues job; false once stopping has begun: run it yourself. */
bool http_wait_run(struct http_wait *w, struct http_wait_job *job);
/*
 * Refuses further jobs, runs every one queued and joins the threads (NULL,
 * or again: nothing). Callers may still call http_wait_run until free.
 */
void http_wait_stop(struct http_wait *w);
/* Stops w if need be, frees *w (NULL is fine) and sets it to NULL. */
void http_wait_free(struct http_wait **w);

/*
 * A request's framing (RFC 9112 §6), gathered field by field and then
 * judged (http_framing.c): a pure rule, so a table tests it.
 */
struct http_framing {
	unsigned content_lengths;	/* Content-Length fields */
	unsigned transfer_encodings;	/* Transfer-Encoding fields */
	bool bad_name;			/* a field name that is not a token */
	bool bad_length;		/* a Content-Length that is not digits */
	bool bad_coding;		/* a transfer coding but "chunked" */
};

void http_framing_add(struct http_framing *f, const char *name,
	const char *value);
/*
 * 0 when the body's length is unambiguous; else -1 with ERROR_INVALID and
 * the sentence for the 400. http10: the request line said HTTP/1.0.
 */
int http_framing_check(const struct http_framing *f, bool http10,
	struct error *err);

/*
 * The web root's pure rules (http_static.c), tested by tables.
 * http_static_file_path maps a decoded URL path to a file below the root:
 * "/" to "index.html", "/a/" to "a/index.html", "/sign-in" to
 * "sign-in.html", "/assets/x.css" as is. -1 for anything that is not
 * segments of [A-Za-z0-9._-] without a leading dot (so "..", "%00", "//",
 * "\\" and hidden files are refused), or longer than size.
 */
#define HTTP_STATIC_PATH_MAX 512
int http_static_file_path(const char *url_path, char *out, size_t size);
#define HTTP_ENCODING_GZIP 1u
#define HTTP_ENCODING_BR 2u
/* The precompressed codings an Accept-Encoding value allows (bits). */
unsigned http_static_encodings(const char *accept_encoding);
/* The Content-Type for a file name, by its extension. */
const char *http_static_type(const char *file);

/* The client's address of c as text into buf[size], or "". */
void http_peer_text(struct MHD_Connection *c, char *buf, size_t size);

/* Handlers (http_health.c). */
void http_health_get(const struct http_request *req, struct http_reply *reply);
/*
 * GET /metrics (http_metrics.c): refused with 403 unless the client's
 * address is in opts.metrics_allow.
 */
void http_metrics_get(const struct http_request *req,
	struct http_reply *reply);
/* 0 when every entry of an http.metrics_allow list parses; -1 with err. */
int http_metrics_check_allow(const char *list, struct error *err);
/* Serves a built web page or asset from opts.web_root (http_static.c). */
void http_static_get(const struct http_request *req,
	struct http_reply *reply);
/* Hands the request to the api handler of the options (http_call.c). */
void http_api_dispatch(const struct http_request *req,
	struct http_reply *reply);

/* Replies (http_reply.c). Each takes ownership of any json_t given. */
/*
 * Drops what the reply held (a JSON body, a download, a text), so that
 * the one set next is the one sent.
 */
void http_reply_clear(struct http_reply *reply);
/* Sets a text body, len bytes copied, sent as content_type (NULL: JSON). */
void http_reply_text(struct http_reply *reply, unsigned status,
	const char *content_type, const char *text, size_t len);
void http_reply_json(struct http_reply *reply, unsigned status,
	json_t *body);
void http_reply_error(struct http_reply *reply, unsigned status,
	const char *code, const char *message);
/* Replies with err's status and text; an internal fault is logged, not told. */
void http_reply_from_error(struct http_reply *reply, const struct error *err);
/*
 * Copies src into dst[size] as text safe to show: control characters such as
 * CR/LF become spaces and bytes that are not UTF-8 become '?'.
 */
void http_clean_text(char *dst, size_t size, const char *src);

#endif
