/*
 * One HTTPS POST, and one bounded GET, by libcurl (GnuTLS flavour), and the
 * options the S3 blob store's requests share with them: certificate and name
 * verification on, TLS 1.2 or later with the listeners' cipher rules (checked
 * before the request goes), every step within the timeout. Layer: core. RFC 9110, RFC 6125 (name checks).
 * SECURITY: verification is never optional; the bearer token is never
 * logged nor kept in a buffer of ours; no proxy, no redirects, https only.
 */
#include "https.h"

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "error.h"

/* curl_global_init is not thread-safe everywhere: once per process. */
static pthread_once_t https_once = PTHREAD_ONCE_INIT;
static CURLcode https_global_rc = CURLE_FAILED_INIT;

static void
https_global_init(void)
{
	https_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
https_curl_start(struct error *err)
{
	pthread_once(&https_once, https_global_init);
	if (https_global_rc != CURLE_OK)
		return error_set(err, ERROR_INTERNAL,
			"cannot start libcurl: %s",
			curl_easy_strerror(https_global_rc));
	return 0;
}

/* The reply's body is not read: only its status matters. */
static size_t
https_discard(char *data, size_t size, size_t count, void *unused)
{
	(void)data;
	(void)unused;
	return size * count;
}

/*
 * Whether the session meets SECURITY.md items 1 and 2 as tls_priorities()
 * puts them for our listeners: TLS 1.2 or 1.3, an AEAD cipher, ECDHE over
 * one of the curves allowed (so no static RSA and no finite-field DHE), no
 * SHA-1 signature. libcurl 7.88 does not hand a priority string to GnuTLS,
 * so the session it made is checked instead, before the request is sent.
 */
static bool
https_session_ok(gnutls_session_t s)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(s);
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(s);
	gnutls_group_t g = gnutls_group_get(s);
	int sign = gnutls_sign_algorithm_get(s);
	return (v == GNUTLS_TLS1_2 || v == GNUTLS_TLS1_3) &&
		(c == GNUTLS_CIPHER_AES_256_GCM ||
			c == GNUTLS_CIPHER_AES_128_GCM ||
			c == GNUTLS_CIPHER_CHACHA20_POLY1305) &&
		(g == GNUTLS_GROUP_X25519 || g == GNUTLS_GROUP_SECP256R1 ||
			g == GNUTLS_GROUP_SECP384R1) &&
		(sign <= 0 || gnutls_sign_get_hash_algorithm(
			(gnutls_sign_algorithm_t)sign) != GNUTLS_DIG_SHA1);
}

/* Runs once connected, before the request: refuses a weak session. */
static int
https_prereq(void *handle, char *primary_ip, char *local_ip,
	int primary_port, int local_port)
{
	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	struct curl_tlssessioninfo *info = NULL;
	if (curl_easy_getinfo((CURL *)handle, CURLINFO_TLS_SSL_PTR,
		    &info) != CURLE_OK || info == NULL ||
	    info->backend != CURLSSLBACKEND_GNUTLS || info->internals == NULL ||
	    !https_session_ok((gnutls_session_t)info->internals))
		return CURL_PREREQFUNC_ABORT;
	return CURL_PREREQFUNC_OK;
}

/* What the caller can check before a byte is sent. */
static int
https_check(const struct https_post *p, struct error *err)
{
	static const char scheme[] = "https://";
	if (p->url == NULL || strncmp(p->url, scheme, sizeof(scheme) - 1) != 0)
		return error_set(err, ERROR_INVALID,
			"the gateway URL must start with https://");
	if (p->url[sizeof(scheme) - 1] == '\0' ||
	    strpbrk(p->url, " \t\r\n") != NULL)
		return error_set(err, ERROR_INVALID,
			"the gateway URL has no host or has spaces");
	/* A line break in the token would be a header of the caller's. */
	if (p->bearer != NULL && strpbrk(p->bearer, "\r\n") != NULL)
		return error_set(err, ERROR_INVALID,
			"the gateway token has line breaks");
	return 0;
}

#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)

/*
 * What every request of ours is, GET or POST, here or in the S3 blob store
 * (https.h): HTTPS only, the certificate and name checked, TLS 1.2 at
 * least, no redirect, no proxy (not from the environment either), a
 * deadline. CURLE_OK when every option took.
 */
