/*
 * The HTTP listener on libmicrohttpd: binding, TLS, reading a request,
 * dispatching it through the route table and sending the reply with the
 * security headers. Layer: front end. RFC 9110, RFC 9112, RFC 6797 (HSTS).
 * SECURITY: ambiguous framing is refused (http_framing.c); a body is read
 * only up to a small cap until the request is known to be signed in;
 * connections are capped per address and held to deadlines (http_conn.c);
 * unknown paths are refused before any body is read, "%00" is never decoded
 * into a path, the key is wiped once loaded.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/cores.h"
#include "core/file.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/net.h"
#include "core/spool.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "http_internal.h"

/* Certificate chains and keys are small; anything larger is a wrong file. */
#define HTTP_MAX_PEM (256 * 1024)
/* Used when the options leave these 0; the same as the config defaults. */
#define HTTP_DEFAULT_CONNECTIONS 256
#define HTTP_DEFAULT_TIMEOUT_S 30
#define HTTP_DEFAULT_HEADER_TIMEOUT_S 20
#define HTTP_DEFAULT_BODY_TIMEOUT_S 60
#define HTTP_DEFAULT_BODY_UNAUTHENTICATED (8 * 1024)
#define HTTP_DEFAULT_BODY (1024 * 1024)
/*
 * What libmicrohttpd may hold per connection for the request line, headers
 * and read buffer (its own default, stated so the sum is ours to make):
 * larger headers are refused. With the body caps, a connection that is not
 * signed in holds at most this plus max_body_unauthenticated.
 */
#define HTTP_CONNECTION_MEMORY (32 * 1024)
/*
 * As serve stops, how long the replies of requests that waited (their
 * writes done) have to go out before the connections are closed.
 */
#define HTTP_STOP_REPLIES_MS 5000

/*
 * Requests on the waiting threads (docs/operations.md): a queue that grows
 * says http.wait_threads is too few for the writes and sign-ins coming in.
 */
static struct metrics_family http_metric_waiting = {
	.name = "caremail_http_waiting",
	.help = "HTTP requests sent to the waiting threads and not yet "
		"answered: queued, running, or their reply going out.",
	.type = METRICS_GAUGE,
};
METRICS_REGISTER(http_metric_waiting)

/* A request in flight, from its headers to its reply. */
struct http_exchange {
	const struct http_route *route;
	char *body;		/* NULL until the first byte arrives */
	size_t len, cap;
	size_t limit;		/* the body cap: raised once signed in */
	bool asked;		/* signed_in has been asked */
	/*
	 * A request run on a waiting thread (http_wait.c): its connection is
	 * suspended until reply is made, then resumed, and the request
	 * thread sends it. method and path are libmicrohttpd's, which keeps
	 * them until the request completes.
	 */
	struct http_wait_job job;
	const struct http_server *server;
	struct MHD_Connection *connection;
	const char *method, *path;
	_Atomic int waited;		/* enum http_waited */
	struct http_reply *reply;	/* once HTTP_WAIT_MADE; owned */
	bool counted;			/* in the server's waited_open */
};

/* Where a request run on a waiting thread is. */
enum http_waited {
	HTTP_WAIT_NONE,		/* not sent to wait (yet) */
	HTTP_WAIT_RUNNING,	/* queued or running */
	HTTP_WAIT_MADE,		/* reply made, to be sent */
	HTTP_WAIT_SENT,		/* reply handed to libmicrohttpd */
};

static const struct {
	const char *name, *value;
} http_headers[] = {
	{ MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8" },
	{ MHD_HTTP_HEADER_CACHE_CONTROL, "no-store" },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Content-Security-Policy",
	  "default-src 'none'; frame-ancestors 'none'" },
};

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char line[sizeof(s->last_log)];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	pthread_mutex_lock(&s->log_lock);
	memcpy(s->last_log, line, n + 1);
	pthread_mutex_unlock(&s->log_lock);
	/*
	 * A refusal at http.max_connections or http.max_per_ip is the cap
	 * working, logged at info as the mail listeners' net.busy is; it
	 * does not say which cap, nor the address.
	 */
	if (strstr(line, "connection limit") != NULL) {
		http_refusal_logged = true;
		metrics_add(s->m_refused, 1);
		log_info("http.busy", "msg=\"%s\"", line);
	} else {
		log_warn("http.mhd", "msg=\"%s\"", line);
	}
}

