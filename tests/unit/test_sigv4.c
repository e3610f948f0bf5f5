/*
 * AWS Signature Version 4 (core/sigv4): the signer reproduces, byte for
 * byte, what AWS publishes for its own examples — the canonical request,
 * the string to sign, the signing key, the signature and the Authorization
 * header. A fake S3 server proves only that two signers agree
 * (tests/lib/s3stub.py checks ours with botocore's, in test_blob_s3.c), so
 * these published values are the proof that AWS's own would. Sources:
 *   [IAM]  the IAM guide's worked example, GET iam ListUsers, 20150830
 *          (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 *          and the former general reference's sigv4-calculate-signature page
 *          for the signing key);
 *   [S3]   the S3 API reference, "Signature Calculations for the
 *          Authorization Header: Transferring Payload in a Single Chunk",
 *          its four examples (GET Object, PUT Object, GET Bucket Lifecycle,
 *          Get Bucket (List Objects)), 20130524;
 *   [2015] AWS's SigV4 test suite (aws-sig-v4-test-suite, as vendored by
 *          botocore), service "service", 20150830;
 *   [2011] AWS's earlier SigV4 test suite (aws4_testsuite, as vendored by
 *          botocore and the AWS CLI), service "host", 20110909: its cases
 *          are the published ones for a path encoded twice.
 * Then the rules on their own: encoding, sorting, trimming, refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/sigv4.h"
#include "core/str.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define N(array) (sizeof(array) / sizeof((array)[0]))

static const struct sigv4_key iam_key = {
	.access_key_id = "AKIDEXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "iam",
};

static const struct sigv4_key s3_key = {
	.access_key_id = "AKIAIOSFODNN7EXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "s3",
};

/* [2015] and [2011] sign with the same key pair, for other services. */
static const struct sigv4_key suite2015_key = {
	.access_key_id = "AKIDEXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "service",
};

static const struct sigv4_key suite2011_key = {
	.access_key_id = "AKIDEXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "host",
};

static int
setup_arena(void **state)
{
	*state = arena_new(1 << 20);
	return *state != NULL ? 0 : -1;
}

static int
teardown_arena(void **state)
{
	struct arena *a = *state;
	arena_free(&a);
	return 0;
}

/* Signs, failing the test on any error. */
static struct sigv4_signed
sign_ok(struct arena *a, const struct sigv4_request *req,
	const struct sigv4_key *key, const char *amz_date)
{
	struct sigv4_signed out;
	struct error err = { 0 };
	int rc = sigv4_sign(req, key, amz_date, a, &out, &err);
	if (rc != 0)
		fail_msg("sigv4_sign: %s", err.msg);
	return out;
}

/* The last line of a string to sign: the canonical request's SHA-256. */
static const char *
sts_hash(const struct sigv4_signed *s)
{
	const char *nl = strrchr(s->string_to_sign, '\n');
	assert_non_null(nl);
	return nl + 1;
}

/*
 * The S3 page prints its Authorization headers with "," between the parts
 * where the IAM guide and the test suites print ", "; AWS accepts both and
 * the signer writes the guide's form, so the S3 values are compared with
 * the spaces taken out (the page's text is what stands in the test).
 */
static void
assert_s3_authorization(struct arena *a, const struct sigv4_signed *s,
	const char *published)
{
	struct str compact;
	str_init(&compact, a, 4096);
	for (const char *p = s->authorization; *p != '\0'; p++) {
		if (p[0] == ',' && p[1] == ' ') {
			assert_int_equal(str_append_char(&compact, ','), 0);
			p++;
			continue;
		}
		assert_int_equal(str_append_char(&compact, *p), 0);
	}
	assert_string_equal(str_cstr(&compact), published);
}

/* ---------------------------------------------------------------- [IAM] */