int
https_curl_options(void *handle, const char *url, const char *ca_file,
	int timeout_ms, bool allow_http, char *errbuf)
{
	CURL *c = handle;
	long timeout = timeout_ms > 0 ? timeout_ms : 1;
	bool tls = strncmp(url, "https://", 8) == 0;
	CURLcode rc = CURLE_OK;
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);	/* threads: no SIGALRM for DNS */
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, allow_http ? "http,https" : "https");
	/* RFC 8461 §3.3 too: a policy is never taken from a redirect. */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/*
	 * SECURITY.md items 1 and 2, as the servers have them. Plain HTTP
	 * has no session to check: the caller allowed it for the loopback.
	 */
	if (tls) {
		SET(CURLOPT_PREREQFUNCTION, https_prereq);
		SET(CURLOPT_PREREQDATA, c);
	}
	if (ca_file != NULL && ca_file[0] != '\0') {
		/* The given file only, not it and the system's CAs. */
		SET(CURLOPT_CAINFO, ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
	SET(CURLOPT_CONNECTTIMEOUT_MS, timeout);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	return (int)rc;
}

static CURLcode
https_common(CURL *c, const char *url, const char *ca_file, int timeout_ms,
	char *errbuf)
{
	return (CURLcode)https_curl_options(c, url, ca_file, timeout_ms, false,
		errbuf);
}

/* Every option that can fail, set in one place; CURLE_OK when all took. */
static CURLcode
https_setup(CURL *c, const struct https_post *p, struct curl_slist *headers,
	char *errbuf)
{
	bool bearer = p->bearer != NULL && p->bearer[0] != '\0';
	CURLcode rc = https_common(c, p->url, p->ca_file, p->timeout_ms,
		errbuf);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, p->body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(p->body));
	SET(CURLOPT_HTTPHEADER, headers);
	if (bearer) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		SET(CURLOPT_XOAUTH2_BEARER, p->bearer);
	}
	SET(CURLOPT_WRITEFUNCTION, https_discard);
	return rc;
}

/* The error for a failed transfer: a bad URL is the caller's. */
static int
https_failed(CURLcode rc, const char *errbuf, struct error *err)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
		return error_set(err, ERROR_INVALID,
			"the gateway URL cannot be used: %s", why);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return error_set(err, ERROR_TEMPORARY, "the gateway's TLS is "
			"weaker than TLS 1.2 with ECDHE and an AEAD cipher");
	return error_set(err, ERROR_TEMPORARY,
		"the gateway cannot be reached: %s", why);
}

int
https_post_json(const struct https_post *p, struct error *err)
{
	if (https_check(p, err) < 0)
		return -1;
	pthread_once(&https_once, https_global_init);
	if (https_global_rc != CURLE_OK)
		return error_set(err, ERROR_INTERNAL,
			"cannot start libcurl: %s",
			curl_easy_strerror(https_global_rc));
	CURL *c = curl_easy_init();
	struct curl_slist *headers = NULL, *more;
	/* "Expect:" off: the body goes with the headers, as it is small. */
	static const char *const lines[] = {
		"Content-Type: application/json", "Expect:",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		more = curl_slist_append(headers, lines[i]);
		if (more == NULL) {
			curl_slist_free_all(headers);
			headers = NULL;
			break;
		}
		headers = more;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	int result = -1;
	CURLcode rc;
	if (c == NULL || headers == NULL) {
		error_set(err, ERROR_INTERNAL, "cannot start an HTTPS request");
	} else if ((rc = https_setup(c, p, headers, errbuf)) != CURLE_OK) {
		error_set(err, ERROR_INTERNAL, "cannot set up an HTTPS "
			"request: %s", curl_easy_strerror(rc));
	} else if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		https_failed(rc, errbuf, err);
	} else {
		long status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status <= 299)
			result = 0;
		else
			error_set(err, ERROR_TEMPORARY,
				"the gateway answered with status %ld", status);
	}
	curl_slist_free_all(headers);
	if (c != NULL)
		curl_easy_cleanup(c);
	return result;
}

/* The GET's body so far, bounded. */
struct https_sink {
	struct str body;
	bool too_large;
};

static size_t
https_collect(char *data, size_t size, size_t count, void *arg)
{
	struct https_sink *sink = arg;
	size_t n = size * count;
	if (str_append(&sink->body, data, n) < 0) {
		sink->too_large = true;
		return 0;	/* CURLE_WRITE_ERROR ends the transfer */
	}
	return n;
}

