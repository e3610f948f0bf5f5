/*
 * DANE matching for SMTP (RFC 7672 §3, RFC 6698 §2.1, RFC 7671 §5): the
 * TLSA records against the server's chain, by hand with GnuTLS's parsing
 * and hashing (libgnutls-dane would look the records up itself; ours come
 * validated from our resolver). Layer: domain. Pure.
 */
#include "mail_dane.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/dns.h"

#define SELECTOR_CERT 0
#define SELECTOR_SPKI 1
#define MATCH_FULL 0
#define MATCH_SHA256 1
#define MATCH_SHA512 2

bool
mail_dane_record_is_usable(const struct dns_tlsa *t)
{
	if (t->usage != MAIL_DANE_USAGE_TA && t->usage != MAIL_DANE_USAGE_EE)
		return false;
	if (t->selector != SELECTOR_CERT && t->selector != SELECTOR_SPKI)
		return false;
	switch (t->matching_type) {
	case MATCH_FULL:
		return t->len > 0;
	case MATCH_SHA256:
		return t->len == 32;
	case MATCH_SHA512:
		return t->len == 64;
	}
	return false;
}

size_t
mail_dane_usable_count(const struct dns_tlsa *t, size_t count)
{
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		n += mail_dane_record_is_usable(&t[i]);
	return n;
}

/* The bytes a selector picks from a certificate; gnutls_free them. */
static int
selected(gnutls_x509_crt_t crt, uint8_t selector, gnutls_datum_t *out)
{
	if (selector == SELECTOR_CERT)
		return gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, out);
	gnutls_pubkey_t key;
	int rc = gnutls_pubkey_init(&key);
	if (rc < 0)
		return rc;
	rc = gnutls_pubkey_import_x509(key, crt, 0);
	if (rc >= 0)
		rc = gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, out);
	gnutls_pubkey_deinit(key);
	return rc;
}

/* Whether the record's data is the selected bytes, or their hash. */
static bool
record_matches(const struct dns_tlsa *t, gnutls_x509_crt_t crt)
{
	gnutls_datum_t sel = { NULL, 0 };
	if (selected(crt, t->selector, &sel) < 0)
		return false;
	bool match = false;
	uint8_t digest[64];
	if (t->matching_type == MATCH_FULL) {
		match = sel.size == t->len &&
			memcmp(sel.data, t->data, t->len) == 0;
	} else {
		gnutls_digest_algorithm_t alg = t->matching_type ==
			MATCH_SHA256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512;
		size_t n = t->matching_type == MATCH_SHA256 ? 32 : 64;
		match = n == t->len &&
			gnutls_hash_fast(alg, sel.data, sel.size, digest) >= 0 &&
			memcmp(digest, t->data, n) == 0;
	}
	gnutls_free(sel.data);
	return match;
}

static int
import(gnutls_x509_crt_t *crt, const void *der, size_t len)
{
	int rc = gnutls_x509_crt_init(crt);
	if (rc < 0)
		return rc;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)der,
		(unsigned)len };
	rc = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER);
	if (rc < 0)
		gnutls_x509_crt_deinit(*crt);
	return rc;
}

/* Whether the server's certificate carries one of the names. */
static bool
name_matches(const struct mail_dane *d, gnutls_x509_crt_t server)
{
	for (size_t i = 0; i < d->name_count; i++) {
		/* RFC 7672 §3.2.3: "*" only as the whole leftmost label. */
		if (gnutls_x509_crt_check_hostname2(server, d->names[i], 0))
			return true;
	}
	return false;
}

/*
 * Whether crts[0..n) chains to anchor (a DER certificate): signatures,
 * dates and CA constraints as GnuTLS checks them.
 */
