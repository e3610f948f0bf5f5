/*
 * Fuzz target for the blob store's configuration as the S3 backend reads
 * it (store_blob_s3.c: blobs.s3_url, blobs.s3_prefix, blobs.s3_region,
 * and the names a blob may have, store_blob_hash_valid): whatever an
 * operator writes in caremail.conf. Input: the URL, prefix and region on
 * lines of their own. Opening makes no request, so any input is safe to
 * try. Beyond not crashing: an accepted URL is https:// or a loopback
 * http://, and an accepted prefix never climbs out of the bucket.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "store/store_blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A part of the prefix, between slashes, that is "." or "..". */
static bool
climbs(const char *prefix)
{
	for (const char *p = prefix; *p != '\0';) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		p += n;
		if (*p == '/')
			p++;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *fields[3] = { text, (char *)"", (char *)"eu-west-2" };
	for (size_t i = 1; i < 3; i++) {
		char *nl = strchr(fields[i - 1], '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		fields[i] = nl + 1;
	}
	(void)store_blob_hash_valid(text);
	struct store_blob_config c = { .backend = "s3", .s3_url = fields[0],
		.s3_prefix = fields[1], .s3_region = fields[2],
		.s3_access_key = "AKIDFUZZ", .s3_secret = "secret",
		.s3_ca_file = "", .timeout_ms = 1000 };
	struct error err;
	void *impl = store_blob_s3_ops.open(&c, &err);
	if (impl != NULL) {
		bool secure = strncmp(fields[0], "https://", 8) == 0;
		bool loopback = strncasecmp(fields[0], "http://127.0.0.1", 16) == 0 ||
			strncasecmp(fields[0], "http://localhost", 16) == 0 ||
			strncasecmp(fields[0], "http://[::1]", 12) == 0;
		if ((!secure && !loopback) || climbs(fields[1]) ||
		    fields[1][0] == '/')
			abort();
		store_blob_s3_ops.close(impl);
	}
	free(text);
	return 0;
}
