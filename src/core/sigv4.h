/*
 * AWS Signature Version 4: the canonical request, the string to sign, the
 * signature and the Authorization header of one HTTP request, for the S3
 * blob store (issue 14). Layer: core. Pure: no I/O, no clock (the time is an
 * argument). Spec: docs.aws.amazon.com/IAM/latest/UserGuide/
 * create-signed-request.html; percent-encoding as RFC 3986 §2.
 */
#ifndef CORE_SIGV4_H
#define CORE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct error;
struct str;

/* Bytes of a SHA-256 digest, and of its lower-case hex with the NUL. */
#define SIGV4_HASH_BYTES 32
#define SIGV4_HEX_SIZE 65

/* The payload hash S3 accepts in place of the body's SHA-256. */
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct sigv4_pair {
	const char *name;
	const char *value;
};

/* One request as the signer sees it; nothing here is owned. */
struct sigv4_request {
	const char *method; /* "GET", "PUT", ... as sent */
	/*
	 * The absolute path, decoded ("/photos/a b.jpg"): the signer encodes
	 * it. Send it encoded once (sigv4_uri_encode with keep_slash).
	 */
	const char *path;
	bool double_encode_path; /* every service but S3 (see below) */
	const struct sigv4_pair
		*query; /* decoded names and values, any order */
	size_t query_count;
	/*
	 * Every header to sign, names in any case, values as sent; host and
	 * x-amz-date (and x-amz-content-sha256 for S3) among them. A name
	 * given twice is signed once with its values joined by ',' in order.
	 */
	const struct sigv4_pair *headers;
	size_t header_count;
	const char *payload_hash; /* hex SHA-256 or SIGV4_UNSIGNED_PAYLOAD */
};

/* Who signs, and for what: the credential scope but its date. */
struct sigv4_key {
	const char *access_key_id;
	const char *secret_key; /* read, never copied out of the call */
	const char *region;	/* "us-east-1" */
	const char *service;	/* "s3", "iam" */
};

/* What signing produced; the strings are in the arena given. */
struct sigv4_signed {
	char *canonical_request;
	char *string_to_sign;
	char *signed_headers;	/* "host;x-amz-content-sha256;x-amz-date" */
	char *credential_scope; /* "20130524/us-east-1/s3/aws4_request" */
	char signature[SIGV4_HEX_SIZE];
	char *authorization; /* the Authorization header's value */
};

/*
 * Signs req with key at amz_date ("YYYYMMDDTHHMMSSZ", UTC, the value of the
 * x-amz-date header) and fills *signed_r with every intermediate text AWS
 * defines, allocated in a. Path segments are percent-encoded once, as S3
 * wants, or twice when req->double_encode_path (every other service: the
 * path as sent, encoded once, is encoded again). Query parameters are
 * encoded, then sorted by name and value; header names are lower-cased,
 * values trimmed with runs of spaces made one, and sorted by name.
 * Fails with ERROR_INVALID on a malformed date, a path not starting with
 * '/', a header name that is not an RFC 9110 token, a CR, LF or NUL in a
 * value, or a secret over 128 bytes; ERROR_LIMIT past the arena's cap;
 * ERROR_INTERNAL if GnuTLS fails. The derived keys are wiped before return.
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
	const char *amz_date, struct arena *a, struct sigv4_signed *signed_r,
	struct error *err);

/*
 * Appends s[0..len) percent-encoded as SigV4 wants: every byte but A-Z a-z
 * 0-9 '-' '.' '_' '~' becomes %XX in upper-case hex (a space is %20, never
 * '+'); '/' is kept when keep_slash (paths), encoded otherwise (query
 * names and values). -1 past the string's limit.
 */
int sigv4_uri_encode(struct str *out, const char *s, size_t len,
	bool keep_slash);

/* The SHA-256 of data as lower-case hex into hex_r; -1 if GnuTLS fails. */
int sigv4_sha256_hex(const void *data, size_t len, char hex_r[SIGV4_HEX_SIZE]);

/*
 * The signing key: HMAC-SHA256 chained from "AWS4" + secret over date
 * ("YYYYMMDD"), region, service and "aws4_request", into key_r. The caller
 * wipes key_r. -1 on a secret over 128 bytes or a GnuTLS failure.
 */
int sigv4_signing_key(const char *secret, const char *date, const char *region,
	const char *service, unsigned char key_r[SIGV4_HASH_BYTES],
	struct error *err);

#endif
