/*
 * TLS helpers shared by every listener: the instance's self-signed
 * certificate, made at init. Layer: core. GnuTLS only.
 */
#ifndef CORE_TLS_H
#define CORE_TLS_H

#include <stdint.h>

struct error;

/*
 * Creates an ECDSA P-256 key and a self-signed certificate for hostname
 * (subject CN and subjectAltName hostname, "localhost" and 127.0.0.1),
 * valid from a day before `now` for 825 days. Writes both as PEM, the key
 * with mode 0600, each atomically.
 */
int tls_make_self_signed(const char *cert_path, const char *key_path,
	const char *hostname, int64_t now, struct error *err);

/*
 * The GnuTLS priority string every listener uses: TLS 1.2 and 1.3 only,
 * ECDHE with AEAD ciphers (SECURITY.md items 1 and 2).
 */
const char *tls_priorities(void);

#endif