static int
http_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = str_ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decodes %XX in the path and query arguments as libmicrohttpd would, except
 * "%00": decoded, it would cut the C string short, so "/x%00y" would be
 * routed as "/x". It stays as the three characters and matches nothing.
 */
static size_t
http_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	char *out = s;
	const char *in = s;
	while (*in != '\0') {
		int hi = in[0] == '%' ? http_hex_value(in[1]) : -1;
		int lo = hi >= 0 ? http_hex_value(in[2]) : -1;
		if (lo >= 0 && (hi | lo) != 0) {
			*out++ = (char)(hi << 4 | lo);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/*
 * The web pages' headers (docs/web.md): scripts, styles and images from this
 * origin only and no inline script, so injected markup cannot run; no
 * framing (clickjacking); forms post only here; no <base> to redirect
 * relative URLs. The API's JSON keeps default-src 'none' above.
 */
static const struct {
	const char *name, *value;
} http_web_headers[] = {
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Content-Security-Policy",
	  "default-src 'self'; script-src 'self'; style-src 'self'; "
	  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
	  "form-action 'self'" },
	/* One URL, a body per Accept-Encoding: caches must keep them apart. */
	{ MHD_HTTP_HEADER_VARY, "Accept-Encoding" },
};

static void
http_add_headers(struct MHD_Response *r, bool tls,
	const struct http_reply *reply)
{
	const char *allow = reply->allow;
	bool ok = true;
	if (!reply->web) {
		for (size_t i = 0;
		     i < sizeof(http_headers) / sizeof(*http_headers); i++) {
			const char *value = http_headers[i].value;
			/* A download (a CSV) says what it is instead. */
			if (reply->content_type != NULL &&
			    strcmp(http_headers[i].name,
				    MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
				value = reply->content_type;
			ok &= MHD_add_response_header(r, http_headers[i].name,
				value) == MHD_YES;
		}
	} else {
		for (size_t i = 0; i < sizeof(http_web_headers) /
			     sizeof(*http_web_headers); i++)
			ok &= MHD_add_response_header(r,
				http_web_headers[i].name,
				http_web_headers[i].value) == MHD_YES;
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
			reply->content_type) == MHD_YES;
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
			reply->cache_control) == MHD_YES;
		if (reply->content_encoding != NULL)
			ok &= MHD_add_response_header(r,
				MHD_HTTP_HEADER_CONTENT_ENCODING,
				reply->content_encoding) == MHD_YES;
	}
	/* RFC 6797 §7.2: HSTS is only meaningful, and only sent, over TLS. */
	if (tls)
		ok &= MHD_add_response_header(r, "Strict-Transport-Security",
			"max-age=31536000") == MHD_YES;
	if (allow[0] != '\0')
		ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
			allow) == MHD_YES;
	for (size_t i = 0; i < reply->extra_count; i++)
		ok &= MHD_add_response_header(r, reply->extra[i].name,
			reply->extra[i].value) == MHD_YES;
	if (!ok)
		abort();	/* constant headers: only out of memory fails */
}

/* A web reply's body: its file (which the response then owns) or a line. */
static struct MHD_Response *
http_web_response(struct http_reply *reply)
{
	static const char not_found[] = "There is no such page.\n";
	if (reply->fd < 0)
		return MHD_create_response_from_buffer(sizeof(not_found) - 1,
			(void *)(uintptr_t)not_found, MHD_RESPMEM_PERSISTENT);
	struct MHD_Response *r = MHD_create_response_from_fd64(reply->size,
		reply->fd);
	if (r == NULL)
		close(reply->fd);
	reply->fd = -1;
	return r;
}

static void
http_spool_sent(void *cls)
{
	struct spool *sp = cls;
	spool_free(&sp);
}

/*
 * A download's body: the spool's content as it lies, in memory or mapped
 * from its file (the page cache's, not the heap), freed once sent.
 */
static struct MHD_Response *
http_spool_response(struct http_reply *reply)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer_with_free_callback_cls(
			reply->spool_view.len,
			(void *)(uintptr_t)reply->spool_view.p,
			http_spool_sent, reply->spool);
	if (r != NULL)
		reply->spool = NULL;	/* the response's now */
	return r;
}

