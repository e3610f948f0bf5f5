/*
 * The HTTP front end: the health check, the JSON API and the web pages,
 * served by libmicrohttpd with a pool of epoll threads. Layer: front
 * end. RFC 9110 (semantics), RFC 9112 (HTTP/1.1), RFC 6797 (HSTS).
 * SECURITY: every response carries no-store, nosniff, CSP, Referrer-Policy
 * and, over TLS, HSTS; no version banner; TLS 1.2/1.3 only (tls.h); caps
 * per address, header and body deadlines, small bodies until signed in.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store_types.h"

struct http_call;
struct http_server;
struct json_t;
struct spool;

struct http_server_options {
	const char *listen;		/* "127.0.0.1:8080" or "[::1]:8080" */
	bool tls;			/* HTTPS with cert_path and key_path */
	const char *cert_path, *key_path;	/* PEM files */
	unsigned max_connections;	/* 0: 256 */
	unsigned max_per_ip;		/* connections from one address; 0: any */
	/*
	 * Request threads, each serving many connections; 0: one per core.
	 * Requests that may wait (every method but GET and HEAD, and the API
	 * reads api_waits names) run on wait_threads threads of their own;
	 * 0: on the request threads.
	 */
	unsigned threads, wait_threads;
	unsigned timeout_s;		/* idle seconds; 0: 30 */
	/*
	 * Deadlines, not idle timeouts: a request's headers must be whole
	 * within header_timeout_s of the connection opening or of the
	 * previous reply, and its body within body_timeout_s of its headers,
	 * however steadily the bytes trickle in. 0: 20 and 60.
	 */
	unsigned header_timeout_s, body_timeout_s;
	/*
	 * Largest body read from a request not known to be signed in, and
	 * from one that is (signed_in said so). 0: 8 KiB and 1 MiB.
	 */
	size_t max_body_unauthenticated, max_body;
	/*
	 * Checks the store is reachable; 0 or -1 with err. Called per
	 * request, from any thread.
	 */
	int (*store_ping)(void *ctx, struct error *err);
	void *ctx;
	/*
	 * The audit chain's state for /healthcheck ("ok", "broken", ...), or
	 * NULL to leave it out. Called per request, from any thread.
	 */
	const char *(*audit_state)(void *audit_ctx);
	void *audit_ctx;
	/*
	 * The outbound queue's counts for /healthcheck (store_queue_counts),
	 * read through ctx; NULL leaves them out. -1 leaves them out too.
	 */
	int (*queue_counts)(void *ctx, struct store_queue_counts *c_r);
	/*
	 * Maintenance mode for /healthcheck: 0 with *on_r and *until_r (the
	 * expected end, 0 none), read through ctx; NULL or -1 leaves it out.
	 * It never makes the check fail: mail goes on in maintenance.
	 */
	int (*maintenance)(void *ctx, bool *on_r, int64_t *until_r);
	/*
	 * Answers every request under /api/v1/ (any method), or NULL to
	 * answer them 404. Called from any thread; must reply (below).
	 */
	void (*api)(void *api_ctx, struct http_call *call);
	/*
	 * Whether an /api/v1/ request comes from a live session or a valid
	 * API token: 1 yes, 0 no, -1 with err when that cannot be told (the
	 * store is down). Asked only when a body would pass
	 * max_body_unauthenticated, before it is read; the call has headers
	 * but no body, and must not be replied to. NULL: never signed in.
	 */
	int (*signed_in)(void *api_ctx, struct http_call *call,
		struct error *err);
	/*
	 * Whether an API read (GET or HEAD below /api/v1/) may take long, so
	 * runs on the waiting threads too: method and the whole path. NULL:
	 * none does. Called on a request thread, before the body is handled.
	 */
	bool (*api_waits)(void *api_ctx, const char *method,
		const char *path);
	void *api_ctx;
	/*
	 * The directory of built web pages (docs/web.md), served for every
	 * GET and HEAD no other route takes; NULL or "": none, and such
	 * paths answer a JSON 404 as before. Opened per request, so a
	 * rebuild is served without a restart.
	 */
	const char *web_root;
	/*
	 * Who may read GET /metrics: addresses and CIDR blocks, comma
	 * separated; NULL or "": nobody. Checked at start (ERROR_INVALID).
	 */
	const char *metrics_allow;
};