static bool
chain_to(gnutls_x509_crt_t *crts, size_t n, const void *anchor,
	size_t anchor_len, char *why, size_t why_size)
{
	gnutls_x509_trust_list_t list;
	gnutls_x509_crt_t ta;
	if (gnutls_x509_trust_list_init(&list, 0) < 0)
		return false;
	if (import(&ta, anchor, anchor_len) < 0) {
		gnutls_x509_trust_list_deinit(list, 1);
		return false;
	}
	/* The list owns ta from here. */
	if (gnutls_x509_trust_list_add_cas(list, &ta, 1, 0) != 1) {
		gnutls_x509_crt_deinit(ta);
		gnutls_x509_trust_list_deinit(list, 1);
		return false;
	}
	unsigned status = 0;
	int rc = gnutls_x509_trust_list_verify_crt2(list, crts, (unsigned)n,
		NULL, 0, 0, &status, NULL);
	gnutls_x509_trust_list_deinit(list, 1);
	if (rc < 0 || status != 0) {
		gnutls_datum_t out = { NULL, 0 };
		if (rc >= 0 && gnutls_certificate_verification_status_print(
				status, GNUTLS_CRT_X509, &out, 0) == 0) {
			snprintf(why, why_size, "the chain to the DANE-TA "
				"certificate is not valid: %s",
				(const char *)out.data);
			gnutls_free(out.data);
		} else {
			snprintf(why, why_size, "the chain to the DANE-TA "
				"certificate is not valid");
		}
		return false;
	}
	return true;
}

/* Whether DANE-TA(2) record t matches the chain, validly. */
static bool
ta_matches(const struct dns_tlsa *t,
	gnutls_x509_crt_t *crts, const struct span *chain, size_t n,
	char *why, size_t why_size)
{
	for (size_t i = 1; i < n; i++) {
		if (record_matches(t, crts[i]))
			return chain_to(crts, i + 1, chain[i].p, chain[i].len,
				why, why_size);
	}
	/* RFC 7671 §5.2.2: "2 0 0" may carry an anchor the server omits. */
	if (t->selector == SELECTOR_CERT && t->matching_type == MATCH_FULL)
		return chain_to(crts, n, t->data, t->len, why, why_size);
	return false;
}

int
mail_dane_verify(const struct mail_dane *d, const struct span *chain,
	size_t chain_count, char *why, size_t why_size)
{
	snprintf(why, why_size, "no TLSA record is usable for SMTP");
	if (mail_dane_usable_count(d->tlsa, d->tlsa_count) == 0)
		return -1;
	if (chain_count == 0) {
		snprintf(why, why_size, "the server sent no certificate");
		return -1;
	}
	enum { CHAIN_MAX = 16 };
	gnutls_x509_crt_t crts[CHAIN_MAX];
	size_t n = 0;
	for (; n < chain_count && n < CHAIN_MAX; n++) {
		if (import(&crts[n], chain[n].p, chain[n].len) < 0)
			break;
	}
	int result = -1;
	if (n == 0) {
		snprintf(why, why_size, "the server's certificate cannot be "
			"read");
		return -1;
	}
	snprintf(why, why_size, "no TLSA record matches the server's "
		"certificate chain");
	bool ta_tried = false, name_ok = name_matches(d, crts[0]);
	char ta_why[192] = "";
	for (size_t i = 0; i < d->tlsa_count && result < 0; i++) {
		const struct dns_tlsa *t = &d->tlsa[i];
		if (!mail_dane_record_is_usable(t))
			continue;
		if (t->usage == MAIL_DANE_USAGE_EE) {
			if (record_matches(t, crts[0]))
				result = 0;
			continue;
		}
		ta_tried = true;
		if (!name_ok)
			continue;
		if (ta_matches(t, crts, chain, n, ta_why, sizeof(ta_why)))
			result = 0;
	}
	if (result < 0 && ta_tried && !name_ok)
		snprintf(why, why_size, "no DANE-EE record matches and the "
			"server's certificate does not name %s",
			d->name_count > 0 ? d->names[0] : "the MX host");
	else if (result < 0 && ta_why[0] != '\0')
		snprintf(why, why_size, "%s", ta_why);
	for (size_t i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (result == 0)
		snprintf(why, why_size, "%s", "");
	return result;
}

int
mail_dane_tls_verify(void *data, const struct span *chain,
	size_t chain_count, char *why, size_t why_size)
{
	return mail_dane_verify(data, chain, chain_count, why, why_size);
}