static enum MHD_Result
http_send(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, struct http_reply *reply)
{
	struct MHD_Response *r;
	if (reply->web) {
		r = http_web_response(reply);
	} else if (reply->spool != NULL) {
		r = http_spool_response(reply);
	} else if (reply->text != NULL) {
		/* The response frees it with free() once sent. */
		r = MHD_create_response_from_buffer(reply->text_len,
			reply->text, MHD_RESPMEM_MUST_FREE);
		if (r != NULL)
			reply->text = NULL;
	} else {
		char *text = json_dumps(reply->body, JSON_COMPACT);
		if (text == NULL)
			abort();	/* jansson only fails out of memory */
		/* jansson's text is malloc's (no json_set_alloc_funcs). */
		r = MHD_create_response_from_buffer(strlen(text), text,
			MHD_RESPMEM_MUST_FREE);
		if (r == NULL)
			free(text);
		json_decref(reply->body);
		reply->body = NULL;
	}
	if (r == NULL) {
		spool_free(&reply->spool);
		free(reply->text);
		reply->text = NULL;
		return MHD_NO;
	}
	http_add_headers(r, s->opts.tls, reply);
	enum MHD_Result queued = MHD_queue_response(c, reply->status, r);
	MHD_destroy_response(r);
	log_debug("http.request", "method=%.32s path=\"%.256s\" status=%u",
		method, path, reply->status);
	return queued;
}

static enum MHD_Result
http_framing_field(void *cls, enum MHD_ValueKind kind, const char *name,
	const char *value)
{
	(void)kind;
	http_framing_add(cls, name, value);
	return MHD_YES;
}

/* The framing rule over every header as received, duplicates included. */
static int
http_check_framing(struct MHD_Connection *c, const char *version,
	struct error *err)
{
	struct http_framing f = { 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, http_framing_field, &f);
	return http_framing_check(&f, strcmp(version, "HTTP/1.0") == 0, err);
}

/*
 * The declared body length: false when there is none (no body, or a chunked
 * one); a length too long to parse is as long as can be.
 */
static bool
http_declared_length(struct MHD_Connection *c, uint64_t *len_r)
{
	const char *text = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (text == NULL)
		return false;
	if (!span_to_u64(span_from_cstr(text), len_r))
		*len_r = UINT64_MAX;
	return true;
}

/*
 * Whether the api says the request is signed in: 1, 0, or -1 with err when
 * it cannot tell. Asked once per request, and only of the api's routes;
 * a yes raises the body cap to max_body.
 */
static int
http_ask_signed_in(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, struct http_exchange *x,
	struct error *err)
{
	x->asked = true;
	if (s->opts.signed_in == NULL ||
	    x->route->handler != http_api_dispatch)
		return 0;
	struct http_request req = { .server = s, .connection = c,
		.method = method, .path = path, .body = span_make("", 0) };
	struct http_reply unused = { 0 };
	struct http_call call = { .req = &req, .reply = &unused };
	int rc = s->opts.signed_in(s->opts.api_ctx, &call, err);
	http_reply_clear(&unused);
	if (rc == 1)
		x->limit = s->opts.max_body;
	return rc;
}

/*
 * Sizes the body before a byte of it is read: past max_body, or past the
 * unauthenticated cap for a request that is not signed in, it is refused
 * now. True when reply has been filled.
 */
static bool
http_refuse_body(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, struct http_exchange *x,
	struct http_reply *reply)
{
	uint64_t declared;
	struct error err;
	if (!http_declared_length(c, &declared) || declared <= x->limit)
		return false;
	if (declared > s->opts.max_body) {
		http_reply_error(reply, MHD_HTTP_CONTENT_TOO_LARGE, "limit",
			"The request body is too large.");
		return true;
	}
	int rc = http_ask_signed_in(s, c, method, path, x, &err);
	if (rc == 1)
		return false;
	if (rc < 0)
		http_reply_from_error(reply, &err);
	else
		http_reply_error(reply, MHD_HTTP_CONTENT_TOO_LARGE, "limit",
			"The request body is too large for a request that is "
			"not signed in.");
	return true;
}

/*
 * Connection: close on the reply: what follows the headers cannot be read
 * as a body we agree on, so it must not be read as the next request.
 */
