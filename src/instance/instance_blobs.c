/*
 * The instance's blob store ([blobs], docs/blobs.md): opened from the
 * configuration when the instance opens and made the one every store
 * connection of the process uses for bodies (store_blob.h). The S3
 * secret is read from its own file, never the configuration, and wiped
 * once the backend has its copy. Layer: domain.
 */
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/error.h"
#include "core/file.h"
#include "core/xmalloc.h"
#include "instance/instance.h"
#include "instance/instance_internal.h"
#include "store/store_blob.h"

/* The largest secret file read: a key is 40 characters. */
#define SECRET_MAX 4096

/* An optional file setting: "" stays "" (none), else as every path. */
static char *
join(const char *dir, const char *path)
{
	return path[0] == '\0' ? xstrdup("") : instance_path_join(dir, path);
}

/* The secret alone: a final newline, as an editor leaves, is not part. */
static char *
read_secret(const char *path, struct error *err)
{
	if (path[0] == '\0') {
		error_set(err, ERROR_INVALID, "blobs.s3_secret_file must name"
			" the file holding the S3 secret access key");
		return NULL;
	}
	size_t len = 0;
	struct error inner;
	char *secret = file_read_all(path, SECRET_MAX, &len, &inner);
	if (secret == NULL) {
		error_set(err, ERROR_INVALID, "blobs.s3_secret_file %s cannot"
			" be read: %s", path, inner.msg);
		return NULL;
	}
	while (len > 0 && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
		secret[--len] = '\0';
	return secret;
}

int
instance_blobs_open(struct instance *inst, struct error *err)
{
	const struct config *c = inst->config;
	const char *backend = config_get_str(c, "blobs.backend");
	char *path = join(inst->dir, config_get_str(c, "blobs.path"));
	char *ca = join(inst->dir, config_get_str(c, "blobs.s3_ca_file"));
	char *secret_path = join(inst->dir,
		config_get_str(c, "blobs.s3_secret_file"));
	char *secret = NULL;
	int rc = 0;
	if (strcmp(backend, "s3") == 0) {
		secret = read_secret(secret_path, err);
		rc = secret == NULL ? -1 : 0;
	}
	struct store_blob_config bc = {
		.backend = backend,
		.path = path,
		.s3_url = config_get_str(c, "blobs.s3_url"),
		.s3_prefix = config_get_str(c, "blobs.s3_prefix"),
		.s3_region = config_get_str(c, "blobs.s3_region"),
		.s3_access_key = config_get_str(c, "blobs.s3_access_key"),
		.s3_secret = secret,
		.s3_ca_file = ca,
		.timeout_ms = (int)config_get_int(c, "blobs.timeout_ms"),
	};
	if (rc == 0)
		rc = store_blobs_open(&bc, &inst->blobs, err);
	if (rc == 0)
		store_blobs_use(inst->blobs);
	if (rc == 0 && strcmp(backend, "directory") == 0) {
		inst->blobs_dir = path;
		path = NULL;
	}
	if (secret != NULL) {
		sodium_memzero(secret, strlen(secret));
		free(secret);
	}
	free(path);
	free(ca);
	free(secret_path);
	return rc;
}

void
instance_blobs_close(struct instance *inst)
{
	free(inst->blobs_dir);
	inst->blobs_dir = NULL;
	if (inst->blobs == NULL)
		return;
	if (store_blobs_current() == inst->blobs)
		store_blobs_use(NULL);
	store_blobs_close(&inst->blobs);
}
