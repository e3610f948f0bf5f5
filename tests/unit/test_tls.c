/*
 * Unit tests for core/tls: the self-signed certificate read back with GnuTLS,
 * and the priority string checked for SECURITY.md items 1 and 2.
 * Layer: core. RFC 5280.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/tls.h"

#define DAY 86400

struct fixture {
	char dir[64];
	char cert[PATH_MAX];
	char key[PATH_MAX];
	int64_t now;
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t privkey;
};

static void
load_datum(const char *path, gnutls_datum_t *d)
{
	size_t len;
	struct error err;
	char *text = file_read_all(path, 1 << 20, &len, &err);
	assert_non_null(text);
	d->data = (unsigned char *)text;
	d->size = (unsigned)len;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/caremail-tls-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
	f->now = (int64_t)time(NULL);
	struct error err;
	assert_int_equal(tls_make_self_signed(f->cert, f->key,
		"mail.example.test", f->now, &err), 0);

	gnutls_datum_t d;
	load_datum(f->cert, &d);
	assert_int_equal(gnutls_x509_crt_init(&f->crt), 0);
	assert_int_equal(gnutls_x509_crt_import(f->crt, &d,
		GNUTLS_X509_FMT_PEM), 0);
	free(d.data);
	load_datum(f->key, &d);
	assert_int_equal(gnutls_x509_privkey_init(&f->privkey), 0);
	assert_int_equal(gnutls_x509_privkey_import(f->privkey, &d,
		GNUTLS_X509_FMT_PEM), 0);
	free(d.data);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	gnutls_x509_crt_deinit(f->crt);
	gnutls_x509_privkey_deinit(f->privkey);
	unlink(f->cert);
	unlink(f->key);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_key_is_p256(void **state)
{
	struct fixture *f = *state;
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x, y, k;
	assert_int_equal(gnutls_x509_privkey_get_pk_algorithm(f->privkey),
		GNUTLS_PK_ECDSA);
	assert_int_equal(gnutls_x509_privkey_export_ecc_raw(f->privkey,
		&curve, &x, &y, &k), 0);
	assert_int_equal(curve, GNUTLS_ECC_CURVE_SECP256R1);
	gnutls_free(x.data);
	gnutls_free(y.data);
	gnutls_free(k.data);
	unsigned bits;
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(f->crt, &bits),
		GNUTLS_PK_ECDSA);
}

static void
test_cert_matches_key_and_verifies(void **state)
{
	struct fixture *f = *state;
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	assert_int_equal(gnutls_x509_crt_get_key_id(f->crt, 0, a, &alen), 0);
	assert_int_equal(gnutls_x509_privkey_get_key_id(f->privkey, 0, b,
		&blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);

	unsigned status = 1;
	assert_int_equal(gnutls_x509_crt_verify(f->crt, &f->crt, 1, 0,
		&status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(gnutls_x509_crt_get_version(f->crt), 3);
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(f->crt),
		GNUTLS_SIGN_ECDSA_SHA256);
}

static void
test_names(void **state)
{
	struct fixture *f = *state;
	char cn[256];
	size_t cn_len = sizeof(cn);
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(f->crt,
		GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len), 0);
	assert_string_equal(cn, "mail.example.test");

	bool host = false, localhost = false, loopback = false;
	for (unsigned i = 0;; i++) {
		char san[256];
		size_t len = sizeof(san);
		int type = gnutls_x509_crt_get_subject_alt_name(f->crt, i, san,
			&len, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		assert_true(type >= 0);
		if (type == GNUTLS_SAN_DNSNAME && len == 17 &&
		    memcmp(san, "mail.example.test", 17) == 0)
			host = true;
		if (type == GNUTLS_SAN_DNSNAME && len == 9 &&
		    memcmp(san, "localhost", 9) == 0)
			localhost = true;
		if (type == GNUTLS_SAN_IPADDRESS && len == 4 &&
		    memcmp(san, "\x7f\0\0\1", 4) == 0)
			loopback = true;
	}
	assert_true(host);
	assert_true(localhost);
	assert_true(loopback);
	assert_true(gnutls_x509_crt_check_hostname(f->crt, "localhost"));
	assert_true(gnutls_x509_crt_check_hostname(f->crt, "127.0.0.1"));
	assert_false(gnutls_x509_crt_check_hostname(f->crt, "example.org"));
}

static void
test_validity(void **state)
{
	struct fixture *f = *state;
	assert_int_equal((int64_t)gnutls_x509_crt_get_activation_time(f->crt),
		f->now - DAY);
	assert_int_equal((int64_t)gnutls_x509_crt_get_expiration_time(f->crt),
		f->now + 825 * (int64_t)DAY);
}

static void
test_usage(void **state)
{
	struct fixture *f = *state;
	unsigned critical, usage;
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(f->crt,
		&critical, NULL, NULL), 0);	/* 0: not a CA */
	assert_true(gnutls_x509_crt_get_key_usage(f->crt, &usage,
		&critical) >= 0);
	assert_int_equal(usage, GNUTLS_KEY_DIGITAL_SIGNATURE);
	char oid[128];
	size_t len = sizeof(oid);
	assert_int_equal(gnutls_x509_crt_get_key_purpose_oid(f->crt, 0, oid,
		&len, NULL), 0);
	assert_string_equal(oid, GNUTLS_KP_TLS_WWW_SERVER);

	unsigned char serial[40];
	size_t serial_len = sizeof(serial);
	assert_int_equal(gnutls_x509_crt_get_serial(f->crt, serial,
		&serial_len), 0);
	assert_true(serial_len <= 16);
	assert_true(serial_len >= 8);	/* random: 8 leading 0s is 2^-64 */
	assert_int_equal(serial[0] & 0x80, 0);
}