/*
 * One request handed to the api handler, and its reply. Valid only during
 * the call; strings returned are the server's, not to be freed.
 */
const char *http_call_method(const struct http_call *call);
/* The decoded path, without the query. */
const char *http_call_path(const struct http_call *call);
/* A request header's value, or NULL when absent. */
const char *http_call_header(const struct http_call *call, const char *name);
/* A query-string argument's decoded value, or NULL when absent. */
const char *http_call_query(const struct http_call *call, const char *name);
/*
 * The HTTP status for a domain error: the one table, for the JSON API and
 * the server alike (http_reply.c says why each row is what it is).
 */
unsigned http_status_for_error(enum error_code code);
/* A cookie's value from the Cookie header, or NULL. */
const char *http_call_cookie(const struct http_call *call, const char *name);
/* The whole body (at most max_body); *len_r is 0 when there is none. */
const char *http_call_body(const struct http_call *call, size_t *len_r);
/* The client's IP address as text into buf[size], or "". */
void http_call_peer(const struct http_call *call, char *buf, size_t size);
/* Whether the request came over TLS. */
bool http_call_is_tls(const struct http_call *call);
/* Sets the reply: status and a JSON body, which the reply takes. */
void http_call_reply(struct http_call *call, unsigned status,
	struct json_t *body);
/*
 * Sets the reply: status and a JSON body already written as text (len
 * bytes, copied), for a reply made too often to build as a tree (bench
 * B5). It is not added to: http_call_reply_body gives NULL.
 */
void http_call_reply_json_text(struct http_call *call, unsigned status,
	const char *json, size_t len);
/*
 * Sets the reply: status and the spool's content as the body, sent as
 * content_type (a static string) with the API's other headers (no-store,
 * nosniff, CSP), for a download. Takes sp, whatever happens: it is freed
 * once sent, or at once on failure. 0, or -1 with spool_view's error (the
 * reply is then unchanged).
 */
int http_call_reply_spool(struct http_call *call, unsigned status,
	const char *content_type, struct spool *sp, struct error *err);
/* The reply's body so far (NULL before http_call_reply), to add to. */
struct json_t *http_call_reply_body(struct http_call *call);
/*
 * Adds a header to the reply besides the security headers every reply
 * has (Set-Cookie, say). Aborts past 4 headers or 512 bytes: a bug.
 */
void http_call_add_header(struct http_call *call, const char *name,
	const char *value);

/*
 * Binds and starts serving in background threads. The options' strings are
 * copied; ctx must outlive the server. ERROR_INVALID for a bad listen
 * address (a numeric IPv4 or bracketed IPv6 address and a port; port 0 picks
 * a free one), ERROR_INTERNAL when the port cannot be bound (message names
 * the address and the reason); the errors of file_read_all for unreadable
 * certificate or key files.
 */
struct http_server *http_server_start(const struct http_server_options *opts,
	struct error *err);

/*
 * The settings http_server_start would refuse (listen address, metrics
 * allow list), checked alone: serve calls it before any listener binds, so
 * a mistake in the HTTP settings is reported as itself, not hidden behind
 * another listener's port being taken. ERROR_INVALID naming the setting.
 */
int http_server_check_settings(const char *listen, const char *metrics_allow,
	struct error *err);

/* The port the server listens on: the one asked for, or the one port 0 got. */
uint16_t http_server_port(const struct http_server *s);

/* Stops accepting, waits for connections to end, frees, sets *s to NULL. */
void http_server_stop(struct http_server **s);

#endif
