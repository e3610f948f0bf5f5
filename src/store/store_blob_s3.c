/*
 * The S3 blob store (store_blob.h): one object per body in a bucket of an
 * S3-compatible object store (AWS S3, MinIO, Ceph RGW, Garage), its key the
 * configured prefix and the body's hash, over HTTPS with AWS Signature
 * Version 4 (core/sigv4.h) and the payload's SHA-256 signed, so the store
 * itself refuses a body changed on the way. URLs are path style
 * (https://host[:port]/bucket/key): every S3-compatible store takes them,
 * where a bucket in the host name needs DNS of its own. Any failure to
 * reach the store, or a refusal of it, is ERROR_TEMPORARY: mail is
 * deferred, never lost. Layer: store. RFC 9110 (PUT, GET, HEAD, DELETE).
 * SECURITY: the secret and the Authorization header go in no log and no
 * error; certificates are always verified (core/https.h); http:// only to
 * the loopback, for tests.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/https.h"
#include "core/sigv4.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "store/store_blob.h"

/* The SHA-256 of no bytes: the payload hash of GET, HEAD and DELETE. */
#define S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Idle handles kept for reuse; past this many, a returned one is freed. */
#define S3_IDLE_MAX 16
/* A key is at most 1,024 bytes in S3; the hash takes 64 of them. */
#define S3_PREFIX_MAX 512
/* The signer refuses a longer secret; access keys are 20 to 128 bytes. */
#define S3_SECRET_MAX 128
#define S3_ACCESS_KEY_MAX 128
#define S3_REGION_MAX 64

struct s3_blobs {
	char *host;	/* "host[:port]" as the Host header sends and signs it */
	char *base_url;	/* "https://host[:port]/bucket/prefix": + hash */
	char *base_path; /* "/bucket/prefix": + hash, the path signed */
	char *region;
	char *access_key;
	char *secret;	/* wiped before it is freed */
	char *ca_file;	/* NULL: the system's CAs */
	bool plain_http; /* http:// to the loopback: tests only */
	int timeout_ms;
	/*
	 * Why a pool: a libcurl easy handle may be used by one thread at a
	 * time, and many sessions put and get bodies at once. A handle made
	 * per call would open a new TCP connection and TLS handshake for
	 * every body; a handle per thread would outlive close() in threads
	 * we do not own, with nothing to free it. So a call takes an idle
	 * handle (or makes one), resets its options, and gives it back:
	 * its open connection to the store is reused, and close() frees
	 * every handle. The lock is held only to take or give one back.
	 */
	pthread_mutex_t lock;
	CURL *idle[S3_IDLE_MAX];
	size_t idle_count;
};

/* --- Opening: every key checked before a request can go --- */

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

/*
 * A part of the credential scope ("AKID/date/region/s3/aws4_request"):
 * printable, and none of '/', ',', '=' or a space, which would end it.
 */
static bool
is_scope_text(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr("/,=", *s) != NULL)
			return false;
	return true;
}

/*
 * The prefix is sent as it is written: only characters a URL path carries
 * unencoded (RFC 3986 §2.3 unreserved, and '/'), so the path signed and the
 * path sent cannot differ, and no "." or ".." segment nor "//" that a
 * server might fold into another key.
 */
static bool
is_prefix(const char *p)
{
	size_t n = strlen(p);
	if (n == 0)
		return true;
	if (n > S3_PREFIX_MAX || p[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(p[i]) && strchr("-._~/", p[i]) == NULL)
			return false;
	const char *seg = p;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t len = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if (end != NULL && len == 0)
			return false;	/* "//" */
		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (end == NULL)
			return true;
		seg = end + 1;
	}
}

/* The bucket: S3's names, and the older ones with capitals and '_'. */
static bool
is_bucket(const char *b, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(b[i]) && strchr("-._", b[i]) == NULL)
			return false;
	return !(len <= 2 && b[0] == '.');
}

