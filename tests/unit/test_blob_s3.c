/*
 * The S3 blob store (store/store_blob_s3.c) against a fake S3 server,
 * tests/lib/s3stub.py, run as a child process: the real backend code,
 * libcurl and all, through store_blobs_*, while the stub recomputes every
 * request's SigV4 signature with botocore and checks the payload's
 * SHA-256, so a signer that drifts from AWS's rules fails here. Also the
 * configuration it refuses, the errors it gives (never quoting the secret),
 * objects of 0 bytes and 5 MB, damaged objects, faults, concurrent callers
 * and HTTPS with a private CA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "core/error.h"
#include "store/store_blob.h"

#ifndef CAREMAIL_SOURCE_ROOT
#error "meson defines CAREMAIL_SOURCE_ROOT for this test"
#endif
#define STUB CAREMAIL_SOURCE_ROOT "/tests/lib/s3stub.py"

#define ACCESS_KEY "AKIDCAREMAILTEST"
#define SECRET "caremail/unit+Secret/0123456789abcdef"
#define REGION "eu-west-2"

struct stub {
	pid_t pid;
	int port;
};

/* The stub of most tests: plain HTTP on the loopback, bucket "bucket". */
static struct stub main_stub;
static char url[128];
/* The HTTPS stub of test_tls, stopped by its teardown if the test fails. */
static struct stub tls_stub;

static void
hex_sha256(const void *data, size_t size, char hex[STORE_BLOB_HASH_SIZE])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, data, size);
	sodium_bin2hex(hex, STORE_BLOB_HASH_SIZE, d, sizeof(d));
}

