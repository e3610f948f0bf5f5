/*
 * The HTTP listener on libmicrohttpd: binding, TLS, reading a request,
 * dispatching it through the route table and sending the reply with the
 * security headers. Layer: front end. RFC 9110, RFC 9112, RFC 6797 (HSTS).
 * SECURITY: bodies are capped, unknown paths are refused before any body is
 * read, "%00" is never decoded into a path, the key is wiped once loaded.
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

#include "core/file.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "http_internal.h"

/* Certificate chains and keys are small; anything larger is a wrong file. */
#define HTTP_MAX_PEM (256 * 1024)
/* Used when the options leave these 0; the same as the config defaults. */
#define HTTP_DEFAULT_CONNECTIONS 256
#define HTTP_DEFAULT_TIMEOUT_S 30

/* A request in flight, from its headers to its reply. */
struct http_exchange {
	const struct http_route *route;
	char *body;		/* NULL until the first byte arrives */
	size_t len, cap;
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
	log_warn("http.mhd", "msg=\"%s\"", line);
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

static void
http_add_headers(struct MHD_Response *r, bool tls,
	const struct http_reply *reply)
{
	const char *allow = reply->allow;
	bool ok = true;
	for (size_t i = 0; i < sizeof(http_headers) / sizeof(*http_headers);
	     i++)
		ok &= MHD_add_response_header(r, http_headers[i].name,
			http_headers[i].value) == MHD_YES;
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

static enum MHD_Result
http_send(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, struct http_reply *reply)
{
	char *text = json_dumps(reply->body, JSON_COMPACT);
	if (text == NULL)
		abort();	/* jansson only fails out of memory */
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text),
		text, MHD_RESPMEM_MUST_COPY);
	free(text);
	json_decref(reply->body);
	reply->body = NULL;
	if (r == NULL)
		return MHD_NO;
	http_add_headers(r, s->opts.tls, reply);
	enum MHD_Result queued = MHD_queue_response(c, reply->status, r);
	MHD_destroy_response(r);
	log_debug("http.request", "method=%.32s path=\"%.256s\" status=%u",
		method, path, reply->status);
	return queued;
}

static bool
http_body_too_large(struct MHD_Connection *c)
{
	const char *text = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t declared;
	/* A length too long to parse is too long to read. */
	return text != NULL && (!span_to_u64(span_from_cstr(text), &declared) ||
		declared > HTTP_MAX_BODY);
}

/*
 * The headers are in. A request no route takes is answered now, before its
 * body is read; the rest wait for their body.
 */
static enum MHD_Result
http_begin(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, void **con_cls)
{
	struct http_reply reply = { 0 };
	bool path_known;
	const struct http_route *route = http_route_find(method, path,
		&path_known, reply.allow, sizeof(reply.allow));
	if (route == NULL && path_known)
		http_reply_error(&reply, MHD_HTTP_METHOD_NOT_ALLOWED,
			"method_not_allowed",
			"This page does not accept that method.");
	else if (route == NULL)
		http_reply_error(&reply, MHD_HTTP_NOT_FOUND, "not_found",
			"There is no such page.");
	else if (http_body_too_large(c))
		http_reply_error(&reply, MHD_HTTP_CONTENT_TOO_LARGE, "limit",
			"The request body is too large.");
	if (reply.body != NULL)
		return http_send(s, c, method, path, &reply);
	struct http_exchange *x = xcalloc(1, sizeof(*x));
	x->route = route;
	*con_cls = x;
	return MHD_YES;
}

static enum MHD_Result
http_take_body(struct http_exchange *x, const char *data, size_t *size)
{
	/* A chunked body gives no length up front; past the cap, hang up. */
	if (*size > HTTP_MAX_BODY - x->len)
		return MHD_NO;
	if (x->len + *size > x->cap) {
		x->cap = x->cap * 2 > x->len + *size ? x->cap * 2 :
			x->len + *size;
		x->body = xrealloc(x->body, x->cap);
	}
	memcpy(x->body + x->len, data, *size);
	x->len += *size;
	*size = 0;
	return MHD_YES;
}

static enum MHD_Result
http_finish(const struct http_server *s, struct MHD_Connection *c,
	const char *method, const char *path, const struct http_exchange *x)
{
	struct http_request req = {
		.server = s,
		.connection = c,
		.method = method,
		.path = path,
		.body = span_make(x->body != NULL ? x->body : "", x->len),
	};
	struct http_reply reply = { .status = MHD_HTTP_INTERNAL_SERVER_ERROR };
	x->route->handler(&req, &reply);
	if (reply.body == NULL)
		abort();	/* a handler that forgot to reply */
	return http_send(s, c, method, path, &reply);
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload_data,
	size_t *upload_data_size, void **con_cls)
{
	(void)version;
	const struct http_server *s = cls;
	struct http_exchange *x = *con_cls;
	if (x == NULL)
		return http_begin(s, c, method, url, con_cls);
	if (*upload_data_size > 0)
		return http_take_body(x, upload_data, upload_data_size);
	return http_finish(s, c, method, url, x);
}