static void
http_reply_close(struct http_reply *reply)
{
	assert(reply->extra_count < HTTP_MAX_EXTRA_HEADERS);
	snprintf(reply->extra[reply->extra_count].name,
		sizeof(reply->extra[0].name), "%s", MHD_HTTP_HEADER_CONNECTION);
	snprintf(reply->extra[reply->extra_count].value,
		sizeof(reply->extra[0].value), "close");
	reply->extra_count++;
}

/*
 * The headers are in. A request whose framing could be read two ways, or
 * that no route takes, or whose declared body is too large, is answered
 * now, before its body is read; the rest wait for their body.
 */
static enum MHD_Result
http_begin(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, const char *version,
	void **con_cls)
{
	struct http_reply reply = { 0 };
	struct error err;
	bool path_known;
	struct http_conn *conn = http_conn_of(c);
	if (http_check_framing(c, version, &err) < 0) {
		log_info("http.framing", "peer=%s msg=\"%s\"",
			conn != NULL ? conn->peer : "", err.msg);
		http_reply_error(&reply, MHD_HTTP_BAD_REQUEST, "bad_request",
			err.msg);
		http_reply_close(&reply);
		http_conn_enter(s, conn, HTTP_PHASE_REPLY);
		return http_send(s, c, method, path, &reply);
	}
	const struct http_route *route = http_route_find(method, path,
		&path_known, reply.allow, sizeof(reply.allow));
	struct http_exchange *x = NULL;
	if (route == NULL && path_known) {
		http_reply_error(&reply, MHD_HTTP_METHOD_NOT_ALLOWED,
			"method_not_allowed",
			"This page does not accept that method.");
	} else if (route == NULL) {
		http_reply_error(&reply, MHD_HTTP_NOT_FOUND, "not_found",
			"There is no such page.");
	} else {
		x = xcalloc(1, sizeof(*x));
		x->route = route;
		x->limit = s->opts.max_body_unauthenticated;
		http_refuse_body(s, c, method, path, x, &reply);
	}
	if (reply.body != NULL) {
		free(x);
		http_conn_enter(s, conn, HTTP_PHASE_REPLY);
		return http_send(s, c, method, path, &reply);
	}
	*con_cls = x;
	http_conn_enter(s, conn, HTTP_PHASE_BODY);
	return MHD_YES;
}

static enum MHD_Result
http_take_body(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, struct http_exchange *x,
	const char *data, size_t *size)
{
	/*
	 * A chunked body gives no length up front. Past the cap, a request
	 * not yet asked about may be signed in and allowed more; else hang
	 * up, as libmicrohttpd cannot reply in the middle of a body.
	 */
	if (*size > x->limit - x->len) {
		struct error err;
		if (x->asked || http_ask_signed_in(s, c, method, path, x,
				    &err) != 1 || *size > x->limit - x->len)
			return MHD_NO;
	}
	if (x->len + *size > x->cap) {
		x->cap = x->cap * 2 > x->len + *size ? x->cap * 2 :
			x->len + *size;
		if (x->cap > x->limit)
			x->cap = x->limit;
		x->body = xrealloc(x->body, x->cap);
	}
	memcpy(x->body + x->len, data, *size);
	x->len += *size;
	*size = 0;
	return MHD_YES;
}

/* Runs the request's handler, which always replies. */
static void
http_handle(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, const struct http_exchange *x,
	struct http_reply *reply)
{
	struct http_request req = {
		.server = s,
		.connection = c,
		.method = method,
		.path = path,
		.body = span_make(x->body != NULL ? x->body : "", x->len),
	};
	reply->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	x->route->handler(&req, reply);
	if (reply->body == NULL && !reply->web && reply->spool == NULL &&
	    reply->text == NULL)
		abort();	/* a handler that forgot to reply */
}

/*
 * Only reads are answered on the request threads. Every other method may
 * wait: a write for its commit (store_writer.c), a sign-in for Argon2id;
 * and so may the API reads that say so (an export, a body from the blob
 * store).
 */
static bool
http_may_wait(const struct http_server *s, const struct http_exchange *x,
	const char *method, const char *path)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return true;
	return x->route->handler == http_api_dispatch &&
		s->opts.api_waits != NULL &&
		s->opts.api_waits(s->opts.api_ctx, method, path);
}