/* host, or [v6], then an optional :port of 1 to 65535. */
static bool
is_authority(const char *a, size_t len)
{
	size_t i = 0;
	if (len > 0 && a[0] == '[') {
		while (i < len && a[i] != ']') {
			char c = a[i];
			if (i > 0 && !is_alnum(c) && c != ':' && c != '.')
				return false;
			i++;
		}
		if (i == len || i < 2)
			return false;
		i++;
	} else {
		while (i < len && a[i] != ':') {
			if (!is_alnum(a[i]) && a[i] != '.' && a[i] != '-')
				return false;
			i++;
		}
		if (i == 0)
			return false;
	}
	if (i == len)
		return true;
	if (a[i] != ':' || len - i < 2 || len - i > 6)
		return false;
	unsigned port = 0;
	for (i++; i < len; i++) {
		if (a[i] < '0' || a[i] > '9')
			return false;
		port = port * 10 + (unsigned)(a[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* The host of an authority, without its port: is it this machine? */
static bool
is_loopback(const char *host)
{
	static const char *const names[] = {
		"127.0.0.1", "localhost", "[::1]",
	};
	size_t len = strlen(host);
	const char *colon = host[0] == '[' ? strstr(host, "]:") : NULL;
	if (colon != NULL)
		len = (size_t)(colon - host) + 1;
	else if (host[0] != '[' && strchr(host, ':') != NULL)
		len = (size_t)(strchr(host, ':') - host);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == len && memcmp(host, names[i], len) == 0)
			return true;
	return false;
}

static void
s3_free(struct s3_blobs *s)
{
	for (size_t i = 0; i < s->idle_count; i++)
		curl_easy_cleanup(s->idle[i]);
	if (s->secret != NULL) {
		sodium_memzero(s->secret, strlen(s->secret));
		free(s->secret);
	}
	free(s->host);
	free(s->base_url);
	free(s->base_path);
	free(s->region);
	free(s->access_key);
	free(s->ca_file);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/*
 * s3_url: scheme://authority/bucket[/], nothing more. Fills host, base_url
 * and base_path (with the prefix) of s.
 */
static int
parse_url(struct s3_blobs *s, const char *url, const char *prefix,
	struct error *err)
{
	static const char https[] = "https://", http[] = "http://";
	const char *rest;
	if (url == NULL || url[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "blobs.s3_url",
			"blobs.s3_url must be set for the s3 backend, as "
			"https://host[:port]/bucket");
	if (strncmp(url, https, sizeof(https) - 1) == 0)
		rest = url + sizeof(https) - 1;
	else if (strncmp(url, http, sizeof(http) - 1) == 0) {
		rest = url + sizeof(http) - 1;
		s->plain_http = true;
	} else
		return error_set_field(err, ERROR_INVALID, "blobs.s3_url",
			"blobs.s3_url must start with https://, not \"%.80s\"",
			url);
	const char *slash = strchr(rest, '/');
	size_t alen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (!is_authority(rest, alen))
		return error_set_field(err, ERROR_INVALID, "blobs.s3_url",
			"blobs.s3_url \"%.80s\" has no valid host[:port] (no "
			"user, no spaces)", url);
	const char *bucket = slash != NULL ? slash + 1 : "";
	size_t blen = strlen(bucket);
	if (blen > 0 && bucket[blen - 1] == '/')
		blen--;
	if (!is_bucket(bucket, blen))
		return error_set_field(err, ERROR_INVALID, "blobs.s3_url",
			"blobs.s3_url must name the bucket as its path, path "
			"style: https://host[:port]/bucket, not \"%.80s\"", url);
	s->host = xmalloc(alen + 1);
	for (size_t i = 0; i < alen; i++)
		s->host[i] = str_ascii_lower(rest[i]);
	s->host[alen] = '\0';
	if (s->plain_http && !is_loopback(s->host))
		return error_set_field(err, ERROR_INVALID, "blobs.s3_url",
			"blobs.s3_url must be https:// (http:// is for a test "
			"store on 127.0.0.1, localhost or [::1] only)");
	size_t plen = strlen(prefix);
	size_t n = 1 + blen + 1 + plen + 1;
	s->base_path = xmalloc(n);
	snprintf(s->base_path, n, "/%.*s/%s", (int)blen, bucket, prefix);
	n = strlen(https) + alen + strlen(s->base_path) + 1;
	s->base_url = xmalloc(n);
	snprintf(s->base_url, n, "%s%s%s", s->plain_http ? http : https,
		s->host, s->base_path);
	return 0;
}

static int
check_keys(const struct store_blob_config *c, struct error *err)
{
	if (!is_scope_text(c->s3_region, S3_REGION_MAX))
		return error_set_field(err, ERROR_INVALID, "blobs.s3_region",
			"blobs.s3_region must be set (\"us-east-1\", or what "
			"the store's documentation names), without '/', ',', "
			"'=' or spaces");
	if (!is_scope_text(c->s3_access_key, S3_ACCESS_KEY_MAX))
		return error_set_field(err, ERROR_INVALID,
			"blobs.s3_access_key", "blobs.s3_access_key must be "
			"set, at most %d characters without '/', ',', '=' or "
			"spaces", S3_ACCESS_KEY_MAX);
	/* The secret is never quoted back: only what is wrong with it. */
	size_t n = c->s3_secret != NULL ? strlen(c->s3_secret) : 0;
	if (n == 0 || n > S3_SECRET_MAX)
		return error_set_field(err, ERROR_INVALID,
			"blobs.s3_secret_file", "the secret in "
			"blobs.s3_secret_file must be 1 to %d characters, not "
			"%zu", S3_SECRET_MAX, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c->s3_secret[i] < ' ' ||
		    c->s3_secret[i] == 0x7f)
			return error_set_field(err, ERROR_INVALID,
				"blobs.s3_secret_file", "the secret in "
				"blobs.s3_secret_file holds a control "
				"character or a line break");
	const char *prefix = c->s3_prefix != NULL ? c->s3_prefix : "";
	if (!is_prefix(prefix))
		return error_set_field(err, ERROR_INVALID, "blobs.s3_prefix",
			"blobs.s3_prefix may hold only letters, digits, "
			"'-._~' and '/' (not first, not \"//\", \".\" or "
			"\"..\"), at most %d characters", S3_PREFIX_MAX);
	if (c->s3_ca_file != NULL && c->s3_ca_file[0] != '\0' &&
	    (c->s3_ca_file[0] != '/' || access(c->s3_ca_file, R_OK) < 0))
		return error_set_field(err, ERROR_INVALID, "blobs.s3_ca_file",
			"blobs.s3_ca_file must be an absolute path to a "
			"readable PEM file, not \"%.80s\"", c->s3_ca_file);
	if (c->timeout_ms <= 0)
		return error_set_field(err, ERROR_INVALID, "blobs.timeout_ms",
			"blobs.timeout_ms must be more than 0, not %d",
			c->timeout_ms);
	return 0;
}

/* Checks every key and makes no request: a store down at start defers. */
static void *
s3_open(const struct store_blob_config *c, struct error *err)
{
	if (check_keys(c, err) < 0 || https_curl_start(err) < 0)
		return NULL;
	struct s3_blobs *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	if (parse_url(s, c->s3_url, c->s3_prefix != NULL ? c->s3_prefix : "",
		err) < 0) {
		s3_free(s);
		return NULL;
	}
	s->region = xstrdup(c->s3_region);
	s->access_key = xstrdup(c->s3_access_key);
	s->secret = xstrdup(c->s3_secret);
	if (c->s3_ca_file != NULL && c->s3_ca_file[0] != '\0')
		s->ca_file = xstrdup(c->s3_ca_file);
	s->timeout_ms = c->timeout_ms;
	return s;
}

static void
s3_close(void *impl)
{
	s3_free(impl);
}

/* --- One request --- */

/* What one request sends and what came back. */
struct s3_call {
	CURL *handle;
	const char *method;	/* "PUT", "GET", "HEAD", "DELETE" */
	const char *hash;
	const char *body;	/* PUT: the bytes, body_size of them */
	size_t body_size;
	size_t sent;
	char *buf;		/* GET: the caller's buffer, buf_size bytes */
	size_t buf_size;
	size_t got;
	bool too_long;		/* GET: the object has more than buf_size */
	long status;
	char reply[1024];	/* the start of an error reply (S3's XML) */
	size_t reply_len;
	char code[64];		/* its <Code>, letters only, or "" */
};

static size_t
s3_read(char *out, size_t size, size_t count, void *arg)
{
	struct s3_call *call = arg;
	size_t n = size * count;
	if (n > call->body_size - call->sent)
		n = call->body_size - call->sent;
	if (n > 0)	/* a blob of 0 bytes may come with no pointer */
		memcpy(out, call->body + call->sent, n);
	call->sent += n;
	return n;
}

/* libcurl rewinds when a reused connection turns out closed, and resends. */
static int
s3_seek(void *arg, curl_off_t offset, int origin)
{
	struct s3_call *call = arg;
	if (origin != SEEK_SET || offset < 0 ||
	    (size_t)offset > call->body_size)
		return CURL_SEEKFUNC_CANTSEEK;
	call->sent = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/*
 * A 200 answer to a GET goes to the caller's buffer, and one byte too many
 * ends the transfer; any other answer's body is S3's error text, of which
 * the start is kept for its code.
 */
static size_t
s3_write(char *data, size_t size, size_t count, void *arg)
{
	struct s3_call *call = arg;
	size_t n = size * count;
	long status = 0;
	curl_easy_getinfo(call->handle, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200 && strcmp(call->method, "GET") == 0) {
		if (n > call->buf_size - call->got) {
			call->too_long = true;
			return 0;	/* CURLE_WRITE_ERROR */
		}
		if (n > 0)
			memcpy(call->buf + call->got, data, n);
		call->got += n;
		return n;
	}
	size_t room = sizeof(call->reply) - 1 - call->reply_len;
	size_t keep = n < room ? n : room;
	memcpy(call->reply + call->reply_len, data, keep);
	call->reply_len += keep;
	call->reply[call->reply_len] = '\0';
	return n;
}

/* S3's <Code>NoSuchKey</Code>, kept to letters and digits. */
static void
find_code(struct s3_call *call)
{
	call->code[0] = '\0';
	const char *p = strstr(call->reply, "<Code>");
	if (p == NULL)
		return;
	p += 6;
	size_t n = 0;
	while (is_alnum(p[n]) && n < sizeof(call->code) - 1) {
		call->code[n] = p[n];
		n++;
	}
	call->code[n] = '\0';
}

static CURL *
handle_take(struct s3_blobs *s)
{
	CURL *c = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->idle_count > 0)
		c = s->idle[--s->idle_count];
	pthread_mutex_unlock(&s->lock);
	return c != NULL ? c : curl_easy_init();
}

static void
handle_give(struct s3_blobs *s, CURL *c)
{
	/*
	 * Its options go, with every pointer to the finished call's buffers
	 * and headers; its open connection and TLS session stay.
	 */
	curl_easy_reset(c);
	pthread_mutex_lock(&s->lock);
	if (s->idle_count < S3_IDLE_MAX) {
		s->idle[s->idle_count++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (c != NULL)
		curl_easy_cleanup(c);
}

/* The headers of one request, signed; NULL with err set on failure. */
static struct curl_slist *
signed_headers(struct s3_blobs *s, const struct s3_call *call,
	struct arena *a, struct error *err)
{
	char amz_date[17];
	struct tm tm;
	time_t now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm) == 0) {
		error_set(err, ERROR_INTERNAL, "the clock cannot be read");
		return NULL;
	}
	/*
	 * A blob is named by the SHA-256 of its bytes, and store_blobs_put
	 * has checked that they match: the name is the payload's hash. The
	 * store recomputes it over what it receives and refuses a mismatch.
	 */
	const char *payload = strcmp(call->method, "PUT") == 0 ? call->hash :
		S3_EMPTY_SHA256;
	char *path = arena_printf(a, "%s%s", s->base_path, call->hash);
	const struct sigv4_pair pairs[] = {
		{ "host", s->host },
		{ "x-amz-content-sha256", payload },
		{ "x-amz-date", amz_date },
	};
	const struct sigv4_request req = {
		.method = call->method,
		.path = path,
		.headers = pairs,
		.header_count = sizeof(pairs) / sizeof(*pairs),
		.payload_hash = payload,
	};
	const struct sigv4_key key = {
		.access_key_id = s->access_key,
		.secret_key = s->secret,
		.region = s->region,
		.service = "s3",
	};
	struct sigv4_signed sig;
	if (path == NULL) {
		error_set(err, ERROR_INTERNAL, "no memory to sign a request");
		return NULL;
	}
	if (sigv4_sign(&req, &key, amz_date, a, &sig, err) < 0)
		return NULL;
	const char *lines[] = {
		arena_printf(a, "Host: %s", s->host),
		arena_printf(a, "x-amz-content-sha256: %s", payload),
		arena_printf(a, "x-amz-date: %s", amz_date),
		arena_printf(a, "Authorization: %s", sig.authorization),
		/*
		 * No "Expect: 100-continue": a body is at most a message,
		 * and the store reads it before it answers.
		 */
		"Expect:",
	};
	struct curl_slist *list = NULL;
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		struct curl_slist *more = lines[i] != NULL ?
			curl_slist_append(list, lines[i]) : NULL;
		if (more == NULL) {
			curl_slist_free_all(list);
			error_set(err, ERROR_INTERNAL,
				"no memory for a request's headers");
			return NULL;
		}
		list = more;
	}
	return list;
}

/* The header lines hold a signature: wiped before libcurl frees them. */
static void
free_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)

static CURLcode
set_options(struct s3_blobs *s, struct s3_call *call, const char *url,
	struct curl_slist *headers, char *errbuf)
{
	CURL *c = call->handle;
	CURLcode rc = (CURLcode)https_curl_options(c, url, s->ca_file,
		s->timeout_ms, s->plain_http, errbuf);
	SET(CURLOPT_HTTPHEADER, headers);
	/* The path is sent as signed: no "." or ".." folded away. */
	SET(CURLOPT_PATH_AS_IS, 1L);
	SET(CURLOPT_WRITEFUNCTION, s3_write);
	SET(CURLOPT_WRITEDATA, call);
	if (strcmp(call->method, "PUT") == 0) {
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)call->body_size);
		SET(CURLOPT_READFUNCTION, s3_read);
		SET(CURLOPT_READDATA, call);
		SET(CURLOPT_SEEKFUNCTION, s3_seek);
		SET(CURLOPT_SEEKDATA, call);
	} else if (strcmp(call->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(call->method, "DELETE") == 0) {
		SET(CURLOPT_CUSTOMREQUEST, "DELETE");
	}
	return rc;
}
#undef SET

/* A transfer that did not end in an answer. */
static int
transfer_failed(struct s3_blobs *s, const struct s3_call *call,
	CURLcode rc, const char *errbuf, struct error *err)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_WRITE_ERROR:
		if (call->too_long)
			return error_set(err, ERROR_INTERNAL, "the blob %s in "
				"the S3 store is longer than the %zu bytes its "
				"body row says: it is damaged", call->hash,
				call->buf_size);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return error_set(err, ERROR_TEMPORARY, "the S3 store at %s did"
			" not answer %s of blob %s within %d ms", s->host,
			call->method, call->hash, s->timeout_ms);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return error_set(err, ERROR_TEMPORARY, "the certificate of the"
			" S3 store at %s is not valid: %s", s->host, why);
	case CURLE_ABORTED_BY_CALLBACK:
		return error_set(err, ERROR_TEMPORARY, "the S3 store at %s has"
			" a TLS weaker than TLS 1.2 with ECDHE and an AEAD"
			" cipher", s->host);
	default:
		break;
	}
	return error_set(err, ERROR_TEMPORARY, "the S3 store at %s cannot be "
		"reached for %s of blob %s: %s", s->host, call->method,
		call->hash, why);
}