static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct http_exchange *x = *con_cls;
	if (x == NULL)
		return;
	free(x->body);
	free(x);
	*con_cls = NULL;
}

static struct http_server *
http_server_new(const struct http_server_options *opts)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	const char *version = opts->version != NULL ? opts->version : "unknown";
	s->opts = *opts;
	s->listen = xstrdup(opts->listen);
	s->version = xmalloc(strlen(version) + 1);
	http_clean_text(s->version, strlen(version) + 1, version);
	s->opts.listen = s->listen;
	s->opts.version = s->version;
	s->opts.cert_path = s->opts.key_path = NULL;	/* read at start only */
	if (s->opts.max_connections == 0)
		s->opts.max_connections = HTTP_DEFAULT_CONNECTIONS;
	/* libmicrohttpd reads 0 as "never time out": a slowloris invitation. */
	if (s->opts.timeout_s == 0)
		s->opts.timeout_s = HTTP_DEFAULT_TIMEOUT_S;
	pthread_mutex_init(&s->log_lock, NULL);
	return s;
}

static void
http_server_free(struct http_server *s)
{
	pthread_mutex_destroy(&s->log_lock);
	free(s->listen);
	free(s->version);
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
http_start_daemon(struct http_server *s, const struct net_address *l,
	const char *cert, const char *key)
{
	/*
	 * A pool of threads, each with its own epoll set of connections: with
	 * one thread per connection, 64 busy clients on 2 cores made the
	 * slowest answers 3-5 times the mean (bench B9). Handlers block (the
	 * store, Argon2id), so the pool is larger than the cores. threads 0
	 * keeps a thread per connection, polled with poll(2) rather than
	 * select(2) so descriptors above FD_SETSIZE still work.
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		(s->opts.threads > 0 ? MHD_USE_EPOLL :
			MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL);
	if (s->opts.tls)
		flags |= MHD_USE_TLS;
	if (l->u.sa.sa_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	const char *priorities = tls_priorities();
	struct MHD_OptionItem tls_options[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		  (void *)(uintptr_t)priorities },
		{ MHD_OPTION_END, 0, NULL },
	};
	/* The logger goes first, so no earlier option logs to stderr. */
	return MHD_start_daemon(flags, net_address_port(l), NULL, NULL,
		http_access, s,
		MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s,
		MHD_OPTION_SOCK_ADDR, &l->u.sa,
		MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
		MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, s,
		MHD_OPTION_CONNECTION_LIMIT, s->opts.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, s->opts.timeout_s,
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_THREAD_POOL_SIZE,
		s->opts.threads > 1 ? s->opts.threads : 0,
		MHD_OPTION_ARRAY, s->opts.tls ? tls_options : tls_options + 3,
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

struct http_server *
http_server_start(const struct http_server_options *opts, struct error *err)
{
	struct net_address l;
	assert(opts->store_ping != NULL);
	if (net_address_parse(opts->listen, &l, err) < 0)
		return NULL;
	char *cert = NULL, *key = NULL;
	size_t key_len = 0;
	if (opts->tls && http_read_tls(opts, &cert, &key, &key_len, err) < 0)
		return NULL;
	struct http_server *s = http_server_new(opts);
	errno = 0;
	s->daemon = http_start_daemon(s, &l, cert, key);
	int start_errno = errno;
	/* libmicrohttpd has handed the key to GnuTLS; our copy goes now. */
	http_free_key(key, key_len);
	free(cert);
	if (s->daemon == NULL)
		return http_start_failed(s, start_errno, err);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon,
		MHD_DAEMON_INFO_BIND_PORT);
	s->port = info != NULL ? info->port : 0;
	log_info("http.start", "listen=%s port=%u tls=%s", s->listen,
		(unsigned)s->port, s->opts.tls ? "on" : "off");
	return s;
}

uint16_t
http_server_port(const struct http_server *s)
{
	return s->port;
}

void
http_server_stop(struct http_server **s)
{
	if (*s == NULL)
		return;
	MHD_stop_daemon((*s)->daemon);
	log_info("http.stop", "listen=%s", (*s)->listen);
	http_server_free(*s);
	*s = NULL;
}
