/*
 * The instance's keys kept in files outside the database (the audit
 * chain's, the message-sealing key of [secure] mail): 32 random bytes
 * written once as hex, mode 0600, and read back. Layer: domain, private
 * to instance/. A copy of the database alone then proves or opens nothing.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "instance/instance_internal.h"

/* Larger than any key file caremail writes: a wrong file is not read whole. */
#define KEY_FILE_MAX 4096

int
instance_hex_to_bytes(const char *hex, size_t hex_len, unsigned char *out,
	size_t out_len)
{
	size_t n;
	const char *end;
	if (hex_len != out_len * 2 ||
	    sodium_hex2bin(out, out_len, hex, hex_len, NULL, &n, &end) != 0 ||
	    n != out_len)
		return -1;
	return 0;
}

int
instance_key_read(const char *path, const char *what, unsigned char *key,
	struct error *err)
{
	size_t len;
	char *text = file_read_all(path, KEY_FILE_MAX, &len, err);
	if (text == NULL)
		return -1;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	int rc = instance_hex_to_bytes(text, len, key, INSTANCE_KEY_BYTES);
	sodium_memzero(text, len);
	free(text);
	if (rc < 0)
		return error_set(err, ERROR_INVALID, "the %s key %s is not "
			"%d hex digits; restore it from your backup", what, path,
			INSTANCE_KEY_BYTES * 2);
	return 0;
}

int
instance_key_create(const char *path, const char *what, unsigned char *key,
	struct error *err)
{
	if (sodium_init() < 0)
		return error_set(err, ERROR_INTERNAL,
			"libsodium cannot start, so no %s key can be made", what);
	char hex[INSTANCE_KEY_BYTES * 2 + 2];
	randombytes_buf(key, INSTANCE_KEY_BYTES);
	sodium_bin2hex(hex, sizeof(hex) - 1, key, INSTANCE_KEY_BYTES);
	size_t len = strlen(hex);
	hex[len++] = '\n';
	struct error inner;
	int rc = file_write_new(path, hex, len, 0600, &inner);
	sodium_memzero(hex, sizeof(hex));
	if (rc < 0 && inner.code == ERROR_EXISTS)
		return instance_key_read(path, what, key, err);
	if (rc < 0)
		return error_forward(err, &inner);
	return 0;
}
