/*
 * The HTTP front end: the health check now, the JSON API and portal later,
 * served by libmicrohttpd with one thread per connection. Layer: front end.
 * RFC 9110 (semantics), RFC 9112 (HTTP/1.1), RFC 6797 (HSTS).
 * SECURITY: every response carries no-store, nosniff, CSP, Referrer-Policy
 * and, over TLS, HSTS; no version banner; TLS 1.2/1.3 only (tls.h).
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <stdbool.h>
#include <stdint.h>

struct error;
struct http_server;

struct http_server_options {
	const char *listen;		/* "127.0.0.1:8080" or "[::1]:8080" */
	bool tls;			/* HTTPS with cert_path and key_path */
	const char *cert_path, *key_path;	/* PEM files */
	unsigned max_connections;	/* 0: 256 */
	unsigned timeout_s;		/* idle seconds; 0: 30 */
	const char *version;		/* reported by /healthcheck */
	/*
	 * Checks the store is reachable; 0 or -1 with err. Called per
	 * request, from any thread.
	 */
	int (*store_ping)(void *ctx, struct error *err);
	void *ctx;
};

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

/* The port the server listens on: the one asked for, or the one port 0 got. */
uint16_t http_server_port(const struct http_server *s);

/* Stops accepting, waits for connections to end, frees, sets *s to NULL. */
void http_server_stop(struct http_server **s);

#endif