/* Starts the stub with extra arguments; its first line is its port. */
static int
stub_start(struct stub *st, char *const *extra)
{
	char *argv[32] = {
		"python3", STUB, "--access-key", ACCESS_KEY, "--secret", SECRET,
		"--region", REGION, "--bucket", "bucket",
	};
	size_t n = 10;
	for (; extra != NULL && *extra != NULL && n < 31; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	st->pid = fork();
	if (st->pid == 0) {
		/* A test that fails and exits takes its stub with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv("/usr/bin/python3", argv);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	char line[32] = "";
	if (f == NULL || fgets(line, sizeof(line), f) == NULL) {
		fprintf(stderr, "the S3 stub did not start: is python3-botocore"
			" installed (scripts/deps.sh)?\n");
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	st->port = (int)strtol(line, NULL, 10);
	return st->port > 0 ? 0 : -1;
}

static void
stub_stop(struct stub *st)
{
	if (st->pid > 0) {
		kill(st->pid, SIGTERM);
		waitpid(st->pid, NULL, 0);
		st->pid = 0;
	}
}

struct sink {
	char *p;
	size_t len, cap;
};

static size_t
sink_write(char *data, size_t size, size_t count, void *arg)
{
	struct sink *s = arg;
	size_t n = size * count;
	if (s->len + n >= s->cap)
		n = s->cap - s->len - 1;
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
	return size * count;
}

/* One request to the stub's control paths (unsigned); its status. */
static long
stub_call(const struct stub *st, const char *method, const char *path,
	const void *body, size_t len, char *out, size_t out_size)
{
	char u[256];
	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", st->port, path);
	char dummy[8];
	struct sink sink = { out != NULL ? out : dummy, 0,
		out != NULL ? out_size : sizeof(dummy) };
	sink.p[0] = '\0';
	CURL *c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, u);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	long status = 0;
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static void
stub_fault(const char *what)
{
	assert_int_equal(stub_call(&main_stub, "POST", "/_stub/fault", what,
		strlen(what), NULL, 0), 204);
}

static struct store_blob_config
config(void)
{
	struct store_blob_config c = {
		.backend = "s3",
		.s3_url = url,
		.s3_prefix = "",
		.s3_region = REGION,
		.s3_access_key = ACCESS_KEY,
		.s3_secret = SECRET,
		.s3_ca_file = "",
		.timeout_ms = 10000,
	};
	return c;
}

static struct store_blobs *
open_ok(const struct store_blob_config *c)
{
	struct store_blobs *b = NULL;
	struct error err = { 0 };
	if (store_blobs_open(c, &b, &err) < 0)
		fail_msg("open: %s", err.msg);
	assert_non_null(b);
	assert_string_equal(store_blobs_name(b), "s3");
	return b;
}

static int
group_setup(void **state)
{
	if (stub_start(&main_stub, NULL) < 0)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/bucket",
		main_stub.port);
	return 0;
}

static int
group_teardown(void **state)
{
	stub_stop(&main_stub);
	return 0;
}

/* Each test leaves the stub answering. */
static int
no_fault(void **state)
{
	stub_fault("none");
	return 0;
}

/* --- configuration --- */

static void
test_config_refused(void **state)
{
	static const struct {
		const char *field, *value, *key;
		int timeout_ms;
	} cases[] = {
		{ "url", "", "blobs.s3_url", 0 },
		{ "url", "ftp://127.0.0.1/bucket", "blobs.s3_url", 0 },
		{ "url", "http://s3.example.com/bucket", "blobs.s3_url", 0 },
		{ "url", "http://127.0.0.2/bucket", "blobs.s3_url", 0 },
		{ "url", "https://s3.example.com", "blobs.s3_url", 0 },
		{ "url", "https://s3.example.com/", "blobs.s3_url", 0 },
		{ "url", "https://s3.example.com/b/c", "blobs.s3_url", 0 },
		{ "url", "https://u:p@s3.example.com/b", "blobs.s3_url", 0 },
		{ "url", "https://s3.example.com:0/b", "blobs.s3_url", 0 },
		{ "url", "https://s3.example.com:65536/b", "blobs.s3_url", 0 },
		{ "url", "https://s3.example.com/b?x=1", "blobs.s3_url", 0 },
		{ "url", "https://s3 .example.com/b", "blobs.s3_url", 0 },
		{ "region", "", "blobs.s3_region", 0 },
		{ "region", "eu/west", "blobs.s3_region", 0 },
		{ "access", "", "blobs.s3_access_key", 0 },
		{ "access", "AK ID", "blobs.s3_access_key", 0 },
		{ "secret", "", "blobs.s3_secret_file", 0 },
		{ "secret", "secret\n", "blobs.s3_secret_file", 0 },
		{ "prefix", "/bodies/", "blobs.s3_prefix", 0 },
		{ "prefix", "a//b", "blobs.s3_prefix", 0 },
		{ "prefix", "a/../b", "blobs.s3_prefix", 0 },
		{ "prefix", "./b", "blobs.s3_prefix", 0 },
		{ "prefix", "a b/", "blobs.s3_prefix", 0 },
		{ "prefix", "a%2F", "blobs.s3_prefix", 0 },
		{ "ca", "/nonexistent/ca.pem", "blobs.s3_ca_file", 0 },
		{ "ca", "relative.pem", "blobs.s3_ca_file", 0 },
		{ "timeout", "", "blobs.timeout_ms", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct store_blob_config c = config();
		c.s3_url = "https://s3.example.com/bucket";
		if (strcmp(cases[i].field, "url") == 0)
			c.s3_url = cases[i].value;
		else if (strcmp(cases[i].field, "region") == 0)
			c.s3_region = cases[i].value;
		else if (strcmp(cases[i].field, "access") == 0)
			c.s3_access_key = cases[i].value;
		else if (strcmp(cases[i].field, "secret") == 0)
			c.s3_secret = cases[i].value;
		else if (strcmp(cases[i].field, "prefix") == 0)
			c.s3_prefix = cases[i].value;
		else if (strcmp(cases[i].field, "ca") == 0)
			c.s3_ca_file = cases[i].value;
		else
			c.timeout_ms = cases[i].timeout_ms;
		struct store_blobs *b = NULL;
		struct error err = { 0 };
		if (store_blobs_open(&c, &b, &err) == 0)
			fail_msg("case %zu (%s \"%s\") was accepted", i,
				cases[i].field, cases[i].value);
		assert_null(b);
		assert_int_equal(err.code, ERROR_INVALID);
		assert_string_equal(err.field, cases[i].key);
		if (strstr(err.msg, cases[i].key) == NULL)
			fail_msg("case %zu: \"%s\" does not name %s", i,
				err.msg, cases[i].key);
	}
	/* The secret is never quoted back. */
	struct store_blob_config c = config();
	c.s3_secret = "a-secret-with\na-line-break";
	struct store_blobs *b = NULL;
	struct error err = { 0 };
	assert_int_equal(store_blobs_open(&c, &b, &err), -1);
	assert_null(strstr(err.msg, "a-secret-with"));
}

static void
test_config_accepted(void **state)
{
	static const char *const urls[] = {
		"https://s3.example.com/bucket",
		"https://s3.example.com/bucket/",
		"https://S3.Example.com:9000/my.bucket-1",
		"https://[2001:db8::1]:9000/bucket",
		"https://192.0.2.1/bucket",
		"http://127.0.0.1:9000/bucket",
		"http://localhost:9000/bucket",
		"http://[::1]:9000/bucket",
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
		struct store_blob_config c = config();
		c.s3_url = urls[i];
		c.s3_prefix = "caremail/bodies-1/";
		struct store_blobs *b = open_ok(&c);
		store_blobs_close(&b);
		assert_null(b);
	}
}

/* --- requests --- */

static void
test_round_trip(void **state)
{
	struct store_blob_config c = config();
	struct store_blobs *b = open_ok(&c);
	struct error err = { 0 };
	const char body[] = "From: a@example.org\r\n\r\nA body.\r\n";
	size_t n = sizeof(body) - 1;
	char hash[STORE_BLOB_HASH_SIZE], buf[sizeof(body)];
	hex_sha256(body, n, hash);

	assert_int_equal(store_blobs_has(b, hash, &err), 0);
	assert_int_equal(store_blobs_put(b, hash, body, n, &err), 0);
	/* Putting it again changes nothing. */
	assert_int_equal(store_blobs_put(b, hash, body, n, &err), 0);
	assert_int_equal(store_blobs_has(b, hash, &err), 1);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(store_blobs_get(b, hash, buf, n, &err), 0);
	assert_memory_equal(buf, body, n);
	/* The body row's size is not the object's: damaged. */
	assert_int_equal(store_blobs_get(b, hash, buf, n - 1, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_int_equal(store_blobs_get(b, hash, buf, n + 1, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_non_null(strstr(err.msg, "damaged"));

	assert_int_equal(store_blobs_remove(b, hash, &err), 0);
	assert_int_equal(store_blobs_has(b, hash, &err), 0);
	assert_int_equal(store_blobs_get(b, hash, buf, n, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	/* Gone already: still gone. */
	assert_int_equal(store_blobs_remove(b, hash, &err), 0);

	/* A name that is not a hash never reaches the store. */
	assert_int_equal(store_blobs_has(b, "../bucket2/x", &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	store_blobs_close(&b);

	char log[4096];
	assert_int_equal(stub_call(&main_stub, "GET", "/_stub/log", NULL, 0,
		log, sizeof(log)), 200);
	char want[200];
	snprintf(want, sizeof(want), "PUT /bucket/%s 200\n", hash);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "DELETE /bucket/%s 204\n", hash);
	assert_non_null(strstr(log, want));
}

static void
test_prefix(void **state)
{
	struct store_blob_config c = config();
	c.s3_prefix = "caremail/bodies/";
	struct store_blobs *b = open_ok(&c);
	struct store_blob_config c2 = config();
	struct store_blobs *plain = open_ok(&c2);
	struct error err = { 0 };
	const char body[] = "prefixed";
	char hash[STORE_BLOB_HASH_SIZE];
	hex_sha256(body, 8, hash);
	assert_int_equal(store_blobs_put(b, hash, body, 8, &err), 0);

	char keys[4096], want[200];
	assert_int_equal(stub_call(&main_stub, "GET", "/_stub/keys", NULL, 0,
		keys, sizeof(keys)), 200);
	snprintf(want, sizeof(want), "/bucket/caremail/bodies/%s\n", hash);
	if (strstr(keys, want) == NULL)
		fail_msg("no %s in the stub's keys:\n%s", want, keys);
	/* Without the prefix it is another key. */
	assert_int_equal(store_blobs_has(plain, hash, &err), 0);
	assert_int_equal(store_blobs_has(b, hash, &err), 1);
	assert_int_equal(store_blobs_remove(b, hash, &err), 0);
	assert_int_equal(store_blobs_has(b, hash, &err), 0);
	store_blobs_close(&b);
	store_blobs_close(&plain);
}

static void
check_size(struct store_blobs *b, size_t size)
{
	struct error err = { 0 };
	char *data = malloc(size + 1), *back = malloc(size + 1);
	char hash[STORE_BLOB_HASH_SIZE];
	assert_non_null(data);
	assert_non_null(back);
	randombytes_buf(data, size);
	hex_sha256(data, size, hash);
	if (store_blobs_put(b, hash, data, size, &err) < 0)
		fail_msg("put of %zu bytes: %s", size, err.msg);
	assert_int_equal(store_blobs_has(b, hash, &err), 1);
	memset(back, 0x55, size);
	if (store_blobs_get(b, hash, back, size, &err) < 0)
		fail_msg("get of %zu bytes: %s", size, err.msg);
	assert_memory_equal(back, data, size);
	assert_int_equal(store_blobs_remove(b, hash, &err), 0);
	assert_int_equal(store_blobs_has(b, hash, &err), 0);
	free(data);
	free(back);
}

static void
test_empty_and_large(void **state)
{
	struct store_blob_config c = config();
	struct store_blobs *b = open_ok(&c);
	check_size(b, 0);
	check_size(b, 1);
	check_size(b, 5 * 1024 * 1024 + 17);
	store_blobs_close(&b);
}

/* Every call, refused: ERROR_TEMPORARY with the refusal, no secret. */
static void
check_refused(const struct store_blob_config *c, const char *code)
{
	struct store_blobs *b = open_ok(c);
	struct error err = { 0 };
	const char body[] = "refused";
	char hash[STORE_BLOB_HASH_SIZE], buf[8];
	hex_sha256(body, 7, hash);
	for (int call = 0; call < 4; call++) {
		int rc = call == 0 ? store_blobs_put(b, hash, body, 7, &err) :
			call == 1 ? store_blobs_get(b, hash, buf, 7, &err) :
			call == 2 ? store_blobs_has(b, hash, &err) :
			store_blobs_remove(b, hash, &err);
		assert_int_equal(rc, -1);
		assert_int_equal(err.code, ERROR_TEMPORARY);
		if (strstr(err.msg, "the S3 store refused the signature or "
			"the key") == NULL)
			fail_msg("call %d: %s", call, err.msg);
		/* HEAD has no body, so no S3 code. */
		if (call != 2 && strstr(err.msg, code) == NULL)
			fail_msg("call %d: no %s in %s", call, code, err.msg);
		assert_null(strstr(err.msg, c->s3_secret));
		assert_null(strstr(err.msg, "Signature="));
		assert_null(strstr(err.msg, "Authorization"));
	}
	store_blobs_close(&b);
}

static void
test_refused(void **state)
{
	struct store_blob_config c = config();
	c.s3_secret = "WRONG/secret+of-the-test";
	check_refused(&c, "SignatureDoesNotMatch");
	c = config();
	c.s3_region = "us-east-1";
	check_refused(&c, "SignatureDoesNotMatch");
	c = config();
	c.s3_access_key = "AKIDSOMEONEELSE";
	check_refused(&c, "InvalidAccessKeyId");
	/* What the stub recorded: refusals, never a stored object. */
	char keys[4096];
	assert_int_equal(stub_call(&main_stub, "GET", "/_stub/keys", NULL, 0,
		keys, sizeof(keys)), 200);
	assert_string_equal(keys, "");
}

static void
test_unavailable(void **state)
{
	struct store_blob_config c = config();
	struct store_blobs *b = open_ok(&c);
	struct error err = { 0 };
	const char body[] = "later";
	char hash[STORE_BLOB_HASH_SIZE], buf[8];
	hex_sha256(body, 5, hash);
	stub_fault("503");
	assert_int_equal(store_blobs_put(b, hash, body, 5, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	assert_non_null(strstr(err.msg, "503"));
	assert_non_null(strstr(err.msg, "SlowDown"));
	assert_int_equal(store_blobs_get(b, hash, buf, 5, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	assert_int_equal(store_blobs_has(b, hash, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	assert_int_equal(store_blobs_remove(b, hash, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	stub_fault("500");
	assert_int_equal(store_blobs_has(b, hash, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	assert_non_null(strstr(err.msg, "500"));
	/* Back: the same store works again. */
	stub_fault("none");
	assert_int_equal(store_blobs_put(b, hash, body, 5, &err), 0);
	assert_int_equal(store_blobs_remove(b, hash, &err), 0);
	store_blobs_close(&b);
}

static void
test_timeout(void **state)
{
	struct store_blob_config c = config();
	c.timeout_ms = 400;
	struct store_blobs *b = open_ok(&c);
	struct error err = { 0 };
	const char body[] = "slow";
	char hash[STORE_BLOB_HASH_SIZE];
	hex_sha256(body, 4, hash);
	stub_fault("hang");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_blobs_put(b, hash, body, 4, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	if (strstr(err.msg, "did not answer") == NULL ||
	    strstr(err.msg, "400 ms") == NULL)
		fail_msg("%s", err.msg);
	double s = (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(s >= 0.35 && s < 3.0);
	store_blobs_close(&b);
}

static void
test_unreachable(void **state)
{
	/* A port that was free a moment ago: nothing listens there. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sin);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	char u[64];
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/bucket",
		ntohs(sin.sin_port));
	struct store_blob_config c = config();
	c.s3_url = u;
	struct store_blobs *b = open_ok(&c);
	struct error err = { 0 };
	char hash[STORE_BLOB_HASH_SIZE];
	hex_sha256("", 0, hash);
	assert_int_equal(store_blobs_has(b, hash, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	if (strstr(err.msg, "cannot be reached") == NULL)
		fail_msg("%s", err.msg);
	store_blobs_close(&b);
}

static void
test_no_bucket(void **state)
{
	char u[64];
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/other", main_stub.port);
	struct store_blob_config c = config();
	c.s3_url = u;
	struct store_blobs *b = open_ok(&c);
	struct error err = { 0 };
	const char body[] = "x";
	char hash[STORE_BLOB_HASH_SIZE], buf[2];
	hex_sha256(body, 1, hash);
	/* Not "no such blob": the bucket is missing, the blob may not be. */
	assert_int_equal(store_blobs_get(b, hash, buf, 1, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	assert_non_null(strstr(err.msg, "no bucket /other/"));
	assert_int_equal(store_blobs_put(b, hash, body, 1, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	store_blobs_close(&b);
}

/* The object as the stub holds it, replaced behind the store's back. */
static void
replace_object(const char *hash, const char *bytes, size_t n)
{
	char path[200];
	snprintf(path, sizeof(path), "/_stub/raw/bucket/%s", hash);
	assert_int_equal(stub_call(&main_stub, "PUT", path, bytes, n, NULL,
		0), 200);
}

static void
test_damaged(void **state)
{
	struct store_blob_config c = config();
	struct store_blobs *b = open_ok(&c);
	struct error err = { 0 };
	const char body[] = "the original body";
	size_t n = sizeof(body) - 1;
	char hash[STORE_BLOB_HASH_SIZE], buf[64];
	hex_sha256(body, n, hash);
	assert_int_equal(store_blobs_put(b, hash, body, n, &err), 0);

	/* Same length, other bytes: only the hash can tell. */
	replace_object(hash, "the 0riginal body", n);
	assert_int_equal(store_blobs_get(b, hash, buf, n, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_non_null(strstr(err.msg, "s3"));
	/* Longer, and shorter. */
	replace_object(hash, "the original body, and more", n + 10);
	assert_int_equal(store_blobs_get(b, hash, buf, n, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_non_null(strstr(err.msg, "damaged"));
	replace_object(hash, "the original", 12);
	assert_int_equal(store_blobs_get(b, hash, buf, n, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_non_null(strstr(err.msg, "damaged"));
	/* Put back whole: read whole. */
	replace_object(hash, body, n);
	assert_int_equal(store_blobs_get(b, hash, buf, n, &err), 0);
	assert_int_equal(store_blobs_remove(b, hash, &err), 0);
	store_blobs_close(&b);
}

/* Sessions call at once: the handle pool must serve them all. */
struct worker {
	struct store_blobs *b;
	int id;
	int failures;
	char last[256];
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 20; i++) {
		char body[64], back[64], hash[STORE_BLOB_HASH_SIZE];
		int n = snprintf(body, sizeof(body), "worker %d body %d",
			w->id, i);
		struct error err = { 0 };
		hex_sha256(body, (size_t)n, hash);
		if (store_blobs_put(w->b, hash, body, (size_t)n, &err) < 0 ||
		    store_blobs_has(w->b, hash, &err) != 1 ||
		    store_blobs_get(w->b, hash, back, (size_t)n, &err) < 0 ||
		    memcmp(back, body, (size_t)n) != 0 ||
		    store_blobs_remove(w->b, hash, &err) < 0) {
			w->failures++;
			snprintf(w->last, sizeof(w->last), "%s", err.msg);
		}
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct store_blob_config c = config();
	struct store_blobs *b = open_ok(&c);
	struct worker w[6];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){ .b = b, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run,
			&w[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		if (w[i].failures != 0)
			fail_msg("worker %d: %d failures, last: %s", i,
				w[i].failures, w[i].last);
	}
	store_blobs_close(&b);
}

/* HTTPS with a private CA: verified with s3_ca_file, refused without. */
static void
test_tls(void **state)
{
	char dir[] = "/tmp/caremail-s3-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[1024], cert[128], key[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
		"ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 "
		"-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s "
		">/dev/null 2>&1", key, cert);
	assert_int_equal(system(cmd), 0);
	char *const extra[] = {
		"--tls-cert", cert, "--tls-key", key, NULL,
	};
	struct stub *tls = &tls_stub;
	assert_int_equal(stub_start(tls, extra), 0);
	unlink(key);
	char u[64];
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/bucket", tls->port);

	struct store_blob_config c = config();
	c.s3_url = u;
	c.s3_ca_file = cert;
	struct store_blobs *b = open_ok(&c);
	struct error err = { 0 };
	const char body[] = "over TLS";
	char hash[STORE_BLOB_HASH_SIZE], buf[16];
	hex_sha256(body, 8, hash);
	if (store_blobs_put(b, hash, body, 8, &err) < 0)
		fail_msg("put over TLS: %s", err.msg);
	assert_int_equal(store_blobs_get(b, hash, buf, 8, &err), 0);
	assert_memory_equal(buf, body, 8);
	store_blobs_close(&b);

	/* The system's CAs do not know the stub's certificate. */
	c.s3_ca_file = "";
	b = open_ok(&c);
	assert_int_equal(store_blobs_has(b, hash, &err), -1);
	assert_int_equal(err.code, ERROR_TEMPORARY);
	if (strstr(err.msg, "certificate") == NULL)
		fail_msg("%s", err.msg);
	store_blobs_close(&b);

	stub_stop(tls);
	unlink(cert);
	rmdir(dir);
}

static int
tls_teardown(void **state)
{
	stub_stop(&tls_stub);
	return 0;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_config_accepted),
		cmocka_unit_test_teardown(test_round_trip, no_fault),
		cmocka_unit_test_teardown(test_prefix, no_fault),
		cmocka_unit_test_teardown(test_empty_and_large, no_fault),
		cmocka_unit_test_teardown(test_refused, no_fault),
		cmocka_unit_test_teardown(test_unavailable, no_fault),
		cmocka_unit_test_teardown(test_timeout, no_fault),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test_teardown(test_no_bucket, no_fault),
		cmocka_unit_test_teardown(test_damaged, no_fault),
		cmocka_unit_test_teardown(test_threads, no_fault),
		cmocka_unit_test_teardown(test_tls, tls_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
