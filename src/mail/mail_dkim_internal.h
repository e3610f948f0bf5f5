/*
 * Shared within mail/'s DKIM files: what a key holds, so the signer can
 * use it. Layer: domain, private.
 */
#ifndef MAIL_DKIM_INTERNAL_H
#define MAIL_DKIM_INTERNAL_H

#include <openssl/evp.h>
#include <sodium.h>

#include "mail/mail_dkim.h"

/* The audit trail's object type for key changes (dir_report.c lists it). */
#define MAIL_DKIM_AUDIT_OBJECT "dkim_key"

struct mail_dkim_key {
	enum mail_dkim_algorithm algorithm;
	char domain[MAIL_DKIM_NAME_MAX + 1];	/* lower case */
	char selector[64];			/* lower case */
	EVP_PKEY *rsa;				/* RSA only (OpenSSL) */
	unsigned char ed_sk[crypto_sign_SECRETKEYBYTES];	/* Ed25519 */
	unsigned char ed_pk[crypto_sign_PUBLICKEYBYTES];
};

#endif