/* On a waiting thread: the reply is made, and the connection resumed. */
static void
http_waited(struct http_wait_job *job)
{
	struct http_exchange *x = (struct http_exchange *)(void *)
		((char *)job - offsetof(struct http_exchange, job));
	struct MHD_Connection *c = x->connection;
	struct http_reply *reply = xcalloc(1, sizeof(*reply));
	http_handle(x->server, c, x->method, x->path, x, reply);
	x->reply = reply;
	atomic_store(&x->waited, HTTP_WAIT_MADE);
	/* libmicrohttpd calls http_access again, which sends it. */
	MHD_resume_connection(c);
}

static enum MHD_Result
http_finish(struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, struct http_exchange *x)
{
	/* The body is in: from here the idle timeout is the only clock. */
	http_conn_enter(s, http_conn_of(c), HTTP_PHASE_REPLY);
	if (s->wait != NULL && http_may_wait(s, x, method, path)) {
		x->job.run = http_waited;
		x->server = s;
		x->connection = c;
		x->method = method;
		x->path = path;
		x->counted = true;
		atomic_fetch_add(&s->waited_open, 1);
		metrics_add(s->m_waiting, 1);
		atomic_store(&x->waited, HTTP_WAIT_RUNNING);
		MHD_suspend_connection(c);
		/* Once stopping has begun, this thread runs it. */
		if (http_wait_run(s->wait, &x->job))
			return MHD_YES;
		atomic_store(&x->waited, HTTP_WAIT_NONE);
		MHD_resume_connection(c);
	}
	struct http_reply reply = { 0 };
	http_handle(s, c, method, path, x, &reply);
	/* Asked again (as libmicrohttpd stops), it is not run twice. */
	atomic_store(&x->waited, HTTP_WAIT_SENT);
	return http_send(s, c, method, path, &reply);
}

/*
 * The reply a waiting thread made, sent from the request thread. A handler
 * runs once for a request whatever libmicrohttpd asks: as it stops, it was
 * seen to call again for a request whose waited reply had been queued.
 */
static enum MHD_Result
http_send_waited(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, struct http_exchange *x)
{
	switch (atomic_load(&x->waited)) {
	case HTTP_WAIT_RUNNING:
		return MHD_YES;		/* still waiting: nothing to send yet */
	case HTTP_WAIT_SENT:
		return MHD_NO;		/* sent already: close */
	default:
		break;
	}
	struct http_reply *reply = x->reply;
	x->reply = NULL;
	atomic_store(&x->waited, HTTP_WAIT_SENT);
	enum MHD_Result rc = http_send(s, c, method, path, reply);
	free(reply);
	return rc;
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload_data,
	size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_exchange *x = *con_cls;
	if (x == NULL)
		return http_begin(s, c, method, url, version, con_cls);
	if (*upload_data_size > 0)
		return http_take_body(s, c, method, url, x, upload_data,
			upload_data_size);
	if (atomic_load(&x->waited) != HTTP_WAIT_NONE)
		return http_send_waited(s, c, method, url, x);
	return http_finish(s, c, method, url, x);
}

/* A waited reply never sent: the connection ended first. */
static void
http_drop_reply(struct http_reply *reply)
{
	http_reply_clear(reply);
	if (reply->web && reply->fd >= 0)
		close(reply->fd);
	free(reply);
}

static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	struct http_server *s = cls;
	struct http_exchange *x = *con_cls;
	/* The next request on this connection has its headers' time. */
	http_conn_enter(s, http_conn_of(c), HTTP_PHASE_HEADERS);
	if (x == NULL)
		return;
	if (x->reply != NULL)
		http_drop_reply(x->reply);
	if (x->counted) {
		atomic_fetch_sub(&s->waited_open, 1);
		metrics_add(s->m_waiting, -1);
	}
	free(x->body);
	free(x);
	*con_cls = NULL;
}

static void
http_notify_connection(void *cls, struct MHD_Connection *c,
	void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = http_conn_opened(s, c);
	} else {
		http_conn_closed(s, *socket_context);
		*socket_context = NULL;
	}
}

