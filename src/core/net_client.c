/*
 * The client side of a connection, for outbound SMTP: connect with a
 * timeout, STARTTLS as the client with the server's certificate checked,
 * close; and groups of connections ended together (a runner stopping).
 * Layer: core. RFC 3207, RFC 6125 (names), RFC 7435 (opportunistic TLS).
 * SECURITY: required TLS is 1.2 or later with tls_priorities().
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "net_internal.h"
#include "str.h"
#include "tls.h"
#include "xmalloc.h"

/*
 * Opportunistic TLS takes what the peer can do, newest first: GnuTLS's
 * defaults, which still include TLS 1.0 and CBC ciphers, are better than
 * the clear text the alternative would be (RFC 7435 §3).
 */
#define NET_OPPORTUNISTIC_PRIORITY "NORMAL:%COMPAT"

struct net_tls_client {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t strict;	/* tls_priorities(): TLS 1.2+ */
	gnutls_priority_t loose;	/* NET_OPPORTUNISTIC_PRIORITY */
};

struct net_tls_client *
net_tls_client_new(const char *ca_file, struct error *err)
{
	struct net_tls_client *t = xcalloc(1, sizeof(*t));
	int rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0) {
		free(t);
		error_set(err, ERROR_INTERNAL, "cannot set up TLS: %s",
			gnutls_strerror(rc));
		return NULL;
	}
	bool file = ca_file != NULL && ca_file[0] != '\0';
	if (file && access(ca_file, R_OK) != 0) {
		error_set(err, ERROR_NOT_FOUND, "cannot read the CA file %s: %s",
			ca_file, strerror(errno));
		net_tls_client_free(&t);
		return NULL;
	}
	rc = file ? gnutls_certificate_set_x509_trust_file(t->cred, ca_file,
		GNUTLS_X509_FMT_PEM) :
		gnutls_certificate_set_x509_system_trust(t->cred);
	if (rc <= 0) {
		if (file)
			error_set(err, ERROR_INVALID,
				"%s holds no CA certificate in PEM: %s",
				ca_file, rc < 0 ? gnutls_strerror(rc) : "none");
		else
			error_set(err, ERROR_INTERNAL,
				"cannot read the system's CA store: %s",
				rc < 0 ? gnutls_strerror(rc) : "it is empty");
		net_tls_client_free(&t);
		return NULL;
	}
	rc = gnutls_priority_init(&t->strict, tls_priorities(), NULL);
	if (rc >= 0)
		rc = gnutls_priority_init(&t->loose,
			NET_OPPORTUNISTIC_PRIORITY, NULL);
	if (rc < 0) {
		error_set(err, ERROR_INTERNAL, "cannot set TLS priorities: %s",
			gnutls_strerror(rc));
		net_tls_client_free(&t);
		return NULL;
	}
	return t;
}

void
net_tls_client_free(struct net_tls_client **t)
{
	if (*t == NULL)
		return;
	if ((*t)->strict != NULL)
		gnutls_priority_deinit((*t)->strict);
	if ((*t)->loose != NULL)
		gnutls_priority_deinit((*t)->loose);
	gnutls_certificate_free_credentials((*t)->cred);
	free(*t);
	*t = NULL;
}

/* Waits for a non-blocking connect to finish; 0 or an errno. */
static int
net_connect_wait(int fd, int64_t deadline_ms)
{
	int ready = net_wait(fd, POLLOUT, deadline_ms);
	if (ready < 0)
		return errno;
	if (ready == 0)
		return ETIMEDOUT;
	int so_error = 0;
	socklen_t len = sizeof(so_error);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0)
		return errno;
	return so_error;
}

struct net_conn *
net_connect(const struct net_address *a, int timeout_ms, const char *name,
	struct error *err)
{
	char peer[NET_PEER_MAX], ip[NET_PEER_MAX];
	struct sockaddr_storage ss = { 0 };
	memcpy(&ss, &a->u, a->len <= sizeof(ss) ? a->len : sizeof(ss));
	net_format_peer(&ss, peer, ip);
	int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC |
		SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_set(err, ERROR_TEMPORARY, "cannot make a socket: %s",
			strerror(errno));
		return NULL;
	}
	int errnum = 0;
	if (connect(fd, &a->u.sa, a->len) < 0)
		errnum = errno == EINPROGRESS ? net_connect_wait(fd,
			clock_monotonic_ms() + timeout_ms) : errno;
	if (errnum != 0) {
		close(fd);
		if (errnum == ETIMEDOUT)
			error_set(err, ERROR_TEMPORARY,
				"%s did not answer within %d s", peer,
				timeout_ms / 1000);
		else
			error_set(err, ERROR_TEMPORARY,
				"cannot connect to %s: %s", peer,
				strerror(errnum));
		return NULL;
	}
	struct net_conn *c = xmalloc(sizeof(*c));
	memset(c, 0, offsetof(struct net_conn, rbuf));
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->name = name;
	c->accepted_ms = clock_monotonic_ms();
	str_copy(c->peer, sizeof(c->peer), peer);
	str_copy(c->peer_ip, sizeof(c->peer_ip), ip);
	return c;
}

struct net_group {
	pthread_mutex_t lock;	/* everything below, and members' links */
	struct net_conn *members;
	bool ended;
};