/*
 * Sends one signed request for call->hash: 0 once an answer came, its
 * status in call->status (and S3's error code in call->code); -1 with
 * ERROR_TEMPORARY when none came, ERROR_INTERNAL when a GET's object was
 * longer than the buffer.
 */
static int
s3_request(struct s3_blobs *s, struct s3_call *call, struct error *err)
{
	/* A wiping arena: it holds the Authorization header's signature. */
	struct arena *a = arena_new_wiping(32 * 1024);
	struct curl_slist *headers = signed_headers(s, call, a, err);
	char *url = arena_printf(a, "%s%s", s->base_url, call->hash);
	if (headers == NULL) {
		arena_free(&a);
		return -1;
	}
	if (url == NULL) {
		free_headers(headers);
		arena_free(&a);
		return error_set(err, ERROR_INTERNAL, "no memory for a request");
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	int result = -1;
	CURLcode rc;
	call->handle = handle_take(s);
	if (call->handle == NULL) {
		error_set(err, ERROR_INTERNAL, "cannot start an S3 request");
	} else if ((rc = set_options(s, call, url, headers, errbuf)) !=
		   CURLE_OK) {
		error_set(err, ERROR_INTERNAL, "cannot set up an S3 request: "
			"%s", curl_easy_strerror(rc));
	} else if ((rc = curl_easy_perform(call->handle)) != CURLE_OK) {
		transfer_failed(s, call, rc, errbuf, err);
	} else {
		curl_easy_getinfo(call->handle, CURLINFO_RESPONSE_CODE,
			&call->status);
		find_code(call);
		result = 0;
	}
	if (call->handle != NULL)
		handle_give(s, call->handle);
	free_headers(headers);
	arena_free(&a);
	return result;
}

/* An answer none of the calls expects. */
static int
status_failed(struct s3_blobs *s, const struct s3_call *call,
	struct error *err)
{
	const char *code = call->code[0] != '\0' ? call->code : "no code";
	/*
	 * An operator's error (a wrong key, secret, region or clock), but
	 * mail is deferred, not lost, while it is put right. AWS answers a
	 * wrong region with 400 AuthorizationHeaderMalformed.
	 */
	if (call->status == 403 ||
	    strcmp(code, "AuthorizationHeaderMalformed") == 0)
		return error_set(err, ERROR_TEMPORARY, "the S3 store refused "
			"the signature or the key (%ld %s) for %s of blob %s: "
			"check blobs.s3_access_key, blobs.s3_secret_file, "
			"blobs.s3_region and the clock", call->status, code,
			call->method, call->hash);
	if (call->status == 404 && strcmp(code, "NoSuchBucket") == 0)
		return error_set(err, ERROR_TEMPORARY, "the S3 store at %s has "
			"no bucket %s (blobs.s3_url)", s->host, s->base_path);
	return error_set(err, ERROR_TEMPORARY, "the S3 store at %s answered "
		"%ld (%s) to %s of blob %s", s->host, call->status, code,
		call->method, call->hash);
}

static int
s3_put(void *impl, const char *hash, const void *data, size_t size,
	struct error *err)
{
	struct s3_call call = {
		.method = "PUT", .hash = hash, .body = data, .body_size = size,
	};
	if (s3_request(impl, &call, err) < 0)
		return -1;
	if (call.status >= 200 && call.status <= 299)
		return 0;
	return status_failed(impl, &call, err);
}

static int
s3_get(void *impl, const char *hash, void *buf, size_t size,
	struct error *err)
{
	struct s3_call call = {
		.method = "GET", .hash = hash, .buf = buf, .buf_size = size,
	};
	if (s3_request(impl, &call, err) < 0)
		return -1;
	if (call.status == 404 && strcmp(call.code, "NoSuchBucket") != 0)
		return error_set(err, ERROR_NOT_FOUND, "the S3 store has no "
			"blob %s", hash);
	if (call.status != 200)
		return status_failed(impl, &call, err);
	if (call.got != size)
		return error_set(err, ERROR_INTERNAL, "the blob %s in the S3 "
			"store is %zu bytes, not the %zu its body row says: it "
			"is damaged", hash, call.got, size);
	return 0;
}

static int
s3_exists(void *impl, const char *hash, struct error *err)
{
	struct s3_call call = { .method = "HEAD", .hash = hash };
	if (s3_request(impl, &call, err) < 0)
		return -1;
	if (call.status == 200)
		return 1;
	if (call.status == 404)
		return 0;
	return status_failed(impl, &call, err);
}

static int
s3_remove(void *impl, const char *hash, struct error *err)
{
	struct s3_call call = { .method = "DELETE", .hash = hash };
	if (s3_request(impl, &call, err) < 0)
		return -1;
	/* S3 answers 204 whether or not the key was there; others 200, 404. */
	if ((call.status >= 200 && call.status <= 299) || call.status == 404)
		return 0;
	return status_failed(impl, &call, err);
}

const struct store_blob_ops store_blob_s3_ops = {
	.name = "s3",
	.open = s3_open,
	.put = s3_put,
	.get = s3_get,
	.exists = s3_exists,
	.remove = s3_remove,
	.close = s3_close,
};