static CURLcode
https_get_setup(CURL *c, const struct https_get *g, struct curl_slist *to,
	struct https_sink *sink, char *errbuf)
{
	CURLcode rc = https_common(c, g->url, g->ca_file, g->timeout_ms,
		errbuf);
	if (to != NULL)
		SET(CURLOPT_CONNECT_TO, to);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)g->max_bytes);
	SET(CURLOPT_WRITEFUNCTION, https_collect);
	SET(CURLOPT_WRITEDATA, sink);
#undef SET
	return rc;
}

/* Whether the Content-Type's media type is want, parameters aside. */
static bool
https_type_is(const char *type, const char *want)
{
	if (type == NULL)
		return false;
	size_t n = strlen(want);
	if (strncasecmp(type, want, n) != 0)
		return false;
	return type[n] == '\0' || type[n] == ';' || type[n] == ' ' ||
		type[n] == '\t';
}

/* After a finished transfer: the status, the type and the size. */
static int
https_get_answer(CURL *c, const struct https_get *g, struct https_sink *sink,
	struct span *body_r, struct error *err)
{
	long status = 0;
	char *type = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	if (status != 200)
		return error_set(err, ERROR_TEMPORARY,
			"%s answered with status %ld, not 200", g->url, status);
	if (g->content_type != NULL && !https_type_is(type, g->content_type))
		return error_set(err, ERROR_TEMPORARY,
			"%s answered with Content-Type %s, not %s", g->url,
			type != NULL ? type : "(none)", g->content_type);
	body_r->p = str_cstr(&sink->body);
	body_r->len = sink->body.len;
	return 0;
}

int
https_get(const struct https_get *g, struct arena *a, struct span *body_r,
	bool *cert_failed_r, struct error *err)
{
	static const char scheme[] = "https://";
	*cert_failed_r = false;
	body_r->p = "";
	body_r->len = 0;
	if (g->url == NULL || strncmp(g->url, scheme, sizeof(scheme) - 1) != 0 ||
	    g->url[sizeof(scheme) - 1] == '\0' ||
	    strpbrk(g->url, " \t\r\n") != NULL)
		return error_set(err, ERROR_INVALID,
			"the URL must be https://host/... without spaces");
	pthread_once(&https_once, https_global_init);
	if (https_global_rc != CURLE_OK)
		return error_set(err, ERROR_INTERNAL,
			"cannot start libcurl: %s",
			curl_easy_strerror(https_global_rc));
	struct curl_slist *to = NULL;
	if (g->connect_to != NULL && g->connect_to[0] != '\0') {
		/* "::ADDRESS:PORT": every host and port goes there. */
		char line[300];
		snprintf(line, sizeof(line), "::%s", g->connect_to);
		to = curl_slist_append(NULL, line);
		if (to == NULL)
			return error_set(err, ERROR_INTERNAL,
				"cannot start an HTTPS request");
	}
	struct https_sink sink = { .too_large = false };
	str_init(&sink.body, a, g->max_bytes);
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;
	int result = -1;
	if (c == NULL) {
		error_set(err, ERROR_INTERNAL, "cannot start an HTTPS request");
	} else if ((rc = https_get_setup(c, g, to, &sink, errbuf)) !=
		   CURLE_OK) {
		error_set(err, ERROR_INTERNAL, "cannot set up an HTTPS "
			"request: %s", curl_easy_strerror(rc));
	} else if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		const char *why = errbuf[0] != '\0' ? errbuf :
			curl_easy_strerror(rc);
		if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
			error_set(err, ERROR_TEMPORARY,
				"%s sent more than %zu bytes", g->url,
				g->max_bytes);
		else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
			*cert_failed_r = true;
			error_set(err, ERROR_TEMPORARY, "the certificate of "
				"%s is not valid: %s", g->url, why);
		} else if (rc == CURLE_ABORTED_BY_CALLBACK)
			error_set(err, ERROR_TEMPORARY, "%s's TLS is weaker "
				"than TLS 1.2 with ECDHE and an AEAD cipher",
				g->url);
		else
			error_set(err, ERROR_TEMPORARY,
				"cannot fetch %s: %s", g->url, why);
	} else {
		result = https_get_answer(c, g, &sink, body_r, err);
	}
	curl_slist_free_all(to);
	if (c != NULL)
		curl_easy_cleanup(c);
	return result;
}
