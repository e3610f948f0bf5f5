/*
 * TLS on a connection with GnuTLS: server credentials, the handshake for
 * implicit TLS and STARTTLS, and records over our own socket transport so
 * every wait keeps the connection's deadline. Layer: core. RFC 8446, RFC 5246,
 * RFC 3207 §4.2, RFC 8314. SECURITY: TLS 1.2/1.3 per tls_priorities(); no
 * renegotiation; plaintext sent before a STARTTLS handshake is dropped.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "file.h"
#include "log.h"
#include "net_internal.h"
#include "tls.h"
#include "xmalloc.h"

/* Certificate chains and keys are small; anything larger is a wrong file. */
#define NET_MAX_PEM (256 * 1024)
/* How long a failed handshake's alert may take to leave. */
#define NET_ALERT_WAIT_MS 1000

struct net_tls {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t priority;
};

static int
net_tls_load(struct net_tls *t, const char *cert_path, const char *key_path,
	struct error *err)
{
	size_t cert_len, key_len;
	char *cert = file_read_all(cert_path, NET_MAX_PEM, &cert_len, err);
	if (cert == NULL)
		return -1;
	char *key = file_read_all(key_path, NET_MAX_PEM, &key_len, err);
	if (key == NULL) {
		free(cert);
		return -1;
	}
	gnutls_datum_t c = { (unsigned char *)cert, (unsigned)cert_len };
	gnutls_datum_t k = { (unsigned char *)key, (unsigned)key_len };
	/* GnuTLS checks that the key belongs to the certificate. */
	int rc = gnutls_certificate_set_x509_key_mem2(t->cred, &c, &k,
		GNUTLS_X509_FMT_PEM, NULL, 0);
	sodium_memzero(key, key_len);
	free(key);
	free(cert);
	if (rc < 0)
		return error_set(err, ERROR_INVALID,
			"cannot use %s with %s: %s", cert_path, key_path,
			gnutls_strerror(rc));
	return 0;
}

struct net_tls *
net_tls_new(const char *cert_path, const char *key_path, struct error *err)
{
	struct net_tls *t = xcalloc(1, sizeof(*t));
	int rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0) {
		free(t);
		error_set(err, ERROR_INTERNAL, "cannot set up TLS: %s",
			gnutls_strerror(rc));
		return NULL;
	}
	rc = gnutls_priority_init(&t->priority, tls_priorities(), NULL);
	if (rc < 0) {
		t->priority = NULL;
		error_set(err, ERROR_INTERNAL,
			"cannot use tls_priorities(): %s", gnutls_strerror(rc));
		net_tls_free(&t);
		return NULL;
	}
	if (net_tls_load(t, cert_path, key_path, err) < 0)
		net_tls_free(&t);
	return t;
}

void
net_tls_free(struct net_tls **t)
{
	if (*t == NULL)
		return;
	if ((*t)->priority != NULL)
		gnutls_priority_deinit((*t)->priority);
	gnutls_certificate_free_credentials((*t)->cred);
	free(*t);
	*t = NULL;
}

/* Starts a GnuTLS call that may wait until deadline_ms. */
static void
net_tls_begin(struct net_conn *c, int64_t deadline_ms)
{
	c->deadline_ms = deadline_ms;
	c->timed_out = false;
	c->io_errno = 0;
}

/*
 * GnuTLS's transport: our socket calls with the connection's deadline. At the
 * deadline they say EAGAIN, which GnuTLS reports as GNUTLS_E_AGAIN and can
 * resume from, so a read timeout does not break the TLS session.
 */
static ssize_t
net_tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t size)
{
	struct net_conn *c = ptr;
	ssize_t got = net_recv_some(c, buf, size, c->deadline_ms);
	if (got < 0)
		gnutls_transport_set_errno(c->tls, errno);
	return got;
}

static ssize_t
net_tls_push(gnutls_transport_ptr_t ptr, const void *buf, size_t size)
{
	struct net_conn *c = ptr;
	ssize_t sent = net_send_some(c, buf, size, c->deadline_ms);
	if (sent < 0)
		gnutls_transport_set_errno(c->tls, errno);
	return sent;
}

