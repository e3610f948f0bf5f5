/*
 * The instance's self-signed certificate and the one TLS policy every
 * listener uses. Layer: core. RFC 5280 (certificate profile), RFC 8446 and
 * RFC 5246 (TLS 1.3 and 1.2), RFC 5746 (safe renegotiation).
 */
#include "tls.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "file.h"

#define TLS_SERIAL_BYTES 16
#define TLS_DAY_S 86400
/* The longest lifetime browsers accept for a server certificate. */
#define TLS_LIFETIME_DAYS 825
#define TLS_MAX_HOSTNAME 253

/*
 * SECURITY.md items 1 and 2: TLS 1.3 and 1.2 only; ECDHE over elliptic
 * curves (no finite-field DHE, no static RSA); AEAD ciphers only, so no RC4,
 * 3DES, NULL or CBC; no SHA-1 handshake signatures; compression off; a
 * client that cannot do RFC 5746 renegotiation is refused.
 */
static const char tls_priority_string[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
	":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
	":-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305"
	":-MAC-ALL:+AEAD"
	":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1"
	":-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1"
	":-COMP-ALL:+COMP-NULL"
	":%SAFE_RENEGOTIATION:%SERVER_PRECEDENCE";

const char *
tls_priorities(void)
{
	return tls_priority_string;
}

static int
tls_fail(struct error *err, const char *what, int rc)
{
	return error_set(err, ERROR_INTERNAL, "cannot %s: %s", what,
		gnutls_strerror(rc));
}

static int
tls_make_key(gnutls_x509_privkey_t *key_r, struct error *err)
{
	int rc = gnutls_x509_privkey_init(key_r);
	if (rc < 0)
		return tls_fail(err, "create a private key", rc);
	rc = gnutls_x509_privkey_generate(*key_r, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc < 0)
		return tls_fail(err, "generate an ECDSA P-256 key", rc);
	return 0;
}

/* RFC 5280 §4.1.2.2: a positive serial of at most 20 octets, unpredictable. */
static int
tls_set_serial(gnutls_x509_crt_t crt, struct error *err)
{
	unsigned char serial[TLS_SERIAL_BYTES];
	int rc = gnutls_rnd(GNUTLS_RND_RANDOM, serial, sizeof(serial));
	if (rc < 0)
		return tls_fail(err, "make a certificate serial number", rc);
	serial[0] &= 0x7f;
	rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	if (rc < 0)
		return tls_fail(err, "set the certificate serial number", rc);
	return 0;
}

static int
tls_set_names(gnutls_x509_crt_t crt, const char *hostname, struct error *err)
{
	static const unsigned char loopback[4] = { 127, 0, 0, 1 };
	unsigned len = (unsigned)strlen(hostname);
	int rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
		0, hostname, len);
	if (rc < 0)
		return tls_fail(err, "set the certificate common name", rc);
	rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
		hostname, len, GNUTLS_FSAN_APPEND);
	if (rc >= 0 && strcmp(hostname, "localhost") != 0)
		rc = gnutls_x509_crt_set_subject_alt_name(crt,
			GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_subject_alt_name(crt,
			GNUTLS_SAN_IPADDRESS, loopback, sizeof(loopback),
			GNUTLS_FSAN_APPEND);
	if (rc < 0)
		return tls_fail(err, "set the certificate alternative names",
			rc);
	return 0;
}

static int
tls_set_validity(gnutls_x509_crt_t crt, int64_t now, struct error *err)
{
	/* A day's grace so a client whose clock is behind ours still trusts. */
	int rc = gnutls_x509_crt_set_activation_time(crt,
		(time_t)(now - TLS_DAY_S));
	if (rc >= 0)
		rc = gnutls_x509_crt_set_expiration_time(crt,
			(time_t)(now + (int64_t)TLS_LIFETIME_DAYS * TLS_DAY_S));
	if (rc < 0)
		return tls_fail(err, "set the certificate validity", rc);
	return 0;
}

/* RFC 5280 §4.2: an end-entity certificate usable only by a TLS server. */
static int
tls_set_usage(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
	struct error *err)
{
	unsigned char id[64];
	size_t id_len = sizeof(id);
	int rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_key_usage(crt,
			GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_key_purpose_oid(crt,
			GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (rc >= 0)
		rc = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA1,
			id, &id_len);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_subject_key_id(crt, id, id_len);
	if (rc < 0)
		return tls_fail(err, "set the certificate key usage", rc);
	return 0;
}

static int
tls_make_cert(gnutls_x509_crt_t *crt_r, gnutls_x509_privkey_t key,
	const char *hostname, int64_t now, struct error *err)
{
	int rc = gnutls_x509_crt_init(crt_r);
	if (rc < 0)
		return tls_fail(err, "create a certificate", rc);
	gnutls_x509_crt_t crt = *crt_r;
	rc = gnutls_x509_crt_set_version(crt, 3);
	if (rc < 0)
		return tls_fail(err, "set the certificate version", rc);
	rc = gnutls_x509_crt_set_key(crt, key);
	if (rc < 0)
		return tls_fail(err, "set the certificate key", rc);
	if (tls_set_serial(crt, err) < 0 ||
	    tls_set_names(crt, hostname, err) < 0 ||
	    tls_set_validity(crt, now, err) < 0 ||
	    tls_set_usage(crt, key, err) < 0)
		return -1;
	rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (rc < 0)
		return tls_fail(err, "sign the certificate", rc);
	return 0;
}

/* The key is written first, so a certificate on disk always has its key. */
static int
tls_write_pems(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
	const char *cert_path, const char *key_path, struct error *err)
{
	gnutls_datum_t pem = { NULL, 0 };
	int rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM,
		NULL, GNUTLS_PKCS_PLAIN, &pem);
	if (rc < 0)
		return tls_fail(err, "export the private key", rc);
	int written = file_write_atomic(key_path, pem.data, pem.size, 0600,
		err);
	sodium_memzero(pem.data, pem.size);
	gnutls_free(pem.data);
	if (written < 0)
		return -1;

	rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem);
	if (rc < 0)
		return tls_fail(err, "export the certificate", rc);
	written = file_write_atomic(cert_path, pem.data, pem.size, 0644, err);
	gnutls_free(pem.data);
	return written;
}

int
tls_make_self_signed(const char *cert_path, const char *key_path,
	const char *hostname, int64_t now, struct error *err)
{
	if (hostname == NULL || hostname[0] == '\0' ||
	    strlen(hostname) > TLS_MAX_HOSTNAME)
		return error_set_field(err, ERROR_INVALID, "hostname",
			"the certificate host name must be 1 to %d characters",
			TLS_MAX_HOSTNAME);
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	int rc = -1;
	if (tls_make_key(&key, err) == 0 &&
	    tls_make_cert(&crt, key, hostname, now, err) == 0)
		rc = tls_write_pems(crt, key, cert_path, key_path, err);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc;
}
