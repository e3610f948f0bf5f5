/*
 * A minimal HTTPS client: one JSON POST, for calling out to a gateway (the
 * SMS one), and one bounded GET (MTA-STS policies). Layer: core. libcurl over GnuTLS; the server's certificate is
 * verified against the system's CAs or a given CA file, and its name or IP
 * address must match the URL's host.
 */
#ifndef CORE_HTTPS_H
#define CORE_HTTPS_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

struct arena;
struct error;

struct https_post {
	const char *url;	/* https://host[:port]/path */
	const char *bearer;	/* Authorization: Bearer, or NULL/"" none */
	const char *body;	/* JSON text */
	const char *ca_file;	/* PEM; NULL or "" for the system's CAs */
	int timeout_ms;		/* for the whole exchange, connecting included */
};

/*
 * Sends the POST and reads the reply's status line; 0 for a 2xx status.
 * ERROR_INVALID for a URL that is not https://host..., ERROR_TEMPORARY
 * (with the reason) when the server cannot be reached, fails
 * verification, or answers with another status.
 */
int https_post_json(const struct https_post *p, struct error *err);

struct https_get {
	const char *url;	/* https://host[:port]/path */
	const char *ca_file;	/* PEM; NULL or "" for the system's CAs */
	int timeout_ms;		/* for the whole exchange, connecting included */
	size_t max_bytes;	/* a longer body is refused */
	/* The media type the answer must carry ("text/plain"); NULL: any. */
	const char *content_type;
	/*
	 * "ADDRESS:PORT" to connect to instead of what the URL's host
	 * resolves to, the certificate still checked for the URL's host (as
	 * curl --connect-to); for tests on loopback. NULL or "": none.
	 */
	const char *connect_to;
};

/*
 * GETs the URL with the same checks as the POST and no redirect followed:
 * 0 with the body (NUL-terminated, from the arena) for a 200 answer of the
 * media type asked for and at most max_bytes. ERROR_INVALID for a URL that
 * is not https://host..., ERROR_TEMPORARY with the reason otherwise;
 * *cert_failed_r is set when the server's certificate was not valid for
 * the host.
 */
int https_get(const struct https_get *g, struct arena *a, struct span *body_r,
	bool *cert_failed_r, struct error *err);

/*
 * For another libcurl user of caremail (the S3 blob store, store/): starts
 * libcurl once per process (curl_global_init is not thread-safe
 * everywhere); ERROR_INTERNAL if it cannot.
 */
int https_curl_start(struct error *err);

/*
 * Sets on a libcurl easy handle (a CURL *, void here so that this header
 * needs no curl.h) the options every request of caremail has: the URL,
 * https only, the certificate and its name checked (against ca_file only
 * when one is given), TLS 1.2 or later with ECDHE and an AEAD cipher
 * (checked once connected, before anything is sent: a weaker session ends
 * in CURLE_ABORTED_BY_CALLBACK), no redirect, no proxy, timeout_ms for the
 * whole exchange. allow_http lets an http:// URL through too: only for a
 * caller that has checked the host is the loopback (tests). errbuf is
 * CURL_ERROR_SIZE bytes. Returns the CURLcode: 0 when every option took.
 */
int https_curl_options(void *handle, const char *url, const char *ca_file,
	int timeout_ms, bool allow_http, char *errbuf);

#endif