/* Used by the handshake timeout: waits for the lesser of ms and ours. */
static int
net_tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct net_conn *c = ptr;
	int64_t deadline_ms = c->deadline_ms;
	if (ms != GNUTLS_INDEFINITE_TIMEOUT &&
	    clock_monotonic_ms() + ms < deadline_ms)
		deadline_ms = clock_monotonic_ms() + ms;
	int ready = net_wait(c->fd, POLLIN, deadline_ms);
	if (ready == 0 && clock_monotonic_ms() >= c->deadline_ms)
		c->timed_out = true;
	if (ready < 0) {
		c->io_errno = errno;
		gnutls_transport_set_errno(c->tls, errno);
	}
	return ready;
}

static int
net_tls_setup(struct net_conn *c, struct error *err)
{
	int rc = gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		c->tls = NULL;
		return net_fail(c, err, ERROR_INTERNAL,
			"cannot start TLS: %s", gnutls_strerror(rc));
	}
	rc = gnutls_priority_set(c->tls, c->creds->priority);
	if (rc >= 0)
		rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
			c->creds->cred);
	if (rc < 0)
		return net_fail(c, err, ERROR_INTERNAL,
			"cannot start TLS: %s", gnutls_strerror(rc));
	gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_ptr(c->tls, c);
	gnutls_transport_set_push_function(c->tls, net_tls_push);
	gnutls_transport_set_pull_function(c->tls, net_tls_pull);
	gnutls_transport_set_pull_timeout_function(c->tls,
		net_tls_pull_timeout);
	gnutls_handshake_set_timeout(c->tls, (unsigned)c->timeout_ms);
	return 0;
}

/* A handshake failed: tell the client why if it can hear, and give up. */
static int
net_tls_refused(struct net_conn *c, int rc, struct error *err)
{
	bool timed_out = c->timed_out || rc == GNUTLS_E_TIMEDOUT;
	const char *why = timed_out ? "timed out" : gnutls_strerror(rc);
	log_info("net.tls_fail", "listener=%s peer=%s error=\"%s\"", c->name,
		c->peer, why);
	if (!timed_out && c->io_errno == 0) {
		net_tls_begin(c, clock_monotonic_ms() + NET_ALERT_WAIT_MS);
		gnutls_alert_send_appropriate(c->tls, rc);
	}
	gnutls_deinit(c->tls);
	c->tls = NULL;
	return net_fail(c, err, timed_out ? ERROR_TEMPORARY : ERROR_INVALID,
		"TLS handshake failed: %s", why);
}

int
net_tls_handshake(struct net_conn *c, struct error *err)
{
	if (net_tls_setup(c, err) < 0) {
		net_tls_close(c);
		return -1;
	}
	net_tls_begin(c, net_deadline(c));
	int rc;
	do
		rc = gnutls_handshake(c->tls);
	while (rc < 0 && gnutls_error_is_fatal(rc) == 0 && !c->timed_out);
	if (rc < 0)
		return net_tls_refused(c, rc, err);
	c->tls_ready = true;
	return 0;
}

int
net_tls_client_handshake(struct net_conn *c,
	gnutls_certificate_credentials_t cred, gnutls_priority_t priority,
	const char *server_name, struct error *err)
{
	int rc = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		c->tls = NULL;
		return net_fail(c, err, ERROR_INTERNAL,
			"cannot start TLS: %s", gnutls_strerror(rc));
	}
	rc = gnutls_priority_set(c->tls, priority);
	if (rc >= 0)
		rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
			cred);
	/* RFC 6066 §3: SNI carries a host name, never an address. */
	if (rc >= 0 && server_name != NULL && server_name[0] != '\0')
		rc = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS,
			server_name, strlen(server_name));
	if (rc < 0) {
		net_tls_close(c);
		return net_fail(c, err, ERROR_INTERNAL,
			"cannot start TLS: %s", gnutls_strerror(rc));
	}
	gnutls_transport_set_ptr(c->tls, c);
	gnutls_transport_set_push_function(c->tls, net_tls_push);
	gnutls_transport_set_pull_function(c->tls, net_tls_pull);
	gnutls_transport_set_pull_timeout_function(c->tls,
		net_tls_pull_timeout);
	gnutls_handshake_set_timeout(c->tls, (unsigned)c->timeout_ms);
	/* As for STARTTLS on a listener: nothing read in clear is kept. */
	c->rpos = c->rend = c->scan = 0;
	c->scan_flags = 0;
	c->discarding = false;
	net_tls_begin(c, net_deadline(c));
	do
		rc = gnutls_handshake(c->tls);
	while (rc < 0 && gnutls_error_is_fatal(rc) == 0 && !c->timed_out);
	if (rc < 0)
		return net_tls_refused(c, rc, err);
	c->tls_ready = true;
	return 0;
}

