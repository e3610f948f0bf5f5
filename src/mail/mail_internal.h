/*
 * Shared within mail/: what delivery and APPEND both do to a message before
 * it is stored. Layer: domain, private.
 */
#ifndef MAIL_INTERNAL_H
#define MAIL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "store/store.h"

struct arena;
struct error;

/* A message made ready for store_body_put. */
struct mail_body {
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
	struct store_message_meta meta;
	struct store_body body;	/* points at hash, meta and the bytes */
};

/*
 * Works out the MIME summary (from arena a) and the SHA-256 of data[size],
 * outside any transaction, so the writer only stores them. ERROR_LIMIT or
 * ERROR_INVALID from the MIME parser's bounds.
 */
int mail_body_prepare(const char *data, size_t size, int64_t now,
	struct arena *a, struct mail_body *b_r, struct error *err);

#endif