struct net_group *
net_group_new(void)
{
	struct net_group *g = xcalloc(1, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	return g;
}

void
net_group_free(struct net_group **gp)
{
	struct net_group *g = *gp;
	if (g == NULL)
		return;
	assert(g->members == NULL);
	pthread_mutex_destroy(&g->lock);
	free(g);
	*gp = NULL;
}

void
net_group_add(struct net_group *g, struct net_conn *c)
{
	assert(c->group == NULL);
	pthread_mutex_lock(&g->lock);
	c->group = g;
	c->group_prev = NULL;
	c->group_next = g->members;
	if (g->members != NULL)
		g->members->group_prev = c;
	g->members = c;
	if (g->ended)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&g->lock);
}

/*
 * Under the group's lock, so a member's fd is never closed (and its number
 * reused by another socket) while it is being shut down.
 */
void
net_group_end(struct net_group *g)
{
	pthread_mutex_lock(&g->lock);
	g->ended = true;
	for (struct net_conn *c = g->members; c != NULL; c = c->group_next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&g->lock);
}

static void
net_group_leave(struct net_conn *c)
{
	struct net_group *g = c->group;
	pthread_mutex_lock(&g->lock);
	if (c->group_prev != NULL)
		c->group_prev->group_next = c->group_next;
	else
		g->members = c->group_next;
	if (c->group_next != NULL)
		c->group_next->group_prev = c->group_prev;
	c->group = NULL;
	pthread_mutex_unlock(&g->lock);
}

void
net_conn_close(struct net_conn **cp)
{
	struct net_conn *c = *cp;
	if (c == NULL)
		return;
	net_conn_finish(c);
	if (c->group != NULL)
		net_group_leave(c);
	close(c->fd);
	free(c);
	*cp = NULL;
}

/* Why GnuTLS did not trust the chain, in its own words. */
static void
net_verify_words(unsigned status, char *buf, size_t size)
{
	gnutls_datum_t out = { NULL, 0 };
	if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0) == 0 && out.data != NULL) {
		snprintf(buf, size, "%s", (const char *)out.data);
		gnutls_free(out.data);
	} else {
		snprintf(buf, size, "the certificate is not trusted");
	}
}

/* Checks the chain and the name; true when both hold. */
static bool
net_verify_peer(struct net_conn *c, const char *server_name,
	struct net_tls_result *r)
{
	unsigned status = 0;
	int rc;
	struct in6_addr ip6;
	struct in_addr ip4;
	bool is_ip = inet_pton(AF_INET, server_name, &ip4) == 1 ||
		inet_pton(AF_INET6, server_name, &ip6) == 1;
	gnutls_typed_vdata_st data = {
		.type = is_ip ? GNUTLS_DT_IP_ADDRESS : GNUTLS_DT_DNS_HOSTNAME,
		.data = NULL,
		.size = 0,
	};
	unsigned char raw[16];
	if (is_ip) {
		/* GnuTLS wants the address's bytes for IP names. */
		bool v4 = inet_pton(AF_INET, server_name, raw) == 1;
		if (!v4)
			inet_pton(AF_INET6, server_name, raw);
		data.data = raw;
		data.size = v4 ? 4 : 16;
	} else {
		data.data = (unsigned char *)(uintptr_t)server_name;
	}
	rc = gnutls_certificate_verify_peers(c->tls, &data, 1, &status);
	if (rc < 0) {
		snprintf(r->verify_error, sizeof(r->verify_error),
			"the certificate cannot be checked: %s",
			gnutls_strerror(rc));
		return false;
	}
	if (status != 0) {
		net_verify_words(status, r->verify_error,
			sizeof(r->verify_error));
		r->expired = (status & GNUTLS_CERT_EXPIRED) != 0;
		r->name_mismatch = (status & GNUTLS_CERT_UNEXPECTED_OWNER) != 0;
		return false;
	}
	return true;
}

int
net_starttls_client(struct net_conn *c, const struct net_tls_client *t,
	const char *server_name, enum net_tls_check check,
	struct net_tls_result *result_r, struct error *err)
{
	bool require_verified = check == NET_TLS_CHECK_PKIX;
	bool strict = check != NET_TLS_CHECK_RECORD;
	memset(result_r, 0, sizeof(*result_r));
	if (c->failed)
		return error_forward(err, &c->failure);
	if (c->tls != NULL)
		return error_set(err, ERROR_INVALID, "TLS is already on");
	if (net_flush(c, err) < 0)
		return -1;
	struct in_addr ip4;
	struct in6_addr ip6;
	bool is_ip = inet_pton(AF_INET, server_name, &ip4) == 1 ||
		inet_pton(AF_INET6, server_name, &ip6) == 1;
	if (net_tls_client_handshake(c, t->cred, strict ? t->strict :
		    t->loose, is_ip ? NULL : server_name, err) < 0)
		return -1;
	str_copy(result_r->version, sizeof(result_r->version),
		net_tls_version(c));
	str_copy(result_r->cipher, sizeof(result_r->cipher),
		net_tls_cipher(c));
	result_r->verified = net_verify_peer(c, server_name, result_r);
	if (require_verified && !result_r->verified)
		return net_fail(c, err, ERROR_DENIED,
			"the certificate of %s is not valid for %s: %s",
			c->peer, server_name, result_r->verify_error);
	return 0;
}

size_t
net_tls_peer_chain(const struct net_conn *c, struct span *chain_r,
	size_t max)
{
	if (c->tls == NULL || !c->tls_ready)
		return 0;
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(c->tls, &n);
	if (certs == NULL)
		return 0;
	size_t count = n < max ? n : max;
	for (size_t i = 0; i < count; i++) {
		chain_r[i].p = (const char *)certs[i].data;
		chain_r[i].len = certs[i].size;
	}
	return count;
}
