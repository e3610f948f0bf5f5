/*
 * One HTTPS POST: parse the URL, connect, TLS with certificate and name
 * verification, send the request, read the status line. Layer: core.
 * RFC 9112 (HTTP/1.1 message syntax), RFC 6125 (name checks, by GnuTLS).
 * SECURITY: verification is never optional; the bearer token is not
 * logged.
 */
#include "https.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "error.h"
#include "str.h"
#include "tls.h"

struct url_parts {
	char host[256];
	char port[8];
	char path[1024];
};

static int
parse_url(const char *url, struct url_parts *u, struct error *err)
{
	static const char scheme[] = "https://";
	if (url == NULL || strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return error_set(err, ERROR_INVALID,
			"the gateway URL must start with https://");
	const char *p = url + sizeof(scheme) - 1;
	size_t hostlen;
	const char *after;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (close == NULL)
			return error_set(err, ERROR_INVALID,
				"the gateway URL has an unclosed [");
		p++;
		hostlen = (size_t)(close - p);
		after = close + 1;
	} else {
		hostlen = strcspn(p, ":/");
		after = p + hostlen;
	}
	if (hostlen == 0 || hostlen >= sizeof(u->host))
		return error_set(err, ERROR_INVALID,
			"the gateway URL has no usable host");
	memcpy(u->host, p, hostlen);
	u->host[hostlen] = '\0';
	size_t portlen = 0;
	if (*after == ':') {
		after++;
		portlen = strspn(after, "0123456789");
		if (portlen == 0 || portlen >= sizeof(u->port))
			return error_set(err, ERROR_INVALID,
				"the gateway URL has a bad port");
		memcpy(u->port, after, portlen);
		after += portlen;
	}
	u->port[portlen] = '\0';
	if (portlen == 0)
		snprintf(u->port, sizeof(u->port), "443");
	if (*after != '\0' && *after != '/')
		return error_set(err, ERROR_INVALID,
			"the gateway URL is not host[:port]/path");
	if (snprintf(u->path, sizeof(u->path), "%s",
		    *after == '\0' ? "/" : after) >= (int)sizeof(u->path) ||
	    strpbrk(u->path, " \r\n") != NULL)
		return error_set(err, ERROR_INVALID,
			"the gateway URL's path is too long or has spaces");
	return 0;
}

static int
connect_to(const struct url_parts *u, int timeout_ms, struct error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0)
		return error_set(err, ERROR_TEMPORARY, "cannot resolve %s: %s",
			u->host, gai_strerror(rc));
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd = -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		/* On Linux the send timeout bounds connect(2) as well. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return error_set(err, ERROR_TEMPORARY, "cannot connect to %s "
			"port %s", u->host, u->port);
	return fd;
}

static bool
is_ip_literal(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 ||
		inet_pton(AF_INET6, host, buf) == 1;
}

static int
tls_setup(gnutls_session_t s, gnutls_certificate_credentials_t cred,
	const struct url_parts *u, const char *ca_file, struct error *err)
{
	int n = ca_file != NULL && ca_file[0] != '\0' ?
		gnutls_certificate_set_x509_trust_file(cred, ca_file,
			GNUTLS_X509_FMT_PEM) :
		gnutls_certificate_set_x509_system_trust(cred);
	if (n <= 0)
		return error_set(err, ERROR_TEMPORARY, "no trusted CA "
			"certificates could be loaded%s%s",
			ca_file != NULL && ca_file[0] != '\0' ? " from " : "",
			ca_file != NULL ? ca_file : "");
	if (gnutls_priority_set_direct(s, tls_priorities(), NULL) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		return error_set(err, ERROR_INTERNAL,
			"cannot set up a TLS client session");
	/* RFC 6066 §3: SNI carries names only, never addresses. */
	if (!is_ip_literal(u->host))
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, u->host,
			strlen(u->host));
	gnutls_session_set_verify_cert(s, u->host, 0);
	return 0;
}

static int
send_all(gnutls_session_t s, const char *data, size_t len,
	struct error *err)
{
	while (len > 0) {
		ssize_t n = gnutls_record_send(s, data, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return error_set(err, ERROR_TEMPORARY,
				"sending to the gateway failed: %s",
				gnutls_strerror((int)n));
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the status line is complete; 0 for a 2xx status. */
static int
read_status(gnutls_session_t s, struct error *err)
{
	char buf[512];
	size_t used = 0;
	while (used < sizeof(buf) - 1 && memchr(buf, '\n', used) == NULL) {
		ssize_t n = gnutls_record_recv(s, buf + used,
			sizeof(buf) - 1 - used);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %3d", &status) != 1)
		return error_set(err, ERROR_TEMPORARY,
			"the gateway sent no HTTP reply");
	if (status < 200 || status > 299)
		return error_set(err, ERROR_TEMPORARY,
			"the gateway answered with status %d", status);
	return 0;
}

static int
exchange(gnutls_session_t s, const struct url_parts *u,
	const struct https_post *p, struct error *err)
{
	int rc;
	do {
		rc = gnutls_handshake(s);
	} while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
	if (rc < 0)
		return error_set(err, ERROR_TEMPORARY,
			"TLS with the gateway %s failed: %s", u->host,
			gnutls_strerror(rc));
	size_t body_len = strlen(p->body);
	char head[2048];
	bool bearer = p->bearer != NULL && p->bearer[0] != '\0';
	int n = snprintf(head, sizeof(head),
		"POST %s HTTP/1.1\r\nHost: %s:%s\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n"
		"%s%s%sConnection: close\r\n\r\n", u->path, u->host, u->port,
		body_len, bearer ? "Authorization: Bearer " : "",
		bearer ? p->bearer : "", bearer ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (bearer && strpbrk(p->bearer, "\r\n") != NULL))
		return error_set(err, ERROR_INVALID,
			"the gateway token is too long or has line breaks");
	rc = send_all(s, head, (size_t)n, err);
	explicit_bzero(head, sizeof(head));
	if (rc < 0 || send_all(s, p->body, body_len, err) < 0)
		return -1;
	rc = read_status(s, err);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	return rc;
}

int
https_post_json(const struct https_post *p, struct error *err)
{
	struct url_parts u;
	if (parse_url(p->url, &u, err) < 0)
		return -1;
	int fd = connect_to(&u, p->timeout_ms, err);
	if (fd < 0)
		return -1;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	int rc = -1;
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_init(&s, GNUTLS_CLIENT) < 0) {
		error_set(err, ERROR_INTERNAL, "cannot start a TLS client");
	} else if (tls_setup(s, cred, &u, p->ca_file, err) == 0) {
		gnutls_transport_set_int(s, fd);
		gnutls_handshake_set_timeout(s, (unsigned)p->timeout_ms);
		rc = exchange(s, &u, p, err);
	}
	if (s != NULL)
		gnutls_deinit(s);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	close(fd);
	return rc;
}