static void
test_file_modes(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(f->cert, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void
test_fixed_time(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX];
	snprintf(cert, sizeof(cert), "%s/old-cert.pem", f->dir);
	snprintf(key, sizeof(key), "%s/old-key.pem", f->dir);
	struct error err;
	int64_t then = 1700000000;
	assert_int_equal(tls_make_self_signed(cert, key, "localhost", then,
		&err), 0);
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;
	load_datum(cert, &d);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM),
		0);
	free(d.data);
	assert_int_equal((int64_t)gnutls_x509_crt_get_activation_time(crt),
		then - DAY);
	assert_int_equal((int64_t)gnutls_x509_crt_get_expiration_time(crt),
		then + 825 * (int64_t)DAY);
	gnutls_x509_crt_deinit(crt);
	unlink(cert);
	unlink(key);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	struct error err;
	char cert[PATH_MAX];
	snprintf(cert, sizeof(cert), "%s/c.pem", f->dir);
	assert_int_equal(tls_make_self_signed(cert, "/nonexistent/dir/k.pem",
		"localhost", f->now, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_false(file_exists(cert));	/* none without a key */
	assert_int_equal(tls_make_self_signed(cert, cert, "", f->now, &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
}

static void
test_priorities(void **state)
{
	(void)state;
	gnutls_priority_t prio;
	const char *errpos = NULL;
	assert_int_equal(gnutls_priority_init(&prio, tls_priorities(),
		&errpos), 0);

	const unsigned *list;
	int n = gnutls_priority_protocol_list(prio, &list);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		assert_true(list[i] == GNUTLS_TLS1_3 ||
			list[i] == GNUTLS_TLS1_2);
	n = gnutls_priority_kx_list(prio, &list);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		assert_true(list[i] == GNUTLS_KX_ECDHE_ECDSA ||
			list[i] == GNUTLS_KX_ECDHE_RSA);
	n = gnutls_priority_cipher_list(prio, &list);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		assert_true(list[i] == GNUTLS_CIPHER_AES_128_GCM ||
			list[i] == GNUTLS_CIPHER_AES_256_GCM ||
			list[i] == GNUTLS_CIPHER_CHACHA20_POLY1305);
	n = gnutls_priority_sign_list(prio, &list);
	for (int i = 0; i < n; i++)
		assert_int_not_equal(gnutls_sign_get_hash_algorithm(list[i]),
			GNUTLS_DIG_SHA1);

	/* Every suite the session would offer, as a client would see it. */
	gnutls_session_t session;
	assert_int_equal(gnutls_init(&session, GNUTLS_SERVER), 0);
	assert_int_equal(gnutls_priority_set(session, prio), 0);
	unsigned suites = 0;
	for (unsigned i = 0;; i++) {
		unsigned idx;
		int rc = gnutls_priority_get_cipher_suite_index(prio, i, &idx);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue;
		gnutls_protocol_t min;
		gnutls_mac_algorithm_t mac;
		const char *name = gnutls_cipher_suite_info(idx, NULL, NULL,
			NULL, &mac, &min);
		assert_non_null(name);
		assert_true(min == GNUTLS_TLS1_2 || min == GNUTLS_TLS1_3);
		assert_int_equal(mac, GNUTLS_MAC_AEAD);
		assert_null(strstr(name, "CBC"));
		suites++;
	}
	assert_true(suites >= 3);
	gnutls_deinit(session);
	gnutls_priority_deinit(prio);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_p256),
		cmocka_unit_test(test_cert_matches_key_and_verifies),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_fixed_time),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_priorities),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