static struct http_server *
http_server_new(const struct http_server_options *opts)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	s->opts = *opts;
	s->listen = xstrdup(opts->listen);
	s->opts.listen = s->listen;
	s->web_root = opts->web_root != NULL && opts->web_root[0] != '\0' ?
		xstrdup(opts->web_root) : NULL;
	s->opts.web_root = s->web_root;
	s->metrics_allow = xstrdup(opts->metrics_allow != NULL ?
		opts->metrics_allow : "");
	s->opts.metrics_allow = s->metrics_allow;
	s->opts.cert_path = s->opts.key_path = NULL;	/* read at start only */
	if (s->opts.max_connections == 0)
		s->opts.max_connections = HTTP_DEFAULT_CONNECTIONS;
	if (s->opts.threads == 0)
		s->opts.threads = cores_usable();
	/* libmicrohttpd reads 0 as "never time out": a slowloris invitation. */
	if (s->opts.timeout_s == 0)
		s->opts.timeout_s = HTTP_DEFAULT_TIMEOUT_S;
	if (s->opts.header_timeout_s == 0)
		s->opts.header_timeout_s = HTTP_DEFAULT_HEADER_TIMEOUT_S;
	if (s->opts.body_timeout_s == 0)
		s->opts.body_timeout_s = HTTP_DEFAULT_BODY_TIMEOUT_S;
	if (s->opts.max_body == 0)
		s->opts.max_body = HTTP_DEFAULT_BODY;
	if (s->opts.max_body_unauthenticated == 0)
		s->opts.max_body_unauthenticated =
			HTTP_DEFAULT_BODY_UNAUTHENTICATED;
	/* Signing in never lowers the cap. */
	if (s->opts.max_body < s->opts.max_body_unauthenticated)
		s->opts.max_body = s->opts.max_body_unauthenticated;
	s->m_open = metrics_series(&net_metric_sessions_open, "http", NULL);
	s->m_accepted = metrics_series(&net_metric_sessions_accepted, "http",
		NULL);
	s->m_refused = metrics_series(&net_metric_sessions_refused, "http",
		NULL);
	s->m_waiting = metrics_series(&http_metric_waiting, NULL, NULL);
	pthread_mutex_init(&s->log_lock, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->reaper_wake, &attr);
	pthread_condattr_destroy(&attr);
	s->listen_fd = s->accept_wake[0] = s->accept_wake[1] = -1;
	return s;
}

static void
http_server_free(struct http_server *s)
{
	pthread_cond_destroy(&s->reaper_wake);
	pthread_mutex_destroy(&s->conns_lock);
	pthread_mutex_destroy(&s->log_lock);
	free(s->listen);
	free(s->web_root);
	free(s->metrics_allow);
	free(s);
}

static void
http_free_key(char *key, size_t len)
{
	if (key == NULL)
		return;
	sodium_memzero(key, len);
	free(key);
}

static int
http_read_tls(const struct http_server_options *opts, char **cert_r,
	char **key_r, size_t *key_len_r, struct error *err)
{
	if (opts->cert_path == NULL || opts->key_path == NULL)
		return error_set(err, ERROR_INVALID,
			"HTTPS needs a certificate and a key file");
	*cert_r = file_read_all(opts->cert_path, HTTP_MAX_PEM, NULL, err);
	if (*cert_r == NULL)
		return -1;
	*key_r = file_read_all(opts->key_path, HTTP_MAX_PEM, key_len_r, err);
	if (*key_r == NULL) {
		free(*cert_r);
		*cert_r = NULL;
		return -1;
	}
	return 0;
}

static struct MHD_Daemon *
http_start_daemon(struct http_server *s, const char *cert, const char *key)
{
	/*
	 * A pool of threads, each with its own epoll set of connections: with
	 * one thread per connection, 64 busy clients on 2 cores made the
	 * slowest answers 3-5 times the mean (bench B9). As many as the cores
	 * by default: more time-slice searches against each other (B5). What
	 * may wait is suspended and run on the waiting threads (http_wait.c).
	 * The daemon has no listening socket: http_accept.c accepts and hands
	 * it each connection (the ITC wakes the thread given one).
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC | MHD_USE_EPOLL |
		MHD_ALLOW_SUSPEND_RESUME;
	if (s->opts.tls)
		flags |= MHD_USE_TLS;
	/* A pool of one is no pool: libmicrohttpd warns and runs one thread. */
	struct MHD_OptionItem more[5];
	size_t n = 0;
	if (s->opts.threads > 1)
		more[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
			(intptr_t)s->opts.threads, NULL };
	if (s->opts.tls) {
		more[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
			0, (void *)(uintptr_t)cert };
		more[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY,
			0, (void *)(uintptr_t)key };
		more[n++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)(uintptr_t)tls_priorities() };
	}
	more[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* The logger goes first, so no earlier option logs to stderr. */
	return MHD_start_daemon(flags, 0, NULL, NULL, http_access, s,
		MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s,
		MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, http_notify_connection, s,
		MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, s,
		MHD_OPTION_CONNECTION_LIMIT, s->opts.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->opts.max_per_ip,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)HTTP_CONNECTION_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, s->opts.timeout_s,
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_ARRAY, more,
		MHD_OPTION_END);
}

