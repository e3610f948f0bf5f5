/*
 * Sender authentication of an inbound message (RFC 7208 SPF, RFC 6376
 * DKIM, RFC 7489 DMARC) and the Authentication-Results field recording it
 * (RFC 8601). Layer: domain.
 */
#ifndef MAIL_AUTHRES_H
#define MAIL_AUTHRES_H

#include "mail/mail_authres_dns.h"

#endif
