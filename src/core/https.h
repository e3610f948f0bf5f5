/*
 * A minimal HTTPS client: one JSON POST, for calling out to a gateway (the
 * SMS one). Layer: core. libcurl over GnuTLS; the server's certificate is
 * verified against the system's CAs or a given CA file, and its name or IP
 * address must match the URL's host.
 */
#ifndef CORE_HTTPS_H
#define CORE_HTTPS_H

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

#endif