static struct http_server *
http_start_failed(struct http_server *s, int saved, struct error *err)
{
	pthread_mutex_lock(&s->log_lock);
	error_set(err, ERROR_INTERNAL, "cannot serve HTTP on %s: %s",
		s->listen, s->last_log[0] != '\0' ? s->last_log :
		strerror(saved));
	pthread_mutex_unlock(&s->log_lock);
	http_server_free(s);
	return NULL;
}

int
http_server_check_settings(const char *listen, const char *metrics_allow,
	struct error *err)
{
	struct net_address l;
	if (net_address_parse(listen, &l, err) < 0)
		return -1;
	return http_metrics_check_allow(metrics_allow, err);
}

struct http_server *
http_server_start(const struct http_server_options *opts, struct error *err)
{
	struct net_address l;
	assert(opts->store_ping != NULL);
	if (http_server_check_settings(opts->listen, opts->metrics_allow,
		    err) < 0 ||
	    net_address_parse(opts->listen, &l, err) < 0)
		return NULL;
	char *cert = NULL, *key = NULL;
	size_t key_len = 0;
	if (opts->tls && http_read_tls(opts, &cert, &key, &key_len, err) < 0)
		return NULL;
	struct http_server *s = http_server_new(opts);
	if (http_acceptor_bind(s, &l, err) < 0 ||
	    (s->opts.wait_threads > 0 && (s->wait = http_wait_start(
		s->opts.wait_threads, err)) == NULL) ||
	    http_reaper_start(s, err) < 0) {
		http_free_key(key, key_len);
		free(cert);
		http_wait_free(&s->wait);
		http_acceptor_stop(s);
		http_server_free(s);
		return NULL;
	}
	errno = 0;
	s->daemon = http_start_daemon(s, cert, key);
	int start_errno = errno;
	/* libmicrohttpd has handed the key to GnuTLS; our copy goes now. */
	http_free_key(key, key_len);
	free(cert);
	if (s->daemon == NULL) {
		http_wait_free(&s->wait);
		http_acceptor_stop(s);
		http_reaper_stop(s);
		return http_start_failed(s, start_errno, err);
	}
	if (http_acceptor_start(s, err) < 0) {
		http_wait_free(&s->wait);
		MHD_stop_daemon(s->daemon);
		http_acceptor_stop(s);
		http_reaper_stop(s);
		http_server_free(s);
		return NULL;
	}
	log_info("http.start",
		"listen=%s port=%u tls=%s max_per_ip=%u threads=%u "
		"wait_threads=%u web_root=\"%s\"",
		s->listen, (unsigned)s->port, s->opts.tls ? "on" : "off",
		s->opts.max_per_ip, s->opts.threads, s->opts.wait_threads,
		s->web_root != NULL ? s->web_root : "");
	return s;
}

uint16_t
http_server_port(const struct http_server *s)
{
	return s->port;
}

/* Until every waited reply has gone, or HTTP_STOP_REPLIES_MS. */
static void
http_wait_replies(struct http_server *s)
{
	int64_t until = clock_monotonic_ms() + HTTP_STOP_REPLIES_MS;
	while (atomic_load(&s->waited_open) > 0 &&
	       clock_monotonic_ms() < until) {
		struct timespec pause = { .tv_nsec = 5 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
}

void
http_server_stop(struct http_server **s)
{
	if (*s == NULL)
		return;
	/*
	 * No connection is handed to a daemon that is stopping. Every request
	 * already waiting is run to its end (one that comes to wait after
	 * that runs on its request thread), and its reply given a while to
	 * go out before the daemon stops and closes the connections.
	 */
	http_acceptor_stop(*s);
	http_wait_stop((*s)->wait);
	http_wait_replies(*s);
	MHD_stop_daemon((*s)->daemon);
	http_wait_free(&(*s)->wait);
	http_reaper_stop(*s);
	log_info("http.stop", "listen=%s", (*s)->listen);
	http_server_free(*s);
	*s = NULL;
}