/*
 * RFC 5746 makes renegotiation safe, but a server has no use for it and it
 * costs us a handshake on the client's say-so: refuse and read on.
 */
static void
net_tls_refuse_renegotiation(struct net_conn *c)
{
	gnutls_alert_send(c->tls, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
}

ssize_t
net_tls_recv(struct net_conn *c, void *buf, size_t size, int64_t deadline_ms,
	struct error *err)
{
	for (;;) {
		net_tls_begin(c, deadline_ms);
		ssize_t got = gnutls_record_recv(c->tls, buf, size);
		if (got >= 0)
			return got;
		/* A TCP close without close_notify: the client has gone. */
		if (got == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (got == GNUTLS_E_AGAIN && c->timed_out)
			return net_timed_out(c, false, err);
		if (got == GNUTLS_E_REHANDSHAKE) {
			net_tls_refuse_renegotiation(c);
			continue;
		}
		if (gnutls_error_is_fatal((int)got) == 0)
			continue;
		if (c->io_errno != 0)
			return net_socket_error(c, c->io_errno,
				"read from the client", err);
		return net_fail(c, err, ERROR_INVALID, "TLS error: %s",
			gnutls_strerror((int)got));
	}
}

int
net_tls_send(struct net_conn *c, const void *data, size_t len,
	struct error *err)
{
	const char *p = data;
	while (len > 0) {
		net_tls_begin(c, net_deadline(c));
		ssize_t sent = gnutls_record_send(c->tls, p, len);
		if (sent > 0) {
			p += sent;
			len -= (size_t)sent;
			continue;
		}
		if (c->timed_out)
			return net_timed_out(c, true, err);
		/* GnuTLS resumes a record when called again with the same. */
		if (sent == GNUTLS_E_AGAIN || sent == GNUTLS_E_INTERRUPTED)
			continue;
		if (c->io_errno != 0)
			return net_socket_error(c, c->io_errno,
				"write to the client", err);
		return net_fail(c, err, ERROR_INVALID, "TLS error: %s",
			gnutls_strerror((int)sent));
	}
	return 0;
}

void
net_tls_close(struct net_conn *c)
{
	if (c->tls == NULL)
		return;
	if (c->tls_ready && !c->failed) {
		net_tls_begin(c, net_deadline(c));
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
	}
	gnutls_deinit(c->tls);
	c->tls = NULL;
	c->tls_ready = false;
}

bool
net_can_starttls(const struct net_conn *c)
{
	return c->creds != NULL && c->tls == NULL && !c->failed;
}

int
net_starttls(struct net_conn *c, struct error *err)
{
	if (c->failed)
		return error_forward(err, &c->failure);
	if (!net_can_starttls(c))
		return error_set(err, ERROR_INVALID, c->tls != NULL ?
			"TLS is already on" : "TLS is not configured here");
	/* The go-ahead ("220 Ready to start TLS") goes out in plaintext. */
	if (net_flush(c, err) < 0)
		return -1;
	/*
	 * SECURITY: anything the client sent after the STARTTLS command came
	 * before the handshake, so a man in the middle may have put it there
	 * (CVE-2011-0411, CVE-2021-33515). It is dropped unread; bytes still in
	 * the socket are read as TLS, where injected text fails the handshake.
	 */
	c->rpos = c->rend = c->scan = 0;
	c->scan_flags = 0;
	c->discarding = false;
	return net_tls_handshake(c, err);
}

bool
net_is_tls(const struct net_conn *c)
{
	return c->tls_ready;
}

const char *
net_tls_version(const struct net_conn *c)
{
	if (!c->tls_ready)
		return "";
	const char *name = gnutls_protocol_get_name(
		gnutls_protocol_get_version(c->tls));
	return name != NULL ? name : "";
}

const char *
net_tls_cipher(const struct net_conn *c)
{
	if (!c->tls_ready)
		return "";
	const char *name = gnutls_cipher_get_name(gnutls_cipher_get(c->tls));
	return name != NULL ? name : "";
}