static void
test_iam_guide_example(void **state)
{
	struct arena *a = *state;
	/* Headers out of order and in mixed case: the signer sorts them. */
	const struct sigv4_pair headers[] = {
		{ "X-Amz-Date", "20150830T123600Z" },
		{ "Host", "iam.amazonaws.com" },
		{ "Content-Type",
		  "application/x-www-form-urlencoded; charset=utf-8" },
	};
	const struct sigv4_pair query[] = {
		{ "Version", "2010-05-08" },
		{ "Action", "ListUsers" },
	};
	const struct sigv4_request req = {
		.method = "GET", .path = "/", .double_encode_path = true,
		.query = query, .query_count = N(query),
		.headers = headers, .header_count = N(headers),
		.payload_hash = EMPTY_SHA256,
	};
	struct sigv4_signed s = sign_ok(a, &req, &iam_key, "20150830T123600Z");

	assert_string_equal(s.canonical_request,
	    "GET\n"
	    "/\n"
	    "Action=ListUsers&Version=2010-05-08\n"
	    "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
	    "host:iam.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "content-type;host;x-amz-date\n"
	    EMPTY_SHA256);
	assert_string_equal(s.string_to_sign,
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/iam/aws4_request\n"
	    "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
	assert_string_equal(s.credential_scope,
	    "20150830/us-east-1/iam/aws4_request");
	assert_string_equal(s.signed_headers, "content-type;host;x-amz-date");
	assert_string_equal(s.signature,
	    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
	assert_string_equal(s.authorization,
	    "AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date, "
	    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

static void
test_iam_guide_signing_key(void **state)
{
	(void)state;
	unsigned char key[SIGV4_HASH_BYTES];
	struct error err = { 0 };
	assert_int_equal(sigv4_signing_key(iam_key.secret_key, "20150830",
	    "us-east-1", "iam", key, &err), 0);
	char hex[SIGV4_HEX_SIZE];
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	assert_string_equal(hex,
	    "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

/* ----------------------------------------------------------------- [S3] */

static void
test_s3_get_object(void **state)
{
	struct arena *a = *state;
	const struct sigv4_pair headers[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", EMPTY_SHA256 },
		{ "x-amz-date", "20130524T000000Z" },
	};
	const struct sigv4_request req = {
		.method = "GET", .path = "/test.txt",
		.headers = headers, .header_count = N(headers),
		.payload_hash = EMPTY_SHA256,
	};
	struct sigv4_signed s = sign_ok(a, &req, &s3_key, "20130524T000000Z");

	/* No query: the third line is empty. */
	assert_string_equal(s.canonical_request,
	    "GET\n"
	    "/test.txt\n"
	    "\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "range:bytes=0-9\n"
	    "x-amz-content-sha256:" EMPTY_SHA256 "\n"
	    "x-amz-date:20130524T000000Z\n"
	    "\n"
	    "host;range;x-amz-content-sha256;x-amz-date\n"
	    EMPTY_SHA256);
	assert_string_equal(s.string_to_sign,
	    "AWS4-HMAC-SHA256\n"
	    "20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	assert_string_equal(s.signature,
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_s3_authorization(a, &s,
	    "AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void
test_s3_put_object(void **state)
{
	struct arena *a = *state;
	/* The page gives the body and the hash of it; both are checked. */
	const char *body = "Welcome to Amazon S3.";
	char payload[SIGV4_HEX_SIZE];
	assert_int_equal(sigv4_sha256_hex(body, strlen(body), payload), 0);
	assert_string_equal(payload,
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	const struct sigv4_pair headers[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256", payload },
	};
	/* '$' is not unreserved: S3 encodes the key once, to %24. */
	const struct sigv4_request req = {
		.method = "PUT", .path = "/test$file.text",
		.headers = headers, .header_count = N(headers),
		.payload_hash = payload,
	};
	struct sigv4_signed s = sign_ok(a, &req, &s3_key, "20130524T000000Z");

	assert_string_equal(s.canonical_request,
	    "PUT\n"
	    "/test%24file.text\n"
	    "\n"
	    "date:Fri, 24 May 2013 00:00:00 GMT\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "x-amz-content-sha256:"
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
	    "x-amz-date:20130524T000000Z\n"
	    "x-amz-storage-class:REDUCED_REDUNDANCY\n"
	    "\n"
	    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	assert_string_equal(s.string_to_sign,
	    "AWS4-HMAC-SHA256\n"
	    "20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
	assert_string_equal(s.signature,
	    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	assert_s3_authorization(a, &s,
	    "AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	    "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
	    "x-amz-storage-class,"
	    "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

static const struct sigv4_pair s3_bucket_headers[] = {
	{ "Host", "examplebucket.s3.amazonaws.com" },
	{ "x-amz-date", "20130524T000000Z" },
	{ "x-amz-content-sha256", EMPTY_SHA256 },
};

static void
test_s3_get_bucket_lifecycle(void **state)
{
	struct arena *a = *state;
	/* "?lifecycle": a parameter without a value signs as "lifecycle=". */
	const struct sigv4_pair query[] = { { "lifecycle", "" } };
	const struct sigv4_request req = {
		.method = "GET", .path = "/",
		.query = query, .query_count = N(query),
		.headers = s3_bucket_headers,
		.header_count = N(s3_bucket_headers),
		.payload_hash = EMPTY_SHA256,
	};
	struct sigv4_signed s = sign_ok(a, &req, &s3_key, "20130524T000000Z");

	assert_string_equal(s.canonical_request,
	    "GET\n"
	    "/\n"
	    "lifecycle=\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "x-amz-content-sha256:" EMPTY_SHA256 "\n"
	    "x-amz-date:20130524T000000Z\n"
	    "\n"
	    "host;x-amz-content-sha256;x-amz-date\n"
	    EMPTY_SHA256);
	assert_string_equal(sts_hash(&s),
	    "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
	assert_string_equal(s.signature,
	    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	assert_s3_authorization(a, &s,
	    "AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
	    "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void
test_s3_list_objects(void **state)
{
	struct arena *a = *state;
	/* Given out of order: the canonical query sorts them by name. */
	const struct sigv4_pair query[] = {
		{ "prefix", "J" },
		{ "max-keys", "2" },
	};
	const struct sigv4_request req = {
		.method = "GET", .path = "/",
		.query = query, .query_count = N(query),
		.headers = s3_bucket_headers,
		.header_count = N(s3_bucket_headers),
		.payload_hash = EMPTY_SHA256,
	};
	struct sigv4_signed s = sign_ok(a, &req, &s3_key, "20130524T000000Z");

	assert_string_equal(s.canonical_request,
	    "GET\n"
	    "/\n"
	    "max-keys=2&prefix=J\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "x-amz-content-sha256:" EMPTY_SHA256 "\n"
	    "x-amz-date:20130524T000000Z\n"
	    "\n"
	    "host;x-amz-content-sha256;x-amz-date\n"
	    EMPTY_SHA256);
	assert_string_equal(s.string_to_sign,
	    "AWS4-HMAC-SHA256\n"
	    "20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
	assert_string_equal(s.signature,
	    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	assert_s3_authorization(a, &s,
	    "AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
	    "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

/* --------------------------------------------------------------- [2015] */

/*
 * One case of the 2015 suite: every request carries Host
 * example.amazonaws.com and X-Amz-Date, then the case's own headers.
 */
struct suite_case {
	const char *name;
	const char *method;
	const struct sigv4_pair *query;
	size_t query_count;
	const struct sigv4_pair *extra;
	size_t extra_count;
	const char *payload_hash;	/* NULL: the empty body's */
	const char *creq;		/* NULL where not checked here */
	const char *sts_hash;		/* NULL where not checked here */
	const char *authz;
};

static void
run_2015_case(struct arena *a, const struct suite_case *c)
{
	struct sigv4_pair headers[8] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
	};
	assert_true(c->extra_count + 2 <= N(headers));
	for (size_t i = 0; i < c->extra_count; i++)
		headers[2 + i] = c->extra[i];
	const struct sigv4_request req = {
		.method = c->method, .path = "/", .double_encode_path = true,
		.query = c->query, .query_count = c->query_count,
		.headers = headers, .header_count = 2 + c->extra_count,
		.payload_hash = c->payload_hash != NULL ? c->payload_hash :
		    EMPTY_SHA256,
	};
	struct sigv4_signed s = sign_ok(a, &req, &suite2015_key,
	    "20150830T123600Z");
	if (c->creq != NULL)
		assert_string_equal(s.canonical_request, c->creq);
	if (c->sts_hash != NULL)
		assert_string_equal(sts_hash(&s), c->sts_hash);
	assert_string_equal(s.authorization, c->authz);
}

static void
test_suite_2015(void **state)
{
	struct arena *a = *state;
	static const struct sigv4_pair order_key_case[] = {
		{ "Param2", "value2" }, { "Param1", "value1" },
	};
	static const struct sigv4_pair unreserved[] = {
		{ "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		  "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" },
	};
	/* Spaces around and inside a value, inside quotes too. */
	static const struct sigv4_pair trim[] = {
		{ "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" },
	};
	static const struct sigv4_pair duplicate[] = {
		{ "My-Header1", "value2" }, { "My-Header1", "value2" },
		{ "My-Header1", "value1" },
	};
	static const struct sigv4_pair form[] = {
		{ "Content-Type", "application/x-www-form-urlencoded" },
	};
	static const struct sigv4_pair token[] = {
		{ "X-Amz-Security-Token",
		  "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==" },
	};
	/* The body "Param1=value1", hashed here and checked against the suite. */
	char form_hash[SIGV4_HEX_SIZE];
	assert_int_equal(sigv4_sha256_hex("Param1=value1", 13, form_hash), 0);
	assert_string_equal(form_hash,
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");

	const struct suite_case cases[] = {
	{ .name = "get-vanilla", .method = "GET",
	  .creq = "GET\n/\n\nhost:example.amazonaws.com\n"
	      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA256,
	  .sts_hash = "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ .name = "post-vanilla", .method = "POST",
	  .sts_hash = "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ .name = "get-vanilla-query-order-key-case", .method = "GET",
	  .query = order_key_case, .query_count = N(order_key_case),
	  .creq = "GET\n/\nParam1=value1&Param2=value2\n"
	      "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	      "host;x-amz-date\n" EMPTY_SHA256,
	  .sts_hash = "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ .name = "get-vanilla-query-unreserved", .method = "GET",
	  .query = unreserved, .query_count = N(unreserved),
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
	{ .name = "get-header-value-trim", .method = "GET",
	  .extra = trim, .extra_count = N(trim),
	  .creq = "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\n"
	      "my-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n"
	      "host;my-header1;my-header2;x-amz-date\n" EMPTY_SHA256,
	  .sts_hash = "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ .name = "get-header-key-duplicate", .method = "GET",
	  .extra = duplicate, .extra_count = N(duplicate),
	  .creq = "GET\n/\n\nhost:example.amazonaws.com\n"
	      "my-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
	      "host;my-header1;x-amz-date\n" EMPTY_SHA256,
	  .sts_hash = "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ .name = "post-x-www-form-urlencoded", .method = "POST",
	  .extra = form, .extra_count = N(form), .payload_hash = form_hash,
	  .creq = "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
	      "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	      "content-type;host;x-amz-date\n"
	      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	  .sts_hash = "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
	{ .name = "post-sts-header-before", .method = "POST",
	  .extra = token, .extra_count = N(token),
	  .sts_hash = "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
	  .authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		print_message("case %s\n", cases[i].name);
		run_2015_case(a, &cases[i]);
	}
}

/* --------------------------------------------------------------- [2011] */

static struct sigv4_signed
sign_2011(struct arena *a, const char *method, const char *path,
	const struct sigv4_pair *query, size_t query_count)
{
	static const struct sigv4_pair headers[] = {
		{ "Date", "Mon, 09 Sep 2011 23:36:00 GMT" },
		{ "Host", "host.foo.com" },
	};
	const struct sigv4_request req = {
		.method = method, .path = path, .double_encode_path = true,
		.query = query, .query_count = query_count,
		.headers = headers, .header_count = N(headers),
		.payload_hash = EMPTY_SHA256,
	};
	return sign_ok(a, &req, &suite2011_key, "20110909T233600Z");
}

/*
 * get-space and get-utf8: the request line carries "/%20/foo" and
 * "/%E1%88%B4", that is the paths "/ /foo" and "/\u1234" encoded once;
 * a service other than S3 signs them encoded again. These two cases are
 * botocore's copy of the suite (boto/botocore tests/unit/auth/
 * aws4_testsuite), which AWS's SDK team moved to double encoding; the
 * AWS CLI's older copy still shows them encoded once.
 */
static void
test_suite_2011_double_encoded_path(void **state)
{
	struct arena *a = *state;
	struct sigv4_signed s = sign_2011(a, "GET", "/ /foo", NULL, 0);
	assert_string_equal(s.canonical_request,
	    "GET\n/%2520/foo\n\ndate:Mon, 09 Sep 2011 23:36:00 GMT\n"
	    "host:host.foo.com\n\ndate;host\n" EMPTY_SHA256);
	assert_string_equal(s.string_to_sign,
	    "AWS4-HMAC-SHA256\n20110909T233600Z\n"
	    "20110909/us-east-1/host/aws4_request\n"
	    "35975885599128f8963ce9be7219598b2b5a344321bae304529556c891e9e6ba");
	assert_string_equal(s.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host, Signature=2be9e587d1ee1f0fd02128724b86b4358ba3630d39f493b6e06610a19a50779e");

	s = sign_2011(a, "GET", "/\xe1\x88\xb4", NULL, 0);
	assert_string_equal(s.canonical_request,
	    "GET\n/%25E1%2588%25B4\n\ndate:Mon, 09 Sep 2011 23:36:00 GMT\n"
	    "host:host.foo.com\n\ndate;host\n" EMPTY_SHA256);
	assert_string_equal(sts_hash(&s),
	    "47f4456c465167f4db3490a68903fe057412e6e030de38f71d9006467eb4922a");
	assert_string_equal(s.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host, Signature=57b1eb3df3b16a8479c0097b66c0b261cfd65b829419a3f2c3d05319722490b8");
}

static void
test_suite_2011_query(void **state)
{
	struct arena *a = *state;
	/*
	 * post-vanilla-query-nonunreserved: every reserved character in a
	 * name and a value; sorted by the encoded name ("%20" before "%40").
	 */
	static const struct sigv4_pair reserved[] = {
		{ "@#$%^", "" },
		{ " ", "/,?><`\";:\\|][{}" },
	};
	struct sigv4_signed s = sign_2011(a, "POST", "/", reserved,
	    N(reserved));
	assert_string_equal(s.canonical_request,
	    "POST\n/\n"
	    "%20=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D&%40%23%24%25%5E=\n"
	    "date:Mon, 09 Sep 2011 23:36:00 GMT\nhost:host.foo.com\n\n"
	    "date;host\n" EMPTY_SHA256);
	assert_string_equal(s.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host, Signature=28675d93ac1d686ab9988d6617661da4dffe7ba848a2285cb75eac6512e861f9");

	/* One name twice: sorted by value, upper case before lower. */
	static const struct sigv4_pair by_value[] = {
		{ "foo", "b" }, { "foo", "a" },
	};
	s = sign_2011(a, "GET", "/", by_value, N(by_value));
	assert_non_null(strstr(s.canonical_request, "\nfoo=a&foo=b\n"));
	assert_string_equal(s.signature,
	    "feb926e49e382bec75c9d7dcb2a1b6dc8aa50ca43c25d2bc51143768c0875acc");
	static const struct sigv4_pair key_case[] = {
		{ "foo", "aha" }, { "foo", "Zoo" },
	};
	s = sign_2011(a, "GET", "/", key_case, N(key_case));
	assert_non_null(strstr(s.canonical_request, "\nfoo=Zoo&foo=aha\n"));
	assert_string_equal(s.signature,
	    "be7148d34ebccdc6423b19085378aa0bee970bdc61d144bd1a8c48c33079ab09");
}

/* -------------------------------------------------------- the rules alone */

static void
test_uri_encode(void **state)
{
	struct arena *a = *state;
	const struct {
		const char *in;
		bool keep_slash;
		const char *out;
	} cases[] = {
		{ "abcXYZ019-._~", false, "abcXYZ019-._~" },
		{ "a b+c/d%e", false, "a%20b%2Bc%2Fd%25e" },
		{ "a b+c/d%e", true, "a%20b%2Bc/d%25e" },
		{ "*!'()", false, "%2A%21%27%28%29" },
		{ "=&?#", false, "%3D%26%3F%23" },
		{ "\xc3\xbc", false, "%C3%BC" },
		{ "", false, "" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct str out;
		str_init(&out, a, 256);
		assert_int_equal(sigv4_uri_encode(&out, cases[i].in,
		    strlen(cases[i].in), cases[i].keep_slash), 0);
		assert_string_equal(str_cstr(&out), cases[i].out);
	}
}

/* The path of one signed request, from its canonical request's line 2. */
static char *
canonical_path(struct arena *a, const char *path, bool twice)
{
	static const struct sigv4_pair host[] = { { "host", "h" } };
	const struct sigv4_request req = {
		.method = "GET", .path = path, .double_encode_path = twice,
		.headers = host, .header_count = 1,
		.payload_hash = SIGV4_UNSIGNED_PAYLOAD,
	};
	struct sigv4_signed s = sign_ok(a, &req, &s3_key, "20130524T000000Z");
	const char *start = strchr(s.canonical_request, '\n') + 1;
	return arena_strndup(a, start, strcspn(start, "\n"));
}

static void
test_path_encoded_once_or_twice(void **state)
{
	struct arena *a = *state;
	assert_string_equal(canonical_path(a, "/a b/c+d", false),
	    "/a%20b/c%2Bd");
	assert_string_equal(canonical_path(a, "/a b/c+d", true),
	    "/a%2520b/c%252Bd");
	/* Unreserved paths are the same either way. */
	assert_string_equal(canonical_path(a, "/abc/d-e_f.g~h", false),
	    "/abc/d-e_f.g~h");
	assert_string_equal(canonical_path(a, "/abc/d-e_f.g~h", true),
	    "/abc/d-e_f.g~h");
}

static void
test_header_values_trimmed(void **state)
{
	struct arena *a = *state;
	const struct sigv4_pair headers[] = {
		{ "HOST", "  h  " },
		{ "X-Meta", "\t a \t  b  c\t" },
		{ "x-empty", "   " },
	};
	const struct sigv4_request req = {
		.method = "PUT", .path = "/k",
		.headers = headers, .header_count = N(headers),
		.payload_hash = SIGV4_UNSIGNED_PAYLOAD,
	};
	struct sigv4_signed s = sign_ok(a, &req, &s3_key, "20130524T000000Z");
	assert_string_equal(s.canonical_request,
	    "PUT\n/k\n\nhost:h\nx-empty:\nx-meta:a b c\n\n"
	    "host;x-empty;x-meta\nUNSIGNED-PAYLOAD");
}

/* Changing any one input changes the signature: nothing is left out. */
static void
test_every_input_is_signed(void **state)
{
	struct arena *a = *state;
	struct sigv4_pair headers[] = { { "host", "h" }, { "x-a", "1" } };
	struct sigv4_pair query[] = { { "q", "1" } };
	struct sigv4_request req = {
		.method = "GET", .path = "/k",
		.query = query, .query_count = 1,
		.headers = headers, .header_count = 2,
		.payload_hash = EMPTY_SHA256,
	};
	struct sigv4_key key = s3_key;
	const char *date = "20130524T000000Z";
	char base[SIGV4_HEX_SIZE];
	memcpy(base, sign_ok(a, &req, &key, date).signature, sizeof(base));

	for (int change = 0; change < 10; change++) {
		struct sigv4_request r = req;
		struct sigv4_key k = key;
		struct sigv4_pair h[2] = { headers[0], headers[1] };
		struct sigv4_pair q[1] = { query[0] };
		const char *d = date;
		r.headers = h;
		r.query = q;
		switch (change) {
		case 0: r.method = "PUT"; break;
		case 1: r.path = "/K"; break;
		case 2: q[0].value = "2"; break;
		case 3: h[1].value = "2"; break;
		case 4: r.payload_hash = SIGV4_UNSIGNED_PAYLOAD; break;
		case 5: k.secret_key = "another secret"; break;
		case 6: k.region = "eu-west-2"; break;
		case 7: k.service = "iam"; break;
		case 8: d = "20130524T000001Z"; break;
		case 9: r.double_encode_path = true; r.path = "/k k"; break;
		}
		struct sigv4_signed s = sign_ok(a, &r, &k, d);
		if (strcmp(s.signature, base) == 0)
			fail_msg("change %d left the signature as it was",
			    change);
	}
}

static void
test_refusals(void **state)
{
	struct arena *a = *state;
	const struct sigv4_pair good[] = { { "host", "h" } };
	const struct sigv4_pair crlf[] = { { "x-a", "1\r\nx-b: 2" } };
	const struct sigv4_pair bad_name[] = { { "x a", "1" } };
	const struct sigv4_pair colon[] = { { "x:a", "1" } };
	char long_secret[200];
	memset(long_secret, 's', sizeof(long_secret) - 1);
	long_secret[sizeof(long_secret) - 1] = '\0';

	for (int i = 0; i < 9; i++) {
		struct sigv4_request req = {
			.method = "GET", .path = "/",
			.headers = good, .header_count = 1,
			.payload_hash = EMPTY_SHA256,
		};
		struct sigv4_key key = s3_key;
		const char *date = "20130524T000000Z";
		switch (i) {
		case 0: date = "2013-05-24T00:00:00Z"; break;
		case 1: date = "20130524T000000"; break;
		case 2: req.path = "k"; break;
		case 3: req.headers = crlf; break;
		case 4: req.headers = bad_name; break;
		case 5: req.headers = colon; break;
		case 6: key.secret_key = long_secret; break;
		case 7: key.region = "us/east"; break;
		case 8: req.method = "GE T"; break;
		}
		struct sigv4_signed s;
		struct error err = { 0 };
		if (sigv4_sign(&req, &key, date, a, &s, &err) != -1)
			fail_msg("case %d was signed", i);
		assert_int_equal(err.code, ERROR_INVALID);
		assert_null(s.authorization);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iam_guide_example,
		    setup_arena, teardown_arena),
		cmocka_unit_test(test_iam_guide_signing_key),
		cmocka_unit_test_setup_teardown(test_s3_get_object,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_s3_put_object,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_s3_get_bucket_lifecycle,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_s3_list_objects,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_suite_2015,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(
		    test_suite_2011_double_encoded_path,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_suite_2011_query,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_uri_encode,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_path_encoded_once_or_twice,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_header_values_trimmed,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_every_input_is_signed,
		    setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_refusals,
		    setup_arena, teardown_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
